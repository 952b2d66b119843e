package io.imsm.sdk;

import io.imsm.protocol.HttpAuthorizationDetail;
import io.imsm.protocol.RequestTarget;
import io.imsm.protocol.SessionToken;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

class RequestGuardTest {
    private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");

    private static VerifiedToken token(String scope, HttpAuthorizationDetail... details) {
        return new VerifiedToken(VerifiedToken.Binding.SESSION, new SessionToken("https://ims.example", "alice", "svc", NOW,
                NOW.plusSeconds(300), "dG9rZW4", "c2Vzc2lvbg", scope, List.of(details), Map.of()));
    }

    @Test
    void whenTokenHasNoDetails_thenAnyRequestAllowed() {
        assertThat(new RequestGuard().check(token("a"), RequestTarget.parse("DELETE", "/anything?x=1")).allowed()).isTrue();
    }

    @Test
    void whenRequestMatchesOneOfTheDetails_thenAllowed_elseRefusedWithReason() {
        VerifiedToken t = token("search:read", new HttpAuthorizationDetail("GET", "/search", Map.of("account", "12345")),
                new HttpAuthorizationDetail("GET", "/accounts/12345"));
        RequestGuard guard = RequestGuard.requiring("search:read");

        assertThat(guard.check(t, RequestTarget.parse("GET", "/search?account=12345")).allowed()).isTrue();
        assertThat(guard.check(t, RequestTarget.parse("GET", "/accounts/12345")).allowed()).isTrue();
        assertThat(guard.check(t, RequestTarget.parse("POST", "/accounts/12345")).allowed()).isFalse();
        assertThat(guard.check(t, RequestTarget.parse("GET", "/search?account=12345&account=12345")).reason())
                .contains("exactly once");

        AccessDeniedException e = catchThrowableOfType(AccessDeniedException.class,
                () -> guard.enforce(t, "GET", URI.create("/search?account=1")));
        assertThat(e.failure()).isEqualTo(AccessDeniedException.Failure.REQUEST_NOT_ALLOWED);
        assertThat(e.status()).isEqualTo(403);
    }

    @Test
    void whenScopeMissing_thenRefusedAsInsufficientScope() {
        RequestGuard guard = RequestGuard.requiring("search:read", "search:export");

        assertThat(guard.check(token("search:read"), RequestTarget.parse("GET", "/")).allowed()).isFalse();
        AccessDeniedException e = catchThrowableOfType(AccessDeniedException.class,
                () -> guard.enforce(token("search:read"), "GET", URI.create("/")));
        assertThat(e.failure()).isEqualTo(AccessDeniedException.Failure.INSUFFICIENT_SCOPE);
        assertThat(e.wwwAuthenticate()).isEqualTo("Bearer error=\"insufficient_scope\", error_description=\"insufficient_scope\"");
        guard.enforce(token("search:export search:read"), "GET", URI.create("/"));
    }

    @Test
    void whenTheUriIsEncodedDifferently_thenTheCanonicalFormDecides() {
        VerifiedToken t = token("search:read", new HttpAuthorizationDetail("GET", "/search", Map.of("account", "12345")));
        RequestGuard guard = RequestGuard.requiring("search:read");

        RequestTarget target = guard.enforce(t, "GET", URI.create("/%73earch?account=123%34%35"));
        assertThat(target.query()).containsExactly(Map.entry("account", List.of("12345")));
        for (String refused : new String[] {"/search/%2e%2e/search?account=12345", "/search/./?account=12345", "/search?account=%FF"}) {
            AccessDeniedException e = catchThrowableOfType(AccessDeniedException.class, () -> guard.enforce(t, "GET", URI.create(refused)));
            assertThat(e.failure()).as(refused).isEqualTo(AccessDeniedException.Failure.BAD_REQUEST);
            assertThat(e.status()).isEqualTo(400);
        }
    }

    @Test
    void whenQueryParsed_thenDecodedInOrderWithRepeats() {
        assertThat(RequestTarget.parseQuery("a=1&b=x%20y&a=2&flag&c=%C3%A9+z"))
                .containsExactly(Map.entry("a", List.of("1", "2")), Map.entry("b", List.of("x y")), Map.entry("flag", List.of("")),
                        Map.entry("c", List.of("é z")));
        assertThat(RequestTarget.parseQuery(null)).isEmpty();
        assertThat(RequestTarget.parseQuery("")).isEmpty();
    }
}
