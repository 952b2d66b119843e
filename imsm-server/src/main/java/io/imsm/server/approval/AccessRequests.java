package io.imsm.server.approval;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.imsm.server.ErrorCode;
import io.imsm.server.ImsmException;
import io.imsm.server.access.CatalogService;
import io.imsm.server.access.ServiceDefinition;
import io.imsm.server.audit.AuditLog;
import io.imsm.server.identity.Caller;
import io.imsm.server.json.Json;
import io.imsm.server.keys.KeyEncryptionKey;
import io.imsm.server.model.User;
import io.imsm.server.model.UserStatus;
import io.imsm.server.store.AccessRequestStore;
import io.imsm.server.store.Database;
import io.imsm.server.store.UserStore;
import io.imsm.server.token.TokenService;
import org.jdbi.v3.core.Handle;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Access requests: a token request for a service with an approval rule waits for approvers
 * (docs/approvals.md). States: {@code pending} → {@code approved} / {@code denied} / {@code expired}
 * / {@code cancelled}; every change is kept with who, when and the comment, and audited. After
 * approval the requester picks the token up within the pick-up window: the key exchange happens
 * then, so the token's lifetime starts at pick-up.
 */
public final class AccessRequests {
    public static final String PENDING = "pending";
    public static final String APPROVED = "approved";
    public static final String DENIED = "denied";
    public static final String EXPIRED = "expired";
    public static final String CANCELLED = "cancelled";
    /** The rule used when a decision hook asks for approval of a service that has none: one admin, the default windows. */
    public static final ServiceDefinition.Approval HOOK_DEFAULT = new ServiceDefinition.Approval(1, List.of("admin"),
            CatalogService.DEFAULT_REQUEST_EXPIRY, CatalogService.DEFAULT_PICKUP_WINDOW);
    static final int MAX_COMMENT = 1000;
    static final int MAX_LISTED = 200;

    private final Database db;
    private final AccessRequestStore store;
    private final UserStore users;
    private final CatalogService catalog;
    private final TokenService tokens;
    private final AuditLog audit;
    private final KeyEncryptionKey kek;
    private final Clock clock;
    private final SecureRandom random;

    public AccessRequests(Database db, AccessRequestStore store, UserStore users, CatalogService catalog, TokenService tokens,
                          AuditLog audit, KeyEncryptionKey kek, Clock clock, SecureRandom random) {
        this.db = Objects.requireNonNull(db);
        this.store = Objects.requireNonNull(store);
        this.users = Objects.requireNonNull(users);
        this.catalog = Objects.requireNonNull(catalog);
        this.tokens = Objects.requireNonNull(tokens);
        this.audit = Objects.requireNonNull(audit);
        this.kek = Objects.requireNonNull(kek);
        this.clock = Objects.requireNonNull(clock);
        this.random = Objects.requireNonNull(random);
    }

    /** What a token request led to: a token, or an access request waiting for approval. */
    public sealed interface Outcome permits Minted, Pending {}

    public record Minted(TokenService.Issued issued) implements Outcome {}

    public record Pending(RequestView request) implements Outcome {}

    /** One change of a request. */
    public record Change(String action, String by, Instant at, String comment) {}

    /**
     * A request as the requester and approvers see it. {@code fields} leaves out those the service
     * keeps confidential; {@code status} is {@code expired} once a pending request is past
     * {@code expires_at}, even before the periodic sweep records it.
     */
    public record RequestView(String requestId, String status, String serviceId, String serviceName, String requester,
                              Instant createdAt, Instant expiresAt, int approvalsNeeded, List<String> approverRoles, String manager,
                              List<Change> approvals, List<Change> history, Instant decidedAt, String decidedBy, String comment,
                              Instant pickupUntil, Instant pickedUpAt, String sid, Map<String, Object> asked) {}

    /**
     * The token API's and form's entry: a token at once for a service without an approval rule, else
     * a pending access request ({@code 202}).
     */
    public Outcome requestToken(Caller caller, String serviceId, TokenService.TokenRequest req) {
        ServiceDefinition svc = catalog.requestable(caller, serviceId);
        if (svc.approval() == null) {
            TokenService.Decided d = tokens.issueUnlessApprovalAsked(caller, svc, req);
            if (!d.approvalAsked()) {
                return new Minted(d.issued());
            }
            // checked and decided already: the hooks are not asked twice
            return new Pending(create(caller, svc, req, "a policy service asked for an approval"));
        }
        return new Pending(open(caller, svc.id(), req, null));
    }

