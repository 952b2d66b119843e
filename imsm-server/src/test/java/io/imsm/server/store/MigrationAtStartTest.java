package io.imsm.server.store;

import io.imsm.server.support.TestDatabases;
import org.flywaydb.core.api.FlywayException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The start's migration check (decision 0020): Flyway is skipped only when the schema history records
 * exactly the bundled migrations; a new migration is still applied at start and a changed applied one
 * still refused, on H2 and PostgreSQL.
 */
class MigrationAtStartTest {
    /** A class-path folder of this test's own migrations (the real ones live in db/migration). */
    private static final String LOCATION = "imsm-start-migration-test";

    @TempDir
    Path root;
    Database db;
    URLClassLoader loader;

    Database open(TestDatabases.Kind kind) {
        TestDatabases.Db t = TestDatabases.fresh(kind);
        db = Database.open(t.url(), t.username(), t.password(), 2);
        return db;
    }

    @AfterEach
    void close() throws IOException {
        if (db != null) {
            db.close();
        }
        if (loader != null) {
            loader.close();
        }
    }

    private ClassLoader loader() throws IOException {
        loader = new URLClassLoader(new URL[] {root.toUri().toURL()}, getClass().getClassLoader());
        return loader;
    }

    private void write(String name, String sql) throws IOException {
        Files.createDirectories(root.resolve(LOCATION));
        Files.writeString(root.resolve(LOCATION).resolve(name), sql, StandardCharsets.UTF_8);
    }

    private boolean tableExists(String table) {
        return db.read(h -> h.createQuery("SELECT COUNT(*) FROM information_schema.tables WHERE LOWER(table_name) = :t")
                .bind("t", table).mapTo(Integer.class).one()) > 0;
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.Kind.class)
    void whenTheBundledMigrationsAreApplied_thenTheStartCheckMatchesWhatFlywayRecorded(TestDatabases.Kind kind) {
        open(kind);
        ClassLoader app = Database.class.getClassLoader();
        assertThat(BundledMigrations.applied(db.dataSource(), app, Database.MIGRATIONS)).as("a new database").isFalse();
        assertThat(db.migrateAtStart()).as("the first start applies every migration").isPositive();

        var bundled = BundledMigrations.bundled(app, Database.MIGRATIONS).orElseThrow();
        assertThat(bundled).hasSizeGreaterThan(10);
        // the same versions, descriptions, file names and checksums as Flyway wrote into its history
        assertThat(BundledMigrations.recorded(db.dataSource())).contains(bundled);
        assertThat(BundledMigrations.applied(db.dataSource(), app, Database.MIGRATIONS)).isTrue();
        assertThat(db.migrateAtStart()).as("a restart").isZero();
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.Kind.class)
    void whenANewMigrationIsBundled_thenTheStartAppliesItAndAChangedAppliedOneIsRefused(TestDatabases.Kind kind) throws IOException {
        open(kind);
        write("V1__first.sql", "CREATE TABLE start_one (id INT PRIMARY KEY);\n");
        ClassLoader first = loader();
        assertThat(db.migrateAtStart(first, LOCATION)).isEqualTo(1);
        assertThat(BundledMigrations.applied(db.dataSource(), first, LOCATION)).as("nothing left to apply").isTrue();
        assertThat(db.migrateAtStart(first, LOCATION)).isZero();
        loader.close();

        write("V2__second_step.sql", "CREATE TABLE start_two (id INT PRIMARY KEY);\n");
        ClassLoader second = loader();
        assertThat(BundledMigrations.applied(db.dataSource(), second, LOCATION)).as("V2 is not applied yet").isFalse();
        assertThat(db.migrateAtStart(second, LOCATION)).as("the start applies the new migration").isEqualTo(1);
        assertThat(tableExists("start_two")).isTrue();
        assertThat(BundledMigrations.applied(db.dataSource(), second, LOCATION)).isTrue();
        loader.close();

        write("V1__first.sql", "CREATE TABLE start_one (id INT PRIMARY KEY, changed INT);\n");
        ClassLoader changed = loader();
        assertThat(BundledMigrations.applied(db.dataSource(), changed, LOCATION)).as("V1's checksum differs").isFalse();
        assertThatThrownBy(() -> db.migrateAtStart(changed, LOCATION))
                .as("Flyway refuses an applied migration that was changed")
                .isInstanceOf(FlywayException.class).hasMessageContaining("checksum");
    }

    @Test
    void whenMigrationsHaveAByteOrderMarkOrWindowsLineBreaks_thenTheChecksumIsFlywaysAndAJarReadsAsAFolder() throws IOException {
        open(TestDatabases.Kind.H2);
        write("V1__bom.sql", "\uFEFFCREATE TABLE start_bom (id INT);\r\nCREATE TABLE start_bom2 (id INT);\r\n");
        write("V2__cr.sql", "-- a comment\rCREATE TABLE start_cr (id INT);\n\nINSERT INTO start_cr VALUES (1);");
        ClassLoader folder = loader();
        assertThat(db.migrateAtStart(folder, LOCATION)).isEqualTo(2);
        assertThat(BundledMigrations.applied(db.dataSource(), folder, LOCATION)).isTrue();
        var fromFolder = BundledMigrations.bundled(folder, LOCATION).orElseThrow();
        loader.close();

        Path jar = root.resolve("migrations.jar");
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
            out.putNextEntry(new JarEntry(LOCATION + "/"));
            for (String name : new String[] {"V1__bom.sql", "V2__cr.sql"}) {
                out.putNextEntry(new JarEntry(LOCATION + "/" + name));
                out.write(Files.readAllBytes(root.resolve(LOCATION).resolve(name)));
            }
        }
        try (URLClassLoader fromJar = new URLClassLoader(new URL[] {jar.toUri().toURL()}, getClass().getClassLoader())) {
            assertThat(BundledMigrations.bundled(fromJar, LOCATION)).contains(fromFolder);
            assertThat(BundledMigrations.applied(db.dataSource(), fromJar, LOCATION)).isTrue();
        }
    }

    @Test
    void whenAFileIsNotAPlainVersionedMigration_thenTheCheckLeavesItToFlyway() throws IOException {
        open(TestDatabases.Kind.H2);
        write("V1__first.sql", "CREATE TABLE start_plain (id INT);\n");
        write("R__view.sql", "CREATE OR REPLACE VIEW start_view AS SELECT * FROM start_plain;\n");
        ClassLoader withRepeatable = loader();
        assertThat(BundledMigrations.bundled(withRepeatable, LOCATION)).isEmpty();
        assertThat(db.migrateAtStart(withRepeatable, LOCATION)).as("Flyway runs both").isEqualTo(2);
        assertThat(BundledMigrations.applied(db.dataSource(), withRepeatable, LOCATION)).isFalse();
        assertThat(db.migrateAtStart(withRepeatable, LOCATION)).isZero();
    }
}
