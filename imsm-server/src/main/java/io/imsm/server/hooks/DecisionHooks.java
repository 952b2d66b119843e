package io.imsm.server.hooks;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.imsm.server.ErrorCode;
import io.imsm.server.ImsmException;
import io.imsm.server.audit.AuditLog;
import io.imsm.server.json.Json;
import io.imsm.server.store.Database;
import io.imsm.server.token.IssuePolicy;

import java.net.URI;
import java.net.http.HttpRequest;
import java.time.Clock;
import java.time.Duration;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;

/**
 * Decision hooks: before a token is issued, each decision hook that applies to the service is asked
 * in the OPA data-API shape ({@code POST url} with {@code {"input": {...}}}, answer
 * {@code {"result": {"allow", "reason", "max_ttl_seconds", "require_approval"}}}). Any denial refuses
 * the request with its reason; the smallest {@code max_ttl_seconds} caps the lifetime. A hook that
 * does not answer in time, or answers something else, refuses (fail closed, the default) or is
 * skipped (fail open). Every decision is audited.
 */
public final class DecisionHooks implements IssuePolicy {
    /** A reason is shown to people and written to the audit log: printable and short. */
    static final int MAX_REASON = 300;
    private final Database db;
    private final HookService hooks;
    private final HookHttp http;
    private final AuditLog audit;
    private final Clock clock;

    public DecisionHooks(Database db, HookService hooks, HookHttp http, AuditLog audit, Clock clock) {
        this.db = Objects.requireNonNull(db);
        this.hooks = Objects.requireNonNull(hooks);
        this.http = Objects.requireNonNull(http);
        this.audit = Objects.requireNonNull(audit);
        this.clock = Objects.requireNonNull(clock);
    }

    /** One hook's answer. */
    record Answer(boolean allow, String reason, Integer maxTtlSeconds, boolean requireApproval) {}

    @Override
    public Verdict decide(Question q) {
        List<HookService.Loaded> applying = hooks.decisionHooks().stream()
                .filter(l -> l.hook().services() == null || l.hook().services().contains(q.service().id())).toList();
        if (applying.isEmpty()) {
            return new Verdict(q.ttlSeconds(), false);
        }
        String input = input(q);
        int ttl = q.ttlSeconds();
        boolean approval = false;
        for (HookService.Loaded l : applying) {
            Hook hook = l.hook();
            Answer a;
            try {
                a = ask(hook, input);
            } catch (HookHttp.CallFailed | IllegalArgumentException e) {
                boolean open = "open".equals(hook.fail());
                record(q, hook, open ? "error_open" : "error_closed", e.getMessage());
                if (open) {
                    continue;
                }
                throw new ImsmException.Forbidden(ErrorCode.DENIED_BY_POLICY, "No token: the policy service '" + hook.id()
                        + "' could not be asked, and without its answer the request is refused. Try again later.");
            }
            if (!a.allow()) {
                record(q, hook, "deny", a.reason());
                throw new ImsmException.Forbidden(ErrorCode.DENIED_BY_POLICY,
                        "Refused by policy" + (a.reason() == null ? "." : ": " + a.reason()));
            }
            if (a.maxTtlSeconds() != null && a.maxTtlSeconds() < ttl) {
                ttl = a.maxTtlSeconds();
            }
            approval |= a.requireApproval();
            record(q, hook, "allow", (a.reason() == null ? "" : a.reason() + " ") + "ttl=" + ttl
                    + (a.requireApproval() ? " require_approval" : ""));
        }
        if (ttl < 1) {
            throw new ImsmException.Forbidden(ErrorCode.DENIED_BY_POLICY, "Refused by policy: no lifetime allowed.");
        }
        return new Verdict(ttl, approval);
    }

    private Answer ask(Hook hook, String input) throws HookHttp.CallFailed {
        HookHttp.Answer res = http.call(URI.create(hook.url()), HttpRequest.newBuilder()
                .header("Content-Type", "application/json").header("Accept", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(input)), Duration.ofMillis(hook.timeoutMs()));
        if (!res.ok()) {
            throw new IllegalArgumentException("answered HTTP " + res.status());
        }
        JsonNode result;
        try {
            result = Json.mapper().readTree(res.body()).path("result");
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("answered something that is not JSON");
        }
        // OPA answers {} (no result) for an undefined rule: that is no decision, not a yes
        if (!result.isObject() || !result.path("allow").isBoolean()) {
            throw new IllegalArgumentException("answered without result.allow (true or false)");
        }
        JsonNode ttl = result.path("max_ttl_seconds");
        if (!ttl.isMissingNode() && !ttl.isNull() && !ttl.canConvertToInt()) {
            throw new IllegalArgumentException("answered a max_ttl_seconds that is not a whole number");
        }
        return new Answer(result.path("allow").asBoolean(), reason(result.path("reason")),
                ttl.isMissingNode() || ttl.isNull() ? null : ttl.asInt(), result.path("require_approval").asBoolean(false));
    }

    private static String reason(JsonNode n) {
        if (!n.isTextual() || n.asText().isBlank()) {
            return null;
        }
        String s = n.asText().replaceAll("\\p{Cntrl}", " ").strip();
        return s.length() <= MAX_REASON ? s : s.substring(0, MAX_REASON - 1) + "…";
    }

    private void record(Question q, Hook hook, String outcome, String detail) {
        audit.recordAlone(db, q.caller().actor(), "policy_decision", q.service().id(), q.caller().ip(), outcome,
                "hook=" + hook.id() + (detail == null || detail.isBlank() ? "" : " " + detail));
    }

    /**
     * The OPA input. Form fields the service wants encrypted (encrypted_claims) stay out: IMSM keeps
     * them from everyone but the service.
     */
    private String input(Question q) {
        Map<String, Object> user = new LinkedHashMap<>();
        user.put("id", q.caller().user().id());
        user.put("username", q.caller().user().username());
        user.put("roles", List.copyOf(new TreeSet<>(q.caller().user().roles())));
        Map<String, String> fields = new LinkedHashMap<>();
        q.fields().forEach((k, v) -> {
            if (!q.service().encryptedClaims().contains(k)) {
                fields.put(k, v);
            }
        });
        Map<String, Object> in = new LinkedHashMap<>();
        in.put("user", user);
        in.put("service", q.service().id());
        in.put("scopes", q.scopes());
        in.put("fields", fields);
        in.put("request", q.request() == null || q.request().method() == null ? null : q.request());
        in.put("ttl_seconds", q.ttlSeconds());
        in.put("client_ip", q.caller().ip());
        in.put("time", DateTimeFormatter.ISO_INSTANT.format(clock.instant().truncatedTo(ChronoUnit.SECONDS)));
        try {
            return Json.mapper().writeValueAsString(Map.of("input", in));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
