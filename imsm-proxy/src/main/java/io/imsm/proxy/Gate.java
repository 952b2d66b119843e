package io.imsm.proxy;

import io.imsm.protocol.BearerHeader;
import io.imsm.protocol.RequestTarget;
import io.imsm.sdk.AccessDeniedException;
import io.imsm.sdk.CrlFeed;
import io.imsm.sdk.JwksSource;
import io.imsm.sdk.Pollers;
import io.imsm.sdk.RequestGuard;
import io.imsm.sdk.RevocationFeed;
import io.imsm.sdk.SessionKeyStore;
import io.imsm.sdk.TokenVerifier;
import io.imsm.sdk.VerifiedToken;

import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Decides a request: the SDK's {@link TokenVerifier} for the route's audience (offline: IMSM's key
 * set, the sessions the proxy's key exchange established, the revocation list), the SDK's
 * {@link RequestGuard} for the route's scopes and the token's {@code authorization_details}, and the
 * RFC 8705 certificate binding ({@code cnf.x5t#S256}) against the client certificate of the TLS
 * connection, whose serial must not be on IMSM's CRL. Thread-safe; the verifiers and feeds live as long as the proxy, across reloads.
 */
final class Gate implements AutoCloseable {
    /** A refusal, as RFC 6750 section 3 answers it. */
    record Refusal(int status, String code, String wwwAuthenticate) {}

    /** A request the gate let through: its token ({@code null} on a public route). */
    record Pass(VerifiedToken token) {}

    private final String issuer;
    private final String serviceId;
    private final JwksSource imsKeys;
    private final SessionKeyStore sessions;
    private final Clock clock;
    private final Duration skew;
    private final boolean revocationList;
    private final Map<String, TokenVerifier> verifiers = new ConcurrentHashMap<>();
    private final Map<String, RevocationFeed> feeds = new ConcurrentHashMap<>();
    private final Map<List<String>, RequestGuard> guards = new ConcurrentHashMap<>();
    /** IMSM's CRL for the client certificates of the listener; {@code null}: not checked. */
    private final CrlFeed crl;
    /** Where the revocation feeds poll: the proxy's one timer thread and client. */
    private final Pollers pollers;

    Gate(ProxyConfig.Imsm imsm, String serviceId, JwksSource imsKeys, SessionKeyStore sessions, Clock clock, CrlFeed crl,
         Pollers pollers) {
        this.crl = crl;
        this.pollers = pollers;
        this.issuer = imsm.issuer();
        this.serviceId = serviceId;
        this.imsKeys = imsKeys;
        this.sessions = sessions;
        this.clock = clock;
        this.skew = Duration.ofSeconds(imsm.clockSkewSeconds());
        this.revocationList = imsm.revocationList();
    }

    /** Makes the verifiers (and revocation feeds, which fetch once now) for every audience the routes name. */
    void prepare(List<ProxyConfig.Route> routes) {
        routes.stream().filter(r -> !r.isPublic()).forEach(r -> verifier(r.audience()));
    }

    private TokenVerifier verifier(String audience) {
        return verifiers.computeIfAbsent(audience, aud -> {
            RevocationFeed feed = revocationList ? feeds.computeIfAbsent(aud, a -> RevocationFeed.builder(issuer, a, imsKeys).clock(clock).pollers(pollers).start()) : null;
            // Session tokens only for the service whose key exchange the proxy runs.
            return new TokenVerifier(issuer, aud, aud.equals(serviceId) ? sessions : null, imsKeys, clock, skew, feed);
        });
    }

    /**
     * @param authorization the {@code Authorization} header, or {@code null}
     * @param cookieToken   the token from the configured cookie, or {@code null}
     * @param clientCert    the TLS client certificate, or {@code null}
     * @throws Refused when the request may not pass
     */
    Pass check(ProxyConfig.Route route, RequestTarget target, String authorization, String cookieToken, X509Certificate clientCert) {
        if (route.isPublic()) {
            return new Pass(null);
        }
        String token = authorization != null ? BearerHeader.token(authorization) : cookieToken;
        try {
            if (token == null) {
                throw new AccessDeniedException(AccessDeniedException.Failure.MISSING_TOKEN, "no Bearer token");
            }
            if (clientCert != null && crl != null) {
                checkNotRevoked(clientCert);
            }
            // RFC 8705 section 3: a cnf-bound token passes only with its certificate (the SDK's CertificateBinding)
            VerifiedToken verified = verifier(route.audience()).verify(token, clientCert);
            guards.computeIfAbsent(route.scopes(), s -> new RequestGuard(new LinkedHashSet<>(s))).enforce(verified, target);
            return new Pass(verified);
        } catch (AccessDeniedException e) {
            throw new Refused(new Refusal(e.status(), e.code(), e.wwwAuthenticate()));
        }
    }

    /**
     * A client certificate IMSM revoked is refused at once by its CRL ({@link CrlFeed}, refreshed every
     * {@code imsm.crl_refresh_seconds}); without a current list no certificate passes: a revoked one
     * must not get through because IMSM is unreachable.
     */
    private void checkNotRevoked(X509Certificate clientCert) {
        if (!crl.isCurrent()) {
            throw new Refused(new Refusal(503, "crl_unavailable", null));
        }
        if (crl.isRevoked(clientCert)) {
            throw new Refused(new Refusal(401, "certificate_revoked",
                    "Bearer error=\"invalid_token\", error_description=\"certificate_revoked\""));
        }
    }

    /** Whether the CRL is current; {@code null} when the proxy checks none. */
    Boolean crlCurrent() { return crl == null ? null : crl.isCurrent(); }

    /** The audiences verified so far and whether each one's revocation list is current (for /healthz). */
    Map<String, Boolean> revocationListsCurrent() {
        Map<String, Boolean> out = new java.util.TreeMap<>();
        feeds.forEach((aud, feed) -> out.put(aud, feed.isCurrent()));
        return out;
    }

    Set<String> audiences() { return Set.copyOf(verifiers.keySet()); }

    @Override
    public void close() {
        feeds.values().forEach(RevocationFeed::close);
        if (crl != null) {
            crl.close();
        }
    }

    /** The request is refused; carries the answer. */
    static final class Refused extends RuntimeException {
        final Refusal refusal;

        Refused(Refusal refusal) {
            super(refusal.code(), null, false, false);
            this.refusal = refusal;
        }
    }
}
