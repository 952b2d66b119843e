package io.imsm.protocol;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;

import java.time.Instant;
import java.util.Objects;

/** Argument checks shared by the message records. */
final class MessageChecks {
    private MessageChecks() {}

    static void requireText(String value, String name) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(name + " is required");
        }
    }

    static void requireId(String value, String name) {
        if (!Kx1.isValidId(value)) {
            throw new IllegalArgumentException(name + " must be 1..128 base64url characters");
        }
    }

    static void requireLifetime(Instant issuedAt, Instant expiresAt) {
        if (!expiresAt.isAfter(issuedAt)) {
            throw new IllegalArgumentException("exp must be after iat");
        }
        if (expiresAt.isAfter(issuedAt.plus(Kx1.MAX_MESSAGE_LIFETIME))) {
            throw new IllegalArgumentException("exp must be at most " + Kx1.MAX_MESSAGE_LIFETIME.toSeconds() + " s after iat");
        }
    }

    /** The public part of an ephemeral P-256 key, without {@code kid} or other members. */
    static ECKey publicEpk(ECKey epk) {
        Objects.requireNonNull(epk, "epk");
        if (!Curve.P_256.equals(epk.getCurve())) {
            throw new IllegalArgumentException("epk must be a P-256 key");
        }
        return new ECKey.Builder(Curve.P_256, epk.getX(), epk.getY()).build();
    }
}
