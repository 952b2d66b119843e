package io.imsm.server.store;

import io.imsm.server.model.AuditEntry;
import io.imsm.server.model.AuditEvent;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.statement.Query;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.imsm.server.store.UserStore.instant;
import static io.imsm.server.store.UserStore.ts;

/**
 * Append-only: no update of a row on purpose; rows leave only through the retention policy
 * ({@link #purgeChainedBefore}). The hash chain's head and anchor live in the one-row table
 * {@code audit_chain} (V60); the chain's rules are {@code audit.AuditChain}'s.
 */
public final class AuditStore {
    private static final String COLUMNS = "id, chain_seq, occurred_at, actor, action, target, ip, user_agent, outcome, detail, prev_hash, entry_hash";

    /** The chain's head and anchor (audit_chain). */
    public record Chain(long headSeq, String headHash, long anchorSeq, String anchorHash) {}

    /** What to look for; null members match everything. {@code beforeId} pages to older rows (keyset). */
    public record Filter(String actor, String action, String target, String outcome, Instant from, Instant to, Long beforeId) {}

    /**
     * Reads the chain row and locks it until the transaction ends, so appends from every instance queue here.
     * One statement: an update that changes nothing (the row lock to the end of the transaction on both
     * databases) returning the row, PostgreSQL's {@code RETURNING} or H2's {@code FINAL TABLE}. Not
     * {@code SELECT ... FOR UPDATE}: H2 never caches a parsed {@code FOR UPDATE} query.
     */
    public Chain lockChain(Handle h) {
        return Jdbc.query(h, postgres(h) ? LOCK_CHAIN_POSTGRES : LOCK_CHAIN_H2, ps -> { }, rs -> {
            if (!rs.next()) {
                throw new IllegalStateException("audit_chain has no head row");
            }
            return chain(rs);
        });
    }

    private static final String LOCK_CHAIN_POSTGRES =
            "UPDATE audit_chain SET head_seq = head_seq WHERE id = 1 RETURNING head_seq, head_hash, anchor_seq, anchor_hash";
    private static final String LOCK_CHAIN_H2 =
            "SELECT head_seq, head_hash, anchor_seq, anchor_hash FROM FINAL TABLE (UPDATE audit_chain SET head_seq = head_seq WHERE id = 1)";

    /** Whether {@code h} is a PostgreSQL connection; asked once (a store serves one database). */
    private boolean postgres(Handle h) {
        Boolean p = postgres;
        if (p == null) {
            try {
                p = h.getConnection().getMetaData().getDatabaseProductName().toLowerCase(java.util.Locale.ROOT).contains("postgres");
            } catch (SQLException e) {
                throw new IllegalStateException("cannot tell the database", e);
            }
            postgres = p;
        }
        return p;
    }

    private volatile Boolean postgres;

    public Chain chain(Handle h) {
        return h.createQuery("SELECT head_seq, head_hash, anchor_seq, anchor_hash FROM audit_chain WHERE id = 1")
                .map((rs, c) -> chain(rs)).one();
    }

    /** Appends one chained row; the caller holds the chain's lock and moves the head ({@link #moveHead}) before it commits. */
    public void append(Handle h, AuditEvent e, long seq, String prevHash, String entryHash) {
        Jdbc.update(h, APPEND, ps -> {
            ps.setObject(1, ts(e.at()));
            ps.setString(2, e.actor());
            ps.setString(3, e.action());
            ps.setString(4, e.target());
            ps.setString(5, e.ip());
            ps.setString(6, e.userAgent());
            ps.setString(7, e.outcome());
            ps.setString(8, e.detail());
            ps.setLong(9, seq);
            ps.setString(10, prevHash);
            ps.setString(11, entryHash);
        });
    }

    private static final String APPEND = "INSERT INTO audit_log (occurred_at, actor, action, target, ip, user_agent, outcome, detail, "
            + "chain_seq, prev_hash, entry_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

    /**
     * Moves the chain's head to the last row appended; once per transaction, after its appends, by the
     * holder of the chain's lock ({@link #lockChain}).
     */
    public void moveHead(Handle h, long seq, String hash) {
        Jdbc.update(h, "UPDATE audit_chain SET head_seq = ?, head_hash = ? WHERE id = 1", ps -> {
            ps.setLong(1, seq);
            ps.setString(2, hash);
        });
    }

