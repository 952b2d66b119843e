package io.imsm.server.pki;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.imsm.server.ErrorCode;
import io.imsm.server.ImsmException;
import io.imsm.server.access.CatalogService;
import io.imsm.server.access.ServiceDefinition;
import io.imsm.server.audit.AuditLog;
import io.imsm.server.config.Config;
import io.imsm.server.identity.Caller;
import io.imsm.server.identity.Secrets;
import io.imsm.server.store.Database;
import io.imsm.server.store.JoinTokenStore;
import io.imsm.server.store.ServiceCertificateStore;
import io.imsm.server.store.ServiceCertificateStore.IssuedCertificate;

import java.math.BigInteger;
import java.security.PublicKey;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Service identities by certificate: one-time join tokens, enrollment with a CSR, renewal over mTLS,
 * listing and revocation, the CRL, and checking a presented client certificate (docs/pki.md).
 */
public final class ServiceCertificates {
    /** A join token is 32 random bytes, base64url: 43 characters. Longer input is not one. */
    private static final int MAX_JOIN_TOKEN_CHARS = 128;
    private static final Pattern SERIAL = Pattern.compile("[0-9A-Fa-f]{1,64}");
    /** A CRL is signed at most this often per process; a revocation here makes the next one fresh. */
    private static final Duration CRL_REUSE = Duration.ofSeconds(30);
    /** Relying parties fetch a new CRL within this time. */
    private static final Duration CRL_VALIDITY = Duration.ofHours(1);
    public static final int MAX_PAGE = 500;

    private final Database db;
    private final JoinTokenStore joinTokens;
    private final ServiceCertificateStore certificates;
    private final CertificateAuthority ca;
    private final CatalogService catalog;
    private final AuditLog audit;
    private final Secrets secrets;
    private final Config.Pki cfg;
    private final Clock clock;
    private volatile SignedCrl crl;
    /**
     * Certificates (by SHA-256 of their DER) whose CA signature already verified: the same bytes verify
     * the same way, so a service asking again costs no second ECDSA verification. Time and revocation
     * are still checked on every request.
     */
    private final Cache<String, Boolean> signedByCa = Caffeine.newBuilder().maximumSize(10_000)
            .expireAfterWrite(Duration.ofHours(1)).build();

    private record SignedCrl(byte[] der, Instant signedAt) {}

    public record JoinToken(String token, String serviceId, Instant expiresAt) {}

    /** A certificate as issued: the PEM certificate and the chain above it (CA first). */
    public record Issued(String serviceId, String spiffeId, X509Certificate certificate, List<X509Certificate> chain) {}

    /** A listed certificate with its state at listing time: valid, expired or revoked. */
    public record Listed(IssuedCertificate certificate, String status) {}

    /** A presented client certificate that passed every check: CA signature, time, recorded, not revoked. */
    public record VerifiedClient(String serviceId, String serial, String x5tS256, X509Certificate certificate) {}

    public ServiceCertificates(Database db, JoinTokenStore joinTokens, ServiceCertificateStore certificates, CertificateAuthority ca,
                               CatalogService catalog, AuditLog audit, Secrets secrets, Config.Pki cfg, Clock clock) {
        this.db = Objects.requireNonNull(db);
        this.joinTokens = Objects.requireNonNull(joinTokens);
        this.certificates = Objects.requireNonNull(certificates);
        this.ca = Objects.requireNonNull(ca);
        this.catalog = Objects.requireNonNull(catalog);
        this.audit = Objects.requireNonNull(audit);
        this.secrets = Objects.requireNonNull(secrets);
        this.cfg = Objects.requireNonNull(cfg);
        this.clock = Objects.requireNonNull(clock);
    }

    /** A new one-time join token for a registered service; only its hash is kept, so it is shown once. */
    public JoinToken createJoinToken(Caller caller, String serviceId) {
        caller.requireAdmin();
        return db.inTransaction(h -> {
            ServiceDefinition svc = catalog.find(h, serviceId)
                    .orElseThrow(() -> new ImsmException.NotFound("No service with id '" + serviceId + "'."));
            String token = secrets.token(32);
            Instant now = clock.instant();
            Instant expires = now.plusSeconds(cfg.joinTokenTtlSeconds());
            joinTokens.insert(h, Secrets.sha256Hex(token), svc.id(), caller.actor(), now, expires);
            audit.record(h, caller.actor(), "join_token_create", svc.id(), caller.ip(), "ok", "expires " + expires);
            return new JoinToken(token, svc.id(), expires);
        });
    }

