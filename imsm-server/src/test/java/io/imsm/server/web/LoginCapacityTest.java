package io.imsm.server.web;

import io.imsm.server.support.Http;
import io.imsm.server.support.People;
import io.imsm.server.support.TestDatabases;
import io.imsm.server.support.TestServer;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Bounded password hashing over HTTP: a burst of parallel logins (from one address here, with the
 * per-address limit raised as {@link TestServer} does) never breaks the server, and when every
 * hashing slot is busy past the short wait the answer is {@code 503 server_busy} with Retry-After.
 */
class LoginCapacityTest {

    @Test
    void whenHundredLoginsArriveInParallel_thenEveryAnswerIs200_401or503_andTheServerStaysHealthy() throws Exception {
        try (TestServer s = TestServer.start(TestDatabases.Kind.H2, Map.of(
                "passwords.argon2_memory_kib", "8192", "passwords.argon2_iterations", "2"))) {
            runBurst(s, 100);
        }
    }

    @Test
    void whenEveryHashingSlotIsBusy_thenServerBusyWithRetryAfter_andLaterLoginsWork() throws Exception {
        // one slot and no waiting: of 100 parallel logins, those that find the slot taken are refused at once
        try (TestServer s = TestServer.start(TestDatabases.Kind.H2, Map.of(
                "passwords.argon2_memory_kib", "8192", "passwords.argon2_iterations", "2",
                "passwords.max_concurrent_hashes", "1", "passwords.hash_queue_timeout_millis", "0"))) {
            List<Http.Res> answers = runBurst(s, 100);
            List<Http.Res> busy = answers.stream().filter(r -> r.status() == 503).toList();
            assertThat(busy).as("some logins found the one slot taken").isNotEmpty();
            assertThat(busy).allSatisfy(r -> {
                assertThat(r.code()).isEqualTo("server_busy");
                assertThat(Long.parseLong(r.header("Retry-After"))).isBetween(1L, 10L);
            });
        }
    }

    /** 10 real people and 90 unknown names log in at once; then checks health and a normal login. */
    private static List<Http.Res> runBurst(TestServer s, int n) throws Exception {
        List<String> real = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            People.createUser(s, "load" + i, "load-initial-password-" + i, List.of());
            real.add("load" + i);
        }
        List<Http.Res> answers = LoginFlowContract.inParallel(n, i -> s.client().postJson("/api/v1/login", i < real.size()
                ? Map.of("username", real.get(i), "password", "load-initial-password-" + i)
                : Map.of("username", "nobody-" + i, "password", "some-wrong-password-" + i)));
        assertThat(answers).extracting(Http.Res::status).containsAnyOf(200, 401).isSubsetOf(200, 401, 503);
        Http c = s.client();
        assertThat(c.get("/healthz").status()).isEqualTo(200);
        Http.Res after = c.postJson("/api/v1/login", Map.of("username", "load0", "password", "load-initial-password-0"));
        assertThat(after.status()).as(after.toString()).isEqualTo(200);
        return answers;
    }
}
