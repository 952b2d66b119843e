package io.imsm.server.app;

import io.imsm.server.ErrorCode;
import io.imsm.server.ImsmException;
import io.imsm.server.access.CatalogService;
import io.imsm.server.access.PolicyRules;
import io.imsm.server.access.ScopeMapping;
import io.imsm.server.access.ScopeMappings;
import io.imsm.server.apitoken.ApiTokenService;
import io.imsm.server.apitoken.ApiTokenSubjects;
import io.imsm.server.apitoken.IngressAuth;
import io.imsm.server.apitoken.LoginRedirects;
import io.imsm.server.apitoken.RevokerWithApiTokens;
import io.imsm.server.store.ApiTokenStore;
import io.imsm.server.store.ScopeMappingStore;
import io.imsm.server.web.api.ApiTokenApi;
import io.imsm.server.web.api.IngressApi;
import io.imsm.server.web.api.ScopeMappingApi;
import io.imsm.server.web.ui.ApiTokenPages;
import io.imsm.server.access.ServiceUrls;
import io.imsm.server.approval.AccessRequests;
import io.imsm.server.audit.AuditLog;
import io.imsm.server.audit.FailureSampler;
import io.imsm.server.audit.Retention;
import io.imsm.server.audit.review.AuditService;
import io.imsm.server.config.Config;
import io.imsm.server.gateway.AdminNetworks;
import io.imsm.server.gateway.CredentialLedger;
import io.imsm.server.gateway.GatewayKey;
import io.imsm.server.gateway.GatewayService;
import io.imsm.server.gateway.LdapDirectory;
import io.imsm.server.events.EventOutbox;
import io.imsm.server.hooks.DecisionHooks;
import io.imsm.server.hooks.EventDelivery;
import io.imsm.server.hooks.HookHttp;
import io.imsm.server.hooks.HookService;
import io.imsm.server.identity.AccountService;
import io.imsm.server.identity.AdminService;
import io.imsm.server.identity.BearerAuthenticator;
import io.imsm.server.identity.Bootstrap;
import io.imsm.server.identity.IdentityService;
import io.imsm.server.identity.LoginNames;
import io.imsm.server.identity.LoginThrottle;
import io.imsm.server.identity.MfaPolicies;
import io.imsm.server.identity.MfaPolicy;
import io.imsm.server.identity.PasswordHasher;
import io.imsm.server.identity.PasswordPolicy;
import io.imsm.server.identity.Secrets;
import io.imsm.server.keys.RecoveryCodeKey;
import io.imsm.server.keys.SigningKeys;
import io.imsm.server.kx.KeyExchangeClient;
import io.imsm.server.store.AccessRequestStore;
import io.imsm.server.store.AuditStore;
import io.imsm.server.store.GatewayStore;
import io.imsm.server.store.EventStore;
import io.imsm.server.store.HookStore;
import io.imsm.server.store.InviteStore;
import io.imsm.server.store.RateLimitStore;
import io.imsm.server.store.KeyStore;
import io.imsm.server.store.ServiceStore;
import io.imsm.server.store.SessionStore;
import io.imsm.server.store.SettingsStore;
import io.imsm.server.store.TokenSessionStore;
import io.imsm.server.store.UserStore;
import io.imsm.server.store.RateLimitBuckets;
import io.imsm.server.token.IssuanceLimits;
import io.imsm.server.token.Outbox;
import io.imsm.server.token.OutboxWorker;
import io.imsm.server.token.RevocationLists;
import io.imsm.server.token.KeyExchangeCheck;
import io.imsm.server.token.TokenRevocations;
import io.imsm.server.token.TokenService;
import io.imsm.server.oauth.AccessTokenCallers;
import io.imsm.server.oauth.AccessTokens;
import io.imsm.server.oauth.Authorization;
import io.imsm.server.oauth.AuthorizationCodeGrant;
import io.imsm.server.oauth.ClientAuthenticator;
import io.imsm.server.oauth.ClientCredentialsGrant;
import io.imsm.server.oauth.ClientRegistry;
import io.imsm.server.oauth.ClientSecretAuth;
import io.imsm.server.oauth.DeviceCodeGrant;
import io.imsm.server.oauth.OAuthTokens;
import io.imsm.server.oauth.PersonTokens;
import io.imsm.server.oauth.PrivateKeyJwtAuth;
import io.imsm.server.oauth.RefreshTokenGrant;
import io.imsm.server.oauth.TokenEndpoint;
import io.imsm.server.oauth.TokenExchangeGrant;
import io.imsm.server.store.OAuthClientStore;
import io.imsm.server.store.OAuthTokenStore;
import io.imsm.server.web.api.OAuthAdminApi;
import io.imsm.server.web.api.OAuthApi;
import io.imsm.server.web.ui.OAuthPages;
import io.imsm.server.web.ErrorMapper;
import io.imsm.server.web.Routes;
import io.imsm.server.web.api.AccountApi;
import io.imsm.server.web.api.AdminApi;
import io.imsm.server.web.api.AuditApi;
import io.imsm.server.web.api.RequestsApi;
import io.imsm.server.web.api.CatalogApi;
import io.imsm.server.web.api.GatewayApi;
import io.imsm.server.web.api.HookApi;
import io.imsm.server.web.api.MetricsEndpoint;
import io.imsm.server.web.api.SystemApi;
import io.imsm.server.web.api.RevocationApi;
import io.imsm.server.web.api.TokenApi;
import io.imsm.server.web.http.WebAuth;
import io.imsm.server.web.ui.AdminPages;
import io.imsm.server.web.ui.AuditPages;
import io.imsm.server.web.ui.RequestPages;
import io.imsm.server.web.ui.HookPages;
import io.imsm.server.web.ui.ClientPages;
import io.imsm.server.web.ui.PageRenderer;
import io.imsm.server.web.ui.PageSupport;
import io.imsm.server.web.ui.Pages;
import io.imsm.server.web.ui.TokenPages;
import io.imsm.server.pki.CertificateAuthority;
import io.imsm.server.pki.ServiceCertificates;
import io.imsm.server.pki.ServiceIdentities;
import io.imsm.server.pki.ServiceTokens;
import io.imsm.server.store.CaStore;
import io.imsm.server.store.JoinTokenStore;
import io.imsm.server.store.ServiceCertificateStore;
import io.imsm.server.store.ServiceIdentityStore;
import io.imsm.server.web.api.PkiApi;
import io.imsm.server.web.api.ServiceTokenApi;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * The composition root: builds every store, service and HTTP handler once, in dependency order, from
 * the {@link ProcessContext} and the base URL people and services use. No container, no reflection,
 * nothing set after construction. The server, the CLI and the tests all use it.
 */
