package io.imsm.server.token;

import io.imsm.server.model.Binding;
import io.imsm.server.json.Json;
import com.fasterxml.jackson.core.JsonProcessingException;
import io.imsm.protocol.HttpAuthorizationDetail;
import io.imsm.protocol.Kx1;
import io.imsm.protocol.SessionToken;
import io.imsm.protocol.SessionTokens;
import io.imsm.server.ErrorCode;
import io.imsm.server.ImsmException;
import io.imsm.server.access.CatalogService;
import io.imsm.server.access.ServiceDefinition;
import io.imsm.server.audit.AuditLog;
import io.imsm.server.identity.Caller;
import io.imsm.server.model.User;
import io.imsm.server.keys.SigningKeys;
import io.imsm.server.kx.KeyExchangeClient;
import io.imsm.server.kx.KeyExchangeException;
import io.imsm.server.store.Database;
import io.imsm.server.store.TokenSessionStore;
import io.imsm.server.store.UserStore;
import org.jdbi.v3.core.Handle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * Issuing and revoking tokens for people. A token is minted once and handed back; only what listing
 * and revocation need (sid, jti, user, service, scope, expiry) is stored.
 */
public final class TokenService {
    private static final Set<String> METHODS = Set.of("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD");
    private static final String JUSTIFICATION = "justification";
    private static final Pattern PATH = Pattern.compile("/[A-Za-z0-9._~!$&'()*+,;=:@%/-]{0,1999}");
    private static final Logger LOG = LoggerFactory.getLogger(TokenService.class);
    /** token_sessions.scope (V13); 50 scopes of 64 characters fit. */
    static final int MAX_SCOPE_CHARS = 4000;
    /**
     * token_sessions.request, and about what fits in an Authorization header next to the rest of the
     * token (servers commonly refuse headers over 8 KiB).
     */
    static final int MAX_REQUEST_CHARS = 4000;
    /** A person's live tokens shown in one listing. */
    public static final int MAX_LISTED = 500;

    private final Database db;
    private final TokenSessionStore store;
    private final UserStore users;
    private final TokenRevocations revocations;
    private final IssuanceLimits limits;
    private final CatalogService catalog;
    private final KeyExchangeClient kx;
    private final SigningKeys signingKeys;
    private final AuditLog audit;
    private final Supplier<String> issuer;
    private final Clock clock;
    private final SecureRandom random;
    private final Runnable outboxKick;
    private final IssuePolicy policy;

    public TokenService(Database db, TokenSessionStore store, UserStore users, TokenRevocations revocations, IssuanceLimits limits,
                        CatalogService catalog, KeyExchangeClient kx, SigningKeys signingKeys,
                        AuditLog audit, Supplier<String> issuer, Clock clock, SecureRandom random, Runnable outboxKick,
                        IssuePolicy policy) {
        this.db = Objects.requireNonNull(db);
        this.store = Objects.requireNonNull(store);
        this.users = Objects.requireNonNull(users);
        this.revocations = Objects.requireNonNull(revocations);
        this.limits = Objects.requireNonNull(limits);
        this.catalog = Objects.requireNonNull(catalog);
        this.kx = Objects.requireNonNull(kx);
        this.signingKeys = Objects.requireNonNull(signingKeys);
        this.audit = Objects.requireNonNull(audit);
        this.issuer = Objects.requireNonNull(issuer);
        this.clock = Objects.requireNonNull(clock);
        this.random = Objects.requireNonNull(random);
        this.outboxKick = Objects.requireNonNull(outboxKick);
        this.policy = Objects.requireNonNull(policy);
    }

    /** The one exact request a token may be used for. */
    public record RequestLimit(String method, String path, Map<String, String> query) {}

    public record TokenRequest(List<String> scopes, Integer ttlSeconds, Map<String, String> fields, RequestLimit request) {}

    public record Issued(String token, String sid, Instant expiresAt, String scope, List<Map<String, Object>> authorizationDetails,
                         String serviceId, Binding binding, String baseUrl) {
        @Override public String toString() { return "Issued[sid=" + sid + ", service=" + serviceId + "]"; }
    }

    /**
     * Everything that can refuse the request (rules, sizes, the issuance limits) is checked before
     * the key exchange, so a refusal never leaves the service holding a session IMSM did not record;
     * should recording still fail after the exchange, the service is told to forget the session.
     */
    public Issued issue(Caller caller, String serviceId, TokenRequest req) {
        Decided d = issueUnlessApprovalAsked(caller, serviceId, req);
        if (d.approvalAsked()) {
            throw new ImsmException.Conflict(ErrorCode.APPROVAL_REQUIRED, "A policy service asks for an approval of this request: ask for access first.");
        }
        return d.issued();
    }

