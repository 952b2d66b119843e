package io.imsm.protocol;

import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.Set;

/** The {@code scope} value: space-separated scope tokens (RFC 6749 section 3.3). */
public final class Scopes {
    private Scopes() {}

    /** The scopes of a {@code scope} value as an unmodifiable set in their order; empty tokens are skipped. */
    public static Set<String> parse(String scope) {
        Set<String> scopes = new LinkedHashSet<>();
        Arrays.stream(scope.split(" ")).filter(s -> !s.isEmpty()).forEach(scopes::add);
        return Collections.unmodifiableSet(scopes);
    }
}
