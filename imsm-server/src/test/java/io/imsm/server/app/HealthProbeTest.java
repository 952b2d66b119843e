package io.imsm.server.app;

import io.imsm.server.support.Http;
import io.imsm.server.support.TestDatabases;
import io.imsm.server.support.TestServer;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The probes after a fatal error: the instance reports itself unhealthy so its supervisor replaces it. */
class HealthProbeTest {
    @Test
    void whenProcessSawAnError_thenHealthzAndReadyzAnswer503() {
        try (TestServer s = TestServer.start(TestDatabases.Kind.H2)) {
            Http c = s.client();
            assertThat(c.get("/healthz").status()).isEqualTo(200);
            assertThat(c.get("/readyz").json().path("process").asText()).isEqualTo("ok");
            s.server.wiring().ctx().health().observe(new IllegalStateException("an exception is not fatal"));
            assertThat(c.get("/readyz").status()).isEqualTo(200);

            s.server.wiring().ctx().health().observe(new OutOfMemoryError("Java heap space"));

            Http.Res ready = c.get("/readyz");
            assertThat(ready.status()).isEqualTo(503);
            assertThat(ready.json().path("process").asText()).isEqualTo("failed");
            Http.Res health = c.get("/healthz");
            assertThat(health.status()).isEqualTo(503);
            assertThat(health.json().path("error").asText()).isEqualTo("java.lang.OutOfMemoryError");
        }
    }
}
