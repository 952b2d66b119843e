package io.imsm.protocol;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class BearerHeaderTest {

    @Test
    void whenBearerHeaderRead_thenSchemeIsCaseInsensitiveAndOtherSchemesGiveNull() {
        assertThat(BearerHeader.token("Bearer abc.def")).isEqualTo("abc.def");
        assertThat(BearerHeader.token("bearer  abc ")).isEqualTo("abc");
        assertThat(BearerHeader.token("Basic dXNlcjpwdw==")).isNull();
        assertThat(BearerHeader.token("Bearer ")).isNull();
        assertThat(BearerHeader.token("Bearerabc")).isNull();
        assertThat(BearerHeader.token(null)).isNull();
    }

    @Test
    void whenScopeValueParsed_thenSpaceSeparatedTokensInOrderWithoutEmpties() {
        assertThat(Scopes.parse("read  write read")).containsExactly("read", "write");
        assertThat(Scopes.parse("")).isEmpty();
    }
}
