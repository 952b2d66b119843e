package io.imsm.server.audit;

import io.imsm.server.model.AuditEvent;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;

/**
 * The audit log's canonical form and hash (docs/audit.md, "Canonical form"). An entry's canonical
 * form is the concatenation, in this order, of: the chain sequence number, the time in microseconds
 * since the epoch (both as decimal ASCII), actor, action, target, client address, user agent,
 * outcome, detail, and the previous entry's hash (64 lower-case hex characters). Each value is
 * written as {@code <length in UTF-8 bytes>:<UTF-8 bytes>,} and a missing value as {@code ~,}, so no
 * two different entries share a form. The entry's hash is the lower-case hex SHA-256 of its form.
 */
public final class AuditChain {
    /** The previous hash of the first entry ever chained. */
    public static final String GENESIS = "0".repeat(64);

    private AuditChain() {}

    public static String canonical(long seq, AuditEvent e, String prevHash) {
        StringBuilder b = new StringBuilder(256);
        put(b, Long.toString(seq));
        put(b, Long.toString(micros(e.at())));
        put(b, e.actor());
        put(b, e.action());
        put(b, e.target());
        put(b, e.ip());
        put(b, e.userAgent());
        put(b, e.outcome());
        put(b, e.detail());
        put(b, prevHash);
        return b.toString();
    }

    public static String hash(long seq, AuditEvent e, String prevHash) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            return HexFormat.of().formatHex(sha.digest(canonical(seq, e, prevHash).getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException ex) {
            throw new IllegalStateException(ex);
        }
    }

    static long micros(Instant t) {
        return Math.addExact(Math.multiplyExact(t.getEpochSecond(), 1_000_000L), t.getNano() / 1000);
    }

    private static void put(StringBuilder b, String value) {
        if (value == null) {
            b.append("~,");
            return;
        }
        b.append(value.getBytes(StandardCharsets.UTF_8).length).append(':').append(value).append(',');
    }
}
