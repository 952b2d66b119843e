package io.imsm.server.app;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The {@code ./imsm} launcher itself, run by bash in a copy of the repository layout with a stand-in JDK
 * whose {@code java} prints what it was given: the JVM options it chooses and the class-data-sharing
 * archive it keeps or drops.
 */
class LauncherTest {
    @TempDir Path root;
    private Path jar;
    private Path archive;

    @BeforeEach
    void layout() throws Exception {
        Path launcher = root.resolve("imsm");
        Files.copy(Path.of("..", "imsm"), launcher, StandardCopyOption.REPLACE_EXISTING);
        Files.setPosixFilePermissions(launcher, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path target = Files.createDirectories(root.resolve("imsm-server/target"));
        jar = Files.writeString(target.resolve("imsm-server-0.1.0-SNAPSHOT.jar"), "jar");
        archive = Files.writeString(target.resolve("imsm-server-0.1.0-SNAPSHOT.jsa"), "archive");
        Path demo = Files.createDirectories(root.resolve("examples/transaction-search/target"));
        Files.writeString(demo.resolve("imsm-example-transaction-search-0.1.0-SNAPSHOT.jar"), "jar");
        Path jdk = Files.createDirectories(root.resolve("jdk/bin"));
        Files.writeString(root.resolve("jdk/release"), "JAVA_VERSION=\"99\"\n");
        Path java = Files.writeString(jdk.resolve("java"), "#!/bin/sh\necho \"MALLOC_ARENA_MAX=$MALLOC_ARENA_MAX $*\"\n");
        Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    private String run(String command) throws Exception {
        ProcessBuilder pb = new ProcessBuilder("bash", root.resolve("imsm").toString(), command).redirectErrorStream(true);
        pb.environment().keySet().removeIf(k -> k.startsWith("IMSM_") || k.equals("JAVA_HOME") || k.equals("MALLOC_ARENA_MAX"));
        pb.environment().put("IMSM_JAVA_HOME", root.resolve("jdk").toString());
        Process p = pb.start();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }

    @Test
    void whenTheJarIsNewerThanTheArchive_thenTheLauncherRemovesItForTheJvmToWriteAnew() throws Exception {
        Files.setLastModifiedTime(archive, FileTime.from(Instant.now().minusSeconds(3600)));
        String out = run("serve");
        assertThat(Files.exists(archive)).isFalse();
        assertThat(out).contains("-XX:+AutoCreateSharedArchive -XX:SharedArchiveFile=" + archive);
    }

    @Test
    void whenTheArchiveIsNewerThanTheJar_thenItIsKept() throws Exception {
        Files.setLastModifiedTime(jar, FileTime.from(Instant.now().minusSeconds(3600)));
        run("serve");
        assertThat(Files.exists(archive)).isTrue();
    }

    @Test
    void whenServing_thenTheSerialCollectorASmallHeapAndTwoMallocArenas() throws Exception {
        String out = run("serve");
        assertThat(out).startsWith("MALLOC_ARENA_MAX=2 ")
                .contains("-XX:+ExitOnOutOfMemoryError", "-XX:+UseSerialGC", "-Xmn24m", "-XX:TrimNativeHeapInterval=5000")
                .containsPattern("-Xmx(\\d+)m")
                .endsWith("imsm-server-0.1.0-SNAPSHOT.jar serve\n");
        int cores = Runtime.getRuntime().availableProcessors();
        assertThat(heapMb(out)).isGreaterThanOrEqualTo(96).isLessThanOrEqualTo(96 + 20 * Math.max(0, cores * 4 - 2));
    }

    @Test
    void whenRunningTheDemo_thenItRunsInTheServersHeap() throws Exception {
        // The service's compact session store and the word lists read on demand fit both in one heap.
        assertThat(heapMb(run("demo"))).isEqualTo(heapMb(run("serve")));
    }

    private static int heapMb(String out) {
        var m = java.util.regex.Pattern.compile("-Xmx(\\d+)m").matcher(out);
        assertThat(m.find()).as(out).isTrue();
        return Integer.parseInt(m.group(1));
    }
}
