package io.imsm.server.web;

import io.imsm.server.support.Http;
import io.imsm.server.support.People;
import io.imsm.server.support.TestDatabases;
import io.imsm.server.support.TestServer;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * X-Forwarded-For / Forwarded name the client only when the TCP peer is a configured trusted proxy;
 * otherwise a client could pick the address its rate limits count against.
 */
class TrustedProxiesTest {

    @Test
    void whenPeerIsNotTrusted_thenForgedForwardedForIsIgnored_andRateLimitBitesThePeer() {
        try (TestServer s = TestServer.start(TestDatabases.Kind.H2, Map.of("login.attempts_per_ip_per_minute", "3"))) {
            Http c = s.client();
            for (int i = 1; i <= 3; i++) {
                Http.Res r = c.postJson("/api/v1/login", Map.of("username", "nobody", "password", "wrong-password-" + i),
                        "X-Forwarded-For", "198.51.100." + i, "Forwarded", "for=198.51.100." + (100 + i));
                assertThat(r.status()).as(r.toString()).isEqualTo(401);
            }
            Http.Res limited = c.postJson("/api/v1/login", Map.of("username", "nobody", "password", "wrong-password-4"),
                    "X-Forwarded-For", "198.51.100.4");
            assertThat(limited.status()).as(limited.toString()).isEqualTo(429);
            assertThat(limited.code()).isEqualTo("rate_limited");
        }
    }

    @Test
    void whenPeerIsATrustedProxy_thenTheClientFromItsHeaderIsUsed() {
        try (TestServer s = TestServer.start(TestDatabases.Kind.H2, Map.of("login.attempts_per_ip_per_minute", "3",
                "server.trusted_proxies", "10.0.0.0/8,127.0.0.1"))) {
            // Each attempt comes from another client behind the proxy: no address reaches its limit.
            Http c = s.client();
            for (int i = 1; i <= 5; i++) {
                Http.Res r = c.postJson("/api/v1/login", Map.of("username", "nobody" + i, "password", "wrong-password-" + i),
                        "X-Forwarded-For", "198.51.100." + i);
                assertThat(r.status()).as(r.toString()).isEqualTo(401);
            }
            // ...but one client is limited under its own address, whatever it writes to the left of the chain.
            for (int i = 1; i <= 3; i++) {
                assertThat(c.postJson("/api/v1/login", Map.of("username", "someone" + i, "password", "x-wrong-" + i),
                        "X-Forwarded-For", "203.0.113." + i + ", 192.0.2.9, 10.1.2.3").status()).isEqualTo(401);
            }
            assertThat(c.postJson("/api/v1/login", Map.of("username", "someone4", "password", "x-wrong-4"),
                    "X-Forwarded-For", "203.0.113.4, 192.0.2.9").status()).isEqualTo(429);

            // The session (and its audit trail) records the client's address; Forwarded (RFC 7239) wins over XFF.
            People.Person p = People.ready(s, "proxied", List.of());
            Http b = s.client();
            Http.Res login = b.postJson("/api/v1/login", Map.of("username", p.username(), "password", p.password(),
                    "otp", io.imsm.server.identity.Totp.code(p.totpSecret(), s.clock.instant())),
                    "Forwarded", "for=\"[2001:db8::7]:4711\";proto=https, for=10.9.9.9", "X-Forwarded-For", "192.0.2.200");
            assertThat(login.status()).as(login.toString()).isEqualTo(200);
            b.csrf(login.json().path("csrf").asText());
            Http.Res sessions = b.get("/api/v1/me/sessions");
            assertThat(sessions.json().path("sessions").get(0).path("ip").asText()).isEqualTo("2001:db8::7");
        }
    }
}
