package io.imsm.bench;

import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import io.imsm.protocol.EphemeralKeys;
import io.imsm.protocol.HttpAuthorizationDetail;
import io.imsm.protocol.KeyDerivation;
import io.imsm.protocol.Kx1;
import io.imsm.protocol.SessionKeys;
import io.imsm.protocol.SessionToken;
import io.imsm.protocol.SessionTokenVerifier;
import io.imsm.protocol.SessionTokens;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The service-side hot path (what the SDK and proxy do per request): verifying an HS256 session token
 * with its session key, verifying an ES256 jwks-binding token, and the per-session key derivation
 * (ECDH P-256 + HKDF-SHA256).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgs = {"-Xmx512m"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class ProtocolBenchmark {
    SessionTokenVerifier verifier;
    String hsToken;
    String hsTokenWithEnc;
    String esToken;
    JWKSet jwks;
    SessionKeys keys;
    String sid;
    ECKey imsEphemeral;
    ECKey serviceEphemeralPublic;

    @Setup
    public void setup() {
        SecureRandom random = new SecureRandom();
        Instant now = Instant.now();
        Clock clock = Clock.fixed(now, ZoneOffset.UTC);
        imsEphemeral = EphemeralKeys.generate(random);
        ECKey serviceEphemeral = EphemeralKeys.generate(random);
        serviceEphemeralPublic = serviceEphemeral.toPublicJWK();
        sid = Kx1.newId(random);
        keys = KeyDerivation.deriveForIms(imsEphemeral, serviceEphemeralPublic, sid);
        Instant exp = now.plusSeconds(600);
        List<HttpAuthorizationDetail> limit = List.of(new HttpAuthorizationDetail("GET", "/search", Map.of("account", "12345")));
        hsToken = SessionTokens.mintHs256(new SessionToken("https://ims.example", "alice", "transaction-search", now, exp,
                Kx1.newId(random), sid, "search:read", limit, Map.of()), exp, keys, random);
        hsTokenWithEnc = SessionTokens.mintHs256(new SessionToken("https://ims.example", "alice", "transaction-search", now, exp,
                Kx1.newId(random), sid, "search:read", limit, Map.of("justification", "case 42")), exp, keys, random);
        ECKey ims = EphemeralKeys.generate(random);
        ims = new ECKey.Builder(ims).keyID("ims-1").build();
        jwks = new JWKSet(ims.toPublicJWK());
        esToken = SessionTokens.mintEs256(new SessionToken("https://ims.example", "alice", "transaction-search", now, exp,
                Kx1.newId(random), Kx1.newId(random), "search:read", limit, Map.of()), ims, random);
        verifier = new SessionTokenVerifier("https://ims.example", "transaction-search", clock, Duration.ofSeconds(60));
    }

    @Benchmark
    public SessionToken verifyHs256SessionToken() {
        return verifier.verify(hsToken, k -> Optional.of(keys));
    }

    @Benchmark
    public SessionToken verifyHs256SessionTokenWithEncryptedClaims() {
        return verifier.verify(hsTokenWithEnc, k -> Optional.of(keys));
    }

    @Benchmark
    public SessionToken verifyEs256JwksToken() {
        return verifier.verifyEs256(esToken, jwks);
    }

    @Benchmark
    public SessionKeys deriveSessionKeys() {
        return KeyDerivation.deriveForIms(imsEphemeral, serviceEphemeralPublic, sid);
    }
}
