package io.imsm.bench;

import com.nimbusds.jose.jwk.ECKey;
import io.imsm.protocol.EphemeralKeys;
import io.imsm.protocol.HttpAuthorizationDetail;
import io.imsm.sdk.KeyExchangeEndpoint;
import io.imsm.sdk.MockIms;
import io.imsm.sdk.RequestGuard;
import io.imsm.sdk.SessionKeyStore;
import io.imsm.sdk.TokenVerifier;
import io.imsm.sdk.VerifiedToken;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.security.SecureRandom;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * What a protected service pays per request with the SDK: TokenVerifier (+ RequestGuard) on a session
 * token (HS256), on an IMS-signed token (ES256) found in the verification cache, verified in full (a
 * new verifier per call, so its cache is empty), and found in a cache filled to its capacity.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgs = {"-Xmx512m"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class SdkVerifyBenchmark {
    MockIms ims;
    TokenVerifier verifier;
    RequestGuard guard = RequestGuard.requiring("search:read");
    String sessionToken;
    String jwksToken;
    HttpAuthorizationDetail limit;
    final java.net.URI requestUri = java.net.URI.create("/search?account=12345");

    @Setup
    public void setup() {
        Clock clock = Clock.systemUTC();
        ECKey serviceKey = new ECKey.Builder(EphemeralKeys.generate(new SecureRandom())).keyID("svc").build();
        ims = MockIms.create("transaction-search", serviceKey.toPublicJWK(), clock);
        SessionKeyStore sessions = new SessionKeyStore(clock);
        KeyExchangeEndpoint kx = KeyExchangeEndpoint.builder(ims.issuer(), "transaction-search", serviceKey, ims.jwksSource(), sessions)
                .clock(clock).build();
        MockIms.Session s = ims.exchange(kx, "alice", "search:read");
        limit = new HttpAuthorizationDetail("GET", "/search", Map.of("account", "12345"));
        sessionToken = ims.token(s).detail(limit).mint();
        jwksToken = ims.jwksToken("alice", "search:read").audience("transaction-search").detail(limit).mint();
        verifier = new TokenVerifier(ims.issuer(), "transaction-search", sessions, ims.jwksSource(), clock);
    }

    @TearDown
    public void tearDown() {
        ims.close();
    }

    /**
     * A token never seen before for every call, for the long-lived verifier: a verification-cache miss
     * as a service meets it (the IMS key's validated point is already known). Minting is not measured.
     */
    @State(Scope.Thread)
    public static class FreshToken {
        String token;

        @Setup(Level.Invocation)
        public void mint(SdkVerifyBenchmark b) {
            token = b.ims.jwksToken("alice", "search:read").audience("transaction-search").detail(b.limit).mint();
        }
    }

    /** A new verifier for every call: nothing cached at all (first token after a start). */
    @State(Scope.Thread)
    public static class ColdVerifier {
        TokenVerifier verifier;

        @Setup(Level.Invocation)
        public void fresh(SdkVerifyBenchmark b) {
            verifier = new TokenVerifier(b.ims.issuer(), "transaction-search", null, b.ims.jwksSource(), Clock.systemUTC());
        }
    }

    /**
     * A verifier whose ES256 cache holds as many tokens as it may (TokenVerifier.JWKS_CACHE_MAX, 10 000),
     * each verified once; the benchmark then uses them round robin: at capacity a hit must cost what it
     * costs in a small cache (no scan, no clear).
     */
    @State(Scope.Benchmark)
    public static class FullCache {
        static final int CAPACITY = 10_000;
        TokenVerifier verifier;
        String[] tokens;
        int next;

        @Setup
        public void fill(SdkVerifyBenchmark b) {
            verifier = new TokenVerifier(b.ims.issuer(), "transaction-search", null, b.ims.jwksSource(), Clock.systemUTC());
            tokens = new String[CAPACITY];
            for (int i = 0; i < CAPACITY; i++) {
                tokens[i] = b.ims.jwksToken("user" + i, "search:read").audience("transaction-search")
                        .lifetime(java.time.Duration.ofHours(1)).mint();
                verifier.verify(tokens[i]);
            }
        }
    }

    @Benchmark
    public VerifiedToken sessionTokenVerifyOnly() {
        return verifier.verify(sessionToken);
    }

    @Benchmark
    public VerifiedToken sessionTokenVerifyAndGuard() {
        VerifiedToken t = verifier.verify(sessionToken);
        guard.enforce(t, "GET", requestUri);
        return t;
    }

    @Benchmark
    public VerifiedToken jwksTokenVerifyAndGuard() {
        VerifiedToken t = verifier.verify(jwksToken);
        guard.enforce(t, "GET", requestUri);
        return t;
    }

    @Benchmark
    public VerifiedToken jwksTokenVerifyCacheMiss(FreshToken fresh) {
        VerifiedToken t = verifier.verify(fresh.token);
        guard.enforce(t, "GET", requestUri);
        return t;
    }

    @Benchmark
    public VerifiedToken jwksTokenVerifyNewVerifier(ColdVerifier cold) {
        VerifiedToken t = cold.verifier.verify(jwksToken);
        guard.enforce(t, "GET", requestUri);
        return t;
    }

    @Benchmark
    public VerifiedToken jwksTokenVerifyCacheFull(FullCache full) {
        int i = full.next;
        full.next = i + 1 == FullCache.CAPACITY ? 0 : i + 1;
        return full.verifier.verify(full.tokens[i]);
    }
}
