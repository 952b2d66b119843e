package io.imsm.server.audit;

import com.fasterxml.jackson.databind.JsonNode;
import io.imsm.server.app.MainTestAccess;
import io.imsm.server.support.Http;
import io.imsm.server.support.People;
import io.imsm.server.support.TestDatabases;
import io.imsm.server.support.TestServer;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;

/** The hash-chained audit log: appends from many threads form one chain; verify names a changed row; retention keeps it verifiable. */
class AuditChainTest {
    @TempDir Path tmp;

    private static Map<String, String> cliEnv(TestServer s) {
        Map<String, String> env = new HashMap<>(s.env);
        env.put("IMSM_DATABASE_URL", s.db.url());
        env.put("IMSM_DATABASE_USERNAME", s.db.username());
        env.put("IMSM_DATABASE_PASSWORD", s.db.password());
        return env;
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.Kind.class)
    void whenOneRowIsChangedInTheDatabase_thenVerifyNamesIt_andRetentionKeepsTheRestVerifiable(TestDatabases.Kind kind) throws Exception {
        try (TestServer s = TestServer.start(kind)) {
            People.createUser(s, "carol", "initial-Kq7v-pass-carol", List.of("dev"));
            // concurrent appends from many requests (and, on PostgreSQL, many connections) form one gap-free chain
            ExecutorService pool = Executors.newFixedThreadPool(4);
            List<Future<Integer>> results = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                results.add(pool.submit(() -> s.client().postJson("/api/v1/login", Map.of("username", "carol", "password", "wrong-password-x"),
                        "User-Agent", "chain-test/1.0").status()));
            }
            for (Future<Integer> f : results) {
                assertThat(f.get()).isIn(401, 429);
            }
            pool.shutdown();
            Map<String, String> env = cliEnv(s);
            String ok = MainTestAccess.auditVerify(env, "--data", s.dataDir.toString());
            assertThat(ok).contains("audit chain intact").contains("exit=0");

            var db = s.server.wiring().ctx().database();
            long seq = db.read(h -> h.createQuery("SELECT MAX(chain_seq) FROM audit_log").mapTo(Long.class).one()) - 2;
            long id = db.read(h -> h.createQuery("SELECT id FROM audit_log WHERE chain_seq = :s").bind("s", seq).mapTo(Long.class).one());
            // the row's own outcome depends on which event landed there (a failed login, a lockout...): change it to one no event has
            String original = db.read(h -> h.createQuery("SELECT outcome FROM audit_log WHERE chain_seq = :s").bind("s", seq).mapTo(String.class).one());
            db.inTransaction(h -> h.createUpdate("UPDATE audit_log SET outcome = 'tampered' WHERE chain_seq = :s").bind("s", seq).execute());
            String broken = MainTestAccess.auditVerify(env, "--data", s.dataDir.toString());
            assertThat(broken).contains("BROKEN at row id " + id + ", sequence " + seq).contains("row changed").contains("exit=3");

            // put it back, then a deleted row in the middle is named too
            db.inTransaction(h -> h.createUpdate("UPDATE audit_log SET outcome = :o WHERE chain_seq = :s").bind("o", original).bind("s", seq).execute());
            assertThat(MainTestAccess.auditVerify(env, "--data", s.dataDir.toString())).contains("exit=0");
            db.inTransaction(h -> h.createUpdate("DELETE FROM audit_log WHERE chain_seq = :s").bind("s", seq).execute());
            assertThat(MainTestAccess.auditVerify(env, "--data", s.dataDir.toString()))
                    .contains("sequence " + seq).contains("row missing").contains("exit=3");
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.Kind.class)
    void whenRetentionDeletesOldRows_thenVerifyStartsAtTheOldestKeptRow(TestDatabases.Kind kind) {
        try (TestServer s = TestServer.start(kind)) {
            People.createUser(s, "old", "initial-Kq7v-pass-old", List.of("dev"));
            s.clock.advance(Duration.ofDays(400));
            People.createUser(s, "new", "initial-Kq7v-pass-new", List.of("dev"));
            var purged = s.server.wiring().retention().purge();
            assertThat(purged.auditRows()).isPositive();
            String out = MainTestAccess.auditVerify(cliEnv(s), "--data", s.dataDir.toString());
            assertThat(out).contains("audit chain intact").contains("exit=0");
            long anchor = s.server.wiring().ctx().database().read(h ->
                    h.createQuery("SELECT anchor_seq FROM audit_chain").mapTo(Long.class).one());
            assertThat(anchor).isGreaterThan(1);
            // a new append after the purge still links to the kept rows
            People.createUser(s, "newer", "initial-Kq7v-pass-newer", List.of("dev"));
            assertThat(MainTestAccess.auditVerify(cliEnv(s), "--data", s.dataDir.toString())).contains("exit=0");
        }
    }

