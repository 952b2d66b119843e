package io.imsm.server.hooks;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectReader;
import io.imsm.server.ImsmException;
import io.imsm.server.access.ServiceUrls;
import io.imsm.server.audit.AuditLog;
import io.imsm.server.events.EventTypes;
import io.imsm.server.identity.Caller;
import io.imsm.server.json.Json;
import io.imsm.server.keys.KeyEncryptionKey;
import io.imsm.server.store.ConfigVersion;
import io.imsm.server.store.Database;
import io.imsm.server.store.EventStore;
import io.imsm.server.store.HookStore;
import org.jdbi.v3.core.Handle;

import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The hook registry (admins only): notification hooks that are told about events, and decision
 * hooks that are asked before a token is issued. A webhook's signing secret is made here and shown
 * once; every secret is stored encrypted under the key-encryption key, bound to its row.
 */
public final class HookService {
    public static final int MAX_HOOKS = 200;
    public static final int MAX_DEAD_LISTED = 500;
    private static final Pattern ID = Pattern.compile("[a-z][a-z0-9-]{1,62}");
    private static final Pattern SERVICE_ID = Pattern.compile("[a-z][a-z0-9-]{1,62}");
    private static final Pattern PHONE = Pattern.compile("\\+[1-9][0-9]{6,14}");
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9 ._@+-]{1,100}");
    private static final ObjectReader STORED = Json.mapper().readerFor(Hook.class)
            .without(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    static final String SECRET_PREFIX = "whsec_";

    private final Database db;
    private final HookStore store;
    private final EventStore events;
    private final AuditLog audit;
    private final ServiceUrls urls;
    private final KeyEncryptionKey kek;
    private final SecureRandom random;
    private final Clock clock;
    private final ConfigVersion.Cached<List<Loaded>> decisionHooks = new ConfigVersion.Cached<>();

    public HookService(Database db, HookStore store, EventStore events, AuditLog audit, ServiceUrls urls, KeyEncryptionKey kek,
                       SecureRandom random, Clock clock) {
        this.db = Objects.requireNonNull(db);
        this.store = Objects.requireNonNull(store);
        this.events = Objects.requireNonNull(events);
        this.audit = Objects.requireNonNull(audit);
        this.urls = Objects.requireNonNull(urls);
        this.kek = Objects.requireNonNull(kek);
        this.random = Objects.requireNonNull(random);
        this.clock = Objects.requireNonNull(clock);
    }

    /** A saved hook; {@code secret} is the webhook signing secret, only when it was made by this call. */
    public record Saved(Hook hook, String secret, boolean created) {
        @Override public String toString() { return "Saved[" + hook + ", created=" + created + "]"; }
    }

    public List<Hook> list(Caller caller) {
        caller.requireAdmin();
        return db.read(h -> store.list(h)).stream().map(r -> read(r.spec())).toList();
    }

    public Hook get(Caller caller, String id) {
        caller.requireAdmin();
        return db.read(h -> store.find(h, id)).map(r -> read(r.spec()))
                .orElseThrow(() -> new ImsmException.NotFound("No hook with id " + id));
    }

    /** Creates a hook; 409 when the id exists. A webhook's answer holds its signing secret, once. */
    public Saved create(Caller caller, Hook hook) {
        caller.requireAdmin();
        Hook v = validate(hook, false);
        return db.inTransaction(h -> insert(h, caller, v));
    }

    /** Replaces a hook's definition; its kind stays, as does a secret the body does not replace. */
    public Saved put(Caller caller, String id, Hook hook) {
        caller.requireAdmin();
        if (hook == null) {
            throw new ImsmException.Invalid("body required");
        }
        if (hook.id() != null && !hook.id().equals(id)) {
            throw new ImsmException.Invalid("the id in the body ('" + hook.id() + "') differs from the one in the path ('" + id + "')");
        }
        Hook v = validate(withId(hook, id), true);
        return db.inTransaction(h -> {
            Optional<HookStore.Row> old = store.find(h, id);
            if (old.isEmpty()) {
                return insert(h, caller, v);
            }
            return update(h, caller, old.get(), v);
        });
    }

    /** Creates or replaces every hook in the list, all or nothing (for {@code imsm apply}). */
    public List<Saved> apply(Caller caller, List<Hook> hooks) {
        caller.requireAdmin();
        if (hooks == null || hooks.size() > MAX_HOOKS) {
            throw new ImsmException.Invalid("hooks must be a list of at most " + MAX_HOOKS);
        }
        List<Hook> valid = new ArrayList<>();
        var seen = new LinkedHashSet<String>();
        for (Hook hk : hooks) {
            Hook v = validate(hk, true);
            if (!seen.add(v.id())) {
                throw new ImsmException.Invalid("hook '" + v.id() + "' appears twice");
            }
            valid.add(v);
        }
        return db.inTransaction(h -> {
            List<Saved> out = new ArrayList<>();
            for (Hook v : valid) {
                Optional<HookStore.Row> old = store.find(h, v.id());
                out.add(old.isEmpty() ? insert(h, caller, v) : update(h, caller, old.get(), v));
            }
            return out;
        });
    }

    public void delete(Caller caller, String id) {
        caller.requireAdmin();
        db.inTransaction(h -> {
            if (!store.delete(h, id)) {
                throw new ImsmException.NotFound("No hook with id " + id);
            }
            int dropped = events.dropForHook(h, id);
            audit.record(h, caller.actor(), "hook_delete", id, caller.ip(), "ok", "undelivered_dropped=" + dropped);
            return null;
        });
    }

    /** Deliveries that failed their last attempt, newest first. */
    public List<EventStore.Dead> deadLetters(Caller caller) {
        caller.requireAdmin();
        return db.read(h -> events.deadLetters(h, MAX_DEAD_LISTED));
    }

    /** Sends a dead delivery again (same webhook-id), with a fresh count of attempts. */
    public void replay(Caller caller, long deliveryId) {
        caller.requireAdmin();
        db.inTransaction(h -> {
            if (!events.replay(h, deliveryId, clock.instant())) {
                throw new ImsmException.NotFound("No dead delivery with id " + deliveryId);
            }
            audit.record(h, caller.actor(), "hook_replay", String.valueOf(deliveryId), caller.ip(), "ok", null);
            return null;
        });
    }

    // ------------------------------------------------------------------ used by delivery and decisions

    /** A stored hook with its secret decrypted, for the delivery worker and decision calls. */
    record Loaded(Hook hook, String secret) {
        @Override public String toString() { return "Loaded[" + hook + "]"; }
    }

    Optional<Loaded> load(Handle h, String id) {
        return store.find(h, id).map(this::loaded);
    }

    /**
     * The decision hooks with their secrets, asked on every token request: cached while the
     * configuration's version is unchanged ({@link ConfigVersion}), so a token reads no hook row.
     */
    List<Loaded> decisionHooks() {
        return decisionHooks.get(db, h -> store.ofKind(h, Hook.DECISION).stream().map(this::loaded).toList());
    }

    private Loaded loaded(HookStore.Row r) {
        return new Loaded(read(r.spec()), r.secretEnc() == null ? null : kek.decrypt(r.secretEnc(), context(r.id())));
    }

    private static String context(String id) {
        return HookStore.secretContext(id);
    }

    // ------------------------------------------------------------------ internals

    private Saved insert(Handle h, Caller caller, Hook v) {
        if (store.list(h).size() >= MAX_HOOKS) {
            throw new ImsmException.Conflict("There are " + MAX_HOOKS + " hooks already; delete one first.");
        }
        String made = Hook.WEBHOOK.equals(v.kind()) ? newSigningSecret() : null;
        String secret = made != null ? made : v.givenSecret();
        if ((Hook.SMS.equals(v.kind()) || Hook.JIRA.equals(v.kind())) && secret == null) {
            throw ImsmException.Invalid.inField(Hook.SMS.equals(v.kind()) ? "auth_token" : "api_token",
                    "a " + v.kind() + " hook needs its " + (Hook.SMS.equals(v.kind()) ? "auth_token" : "api_token"));
        }
        store.insert(h, new HookStore.Row(v.id(), v.kind(), write(v.withoutSecrets()), secret == null ? null
                : kek.encrypt(secret, context(v.id()))), clock.instant(), caller.actor());
        audit.record(h, caller.actor(), "hook_create", v.id(), caller.ip(), "ok", "kind=" + v.kind());
        return new Saved(v.withoutSecrets(), made, true);
    }

    private Saved update(Handle h, Caller caller, HookStore.Row old, Hook v) {
        if (!old.kind().equals(v.kind())) {
            throw new ImsmException.Conflict("Hook '" + v.id() + "' is a " + old.kind() + " hook; its kind cannot change (delete it and create it again).");
        }
        String secretEnc = v.givenSecret() != null ? kek.encrypt(v.givenSecret(), context(v.id())) : old.secretEnc();
        String spec = write(v.withoutSecrets());
        if (spec.equals(old.spec()) && Objects.equals(secretEnc, old.secretEnc())) {
            return new Saved(v.withoutSecrets(), null, false);
        }
        store.update(h, new HookStore.Row(v.id(), v.kind(), spec, secretEnc), clock.instant(), caller.actor());
        audit.record(h, caller.actor(), "hook_update", v.id(), caller.ip(), "ok", "kind=" + v.kind());
        return new Saved(v.withoutSecrets(), null, false);
    }

    private String newSigningSecret() {
        byte[] key = new byte[32];
        random.nextBytes(key);
        return SECRET_PREFIX + Base64.getEncoder().encodeToString(key);
    }

    private static Hook withId(Hook k, String id) {
        return new Hook(id, k.kind(), k.url(), k.events(), k.services(), k.template(), k.project(), k.issueType(), k.summary(),
                k.description(), k.username(), k.apiToken(), k.accountSid(), k.authToken(), k.from(), k.to(), k.timeoutMs(), k.fail());
    }

    /** Checks a definition and returns it normalized (URL, defaults); refusals name the field. */
    Hook validate(Hook k, boolean idFromPath) {
        if (k == null) {
            throw new ImsmException.Invalid("body required");
        }
        if (k.id() == null || !ID.matcher(k.id()).matches()) {
            throw ImsmException.Invalid.inField("id", "id must be 2-63 lower-case letters, digits or '-', starting with a letter");
        }
        if (k.kind() == null || !Hook.KINDS.contains(k.kind())) {
            throw ImsmException.Invalid.inField("kind", "kind must be one of " + String.join(", ", Hook.KINDS));
        }
        String url = urls.validate(k.url(), "url");
        boolean decision = Hook.DECISION.equals(k.kind());
        List<String> evs = k.events() == null ? List.of() : List.copyOf(new LinkedHashSet<>(k.events()));
        if (decision && !evs.isEmpty()) {
            throw ImsmException.Invalid.inField("events", "a decision hook is asked before each token, not told about events; leave events out");
        }
        if (!decision && evs.isEmpty()) {
            throw ImsmException.Invalid.inField("events", "name at least one event: " + String.join(", ", EventTypes.ALL));
        }
        for (String e : evs) {
            if (!EventTypes.ALL.contains(e)) {
                throw ImsmException.Invalid.inField("events", "unknown event '" + e + "'; known: " + String.join(", ", EventTypes.ALL));
            }
        }
        List<String> svcs = k.services() == null ? List.of() : List.copyOf(new LinkedHashSet<>(k.services()));
        if (svcs.size() > 100 || svcs.stream().anyMatch(s -> s == null || !SERVICE_ID.matcher(s).matches())) {
            throw ImsmException.Invalid.inField("services", "services must be at most 100 service ids");
        }
        only(k, decision, List.of(), "timeout_ms", k.timeoutMs(), "fail", k.fail());
        only(k, Hook.JIRA.equals(k.kind()), List.of("project"), "project", k.project(), "issue_type", k.issueType(),
                "summary", k.summary(), "description", k.description(), "username", k.username(), "api_token", k.apiToken());
        only(k, Hook.SMS.equals(k.kind()), List.of("from", "account_sid"), "account_sid", k.accountSid(), "auth_token", k.authToken(),
                "from", k.from(), "to", k.to());
        if (k.template() != null && !(Hook.SLACK.equals(k.kind()) || Hook.SMS.equals(k.kind()))) {
            throw ImsmException.Invalid.inField("template", "template is for slack and sms hooks (jira has summary and description)");
        }
        Templates.check(k.template(), "template");
        Templates.check(k.summary(), "summary");
        Templates.check(k.description(), "description");
        Integer timeout = null;
        String fail = null;
        if (decision) {
            timeout = k.timeoutMs() == null ? 1000 : k.timeoutMs();
            if (timeout < 50 || timeout > 10_000) {
                throw ImsmException.Invalid.inField("timeout_ms", "timeout_ms must be between 50 and 10000");
            }
            fail = k.fail() == null ? "closed" : k.fail();
            if (!fail.equals("closed") && !fail.equals("open")) {
                throw ImsmException.Invalid.inField("fail", "fail must be closed (no answer refuses the token) or open");
            }
        }
        if (Hook.JIRA.equals(k.kind())) {
            if (k.project() == null || !k.project().matches("[A-Z][A-Z0-9_]{0,49}")) {
                throw ImsmException.Invalid.inField("project", "project must be a Jira project key like SEC");
            }
            if (k.issueType() != null && !NAME.matcher(k.issueType()).matches()) {
                throw ImsmException.Invalid.inField("issue_type", "issue_type must be a name of at most 100 characters");
            }
            if (k.username() == null || !NAME.matcher(k.username()).matches()) {
                throw ImsmException.Invalid.inField("username", "username (the account of the API token) is required");
            }
        }
        List<String> to = null;
        if (Hook.SMS.equals(k.kind())) {
            if (!PHONE.matcher(k.from()).matches()) {
                throw ImsmException.Invalid.inField("from", "from must be a phone number in E.164 form, like +15551234567");
            }
            if (k.accountSid() == null || !k.accountSid().matches("[A-Za-z0-9]{1,64}")) {
                throw ImsmException.Invalid.inField("account_sid", "account_sid must be 1-64 letters or digits");
            }
            to = k.to() == null || k.to().isEmpty() ? List.of("user") : List.copyOf(new LinkedHashSet<>(k.to()));
            if (to.size() > 20 || to.stream().anyMatch(t -> !"user".equals(t) && !"approvers".equals(t) && !PHONE.matcher(t).matches())) {
                throw ImsmException.Invalid.inField("to", "to holds 'user', 'approvers' and phone numbers in E.164 form (at most 20)");
            }
        }
        for (String secret : new String[] {k.authToken(), k.apiToken()}) {
            if (secret != null && (secret.isBlank() || secret.length() > 500)) {
                throw new ImsmException.Invalid("a token must be 1-500 characters");
            }
        }
        String issueType = Hook.JIRA.equals(k.kind()) && k.issueType() == null ? "Task" : k.issueType();
        return new Hook(k.id(), k.kind(), url, evs.isEmpty() ? null : evs, svcs.isEmpty() ? null : svcs, k.template(), k.project(),
                issueType, k.summary(), k.description(), k.username(), k.apiToken(), k.accountSid(), k.authToken(), k.from(), to,
                timeout, fail);
    }

    /** Refuses settings of another kind; when they apply, the {@code required} ones must be present. */
    private static void only(Hook k, boolean allowed, List<String> required, Object... namesAndValues) {
        for (int i = 0; i < namesAndValues.length; i += 2) {
            String name = (String) namesAndValues[i];
            Object value = namesAndValues[i + 1];
            if (allowed && required.contains(name) && value == null) {
                throw ImsmException.Invalid.inField(name, "a " + k.kind() + " hook needs " + name);
            }
            if (!allowed && value != null) {
                throw ImsmException.Invalid.inField(name, name + " is not a setting of a " + k.kind() + " hook");
            }
        }
    }

    static Hook read(String spec) {
        try {
            return STORED.readValue(spec);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stored hook unreadable", e);
        }
    }

    private static String write(Hook h) {
        try {
            return Json.mapper().writeValueAsString(h);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
