package io.imsm.server.web.ui;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

class TimesTest {
    private static final Instant NOW = Instant.parse("2026-05-01T14:03:27Z");

    @Test
    void whenMomentIsNearOrFar_thenPhraseUsesTheFittingUnit() {
        assertThat(Times.relative(NOW.plusSeconds(20), NOW)).isEqualTo("just now");
        assertThat(Times.relative(NOW.plus(Duration.ofMinutes(14).plusSeconds(59)), NOW)).isEqualTo("in 15 min");
        assertThat(Times.relative(NOW.minus(Duration.ofHours(3).plusMinutes(10)), NOW)).isEqualTo("3 h ago");
        assertThat(Times.relative(NOW.plus(Duration.ofDays(3)), NOW)).isEqualTo("in 3 days");
        assertThat(Times.relative(NOW.plus(Duration.ofMinutes(59).plusSeconds(40)), NOW)).isEqualTo("in 1 h");
        assertThat(Times.relative(NOW.minus(Duration.ofHours(47)), NOW)).isEqualTo("47 h ago");
        assertThat(Times.relative(NOW.minus(Duration.ofHours(48)), NOW)).isEqualTo("2 days ago");
    }

    @Test
    void whenFormatted_thenUtcTextAndIsoAttribute() {
        assertThat(Times.utc(NOW)).isEqualTo("2026-05-01 14:03 UTC");
        assertThat(Times.iso(NOW.plusMillis(400))).isEqualTo("2026-05-01T14:03:27Z");
    }
}