    /**
     * Opens an access request for a token request, under the service's approval rule, or, for a
     * service without one, {@link #HOOK_DEFAULT} (a decision hook answered {@code require_approval}).
     * The request is checked as a token request would be (fields, scopes, lifetime, the service's
     * rules) and stored encrypted; {@code reason} (may be null) goes into its history.
     */
    public RequestView open(Caller caller, String serviceId, TokenService.TokenRequest req, String reason) {
        ServiceDefinition svc = catalog.requestable(caller, serviceId);
        tokens.checkAndDecide(caller, svc, req);
        return create(caller, svc, req, reason);
    }

    private RequestView create(Caller caller, ServiceDefinition svc, TokenService.TokenRequest req, String reason) {
        ServiceDefinition.Approval rule = svc.approval() != null ? svc.approval() : HOOK_DEFAULT;
        String manager = req.fields() == null ? null : blankToNull(req.fields().get("manager"));
        String id = HexFormat.of().formatHex(bytes(16));
        Instant now = clock.instant().truncatedTo(ChronoUnit.MICROS);
        String comment = reason == null ? null : fit(reason);
        db.inTransaction(h -> {
            String managerName = manager == null ? null : requireManager(h, caller, rule, manager);
            store.insert(h, new AccessRequestStore.Row(id, caller.user().id(), caller.user().username(), svc.id(),
                    kek.encrypt(write(req), context(id)), write(shown(svc, req)), PENDING, rule.approvals(), rule.approverRoles(),
                    managerName, rule.pickupWindowSeconds(), now, now.plusSeconds(rule.expiresAfterSeconds()), null, null, null, null, null,
                    null));
            store.addEvent(h, id, now, caller.actor(), "requested", comment);
            audit.record(h, caller.actor(), "access_request", svc.id(), caller.ip(), "ok", "request=" + id
                    + (managerName == null ? "" : " manager=" + managerName));
            return null;
        });
        return get(caller, id);
    }

    /** The named manager must be an active person other than the requester who holds an approver role. */
    private String requireManager(Handle h, Caller caller, ServiceDefinition.Approval rule, String manager) {
        User m = users.findByUsername(h, manager).filter(u -> u.status() == UserStatus.ACTIVE)
                .orElseThrow(() -> ImsmException.Invalid.inField("manager", "No active person named '" + manager + "'."));
        if (m.id().equals(caller.user().id())) {
            throw ImsmException.Invalid.inField(ErrorCode.SELF_APPROVAL, "manager", "Name someone else as the authorizing manager.");
        }
        if (rule.approverRoles().stream().noneMatch(m.roles()::contains)) {
            throw ImsmException.Invalid.inField(ErrorCode.NOT_AN_APPROVER, "manager", m.username()
                    + " cannot approve this request (approvers hold one of: " + String.join(", ", rule.approverRoles()) + ").");
        }
        return m.username();
    }

    public RequestView get(Caller caller, String id) {
        caller.requirePerson().requireReady();
        return db.read(h -> visible(h, caller, id).map(r -> view(h, r))
                .orElseThrow(() -> new ImsmException.NotFound("No access request " + id + " that you can see.")));
    }

    /** {@code requester}: the caller's own requests, newest first; {@code approver}: pending requests the caller may decide. */
    public List<RequestView> list(Caller caller, String role) {
        caller.requirePerson().requireReady();
        Instant now = clock.instant();
        return db.read(h -> switch (role == null ? "requester" : role) {
            case "requester" -> store.byUser(h, caller.user().id(), MAX_LISTED).stream().map(r -> view(h, r)).toList();
            case "approver" -> store.pending(h, now, 5 * MAX_LISTED).stream()
                    .filter(r -> !r.userId().equals(caller.user().id()) && approver(caller, r))
                    .limit(MAX_LISTED).map(r -> view(h, r)).toList();
            default -> throw ImsmException.Invalid.inField("role", "role must be approver or requester");
        });
    }

    public RequestView approve(Caller caller, String id, String comment) {
        return decide(caller, id, comment, true);
    }

    public RequestView deny(Caller caller, String id, String comment) {
        return decide(caller, id, comment, false);
    }

