package io.imsm.sdk;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import io.imsm.protocol.BearerHeader;
import io.imsm.protocol.CompactJws;
import io.imsm.protocol.Scopes;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jose.util.JSONObjectUtils;
import io.imsm.protocol.Kx1;
import io.imsm.protocol.ProtocolException;
import io.imsm.protocol.SessionTicket;
import io.imsm.protocol.SessionToken;
import io.imsm.protocol.SessionTokenVerifier;
import io.imsm.protocol.TokenException;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

import static io.imsm.sdk.AccessDeniedException.Failure.*;

/**
 * Verifies the bearer tokens a protected service receives (docs/protocol.md sections 7.3 and 9):
 *
 * <ul>
 *   <li>header {@code alg} HS256: a session token. Its {@code kid} must name a live session of the
 *       {@link SessionKeyStore} (unknown: {@code unknown_session}; revoked: {@code revoked}); the MAC,
 *       {@code iss}, {@code aud}, times and {@code sid} are checked and {@code enc} decrypted by
 *       {@link SessionTokenVerifier}. Beyond the protocol, the token may not claim another {@code sub},
 *       more scopes or a later {@code exp} than its session was established for
 *       ({@code session_mismatch});</li>
 *   <li>header {@code alg} ES256: a jwks-binding token, verified against the IMS key set (an unknown
 *       {@code kid} makes the set refresh once, rate-limited by the {@link JwksSource});</li>
 *   <li>anything else: {@code wrong_algorithm}.</li>
 * </ul>
 *
 * <p>The header only selects between these two verifiers; each pins its algorithm and its key type
 * (RFC 8725 section 3.1), so no token can make the service verify an HMAC with a public key. Either
 * binding can be switched off by passing {@code null} for its key source. Every refusal is an
 * {@link AccessDeniedException} with a distinct {@link AccessDeniedException.Failure}.
 *
 * <p>Immutable and thread-safe.
 */
public final class TokenVerifier {
    private final SessionTokenVerifier verifier;
    private final SessionKeyStore sessions;
    private final JwksSource imsKeys;
    private final Clock clock;
    private final Duration maxSkew;
    private final RevocationFeed revocations;
    /** Non-null: a session unknown here is taken from the token's {@code tkt} (docs/protocol.md section 14). */
    private final SessionTicket.Key ticketKey;
    /**
     * Verified ES256 tokens by their exact compact form, until their {@code exp} (+ skew). ECDSA
     * verification costs ~0.6 ms; a hit costs a map lookup and the time checks. Keyed by the exact
     * string, so a differently encoded variant of a token is simply verified in full. A Caffeine cache:
     * at most {@link #JWKS_CACHE_MAX} entries (when full, the least useful are evicted one by one,
     * never a full scan or a clear), each dropped when its token expires.
     */
    private final Cache<String, VerifiedToken> jwksCache;
    static final int JWKS_CACHE_MAX = 10_000;

    /** With a 60 s clock skew. */
    public TokenVerifier(String issuer, String serviceId, SessionKeyStore sessions, JwksSource imsKeys, Clock clock) {
        this(issuer, serviceId, sessions, imsKeys, clock, Kx1.MAX_CLOCK_SKEW);
    }

    /**
     * @param issuer    the IMS issuer, pinned
     * @param serviceId this service's id: the expected {@code aud}
     * @param sessions  the sessions the {@link KeyExchangeEndpoint} established; {@code null}: HS256
     *                  session tokens are refused
     * @param imsKeys   the IMS key set; {@code null}: ES256 jwks-binding tokens are refused
     * @param maxSkew   clock skew allowed on {@code exp}, {@code nbf}, {@code iat}; at most 60 s
     */
    public TokenVerifier(String issuer, String serviceId, SessionKeyStore sessions, JwksSource imsKeys, Clock clock,
                         Duration maxSkew) {
        this(issuer, serviceId, sessions, imsKeys, clock, maxSkew, null);
    }

    /**
     * As above, and refusing tokens on the IMS revocation list as {@code revoked}.
     *
     * @param revocations the feed of the IMS's signed revocation list for this service; required to
     *                    make revocation of {@code jwks}-binding tokens work, {@code null}: none
     */
    public TokenVerifier(String issuer, String serviceId, SessionKeyStore sessions, JwksSource imsKeys, Clock clock,
                         Duration maxSkew, RevocationFeed revocations) {
        this(issuer, serviceId, sessions, imsKeys, clock, maxSkew, revocations, null);
    }

    /**
     * This verifier, also accepting session tokens of sessions exchanged with another replica of the
     * service: their {@code tkt} claim is opened with the ticket key of {@code serviceKey} (the
     * service's long-term private key, the one its {@link KeyExchangeEndpoint} signs with) and the
     * session added to the {@link SessionKeyStore}. A session revoked here stays refused; revocations
     * made at another replica arrive through the {@link RevocationFeed}, which a replicated service
     * therefore needs (docs/decisions/0016-service-replicas.md).
     */
    public TokenVerifier withSessionTickets(ECKey serviceKey) {
        if (sessions == null) {
            throw new IllegalStateException("session tickets need a session key store");
        }
        return new TokenVerifier(verifier, sessions, imsKeys, clock, maxSkew, revocations, SessionTicket.key(serviceKey));
    }

