package io.imsm.server.web;

import io.imsm.server.app.LogConfigurator;
import io.imsm.server.support.StoredRows;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import ch.qos.logback.core.OutputStreamAppender;
import io.imsm.server.model.AuditEvent;
import io.imsm.server.support.Http;
import io.imsm.server.support.People;
import io.imsm.server.support.TestDatabases;
import io.imsm.server.support.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What strangers can make IMSM write: no audit row per bad request, no login name in clear when it
 * is no account, no forged lines in the text log, and nothing kept past its retention.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AuditHygieneTest {
    private static final String METRICS_TOKEN = "metrics-token-for-tests-0123456789abcdef";
    TestServer s;

    @BeforeAll
    void start() {
        s = TestServer.start(TestDatabases.Kind.H2, Map.of(), Map.of("IMSM_METRICS_TOKEN", METRICS_TOKEN));
    }

    @AfterAll
    void stop() {
        s.close();
    }

    @Test
    void whenManyBadBearerTokensComeFromOneAddress_thenOneAuditRowPerMinuteCarriesTheCount() {
        Http c = s.client();
        int before = audit("bearer_auth").size();
        for (int i = 0; i < 50; i++) {
            Http.Res r = c.get("/api/v1/admin/users", "Authorization", "Bearer not-a-token-" + i);
            assertThat(r.status()).isEqualTo(401);
            assertThat(r.code()).isEqualTo("invalid_token");
        }
        assertThat(audit("bearer_auth")).hasSize(before + 1);
        s.clock.advance(Duration.ofSeconds(61));
        assertThat(c.get("/api/v1/admin/users", "Authorization", "Bearer late").status()).isEqualTo(401);
        List<AuditEvent> rows = audit("bearer_auth");
        assertThat(rows).hasSize(before + 2);
        assertThat(rows.get(0).detail()).contains("+49 earlier failures");
        assertThat(c.get("/metrics", "Authorization", "Bearer " + METRICS_TOKEN).body()).containsPattern("imsm_bearer_auth_failures_total(\\{[^}]*\\})? 51\\.0");
    }

    @Test
    void whenALoginNameIsNoAccount_thenAuditAndLogHoldOnlyAKeyedHash() {
        List<String> lines = captureTextLog(() -> {
            Http.Res r = s.client().postJson("/api/v1/login", Map.of("username", "Correct-Horse-Battery-9", "password", "x"));
            assertThat(r.status()).isEqualTo(401);
        });
        List<AuditEvent> rows = audit("login");
        assertThat(rows).noneSatisfy(e -> assertThat(e.toString().toLowerCase()).contains("correct-horse"));
        assertThat(rows.get(0).actor()).matches("unknown:[0-9a-f]{16}");
        assertThat(rows.get(0).target()).isNull();
        assertThat(String.join("", lines)).doesNotContainIgnoringCase("correct-horse").contains(rows.get(0).actor());
        // the same name gives the same value, so repeated tries still group together
        s.client().postJson("/api/v1/login", Map.of("username", "correct-horse-battery-9", "password", "y"));
        assertThat(audit("login").get(0).actor()).isEqualTo(rows.get(0).actor());
    }

    @Test
    void whenALoginNameCarriesAQuoteAndANewline_thenTheLogGetsOneLineAndNoForgedOne() {
        String evil = "x\" admin\nlevel=INFO forged";
        List<String> lines = captureTextLog(() -> s.client().postJson("/api/v1/login", Map.of("username", evil, "password", "p")));
        assertThat(lines).isNotEmpty().allSatisfy(l -> {
            assertThat(l.indexOf('\n')).as("one line per event: " + l).isEqualTo(l.length() - 1);
            assertThat(l).doesNotContain("forged");
        });
        assertThat(audit("login")).noneSatisfy(e -> assertThat(e.toString()).contains("forged"));
        // and any value that is logged is escaped by the text format itself
        List<String> direct = captureTextLog(() -> LoggerFactory.getLogger("imsm.test").atInfo()
                .addKeyValue("name", evil).log("typed \"" + evil + "\""));
        assertThat(direct).hasSize(1);
        String line = direct.get(0);
        assertThat(line.indexOf('\n')).isEqualTo(line.length() - 1);
        assertThat(line).contains("name=\"x\\\" admin\\nlevel=INFO forged\"")
                .contains("msg=\"typed \\\"x\\\" admin\\nlevel=INFO forged\\\"\"");
    }

    @Test
    void whenRetentionRuns_thenOldAuditRowsSessionsAndInvitesAreDeleted() {
        People.Person p = People.ready(s, "retention-rick", List.of());
        Http c = s.client();
        assertThat(People.login(s, c, p).status()).isEqualTo(200);
        Http.Res invite = s.client().postJson("/api/v1/admin/users", Map.of("username", "invited-ivy", "invite", true),
                "Authorization", "Bearer " + TestServer.BOOTSTRAP_TOKEN);
        assertThat(invite.status()).as(invite.toString()).isEqualTo(201);
        assertThat(c.postJson("/api/v1/logout", Map.of()).status()).isEqualTo(204);
        assertThat(count("audit_log")).isPositive();
        assertThat(count("browser_sessions")).isPositive();
        assertThat(count("invites")).isPositive();

        s.clock.advance(Duration.ofDays(30));
        s.server.wiring().retention().purge();
        assertThat(count("browser_sessions")).as("ended sessions go after a day").isZero();
        assertThat(count("audit_log")).as("audit rows stay a year").isPositive();

        s.clock.advance(Duration.ofDays(336));
        s.server.wiring().retention().purge();
        assertThat(count("invites")).as("expired invites go after 30 days").isZero();
        assertThat(count("audit_log")).as("audit rows go after a year").isZero();
        // the person is unaffected
        s.clock.advance(Duration.ofSeconds(30));
        assertThat(People.login(s, s.client(), p).status()).isEqualTo(200);
    }

    private List<AuditEvent> audit(String action) {
        var wiring = s.server.wiring();
        return StoredRows.audit(wiring, action, 10_000);
    }

    private int count(String table) {
        return s.server.wiring().ctx().database().read(h -> h.createQuery("SELECT COUNT(*) FROM " + table).mapTo(Integer.class).one());
    }

    /**
     * Every event logged while {@code r} runs, encoded by the production text format: the "text"
     * appender of the server's own logging set-up, {@link LogConfigurator} (the tests' logging config is quieter). The loggers
     * involved log at INFO meanwhile.
     */
    private static List<String> captureTextLog(Runnable r) {
        LoggerContext production = new LoggerContext();
        LogConfigurator.apply(production, "text", "INFO");
        @SuppressWarnings("unchecked")
        OutputStreamAppender<ILoggingEvent> text = (OutputStreamAppender<ILoggingEvent>)
                production.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).getAppender("text");
        assertThat(text).as("the text log appender of the production set-up").isNotNull();
        LoggerContext lc = (LoggerContext) LoggerFactory.getILoggerFactory();
        Logger root = lc.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        List<String> lines = new CopyOnWriteArrayList<>();
        AppenderBase<ILoggingEvent> tap = new AppenderBase<>() {
            @Override protected void append(ILoggingEvent e) {
                lines.add(new String(text.getEncoder().encode(e), StandardCharsets.UTF_8));
            }
        };
        tap.setContext(lc);
        tap.start();
        root.addAppender(tap);
        List<Logger> raised = List.of(lc.getLogger("imsm.audit"), lc.getLogger("imsm.test"));
        raised.forEach(l -> l.setLevel(Level.INFO));
        try {
            r.run();
        } finally {
            raised.forEach(l -> l.setLevel(null));
            root.detachAppender(tap);
            production.stop();
        }
        return lines;
    }
}
