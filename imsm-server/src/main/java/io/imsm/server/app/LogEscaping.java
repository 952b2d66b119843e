package io.imsm.server.app;

import ch.qos.logback.classic.pattern.ClassicConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;
import org.slf4j.event.KeyValuePair;

import java.util.List;

/**
 * Logback converters for the text log format: the message and every key=value value are written
 * inside double quotes with quotes, backslashes and control characters escaped, so a value that
 * came from a request (a login name, a path) can never end the value early or start a forged line.
 * Registered by {@link LogConfigurator} as {@code %qmsg} and {@code %qkvp}.
 */
public final class LogEscaping {
    private LogEscaping() {}

    /** The value as it goes between the quotes of {@code key="..."}. */
    public static String escape(String s) {
        if (s == null) {
            return "null";
        }
        StringBuilder b = new StringBuilder(s.length() + 8);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    // C0, DEL, C1 and the Unicode line/paragraph separators some viewers break lines on
                    if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == '\u2028' || c == '\u2029') {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.toString();
    }

    /** {@code %qmsg}: the formatted message, escaped (the pattern puts the quotes around it). */
    public static final class Message extends ClassicConverter {
        @Override
        public String convert(ILoggingEvent event) {
            return escape(event.getFormattedMessage());
        }
    }

    /** {@code %qkvp}: {@code key="value"} for each key-value pair with a value, keys and values escaped. */
    public static final class KeyValues extends ClassicConverter {
        @Override
        public String convert(ILoggingEvent event) {
            List<KeyValuePair> pairs = event.getKeyValuePairs();
            if (pairs == null || pairs.isEmpty()) {
                return "";
            }
            StringBuilder b = new StringBuilder();
            for (KeyValuePair p : pairs) {
                if (p.value == null) {
                    // no value (an audit event without a client address): left out, rather than written as
                    // ip="null", which a name or value that is the text "null" would also give
                    continue;
                }
                if (!b.isEmpty()) {
                    b.append(' ');
                }
                b.append(escape(String.valueOf(p.key))).append("=\"").append(escape(String.valueOf(p.value))).append('"');
            }
            return b.toString();
        }
    }
}