public final class Wiring {
    private final ProcessContext ctx;
    private final String baseUrl;
    private final UserStore userStore = new UserStore();
    private final SessionStore sessionStore = new SessionStore();
    private final InviteStore inviteStore = new InviteStore();
    private final SettingsStore settingsStore = new SettingsStore();
    private final AuditStore auditStore = new AuditStore();
    private final KeyStore keyStore = new KeyStore();
    private final ServiceStore serviceStore = new ServiceStore();
    private final TokenSessionStore tokenSessionStore = new TokenSessionStore();
    private final OAuthTokenStore oauthTokenStore = new OAuthTokenStore();
    private final HookStore hookStore = new HookStore();
    private final Secrets secrets;
    private final AuditLog audit;
    private final PasswordHasher hasher;
    private final MfaPolicies mfaPolicies;
    private final SigningKeys signingKeys;
    private final RecoveryCodeKey recoveryCodeKey;
    private final MetricsEndpoint metricsEndpoint;
    private final IdentityService identity;
    private final AccountService account;
    private final AdminService admin;
    private final Bootstrap bootstrap;
    private final BearerAuthenticator bearer;
    private final CatalogService catalog;
    private final ScopeMapping scopeMapping;
    private final ScopeMappings scopeMappings;
    private final ApiTokenService apiTokens;
    private final KeyExchangeClient kx;
    private final TokenService tokens;
    private final KeyExchangeCheck kxCheck;
    private final Outbox outbox;
    private final Retention retention;
    private final OutboxWorker outboxWorker;
    private final ClientRegistry clients;
    private final TokenEndpoint tokenEndpoint;
    private final Routes routes;
    private final ErrorMapper errors;
    private final GatewayKey gatewayKey;
    private final GatewayService gateway;
    private final AuditService auditService;
    private final AccessRequests accessRequests;
    private final CertificateAuthority ca;
    private final ServiceCertificates serviceCertificates;
    private final ServiceTokens serviceTokens;
    private final HookService hooks;
    private final HookHttp hookHttp;
    private final EventDelivery eventDelivery;

