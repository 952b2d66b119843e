package io.imsm.server.kx;

import io.imsm.server.support.StoredRows;
import io.imsm.server.support.FakeService;
import io.imsm.server.support.FakeService.OnOffer;
import io.imsm.server.support.FakeService.OnRevoke;
import io.imsm.server.support.Http;
import io.imsm.server.support.People;
import io.imsm.server.support.TestDatabases;
import io.imsm.server.support.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * IMSM calling services that answer huge, slowly or wrongly: every call ends at its deadline with a
 * bounded read, the requester learns nothing about the target, and one bad service never holds up
 * the revocations of the others.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HostileServiceTest {
    static final String BEARER = "Bearer " + TestServer.BOOTSTRAP_TOKEN;
    static final int TIMEOUT_SECONDS = 2;
    TestServer s;
    People.Person analyst;
    Http c;
    final List<FakeService> fakes = new ArrayList<>();

    @BeforeAll
    void start() {
        s = TestServer.start(TestDatabases.Kind.H2, Map.of("kx.timeout_seconds", Integer.toString(TIMEOUT_SECONDS)));
        analyst = People.ready(s, "hana", List.of("analyst"));
        c = s.client();
        assertThat(People.login(s, c, analyst).status()).isEqualTo(200);
    }

    @AfterAll
    void stop() {
        fakes.forEach(FakeService::close);
        s.close();
    }

    FakeService register(String id, OnOffer onOffer, OnRevoke onRevoke) throws Exception {
        FakeService f = FakeService.start(id, s, onOffer, onRevoke);
        fakes.add(f);
        Http.Res r = s.client().putJson("/api/v1/admin/services/" + id, f.definition(), "Authorization", BEARER);
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        return f;
    }

    Http.Res requestToken(String id) {
        return c.postJson("/api/v1/services/" + id + "/tokens", Map.of());
    }

    void assertGenericFailureAndAuditedDetail(Http.Res r, FakeService f, String id, String detail) {
        assertThat(r.status()).as(r.toString()).isEqualTo(502);
        assertThat(r.code()).isEqualTo("key_exchange_failed");
        String port = f.kxUrl().substring(f.kxUrl().lastIndexOf(':') + 1, f.kxUrl().lastIndexOf('/'));
        assertThat(r.json().path("detail").asText()).contains("could not be reached")
                .doesNotContain("127.0.0.1").doesNotContain(port).doesNotContain("status").doesNotContain("bytes");
        var events = StoredRows.audit(s.server.wiring(), "token_issue", 100);
        assertThat(events).anyMatch(e -> id.equals(e.target()) && "failed".equals(e.outcome())
                && e.detail().contains(f.kxUrl()) && e.detail().contains(detail));
    }

    /** The token request fails fast, and IMSM hung up after 16 KiB: only what fits in the socket buffers left the service. */
    void assertHugeAnswerRefusedReadingLittle(String id, OnOffer onOffer) throws Exception {
        FakeService huge = register(id, onOffer, OnRevoke.CONFIRM);
        long t0 = System.nanoTime();
        Http.Res r = requestToken(id);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertGenericFailureAndAuditedDetail(r, huge, id, "larger than 16384 bytes");
        assertThat(ms).as("failed after %d ms", ms).isLessThan(TIMEOUT_SECONDS * 1000L);
        waitFor(() -> huge.bytesSent.get() > 0, 2000);
        Thread.sleep(200);
        assertThat(huge.bytesSent.get()).as("bytes the service could send").isLessThan(FakeService.HUGE_BYTES / 4);
    }

    @Test
    void whenServiceStreamsAHugeAnswer_thenFailsFastReadingLittle_andServerStaysHealthy() throws Exception {
        assertHugeAnswerRefusedReadingLittle("huge", OnOffer.HUGE_BODY);
        assertThat(s.client().get("/healthz").status()).isEqualTo(200);
        assertThat(s.client().get("/readyz").status()).isEqualTo(200);
        s.clock.advance(Duration.ofSeconds(30)); // a fresh TOTP step
        assertThat(People.login(s, s.client(), analyst).status()).isEqualTo(200);
    }

    @Test
    void whenServiceStreamsAHugeAnswerWithoutLength_thenFailsFastReadingLittle() throws Exception {
        assertHugeAnswerRefusedReadingLittle("huge-chunked", OnOffer.HUGE_CHUNKED);
    }

    @Test
    void whenServiceRedirects_thenTheRedirectIsNotFollowed() throws Exception {
        FakeService redirect = register("redirect", OnOffer.REDIRECT, OnRevoke.CONFIRM);
        assertGenericFailureAndAuditedDetail(requestToken("redirect"), redirect, "redirect", "HTTP status 307");
    }

    @Test
    void whenServiceDripsItsAnswer_thenRequestEndsAtTheDeadline() throws Exception {
        FakeService drip = register("drip", OnOffer.DRIP, OnRevoke.CONFIRM);
        long t0 = System.nanoTime();
        Http.Res r = requestToken("drip");
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertGenericFailureAndAuditedDetail(r, drip, "drip", "within " + TIMEOUT_SECONDS + " seconds");
        assertThat(ms).as("failed after %d ms", ms).isBetween(TIMEOUT_SECONDS * 1000L - 100, TIMEOUT_SECONDS * 1000L + 1000);
    }

    @Test
    void whenNothingListens_thenGenericMessageToo() throws Exception {
        FakeService gone = register("gone", OnOffer.ANSWER, OnRevoke.CONFIRM);
        gone.close();
        assertGenericFailureAndAuditedDetail(requestToken("gone"), gone, "gone", "could not be reached");
    }

    @Test
    void whenRevocationAnswered404_thenItStaysPending() throws Exception {
        FakeService lost = register("lost", OnOffer.ANSWER, OnRevoke.NOT_FOUND);
        Http.Res t = requestToken("lost");
        assertThat(t.status()).as(t.toString()).isEqualTo(201);
        String sid = t.json().path("sid").asText();
        assertThat(c.delete("/api/v1/sessions/" + sid).status()).isEqualTo(204);
        waitFor(() -> !lost.revocations().isEmpty(), 3000);
        waitFor(() -> outboxRow(sid).attempts() >= 1, 2000);
        OutboxState row = outboxRow(sid);
        assertThat(row.delivered()).as("a 404 is not a confirmation").isFalse();
        assertThat(row.lastError()).contains("404");
    }

    @Test
    void whenOneServiceDrips_thenAnotherServicesRevocationIsDeliveredAtOnce() throws Exception {
        FakeService slow = register("slow", OnOffer.ANSWER, OnRevoke.DRIP);
        FakeService good = register("good", OnOffer.ANSWER, OnRevoke.CONFIRM);
        String slowSid = requestToken("slow").json().path("sid").asText();
        String goodSid = requestToken("good").json().path("sid").asText();
        assertThat(c.delete("/api/v1/sessions/" + slowSid).status()).isEqualTo(204);
        waitFor(() -> !slow.revocations().isEmpty(), 3000);
        long t0 = System.nanoTime();
        assertThat(c.delete("/api/v1/sessions/" + goodSid).status()).isEqualTo(204);
        waitFor(() -> outboxRow(goodSid).delivered(), 1000);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertThat(good.revocations()).extracting(FakeService.Received::sid).containsExactly(goodSid);
        assertThat(outboxRow(slowSid).delivered()).as("the slow one is still hanging").isFalse();
        assertThat(ms).as("delivered after %d ms", ms).isLessThan(1000);
    }

    record OutboxState(int attempts, boolean delivered, String lastError) {}

    OutboxState outboxRow(String sid) {
        return s.server.wiring().ctx().database().read(h -> h.createQuery(
                        "SELECT attempts, delivered_at, last_error FROM outbox WHERE payload = :sid")
                .bind("sid", sid)
                .map((rs, ctx) -> new OutboxState(rs.getInt("attempts"), rs.getTimestamp("delivered_at") != null, rs.getString("last_error")))
                .one());
    }

    static void waitFor(BooleanSupplier condition, long millis) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofMillis(millis).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within " + millis + " ms");
            }
            Thread.sleep(20);
        }
    }
}
