package io.imsm.server.app;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintStream;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code imsm keys ...}: signing-key maintenance on a running IMSM. */
@Command(name = "keys", description = "Signing-key maintenance.", subcommands = KeysCommand.Rotate.class)
final class KeysCommand implements Runnable {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** {@code imsm keys rotate}: the published next key starts signing; see docs/oauth.md. */
    @Command(name = "rotate", description = "Rotate the signing keys of a running IMSM now (POST /api/v1/admin/keys/rotate).")
    static final class Rotate implements Callable<Integer> {
        @Option(names = "--url", description = "IMSM base URL (default: $IMSM_URL or http://127.0.0.1:8080)") String url;

        private final Map<String, String> env;
        private final PrintStream out;

        Rotate() {
            this(System.getenv(), System.out);
        }

        Rotate(Map<String, String> env, PrintStream out) {
            this.env = env;
            this.out = out;
        }

        @Override
        public Integer call() throws IOException, InterruptedException {
            JsonNode r = new AdminApiClient(url, env).post("/api/v1/admin/keys/rotate", "{}", "IMSM refused the rotation");
            out.println("active key: " + r.path("active_kid").asText() + ", published next: " + r.path("next_kid").asText()
                    + ", retired: " + r.path("retired_kid").asText() + " (published until " + r.path("retired_published_until").asText() + ")");
            return 0;
        }
    }
}
