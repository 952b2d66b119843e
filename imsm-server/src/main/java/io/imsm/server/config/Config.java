package io.imsm.server.config;

import io.imsm.server.ErrorCode;
import io.imsm.server.ImsmException;

import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The one typed configuration of the server, bound from {@code imsm-defaults.yaml}, an optional YAML
 * file, {@code IMSM_*} environment variables and command-line options (in that order). Loaded by
 * {@link ConfigLoader}, which also calls {@link #validate()}.
 */
public record Config(Server server, String dataDir, Database database, Passwords passwords,
                     Sessions sessions, Login login, Mfa mfa, Bootstrap bootstrap, Kx kx, Issuance issuance, ServiceTargets services,
                     Log log, Retention retention, Metrics metrics,
                     Map<String, List<String>> scopes,
                     Gateway gateway,
                     OAuth oauth,
                     Tls tls, Pki pki,
                     Hooks hooks,
                     Ingress ingress) {

    /** Forward auth (docs/ingress.md): the hosts, besides IMSM's own, the login may send a browser back to ({@code rd}). */
    public record Ingress(List<String> redirectHosts) {}

    /**
     * HTTPS on {@code port} (-1 = off, 0 = a free port) asking for client certificates; without
     * {@code certFile}/{@code keyFile} the server certificate for server.host comes from IMSM's own CA.
     */
    public record Tls(int port, String certFile, String keyFile) {
        public boolean enabled() { return port >= 0; }
        public boolean ownCertificate() { return certFile == null || certFile.isBlank(); }
    }

    /**
     * The certificate authority for services (docs/pki.md): SPIFFE trust domain, client-certificate and
     * join-token lifetimes, the default lifetime of a service's own tokens, and optionally an operator's
     * root (PEM files) under which IMSM's CA is an intermediate.
     */
    public record Pki(String trustDomain, long certificateTtlSeconds, long joinTokenTtlSeconds, int serviceTokenTtlSeconds,
                      String rootCertFile, String rootKeyFile) {
        public boolean operatorRoot() { return rootCertFile != null && !rootCertFile.isBlank(); }
    }

    /** @param trustedProxies addresses or CIDRs whose X-Forwarded-For / Forwarded headers are believed */
    public record Server(String host, int port, String publicUrl, int maxBodyBytes, List<String> trustedProxies) {}

    /** @param port a separate listener for {@code /metrics} on server.host; 0 = none */
    public record Metrics(int port) {}

    public record Database(String url, String username, String password, int poolSize) {
        /** Never print the password. */
        @Override public String toString() {
            return "Database[url=" + url + ", username=" + username + ", poolSize=" + poolSize + "]";
        }
    }

    public record Passwords(int argon2MemoryKib, int argon2Iterations, int argon2Parallelism, int minLength, int minStrength,
                            int maxConcurrentHashes, long hashQueueTimeoutMillis) {
        /** The configured bound, or the number of cores for 0. */
        public int effectiveMaxConcurrentHashes() {
            return maxConcurrentHashes > 0 ? maxConcurrentHashes : Runtime.getRuntime().availableProcessors();
        }
    }

    public record Sessions(long idleTimeoutSeconds, long absoluteTimeoutSeconds) {}

    public record Login(int maxFailuresPerAccount, long lockoutSeconds, int attemptsPerIpPerMinute) {}

    public record Mfa(boolean requiredForAll, List<String> requiredRoles) {}

    public record Bootstrap(String adminUsername) {}

    public record Kx(int timeoutSeconds) {}

    /** Token requests per minute, per person and per service; 0 means no limit. */
    public record Issuance(int perPersonPerMinute, int perServicePerMinute) {}

    /** Rules for the URLs of catalog services (see {@code access.ServiceUrls}). */
    public record ServiceTargets(boolean allowLinkLocal) {}

    public record Log(String format) {}

    /** How long the housekeeping keeps rows that would otherwise grow without bound. */
    public record Retention(int auditDays, int sessionsDays, int invitesDays,
                            int eventsDays) {}

    /** Delivery of events to notification hooks (docs/hooks.md). */
    public record Hooks(int timeoutSeconds, int maxAttempts, int retryBaseSeconds, int retryMaxSeconds, int pollMillis) {}

    /**
     * The identity gateway (docs/gateway.md).
     *
     * @param adminNetworks           client addresses or CIDRs domain controllers may be registered from (besides the admin role)
     * @param maxJwtLifetimeSeconds   how far ahead a holder's or controller's JWT may expire (and its exp - iat)
     * @param credentialTtlSeconds    lifetime of an issued id_token
     * @param ldapTimeoutSeconds      connect and response deadline for each call to a domain controller
     * @param requestsPerIpPerMinute  credential requests one client address may make per minute
     * @param ledger                  where credentials are also presented: none, or log
     */
    public record Gateway(List<String> adminNetworks, int maxJwtLifetimeSeconds, int credentialTtlSeconds, int ldapTimeoutSeconds,
                          int requestsPerIpPerMinute, String ledger) {}

    /**
     * The OAuth 2 / OpenID Connect provider (docs/oauth.md).
     *
     * @param keyRotationDays     the active signing key is replaced after this many days
     * @param keyPublishAheadSeconds a new key is in the JWKS at least this long before it signs (a JWKS cache interval)
     * @param maxAccessTokenTtlSeconds the upper bound of any client's access_token_ttl_seconds
     */
    public record OAuth(int keyRotationDays, long keyPublishAheadSeconds, int accessTokenTtlSeconds, int maxAccessTokenTtlSeconds,
                        long refreshTokenTtlSeconds, int codeTtlSeconds, int deviceCodeTtlSeconds) {}

    /**
     * An IPv4 or IPv6 literal with an optional prefix length. Only literals: a host name here would make
     * every start (and the address check) depend on DNS.
     */
    private static final Pattern IP_OR_CIDR = Pattern.compile(
            "(?:\\d{1,3}(?:\\.\\d{1,3}){3}(?:/\\d{1,2})?|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*(?:/\\d{1,3})?)");

    /** A host name or IP literal (IPv6 in brackets), optionally with a port. */
    private static final Pattern REDIRECT_HOST = Pattern.compile(
            "(?:\\[[0-9A-Fa-f:.]+]|[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*)(?::\\d{1,5})?");

    public Path dataPath() {
        return Path.of(dataDir).toAbsolutePath().normalize();
    }

    /** The JDBC URL in use: the configured one, or the embedded H2 file database under data_dir. */
    public String jdbcUrl() {
        if (database.url() != null && !database.url().isBlank()) {
            return database.url();
        }
        // WRITE_DELAY=0: a commit reaches the file before it returns, so a killed process loses no
        // committed change (H2 otherwise keeps commits in memory for up to half a second)
        return "jdbc:h2:file:" + dataPath().resolve("imsm") + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DEFAULT_NULL_ORDERING=HIGH;WRITE_DELAY=0";
    }

    public boolean isPostgres() {
        return jdbcUrl().startsWith("jdbc:postgresql:");
    }

    /** Base URL people and services use to reach this server. */
    public URI publicUri() {
        String url = server.publicUrl();
        if (url == null || url.isBlank()) {
            url = "http://" + server.host() + ":" + server.port();
        }
        return URI.create(url.endsWith("/") ? url.substring(0, url.length() - 1) : url);
    }

    /**
     * Cookies carry {@code Secure} except when the server is reached over plain HTTP on a loopback
     * address (local development), where a browser would otherwise drop them.
     */
    public boolean secureCookies() {
        URI uri = publicUri();
        if ("https".equalsIgnoreCase(uri.getScheme())) {
            return true;
        }
        String host = uri.getHost() == null ? "" : uri.getHost().toLowerCase(Locale.ROOT);
        return !(host.equals("localhost") || host.startsWith("127.") || host.equals("[::1]") || host.equals("::1"));
    }

    /** Refuses bad values with a message that names the key. */
    public Config validate() {
        require(server != null && database != null && passwords != null && sessions != null && login != null
                && mfa != null && bootstrap != null && kx != null && issuance != null && services != null && log != null
                && retention != null && metrics != null && scopes != null && gateway != null && oauth != null && tls != null && pki != null
                && hooks != null && ingress != null,
                "config", "a section is missing");
        require(server.host() != null && !server.host().isBlank(), "server.host", "must not be empty");
        require(server.port() >= 0 && server.port() <= 65535, "server.port", "must be between 0 and 65535, got " + server.port());
        require(server.maxBodyBytes() >= 1024, "server.max_body_bytes", "must be at least 1024");
        if (server.publicUrl() != null && !server.publicUrl().isBlank()) {
            try {
                URI u = URI.create(server.publicUrl());
                require(("http".equals(u.getScheme()) || "https".equals(u.getScheme())) && u.getHost() != null,
                        "server.public_url", "must be an absolute http(s) URL");
            } catch (IllegalArgumentException e) {
                throw bad("server.public_url", "is not a URL: " + e.getMessage());
            }
        }
        require(server.trustedProxies() != null, "server.trusted_proxies", "must be a list");
        for (String proxy : server.trustedProxies()) {
            require(proxy != null && IP_OR_CIDR.matcher(proxy.trim()).matches(), "server.trusted_proxies",
                    "must hold IP addresses or CIDRs (like 10.0.0.0/8 or fd00::/8), got '" + proxy + "'");
        }
        require(metrics.port() >= 0 && metrics.port() <= 65535, "metrics.port", "must be between 0 and 65535, got " + metrics.port());
        require(metrics.port() == 0 || metrics.port() != server.port(), "metrics.port", "must differ from server.port");
        require(dataDir != null && !dataDir.isBlank(), "data_dir", "must not be empty");
        String url = database.url();
        require(url == null || url.isBlank() || url.startsWith("jdbc:postgresql:") || url.startsWith("jdbc:h2:"),
                "database.url", "must be a jdbc:postgresql: or jdbc:h2: URL");
        require(database.poolSize() >= 1 && database.poolSize() <= 200, "database.pool_size", "must be between 1 and 200");
        require(passwords.argon2MemoryKib() >= 1024, "passwords.argon2_memory_kib", "must be at least 1024");
        require(passwords.argon2Iterations() >= 1, "passwords.argon2_iterations", "must be at least 1");
        require(passwords.argon2Parallelism() >= 1 && passwords.argon2Parallelism() <= 16,
                "passwords.argon2_parallelism", "must be between 1 and 16");
        require(passwords.minLength() >= 8 && passwords.minLength() <= 128, "passwords.min_length", "must be between 8 and 128");
        require(passwords.minStrength() >= 0 && passwords.minStrength() <= 4, "passwords.min_strength", "must be between 0 and 4");
        require(passwords.maxConcurrentHashes() >= 0 && passwords.maxConcurrentHashes() <= 1024,
                "passwords.max_concurrent_hashes", "must be between 0 (= number of cores) and 1024");
        require(passwords.hashQueueTimeoutMillis() >= 0 && passwords.hashQueueTimeoutMillis() <= 60_000,
                "passwords.hash_queue_timeout_millis", "must be between 0 and 60000");
        require(sessions.idleTimeoutSeconds() >= 60, "sessions.idle_timeout_seconds", "must be at least 60");
        require(sessions.absoluteTimeoutSeconds() >= sessions.idleTimeoutSeconds(),
                "sessions.absolute_timeout_seconds", "must not be shorter than sessions.idle_timeout_seconds");
        require(login.maxFailuresPerAccount() >= 1, "login.max_failures_per_account", "must be at least 1");
        require(login.lockoutSeconds() >= 1, "login.lockout_seconds", "must be at least 1");
        require(login.attemptsPerIpPerMinute() >= 1, "login.attempts_per_ip_per_minute", "must be at least 1");
        require(mfa.requiredRoles() != null, "mfa.required_roles", "must be a list");
        require(bootstrap.adminUsername() != null && bootstrap.adminUsername().matches("[A-Za-z0-9._-]{1,64}"),
                "bootstrap.admin_username", "must be 1-64 letters, digits, '.', '_' or '-'");
        require(kx.timeoutSeconds() >= 1 && kx.timeoutSeconds() <= 60, "kx.timeout_seconds", "must be between 1 and 60");
        require(issuance.perPersonPerMinute() >= 0, "issuance.per_person_per_minute", "must be 0 (no limit) or more");
        require(issuance.perServicePerMinute() >= 0, "issuance.per_service_per_minute", "must be 0 (no limit) or more");
        require(retention.auditDays() >= 1, "retention.audit_days", "must be at least 1");
        require(retention.sessionsDays() >= 1, "retention.sessions_days", "must be at least 1");
        require(retention.invitesDays() >= 1, "retention.invites_days", "must be at least 1");
        require(retention.eventsDays() >= 1, "retention.events_days", "must be at least 1");
        require(oauth.keyRotationDays() >= 1, "oauth.key_rotation_days", "must be at least 1");
        require(oauth.keyPublishAheadSeconds() >= 0, "oauth.key_publish_ahead_seconds", "must be 0 or more");
        require(oauth.maxAccessTokenTtlSeconds() >= 60 && oauth.maxAccessTokenTtlSeconds() <= 86_400,
                "oauth.max_access_token_ttl_seconds", "must be between 60 and 86400");
        require(oauth.accessTokenTtlSeconds() >= 60 && oauth.accessTokenTtlSeconds() <= oauth.maxAccessTokenTtlSeconds(),
                "oauth.access_token_ttl_seconds", "must be between 60 and oauth.max_access_token_ttl_seconds");
        require(oauth.refreshTokenTtlSeconds() >= 60, "oauth.refresh_token_ttl_seconds", "must be at least 60");
        require(oauth.codeTtlSeconds() >= 10 && oauth.codeTtlSeconds() <= 600, "oauth.code_ttl_seconds", "must be between 10 and 600");
        require(oauth.deviceCodeTtlSeconds() >= 60 && oauth.deviceCodeTtlSeconds() <= 3600,
                "oauth.device_code_ttl_seconds", "must be between 60 and 3600");
        require(hooks.timeoutSeconds() >= 1 && hooks.timeoutSeconds() <= 60, "hooks.timeout_seconds", "must be between 1 and 60");
        require(hooks.maxAttempts() >= 1 && hooks.maxAttempts() <= 50, "hooks.max_attempts", "must be between 1 and 50");
        require(hooks.retryBaseSeconds() >= 1, "hooks.retry_base_seconds", "must be at least 1");
        require(hooks.retryMaxSeconds() >= hooks.retryBaseSeconds(), "hooks.retry_max_seconds", "must not be less than hooks.retry_base_seconds");
        require(hooks.pollMillis() >= 50 && hooks.pollMillis() <= 60_000, "hooks.poll_millis", "must be between 50 and 60000");
        require(ingress.redirectHosts() != null, "ingress.redirect_hosts", "must be a list");
        for (String host : ingress.redirectHosts()) {
            require(host != null && REDIRECT_HOST.matcher(host.strip()).matches(), "ingress.redirect_hosts",
                    "must hold host names, optionally with a port (like app.example.org or app.example.org:8443), got '" + host + "'");
        }
        require("text".equals(log.format()) || "json".equals(log.format()), "log.format", "must be text or json");
        require(gateway.adminNetworks() != null, "gateway.admin_networks", "must be a list");
        for (String net : gateway.adminNetworks()) {
            require(net != null && IP_OR_CIDR.matcher(net.trim()).matches(), "gateway.admin_networks",
                    "must hold IP addresses or CIDRs (like 127.0.0.0/8 or ::1), got '" + net + "'");
        }
        require(gateway.maxJwtLifetimeSeconds() >= 10 && gateway.maxJwtLifetimeSeconds() <= 900,
                "gateway.max_jwt_lifetime_seconds", "must be between 10 and 900");
        require(gateway.credentialTtlSeconds() >= 60 && gateway.credentialTtlSeconds() <= 86_400,
                "gateway.credential_ttl_seconds", "must be between 60 and 86400");
        require(gateway.ldapTimeoutSeconds() >= 1 && gateway.ldapTimeoutSeconds() <= 60, "gateway.ldap_timeout_seconds",
                "must be between 1 and 60");
        require(gateway.requestsPerIpPerMinute() >= 1, "gateway.requests_per_ip_per_minute", "must be at least 1");
        require("none".equals(gateway.ledger()) || "log".equals(gateway.ledger()), "gateway.ledger", "must be none or log");
        require(tls.port() >= -1 && tls.port() <= 65535, "tls.port", "must be -1 (off), 0 (a free port) or a port, got " + tls.port());
        require(!tls.enabled() || tls.port() == 0 || tls.port() != server.port(), "tls.port", "must differ from server.port");
        require(tls.ownCertificate() == (tls.keyFile() == null || tls.keyFile().isBlank()), "tls.key_file",
                "and tls.cert_file must both be set or both be empty");
        require(pki.trustDomain() != null && pki.trustDomain().matches("[a-z0-9]([a-z0-9._-]{0,253}[a-z0-9])?"), "pki.trust_domain",
                "must be a SPIFFE trust domain (lower-case letters, digits, '.', '-', '_')");
        require(pki.certificateTtlSeconds() >= 300 && pki.certificateTtlSeconds() <= 90L * 86400, "pki.certificate_ttl_seconds",
                "must be between 300 and 7776000 (90 days)");
        require(pki.joinTokenTtlSeconds() >= 60 && pki.joinTokenTtlSeconds() <= 30L * 86400, "pki.join_token_ttl_seconds",
                "must be between 60 and 2592000 (30 days)");
        require(pki.serviceTokenTtlSeconds() >= 60 && pki.serviceTokenTtlSeconds() <= 86400, "pki.service_token_ttl_seconds",
                "must be between 60 and 86400");
        require(pki.operatorRoot() == (pki.rootKeyFile() != null && !pki.rootKeyFile().isBlank()), "pki.root_key_file",
                "and pki.root_cert_file must both be set or both be empty");
        return this;
    }

    private static void require(boolean ok, String key, String message) {
        if (!ok) {
            throw bad(key, message);
        }
    }

    private static ImsmException bad(String key, String message) {
        return new ImsmException.Invalid(ErrorCode.INVALID_CONFIG, "configuration key '" + key + "' " + message);
    }
}
