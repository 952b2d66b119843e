package io.imsm.protocol;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ConstantTimeTest {

    @Test
    void whenSecretsCompared_thenEqualityIsExact() {
        assertThat(ConstantTime.equals("abc", "abc")).isTrue();
        assertThat(ConstantTime.equals("abc", "abd")).isFalse();
        assertThat(ConstantTime.equals("abc", "abcd")).isFalse();
        assertThat(ConstantTime.equals(null, "abc")).isFalse();
        assertThat(ConstantTime.equals("abc", null)).isFalse();
    }
}