    private RequestView decide(Caller caller, String id, String comment, boolean approve) {
        caller.requirePerson().requireReady();
        String note = fit(comment);
        expireIfDue(id);
        db.inTransaction(h -> {
            AccessRequestStore.Row r = visibleLocked(h, caller, id);
            if (r.userId().equals(caller.user().id())) {
                throw new ImsmException.Forbidden(ErrorCode.SELF_APPROVAL, "You cannot approve or deny your own request.");
            }
            if (!approver(caller, r)) {
                throw new ImsmException.Forbidden(ErrorCode.NOT_AN_APPROVER, "Approvers of this request hold one of: "
                        + String.join(", ", r.approverRoles()) + ".");
            }
            requirePending(r);
            Instant now = clock.instant().truncatedTo(ChronoUnit.MICROS);
            String action = approve ? "approved" : "denied";
            List<AccessRequestStore.Event> history = store.events(h, id);
            if (history.stream().anyMatch(e -> e.action().equals("approved") && e.actor().equals(caller.actor()))) {
                throw new ImsmException.Conflict(ErrorCode.ALREADY_APPROVED, "You approved this request already; it needs "
                        + r.approvalsNeeded() + " different approvers.");
            }
            store.addEvent(h, id, now, caller.actor(), action, note);
            if (!approve) {
                store.decide(h, id, DENIED, now, caller.actor(), note, null);
                audit.record(h, caller.actor(), "access_deny", r.serviceId(), caller.ip(), "ok", "request=" + id + " requester=" + r.username());
                return null;
            }
            Set<String> approvers = new LinkedHashSet<>();
            history.stream().filter(e -> e.action().equals("approved")).forEach(e -> approvers.add(e.actor()));
            approvers.add(caller.actor());
            boolean enough = approvers.size() >= r.approvalsNeeded() && (r.manager() == null || approvers.contains(r.manager()));
            if (enough) {
                store.decide(h, id, APPROVED, now, caller.actor(), note, now.plusSeconds(r.pickupWindowSeconds()));
            }
            audit.record(h, caller.actor(), "access_approve", r.serviceId(), caller.ip(), "ok", "request=" + id + " requester=" + r.username()
                    + " approvals=" + approvers.size() + "/" + r.approvalsNeeded() + (enough ? " approved" : ""));
            return null;
        });
        return get(caller, id);
    }

    /** The requester withdraws a pending request, or an approved one not yet picked up. */
    public RequestView cancel(Caller caller, String id, String comment) {
        caller.requirePerson().requireReady();
        String note = fit(comment);
        expireIfDue(id);
        db.inTransaction(h -> {
            AccessRequestStore.Row r = visibleLocked(h, caller, id);
            if (!r.userId().equals(caller.user().id())) {
                throw new ImsmException.Forbidden("Only the person who asked can cancel a request.");
            }
            Instant now = clock.instant().truncatedTo(ChronoUnit.MICROS);
            boolean cancelled = r.status().equals(PENDING) ? store.decide(h, id, CANCELLED, now, caller.actor(), note, null)
                    : r.status().equals(APPROVED) && r.pickedUpAt() == null && store.cancelApproved(h, id);
            if (!cancelled) {
                throw stateError(r);
            }
            store.addEvent(h, id, now, caller.actor(), "cancelled", note);
            audit.record(h, caller.actor(), "access_cancel", r.serviceId(), caller.ip(), "ok", "request=" + id);
            return null;
        });
        return get(caller, id);
    }

    /**
     * The pick-up: the requester gets the token of an approved request, once, within the window. The
     * request is claimed first (so two pick-ups cannot both mint), released again if issuing fails.
     */
    public TokenService.Issued pickUp(Caller caller, String id) {
        caller.requirePerson().requireReady();
        expireIfDue(id);
        AccessRequestStore.Row r = db.inTransaction(h -> {
            AccessRequestStore.Row row = visibleLocked(h, caller, id);
            if (!row.userId().equals(caller.user().id())) {
                throw new ImsmException.Forbidden("Only the person who asked can pick the token up.");
            }
            if (!row.status().equals(APPROVED)) {
                throw row.status().equals(EXPIRED) ? stateError(row)
                        : new ImsmException.Conflict(ErrorCode.REQUEST_NOT_APPROVED, "This request is " + row.status() + ", not approved.");
            }
            if (row.pickedUpAt() != null) {
                throw new ImsmException.Conflict(ErrorCode.REQUEST_PICKED_UP, "The token of this request was picked up already.");
            }
            if (!clock.instant().isBefore(row.pickupUntil())) {
                throw new ImsmException.Conflict(ErrorCode.REQUEST_EXPIRED, "The pick-up window closed at " + row.pickupUntil()
                        + "; ask again.");
            }
            store.claimPickup(h, id, clock.instant());
            return row;
        });
        TokenService.TokenRequest req = read(kek.decrypt(r.requestEnc(), context(id)));
        TokenService.Issued issued;
        try {
            issued = tokens.issueApproved(caller, r.serviceId(), req);
        } catch (RuntimeException e) {
            db.inTransaction(h -> {
                store.releasePickup(h, id);
                return null;
            });
            throw e;
        }
        db.inTransaction(h -> {
            store.pickedUp(h, id, issued.sid());
            store.addEvent(h, id, clock.instant(), caller.actor(), "picked_up", null);
            audit.record(h, caller.actor(), "access_pickup", r.serviceId(), caller.ip(), "ok", "request=" + id + " sid=" + issued.sid());
            return null;
        });
        return issued;
    }

