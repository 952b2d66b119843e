package io.imsm.server.pki;

import io.imsm.server.ErrorCode;
import io.imsm.server.ImsmException;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.sec.SECObjectIdentifiers;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.PKCSException;

import java.io.IOException;
import java.io.StringReader;
import java.security.PublicKey;

/**
 * PKCS#10 requests (RFC 2986) from services, checked before anything is issued: bounded size, one
 * request, its signature valid (proof of possession), key pinned to EC P-256 and signature to
 * ecdsa-with-SHA256. Only the public key is taken: the subject and any requested extensions are
 * ignored, IMSM decides what the certificate says.
 */
public final class SigningRequests {
    /** A P-256 request in PEM is about 500 characters; anything near this bound is not one. */
    public static final int MAX_PEM_CHARS = 4096;

    private SigningRequests() {}

    /** The request's public key, once every check passed. */
    public static PublicKey publicKey(String pem) {
        if (pem == null || pem.isBlank()) {
            throw invalid("csr is required (a PEM \"CERTIFICATE REQUEST\")");
        }
        if (pem.length() > MAX_PEM_CHARS) {
            throw invalid("csr is longer than " + MAX_PEM_CHARS + " characters");
        }
        PKCS10CertificationRequest csr;
        try (PEMParser p = new PEMParser(new StringReader(pem))) {
            Object o = p.readObject();
            if (!(o instanceof PKCS10CertificationRequest r)) {
                throw invalid("csr is not a PEM \"CERTIFICATE REQUEST\"");
            }
            if (p.readObject() != null) {
                throw invalid("csr holds more than one PEM object");
            }
            csr = r;
        } catch (IOException | RuntimeException e) {
            if (e instanceof ImsmException ie) {
                throw ie;
            }
            throw invalid("csr cannot be parsed");
        }
        SubjectPublicKeyInfo spki = csr.getSubjectPublicKeyInfo();
        if (!X9ObjectIdentifiers.id_ecPublicKey.equals(spki.getAlgorithm().getAlgorithm())
                || !SECObjectIdentifiers.secp256r1.equals(asOid(spki.getAlgorithm().getParameters()))) {
            throw invalid("csr key must be EC P-256 (secp256r1)");
        }
        if (!X9ObjectIdentifiers.ecdsa_with_SHA256.equals(csr.getSignatureAlgorithm().getAlgorithm())) {
            throw invalid("csr must be signed with ecdsa-with-SHA256");
        }
        try {
            if (!csr.isSignatureValid(new JcaContentVerifierProviderBuilder().build(spki))) {
                throw invalid("csr signature does not verify");
            }
            return new JcaPEMKeyConverter().getPublicKey(spki);
        } catch (OperatorCreationException | PKCSException | IOException | RuntimeException e) {
            if (e instanceof ImsmException ie) {
                throw ie;
            }
            throw invalid("csr signature or key is not valid");
        }
    }

    private static ASN1ObjectIdentifier asOid(Object params) {
        return params instanceof ASN1ObjectIdentifier oid ? oid : null;
    }

    private static ImsmException invalid(String message) {
        return new ImsmException.Invalid(ErrorCode.INVALID_CSR, message);
    }
}
