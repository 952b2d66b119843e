package io.imsm.server.store;

import javax.sql.DataSource;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.JarURLConnection;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLConnection;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Collections;
import java.util.Enumeration;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.CRC32;

/**
 * The cheap start-up check of decision 0020: whether a database's schema history already records
 * exactly the migrations bundled with this build, each applied successfully with the checksum Flyway
 * computes for it. Then Flyway's migrate would apply nothing and its validation would pass, so the
 * server skips it (about 0.8 s of a start). Anything else answers false and Flyway runs as before:
 * a new database, a bundled migration not yet applied, an applied one changed or missing, a failed
 * one, a row of another kind, a file name Flyway reads differently from this class, or a history
 * table this class cannot read.
 */
final class BundledMigrations {
    /** Plain versioned SQL migrations, V&lt;integer&gt;__&lt;description&gt;.sql; any other name hands over to Flyway. */
    private static final Pattern VERSIONED = Pattern.compile("V([1-9][0-9]{0,8})__([A-Za-z0-9_]+)\\.sql");
    private static final int MAX_SCRIPTS = 10_000;
    /** Rows Flyway writes when it creates the history table (H2) or the schema: notes, not migrations. */
    private static final Set<String> MARKERS = Set.of("TABLE", "SCHEMA");

    /** One row of Flyway's schema history as it reads for a successfully applied versioned SQL migration. */
    record Script(String version, String description, String script, int checksum) {}

    private BundledMigrations() {}

    /** True when {@code dataSource}'s schema history holds exactly the migrations under {@code location}. */
    static boolean applied(DataSource dataSource, ClassLoader loader, String location) {
        Optional<Set<Script>> bundled = bundled(loader, location);
        if (bundled.isEmpty() || bundled.get().isEmpty()) {
            return false;
        }
        return recorded(dataSource).map(bundled.get()::equals).orElse(false);
    }

    /** The migrations under {@code location} (a directory or a jar on the class path); empty when unsure. */
    static Optional<Set<Script>> bundled(ClassLoader loader, String location) {
        try {
            List<URL> roots = Collections.list(loader.getResources(location));
            if (roots.size() != 1) {
                return Optional.empty();
            }
            URL root = roots.get(0);
            Set<Script> scripts = new HashSet<>();
            switch (root.getProtocol()) {
                case "file" -> {
                    Path dir = Path.of(root.toURI());
                    try (Stream<Path> files = Files.list(dir)) {
                        for (Path f : (Iterable<Path>) files::iterator) {
                            if (!Files.isRegularFile(f) || !add(scripts, f.getFileName().toString(), () -> Files.newInputStream(f))) {
                                return Optional.empty();
                            }
                        }
                    }
                }
                case "jar" -> {
                    URLConnection connection = root.openConnection();
                    if (!(connection instanceof JarURLConnection jarConnection)) {
                        return Optional.empty();
                    }
                    jarConnection.setUseCaches(false);
                    String prefix = jarConnection.getEntryName() + "/";
                    try (JarFile jar = jarConnection.getJarFile()) {
                        for (Enumeration<JarEntry> e = jar.entries(); e.hasMoreElements(); ) {
                            JarEntry entry = e.nextElement();
                            String name = entry.getName();
                            if (!name.startsWith(prefix) || name.equals(prefix)) {
                                continue;
                            }
                            String rest = name.substring(prefix.length());
                            if (entry.isDirectory() || rest.contains("/") || !add(scripts, rest, () -> jar.getInputStream(entry))) {
                                return Optional.empty();
                            }
                        }
                    }
                }
                default -> {
                    return Optional.empty();
                }
            }
            return Optional.of(scripts);
        } catch (IOException | URISyntaxException | RuntimeException e) {
            return Optional.empty();
        }
    }

    private interface Source {
        InputStream open() throws IOException;
    }

    private static boolean add(Set<Script> scripts, String file, Source source) throws IOException {
        Matcher m = VERSIONED.matcher(file);
        if (!m.matches() || scripts.size() >= MAX_SCRIPTS) {
            return false;
        }
        try (InputStream in = source.open()) {
            return scripts.add(new Script(m.group(1), m.group(2).replace('_', ' '), file, checksum(in)));
        }
    }

    /**
     * Flyway's checksum of a SQL migration: CRC-32 over each line's UTF-8 bytes without its line
     * break, a byte-order mark dropped from the first (Flyway's {@code ChecksumCalculator}).
     */
    static int checksum(InputStream in) throws IOException {
        CRC32 crc = new CRC32();
        BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8), 4096);
        boolean first = true;
        for (String line = reader.readLine(); line != null; line = reader.readLine()) {
            if (first && line.startsWith("\uFEFF")) {
                line = line.substring(1);
            }
            first = false;
            crc.update(line.getBytes(StandardCharsets.UTF_8));
        }
        return (int) crc.getValue();
    }

    /**
     * The schema history's migrations when every row is a successful versioned SQL migration (or one of
     * Flyway's markers); empty otherwise.
     */
    static Optional<Set<Script>> recorded(DataSource dataSource) {
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT \"version\", \"description\", \"type\", \"script\", \"checksum\", \"success\""
                     + " FROM \"flyway_schema_history\"")) {
            Set<Script> rows = new HashSet<>();
            while (rs.next()) {
                if (MARKERS.contains(rs.getString(3)) && rs.getBoolean(6)) {
                    continue;
                }
                int checksum = rs.getInt(5);
                boolean noChecksum = rs.wasNull();
                if (!"SQL".equals(rs.getString(3)) || !rs.getBoolean(6) || noChecksum || rows.size() >= MAX_SCRIPTS
                        || !rows.add(new Script(rs.getString(1), rs.getString(2), rs.getString(4), checksum))) {
                    return Optional.empty();
                }
            }
            return Optional.of(rows);
        } catch (SQLException e) {
            // no history table yet (a new database), or one this check does not understand: Flyway decides
            return Optional.empty();
        }
    }
}