    /**
     * @param baseUrl where people and services reach this server ({@code server.public_url}, else the
     *                listener's address with its port already resolved); the token issuer
     */
    public Wiring(ProcessContext ctx, String baseUrl) {
        this.ctx = Objects.requireNonNull(ctx);
        this.baseUrl = Objects.requireNonNull(baseUrl);
        Config cfg = ctx.config();
        this.secrets = new Secrets(ctx.random());
        EventStore eventStore = new EventStore(ctx.database().isPostgres());
        AccessRequestStore accessRequestStore = new AccessRequestStore();
        this.audit = new AuditLog(ctx.database(), auditStore, ctx.clock(),
                new EventOutbox(eventStore, hookStore, userStore, accessRequestStore, ctx.random()));
        this.hasher = new PasswordHasher(cfg.passwords(), ctx.random());
        PasswordPolicy passwordPolicy = new PasswordPolicy(cfg.passwords().minLength(), cfg.passwords().minStrength());
        LoginThrottle throttle = ctx.database().isPostgres()
                ? LoginThrottle.shared(ctx.database().dataSource(), cfg.login(), ctx.clock())
                : LoginThrottle.inMemory(cfg.login(), ctx.clock());
        this.mfaPolicies = new MfaPolicies(ctx.database(), settingsStore, ctx.clock());
        // a retired key stays published as long as the longest-lived token it may have signed: a catalog
        // service token or an OAuth access / ID token
        this.signingKeys = new SigningKeys(ctx.database(), keyStore, ctx.kek(), audit, ctx.clock(), ctx.random(),
                new SigningKeys.Rotation(Duration.ofDays(cfg.oauth().keyRotationDays()), Duration.ofSeconds(cfg.oauth().keyPublishAheadSeconds()),
                        Duration.ofSeconds(Math.max(io.imsm.server.access.CatalogService.MAX_TTL, cfg.oauth().maxAccessTokenTtlSeconds()))));
        this.recoveryCodeKey = new RecoveryCodeKey(ctx.database(), settingsStore, ctx.kek(), ctx.random());
        String issuerName = "IMSM " + cfg.publicUri().getHost();
        // at most one audit row per address (or account name) and minute for failures strangers cause
        FailureSampler failureSampler = new FailureSampler(ctx.clock(), Duration.ofMinutes(1));
        this.retention = new Retention(ctx.database(), auditStore, sessionStore, inviteStore, new RateLimitStore(), ctx.clock(),
                cfg.retention(), eventStore);
        this.identity = new IdentityService(ctx.database(), userStore, sessionStore, audit, hasher, throttle, mfaPolicies,
                ctx.kek(), recoveryCodeKey, secrets, ctx.clock(), cfg.sessions(), new LoginNames(ctx.kek()), failureSampler);
        this.account = new AccountService(ctx.database(), userStore, sessionStore, inviteStore, audit, hasher, passwordPolicy,
                throttle, ctx.kek(), recoveryCodeKey, secrets, ctx.clock(), cfg.sessions(), issuerName);
        this.scopeMapping = scopeMapping(cfg);
        ServiceUrls serviceUrls = ServiceUrls.system(cfg.services().allowLinkLocal());
        PolicyRules policyRules = new PolicyRules();
        this.catalog = new CatalogService(ctx.database(), serviceStore, audit, serviceUrls, ctx.clock(), policyRules);
        Config.Hooks hookCfg = cfg.hooks();
        this.hooks = new HookService(ctx.database(), hookStore, eventStore, audit, serviceUrls, ctx.kek(), ctx.random(), ctx.clock());
        this.hookHttp = new HookHttp(serviceUrls, Duration.ofSeconds(hookCfg.timeoutSeconds()));
        this.eventDelivery = new EventDelivery(ctx.database(), eventStore, hooks, hookHttp, userStore,
                new EventDelivery.Retries(hookCfg.maxAttempts(), Duration.ofSeconds(hookCfg.retryBaseSeconds()),
                        Duration.ofSeconds(hookCfg.retryMaxSeconds())),
                Duration.ofSeconds(hookCfg.timeoutSeconds()), Duration.ofMillis(hookCfg.pollMillis()), ctx.clock(), ctx.random());
        this.kx = new KeyExchangeClient(signingKeys, () -> baseUrl, ctx.clock(), ctx.random(), serviceUrls,
                Duration.ofSeconds(cfg.kx().timeoutSeconds()));
        this.kxCheck = new KeyExchangeCheck(ctx.database(), catalog, kx, audit, ctx.clock());
        this.outbox = new Outbox(ctx.database(), tokenSessionStore, catalog, kx, ctx.clock());
        this.outboxWorker = new OutboxWorker(outbox);
        TokenRevocations revocations = new TokenRevocations(tokenSessionStore, catalog, ctx.clock(), outboxWorker::deliverSoon,
                oauthTokenStore);
        this.scopeMappings = new ScopeMappings(ctx.database(), new ScopeMappingStore(), audit, ctx.clock());
        // several instances share a PostgreSQL database: each looks for tokens revoked elsewhere four times a second
        this.apiTokens = new ApiTokenService(ctx.database(), new ApiTokenStore(), userStore, audit, secrets, ctx.clock(),
                scopeMappings::scopesFor, Duration.ofSeconds(10),
                ctx.database().isPostgres() ? java.util.Optional.of(Duration.ofMillis(250)) : java.util.Optional.empty());
        this.admin = new AdminService(ctx.database(), userStore, sessionStore, inviteStore, audit, hasher, passwordPolicy,
                mfaPolicies, secrets, new RevokerWithApiTokens(revocations, apiTokens), throttle, ctx.clock());
        RateLimitBuckets issuanceBuckets = ctx.database().isPostgres()
                ? RateLimitBuckets.shared(ctx.database().dataSource(), ctx.clock())
                : RateLimitBuckets.inMemory(ctx.clock(), Duration.ofMinutes(2), 100_000);
        this.tokens = new TokenService(ctx.database(), tokenSessionStore, userStore, revocations,
                new IssuanceLimits(cfg.issuance(), issuanceBuckets), catalog, kx, signingKeys, audit, () -> baseUrl,
                ctx.clock(), ctx.random(), outboxWorker::deliverSoon,
                new DecisionHooks(ctx.database(), hooks, hookHttp, audit, ctx.clock()));
        this.bootstrap = new Bootstrap(ctx.database(), userStore, sessionStore, settingsStore, audit, hasher, secrets, ctx.clock());

        this.gatewayKey = new GatewayKey(ctx.database(), settingsStore, ctx.kek(), ctx.random());
        this.gateway = new GatewayService(ctx.database(), new GatewayStore(), gatewayKey, signingKeys,
                new LdapDirectory(Duration.ofSeconds(cfg.gateway().ldapTimeoutSeconds())), CredentialLedger.named(cfg.gateway().ledger()),
                new AdminNetworks(cfg.gateway().adminNetworks()), audit, () -> baseUrl, cfg.gateway(), ctx.clock(), ctx.random(),
                RateLimitBuckets.inMemory(ctx.clock(), Duration.ofMinutes(2), 100_000));

        this.auditService = new AuditService(ctx.database(), auditStore);
        this.accessRequests = new AccessRequests(ctx.database(), accessRequestStore, userStore, catalog, tokens, audit, ctx.kek(),
                ctx.clock(), ctx.random());

        // The OAuth 2 / OpenID Connect provider (docs/oauth.md): client authentication methods and
        // grant handlers are lists, so another method or grant is one more entry here.
        this.clients = new ClientRegistry(ctx.database(), new OAuthClientStore(), audit, secrets, ctx.clock(), cfg.oauth());
        AccessTokens accessTokens = new AccessTokens(signingKeys, () -> baseUrl, secrets, ctx.clock());
        PersonTokens personTokens = new PersonTokens(ctx.database(), oauthTokenStore, userStore, sessionStore, accessTokens, clients,
                scopeMappings::scopesFor, secrets, audit, ctx.clock());
        ClientAuthenticator clientAuth = new ClientAuthenticator(List.of(ClientSecretAuth.basic(clients), ClientSecretAuth.post(clients),
                new PrivateKeyJwtAuth(clients, ctx.database(), oauthTokenStore, () -> baseUrl, ctx.clock()), ClientSecretAuth.none(clients)));
        OAuthTokens oauthTokens = new OAuthTokens(ctx.database(), oauthTokenStore, userStore, accessTokens, personTokens, clientAuth, audit,
                ctx.clock());
        this.tokenEndpoint = new TokenEndpoint(clientAuth, List.of(
                new AuthorizationCodeGrant(ctx.database(), oauthTokenStore, personTokens, audit, ctx.clock()),
                new RefreshTokenGrant(personTokens),
                new ClientCredentialsGrant(accessTokens, clients),
                new DeviceCodeGrant(ctx.database(), oauthTokenStore, personTokens, ctx.clock()),
                new TokenExchangeGrant(accessTokens, clients, List.of(new ApiTokenSubjects(apiTokens),
                        oauthTokens.accessTokenSubjects()))));
        Authorization authorization = new Authorization(ctx.database(), oauthTokenStore, clients, personTokens, clientAuth, accessTokens,
                secrets, audit, ctx.clock(), () -> baseUrl, cfg.oauth().codeTtlSeconds(), cfg.oauth().deviceCodeTtlSeconds());

        // bearer tokens on the API: user API tokens, then people's OAuth access tokens for IMSM's own audience (decision 0017)
        this.bearer = new BearerAuthenticator(ctx.bootstrapToken(), apiTokens.or(new AccessTokenCallers(oauthTokens, () -> baseUrl)),
                ctx.database(), audit, failureSampler, ctx.metrics());
        LoginRedirects loginRedirects = new LoginRedirects(baseUrl, cfg.ingress().redirectHosts());
        WebAuth auth = new WebAuth(identity, bearer, cfg.secureCookies(), loginRedirects);
        PageRenderer renderer = new PageRenderer();
        PageSupport pageSupport = new PageSupport(auth, ctx.clock());
        int absolute = (int) Math.min(Integer.MAX_VALUE, cfg.sessions().absoluteTimeoutSeconds());
        this.errors = new ErrorMapper(renderer, pageSupport);
        this.metricsEndpoint = new MetricsEndpoint(ctx.metrics(), ctx.metricsToken());
        // Service identity: the CA, enrollment and renewal, certificate-bound service tokens (docs/pki.md)
        this.ca = new CertificateAuthority(ctx.database(), new CaStore(), ctx.kek(), cfg.pki(), ctx.clock(), ctx.random());
        this.serviceCertificates = new ServiceCertificates(ctx.database(), new JoinTokenStore(), new ServiceCertificateStore(), ca, catalog,
                audit, secrets, cfg.pki(), ctx.clock());
        ServiceIdentities serviceIdentities = new ServiceIdentities(ctx.database(), new ServiceIdentityStore(), catalog, audit, cfg.pki(),
                ctx.clock());
        this.serviceTokens = new ServiceTokens(ctx.database(), serviceCertificates, serviceIdentities, catalog, signingKeys, audit, secrets,
                () -> baseUrl, ctx.clock());
        this.routes = new Routes(
                new SystemApi(ctx.database(), signingKeys, metricsEndpoint, ctx.health()),
                new AccountApi(identity, account, auth, scopeMappings, absolute),
                new AdminApi(admin, tokens, auth, baseUrl),
                new CatalogApi(catalog, kxCheck, auth),
                new TokenApi(tokens, auth, accessRequests),
                new RevocationApi(new RevocationLists(ctx.database(), tokenSessionStore, catalog, signingKeys, () -> baseUrl, ctx.clock(),
                        // per process on purpose: a poll should not cost a database row lock
                        RateLimitBuckets.inMemory(ctx.clock(), Duration.ofMinutes(2), 100_000))),
                new Pages(identity, account, catalog, tokens, auth, pageSupport, secrets, renderer, absolute, scopeMappings, accessRequests),
                new AdminPages(admin, catalog, tokens, kxCheck, auth, pageSupport, renderer, baseUrl),
                new TokenPages(catalog, tokens, auth, pageSupport, renderer, accessRequests),
                new GatewayApi(gateway, auth),

                new ApiTokenApi(apiTokens, auth),
                new IngressApi(new IngressAuth(apiTokens, oauthTokens, identity, ctx.clock(), loginRedirects), auth),
                new ScopeMappingApi(scopeMappings, auth),
                new ApiTokenPages(apiTokens, auth, pageSupport, renderer),

                new AuditApi(auditService, auth),
                new AuditPages(auditService, pageSupport, renderer),
                new RequestsApi(accessRequests, auth),
                new RequestPages(accessRequests, auth, pageSupport, renderer),


                new OAuthApi(tokenEndpoint, oauthTokens, authorization, accessTokens, new ServiceTokenApi(serviceTokens)),
                new OAuthAdminApi(clients, signingKeys, auth),
                new OAuthPages(authorization, identity, auth, renderer, baseUrl),
                new PkiApi(ca, serviceCertificates, serviceIdentities, auth),
                new HookApi(hooks, auth),
                new HookPages(hooks, auth, pageSupport, renderer),
                new ClientPages(clients, auth, pageSupport, renderer));
    }

