package io.imsm.proxy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ProxyConfigTest {
    static final String BASE = """
            upstream: {url: "http://127.0.0.1:8080/base"}
            imsm: {issuer: "https://imsm.example"}
            service: {id: search, kx_key_file: keys/kx.json}
            """;

    @TempDir
    Path dir;

    ProxyConfig load(String yaml) throws Exception {
        Path f = dir.resolve("proxy.yaml");
        Files.writeString(f, yaml);
        return ProxyConfig.load(f);
    }

    @Test
    void whenMinimal_thenDefaultsFilledIn_andEverythingNeedsATokenForTheService() throws Exception {
        ProxyConfig c = load(BASE);
        assertThat(c.listen().host()).isEqualTo("127.0.0.1");
        assertThat(c.admin().port()).as("no admin listener unless asked").isEqualTo(-1);
        assertThat(c.service().kxKeyFile()).isEqualTo(dir.resolve("keys/kx.json"));
        assertThat(c.service().kxPath()).isEqualTo("/imsm/kx");
        assertThat(c.imsm().clockSkewSeconds()).isEqualTo(30);
        ProxyConfig.Route r = c.route("/anything");
        assertThat(r.isPublic()).isFalse();
        assertThat(r.audience()).isEqualTo("search");
        assertThat(c.limits().maxRequestHeaderBytes()).isEqualTo(16 * 1024);
    }

    @Test
    void whenPrefixesOverlap_thenTheLongestWins_andAPrefixEndsAtASlash() throws Exception {
        ProxyConfig c = load(BASE + """
                routes:
                  - {prefix: /api/, scopes: [a]}
                  - {prefix: /api/public, public: true}
                  - {prefix: /, audience: other}
                """);
        assertThat(c.route("/api/public/x").isPublic()).isTrue();
        assertThat(c.route("/api/publicity").scopes()).containsExactly("a");
        assertThat(c.route("/api").scopes()).containsExactly("a");
        assertThat(c.route("/apix").audience()).isEqualTo("other");
    }

    @Test
    void whenUnknownKeyOrMissingIssuerOrBadValues_thenRefusedWithTheReason() {
        assertThatThrownBy(() -> load(BASE + "routs: []\n")).hasMessageContaining("unknown key routs");
        assertThatThrownBy(() -> load("upstream: {url: \"http://x\"}\nservice: {id: s}\n")).hasMessageContaining("imsm.issuer is required");
        assertThatThrownBy(() -> load(BASE.replace("http://127.0.0.1:8080/base", "ftp://x"))).hasMessageContaining("upstream.url");
        assertThatThrownBy(() -> load(BASE + "claim_headers: {email: \"X-Bad Header\"}\n")).hasMessageContaining("not a header name");
        assertThatThrownBy(() -> load(BASE + "routes: [{prefix: /a}, {prefix: /a/}]\n")).hasMessageContaining("two routes");
        assertThatThrownBy(() -> load(BASE.replace("https://imsm.example\"}", "https://imsm.example\", clock_skew_seconds: 120}")))
                .hasMessageContaining("clock_skew_seconds");
    }
}
