package io.imsm.server.store;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The embedded H2 database's page cache stays small under a write load like issuance's (a commit per
 * row, each writing its pages into the cache): its pages otherwise lived long enough to be promoted and
 * filled the old generation with garbage (docs/benchmarks.md, "Memory").
 */
class H2PageCacheTest {
    @TempDir
    Path dir;

    /** The URL the server builds for its embedded database (Config.jdbcUrl), plus {@code extra}. */
    private String fileUrl(String extra) {
        return "jdbc:h2:file:" + dir.resolve("imsm") + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DEFAULT_NULL_ORDERING=HIGH;WRITE_DELAY=0" + extra;
    }

    private static long setting(Database db, String name) {
        return db.read(h -> h.createQuery("SELECT setting_value FROM information_schema.settings WHERE setting_name = :n")
                .bind("n", name).mapTo(Long.class).one());
    }

    @Test
    void whenThousandsOfRowsAreCommittedAndRead_thenThePageCacheStaysWithin2MiB() {
        try (Database db = Database.open(fileUrl(""), "", "", 4)) {
            db.inTransaction(h -> h.execute("CREATE TABLE cache_load (id BIGINT PRIMARY KEY, body VARCHAR(400))"));
            String body = "x".repeat(300);
            for (int i = 0; i < 20_000; i++) {
                long id = i;
                db.inTransaction(h -> h.createUpdate("INSERT INTO cache_load (id, body) VALUES (:id, :body)")
                        .bind("id", id).bind("body", body).execute());
            }
            long rows = db.read(h -> h.createQuery("SELECT COUNT(*) FROM cache_load WHERE body LIKE 'x%'").mapTo(Long.class).one());

            assertThat(rows).isEqualTo(20_000);
            // about 7 MB of rows written and read back: the cache holds at most its 2 MiB of them
            assertThat(setting(db, "info.CACHE_MAX_SIZE")).isEqualTo(Database.H2_CACHE_KIB / 1024);
            assertThat(setting(db, "info.CACHE_SIZE")).isPositive().isLessThanOrEqualTo(Database.H2_CACHE_KIB / 1024);
        }
    }

    @Test
    void whenTheUrlSetsACacheSize_thenItIsKept() {
        try (Database db = Database.open(fileUrl(";CACHE_SIZE=8192"), "", "", 2)) {
            assertThat(setting(db, "info.CACHE_MAX_SIZE")).isEqualTo(8);
        }
    }
}
