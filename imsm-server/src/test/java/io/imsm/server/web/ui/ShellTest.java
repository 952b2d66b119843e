package io.imsm.server.web.ui;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The curl line on the token page is pasted into shells: each value must stay one inert word. */
class ShellTest {
    static final List<String> HOSTILE = List.of(
            "", "plain", "it's", "'", "''", "'; touch pwned; '", "$(touch pwned)", "`touch pwned`", "${IFS}touch${IFS}pwned",
            "a\\'b", "\"double\" $HOME", "line\nbreak; touch pwned", "semi;colon&amp|pipe>out<in", "* ? [a-z] ~root", "!!", "tab\there");

    @Test
    void whenQuoted_thenEachHostileValueIsOneWordTheShellGivesBackUnchanged(@TempDir Path dir) throws Exception {
        for (String value : HOSTILE) {
            String out = sh(dir, "printf '%s' " + Shell.quote(value));
            assertThat(out).as(value).isEqualTo(value);
        }
        assertThat(Files.exists(dir.resolve("pwned"))).isFalse();
        assertThat(Shell.quote("it's")).isEqualTo("'it'\\''s'");
    }

    /** The whole curl line, with curl replaced by a function that prints its arguments one per line. */
    @Test
    void whenCurlLineBuiltFromHostileValues_thenTheShellSeesExactlyTheIntendedArguments(@TempDir Path dir) throws Exception {
        var svc = new io.imsm.server.access.ServiceDefinition("x", "X", null, "https://x.example/a'$(touch pwned)'", io.imsm.server.model.Binding.JWKS, null, null,
                List.of("r"), List.of("s"), 60, 60, List.of(), true, List.of());
        var limit = new io.imsm.server.token.TokenService.RequestLimit("get", "/p';touch${IFS}pwned;'", java.util.Map.of("q", "'`x`"));
        String line = TokenPages.curl(svc, limit, "tok.en");
        String out = sh(dir, "curl() { for a; do printf '%s\\n' \"$a\"; done; }; " + line);
        assertThat(out.split("\n")).containsExactly("-X", "GET", "-H", "Authorization: Bearer tok.en",
                "https://x.example/a'$(touch pwned)'/p';touch${IFS}pwned;'?q=%27%60x%60");
        assertThat(Files.exists(dir.resolve("pwned"))).isFalse();
    }

    static String sh(Path dir, String script) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("sh", "-c", script).directory(dir.toFile()).redirectErrorStream(true).start();
        assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
        return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }
}
