package io.imsm.server.app;

import io.imsm.server.identity.Secrets;
import io.imsm.server.support.Http;
import io.imsm.server.support.People;
import io.imsm.server.support.TestDatabases;
import io.imsm.server.support.TestServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** What a copy of the data directory or database gives away: owner-only files, keyed recovery codes. */
class DataAtRestTest {
    @TempDir Path tmp;

    private static String mode(Path p) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }

    @Test
    void whenServerStartsOnAFreshDataDir_thenDirIs0700_andDatabaseAndKeyFilesAre0600() throws Exception {
        Path data = tmp.resolve("fresh-data");
        Path widened = tmp.resolve("widened");
        Files.createDirectory(widened, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        for (Path dir : List.of(data, widened)) {
            // the embedded default: H2 file database under the data directory, key file there too
            try (TestServer s = TestServer.start(TestDatabases.h2(), dir, Map.of("database.url", ""),
                    Map.of("IMSM_BOOTSTRAP_TOKEN", TestServer.BOOTSTRAP_TOKEN))) {
                assertThat(s.client().get("/healthz").status()).isEqualTo(200);
                assertThat(mode(dir)).as(dir.toString()).isEqualTo("rwx------");
                assertThat(mode(dir.resolve("imsm.mv.db"))).isEqualTo("rw-------");
                assertThat(mode(dir.resolve("kek"))).isEqualTo("rw-------");
            }
        }
    }

    @Test
    void whenRecoveryCodesAreStored_thenOnlyAKeyedHashIsKept_andOldUnkeyedRowsStillWork() {
        try (TestServer s = TestServer.start(TestDatabases.Kind.H2)) {
            People.Person p = People.ready(s, "keyed", List.of());
            var db = s.server.wiring().ctx().database();
            List<String> stored = db.read(h -> h.createQuery("SELECT code_hash FROM recovery_codes WHERE user_id = :u AND keyed")
                    .bind("u", p.id()).mapTo(String.class).list());
            assertThat(stored).hasSize(10);
            for (String code : p.recoveryCodes()) {
                String plain = Secrets.sha256Hex(code.replace("-", "").toLowerCase(Locale.ROOT));
                assertThat(stored).as("a plain SHA-256 of the code would let a database copy be brute-forced").doesNotContain(plain);
            }
            // the keyed hash works for login with a recovery code
            Http c = s.client();
            Http.Res ok = c.postJson("/api/v1/login", Map.of("username", p.username(), "password", p.password(),
                    "otp", p.recoveryCodes().get(0)));
            assertThat(ok.status()).as(ok.toString()).isEqualTo(200);

            // a row written before keying (plain SHA-256, keyed = FALSE) is honoured once
            String legacy = "abcde-fghjk";
            db.inTransaction(h -> h.createUpdate("INSERT INTO recovery_codes (user_id, code_hash) VALUES (:u, :h)")
                    .bind("u", p.id()).bind("h", Secrets.sha256Hex("abcdefghjk")).execute());
            Http.Res old = s.client().postJson("/api/v1/login", Map.of("username", p.username(), "password", p.password(),
                    "otp", legacy));
            assertThat(old.status()).as(old.toString()).isEqualTo(200);
            Http.Res again = s.client().postJson("/api/v1/login", Map.of("username", p.username(), "password", p.password(),
                    "otp", legacy));
            assertThat(again.status()).as(again.toString()).isEqualTo(401);
            int unusedOld = db.read(h -> h.createQuery("SELECT COUNT(*) FROM recovery_codes WHERE user_id = :u AND NOT keyed AND used_at IS NULL")
                    .bind("u", p.id()).mapTo(Integer.class).one());
            assertThat(unusedOld).isZero();
        }
    }
}
