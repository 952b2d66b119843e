package io.imsm.server.gateway;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;

/**
 * The seam for presenting credentials on a ledger. IMSM ships no blockchain client: {@link #none()}
 * does nothing and {@link #logging()} writes one log line per event; a deployment that anchors
 * credentials on a chain implements this interface. Called after the database transaction committed;
 * a ledger failure is logged and never undoes an issuance or a revocation.
 */
public interface CredentialLedger {
    /** A credential was issued (never the token itself: its id, holder, subject and lifetime). */
    void issued(String jti, String did, String subject, EthAddress holder, Instant expiresAt);

    /** The domain controller's controller revoked the credentials for {@code subject}. */
    void revoked(String did, String subject, int count);

    static CredentialLedger none() {
        return new CredentialLedger() {
            @Override public void issued(String jti, String did, String subject, EthAddress holder, Instant expiresAt) {}
            @Override public void revoked(String did, String subject, int count) {}
        };
    }

    static CredentialLedger logging() {
        Logger log = LoggerFactory.getLogger("imsm.gateway.ledger");
        return new CredentialLedger() {
            @Override public void issued(String jti, String did, String subject, EthAddress holder, Instant expiresAt) {
                log.info("ledger credential_issued jti={} did={} subject={} holder={} expires_at={}", jti, did, subject,
                        holder.checksummed(), expiresAt);
            }

            @Override public void revoked(String did, String subject, int count) {
                log.info("ledger credentials_revoked did={} subject={} count={}", did, subject, count);
            }
        };
    }

    /** The ledger named by {@code gateway.ledger}. */
    static CredentialLedger named(String name) {
        return switch (name) {
            case "none" -> none();
            case "log" -> logging();
            default -> throw new IllegalArgumentException("unknown ledger " + name);
        };
    }
}
