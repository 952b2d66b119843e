package io.imsm.sdk;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.util.JSONObjectUtils;
import com.sun.net.httpserver.HttpServer;
import io.imsm.protocol.Answer;
import io.imsm.protocol.EphemeralKeys;
import io.imsm.protocol.HttpAuthorizationDetail;
import io.imsm.protocol.InMemoryReplayGuard;
import io.imsm.protocol.JwkUtil;
import io.imsm.protocol.KeyDerivation;
import io.imsm.protocol.Kx1;
import io.imsm.protocol.KxSigner;
import io.imsm.protocol.KxVerifier;
import io.imsm.protocol.Offer;
import io.imsm.protocol.Revocation;
import io.imsm.protocol.SessionKeys;
import io.imsm.protocol.SessionToken;
import io.imsm.protocol.SessionTokens;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A stand-in IMS for a service's own tests: it runs real KX1 key exchanges against the service's
 * {@link KeyExchangeEndpoint} (in-process or over HTTP to its {@code kx_url}), mints session tokens
 * with the derived keys and jwks-binding tokens with its own ES256 key, and sends revocations. With
 * {@link #serve} it also publishes its key set at {@code {issuer}/.well-known/jwks.json} on
 * {@code 127.0.0.1}, so the service can use a real {@link RemoteJwks}.
 *
 * <pre>{@code
 * try (MockIms ims = MockIms.serve("transaction-search", serviceKey.toPublicJWK(), Clock.systemUTC())) {
 *     // build the service with issuer ims.issuer() and RemoteJwks.forIssuer(ims.issuer()) ...
 *     MockIms.Session s = ims.exchange(URI.create(base + "/imsm/kx"), "alice", "search:read");
 *     String token = ims.token(s).detail(new HttpAuthorizationDetail("GET", "/search")).mint();
 * }
 * }</pre>
 *
 * <p>For tests only: it keeps its private keys in memory and offers ways to forge tokens. Thread-safe.
 */
public final class MockIms implements AutoCloseable {
    /** The issuer of an in-process mock ({@link #create} without an issuer). */
    public static final String DEFAULT_ISSUER = "https://ims.mock.invalid";
    public static final Duration DEFAULT_SESSION_LIFETIME = Duration.ofHours(1);
    public static final Duration DEFAULT_TOKEN_LIFETIME = Duration.ofMinutes(5);
    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    /**
     * The IMS side of an established session: what the real IMS would use to mint the token.
     * Construct one by hand (e.g. with random keys) to test a session the service does not know.
     */
    public record Session(String sid, String subject, String scope, Instant sessionExpiresAt, SessionKeys keys) {
        public Session {
            Objects.requireNonNull(sid, "sid");
            Objects.requireNonNull(subject, "subject");
            Objects.requireNonNull(scope, "scope");
            Objects.requireNonNull(sessionExpiresAt, "sessionExpiresAt");
            Objects.requireNonNull(keys, "keys");
        }
    }

    /** A signed offer waiting for its answer; it holds the IMS ephemeral private key. */
    public static final class Offering {
        private final Offer offer;
        private final String jws;
        private final ECKey imsEphemeral;

        private Offering(Offer offer, String jws, ECKey imsEphemeral) {
            this.offer = offer;
            this.jws = jws;
            this.imsEphemeral = imsEphemeral;
        }

        /** The offer's claims. */
        public Offer offer() { return offer; }

        /** The compact JWS sent as the body of {@code POST {kx_url}}. */
        public String jws() { return jws; }

        @Override public String toString() { return "Offering[sid=" + offer.sid() + ", jti=" + offer.jti() + "]"; }
    }

    /** The service refused an exchange or a revocation. */
    public static final class ExchangeFailedException extends RuntimeException {
        private final int status;
        private final String error;

        ExchangeFailedException(String what, int status, String body) {
            super(what + " refused with " + status + ": " + body);
            this.status = status;
            this.error = errorCode(body);
        }

        /** The HTTP status of the service's answer. */
        public int status() { return status; }

        /** The {@code error} member of the JSON answer, or {@code null}. */
        public String error() { return error; }

        private static String errorCode(String body) {
            try {
                Object e = JSONObjectUtils.parse(body).get("error");
                return e instanceof String s ? s : null;
            } catch (ParseException | RuntimeException e) {
                return null;
            }
        }
    }

    private final String issuer;
    private final String serviceId;
    private final ECKey servicePublicKey;
    private final Clock clock;
    private final SecureRandom random = new SecureRandom();
    private final List<ECKey> keys = new CopyOnWriteArrayList<>();
    private volatile ECKey current;
    private final HttpServer server;
    private final AtomicInteger jwksRequests = new AtomicInteger();
    private volatile HttpClient http;

    private MockIms(String issuer, String serviceId, ECKey servicePublicKey, Clock clock, HttpServer server) {
        this.issuer = Objects.requireNonNull(issuer, "issuer");
        this.serviceId = Objects.requireNonNull(serviceId, "serviceId");
        this.servicePublicKey = JwkUtil.parseP256Public(Objects.requireNonNull(servicePublicKey, "servicePublicKey").toPublicJWK().toJSONString());
        this.clock = Objects.requireNonNull(clock, "clock");
        this.server = server;
        rotateKey();
    }

    /**
     * An in-process mock without HTTP server; the service uses {@link #jwksSource()}.
     *
     * @param servicePublicKey the service's long-term public key, as registered in a real IMS; answers
     *                         are verified with it
     */
    public static MockIms create(String issuer, String serviceId, ECKey servicePublicKey, Clock clock) {
        return new MockIms(issuer, serviceId, servicePublicKey, clock, null);
    }

    /** An in-process mock with issuer {@link #DEFAULT_ISSUER}. */
    public static MockIms create(String serviceId, ECKey servicePublicKey, Clock clock) {
        return create(DEFAULT_ISSUER, serviceId, servicePublicKey, clock);
    }

    /**
     * A mock that serves its key set over HTTP on 127.0.0.1 at a free port; its issuer is
     * {@code http://127.0.0.1:<port>}. Close it to stop the server.
     */
    public static MockIms serve(String serviceId, ECKey servicePublicKey, Clock clock) {
        final HttpServer server;
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the mock IMS", e);
        }
        String issuer = "http://" + server.getAddress().getAddress().getHostAddress() + ":" + server.getAddress().getPort();
        MockIms ims = new MockIms(issuer, serviceId, servicePublicKey, clock, server);
        server.createContext("/.well-known/jwks.json", exchange -> {
            try (exchange) {
                if (!"GET".equalsIgnoreCase(exchange.getRequestMethod())) {
                    exchange.sendResponseHeaders(405, -1);
                    return;
                }
                ims.jwksRequests.incrementAndGet();
                byte[] body = JSONObjectUtils.toJSONString(ims.jwks().toJSONObject(true)).getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().set("Content-Type", "application/json");
                exchange.sendResponseHeaders(200, body.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            }
        });
        server.start();
        return ims;
    }

    public String issuer() { return issuer; }

    public String serviceId() { return serviceId; }

    /** The public key set: every key this mock ever signed with. */
    public JWKSet jwks() { return JwkUtil.publicSet(List.copyOf(keys)); }

    /** A live view of {@link #jwks()} for an in-process service. */
    public JwksSource jwksSource() { return this::jwks; }

    /** Where {@link #serve} publishes the key set. */
    public URI jwksUri() {
        if (server == null) {
            throw new IllegalStateException("this mock IMS does not serve HTTP; use MockIms.serve");
        }
        return RemoteJwks.jwksUri(issuer);
    }

    /** How many times the key set was fetched over HTTP. */
    public int jwksRequests() { return jwksRequests.get(); }

    /** The current private signing key (to forge messages in tests). */
    public ECKey signingKey() { return current; }

    /**
     * Generates a new signing key and signs with it from now on; the old keys stay in the key set.
     *
     * @return the new key id
     */
    public String rotateKey() {
        try {
            ECKey key = new ECKeyGenerator(Curve.P_256).keyID("mock-" + Kx1.newId(random)).secureRandom(random).generate();
            keys.add(key);
            current = key;
            return key.getKeyID();
        } catch (JOSEException e) {
            throw new IllegalStateException("cannot generate a P-256 key", e);
        }
    }

    // ---- key exchange ----

    /** A fresh signed offer for a session of {@link #DEFAULT_SESSION_LIFETIME}. */
    public Offering offer(String subject, String scope) { return offer(subject, scope, DEFAULT_SESSION_LIFETIME); }

    public Offering offer(String subject, String scope, Duration sessionLifetime) {
        ECKey ephemeral = EphemeralKeys.generate(random);
        Offer offer = Offer.create(issuer, serviceId, subject, scope, clock.instant().plus(sessionLifetime), ephemeral, clock, random);
        return sign(offer, ephemeral);
    }

    /**
     * Signs hand-made offer claims (another audience, a reused {@code sid} ...) with the current key.
     *
     * @param imsEphemeral the private ephemeral key whose public part is {@code offer.epk()}
     */
    public Offering sign(Offer offer, ECKey imsEphemeral) {
        Objects.requireNonNull(offer, "offer");
        if (!Objects.requireNonNull(imsEphemeral, "imsEphemeral").isPrivate()
                || !imsEphemeral.toPublicJWK().getX().equals(offer.epk().getX())) {
            throw new IllegalArgumentException("imsEphemeral must be the private key of the offer's epk");
        }
        return new Offering(offer, new KxSigner(current, random).sign(offer), imsEphemeral);
    }

    /** A full exchange in-process: offer, answer, derivation. */
    public Session exchange(KeyExchangeEndpoint endpoint, String subject, String scope) {
        return exchange(endpoint, offer(subject, scope));
    }

    /** @throws ExchangeFailedException when the endpoint refuses the offer */
    public Session exchange(KeyExchangeEndpoint endpoint, Offering offering) {
        KeyExchangeEndpoint.Response r = endpoint.handle("POST", "", Map.of("Content-Type", KeyExchangeEndpoint.APPLICATION_JWT),
                offering.jws().getBytes(StandardCharsets.US_ASCII));
        if (r.status() != 200) {
            throw new ExchangeFailedException("offer", r.status(), r.bodyText());
        }
        return complete(offering, r.bodyText());
    }

    /** A full exchange over HTTP with the service's {@code kx_url}. */
    public Session exchange(URI kxUrl, String subject, String scope) {
        return exchange(kxUrl, offer(subject, scope));
    }

    /** @throws ExchangeFailedException when the service refuses the offer */
    public Session exchange(URI kxUrl, Offering offering) {
        HttpRequest request = HttpRequest.newBuilder(kxUrl).timeout(TIMEOUT)
                .header("Content-Type", KeyExchangeEndpoint.APPLICATION_JWT)
                .POST(HttpRequest.BodyPublishers.ofString(offering.jws(), StandardCharsets.US_ASCII)).build();
        HttpResponse<String> r = send(request);
        if (r.statusCode() != 200) {
            throw new ExchangeFailedException("offer", r.statusCode(), r.body());
        }
        String contentType = r.headers().firstValue("Content-Type").orElse("");
        if (!contentType.toLowerCase(java.util.Locale.ROOT).startsWith(KeyExchangeEndpoint.APPLICATION_JWT)) {
            throw new ExchangeFailedException("offer", r.statusCode(), "answer with Content-Type " + contentType);
        }
        return complete(offering, r.body());
    }

    /**
     * The IMS side of steps 2 and 3: verifies the service's answer with its registered key and derives
     * the session keys.
     *
     * @throws io.imsm.protocol.KxException when the answer is not acceptable
     */
    public Session complete(Offering offering, String answerJws) {
        Offer offer = offering.offer();
        KxVerifier verifier = new KxVerifier(serviceId, issuer, servicePublicKey, clock, Kx1.MAX_CLOCK_SKEW, new InMemoryReplayGuard(clock));
        Answer answer = verifier.verifyAnswer(answerJws.strip(), offer);
        SessionKeys keys = KeyDerivation.deriveForIms(offering.imsEphemeral, answer.epk(), offer.sid());
        return new Session(offer.sid(), offer.subject(), offer.scope(), offer.sessionExpiresAt(), keys);
    }

    // ---- revocation ----

    /** A signed revocation of {@code sid}, the bearer of {@code DELETE {kx_url}/{sid}}. */
    public String revocation(String sid) {
        return new KxSigner(current, random).sign(Revocation.create(issuer, serviceId, sid, clock, random));
    }

    /** @throws ExchangeFailedException unless the endpoint answers 204 */
    public void revoke(KeyExchangeEndpoint endpoint, String sid) {
        KeyExchangeEndpoint.Response r = endpoint.handle("DELETE", "/" + sid, Map.of("Authorization", "Bearer " + revocation(sid)), null);
        if (r.status() != 204) {
            throw new ExchangeFailedException("revocation", r.status(), r.bodyText());
        }
    }

    /** @throws ExchangeFailedException unless the service answers 204 */
    public void revoke(URI kxUrl, String sid) {
        String base = kxUrl.toString();
        URI target = URI.create((base.endsWith("/") ? base : base + "/") + sid);
        HttpRequest request = HttpRequest.newBuilder(target).timeout(TIMEOUT)
                .header("Authorization", "Bearer " + revocation(sid)).DELETE().build();
        HttpResponse<String> r = send(request);
        if (r.statusCode() != 204) {
            throw new ExchangeFailedException("revocation", r.statusCode(), r.body());
        }
    }

    // ---- tokens ----

    /** A session token (HS256 under the session's {@code mac_key}) of {@code session}. */
    public TokenBuilder token(Session session) {
        Objects.requireNonNull(session, "session");
        return new TokenBuilder(session, session.subject(), session.scope());
    }

    /** A jwks-binding token (ES256 by the current IMS key), without session. */
    public TokenBuilder jwksToken(String subject, String scope) {
        return new TokenBuilder(null, subject, scope);
    }

    /** Mints one token; every setter is optional. */
    public final class TokenBuilder {
        private final Session session;
        private String subject;
        private String scope;
        private String tokenIssuer = issuer;
        private String audience = serviceId;
        private Instant issuedAt;
        private Duration lifetime = DEFAULT_TOKEN_LIFETIME;
        private final List<HttpAuthorizationDetail> details = new ArrayList<>();
        private final Map<String, Object> confidential = new LinkedHashMap<>();

        private TokenBuilder(Session session, String subject, String scope) {
            this.session = session;
            this.subject = subject;
            this.scope = scope;
        }

        public TokenBuilder subject(String subject) { this.subject = subject; return this; }

        public TokenBuilder scope(String scope) { this.scope = scope; return this; }

        /** Default: the mock's issuer. */
        public TokenBuilder issuer(String issuer) { this.tokenIssuer = issuer; return this; }

        /** Default: the service id. */
        public TokenBuilder audience(String audience) { this.audience = audience; return this; }

        /** Default: now. */
        public TokenBuilder issuedAt(Instant issuedAt) { this.issuedAt = issuedAt; return this; }

        /** Default 5 minutes; a session token is cut at {@code session_exp}. */
        public TokenBuilder lifetime(Duration lifetime) { this.lifetime = lifetime; return this; }

        /** Limits the token to a request (RFC 9396); call again for more entries. */
        public TokenBuilder detail(HttpAuthorizationDetail detail) { details.add(Objects.requireNonNull(detail)); return this; }

        /** A claim carried encrypted in {@code enc} (session tokens only). */
        public TokenBuilder confidential(String name, Object value) { confidential.put(name, value); return this; }

        public String mint() {
            Instant iat = issuedAt == null ? clock.instant() : issuedAt;
            Instant exp = iat.plus(lifetime);
            if (session != null && exp.isAfter(session.sessionExpiresAt())) {
                exp = session.sessionExpiresAt();
            }
            SessionToken token = new SessionToken(tokenIssuer, subject, audience, iat, exp, Kx1.newId(random),
                    session == null ? null : session.sid(), scope, details, confidential);
            return session == null
                    ? SessionTokens.mintEs256(token, current, random)
                    : SessionTokens.mintHs256(token, session.sessionExpiresAt(), session.keys(), random);
        }
    }

    private HttpResponse<String> send(HttpRequest request) {
        HttpClient client = http;
        if (client == null) {
            client = HttpClient.newBuilder().connectTimeout(TIMEOUT).followRedirects(HttpClient.Redirect.NEVER).build();
            http = client;
        }
        try {
            return client.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot reach " + request.uri(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** Stops the HTTP server, if any, and the HTTP client. */
    @Override
    public void close() {
        if (server != null) {
            server.stop(0);
        }
        HttpClient client = http;
        if (client != null) {
            client.close();
        }
    }
}
