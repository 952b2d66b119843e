package io.imsm.server.web;

import com.fasterxml.jackson.databind.JsonNode;
import io.imsm.server.ErrorCode;
import io.imsm.server.support.Http;
import io.imsm.server.support.TestDatabases;
import io.imsm.server.support.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Holds the OpenAPI description served at {@code /api/v1/openapi.json} to the routes the real server
 * registers: adding a JSON route without documenting it (or documenting one that does not exist)
 * fails here.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OpenApiTest {
    /** Routes under these prefixes must be documented; the rest (HTML pages, /metrics) are left out on purpose. */
    private static final List<String> DOCUMENTED_PREFIXES = List.of("/api/", "/healthz", "/readyz", "/.well-known/");
    private static final Set<String> HTTP_METHODS = Set.of("get", "put", "post", "delete", "options", "head", "patch", "trace");
    private static final Pattern PATH_PARAM = Pattern.compile("\\{([^}/]+)}");

    TestServer s;
    JsonNode doc;

    @BeforeAll
    void start() {
        s = TestServer.start(TestDatabases.Kind.H2);
        Http.Res res = s.client().get("/api/v1/openapi.json");
        assertThat(res.status()).as(res.toString()).isEqualTo(200);
        assertThat(res.header("Content-Type")).startsWith("application/json");
        doc = res.json();
    }

    @AfterAll
    void stop() {
        s.close();
    }

    @Test
    void isOpenApi31() {
        assertThat(doc.isObject()).isTrue();
        assertThat(doc.path("openapi").asText()).startsWith("3.1");
        assertThat(doc.path("info").path("title").asText()).isNotBlank();
        assertThat(doc.path("info").path("version").asText()).isNotBlank();
        assertThat(doc.path("paths").isObject()).isTrue();
    }

    @Test
    void documentedOperationsAreExactlyTheRegisteredApiRoutes() {
        Set<String> registered = new TreeSet<>(s.server.routes());
        Set<String> registeredApi = registered.stream().filter(OpenApiTest::documentedPrefix)
                .collect(Collectors.toCollection(TreeSet::new));
        Set<String> documented = new TreeSet<>();
        operations().forEach(op -> documented.add(op.route()));

        assertThat(registeredApi).as("sanity: the server registers API routes").contains("POST /api/v1/login", "GET /healthz");
        Set<String> undocumented = new TreeSet<>(registeredApi);
        undocumented.removeAll(documented);
        Set<String> notRegistered = new TreeSet<>(documented);
        notRegistered.removeAll(registered);
        assertThat(undocumented).as("routes the server registers but openapi.json does not describe").isEmpty();
        assertThat(notRegistered).as("operations openapi.json describes but the server does not register").isEmpty();
        assertThat(documented).isEqualTo(registeredApi);
    }

    @Test
    void everyOperationHasAUniqueIdAndASuccessResponse() {
        Set<String> ids = new HashSet<>();
        for (Operation op : operations()) {
            String id = op.node().path("operationId").asText("");
            assertThat(id).as("operationId of " + op.route()).isNotBlank();
            assertThat(ids.add(id)).as("operationId " + id + " is used twice").isTrue();
            assertThat(op.node().path("summary").asText("")).as("summary of " + op.route()).isNotBlank();
            List<String> statuses = new ArrayList<>();
            op.node().path("responses").fieldNames().forEachRemaining(statuses::add);
            assertThat(statuses).as("responses of " + op.route()).anyMatch(code -> code.startsWith("2"));
        }
    }

    @Test
    void pathParametersAreDeclaredAndMatchThePath() {
        for (Operation op : operations()) {
            Set<String> inPath = new TreeSet<>();
            Matcher m = PATH_PARAM.matcher(op.path());
            while (m.find()) {
                inPath.add(m.group(1));
            }
            Set<String> declared = new TreeSet<>();
            for (JsonNode list : List.of(doc.path("paths").path(op.path()).path("parameters"), op.node().path("parameters"))) {
                for (JsonNode p : list) {
                    JsonNode param = resolve(p);
                    if ("path".equals(param.path("in").asText())) {
                        declared.add(param.path("name").asText());
                        assertThat(param.path("required").asBoolean()).as("path parameter " + param.path("name") + " of " + op.route()
                                + " must be required").isTrue();
                    }
                }
            }
            assertThat(declared).as("path parameters of " + op.route()).isEqualTo(inPath);
        }
    }

    @Test
    void errorResponsesAreProblemDocumentsAndRequestBodiesAreClosed() {
        for (Operation op : operations()) {
            op.node().path("responses").fields().forEachRemaining(e -> {
                int status = Integer.parseInt(e.getKey());
                boolean readinessProbe = (op.route().equals("GET /readyz") || op.route().equals("GET /healthz")) && status == 503;
                if (status >= 400 && !readinessProbe) {
                    JsonNode schema = resolve(e.getValue()).path("content").path("application/problem+json").path("schema");
                    assertThat(schema.path("$ref").asText()).as(op.route() + " " + status + " is a problem document")
                            .isEqualTo("#/components/schemas/Problem");
                }
            });
            JsonNode body = op.node().path("requestBody");
            if (!body.isMissingNode()) {
                JsonNode schema = resolve(resolve(body).path("content").path("application/json").path("schema"));
                assertThat(schema.path("type").asText()).as("request body of " + op.route()).isEqualTo("object");
                assertThat(schema.path("additionalProperties").isBoolean() && !schema.path("additionalProperties").asBoolean())
                        .as("request body of " + op.route() + " refuses unknown members (additionalProperties: false)").isTrue();
                Set<String> names = new HashSet<>();
                schema.path("properties").fieldNames().forEachRemaining(names::add);
                assertThat(names).as("request members of " + op.route() + " are snake_case")
                        .allMatch(n -> n.matches("[a-z][a-z0-9_]*"));
            }
        }
    }

    @Test
    void problemCodesAreTheErrorCodes() {
        Set<String> documented = new TreeSet<>();
        doc.path("components").path("schemas").path("Problem").path("properties").path("code").path("enum")
                .forEach(n -> documented.add(n.asText()));
        Set<String> codes = Arrays.stream(ErrorCode.values()).map(ErrorCode::code).collect(Collectors.toCollection(TreeSet::new));
        assertThat(documented).isEqualTo(codes);
    }

    @Test
    void everyReferenceResolves() {
        List<String> refs = new ArrayList<>();
        collectRefs(doc, refs);
        assertThat(refs).isNotEmpty();
        for (String ref : refs) {
            assertThat(ref).startsWith("#/");
            assertThat(doc.at(ref.substring(1)).isMissingNode()).as("$ref " + ref + " resolves").isFalse();
        }
        Set<String> schemes = new HashSet<>();
        doc.path("components").path("securitySchemes").fieldNames().forEachRemaining(schemes::add);
        for (Operation op : operations()) {
            for (JsonNode requirement : op.node().path("security")) {
                requirement.fieldNames().forEachRemaining(name ->
                        assertThat(schemes).as("security scheme used by " + op.route()).contains(name));
            }
        }
    }

    private record Operation(String method, String path, JsonNode node) {
        String route() {
            return method.toUpperCase(Locale.ROOT) + " " + path;
        }
    }

    private List<Operation> operations() {
        List<Operation> ops = new ArrayList<>();
        for (Map.Entry<String, JsonNode> path : doc.path("paths").properties()) {
            for (Map.Entry<String, JsonNode> entry : path.getValue().properties()) {
                if (HTTP_METHODS.contains(entry.getKey())) {
                    ops.add(new Operation(entry.getKey(), path.getKey(), entry.getValue()));
                }
            }
        }
        assertThat(ops).isNotEmpty();
        return ops;
    }

    private static boolean documentedPrefix(String route) {
        String path = route.substring(route.indexOf(' ') + 1);
        return DOCUMENTED_PREFIXES.stream().anyMatch(path::startsWith);
    }

    private JsonNode resolve(JsonNode node) {
        JsonNode n = node;
        for (int i = 0; i < 10 && n.has("$ref"); i++) {
            n = doc.at(n.path("$ref").asText().substring(1));
        }
        return n;
    }

    private static void collectRefs(JsonNode node, List<String> out) {
        if (node.isObject()) {
            node.properties().forEach(e -> {
                if (e.getKey().equals("$ref") && e.getValue().isTextual()) {
                    out.add(e.getValue().asText());
                } else {
                    collectRefs(e.getValue(), out);
                }
            });
        } else if (node.isArray()) {
            node.forEach(n -> collectRefs(n, out));
        }
    }
}
