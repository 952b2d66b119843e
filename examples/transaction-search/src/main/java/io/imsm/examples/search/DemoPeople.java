package io.imsm.examples.search;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.imsm.server.app.Wiring;
import io.imsm.server.identity.Secrets;
import io.imsm.server.identity.Totp;
import io.imsm.server.model.User;
import io.imsm.server.model.UserStatus;
import io.imsm.server.store.UserStore;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * The demo's ready-to-use people (demo only, never part of the server): each has a password and a
 * confirmed authenticator, written to {@code DIR/demo-users.json}. A restart on the same directory
 * keeps both, so an authenticator entry made from the printed secret keeps working.
 */
final class DemoPeople {
    static final String FILE = "demo-users.json";
    /** The file is ours and small; a bigger one is not read. */
    private static final long MAX_FILE_BYTES = 64 * 1024;
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    record Person(String username, String displayName, List<String> roles) {}

    private final Wiring wiring;
    private final Secrets secrets;
    private final Clock clock;

    DemoPeople(Wiring wiring, Secrets secrets, Clock clock) {
        this.wiring = wiring;
        this.secrets = secrets;
        this.clock = clock;
    }

    /** Makes sure each person exists with the credentials of {@code dataDir/demo-users.json}, or new ones. */
    List<DemoMain.DemoUser> ensure(Path dataDir, List<Person> people) throws IOException {
        Path file = dataDir.resolve(FILE);
        Map<String, DemoMain.DemoUser> known = read(file);
        List<DemoMain.DemoUser> result = new ArrayList<>();
        for (Person p : people) {
            DemoMain.DemoUser previous = known.get(p.username());
            Optional<User> existing = wiring.ctx().database().read(h -> wiring.userStore().findByUsername(h, p.username()));
            boolean reuse = previous != null && existing.filter(u -> u.status() != UserStatus.DELETED).isPresent();
            String password = reuse ? previous.password() : "demo-" + secrets.token(9);
            String secret = reuse ? previous.totpSecret() : Totp.newSecret(secrets);
            // An authenticator already confirmed with this secret stays as it is (and so does its
            // replay guard); otherwise the secret is (re)installed.
            boolean keepTotp = reuse && existing.get().hasTotp();
            seed(p, password, keepTotp ? null : secret);
            result.add(new DemoMain.DemoUser(p.username(), password, secret, p.roles()));
        }
        write(file, result);
        return List.copyOf(result);
    }

    private void seed(Person p, String password, String totpSecretOrNull) {
        String hash = wiring.hasher().hash(password);
        Set<String> roles = Set.copyOf(p.roles());
        wiring.ctx().database().inTransaction(h -> {
            Optional<User> existing = wiring.userStore().findByUsername(h, p.username());
            String id = existing.map(User::id).orElse(UUID.randomUUID().toString());
            if (existing.isEmpty()) {
                wiring.userStore().insert(h, User.builder(id, p.username()).displayName(p.displayName())
                        .passwordHash(hash).created(clock.instant(), "demo").roles(roles).build());
            } else {
                wiring.userStore().updatePassword(h, id, hash, false);
                wiring.userStore().updateStatus(h, id, UserStatus.ACTIVE);
                wiring.userStore().clearLockout(h, id);
                wiring.userStore().setRoles(h, id, roles);
            }
            if (totpSecretOrNull != null) {
                // the ciphertext is bound to the user's row, so it is made once the id is known
                wiring.userStore().setPendingTotp(h, id,
                        wiring.ctx().kek().encrypt(totpSecretOrNull, UserStore.totpSecretContext(id)));
                wiring.userStore().confirmTotp(h, id);
            }
            wiring.audit().record(h, "demo", "demo_user_seeded", p.username(), null, "ok", null);
            return null;
        });
    }

    private static Map<String, DemoMain.DemoUser> read(Path file) {
        Map<String, DemoMain.DemoUser> byName = new HashMap<>();
        try {
            if (!Files.isRegularFile(file) || Files.size(file) > MAX_FILE_BYTES) {
                return byName;
            }
            List<Map<String, Object>> entries = JSON.readValue(file.toFile(), new TypeReference<>() { });
            for (Map<String, Object> e : entries) {
                if (e.get("username") instanceof String u && e.get("password") instanceof String pw
                        && e.get("totp_secret") instanceof String s && !pw.isBlank() && !s.isBlank()) {
                    byName.put(u, new DemoMain.DemoUser(u, pw, s, List.of()));
                }
            }
        } catch (IOException | RuntimeException e) {
            // unreadable or edited by hand: the people get new credentials, written afresh below
            byName.clear();
        }
        return byName;
    }

    private static void write(Path file, List<DemoMain.DemoUser> users) throws IOException {
        Files.createDirectories(file.getParent());
        Files.deleteIfExists(file);
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        JSON.writeValue(file.toFile(), users.stream().map(u -> Map.of("username", u.username(), "password", u.password(),
                "totp_secret", u.totpSecret(), "roles", u.roles())).toList());
    }
}
