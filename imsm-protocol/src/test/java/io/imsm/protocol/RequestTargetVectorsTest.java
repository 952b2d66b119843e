package io.imsm.protocol;

import com.nimbusds.jose.util.JSONObjectUtils;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The request-target vectors of docs/protocol.md section 12, read from the page itself. */
class RequestTargetVectorsTest {
    private static final Pattern ROW = Pattern.compile("^\\| `([^`]*)` \\| (`([^`]*)`|refused) \\| (`([^`]*)`)? *\\|$");

    record Vector(String target, String canonicalPath, String query) {}

    static List<Vector> vectors() throws Exception {
        String text = Files.readString(Path.of("..", "docs", "protocol.md"), StandardCharsets.UTF_8);
        int start = text.indexOf("### Request targets (section 7.1)");
        assertThat(start).isPositive();
        List<Vector> out = new ArrayList<>();
        for (String line : text.substring(start).split("\n")) {
            Matcher m = ROW.matcher(line);
            if (m.matches()) {
                out.add(new Vector(m.group(1), m.group(3), m.group(5)));
            } else if (line.startsWith("With Token 1")) {
                break;
            }
        }
        return out;
    }

    @Test
    void whenReadingTheVectors_thenEachCanonicalFormAndRefusalHolds() throws Exception {
        List<Vector> vectors = vectors();
        assertThat(vectors).hasSizeGreaterThanOrEqualTo(20);
        for (Vector v : vectors) {
            if (v.canonicalPath() == null) {
                assertThatThrownBy(() -> RequestTarget.parse("GET", v.target())).as(v.target())
                        .isInstanceOf(IllegalArgumentException.class);
                continue;
            }
            RequestTarget t = RequestTarget.parse("GET", v.target());
            assertThat(t.path()).as(v.target()).isEqualTo(v.canonicalPath());
            assertThat((Map<?, ?>) t.query()).as(v.target()).isEqualTo(JSONObjectUtils.parse(v.query()));
            assertThat(RequestTarget.canonicalPath(t.path())).as("idempotent: " + v.target()).isEqualTo(t.path());
        }
    }

    @Test
    void whenMatchingAgainstToken1_thenTheStatedRequestsAreAllowedOrRefused() {
        Clock clock = Clock.fixed(Instant.ofEpochSecond(ProtocolVectorsTest.IAT + 100), ZoneOffset.UTC);
        SessionToken one = new SessionTokenVerifier(ProtocolVectorsTest.ISSUER, ProtocolVectorsTest.SERVICE, clock, Duration.ofSeconds(60))
                .verify(ProtocolVectorsTest.TOKEN_1, kid -> Optional.of(ProtocolVectorsTest.vectorKeys()));
        assertThat(one.check(RequestTarget.parse("GET", "/%73earch?account=123%34%35")).allowed()).isTrue();
        for (String refused : List.of("/search/?account=12345", "/Search?account=12345", "/search?account=12345&account=12345")) {
            assertThat(one.check(RequestTarget.parse("GET", refused)).allowed()).as(refused).isFalse();
        }
    }

    @Test
    void whenAnEntryPathIsNotCanonical_thenItIsNormalisedOrRefused() {
        assertThat(new HttpAuthorizationDetail("GET", "/%7euser/a%2fb").path()).isEqualTo("/~user/a%2Fb");
        assertThatThrownBy(() -> new HttpAuthorizationDetail("GET", "/a/%2E%2E/b")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> HttpAuthorizationDetail.fromJson(Map.of("type", "imsm:http", "method", "GET", "path", "/a/./b")))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
