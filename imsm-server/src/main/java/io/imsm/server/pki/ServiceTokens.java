package io.imsm.server.pki;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.imsm.server.ErrorCode;
import io.imsm.server.ImsmException;
import io.imsm.server.access.CatalogService;
import io.imsm.server.audit.AuditLog;
import io.imsm.server.identity.Secrets;
import io.imsm.server.keys.SigningKeys;
import io.imsm.server.store.Database;

import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.util.Date;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * Certificate → JWT: a service that authenticates with its client certificate (RFC 8705 §2.1
 * {@code tls_client_auth}) and names itself as {@code client_id} gets an ES256 access token (RFC 9068
 * shape, {@code typ: at+jwt}) with the claims an admin set for it, bound to that certificate by
 * {@code cnf.x5t#S256} (RFC 8705 §3.1). Asking again with the certificate is the refresh.
 */
public final class ServiceTokens {
    public static final String CNF_X5T_S256 = "x5t#S256";
    private static final Pattern CLIENT_ID = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");

    private final Database db;
    private final ServiceCertificates certificates;
    private final ServiceIdentities identities;
    private final CatalogService catalog;
    private final SigningKeys signingKeys;
    private final AuditLog audit;
    private final Secrets secrets;
    private final Supplier<String> issuer;
    private final Clock clock;
    private volatile Signer signer;

    private record Signer(ECKey key, ECDSASigner signer) {}

    /** What the token endpoint returns (RFC 6749 §5.1). */
    public record Issued(String accessToken, long expiresIn, String serviceId) {}

    public ServiceTokens(Database db, ServiceCertificates certificates, ServiceIdentities identities, CatalogService catalog,
                         SigningKeys signingKeys, AuditLog audit, Secrets secrets, Supplier<String> issuer, Clock clock) {
        this.db = Objects.requireNonNull(db);
        this.certificates = Objects.requireNonNull(certificates);
        this.identities = Objects.requireNonNull(identities);
        this.catalog = Objects.requireNonNull(catalog);
        this.signingKeys = Objects.requireNonNull(signingKeys);
        this.audit = Objects.requireNonNull(audit);
        this.secrets = Objects.requireNonNull(secrets);
        this.issuer = Objects.requireNonNull(issuer);
        this.clock = Objects.requireNonNull(clock);
    }

    /**
     * @param cert     the client certificate of the TLS connection (or forwarded by a trusted proxy)
     * @param clientId the {@code client_id} parameter: must be the service the certificate names
     */
    public Issued issue(X509Certificate cert, String clientId, String ip) {
        if (clientId == null || !CLIENT_ID.matcher(clientId).matches()) {
            throw new ImsmException.Invalid("client_id is required: the service id the certificate was issued to");
        }
        ServiceCertificates.VerifiedClient client = certificates.verify(cert);
        if (!client.serviceId().equals(clientId)) {
            audit.recordAlone(db, "service:" + client.serviceId(), "service_token_issue", clientId, ip, "denied",
                    "certificate names another service");
            throw new ImsmException.Unauthenticated(ErrorCode.CLIENT_CERTIFICATE_INVALID,
                    "The client certificate does not name the service '" + clientId + "'.");
        }
        if (catalog.find(clientId).isEmpty()) {
            throw new ImsmException.Unauthenticated(ErrorCode.CLIENT_CERTIFICATE_INVALID, "The service '" + clientId + "' is no longer registered.");
        }
        ServiceIdentities.Identity identity = identities.find(clientId);
        int ttl = identities.ttlSeconds(identity);
        Instant now = clock.instant();
        Instant exp = now.plusSeconds(ttl);
        JWTClaimsSet.Builder claims = new JWTClaimsSet.Builder();
        identity.claims().forEach(claims::claim);
        claims.issuer(issuer.get())
                .subject(clientId)
                .claim("client_id", clientId)
                .issueTime(Date.from(now))
                .notBeforeTime(Date.from(now))
                .expirationTime(Date.from(exp))
                .jwtID(secrets.token(16))
                .claim("roles", identity.roles())
                .claim("cnf", Map.of(CNF_X5T_S256, client.x5tS256()));
        if (!identity.audiences().isEmpty()) {
            claims.audience(identity.audiences());
        }
        Signer s = signer();
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).keyID(s.key().getKeyID())
                .type(new JOSEObjectType("at+jwt")).build(), claims.build());
        try {
            jwt.sign(s.signer());
        } catch (JOSEException e) {
            throw new IllegalStateException("cannot sign a service token", e);
        }
        audit.recordAlone(db, "service:" + clientId, "service_token_issue", clientId, ip, "ok", "serial " + client.serial());
        return new Issued(jwt.serialize(), ttl, clientId);
    }

    /** One signer per active key (building it parses the key), replaced when the key changes. */
    private Signer signer() {
        ECKey key = signingKeys.activeKey();
        Signer s = signer;
        if (s == null || s.key() != key) {
            try {
                s = new Signer(key, new ECDSASigner(key));
            } catch (JOSEException e) {
                throw new IllegalStateException(e);
            }
            signer = s;
        }
        return s;
    }
}
