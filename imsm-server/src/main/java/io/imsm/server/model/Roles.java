package io.imsm.server.model;

import io.imsm.server.ImsmException;

import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/** Role names and their syntax. */
public final class Roles {
    public static final String ADMIN = "admin";
    private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9._-]{0,63}");

    private Roles() {}

    public static Set<String> validate(Iterable<String> roles) {
        Set<String> out = new TreeSet<>();
        if (roles == null) {
            return out;
        }
        for (String r : roles) {
            if (r == null || !NAME.matcher(r).matches()) {
                throw new ImsmException.Invalid("role names are 1-64 characters: lower-case letters, digits, '.', '_', '-', starting with a letter");
            }
            out.add(r);
        }
        if (out.size() > 50) {
            throw new ImsmException.Invalid("a user can have at most 50 roles");
        }
        return out;
    }
}
