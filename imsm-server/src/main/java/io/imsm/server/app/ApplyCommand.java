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
 * same fields as the admin API, and/or {@code scopes: {scope: [roles]}} (replaces the scope mapping). Auth: {@code IMSM_TOKEN}, else {@code IMSM_BOOTSTRAP_TOKEN}.
 */
@Command(name = "apply", description = "Apply a service catalog and/or scope mapping file to a running IMSM.")
final class ApplyCommand implements Callable<Integer> {
    @Option(names = {"-f", "--file"}, required = true, description = "YAML file with a top-level 'services' list and/or 'scopes' mapping") Path file;
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
        if (doc == null || !doc.isObject() || doc.isEmpty() || !allowedKeys(doc)) {
            throw new ImsmException.Invalid(ErrorCode.INVALID_REQUEST, file + " must hold 'services' (a list) and/or 'scopes' "
                    + "(a mapping scope -> roles) at the top level, nothing else");
        }
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        String root = base.replaceAll("/+$", "");
        if (doc.has("services")) {
            com.fasterxml.jackson.databind.node.ObjectNode services = Json.mapper().createObjectNode().set("services", doc.get("services"));
            JsonNode body = send(client, token, HttpRequest.newBuilder(URI.create(root + "/api/v1/admin/services/apply"))
                    .POST(HttpRequest.BodyPublishers.ofString(Json.mapper().writeValueAsString(services))), "the catalog");
            for (JsonNode r : body.path("results")) {
                out.println(r.path("id").asText() + ": " + r.path("outcome").asText());
            }
        }
        if (doc.has("scopes")) {
            com.fasterxml.jackson.databind.node.ObjectNode scopes = Json.mapper().createObjectNode().set("scopes", doc.get("scopes"));
            JsonNode body = send(client, token, HttpRequest.newBuilder(URI.create(root + "/api/v1/admin/scope-mapping"))
                    .PUT(HttpRequest.BodyPublishers.ofString(Json.mapper().writeValueAsString(scopes))), "the scope mapping");
            out.println("scope mapping: " + body.path("scopes").size() + " scopes");
        }
        return 0;
    }

    private static boolean allowedKeys(JsonNode doc) {
        for (java.util.Iterator<String> it = doc.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!k.equals("services") && !k.equals("scopes")) {
                return false;
            }
        }
        return true;
    }

    private static JsonNode send(HttpClient client, String token, HttpRequest.Builder request, String what)
            throws IOException, InterruptedException {
        HttpResponse<String> res = client.send(request.header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
        JsonNode body = res.body().isBlank() ? null : Json.mapper().readTree(res.body());
        if (res.statusCode() != 200) {
            String detail = body != null && body.has("detail") ? body.get("detail").asText() : res.body();
            throw new ImsmException.Invalid(ErrorCode.INVALID_REQUEST, "IMSM refused " + what + " (" + res.statusCode() + "): " + detail);
        }
        return body;
    }
}
