package io.imsm.server.store;

import org.jdbi.v3.core.Handle;

import java.util.Optional;

/** Small named settings that admins change at run time (e.g. the second-factor policy). */
public final class SettingsStore {
    public Optional<String> get(Handle h, String name) {
        return h.createQuery("SELECT setting_value FROM settings WHERE name = :n").bind("n", name).mapTo(String.class).findOne();
    }

    public void put(Handle h, String name, String value) {
        int updated = h.createUpdate("UPDATE settings SET setting_value = :v WHERE name = :n").bind("n", name).bind("v", value).execute();
        if (updated == 0) {
            h.createUpdate("INSERT INTO settings (name, setting_value) VALUES (:n, :v)").bind("n", name).bind("v", value).execute();
        }
    }

    /** Inserts only when absent; true when this call inserted (used for once-only bootstrap). */
    public boolean putIfAbsent(Handle h, String name, String value) {
        if (get(h, name).isPresent()) {
            return false;
        }
        h.createUpdate("INSERT INTO settings (name, setting_value) VALUES (:n, :v)").bind("n", name).bind("v", value).execute();
        return true;
    }
}
