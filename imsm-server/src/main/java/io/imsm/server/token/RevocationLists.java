package io.imsm.server.token;

import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.ConsumptionProbe;
import io.imsm.protocol.RevocationList;
import io.imsm.server.ErrorCode;
import io.imsm.server.ImsmException;
import io.imsm.server.access.CatalogService;
import io.imsm.server.keys.SigningKeys;
import io.imsm.server.store.Database;
import io.imsm.server.store.RateLimitBuckets;
import io.imsm.server.store.TokenSessionStore;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * The signed per-service revocation list (docs/protocol.md section 8.1) that services poll: how a
 * {@code jwks}-binding service learns that a token was revoked. Public (it names only random session
 * and token ids, see docs/decisions/0007), so each client address may fetch at most
 * {@link #PER_ADDRESS_PER_MINUTE} lists a minute.
 */
public final class RevocationLists {
    /** Ten replicas polling every 500 ms behind one address (the setting for a 1 s revocation, docs/decisions/0016) use all of these. */
    public static final int PER_ADDRESS_PER_MINUTE = 1_200;

    private final Database db;
    private final TokenSessionStore store;
    private final CatalogService catalog;
    private final SigningKeys signingKeys;
    private final Supplier<String> issuer;
    private final Clock clock;
    private static final BucketConfiguration PER_ADDRESS = BucketConfiguration.builder()
            .addLimit(l -> l.capacity(PER_ADDRESS_PER_MINUTE).refillGreedy(PER_ADDRESS_PER_MINUTE, Duration.ofMinutes(1)))
            .build();
    private final RateLimitBuckets buckets;

    /** @param buckets where the per-address limits live (keys {@code revlist:ADDRESS}) */
    public RevocationLists(Database db, TokenSessionStore store, CatalogService catalog, SigningKeys signingKeys,
                           Supplier<String> issuer, Clock clock, RateLimitBuckets buckets) {
        this.db = Objects.requireNonNull(db);
        this.store = Objects.requireNonNull(store);
        this.catalog = Objects.requireNonNull(catalog);
        this.signingKeys = Objects.requireNonNull(signingKeys);
        this.issuer = Objects.requireNonNull(issuer);
        this.clock = Objects.requireNonNull(clock);
        this.buckets = Objects.requireNonNull(buckets);
    }

    /**
     * The compact JWS listing the revoked, unexpired sessions of {@code serviceId}, valid 60 s.
     *
     * @throws ImsmException.Throttled when {@code clientAddress} asked too often
     * @throws ImsmException.NotFound  when no such service is registered
     */
    public String signedList(String serviceId, String clientAddress) {
        ConsumptionProbe probe = buckets.bucket("revlist:" + Objects.requireNonNullElse(clientAddress, "unknown"), PER_ADDRESS)
                .tryConsumeAndReturnRemaining(1);
        if (!probe.isConsumed()) {
            throw new ImsmException.Throttled(ErrorCode.RATE_LIMITED, "Too many revocation list requests from this address.",
                    RateLimitBuckets.seconds(probe.getNanosToWaitForRefill()));
        }
        if (serviceId == null || catalog.find(serviceId).isEmpty()) {
            throw new ImsmException.NotFound("No such service.");
        }
        List<RevocationList.Entry> revoked = db.read(h -> store.revokedUnexpired(h, serviceId, clock.instant())).stream()
                .map(r -> new RevocationList.Entry(r.sid(), r.jti(), r.expiresAt()))
                .toList();
        return RevocationList.create(issuer.get(), serviceId, revoked, clock).sign(signingKeys.activeKey());
    }
}
