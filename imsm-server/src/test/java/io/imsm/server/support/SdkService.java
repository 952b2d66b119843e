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
import io.imsm.protocol.Kx1;
import io.imsm.sdk.KeyExchangeEndpoint;
import io.imsm.sdk.RevocationFeed;
import io.imsm.sdk.SessionKeyStore;
import io.imsm.sdk.TokenVerifier;
import io.imsm.sdk.VerifiedToken;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;
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
    private final RevocationFeed feed;

    public SdkService(TestServer ims, String id) {
        this(ims, id, newKey(id), null);
    }

    /**
     * One replica of a service that runs as several (docs/decisions/0016-service-replicas.md): all
     * replicas share {@code key}, answers carry session tickets, and the IMS revocation list is polled
     * every {@code revocationPoll}. Besides {@code /imsm/kx} it answers {@code GET /whoami} with what
     * {@link #call} returns for the request's Bearer token.
     */
    public static SdkService replica(TestServer ims, String id, ECKey key, Duration revocationPoll) {
        return new SdkService(ims, id, key, revocationPoll);
    }

    /** A fresh long-term service key. */
    public static ECKey newKey(String id) {
        try {
            return new ECKeyGenerator(Curve.P_256).keyID(id + "-key").generate();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    private SdkService(TestServer ims, String id, ECKey key, Duration revocationPoll) {
        this.id = id;
        this.key = key;
        boolean replicated = revocationPoll != null;
        JwksSource imsKeys = JwksSource.fixed(ims.server.wiring().signingKeys().jwks());
        this.sessions = new SessionKeyStore(ims.clock);
        KeyExchangeEndpoint kx = KeyExchangeEndpoint.builder(ims.baseUrl(), id, key, imsKeys, sessions).clock(ims.clock)
                .sessionTickets(replicated).build();
        this.feed = replicated
                ? RevocationFeed.builder(ims.baseUrl(), id, imsKeys).clock(ims.clock).interval(revocationPoll).start()
                : null;
        TokenVerifier v = new TokenVerifier(ims.baseUrl(), id, sessions, imsKeys, ims.clock, Kx1.MAX_CLOCK_SKEW, feed);
        this.verifier = replicated ? v.withSessionTickets(key) : v;
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
        server.createContext("/whoami", ex -> {
            try (ex) {
                Answer a = call(Objects.requireNonNullElse(ex.getRequestHeaders().getFirst("Authorization"), "").replaceFirst("^Bearer ", ""));
                byte[] body = a.body().getBytes(StandardCharsets.UTF_8);
                ex.sendResponseHeaders(a.status(), body.length);
                ex.getResponseBody().write(body);
            }
        });
        server.start();
    }

    public String kxUrl() {
        return baseUrl() + "/imsm/kx";
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
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
        if (feed != null) {
            feed.close();
        }
        server.stop(0);
        executor.close();
    }
}
