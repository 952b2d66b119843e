package io.imsm.server.events;

import io.imsm.server.model.AuditEvent;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The events hooks can subscribe to (docs/hooks.md), and how an audited change becomes one. Every
 * event is an audited change, so the event is written in the change's transaction with its audit
 * row. The data is built from an allow-list of fields (who, whom, which service, session id, scope,
 * lifetime) and never from the audit detail as a whole: no token, password, second-factor secret or
 * form field ever reaches a hook.
 */
public final class EventTypes {
    public static final String LOGIN_SUCCEEDED = "login.succeeded";
    public static final String LOGIN_FAILED = "login.failed";
    public static final String ACCOUNT_LOCKED = "account.locked";
    public static final String MFA_ENROLLED = "mfa.enrolled";
    public static final String MFA_REMOVED = "mfa.removed";
    public static final String ACCESS_REQUESTED = "access.requested";
    public static final String ACCESS_APPROVED = "access.approved";
    public static final String ACCESS_DENIED = "access.denied";
    public static final String ACCESS_EXPIRED = "access.expired";
    public static final String TOKEN_ISSUED = "token.issued";
    public static final String TOKEN_REVOKED = "token.revoked";
    public static final String KEY_ROTATED = "key.rotated";
    public static final String USER_CREATED = "user.created";
    public static final String USER_CHANGED = "user.changed";

    /** Every event name, in the order docs/hooks.md lists them. */
    public static final List<String> ALL = List.of(LOGIN_SUCCEEDED, LOGIN_FAILED, ACCOUNT_LOCKED, MFA_ENROLLED, MFA_REMOVED,
            ACCESS_REQUESTED, ACCESS_APPROVED, ACCESS_DENIED, ACCESS_EXPIRED, TOKEN_ISSUED, TOKEN_REVOKED, KEY_ROTATED,
            USER_CREATED, USER_CHANGED);

    /** Audit actions that change a person, and the name of the change in {@code data.change}. */
    private static final Map<String, String> USER_CHANGES = Map.of(
            "user_roles", "roles", "user_status", "status", "user_profile", "profile", "phone_change", "phone",
            "user_unlock", "unlocked", "user_password_reset", "password_reset", "password_change", "password",
            "invite_accepted", "invite_accepted", "user_invite", "invited");
    /** Detail keys that may be copied into data (none holds a secret: see AuditEvent). */
    private static final Pattern DETAIL_FIELD = Pattern.compile("(?:^|\\s)(sid|ttl|revoked|user|request|requester|retired)=(\\S+)");

    /** The scope is last but for an optional ticket (TokenService) and holds spaces. */
    private static final Pattern DETAIL_SCOPE = Pattern.compile("(?:^|\\s)scope=(.*?)(?: ticket=\\S*)?$");

    /** An event ready to be written: its name and data. */
    public record Event(String type, Map<String, Object> data) {}

    private EventTypes() {}

    /** The event an audited change raises, if any. */
    public static Optional<Event> of(AuditEvent a) {
        String type = type(a);
        if (type == null) {
            return Optional.empty();
        }
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("actor", a.actor());
        // the target is a service for these; for token_revoke_all (all of a person's tokens) it is the person
        boolean aboutService = (type.startsWith("token.") || type.startsWith("access.")) && !a.action().equals("token_revoke_all");
        if (a.target() != null) {
            data.put(aboutService ? "service" : type.equals(KEY_ROTATED) ? "active_kid" : "user", a.target());
        }
        if (aboutService) {
            data.put("user", a.actor()); // replaced by the detail's user= when an admin acted for someone
        }
        if (type.startsWith("access.")) {
            // the request's state after the change: the same word as the API's status
            data.put("status", switch (type) {
                case ACCESS_REQUESTED -> "pending";
                case ACCESS_APPROVED -> "approved";
                case ACCESS_DENIED -> "denied";
                default -> "expired";
            });
        }
        if (type.equals(USER_CHANGED)) {
            data.put("change", USER_CHANGES.get(a.action()));
        }
        if (type.equals(LOGIN_FAILED)) {
            data.put("reason", a.outcome());
        }
        if (a.detail() != null) {
            Matcher m = DETAIL_FIELD.matcher(a.detail());
            while (m.find()) {
                switch (m.group(1)) {
                    case "ttl" -> data.put("ttl_seconds", Long.parseLong(m.group(2).replaceAll("\\D", "0")));
                    case "sid" -> data.put("sid", m.group(2));
                    case "revoked" -> data.put("revoked", Long.parseLong(m.group(2).replaceAll("\\D", "0")));
                    // access requests (approval.AccessRequests): the person who asked, not the approver
                    case "request" -> data.put("request_id", m.group(2));
                    case "requester" -> data.put("user", m.group(2));
                    case "retired" -> data.put("retired_kid", m.group(2));
                    default -> data.put(m.group(1), m.group(2));
                }
            }
            Matcher scope = DETAIL_SCOPE.matcher(a.detail());
            if (scope.find()) {
                data.put("scope", scope.group(1));
            }
        }
        data.put("client_ip", a.ip());
        return Optional.of(new Event(type, data));
    }

    private static String type(AuditEvent a) {
        boolean ok = "ok".equals(a.outcome());
        return switch (a.action()) {
            case "login" -> ok ? LOGIN_SUCCEEDED : LOGIN_FAILED;
            case "account_lock" -> ACCOUNT_LOCKED;
            case "totp_enrolled" -> ok ? MFA_ENROLLED : null;
            case "totp_removed", "user_mfa_reset" -> ok ? MFA_REMOVED : null;
            case "token_issue" -> ok ? TOKEN_ISSUED : null;
            case "token_revoke", "token_revoke_all" -> ok ? TOKEN_REVOKED : null;
            case "user_create" -> ok ? USER_CREATED : null;
            case "key_rotate", "keys.rotate" -> ok ? KEY_ROTATED : null;
            case "access_request" -> ok ? ACCESS_REQUESTED : null;
            // an approval that completes the request (AccessRequests adds " approved"); partial ones raise nothing
            case "access_approve" -> ok && a.detail() != null && a.detail().endsWith(" approved") ? ACCESS_APPROVED : null;
            case "access_deny" -> ok ? ACCESS_DENIED : null;
            case "access_expired" -> ok ? ACCESS_EXPIRED : null;
            default -> "locked".equals(a.outcome()) ? ACCOUNT_LOCKED : ok && USER_CHANGES.containsKey(a.action()) ? USER_CHANGED : null;
        };
    }
}
