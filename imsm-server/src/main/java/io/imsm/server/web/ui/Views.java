package io.imsm.server.web.ui;

import io.imsm.server.identity.AccountService;
import io.imsm.server.model.User;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** The data each page template renders. */
public final class Views {
    private Views() {}

    /** What every page's header needs. */
    public record Nav(String username, boolean admin, String csrf) {
        public static final Nav ANONYMOUS = new Nav(null, false, null);
    }

    /** {@code nav} is the logged-in person's header, so an error page does not strand them. */
    public record ErrorPage(Nav nav, int status, String title, String detail) {}

    public record Login(String csrf, String error, String username) {}

    /** {@code error} is shown next to the code field: the password was already accepted. */
    public record LoginOtp(String error) {}

    /** {@code now} is the server's clock, for "in 14 min"; {@code message} confirms the last action. */
    public record Home(Nav nav, String displayName, List<String> roles, List<io.imsm.server.access.ServiceDefinition> services,
                       boolean mfaEnrolled, int recoveryCodesLeft, List<io.imsm.server.token.TokenService.SessionView> tokens,
                       Instant now, String message, List<io.imsm.server.approval.AccessRequests.RequestView> requests) {
        /** A token's request limit as one line, e.g. {@code GET /search?account=12345}, or null when unlimited. */
        public static String limit(io.imsm.server.token.TokenService.SessionView t) {
            return TokenPages.describe(t.authorizationDetails());
        }
    }

    public record ServiceRequest(Nav nav, io.imsm.server.access.ServiceDefinition service, Form form) {}

    public record TokenIssued(Nav nav, String serviceName, io.imsm.server.token.TokenService.Issued issued, String limit, String curl,
                              Instant now) {}

    /** {@code form} is the rejected form, if any; its fields are prefixed by form ({@code phone}, {@code totp_remove.password}...). */
    public record Settings(Nav nav, User user, List<AccountService.SessionView> sessions, int recoveryCodesLeft,
                           boolean mfaRequired, String message, Form form, Instant now, java.util.SortedSet<String> scopes) {}

    public record PasswordChange(Nav nav, boolean forced, int minLength, Form form) {}

    /**
     * The confirmation step of a destructive action when the browser runs no script (with script,
     * imsm.js asks in a dialog instead): the same form again, posted with {@code confirmed=yes}.
     */
    /** @param keep form fields the confirmed post must carry again (e.g. the status asked for) */
    public record Confirm(Nav nav, String title, String question, String action, String button, boolean askPassword,
                          String cancelHref, Map<String, String> keep) {}

    public record TotpEnroll(Nav nav, String secret, String qrDataUrl, String error, boolean required) {}

    public record RecoveryCodes(Nav nav, List<String> codes) {}

    public record AdminUsers(Nav nav, List<User> users, long total, int offset, int limit, String search,
                             String message, String error, Instant now) {
        public boolean hasPrev() { return offset > 0; }
        public boolean hasNext() { return offset + limit < total; }
        public int prevOffset() { return Math.max(0, offset - limit); }
        public int nextOffset() { return offset + limit; }
        /** The search term for a query string: URL-encoded, so '+', '&', '#' and spaces survive the paging links. */
        public String searchParam() { return URLEncoder.encode(search, StandardCharsets.UTF_8); }
    }

    /**
     * One account; {@code tokens} are the person's live token sessions, which admins may revoke;
     * {@code secretLabel}/{@code secret}: a one-time password or invite link made by the
     * action this page answers, shown once.
     */
    public record AdminUser(Nav nav, io.imsm.server.identity.AdminService.Account account,
                            List<io.imsm.server.token.TokenService.SessionView> tokens, List<String> knownRoles,
                            String message, String error, String secretLabel, String secret, Instant now) {
        public User user() { return account.user(); }
        /** The status control's choices; deleting is its own confirmed button, and a deleted account stays so. */
        public List<String> statusChoices() { return List.of("active", "archived", "deactivated"); }
        public List<String> roleChoices() {
            java.util.TreeSet<String> all = new java.util.TreeSet<>(knownRoles);
            all.addAll(user().roles());
            return List.copyOf(all);
        }
    }

    /** The service catalog; {@code json} is the register form's textarea (kept on errors). */
    public record AdminServices(Nav nav, List<io.imsm.server.access.ServiceDefinition> services, String json,
                                String message, String error) {}

