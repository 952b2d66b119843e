package io.imsm.protocol;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;

import java.security.SecureRandom;
import java.util.Date;
import java.util.Objects;

/**
 * Signs KX1 messages with a long-term ES256 key: offers and revocations with the IMS key, answers
 * with the service key. Header {@code {"alg":"ES256","kid":<key id>,"typ":"imsm-kx+jwt"}}
 * (RFC 7515 section 4.1, RFC 7518 section 3.4).
 *
 * <p>Immutable and thread-safe: build one per key and keep it (the key is decoded once); signing
 * runs on {@link P256}.
 */
public final class KxSigner {
    private final JWSSigner signer;
    private final String kid;

    /** @param signingKey a private P-256 JWK with a {@code kid} */
    public KxSigner(ECKey signingKey, SecureRandom random) {
        Objects.requireNonNull(signingKey, "signingKey");
        if (!signingKey.isPrivate() || !Curve.P_256.equals(signingKey.getCurve())) {
            throw new IllegalArgumentException("the signing key must be a private P-256 key");
        }
        this.kid = Objects.requireNonNull(signingKey.getKeyID(), "the signing key needs a kid");
        this.signer = P256.signer(signingKey, Objects.requireNonNull(random, "random"));
    }

    public String sign(Offer o) {
        return sign(new JWTClaimsSet.Builder()
                .issuer(o.issuer())
                .audience(o.audience())
                .issueTime(Date.from(o.issuedAt()))
                .expirationTime(Date.from(o.expiresAt()))
                .jwtID(o.jti())
                .claim("sid", o.sid())
                .subject(o.subject())
                .claim("scope", o.scope())
                .claim("session_exp", o.sessionExpiresAt().getEpochSecond())
                .claim("epk", o.epk().toJSONObject())
                .build());
    }

    public String sign(Answer a) {
        JWTClaimsSet.Builder b = new JWTClaimsSet.Builder()
                .issuer(a.issuer())
                .audience(a.audience())
                .issueTime(Date.from(a.issuedAt()))
                .expirationTime(Date.from(a.expiresAt()))
                .claim("sid", a.sid())
                .claim("nonce", a.nonce())
                .claim("epk", a.epk().toJSONObject());
        if (a.ticket() != null) {
            b.claim("ticket", a.ticket());
        }
        return sign(b.build());
    }

    public String sign(Revocation r) {
        return sign(new JWTClaimsSet.Builder()
                .issuer(r.issuer())
                .audience(r.audience())
                .issueTime(Date.from(r.issuedAt()))
                .expirationTime(Date.from(r.expiresAt()))
                .jwtID(r.jti())
                .claim("sid", r.sid())
                .claim("revoked", true)
                .build());
    }

    private String sign(JWTClaimsSet claims) {
        JWSHeader header = new JWSHeader.Builder(JWSAlgorithm.ES256)
                .keyID(kid)
                .type(new JOSEObjectType(Kx1.MESSAGE_TYPE))
                .build();
        SignedJWT jwt = new SignedJWT(header, claims);
        try {
            jwt.sign(signer);
        } catch (JOSEException e) {
            throw new IllegalStateException("ES256 signing failed", e);
        }
        return jwt.serialize();
    }
}
