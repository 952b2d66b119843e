package io.imsm.server.app;

import io.imsm.server.ImsmException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One IMSM per data directory. The embedded H2 file database admits one process; a second one used
 * to fail deep inside the pool with H2's raw lock error. An OS file lock on {@code DIR/imsm.lock}
 * (released by the OS when the process ends, so a crash leaves no stale lock) lets the second start
 * say who holds the directory instead. The file holds the owner's pid, for that message only.
 */
final class DataDirLock implements AutoCloseable {
    static final String FILE = "imsm.lock";
    /** Enough for any pid; a longer file is someone else's and is not trusted. */
    private static final int MAX_PID_CHARS = 20;

    /**
     * Directories this JVM holds. Checked before opening the file: on POSIX systems closing any
     * descriptor of a file drops every lock the process holds on it, so a second open-and-close from
     * this JVM (two servers in one test JVM) would silently unlock the first.
     */
    private static final Set<Path> HELD = ConcurrentHashMap.newKeySet();

    private final Path dir;
    private final FileChannel channel;
    private final FileLock lock;

    private DataDirLock(Path dir, FileChannel channel, FileLock lock) {
        this.dir = dir;
        this.channel = channel;
        this.lock = lock;
    }

    /** Locks {@code dir} for this process or throws "another IMSM is already using DIR (pid N)". */
    static DataDirLock acquire(Path directory) {
        Path dir = directory.toAbsolutePath().normalize();
        if (!HELD.add(dir)) {
            throw inUse(dir, Long.toString(ProcessHandle.current().pid()));
        }
        FileChannel ch = null;
        try {
            Files.createDirectories(dir);
            ch = FileChannel.open(dir.resolve(FILE), StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
            FileLock lock = ch.tryLock();
            if (lock == null) {
                throw inUse(dir, readPid(ch));
            }
            ch.truncate(0);
            ch.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)), 0);
            ch.force(false);
            return new DataDirLock(dir, ch, lock);
        } catch (IOException e) {
            closeQuietly(ch);
            HELD.remove(dir);
            throw new UncheckedIOException("cannot lock the data directory " + dir, e);
        } catch (RuntimeException e) {
            closeQuietly(ch);
            HELD.remove(dir);
            throw e;
        }
    }

    private static ImsmException inUse(Path dir, String pid) {
        return new ImsmException.Conflict("another IMSM is already using " + dir
                + (pid.isEmpty() ? "" : " (pid " + pid + ")") + "; stop it first or choose another --data directory");
    }

    private static String readPid(FileChannel ch) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(MAX_PID_CHARS + 1);
        ch.read(buf, 0);
        String s = new String(buf.array(), 0, buf.position(), StandardCharsets.US_ASCII).strip();
        return s.matches("[0-9]{1," + MAX_PID_CHARS + "}") ? s : "";
    }

    private static void closeQuietly(FileChannel ch) {
        if (ch != null) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // already failing; the first error is the one to report
            }
        }
    }

    @Override
    public void close() {
        try {
            lock.release();
        } catch (IOException ignored) {
            // closing the channel below releases it as well
        }
        closeQuietly(channel);
        HELD.remove(dir);
    }
}
