package io.imsm.server.store;

import org.jdbi.v3.core.Handle;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

import static io.imsm.server.store.UserStore.instant;
import static io.imsm.server.store.UserStore.ts;

/** Client certificates the CA issued to services. */
public final class ServiceCertificateStore {
    public record IssuedCertificate(String serial, String serviceId, String certificatePem, String x5tS256, String issuedVia,
                                    Instant notBefore, Instant notAfter, Instant revokedAt, String revokedBy) {
        public boolean revoked() { return revokedAt != null; }
    }

    private static final String COLUMNS = "serial, service_id, certificate_pem, x5t_s256, issued_via, not_before, not_after, revoked_at, revoked_by";

    public void insert(Handle h, IssuedCertificate c) {
        h.createUpdate("INSERT INTO service_certificates (" + COLUMNS + ") VALUES (:serial, :svc, :pem, :x5t, :via, :nb, :na, NULL, NULL)")
                .bind("serial", c.serial()).bind("svc", c.serviceId()).bind("pem", c.certificatePem()).bind("x5t", c.x5tS256())
                .bind("via", c.issuedVia()).bind("nb", ts(c.notBefore())).bind("na", ts(c.notAfter())).execute();
    }

    public Optional<IssuedCertificate> find(Handle h, String serial) {
        return h.createQuery("SELECT " + COLUMNS + " FROM service_certificates WHERE serial = :s").bind("s", serial)
                .map((rs, ctx) -> row(rs)).findOne();
    }

    /** Newest first, at most {@code limit}. */
    public List<IssuedCertificate> list(Handle h, String serviceIdOrNull, int offset, int limit) {
        String where = serviceIdOrNull == null ? "" : " WHERE service_id = :svc";
        var q = h.createQuery("SELECT " + COLUMNS + " FROM service_certificates" + where
                + " ORDER BY not_before DESC, serial LIMIT :limit OFFSET :offset").bind("limit", limit).bind("offset", offset);
        if (serviceIdOrNull != null) {
            q.bind("svc", serviceIdOrNull);
        }
        return q.map((rs, ctx) -> row(rs)).list();
    }

    /** Not revoked and not yet expired at {@code now}, every service, oldest first. */
    public List<IssuedCertificate> current(Handle h, Instant now) {
        return h.createQuery("SELECT " + COLUMNS + " FROM service_certificates WHERE revoked_at IS NULL AND not_after > :now "
                        + "AND not_before <= :now ORDER BY service_id, not_before")
                .bind("now", ts(now)).map((rs, ctx) -> row(rs)).list();
    }

    /** Revoked and not yet expired at {@code now}: what the CRL lists (an expired certificate is refused anyway). */
    public List<IssuedCertificate> revokedUnexpired(Handle h, Instant now) {
        return h.createQuery("SELECT " + COLUMNS + " FROM service_certificates WHERE revoked_at IS NOT NULL AND not_after > :now ORDER BY revoked_at")
                .bind("now", ts(now)).map((rs, ctx) -> row(rs)).list();
    }

    /** Marks a certificate revoked; false when it was already revoked or does not exist. */
    public boolean revoke(Handle h, String serial, Instant at, String by) {
        return h.createUpdate("UPDATE service_certificates SET revoked_at = :at, revoked_by = :by WHERE serial = :s AND revoked_at IS NULL")
                .bind("at", ts(at)).bind("by", by).bind("s", serial).execute() == 1;
    }

    private static IssuedCertificate row(java.sql.ResultSet rs) throws java.sql.SQLException {
        return new IssuedCertificate(rs.getString("serial"), rs.getString("service_id"), rs.getString("certificate_pem"),
                rs.getString("x5t_s256"), rs.getString("issued_via"), instant(rs, "not_before"), instant(rs, "not_after"),
                instant(rs, "revoked_at"), rs.getString("revoked_by"));
    }
}
