package io.imsm.proxy;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The proxy's configuration (docs/proxy.md): one YAML file, unknown keys refused, every value
 * checked at load so that a bad file fails the start or is ignored by a reload (the running
 * configuration stays). Paths in the file are relative to the file's directory.
 *
 * <p>{@link #routes()}, {@link #claimHeaders()} and {@link #tokenCookie()} take effect on reload;
 * the rest is read once at start ({@link #restartOnly()} is what a reload compares).
 */
public record ProxyConfig(Listen listen, Admin admin, Upstream upstream, Imsm imsm, Service service,
                          String tokenCookie, Map<String, String> claimHeaders, List<Route> routes, Limits limits,
                          Identity identity) {

    public record Listen(String host, int port, Tls tls) {}

    /**
     * HTTPS on the listener. {@code clientCaFile} makes the proxy ask for client certificates issued by
     * those CAs (RFC 8705 certificate-bound tokens); {@code requireClientCertificate} refuses the TLS
     * handshake without one.
     */
    public record Tls(Path certFile, Path keyFile, Path clientCaFile, boolean requireClientCertificate) {}

    /** {@code /healthz} and {@code /metrics}; port 0 picks a free one, -1 switches the listener off. */
    public record Admin(String host, int port) {}

    /**
     * @param url                  the service behind the proxy, {@code http://host:port} (a path prefix is kept)
     * @param connectTimeoutMillis connecting to it
     * @param responseTimeoutMillis until the upstream's response headers arrive
     * @param caFile               for an https upstream: the CA certificates (PEM) its server certificate is checked
     *                             with; {@code null}: the JDK's
     */
    public record Upstream(URI url, int connectTimeoutMillis, int responseTimeoutMillis, Path caFile) {}

    /**
     * @param issuer           IMSM's base URL: {@code iss} pinned, keys at {@code {issuer}/.well-known/jwks.json}
     * @param clockSkewSeconds allowed on {@code exp}, {@code nbf}, {@code iat} (at most 60)
     * @param revocationList   poll {@code {issuer}/api/v1/services/{id}/revocations} for every audience
     * @param crlRefreshSeconds with {@code listen.tls.client_ca_file}: poll IMSM's CRL ({@code {issuer}/api/v1/ca/crl}, signed by a
     *                         CA of that file) this often and refuse revoked client certificates; default 60, 0: no CRL
     * @param crlMaxStaleSeconds how long a CRL is kept while IMSM cannot be reached (default 3600); beyond that, client
     *                         certificates are refused (503 {@code crl_unavailable})
     */
    public record Imsm(String issuer, int clockSkewSeconds, boolean revocationList, Integer crlRefreshSeconds,
                       Integer crlMaxStaleSeconds) {}

    /**
     * The proxy's own certificate from IMSM's CA (docs/pki.md), presented to an https upstream (mTLS)
     * and renewed over mTLS at two thirds of its lifetime ({@code io.imsm.sdk.CertificateRenewer}).
     *
     * @param dir     {@code key.pem}, {@code cert.pem}, {@code chain.pem} as {@code imsm svc enroll --out DIR} wrote them
     * @param imsmUrl IMSM's TLS listener ({@code tls.port}), where {@code /api/v1/renew} is asked
     * @param caFile  IMSM's CA (PEM, {@code GET /api/v1/ca}) that IMSM's server certificate is checked with
     */
    public record Identity(Path dir, URI imsmUrl, Path caFile) {}

    /**
     * The upstream's identity in IMSM.
     *
     * @param id        its service id: the default audience
     * @param kxKeyFile its long-term private P-256 JWK (with {@code kid}) as a file; {@code null}: no key
     *                  exchange, only IMS-signed (ES256) tokens
     * @param kxPath    where the proxy answers the key exchange (the catalog's {@code kx_url} path)
     */
    public record Service(String id, Path kxKeyFile, String kxPath) {}

    /**
     * One rule; the longest matching {@code prefix} wins. A prefix matches a path equal to it or
     * continuing with {@code /} after it (prefix {@code /api} matches {@code /api} and {@code /api/x},
     * not {@code /apix}); {@code /} matches everything.
     *
     * @param audience the {@code aud} tokens must carry here; default the service id
     * @param scopes   every one of these is required
     * @param isPublic forwarded without a token (a token, if sent, is still stripped)
     */
    public record Route(String prefix, String audience, List<String> scopes, @JsonProperty("public") boolean isPublic) {}

    /**
     * @param maxRequestHeaders     header lines per request (the JDK server's limit)
     * @param maxRequestHeaderBytes all header lines of a request together
     * @param idleSeconds           an idle keep-alive connection is closed after this
     * @param maxRequestSeconds     reading a request (headers and body) may take this long; 0: no limit
     * @param maxResponseSeconds    writing a response may take this long; 0: no limit
     */
    public record Limits(int maxRequestHeaders, int maxRequestHeaderBytes, int idleSeconds, int maxRequestSeconds,
                         int maxResponseSeconds) {}

    private static final Pattern HEADER_NAME = Pattern.compile("[A-Za-z0-9-]{1,64}");
    private static final Pattern COOKIE_NAME = Pattern.compile("[A-Za-z0-9_.-]{1,64}");

    public ProxyConfig {
        listen = Objects.requireNonNullElse(listen, new Listen(null, 0, null));
        listen = new Listen(text(listen.host(), "127.0.0.1"), listen.port(), listen.tls());
        admin = Objects.requireNonNullElse(admin, new Admin(null, -1));
        admin = new Admin(text(admin.host(), "127.0.0.1"), admin.port());
        if (upstream == null || upstream.url() == null) {
            throw new IllegalArgumentException("upstream.url is required");
        }
        if (!"http".equals(upstream.url().getScheme()) && !"https".equals(upstream.url().getScheme())
                || upstream.url().getHost() == null) {
            throw new IllegalArgumentException("upstream.url must be an http(s) URL with a host");
        }
        upstream = new Upstream(upstream.url(), positive(upstream.connectTimeoutMillis(), 2000),
                positive(upstream.responseTimeoutMillis(), 30_000), upstream.caFile());
        if (imsm == null || imsm.issuer() == null || imsm.issuer().isBlank()) {
            throw new IllegalArgumentException("imsm.issuer is required");
        }
        int skew = imsm.clockSkewSeconds() == 0 ? 30 : imsm.clockSkewSeconds();
        if (skew < 0 || skew > 60) {
            throw new IllegalArgumentException("imsm.clock_skew_seconds must be between 1 and 60");
        }
        int crlRefresh = imsm.crlRefreshSeconds() == null ? 60 : imsm.crlRefreshSeconds();
        int crlMaxStale = imsm.crlMaxStaleSeconds() == null ? 3600 : imsm.crlMaxStaleSeconds();
        if (crlRefresh < 0 || crlRefresh > 86_400 || crlMaxStale < 1 || crlMaxStale > 7 * 86_400) {
            throw new IllegalArgumentException("imsm.crl_refresh_seconds must be 0..86400 and imsm.crl_max_stale_seconds 1..604800");
        }
        imsm = new Imsm(imsm.issuer(), skew, imsm.revocationList(), crlRefresh, crlMaxStale);
        if (identity != null && (identity.dir() == null || identity.imsmUrl() == null
                || !"https".equals(identity.imsmUrl().getScheme()) || identity.imsmUrl().getHost() == null)) {
            throw new IllegalArgumentException("identity needs dir and imsm_url (IMSM's https listener)");
        }
        if (service == null || service.id() == null || service.id().isBlank()) {
            throw new IllegalArgumentException("service.id is required");
        }
        String kxPath = text(service.kxPath(), "/imsm/kx");
        if (!kxPath.startsWith("/") || kxPath.endsWith("/")) {
            throw new IllegalArgumentException("service.kx_path must start and not end with /");
        }
        service = new Service(service.id(), service.kxKeyFile(), kxPath);
        if (tokenCookie != null && !COOKIE_NAME.matcher(tokenCookie).matches()) {
            throw new IllegalArgumentException("token_cookie is not a cookie name");
        }
        claimHeaders = claimHeaders == null ? Map.of() : Map.copyOf(claimHeaders);
        claimHeaders.forEach((claim, header) -> {
            if (!HEADER_NAME.matcher(header).matches()) {
                throw new IllegalArgumentException("claim_headers." + claim + ": not a header name: " + header);
            }
        });
        List<Route> checked = new ArrayList<>();
        for (Route r : routes == null ? List.<Route>of() : routes) {
            if (r == null || r.prefix() == null || !r.prefix().startsWith("/")) {
                throw new IllegalArgumentException("every route needs a prefix starting with /");
            }
            String prefix = r.prefix().length() > 1 && r.prefix().endsWith("/") ? r.prefix().substring(0, r.prefix().length() - 1) : r.prefix();
            if (checked.stream().anyMatch(c -> c.prefix().equals(prefix))) {
                throw new IllegalArgumentException("two routes with the prefix " + prefix);
            }
            checked.add(new Route(prefix, text(r.audience(), service.id()), r.scopes() == null ? List.of() : List.copyOf(r.scopes()),
                    r.isPublic()));
        }
        if (checked.stream().noneMatch(r -> r.prefix().equals("/"))) {
            checked.add(new Route("/", service.id(), List.of(), false)); // everything else needs a token
        }
        checked.sort(Comparator.comparingInt((Route r) -> r.prefix().length()).reversed());
        routes = List.copyOf(checked);
        limits = Objects.requireNonNullElse(limits, new Limits(0, 0, 0, 0, 0));
        limits = new Limits(positive(limits.maxRequestHeaders(), 100), positive(limits.maxRequestHeaderBytes(), 16 * 1024),
                positive(limits.idleSeconds(), 30), Math.max(0, limits.maxRequestSeconds()), Math.max(0, limits.maxResponseSeconds()));
    }

    /** The rule for a raw request path: the longest matching prefix. */
    public Route route(String rawPath) {
        for (Route r : routes) {
            String p = r.prefix();
            if (p.equals("/") || rawPath.equals(p) || rawPath.startsWith(p) && rawPath.charAt(p.length()) == '/') {
                return r;
            }
        }
        throw new IllegalStateException("no route for /: the constructor adds one");
    }

    /** The part only a restart changes; a reload with a different one is refused. */
    public List<Object> restartOnly() {
        return java.util.Arrays.asList(listen, admin, upstream, imsm, service, limits, identity);
    }

    private static final ObjectMapper YAML = JsonMapper.builder(new YAMLFactory())
            .propertyNamingStrategy(com.fasterxml.jackson.databind.PropertyNamingStrategies.SNAKE_CASE)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    /** Reads and checks a file; relative file paths in it are resolved against its directory. */
    public static ProxyConfig load(Path file) throws IOException {
        if (Files.size(file) > 1024 * 1024) {
            throw new IllegalArgumentException(file + " is larger than 1 MiB");
        }
        final ProxyConfig raw;
        try {
            raw = YAML.readValue(Files.readAllBytes(file), ProxyConfig.class);
        } catch (com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException e) {
            throw new IllegalArgumentException(file + ": unknown key " + e.getPropertyName() + " (known: " + e.getKnownPropertyIds() + ")");
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            Throwable cause = e.getCause() instanceof IllegalArgumentException iae ? iae : e;
            throw new IllegalArgumentException(file + ": " + cause.getMessage().lines().findFirst().orElse(""), e);
        }
        if (raw == null) {
            throw new IllegalArgumentException(file + " is empty");
        }
        Path dir = file.toAbsolutePath().getParent();
        Tls tls = raw.listen().tls();
        Listen listen = tls == null ? raw.listen() : new Listen(raw.listen().host(), raw.listen().port(),
                new Tls(resolve(dir, tls.certFile()), resolve(dir, tls.keyFile()), resolve(dir, tls.clientCaFile()),
                        tls.requireClientCertificate()));
        Service service = new Service(raw.service().id(), resolve(dir, raw.service().kxKeyFile()), raw.service().kxPath());
        Upstream upstream = raw.upstream() == null ? null : new Upstream(raw.upstream().url(), raw.upstream().connectTimeoutMillis(),
                raw.upstream().responseTimeoutMillis(), resolve(dir, raw.upstream().caFile()));
        Identity identity = raw.identity() == null ? null
                : new Identity(resolve(dir, raw.identity().dir()), raw.identity().imsmUrl(), resolve(dir, raw.identity().caFile()));
        return new ProxyConfig(listen, raw.admin(), upstream, raw.imsm(), service, raw.tokenCookie(), raw.claimHeaders(),
                raw.routes(), raw.limits(), identity);
    }

    private static Path resolve(Path dir, Path p) {
        return p == null ? null : dir.resolve(p).normalize();
    }

    private static String text(String value, String fallback) {
        return value == null || value.isBlank() ? fallback : value;
    }

    private static int positive(int value, int fallback) {
        if (value < 0) {
            throw new IllegalArgumentException("a limit or timeout is negative: " + value);
        }
        return value == 0 ? fallback : value;
    }

    /** Lower-case header names the proxy sets itself, and so removes from what the client sent. */
    public List<String> identityHeaders() {
        List<String> names = new ArrayList<>(List.of("x-auth-request-user", "x-auth-request-scopes", "x-auth-request-service"));
        claimHeaders.values().forEach(h -> names.add(h.toLowerCase(Locale.ROOT)));
        return names;
    }
}
