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
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
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
    void whenCopyIsOld_thenFetchedAgain() throws Exception {
        RemoteJwks jwks = new RemoteJwks(ims.jwksUri(), clock, INTERVAL, Duration.ofMinutes(10));
        jwks.keys();
        String rotated = ims.rotateKey();

        clock.advance(Duration.ofMinutes(10));
        jwks.keys(); // starts the fetch in the background

        awaitRequests(ims::jwksRequests, 2);
        // the request reaching the IMS comes before its answer is parsed and swapped in: wait for the copy
        awaitUntil(() -> jwks.keys().getKeyByKeyId(rotated) != null);
        assertThat(jwks.keys().getKeyByKeyId(rotated)).isNotNull();
    }

    @Test
    void whenCopyIsDueForRefresh_andTheImsHangs_thenRequestsAreAnsweredFromTheCopyAtOnce() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        AtomicBoolean hang = new AtomicBoolean();
        AtomicInteger requests = new AtomicInteger();
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(Executors.newCachedThreadPool());
        server.createContext("/.well-known/jwks.json", ex -> {
            try (ex) {
                requests.incrementAndGet();
                if (hang.get()) {
                    release.await(20, TimeUnit.SECONDS); // an IMS that accepts the connection and never answers in time
                }
                byte[] body = ims.jwks().toString().getBytes(StandardCharsets.UTF_8);
                ex.sendResponseHeaders(200, body.length);
                try (OutputStream out = ex.getResponseBody()) {
                    out.write(body);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        server.start();
        try (RemoteJwks jwks = new RemoteJwks(RemoteJwks.jwksUri("http://127.0.0.1:" + server.getAddress().getPort()), clock,
                INTERVAL, Duration.ofMinutes(10))) {
            JWKSet first = jwks.keys();
            hang.set(true);

            // in the refresh-ahead window, past maxAge, and hours into the outage: answered at once from the copy
            for (Duration step : List.of(Duration.ofSeconds(590), Duration.ofSeconds(20), Duration.ofMinutes(1), Duration.ofHours(5))) {
                clock.advance(step);
                long started = System.nanoTime();
                for (int i = 0; i < 20; i++) {
                    assertThat(jwks.keys().getKeys()).isEqualTo(first.getKeys());
                }
                assertThat(Duration.ofNanos(System.nanoTime() - started)).as("after " + step).isLessThan(Duration.ofSeconds(1));
            }
            awaitRequests(requests::get, 2);
            assertThat(requests.get()).as("background fetches spaced by the rate limit").isLessThanOrEqualTo(4);

            // beyond the outage tolerance the copy is not used any more: a request fetches (and waits) itself
            release.countDown();
            hang.set(false);
            clock.advance(RemoteJwks.DEFAULT_OUTAGE_TOLERANCE);
            server.stop(0);
            assertThatThrownBy(jwks::keys).isInstanceOf(JwksUnavailableException.class);
        } finally {
            release.countDown();
            server.stop(0);
            ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
        }
    }

    private static void awaitRequests(java.util.function.IntSupplier count, int atLeast) throws InterruptedException {
        awaitUntil(() -> count.getAsInt() >= atLeast);
        assertThat(count.getAsInt()).isGreaterThanOrEqualTo(atLeast);
    }

    /** Polls {@code done} for 10 s at most; the caller asserts what it waited for. */
    private static void awaitUntil(java.util.function.BooleanSupplier done) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!done.getAsBoolean() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
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
