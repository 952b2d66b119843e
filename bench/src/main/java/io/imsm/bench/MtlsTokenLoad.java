package io.imsm.bench;

import io.imsm.server.pki.EnrollmentClient;
import io.imsm.server.pki.Pem;

import javax.net.ssl.SSLContext;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Load driver for certificate → JWT issuance (wrk cannot present client certificates easily): registers
 * a service through the bootstrap token, enrolls it with a join token, then N connections (one JDK
 * HttpClient each, HTTP/1.1 keep-alive, TLS 1.3 with the client certificate) post
 * {@code grant_type=client_credentials} to /oauth2/token for the given time; the same connections then
 * run GET /healthz for the same time as the baseline of the TLS and HTTP path alone. Prints requests/s
 * and latency percentiles of both. Loopback only; bounded in time.
 *
 * <pre>java -cp imsm-server.jar MtlsTokenLoad.java HTTP_URL HTTPS_URL BOOTSTRAP_TOKEN SECONDS CONNECTIONS</pre>
 */
public final class MtlsTokenLoad {
    public static void main(String[] args) throws Exception {
        URI http = URI.create(args[0]);
        URI https = URI.create(args[1]);
        String bootstrap = args[2];
        int seconds = Integer.parseInt(args[3]);
        int connections = Integer.parseInt(args[4]);
        HttpClient plain = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        send(plain, HttpRequest.newBuilder(http.resolve("/api/v1/admin/services/bench-svc")).header("Authorization", "Bearer " + bootstrap)
                .header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString("{\"id\":\"bench-svc\",\"name\":\"Bench\",\"binding\":\"jwks\",\"roles\":[\"ops\"],\"scopes\":[\"x\"]}"))
                .build(), 201);
        send(plain, HttpRequest.newBuilder(http.resolve("/api/v1/admin/services/bench-svc/identity")).header("Authorization", "Bearer " + bootstrap)
                .header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString("{\"roles\":[\"ledger-writer\"],\"audiences\":[\"ledger\"],\"claims\":{\"team\":\"bench\"}}"))
                .build(), 200);
        String join = send(plain, HttpRequest.newBuilder(http.resolve("/api/v1/admin/services/bench-svc/join-tokens"))
                .header("Authorization", "Bearer " + bootstrap).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), 201).replaceAll(".*\"join_token\":\"([^\"]+)\".*", "$1");
        List<X509Certificate> ca = Pem.certificates(send(plain, HttpRequest.newBuilder(http.resolve("/api/v1/ca")).build(), 200));
        EnrollmentClient.Credentials creds = new EnrollmentClient(new SecureRandom()).enroll(https, join, ca);
        SSLContext tls = EnrollmentClient.sslContext(ca, creds);

        HttpRequest token = HttpRequest.newBuilder(https.resolve("/oauth2/token")).header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("grant_type=client_credentials&client_id=bench-svc")).build();
        HttpRequest health = HttpRequest.newBuilder(https.resolve("/healthz")).GET().build();
        List<HttpClient> clients = new ArrayList<>();
        for (int i = 0; i < connections; i++) {
            clients.add(HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).sslContext(tls).connectTimeout(Duration.ofSeconds(5)).build());
        }
        run("warm-up POST /oauth2/token", clients, token, Math.max(3, seconds / 3));
        run("POST /oauth2/token (mTLS, ES256, cnf)", clients, token, seconds);
        run("GET /healthz (same mTLS connections)", clients, health, seconds);
    }

    private static String send(HttpClient c, HttpRequest r, int expected) throws Exception {
        HttpResponse<String> res = c.send(r, HttpResponse.BodyHandlers.ofString());
        if (res.statusCode() != expected) {
            throw new IllegalStateException(r.uri() + ": " + res.statusCode() + " " + res.body());
        }
        return res.body();
    }

    private static void run(String name, List<HttpClient> clients, HttpRequest req, int seconds) throws InterruptedException {
        long end = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
        AtomicLong errors = new AtomicLong();
        List<long[]> perThread = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        for (HttpClient c : clients) {
            long[] lat = new long[2_000_000];
            perThread.add(lat);
            Thread t = Thread.ofPlatform().start(() -> {
                int n = 0;
                while (System.nanoTime() < end && n < lat.length - 1) {
                    long t0 = System.nanoTime();
                    try {
                        HttpResponse<Void> res = c.send(req, HttpResponse.BodyHandlers.discarding());
                        if (res.statusCode() != 200) {
                            errors.incrementAndGet();
                        }
                    } catch (Exception e) {
                        errors.incrementAndGet();
                    }
                    lat[++n] = System.nanoTime() - t0;
                }
                lat[0] = n;
            });
            threads.add(t);
        }
        for (Thread t : threads) {
            t.join();
        }
        long total = perThread.stream().mapToLong(l -> l[0]).sum();
        long[] all = new long[(int) total];
        int i = 0;
        for (long[] l : perThread) {
            System.arraycopy(l, 1, all, i, (int) l[0]);
            i += (int) l[0];
        }
        Arrays.sort(all);
        System.out.printf("%-40s %d connections %ds: %.0f req/s, p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, errors %d%n", name, clients.size(),
                seconds, total / (double) seconds, pct(all, 50), pct(all, 90), pct(all, 99), errors.get());
    }

    private static double pct(long[] sorted, int p) {
        return sorted.length == 0 ? 0 : sorted[Math.min(sorted.length - 1, (int) (sorted.length * p / 100.0))] / 1e6;
    }
}