    /**
     * Enrollment: a live join token and a CSR give a client certificate for the token's service. The
     * CSR is checked before the token is spent, so a malformed request does not burn it; the token is
     * spent in the same transaction that records the certificate.
     */
    public Issued enroll(String joinToken, String csrPem, String ip) {
        if (joinToken == null || joinToken.isBlank() || joinToken.length() > MAX_JOIN_TOKEN_CHARS) {
            throw badJoinToken();
        }
        PublicKey key = SigningRequests.publicKey(csrPem);
        return db.inTransaction(h -> {
            String serviceId = joinTokens.consume(h, Secrets.sha256Hex(joinToken), clock.instant()).orElseThrow(() -> {
                audit.recordAlone(db, "join-token", "certificate_enroll", null, ip, "denied", "unknown, used or expired join token");
                return badJoinToken();
            });
            if (catalog.find(h, serviceId).isEmpty()) {
                throw new ImsmException.NotFound("The service this join token was made for no longer exists.");
            }
            return issue(h, serviceId, key, "enroll", "join-token", ip);
        });
    }

    /** Renewal: the current, valid certificate asks for a new one for the same service (any new key). */
    public Issued renew(VerifiedClient client, String csrPem, String ip) {
        PublicKey key = SigningRequests.publicKey(csrPem);
        return db.inTransaction(h -> issue(h, client.serviceId(), key, "renew", "service:" + client.serviceId(), ip));
    }

    private Issued issue(org.jdbi.v3.core.Handle h, String serviceId, PublicKey key, String via, String actor, String ip) {
        Instant now = clock.instant();
        Instant notBefore = now.minus(CertificateAuthority.BACKDATE);
        Instant notAfter = now.plusSeconds(cfg.certificateTtlSeconds());
        X509Certificate cert = ca.issueClient(serviceId, key, notBefore, notAfter);
        String serial = Pem.serialHex(cert.getSerialNumber());
        certificates.insert(h, new IssuedCertificate(serial, serviceId, Pem.certificate(cert), Pem.x5tS256(cert), via,
                cert.getNotBefore().toInstant(), cert.getNotAfter().toInstant(), null, null));
        audit.record(h, actor, "certificate_" + via, serviceId, ip, "ok", "serial " + serial);
        return new Issued(serviceId, ca.spiffeId(serviceId), cert, ca.chain());
    }

    /**
     * Checks a presented client certificate: signed by this CA, within its validity at our clock,
     * naming a service by its SPIFFE URI, recorded as issued and not revoked. The database is asked
     * every time, so a revocation takes effect at once on every instance.
     */
    public VerifiedClient verify(X509Certificate cert) {
        if (cert == null) {
            throw new ImsmException.Unauthenticated(ErrorCode.CLIENT_CERTIFICATE_REQUIRED,
                    "Present the service's client certificate (mTLS on the HTTPS port).");
        }
        String x5t = Pem.x5tS256(cert);
        if (signedByCa.getIfPresent(x5t) == null) {
            if (!ca.signed(cert)) {
                throw new ImsmException.Unauthenticated(ErrorCode.CLIENT_CERTIFICATE_INVALID, "The client certificate was not issued by this CA.");
            }
            signedByCa.put(x5t, Boolean.TRUE);
        }
        Instant now = clock.instant();
        if (now.isAfter(cert.getNotAfter().toInstant()) || now.isBefore(cert.getNotBefore().toInstant())) {
            throw new ImsmException.Unauthenticated(ErrorCode.CLIENT_CERTIFICATE_EXPIRED,
                    "The client certificate is not valid now; enroll again with a new join token.");
        }
        String serial = Pem.serialHex(cert.getSerialNumber());
        IssuedCertificate row = db.read(h -> certificates.find(h, serial)).orElseThrow(() ->
                new ImsmException.Unauthenticated(ErrorCode.CLIENT_CERTIFICATE_INVALID, "The client certificate is not one this CA issued."));
        if (row.revoked()) {
            throw new ImsmException.Unauthenticated(ErrorCode.CLIENT_CERTIFICATE_REVOKED, "The client certificate was revoked.");
        }
        if (!row.x5tS256().equals(x5t) || !ca.spiffeId(row.serviceId()).equals(spiffeUri(cert))) {
            throw new ImsmException.Unauthenticated(ErrorCode.CLIENT_CERTIFICATE_INVALID, "The client certificate is not one this CA issued.");
        }
        return new VerifiedClient(row.serviceId(), serial, x5t, cert);
    }

