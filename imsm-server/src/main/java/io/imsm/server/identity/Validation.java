package io.imsm.server.identity;

import io.imsm.server.ImsmException;

import java.util.regex.Pattern;

/** Input rules for account fields, with messages that say what is expected. */
public final class Validation {
    private static final Pattern USERNAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{1,63}");
    private static final Pattern EMAIL = Pattern.compile("[^@\\s]{1,64}@[A-Za-z0-9.-]{1,189}\\.[A-Za-z]{2,}");
    private static final Pattern PHONE = Pattern.compile("\\+[1-9][0-9]{6,14}");

    private Validation() {}

    public static String username(String s) {
        if (s == null || !USERNAME.matcher(s.trim()).matches()) {
            throw new ImsmException.Invalid("username must be 2-64 characters: letters, digits, '.', '_', '-', starting with a letter or digit");
        }
        return s.trim();
    }

    /** Optional e-mail: null or blank means none. */
    public static String email(String s) {
        if (s == null || s.isBlank()) {
            return null;
        }
        if (s.length() > 254 || !EMAIL.matcher(s.trim()).matches()) {
            throw new ImsmException.Invalid("email is not a valid address");
        }
        return s.trim();
    }

    /** Optional phone in E.164 form (+ and 7-15 digits); spaces and dashes are removed first. */
    public static String phone(String s) {
        if (s == null || s.isBlank()) {
            return null;
        }
        String compact = s.replace(" ", "").replace("-", "");
        if (!PHONE.matcher(compact).matches()) {
            throw ImsmException.Invalid.inField("phone", "phone must be in international form, e.g. +41791234567");
        }
        return compact;
    }

    public static String displayName(String s, String fallback) {
        if (s == null || s.isBlank()) {
            return fallback;
        }
        String t = s.strip();
        if (t.length() > 200 || t.chars().anyMatch(Character::isISOControl)) {
            throw new ImsmException.Invalid("display_name must be at most 200 characters without control characters");
        }
        return t;
    }
}
