package io.imsm.server.token;

import io.imsm.server.model.Binding;
import io.imsm.server.access.CatalogService;
import io.imsm.server.access.ServiceDefinition;
import io.imsm.server.identity.TokenSessionRevoker;
import io.imsm.server.store.OAuthTokenStore;
import io.imsm.server.store.TokenSessionStore;
import org.jdbi.v3.core.Handle;

import java.time.Clock;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Marks token sessions revoked and, for binding kx, queues the signed revocation to the service in
 * the same transaction (the outbox retries until the service confirms). Used when a person revokes a
 * token and when an account loses its access (status change, second-factor reset, role removal).
 * Ending all of a person's access also ends their OAuth refresh-token families (docs/oauth.md).
 */
public final class TokenRevocations implements TokenSessionRevoker {
    private final TokenSessionStore store;
    private final CatalogService catalog;
    private final Clock clock;
    private final Runnable outboxKick;
    private final OAuthTokenStore oauthGrants;

    public TokenRevocations(TokenSessionStore store, CatalogService catalog, Clock clock, Runnable outboxKick, OAuthTokenStore oauthGrants) {
        this.store = Objects.requireNonNull(store);
        this.oauthGrants = Objects.requireNonNull(oauthGrants);
        this.catalog = Objects.requireNonNull(catalog);
        this.clock = Objects.requireNonNull(clock);
        this.outboxKick = Objects.requireNonNull(outboxKick);
    }

    /** Revokes one session; false when it was revoked already. */
    boolean revoke(Handle h, TokenSessionStore.Row row, String actor) {
        Instant now = clock.instant();
        if (!store.revoke(h, row.sid(), now, actor)) {
            return false;
        }
        if (row.binding() == Binding.KX && row.expiresAt().isAfter(now)) {
            store.enqueue(h, Outbox.REVOKE, row.serviceId(), row.sid(), now);
        }
        return true;
    }

    @Override
    public int revokeAll(Handle h, String userId, String actor) {
        int n = 0;
        for (TokenSessionStore.Row row : store.live(h, userId, clock.instant())) {
            n += revoke(h, row, actor) ? 1 : 0;
        }
        return n + oauthGrants.revokeFamiliesOfUser(h, userId, "revoked_by_admin", clock.instant());
    }

    @Override
    public int revokeNoLongerAllowed(Handle h, String userId, Set<String> roles, String actor) {
        Map<String, Boolean> allowed = new HashMap<>();
        int n = 0;
        for (TokenSessionStore.Row row : store.live(h, userId, clock.instant())) {
            // a service that left the catalog allows nobody
            boolean ok = allowed.computeIfAbsent(row.serviceId(), id -> {
                Optional<ServiceDefinition> svc = catalog.find(h, id);
                return svc.isPresent() && svc.get().allowedFor(roles);
            });
            if (!ok) {
                n += revoke(h, row, actor) ? 1 : 0;
            }
        }
        return n;
    }

    @Override
    public void deliverSoon() {
        outboxKick.run();
    }
}