    private static ScopeMapping scopeMapping(Config cfg) {
        try {
            return new ScopeMapping(cfg.scopes());
        } catch (ImsmException.Invalid e) {
            throw new ImsmException.Invalid(ErrorCode.INVALID_CONFIG, "configuration key 'scopes': " + e.getMessage());
        }
    }

    /** Migrations, keys, the initial MFA policy: what must hold before the first request. */
    public void prepare() {
        ctx.database().migrateAtStart();
        signingKeys.loadOrGenerate();
        scopeMappings.seed(scopeMapping);
        apiTokens.start();
        recoveryCodeKey.loadOrGenerate();
        gatewayKey.loadOrGenerate();
        ca.loadOrGenerate();
        Config.Mfa m = ctx.config().mfa();
        ctx.database().inTransaction(h -> {
            mfaPolicies.seed(h, new MfaPolicy(m.requiredForAll(), m.requiredRoles()));
            return null;
        });
    }

    public ProcessContext ctx() { return ctx; }
    public String baseUrl() { return baseUrl; }
    public UserStore userStore() { return userStore; }
    public KeyStore keyStore() { return keyStore; }
    public TokenSessionStore tokenSessionStore() { return tokenSessionStore; }
    public Secrets secrets() { return secrets; }
    public AuditStore auditStore() { return auditStore; }
    public AuditLog audit() { return audit; }
    public PasswordHasher hasher() { return hasher; }
    public SigningKeys signingKeys() { return signingKeys; }
    public IdentityService identity() { return identity; }
    public AccountService account() { return account; }
    public AdminService admin() { return admin; }
    public Bootstrap bootstrap() { return bootstrap; }
    public CatalogService catalog() { return catalog; }
    public ScopeMapping scopeMapping() { return scopeMapping; }
    public ScopeMappings scopeMappings() { return scopeMappings; }
    public ApiTokenService apiTokens() { return apiTokens; }
    public KeyExchangeClient kx() { return kx; }
    public TokenService tokens() { return tokens; }
    public Outbox outbox() { return outbox; }
    public Retention retention() { return retention; }
    public OutboxWorker outboxWorker() { return outboxWorker; }
    public Routes routes() { return routes; }
    public MetricsEndpoint metricsEndpoint() { return metricsEndpoint; }
    public SettingsStore settingsStore() { return settingsStore; }
    public ErrorMapper errors() { return errors; }
    public GatewayService gateway() { return gateway; }
    public AuditService auditService() { return auditService; }
    public AccessRequests accessRequests() { return accessRequests; }
    public ClientRegistry clients() { return clients; }
    public TokenEndpoint tokenEndpoint() { return tokenEndpoint; }
    public OAuthTokenStore oauthTokenStore() { return oauthTokenStore; }
    public CertificateAuthority ca() { return ca; }
    public ServiceCertificates serviceCertificates() { return serviceCertificates; }
    public ServiceTokens serviceTokens() { return serviceTokens; }
    public HookService hooks() { return hooks; }
    public HookHttp hookHttp() { return hookHttp; }
    public EventDelivery eventDelivery() { return eventDelivery; }
}
