package io.imsm.server.hooks;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import io.imsm.server.support.Http;
import io.imsm.server.support.People;
import io.imsm.server.support.TestDatabases;
import io.imsm.server.support.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.ok;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Notification hooks against WireMock stand-ins of the third parties: the exact requests (Standard
 * Webhooks signature checked with javax.crypto here, Slack JSON, Jira JSON, Twilio form fields),
 * retries into the dead-letter list and replay with the same webhook-id, and no secret in any event.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NotificationHooksTest {
    static final String BEARER = "Bearer " + TestServer.BOOTSTRAP_TOKEN;
    static final Duration WAIT = Duration.ofSeconds(20);
    TestServer s;
    WireMockServer target;
    Http admin;

    @BeforeAll
    void start() {
        target = HookTargets.start();
        s = TestServer.start(TestDatabases.Kind.H2, Map.of("hooks.poll_millis", "100", "hooks.max_attempts", "3",
                "hooks.timeout_seconds", "2"));
        admin = s.client();
    }

    @AfterAll
    void stop() {
        s.close();
        target.stop();
    }

    @BeforeEach
    void clean() {
        HookTargets.reset(target, admin);
    }

    Http.Res createHook(Map<String, Object> hook) {
        return admin.postJson("/api/v1/admin/hooks", hook, "Authorization", BEARER);
    }

    String url(String path) {
        return "http://127.0.0.1:" + target.port() + path;
    }

    @Test
    void whenHooksAreAppliedFromAFile_thenTheSecretIsPrintedOnceAndTheHookSigns() throws Exception {
        java.nio.file.Path file = java.nio.file.Files.createTempFile("hooks", ".yaml");
        try {
            java.nio.file.Files.writeString(file, "hooks:\n  - id: applied-sink\n    kind: webhook\n    url: " + url("/applied")
                    + "\n    events: [user.created]\n");
            String first = io.imsm.server.app.MainTestAccess.apply(file, s.baseUrl(), TestServer.BOOTSTRAP_TOKEN);
            assertThat(first).contains("hook applied-sink: created").endsWith("exit=0");
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("signing secret: (whsec_\\S+)").matcher(first);
            assertThat(m.find()).as(first).isTrue();
            String again = io.imsm.server.app.MainTestAccess.apply(file, s.baseUrl(), TestServer.BOOTSTRAP_TOKEN);
            assertThat(again).contains("hook applied-sink: applied").doesNotContain("whsec_").endsWith("exit=0");

            People.createUser(s, "hook-applied", "initial-Kq7v-pass-hook-applied", List.of("ops"));
            LoggedRequest r = HookTargets.awaitRequests(target, "/applied", 1, WAIT).getFirst();
            assertThat(r.getHeader("webhook-signature")).isEqualTo(HookTargets.expectedSignature(m.group(1), r));

            java.nio.file.Files.writeString(file, "hooks:\n  - id: bad\n    kind: carrier-pigeon\n    url: " + url("/x") + "\n");
            assertThat(io.imsm.server.app.MainTestAccess.apply(file, s.baseUrl(), TestServer.BOOTSTRAP_TOKEN))
                    .contains("refused the hooks").endsWith("exit=2");
        } finally {
            java.nio.file.Files.deleteIfExists(file);
        }
    }

    @Test
    void whenWebhookSubscribed_thenEventArrivesSignedPerStandardWebhooks() throws Exception {
        Http.Res created = createHook(Map.of("id", "audit-sink", "kind", "webhook", "url", url("/wh"), "events", List.of("user.created")));
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        String secret = created.json().path("secret").asText();
        assertThat(secret).matches("whsec_[A-Za-z0-9+/]{43}=");
        // the secret is answered once: never again in a read
        assertThat(admin.get("/api/v1/admin/hooks/audit-sink", "Authorization", BEARER).body()).doesNotContain(secret).doesNotContain("secret");

        People.createUser(s, "hook-alice", "initial-Kq7v-pass-hook-alice", List.of("ops"));

        LoggedRequest r = HookTargets.awaitRequests(target, "/wh", 1, WAIT).getFirst();
        assertThat(r.getHeader("webhook-id")).matches("msg_[A-Za-z0-9_-]{24}");
        assertThat(Long.parseLong(r.getHeader("webhook-timestamp"))).isEqualTo(s.clock.instant().getEpochSecond());
        assertThat(r.getHeader("webhook-signature")).isEqualTo(HookTargets.expectedSignature(secret, r));
        assertThat(r.getHeader("Content-Type")).startsWith("application/json");
        JsonNode body = Http.JSON.readTree(r.getBodyAsString());
        assertThat(body.path("type").asText()).isEqualTo("user.created");
        assertThat(body.path("timestamp").asText()).matches("\\d{4}-\\d\\d-\\d\\dT.*Z");
        assertThat(body.path("data").path("user").asText()).isEqualTo("hook-alice");
        assertThat(body.path("data").path("actor").asText()).isEqualTo("bootstrap-token");
        assertThat(r.getBodyAsString()).doesNotContain("initial-Kq7v-pass");
    }

    @Test
    void whenSlackJiraAndSmsHooksSubscribed_thenEachGetsItsExactRequest() throws Exception {
        target.stubFor(post(urlEqualTo("/jira/rest/api/2/issue")).willReturn(aResponse().withStatus(201).withBody("{\"id\":\"1\"}")));
        assertThat(createHook(Map.of("id", "chat", "kind", "slack", "url", url("/slack"), "events", List.of("user.created"),
                "template", "New person {{user}} by {{actor}}")).status()).isEqualTo(201);
        Map<String, Object> jira = new LinkedHashMap<>(Map.of("id", "tickets", "kind", "jira", "url", url("/jira"),
                "events", List.of("user.created"), "project", "SEC", "issue_type", "Task", "summary", "Account {{user}} created",
                "description", "{{type}} at {{timestamp}} by {{actor}}", "username", "bot@example.com"));
        jira.put("api_token", "jira-token-123");
        Http.Res j = createHook(jira);
        assertThat(j.status()).as(j.toString()).isEqualTo(201);
        assertThat(j.body()).doesNotContain("jira-token-123");
        Map<String, Object> sms = new LinkedHashMap<>(Map.of("id", "texts", "kind", "sms", "url", url("/2010-04-01/Accounts/AC123/Messages.json"),
                "events", List.of("user.created"), "account_sid", "AC123", "from", "+15550000001",
                "to", List.of("user", "+15550000002"), "template", "IMSM: account {{user}} created"));
        sms.put("auth_token", "twilio-secret-9");
        assertThat(createHook(sms).status()).isEqualTo(201);

        People.createUser(s, "hook-bob", "initial-Kq7v-pass-hook-bob", List.of("ops"), Map.of("phone", "+15550000003"));

        LoggedRequest slack = HookTargets.awaitRequests(target, "/slack", 1, WAIT).getFirst();
        assertThat(Http.JSON.readTree(slack.getBodyAsString())).isEqualTo(Http.JSON.readTree("""
                {"text":"New person hook-bob by bootstrap-token",
                 "blocks":[{"type":"section","text":{"type":"mrkdwn","text":"New person hook-bob by bootstrap-token"}}]}"""));

        LoggedRequest issue = HookTargets.awaitRequests(target, "/jira/rest/api/2/issue", 1, WAIT).getFirst();
        assertThat(issue.getHeader("Authorization")).isEqualTo("Basic " + java.util.Base64.getEncoder()
                .encodeToString("bot@example.com:jira-token-123".getBytes(StandardCharsets.UTF_8)));
        JsonNode fields = Http.JSON.readTree(issue.getBodyAsString()).path("fields");
        assertThat(fields.path("project").path("key").asText()).isEqualTo("SEC");
        assertThat(fields.path("issuetype").path("name").asText()).isEqualTo("Task");
        assertThat(fields.path("summary").asText()).isEqualTo("Account hook-bob created");
        assertThat(fields.path("description").asText()).matches("user\\.created at \\d{4}-.*Z by bootstrap-token");

        List<LoggedRequest> texts = HookTargets.awaitRequests(target, "/2010-04-01/Accounts/AC123/Messages.json", 2, WAIT);
        assertThat(texts).allSatisfy(t -> {
            assertThat(t.getHeader("Content-Type")).startsWith("application/x-www-form-urlencoded");
            assertThat(t.getHeader("Authorization")).isEqualTo("Basic " + java.util.Base64.getEncoder()
                    .encodeToString("AC123:twilio-secret-9".getBytes(StandardCharsets.UTF_8)));
        });
        List<Map<String, String>> forms = texts.stream().map(t -> form(t.getBodyAsString())).toList();
        assertThat(forms).containsExactlyInAnyOrder(
                Map.of("To", "+15550000003", "From", "+15550000001", "Body", "IMSM: account hook-bob created"),
                Map.of("To", "+15550000002", "From", "+15550000001", "Body", "IMSM: account hook-bob created"));
    }

    @Test
    void whenTargetKeepsFailing_thenRetriedWithBackoffThenDeadLetter_andReplayKeepsTheWebhookId() throws Exception {
        target.stubFor(post(urlEqualTo("/down")).willReturn(aResponse().withStatus(503)));
        assertThat(createHook(Map.of("id", "flaky", "kind", "webhook", "url", url("/down"), "events", List.of("user.created")))
                .status()).isEqualTo(201);
        People.createUser(s, "hook-carol", "initial-Kq7v-pass-hook-carol", List.of("ops"));
        String id = HookTargets.awaitRequests(target, "/down", 1, WAIT).getFirst().getHeader("webhook-id");
        Thread.sleep(500);
        assertThat(target.findAll(com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor(urlEqualTo("/down")))).hasSize(1);
        // the retry waits for its backoff (at least half of retry_base_seconds): move the clock past it
        HookTargets.advanceClockUntil(s, target, "/down", 2, Duration.ofSeconds(11), WAIT, r -> true);
        List<LoggedRequest> all = HookTargets.advanceClockUntil(s, target, "/down", 3, Duration.ofSeconds(21), WAIT, r -> true);
        assertThat(all).extracting(r -> r.getHeader("webhook-id")).containsOnly(id);

        JsonNode dead = awaitDeadLetter(id);
        assertThat(dead.path("hook_id").asText()).isEqualTo("flaky");
        assertThat(dead.path("type").asText()).isEqualTo("user.created");
        assertThat(dead.path("attempts").asInt()).isEqualTo(3);
        assertThat(dead.path("last_error").asText()).contains("503");
        s.clock.advance(Duration.ofHours(1));
        Thread.sleep(300);
        assertThat(target.findAll(com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor(urlEqualTo("/down")))).hasSize(3);

        target.stubFor(post(urlEqualTo("/down")).willReturn(ok()));
        Http.Res replay = admin.postJson("/api/v1/admin/events/dead-letters/" + dead.path("id").asLong() + "/replay", Map.of(),
                "Authorization", BEARER);
        assertThat(replay.status()).as(replay.toString()).isEqualTo(204);
        assertThat(HookTargets.awaitRequests(target, "/down", 4, WAIT).getLast().getHeader("webhook-id")).isEqualTo(id);
        assertThat(deadLetters()).noneMatch(d -> d.path("event_id").asText().equals(id));
    }

    @Test
    void whenPeopleLogInChangePasswordsEnrollAndGetTokens_thenNoEventHoldsASecret() throws Exception {
        assertThat(admin.putJson("/api/v1/admin/services/reports", Map.of("name", "reports", "binding", "jwks", "roles", List.of("ops"),
                "scopes", List.of("read"), "fields", List.of("ticket_id", "justification")),
                "Authorization", BEARER).status()).isIn(200, 201);
        assertThat(createHook(Map.of("id", "everything", "kind", "webhook", "url", url("/all"), "events",
                io.imsm.server.events.EventTypes.ALL)).status()).isEqualTo(201);

        People.Person p = People.ready(s, "hook-dave", List.of("ops"));
        Http c = s.client();
        assertThat(People.login(s, c, p).status()).isEqualTo(200);
        Http.Res token = c.postJson("/api/v1/services/reports/tokens", Map.of("fields",
                Map.of("ticket_id", "SECRET-TICKET-77", "justification", "monthly report")));
        assertThat(token.status()).as(token.toString()).isEqualTo(201);
        assertThat(c.postJson("/api/v1/login", Map.of("username", "hook-dave", "password", "wrong-password-123")).status()).isEqualTo(401);

        List<LoggedRequest> got = HookTargets.awaitRequests(target, "/all", 1, WAIT,
                r -> r.getBodyAsString().contains("\"token.issued\""));
        Thread.sleep(500);
        List<String> bodies = HookTargets.awaitRequests(target, "/all", 1, WAIT).stream().map(LoggedRequest::getBodyAsString).toList();
        Map<String, Long> types = bodies.stream().map(b -> read(b).path("type").asText())
                .collect(Collectors.groupingBy(t -> t, Collectors.counting()));
        assertThat(types).containsKeys("user.created", "user.changed", "mfa.enrolled", "login.succeeded", "login.failed", "token.issued");
        JsonNode issued = read(got.getFirst().getBodyAsString()).path("data");
        assertThat(issued.path("service").asText()).isEqualTo("reports");
        assertThat(issued.path("user").asText()).isEqualTo("hook-dave");
        assertThat(issued.path("scope").asText()).isEqualTo("read");
        String tokenValue = token.json().path("token").asText();
        for (String b : bodies) {
            assertThat(b).doesNotContain(p.password()).doesNotContain("initial-Kq7v-pass").doesNotContain(p.totpSecret())
                    .doesNotContain(tokenValue).doesNotContain("SECRET-TICKET-77").doesNotContain("wrong-password-123")
                    .doesNotContain(p.recoveryCodes().getFirst());
        }
    }

    @Test
    void whenOneTargetIsSlow_thenOthersAreNotDelayed() throws Exception {
        target.stubFor(post(urlEqualTo("/slow")).willReturn(ok().withFixedDelay(1800)));
        assertThat(createHook(Map.of("id", "slow", "kind", "webhook", "url", url("/slow"), "events", List.of("user.created"))).status())
                .isEqualTo(201);
        assertThat(createHook(Map.of("id", "fast", "kind", "webhook", "url", url("/fast"), "events", List.of("user.created"))).status())
                .isEqualTo(201);
        for (int i = 0; i < 3; i++) {
            People.createUser(s, "hook-slow-" + i, "initial-Kq7v-pass-hook-slow", List.of("ops"));
        }
        long t0 = System.nanoTime();
        HookTargets.awaitRequests(target, "/fast", 3, WAIT);
        long fastMs = (System.nanoTime() - t0) / 1_000_000;
        // the slow target takes 1.8 s per event: 5.4 s for its three; the fast one never waits for it
        assertThat(fastMs).isLessThan(1500);
        assertThat(target.findAll(com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor(urlEqualTo("/slow"))).size()).isLessThan(3);
    }

    @Test
    void whenHookIsInvalid_thenRefusedWithTheField() {
        assertThat(createHook(Map.of("id", "meta", "kind", "webhook", "url", "http://169.254.169.254/latest", "events",
                List.of("user.created"))).json().path("detail").asText()).contains("url");
        Http.Res unknown = createHook(Map.of("id", "bad-event", "kind", "webhook", "url", url("/x"), "events", List.of("user.deleted")));
        assertThat(unknown.status()).isEqualTo(400);
        assertThat(unknown.json().path("detail").asText()).contains("unknown event 'user.deleted'");
        Http.Res template = createHook(Map.of("id", "bad-template", "kind", "slack", "url", url("/x"), "events", List.of("user.created"),
                "template", "{{password}}"));
        assertThat(template.status()).isEqualTo(400);
        assertThat(template.json().path("detail").asText()).contains("unknown variable {{password}}");
        Http.Res noToken = createHook(Map.of("id", "no-token", "kind", "jira", "url", url("/x"), "events", List.of("user.created"),
                "project", "SEC", "username", "bot"));
        assertThat(noToken.status()).isEqualTo(400);
        assertThat(noToken.json().path("detail").asText()).contains("api_token");
    }

    JsonNode awaitDeadLetter(String eventId) throws InterruptedException {
        long end = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < end) {
            for (JsonNode d : deadLetters()) {
                if (d.path("event_id").asText().equals(eventId)) {
                    return d;
                }
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no dead letter for " + eventId);
    }

    List<JsonNode> deadLetters() {
        Http.Res r = admin.get("/api/v1/admin/events/dead-letters", "Authorization", BEARER);
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        return java.util.stream.StreamSupport.stream(r.json().path("dead_letters").spliterator(), false).toList();
    }

    static JsonNode read(String s) {
        try {
            return Http.JSON.readTree(s);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static Map<String, String> form(String body) {
        Map<String, String> out = new HashMap<>();
        Arrays.stream(body.split("&")).map(kv -> kv.split("=", 2)).forEach(kv ->
                out.put(URLDecoder.decode(kv[0], StandardCharsets.UTF_8), URLDecoder.decode(kv[1], StandardCharsets.UTF_8)));
        return out;
    }
}
