package io.imsm.protocol;

import com.nimbusds.jose.Header;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;

import java.text.ParseException;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;

/** Checks shared by the KX1 message verifier and the session token verifier. */
final class Jws {
    private Jws() {}

    /** Larger inputs are refused before any parsing. */
    static final int MAX_COMPACT_LENGTH = Kx1.MAX_MESSAGE_BYTES;

    /** Makes the exception of the caller's family ({@link KxException} or {@link TokenException}). */
    @FunctionalInterface
    interface Failure {
        ProtocolException of(ProtocolException.Reason reason, String message, Throwable cause);

        default ProtocolException of(ProtocolException.Reason reason, String message) { return of(reason, message, null); }
    }

    static final Failure KX = KxException::new;
    static final Failure TOKEN = TokenException::new;

    /**
     * Parses a compact JWS (RFC 7515 section 7.1) after checking its header: {@code alg} must be the
     * pinned one (the header never chooses the verifier, RFC 8725 section 3.1), {@code typ} the
     * expected one (RFC 8725 section 3.11), and no {@code crit} extensions (RFC 7515 section 4.1.11).
     * Key-carrying headers ({@code jwk}, {@code jku}, {@code x5u}, {@code x5c}) are never used.
     */
    static SignedJWT parse(String compact, JWSAlgorithm pinned, String type, Failure fail) {
        return parse(compact, pinned, type, fail, MAX_COMPACT_LENGTH);
    }

    static SignedJWT parse(String compact, JWSAlgorithm pinned, String type, Failure fail, int maxLength) {
        return parse(compact, pinned, java.util.List.of(type), fail, maxLength);
    }

    /** As {@link #parse(String, JWSAlgorithm, String, Failure)}, with {@code typ} one of {@code types}. */
    static SignedJWT parse(String compact, JWSAlgorithm pinned, java.util.List<String> types, Failure fail, int maxLength) {
        if (compact == null || compact.isEmpty()) {
            throw fail.of(ProtocolException.Reason.MALFORMED, "no JWS given");
        }
        if (compact.length() > maxLength) {
            throw fail.of(ProtocolException.Reason.MALFORMED, "the JWS is longer than " + maxLength + " characters");
        }
        int first = compact.indexOf('.');
        if (first < 0 || compact.chars().filter(c -> c == '.').count() != 2) {
            throw fail.of(ProtocolException.Reason.MALFORMED, "not a compact JWS (three dot-separated parts)");
        }
        final Header header;
        try {
            header = Header.parse(new Base64URL(compact.substring(0, first)));
        } catch (ParseException | RuntimeException e) {
            throw fail.of(ProtocolException.Reason.MALFORMED, "the JOSE header is not valid", e);
        }
        if (!(header instanceof JWSHeader) || !pinned.equals(header.getAlgorithm())) {
            throw fail.of(ProtocolException.Reason.WRONG_ALGORITHM,
                    "alg must be " + pinned.getName() + ", was " + (header.getAlgorithm() == null ? "none" : header.getAlgorithm().getName()));
        }
        if (types.stream().noneMatch(type -> typeMatches(header.getType(), type))) {
            throw fail.of(ProtocolException.Reason.WRONG_TYPE,
                    "typ must be " + String.join(" or ", types) + ", was " + (header.getType() == null ? "absent" : header.getType().getType()));
        }
        if (header.getCriticalParams() != null && !header.getCriticalParams().isEmpty()) {
            throw fail.of(ProtocolException.Reason.MALFORMED, "critical header extensions are not supported");
        }
        try {
            return SignedJWT.parse(compact);
        } catch (ParseException | RuntimeException e) {
            throw fail.of(ProtocolException.Reason.MALFORMED, "not a valid compact JWS", e);
        }
    }

    /** Media type names are case-insensitive and may omit {@code application/} (RFC 7515 section 4.1.9). */
    private static boolean typeMatches(JOSEObjectType actual, String expected) {
        if (actual == null || actual.getType() == null) {
            return false;
        }
        String t = actual.getType();
        if (t.regionMatches(true, 0, "application/", 0, "application/".length())) {
            t = t.substring("application/".length());
        }
        return t.equalsIgnoreCase(expected);
    }

    static void verify(SignedJWT jwt, JWSVerifier verifier, Failure fail) {
        final boolean ok;
        try {
            ok = jwt.verify(verifier);
        } catch (JOSEException | RuntimeException e) {
            throw fail.of(ProtocolException.Reason.BAD_SIGNATURE, "the signature cannot be verified", e);
        }
        if (!ok) {
            throw fail.of(ProtocolException.Reason.BAD_SIGNATURE, "the signature does not verify");
        }
    }

    static JWTClaimsSet claims(SignedJWT jwt, Failure fail) {
        try {
            return jwt.getJWTClaimsSet();
        } catch (ParseException | RuntimeException e) {
            throw fail.of(ProtocolException.Reason.MALFORMED, "the payload is not a JWT claims set", e);
        }
    }