    @ParameterizedTest
    @EnumSource(value = TestDatabases.Kind.class, names = "H2")
    void whenAdminFiltersAndPages_thenEntriesComeNewestFirstWithEveryColumn_andExportWritesJsonLines(TestDatabases.Kind kind) throws Exception {
        try (TestServer s = TestServer.start(kind)) {
            for (String name : List.of("ann", "ben", "cat")) {
                s.client().postJson("/api/v1/admin/users", Map.of("username", name, "password", "initial-Kq7v-pass-" + name, "roles", List.of("dev")),
                        "Authorization", "Bearer " + TestServer.BOOTSTRAP_TOKEN, "User-Agent", "audit-test-agent");
            }
            Http admin = s.client();
            String bearer = "Bearer " + TestServer.BOOTSTRAP_TOKEN;
            Http.Res first = admin.get("/api/v1/admin/audit?action=user_create&actor=bootstrap-token&limit=2", "Authorization", bearer);
            assertThat(first.status()).as(first.toString()).isEqualTo(200);
            JsonNode entries = first.json().path("entries");
            assertThat(entries).hasSize(2);
            assertThat(entries.get(0).path("target").asText()).isEqualTo("cat");
            assertThat(entries.get(1).path("target").asText()).isEqualTo("ben");
            JsonNode e = entries.get(0);
            assertThat(e.path("actor").asText()).isEqualTo("bootstrap-token");
            assertThat(e.path("outcome").asText()).isEqualTo("ok");
            assertThat(e.path("client_address").asText()).isNotBlank();
            assertThat(e.path("user_agent").asText()).isEqualTo("audit-test-agent");
            assertThat(e.path("occurred_at").asText()).isNotBlank();
            assertThat(e.path("entry_hash").asText()).hasSize(64);
            long next = first.json().path("next").asLong();
            Http.Res second = admin.get("/api/v1/admin/audit?action=user_create&actor=bootstrap-token&limit=2&before=" + next, "Authorization", bearer);
            assertThat(second.json().path("entries")).hasSize(1);
            assertThat(second.json().path("entries").get(0).path("target").asText()).isEqualTo("ann");
            assertThat(second.json().path("next").isNull()).isTrue();
            assertThat(admin.get("/api/v1/admin/audit?target=ben", "Authorization", bearer).json().path("entries"))
                    .allSatisfy(n -> assertThat(n.path("target").asText()).isEqualTo("ben"));
            String future = s.clock.instant().plus(Duration.ofHours(1)).toString();
            assertThat(admin.get("/api/v1/admin/audit?from=" + future, "Authorization", bearer).json().path("entries")).isEmpty();
            assertThat(admin.get("/api/v1/admin/audit?limit=0", "Authorization", bearer).status()).isEqualTo(400);

            Path out = tmp.resolve("audit.jsonl");
            assertThat(MainTestAccess.auditExport(cliEnv(s), "--data", s.dataDir.toString(), "-o", out.toString())).contains("exit=0");
            List<String> lines = Files.readAllLines(out);
            assertThat(lines).isNotEmpty();
            assertThat(lines).anySatisfy(l -> assertThat(Http.JSON.readTree(l).path("target").asText()).isEqualTo("ann"));
        }
    }
}
