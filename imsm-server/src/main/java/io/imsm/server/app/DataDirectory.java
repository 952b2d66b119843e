package io.imsm.server.app;

import io.imsm.server.ErrorCode;
import io.imsm.server.ImsmException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.stream.Stream;

/**
 * The data directory holds the embedded H2 database and, without IMSM_KEK, the key-encryption key
 * file: owner-only ({@code 0700}), whatever the umask. The database files in it are set to {@code 0600}
 * at each start; files H2 creates later (trace, temporary files) are covered by the directory's mode.
 */
final class DataDirectory {
    private static final Logger LOG = LoggerFactory.getLogger(DataDirectory.class);

    private DataDirectory() {}

    /** Creates the directory owner-only, or narrows an existing one to owner-only. */
    static void secure(Path dir) {
        try {
            if (!Files.exists(dir)) {
                Path parent = dir.toAbsolutePath().getParent();
                if (parent != null) {
                    Files.createDirectories(parent);
                }
                try {
                    Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
                } catch (UnsupportedOperationException e) {
                    Files.createDirectory(dir);
                }
            }
            setMode(dir, "rwx------");
        } catch (IOException e) {
            throw new ImsmException.Invalid(ErrorCode.INVALID_CONFIG, "cannot create or secure the data directory " + dir + ": " + e.getMessage());
        }
    }

    /** Sets the embedded database's files ({@code imsm.*}) to owner read/write only. */
    static void secureDatabaseFiles(Path dir) {
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                if (Files.isRegularFile(f) && f.getFileName().toString().startsWith("imsm.")) {
                    setMode(f, "rw-------");
                }
            }
        } catch (IOException e) {
            throw new ImsmException.Invalid(ErrorCode.INVALID_CONFIG, "cannot secure the database files in " + dir + ": " + e.getMessage());
        }
    }

    private static void setMode(Path p, String mode) throws IOException {
        try {
            if (!PosixFilePermissions.toString(Files.getPosixFilePermissions(p)).equals(mode)) {
                Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(mode));
                LOG.atInfo().addKeyValue("path", p.toString()).addKeyValue("mode", mode).log("narrowed permissions");
            }
        } catch (UnsupportedOperationException e) {
            // not a POSIX file system: the operator secures it by other means
        }
    }
}