    /** The ES256 verification key named by {@code kid}, pinned: EC P-256, for signatures, alg ES256 or unset. */
    static ECKey es256Key(JWKSet keys, String kid, Failure fail) {
        if (kid == null) {
            throw fail.of(ProtocolException.Reason.UNKNOWN_KEY, "the header has no kid");
        }
        JWK jwk = keys.getKeyByKeyId(kid);
        if (jwk == null) {
            throw fail.of(ProtocolException.Reason.UNKNOWN_KEY, "no key with kid " + kid);
        }
        return requireEs256Key(jwk, fail);
    }

    static ECKey requireEs256Key(JWK jwk, Failure fail) {
        if (!(jwk instanceof ECKey ec) || !Curve.P_256.equals(ec.getCurve())
                || (jwk.getKeyUse() != null && !KeyUse.SIGNATURE.equals(jwk.getKeyUse()))
                || (jwk.getAlgorithm() != null && !JWSAlgorithm.ES256.equals(jwk.getAlgorithm()))) {
            throw fail.of(ProtocolException.Reason.UNKNOWN_KEY, "key " + jwk.getKeyID() + " is not an ES256 signing key");
        }
        return ec.toPublicJWK();
    }

    static void checkIssuer(JWTClaimsSet c, String expected, Failure fail) {
        if (c.getIssuer() == null) {
            throw fail.of(ProtocolException.Reason.MALFORMED, "iss is missing");
        }
        if (!expected.equals(c.getIssuer())) {
            throw fail.of(ProtocolException.Reason.WRONG_ISSUER, "iss is not " + expected);
        }
    }

    /** RFC 7519 section 4.1.3: we must be one of the audiences. */
    static void checkAudience(JWTClaimsSet c, String expected, Failure fail) {
        List<String> aud = c.getAudience();
        if (aud == null || aud.isEmpty()) {
            throw fail.of(ProtocolException.Reason.MALFORMED, "aud is missing");
        }
        if (!aud.contains(expected)) {
            throw fail.of(ProtocolException.Reason.WRONG_AUDIENCE, "aud does not contain " + expected);
        }
    }

    record Times(Instant issuedAt, Instant expiresAt) {}

    /**
     * RFC 7519 sections 4.1.4-4.1.6: {@code exp} and {@code iat} required, {@code nbf} honoured, each
     * with at most {@code skew} of tolerance.
     */
    static Times checkTimes(JWTClaimsSet c, Instant now, Duration skew, Failure fail) {
        Date exp = c.getExpirationTime();
        Date iat = c.getIssueTime();
        if (exp == null || iat == null) {
            throw fail.of(ProtocolException.Reason.MALFORMED, "exp and iat are required");
        }
        Instant expires = exp.toInstant();
        Instant issued = iat.toInstant();
        if (!expires.isAfter(issued)) {
            throw fail.of(ProtocolException.Reason.MALFORMED, "exp is not after iat");
        }
        if (now.isAfter(expires.plus(skew))) {
            throw fail.of(ProtocolException.Reason.EXPIRED, "expired at " + expires);
        }
        Instant latestStart = now.plus(skew);
        if (issued.isAfter(latestStart)) {
            throw fail.of(ProtocolException.Reason.NOT_YET_VALID, "issued in the future (" + issued + ")");
        }
        Date nbf = c.getNotBeforeTime();
        if (nbf != null && nbf.toInstant().isAfter(latestStart)) {
            throw fail.of(ProtocolException.Reason.NOT_YET_VALID, "not valid before " + nbf.toInstant());
        }
        return new Times(issued, expires);
    }

    static String requireString(JWTClaimsSet c, String name, Failure fail) {
        final String value;
        try {
            value = c.getStringClaim(name);
        } catch (ParseException e) {
            throw fail.of(ProtocolException.Reason.MALFORMED, name + " must be a string", e);
        }
        if (value == null) {
            throw fail.of(ProtocolException.Reason.MALFORMED, name + " is missing");
        }
        return value;
    }

    static String requireId(JWTClaimsSet c, String name, Failure fail) {
        String value = requireString(c, name, fail);
        if (!Kx1.isValidId(value)) {
            throw fail.of(ProtocolException.Reason.MALFORMED, name + " must be 1..128 base64url characters");
        }
        return value;
    }

    static Instant requireDate(JWTClaimsSet c, String name, Failure fail) {
        final Date value;
        try {
            value = c.getDateClaim(name);
        } catch (ParseException e) {
            throw fail.of(ProtocolException.Reason.MALFORMED, name + " must be a NumericDate", e);
        }
        if (value == null) {
            throw fail.of(ProtocolException.Reason.MALFORMED, name + " is missing");
        }
        return value.toInstant();
    }
}
