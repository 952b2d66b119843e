package io.imsm.server.app;

import io.imsm.server.audit.review.AuditService;
import io.imsm.server.config.Config;
import io.imsm.server.json.Json;
import io.imsm.server.store.AuditStore;
import io.imsm.server.store.Database;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;

/** {@code imsm audit ...}: checking and exporting the hash-chained audit log (docs/audit.md). */
@Command(name = "audit", description = "Verify or export the audit log.", mixinStandardHelpOptions = true,
        subcommands = {AuditCommand.Verify.class, AuditCommand.Export.class})
final class AuditCommand implements Runnable {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** Opens the configured database read side (stop an H2-based server first: it holds the file). */
    static Database open(Config cfg) {
        return Database.open(cfg.jdbcUrl(), cfg.database().username(), cfg.database().password(), 2);
    }

    @Command(name = "verify", mixinStandardHelpOptions = true,
            description = {"Recompute the hash chain from the oldest kept row to the head.",
                    "Exit 0 when intact; exit 3 and the first broken link (row id, sequence number, problem) otherwise."})
    static final class Verify extends Main.Common implements Callable<Integer> {
        private final Map<String, String> env;
        private final PrintStream out;

        Verify() {
            this(System.getenv(), System.out);
        }

        Verify(Map<String, String> env, PrintStream out) {
            this.env = env;
            this.out = out;
        }

        @Override
        public Integer call() {
            Config cfg = io.imsm.server.config.ConfigLoader.load(Optional.ofNullable(config), env, overrides());
            try (Database db = open(cfg)) {
                AuditService.Verification v = new AuditService(db, new AuditStore()).verify();
                if (v.intact()) {
                    out.println("audit chain intact: " + v.checked() + " entries checked (sequence " + v.anchorSeq() + " to " + v.headSeq()
                            + "), head hash " + v.headHash());
                    return 0;
                }
                AuditService.BrokenLink b = v.broken().orElseThrow();
                out.println("audit chain BROKEN at row id " + (b.rowId() == null ? "-" : b.rowId()) + ", sequence " + b.seq() + ": "
                        + b.problem() + " (" + v.checked() + " entries before it are intact)");
                return 3;
            }
        }
    }

    @Command(name = "export", mixinStandardHelpOptions = true,
            description = "Write the audit log as JSON lines (one entry per line, oldest first) to a file or standard output.")
    static final class Export extends Main.Common implements Callable<Integer> {
        @Option(names = {"-o", "--output"}, description = "file to write (default: standard output)") Path output;
        @Option(names = "--since", description = "only entries at or after this time (ISO-8601, e.g. 2026-01-01T00:00:00Z)") Instant since;

        private final Map<String, String> env;
        private final PrintStream out;

        Export() {
            this(System.getenv(), System.out);
        }

        Export(Map<String, String> env, PrintStream out) {
            this.env = env;
            this.out = out;
        }

        @Override
        public Integer call() throws IOException {
            Config cfg = io.imsm.server.config.ConfigLoader.load(Optional.ofNullable(config), env, overrides());
            try (Database db = open(cfg)) {
                AuditService audit = new AuditService(db, new AuditStore());
                if (output == null) {
                    // standard output stays open
                    Writer w = new BufferedWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8));
                    write(audit, w);
                    w.flush();
                } else {
                    try (Writer w = Files.newBufferedWriter(output, StandardCharsets.UTF_8)) {
                        out.println("wrote " + write(audit, w) + " entries to " + output);
                    }
                }
            }
            return 0;
        }

        private long write(AuditService audit, Writer w) {
            return audit.export(since, line -> {
                try {
                    w.write(Json.mapper().writeValueAsString(line));
                    w.write('\n');
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
    }
}
