package io.imsm.server.gateway;

import com.unboundid.ldap.listener.InMemoryDirectoryServer;
import com.unboundid.ldap.listener.InMemoryDirectoryServerConfig;
import com.unboundid.ldap.listener.InMemoryListenerConfig;
import io.imsm.server.support.Http;
import io.imsm.server.support.TestDatabases;
import io.imsm.server.support.TestServer;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The gateway's edges: the documented signing script, a directory that never answers, the per-address limit. */
class GatewayEdgesTest {
    private static final String ADMIN = "Bearer " + TestServer.BOOTSTRAP_TOKEN;

    @Test
    void whenTheExampleScriptSignsTheHoldersJwt_thenTheGatewayIssuesTheCredential() throws Exception {
        InMemoryDirectoryServer directory = directory();
        try (TestServer s = TestServer.start(TestDatabases.Kind.H2)) {
            Http http = s.client();
            register(http, "ldap://127.0.0.1:" + directory.getListenPort());
            String gateway = http.get("/api/v1/gateway").json().path("address").asText();
            String jwt = runScript(GatewayCryptoTest.WEB3_KEY.toString(16), "agreement-analysts", gateway);
            Http.Res r = http.get("/api/v1/gateway/services/domain/credentials", "Authorization", "Bearer " + jwt);
            assertThat(r.status()).as(r.toString()).isEqualTo(200);
            assertThat(r.json().path("id_token").asText()).isNotBlank();
            // and the controller's revocation signed the same way
            String revoke = runScript("02", "agreement-analysts", gateway);
            Http.Res revoked = http.delete("/api/v1/gateway/services/domain/credentials", "Authorization", "Bearer " + revoke);
            assertThat(revoked.status()).as(revoked.toString()).isEqualTo(200);
            assertThat(revoked.json().path("revoked").asInt()).isEqualTo(1);
        } finally {
            directory.shutDown(true);
        }
    }

    @Test
    void whenTheDirectoryAcceptsButNeverAnswers_thenUnavailableWithinTheDeadline() throws Exception {
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
             TestServer s = TestServer.start(TestDatabases.Kind.H2, Map.of("gateway.ldap_timeout_seconds", "1"))) {
            List<Socket> accepted = new ArrayList<>();
            Thread acceptor = Thread.ofVirtual().start(() -> {
                try {
                    while (true) {
                        accepted.add(silent.accept());
                    }
                } catch (Exception ignored) {
                    // closed at the end of the test
                }
            });
            Http http = s.client();
            register(http, "ldap://127.0.0.1:" + silent.getLocalPort());
            String gateway = http.get("/api/v1/gateway").json().path("address").asText();
            long start = System.nanoTime();
            Http.Res r = http.get("/api/v1/gateway/services/domain/credentials", "Authorization",
                    "Bearer " + HolderJwts.sign(GatewayCryptoTest.WEB3_KEY,
                            HolderJwts.claims(GatewayCryptoTest.WEB3_KEY, "agreement-analysts", gateway, s.clock.instant())));
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            assertThat(r.status()).as(r.toString()).isEqualTo(503);
            assertThat(r.code()).isEqualTo("domain_controller_unavailable");
            assertThat(took).isLessThan(Duration.ofSeconds(5));
            silent.close();
            acceptor.join(2000);
            for (Socket a : accepted) {
                a.close();
            }
        }
    }

    @Test
    void whenOneAddressAsksTooOften_thenRateLimitedWithRetryAfter() {
        try (TestServer s = TestServer.start(TestDatabases.Kind.H2, Map.of("gateway.requests_per_ip_per_minute", "3"))) {
            Http http = s.client();
            List<Integer> statuses = new ArrayList<>();
            Http.Res last = null;
            for (int i = 0; i < 4; i++) {
                last = http.get("/api/v1/gateway/services/domain/credentials", "Authorization", "Bearer not-a-jwt");
                statuses.add(last.status());
            }
            assertThat(statuses).containsExactly(401, 401, 401, 429);
            assertThat(last.code()).isEqualTo("rate_limited");
            assertThat(last.header("Retry-After")).isNotBlank();
        }
    }

    private static void register(Http http, String url) {
        Http.Res r = http.postJson("/api/v1/gateway/services/domain",
                GatewayContract.request("Example Org DC", url, Map.of("agreement-analysts", "cn=analysts,ou=groups,dc=example,dc=org")),
                "Authorization", ADMIN);
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
    }

    private static InMemoryDirectoryServer directory() throws Exception {
        InMemoryDirectoryServerConfig config = new InMemoryDirectoryServerConfig("dc=example,dc=org");
        config.setSchema(null);
        config.setListenerConfigs(InMemoryListenerConfig.createLDAPConfig("ldap", InetAddress.getLoopbackAddress(), 0, null));
        InMemoryDirectoryServer directory = new InMemoryDirectoryServer(config);
        directory.importFromLDIF(true, GatewayEdgesTest.class.getResource("/gateway/directory.ldif").getPath());
        directory.startListening();
        return directory;
    }

    /** Runs examples/gateway/SignHolderJwt.java as the docs say: a single-file program with BouncyCastle on the class path. */
    private static String runScript(String keyHex, String subject, String gateway) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        String bcprov = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(p -> p.contains("bcprov")).findFirst().orElseThrow();
        Path script = Path.of("..", "examples", "gateway", "SignHolderJwt.java");
        Process p = new ProcessBuilder(java, "-cp", bcprov, script.toString(), keyHex, subject, gateway)
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try {
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).isZero();
            return out;
        } finally {
            p.destroyForcibly();
        }
    }
}
