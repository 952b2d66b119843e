package io.imsm.server.hooks;

import io.imsm.server.ImsmException;

import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Message templates: text with {@code {{variable}}} placeholders replaced by the event's values, and
 * nothing else (no expressions, no code, no loops), so an admin's template can never run anything.
 * A variable the event does not have becomes empty; a name outside {@link #VARIABLES} is refused
 * when the hook is saved.
 */
public final class Templates {
    /** The documented variables (docs/hooks.md): the event's id, type and time, and its data fields. */
    public static final List<String> VARIABLES = List.of("id", "type", "timestamp", "actor", "user", "service", "client_ip",
            "sid", "scope", "ttl_seconds", "change", "reason", "revoked", "request_id", "status", "active_kid", "retired_kid");
    public static final int MAX_LENGTH = 2000;
    private static final Pattern VAR = Pattern.compile("\\{\\{\\s*([a-z_]+)\\s*}}");

    private Templates() {}

    /** Refuses a template that is too long or names an unknown variable. */
    public static String check(String template, String field) {
        if (template == null) {
            return null;
        }
        if (template.length() > MAX_LENGTH) {
            throw ImsmException.Invalid.inField(field, field + " must be at most " + MAX_LENGTH + " characters");
        }
        Matcher m = VAR.matcher(template);
        while (m.find()) {
            if (!VARIABLES.contains(m.group(1))) {
                throw ImsmException.Invalid.inField(field, field + ": unknown variable {{" + m.group(1) + "}}; known: "
                        + String.join(", ", VARIABLES));
            }
        }
        return template;
    }

    /** The template with each variable replaced by its value (empty when the event has none). */
    public static String render(String template, Map<String, ?> values) {
        Matcher m = VAR.matcher(template);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            Object v = values.get(m.group(1));
            m.appendReplacement(out, Matcher.quoteReplacement(v == null ? "" : v.toString()));
        }
        m.appendTail(out);
        return out.toString();
    }
}
