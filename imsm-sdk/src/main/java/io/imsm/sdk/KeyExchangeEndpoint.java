package io.imsm.sdk;

import io.imsm.protocol.BearerHeader;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.util.JSONObjectUtils;
import io.imsm.protocol.Answer;
import io.imsm.protocol.EphemeralKeys;
import io.imsm.protocol.InMemoryReplayGuard;
import io.imsm.protocol.KeyDerivation;
import io.imsm.protocol.Kx1;
import io.imsm.protocol.KxException;
import io.imsm.protocol.KxSigner;
import io.imsm.protocol.KxVerifier;
import io.imsm.protocol.Offer;
import io.imsm.protocol.ProtocolException;
import io.imsm.protocol.ReplayGuard;
import io.imsm.protocol.Revocation;
import io.imsm.protocol.SessionKeys;
import io.imsm.protocol.SessionTicket;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * The service side of the KX1 key exchange (docs/protocol.md sections 3, 4, 6 and 8) as a plain
 * function from request to response, independent of any web framework. Mount it at the service's
 * {@code kx_url} (e.g. {@code /imsm/kx}) with an adapter such as {@link JdkHttpServerAdapter}:
 *
 * <ul>
 *   <li>{@code POST {kx_url}}, {@code Content-Type: application/jwt}, body: the offer. The offer is
 *       verified against the IMS key set (issuer pinned, {@code aud} = this service, ES256, replay
 *       guard; an unknown {@code kid} makes the key set refresh once), a fresh ephemeral key is
 *       generated, the session keys are derived and stored, and the answer, signed with the service's
 *       long-term key, is returned: {@code 200 application/jwt}.</li>
 *   <li>{@code DELETE {kx_url}/{sid}} with {@code Authorization: Bearer <revocation>}: the revocation
 *       is verified like an offer, the session revoked: {@code 204}, also when it was already gone.</li>
 * </ul>
 *
 * <p>Refusals are 4xx (503 when the IMS keys or the stores are unavailable) with a small JSON body
 * {@code {"error":"<code>","error_description":"<why>"}}; the codes are those of docs/protocol.md
 * section 10 plus {@code duplicate_sid}, {@code session_expired}, {@code unsupported_media_type},
 * {@code payload_too_large}, {@code missing_authorization}, {@code not_found},
 * {@code method_not_allowed}, {@code ims_keys_unavailable}, {@code session_store_full}. Nothing
 * secret is ever in a response or a log line.
 *
 * <p>Thread-safe.
 */
public final class KeyExchangeEndpoint {
    /** The largest request body read: the protocol's limit for a KX1 message. */
    public static final int MAX_BODY_BYTES = Kx1.MAX_MESSAGE_BYTES;
    public static final String APPLICATION_JWT = "application/jwt";

    private static final System.Logger LOG = System.getLogger(KeyExchangeEndpoint.class.getName());

    /**
     * A request to the endpoint.
     *
     * @param pathSuffix the path below the mount point: {@code ""} or {@code "/"} for the offer,
     *                   {@code "/{sid}"} for a revocation
     * @param headers    request headers (first value of each), looked up case-insensitively
     * @param body       the request body, at most {@link #MAX_BODY_BYTES} (an adapter reads one more
     *                   byte to detect a larger one)
     */
    public record Request(String method, String pathSuffix, Map<String, String> headers, byte[] body) {
        public Request {
            Objects.requireNonNull(method, "method");
            pathSuffix = pathSuffix == null ? "" : pathSuffix;
            TreeMap<String, String> h = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
            if (headers != null) {
                headers.forEach((k, v) -> {
                    if (k != null && v != null) {
                        h.put(k, v);
                    }
                });
            }
            headers = java.util.Collections.unmodifiableMap(h);
            body = body == null ? new byte[0] : body;
        }

        public String header(String name) { return headers.get(name); }
    }

    /** The response: status, headers to set ({@code Content-Type} among them when there is a body) and body. */
    public record Response(int status, Map<String, String> headers, byte[] body) {
        public Response {
            headers = Map.copyOf(headers);
            body = body == null ? new byte[0] : body;
        }

        public String bodyText() { return new String(body, StandardCharsets.UTF_8); }
    }

