package io.imsm.server.audit.review;

import io.imsm.server.audit.AuditChain;

import io.imsm.server.ImsmException;
import io.imsm.server.identity.Caller;
import io.imsm.server.model.AuditEntry;
import io.imsm.server.store.AuditStore;
import io.imsm.server.store.Database;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;

/** Reading the audit log: admins filter and page through it; the CLI verifies the chain and exports it. */
public final class AuditService {
    public static final int MAX_PAGE = 200;
    private static final int BATCH = 1000;

    private final Database db;
    private final AuditStore store;

    public AuditService(Database db, AuditStore store) {
        this.db = Objects.requireNonNull(db);
        this.store = Objects.requireNonNull(store);
    }

    /** One audit row as the API, the admin page and the export show it (snake_case on the wire). */
    public record Line(long id, Long seq, Instant occurredAt, String actor, String action, String target, String outcome,
                       String clientAddress, String userAgent, String detail, String prevHash, String entryHash) {
        public static Line of(AuditEntry e) {
            return new Line(e.id(), e.seq(), e.event().at(), e.event().actor(), e.event().action(), e.event().target(),
                    e.event().outcome(), e.event().ip(), e.event().userAgent(), e.event().detail(), e.prevHash(), e.entryHash());
        }
    }

    /** One page, newest first; {@code next} is the cursor for the following (older) page, null at the end. */
    public record Page(List<Line> entries, Long next) {}

    /** A filter from the API or the admin page; null members match everything; {@code before} is a page cursor. */
    public record Query(String actor, String action, String target, String outcome, Instant from, Instant to, Long before) {}

    public Page find(Caller caller, Query q, Integer limit) {
        caller.requireAdmin();
        int n = limit == null ? 50 : limit;
        if (n < 1 || n > MAX_PAGE) {
            throw ImsmException.Invalid.inField("limit", "limit must be between 1 and " + MAX_PAGE);
        }
        AuditStore.Filter filter = new AuditStore.Filter(q.actor(), q.action(), q.target(), q.outcome(), q.from(), q.to(), q.before());
        check(filter.actor(), "actor", 80);
        check(filter.action(), "action", 64);
        check(filter.target(), "target", 80);
        check(filter.outcome(), "outcome", 16);
        if (filter.from() != null && filter.to() != null && !filter.from().isBefore(filter.to())) {
            throw ImsmException.Invalid.inField("from", "from must be before to");
        }
        // one more than asked tells whether an older page exists
        List<AuditEntry> rows = db.read(h -> store.find(h, filter, n + 1));
        List<Line> lines = rows.stream().limit(n).map(Line::of).toList();
        return new Page(lines, rows.size() > n ? lines.get(n - 1).id() : null);
    }

    private static void check(String value, String field, int max) {
        if (value != null && value.length() > max) {
            throw ImsmException.Invalid.inField(field, field + " is at most " + max + " characters");
        }
    }

    /** The outcome of a verification: the first broken link, if any. */
    public record Verification(long checked, long anchorSeq, long headSeq, String headHash, Optional<BrokenLink> broken) {
        public boolean intact() { return broken.isEmpty(); }
    }

    /** The first place the chain does not hold: the row (id and sequence number) and what is wrong. */
    public record BrokenLink(Long rowId, long seq, String problem) {}

    /**
     * Walks the chain from the anchor (the oldest kept row) to the head in sequence order, recomputing
     * each row's hash and checking it against the row and the next row's {@code prev_hash}. Reads in
     * batches; rows appended meanwhile beyond the head read at the start are not checked.
     */
    public Verification verify() {
        AuditStore.Chain chain = db.read(store::chain);
        long expectSeq = chain.anchorSeq();
        String expectPrev = chain.anchorHash();
        long checked = 0;
        while (expectSeq <= chain.headSeq()) {
            long from = expectSeq;
            List<AuditEntry> batch = db.read(h -> store.chainedFrom(h, from, BATCH));
            if (batch.isEmpty()) {
                return broken(chain, checked, null, expectSeq, "row missing (deleted?): no row from sequence " + expectSeq + " on");
            }
            for (AuditEntry row : batch) {
                if (row.seq() > chain.headSeq()) {
                    break;
                }
                if (row.seq() != expectSeq) {
                    return broken(chain, checked, row.id(), expectSeq, "row missing (deleted?): sequence " + expectSeq
                            + " expected, found " + row.seq());
                }
                if (!expectPrev.equals(row.prevHash())) {
                    return broken(chain, checked, row.id(), row.seq(), "prev_hash does not match the previous row's hash");
                }
                String actual = AuditChain.hash(row.seq(), row.event(), row.prevHash());
                if (!actual.equals(row.entryHash())) {
                    return broken(chain, checked, row.id(), row.seq(), "row changed: its content does not match its hash");
                }
                checked++;
                expectPrev = row.entryHash();
                expectSeq++;
            }
        }
        if (expectSeq > chain.anchorSeq() && !expectPrev.equals(chain.headHash())) {
            return broken(chain, checked, null, chain.headSeq(), "the chain head's hash does not match the last row");
        }
        return new Verification(checked, chain.anchorSeq(), chain.headSeq(), chain.headHash(), Optional.empty());
    }

    private static Verification broken(AuditStore.Chain chain, long checked, Long rowId, long seq, String problem) {
        return new Verification(checked, chain.anchorSeq(), chain.headSeq(), chain.headHash(),
                Optional.of(new BrokenLink(rowId, seq, problem)));
    }

    /** Hands every row at or after {@code from} (null: all), oldest first, to {@code sink} (read in batches); returns how many. */
    public long export(Instant from, Consumer<Line> sink) {
        long after = 0;
        long n = 0;
        while (true) {
            long a = after;
            List<AuditEntry> batch = db.read(h -> store.after(h, a, BATCH));
            for (AuditEntry e : batch) {
                if (from == null || !e.event().at().isBefore(from)) {
                    sink.accept(Line.of(e));
                    n++;
                }
            }
            if (batch.size() < BATCH) {
                return n;
            }
            after = batch.get(batch.size() - 1).id();
        }
    }
}
