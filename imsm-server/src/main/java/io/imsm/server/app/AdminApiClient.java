package io.imsm.server.app;

import com.fasterxml.jackson.databind.JsonNode;
import io.imsm.server.ErrorCode;
import io.imsm.server.ImsmException;
import io.imsm.server.json.Json;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

/**
 * How the command line talks to a running IMSM's admin API: base URL from {@code --url}, else
 * {@code $IMSM_URL}, else http://127.0.0.1:8080; bearer token {@code IMSM_TOKEN}, else {@code IMSM_BOOTSTRAP_TOKEN}.
 */
final class AdminApiClient {
    private final String base;
    private final String token;

    AdminApiClient(String url, Map<String, String> env) {
        this.base = (url != null ? url : env.getOrDefault("IMSM_URL", "http://127.0.0.1:8080")).replaceAll("/+$", "");
        this.token = env.getOrDefault("IMSM_TOKEN", env.get("IMSM_BOOTSTRAP_TOKEN"));
        if (token == null || token.isBlank()) {
            throw new ImsmException.Invalid(ErrorCode.INVALID_REQUEST, "set IMSM_TOKEN (or IMSM_BOOTSTRAP_TOKEN) to an admin bearer token");
        }
    }

    /** POSTs a JSON body; answers the JSON reply of a 200, else fails with the server's problem detail after {@code refused}. */
    JsonNode post(String path, String json, String refused) throws IOException, InterruptedException {
        return send("POST", path, json, refused);
    }

    /** PUTs a JSON body, like {@link #post}. */
    JsonNode put(String path, String json, String refused) throws IOException, InterruptedException {
        return send("PUT", path, json, refused);
    }

    private JsonNode send(String method, String path, String json, String refused) throws IOException, InterruptedException {
        HttpResponse<String> res = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build().send(
                HttpRequest.newBuilder(URI.create(base + path))
                        .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                        .timeout(Duration.ofSeconds(30)).method(method, HttpRequest.BodyPublishers.ofString(json)).build(),
                HttpResponse.BodyHandlers.ofString());
        JsonNode body = res.body().isBlank() ? null : Json.mapper().readTree(res.body());
        if (res.statusCode() != 200) {
            String detail = body != null && body.has("detail") ? body.get("detail").asText() : res.body();
            throw new ImsmException.Invalid(ErrorCode.INVALID_REQUEST, refused + " (" + res.statusCode() + "): " + detail);
        }
        return body;
    }
}
