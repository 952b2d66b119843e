package io.imsm.server.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.CookieManager;
import java.net.CookiePolicy;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;

/** A small HTTP client with its own cookie jar, speaking JSON and HTML forms. */
public final class Http {
    public static final ObjectMapper JSON = new ObjectMapper();
    private final String base;
    private final CookieManager cookies = new CookieManager(null, CookiePolicy.ACCEPT_ALL);
    private final HttpClient client;
    private String csrf;

    public Http(String base) {
        this.base = base;
        this.client = HttpClient.newBuilder().cookieHandler(cookies).followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(Duration.ofSeconds(5)).build();
    }

    /** Over HTTPS with this TLS context (the trusted CA, and a client certificate for mTLS when it holds one). */
    public Http(String base, javax.net.ssl.SSLContext tls) {
        this.base = base;
        this.client = HttpClient.newBuilder().cookieHandler(cookies).followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(Duration.ofSeconds(5)).sslContext(tls).build();
    }

    public record Res(int status, HttpHeaders headers, String body) {
        public JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("not JSON (" + status + "): " + body, e);
            }
        }

        public String code() {
            return json().path("code").asText();
        }

        public String header(String name) {
            return headers.firstValue(name).orElse(null);
        }

        @Override public String toString() { return status + " " + body; }
    }

    public void csrf(String token) { this.csrf = token; }

    public String csrf() { return csrf; }

    public CookieManager cookies() { return cookies; }

    public Res get(String path, String... headers) {
        return send(HttpRequest.newBuilder(URI.create(base + path)).GET(), headers);
    }

    public Res postJson(String path, Object body, String... headers) {
        return send(json(path, body).POST(HttpRequest.BodyPublishers.ofString(write(body))), headers);
    }

    public Res putJson(String path, Object body, String... headers) {
        return send(json(path, body).PUT(HttpRequest.BodyPublishers.ofString(write(body))), headers);
    }

    public Res patchJson(String path, Object body, String... headers) {
        return send(json(path, body).method("PATCH", HttpRequest.BodyPublishers.ofString(write(body))), headers);
    }

    public Res delete(String path, String... headers) {
        return send(withCsrf(HttpRequest.newBuilder(URI.create(base + path))).DELETE(), headers);
    }

    public Res postRaw(String path, String contentType, String body, String... headers) {
        return send(withCsrf(HttpRequest.newBuilder(URI.create(base + path))).header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofString(body)), headers);
    }

    /** Posts an HTML form (application/x-www-form-urlencoded). */
    public Res postForm(String path, Map<String, String> fields) {
        String body = fields.entrySet().stream()
                .map(e -> enc(e.getKey()) + "=" + enc(e.getValue() == null ? "" : e.getValue()))
                .collect(Collectors.joining("&"));
        return send(HttpRequest.newBuilder(URI.create(base + path)).header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    public static Map<String, String> form(String... kv) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return m;
    }

    private HttpRequest.Builder json(String path, Object body) {
        return withCsrf(HttpRequest.newBuilder(URI.create(base + path))).header("Content-Type", "application/json");
    }

    private HttpRequest.Builder withCsrf(HttpRequest.Builder b) {
        if (csrf != null) {
            b.header("X-CSRF-Token", csrf);
        }
        return b;
    }

    private Res send(HttpRequest.Builder b, String... headers) {
        for (int i = 0; i < headers.length; i += 2) {
            b.setHeader(headers[i], headers[i + 1]);
        }
        try {
            HttpResponse<String> r = client.send(b.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
            return new Res(r.statusCode(), r.headers(), r.body());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static String write(Object body) {
        if (body instanceof String s) {
            return s;
        }
        try {
            return JSON.writeValueAsString(body);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
