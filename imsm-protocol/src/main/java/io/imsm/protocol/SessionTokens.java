package io.imsm.protocol;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;

import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.Date;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/** Mints session tokens (KX1 section 4 and the {@code jwks} binding). */
public final class SessionTokens {
    private SessionTokens() {}

    private static final Base64.Encoder BASE64URL = Base64.getUrlEncoder().withoutPadding();
    private static final int GCM_IV_BYTES = 12;
    private static final int GCM_TAG_BITS = 128;

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
        // Written straight to JSON and MAC'd on the JDK (RFC 7515 section 7.1, RFC 7518 section 3.2), byte
        // for byte what Nimbus' SignedJWT wrote (ProtocolVectorsTest): Nimbus built a claims set, a JSON
        // object, a header object and a MACSigner (a provider lookup) for every token.
        Map<String, Object> claims = hs256Claims(token);
        if (!token.confidentialClaims().isEmpty()) {
            claims.put("enc", encrypt(token, keys, Objects.requireNonNull(random, "random")));
        }
        if (ticket != null) {
            claims.put("tkt", ticket);
        }
        // The header as Nimbus serialised it; a sid is base64url (MessageChecks.requireId), nothing to escape.
        String signingInput = BASE64URL.encodeToString(("{\"kid\":\"" + token.sid() + "\",\"typ\":\"JWT\",\"alg\":\"HS256\"}")
                .getBytes(StandardCharsets.US_ASCII)) + "." + BASE64URL.encodeToString(JoseJson.write(claims).getBytes(StandardCharsets.UTF_8));
        byte[] macKey = keys.macKey();
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(macKey, "HmacSHA256"));
            return signingInput + "." + BASE64URL.encodeToString(mac.doFinal(signingInput.getBytes(StandardCharsets.US_ASCII)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HS256 signing failed", e);
        } finally {
            Arrays.fill(macKey, (byte) 0);
        }
    }

    /**
     * The claims of {@link #claims} in the member order Nimbus' {@code JWTClaimsSet} wrote them: it copied
     * them, in the order they were set, into a {@link HashMap} of the default capacity and wrote that
     * map's iteration order (the token vectors of docs/protocol.md show it), one audience as a string,
     * times in seconds. A token has at most 11 claims, below the map's first resize.
     */
    private static Map<String, Object> hs256Claims(SessionToken t) {
        Map<String, Object> claims = new HashMap<>();
        claims.put("iss", t.issuer());
        claims.put("sub", t.subject());
        claims.put("aud", t.audience());
        claims.put("iat", Date.from(t.issuedAt()).getTime() / 1000);
        claims.put("exp", Date.from(t.expiresAt()).getTime() / 1000);
        claims.put("jti", t.jti());
        claims.put("sid", t.sid());
        claims.put("scope", t.scope());
        if (!t.authorizationDetails().isEmpty()) {
            claims.put("authorization_details", t.authorizationDetails().stream().map(HttpAuthorizationDetail::toJson).toList());
        }
        return claims;
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

    /**
     * The {@code enc} claim (RFC 7516 section 7.1 compact JWE, RFC 7518 sections 4.5 and 5.3): header
     * {@code {"kid":<sid>,"enc":"A256GCM","alg":"dir"}} (the member order Nimbus wrote; a sid is
     * base64url, so nothing needs escaping), no encrypted key, a fresh 96-bit IV from {@code random},
     * AES-256-GCM with a 128-bit tag over the claims' JSON, the encoded header as additional data.
     * Straight on the JDK's cipher: Nimbus built a header object, looked the cipher up and encoded
     * through its own Base64 for each token.
     */
    private static String encrypt(SessionToken t, SessionKeys keys, SecureRandom random) {
        byte[] key = keys.encKey();
        byte[] iv = new byte[GCM_IV_BYTES];
        random.nextBytes(iv);
        String header = BASE64URL.encodeToString(("{\"kid\":\"" + t.sid() + "\",\"enc\":\"A256GCM\",\"alg\":\"dir\"}")
                .getBytes(StandardCharsets.US_ASCII));
        byte[] sealed;
        try {
            Cipher aes = Cipher.getInstance("AES/GCM/NoPadding");
            aes.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(GCM_TAG_BITS, iv));
            aes.updateAAD(header.getBytes(StandardCharsets.US_ASCII));
            sealed = aes.doFinal(JoseJson.write(t.confidentialClaims()).getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("A256GCM encryption failed", e);
        } finally {
            Arrays.fill(key, (byte) 0);
        }
        int tagAt = sealed.length - GCM_TAG_BITS / 8;
        return header + ".." + BASE64URL.encodeToString(iv) + "." + BASE64URL.encodeToString(Arrays.copyOfRange(sealed, 0, tagAt))
                + "." + BASE64URL.encodeToString(Arrays.copyOfRange(sealed, tagAt, sealed.length));
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
