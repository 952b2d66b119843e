package io.imsm.server.hooks;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.imsm.server.json.Json;
import io.imsm.server.store.Database;
import io.imsm.server.store.EventStore;
import io.imsm.server.store.UserStore;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Sends one event to one notification hook, in the form its kind expects (docs/hooks.md):
 * a Standard Webhooks signed POST, a Slack incoming-webhook message, a Jira issue, or Twilio
 * Messages API call (one per recipient and delivery). Throws {@link Failed} unless the target answered 2xx.
 */
final class Notifications {
    static final String DEFAULT_TEMPLATE = "IMSM {{type}}: user {{user}} service {{service}} from {{client_ip}} at {{timestamp}}";
    static final String DEFAULT_SUMMARY = "IMSM {{type}}: {{user}} {{service}}";

    /** The target did not take the event; the message is for admins (dead-letter list, log). */
    static final class Failed extends Exception {
        Failed(String message) { super(message, null, false, false); }
    }

    private final HookHttp http;
    private final Database db;
    private final UserStore users;
    private final Clock clock;
    private final Duration timeout;

    Notifications(HookHttp http, Database db, UserStore users, Clock clock, Duration timeout) {
        this.http = Objects.requireNonNull(http);
        this.db = Objects.requireNonNull(db);
        this.users = Objects.requireNonNull(users);
        this.clock = Objects.requireNonNull(clock);
        this.timeout = Objects.requireNonNull(timeout);
    }

    void send(HookService.Loaded target, EventStore.Due event) throws Failed {
        Hook hook = target.hook();
        switch (hook.kind()) {
            case Hook.WEBHOOK -> webhook(hook, target.secret(), event);
            case Hook.SLACK -> slack(hook, event);
            case Hook.JIRA -> jira(hook, target.secret(), event);
            case Hook.SMS -> sms(hook, target.secret(), event);
            default -> throw new Failed("a " + hook.kind() + " hook takes no events");
        }
    }

    /** Standard Webhooks: the same webhook-id on every attempt, the attempt's time, v1 HMAC-SHA256 over id.timestamp.body. */
    private void webhook(Hook hook, String secret, EventStore.Due event) throws Failed {
        String timestamp = Long.toString(clock.instant().getEpochSecond());
        String signature = "v1," + sign(secret, event.eventId() + "." + timestamp + "." + event.payload());
        post(hook, URI.create(hook.url()), HttpRequest.newBuilder()
                .header("Content-Type", "application/json")
                .header("webhook-id", event.eventId())
                .header("webhook-timestamp", timestamp)
                .header("webhook-signature", signature)
                .POST(HttpRequest.BodyPublishers.ofString(event.payload())));
    }

    private void slack(Hook hook, EventStore.Due event) throws Failed {
        String text = Templates.render(hook.template() == null ? DEFAULT_TEMPLATE : hook.template(), variables(event));
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("text", text);
        body.put("blocks", List.of(Map.of("type", "section", "text", Map.of("type", "mrkdwn", "text", text))));
        post(hook, URI.create(hook.url()), json(body));
    }

    /** Jira REST create issue: POST {url}/rest/api/2/issue with basic auth (account and API token). */
    private void jira(Hook hook, String apiToken, EventStore.Due event) throws Failed {
        Map<String, Object> vars = variables(event);
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("project", Map.of("key", hook.project()));
        fields.put("issuetype", Map.of("name", hook.issueType()));
        fields.put("summary", cut(Templates.render(hook.summary() == null ? DEFAULT_SUMMARY : hook.summary(), vars), 250));
        fields.put("description", Templates.render(hook.description() == null ? DEFAULT_TEMPLATE : hook.description(), vars));
        post(hook, URI.create(hook.url() + "/rest/api/2/issue"), json(Map.of("fields", fields))
                .header("Authorization", basic(hook.username(), apiToken)));
    }

    /**
     * Twilio Messages API: one form-encoded POST (To, From, Body), basic auth, to the delivery's one
     * recipient (EventOutbox wrote one delivery per recipient): a phone number, or a person whose number
     * is read now. A person who no longer has one gets nothing, and the delivery is done.
     */
    private void sms(Hook hook, String authToken, EventStore.Due event) throws Failed {
        String recipient = event.recipient();
        if (recipient == null) {
            throw new Failed("sms hook " + hook.id() + ": the delivery names no recipient");
        }
        Optional<String> number = recipient.startsWith("+") ? Optional.of(recipient)
                : db.read(h -> users.findByUsername(h, recipient)).map(u -> u.phone()).filter(p -> p != null && !p.isBlank());
        if (number.isEmpty()) {
            return;
        }
        String text = cut(Templates.render(hook.template() == null ? DEFAULT_TEMPLATE : hook.template(), variables(event)), 1500);
        String form = "To=" + enc(number.get()) + "&From=" + enc(hook.from()) + "&Body=" + enc(text);
        post(hook, URI.create(hook.url()), HttpRequest.newBuilder()
                .header("Content-Type", "application/x-www-form-urlencoded")
                .header("Authorization", basic(hook.accountSid(), authToken))
                .POST(HttpRequest.BodyPublishers.ofString(form)));
    }

    private void post(Hook hook, URI uri, HttpRequest.Builder request) throws Failed {
        HookHttp.Answer answer;
        try {
            answer = http.call(uri, request, timeout);
        } catch (HookHttp.CallFailed e) {
            throw new Failed(hook.kind() + " hook " + hook.id() + ": " + e.getMessage());
        }
        if (!answer.ok()) {
            throw new Failed(hook.kind() + " hook " + hook.id() + " answered HTTP " + answer.status());
        }
    }

    /** The template variables: the event's id, type and timestamp, then its data fields. */
    static Map<String, Object> variables(EventStore.Due event) {
        Map<String, Object> vars = new LinkedHashMap<>();
        vars.put("id", event.eventId());
        try {
            JsonNode body = Json.mapper().readTree(event.payload());
            vars.put("type", body.path("type").asText());
            vars.put("timestamp", body.path("timestamp").asText());
            body.path("data").properties().forEach(e -> {
                if (!e.getValue().isNull()) {
                    vars.put(e.getKey(), e.getValue().isTextual() ? e.getValue().asText() : e.getValue().toString());
                }
            });
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stored event unreadable", e);
        }
        return vars;
    }

    static String sign(String secret, String content) {
        byte[] key = Base64.getDecoder().decode(secret.substring(HookService.SECRET_PREFIX.length()));
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return Base64.getEncoder().encodeToString(mac.doFinal(content.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static HttpRequest.Builder json(Object body) {
        try {
            return HttpRequest.newBuilder().header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(Json.mapper().writeValueAsString(body)));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private static String cut(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max - 1) + "…";
    }
}
