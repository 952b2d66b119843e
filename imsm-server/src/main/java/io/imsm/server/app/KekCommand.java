package io.imsm.server.app;

import io.imsm.server.ErrorCode;
import io.imsm.server.ImsmException;
import io.imsm.server.config.Config;
import io.imsm.server.config.ConfigLoader;
import io.imsm.server.keys.KekRotation;
import io.imsm.server.keys.KeyEncryptionKey;
import io.imsm.server.store.AccessRequestStore;
import io.imsm.server.store.Database;
import io.imsm.server.store.KeyStore;
import io.imsm.server.store.SettingsStore;
import io.imsm.server.store.UserStore;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code imsm kek ...}: key-encryption key maintenance. */
@Command(name = "kek", description = "Key-encryption key maintenance.", subcommands = KekCommand.Rotate.class)
final class KekCommand implements Runnable {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /**
     * {@code imsm kek rotate}: re-encrypts every stored secret from the current KEK ({@code IMSM_KEK} or
     * the key file) to a new one ({@code IMSM_NEW_KEK}, or, when the current key is the file, a new random
     * key that replaces the file once the database has committed). Run it with IMSM stopped.
     */
    @Command(name = "rotate", description = "Re-encrypt all stored secrets under a new key-encryption key (IMSM stopped).")
    static final class Rotate extends Main.Common implements Callable<Integer> {
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
        public Integer call() {
            Config cfg = ConfigLoader.load(java.util.Optional.ofNullable(config), env, overrides());
            Logging.configure(cfg.log().format());
            Path dir = cfg.dataPath();
            KeyEncryptionKey from = KeyEncryptionKey.loadExisting(env.get("IMSM_KEK"), dir);
            String newValue = env.get("IMSM_NEW_KEK");
            boolean fromEnv = env.get("IMSM_KEK") != null && !env.get("IMSM_KEK").isBlank();
            Path keyFile = dir.resolve(KeyEncryptionKey.FILE_NAME);
            Path pending = dir.resolve(KeyEncryptionKey.FILE_NAME + ".new");
            KeyEncryptionKey to;
            if (newValue != null && !newValue.isBlank()) {
                to = KeyEncryptionKey.fromBase64(newValue, "IMSM_NEW_KEK");
            } else if (fromEnv) {
                throw new ImsmException.Invalid(ErrorCode.INVALID_CONFIG,
                        "the current key comes from IMSM_KEK: set the new one in IMSM_NEW_KEK (base64 of 32 random bytes)");
            } else {
                to = KeyEncryptionKey.createFile(pending, new SecureRandom());
            }
            KekRotation.Result r;
            // Two connections (Flyway holds one while migrating); on the embedded H2 database a running server holds the file
            // lock, so this fails instead of rotating under it.
            try (Database db = Database.open(cfg.jdbcUrl(), cfg.database().username(), cfg.database().password(), 2)) {
                db.migrate();
                r = new KekRotation(db, new KeyStore(), new UserStore(), new SettingsStore(), new AccessRequestStore()).rotate(from, to);
            } catch (RuntimeException e) {
                deleteQuietly(pending);
                throw e;
            }
            if (!fromEnv && (newValue == null || newValue.isBlank())) {
                try {
                    Files.move(pending, keyFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                } catch (IOException e) {
                    throw new ImsmException.Invalid(ErrorCode.INVALID_CONFIG, "the database now uses the key in " + pending
                            + " but it could not replace " + keyFile + " (" + e.getMessage() + "); move it there by hand before starting IMSM");
                }
                out.println("Re-encrypted " + r.total() + " secret(s) under a new key-encryption key (" + to.kid()
                        + "), written to " + keyFile + "; the old key is gone.");
            } else {
                out.println("Re-encrypted " + r.total() + " secret(s) under the key from " + (newValue != null && !newValue.isBlank()
                        ? "IMSM_NEW_KEK" : "the key file") + " (" + to.kid() + "). Start IMSM with IMSM_KEK set to that key"
                        + (fromEnv ? "" : " (and remove " + keyFile + ")") + ".");
            }
            out.println("  signing keys: " + r.signingKeys() + ", TOTP secrets: " + r.totpSecrets() + ", other secrets: "
                    + r.otherSecrets() + " (" + r.wereUnbound() + " from before row binding, now bound)");
            return 0;
        }

        private static void deleteQuietly(Path p) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException ignored) {
                // best effort: an unused key file from a failed rotation
            }
        }
    }
}
