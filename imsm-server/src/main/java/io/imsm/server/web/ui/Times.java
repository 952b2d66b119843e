package io.imsm.server.web.ui;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;

/**
 * Times as people read them. The server writes UTC (it does not know the reader's zone) with a
 * phrase relative to its own clock ("in 14 min", "3 h ago"); {@code imsm.js} rewrites the absolute
 * part into the browser's zone from the machine-readable {@code <time datetime>}.
 */
public final class Times {
    private static final DateTimeFormatter UTC = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'").withZone(ZoneOffset.UTC);

    private Times() {}

    /** The {@code datetime} attribute: ISO 8601 in UTC, to the second. */
    public static String iso(Instant at) {
        return at.truncatedTo(ChronoUnit.SECONDS).toString();
    }

    /** The text shown without script: e.g. {@code 2026-05-01 14:03 UTC}. */
    public static String utc(Instant at) {
        return UTC.format(at);
    }

    /** "just now", "in 14 min", "3 h ago", "in 2 days"; rounded to the nearest whole unit. */
    public static String relative(Instant at, Instant now) {
        Duration d = Duration.between(now, at);
        boolean future = !d.isNegative();
        long s = d.abs().getSeconds();
        if (s < 60) {
            return "just now";
        }
        String amount;
        if (s < 3570) {
            amount = Math.round(s / 60.0) + " min";
        } else if (s < 47 * 3600 + 1800) {
            amount = Math.round(s / 3600.0) + " h";
        } else {
            amount = Math.round(s / 86400.0) + " days";
        }
        return future ? "in " + amount : amount + " ago";
    }
}
