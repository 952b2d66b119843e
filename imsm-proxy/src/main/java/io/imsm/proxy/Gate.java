package io.imsm.proxy;

import com.nimbusds.jwt.SignedJWT;
import io.imsm.protocol.BearerHeader;
import io.imsm.protocol.ConstantTime;
import io.imsm.protocol.RequestTarget;
import io.imsm.sdk.AccessDeniedException;
import io.imsm.sdk.JwksSource;
import io.imsm.sdk.RequestGuard;
import io.imsm.sdk.RevocationFeed;
import io.imsm.sdk.SessionKeyStore;
import io.imsm.sdk.TokenVerifier;
import io.imsm.sdk.VerifiedToken;

import java.security.cert.X509Certificate;
import java.text.ParseException;
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
 * connection. Thread-safe; the verifiers and feeds live as long as the proxy, across reloads.
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

    Gate(ProxyConfig.Imsm imsm, String serviceId, JwksSource imsKeys, SessionKeyStore sessions, Clock clock) {
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
            RevocationFeed feed = revocationList ? feeds.computeIfAbsent(aud, a -> RevocationFeed.builder(issuer, a, imsKeys).clock(clock).start()) : null;
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
            VerifiedToken verified = verifier(route.audience()).verify(token);
            checkCertificateBinding(token, clientCert);
            guards.computeIfAbsent(route.scopes(), s -> new RequestGuard(new LinkedHashSet<>(s))).enforce(verified, target);
            return new Pass(verified);
        } catch (AccessDeniedException e) {
            throw new Refused(new Refusal(e.status(), e.code(), e.wwwAuthenticate()));
        }
    }

    /**
     * RFC 8705 section 3: a token with {@code cnf.x5t#S256} is valid only on a TLS connection whose
     * client certificate has that thumbprint. The token's signature is already verified, so its claims
     * are read from the same text.
     */
    private static void checkCertificateBinding(String token, X509Certificate clientCert) {
        final Object cnf;
        try {
            cnf = SignedJWT.parse(token).getJWTClaimsSet().getClaim("cnf");
        } catch (ParseException e) {
            throw certificateRefusal("malformed");
        }
        if (cnf == null) {
            return;
        }
        if (!(cnf instanceof Map<?, ?> confirmation) || !(confirmation.get("x5t#S256") instanceof String expected)) {
            // A confirmation method this proxy cannot check (e.g. DPoP's jkt) must not be ignored.
            throw certificateRefusal("unsupported_confirmation");
        }
        if (clientCert == null) {
            throw certificateRefusal("certificate_required");
        }
        if (!ConstantTime.equals(expected, TlsContext.thumbprint(clientCert))) {
            throw certificateRefusal("certificate_mismatch");
        }
    }

    /** 401 {@code invalid_token} (RFC 8705 section 3: the binding fails like any invalid token), the code as description. */
    private static Refused certificateRefusal(String code) {
        return new Refused(new Refusal(401, code, "Bearer error=\"invalid_token\", error_description=\"" + code + "\""));
    }

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
