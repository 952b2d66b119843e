package io.imsm.server.hooks;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import io.imsm.server.support.Http;
import io.imsm.server.support.People;
import io.imsm.server.support.TestDatabases;
import io.imsm.server.support.TestServer;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static com.github.tomakehurst.wiremock.client.WireMock.ok;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

/** Two IMSM instances on one PostgreSQL share the event outbox: each event reaches the hook once, each SMS recipient one text. */
class SharedDeliveryTest {
    static final String BEARER = "Bearer " + TestServer.BOOTSTRAP_TOKEN;

    @Test
    void whenTwoInstancesShareOnePostgres_thenEachEventIsDeliveredOnce() throws Exception {
        WireMockServer target = HookTargets.start();
        Map<String, String> fast = Map.of("hooks.poll_millis", "50");
        try (TestServer one = TestServer.start(TestDatabases.Kind.POSTGRES, fast);
             TestServer two = TestServer.start(one.db, Files.createTempDirectory("imsm-test"), fast, one.env)) {
            // slow enough answers that both instances are at work on the hook at the same time
            target.stubFor(post(urlEqualTo("/both")).willReturn(ok().withFixedDelay(40)));
            Http.Res hook = one.client().postJson("/api/v1/admin/hooks", Map.of("id", "shared", "kind", "webhook",
                    "url", "http://127.0.0.1:" + target.port() + "/both", "events", List.of("user.created")), "Authorization", BEARER);
            assertThat(hook.status()).as(hook.toString()).isEqualTo(201);
            // an SMS hook's event is one delivery per recipient: each text, too, is sent once
            target.stubFor(post(urlEqualTo("/texts")).willReturn(ok().withFixedDelay(20)));
            Map<String, Object> sms = new java.util.LinkedHashMap<>(Map.of("id", "texts", "kind", "sms",
                    "url", "http://127.0.0.1:" + target.port() + "/texts", "events", List.of("user.created"), "account_sid", "AC1",
                    "from", "+15550000001", "to", List.of("+15550000002", "+15550000003"), "template", "{{id}} {{user}}"));
            sms.put("auth_token", "sms-token-1");
            Http.Res texts = one.client().postJson("/api/v1/admin/hooks", sms, "Authorization", BEARER);
            assertThat(texts.status()).as(texts.toString()).isEqualTo(201);
            int events = 40;
            for (int i = 0; i < events; i++) {
                People.createUser(i % 2 == 0 ? one : two, "shared-" + i, "initial-Kq7v-pass-shared", List.of("ops"));
            }
            HookTargets.awaitRequests(target, "/both", events, Duration.ofSeconds(60));
            HookTargets.awaitRequests(target, "/texts", 2 * events, Duration.ofSeconds(60));
            Thread.sleep(1500); // time for a second delivery of any event, were there one
            List<LoggedRequest> sent = target.getAllServeEvents().stream().map(e -> e.getRequest())
                    .filter(r -> r.getUrl().equals("/texts")).toList();
            Map<Map<String, String>, Long> perText = sent.stream().collect(Collectors.groupingBy(
                    r -> NotificationHooksTest.form(r.getBodyAsString()), Collectors.counting()));
            assertThat(perText).hasSize(2 * events);
            assertThat(perText.values()).containsOnly(1L);
            List<LoggedRequest> got = target.getAllServeEvents().stream().map(e -> e.getRequest())
                    .filter(r -> r.getUrl().equals("/both")).toList();
            Map<String, Long> perId = got.stream().collect(Collectors.groupingBy(r -> r.getHeader("webhook-id"), Collectors.counting()));
            assertThat(perId).hasSize(events);
            assertThat(perId.values()).containsOnly(1L);
            assertThat(got.stream().map(r -> NotificationHooksTest.read(r.getBodyAsString()).path("data").path("user").asText())
                    .distinct().count()).isEqualTo(events);
        } finally {
            target.stop();
        }
    }
}
