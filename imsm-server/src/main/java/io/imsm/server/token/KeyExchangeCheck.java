package io.imsm.server.token;

import io.imsm.server.model.Binding;
import io.imsm.server.ImsmException;
import io.imsm.server.access.CatalogService;
import io.imsm.server.access.ServiceDefinition;
import io.imsm.server.audit.AuditLog;
import io.imsm.server.identity.Caller;
import io.imsm.server.kx.KeyExchangeClient;
import io.imsm.server.kx.KeyExchangeException;
import io.imsm.server.store.Database;

import java.time.Clock;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * "Test key exchange" for admins: runs a real KX1 exchange (docs/protocol.md) with a service
 * definition, saved or not, so a wrong {@code kx_url} or key shows before people ask for tokens.
 * No token is minted and no token session is stored; the session the service created is revoked
 * right away with a signed revocation (KX1 section 8), so the service forgets it too.
 */
public final class KeyExchangeCheck {
    /** The test session's lifetime: the shortest a real one may have, in case the revocation does not arrive. */
    private static final long TEST_SESSION_SECONDS = CatalogService.MIN_TTL;

    private final Database db;
    private final CatalogService catalog;
    private final KeyExchangeClient kx;
    private final AuditLog audit;
    private final Clock clock;

    public KeyExchangeCheck(Database db, CatalogService catalog, KeyExchangeClient kx, AuditLog audit, Clock clock) {
        this.db = Objects.requireNonNull(db);
        this.catalog = Objects.requireNonNull(catalog);
        this.kx = Objects.requireNonNull(kx);
        this.audit = Objects.requireNonNull(audit);
        this.clock = Objects.requireNonNull(clock);
    }

    /**
     * What the exchange showed. {@code ok}: the service answered the offer with an answer that
     * verifies under the definition's key; {@code forgotten}: it also confirmed the revocation of the
     * test session. {@code detail} says what happened in words for the admin.
     */
    public record Result(String serviceId, boolean ok, boolean forgotten, long elapsedMillis, String detail) {}

    /** Tests the registered definition of the service. */
    public Result runRegistered(Caller caller, String serviceId) {
        return run(caller, catalog.get(caller, serviceId));
    }

    /** Runs the exchange; a service that fails it is a result ({@code ok} false), not an error. */
    public Result run(Caller caller, ServiceDefinition definition) {
        caller.requireAdmin();
        ServiceDefinition svc = catalog.validate(definition);
        if (svc.binding() != Binding.KX) {
            throw new ImsmException.Invalid("Only binding kx has a key exchange to test; a jwks service checks IMSM's signature itself.");
        }
        long start = System.nanoTime();
        Result result;
        try {
            KeyExchangeClient.Exchanged ex = kx.exchange(svc, caller.actor(), String.join(" ", svc.scopes()),
                    clock.instant().plusSeconds(TEST_SESSION_SECONDS));
            String notForgotten = forget(svc, ex.sid());
            result = new Result(svc.id(), true, notForgotten == null, elapsed(start), notForgotten == null
                    ? "The service answered the offer with a valid answer and confirmed the revocation of the test session."
                    : "The service answered the offer with a valid answer, but the revocation of the test session failed: "
                      + notForgotten + " (the session expires within " + TEST_SESSION_SECONDS / 60 + " minute).");
        } catch (KeyExchangeException e) {
            // the detail names addresses and statuses: fine here, the caller is an admin testing the service
            result = new Result(svc.id(), false, false, elapsed(start), "The " + e.getMessage() + ".");
        }
        Result r = result;
        db.inTransaction(h -> {
            audit.record(h, caller.actor(), "service_kx_test", svc.id(), caller.ip(), r.ok() ? "ok" : "failed",
                    "forgotten=" + r.forgotten() + " ms=" + r.elapsedMillis());
            return null;
        });
        return r;
    }

    /** Revokes the test session (KX1 section 8); null when the service confirmed, else why not. */
    private String forget(ServiceDefinition svc, String sid) {
        try {
            kx.revoke(svc, sid);
            return null;
        } catch (KeyExchangeException e) {
            return e.getMessage();
        }
    }

    private static long elapsed(long startNanos) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
    }
}