    private final String issuer;
    private final String serviceId;
    private final KxSigner signer;
    private final JwksSource imsKeys;
    private final SessionKeyStore sessions;
    private final ReplayGuard replayGuard;
    private final Clock clock;
    private final SecureRandom random;
    private final Duration maxSkew;
    /** Non-null when the service runs as several replicas: answers carry the sealed session. */
    private final SessionTicket.Key ticketKey;
    private volatile VerifierForSet verifierForSet;

    private KeyExchangeEndpoint(Builder b) {
        this.issuer = requireText(b.issuer, "issuer");
        this.serviceId = requireText(b.serviceId, "serviceId");
        this.imsKeys = Objects.requireNonNull(b.imsKeys, "imsKeys");
        this.sessions = Objects.requireNonNull(b.sessions, "sessions");
        this.clock = b.clock == null ? Clock.systemUTC() : b.clock;
        this.random = b.random == null ? new SecureRandom() : b.random;
        this.replayGuard = b.replayGuard == null ? new InMemoryReplayGuard(clock) : b.replayGuard;
        this.maxSkew = b.maxSkew == null ? Kx1.MAX_CLOCK_SKEW : b.maxSkew;
        ECKey key = Objects.requireNonNull(b.serviceKey, "serviceKey");
        if (!key.isPrivate() || !Curve.P_256.equals(key.getCurve()) || key.getKeyID() == null) {
            throw new IllegalArgumentException("the service key must be a private EC P-256 JWK with a kid");
        }
        this.signer = new KxSigner(key, random);
        this.ticketKey = b.sessionTickets ? SessionTicket.key(key) : null;
        // Fail at start, not at the first offer, on a bad skew.
        new KxVerifier(issuer, serviceId, new JWKSet(), clock, maxSkew, replayGuard);
    }

    /**
     * @param issuer     the IMS issuer (its base URL), pinned
     * @param serviceId  this service's id in the IMS catalog: the expected {@code aud}
     * @param serviceKey this service's long-term private ES256 JWK with a {@code kid}; its public part
     *                   is the key registered in the IMS catalog
     * @param imsKeys    the IMS key set, e.g. {@link RemoteJwks#forIssuer}
     * @param sessions   where the derived session keys go; the {@link TokenVerifier} reads them
     */
    public static Builder builder(String issuer, String serviceId, ECKey serviceKey, JwksSource imsKeys, SessionKeyStore sessions) {
        Builder b = new Builder();
        b.issuer = issuer;
        b.serviceId = serviceId;
        b.serviceKey = serviceKey;
        b.imsKeys = imsKeys;
        b.sessions = sessions;
        return b;
    }

    /** Optional settings; defaults: system clock, a new {@link SecureRandom}, an in-memory replay guard, 60 s skew. */
    public static final class Builder {
        private String issuer;
        private String serviceId;
        private ECKey serviceKey;
        private JwksSource imsKeys;
        private SessionKeyStore sessions;
        private Clock clock;
        private SecureRandom random;
        private ReplayGuard replayGuard;
        private Duration maxSkew;
        private boolean sessionTickets;

        private Builder() {}

        /**
         * For a service running as several replicas (docs/decisions/0016-service-replicas.md): every
         * answer carries the session sealed under the ticket key derived from the service key, the IMS
         * puts it into the session's tokens, and a {@link TokenVerifier} built with
         * the same service key ({@link TokenVerifier#withSessionTickets}) on any replica opens it. Off by default.
         */
        public Builder sessionTickets(boolean on) { this.sessionTickets = on; return this; }

        public Builder clock(Clock clock) { this.clock = Objects.requireNonNull(clock); return this; }

        public Builder random(SecureRandom random) { this.random = Objects.requireNonNull(random); return this; }

        /** A guard shared by all instances of the service makes replay protection hold across them. */
        public Builder replayGuard(ReplayGuard replayGuard) { this.replayGuard = Objects.requireNonNull(replayGuard); return this; }

        /** At most 60 s. */
        public Builder maxSkew(Duration maxSkew) { this.maxSkew = Objects.requireNonNull(maxSkew); return this; }

