package io.imsm.server.audit;

import io.imsm.server.audit.review.AuditService;
import io.imsm.server.store.AuditStore;
import io.imsm.server.store.Database;
import io.imsm.server.support.TestDatabases;
import org.jdbi.v3.core.Handle;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Changes recorded in a shared transaction (token issuance): every event chained, each with its own request's origin. */
class AuditGroupCommitTest {
    Database db;

    @AfterEach
    void close() {
        if (db != null) {
            db.close();
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.Kind.class)
    void whenRequestsRecordTheirChangesAtOnce_thenTheyShareATransaction_andEveryEventIsChainedWithItsOwnUserAgent(TestDatabases.Kind kind)
            throws Exception {
        TestDatabases.Db t = TestDatabases.fresh(kind);
        db = Database.open(t.url(), t.username(), t.password(), 4);
        db.migrate();
        AuditStore store = new AuditStore();
        AuditLog audit = new AuditLog(db, store, Clock.systemUTC());
        int n = 20;
        Set<Handle> handles = Collections.synchronizedSet(Collections.newSetFromMap(new IdentityHashMap<>()));
        CountDownLatch holding = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch submitted = new CountDownLatch(n);
        ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();
        List<Future<?>> all = new ArrayList<>();
        try {
            // one change holds the group's writer while the others arrive, as a slow commit would
            all.add(pool.submit(() -> audit.recordGrouped(h -> {
                holding.countDown();
                try {
                    release.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            }, "first", "test_event", "t", "127.0.0.1", "ok", null)));
            assertThat(holding.await(30, TimeUnit.SECONDS)).isTrue();
            for (int i = 0; i < n; i++) {
                int k = i;
                all.add(pool.submit(() -> {
                    RequestOrigin.set("agent-" + k);
                    try {
                        submitted.countDown();
                        audit.recordGrouped(handles::add, "actor-" + k, "test_event", "t", "127.0.0.1", "ok", "n=" + k);
                    } finally {
                        RequestOrigin.clear();
                    }
                }));
            }
            assertThat(submitted.await(30, TimeUnit.SECONDS)).isTrue();
            Thread.sleep(300); // they queue behind the held writer
            release.countDown();
            for (Future<?> f : all) {
                f.get(30, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(handles.size()).as("changes that arrived together shared transactions").isLessThan(n);
        List<Map<String, Object>> rows = db.read(h -> h.createQuery(
                "SELECT actor, user_agent, detail FROM audit_log WHERE action = 'test_event' ORDER BY chain_seq").mapToMap().list());
        assertThat(rows).hasSize(n + 1);
        for (Map<String, Object> r : rows) {
            String actor = (String) r.get("actor");
            if (!actor.equals("first")) {
                String k = actor.substring("actor-".length());
                assertThat(r.get("user_agent")).as(actor).isEqualTo("agent-" + k);
                assertThat(r.get("detail")).isEqualTo("n=" + k);
            }
        }
        AuditService.Verification v = new AuditService(db, store).verify();
        assertThat(v.intact()).isTrue();
        assertThat(v.checked()).isEqualTo(n + 1);
    }
}