    /** A token, or (issued null) a decision hook answered {@code require_approval}: the request was checked and nothing minted. */
    public record Decided(Issued issued, boolean approvalAsked) {}

    /**
     * As {@link #issue}, except that a decision hook asking for an approval is an answer, not an
     * error: {@code approval.AccessRequests} then opens an access request for the same request.
     */
    public Decided issueUnlessApprovalAsked(Caller caller, String serviceId, TokenRequest req) {
        return issueUnlessApprovalAsked(caller, catalog.requestable(caller, serviceId), req);
    }

    /**
     * The same for a definition the caller just read with {@link CatalogService#requestable} (the
     * token API reads it once per request, not once per layer).
     */
    public Decided issueUnlessApprovalAsked(Caller caller, ServiceDefinition svc, TokenRequest req) {
        if (svc.approval() != null) {
            // the token API and form turn this into an access request (approval.AccessRequests)
            throw new ImsmException.Conflict(ErrorCode.APPROVAL_REQUIRED, svc.name() + " needs approval: ask for access first.");
        }
        Prepared p = prepare(caller, svc, req);
        IssuePolicy.Verdict verdict = decide(caller, svc, req, p);
        if (verdict.requireApproval()) {
            return new Decided(null, true);
        }
        return new Decided(mint(caller, svc, p.withTtl(verdict.ttlSeconds())), false);
    }

    /**
     * The decision hooks (docs/hooks.md), after the service's own rules: may refuse (403
     * denied_by_policy), shorten the lifetime or ask for an approval; not asked again at the pick-up
     * of an approved request ({@link #issueApproved}).
     */
    private IssuePolicy.Verdict decide(Caller caller, ServiceDefinition svc, TokenRequest req, Prepared p) {
        return policy.decide(new IssuePolicy.Question(caller, svc, List.of(p.scope().split(" ")), p.fields(), req.request(), p.ttl()));
    }

    /**
     * The pick-up of an approved access request: {@code approval.AccessRequests} has checked the
     * approval and the pick-up window and holds the request claimed; everything else (the caller's
     * roles, the request against the service's current definition, its rules, the limits) is checked
     * again now, and the key exchange happens now, so the token's lifetime starts at pick-up.
     */
    public Issued issueApproved(Caller caller, String serviceId, TokenRequest req) {
        ServiceDefinition svc = catalog.requestable(caller, serviceId);
        return mint(caller, svc, prepare(caller, svc, req));
    }

    /** Checks a request as {@link #issue} would (fields, scopes, lifetime, the service's rules), issuing nothing. */
    public void check(Caller caller, ServiceDefinition svc, TokenRequest req) {
        prepare(caller, svc, req);
    }

    /**
     * {@link #check}, then the decision hooks, before an access request is opened: a refusal stops
     * it; an approval asked for is what the request is about to get anyway.
     */
    public void checkAndDecide(Caller caller, ServiceDefinition svc, TokenRequest req) {
        decide(caller, svc, req, prepare(caller, svc, req));
    }

    /** A request checked against the service's definition and rules, ready to mint. */
    private record Prepared(String scope, int ttl, Map<String, String> fields, List<HttpAuthorizationDetail> details,
                            List<Map<String, Object>> detailsJson, String detailText, Map<String, Object> confidential) {
        Prepared withTtl(int shorter) {
            return new Prepared(scope, shorter, fields, details, detailsJson, detailText, confidential);
        }
    }

