package io.imsm.protocol;

import io.imsm.testing.MutableClock;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jose.util.JSONObjectUtils;

import org.assertj.core.api.Assertions;
import org.assertj.core.api.ThrowableAssert;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/** Parties, keys and a clock for the protocol tests, plus a raw JWS builder for forging messages. */
final class Fixture {
    static final String ISSUER = "https://ims.example";
    static final String SERVICE = "transaction-search";
    static final Duration SKEW = Duration.ofSeconds(60);
    static final Instant START = Instant.parse("2026-01-01T00:00:00Z");

    final MutableClock clock = new MutableClock(START);
    final SecureRandom random = new SecureRandom();
    final ECKey imsKey = generate("ims-2026");
    final ECKey serviceKey = generate("svc-1");
    final JWKSet imsJwks = JwkUtil.publicSet(List.of(imsKey));
    final InMemoryReplayGuard serviceReplayGuard = new InMemoryReplayGuard(clock);

    static ECKey generate(String kid) {
        try {
            return new ECKeyGenerator(Curve.P_256).keyID(kid).generate();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** The service's verifier for offers and revocations. */
    KxVerifier serviceSide() {
        return new KxVerifier(ISSUER, SERVICE, imsJwks, clock, SKEW, serviceReplayGuard);
    }

    /** The IMS verifier for answers from the service. */
    KxVerifier imsSide() {
        return new KxVerifier(SERVICE, ISSUER, serviceKey.toPublicJWK(), clock, SKEW, new InMemoryReplayGuard(clock));
    }

    SessionTokenVerifier tokenVerifier() {
        return new SessionTokenVerifier(ISSUER, SERVICE, clock, SKEW);
    }

    Offer offer(ECKey imsEphemeral) {
        return Offer.create(ISSUER, SERVICE, "alice", "search:read", clock.instant().plus(Duration.ofHours(1)), imsEphemeral, clock, random);
    }

    String signedOffer() {
        return new KxSigner(imsKey, random).sign(offer(EphemeralKeys.generate(random)));
    }

    /** The reason of the {@code type} exception the call throws (and fails the test if it throws nothing else). */
    static ProtocolException.Reason reason(Class<? extends ProtocolException> type, ThrowableAssert.ThrowingCallable call) {
        Throwable t = Assertions.catchThrowable(call);
        Assertions.assertThat(t).isInstanceOf(type);
        return ((ProtocolException) t).reason();
    }

    static ProtocolException.Reason kxFailure(ThrowableAssert.ThrowingCallable call) { return reason(KxException.class, call); }

    static ProtocolException.Reason tokenFailure(ThrowableAssert.ThrowingCallable call) { return reason(TokenException.class, call); }

    static String b64(String json) {
        return Base64URL.encode(json.getBytes(StandardCharsets.UTF_8)).toString();
    }

    static Map<String, Object> json(String b64part) {
        try {
            return JSONObjectUtils.parse(new Base64URL(b64part).decodeToString());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Re-signs a compact JWS after editing its header and claims, as an attacker holding {@code key}
     * would: ES256 with an EC key, HS256 with raw bytes, nothing for {@code alg: none}.
     */
    static String resign(String jws, Object key, Consumer<Map<String, Object>> header, Consumer<Map<String, Object>> claims) {
        String[] parts = jws.split("\\.");
        Map<String, Object> h = json(parts[0]);
        Map<String, Object> c = json(parts[1]);
        header.accept(h);
        claims.accept(c);
        String input = b64(JSONObjectUtils.toJSONString(h)) + "." + b64(JSONObjectUtils.toJSONString(c));
        try {
            JWSHeader parsed = "none".equals(h.get("alg")) ? null : JWSHeader.parse(h);
            Base64URL sig;
            if (parsed == null) {
                return input + ".";
            } else if (JWSAlgorithm.ES256.equals(parsed.getAlgorithm())) {
                sig = new ECDSASigner((ECKey) key).sign(parsed, input.getBytes(StandardCharsets.US_ASCII));
            } else {
                sig = new MACSigner((byte[]) key).sign(parsed, input.getBytes(StandardCharsets.US_ASCII));
            }
            return input + "." + sig;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static String resignClaims(String jws, Object key, Consumer<Map<String, Object>> claims) {
        return resign(jws, key, h -> {}, claims);
    }

    /**
     * An HS256 JWS of exactly these header and payload texts (which need not be valid JSON), MACed with
     * {@code key}: for inputs a map cannot hold, such as duplicate members.
     */
    static String macRaw(String headerJson, String payloadJson, byte[] key) {
        String input = b64(headerJson) + "." + b64(payloadJson);
        try {
            javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
            mac.init(new javax.crypto.spec.SecretKeySpec(key, "HmacSHA256"));
            return input + "." + Base64URL.encode(mac.doFinal(input.getBytes(StandardCharsets.US_ASCII)));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** The decoded text of part {@code i} (0 header, 1 payload) of a compact JWS. */
    static String rawPart(String jws, int i) {
        return new Base64URL(jws.split("\\.")[i]).decodeToString();
    }

    /** Replaces the payload but keeps the original signature. */
    static String swapPayload(String jws, Consumer<Map<String, Object>> claims) {
        String[] parts = jws.split("\\.");
        Map<String, Object> c = json(parts[1]);
        claims.accept(c);
        return parts[0] + "." + b64(JSONObjectUtils.toJSONString(c)) + "." + parts[2];
    }

    /** Flips one character in the middle of the signature part. */
    static String flipSignature(String jws) {
        int i = jws.lastIndexOf('.') + 10;
        char ch = jws.charAt(i);
        return jws.substring(0, i) + (ch == 'A' ? 'B' : 'A') + jws.substring(i + 1);
    }
}
