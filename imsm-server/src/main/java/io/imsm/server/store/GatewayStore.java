package io.imsm.server.store;

import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.statement.UnableToExecuteStatementException;

import java.sql.SQLException;
import java.time.Instant;
import java.util.Optional;

import static io.imsm.server.store.UserStore.instant;
import static io.imsm.server.store.UserStore.ts;

/** The identity gateway's rows: domain controllers and their DDOs, subjects, issued credentials, JWT ids seen. */
public final class GatewayStore {
    /** @param controller lower-case address of the domain account */
    public record DomainController(String did, String controller, String name, String ddo, Instant createdAt, String createdBy) {}

    /** @param holder lower-case address */
    public record Credential(String jti, String subject, String holder, String did, Instant issuedAt, Instant expiresAt, Instant revokedAt) {}

    public void insertController(Handle h, DomainController dc) {
        h.createUpdate("INSERT INTO gateway_domain_controllers (did, controller, name, ddo, created_at, created_by) "
                        + "VALUES (:did, :controller, :name, :ddo, :at, :by)")
                .bind("did", dc.did()).bind("controller", dc.controller()).bind("name", dc.name()).bind("ddo", dc.ddo())
                .bind("at", ts(dc.createdAt())).bind("by", dc.createdBy()).execute();
    }

    public Optional<DomainController> findController(Handle h, String did) {
        return h.createQuery("SELECT did, controller, name, ddo, created_at, created_by FROM gateway_domain_controllers WHERE did = :did")
                .bind("did", did)
                .map((rs, ctx) -> new DomainController(rs.getString("did"), rs.getString("controller"), rs.getString("name"),
                        rs.getString("ddo"), instant(rs, "created_at"), rs.getString("created_by")))
                .findOne();
    }

    /** The DID of the domain controller that decides {@code subject}. */
    public Optional<String> subjectOwner(Handle h, String subject) {
        return h.createQuery("SELECT did FROM gateway_subjects WHERE subject = :s").bind("s", subject).mapTo(String.class).findOne();
    }

    public void insertSubject(Handle h, String subject, String did) {
        h.createUpdate("INSERT INTO gateway_subjects (subject, did) VALUES (:s, :did)").bind("s", subject).bind("did", did).execute();
    }

    public void insertCredential(Handle h, Credential c) {
        h.createUpdate("INSERT INTO gateway_credentials (jti, subject, holder, did, issued_at, expires_at) "
                        + "VALUES (:jti, :subject, :holder, :did, :iat, :exp)")
                .bind("jti", c.jti()).bind("subject", c.subject()).bind("holder", c.holder()).bind("did", c.did())
                .bind("iat", ts(c.issuedAt())).bind("exp", ts(c.expiresAt())).execute();
    }

    public Optional<Credential> findCredential(Handle h, String jti) {
        return h.createQuery("SELECT jti, subject, holder, did, issued_at, expires_at, revoked_at FROM gateway_credentials WHERE jti = :jti")
                .bind("jti", jti)
                .map((rs, ctx) -> new Credential(rs.getString("jti"), rs.getString("subject"), rs.getString("holder"), rs.getString("did"),
                        instant(rs, "issued_at"), instant(rs, "expires_at"), instant(rs, "revoked_at")))
                .findOne();
    }

    /** Revokes every credential for {@code subject} that is neither revoked nor expired; returns how many. */
    public int revokeSubject(Handle h, String subject, Instant now) {
        return h.createUpdate("UPDATE gateway_credentials SET revoked_at = :now WHERE subject = :s AND revoked_at IS NULL AND expires_at > :now")
                .bind("s", subject).bind("now", ts(now)).execute();
    }

    /**
     * Records a JWT id as used until {@code expiresAt}; false when it was recorded before (a replay).
     * Rows past their expiry are deleted first, so the table holds only JWTs still valid. A concurrent
     * insert of the same id loses on the primary key; the savepoint keeps PostgreSQL's transaction usable.
     */
    public boolean markSeen(Handle h, String id, Instant expiresAt, Instant now) {
        h.createUpdate("DELETE FROM gateway_seen_jwts WHERE expires_at < :now").bind("now", ts(now)).execute();
        if (h.createQuery("SELECT COUNT(*) FROM gateway_seen_jwts WHERE id = :id").bind("id", id).mapTo(Integer.class).one() > 0) {
            return false;
        }
        h.savepoint("seen_jwt");
        try {
            h.createUpdate("INSERT INTO gateway_seen_jwts (id, expires_at) VALUES (:id, :exp)").bind("id", id).bind("exp", ts(expiresAt)).execute();
            h.releaseSavepoint("seen_jwt");
            return true;
        } catch (UnableToExecuteStatementException e) {
            if (e.getCause() instanceof SQLException sql && "23505".equals(sql.getSQLState())) {
                h.rollbackToSavepoint("seen_jwt");
                return false;
            }
            throw e;
        }
    }
}
