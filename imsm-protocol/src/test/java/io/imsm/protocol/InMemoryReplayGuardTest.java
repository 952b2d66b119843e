package io.imsm.protocol;

import io.imsm.testing.MutableClock;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static io.imsm.protocol.Fixture.kxFailure;
import static io.imsm.protocol.ProtocolException.Reason.REPLAY_CACHE_FULL;
import static org.assertj.core.api.Assertions.assertThat;

class InMemoryReplayGuardTest {
    private final MutableClock clock = new MutableClock(Fixture.START);

    @Test
    void whenAnIdIsSeenTwiceBeforeItsTime_thenTheSecondUseIsRefused() {
        InMemoryReplayGuard guard = new InMemoryReplayGuard(clock, 10);
        assertThat(guard.firstUse("a", clock.instant().plusSeconds(60))).isTrue();
        assertThat(guard.firstUse("a", clock.instant().plusSeconds(60))).isFalse();
        assertThat(guard.firstUse("b", clock.instant().plusSeconds(60))).isTrue();
    }

    @Test
    void whenIdsExpire_thenTheyArePurgedOnInsert() {
        InMemoryReplayGuard guard = new InMemoryReplayGuard(clock, 10);
        guard.firstUse("a", clock.instant().plusSeconds(10));
        guard.firstUse("b", clock.instant().plusSeconds(100));
        clock.advance(Duration.ofSeconds(11));
        guard.firstUse("c", clock.instant().plusSeconds(10));
        assertThat(guard.size()).isEqualTo(2);
        assertThat(guard.firstUse("a", clock.instant().plusSeconds(10))).isTrue();
        assertThat(guard.firstUse("b", clock.instant().plusSeconds(10))).isFalse();
    }

    @Test
    void whenFullOfLiveIds_thenNewIdsAreRefusedNotForgotten() {
        InMemoryReplayGuard guard = new InMemoryReplayGuard(clock, 2);
        guard.firstUse("a", clock.instant().plusSeconds(60));
        guard.firstUse("b", clock.instant().plusSeconds(60));
        assertThat(kxFailure(() -> guard.firstUse("c", clock.instant().plusSeconds(60)))).isEqualTo(REPLAY_CACHE_FULL);
        assertThat(guard.firstUse("a", clock.instant().plusSeconds(60))).isFalse();
        clock.advance(Duration.ofSeconds(61));
        assertThat(guard.firstUse("c", clock.instant().plusSeconds(60))).isTrue();
    }
}