    /** Records the expiry of pending requests past their time (run periodically); returns how many. */
    public int expireDue() {
        int n = 0;
        for (String id : db.read(h -> store.expired(h, clock.instant(), 100))) {
            n += expireIfDue(id) ? 1 : 0;
        }
        return n;
    }

    private boolean expireIfDue(String id) {
        return db.inTransaction(h -> {
            AccessRequestStore.Row r = store.lock(h, id).orElse(null);
            Instant now = clock.instant().truncatedTo(ChronoUnit.MICROS);
            if (r == null || !r.status().equals(PENDING) || now.isBefore(r.expiresAt())) {
                return false;
            }
            store.decide(h, id, EXPIRED, now, "system", null, null);
            store.addEvent(h, id, now, "system", "expired", null);
            audit.record(h, "system", "access_expired", r.serviceId(), null, "ok", "request=" + id + " requester=" + r.username());
            return true;
        });
    }

    private static void requirePending(AccessRequestStore.Row r) {
        if (!r.status().equals(PENDING)) {
            throw stateError(r);
        }
    }

    private static ImsmException stateError(AccessRequestStore.Row r) {
        return r.status().equals(EXPIRED)
                ? new ImsmException.Conflict(ErrorCode.REQUEST_EXPIRED, "This request expired at " + r.expiresAt() + " without a decision; ask again.")
                : new ImsmException.Conflict(ErrorCode.REQUEST_NOT_PENDING, "This request is " + r.status() + " already.");
    }

    private java.util.Optional<AccessRequestStore.Row> visible(Handle h, Caller caller, String id) {
        if (id == null || id.length() > 32) {
            return java.util.Optional.empty();
        }
        return store.find(h, id).filter(r -> r.userId().equals(caller.user().id()) || approver(caller, r) || caller.isAdmin());
    }

    private AccessRequestStore.Row visibleLocked(Handle h, Caller caller, String id) {
        visible(h, caller, id).orElseThrow(() -> new ImsmException.NotFound("No access request " + id + " that you can see."));
        return store.lock(h, id).orElseThrow();
    }

    private static boolean approver(Caller caller, AccessRequestStore.Row r) {
        return r.approverRoles().stream().anyMatch(caller.user().roles()::contains);
    }

    private RequestView view(Handle h, AccessRequestStore.Row r) {
        List<Change> history = store.events(h, r.id()).stream().map(e -> new Change(e.action(), e.actor(), e.at(), e.comment())).toList();
        String status = r.status().equals(PENDING) && !clock.instant().isBefore(r.expiresAt()) ? EXPIRED : r.status();
        String name = catalog.find(h, r.serviceId()).map(ServiceDefinition::name).orElse(r.serviceId());
        return new RequestView(r.id(), status, r.serviceId(), name, r.username(), r.createdAt(), r.expiresAt(), r.approvalsNeeded(),
                r.approverRoles(), r.manager(), history.stream().filter(c -> c.action().equals("approved")).toList(), history,
                r.decidedAt(), r.decidedBy(), r.decisionComment(), r.pickupUntil(), r.pickedUpAt(), r.sid(), readShown(r.shown()));
    }

    /** What approvers see: the request without the fields the service keeps confidential. */
    private static Map<String, Object> shown(ServiceDefinition svc, TokenService.TokenRequest req) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("scopes", req.scopes() == null || req.scopes().isEmpty() ? svc.scopes() : req.scopes());
        out.put("ttl_seconds", req.ttlSeconds() == null ? svc.defaultTtlSeconds() : req.ttlSeconds());
        Map<String, String> fields = new LinkedHashMap<>();
        if (req.fields() != null) {
            req.fields().forEach((k, v) -> fields.put(k, svc.encryptedClaims().contains(k) ? "(confidential)" : v));
        }
        out.put("fields", fields);
        if (req.request() != null) {
            out.put("request", req.request());
        }
        return out;
    }

    private static String context(String id) {
        return AccessRequestStore.requestContext(id);
    }

    private byte[] bytes(int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }

    private static String fit(String comment) {
        if (comment == null || comment.isBlank()) {
            return null;
        }
        String c = comment.strip();
        if (c.length() > MAX_COMMENT || c.chars().anyMatch(ch -> Character.isISOControl(ch) && ch != '\n')) {
            throw ImsmException.Invalid.inField("comment", "comment is at most " + MAX_COMMENT + " characters without control characters");
        }
        return c;
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.strip();
    }

    private static String write(Object o) {
        try {
            return Json.mapper().writeValueAsString(o);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static TokenService.TokenRequest read(String json) {
        try {
            return Json.mapper().readValue(json, TokenService.TokenRequest.class);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stored access request unreadable", e);
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> readShown(String json) {
        try {
            return Json.mapper().readValue(json, Map.class);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stored access request unreadable", e);
        }
    }
}