    private Prepared prepare(Caller caller, ServiceDefinition svc, TokenRequest req) {
        if (req == null) {
            throw new ImsmException.Invalid("body required");
        }
        String scope = scopes(svc, req.scopes());
        if (scope.length() > MAX_SCOPE_CHARS) {
            throw new ImsmException.Invalid("the scopes asked for are longer than " + MAX_SCOPE_CHARS + " characters together; ask for fewer");
        }
        int ttl = req.ttlSeconds() == null ? svc.defaultTtlSeconds() : req.ttlSeconds();
        if (ttl < CatalogService.MIN_TTL || ttl > svc.maxTtlSeconds()) {
            throw ImsmException.Invalid.inField("ttl_seconds", "ttl_seconds must be between " + CatalogService.MIN_TTL + " and " + svc.maxTtlSeconds()
                    + " for " + svc.name());
        }
        Map<String, String> fields = fields(svc, req.fields());
        List<HttpAuthorizationDetail> details = requestLimit(svc, req.request());
        List<Map<String, Object>> detailsJson = details.stream().map(HttpAuthorizationDetail::toJson).toList();
        String detailText = detailsJson.isEmpty() ? null : write(detailsJson);
        if (detailText != null && detailText.length() > MAX_REQUEST_CHARS) {
            throw new ImsmException.Invalid("request is too long: at most " + MAX_REQUEST_CHARS
                    + " characters as JSON (path and query together), since the token must fit in a request header");
        }
        catalog.enforceRules(svc, PolicyInputs.of(caller, svc, List.of(scope.split(" ")), fields, detailsJson, clock.instant()));
        return new Prepared(scope, ttl, fields, details, detailsJson, detailText, confidentialClaims(svc, caller.user(), fields));
    }

    private Issued mint(Caller caller, ServiceDefinition svc, Prepared p) {
        String scope = p.scope();
        int ttl = p.ttl();
        Map<String, String> fields = p.fields();
        List<HttpAuthorizationDetail> details = p.details();
        List<Map<String, Object>> detailsJson = p.detailsJson();
        String detailText = p.detailText();
        Map<String, Object> confidential = p.confidential();
        limits.take(caller.user().id(), svc.id());

        Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
        Instant exp = now.plusSeconds(ttl);
        String sub = caller.user().username();
        String jti = Kx1.newId(random);
        boolean kxBound = svc.binding() == Binding.KX;
        KeyExchangeClient.Exchanged ex = null;
        if (kxBound) {
            try {
                ex = kx.exchange(svc, sub, scope, exp);
            } catch (KeyExchangeException e) {
                // The details (address, port, status) go to admins only: shown to the requester they would
                // make IMSM a probe of whatever the catalog points at.
                String detail = e.getMessage().length() > 900 ? e.getMessage().substring(0, 900) + "..." : e.getMessage();
                audit.recordAlone(db, caller.actor(), "token_issue", svc.id(), caller.ip(), "failed", detail);
                throw new ImsmException.Unavailable(ErrorCode.KEY_EXCHANGE_FAILED, "No token: the service '" + svc.name()
                        + "' could not be reached or did not complete the key exchange. Try again later or tell its owners.", e);
            }
        }
        String sid = kxBound ? ex.sid() : Kx1.newId(random);
        try {
            String token = kxBound
                    ? SessionTokens.mintHs256(new SessionToken(issuer.get(), sub, svc.id(), now, exp, jti, sid, scope, details,
                            confidential), exp, ex.keys(), ex.ticket(), random)
                    : SessionTokens.mintEs256(new SessionToken(issuer.get(), sub, svc.id(), now, exp, jti, sid, scope, details, Map.of()),
                            signingKeys.activeKey(), random);
            // never a value the service wanted encrypted: the audit log is read by more people than the service
            String ticket = fields.containsKey("ticket_id") && !confidential.containsKey("ticket_id") ? " ticket=" + fields.get("ticket_id") : "";
            // Kept so the person can tell their live tokens apart; a service that wants it confidential
            // (encrypted_claims) gets it only inside the token, and IMSM keeps no copy.
            boolean justificationEncrypted = confidential.containsKey(JUSTIFICATION);
            String justification = justificationEncrypted ? null : fields.get(JUSTIFICATION);
            // Grouped with the tokens issued at the same moment: one commit and one audit-chain lock for all
            // of them, each token still answered only once its row and audit record are committed.
            audit.recordGrouped(h -> store.insert(h, new TokenSessionStore.Row(sid, jti, caller.user().id(), svc.id(), svc.binding(), scope,
                            detailText, now, exp, null, null, justification, justificationEncrypted)),
                    caller.actor(), "token_issue", svc.id(), caller.ip(), "ok", "sid=" + sid + " ttl=" + ttl + " scope=" + scope + ticket);
            return new Issued(token, sid, exp, scope, detailsJson, svc.id(), svc.binding(), svc.baseUrl());
        } catch (RuntimeException e) {
            if (kxBound) {
                abandon(svc, sid, e);
            }
            throw e;
        }
    }

