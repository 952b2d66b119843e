package io.imsm.sdk;

import io.imsm.testing.MutableClock;
import com.nimbusds.jose.jwk.JWKSet;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RemoteJwksTest {
    private static final Duration INTERVAL = Duration.ofSeconds(30);
    private final MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
    private final MockIms ims = MockIms.serve("svc", TestService.generate("svc-1").toPublicJWK(), clock);

    @AfterEach
    void stop() { ims.close(); }

    @Test
    void whenKeysAskedRepeatedly_thenFetchedOnceAndCached() {
        RemoteJwks jwks = RemoteJwks.forIssuer(ims.issuer(), clock, INTERVAL);

        JWKSet first = jwks.keys();
        jwks.keys();
        jwks.keys();

        assertThat(ims.jwksRequests()).isEqualTo(1);
        assertThat(first.getKeyByKeyId(ims.signingKey().getKeyID())).isNotNull();
        assertThat(first.getKeys()).allSatisfy(k -> assertThat(k.isPrivate()).isFalse());
        assertThat(jwks.uri()).isEqualTo(ims.jwksUri());
    }

    @Test
    void whenRefreshAskedOften_thenAtMostOneFetchPerInterval() {
        RemoteJwks jwks = RemoteJwks.forIssuer(ims.issuer(), clock, INTERVAL);
        jwks.keys();
        String rotated = ims.rotateKey();

        for (int i = 0; i < 10; i++) {
            assertThat(jwks.refresh()).isEmpty();
            clock.advance(Duration.ofSeconds(2));
        }
        assertThat(ims.jwksRequests()).isEqualTo(1);

        clock.advance(INTERVAL);
        assertThat(jwks.refresh()).hasValueSatisfying(set -> assertThat(set.getKeyByKeyId(rotated)).isNotNull());
        assertThat(jwks.refresh()).isEmpty();
        assertThat(ims.jwksRequests()).isEqualTo(2);
        assertThat(jwks.keys().getKeyByKeyId(rotated)).isNotNull();
    }

    @Test
    void whenCopyIsOld_thenFetchedAgain() {
        RemoteJwks jwks = new RemoteJwks(ims.jwksUri(), clock, INTERVAL, Duration.ofMinutes(10));
        jwks.keys();

        clock.advance(Duration.ofMinutes(10));
        jwks.keys();

        assertThat(ims.jwksRequests()).isEqualTo(2);
    }

    @Test
    void whenImsFailsOrSendsGarbage_thenUnavailable_andAnOldCopyIsKept() throws Exception {
        AtomicReference<String> answer = new AtomicReference<>("{\"keys\":[]}");
        AtomicInteger status = new AtomicInteger(200);
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/.well-known/jwks.json", ex -> {
            try (ex) {
                byte[] body = answer.get().getBytes(StandardCharsets.UTF_8);
                ex.sendResponseHeaders(status.get(), body.length);
                try (OutputStream out = ex.getResponseBody()) {
                    out.write(body);
                }
            }
        });
        server.start();
        try {
            String issuer = "http://127.0.0.1:" + server.getAddress().getPort();
            RemoteJwks jwks = new RemoteJwks(RemoteJwks.jwksUri(issuer), clock, INTERVAL, Duration.ofMinutes(10));

            status.set(500);
            assertThatThrownBy(jwks::keys).isInstanceOf(JwksUnavailableException.class).hasMessageContaining("500");
            // Rate-limited: no new attempt for the interval, still unavailable.
            assertThatThrownBy(jwks::keys).isInstanceOf(JwksUnavailableException.class);

            clock.advance(INTERVAL);
            status.set(200);
            answer.set("not json");
            assertThatThrownBy(jwks::keys).isInstanceOf(JwksUnavailableException.class).hasMessageContaining("JWK set");

            clock.advance(INTERVAL);
            answer.set(ims.jwks().toString());
            JWKSet good = jwks.keys();
            assertThat(good.getKeys()).hasSize(1);

            clock.advance(Duration.ofMinutes(11));
            status.set(503);
            assertThat(jwks.keys().getKeys()).isEqualTo(good.getKeys()); // stale copy rather than nothing
        } finally {
            server.stop(0);
        }
    }

    @Test
    void whenImsRedirectsOrSendsTooMuch_thenUnavailable() throws Exception {
        AtomicInteger status = new AtomicInteger(302);
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/.well-known/jwks.json", ex -> {
            try (ex) {
                byte[] body = ("{\"keys\":[],\"pad\":\"" + "x".repeat(RemoteJwks.MAX_DOCUMENT_BYTES) + "\"}")
                        .getBytes(StandardCharsets.UTF_8);
                ex.getResponseHeaders().set("Location", ims.jwksUri().toString());
                ex.sendResponseHeaders(status.get(), status.get() == 302 ? -1 : body.length);
                if (status.get() != 302) {
                    try (OutputStream out = ex.getResponseBody()) {
                        out.write(body);
                    }
                }
            }
        });
        server.start();
        try {
            RemoteJwks jwks = new RemoteJwks(RemoteJwks.jwksUri("http://127.0.0.1:" + server.getAddress().getPort()), clock,
                    INTERVAL, Duration.ofMinutes(10));
            assertThatThrownBy(jwks::keys).isInstanceOf(JwksUnavailableException.class).hasMessageContaining("302");
            assertThat(ims.jwksRequests()).isZero();

            clock.advance(INTERVAL);
            status.set(200);
            assertThatThrownBy(jwks::keys).isInstanceOf(JwksUnavailableException.class);
        } finally {
            server.stop(0);
        }
    }

    @Test
    void whenIssuerHasTrailingSlash_thenWellKnownPathBuiltOnce() {
        assertThat(RemoteJwks.jwksUri("https://ims.example/")).isEqualTo(URI.create("https://ims.example/.well-known/jwks.json"));
        assertThatThrownBy(() -> RemoteJwks.jwksUri("file:///etc")).isInstanceOf(IllegalArgumentException.class);
    }
}
