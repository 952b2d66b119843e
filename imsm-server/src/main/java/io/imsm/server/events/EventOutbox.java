package io.imsm.server.events;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.imsm.server.audit.AuditLog;
import io.imsm.server.json.Json;
import io.imsm.server.model.AuditEvent;
import io.imsm.server.model.UserStatus;
import io.imsm.server.store.AccessRequestStore;
import io.imsm.server.store.ConfigVersion;
import io.imsm.server.store.EventStore;
import io.imsm.server.store.HookStore;
import io.imsm.server.store.UserStore;
import org.jdbi.v3.core.Handle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.security.SecureRandom;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The transactional outbox of events (issue 11): hears every audited change in its transaction and,
 * when the change is an event some notification hook subscribed to, writes the event and one
 * delivery per such hook in that same transaction. A change that rolls back leaves no event; a
 * change that commits leaves one the delivery worker sends however often the process dies.
 */
public final class EventOutbox implements AuditLog.Listener {
    /** The kind of hook that decides instead of being told; it never receives events. */
    public static final String DECISION_KIND = "decision";
    /** The kind of hook whose event becomes one delivery per recipient. */
    public static final String SMS_KIND = "sms";
    /**
     * The most approvers one SMS hook texts about one event (docs/hooks.md): a role thousands hold
     * must not turn one access request into thousands of texts. The named manager comes first, then
     * the others by username.
     */
    public static final int MAX_APPROVERS_TEXTED = 20;
    private static final Logger LOG = LoggerFactory.getLogger(EventOutbox.class);
    private final EventStore events;
    private final HookStore hooks;
    private final UserStore users;
    private final AccessRequestStore accessRequests;
    private final SecureRandom random;
    /** The notification hooks, parsed: read on every audited change, so cached per configuration version. */
    private final ConfigVersion.Cached<List<Notifying>> notifying = new ConfigVersion.Cached<>();

    private record Notifying(HookStore.Row row, JsonNode spec) {}

    public EventOutbox(EventStore events, HookStore hooks, UserStore users, AccessRequestStore accessRequests, SecureRandom random) {
        this.events = Objects.requireNonNull(events);
        this.hooks = Objects.requireNonNull(hooks);
        this.users = Objects.requireNonNull(users);
        this.accessRequests = Objects.requireNonNull(accessRequests);
        this.random = Objects.requireNonNull(random);
    }

    @Override
    public void recorded(Handle h, AuditEvent audited) {
        EventTypes.of(audited).ifPresent(e -> write(h, e, audited.at()));
    }

    /** Writes an event for the hooks that want it; returns its id, or null when no hook wants it. */
    public String write(Handle h, EventTypes.Event e, Instant at) {
        // hook id → its recipients (SMS), or a list holding null (one delivery to the hook's URL)
        Map<String, List<String>> targets = new LinkedHashMap<>();
        Object service = e.data().get("service");
        for (Notifying n : notifying.get(h, this::loadNotifying)) {
            HookStore.Row row = n.row();
            JsonNode spec = n.spec();
            if (subscribed(spec, e.type(), service == null ? null : service.toString())) {
                List<String> to = SMS_KIND.equals(row.kind()) ? recipients(h, row.id(), spec, e) : Collections.singletonList(null);
                if (!to.isEmpty()) {
                    targets.put(row.id(), to);
                }
            }
        }
        if (targets.isEmpty()) {
            return null;
        }
        String id = "msg_" + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes(18));
        events.insertEvent(h, id, e.type(), payload(e, at), at);
        targets.forEach((hook, to) -> to.forEach(recipient -> events.insertDelivery(h, id, hook, recipient, at)));
        return id;
    }

    /**
     * Whom an SMS hook texts about this event, from its {@code to}: phone numbers as given; {@code user},
     * the person the event is about when they have a phone number; {@code approvers}, for an event about
     * an access request, the active people holding one of its approver roles who have one, never the
     * requester, at most {@link #MAX_APPROVERS_TEXTED}. People are named by username: their number is
     * read when the text is sent. Resolved here, in the change's transaction, so each text is its own
     * delivery, retried on its own.
     */
    private List<String> recipients(Handle h, String hookId, JsonNode spec, EventTypes.Event e) {
        Set<String> out = new LinkedHashSet<>();
        JsonNode to = spec.path("to");
        for (JsonNode t : to.isArray() && !to.isEmpty() ? to : Json.mapper().createArrayNode().add("user")) {
            String entry = t.asText();
            if (entry.startsWith("+")) {
                out.add(entry);
            } else if (entry.equals("user") && e.data().get("user") != null) {
                users.findByUsername(h, e.data().get("user").toString()).filter(u -> hasPhone(u.phone())).ifPresent(u -> out.add(u.username()));
            } else if (entry.equals("approvers") && e.data().get("request_id") != null) {
                out.addAll(approvers(h, hookId, e.data().get("request_id").toString()));
            }
        }
        return List.copyOf(out);
    }

    private List<String> approvers(Handle h, String hookId, String requestId) {
        Optional<AccessRequestStore.Row> request = accessRequests.find(h, requestId);
        if (request.isEmpty()) {
            return List.of();
        }
        AccessRequestStore.Row r = request.get();
        Set<String> out = new LinkedHashSet<>();
        if (r.manager() != null) {
            users.findByUsername(h, r.manager()).filter(u -> u.status() == UserStatus.ACTIVE && hasPhone(u.phone())
                    && !u.id().equals(r.userId())).ifPresent(u -> out.add(u.username()));
        }
        List<String> holders = users.activeWithPhoneInRoles(h, r.approverRoles(), r.userId(), MAX_APPROVERS_TEXTED + 1);
        out.addAll(holders);
        if (out.size() > MAX_APPROVERS_TEXTED) {
            LOG.atWarn().addKeyValue("hook", hookId).addKeyValue("request", requestId).addKeyValue("texted", MAX_APPROVERS_TEXTED)
                    .log("more approvers with a phone number than an SMS hook texts; the others are not texted");
        }
        return out.stream().limit(MAX_APPROVERS_TEXTED).toList();
    }

    private static boolean hasPhone(String phone) {
        return phone != null && !phone.isBlank();
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
    static boolean subscribed(JsonNode doc, String type, String service) {
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

    private List<Notifying> loadNotifying(Handle h) {
        return hooks.notOfKind(h, DECISION_KIND).stream().map(r -> new Notifying(r, read(r.spec()))).toList();
    }

    private static JsonNode read(String spec) {
        try {
            return Json.mapper().readTree(spec);
        } catch (JsonProcessingException ex) {
            throw new IllegalStateException("stored hook unreadable", ex);
        }
    }

    private byte[] bytes(int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }
}
