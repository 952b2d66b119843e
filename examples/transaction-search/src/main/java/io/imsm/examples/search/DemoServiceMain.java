package io.imsm.examples.search;

import com.nimbusds.jose.jwk.ECKey;
import io.imsm.protocol.EphemeralKeys;
import io.imsm.sdk.RemoteJwks;

import java.security.SecureRandom;
import java.time.Clock;
import java.util.concurrent.CountDownLatch;

/**
 * The demo's transaction-search service on its own, in a JVM of its own, for an IMSM started apart
 * ({@code ./imsm serve}): {@code java -cp imsm-example-transaction-search-*.jar
 * io.imsm.examples.search.DemoServiceMain --issuer URL [--host H] [--port N]}. It makes a new service key
 * at every start and prints one line, {@code transaction-search <base URL> <kx URL> <public JWK>}, which
 * is what an admin registers in IMSM's catalog (bench/http/issue-load.sh does so with {@code BENCH_SPLIT=1},
 * to measure IMSM's memory without the service's sessions in the same heap).
 */
public final class DemoServiceMain {
    private DemoServiceMain() {}

    public static void main(String[] args) throws Exception {
        String issuer = null;
        String host = "127.0.0.1";
        int port = 0;
        for (int i = 0; i < args.length; i++) {
            String value = i + 1 < args.length ? args[i + 1] : null;
            switch (args[i]) {
                case "--issuer" -> issuer = value;
                case "--host" -> host = value;
                case "--port" -> port = value == null ? -1 : Integer.parseInt(value);
                default -> usage("unknown option " + args[i]);
            }
            i++;
            if (value == null) {
                usage(args[i - 1] + " needs a value");
            }
        }
        if (issuer == null) {
            usage("--issuer is required");
        }
        Clock clock = Clock.systemUTC();
        ECKey serviceKey = new ECKey.Builder(EphemeralKeys.generate(new SecureRandom())).keyID("transaction-search-1").build();
        TransactionSearchService service = TransactionSearchService.start(host, port, issuer, serviceKey,
                RemoteJwks.forIssuer(issuer), clock);
        System.out.println(TransactionSearchService.ID + " " + service.baseUrl() + " " + service.kxUrl() + " "
                + serviceKey.toPublicJWK().toJSONString());
        System.out.flush();
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            service.close();
            stop.countDown();
        }));
        stop.await();
    }

    private static void usage(String problem) {
        System.err.println("demo service: " + problem
                + " (usage: java -cp DEMO_JAR io.imsm.examples.search.DemoServiceMain --issuer URL [--host H] [--port N])");
        System.exit(2);
    }
}
