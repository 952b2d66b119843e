package io.imsm.protocol;

import com.nimbusds.jose.EncryptionMethod;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWEAlgorithm;
import com.nimbusds.jose.JWEHeader;
import com.nimbusds.jose.JWEObject;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.DirectEncrypter;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.util.JSONObjectUtils;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;

import java.security.SecureRandom;
import java.time.Instant;
import java.util.Date;
import java.util.Objects;

/** Mints session tokens (KX1 section 4 and the {@code jwks} binding). */
public final class SessionTokens {
    private SessionTokens() {}

    /**
     * The KX1 token: compact JWS, header {@code {"alg":"HS256","typ":"JWT","kid":<sid>}}, MAC'd with
     * {@code mac_key} (RFC 7515, RFC 7518 section 3.2). Confidential claims go into {@code enc}, a
     * compact JWE {@code {"alg":"dir","enc":"A256GCM","kid":<sid>}} under {@code enc_key}
     * (RFC 7516, RFC 7518 sections 4.5 and 5.3).
     *
     * @param sessionExpiresAt the session's {@code session_exp}; the token may not outlive it
     * @param random           source of the JWE initialisation vector
     */
    public static String mintHs256(SessionToken token, Instant sessionExpiresAt, SessionKeys keys, SecureRandom random) {
        return mintHs256(token, sessionExpiresAt, keys, null, random);
    }

    /**
     * As above, carrying the service's session ticket (docs/protocol.md section 14) unread in the
     * claim {@code tkt}; {@code ticket} {@code null}: no such claim, the token of a single-replica service.
     */
    public static String mintHs256(SessionToken token, Instant sessionExpiresAt, SessionKeys keys, String ticket, SecureRandom random) {
        Objects.requireNonNull(token, "token");
        if (ticket != null && !SessionTicket.isWellFormed(ticket)) {
            throw new IllegalArgumentException("not a session ticket");
        }
        Objects.requireNonNull(keys, "keys");
        if (token.sid() == null) {
            throw new IllegalArgumentException("a session token needs its sid");
        }
        if (token.expiresAt().isAfter(Objects.requireNonNull(sessionExpiresAt, "sessionExpiresAt"))) {
            throw new IllegalArgumentException("exp must not be after session_exp");
        }
        JWTClaimsSet.Builder claims = claims(token);
        if (!token.confidentialClaims().isEmpty()) {
            claims.claim("enc", encrypt(token, keys, Objects.requireNonNull(random, "random")));
        }
        if (ticket != null) {
            claims.claim("tkt", ticket);
        }
        final MACSigner signer;
        try {
            signer = new MACSigner(keys.macKey());
        } catch (JOSEException e) {
            throw new IllegalStateException("HS256 needs a 256-bit key", e);
        }
        return sign(new JWSHeader.Builder(JWSAlgorithm.HS256).type(JOSEObjectType.JWT).keyID(token.sid()).build(),
                claims.build(), signer);
    }

    /**
     * The {@code jwks} binding: the same claims, ES256-signed by the IMS key, {@code kid} = the IMS key
     * id. There is no session secret, so there can be no {@code enc} claim.
     */
    public static String mintEs256(SessionToken token, ECKey imsSigningKey, SecureRandom random) {
        Objects.requireNonNull(token, "token");
        Objects.requireNonNull(imsSigningKey, "imsSigningKey");
        if (!token.confidentialClaims().isEmpty()) {
            throw new IllegalArgumentException("jwks-binding tokens cannot carry encrypted claims");
        }
        if (!imsSigningKey.isPrivate() || !Curve.P_256.equals(imsSigningKey.getCurve()) || imsSigningKey.getKeyID() == null) {
            throw new IllegalArgumentException("the IMS key must be a private P-256 key with a kid");
        }
        final ECDSASigner signer;
        try {
            signer = new ECDSASigner(imsSigningKey);
        } catch (JOSEException e) {
            throw new IllegalArgumentException("unusable signing key: " + e.getMessage(), e);
        }
        signer.getJCAContext().setSecureRandom(Objects.requireNonNull(random, "random"));
        return sign(new JWSHeader.Builder(JWSAlgorithm.ES256).type(JOSEObjectType.JWT).keyID(imsSigningKey.getKeyID()).build(),
                claims(token).build(), signer);
    }

    private static JWTClaimsSet.Builder claims(SessionToken t) {
        JWTClaimsSet.Builder b = new JWTClaimsSet.Builder()
                .issuer(t.issuer())
                .subject(t.subject())
                .audience(t.audience())
                .issueTime(Date.from(t.issuedAt()))
                .expirationTime(Date.from(t.expiresAt()))
                .jwtID(t.jti());
        if (t.sid() != null) {
            b.claim("sid", t.sid());
        }
        b.claim("scope", t.scope());
        if (!t.authorizationDetails().isEmpty()) {
            b.claim("authorization_details", t.authorizationDetails().stream().map(HttpAuthorizationDetail::toJson).toList());
        }
        return b;
    }

    private static String encrypt(SessionToken t, SessionKeys keys, SecureRandom random) {
        JWEHeader header = new JWEHeader.Builder(JWEAlgorithm.DIR, EncryptionMethod.A256GCM).keyID(t.sid()).build();
        JWEObject jwe = new JWEObject(header, new Payload(JSONObjectUtils.toJSONString(t.confidentialClaims())));
        try {
            DirectEncrypter encrypter = new DirectEncrypter(keys.encKey());
            encrypter.getJCAContext().setSecureRandom(random);
            jwe.encrypt(encrypter);
        } catch (JOSEException e) {
            throw new IllegalStateException("A256GCM encryption failed", e);
        }
        return jwe.serialize();
    }

    private static String sign(JWSHeader header, JWTClaimsSet claims, JWSSigner signer) {
        SignedJWT jwt = new SignedJWT(header, claims);
        try {
            jwt.sign(signer);
        } catch (JOSEException e) {
            throw new IllegalStateException(header.getAlgorithm() + " signing failed", e);
        }
        return jwt.serialize();
    }
}