        public KeyExchangeEndpoint build() { return new KeyExchangeEndpoint(this); }
    }

    /** Shortcut for {@link #handle(Request)}. */
    public Response handle(String method, String pathSuffix, Map<String, String> headers, byte[] body) {
        return handle(new Request(method, pathSuffix, headers, body));
    }

    public Response handle(Request request) {
        Objects.requireNonNull(request, "request");
        String suffix = request.pathSuffix();
        boolean root = suffix.isEmpty() || suffix.equals("/");
        String method = request.method().toUpperCase(Locale.ROOT);
        if (root) {
            return method.equals("POST") ? offer(request) : methodNotAllowed("POST");
        }
        if (!suffix.startsWith("/") || suffix.indexOf('/', 1) >= 0) {
            return error(404, "not_found", "no such resource");
        }
        String sid = suffix.substring(1);
        if (!Kx1.isValidId(sid)) {
            return error(404, "not_found", "not a session id");
        }
        return method.equals("DELETE") ? revoke(request, sid) : methodNotAllowed("DELETE");
    }

    private Response offer(Request request) {
        String contentType = request.header("Content-Type");
        if (contentType == null || !mediaType(contentType).equals(APPLICATION_JWT)) {
            return error(415, "unsupported_media_type", "the offer must be sent as " + APPLICATION_JWT);
        }
        if (request.body().length > MAX_BODY_BYTES) {
            return error(413, "payload_too_large", "the offer is larger than " + MAX_BODY_BYTES + " bytes");
        }
        String jws = new String(request.body(), StandardCharsets.US_ASCII).strip();
        try {
            Offer offer = withKeys(keys -> verifier(keys).verifyOffer(jws));
            if (!offer.sessionExpiresAt().isAfter(clock.instant())) {
                return refused(400, "session_expired", "session_exp has passed", "offer");
            }
            // The ephemeral private key never leaves this block (KX1 section 5: erased right after the
            // derivation; a JWK is immutable, so "erased" means unreferenced). KeyDerivation zeroes Z and OKM.
            final SessionKeys keys;
            final ECKey ephemeralPublic;
            {
                ECKey ephemeral = EphemeralKeys.generate(random);
                keys = KeyDerivation.deriveForService(ephemeral, offer.epk(), offer.sid());
                ephemeralPublic = ephemeral.toPublicJWK();
            }
            boolean added = sessions.add(new SessionKeyStore.Session(offer.sid(), keys, offer.sessionExpiresAt(),
                    offer.subject(), offer.scope()));
            if (!added) {
                return refused(409, "duplicate_sid", "the session id is already known", "offer");
            }
            Answer answerClaims = Answer.to(offer, ephemeralPublic, clock);
            if (ticketKey != null) {
                answerClaims = answerClaims.withTicket(SessionTicket.seal(new SessionTicket.Contents(offer.sid(), keys,
                        offer.sessionExpiresAt(), offer.subject(), offer.scope()), ticketKey, random));
            }
            String answer = signer.sign(answerClaims);
            LOG.log(System.Logger.Level.DEBUG, "key exchange: session {0} for {1} until {2}",
                    offer.sid(), offer.subject(), offer.sessionExpiresAt());
            return new Response(200, Map.of("Content-Type", APPLICATION_JWT, "Cache-Control", "no-store"),
                    answer.getBytes(StandardCharsets.US_ASCII));
        } catch (KxException e) {
            return refused(e, "offer", false);
        } catch (JwksUnavailableException e) {
            return refused(503, "ims_keys_unavailable", "the IMS key set is not available", "offer");
        } catch (SessionKeyStore.FullException e) {
            return refused(503, "session_store_full", "too many live sessions", "offer");
        }
    }

