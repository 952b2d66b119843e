package io.imsm.server.web;

import io.imsm.server.support.Http;
import io.imsm.server.support.TestDatabases;
import io.imsm.server.support.TestServer;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ServerSocket;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** /metrics is not for strangers: off on the main port without a token, else the token; or a management port. */
class MetricsAccessTest {
    private static final String TOKEN = "metrics-token-for-tests-0123456789abcdef";

    @Test
    void whenNoMetricsTokenIsSet_thenMainPortAnswers404() {
        try (TestServer s = TestServer.start(TestDatabases.Kind.H2)) {
            Http c = s.client();
            Http.Res r = c.get("/metrics");
            assertThat(r.status()).isEqualTo(404);
            assertThat(r.body()).doesNotContain("jvm_memory");
            assertThat(c.get("/metrics", "Authorization", "Bearer " + TestServer.BOOTSTRAP_TOKEN).status()).isEqualTo(404);
        }
    }

    @Test
    void whenMetricsTokenIsSet_thenMainPortNeedsExactlyThatBearerToken() {
        try (TestServer s = TestServer.start(TestDatabases.Kind.H2, Map.of(), Map.of("IMSM_METRICS_TOKEN", TOKEN))) {
            Http c = s.client();
            Http.Res none = c.get("/metrics");
            assertThat(none.status()).isEqualTo(401);
            assertThat(none.header("WWW-Authenticate")).startsWith("Bearer");
            assertThat(none.body()).doesNotContain("jvm_memory");
            String wrong = (TOKEN.charAt(0) == 'x' ? "y" : "x") + TOKEN.substring(1);
            assertThat(c.get("/metrics", "Authorization", "Bearer " + wrong).status()).isEqualTo(401);
            assertThat(c.get("/metrics", "Authorization", "Bearer " + TestServer.BOOTSTRAP_TOKEN).status()).isEqualTo(401);
            Http.Res ok = c.get("/metrics", "Authorization", "Bearer " + TOKEN);
            assertThat(ok.status()).isEqualTo(200);
            assertThat(ok.body()).contains("imsm_http_requests_total").contains("jvm_memory");
        }
    }

    @Test
    void whenManagementPortIsConfigured_thenItServesMetrics_andMainPortStillRefuses() throws IOException {
        int port;
        try (ServerSocket free = new ServerSocket(0)) {
            port = free.getLocalPort();
        }
        try (TestServer s = TestServer.start(TestDatabases.Kind.H2, Map.of("metrics.port", Integer.toString(port)))) {
            Http.Res ok = new Http("http://127.0.0.1:" + port).get("/metrics");
            assertThat(ok.status()).isEqualTo(200);
            assertThat(ok.body()).contains("imsm_http_requests_total");
            assertThat(new Http("http://127.0.0.1:" + port).get("/api/v1/openapi.json").status()).isEqualTo(404);
            assertThat(s.client().get("/metrics").status()).isEqualTo(404);
        }
    }
}
