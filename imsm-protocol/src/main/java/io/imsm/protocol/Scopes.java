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

    /** Whether the {@code scope} value names {@code wanted}: {@code parse(scope).contains(wanted)} without building the set. */
    public static boolean contains(String scope, String wanted) {
        if (wanted == null || wanted.isEmpty() || wanted.indexOf(' ') >= 0) {
            return false;
        }
        int n = wanted.length();
        for (int from = scope.indexOf(wanted); from >= 0; from = scope.indexOf(wanted, from + 1)) {
            boolean startsToken = from == 0 || scope.charAt(from - 1) == ' ';
            boolean endsToken = from + n == scope.length() || scope.charAt(from + n) == ' ';
            if (startsToken && endsToken) {
                return true;
            }
        }
        return false;
    }

    /** Whether every scope of {@code requested} is in {@code granted} (both {@code scope} values), without building sets. */
    public static boolean containsAll(String granted, String requested) {
        int length = requested.length();
        int start = 0;
        while (start < length) {
            int end = requested.indexOf(' ', start);
            if (end < 0) {
                end = length;
            }
            if (end > start && !contains(granted, requested.substring(start, end))) {
                return false;
            }
            start = end + 1;
        }
        return true;
    }
}
