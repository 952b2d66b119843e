package io.imsm.server.web.ui;

import io.imsm.server.identity.AccountService;
import io.imsm.server.model.User;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** The data each page template renders. */
public final class Views {
    private Views() {}

    /** What every page's header needs. */
    public record Nav(String username, boolean admin, String csrf) {
        public static final Nav ANONYMOUS = new Nav(null, false, null);
    }

    public record ErrorPage(int status, String title, String detail) {}

    public record Login(String csrf, String error, String username) {}

    public record LoginOtp(String error) {}

    public record Home(Nav nav, String displayName, List<String> roles, List<io.imsm.server.access.ServiceDefinition> services,
                       boolean mfaEnrolled, int recoveryCodesLeft, List<io.imsm.server.token.TokenService.SessionView> tokens) {}

    public record ServiceRequest(Nav nav, io.imsm.server.access.ServiceDefinition service, String error) {}

    public record TokenIssued(Nav nav, String serviceName, io.imsm.server.token.TokenService.Issued issued, String limit, String curl) {}

    public record Settings(Nav nav, User user, List<AccountService.SessionView> sessions, int recoveryCodesLeft,
                           boolean mfaRequired, String message, String error) {}

    public record PasswordChange(Nav nav, boolean forced, int minLength, String error) {}

    public record TotpEnroll(Nav nav, String secret, String qrDataUrl, String error, boolean required) {}

    public record RecoveryCodes(Nav nav, List<String> codes) {}

    public record AdminUsers(Nav nav, List<User> users, long total, int offset, int limit, String search,
                             String message, String error) {
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
                            String message, String error, String secretLabel, String secret) {
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

    public record Invite(String token, String username, int minLength, String error, boolean done) {}
}
