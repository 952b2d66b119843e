package io.imsm.server.access;

import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.LoadingCache;
import io.imsm.server.audit.AuditLog;
import io.imsm.server.identity.Caller;
import io.imsm.server.store.Database;
import io.imsm.server.store.ScopeMappingStore;

import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SortedSet;

/**
 * The scope mapping in force: stored, so an admin's change (API, {@code imsm apply}) survives restarts
 * and reaches every instance on one database within a few seconds; the configuration's {@code scopes}
 * seeds it on the first start.
 */
public final class ScopeMappings {
    private static final String KEY = "mapping";
    private final Database db;
    private final ScopeMappingStore store;
    private final AuditLog audit;
    private final Clock clock;
    private final LoadingCache<String, ScopeMapping> cache;

    public ScopeMappings(Database db, ScopeMappingStore store, AuditLog audit, Clock clock) {
        this.db = Objects.requireNonNull(db);
        this.store = Objects.requireNonNull(store);
        this.audit = Objects.requireNonNull(audit);
        this.clock = Objects.requireNonNull(clock);
        this.cache = Caffeine.newBuilder().expireAfterWrite(Duration.ofSeconds(5))
                .ticker(() -> clock.millis() * 1_000_000L)
                .build(k -> new ScopeMapping(db.read(store::load)));
    }

    /** Copies the configured mapping into the database the first time it starts. */
    public void seed(ScopeMapping configured) {
        db.inTransaction(h -> {
            if (store.markSeeded(h, clock.instant())) {
                store.replace(h, configured.rolesByScope());
            }
            return null;
        });
        cache.invalidateAll();
    }

    public ScopeMapping current() {
        return cache.get(KEY);
    }

    /** The scopes a person with these roles holds now. */
    public SortedSet<String> scopesFor(Collection<String> roles) {
        return current().scopesFor(roles);
    }

    /** Admins replace the whole mapping (validated by {@link ScopeMapping}). */
    public ScopeMapping replace(Caller caller, Map<String, List<String>> rolesByScope) {
        caller.requireAdmin();
        ScopeMapping next = new ScopeMapping(rolesByScope == null ? Map.of() : rolesByScope);
        db.inTransaction(h -> {
            store.markSeeded(h, clock.instant());
            store.replace(h, next.rolesByScope());
            audit.record(h, caller.actor(), "scope_mapping_replaced", null, caller.ip(), "ok",
                    "scopes=" + next.rolesByScope().size());
            return null;
        });
        cache.invalidateAll();
        return next;
    }

    public Map<String, Set<String>> view(Caller caller) {
        caller.requireAdmin();
        return current().rolesByScope();
    }
}
