package io.imsm.sdk;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpsExchange;

import javax.net.ssl.SSLPeerUnverifiedException;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Mounts a {@link KeyExchangeEndpoint} on the JDK's built-in HTTP server:
 * <pre>{@code server.createContext("/imsm/kx", new JdkHttpServerAdapter(endpoint));}</pre>
 * The path below the context path is the endpoint's path suffix ({@code ""} for the offer,
 * {@code "/{sid}"} for a revocation). At most {@link KeyExchangeEndpoint#MAX_BODY_BYTES} of the body
 * are read.
 */
public final class JdkHttpServerAdapter implements HttpHandler {
    private static final System.Logger LOG = System.getLogger(JdkHttpServerAdapter.class.getName());

    private final KeyExchangeEndpoint endpoint;

    public JdkHttpServerAdapter(KeyExchangeEndpoint endpoint) {
        this.endpoint = Objects.requireNonNull(endpoint, "endpoint");
    }

    @Override
    public void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            KeyExchangeEndpoint.Response response;
            try {
                response = endpoint.handle(request(exchange));
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.ERROR, "key-exchange endpoint failed", e);
                response = new KeyExchangeEndpoint.Response(500, Map.of("Content-Type", "text/plain; charset=utf-8"),
                        "internal error".getBytes(StandardCharsets.UTF_8));
            }
            response.headers().forEach(exchange.getResponseHeaders()::set);
            byte[] body = response.body();
            boolean noBody = body.length == 0 || response.status() == 204 || "HEAD".equalsIgnoreCase(exchange.getRequestMethod());
            exchange.sendResponseHeaders(response.status(), noBody ? -1 : body.length);
            if (!noBody) {
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            }
        }
    }

    /**
     * Verifies the request's bearer token ({@code Authorization: Bearer}) with {@code verifier}, a
     * certificate-bound token against the client certificate of the request's TLS connection
     * ({@link TokenVerifier#verify(String, X509Certificate)}).
     *
     * @throws AccessDeniedException {@code missing_token}, or as the verifier
     */
    public static VerifiedToken verify(TokenVerifier verifier, HttpExchange exchange) {
        String token = io.imsm.protocol.BearerHeader.token(exchange.getRequestHeaders().getFirst("Authorization"));
        if (token == null) {
            throw new AccessDeniedException(AccessDeniedException.Failure.MISSING_TOKEN, "no Bearer token in the Authorization header");
        }
        return verifier.verify(token, clientCertificate(exchange));
    }

    /** The client certificate of the exchange's TLS connection, or {@code null} (plain HTTP, or none presented). */
    public static X509Certificate clientCertificate(HttpExchange exchange) {
        if (!(exchange instanceof HttpsExchange https) || https.getSSLSession() == null) {
            return null;
        }
        try {
            Certificate[] chain = https.getSSLSession().getPeerCertificates();
            return chain.length > 0 && chain[0] instanceof X509Certificate x ? x : null;
        } catch (SSLPeerUnverifiedException e) {
            return null; // no client certificate on this connection
        }
    }

    private static KeyExchangeEndpoint.Request request(HttpExchange exchange) throws IOException {
        String context = exchange.getHttpContext().getPath();
        String path = exchange.getRequestURI().getRawPath();
        String suffix = path.length() >= context.length() ? path.substring(context.length()) : "";
        if (context.endsWith("/") && !suffix.isEmpty()) {
            suffix = "/" + suffix;
        }
        Map<String, String> headers = new LinkedHashMap<>();
        for (Map.Entry<String, List<String>> h : exchange.getRequestHeaders().entrySet()) {
            if (!h.getValue().isEmpty()) {
                headers.put(h.getKey(), h.getValue().get(0));
            }
        }
        byte[] body;
        try (InputStream in = exchange.getRequestBody()) {
            body = in.readNBytes(KeyExchangeEndpoint.MAX_BODY_BYTES + 1);
        }
        return new KeyExchangeEndpoint.Request(exchange.getRequestMethod(), suffix, headers, body);
    }
}