    private Response revoke(Request request, String sid) {
        String authorization = request.header("Authorization");
        if (authorization == null || authorization.isBlank()) {
            return withChallenge(error(401, "missing_authorization", "a revocation must be sent as the Bearer token"), null);
        }
        String jws = BearerHeader.token(authorization);
        if (jws == null) {
            return withChallenge(error(401, "missing_authorization", "the Authorization scheme must be Bearer"), null);
        }
        try {
            Revocation revocation = withKeys(keys -> verifier(keys).verifyRevocation(jws));
            if (!revocation.sid().equals(sid)) {
                return refused(400, "sid_mismatch", "the revocation is for another session than the URL names", "revocation");
            }
            boolean wasLive = sessions.revoke(sid);
            LOG.log(System.Logger.Level.DEBUG, "session {0} revoked ({1})", sid, wasLive ? "was live" : "was already gone");
            return new Response(204, Map.of(), null);
        } catch (KxException e) {
            return refused(e, "revocation", true);
        } catch (JwksUnavailableException e) {
            return refused(503, "ims_keys_unavailable", "the IMS key set is not available", "revocation");
        }
    }

    /**
     * The verifier for this key set: built (its keys validated) once per set and kept while the source
     * hands out the same set, which is what {@link RemoteJwks} and {@link JwksSource#fixed} do between refreshes.
     */
    private KxVerifier verifier(JWKSet keys) {
        VerifierForSet current = verifierForSet;
        if (current != null && current.keys() == keys) {
            return current.verifier();
        }
        KxVerifier v = new KxVerifier(issuer, serviceId, keys, clock, maxSkew, replayGuard);
        verifierForSet = new VerifierForSet(keys, v);
        return v;
    }

    private record VerifierForSet(JWKSet keys, KxVerifier verifier) {}

    /**
     * Runs a verification with the current IMS keys and, when the {@code kid} is unknown (the IMS may
     * have rotated its key), once more with a refreshed set. The replay guard records a {@code jti}
     * only after a successful verification, so the retry cannot trip it.
     */
    private <T> T withKeys(Function<JWKSet, T> verification) {
        try {
            return verification.apply(imsKeys.keys());
        } catch (KxException e) {
            if (e.reason() != ProtocolException.Reason.UNKNOWN_KEY) {
                throw e;
            }
            JWKSet fresh = imsKeys.refresh().orElseThrow(() -> e);
            return verification.apply(fresh);
        }
    }

    private Response refused(KxException e, String what, boolean bearer) {
        int status = switch (e.reason()) {
            case REPLAYED -> 409;
            case REPLAY_CACHE_FULL -> 503;
            case UNKNOWN_KEY, BAD_SIGNATURE, WRONG_ISSUER, WRONG_AUDIENCE, EXPIRED, NOT_YET_VALID -> bearer ? 401 : 400;
            default -> 400;
        };
        String code = e.reason().code();
        String prefix = code + ": ";
        String description = e.getMessage().startsWith(prefix) ? e.getMessage().substring(prefix.length()) : e.getMessage();
        Response r = refused(status, code, description, what);
        return status == 401 ? withChallenge(r, code) : r;
    }

    private Response refused(int status, String code, String description, String what) {
        LOG.log(System.Logger.Level.WARNING, "{0} refused: {1}: {2}", what, code, description);
        return error(status, code, description);
    }

    private static Response error(int status, String code, String description) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("error", code);
        json.put("error_description", description);
        return new Response(status, Map.of("Content-Type", "application/json", "Cache-Control", "no-store"),
                JSONObjectUtils.toJSONString(json).getBytes(StandardCharsets.UTF_8));
    }

    private static Response methodNotAllowed(String allow) {
        Response r = error(405, "method_not_allowed", "use " + allow);
        Map<String, String> headers = new LinkedHashMap<>(r.headers());
        headers.put("Allow", allow);
        return new Response(405, headers, r.body());
    }

    /** RFC 6750 section 3 challenge for a refused revocation. */
    private static Response withChallenge(Response r, String code) {
        Map<String, String> headers = new LinkedHashMap<>(r.headers());
        headers.put("WWW-Authenticate", code == null ? "Bearer" : "Bearer error=\"invalid_token\", error_description=\"" + code + "\"");
        return new Response(r.status(), headers, r.body());
    }

    private static String mediaType(String contentType) {
        int semicolon = contentType.indexOf(';');
        return (semicolon < 0 ? contentType : contentType.substring(0, semicolon)).strip().toLowerCase(Locale.ROOT);
    }

    private static String requireText(String value, String name) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(name + " is required");
        }
        return value;
    }
}
