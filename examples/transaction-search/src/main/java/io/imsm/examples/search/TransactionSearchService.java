package io.imsm.examples.search;

import com.nimbusds.jose.jwk.ECKey;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.imsm.protocol.RequestTarget;
import io.imsm.sdk.AccessDeniedException;
import io.imsm.sdk.JdkHttpServerAdapter;
import io.imsm.sdk.JwksSource;
import io.imsm.sdk.KeyExchangeEndpoint;
import io.imsm.sdk.RequestGuard;
import io.imsm.sdk.SessionKeyStore;
import io.imsm.sdk.TokenVerifier;
import io.imsm.sdk.VerifiedToken;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;

/**
 * A tiny protected service on the IMSM SDK: {@code GET /search?account=…} answers only with a valid
 * token that allows exactly this request; {@code /imsm/kx} is its key-exchange endpoint.
 */
public final class TransactionSearchService implements AutoCloseable {
    public static final String ID = "transaction-search";
    public static final String SCOPE = "search:read";
    private final HttpServer server;
    private final TokenVerifier verifier;
    private final RequestGuard guard = RequestGuard.requiring(SCOPE);

    private TransactionSearchService(HttpServer server, TokenVerifier verifier) {
        this.server = server;
        this.verifier = verifier;
    }

    /**
     * @param issuer     the IMS issuer this service trusts (pinned)
     * @param serviceKey this service's long-term ES256 private JWK (with kid)
     * @param imsKeys    the IMS public keys (RemoteJwks in production, a fixed set in tests)
     */
    public static TransactionSearchService start(String host, int port, String issuer, ECKey serviceKey, JwksSource imsKeys,
                                                 Clock clock) throws IOException {
        return start(ID, host, port, issuer, serviceKey, imsKeys, clock);
    }

    /** The same service under another catalog id (tests run a second instance). */
    public static TransactionSearchService start(String serviceId, String host, int port, String issuer, ECKey serviceKey,
                                                 JwksSource imsKeys, Clock clock) throws IOException {
        SessionKeyStore sessions = new SessionKeyStore(clock);
        KeyExchangeEndpoint kx = KeyExchangeEndpoint.builder(issuer, serviceId, serviceKey, imsKeys, sessions).clock(clock).build();
        TokenVerifier verifier = new TokenVerifier(issuer, serviceId, sessions, imsKeys, clock);
        HttpServer server = HttpServer.create(new InetSocketAddress(host, port), 0);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        TransactionSearchService service = new TransactionSearchService(server, verifier);
        server.createContext("/imsm/kx", new JdkHttpServerAdapter(kx));
        server.createContext("/search", service::search);
        server.start();
        return service;
    }

    public String baseUrl() {
        return "http://" + server.getAddress().getHostString() + ":" + server.getAddress().getPort();
    }

    public String kxUrl() {
        return baseUrl() + "/imsm/kx";
    }

    private void search(HttpExchange ex) throws IOException {
        try (ex) {
            VerifiedToken token;
            RequestTarget target;
            try {
                token = verifier.verifyAuthorization(ex.getRequestHeaders().getFirst("Authorization"));
                // The guard takes the request itself: canonical raw path, strictly decoded query.
                target = guard.enforce(token, ex);
            } catch (AccessDeniedException e) {
                if (e.wwwAuthenticate() != null) {
                    ex.getResponseHeaders().set("WWW-Authenticate", e.wwwAuthenticate());
                }
                send(ex, e.status(), "{\"error\":\"" + e.code() + "\"}");
                return;
            }
            if (!"GET".equals(target.method()) || !"/search".equals(target.path())) {
                send(ex, 404, "{\"error\":\"not_found\"}");
                return;
            }
            Map<String, List<String>> query = target.query();
            List<String> account = query.getOrDefault("account", List.of());
            if (account.size() != 1 || !account.get(0).matches("[0-9]{1,20}")) {
                send(ex, 400, "{\"error\":\"give one numeric account\"}");
                return;
            }
            String acct = account.get(0);
            // Demo data derived from the account number; a real service would query its store here.
            send(ex, 200, "{\"account\":\"" + acct + "\",\"requested_by\":\"" + token.subject().replace("\"", "")
                    + "\",\"transactions\":[{\"id\":\"t-" + acct + "-1\",\"amount\":\"42.00\",\"currency\":\"CHF\"},"
                    + "{\"id\":\"t-" + acct + "-2\",\"amount\":\"-13.50\",\"currency\":\"CHF\"}]}");
        }
    }

    private static void send(HttpExchange ex, int status, String json) throws IOException {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.getResponseHeaders().set("Cache-Control", "no-store");
        ex.sendResponseHeaders(status, body.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
