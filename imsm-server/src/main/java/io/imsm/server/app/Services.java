package io.imsm.server.app;

import io.imsm.server.access.CatalogService;
import io.imsm.server.audit.AuditLog;
import io.imsm.server.identity.AccountService;
import io.imsm.server.identity.AdminService;
import io.imsm.server.identity.BearerAuthenticator;
import io.imsm.server.identity.Bootstrap;
import io.imsm.server.identity.IdentityService;
import io.imsm.server.identity.LoginThrottle;
import io.imsm.server.identity.MfaPolicies;
import io.imsm.server.identity.MfaPolicy;
import io.imsm.server.identity.PasswordHasher;
import io.imsm.server.identity.PasswordPolicy;
import io.imsm.server.identity.Secrets;
import io.imsm.server.keys.SigningKeys;
import io.imsm.server.store.AuditStore;
import io.imsm.server.store.InviteStore;
import io.imsm.server.store.KeyStore;
import io.imsm.server.store.TokenSessionStore;
import io.imsm.server.kx.KeyExchangeClient;
import io.imsm.server.token.Outbox;
import io.imsm.server.token.TokenService;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import io.imsm.server.store.ServiceStore;
import io.imsm.server.store.SessionStore;
import io.imsm.server.store.SettingsStore;
import io.imsm.server.store.UserStore;

/** Explicit wiring: builds every service from the ProcessContext. No container, no reflection. */
public final class Services {
    public final ProcessContext ctx;
    public final UserStore userStore = new UserStore();
    public final SessionStore sessionStore = new SessionStore();
    public final InviteStore inviteStore = new InviteStore();
    public final SettingsStore settingsStore = new SettingsStore();
    public final AuditStore auditStore = new AuditStore();
    public final KeyStore keyStore = new KeyStore();
    public final ServiceStore serviceStore = new ServiceStore();
    public final TokenSessionStore tokenSessionStore = new TokenSessionStore();
    /** The issuer / base URL; set to the real listener address once the HTTP server is up (port 0 in tests). */
    public final AtomicReference<String> baseUrl;
    /** Asks the outbox worker to run now (set by the server; a no-op until then). */
    public final AtomicReference<Runnable> outboxKick = new AtomicReference<>(() -> { });
    public final Secrets secrets;
    public final AuditLog audit;
    public final PasswordHasher hasher;
    public final PasswordPolicy passwordPolicy;
    public final LoginThrottle throttle;
    public final MfaPolicies mfaPolicies;
    public final SigningKeys signingKeys;
    public final IdentityService identity;
    public final AccountService account;
    public final AdminService admin;
    public final Bootstrap bootstrap;
    public final BearerAuthenticator bearer;
    public final CatalogService catalog;
    public final KeyExchangeClient kx;
    public final TokenService tokens;
    public final Outbox outbox;

    public Services(ProcessContext ctx) {
        this.ctx = ctx;
        Config cfg = ctx.config();
        this.secrets = new Secrets(ctx.random());
        this.audit = new AuditLog(auditStore, ctx.clock());
        this.hasher = new PasswordHasher(cfg.passwords());
        this.passwordPolicy = new PasswordPolicy(cfg.passwords().minLength(), cfg.passwords().minStrength());
        this.throttle = ctx.database().isPostgres()
                ? LoginThrottle.shared(ctx.database().dataSource(), cfg.login(), ctx.clock())
                : LoginThrottle.inMemory(cfg.login(), ctx.clock());
        this.mfaPolicies = new MfaPolicies(ctx.database(), settingsStore);
        this.signingKeys = new SigningKeys(ctx.database(), keyStore, ctx.kek(), ctx.clock(), ctx.random());
        String issuerName = "IMSM " + ctx.config().publicUri().getHost();
        this.identity = new IdentityService(ctx.database(), userStore, sessionStore, audit, hasher, throttle, mfaPolicies,
                ctx.kek(), secrets, ctx.clock(), cfg.sessions());
        this.account = new AccountService(ctx.database(), userStore, sessionStore, inviteStore, audit, hasher, passwordPolicy,
                throttle, ctx.kek(), secrets, ctx.clock(), cfg.sessions(), issuerName);
        this.admin = new AdminService(ctx.database(), userStore, sessionStore, inviteStore, audit, hasher, passwordPolicy,
                mfaPolicies, secrets, ctx.clock());
        this.catalog = new CatalogService(ctx.database(), serviceStore, audit, ctx.clock());
        this.baseUrl = new AtomicReference<>(cfg.publicUri().toString());
        this.kx = new KeyExchangeClient(signingKeys, baseUrl::get, ctx.clock(), ctx.random(), Duration.ofSeconds(cfg.kx().timeoutSeconds()));
        this.outbox = new Outbox(ctx.database(), tokenSessionStore, catalog, kx, ctx.clock());
        this.tokens = new TokenService(ctx.database(), tokenSessionStore, catalog, kx, signingKeys, audit, baseUrl::get,
                ctx.clock(), ctx.random(), () -> outboxKick.get().run());
        this.bearer = new BearerAuthenticator(ctx.bootstrapToken(), ctx.database(), audit);
        this.bootstrap = new Bootstrap(ctx.database(), userStore, sessionStore, settingsStore, audit, hasher, secrets, ctx.clock());
    }

    /** Migrations, keys, the initial MFA policy: what must hold before the first request. */
    public void prepare() {
        ctx.database().migrate();
        signingKeys.loadOrGenerate();
        Config.Mfa m = ctx.config().mfa();
        ctx.database().inTransaction(h -> {
            mfaPolicies.seed(h, new MfaPolicy(m.requiredForAll(), m.requiredRoles()));
            return null;
        });
    }
}