    /** Chained rows in chain order from {@code fromSeq} on, at most {@code limit}. */
    public List<AuditEntry> chainedFrom(Handle h, long fromSeq, int limit) {
        return h.createQuery("SELECT " + COLUMNS + " FROM audit_log WHERE chain_seq >= :s ORDER BY chain_seq LIMIT :n")
                .bind("s", fromSeq).bind("n", limit).map((rs, c) -> entry(rs)).list();
    }

    /** Rows matching the filter, newest first, at most {@code limit}. */
    public List<AuditEntry> find(Handle h, Filter f, int limit) {
        List<String> where = new ArrayList<>();
        Map<String, Object> binds = new java.util.LinkedHashMap<>();
        eq(where, binds, "actor", f.actor());
        eq(where, binds, "action", f.action());
        eq(where, binds, "target", f.target());
        eq(where, binds, "outcome", f.outcome());
        if (f.from() != null) {
            where.add("occurred_at >= :from");
            binds.put("from", ts(f.from()));
        }
        if (f.to() != null) {
            where.add("occurred_at < :to");
            binds.put("to", ts(f.to()));
        }
        if (f.beforeId() != null) {
            where.add("id < :before");
            binds.put("before", f.beforeId());
        }
        Query q = h.createQuery("SELECT " + COLUMNS + " FROM audit_log" + (where.isEmpty() ? "" : " WHERE " + String.join(" AND ", where))
                + " ORDER BY id DESC LIMIT :n");
        binds.forEach(q::bind);
        return q.bind("n", limit).map((rs, c) -> entry(rs)).list();
    }

    /** Every row, oldest first, after row id {@code afterId}, at most {@code limit} (export). */
    public List<AuditEntry> after(Handle h, long afterId, int limit) {
        return h.createQuery("SELECT " + COLUMNS + " FROM audit_log WHERE id > :a ORDER BY id LIMIT :n")
                .bind("a", afterId).bind("n", limit).map((rs, c) -> entry(rs)).list();
    }

    /**
     * Retention: deletes the rows before {@code before}. Chained rows go only as a prefix of the chain
     * (everything below the first chained row at or after {@code before}), so the kept rows stay one
     * gap-free chain, and the anchor moves to the oldest kept row in the same transaction. The caller
     * holds the chain lock ({@link #lockChain}).
     */
    public int purgeChainedBefore(Handle h, Instant before, Chain chain) {
        int unchained = h.createUpdate("DELETE FROM audit_log WHERE chain_seq IS NULL AND occurred_at < :b").bind("b", ts(before)).execute();
        long keepFrom = h.createQuery("SELECT MIN(chain_seq) FROM audit_log WHERE chain_seq IS NOT NULL AND occurred_at >= :b")
                .bind("b", ts(before)).mapTo(Long.class).findOne().orElse(chain.headSeq() + 1);
        if (keepFrom <= chain.anchorSeq()) {
            return unchained;
        }
        int chained = h.createUpdate("DELETE FROM audit_log WHERE chain_seq < :s").bind("s", keepFrom).execute();
        String anchorHash = keepFrom > chain.headSeq() ? chain.headHash()
                : h.createQuery("SELECT prev_hash FROM audit_log WHERE chain_seq = :s").bind("s", keepFrom).mapTo(String.class).one();
        h.createUpdate("UPDATE audit_chain SET anchor_seq = :s, anchor_hash = :a WHERE id = 1")
                .bind("s", keepFrom).bind("a", anchorHash).execute();
        return unchained + chained;
    }

    private static void eq(List<String> where, Map<String, Object> binds, String column, String value) {
        if (value != null && !value.isBlank()) {
            where.add(column + " = :" + column);
            binds.put(column, value.strip());
        }
    }

    private static Chain chain(ResultSet rs) throws SQLException {
        return new Chain(rs.getLong("head_seq"), rs.getString("head_hash"), rs.getLong("anchor_seq"), rs.getString("anchor_hash"));
    }

    private static AuditEntry entry(ResultSet rs) throws SQLException {
        long seq = rs.getLong("chain_seq");
        Long chainSeq = rs.wasNull() ? null : seq;
        AuditEvent e = new AuditEvent(instant(rs, "occurred_at"), rs.getString("actor"), rs.getString("action"), rs.getString("target"),
                rs.getString("ip"), rs.getString("outcome"), rs.getString("detail"), rs.getString("user_agent"));
        return new AuditEntry(rs.getLong("id"), chainSeq, e, rs.getString("prev_hash"), rs.getString("entry_hash"));
    }
}
