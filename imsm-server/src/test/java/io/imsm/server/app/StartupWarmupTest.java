package io.imsm.server.app;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

/** The start-up warm-up names classes by string: a library upgrade that renames one must fail here, not skip silently. */
class StartupWarmupTest {
    @Test
    void whenWarmedUp_thenEveryNamedClassExists() {
        for (String name : StartupWarmup.CLASSES) {
            assertThatCode(() -> Class.forName(name, false, StartupWarmup.class.getClassLoader())).as(name).doesNotThrowAnyException();
        }
    }

    @Test
    void whenStarted_thenTheThreadEndsOnItsOwnAndDoesNotHoldTheJvm() throws Exception {
        Thread t = StartupWarmup.start();
        assertThat(t.isDaemon()).isTrue();
        t.join(60_000);
        assertThat(t.isAlive()).isFalse();
    }
}
