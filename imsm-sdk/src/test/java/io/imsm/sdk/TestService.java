package io.imsm.sdk;

import io.imsm.testing.MutableClock;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A protected service as a real one would embed the SDK: JDK HttpServer on 127.0.0.1:0 with the
 * key-exchange endpoint at /imsm/kx and a protected resource at /search (scope search:read), the IMS
 * keys fetched over HTTP from a {@link MockIms}, all on a hand-moved clock.
 */
final class TestService implements AutoCloseable {
    static final String SERVICE = "transaction-search";
    static final Duration JWKS_REFRESH_INTERVAL = Duration.ofSeconds(30);

    final MutableClock clock = new MutableClock(Instant.now());
    final ECKey serviceKey = generate("svc-1");
    final MockIms ims = MockIms.serve(SERVICE, serviceKey.toPublicJWK(), clock);
    final RemoteJwks jwks = RemoteJwks.forIssuer(ims.issuer(), clock, JWKS_REFRESH_INTERVAL);
    final SessionKeyStore sessions = new SessionKeyStore(clock);
    final KeyExchangeEndpoint endpoint = KeyExchangeEndpoint.builder(ims.issuer(), SERVICE, serviceKey, jwks, sessions)
            .clock(clock).build();
    final TokenVerifier verifier = new TokenVerifier(ims.issuer(), SERVICE, sessions, jwks, clock);
    final RequestGuard guard = RequestGuard.requiring("search:read");
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final HttpServer server;
    private final HttpClient http = HttpClient.newHttpClient();
    final URI base;
    final URI kxUrl;

    TestService() {
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.setExecutor(executor);
        server.createContext("/imsm/kx", new JdkHttpServerAdapter(endpoint));
        server.createContext("/search", exchange -> {
            try (exchange) {
                int status;
                String body;
                try {
                    VerifiedToken token = verifier.verifyAuthorization(exchange.getRequestHeaders().getFirst("Authorization"));
                    guard.enforce(token, exchange);
                    status = 200;
                    body = "hello " + token.subject() + " " + token.binding()
                            + (token.claims().containsKey("email") ? " " + token.claims().get("email") : "");
                } catch (AccessDeniedException e) {
                    status = e.status();
                    body = e.code();
                    if (e.wwwAuthenticate() != null) {
                        exchange.getResponseHeaders().set("WWW-Authenticate", e.wwwAuthenticate());
                    }
                }
                byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
                exchange.sendResponseHeaders(status, bytes.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(bytes);
                }
            }
        });
        server.start();
        base = URI.create("http://" + server.getAddress().getAddress().getHostAddress() + ":" + server.getAddress().getPort());
        kxUrl = base.resolve("/imsm/kx");
    }

    static ECKey generate(String kid) {
        try {
            return new ECKeyGenerator(Curve.P_256).keyID(kid).generate();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** GET on the protected resource with {@code Authorization: Bearer token} (none when null). */
    HttpResponse<String> get(String pathAndQuery, String token) {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(pathAndQuery)).timeout(Duration.ofSeconds(10)).GET();
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return send(b.build());
    }

    HttpResponse<String> send(HttpRequest request) {
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.close();
        http.close();
        ims.close();
    }
}
