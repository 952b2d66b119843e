package io.imsm.server.identity;

import io.imsm.server.support.Http;
import io.imsm.server.support.TestDatabases;
import io.imsm.server.support.TestServer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;

/** An invite link sets a first password exactly once, even when several acceptances race (H2 and PostgreSQL). */
class InviteAcceptanceRaceTest {
    private static final int PARALLEL = 8;

    @ParameterizedTest
    @EnumSource(TestDatabases.Kind.class)
    void whenOneInviteIsAcceptedInParallel_thenExactlyOneAcceptanceSucceeds(TestDatabases.Kind kind) throws Exception {
        try (TestServer s = TestServer.start(kind)) {
            Http admin = s.client();
            Http.Res created = admin.postJson("/api/v1/admin/users", Map.of("username", "racer", "invite", true),
                    "Authorization", "Bearer " + TestServer.BOOTSTRAP_TOKEN);
            assertThat(created.status()).as(created.toString()).isEqualTo(201);
            String token = created.json().path("invite_url").asText().replaceAll(".*/", "");

            ExecutorService pool = Executors.newFixedThreadPool(PARALLEL);
            CountDownLatch go = new CountDownLatch(1);
            List<Future<Integer>> answers = new ArrayList<>();
            for (int i = 0; i < PARALLEL; i++) {
                String password = "racing-password-number-" + i;
                answers.add(pool.submit(() -> {
                    go.await();
                    return s.client().postJson("/api/v1/invites/" + token, Map.of("password", password)).status();
                }));
            }
            go.countDown();
            List<Integer> statuses = new ArrayList<>();
            for (Future<Integer> f : answers) {
                statuses.add(f.get());
            }
            pool.shutdown();
            assertThat(statuses).as(statuses.toString()).containsOnly(204, 404);
            assertThat(statuses.stream().filter(st -> st == 204).count()).as(statuses.toString()).isEqualTo(1);
        }
    }
}
