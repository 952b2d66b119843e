package io.imsm.server.events;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.imsm.server.audit.AuditLog;
import io.imsm.server.json.Json;
import io.imsm.server.model.AuditEvent;
import io.imsm.server.store.EventStore;
import io.imsm.server.store.HookStore;
import org.jdbi.v3.core.Handle;

import java.security.SecureRandom;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The transactional outbox of events (issue 11): hears every audited change in its transaction and,
 * when the change is an event some notification hook subscribed to, writes the event and one
 * delivery per such hook in that same transaction. A change that rolls back leaves no event; a
 * change that commits leaves one the delivery worker sends however often the process dies.
 */
public final class EventOutbox implements AuditLog.Listener {
    /** The kind of hook that decides instead of being told; it never receives events. */
    public static final String DECISION_KIND = "decision";
    private final EventStore events;
    private final HookStore hooks;
    private final SecureRandom random;

    public EventOutbox(EventStore events, HookStore hooks, SecureRandom random) {
        this.events = Objects.requireNonNull(events);
        this.hooks = Objects.requireNonNull(hooks);
        this.random = Objects.requireNonNull(random);
    }

    @Override
    public void recorded(Handle h, AuditEvent audited) {
        EventTypes.of(audited).ifPresent(e -> write(h, e, audited.at()));
    }

    /** Writes an event for the hooks that want it; returns its id, or null when no hook wants it. */
    public String write(Handle h, EventTypes.Event e, Instant at) {
        List<String> targets = new ArrayList<>();
        Object service = e.data().get("service");
        for (HookStore.Row row : hooks.notOfKind(h, DECISION_KIND)) {
            if (subscribed(row.spec(), e.type(), service == null ? null : service.toString())) {
                targets.add(row.id());
            }
        }
        if (targets.isEmpty()) {
            return null;
        }
        String id = "msg_" + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes(18));
        events.insertEvent(h, id, e.type(), payload(e, at), at);
        for (String hook : targets) {
            events.insertDelivery(h, id, hook, at);
        }
        return id;
    }

    /** The Standard Webhooks body: {@code {"type","timestamp","data"}}. */
    static String payload(EventTypes.Event e, Instant at) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("type", e.type());
        body.put("timestamp", DateTimeFormatter.ISO_INSTANT.format(at.truncatedTo(ChronoUnit.MILLIS)));
        body.put("data", e.data());
        try {
            return Json.mapper().writeValueAsString(body);
        } catch (JsonProcessingException ex) {
            throw new IllegalStateException(ex);
        }
    }

    /** A hook's filter: the event is in its {@code events}, and its {@code services} (when given) hold the event's service. */
    static boolean subscribed(String spec, String type, String service) {
        JsonNode doc;
        try {
            doc = Json.mapper().readTree(spec);
        } catch (JsonProcessingException ex) {
            throw new IllegalStateException("stored hook unreadable", ex);
        }
        boolean wanted = false;
        for (JsonNode t : doc.path("events")) {
            wanted |= t.asText().equals(type);
        }
        JsonNode services = doc.path("services");
        if (!wanted || !services.isArray() || services.isEmpty()) {
            return wanted;
        }
        for (JsonNode s : services) {
            if (s.asText().equals(service)) {
                return true;
            }
        }
        return false;
    }

    private byte[] bytes(int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }
}