    /**
     * The service register form, new ({@code originalId} null) or editing; {@code errors} by form field
     * ("" for the form as a whole); {@code test} the last test key exchange, if one ran.
     */
    public record AdminService(Nav nav, String originalId, ServiceForm form, List<String> roleChoices,
                               java.util.Map<String, String> errors, String message,
                               io.imsm.server.token.KeyExchangeCheck.Result test) {
        public boolean creating() { return originalId == null; }
        public String error(String field) { return errors.get(field); }
        public String title() { return creating() ? "New service" : form.name() + " (" + originalId + ")"; }
    }

    /** {@code error} is about the password field. */
    public record Invite(String token, String username, int minLength, String error, boolean done) {}

    /** The audit log page: the filter as typed, one page of entries, the link to the next (older) page. */
    public record AdminAudit(Nav nav, io.imsm.server.audit.review.AuditService.Query query, io.imsm.server.audit.review.AuditService.Page page,
                             Instant now) {
        public String value(String s) { return s == null ? "" : s; }
        /** The first 40 characters of a user agent (the whole one is the cell's title). */
        public static String shortAgent(String ua) { return ua.length() <= 40 ? ua : ua.substring(0, 39) + "…"; }
        public String time(Instant t) { return t == null ? "" : t.toString(); }
        /** The query string of the next page: the same filter, older entries. */
        public String nextQuery() {
            StringBuilder b = new StringBuilder("before=").append(page.next());
            param(b, "actor", query.actor());
            param(b, "action", query.action());
            param(b, "target", query.target());
            param(b, "outcome", query.outcome());
            param(b, "from", query.from() == null ? null : query.from().toString());
            param(b, "to", query.to() == null ? null : query.to().toString());
            return b.toString();
        }
        private static void param(StringBuilder b, String name, String v) {
            if (v != null && !v.isBlank()) {
                b.append('&').append(name).append('=').append(URLEncoder.encode(v, StandardCharsets.UTF_8));
            }
        }
    }

    /** The approvers' queue (pending requests the caller may decide) and the caller's own requests. */
    public record Requests(Nav nav, List<io.imsm.server.approval.AccessRequests.RequestView> queue,
                           List<io.imsm.server.approval.AccessRequests.RequestView> mine, Instant now, String message) {
        public static String scopes(io.imsm.server.approval.AccessRequests.RequestView r) {
            return r.asked().get("scopes") instanceof List<?> l ? String.join(" ", l.stream().map(String::valueOf).toList()) : "";
        }

        /** A form field of a request as approvers see it, or a dash. */
        public static String field(io.imsm.server.approval.AccessRequests.RequestView r, String name) {
            return r.asked().get("fields") instanceof Map<?, ?> f && f.get(name) != null ? String.valueOf(f.get(name)) : "—";
        }
    }

    /** One access request; {@code mine}: the caller asked; {@code canDecide}: the caller holds an approver role and did not ask. */
    public record Request(Nav nav, io.imsm.server.approval.AccessRequests.RequestView r, boolean mine, boolean canDecide, Instant now,
                          String message, String error) {
        public boolean pending() { return r.status().equals("pending"); }
        public boolean canPickUp() {
            return mine && r.status().equals("approved") && r.pickedUpAt() == null && r.pickupUntil() != null && now.isBefore(r.pickupUntil());
        }
        public boolean canCancel() { return mine && (pending() || (r.status().equals("approved") && r.pickedUpAt() == null)); }
        public String asked(String key) {
            Object v = r.asked().get(key);
            if (v instanceof List<?> l) {
                return String.join(" ", l.stream().map(String::valueOf).toList());
            }
            if (v instanceof Map<?, ?> m) {
                return String.join("; ", m.entrySet().stream().map(e -> String.valueOf(e.getKey()).replace('_', ' ') + ": " + e.getValue()).toList());
            }
            return v == null ? "" : String.valueOf(v);
        }
    }
    /** A page that moves the browser on to {@code location} (a meta refresh, with a link for when it does not). */
    public record Continue(String location) {}

    /** The consent page of a client registered with require_consent; {@code params} go back with the decision. */
    public record OAuthConsent(Nav nav, String clientName, List<String> scopes, Map<String, String> params) {}

    /** The device page (RFC 8628): enter or confirm a user code. */
    public record Device(Nav nav, String userCode, String clientName, String message, String error) {}
}
