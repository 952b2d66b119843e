package io.imsm.proxy;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import io.imsm.sdk.MockIms;

import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;

/**
 * The parts around a proxy started by {@code bench/http/proxy-overhead.sh}: the plain upstream, a
 * mock IMS serving its key set, the proxy's configuration, and once the proxy listens, a key
 * exchange through it and two hour-long tokens (a session token and an IMS-signed one) as files.
 * Runs until killed. Not a test: a main in the test tree because it uses {@link MockIms}.
 *
 * <pre>java -cp ... io.imsm.proxy.ProxyBenchFixture DIR PROXY_PORT</pre>
 */
public final class ProxyBenchFixture {
    private ProxyBenchFixture() {}

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int proxyPort = Integer.parseInt(args[1]);
        Files.createDirectories(dir);
        ECKey kxKey = new ECKeyGenerator(Curve.P_256).keyID("bench-kx").generate();
        Files.writeString(dir.resolve("kx-key.json"), kxKey.toJSONString());
        PlainUpstream upstream = new PlainUpstream();
        MockIms ims = MockIms.serve("bench", kxKey.toPublicJWK(), Clock.systemUTC());
        Files.writeString(dir.resolve("upstream.url"), upstream.url());
        Files.writeString(dir.resolve("proxy.yaml"), """
                listen: {host: 127.0.0.1, port: %d}
                admin: {host: 127.0.0.1, port: %d}
                upstream: {url: "%s"}
                imsm: {issuer: "%s"}
                service: {id: bench, kx_key_file: kx-key.json}
                routes:
                  - {prefix: /search, scopes: [search:read]}
                """.formatted(proxyPort, proxyPort + 1, upstream.url(), ims.issuer()));
        Files.writeString(dir.resolve("jwks-token"), ims.jwksToken("bench-user", "search:read").lifetime(Duration.ofHours(1)).mint());
        long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
        while (!listening(proxyPort)) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the proxy did not start within 5 minutes");
            }
            Thread.sleep(200);
        }
        MockIms.Session session = ims.exchange(URI.create("http://127.0.0.1:" + proxyPort + "/imsm/kx"), "bench-user", "search:read");
        Files.writeString(dir.resolve("session-token"), ims.token(session).lifetime(Duration.ofHours(1)).mint());
        System.out.println("fixture ready: upstream " + upstream.url() + ", IMS " + ims.issuer());
        Thread.currentThread().join();
    }

    private static boolean listening(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 200);
            return true;
        } catch (java.io.IOException e) {
            return false;
        }
    }
}
