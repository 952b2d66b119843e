package io.imsm.examples.search;

import com.nimbusds.jose.jwk.ECKey;
import io.imsm.protocol.EphemeralKeys;
import io.imsm.sdk.RemoteJwks;
import io.imsm.server.ImsmException;
import io.imsm.server.access.ServiceDefinition;
import io.imsm.server.config.Config;
import io.imsm.server.config.ConfigLoader;
import io.imsm.server.app.ImsmServer;
import io.imsm.server.app.Wiring;
import io.imsm.server.identity.Caller;
import io.imsm.server.identity.Secrets;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;

/**
 * {@code ./imsm demo [--port N] [--data DIR]}: IMSM on its embedded default, the transaction-search
 * service next to it (registered in the catalog), and demo people whose credentials are printed and
 * written to {@code DIR/demo-users.json}.
 */
public final class DemoMain {
    public record DemoUser(String username, String password, String totpSecret, List<String> roles) {}

    public record Demo(ImsmServer ims, TransactionSearchService service, List<DemoUser> users) implements AutoCloseable {
        @Override public void close() {
            service.close();
            ims.close();
        }
    }

    /**
     * The demo's scope mapping (unless IMSM_SCOPES says otherwise): its people hold scopes at once, so
     * they can make API tokens on the Tokens page and pass an ingress that asks IMSM.
     */
    static final String DEMO_SCOPES = "{\"read:transactions\": [\"analyst\", \"ops\"], \"user:token\": [\"analyst\", \"ops\"], "
            + "\"admin:token\": [\"admin\"]}";

    public static void main(String[] args) throws Exception {
        Map<String, String> overrides = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--port" -> overrides.put("server.port", value(args, ++i));
                case "--data" -> overrides.put("data_dir", value(args, ++i));
                case "-h", "--help" -> {
                    System.out.println("usage: imsm demo [--port N] [--data DIR]");
                    return;
                }
                default -> {
                    System.err.println("imsm demo: unknown option " + args[i] + " (usage: imsm demo [--port N] [--data DIR])");
                    System.exit(2);
                }
            }
        }
        if (!System.getenv().containsKey("IMSM_SCOPES")) {
            overrides.put("scopes", DEMO_SCOPES);
        }
        Demo demo;
        try {
            Config cfg = ConfigLoader.load(Optional.empty(), System.getenv(), overrides);
            demo = start(cfg, Clock.systemUTC(), System.getenv(), System.out);
            demo.ims().ownProcess();
        } catch (ImsmException e) {
            System.err.println("imsm demo: " + e.getMessage());
            System.exit(2);
            return;
        }
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            demo.close();
            stop.countDown();
        }));
        stop.await();
    }

    /** Starts everything; used by main and by the tests. */
    public static Demo start(Config cfg, Clock clock, Map<String, String> env, PrintStream out) throws IOException {
        ImsmServer ims = ImsmServer.start(cfg, clock, env, out);
        try {
            Wiring wiring = ims.wiring();
            String issuer = ims.baseUrl();
            SecureRandom random = new SecureRandom();
            ECKey serviceKey = new ECKey.Builder(EphemeralKeys.generate(random)).keyID("transaction-search-1").build();
            TransactionSearchService service = TransactionSearchService.start(cfg.server().host(), 0, issuer, serviceKey,
                    RemoteJwks.forIssuer(issuer), clock);
            Caller setup = Caller.bootstrapToken("demo");
            wiring.catalog().put(setup, TransactionSearchService.ID, new ServiceDefinition(TransactionSearchService.ID,
                    "Transaction search", "Card transactions of one account (demo service)", service.baseUrl(), io.imsm.server.model.Binding.KX,
                    service.kxUrl(), serviceKey.toPublicJWK().toJSONObject(), List.of("analyst"),
                    List.of(TransactionSearchService.SCOPE), 300, 32400, List.of("justification"), true, List.of("justification")));
            List<DemoUser> users = new DemoPeople(wiring, new Secrets(random), clock).ensure(cfg.dataPath(), List.of(
                    new DemoPeople.Person("alice", "Alice Analyst", List.of("analyst")),
                    new DemoPeople.Person("oscar", "Oscar Operator", List.of("ops"))));
            Path file = cfg.dataPath().resolve(DemoPeople.FILE);
            out.println();
            out.println("IMSM demo is running");
            out.println("  IMSM:               " + issuer + "/login");
            out.println("  transaction-search: " + service.baseUrl() + "/search?account=12345 (needs a token)");
            out.println("  demo people (also in " + file + "):");
            for (DemoUser u : users) {
                out.println("    " + u.username() + "  password: " + u.password() + "  TOTP secret: " + u.totpSecret()
                        + "  roles: " + String.join(",", u.roles()));
            }
            out.println("  Add the TOTP secret to an authenticator app, or compute codes with oathtool --totp -b SECRET"
                    + " (Debian/Ubuntu package oathtool). Both stay the same when you restart on this data directory.");
            out.println();
            return new Demo(ims, service, users);
        } catch (IOException | RuntimeException e) {
            ims.close();
            throw e;
        }
    }

    private static String value(String[] args, int i) {
        if (i >= args.length) {
            System.err.println("imsm demo: " + args[i - 1] + " needs a value");
            System.exit(2);
        }
        return args[i];
    }
}
