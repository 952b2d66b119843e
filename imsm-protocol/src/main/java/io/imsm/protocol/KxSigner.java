package io.imsm.protocol;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Objects;

/**
 * Signs KX1 messages with a long-term ES256 key: offers and revocations with the IMS key, answers
 * with the service key. Header {@code {"alg":"ES256","kid":<key id>,"typ":"imsm-kx+jwt"}}
 * (RFC 7515 section 4.1, RFC 7518 section 3.4).
 *
 * <p>Immutable and thread-safe: build one per key and keep it (the key is decoded once); signing
 * runs on {@link P256}.
 */
public final class KxSigner {
    private static final JsonFactory JSON = new JsonFactory();
    private static final Base64.Encoder BASE64URL = Base64.getUrlEncoder().withoutPadding();

    private final BigInteger d;
    private final SecureRandom random;
    /** {@code BASE64URL(UTF8(JOSE header)) + "."}: the same for every message of this key, so encoded once. */
    private final String headerPrefix;

    /** @param signingKey a private P-256 JWK with a {@code kid} */
    public KxSigner(ECKey signingKey, SecureRandom random) {
        Objects.requireNonNull(signingKey, "signingKey");
        if (!signingKey.isPrivate() || !Curve.P_256.equals(signingKey.getCurve())) {
            throw new IllegalArgumentException("the signing key must be a private P-256 key");
        }
        String kid = Objects.requireNonNull(signingKey.getKeyID(), "the signing key needs a kid");
        this.d = P256.privateScalar(signingKey);
        this.random = Objects.requireNonNull(random, "random");
        // Serialised by Nimbus once, as before: {"kid":...,"typ":"imsm-kx+jwt","alg":"ES256"}.
        this.headerPrefix = new JWSHeader.Builder(JWSAlgorithm.ES256).keyID(kid).type(new JOSEObjectType(Kx1.MESSAGE_TYPE)).build()
                .toBase64URL() + ".";
    }

    /*
     * The claims are written straight to JSON in the member order Nimbus' JWTClaimsSet gave them (its
     * builder keeps insertion order), without a claims set, a JSON object model or a second copy.
     */

    public String sign(Offer o) {
        return sign(g -> {
            common(g, o.issuer(), o.audience(), o.issuedAt().getEpochSecond(), o.expiresAt().getEpochSecond());
            g.writeStringField("jti", o.jti());
            g.writeStringField("sid", o.sid());
            g.writeStringField("sub", o.subject());
            g.writeStringField("scope", o.scope());
            g.writeNumberField("session_exp", o.sessionExpiresAt().getEpochSecond());
            epk(g, o.epk());
        });
    }

    public String sign(Answer a) {
        return sign(g -> {
            common(g, a.issuer(), a.audience(), a.issuedAt().getEpochSecond(), a.expiresAt().getEpochSecond());
            g.writeStringField("sid", a.sid());
            g.writeStringField("nonce", a.nonce());
            epk(g, a.epk());
            if (a.ticket() != null) {
                g.writeStringField("ticket", a.ticket());
            }
        });
    }

    public String sign(Revocation r) {
        return sign(g -> {
            common(g, r.issuer(), r.audience(), r.issuedAt().getEpochSecond(), r.expiresAt().getEpochSecond());
            g.writeStringField("jti", r.jti());
            g.writeStringField("sid", r.sid());
            g.writeBooleanField("revoked", true);
        });
    }

    @FunctionalInterface
    private interface Claims {
        void write(JsonGenerator g) throws IOException;
    }

    private static void common(JsonGenerator g, String iss, String aud, long iat, long exp) throws IOException {
        g.writeStringField("iss", iss);
        g.writeStringField("aud", aud); // one audience: a string (RFC 7519 section 4.1.3), as Nimbus wrote it
        g.writeNumberField("iat", iat);
        g.writeNumberField("exp", exp);
    }

    /** The public JWK of an ephemeral key (its {@code d} never leaves): {@code kty}, {@code crv}, {@code x}, {@code y}. */
    private static void epk(JsonGenerator g, ECKey epk) throws IOException {
        g.writeObjectFieldStart("epk");
        g.writeStringField("kty", "EC");
        g.writeStringField("crv", Curve.P_256.getName());
        g.writeStringField("x", epk.getX().toString());
        g.writeStringField("y", epk.getY().toString());
        g.writeEndObject();
    }

    /** {@code header.payload.signature} (RFC 7515 section 7.1), ES256 over the ASCII signing input. */
    private String sign(Claims claims) {
        ByteArrayOutputStream payload = new ByteArrayOutputStream(512);
        try (JsonGenerator g = JSON.createGenerator(payload)) {
            g.writeStartObject();
            claims.write(g);
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException("writing KX1 claims failed", e);
        }
        String signingInput = headerPrefix + BASE64URL.encodeToString(payload.toByteArray());
        byte[] signature = P256.sign(d, signingInput.getBytes(StandardCharsets.US_ASCII), random);
        return signingInput + "." + BASE64URL.encodeToString(signature);
    }
}