    private TokenVerifier(SessionTokenVerifier verifier, SessionKeyStore sessions, JwksSource imsKeys, Clock clock,
                          Duration maxSkew, RevocationFeed revocations, SessionTicket.Key ticketKey) {
        this.verifier = verifier;
        this.sessions = sessions;
        this.imsKeys = imsKeys;
        this.clock = clock;
        this.maxSkew = maxSkew;
        this.jwksCache = newJwksCache();
        this.revocations = revocations;
        this.ticketKey = ticketKey;
    }

    private TokenVerifier(String issuer, String serviceId, SessionKeyStore sessions, JwksSource imsKeys, Clock clock,
                          Duration maxSkew, RevocationFeed revocations, SessionTicket.Key ticketKey) {
        if (sessions == null && imsKeys == null) {
            throw new IllegalArgumentException("a token verifier needs session keys, IMS keys or both");
        }
        this.verifier = new SessionTokenVerifier(issuer, serviceId, clock, maxSkew);
        this.sessions = sessions;
        this.imsKeys = imsKeys;
        this.clock = Objects.requireNonNull(clock, "clock");
        this.maxSkew = maxSkew;
        this.jwksCache = newJwksCache();
        this.revocations = revocations;
        this.ticketKey = ticketKey;
    }

    private Cache<String, VerifiedToken> newJwksCache() {
        return Caffeine.newBuilder().maximumSize(JWKS_CACHE_MAX)
                .expireAfter(Expiry.<String, VerifiedToken>creating((token, v) -> {
                    // Memory only: a hit is still checked against the injected clock before it is used.
                    Duration left = Duration.between(this.clock.instant(), v.expiresAt().plus(this.maxSkew));
                    return left.isNegative() ? Duration.ZERO : left;
                }))
                .build();
    }

    /** Tokens in the ES256 verification cache, after pending evictions ran (tests). */
    long cachedJwksTokens() {
        jwksCache.cleanUp();
        return jwksCache.estimatedSize();
    }

    /**
     * Verifies the value of an {@code Authorization} header ({@code Bearer <token>}, RFC 6750 section 2.1).
     *
     * @param authorization the header value; {@code null} when the request has none
     * @throws AccessDeniedException {@code missing_token} when there is no Bearer token, else as {@link #verify}
     */
    public VerifiedToken verifyAuthorization(String authorization) {
        String token = BearerHeader.token(authorization);
        if (token == null) {
            throw new AccessDeniedException(MISSING_TOKEN, "no Bearer token in the Authorization header");
        }
        return verify(token);
    }

    /**
     * Verifies a compact token received without a TLS client certificate: a certificate-bound token
     * is refused ({@code certificate_required}); see {@link #verify(String, java.security.cert.X509Certificate)}.
     *
     * @throws AccessDeniedException with the failure, never anything else for a bad token
     */
    public VerifiedToken verify(String token) {
        return verify(token, null);
    }

    /**
     * Verifies a compact token received on a request whose TLS client certificate is
     * {@code clientCertificate} ({@code null}: none): an IMSM-signed token bound to a certificate
     * ({@code cnf.x5t#S256}, RFC 8705 section 3) passes only with that certificate
     * ({@link CertificateBinding}). {@link JdkHttpServerAdapter#verify} and {@link JavalinAdapter#verify}
     * take the certificate from the request.
     *
     * @throws AccessDeniedException as {@link #verify(String)}, and {@code certificate_required},
     *                               {@code certificate_mismatch}, {@code unsupported_confirmation}
     */
    public VerifiedToken verify(String token, java.security.cert.X509Certificate clientCertificate) {
        CompactJws jws = parse(token);
        String alg = jws.algorithm();
        if (JWSAlgorithm.HS256.getName().equals(alg) && sessions != null) {
            return notRevoked(verifySession(jws));
        }
        if (JWSAlgorithm.ES256.getName().equals(alg) && imsKeys != null) {
            VerifiedToken verified = notRevoked(verifyJwks(jws));
            CertificateBinding.check(token, clientCertificate);
            return verified;
        }
        throw new AccessDeniedException(WRONG_ALGORITHM, "alg " + alg + " is not accepted by this service");
    }

    /**
     * The revocation list check (docs/protocol.md section 8.1), also for cached jwks tokens. A
     * session token whose revocation was pushed is already refused by the session store; the list is
     * its second path. Without a current list, jwks tokens are refused: they have no other path.
     */
    private VerifiedToken notRevoked(VerifiedToken t) {
        if (revocations == null) {
            return t;
        }
        if (revocations.isRevoked(t.sid(), t.jti())) {
            throw new AccessDeniedException(REVOKED, "the IMS revocation list names this token");
        }
        if (t.binding() == VerifiedToken.Binding.JWKS && !revocations.isCurrent()) {
            throw new AccessDeniedException(REVOCATIONS_UNAVAILABLE, "no current IMS revocation list");
        }
        return t;
    }

