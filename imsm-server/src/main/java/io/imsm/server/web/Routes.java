package io.imsm.server.web;

import io.imsm.server.web.api.AccountApi;
import io.imsm.server.web.api.AdminApi;
import io.imsm.server.web.api.ApiTokenApi;
import io.imsm.server.web.api.IngressApi;
import io.imsm.server.web.api.ScopeMappingApi;
import io.imsm.server.web.api.CatalogApi;
import io.imsm.server.web.api.GatewayApi;
import io.imsm.server.web.api.HookApi;
import io.imsm.server.web.api.SystemApi;
import io.imsm.server.web.api.RevocationApi;
import io.imsm.server.web.api.TokenApi;
import io.imsm.server.web.api.PkiApi;
import io.imsm.server.web.ui.AdminPages;
import io.imsm.server.web.ui.ApiTokenPages;
import io.imsm.server.web.ui.HookPages;
import io.imsm.server.web.ui.ClientPages;
import io.imsm.server.web.ui.Pages;
import io.imsm.server.web.ui.TokenPages;
import io.imsm.server.web.api.AuditApi;
import io.imsm.server.web.ui.AuditPages;
import io.imsm.server.web.ui.RequestPages;
import io.imsm.server.web.api.RequestsApi;
import io.imsm.server.web.api.OAuthAdminApi;
import io.imsm.server.web.api.OAuthApi;
import io.imsm.server.web.ui.OAuthPages;
import io.javalin.config.RoutesConfig;

import java.util.Objects;

/**
 * Every route the server serves, in one table: method and path, then the handler method that
 * serves it. A handler parses the request, resolves the caller, calls one service method and
 * renders; the rule behind a route is in that service method. Keep the OpenAPI description
 * (resources/openapi.json) in step with the /api routes: OpenApiTest compares them.
 */
public final class Routes {
    private final SystemApi system;
    private final AccountApi accountApi;
    private final AdminApi adminApi;
    private final CatalogApi catalogApi;
    private final TokenApi tokenApi;
    private final RevocationApi revocationApi;
    private final Pages pages;
    private final AdminPages adminPages;
    private final TokenPages tokenPages;
    private final GatewayApi gatewayApi;
    private final ApiTokenApi apiTokenApi;
    private final IngressApi ingressApi;
    private final ScopeMappingApi scopeMappingApi;
    private final ApiTokenPages apiTokenPages;
    private final AuditApi auditApi;
    private final AuditPages auditPages;
    private final RequestsApi requestsApi;
    private final RequestPages requestPages;
    private final OAuthApi oauthApi;
    private final OAuthAdminApi oauthAdminApi;
    private final OAuthPages oauthPages;
    private final PkiApi pkiApi;
    private final HookApi hookApi;
    private final HookPages hookPages;
    private final ClientPages clientPages;

    public Routes(SystemApi system, AccountApi accountApi, AdminApi adminApi, CatalogApi catalogApi, TokenApi tokenApi, RevocationApi revocationApi,
                  Pages pages, AdminPages adminPages, TokenPages tokenPages,
                  GatewayApi gatewayApi,
                  ApiTokenApi apiTokenApi, IngressApi ingressApi, ScopeMappingApi scopeMappingApi,
                  ApiTokenPages apiTokenPages,
                  AuditApi auditApi, AuditPages auditPages, RequestsApi requestsApi, RequestPages requestPages,
                  OAuthApi oauthApi, OAuthAdminApi oauthAdminApi, OAuthPages oauthPages,
                  PkiApi pkiApi,
                  HookApi hookApi, HookPages hookPages,
                  ClientPages clientPages) {
        this.system = Objects.requireNonNull(system);
        this.accountApi = Objects.requireNonNull(accountApi);
        this.adminApi = Objects.requireNonNull(adminApi);
        this.catalogApi = Objects.requireNonNull(catalogApi);
        this.tokenApi = Objects.requireNonNull(tokenApi);
        this.revocationApi = Objects.requireNonNull(revocationApi);
        this.pages = Objects.requireNonNull(pages);
        this.adminPages = Objects.requireNonNull(adminPages);
        this.tokenPages = Objects.requireNonNull(tokenPages);
        this.gatewayApi = Objects.requireNonNull(gatewayApi);
        this.apiTokenApi = Objects.requireNonNull(apiTokenApi);
        this.ingressApi = Objects.requireNonNull(ingressApi);
        this.scopeMappingApi = Objects.requireNonNull(scopeMappingApi);
        this.apiTokenPages = Objects.requireNonNull(apiTokenPages);
        this.auditApi = Objects.requireNonNull(auditApi);
        this.auditPages = Objects.requireNonNull(auditPages);
        this.requestsApi = Objects.requireNonNull(requestsApi);
        this.requestPages = Objects.requireNonNull(requestPages);
        this.oauthApi = Objects.requireNonNull(oauthApi);
        this.oauthAdminApi = Objects.requireNonNull(oauthAdminApi);
        this.oauthPages = Objects.requireNonNull(oauthPages);
        this.pkiApi = Objects.requireNonNull(pkiApi);
        this.hookApi = Objects.requireNonNull(hookApi);
        this.hookPages = Objects.requireNonNull(hookPages);
        this.clientPages = Objects.requireNonNull(clientPages);
    }

