package io.imsm.server.support;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.JOSEException;
import com.sun.net.httpserver.HttpServer;
import io.imsm.sdk.AccessDeniedException;
import io.imsm.sdk.JdkHttpServerAdapter;
import io.imsm.sdk.JwksSource;
import io.imsm.sdk.KeyExchangeEndpoint;
import io.imsm.sdk.SessionKeyStore;
import io.imsm.sdk.TokenVerifier;
import io.imsm.sdk.VerifiedToken;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A protected service on the real SDK, for server tests: its key-exchange endpoint at {@code /imsm/kx}
 * (counting the offers it receives) and {@link #call} verifying a token the way a service does. The
 * IMS keys are the test server's; time is the test server's clock.
 */
public final class SdkService implements AutoCloseable {
    public record Answer(int status, String body) {}

    public final String id;
    public final AtomicInteger offers = new AtomicInteger();
    public final SessionKeyStore sessions;
    private final ECKey key;
    private final TokenVerifier verifier;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final HttpServer server;

    public SdkService(TestServer ims, String id) {
        this.id = id;
        try {
            this.key = new ECKeyGenerator(Curve.P_256).keyID(id + "-key").generate();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
        JwksSource imsKeys = JwksSource.fixed(ims.server.wiring().signingKeys().jwks());
        this.sessions = new SessionKeyStore(ims.clock);
        KeyExchangeEndpoint kx = KeyExchangeEndpoint.builder(ims.baseUrl(), id, key, imsKeys, sessions).clock(ims.clock).build();
        this.verifier = new TokenVerifier(ims.baseUrl(), id, sessions, imsKeys, ims.clock);
        JdkHttpServerAdapter adapter = new JdkHttpServerAdapter(kx);
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.setExecutor(executor);
        server.createContext("/imsm/kx", ex -> {
            if ("POST".equals(ex.getRequestMethod())) {
                offers.incrementAndGet();
            }
            adapter.handle(ex);
        });
        server.start();
    }

    public String kxUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/imsm/kx";
    }

    public Map<String, Object> publicJwk() {
        return key.toPublicJWK().toJSONObject();
    }

    /**
     * What the service answers a request carrying this token: 200 with the subject and the decrypted
     * confidential claims as JSON, or the SDK's refusal (status and code).
     */
    public Answer call(String token) {
        try {
            VerifiedToken t = verifier.verifyAuthorization("Bearer " + token);
            return new Answer(200, Http.JSON.writeValueAsString(Map.of("sub", t.subject(), "enc", t.confidentialClaims())));
        } catch (AccessDeniedException e) {
            return new Answer(e.status(), e.code());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Waits (up to 10 s) for the outbox to deliver a revocation: the answer once it is no longer 200. */
    public Answer callUntilRefused(String token) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        Answer a = call(token);
        while (a.status() == 200 && System.nanoTime() < deadline) {
            Thread.sleep(50);
            a = call(token);
        }
        return a;
    }

    @Override
    public void close() {
        server.stop(0);
        executor.close();
    }
}
