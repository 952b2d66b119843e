package io.imsm.sdk;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.imsm.protocol.RevocationList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link Pollers}: one timer thread for many jobs, none of which can hold the others up, and the
 * feeds and the key set sharing it against a real HTTP server where one endpoint never answers.
 */
class PollersTest {
    final CountDownLatch release = new CountDownLatch(1);
    final Clock clock = Clock.systemUTC();
    HttpServer server;
    ExecutorService serverThreads;
    String issuer;
    ECKey imsKey;
    final AtomicInteger fastLists = new AtomicInteger();
    final AtomicInteger slowLists = new AtomicInteger();
    final AtomicInteger keySets = new AtomicInteger();

    @BeforeEach
    void start() throws Exception {
        imsKey = new ECKeyGenerator(Curve.P_256).keyID("ims-1").generate();
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        serverThreads = Executors.newCachedThreadPool();
        server.setExecutor(serverThreads);
        issuer = "http://127.0.0.1:" + server.getAddress().getPort();
        server.createContext("/.well-known/jwks.json", ex -> {
            keySets.incrementAndGet();
            send(ex, "application/json", new JWKSet(imsKey.toPublicJWK()).toString());
        });
        server.createContext("/api/v1/services/fast/revocations", ex -> {
            fastLists.incrementAndGet();
            send(ex, "application/jwt", RevocationList.create(issuer, "fast", List.of(), clock).sign(imsKey));
        });
        server.createContext("/api/v1/services/slow/revocations", ex -> {
            slowLists.incrementAndGet();
            try (ex) {
                release.await(30, TimeUnit.SECONDS); // accepts the connection, never answers in time
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        server.start();
    }

    @AfterEach
    void stop() {
        release.countDown();
        server.stop(0);
        serverThreads.shutdownNow();
    }

    static void send(HttpExchange ex, String type, String body) throws IOException {
        try (ex) {
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", type);
            ex.sendResponseHeaders(200, bytes.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    static long timerThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.isAlive() && t.getName().equals(Pollers.TIMER_THREAD)).count();
    }

    static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(condition.getAsBoolean()).as(what).isTrue();
    }

    @Test
    void whenOneJobHangs_thenTheOthersKeepTheirSchedule_andTheHangingOneNeverOverlapsItself() throws Exception {
        long before = timerThreads();
        AtomicInteger ticks = new AtomicInteger();
        AtomicInteger hangs = new AtomicInteger();
        try (Pollers pollers = Pollers.create()) {
            pollers.every("hang", Duration.ZERO, Duration.ofMillis(20), () -> {
                hangs.incrementAndGet();
                try {
                    release.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            pollers.every("tick", Duration.ZERO, Duration.ofMillis(20), ticks::incrementAndGet);
            pollers.every("tock", Duration.ZERO, Duration.ofMillis(20), ticks::incrementAndGet);
            await("ticks while one job hangs", () -> ticks.get() >= 40);
            assertThat(hangs.get()).as("a run under way is not started again").isEqualTo(1);
            assertThat(timerThreads()).as("one timer thread for all jobs").isEqualTo(before + 1);
        }
        await("the timer thread ends with the pollers", () -> timerThreads() == before);
    }

    @Test
    void whenAJobIsClosed_thenItRunsNoMore_andTheOthersGoOn() throws Exception {
        AtomicInteger closedRuns = new AtomicInteger();
        AtomicInteger otherRuns = new AtomicInteger();
        try (Pollers pollers = Pollers.create()) {
            Pollers.Job job = pollers.every("closed", Duration.ZERO, Duration.ofMillis(10), closedRuns::incrementAndGet);
            pollers.every("other", Duration.ZERO, Duration.ofMillis(10), otherRuns::incrementAndGet);
            await("the job ran", () -> closedRuns.get() >= 2);
            job.close();
            Thread.sleep(30);
            int runs = closedRuns.get();
            int others = otherRuns.get();
            await("the other job goes on", () -> otherRuns.get() >= others + 5);
            assertThat(closedRuns.get()).isEqualTo(runs);
        }
    }

    @Test
    void whenFeedsAndTheKeySetShareOnePollers_andOneListNeverAnswers_thenTheOtherListIsStillRefreshedOnTime() throws Exception {
        long before = timerThreads();
        try (Pollers pollers = Pollers.create();
             RemoteJwks keys = RemoteJwks.forIssuer(issuer, clock, Duration.ofSeconds(30), pollers);
             RevocationFeed fast = RevocationFeed.builder(issuer, "fast", keys).pollers(pollers).interval(Duration.ofMillis(100)).start();
             RevocationFeed slow = RevocationFeed.builder(issuer, "slow", keys).pollers(pollers).interval(Duration.ofMillis(100))
                     .timeout(Duration.ofMillis(1500)).start()) {
            assertThat(keySets.get()).as("the key set fetched through the shared client").isEqualTo(1);
            assertThat(fast.isCurrent()).isTrue();
            assertThat(slow.isCurrent()).isFalse();
            int start = fastLists.get();
            int slowStart = slowLists.get();
            long t0 = System.nanoTime();
            await("the answering list refreshed every 100 ms while the other hangs", () -> fastLists.get() >= start + 10);
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(4));
            assertThat(slowLists.get() - slowStart).as("the hanging list is asked again only after its deadline").isLessThanOrEqualTo(2);
            assertThat(timerThreads()).isEqualTo(before + 1);
            assertThat(Thread.getAllStackTraces().keySet()).extracting(Thread::getName)
                    .noneMatch(n -> n.equals("imsm-revocation-feed") || n.equals("imsm-jwks-refresh"));
        }
    }

    @Test
    void whenAFeedWithItsOwnPollersIsClosed_thenItsThreadEnds() throws Exception {
        long before = timerThreads();
        try (RemoteJwks keys = RemoteJwks.forIssuer(issuer)) {
            RevocationFeed feed = RevocationFeed.builder(issuer, "fast", keys).interval(Duration.ofMillis(50)).start();
            await("polling on its own", () -> fastLists.get() >= 3);
            assertThat(timerThreads()).isEqualTo(before + 1);
            feed.close();
            await("its thread ends", () -> timerThreads() == before);
        }
    }
}
