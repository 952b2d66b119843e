package io.imsm.server.audit;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class AuditLogTest {
    @Test
    void whenValueLongerThanItsColumn_thenCutWithAMark_neverInsideASurrogatePair() {
        assertThat(AuditLog.fit(null, 5)).isNull();
        assertThat(AuditLog.fit("abcde", 5)).isEqualTo("abcde");
        assertThat(AuditLog.fit("abcdef", 5)).isEqualTo("abcd…");
        String emoji = "abc\uD83D\uDE00xyz"; // a pair at index 3-4
        assertThat(AuditLog.fit(emoji, 5)).isEqualTo("abc…").hasSizeLessThanOrEqualTo(5);
    }
}
