package io.imsm.proxy;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.imsm.protocol.RevocationList;
import io.imsm.sdk.Pollers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every poller of the proxy (IMSM's key set, the revocation lists, the CRL, the certificate renewer,
 * the configuration watch) on one timer thread and one client, against an IMSM stand-in where one
 * audience's revocation list never answers: the CRL and the configuration watch keep their schedule.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ProxyPollersTest {
    final CountDownLatch release = new CountDownLatch(1);
    final AtomicInteger crls = new AtomicInteger();
    final AtomicInteger hangingLists = new AtomicInteger();
    final AtomicInteger answeredLists = new AtomicInteger();
    final AtomicInteger keySets = new AtomicInteger();
    HttpServer imsm;
    ExecutorService imsmThreads;
    PlainUpstream upstream;
    ImsmProxy proxy;
    Path configFile;
    long timerThreadsBefore;
    Set<String> threadsBefore;

    @BeforeAll
    void start() throws Exception {
        Path dir = Files.createTempDirectory("imsm-proxy-pollers");
        TestPki pki = new TestPki();
        TestPki.Issued server = pki.server();
        TestPki.writeCertificate(dir.resolve("server.pem"), server.certificate(), pki.ca.certificate());
        TestPki.writeKey(dir.resolve("server-key.pem"), server.keys());
        TestPki.writeCertificate(dir.resolve("ca.pem"), pki.ca.certificate());
        TestPki.Issued own = pki.client("orders"); // the proxy's identity: valid a day, no renewal due
        Files.createDirectories(dir.resolve("creds"));
        TestPki.writeKey(dir.resolve("creds/key.pem"), own.keys());
        TestPki.writeCertificate(dir.resolve("creds/cert.pem"), own.certificate());
        TestPki.writeCertificate(dir.resolve("creds/chain.pem"), pki.ca.certificate());
        byte[] crl = pki.crl();
        ECKey imsKey = new ECKeyGenerator(Curve.P_256).keyID("ims-1").generate();

        imsm = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        imsmThreads = Executors.newCachedThreadPool();
        imsm.setExecutor(imsmThreads);
        String issuer = "http://127.0.0.1:" + imsm.getAddress().getPort();
        imsm.createContext("/.well-known/jwks.json", ex -> {
            keySets.incrementAndGet();
            send(ex, "application/json", new JWKSet(imsKey.toPublicJWK()).toString().getBytes(StandardCharsets.UTF_8));
        });
        imsm.createContext("/api/v1/ca/crl", ex -> {
            crls.incrementAndGet();
            send(ex, "application/pkix-crl", crl);
        });
        imsm.createContext("/api/v1/services/orders/revocations", ex -> {
            answeredLists.incrementAndGet();
            send(ex, "application/jwt", RevocationList.create(issuer, "orders", List.of(), Clock.systemUTC()).sign(imsKey)
                    .getBytes(StandardCharsets.US_ASCII));
        });
        imsm.createContext("/api/v1/services/stuck/revocations", ex -> {
            hangingLists.incrementAndGet();
            try (ex) {
                release.await(60, TimeUnit.SECONDS); // takes the request, never answers
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        imsm.start();
        upstream = new PlainUpstream();
        configFile = dir.resolve("proxy.yaml");
        Files.writeString(configFile, config(""));
        timerThreadsBefore = timerThreads();
        threadsBefore = threadNames();
        proxy = ImsmProxy.start(configFile, Clock.systemUTC());
    }

    String config(String extraRoute) {
        return """
                listen:
                  host: 127.0.0.1
                  port: 0
                  tls: {cert_file: server.pem, key_file: server-key.pem, client_ca_file: ca.pem}
                admin: {host: 127.0.0.1, port: 0}
                upstream: {url: "%s"}
                imsm: {issuer: "http://127.0.0.1:%d", revocation_list: true, crl_refresh_seconds: 1}
                service: {id: orders}
                identity: {dir: creds, imsm_url: "https://127.0.0.1:9", ca_file: ca.pem}
                routes:
                  - {prefix: /stuck, audience: stuck}
                  - {prefix: /, scopes: []}
                %s""".formatted(upstream.url(), imsm.getAddress().getPort(), extraRoute);
    }

    @AfterAll
    void stop() {
        release.countDown();
        if (proxy != null) {
            proxy.close();
        }
        upstream.close();
        imsm.stop(0);
        imsmThreads.shutdownNow();
    }

    static void send(HttpExchange ex, String type, byte[] body) throws IOException {
        try (ex) {
            ex.getResponseHeaders().set("Content-Type", type);
            ex.sendResponseHeaders(200, body.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body);
            }
        }
    }

    static long timerThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals(Pollers.TIMER_THREAD)).count();
    }

    static Set<String> threadNames() {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> !t.isVirtual()).map(Thread::getName).collect(Collectors.toSet());
    }

    static void await(String what, int seconds, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!condition.getAsBoolean() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(condition.getAsBoolean()).as(what).isTrue();
    }

    @Test
    void whenEveryPollerIsOn_thenTheyShareOneTimerThread_andNoneHasAThreadOfItsOwn() {
        assertThat(keySets.get()).as("the key set was fetched").isPositive();
        assertThat(answeredLists.get()).as("the revocation list was fetched").isPositive();
        assertThat(crls.get()).as("the CRL was fetched").isPositive();
        assertThat(proxy.identity().state()).isNotNull();
        assertThat(timerThreads()).as("one timer thread for all pollers").isEqualTo(timerThreadsBefore + 1);
        Set<String> added = threadNames();
        added.removeAll(threadsBefore);
        assertThat(added).as("platform threads the proxy added")
                .noneMatch(n -> n.startsWith("imsm-crl-feed") || n.startsWith("imsm-revocation-feed")
                        || n.startsWith("imsm-certificate-renewer") || n.startsWith("imsm-proxy-config-watch")
                        || n.startsWith("imsm-jwks-refresh") || n.matches("HttpClient-\\d+-Worker-\\d+"));
        assertThat(added.stream().filter(n -> n.matches("HttpClient-\\d+-SelectorManager")).count())
                .as("one client to IMSM, one to the upstream").isLessThanOrEqualTo(2);
    }

    @Test
    void whenOneRevocationListNeverAnswers_thenTheCrlAndTheConfigurationWatchKeepTheirSchedule() throws Exception {
        assertThat(hangingLists.get()).as("the stuck list was asked for").isPositive();
        int before = crls.get();
        long t0 = System.nanoTime();
        await("three CRL fetches a second apart while a list hangs", 10, () -> crls.get() >= before + 3);
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(6));

        Files.writeString(configFile, config("  - {prefix: /extra, audience: orders}"));
        Files.setLastModifiedTime(configFile, FileTime.from(Instant.now().plusSeconds(5)));
        await("the changed file is reloaded", 10, () -> proxy.config().routes().size() == 3);
    }
}
