package io.imsm.server.identity;

import io.imsm.server.ErrorCode;
import io.imsm.server.ImsmException;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/** Minimum password rules: length, not the username, not one of the bundled most common passwords. */
public final class PasswordPolicy {
    public static final int MAX_LENGTH = 256;
    private final int minLength;
    private final Set<String> common;

    public PasswordPolicy(int minLength) {
        this.minLength = minLength;
        this.common = loadCommon();
    }

    public void check(String username, String password) {
        Objects.requireNonNull(username);
        if (password == null || password.codePointCount(0, password.length()) < minLength) {
            throw weak("The password must be at least " + minLength + " characters long.");
        }
        if (password.length() > MAX_LENGTH) {
            throw weak("The password must be at most " + MAX_LENGTH + " characters long.");
        }
        String lower = password.toLowerCase(Locale.ROOT);
        if (lower.equals(username.toLowerCase(Locale.ROOT))) {
            throw weak("The password must not be the username.");
        }
        if (common.contains(lower)) {
            throw weak("This password is among the most common ones; choose another.");
        }
    }

    public int minLength() { return minLength; }

    private static ImsmException weak(String message) {
        return new ImsmException.Invalid(ErrorCode.WEAK_PASSWORD, message);
    }

    private static Set<String> loadCommon() {
        Set<String> set = new HashSet<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(
                Objects.requireNonNull(PasswordPolicy.class.getResourceAsStream("/common-passwords.txt")), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                line = line.trim();
                if (!line.isEmpty() && !line.startsWith("#")) {
                    set.add(line.toLowerCase(Locale.ROOT));
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("bundled common-passwords.txt unreadable", e);
        }
        return Set.copyOf(set);
    }
}
