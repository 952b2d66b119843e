package io.imsm.server.model;

import io.imsm.server.ImsmException;

import java.util.Locale;

/** Account status. {@code deleted} keeps the row so the username and email stay blocked. */
public enum UserStatus {
    ACTIVE, ARCHIVED, DEACTIVATED, DELETED;

    public String wire() { return name().toLowerCase(Locale.ROOT); }

    public static UserStatus parse(String s) {
        if (s != null) {
            for (UserStatus st : values()) {
                if (st.wire().equals(s)) {
                    return st;
                }
            }
        }
        throw new ImsmException.Invalid("status must be one of active, archived, deactivated, deleted");
    }
}
