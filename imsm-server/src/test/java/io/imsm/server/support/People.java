package io.imsm.server.support;

import io.imsm.server.identity.Totp;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Steps that many tests share: get an admin ready, create users, enroll TOTP, log in over the API. */
public final class People {
    public static final String ADMIN_PASSWORD = "admin-passphrase-for-tests";

    private People() {}

    /** A person with password and (optionally) enrolled TOTP. */
    public record Person(String id, String username, String password, String totpSecret, List<String> recoveryCodes) {}

    /** Creates a user through the admin API (bootstrap token), with an initial password to change. */
    public static String createUser(TestServer s, String username, String password, List<String> roles) {
        return createUser(s, username, password, roles, Map.of());
    }

    /** @param extra more members of the create request, e.g. {@code email} */
    public static String createUser(TestServer s, String username, String password, List<String> roles, Map<String, Object> extra) {
        Http admin = s.client();
        Map<String, Object> body = new java.util.HashMap<>(extra);
        body.putAll(Map.of("username", username, "password", password, "roles", roles));
        Http.Res r = admin.postJson("/api/v1/admin/users", body, "Authorization", "Bearer " + TestServer.BOOTSTRAP_TOKEN);
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        return r.json().path("user").path("id").asText();
    }

    /**
     * A ready person: created, first password changed, TOTP enrolled (codes computed from the
     * enrolled secret), logged out. The test clock moves one TOTP step past enrollment so the first
     * login code is fresh.
     */
    public static Person ready(TestServer s, String username, List<String> roles) {
        return ready(s, username, roles, Map.of());
    }

    public static Person ready(TestServer s, String username, List<String> roles, Map<String, Object> extra) {
        String initial = "initial-Kq7v-pass-" + username;
        String id = createUser(s, username, initial, roles, extra);
        String password = "changed-Kq7v-pass-" + username + "-x";
        Http c = s.client();
        Http.Res login = c.postJson("/api/v1/login", Map.of("username", username, "password", initial));
        assertThat(login.status()).as(login.toString()).isEqualTo(200);
        c.csrf(login.json().path("csrf").asText());
        Http.Res pw = c.putJson("/api/v1/me/password", Map.of("current_password", initial, "new_password", password));
        assertThat(pw.status()).as(pw.toString()).isEqualTo(204);
        Http.Res start = c.postJson("/api/v1/me/totp", Map.of());
        assertThat(start.status()).as(start.toString()).isEqualTo(200);
        String secret = start.json().path("secret").asText();
        Http.Res confirm = c.postJson("/api/v1/me/totp/confirm", Map.of("code", Totp.code(secret, s.clock.instant())));
        assertThat(confirm.status()).as(confirm.toString()).isEqualTo(200);
        List<String> codes = new ArrayList<>();
        confirm.json().path("recovery_codes").forEach(n -> codes.add(n.asText()));
        assertThat(c.postJson("/api/v1/logout", Map.of()).status()).isEqualTo(204);
        s.clock.advance(Duration.ofSeconds(30));
        return new Person(id, username, password, secret, codes);
    }

    /** Logs in over the API with a fresh TOTP code; sets the client's CSRF token. */
    public static Http.Res login(TestServer s, Http c, Person p) {
        Http.Res r = c.postJson("/api/v1/login", Map.of("username", p.username(), "password", p.password(),
                "otp", Totp.code(p.totpSecret(), s.clock.instant())));
        if (r.status() == 200) {
            c.csrf(r.json().path("csrf").asText());
        }
        return r;
    }
}