    void addTo(RoutesConfig r) {
        // Operations and discovery (no login)
        r.get("/healthz",                                    system::health);
        r.get("/readyz",                                     system::ready);
        r.get("/metrics",                                    system::metrics);
        r.get("/.well-known/jwks.json",                      system::jwks);
        r.get("/api/v1/openapi.json",                        system::openApi);

        // JSON API: login and the caller's own account
        r.post("/api/v1/login",                              accountApi::login);
        r.post("/api/v1/logout",                             accountApi::logout);
        r.get("/api/v1/me",                                  accountApi::me);
        r.put("/api/v1/me/password",                         accountApi::changePassword);
        r.put("/api/v1/me/phone",                            accountApi::changePhone);
        r.post("/api/v1/me/totp",                            accountApi::startTotp);
        r.post("/api/v1/me/totp/confirm",                    accountApi::confirmTotp);
        r.post("/api/v1/me/totp/remove",                     accountApi::removeTotp);
        r.post("/api/v1/me/recovery-codes",                  accountApi::recoveryCodes);
        r.get("/api/v1/me/sessions",                         accountApi::sessions);
        r.delete("/api/v1/me/sessions/{id}",                 accountApi::endSession);
        r.post("/api/v1/invites/{token}",                    accountApi::acceptInvite);

        // JSON API: people and the MFA policy (admins)
        r.get("/api/v1/admin/users",                         adminApi::list);
        r.post("/api/v1/admin/users",                        adminApi::create);
        r.get("/api/v1/admin/users/{id}",                    adminApi::get);
        r.put("/api/v1/admin/users/{id}/roles",              adminApi::roles);
        r.put("/api/v1/admin/users/{id}/status",             adminApi::status);
        r.post("/api/v1/admin/users/{id}/mfa-reset",         adminApi::mfaReset);
        r.put("/api/v1/admin/users/{id}/profile",            adminApi::profile);
        r.post("/api/v1/admin/users/{id}/unlock",            adminApi::unlock);
        r.post("/api/v1/admin/users/{id}/password-reset",    adminApi::passwordReset);
        r.post("/api/v1/admin/users/{id}/invite",            adminApi::invite);
        r.get("/api/v1/admin/users/{id}/tokens",             adminApi::listTokens);
        r.delete("/api/v1/admin/users/{id}/tokens",          adminApi::revokeAllTokens);
        r.delete("/api/v1/admin/users/{id}/tokens/{sid}",    adminApi::revokeToken);
        r.get("/api/v1/admin/policy/mfa",                    adminApi::getPolicy);
        r.put("/api/v1/admin/policy/mfa",                    adminApi::putPolicy);

        // JSON API: the service catalog
        r.get("/api/v1/admin/services",                      catalogApi::list);
        r.post("/api/v1/admin/services",                     catalogApi::create);
        r.post("/api/v1/admin/services/apply",               catalogApi::apply);
        r.get("/api/v1/admin/services/{id}",                 catalogApi::get);
        r.put("/api/v1/admin/services/{id}",                 catalogApi::put);
        r.delete("/api/v1/admin/services/{id}",              catalogApi::delete);
        r.post("/api/v1/admin/services/{id}/test",           catalogApi::test);
        r.get("/api/v1/services",                            catalogApi::menu);

        // JSON API: tokens
        r.post("/api/v1/services/{id}/tokens",               tokenApi::issue);
        r.get("/api/v1/sessions",                            tokenApi::list);
        r.delete("/api/v1/sessions/{sid}",                   tokenApi::revoke);
        r.get("/api/v1/services/{id}/revocations",           revocationApi::list);

        // Service identity: CA, join tokens, enrollment and renewal (mTLS), certificates, key registry
        r.get("/api/v1/ca",                                  pkiApi::ca);
        r.get("/api/v1/ca/crl",                              pkiApi::crl);
        r.post("/api/v1/admin/services/{id}/join-tokens",    pkiApi::createJoinToken);
        r.get("/api/v1/admin/services/{id}/identity",        pkiApi::getIdentity);
        r.put("/api/v1/admin/services/{id}/identity",        pkiApi::putIdentity);
        r.post("/api/v1/enroll",                             pkiApi::enroll);
        r.post("/api/v1/renew",                              pkiApi::renew);
        r.get("/api/v1/admin/certificates",                  pkiApi::listCertificates);
        r.post("/api/v1/admin/certificates/{serial}/revoke", pkiApi::revokeCertificate);
        r.get("/api/v1/services/keys",                       pkiApi::serviceKeys);
        // Certificate → JWT for services (RFC 8705 tls_client_auth) is a case of POST /oauth2/token (OAuthApi)

        // JSON API: the identity gateway (docs/gateway.md)
        r.get("/api/v1/gateway",                             gatewayApi::gateway);
        r.post("/api/v1/gateway/services/domain",            gatewayApi::registerDomainController);
        r.get("/api/v1/gateway/services/domain/credentials", gatewayApi::credential);
        r.delete("/api/v1/gateway/services/domain/credentials", gatewayApi::revoke);
        r.post("/api/v1/gateway/credentials/verify",         gatewayApi::verify);
        r.get("/api/v1/metadata/controller/ddo/{did}",       gatewayApi::ddo);

        // Pages: login, home, own settings, invites
        r.get("/",                                           pages::home);
        r.get("/login",                                      pages::loginPage);
        r.post("/login",                                     pages::loginSubmit);
        r.get("/login/otp",                                  pages::otpPage);
        r.post("/login/otp",                                 pages::otpSubmit);
        r.post("/logout",                                    pages::logout);
        r.get("/settings",                                   pages::settings);
        r.post("/settings/phone",                            pages::phone);
        r.post("/settings/sessions/{id}/end",                pages::endSession);
        r.post("/settings/sessions/end-others",              pages::endOtherSessions);
        r.post("/settings/recovery-codes",                   pages::recoveryCodes);
        r.post("/settings/totp/remove",                      pages::removeTotp);
        r.get("/settings/password",                          pages::passwordPage);
        r.post("/settings/password",                         pages::passwordSubmit);
        r.get("/settings/totp",                              pages::totpPage);
        r.post("/settings/totp/start",                       pages::totpStart);
        r.post("/settings/totp",                             pages::totpSubmit);
        r.get("/invite/{token}",                             pages::invitePage);
        r.post("/invite/{token}",                            pages::inviteSubmit);

        // Pages: the admin area
        r.get("/admin/users",                                adminPages::adminUsers);
        r.post("/admin/users",                               adminPages::adminCreate);
        r.get("/admin/users/{id}",                           adminPages::adminUser);
        r.post("/admin/users/{id}/roles",                    adminPages::adminRoles);
        r.post("/admin/users/{id}/status",                   adminPages::adminStatus);
        r.post("/admin/users/{id}/mfa-reset",                adminPages::adminMfaReset);
        r.post("/admin/users/{id}/profile",                  adminPages::adminProfile);
        r.post("/admin/users/{id}/unlock",                   adminPages::adminUnlock);
        r.post("/admin/users/{id}/password-reset",           adminPages::adminPasswordReset);
        r.post("/admin/users/{id}/invite",                   adminPages::adminInvite);
        r.post("/admin/users/{id}/tokens/revoke",            adminPages::adminRevokeAllTokens);
        r.post("/admin/users/{id}/tokens/{sid}/revoke",      adminPages::adminRevokeToken);
        r.get("/admin/services",                             adminPages::adminServices);
        r.post("/admin/services",                            adminPages::adminServiceSave);
        r.get("/admin/services/new",                         adminPages::adminServiceNew);
        r.post("/admin/services/test",                       adminPages::adminServiceTest);
        r.post("/admin/services/import",                     adminPages::adminServiceImport);
        r.get("/admin/services/{id}",                        adminPages::adminService);
        r.get("/admin/services/{id}/export",                 adminPages::adminServiceExport);
        r.post("/admin/services/{id}/delete",                adminPages::adminServiceDelete);

        // Pages: asking for and revoking tokens
        r.get("/services/{id}",                              tokenPages::serviceForm);
        r.post("/services/{id}",                             tokenPages::serviceSubmit);
        r.post("/sessions/{sid}/revoke",                     tokenPages::revokeToken);

        // JSON API: people's API tokens, their history, token exchange (delegated tokens)
        r.get("/api/v1/tokens",                              apiTokenApi::list);
        r.post("/api/v1/tokens",                             apiTokenApi::create);
        r.post("/api/v1/tokens/delegate",                    apiTokenApi::delegate);
        r.get("/api/v1/tokens/{key}",                        apiTokenApi::get);
        r.patch("/api/v1/tokens/{key}",                      apiTokenApi::update);
        r.delete("/api/v1/tokens/{key}",                     apiTokenApi::delete);
        r.get("/api/v1/tokens/{key}/history",                apiTokenApi::history);
        r.get("/api/v1/admin/users/{username}/api-tokens",   apiTokenApi::adminList);
        r.post("/api/v1/admin/users/{username}/api-tokens",  apiTokenApi::adminCreate);
        r.get("/api/v1/admin/users/{username}/api-tokens/{key}",         apiTokenApi::adminGet);
        r.patch("/api/v1/admin/users/{username}/api-tokens/{key}",       apiTokenApi::adminUpdate);
        r.delete("/api/v1/admin/users/{username}/api-tokens/{key}",      apiTokenApi::adminDelete);
        r.get("/api/v1/admin/users/{username}/api-tokens/{key}/history", apiTokenApi::adminHistory);
        r.get("/api/v1/admin/token-history",                 apiTokenApi::search);
        r.get("/api/v1/admin/scope-mapping",                 scopeMappingApi::get);
        r.put("/api/v1/admin/scope-mapping",                 scopeMappingApi::put);

        // Pages: the person's API tokens
        r.get("/tokens",                                     apiTokenPages::list);
        r.post("/tokens",                                    apiTokenPages::create);
        r.get("/tokens/{key}",                               apiTokenPages::token);
        r.post("/tokens/{key}/name",                         apiTokenPages::rename);
        r.post("/tokens/{key}/scopes",                       apiTokenPages::scopes);
        r.post("/tokens/{key}/delete",                       apiTokenPages::delete);

        // Forward auth for ingresses (nginx auth_request, Traefik ForwardAuth, Envoy ext_authz: any method, any path below)
        r.get("/ingress/auth",                               ingressApi::check);
        r.get("/ingress/auth/<path>",                        ingressApi::check);
        r.head("/ingress/auth/<path>",                       ingressApi::check);
        r.post("/ingress/auth/<path>",                       ingressApi::check);
        r.put("/ingress/auth/<path>",                        ingressApi::check);
        r.patch("/ingress/auth/<path>",                      ingressApi::check);
        r.delete("/ingress/auth/<path>",                     ingressApi::check);

        // The audit log (admins)
        r.get("/api/v1/admin/audit",                         auditApi::list);
        r.get("/admin/audit",                                auditPages::adminAudit);

        // Access requests and approvals
        r.get("/api/v1/requests",                            requestsApi::list);
        r.get("/api/v1/requests/{id}",                       requestsApi::get);
        r.post("/api/v1/requests/{id}/approve",              requestsApi::approve);
        r.post("/api/v1/requests/{id}/deny",                 requestsApi::deny);
        r.post("/api/v1/requests/{id}/cancel",               requestsApi::cancel);
        r.post("/api/v1/requests/{id}/token",                requestsApi::token);
        r.get("/requests",                                   requestPages::queue);
        r.get("/requests/{id}",                              requestPages::request);
        r.post("/requests/{id}/approve",                     requestPages::approve);
        r.post("/requests/{id}/deny",                        requestPages::deny);
        r.post("/requests/{id}/cancel",                      requestPages::cancel);
        r.post("/requests/{id}/token",                       requestPages::pickUp);

        // OAuth 2 / OpenID Connect provider (docs/oauth.md)
        r.get("/.well-known/openid-configuration",           oauthApi::discovery);
        r.get("/.well-known/oauth-authorization-server",     oauthApi::discovery);
        r.post("/oauth2/token",                              oauthApi::token);
        r.post("/oauth2/introspect",                         oauthApi::introspect);
        r.post("/oauth2/revoke",                             oauthApi::revoke);
        r.post("/oauth2/device_authorization",               oauthApi::deviceAuthorization);
        r.get("/oauth2/userinfo",                            oauthApi::userinfo);
        r.post("/oauth2/userinfo",                           oauthApi::userinfo);
        r.get("/oauth2/authorize",                           oauthPages::authorize);
        r.post("/oauth2/authorize",                          oauthPages::consent);
        r.get("/oauth2/logout",                              oauthPages::endSession);
        r.get("/device",                                     oauthPages::devicePage);
        r.post("/device",                                    oauthPages::deviceDecision);
        r.get("/api/v1/admin/clients",                       oauthAdminApi::list);
        r.post("/api/v1/admin/clients",                      oauthAdminApi::create);
        r.post("/api/v1/admin/clients/apply",                oauthAdminApi::apply);
        r.get("/api/v1/admin/clients/{id}",                  oauthAdminApi::get);
        r.put("/api/v1/admin/clients/{id}",                  oauthAdminApi::put);
        r.delete("/api/v1/admin/clients/{id}",               oauthAdminApi::delete);
        r.post("/api/v1/admin/clients/{id}/secret",          oauthAdminApi::rotateSecret);
        r.post("/api/v1/admin/keys/rotate",                  oauthAdminApi::rotateKeys);
        // JSON API: notification and decision hooks, undelivered events (admins)
        r.get("/api/v1/admin/hooks",                         hookApi::list);
        r.post("/api/v1/admin/hooks",                        hookApi::create);
        r.post("/api/v1/admin/hooks/apply",                  hookApi::apply);
        r.get("/api/v1/admin/hooks/{id}",                    hookApi::get);
        r.put("/api/v1/admin/hooks/{id}",                    hookApi::put);
        r.delete("/api/v1/admin/hooks/{id}",                 hookApi::delete);
        r.get("/api/v1/admin/events/dead-letters",           hookApi::deadLetters);
        r.post("/api/v1/admin/events/dead-letters/{id}/replay", hookApi::replay);

        // Pages: hooks and undelivered events (admins)
        r.get("/admin/hooks",                                hookPages::adminHooks);
        r.post("/admin/hooks",                               hookPages::adminHookSave);
        r.post("/admin/hooks/{id}/delete",                   hookPages::adminHookDelete);
        r.post("/admin/events/dead-letters/{id}/replay",     hookPages::adminReplay);

        // Pages: registered OAuth clients (admins)
        r.get("/admin/clients",                              clientPages::adminClients);
        r.post("/admin/clients",                             clientPages::adminClientCreate);
        r.post("/admin/clients/{id}/rotate-secret",          clientPages::adminClientRotate);
        r.post("/admin/clients/{id}/delete",                 clientPages::adminClientDelete);
    }
}
