package io.imsm.server.hooks;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import io.imsm.server.events.EventOutbox;
import io.imsm.server.support.Http;
import io.imsm.server.support.People;
import io.imsm.server.support.TestDatabases;
import io.imsm.server.support.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.containing;
import static com.github.tomakehurst.wiremock.client.WireMock.ok;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * SMS hooks text the approvers of an access request (and the requester about the decision) through a
 * WireMock stand-in of Twilio's Messages API: the exact form fields and basic auth per recipient,
 * nobody else (not the requester, not approvers without a phone number or no longer active, not
 * people without an approver role), each recipient's text retried on its own, and a bounded number
 * of approvers however many hold the role. Run on H2 and PostgreSQL by the subclasses (the approvers
 * are found by a query).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class SmsRecipientsContract {
    static final String BEARER = "Bearer " + TestServer.BOOTSTRAP_TOKEN;
    static final String TWILIO = "/2010-04-01/Accounts/AC9f00/Messages.json";
    static final String FROM = "+15550000001";
    static final String AUTH = "Basic " + Base64.getEncoder().encodeToString("AC9f00:twilio-auth-7".getBytes(StandardCharsets.UTF_8));
    static final Duration WAIT = Duration.ofSeconds(20);
    static final String RITA = "+15550001001";
    static final String LEE = "+15550001002";
    static final String SAM = "+15550001003";
    TestServer s;
    WireMockServer twilio;
    Http admin;
    People.Person rita;
    People.Person lee;

    abstract TestDatabases.Kind kind();

    @BeforeAll
    void start() {
        twilio = HookTargets.start();
        s = TestServer.start(kind(), Map.of("hooks.poll_millis", "100", "hooks.max_attempts", "3",
                "hooks.timeout_seconds", "2"));
        admin = s.client();
        service("payroll", List.of("lead", "security"));
        // rita asks; she is a lead herself, so she holds an approver role of her own request
        rita = People.ready(s, "rita", List.of("dev", "lead"), Map.of("phone", RITA));
        lee = People.ready(s, "lee", List.of("lead"), Map.of("phone", LEE));
        People.createUser(s, "sam", "initial-Kq7v-pass-sam", List.of("security"), Map.of("phone", SAM));
        People.createUser(s, "lin", "initial-Kq7v-pass-lin", List.of("lead"));                                 // no phone
        People.createUser(s, "ola", "initial-Kq7v-pass-ola", List.of("dev"), Map.of("phone", "+15550001005"));  // no approver
        String lex = People.createUser(s, "lex", "initial-Kq7v-pass-lex", List.of("lead"), Map.of("phone", "+15550001006"));
        Http.Res off = admin.putJson("/api/v1/admin/users/" + lex + "/status", Map.of("status", "deactivated"), "Authorization", BEARER);
        assertThat(off.status()).as(off.toString()).isEqualTo(200);
    }

    @AfterAll
    void stop() {
        s.close();
        twilio.stop();
    }

    @BeforeEach
    void clean() {
        HookTargets.reset(twilio, admin);
    }

    @Test
    void whenAccessIsRequested_thenEveryApproverWithAPhoneIsTexted_andTheRequesterHearsOfTheDecision() throws Exception {
        smsHook("approver-texts", List.of("access.requested"), List.of("approvers"),
                "IMSM: {{user}} asks for {{service}}, request {{request_id}}");
        smsHook("requester-texts", List.of("access.approved", "access.denied"), List.of("user"),
                "IMSM: your request {{request_id}} for {{service}} is {{status}} ({{actor}})");
        String id = ask(rita, "payroll", Map.of());

        List<LoggedRequest> texts = HookTargets.awaitRequests(twilio, TWILIO, 2, WAIT);
        Thread.sleep(700); // time for a text to anyone else, were there one
        texts = twilio.findAll(com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor(urlEqualTo(TWILIO)));
        assertThat(texts).allSatisfy(t -> {
            assertThat(t.getHeader("Authorization")).isEqualTo(AUTH);
            assertThat(t.getHeader("Content-Type")).startsWith("application/x-www-form-urlencoded");
        });
        String asked = "IMSM: rita asks for payroll, request " + id;
        assertThat(texts.stream().map(t -> NotificationHooksTest.form(t.getBodyAsString())).toList()).containsExactlyInAnyOrder(
                Map.of("To", LEE, "From", FROM, "Body", asked),
                Map.of("To", SAM, "From", FROM, "Body", asked));

        Http.Res approved = login(lee).postJson("/api/v1/requests/" + id + "/approve", Map.of("comment", "ok"));
        assertThat(approved.status()).as(approved.toString()).isEqualTo(200);
        List<LoggedRequest> all = HookTargets.awaitRequests(twilio, TWILIO, 3, WAIT);
        Thread.sleep(700);
        all = twilio.findAll(com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor(urlEqualTo(TWILIO)));
        assertThat(all).hasSize(3);
        assertThat(all.stream().map(t -> NotificationHooksTest.form(t.getBodyAsString())).toList())
                .contains(Map.of("To", RITA, "From", FROM, "Body", "IMSM: your request " + id + " for payroll is approved (lee)"))
                .filteredOn(f -> f.get("To").equals(RITA)).hasSize(1);
    }

    @Test
    void whenOneApproversNumberFails_thenOnlyThatTextIsRetried_andDeadLettersNameTheRecipient() throws Exception {
        twilio.stubFor(post(urlEqualTo(TWILIO)).withRequestBody(containing("To=%2B15550001003")).willReturn(aResponse().withStatus(503)));
        smsHook("approver-texts", List.of("access.requested"), List.of("approvers"), "IMSM: {{user}} asks for {{service}}");
        ask(rita, "payroll", Map.of());

        HookTargets.awaitRequests(twilio, TWILIO, 2, WAIT);
        // the retries wait out their backoff (at least half of retry_base_seconds each)
        HookTargets.advanceClockUntil(s, twilio, TWILIO, 2, Duration.ofSeconds(11), WAIT, r -> sentTo(r, SAM));
        HookTargets.advanceClockUntil(s, twilio, TWILIO, 3, Duration.ofSeconds(21), WAIT, r -> sentTo(r, SAM));
        JsonNode dead = awaitDeadLetter("sam");
        assertThat(dead.path("hook_id").asText()).isEqualTo("approver-texts");
        assertThat(dead.path("attempts").asInt()).isEqualTo(3);
        assertThat(dead.path("last_error").asText()).contains("503");

        List<LoggedRequest> all = twilio.findAll(com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor(urlEqualTo(TWILIO)));
        assertThat(all.stream().filter(r -> sentTo(r, SAM))).hasSize(3);
        assertThat(all.stream().filter(r -> sentTo(r, LEE))).as("lee's text was delivered once, never resent").hasSize(1);
        assertThat(all).hasSize(4);
    }

    @Test
    void whenThousandsCouldApprove_thenAtMostTheBoundAreTexted_theNamedManagerFirst() throws Exception {
        int crowd = EventOutbox.MAX_APPROVERS_TEXTED + 2;
        List<String> phones = new ArrayList<>();
        for (int i = 0; i < crowd; i++) {
            String phone = "+1555100" + String.format("%04d", i);
            phones.add(phone);
            People.createUser(s, "crowd-" + String.format("%02d", i), "initial-Kq7v-pass-crowd", List.of("crowd"), Map.of("phone", phone));
        }
        Http.Res svc = admin.putJson("/api/v1/admin/services/crowded", Map.of("name", "Crowded", "binding", "jwks", "roles", List.of("dev"),
                "scopes", List.of("read"), "fields", List.of("justification", "manager"),
                "approval", Map.of("approvals", 1, "approver_roles", List.of("crowd"))), "Authorization", BEARER);
        assertThat(svc.status()).as(svc.toString()).isEqualTo(201);
        smsHook("approver-texts", List.of("access.requested"), List.of("approvers"), "IMSM: {{user}} asks for {{service}}");
        // the last by name is the manager the form names: the one approver who must approve, so texted first
        String manager = "crowd-" + String.format("%02d", crowd - 1);
        ask(rita, "crowded", Map.of("manager", manager));

        HookTargets.awaitRequests(twilio, TWILIO, EventOutbox.MAX_APPROVERS_TEXTED, WAIT);
        Thread.sleep(1000);
        List<String> to = twilio.findAll(com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor(urlEqualTo(TWILIO))).stream()
                .map(r -> NotificationHooksTest.form(r.getBodyAsString()).get("To")).toList();
        assertThat(to).hasSize(EventOutbox.MAX_APPROVERS_TEXTED).doesNotHaveDuplicates()
                .contains(phones.get(crowd - 1))
                .containsAll(phones.subList(0, EventOutbox.MAX_APPROVERS_TEXTED - 1))
                .doesNotContain(phones.get(crowd - 2), RITA);
    }

    void service(String id, List<String> approverRoles) {
        Http.Res r = admin.putJson("/api/v1/admin/services/" + id, Map.of("name", id, "binding", "jwks", "roles", List.of("dev"),
                "scopes", List.of("read"), "fields", List.of("justification"),
                "approval", Map.of("approvals", 1, "approver_roles", approverRoles)), "Authorization", BEARER);
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
    }

    void smsHook(String id, List<String> events, List<String> to, String template) {
        Map<String, Object> hook = new LinkedHashMap<>(Map.of("id", id, "kind", "sms", "url", "http://127.0.0.1:" + twilio.port() + TWILIO,
                "events", events, "account_sid", "AC9f00", "from", FROM, "to", to, "template", template));
        hook.put("auth_token", "twilio-auth-7");
        Http.Res r = admin.postJson("/api/v1/admin/hooks", hook, "Authorization", BEARER);
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
    }

    String ask(People.Person who, String service, Map<String, String> fields) {
        Map<String, String> all = new LinkedHashMap<>(fields);
        all.put("justification", "quarterly close");
        Http.Res r = login(who).postJson("/api/v1/services/" + service + "/tokens", Map.of("fields", all));
        assertThat(r.status()).as(r.toString()).isEqualTo(202);
        return r.json().path("request_id").asText();
    }

    /** A fresh session; the clock moves a TOTP step first, so the code is never one used before. */
    Http login(People.Person p) {
        s.clock.advance(Duration.ofSeconds(30));
        Http c = s.client();
        Http.Res r = People.login(s, c, p);
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        return c;
    }

    static boolean sentTo(LoggedRequest r, String phone) {
        return phone.equals(NotificationHooksTest.form(r.getBodyAsString()).get("To"));
    }

    JsonNode awaitDeadLetter(String recipient) throws InterruptedException {
        long end = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < end) {
            for (JsonNode d : admin.get("/api/v1/admin/events/dead-letters", "Authorization", BEARER).json().path("dead_letters")) {
                if (d.path("recipient").asText().equals(recipient)) {
                    return d;
                }
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no dead letter for " + recipient);
    }
}
