package io.imsm.proxy;

import com.nimbusds.jose.util.JSONObjectUtils;
import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import io.imsm.protocol.RequestTarget;
import io.imsm.sdk.RequestGuard;
import io.imsm.sdk.AccessDeniedException;
import io.imsm.sdk.JdkHttpServerAdapter;
import io.imsm.sdk.VerifiedToken;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * One request through the proxy: route, {@link Gate}, then the upstream, request and response bodies
 * streamed (never held whole), the credential and any identity headers the client sent removed, the
 * proxy's identity headers added. The upstream gets the canonical path (docs/protocol.md section 7.1)
 * that the route and the token's {@code authorization_details} were checked against, so what was
 * checked is what the service acts on.
 */
final class Forwarder implements HttpHandler {
    private static final System.Logger LOG = System.getLogger(Forwarder.class.getName());

    /** RFC 9110 section 7.6.1 hop-by-hop fields, plus those the JDK client sets itself. */
    private static final Set<String> NOT_FORWARDED = Set.of("connection", "keep-alive", "proxy-authenticate", "proxy-authorization",
            "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade", "host", "content-length", "expect", "authorization",
            "x-forwarded-host", "x-forwarded-proto");
    private static final Set<String> NOT_RETURNED = Set.of("connection", "keep-alive", "proxy-authenticate", "proxy-connection", "te",
            "trailer", "transfer-encoding", "upgrade", "content-length", "date");
    private static final int MAX_CLAIM_HEADER_CHARS = 4096;

    private final Supplier<ProxyConfig> config;
    private final Gate gate;
    private final HttpClient client;
    private final Metrics metrics;
    private final String scheme;

    Forwarder(Supplier<ProxyConfig> config, Gate gate, HttpClient client, Metrics metrics, boolean tls) {
        this.config = config;
        this.gate = gate;
        this.client = client;
        this.metrics = metrics;
        this.scheme = tls ? "https" : "http";
    }

