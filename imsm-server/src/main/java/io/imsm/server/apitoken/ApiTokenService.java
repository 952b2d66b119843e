package io.imsm.server.apitoken;

import io.imsm.protocol.ConstantTime;
import io.imsm.server.ErrorCode;
import io.imsm.server.ImsmException;
import io.imsm.server.audit.AuditLog;
import io.imsm.server.identity.ApiTokenCallers;
import io.imsm.server.identity.Caller;
import io.imsm.server.identity.Secrets;
import io.imsm.server.model.ApiToken;
import io.imsm.server.model.ApiTokenEvent;
import io.imsm.server.model.User;
import io.imsm.server.model.UserStatus;
import io.imsm.server.store.ApiTokenStore;
import io.imsm.server.store.Database;
import io.imsm.server.store.UserStore;
import org.jdbi.v3.core.Handle;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * People's API tokens ({@code imsm_<key>.<secret>}) and the tokens delegated from them: create,
 * list, rename, change scopes or expiry, delete (with every delegated token), the change history, and
 * verifying a presented token for the API and the ingress. A token carries at most the scopes its owner
 * holds through their roles ({@code scopes} mapping), checked when it is made and again when it is used.
 */
public final class ApiTokenService implements ApiTokenCallers, AutoCloseable {
    /** The scope an API token needs to manage the person's own tokens through the API. */
    public static final String USER_TOKEN_SCOPE = "user:token";
    public static final int MAX_TOKENS_PER_PERSON = 100;
    public static final int MAX_HISTORY = 500;
    static final Duration DEFAULT_DELEGATED_LIFETIME = Duration.ofHours(1);
    static final Duration MAX_DELEGATED_LIFETIME = Duration.ofDays(1);
    private static final Duration TOUCH_EVERY = Duration.ofMinutes(1);
    private static final Pattern SCOPE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9:._/-]{0,63}");
    private static final Pattern AUDIENCE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9:._/-]{0,99}");
    private static final Set<String> EVENTS = Set.of("created", "renamed", "scopes_changed", "expiry_changed",
            "used_new_address", "deleted", "disabled");

    private final Database db;
    private final ApiTokenStore store;
    private final UserStore users;
    private final AuditLog audit;
    private final Secrets secrets;
    private final Clock clock;
    private final Function<Collection<String>, Set<String>> scopesForRoles;
    private final VerifiedTokens verified;

    /** What a person asks for. {@code expiresAt} null: the token does not expire. */
    public record CreateRequest(String name, List<String> scopes, Instant expiresAt) {}

    /** A change; null members stay as they are. {@code noExpiry} true removes the expiry. */
    public record UpdateRequest(String name, List<String> scopes, Instant expiresAt, Boolean noExpiry) {}

    /** A token as its owner sees it: never the secret. */
    public record TokenView(String key, String name, List<String> scopes, Instant createdAt, Instant expiresAt,
                            Instant lastUsedAt, String lastUsedIp, boolean expired) {}

    /** A token just made: the only time {@code token} is shown. */
    public record Created(String token, String key, String name, List<String> scopes, Instant expiresAt) {
        @Override public String toString() { return "Created[key=" + key + "]"; }
    }

    /** A delegated token (RFC 8693 issued token) for one audience. */
    public record Delegated(String token, String key, String parentKey, String audience, List<String> scopes,
                            Instant issuedAt, Instant expiresAt) {
        @Override public String toString() { return "Delegated[key=" + key + ", parent=" + parentKey + "]"; }
    }

    /** A presented token that checked out: its row, its owner and the scopes it carries now. */
    public record Holder(ApiToken token, User user, Set<String> scopes) {}

    /**
     * @param scopesForRoles the scopes a person with these roles holds (the scope mapping in force)
     * @param cacheTtl       how long a verified token is believed without the database
     * @param pollInterval   how often to look for tokens revoked on other instances; empty for a single instance
     */
    public ApiTokenService(Database db, ApiTokenStore store, UserStore users, AuditLog audit, Secrets secrets, Clock clock,
                           Function<Collection<String>, Set<String>> scopesForRoles, Duration cacheTtl,
                           Optional<Duration> pollInterval) {
        this.db = Objects.requireNonNull(db);
        this.store = Objects.requireNonNull(store);
        this.users = Objects.requireNonNull(users);
        this.audit = Objects.requireNonNull(audit);
        this.secrets = Objects.requireNonNull(secrets);
        this.clock = Objects.requireNonNull(clock);
        this.scopesForRoles = Objects.requireNonNull(scopesForRoles);
        this.verified = new VerifiedTokens(db, store, cacheTtl, pollInterval);
    }

    /** After the migrations: looks once at the history so later looks see only what is new, then keeps looking. */
    public void start() {
        verified.start();
    }

    // ---- the person's own tokens, or (admins) anyone's by username ----

    public List<TokenView> list(Caller caller, String username) {
        User owner = owner(caller, username);
        Instant now = clock.instant();
        return db.read(h -> store.listUserTokens(h, owner.id(), MAX_TOKENS_PER_PERSON)).stream().map(t -> view(t, now)).toList();
    }

    public TokenView get(Caller caller, String username, String key) {
        User owner = owner(caller, username);
        return view(db.read(h -> ownToken(h, owner, key)), clock.instant());
    }

    public Created create(Caller caller, String username, CreateRequest r) {
        User owner = owner(caller, username);
        if (r == null) {
            throw new ImsmException.Invalid("Send {\"name\", \"scopes\", \"expires_at\"}.");
        }
        String name = name(r.name());
        List<String> scopes = scopesWithin(owner, r.scopes());
        Instant now = clock.instant();
        Instant expiresAt = expiry(r.expiresAt(), now);
        ApiTokenFormat parts = new ApiTokenFormat(secrets.token(16), secrets.token(32));
        ApiToken t = new ApiToken(parts.key(), Secrets.sha256Hex(parts.secret()), owner.id(), ApiToken.USER, name, scopes, null, null,
                now, expiresAt, null, null, null, null);
        db.inTransaction(h -> {
            if (store.countLiveUserTokens(h, owner.id()) >= MAX_TOKENS_PER_PERSON) {
                throw new ImsmException.Conflict("A person can hold at most " + MAX_TOKENS_PER_PERSON + " API tokens; delete one first.");
            }
            requireFreeName(h, owner, name, null);
            store.insert(h, t, nameKey(name));
            event(h, t, owner, "created", caller.actor(), caller.ip(), "name=" + name + " scopes=" + String.join(" ", scopes)
                    + " expires=" + (expiresAt == null ? "never" : expiresAt));
            return null;
        });
        return new Created(parts.token(), t.key(), name, scopes, expiresAt);
    }

    public TokenView update(Caller caller, String username, String key, UpdateRequest r) {
        User owner = owner(caller, username);
        if (r == null) {
            throw new ImsmException.Invalid("Send the members to change: name, scopes, expires_at or no_expiry.");
        }
        Instant now = clock.instant();
        String name = r.name() == null ? null : name(r.name());
        List<String> scopes = r.scopes() == null ? null : scopesWithin(owner, r.scopes());
        boolean clearExpiry = Boolean.TRUE.equals(r.noExpiry());
        if (clearExpiry && r.expiresAt() != null) {
            throw ImsmException.Invalid.inField("expires_at", "Send expires_at or no_expiry, not both.");
        }
        Instant expiresAt = r.expiresAt() == null ? null : expiry(r.expiresAt(), now);
        ApiToken changed = db.inTransaction(h -> {
            ApiToken t = ownToken(h, owner, key);
            if (name != null && !name.equals(t.name())) {
                requireFreeName(h, owner, name, key);
                store.rename(h, key, name, nameKey(name));
                event(h, t, owner, "renamed", caller.actor(), caller.ip(), t.name() + " -> " + name);
            }
            if (scopes != null && !scopes.equals(t.scopes())) {
                store.setScopes(h, key, scopes);
                event(h, t, owner, "scopes_changed", caller.actor(), caller.ip(),
                        String.join(" ", t.scopes()) + " -> " + String.join(" ", scopes));
            }
            if ((clearExpiry && t.expiresAt() != null) || (expiresAt != null && !expiresAt.equals(t.expiresAt()))) {
                store.setExpiry(h, key, expiresAt);
                event(h, t, owner, "expiry_changed", caller.actor(), caller.ip(),
                        (t.expiresAt() == null ? "never" : t.expiresAt()) + " -> " + (expiresAt == null ? "never" : expiresAt));
            }
            return store.find(h, key).orElseThrow();
        });
        verified.catchUp();
        return view(changed, now);
    }

    /** Deletes the token and every token delegated from it. */
    public void delete(Caller caller, String username, String key) {
        User owner = owner(caller, username);
        db.inTransaction(h -> {
            ownToken(h, owner, key);
            revokeWithDelegated(h, key, owner, "deleted", caller.actor(), caller.ip());
            return null;
        });
        verified.catchUp();
    }

    /** The token's history (and that of the tokens delegated from it), newest first. */
    public List<ApiTokenEvent> history(Caller caller, String username, String key) {
        User owner = owner(caller, username);
        return db.read(h -> {
            Optional<ApiToken> t = store.find(h, key);
            if (t.isEmpty() || !t.get().userId().equals(owner.id())) {
                throw new ImsmException.NotFound("No such token.");
            }
            return store.history(h, key, MAX_HISTORY);
        });
    }

    /** Admins: the history across people; every filter optional. */
    public List<ApiTokenEvent> searchHistory(Caller caller, String username, String key, String event, Instant since, Integer limit) {
        caller.requireAdmin();
        if (event != null && !EVENTS.contains(event)) {
            throw ImsmException.Invalid.inField("event", "event is one of " + new TreeSet<>(EVENTS) + ".");
        }
        int lim = limit == null ? 100 : limit;
        if (lim < 1 || lim > MAX_HISTORY) {
            throw ImsmException.Invalid.inField("limit", "limit is between 1 and " + MAX_HISTORY + ".");
        }
        return db.read(h -> store.search(h, blankToNull(username), blankToNull(key), event, since, lim));
    }

    /** The scopes a person holds through their roles. */
    public SortedSet<String> scopesOf(User user) {
        return new TreeSet<>(scopesForRoles.apply(user.roles()));
    }

    // ---- delegation (RFC 8693 token exchange) ----

    /**
     * Token exchange (RFC 8693 section 2.1): from a person's user API token (the subject token, which
     * is also the proof: whoever holds it may act for its owner), a token for {@code audience} with at
     * most the subject's scopes and a lifetime no longer than the subject's remaining one. It is revoked
     * with its parent and recorded in the parent's history. An OAuth grant handler calls this as it is.
     *
     * @param scopes            the scopes asked for; null or empty: all of the subject's
     * @param requestedLifetime null: one hour (capped at one day and at the subject's remaining life)
     */
    public Delegated delegate(String subjectToken, String audience, Collection<String> scopes, Duration requestedLifetime, String ip) {
        Holder parent = verify(subjectToken, ip)
                .orElseThrow(() -> new ImsmException.Unauthenticated(ErrorCode.INVALID_TOKEN, "The subject token is not a valid API token."));
        if (parent.token().delegated()) {
            throw new ImsmException.Forbidden("A delegated token cannot be delegated again; use the person's own API token.");
        }
        if (audience == null || !AUDIENCE.matcher(audience).matches()) {
            throw ImsmException.Invalid.inField("audience", "audience names the service the token is for (1-100 of letters, digits, ':._/-').");
        }
        List<String> asked = scopes == null || scopes.isEmpty() ? List.copyOf(new TreeSet<>(parent.scopes())) : validScopes(scopes);
        if (!parent.scopes().containsAll(asked)) {
            TreeSet<String> extra = new TreeSet<>(asked);
            extra.removeAll(parent.scopes());
            throw ImsmException.Invalid.inField("scope", "The subject token does not carry " + String.join(" ", extra) + ".");
        }
        Duration lifetime = requestedLifetime == null ? DEFAULT_DELEGATED_LIFETIME : requestedLifetime;
        if (lifetime.isNegative() || lifetime.isZero() || lifetime.compareTo(MAX_DELEGATED_LIFETIME) > 0) {
            throw ImsmException.Invalid.inField("requested_lifetime", "The lifetime is between 1 second and one day.");
        }
        Instant now = clock.instant();
        Instant expiresAt = now.plus(lifetime);
        if (parent.token().expiresAt() != null && parent.token().expiresAt().isBefore(expiresAt)) {
            expiresAt = parent.token().expiresAt();
        }
        ApiTokenFormat parts = new ApiTokenFormat(secrets.token(16), secrets.token(32));
        ApiToken t = new ApiToken(parts.key(), Secrets.sha256Hex(parts.secret()), parent.user().id(), ApiToken.DELEGATED,
                "delegated to " + audience, asked, parent.token().key(), audience, now, expiresAt, null, null, null, null);
        Instant until = expiresAt;
        db.inTransaction(h -> {
            ApiToken p = store.find(h, parent.token().key()).filter(x -> x.liveAt(now))
                    .orElseThrow(() -> new ImsmException.Unauthenticated(ErrorCode.INVALID_TOKEN, "The subject token is not a valid API token."));
            store.insert(h, t, null);
            event(h, t, parent.user(), "created", parent.user().username(), ip, "delegated from " + p.key() + " to " + audience
                    + " scopes=" + String.join(" ", asked) + " expires=" + until);
            return null;
        });
        return new Delegated(parts.token(), t.key(), parent.token().key(), audience, asked, now, until);
    }

    // ---- verification (the API's bearer tokens and the ingress) ----

    @Override
    public Optional<Caller> callerFor(String token, String ip) {
        if (ApiTokenFormat.parse(token).isEmpty()) {
            return Optional.empty();
        }
        Holder v = verify(token, ip)
                .orElseThrow(() -> new ImsmException.Unauthenticated(ErrorCode.INVALID_TOKEN, "The bearer token is not valid."));
        if (v.token().delegated()) {
            // a delegated token is for its audience, never for IMSM's own API
            throw new ImsmException.Unauthenticated(ErrorCode.INVALID_TOKEN, "A delegated token is only valid at its service.");
        }
        return Optional.of(Caller.apiToken(v.user(), v.scopes(), ip));
    }

    /** The live token behind {@code token} and what it may do now, or empty. Cached per token digest. */
    public Optional<Holder> verify(String token, String ip) {
        Optional<ApiTokenFormat> parts = ApiTokenFormat.parse(token);
        if (parts.isEmpty()) {
            return Optional.empty();
        }
        String digest = Secrets.sha256Hex(token);
        Instant now = clock.instant();
        VerifiedTokens.Verified v = verified.cached(digest);
        if (v == null) {
            if (verified.refusedRecently(digest)) {
                return Optional.empty();
            }
            v = load(parts.get(), now);
            if (v == null) {
                verified.rememberRefusal(digest);
                return Optional.empty();
            }
            verified.remember(digest, v);
        }
        if (!v.token().liveAt(now)) {
            return Optional.empty();
        }
        noteUse(v, ip, now);
        return Optional.of(new Holder(v.token(), v.user(), v.scopes()));
    }

    /** Called by a cache built on verified tokens (the ingress's delegated tokens) when a token is dropped. */
    void onDrop(java.util.function.Consumer<String> listener) {
        verified.onDrop(listener);
    }

    private VerifiedTokens.Verified load(ApiTokenFormat parts, Instant now) {
        record Found(ApiToken token, User user) {}
        Found found = db.read(h -> {
            Optional<ApiToken> row = store.find(h, parts.key());
            if (row.isEmpty() || !ConstantTime.equals(Secrets.sha256Hex(parts.secret()), row.get().secretHash())
                    || !row.get().liveAt(now)) {
                return null;
            }
            Optional<User> user = users.findById(h, row.get().userId());
            return user.isEmpty() || user.get().status() != UserStatus.ACTIVE ? null : new Found(row.get(), user.get());
        });
        if (found == null) {
            return null;
        }
        // outside the read: the scope mapping may load from the database itself (one connection at a time)
        Set<String> scopes = new TreeSet<>(found.token().scopes());
        scopes.retainAll(scopesForRoles.apply(found.user().roles()));
        long touched = found.token().lastUsedAt() == null ? 0 : found.token().lastUsedAt().toEpochMilli();
        return new VerifiedTokens.Verified(found.token(), found.user(), Set.copyOf(scopes), VerifiedTokens.concurrentSet(),
                new AtomicLong(touched));
    }

    /** The last-used time at most once a minute; a history entry the first time an address uses the token. */
    private void noteUse(VerifiedTokens.Verified v, String ip, Instant now) {
        String address = ip == null ? "unknown" : ip;
        boolean newHere = v.addresses().size() < 64 && v.addresses().add(address);
        long last = v.lastTouchMillis().get();
        boolean due = now.toEpochMilli() - last >= TOUCH_EVERY.toMillis() && v.lastTouchMillis().compareAndSet(last, now.toEpochMilli());
        if (!newHere && !due) {
            return;
        }
        db.inTransaction(h -> {
            if (newHere && !store.addressSeen(h, v.token().key(), address)) {
                event(h, v.token(), v.user(), "used_new_address", v.user().username(), address, null);
            }
            store.touch(h, v.token().key(), now, address);
            return null;
        });
    }

    // ---- ending access ----

    /**
     * Disables every token of the person (deactivation, deletion, lost second factor), in the caller's
     * transaction. Returns how many. The decision caches drop them when {@link #afterCommit()} runs.
     */
    public int disableAll(Handle h, String userId, String actor) {
        Optional<User> owner = users.findById(h, userId);
        if (owner.isEmpty()) {
            return 0;
        }
        List<ApiToken> live = store.revokeAllOfUser(h, userId, clock.instant(), actor);
        for (ApiToken t : live) {
            event(h, t, owner.get(), "disabled", actor, null, "the account's access ended");
        }
        return live.size();
    }

    /** After a commit that disabled tokens: drop them from this instance's cache now. */
    public void afterCommit() {
        verified.catchUp();
    }

    private void revokeWithDelegated(Handle h, String key, User owner, String event, String actor, String ip) {
        for (ApiToken t : store.revokeWithDelegated(h, key, clock.instant(), actor)) {
            event(h, t, owner, event, actor, ip, t.key().equals(key) ? null : "with its parent " + key);
        }
    }

    // ---- rules ----

    /** The person whose tokens are meant: the caller's own, or (admins) the named person's. */
    private User owner(Caller caller, String username) {
        if (username == null) {
            caller.requirePerson();
            caller.requireReady();
            if (caller.viaApiToken() && !caller.tokenScopes().contains(USER_TOKEN_SCOPE)) {
                throw new ImsmException.Forbidden("Managing tokens with an API token needs the " + USER_TOKEN_SCOPE + " scope.");
            }
            return caller.user();
        }
        caller.requireAdmin();
        return db.read(h -> users.findByUsername(h, username).or(() -> users.findById(h, username)))
                .orElseThrow(() -> new ImsmException.NotFound("No such person."));
    }

    private ApiToken ownToken(Handle h, User owner, String key) {
        return store.find(h, key == null ? "" : key)
                .filter(t -> t.userId().equals(owner.id()) && !t.delegated() && t.revokedAt() == null)
                .orElseThrow(() -> new ImsmException.NotFound("No such token."));
    }

    private void requireFreeName(Handle h, User owner, String name, String exceptKey) {
        if (store.nameTaken(h, owner.id(), nameKey(name), exceptKey)) {
            throw ImsmException.Invalid.inField("name", "You already have a token named '" + name + "'.");
        }
    }

    private List<String> scopesWithin(User owner, List<String> asked) {
        List<String> scopes = validScopes(asked == null ? List.of() : asked);
        Set<String> own = scopesOf(owner);
        List<String> missing = scopes.stream().filter(s -> !own.contains(s)).toList();
        if (!missing.isEmpty()) {
            throw ImsmException.Invalid.inField("scopes", "Not among " + (owner.username()) + "'s scopes: "
                    + String.join(" ", missing) + " (held: " + (own.isEmpty() ? "none" : String.join(" ", own)) + ").");
        }
        return scopes;
    }

    private static List<String> validScopes(Collection<String> asked) {
        if (asked.size() > 50) {
            throw ImsmException.Invalid.inField("scopes", "At most 50 scopes.");
        }
        TreeSet<String> out = new TreeSet<>();
        for (String s : asked) {
            if (s == null || !SCOPE.matcher(s).matches()) {
                throw ImsmException.Invalid.inField("scopes", "Not a scope name: '" + (s == null ? "" : s.length() > 64 ? s.substring(0, 64) : s) + "'.");
            }
            out.add(s);
        }
        return new ArrayList<>(out);
    }

    private static String name(String raw) {
        String name = raw == null ? "" : raw.strip();
        if (name.isEmpty() || name.length() > 100 || name.chars().anyMatch(Character::isISOControl)) {
            throw ImsmException.Invalid.inField("name", "The name is 1-100 characters without control characters.");
        }
        return name;
    }

    private static String nameKey(String name) {
        return name.toLowerCase(Locale.ROOT);
    }

    private static Instant expiry(Instant asked, Instant now) {
        if (asked != null && !asked.isAfter(now)) {
            throw ImsmException.Invalid.inField("expires_at", "The expiry must be in the future.");
        }
        return asked;
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }

    private void event(Handle h, ApiToken t, User owner, String event, String actor, String ip, String detail) {
        store.insertEvent(h, new ApiTokenEvent(0, t.key(), owner.id(), owner.username(), t.parentKey(), event, actor, ip,
                clock.instant(), detail));
        if (!"used_new_address".equals(event)) {
            audit.record(h, actor, "api_token_" + event, owner.username(), ip, "ok", "key=" + t.key());
        }
    }

    private static TokenView view(ApiToken t, Instant now) {
        return new TokenView(t.key(), t.name(), t.scopes(), t.createdAt(), t.expiresAt(), t.lastUsedAt(), t.lastUsedIp(),
                t.expiresAt() != null && !t.expiresAt().isAfter(now));
    }

    @Override
    public void close() {
        verified.close();
    }
}
