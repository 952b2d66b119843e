package io.imsm.server.store;

import io.imsm.server.support.TestDatabases;
import org.jdbi.v3.core.Handle;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Writes that arrive together commit together; a failing write fails alone; each caller returns after its commit. */
class GroupCommitTest {
    Database db;

    @AfterEach
    void close() {
        if (db != null) {
            db.close();
        }
    }

    private Database open(TestDatabases.Kind kind) {
        TestDatabases.Db t = TestDatabases.fresh(kind);
        db = Database.open(t.url(), t.username(), t.password(), 4);
        db.migrate();
        db.inTransaction(h -> h.execute("CREATE TABLE gc_test (k VARCHAR(40) PRIMARY KEY)"));
        return db;
    }

    private static void insert(Handle h, String k) {
        h.createUpdate("INSERT INTO gc_test (k) VALUES (:k)").bind("k", k).execute();
    }

    private int rows(String k) {
        return db.read(h -> h.createQuery("SELECT COUNT(*) FROM gc_test WHERE k = :k").bind("k", k).mapTo(Integer.class).one());
    }

    /** Starts one write that holds the writer until {@code release}, and waits until {@code others} more writes queued behind it. */
    private List<Future<?>> behindABlockedWrite(ExecutorService pool, CountDownLatch release, List<GroupCommit.Write> others) throws Exception {
        CountDownLatch first = new CountDownLatch(1);
        List<Future<?>> all = new ArrayList<>();
        all.add(pool.submit(() -> db.inGroupCommit(h -> {
            insert(h, "first");
            first.countDown();
            try {
                assertThat(release.await(30, TimeUnit.SECONDS)).isTrue();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        })));
        assertThat(first.await(30, TimeUnit.SECONDS)).isTrue();
        for (GroupCommit.Write w : others) {
            all.add(pool.submit(() -> db.inGroupCommit(w)));
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (db.groupCommit().queued() < others.size() && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertThat(db.groupCommit().queued()).isEqualTo(others.size());
        return all;
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.Kind.class)
    void whenWritesArriveWhileOneIsWritten_thenTheyCommitTogetherInOneTransaction_andEachCallerSeesItsRowCommitted(TestDatabases.Kind kind)
            throws Exception {
        open(kind);
        Set<Handle> handles = Collections.synchronizedSet(Collections.newSetFromMap(new IdentityHashMap<>()));
        List<GroupCommit.Write> writes = new ArrayList<>();
        List<String> committedOnReturn = Collections.synchronizedList(new ArrayList<>());
        for (int i = 0; i < 10; i++) {
            String k = "w" + i;
            writes.add(h -> {
                handles.add(h);
                insert(h, k);
            });
        }
        ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();
        try {
            CountDownLatch release = new CountDownLatch(1);
            List<Future<?>> all = behindABlockedWrite(pool, release, writes);
            // nothing of the waiting writes is visible before their group commits
            assertThat(rows("w0") + rows("w9")).isZero();
            release.countDown();
            for (Future<?> f : all) {
                f.get(30, TimeUnit.SECONDS);
            }
            for (int i = 0; i < 10; i++) {
                committedOnReturn.add("w" + i + "=" + rows("w" + i));
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(committedOnReturn).allMatch(s -> s.endsWith("=1"));
        assertThat(handles).as("the ten writes queued behind the first share one transaction").hasSize(1);
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.Kind.class)
    void whenOneWriteOfAGroupFails_thenOnlyItsCallerGetsTheError_andTheOthersCommit(TestDatabases.Kind kind) throws Exception {
        open(kind);
        List<GroupCommit.Write> writes = List.of(
                h -> insert(h, "a"),
                h -> {
                    insert(h, "b");
                    insert(h, "b"); // duplicate key: this write fails, and rolls back its own first row too
                },
                h -> {
                    insert(h, "c");
                    throw new IllegalArgumentException("refused by its rules");
                },
                h -> insert(h, "d"));
        ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();
        Map<String, Throwable> outcomes = new java.util.TreeMap<>();
        try {
            CountDownLatch release = new CountDownLatch(1);
            List<Future<?>> all = behindABlockedWrite(pool, release, writes);
            release.countDown();
            all.get(0).get(30, TimeUnit.SECONDS);
            String[] names = {"a", "b", "c", "d"};
            for (int i = 0; i < 4; i++) {
                try {
                    all.get(i + 1).get(30, TimeUnit.SECONDS);
                    outcomes.put(names[i], null);
                } catch (ExecutionException e) {
                    outcomes.put(names[i], e.getCause());
                }
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(outcomes.get("a")).isNull();
        assertThat(outcomes.get("d")).isNull();
        assertThat(outcomes.get("b")).isNotNull();
        assertThat(outcomes.get("c")).isInstanceOf(IllegalArgumentException.class).hasMessage("refused by its rules");
        assertThat(List.of(rows("first"), rows("a"), rows("b"), rows("c"), rows("d"))).containsExactly(1, 1, 0, 0, 1);
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.Kind.class)
    void whenAWriteRunsAlone_thenItsErrorReachesItsCaller_andNothingIsWritten(TestDatabases.Kind kind) {
        open(kind);
        db.inGroupCommit(h -> insert(h, "x"));
        assertThatThrownBy(() -> db.inGroupCommit(h -> {
            insert(h, "y");
            throw new IllegalStateException("no");
        })).isInstanceOf(IllegalStateException.class).hasMessage("no");
        assertThat(List.of(rows("x"), rows("y"))).containsExactly(1, 0);
    }
}
