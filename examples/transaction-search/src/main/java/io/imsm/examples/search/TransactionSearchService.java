package io.imsm.examples.search;

import com.nimbusds.jose.jwk.ECKey;
import io.imsm.protocol.RequestTarget;
import io.imsm.sdk.AccessDeniedException;
import io.imsm.sdk.JavalinAdapter;
import io.imsm.sdk.JwksSource;
import io.imsm.sdk.KeyExchangeEndpoint;
import io.imsm.sdk.RequestGuard;
import io.imsm.sdk.SessionKeyStore;
import io.imsm.sdk.TokenVerifier;
import io.imsm.sdk.VerifiedToken;
import io.javalin.Javalin;
import io.javalin.http.Context;

import java.io.IOException;
import java.time.Clock;
import java.util.List;
import java.util.Map;

/**
 * A tiny protected service on the IMSM SDK: {@code GET /search?account=…} answers only with a valid
 * token that allows exactly this request; {@code /imsm/kx} is its key-exchange endpoint. It runs on
 * Javalin (Jetty), which answers a malformed request line with a plain 400 of its own (the JDK's
 * built-in server answered with the name of its parser's exception).
 */
public final class TransactionSearchService implements AutoCloseable {
    public static final String ID = "transaction-search";
    public static final String SCOPE = "search:read";
    private final Javalin server;
    private final TokenVerifier verifier;
    private final RequestGuard guard = RequestGuard.requiring(SCOPE);

    private final String host;

    private TransactionSearchService(String host, TokenVerifier verifier, KeyExchangeEndpoint kx) {
        this.host = host;
        this.verifier = verifier;
        this.server = Javalin.create(c -> {
            c.startup.showJavalinBanner = false;
            c.concurrency.useVirtualThreads = true;
            c.http.maxRequestSize = KeyExchangeEndpoint.MAX_BODY_BYTES;
            // Javalin's per-response copy buffer defaults to 32 KiB; answers here are a few hundred bytes.
            c.http.responseBufferSize = 4096;
            // Every GET: the router sees a decoded path, the guard the canonical raw one, and only the
            // canonical target decides which resource this is (so /%73earch is /search).
            c.routes.get("/*", this::search);
            JavalinAdapter.mount(c.routes, "/imsm/kx", kx);
        });
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
        TransactionSearchService service = new TransactionSearchService(host, verifier, kx);
        service.server.start(host, port);
        return service;
    }

    public String baseUrl() {
        return "http://" + host + ":" + server.port();
    }

    public String kxUrl() {
        return baseUrl() + "/imsm/kx";
    }

    private void search(Context ctx) {
        RequestTarget target;
        VerifiedToken token;
        try {
            // A malformed path or query is a 400 whoever asks; then the token, then the guard, which
            // matches the canonical raw path and the strictly decoded query (docs/protocol.md).
            target = JavalinAdapter.target(ctx);
            token = verifier.verifyAuthorization(ctx.header("Authorization"));
            guard.enforce(token, target);
        } catch (AccessDeniedException e) {
            if (e.wwwAuthenticate() != null) {
                ctx.header("WWW-Authenticate", e.wwwAuthenticate());
            }
            send(ctx, e.status(), "{\"error\":\"" + e.code() + "\"}");
            return;
        }
        if (!"/search".equals(target.path())) {
            send(ctx, 404, "{\"error\":\"not_found\"}");
            return;
        }
        List<String> account = target.query().getOrDefault("account", List.of());
        if (account.size() != 1 || !account.get(0).matches("[0-9]{1,20}")) {
            send(ctx, 400, "{\"error\":\"give one numeric account\"}");
            return;
        }
        String acct = account.get(0);
        // Demo data derived from the account number; a real service would query its store here.
        send(ctx, 200, "{\"account\":\"" + acct + "\",\"requested_by\":\"" + token.subject().replace("\"", "")
                + "\",\"transactions\":[{\"id\":\"t-" + acct + "-1\",\"amount\":\"42.00\",\"currency\":\"CHF\"},"
                + "{\"id\":\"t-" + acct + "-2\",\"amount\":\"-13.50\",\"currency\":\"CHF\"}]}");
    }

    private static void send(Context ctx, int status, String json) {
        ctx.status(status).header("Cache-Control", "no-store").contentType("application/json").result(json);
    }

    @Override
    public void close() {
        server.stop();
    }
}
