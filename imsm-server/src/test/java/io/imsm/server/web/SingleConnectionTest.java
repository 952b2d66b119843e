package io.imsm.server.web;

import io.imsm.server.support.Http;
import io.imsm.server.support.People;
import io.imsm.server.support.TestDatabases;
import io.imsm.server.support.TestServer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

/**
 * No use case asks for a second database connection while it holds one (that stalls, up to the
 * pool's timeout, on a busy pool): with only one connection of the pool free, logging in and using
 * the session still work at once.
 */
class SingleConnectionTest {

    @ParameterizedTest
    @EnumSource(TestDatabases.Kind.class)
    void whenThePoolHasOneConnection_thenLoginAndSessionUseDoNotWaitForASecond(TestDatabases.Kind kind) {
        try (TestServer s = TestServer.start(kind, Map.of("database.pool_size", "2"))) {
            People.Person p = People.ready(s, "solo", List.of("analyst"));
            s.clock.advance(Duration.ofSeconds(10)); // past the MFA policy cache, so it loads again
            Http c = s.client();
            assertThatCode(() -> {
                // keep one of the two connections busy: each use case must make do with the other
                try (Connection held = s.server.wiring().ctx().database().dataSource().getConnection()) {
                long start = System.nanoTime();
                assertThat(People.login(s, c, p).status()).isEqualTo(200);
                assertThat(c.get("/api/v1/me").status()).isEqualTo(200);
                assertThat(c.get("/").status()).isEqualTo(200);
                assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
                }
            }).doesNotThrowAnyException();
        }
    }
}
