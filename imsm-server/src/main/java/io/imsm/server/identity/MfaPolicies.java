package io.imsm.server.identity;

import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.LoadingCache;
import io.imsm.server.store.Database;
import io.imsm.server.store.SettingsStore;
import org.jdbi.v3.core.Handle;

import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/** Reads and writes the second-factor policy (settings row {@code mfa_policy}); cached for a few seconds. */
public final class MfaPolicies {
    static final String NAME = "mfa_policy";
    private final Database db;
    private final SettingsStore settings;
    private final LoadingCache<String, MfaPolicy> cache;

    /**
     * @param clock the injected clock, also the cache's time source. {@link #current()} may open a
     *              connection to load: call it before opening a transaction, never inside one.
     */
    public MfaPolicies(Database db, SettingsStore settings, Clock clock) {
        this.db = Objects.requireNonNull(db);
        this.settings = Objects.requireNonNull(settings);
        Objects.requireNonNull(clock);
        this.cache = Caffeine.newBuilder().expireAfterWrite(Duration.ofSeconds(5))
                .ticker(() -> clock.millis() * 1_000_000L)
                .build(k -> db.read(h -> load(h)));
    }

    /** Seeds the policy from the configuration the first time the database is used. */
    public void seed(Handle h, MfaPolicy initial) {
        settings.putIfAbsent(h, NAME, encode(initial));
    }

    public MfaPolicy current() {
        return cache.get(NAME);
    }

    public MfaPolicy load(Handle h) {
        return settings.get(h, NAME).map(MfaPolicies::decode).orElse(new MfaPolicy(true, List.of()));
    }

    public void save(Handle h, MfaPolicy policy) {
        settings.put(h, NAME, encode(policy));
        cache.invalidateAll();
    }

    private static String encode(MfaPolicy p) {
        return p.requiredForAll() + "|" + String.join(",", p.requiredRoles());
    }

    private static MfaPolicy decode(String s) {
        int bar = s.indexOf('|');
        boolean all = Boolean.parseBoolean(s.substring(0, bar));
        String roles = s.substring(bar + 1);
        return new MfaPolicy(all, roles.isEmpty() ? List.of() : Arrays.asList(roles.split(",")));
    }
}
