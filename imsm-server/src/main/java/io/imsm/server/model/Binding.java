package io.imsm.server.model;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import io.imsm.server.ImsmException;

import java.util.Locale;

/**
 * How a service receives its tokens (docs/protocol.md): {@code kx} — HS256 session tokens after a key
 * exchange with the service; {@code jwks} — ES256 tokens the service checks against the IMS key set.
 * The wire names are the lower-case ones, in JSON, YAML and the database.
 */
public enum Binding {
    KX("kx"),
    JWKS("jwks");

    private final String wire;

    Binding(String wire) { this.wire = wire; }

    @JsonValue
    public String wire() { return wire; }

    /** The binding named {@code s}, in any case; refused with the allowed names otherwise. */
    @JsonCreator
    public static Binding parse(String s) {
        if (s != null) {
            String lower = s.toLowerCase(Locale.ROOT);
            for (Binding b : values()) {
                if (b.wire.equals(lower)) {
                    return b;
                }
            }
        }
        throw new ImsmException.Invalid("binding must be kx or jwks");
    }

    /** The wire name, so templates and messages show {@code kx} rather than {@code KX}. */
    @Override
    public String toString() { return wire; }
}
