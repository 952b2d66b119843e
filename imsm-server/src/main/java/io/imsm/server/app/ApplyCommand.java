package io.imsm.server.app;

import io.imsm.server.json.Json;
import com.fasterxml.jackson.databind.JsonNode;
import io.imsm.server.ErrorCode;
import io.imsm.server.ImsmException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code imsm apply -f services.yaml}: sends a catalog file to a running IMSM (all or nothing;
 * applying the same file twice changes nothing). The file is {@code services: [ ... ]} with the
 * same fields as the admin API. Auth: {@code IMSM_TOKEN}, else {@code IMSM_BOOTSTRAP_TOKEN}.
 */
@Command(name = "apply", description = "Apply a service catalog file to a running IMSM.")
final class ApplyCommand implements Callable<Integer> {
    @Option(names = {"-f", "--file"}, required = true, description = "YAML file with a top-level 'services' list") Path file;
    @Option(names = "--url", description = "IMSM base URL (default: $IMSM_URL or http://127.0.0.1:8080)") String url;

    private final Map<String, String> env;
    private final PrintStream out;

    ApplyCommand() {
        this(System.getenv(), System.out);
    }

    ApplyCommand(Map<String, String> env, PrintStream out) {
        this.env = env;
        this.out = out;
    }

    @Override
    public Integer call() throws IOException, InterruptedException {
        String base = url != null ? url : env.getOrDefault("IMSM_URL", "http://127.0.0.1:8080");
        String token = env.getOrDefault("IMSM_TOKEN", env.get("IMSM_BOOTSTRAP_TOKEN"));
        if (token == null || token.isBlank()) {
            throw new ImsmException.Invalid(ErrorCode.INVALID_REQUEST, "set IMSM_TOKEN (or IMSM_BOOTSTRAP_TOKEN) to an admin bearer token");
        }
        if (!Files.isRegularFile(file)) {
            throw new ImsmException.Invalid(ErrorCode.INVALID_REQUEST, "no such file: " + file);
        }
        JsonNode doc;
        try {
            doc = Json.yaml().readTree(file.toFile());
        } catch (IOException e) {
            throw new ImsmException.Invalid(ErrorCode.INVALID_REQUEST, file + " is not valid YAML: " + e.getMessage().lines().findFirst().orElse(""));
        }
        if (doc == null || !doc.isObject() || !doc.has("services") || doc.size() != 1) {
            throw new ImsmException.Invalid(ErrorCode.INVALID_REQUEST, file + " must hold exactly one top-level key, 'services', with a list");
        }
        String json = Json.mapper().writeValueAsString(doc);
        HttpResponse<String> res = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build().send(
                HttpRequest.newBuilder(URI.create(base.replaceAll("/+$", "") + "/api/v1/admin/services/apply"))
                        .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                        .timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.ofString(json)).build(),
                HttpResponse.BodyHandlers.ofString());
        JsonNode body = res.body().isBlank() ? null : Json.mapper().readTree(res.body());
        if (res.statusCode() != 200) {
            String detail = body != null && body.has("detail") ? body.get("detail").asText() : res.body();
            throw new ImsmException.Invalid(ErrorCode.INVALID_REQUEST, "IMSM refused the catalog (" + res.statusCode() + "): " + detail);
        }
        for (JsonNode r : body.path("results")) {
            out.println(r.path("id").asText() + ": " + r.path("outcome").asText());
        }
        return 0;
    }
}
