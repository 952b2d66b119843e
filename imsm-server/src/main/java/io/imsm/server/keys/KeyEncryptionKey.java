package io.imsm.server.keys;

import com.nimbusds.jose.EncryptionMethod;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWEAlgorithm;
import com.nimbusds.jose.JWEHeader;
import com.nimbusds.jose.JWEObject;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.DirectDecrypter;
import com.nimbusds.jose.crypto.DirectEncrypter;
import com.nimbusds.jose.util.Base64URL;
import io.imsm.server.ErrorCode;
import io.imsm.server.ImsmException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.text.ParseException;
import java.util.Base64;
import java.util.Objects;
import java.util.Set;

/**
 * The key-encryption key (envelope encryption): every secret IMSM stores (signing keys, TOTP secrets)
 * is a compact JWE {@code dir}/{@code A256GCM} under this key. The key comes from {@code IMSM_KEK}
 * (base64 of 32 bytes) or, for the embedded default only, from a 0600 file under the data directory.
 */
public final class KeyEncryptionKey {
    private static final Logger LOG = LoggerFactory.getLogger(KeyEncryptionKey.class);
    /** The key file's name under the data directory (embedded default without IMSM_KEK). */
    public static final String FILE_NAME = "kek";
    /** Protected-header parameter naming the table, column and row a value belongs to. */
    static final String CONTEXT_PARAM = "imsm_ctx";
    private final SecretKey key;
    private final String kid;

    private KeyEncryptionKey(byte[] raw) {
        if (raw.length != 32) {
            throw new ImsmException.Invalid(ErrorCode.INVALID_CONFIG, "IMSM_KEK must be 32 bytes, base64-encoded (got " + raw.length + " bytes)");
        }
        this.key = new SecretKeySpec(raw, "AES");
        this.kid = "kek-" + Base64URL.encode(sha256(raw)).toString().substring(0, 12);
    }

    /** From the environment value when set, else from (or newly into) {@code dataDir/kek}. */
    public static KeyEncryptionKey load(String envValue, Path dataDir, SecureRandom random) {
        if (envValue != null && !envValue.isBlank()) {
            return fromBase64(envValue, "IMSM_KEK");
        }
        Path file = dataDir.resolve(FILE_NAME);
        if (Files.exists(file)) {
            return readFile(file);
        }
        KeyEncryptionKey created = createFile(file, random);
        LOG.warn("!!! Generated a new key-encryption key in {} (mode 0600). Anyone who can read this file can decrypt "
                + "IMSM's signing keys and TOTP secrets. In production set IMSM_KEK from a secret store instead. !!!", file);
        return created;
    }

    /** The key in use, never a new one: from the environment value when set, else the existing key file. */
    public static KeyEncryptionKey loadExisting(String envValue, Path dataDir) {
        if (envValue != null && !envValue.isBlank()) {
            return fromBase64(envValue, "IMSM_KEK");
        }
        Path file = dataDir.resolve(FILE_NAME);
        if (!Files.exists(file)) {
            throw new ImsmException.Invalid(ErrorCode.INVALID_CONFIG, "no key-encryption key: IMSM_KEK is unset and " + file + " does not exist");
        }
        return readFile(file);
    }

    /** A key from base64 (standard or URL alphabet) of 32 bytes; {@code name} is the variable it came from. */
    public static KeyEncryptionKey fromBase64(String value, String name) {
        byte[] raw;
        try {
            raw = decode(value.trim());
        } catch (IllegalArgumentException e) {
            throw new ImsmException.Invalid(ErrorCode.INVALID_CONFIG, name + " is not base64");
        }
        return new KeyEncryptionKey(raw);
    }

    private static KeyEncryptionKey readFile(Path file) {
        try {
            checkPermissions(file);
            return new KeyEncryptionKey(decode(Files.readString(file, StandardCharsets.US_ASCII).trim()));
        } catch (IOException | IllegalArgumentException e) {
            throw new ImsmException.Invalid(ErrorCode.INVALID_CONFIG, "cannot read the key-encryption key file " + file + ": " + e.getMessage());
        }
    }

