package io.imsm.server.app;

import io.imsm.server.json.Json;
import com.fasterxml.jackson.databind.JsonNode;
import io.imsm.server.ErrorCode;
import io.imsm.server.ImsmException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code imsm apply -f services.yaml}: sends a catalog file to a running IMSM (all or nothing;
 * applying the same file twice changes nothing). The file is {@code services: [ ... ]} and/or
 * {@code clients: [ ... ]} (OAuth clients) with the same fields as the admin API, and/or {@code scopes: {scope: [roles]}}
 * (replaces the scope mapping). Auth: {@code IMSM_TOKEN}, else {@code IMSM_BOOTSTRAP_TOKEN}.
 */
@Command(name = "apply", description = "Apply a service catalog file to a running IMSM.")
final class ApplyCommand implements Callable<Integer> {
    @Option(names = {"-f", "--file"}, required = true, description = "YAML file with top-level 'services' and/or 'clients' lists and/or a 'scopes' mapping") Path file;
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
        AdminApiClient api = new AdminApiClient(url, env);
        if (!Files.isRegularFile(file)) {
            throw new ImsmException.Invalid(ErrorCode.INVALID_REQUEST, "no such file: " + file);
        }
        JsonNode doc;
        try {
            doc = Json.yaml().readTree(file.toFile());
        } catch (IOException e) {
            throw new ImsmException.Invalid(ErrorCode.INVALID_REQUEST, file + " is not valid YAML: " + e.getMessage().lines().findFirst().orElse(""));
        }
        if (doc == null || !doc.isObject() || doc.isEmpty() || !TOP_LEVEL.containsAll(fieldNames(doc))) {
            throw new ImsmException.Invalid(ErrorCode.INVALID_REQUEST, file + " must hold 'services' and/or 'clients' (lists) and/or "
                    + "'scopes' (a mapping scope -> roles) at the top level, nothing else");
        }
        if (doc.has("services")) {
            String json = Json.mapper().writeValueAsString(Map.of("services", doc.get("services")));
            for (JsonNode r : api.post("/api/v1/admin/services/apply", json, "IMSM refused the catalog").path("results")) {
                out.println(r.path("id").asText() + ": " + r.path("outcome").asText());
            }
        }
        if (doc.has("scopes")) {
            String json = Json.mapper().writeValueAsString(Map.of("scopes", doc.get("scopes")));
            JsonNode body = api.put("/api/v1/admin/scope-mapping", json, "IMSM refused the scope mapping");
            out.println("scope mapping: " + body.path("scopes").size() + " scopes");
        }
        if (doc.has("clients")) {
            // OAuth clients: a new confidential client's secret is printed once, here
            String json = Json.mapper().writeValueAsString(Map.of("clients", doc.get("clients")));
            for (JsonNode r : api.post("/api/v1/admin/clients/apply", json, "IMSM refused the clients").path("results")) {
                out.println("client " + r.path("client_id").asText() + ": " + r.path("outcome").asText()
                        + (r.has("client_secret") ? " (client_secret: " + r.path("client_secret").asText() + " — shown only now)" : ""));
            }
        }
        return 0;
    }

    private static final java.util.Set<String> TOP_LEVEL = java.util.Set.of("services", "clients", "scopes");

    private static java.util.List<String> fieldNames(JsonNode doc) {
        java.util.List<String> names = new java.util.ArrayList<>();
        doc.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