    private VerifiedToken verifySession(CompactJws token) {
        SessionKeyStore.Session[] session = new SessionKeyStore.Session[1];
        final SessionToken verified;
        try {
            verified = verifier.verify(token, sid -> {
                Optional<SessionKeyStore.Session> s = sessions.find(sid);
                if (s.isEmpty() && sessions.isRevoked(sid)) {
                    throw new TokenException(ProtocolException.Reason.REVOKED, "session " + sid + " was revoked");
                }
                if (s.isEmpty() && ticketKey != null) {
                    s = fromTicket(token.compact(), sid);
                }
                session[0] = s.orElse(null);
                return s.map(SessionKeyStore.Session::keys);
            });
        } catch (TokenException e) {
            throw AccessDeniedException.forSessionToken(e);
        }
        SessionKeyStore.Session s = session[0];
        Instant now = clock.instant();
        if (now.isAfter(s.sessionExpiresAt().plus(maxSkew))) {
            throw new AccessDeniedException(EXPIRED, "the session expired at " + s.sessionExpiresAt());
        }
        if (verified.expiresAt().isAfter(s.sessionExpiresAt())) {
            throw new AccessDeniedException(SESSION_MISMATCH, "exp is after the session's session_exp");
        }
        if (!verified.subject().equals(s.subject())) {
            throw new AccessDeniedException(SESSION_MISMATCH, "sub is not the session's subject");
        }
        if (!Scopes.containsAll(s.scope(), verified.scope())) {
            throw new AccessDeniedException(SESSION_MISMATCH, "scope exceeds the scopes granted to the session");
        }
        return new VerifiedToken(VerifiedToken.Binding.SESSION, verified);
    }

    /**
     * The session a token's {@code tkt} names, opened with the ticket key and kept in the store (when
     * it has room) so later tokens of the session cost a lookup. Opening proves the ticket was sealed
     * by this service; the token's MAC under the opened key is checked by the caller as for any session.
     */
    private Optional<SessionKeyStore.Session> fromTicket(String token, String sid) {
        int first = token.indexOf('.');
        int second = token.indexOf('.', first + 1);
        if (second < 0) {
            return Optional.empty();
        }
        final Object tkt;
        try {
            tkt = JSONObjectUtils.parse(new Base64URL(token.substring(first + 1, second)).decodeToString()).get("tkt");
        } catch (java.text.ParseException | RuntimeException e) {
            return Optional.empty(); // the verifier reports the malformed payload
        }
        if (!(tkt instanceof String ticket)) {
            return Optional.empty();
        }
        SessionTicket.Contents c = SessionTicket.open(ticket, sid, ticketKey);
        SessionKeyStore.Session session = new SessionKeyStore.Session(sid, c.keys(), c.sessionExpiresAt(), c.subject(), c.scope());
        try {
            sessions.add(session);
        } catch (SessionKeyStore.FullException | IllegalArgumentException e) {
            // full or expired: judged from the ticket alone this time
        }
        return Optional.of(session);
    }

    private VerifiedToken verifyJwks(CompactJws jws) {
        String token = jws.compact();
        VerifiedToken hit = jwksCache.getIfPresent(token);
        if (hit != null) {
            java.time.Instant now = clock.instant();
            if (now.isBefore(hit.expiresAt().plus(maxSkew))) {
                return hit;
            }
            jwksCache.invalidate(token); // expired: the full check below reports it as such
        }
        VerifiedToken verified = verifyJwksUncached(jws);
        jwksCache.put(token, verified);
        return verified;
    }

    private VerifiedToken verifyJwksUncached(CompactJws token) {
        try {
            try {
                return jwksToken(verifier.verifyEs256(token, imsKeys.keys()));
            } catch (TokenException e) {
                if (e.reason() != ProtocolException.Reason.UNKNOWN_KEY) {
                    throw e;
                }
                Optional<JWKSet> fresh = imsKeys.refresh();
                if (fresh.isEmpty()) {
                    throw e;
                }
                return jwksToken(verifier.verifyEs256(token, fresh.get()));
            }
        } catch (TokenException e) {
            throw AccessDeniedException.forJwksToken(e);
        } catch (JwksUnavailableException e) {
            throw new AccessDeniedException(KEYS_UNAVAILABLE, "the IMS key set is not available", e);
        }
    }

    private static VerifiedToken jwksToken(SessionToken t) { return new VerifiedToken(VerifiedToken.Binding.JWKS, t); }

    /**
     * The token split and its header parsed once ({@link CompactJws}: bounded, strict); the header
     * {@code alg} only chooses the verifier, which pins its algorithm and checks the header again.
     */
    private static CompactJws parse(String token) {
        try {
            return CompactJws.parse(token);
        } catch (TokenException e) {
            throw AccessDeniedException.forSessionToken(e); // always malformed here
        }
    }
}
