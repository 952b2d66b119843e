package io.imsm.sdk;

import com.nimbusds.jose.jwk.ECKey;
import io.imsm.protocol.EphemeralKeys;
import org.junit.jupiter.api.Test;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The ES256 verification cache never outlives a token and never accepts what full verification refuses. */
class JwksCacheTest {
    @Test
    void whenCachedTokenExpiresOrIsTampered_thenRefusedAsWithoutCache() {
        AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-11-23T12:00:00Z"));
        Clock clock = new Clock() {
            @Override public ZoneOffset getZone() { return ZoneOffset.UTC; }
            @Override public Clock withZone(java.time.ZoneId z) { return this; }
            @Override public Instant instant() { return now.get(); }
        };
        ECKey serviceKey = EphemeralKeys.generate(new SecureRandom());
        try (MockIms ims = MockIms.create("svc", serviceKey.toPublicJWK(), clock)) {
            TokenVerifier v = new TokenVerifier(ims.issuer(), "svc", null, ims.jwksSource(), clock);
            String token = ims.jwksToken("alice", "read").lifetime(Duration.ofMinutes(5)).mint();
            assertThat(v.verify(token).subject()).isEqualTo("alice");
            assertThat(v.verify(token).subject()).as("cached").isEqualTo("alice");
            String tampered = token.substring(0, token.indexOf('.') + 5) + (token.charAt(token.indexOf('.') + 5) == 'A' ? 'B' : 'A')
                    + token.substring(token.indexOf('.') + 6);
            assertThatThrownBy(() -> v.verify(tampered)).isInstanceOf(AccessDeniedException.class);
            now.set(now.get().plus(Duration.ofMinutes(7)));
            assertThatThrownBy(() -> v.verify(token)).isInstanceOf(AccessDeniedException.class)
                    .satisfies(e -> assertThat(((AccessDeniedException) e).code()).isEqualTo("expired"));
        }
    }

    @Test
    void whenCacheIsFull_thenAHotTokenStaysCached_andTheCacheStaysBounded() {
        Clock clock = Clock.systemUTC();
        ECKey serviceKey = EphemeralKeys.generate(new SecureRandom());
        try (MockIms ims = MockIms.create("svc", serviceKey.toPublicJWK(), clock)) {
            java.util.concurrent.atomic.AtomicInteger fullChecks = new java.util.concurrent.atomic.AtomicInteger();
            JwksSource counting = () -> {
                fullChecks.incrementAndGet(); // asked once per token verified in full, never on a cache hit
                return ims.jwksSource().keys();
            };
            TokenVerifier v = new TokenVerifier(ims.issuer(), "svc", null, counting, clock);
            String hot = ims.jwksToken("alice", "read").lifetime(Duration.ofMinutes(30)).mint();
            v.verify(hot);
            int oneOffs = TokenVerifier.JWKS_CACHE_MAX + 2_000;
            for (int i = 0; i < oneOffs; i++) {
                v.verify(ims.jwksToken("user" + i, "read").lifetime(Duration.ofMinutes(30)).mint());
                if (i % 100 == 0) {
                    v.verify(hot);
                }
            }
            assertThat(fullChecks.get()).as("each one-off once, the hot token once").isEqualTo(oneOffs + 1);
            v.verify(hot);
            assertThat(fullChecks.get()).as("the hot token is still a hit").isEqualTo(oneOffs + 1);
            assertThat(v.cachedJwksTokens()).isLessThanOrEqualTo(TokenVerifier.JWKS_CACHE_MAX);
        }
    }
}