    /**
     * The service holds a session IMSM failed to record: revoke it at once, or queue the revocation
     * if the service cannot be told now. Failures are attached to {@code cause}, which the caller throws.
     */
    private void abandon(ServiceDefinition svc, String sid, RuntimeException cause) {
        try {
            kx.revoke(svc, sid);
            return;
        } catch (io.imsm.server.kx.KeyExchangeException | RuntimeException e) {
            cause.addSuppressed(e);
        }
        try {
            db.inTransaction(h -> {
                store.enqueue(h, Outbox.REVOKE, svc.id(), sid, clock.instant());
                return null;
            });
            outboxKick.run();
        } catch (RuntimeException e) {
            cause.addSuppressed(e);
            LOG.atError().addKeyValue("service", svc.id()).addKeyValue("sid", sid)
                    .log("token session unrecorded and its revocation could not be sent or queued");
        }
    }

    /**
     * The claims the service wants encrypted: the person's attributes it names, and the form fields it
     * names that were filled in. An attribute the person does not have (no phone) is left out.
     */
    private static Map<String, Object> confidentialClaims(ServiceDefinition svc, User user, Map<String, String> fields) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (String claim : svc.encryptedClaims()) {
            Object value = switch (claim) {
                case ServiceDefinition.CLAIM_EMAIL -> user.email();
                case ServiceDefinition.CLAIM_NAME -> user.displayName();
                case ServiceDefinition.CLAIM_PHONE -> user.phone();
                case ServiceDefinition.CLAIM_ROLES -> List.copyOf(new TreeSet<>(user.roles()));
                default -> fields.get(claim);
            };
            if (value != null) {
                out.put(claim, value);
            }
        }
        return out;
    }

    /**
     * A live token session; {@code justification} is null when none was given or when the service
     * keeps it confidential ({@code justificationEncrypted}).
     */
    public record SessionView(String sid, String serviceId, Binding binding, String scope, Instant issuedAt, Instant expiresAt,
                              List<Object> authorizationDetails, String justification, boolean justificationEncrypted) {}

    public List<SessionView> live(Caller caller) {
        caller.requirePerson().requireReady();
        return db.read(h -> store.live(h, caller.user().id(), clock.instant(), MAX_LISTED)).stream().map(TokenService::view).toList();
    }

    /** Revokes a session: its owner or an admin. Services bound by kx are told through the outbox. */
    public void revoke(Caller caller, String sid) {
        caller.requireReady();
        db.inTransaction(h -> {
            TokenSessionStore.Row row = store.find(h, sid)
                    .filter(r -> caller.isAdmin() || (caller.user() != null && r.userId().equals(caller.user().id())))
                    .orElseThrow(() -> new ImsmException.NotFound("No such token session."));
            revocations.revoke(h, row, caller.actor());
            audit.record(h, caller.actor(), "token_revoke", row.serviceId(), caller.ip(), "ok", "sid=" + sid);
            return null;
        });
        revocations.deliverSoon();
    }

    /** An admin's view of a person's live tokens (the newest {@value #MAX_LISTED}). */
    public List<SessionView> liveOf(Caller caller, String userId) {
        caller.requireAdmin();
        return db.read(h -> {
            requireUser(h, userId);
            return store.live(h, userId, clock.instant(), MAX_LISTED);
        }).stream().map(TokenService::view).toList();
    }

    /** An admin revokes one of a person's tokens; 404 unless the session is that person's. */
    public void revokeOf(Caller caller, String userId, String sid) {
        caller.requireAdmin();
        db.inTransaction(h -> {
            String username = requireUser(h, userId).username();
            TokenSessionStore.Row row = store.find(h, sid).filter(r -> r.userId().equals(userId))
                    .orElseThrow(() -> new ImsmException.NotFound("No such token session for this user."));
            revocations.revoke(h, row, caller.actor());
            audit.record(h, caller.actor(), "token_revoke", row.serviceId(), caller.ip(), "ok", "sid=" + sid + " user=" + username);
            return null;
        });
        revocations.deliverSoon();
    }

    /** An admin revokes all of a person's live tokens; returns how many were revoked. */
    public int revokeAllOf(Caller caller, String userId) {
        caller.requireAdmin();
        int n = db.inTransaction(h -> {
            String username = requireUser(h, userId).username();
            int count = revocations.revokeAll(h, userId, caller.actor());
            audit.record(h, caller.actor(), "token_revoke_all", username, caller.ip(), "ok", "revoked=" + count);
            return count;
        });
        revocations.deliverSoon();
        return n;
    }

    private User requireUser(Handle h, String userId) {
        return users.findById(h, userId).orElseThrow(() -> new ImsmException.NotFound("No user with id " + userId));
    }

    /** Forgets token sessions that expired more than a day ago (services purge theirs at session_exp). */
    public int purgeExpired() {
        return db.inTransaction(h -> store.purgeExpired(h, clock.instant().minus(java.time.Duration.ofDays(1))));
    }

    private static SessionView view(TokenSessionStore.Row r) {
        List<Object> details = List.of();
        if (r.request() != null) {
            try {
                details = Json.mapper().readValue(r.request(), List.class);
            } catch (JsonProcessingException e) {
                throw new IllegalStateException(e);
            }
        }
        return new SessionView(r.sid(), r.serviceId(), r.binding(), r.scope(), r.issuedAt(), r.expiresAt(), details,
                r.justification(), r.justificationEncrypted());
    }

    private static String scopes(ServiceDefinition svc, List<String> asked) {
        if (asked == null || asked.isEmpty()) {
            return String.join(" ", svc.scopes());
        }
        Set<String> out = new LinkedHashSet<>();
        for (String s : asked) {
            if (!svc.scopes().contains(s)) {
                throw ImsmException.Invalid.inField("scopes", "scope '" + s + "' is not offered by " + svc.name() + " (offered: "
                        + String.join(", ", svc.scopes()) + ")");
            }
            out.add(s);
        }
        return String.join(" ", out);
    }

    private static Map<String, String> fields(ServiceDefinition svc, Map<String, String> given) {
        Map<String, String> in = given == null ? Map.of() : given;
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : in.entrySet()) {
            if (!svc.fields().contains(e.getKey()) || "request".equals(e.getKey())) {
                throw ImsmException.Invalid.inField(e.getKey(), "field '" + e.getKey() + "' is not asked for by " + svc.name());
            }
            String v = e.getValue() == null ? "" : e.getValue().strip();
            if (v.length() > 1000 || v.chars().anyMatch(c -> Character.isISOControl(c) && c != '\n')) {
                throw ImsmException.Invalid.inField(e.getKey(), "field '" + e.getKey() + "' must be at most 1000 characters without control characters");
            }
            if (!v.isEmpty()) {
                out.put(e.getKey(), v);
            }
        }
        for (String required : svc.fields()) {
            if (!"request".equals(required) && !out.containsKey(required)) {
                throw ImsmException.Invalid.inField(required, svc.name() + " asks for '" + required.replace('_', ' ') + "'; fill it in");
            }
        }
        return out;
    }

    private static List<HttpAuthorizationDetail> requestLimit(ServiceDefinition svc, RequestLimit r) {
        if (r == null || (blank(r.method()) && blank(r.path()))) {
            if (svc.fields().contains("request")) {
                throw ImsmException.Invalid.inField("request", svc.name() + " asks for the exact request (method and path) the token is for");
            }
            return List.of();
        }
        if (!svc.allowRequestLimit()) {
            throw ImsmException.Invalid.inField("request", svc.name() + " does not take tokens limited to one request");
        }
        String method = r.method() == null ? "" : r.method().trim().toUpperCase(Locale.ROOT);
        if (!METHODS.contains(method)) {
            throw ImsmException.Invalid.inField("request.method", "request.method must be one of " + String.join(", ", METHODS.stream().sorted().toList()));
        }
        if (r.path() == null || !PATH.matcher(r.path()).matches() || r.path().contains("?")) {
            throw ImsmException.Invalid.inField("request.path", "request.path must start with '/' and hold only URL path characters (no query string; use request.query)");
        }
        Map<String, String> query = r.query() == null ? Map.of() : r.query();
        if (query.size() > 50) {
            throw ImsmException.Invalid.inField("request.query", "request.query may hold at most 50 parameters");
        }
        for (Map.Entry<String, String> e : query.entrySet()) {
            if (blank(e.getKey()) || e.getKey().length() > 100 || e.getValue() == null || e.getValue().length() > 1000) {
                throw ImsmException.Invalid.inField("request.query", "request.query: names of 1-100 characters, values of at most 1000");
            }
        }
        try {
            // The entry holds the canonical path (docs/protocol.md section 7.1); dot segments are refused.
            return new ArrayList<>(List.of(new HttpAuthorizationDetail(method, r.path(), new LinkedHashMap<>(query))));
        } catch (IllegalArgumentException e) {
            throw ImsmException.Invalid.inField("request.path", "request.path: " + e.getMessage());
        }
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }

    private static String write(Object o) {
        try {
            return Json.mapper().writeValueAsString(o);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
