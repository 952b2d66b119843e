package io.imsm.server.oauth;

import io.imsm.server.identity.Secrets;
import io.imsm.server.model.OAuthClient;
import io.imsm.server.store.Database;
import io.imsm.server.store.OAuthTokenStore;

import java.time.Clock;
import java.time.Instant;
import java.util.Objects;

/** RFC 8628 §3.4/§3.5: the device polls with its device code until the person confirmed (or denied) the user code. */
public final class DeviceCodeGrant implements GrantHandler {
    public static final String GRANT_TYPE = "urn:ietf:params:oauth:grant-type:device_code";
    /** RFC 8628 §3.2 {@code interval}, seconds. */
    public static final int INTERVAL = 5;

    private final Database db;
    private final OAuthTokenStore store;
    private final PersonTokens people;
    private final Clock clock;

    public DeviceCodeGrant(Database db, OAuthTokenStore store, PersonTokens people, Clock clock) {
        this.db = Objects.requireNonNull(db);
        this.store = Objects.requireNonNull(store);
        this.people = Objects.requireNonNull(people);
        this.clock = Objects.requireNonNull(clock);
    }

    @Override public String grantType() { return GRANT_TYPE; }

    @Override
    public TokenResponse handle(TokenRequest request, OAuthClient client) {
        String hash = Secrets.sha256Hex(request.require("device_code"));
        Object result = db.inTransaction(h -> {
            Instant now = clock.instant();
            OAuthTokenStore.DeviceCode d = store.deviceCode(h, hash).filter(x -> x.clientId().equals(client.clientId()))
                    .orElseThrow(() -> OAuthError.invalidGrant("Unknown device code."));
            if (!now.isBefore(d.expiresAt())) {
                return OAuthError.expiredToken();
            }
            boolean tooSoon = d.lastPoll() != null && now.isBefore(d.lastPoll().plusSeconds(INTERVAL));
            store.pollDeviceCode(h, hash, now);
            switch (d.status()) {
                case "pending":
                    return tooSoon ? OAuthError.slowDown() : OAuthError.authorizationPending();
                case "denied":
                    return OAuthError.accessDenied("The person denied the request.");
                case "approved":
                    if (!store.useDeviceCode(h, hash)) {
                        throw OAuthError.invalidGrant("The device code was used before.");
                    }
                    return people.start(h, client, people.newFamilyId(), d.userId(), d.browserSession(), d.scope(), d.authTime(), null,
                            request.ip());
                default:
                    return OAuthError.invalidGrant("The device code was used before.");
            }
        });
        if (result instanceof OAuthError e) {
            throw e;
        }
        return (TokenResponse) result;
    }
}
