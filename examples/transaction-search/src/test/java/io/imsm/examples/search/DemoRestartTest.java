package io.imsm.examples.search;

import io.imsm.server.config.Config;
import io.imsm.server.config.ConfigLoader;
import io.imsm.server.identity.Totp;
import io.imsm.server.support.Http;
import io.imsm.testing.MutableClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** A restart of the demo on the same data directory keeps each person's password and authenticator. */
class DemoRestartTest {
    @TempDir Path data;
    final MutableClock clock = MutableClock.startingNow();

    private DemoMain.Demo start() throws Exception {
        Config cfg = ConfigLoader.load(Optional.empty(), Map.of(), Map.of("server.port", "0", "data_dir", data.toString(),
                "passwords.argon2_memory_kib", "1024", "passwords.argon2_iterations", "1"));
        return DemoMain.start(cfg, clock, Map.of(), new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
    }

    @Test
    void whenDemoRestartsOnTheSameData_thenPasswordsAndTotpSecretsStayAndStillLogIn() throws Exception {
        List<DemoMain.DemoUser> first;
        try (DemoMain.Demo demo = start()) {
            first = demo.users();
            assertThat(login(demo, first.get(0)).status()).isEqualTo(200);
        }
        try (DemoMain.Demo demo = start()) {
            assertThat(demo.users()).isEqualTo(first);
            // the authenticator entry made from the first start's secret still gives accepted codes
            Http.Res r = login(demo, first.get(0));
            assertThat(r.status()).as(r.toString()).isEqualTo(200);
        }
    }

    private Http.Res login(DemoMain.Demo demo, DemoMain.DemoUser u) {
        clock.advance(Duration.ofSeconds(30));
        return new Http(demo.ims().baseUrl()).postJson("/api/v1/login", Map.of("username", u.username(),
                "password", u.password(), "otp", Totp.code(u.totpSecret(), clock.instant())));
    }
}