    /** Generates a new random key into {@code file} (created 0600, written through a temporary file and an atomic move). */
    public static KeyEncryptionKey createFile(Path file, SecureRandom random) {
        byte[] raw = new byte[32];
        random.nextBytes(raw);
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            Files.deleteIfExists(tmp);
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(tmp, Base64.getEncoder().encodeToString(raw), StandardCharsets.US_ASCII);
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
            return new KeyEncryptionKey(raw);
        } catch (IOException e) {
            throw new ImsmException.Invalid(ErrorCode.INVALID_CONFIG, "cannot create the key-encryption key file " + file + ": " + e.getMessage());
        }
    }

    private static void checkPermissions(Path file) throws IOException {
        try {
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
            for (PosixFilePermission p : perms) {
                if (p != PosixFilePermission.OWNER_READ && p != PosixFilePermission.OWNER_WRITE) {
                    throw new ImsmException.Invalid(ErrorCode.INVALID_CONFIG, "the key-encryption key file " + file
                            + " is accessible to others (" + PosixFilePermissions.toString(perms) + "); run: chmod 600 " + file);
                }
            }
        } catch (UnsupportedOperationException ignored) {
            // not a POSIX file system: nothing to check
        }
        LOG.warn("Using the key-encryption key from the file {}; in production set IMSM_KEK instead.", file);
    }

    private static byte[] decode(String s) {
        String std = s.replace('-', '+').replace('_', '/');
        return Base64.getDecoder().decode(std);
    }

    /**
     * Encrypts a value bound to where it is stored: {@code context} (e.g. {@code users.totp_secret_enc:<id>})
     * goes into the protected header, which JWE authenticates as the additional data (RFC 7516 §5.1
     * step 14), so a value copied into another row or column no longer decrypts there.
     */
    public String encrypt(String plaintext, String context) {
        Objects.requireNonNull(context, "context");
        try {
            JWEObject jwe = new JWEObject(new JWEHeader.Builder(JWEAlgorithm.DIR, EncryptionMethod.A256GCM).keyID(kid)
                    .customParam(CONTEXT_PARAM, context).build(), new Payload(plaintext));
            jwe.encrypt(new DirectEncrypter(key));
            return jwe.serialize();
        } catch (JOSEException e) {
            throw new IllegalStateException("encryption under the key-encryption key failed", e);
        }
    }

    /**
     * Decrypts a value stored at {@code context}. Values written before binding existed carry no
     * context and are still read (they get bound when rewritten, at the latest by {@code imsm kek rotate});
     * a value bound to another place is refused.
     */
    public String decrypt(String compactJwe, String context) {
        Objects.requireNonNull(context, "context");
        try {
            JWEObject jwe = JWEObject.parse(compactJwe);
            if (!JWEAlgorithm.DIR.equals(jwe.getHeader().getAlgorithm())
                    || !EncryptionMethod.A256GCM.equals(jwe.getHeader().getEncryptionMethod())) {
                throw new IllegalStateException("stored secret uses an unexpected algorithm");
            }
            if (!kid.equals(jwe.getHeader().getKeyID())) {
                throw new IllegalStateException("stored secret was encrypted under another key-encryption key ("
                        + jwe.getHeader().getKeyID() + "); is IMSM_KEK the one this database was created with?");
            }
            Object bound = jwe.getHeader().getCustomParam(CONTEXT_PARAM);
            if (bound != null && !context.equals(bound)) {
                throw new IllegalStateException("stored secret belongs to another place than " + context
                        + "; it was copied between rows or columns");
            }
            jwe.decrypt(new DirectDecrypter(key));
            return jwe.getPayload().toString();
        } catch (ParseException | JOSEException e) {
            throw new IllegalStateException("stored secret cannot be decrypted", e);
        }
    }

    /** The place a value is bound to: {@code table.column:rowId}. */
    public static String context(String table, String column, String rowId) {
        return table + "." + column + ":" + rowId;
    }

    /** True when the value predates row binding (no context in its header) and should be re-encrypted. */
    public static boolean isUnbound(String compactJwe) {
        try {
            return JWEObject.parse(compactJwe).getHeader().getCustomParam(CONTEXT_PARAM) == null;
        } catch (ParseException e) {
            return false;
        }
    }

    /**
     * A 32-byte key for one purpose, derived from this key with HKDF-SHA256 (RFC 5869; the purpose is
     * the {@code info} input, no salt), so keyed hashes never reuse the encryption key itself.
     */
    public byte[] deriveKey(String purpose) {
        org.bouncycastle.crypto.generators.HKDFBytesGenerator hkdf =
                new org.bouncycastle.crypto.generators.HKDFBytesGenerator(new org.bouncycastle.crypto.digests.SHA256Digest());
        hkdf.init(new org.bouncycastle.crypto.params.HKDFParameters(key.getEncoded(), null,
                purpose.getBytes(StandardCharsets.UTF_8)));
        byte[] out = new byte[32];
        hkdf.generateBytes(out, 0, out.length);
        return out;
    }

    public String kid() { return kid; }

    private static byte[] sha256(byte[] b) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(b);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
