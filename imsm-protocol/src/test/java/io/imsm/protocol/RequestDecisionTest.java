package io.imsm.protocol;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** authorization_details matching (RFC 9396 entries of type imsm:http). */
class RequestDecisionTest {
    private static final List<HttpAuthorizationDetail> SEARCH =
            List.of(new HttpAuthorizationDetail("GET", "/search", Map.of("account", "12345")));

    private static RequestDecision check(List<HttpAuthorizationDetail> details, String method, String path, Map<String, List<String>> query) {
        return RequestDecision.check(details, new RequestTarget(method, path, query));
    }

    @Test
    void whenRequestIsExactlyTheEntry_thenAllowed() {
        assertThat(check(SEARCH, "GET", "/search", Map.of("account", List.of("12345"))).allowed()).isTrue();
    }

    @Test
    void whenThereAreNoEntries_thenAnyRequestIsAllowed() {
        RequestDecision d = check(List.of(), "DELETE", "/anything", Map.of("x", List.of("y")));
        assertThat(d.allowed()).isTrue();
        assertThat(d.reason()).contains("no per-request limit");
    }

    @Test
    void whenAnExtraParameterIsPresent_thenRefused() {
        RequestDecision d = check(SEARCH, "GET", "/search", Map.of("account", List.of("12345"), "limit", List.of("1000")));
        assertThat(d.allowed()).isFalse();
        assertThat(d.reason()).contains("'limit' is not allowed");
    }

    @Test
    void whenTheValueDiffers_thenRefused() {
        RequestDecision d = check(SEARCH, "GET", "/search", Map.of("account", List.of("99999")));
        assertThat(d.allowed()).isFalse();
        assertThat(d.reason()).contains("'account' has a value the token does not allow");
    }

    @Test
    void whenTheParameterIsMissingOrRepeated_thenRefused() {
        assertThat(check(SEARCH, "GET", "/search", Map.of()).reason()).contains("'account' is required");
        assertThat(check(SEARCH, "GET", "/search", null).allowed()).isFalse();
        RequestDecision twice = check(SEARCH, "GET", "/search", Map.of("account", List.of("12345", "99999")));
        assertThat(twice.allowed()).isFalse();
        assertThat(twice.reason()).contains("exactly once");
    }

    @Test
    void whenTheMethodDiffers_thenRefused() {
        RequestDecision d = check(SEARCH, "POST", "/search", Map.of("account", List.of("12345")));
        assertThat(d.allowed()).isFalse();
        assertThat(d.reason()).contains("method POST is not allowed");
        assertThat(check(SEARCH, "get", "/search", Map.of("account", List.of("12345"))).allowed()).isFalse();
    }

    @Test
    void whenThePathDiffers_thenRefused() {
        for (String path : new String[] {"/search/", "/Search", "/search/x/", "/searchx", "/", "/search%2F", "/%73earch2"}) {
            RequestDecision d = check(SEARCH, "GET", path, Map.of("account", List.of("12345")));
            assertThat(d.allowed()).as(path).isFalse();
            assertThat(d.reason()).contains("path " + RequestTarget.canonicalPath(path) + " is not allowed");
        }
    }

    @Test
    void whenOneOfSeveralEntriesMatches_thenAllowedElseEveryReasonIsListed() {
        List<HttpAuthorizationDetail> two = List.of(SEARCH.get(0), new HttpAuthorizationDetail("GET", "/accounts/12345"));
        assertThat(check(two, "GET", "/accounts/12345", Map.of()).reason()).contains("authorization_details[1]");
        RequestDecision refused = check(two, "GET", "/accounts/99999", Map.of());
        assertThat(refused.allowed()).isFalse();
        assertThat(refused.reason()).contains("[0] path", "[1] path");
    }

    @Test
    void whenAnEntryIsParsedFromJson_thenItRoundTripsAndUnknownTypesAreRefused() {
        HttpAuthorizationDetail d = SEARCH.get(0);
        assertThat(HttpAuthorizationDetail.fromJson(d.toJson())).isEqualTo(d);
        assertThat(HttpAuthorizationDetail.fromJson(Map.of("type", "imsm:http", "method", "GET", "path", "/a")).query()).isEmpty();
        assertThatThrownBy(() -> HttpAuthorizationDetail.fromJson(Map.of("type", "other", "method", "GET", "path", "/a")))
                .hasMessageContaining("unsupported");
        assertThatThrownBy(() -> HttpAuthorizationDetail.fromJson(Map.of("type", "imsm:http", "method", "GET", "path", "/a",
                "query", Map.of("n", 1)))).hasMessageContaining("string value");
        assertThatThrownBy(() -> new HttpAuthorizationDetail("GET", "search")).hasMessageContaining("start with /");
    }
}
