package io.imsm.server.identity;

import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.LoadingCache;
import com.github.benmanes.caffeine.cache.Scheduler;
import io.imsm.server.ErrorCode;
import io.imsm.server.ImsmException;
import me.gosimple.nbvcxz.Nbvcxz;
import me.gosimple.nbvcxz.resources.ConfigurationBuilder;
import me.gosimple.nbvcxz.resources.Dictionary;
import me.gosimple.nbvcxz.resources.DictionaryBuilder;
import me.gosimple.nbvcxz.scoring.Result;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * Rules for a new password: a minimum length, not the username, and a minimum strength estimated by
 * nbvcxz (a Java port of zxcvbn: common-password and word lists, keyboard walks, dates, l33t, repeats)
 * instead of a list of our own. Its scores 0-4 are those of zxcvbn; 3 means roughly 10^10 guesses.
 */
public final class PasswordPolicy {
    public static final int MAX_LENGTH = 256;
    /**
     * nbvcxz's budget for combining matches; the estimate of a long, pattern-rich password otherwise
     * grows with its length, and strangers choose what we estimate (invites).
     */
    private static final long ESTIMATE_TIMEOUT_MS = 300;
    /**
     * How long nbvcxz's word lists stay in memory after the last check that used them. They are about
     * 170,000 words, 18 MB of heap (a third of the server's live data under load) and 0.7 s to read, and
     * passwords are set rarely: read at the first check, dropped after this long without one (or when the
     * collector needs the room).
     */
    static final Duration KEEP_DICTIONARIES = Duration.ofMinutes(5);

    private final int minLength;
    private final int minStrength;
    private final LoadingCache<Boolean, List<Dictionary>> dictionaries;

    public PasswordPolicy(int minLength, int minStrength) {
        this(minLength, minStrength, Clock.systemUTC(), ConfigurationBuilder::getDefaultDictionaries);
    }

    /** With the clock that times the word lists' stay in memory, and what reads them. */
    PasswordPolicy(int minLength, int minStrength, Clock clock, Supplier<List<Dictionary>> readDictionaries) {
        if (minStrength < 0 || minStrength > 4) {
            throw new IllegalArgumentException("minStrength must be 0-4");
        }
        Objects.requireNonNull(clock, "clock");
        Objects.requireNonNull(readDictionaries, "readDictionaries");
        this.minLength = minLength;
        this.minStrength = minStrength;
        this.dictionaries = Caffeine.newBuilder()
                .expireAfterAccess(KEEP_DICTIONARIES)
                .softValues() // and sooner when the heap runs short (before an OutOfMemoryError ends the process)
                .ticker(() -> clock.millis() * 1_000_000L)
                .scheduler(Scheduler.systemScheduler())
                .build(k -> List.copyOf(readDictionaries.get()));
    }

    public void check(String username, String password) {
        Objects.requireNonNull(username);
        if (password == null || password.codePointCount(0, password.length()) < minLength) {
            throw weak("The password must be at least " + minLength + " characters long.");
        }
        if (password.length() > MAX_LENGTH) {
            throw weak("The password must be at most " + MAX_LENGTH + " characters long.");
        }
        if (password.toLowerCase(Locale.ROOT).equals(username.toLowerCase(Locale.ROOT))) {
            throw weak("The password must not be the username.");
        }
        if (minStrength == 0) {
            return;
        }
        Result result = estimator(dictionaries.get(Boolean.TRUE), username).estimate(password);
        if (result.getBasicScore() < minStrength) {
            throw weak(message(result));
        }
    }

    public int minLength() { return minLength; }

    public int minStrength() { return minStrength; }

    /** Whether the word lists are in memory now (read by a recent check, not yet dropped). */
    boolean holdsDictionaries() {
        dictionaries.cleanUp();
        return dictionaries.policy().getIfPresentQuietly(Boolean.TRUE) != null;
    }

    /** The username (and the product's name) count as known words, so "alice-password-2024" scores low. */
    private static Nbvcxz estimator(List<Dictionary> common, String username) {
        List<Dictionary> dictionaries = new ArrayList<>(common);
        dictionaries.add(new DictionaryBuilder().setDictionaryName("account").setExclusion(true)
                .addWord(username.toLowerCase(Locale.ROOT), 0).addWord("imsm", 0).createDictionary());
        return new Nbvcxz(new ConfigurationBuilder()
                .setDictionaries(dictionaries)
                .setMaxLength(MAX_LENGTH)
                .setCombinationAlgorithmTimeout(ESTIMATE_TIMEOUT_MS)
                .setLocale(Locale.ENGLISH)
                .createConfiguration());
    }

    /** nbvcxz's own feedback: why it is weak (when it knows) and what would help. */
    private static String message(Result result) {
        StringBuilder m = new StringBuilder("This password is too easy to guess");
        String warning = result.getFeedback().getWarning();
        m.append(warning == null || warning.isBlank() ? "." : ": " + warning);
        List<String> suggestions = result.getFeedback().getSuggestion();
        if (suggestions == null || suggestions.isEmpty()) {
            m.append(" Add another word or two; uncommon words are better.");
        } else {
            suggestions.forEach(s -> m.append(' ').append(s));
        }
        return m.toString();
    }

    private static ImsmException weak(String message) {
        return new ImsmException.Invalid(ErrorCode.WEAK_PASSWORD, message);
    }
}
