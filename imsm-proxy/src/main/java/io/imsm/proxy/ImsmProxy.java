package io.imsm.proxy;

import com.nimbusds.jose.jwk.ECKey;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import io.imsm.protocol.CertificateEnrollment;
import io.imsm.sdk.CertificateRenewer;
import io.imsm.sdk.CrlFeed;
import io.imsm.sdk.JdkHttpServerAdapter;
import io.imsm.sdk.KeyExchangeEndpoint;
import io.imsm.sdk.Pollers;
import io.imsm.sdk.RemoteJwks;
import io.imsm.sdk.SessionKeyStore;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The running proxy: the listener (HTTP or HTTPS with client certificates) on the JDK's HTTP server
 * with one virtual thread per exchange, the key-exchange endpoint of the SDK at {@code service.kx_path},
 * {@code /healthz}, the admin listener ({@code /healthz}, {@code /metrics}) and configuration reload.
 *
 * <p>Reload ({@link #reload()}: SIGHUP, or the file changed) swaps the routes, claim headers and token
 * cookie for new requests; connections and requests in flight are untouched. A file that does not
 * load, or that changes a restart-only part, leaves the running configuration as it is.
 */
public final class ImsmProxy implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(ImsmProxy.class.getName());
    static final Duration WATCH_INTERVAL = Duration.ofSeconds(2);

    private final Path configFile;
    private final AtomicReference<ProxyConfig> config;
    private final Metrics metrics = new Metrics();
    private final RemoteJwks imsKeys;
    private final SessionKeyStore sessions;
    private final Gate gate;
    private final HttpServer server;
    private final HttpServer adminServer;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final HttpClient upstreamClient;
    /** One timer thread and one HTTP client to IMSM for every poller: key set, revocation lists, CRL, renewer, config watch. */
    private final Pollers pollers = Pollers.create();
    private final Pollers.Job watcher;
    private volatile FileTime lastModified;
    private final boolean tls;
    private final CertificateRenewer identity;

    private ImsmProxy(Path configFile, ProxyConfig initial, Clock clock) throws IOException, GeneralSecurityException {
        this.configFile = configFile;
        this.config = new AtomicReference<>(initial);
        applyServerLimits(initial.limits());
        this.imsKeys = RemoteJwks.forIssuer(initial.imsm().issuer(), clock, RemoteJwks.DEFAULT_MIN_REFRESH_INTERVAL, pollers);
        this.sessions = new SessionKeyStore(clock);
        this.identity = identity(initial.identity(), clock, pollers);
        this.gate = new Gate(initial.imsm(), initial.service().id(), imsKeys, sessions, clock, crlFeed(initial, clock, pollers), pollers);
        gate.prepare(initial.routes());
        HttpClient.Builder upstreamBuilder = HttpClient.newBuilder();
        if ("https".equals(initial.upstream().url().getScheme())) {
            List<X509Certificate> upstreamTrust = initial.upstream().caFile() == null ? null : TlsContext.certificates(initial.upstream().caFile());
            // with an identity, new connections to the upstream present the current (renewed) certificate
            upstreamBuilder.sslContext(identity != null ? identity.sslContext(upstreamTrust)
                    : CertificateEnrollment.sslContext(upstreamTrust, null));
        }
        this.upstreamClient = upstreamBuilder
                .version(HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(Duration.ofMillis(initial.upstream().connectTimeoutMillis()))
                .executor(executor)
                .build();

        ProxyConfig.Listen listen = initial.listen();
        InetSocketAddress address = new InetSocketAddress(listen.host(), listen.port());
        this.tls = listen.tls() != null;
        if (tls) {
            HttpsServer https = HttpsServer.create(address, 0);
            SSLContext ctx = TlsContext.create(listen.tls());
            boolean askForCertificate = listen.tls().clientCaFile() != null;
            boolean require = listen.tls().requireClientCertificate();
            https.setHttpsConfigurator(new HttpsConfigurator(ctx) {
                @Override
                public void configure(HttpsParameters params) {
                    SSLParameters p = ctx.getDefaultSSLParameters();
                    if (require) {
                        p.setNeedClientAuth(true);
                    } else if (askForCertificate) {
                        p.setWantClientAuth(true); // asked, not required: tokens without cnf work without one
                    }
                    params.setSSLParameters(p);
                }
            });
            this.server = https;
        } else {
            this.server = HttpServer.create(address, 0);
        }
        server.setExecutor(executor);
        if (initial.service().kxKeyFile() != null) {
            ECKey key = serviceKey(initial.service().kxKeyFile());
            KeyExchangeEndpoint kx = KeyExchangeEndpoint.builder(initial.imsm().issuer(), initial.service().id(), key, imsKeys, sessions)
                    .clock(clock).random(new SecureRandom()).build();
            server.createContext(initial.service().kxPath(), new JdkHttpServerAdapter(kx));
        }
        Forwarder forwarder = new Forwarder(config::get, gate, upstreamClient, metrics, tls);
        server.createContext("/", exchange -> {
            if (exchange.getRequestURI().getRawPath().equals("/healthz")) {
                health(exchange);
            } else {
                forwarder.handle(exchange);
            }
        });

        ProxyConfig.Admin admin = initial.admin();
        if (admin.port() >= 0) {
            adminServer = HttpServer.create(new InetSocketAddress(admin.host(), admin.port()), 0);
            adminServer.setExecutor(executor);
            adminServer.createContext("/healthz", this::health);
            adminServer.createContext("/metrics", exchange -> {
                try (exchange) {
                    send(exchange, 200, "text/plain; version=0.0.4; charset=utf-8",
                            metrics.render(sessions.size(), gate.revocationListsCurrent()));
                }
            });
        } else {
            adminServer = null;
        }
        if (configFile != null) {
            lastModified = Files.getLastModifiedTime(configFile);
            watcher = pollers.every("config-watch", WATCH_INTERVAL, WATCH_INTERVAL, this::reloadIfChanged);
        } else {
            watcher = null;
        }
    }

    /** The proxy's certificate, renewed at two thirds of its lifetime; {@code null} without {@code identity}. */
    private static CertificateRenewer identity(ProxyConfig.Identity identity, Clock clock, Pollers pollers)
            throws IOException, GeneralSecurityException {
        if (identity == null) {
            return null;
        }
        List<X509Certificate> trust = identity.caFile() == null ? null : TlsContext.certificates(identity.caFile());
        try {
            return CertificateRenewer.builder(identity.dir(), identity.imsmUrl(), trust).clock(clock).pollers(pollers).start();
        } catch (IOException e) {
            throw new IllegalArgumentException("identity.dir: no credentials (enroll first: imsm svc enroll --out "
                    + identity.dir() + "): " + e.getMessage(), e);
        }
    }

    /** IMSM's CRL for the listener's client certificates, when the listener asks for them and the CRL is on. */
    private static CrlFeed crlFeed(ProxyConfig config, Clock clock, Pollers pollers) throws IOException, GeneralSecurityException {
        ProxyConfig.Tls tls = config.listen().tls();
        if (tls == null || tls.clientCaFile() == null || config.imsm().crlRefreshSeconds() == 0) {
            return null;
        }
        return CrlFeed.builder(config.imsm().issuer(), TlsContext.certificates(tls.clientCaFile())).clock(clock).pollers(pollers)
                .interval(Duration.ofSeconds(config.imsm().crlRefreshSeconds()))
                .maxStaleness(Duration.ofSeconds(config.imsm().crlMaxStaleSeconds())).start();
    }

    /** The proxy's own certificate, or {@code null} without {@code identity} in the configuration. */
    public CertificateRenewer identity() { return identity; }

    /** Loads {@code configFile}, starts listening, and reloads when the file changes. */
    public static ImsmProxy start(Path configFile, Clock clock) throws IOException, GeneralSecurityException {
        return start(configFile, ProxyConfig.load(configFile), clock);
    }

    static ImsmProxy start(Path configFile, ProxyConfig config, Clock clock) throws IOException, GeneralSecurityException {
        ImsmProxy proxy = new ImsmProxy(configFile, config, Objects.requireNonNull(clock, "clock"));
        proxy.server.start();
        if (proxy.adminServer != null) {
            proxy.adminServer.start();
        }
        LOG.log(System.Logger.Level.INFO, "imsm-proxy on {0}://{1}:{2} in front of {3}", proxy.tls ? "https" : "http",
                config.listen().host(), String.valueOf(proxy.port()), config.upstream().url());
        return proxy;
    }

    public int port() { return server.getAddress().getPort(); }

    /** The admin listener's port; -1 when it is off. */
    public int adminPort() { return adminServer == null ? -1 : adminServer.getAddress().getPort(); }

    public ProxyConfig config() { return config.get(); }

    /**
     * Reads the file again and swaps the reloadable part in for new requests.
     *
     * @return whether the new configuration is in effect
     */
    public synchronized boolean reload() {
        if (configFile == null) {
            return false;
        }
        try {
            lastModified = Files.getLastModifiedTime(configFile);
            ProxyConfig next = ProxyConfig.load(configFile);
            if (!next.restartOnly().equals(config.get().restartOnly())) {
                throw new IllegalArgumentException("listen, admin, upstream, imsm, service, limits and identity change only with a restart");
            }
            gate.prepare(next.routes());
            config.set(next);
            metrics.reloaded(true);
            LOG.log(System.Logger.Level.INFO, "configuration reloaded from {0}: {1} routes", configFile, next.routes().size());
            return true;
        } catch (IOException | RuntimeException e) {
            metrics.reloaded(false);
            LOG.log(System.Logger.Level.WARNING, "configuration not reloaded, the running one stays: {0}", e.getMessage());
            return false;
        }
    }

    private void reloadIfChanged() {
        try {
            if (!Files.getLastModifiedTime(configFile).equals(lastModified)) {
                reload();
            }
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot check {0}: {1}", configFile, e.getMessage());
        }
    }

    private void health(HttpExchange exchange) throws IOException {
        try (exchange) {
            boolean listsCurrent = gate.revocationListsCurrent().values().stream().allMatch(Boolean::booleanValue);
            boolean crlCurrent = !Boolean.FALSE.equals(gate.crlCurrent());
            String status = !listsCurrent ? "revocation_list_stale" : !crlCurrent ? "crl_stale" : "ok";
            send(exchange, status.equals("ok") ? 200 : 503, "application/json",
                    "{\"status\":\"" + status + "\",\"sessions\":" + sessions.size()
                            + (identity == null ? "" : ",\"certificate\":\"" + identity.state().name().toLowerCase(java.util.Locale.ROOT) + "\"")
                            + "}");
        }
    }

    static void send(HttpExchange exchange, int status, String contentType, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", contentType);
        exchange.getResponseHeaders().set("Cache-Control", "no-store");
        boolean head = "HEAD".equalsIgnoreCase(exchange.getRequestMethod());
        exchange.sendResponseHeaders(status, head ? -1 : bytes.length);
        if (!head) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    private static ECKey serviceKey(Path file) throws IOException {
        try {
            return ECKey.parse(Files.readString(file));
        } catch (ParseException e) {
            throw new IllegalArgumentException(file + " is not an EC JWK: " + e.getMessage());
        }
    }

    /**
     * The JDK server reads its limits from system properties, once per process when its first server
     * is made; the proxy sets them before its own (the launcher runs one proxy per process).
     */
    private static void applyServerLimits(ProxyConfig.Limits limits) {
        System.setProperty("sun.net.httpserver.maxReqHeaders", String.valueOf(limits.maxRequestHeaders()));
        System.setProperty("sun.net.httpserver.maxReqHeaderSize", String.valueOf(limits.maxRequestHeaderBytes()));
        System.setProperty("sun.net.httpserver.idleInterval", String.valueOf(limits.idleSeconds()));
        if (limits.maxRequestSeconds() > 0) {
            System.setProperty("sun.net.httpserver.maxReqTime", String.valueOf(limits.maxRequestSeconds()));
        }
        if (limits.maxResponseSeconds() > 0) {
            System.setProperty("sun.net.httpserver.maxRspTime", String.valueOf(limits.maxResponseSeconds()));
        }
    }

    /** Stops accepting, gives exchanges in flight up to 2 s, then ends. */
    @Override
    public void close() {
        if (watcher != null) {
            watcher.close();
        }
        server.stop(2);
        if (adminServer != null) {
            adminServer.stop(0);
        }
        gate.close();
        imsKeys.close();
        if (identity != null) {
            identity.close();
        }
        pollers.close();
        upstreamClient.shutdownNow();
        executor.shutdownNow();
    }
}