    private static String spiffeUri(X509Certificate cert) {
        try {
            Collection<List<?>> names = cert.getSubjectAlternativeNames();
            if (names == null) {
                return null;
            }
            for (List<?> n : names) {
                if (Integer.valueOf(6).equals(n.get(0)) && n.get(1) instanceof String uri && uri.startsWith("spiffe://")) {
                    return uri;
                }
            }
            return null;
        } catch (CertificateParsingException e) {
            return null;
        }
    }

    public List<Listed> list(Caller caller, String serviceIdOrNull, int offset, int limit) {
        caller.requireAdmin();
        if (offset < 0 || limit < 1 || limit > MAX_PAGE) {
            throw new ImsmException.Invalid("offset must be 0 or more and limit between 1 and " + MAX_PAGE);
        }
        return db.read(h -> certificates.list(h, serviceIdOrNull, offset, limit)).stream().map(this::listed).toList();
    }

    private Listed listed(IssuedCertificate c) {
        return new Listed(c, c.revoked() ? "revoked" : clock.instant().isAfter(c.notAfter()) ? "expired" : "valid");
    }

    /** Revokes by serial (hex, any case, as {@code openssl x509 -serial} prints it); again is harmless. */
    public Listed revoke(Caller caller, String serialText) {
        caller.requireAdmin();
        String serial = normalizeSerial(serialText);
        IssuedCertificate revoked = db.inTransaction(h -> {
            IssuedCertificate c = certificates.find(h, serial)
                    .orElseThrow(() -> new ImsmException.NotFound("No certificate with serial " + serial + "."));
            if (!c.revoked()) {
                certificates.revoke(h, serial, clock.instant(), caller.actor());
                audit.record(h, caller.actor(), "certificate_revoke", c.serviceId(), caller.ip(), "ok", "serial " + serial);
            }
            return certificates.find(h, serial).orElseThrow();
        });
        crl = null;
        return listed(revoked);
    }

    static String normalizeSerial(String text) {
        String s = text == null ? "" : text.trim();
        if (s.regionMatches(true, 0, "serial=", 0, 7)) {
            s = s.substring(7);
        }
        s = s.replace(":", "");
        if (!SERIAL.matcher(s).matches()) {
            throw new ImsmException.Invalid("serial must be hexadecimal, as openssl x509 -serial prints it");
        }
        return Pem.serialHex(new BigInteger(s, 16));
    }

    /** The current CRL in DER: every revoked certificate that has not expired yet. */
    public byte[] crl() {
        SignedCrl c = crl;
        Instant now = clock.instant();
        if (c != null && now.isBefore(c.signedAt().plus(CRL_REUSE)) && !now.isBefore(c.signedAt())) {
            return c.der();
        }
        List<CertificateAuthority.Revoked> revoked = db.read(h -> certificates.revokedUnexpired(h, now)).stream()
                .map(r -> new CertificateAuthority.Revoked(new BigInteger(r.serial(), 16), r.revokedAt())).toList();
        byte[] der = ca.crl(revoked, now.toEpochMilli(), CRL_VALIDITY);
        crl = new SignedCrl(der, now);
        return der;
    }

    /** One service's entry in the public key registry. */
    public record ServiceKeys(String id, String spiffeId, List<IssuedCertificate> certificates, Map<String, Object> kxPublicJwk) {}

    /**
     * The key registry: every registered service with its current certificates and its key-exchange
     * public key, for peers verifying service-signed messages. For logged-in people and for services
     * with a valid certificate (the caller is checked by the two entry points).
     */
    public List<ServiceKeys> registryForPerson(Caller caller) {
        caller.requireReady();
        return registry();
    }

    public List<ServiceKeys> registryForService(VerifiedClient client) {
        Objects.requireNonNull(client);
        return registry();
    }

    private List<ServiceKeys> registry() {
        Instant now = clock.instant();
        Map<String, List<IssuedCertificate>> byService = new LinkedHashMap<>();
        for (IssuedCertificate c : db.read(h -> certificates.current(h, now))) {
            byService.computeIfAbsent(c.serviceId(), k -> new ArrayList<>()).add(c);
        }
        List<ServiceKeys> out = new ArrayList<>();
        for (ServiceDefinition s : catalog.all()) {
            out.add(new ServiceKeys(s.id(), ca.spiffeId(s.id()), byService.getOrDefault(s.id(), List.of()), s.publicJwk()));
        }
        return out;
    }

    private static ImsmException badJoinToken() {
        return new ImsmException.Unauthenticated(ErrorCode.INVALID_JOIN_TOKEN,
                "The join token is unknown, already used or expired; ask an admin for a new one.");
    }
}
