package io.imsm.protocol;

import com.nimbusds.jose.EncryptionMethod;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWEAlgorithm;
import com.nimbusds.jose.JWEHeader;
import com.nimbusds.jose.JWEObject;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.DirectDecrypter;
import com.nimbusds.jose.crypto.DirectEncrypter;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jose.util.JSONObjectUtils;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.generators.HKDFBytesGenerator;
import org.bouncycastle.crypto.params.HKDFParameters;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.text.ParseException;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * KX1 session tickets (docs/protocol.md section 14): a service with several replicas seals the session
 * it derived into an opaque ticket, returns it in the answer's {@code ticket} claim, and the IMS copies
 * it unread into every token of the session as {@code tkt}. Any replica holding the service's long-term
 * key derives the same ticket key and can open the ticket, so it needs no shared store; as with TLS
 * session tickets (RFC 8446 section 4.6.1) only the service can read or forge one.
 *
 * <pre>
 * ticket_key = HKDF-SHA256(IKM = d of the service's long-term key (32 bytes),
 *                          salt = "IMSM-KX1-ticket", info = kid of that key, L = 32)
 * ticket     = compact JWE {"alg":"dir","enc":"A256GCM","kid":sid,"typ":"imsm-ticket"} under ticket_key,
 *              plaintext {"sid","mac_key","enc_key","session_exp","sub","scope"}
 * </pre>
 *
 * The protected header, and so the {@code sid} in its {@code kid}, is the GCM additional data.
 */
public final class SessionTicket {
    public static final String TYPE = "imsm-ticket";
    /** The longest ticket accepted in an answer or a token. */
    public static final int MAX_LENGTH = 4096;
    static final byte[] SALT = "IMSM-KX1-ticket".getBytes(StandardCharsets.US_ASCII);
    private static final Pattern COMPACT = Pattern.compile("[A-Za-z0-9_-]+(\\.[A-Za-z0-9_-]*){4}");

    private SessionTicket() {}

    /** What a ticket holds: one session as the service keeps it. */
    public record Contents(String sid, SessionKeys keys, Instant sessionExpiresAt, String subject, String scope) {
        public Contents {
            MessageChecks.requireId(sid, "sid");
            Objects.requireNonNull(keys, "keys");
            sessionExpiresAt = Objects.requireNonNull(sessionExpiresAt, "sessionExpiresAt");
            MessageChecks.requireText(subject, "subject");
            Objects.requireNonNull(scope, "scope");
        }
    }

    /** A ticket key: 32 bytes; {@link #toString()} hides them. */
    public record Key(byte[] bytes) {
        public Key {
            if (Objects.requireNonNull(bytes, "bytes").length != 32) {
                throw new IllegalArgumentException("a ticket key has 32 bytes");
            }
            bytes = bytes.clone();
        }

        @Override public byte[] bytes() { return bytes.clone(); }
        @Override public boolean equals(Object o) { return o instanceof Key k && java.security.MessageDigest.isEqual(bytes, k.bytes); }
        @Override public int hashCode() { return Key.class.hashCode(); }
        @Override public String toString() { return "SessionTicket.Key[<hidden>]"; }
    }

    /** The ticket key of a service's long-term private P-256 key (with a {@code kid}). */
    public static Key key(ECKey serviceKey) {
        Objects.requireNonNull(serviceKey, "serviceKey");
        if (!serviceKey.isPrivate() || !Curve.P_256.equals(serviceKey.getCurve()) || serviceKey.getKeyID() == null) {
            throw new IllegalArgumentException("the service key must be a private EC P-256 JWK with a kid");
        }
        byte[] d = serviceKey.getD().decode();
        try {
            HKDFBytesGenerator hkdf = new HKDFBytesGenerator(new SHA256Digest());
            hkdf.init(new HKDFParameters(d, SALT, serviceKey.getKeyID().getBytes(StandardCharsets.UTF_8)));
            byte[] out = new byte[32];
            hkdf.generateBytes(out, 0, out.length);
            Key key = new Key(out);
            Arrays.fill(out, (byte) 0);
            return key;
        } finally {
            Arrays.fill(d, (byte) 0);
        }
    }

    /** Seals {@code contents} under {@code key}; {@code random} supplies the GCM nonce. */
    public static String seal(Contents contents, Key key, SecureRandom random) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("sid", contents.sid());
        json.put("mac_key", Base64URL.encode(contents.keys().macKey()).toString());
        json.put("enc_key", Base64URL.encode(contents.keys().encKey()).toString());
        json.put("session_exp", contents.sessionExpiresAt().getEpochSecond());
        json.put("sub", contents.subject());
        json.put("scope", contents.scope());
        JWEHeader header = new JWEHeader.Builder(JWEAlgorithm.DIR, EncryptionMethod.A256GCM)
                .type(new JOSEObjectType(TYPE)).keyID(contents.sid()).build();
        JWEObject jwe = new JWEObject(header, new Payload(JSONObjectUtils.toJSONString(json)));
        try {
            DirectEncrypter encrypter = new DirectEncrypter(key.bytes());
            encrypter.getJCAContext().setSecureRandom(Objects.requireNonNull(random, "random"));
            jwe.encrypt(encrypter);
        } catch (JOSEException e) {
            throw new IllegalStateException("A256GCM encryption failed", e);
        }
        return jwe.serialize();
    }

    /** Whether {@code ticket} has the form of a compact JWE and at most {@link #MAX_LENGTH} characters. */
    public static boolean isWellFormed(String ticket) {
        return ticket != null && ticket.length() <= MAX_LENGTH && COMPACT.matcher(ticket).matches();
    }

    /**
     * Opens a ticket that must be for session {@code sid}.
     *
     * @throws TokenException {@code malformed} when it is not a ticket of this key for this session
     */
    public static Contents open(String ticket, String sid, Key key) {
        if (!isWellFormed(ticket)) {
            throw new TokenException(ProtocolException.Reason.MALFORMED, "the session ticket is malformed");
        }
        try {
            JWEObject jwe = JWEObject.parse(ticket);
            JWEHeader h = jwe.getHeader();
            if (!JWEAlgorithm.DIR.equals(h.getAlgorithm()) || !EncryptionMethod.A256GCM.equals(h.getEncryptionMethod())
                    || h.getType() == null || !TYPE.equals(h.getType().getType()) || h.getCriticalParams() != null
                    || h.getKeyID() == null || !ConstantTime.equals(h.getKeyID(), sid)) {
                throw new TokenException(ProtocolException.Reason.MALFORMED, "the session ticket header is not one of this session");
            }
            jwe.decrypt(new DirectDecrypter(key.bytes()));
            Map<String, Object> c = jwe.getPayload().toJSONObject();
            if (c == null || !sid.equals(c.get("sid"))) {
                throw new TokenException(ProtocolException.Reason.MALFORMED, "the session ticket is for another session");
            }
            Object exp = c.get("session_exp");
            if (!(exp instanceof Number n)) {
                throw new TokenException(ProtocolException.Reason.MALFORMED, "the session ticket has no session_exp");
            }
            SessionKeys keys = new SessionKeys(new Base64URL((String) c.get("mac_key")).decode(),
                    new Base64URL((String) c.get("enc_key")).decode());
            return new Contents(sid, keys, Instant.ofEpochSecond(n.longValue()), (String) c.get("sub"), (String) c.get("scope"));
        } catch (ParseException | JOSEException | ClassCastException | IllegalArgumentException | NullPointerException e) {
            throw new TokenException(ProtocolException.Reason.MALFORMED, "the session ticket does not open with this service's key");
        }
    }
}