    @Override
    public void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            ProxyConfig cfg = config.get(); // one configuration for the whole request, even across a reload
            URI uri = exchange.getRequestURI();
            final RequestTarget target;
            try {
                target = RequestGuard.target(exchange.getRequestMethod(), uri);
            } catch (AccessDeniedException e) {
                refuse(exchange, new Gate.Refusal(e.status(), e.code(), null));
                return;
            }
            ProxyConfig.Route route = cfg.route(target.path());
            final Gate.Pass pass;
            try {
                pass = gate.check(route, target, exchange.getRequestHeaders().getFirst("Authorization"),
                        cookie(exchange.getRequestHeaders(), cfg.tokenCookie()), JdkHttpServerAdapter.clientCertificate(exchange));
            } catch (Gate.Refused r) {
                refuse(exchange, r.refusal);
                return;
            }
            forward(exchange, cfg, route, target, pass.token());
        }
    }

    private void forward(HttpExchange exchange, ProxyConfig cfg, ProxyConfig.Route route, RequestTarget target, VerifiedToken token)
            throws IOException {
        URI base = cfg.upstream().url();
        String basePath = base.getRawPath() == null || base.getRawPath().equals("/") ? "" : base.getRawPath().replaceAll("/$", "");
        String rawQuery = exchange.getRequestURI().getRawQuery();
        URI upstreamUri = URI.create(base.getScheme() + "://" + base.getRawAuthority() + basePath + target.path()
                + (rawQuery == null ? "" : "?" + rawQuery));
        HttpRequest.Builder request = HttpRequest.newBuilder(upstreamUri)
                .timeout(Duration.ofMillis(cfg.upstream().responseTimeoutMillis()))
                .method(exchange.getRequestMethod(), body(exchange));
        copyRequestHeaders(exchange.getRequestHeaders(), request, cfg);
        request.header("X-Forwarded-Proto", scheme);
        String host = exchange.getRequestHeaders().getFirst("Host");
        if (host != null) {
            request.header("X-Forwarded-Host", host);
        }
        if (token != null) {
            request.header("X-Auth-Request-User", token.subject());
            request.header("X-Auth-Request-Scopes", String.join(" ", new TreeSet<>(token.scopes())));
            request.header("X-Auth-Request-Service", route.audience());
            claimHeaders(cfg, token, request);
        }
        long started = System.nanoTime();
        final HttpResponse<InputStream> response;
        try {
            response = client.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
        } catch (HttpConnectTimeoutException | ConnectException e) {
            upstreamFailed(exchange, 502, "upstream_unavailable", e);
            return;
        } catch (HttpTimeoutException e) {
            upstreamFailed(exchange, 504, "upstream_timeout", e);
            return;
        } catch (IOException e) {
            upstreamFailed(exchange, 502, "upstream_failed", e);
            return;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            upstreamFailed(exchange, 503, "shutting_down", e);
            return;
        }
        metrics.forwarded(System.nanoTime() - started);
        try (InputStream in = response.body()) {
            Headers out = exchange.getResponseHeaders();
            Set<String> connectionTokens = connectionTokens(response.headers().allValues("Connection"));
            response.headers().map().forEach((name, values) -> {
                String lower = name.toLowerCase(Locale.ROOT);
                if (!NOT_RETURNED.contains(lower) && !connectionTokens.contains(lower) && !lower.startsWith(":")) {
                    out.put(name, new ArrayList<>(values));
                }
            });
            int status = response.statusCode();
            long length = response.headers().firstValueAsLong("Content-Length").orElse(-1);
            boolean noBody = "HEAD".equalsIgnoreCase(exchange.getRequestMethod()) || status == 204 || status == 304 || length == 0;
            // JDK server: -1 = no body, 0 = chunked, n = exactly n bytes
            exchange.sendResponseHeaders(status, noBody ? -1 : Math.max(length, 0));
            if (!noBody) {
                try (OutputStream body = exchange.getResponseBody()) {
                    copy(in, body);
                }
            }
        }
    }

    /** Streams without holding the body; flushes whenever the upstream pauses, so a streamed answer arrives as it is written. */
    private static void copy(InputStream in, OutputStream out) throws IOException {
        byte[] buffer = new byte[16 * 1024];
        int n;
        while ((n = in.read(buffer)) >= 0) {
            out.write(buffer, 0, n);
            if (in.available() == 0) {
                out.flush();
            }
        }
    }

    private static HttpRequest.BodyPublisher body(HttpExchange exchange) {
        Headers h = exchange.getRequestHeaders();
        String length = h.getFirst("Content-Length");
        boolean chunked = h.getFirst("Transfer-Encoding") != null;
        if (chunked) {
            return HttpRequest.BodyPublishers.ofInputStream(exchange::getRequestBody);
        }
        if (length == null) {
            return HttpRequest.BodyPublishers.noBody();
        }
        long n = Long.parseLong(length.strip()); // the JDK server has already refused a malformed one
        return n == 0 ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.fromPublisher(HttpRequest.BodyPublishers.ofInputStream(exchange::getRequestBody), n);
    }

    private static void copyRequestHeaders(Headers in, HttpRequest.Builder out, ProxyConfig cfg) {
        Set<String> connectionTokens = connectionTokens(in.get("Connection"));
        Set<String> identity = new HashSet<>(cfg.identityHeaders());
        for (Map.Entry<String, List<String>> h : in.entrySet()) {
            String lower = h.getKey().toLowerCase(Locale.ROOT);
            if (NOT_FORWARDED.contains(lower) || connectionTokens.contains(lower) || identity.contains(lower)) {
                continue;
            }
            for (String value : h.getValue()) {
                if (lower.equals("cookie") && cfg.tokenCookie() != null) {
                    value = withoutCookie(value, cfg.tokenCookie());
                    if (value.isEmpty()) {
                        continue;
                    }
                }
                try {
                    out.header(h.getKey(), value);
                } catch (IllegalArgumentException e) {
                    // a header the JDK client refuses to send (restricted name or bad value): not forwarded
                    LOG.log(System.Logger.Level.DEBUG, "header {0} not forwarded: {1}", h.getKey(), e.getMessage());
                }
            }
        }
    }

    /** The configured claims as headers; a value with control characters or longer than 4096 characters is left out. */
    private static void claimHeaders(ProxyConfig cfg, VerifiedToken token, HttpRequest.Builder request) {
        Map<String, Object> claims = token.claims();
        cfg.claimHeaders().forEach((claim, header) -> {
            Object v = claims.get(claim);
            if (v == null) {
                return;
            }
            String text = switch (v) {
                case String s -> s;
                case Collection<?> c -> c.stream().map(String::valueOf).collect(Collectors.joining(","));
                case Map<?, ?> m -> JSONObjectUtils.toJSONString(castMap(m));
                default -> String.valueOf(v);
            };
            if (text.length() <= MAX_CLAIM_HEADER_CHARS && text.chars().noneMatch(ch -> ch < 0x20 || ch == 0x7f)) {
                request.header(header, text);
            }
        });
    }

    @SuppressWarnings("unchecked")
    private static Map<String, ?> castMap(Map<?, ?> m) { return (Map<String, ?>) m; }

    private static Set<String> connectionTokens(List<String> connection) {
        Set<String> tokens = new HashSet<>();
        if (connection != null) {
            for (String v : connection) {
                for (String t : v.split(",")) {
                    tokens.add(t.strip().toLowerCase(Locale.ROOT));
                }
            }
        }
        return tokens;
    }

    /** The token from the configured cookie, or {@code null}. */
    static String cookie(Headers headers, String name) {
        if (name == null) {
            return null;
        }
        List<String> values = headers.get("Cookie");
        if (values == null) {
            return null;
        }
        for (String v : values) {
            for (String pair : v.split(";")) {
                int eq = pair.indexOf('=');
                if (eq > 0 && pair.substring(0, eq).strip().equals(name)) {
                    return pair.substring(eq + 1).strip();
                }
            }
        }
        return null;
    }

    static String withoutCookie(String header, String name) {
        List<String> kept = new ArrayList<>();
        for (String pair : header.split(";")) {
            int eq = pair.indexOf('=');
            String n = (eq < 0 ? pair : pair.substring(0, eq)).strip();
            if (!n.equals(name) && !pair.isBlank()) {
                kept.add(pair.strip());
            }
        }
        return String.join("; ", kept);
    }

    private void refuse(HttpExchange exchange, Gate.Refusal refusal) throws IOException {
        metrics.refused(refusal.code());
        if (refusal.wwwAuthenticate() != null) {
            exchange.getResponseHeaders().set("WWW-Authenticate", refusal.wwwAuthenticate());
        }
        // RFC 6750 section 3.1 error names; the SDK's stable code as the description
        String error = switch (refusal.status()) {
            case 400 -> "invalid_request";
            case 401 -> refusal.code().equals("missing_token") ? "missing_token" : "invalid_token";
            case 403 -> "insufficient_scope";
            default -> refusal.code();
        };
        ImsmProxy.send(exchange, refusal.status(), "application/json",
                JSONObjectUtils.toJSONString(Map.of("error", error, "error_description", refusal.code())));
    }

    private void upstreamFailed(HttpExchange exchange, int status, String code, Exception e) throws IOException {
        metrics.upstreamError();
        LOG.log(System.Logger.Level.WARNING, "upstream {0}: {1}", code, String.valueOf(e));
        ImsmProxy.send(exchange, status, "application/json", JSONObjectUtils.toJSONString(Map.of("error", code)));
    }
}
