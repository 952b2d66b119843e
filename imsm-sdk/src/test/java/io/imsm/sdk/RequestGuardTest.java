package io.imsm.sdk;

import io.imsm.protocol.HttpAuthorizationDetail;
import io.imsm.protocol.SessionToken;
import org.junit.jupiter.api.Test;

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
        assertThat(new RequestGuard().check(token("a"), "DELETE", "/anything", Map.of("x", List.of("1"))).allowed()).isTrue();
    }

    @Test
    void whenRequestMatchesOneOfTheDetails_thenAllowed_elseRefusedWithReason() {
        VerifiedToken t = token("search:read", new HttpAuthorizationDetail("GET", "/search", Map.of("account", "12345")),
                new HttpAuthorizationDetail("GET", "/accounts/12345"));
        RequestGuard guard = RequestGuard.requiring("search:read");

        assertThat(guard.check(t, "GET", "/search", RequestGuard.parseQuery("account=12345")).allowed()).isTrue();
        assertThat(guard.check(t, "GET", "/accounts/12345", Map.of()).allowed()).isTrue();
        assertThat(guard.check(t, "POST", "/accounts/12345", Map.of()).allowed()).isFalse();
        assertThat(guard.check(t, "GET", "/search", RequestGuard.parseQuery("account=12345&account=12345")).reason())
                .contains("exactly once");

        AccessDeniedException e = catchThrowableOfType(AccessDeniedException.class,
                () -> guard.enforce(t, "GET", "/search", RequestGuard.parseQuery("account=1")));
        assertThat(e.failure()).isEqualTo(AccessDeniedException.Failure.REQUEST_NOT_ALLOWED);
        assertThat(e.status()).isEqualTo(403);
    }

    @Test
    void whenScopeMissing_thenRefusedAsInsufficientScope() {
        RequestGuard guard = RequestGuard.requiring("search:read", "search:export");

        assertThat(guard.check(token("search:read"), "GET", "/", Map.of()).allowed()).isFalse();
        AccessDeniedException e = catchThrowableOfType(AccessDeniedException.class,
                () -> guard.enforce(token("search:read"), "GET", "/", Map.of()));
        assertThat(e.failure()).isEqualTo(AccessDeniedException.Failure.INSUFFICIENT_SCOPE);
        assertThat(e.wwwAuthenticate()).isEqualTo("Bearer error=\"insufficient_scope\", error_description=\"insufficient_scope\"");
        guard.enforce(token("search:export search:read"), "GET", "/", Map.of());
    }

    @Test
    void whenQueryParsed_thenDecodedInOrderWithRepeats() {
        assertThat(RequestGuard.parseQuery("a=1&b=x%20y&a=2&flag&c=%C3%A9+z"))
                .containsExactly(Map.entry("a", List.of("1", "2")), Map.entry("b", List.of("x y")), Map.entry("flag", List.of("")),
                        Map.entry("c", List.of("é z")));
        assertThat(RequestGuard.parseQuery(null)).isEmpty();
        assertThat(RequestGuard.parseQuery("")).isEmpty();
    }
}
