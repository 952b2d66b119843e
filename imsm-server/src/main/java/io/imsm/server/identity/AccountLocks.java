package io.imsm.server.identity;

import io.imsm.server.ErrorCode;
import io.imsm.server.ImsmException;

import java.util.Locale;

/**
 * What login ({@link IdentityService}) and password confirmations ({@link AccountService}) share about
 * the per-account lockout: the name its bucket is kept under and how a lock is reported.
 */
final class AccountLocks {
    private AccountLocks() {}

    /** The lockout key of an account name: trimmed and lower-case, as usernames compare. */
    static String key(String username) {
        return username.trim().toLowerCase(Locale.ROOT);
    }

    /** The refusal while the account is locked for {@code seconds} more. */
    static ImsmException locked(long seconds) {
        return new ImsmException.Throttled(ErrorCode.LOGIN_LOCKED,
                "Too many failed attempts for this account. Try again in " + waitText(seconds) + ".", seconds);
    }

    /** A wait in words: seconds below 90, whole minutes (rounded up) above. */
    static String waitText(long seconds) {
        if (seconds < 90) {
            return seconds + " seconds";
        }
        return ((seconds + 59) / 60) + " minutes";
    }
}
