package io.imsm.server.config;

import io.imsm.server.json.Json;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.imsm.server.ErrorCode;
import io.imsm.server.ImsmException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Builds the {@link Config}: bundled defaults, then the YAML file, then {@code IMSM_*} environment
 * variables, then command-line overrides. Unknown keys (in the file or the environment) and bad values
 * are refused with a message naming the key.
 */
public final class ConfigLoader {

    /** Environment variables read elsewhere (secrets and test settings), not configuration keys. */
    static final Set<String> NON_CONFIG_ENV = Set.of("IMSM_KEK", "IMSM_NEW_KEK", "IMSM_BOOTSTRAP_TOKEN", "IMSM_METRICS_TOKEN", "IMSM_TEST_DATABASE_URL",
            "IMSM_JAVA_OPTS", "IMSM_JAVA_HOME", "IMSM_TOKEN", "IMSM_URL");

    private static final ObjectMapper YAML = Json.yaml();

    /** Mappings whose keys the operator chooses (a file replaces the default as a whole). */
    private static final Set<String> FREE_FORM = Set.of("scopes");

    private ConfigLoader() {}

    /**
     * @param file      optional YAML file
     * @param env       the process environment (a map, so tests pass their own)
     * @param overrides dotted key → value from the command line, e.g. {@code server.port → 9090}
     */
    public static Config load(Optional<Path> file, Map<String, String> env, Map<String, String> overrides) {
        ObjectNode tree = defaults();
        if (file.isPresent()) {
            Path path = file.get();
            if (!Files.isRegularFile(path)) {
                throw invalid("configuration file " + path + " does not exist or is not a file");
            }
            JsonNode user;
            try {
                user = YAML.readTree(path.toFile());
            } catch (IOException e) {
                throw invalid("configuration file " + path + " is not valid YAML: " + firstLine(e.getMessage()));
            }
            if (user != null && !user.isMissingNode() && !user.isNull()) {
                if (!user.isObject()) {
                    throw invalid("configuration file " + path + " must hold a mapping of keys");
                }
                merge(tree, (ObjectNode) user, "");
            }
        }
        applyEnv(tree, env);
        overrides.forEach((key, value) -> set(tree, key, value, "command-line option"));
        return bind(tree).validate();
    }

    static ObjectNode defaults() {
        try (InputStream in = ConfigLoader.class.getResourceAsStream("/imsm-defaults.yaml")) {
            return (ObjectNode) YAML.readTree(in);
        } catch (IOException e) {
            throw new IllegalStateException("bundled imsm-defaults.yaml unreadable", e);
        }
    }

    /** Deep-merges {@code from} into {@code into}, refusing keys the defaults do not have. */
    private static void merge(ObjectNode into, ObjectNode from, String prefix) {
        Iterator<Map.Entry<String, JsonNode>> fields = from.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> e = fields.next();
            String key = prefix + e.getKey();
            JsonNode existing = into.get(e.getKey());
            if (existing == null) {
                throw invalid("unknown configuration key '" + key + "'" + suggestion(into, e.getKey()));
            }
            if (FREE_FORM.contains(key)) {
                if (!e.getValue().isObject()) {
                    throw invalid("configuration key '" + key + "' must be a mapping");
                }
                into.set(e.getKey(), e.getValue());
            } else if (existing.isObject()) {
                if (!e.getValue().isObject()) {
                    throw invalid("configuration key '" + key + "' must be a mapping");
                }
                merge((ObjectNode) existing, (ObjectNode) e.getValue(), key + ".");
            } else {
                if (e.getValue().isObject()) {
                    throw invalid("configuration key '" + key + "' must be a single value, not a mapping");
                }
                into.set(e.getKey(), e.getValue());
            }
        }
    }

    private static void applyEnv(ObjectNode tree, Map<String, String> env) {
        for (Map.Entry<String, String> e : new TreeMap<>(env).entrySet()) {
            String name = e.getKey();
            if (!name.startsWith("IMSM_") || NON_CONFIG_ENV.contains(name)) {
                continue;
            }
            String path = resolveEnvPath(tree, name.substring(5).toLowerCase(Locale.ROOT), "");
            if (path == null) {
                throw invalid("environment variable " + name + " names no configuration key (see imsm-defaults.yaml)");
            }
            set(tree, path, e.getValue(), "environment variable " + name);
        }
    }

    /** Maps {@code sessions_idle_timeout_seconds} to {@code sessions.idle_timeout_seconds}. */
    private static String resolveEnvPath(JsonNode node, String rest, String prefix) {
        Iterator<String> names = node.fieldNames();
        while (names.hasNext()) {
            String key = names.next();
            JsonNode child = node.get(key);
            if (rest.equals(key) && (!child.isObject() || FREE_FORM.contains(prefix + key))) {
                return prefix + key;
            }
            if (child.isObject() && rest.startsWith(key + "_")) {
                String found = resolveEnvPath(child, rest.substring(key.length() + 1), prefix + key + ".");
                if (found != null) {
                    return found;
                }
            }
        }
        return null;
    }

    private static void set(ObjectNode tree, String dotted, String value, String source) {
        if (FREE_FORM.contains(dotted)) {
            JsonNode mapping;
            try {
                mapping = YAML.readTree(value);
            } catch (IOException e) {
                throw invalid("configuration key '" + dotted + "' (from " + source + ") is not a YAML/JSON mapping: "
                        + firstLine(e.getMessage()));
            }
            if (mapping == null || !mapping.isObject()) {
                throw invalid("configuration key '" + dotted + "' (from " + source + ") must be a YAML/JSON mapping");
            }
            tree.set(dotted, mapping);
            return;
        }
        String[] parts = dotted.split("\\.");
        ObjectNode node = tree;
        for (int i = 0; i < parts.length - 1; i++) {
            JsonNode child = node.get(parts[i]);
            if (child == null || !child.isObject()) {
                throw invalid("unknown configuration key '" + dotted + "' (from " + source + ")");
            }
            node = (ObjectNode) child;
        }
        String leaf = parts[parts.length - 1];
        JsonNode existing = node.get(leaf);
        if (existing == null || existing.isObject()) {
            throw invalid("unknown configuration key '" + dotted + "' (from " + source + ")");
        }
        if (existing.isArray()) {
            ArrayNode list = node.arrayNode();
            for (String item : value.split(",")) {
                if (!item.isBlank()) {
                    list.add(item.trim());
                }
            }
            node.set(leaf, list);
        } else {
            node.set(leaf, TextNode.valueOf(value));
        }
    }

    private static Config bind(ObjectNode tree) {
        try {
            return YAML.treeToValue(tree, Config.class);
        } catch (UnrecognizedPropertyException e) {
            throw invalid("unknown configuration key '" + path(e) + "'");
        } catch (JsonMappingException e) {
            throw invalid("configuration key '" + path(e) + "' has a bad value: " + firstLine(e.getOriginalMessage()));
        } catch (JsonProcessingException e) {
            throw invalid("configuration could not be read: " + firstLine(e.getOriginalMessage()));
        }
    }

    private static String path(JsonMappingException e) {
        return e.getPath().stream()
                .map(ref -> ref.getFieldName() != null ? ref.getFieldName() : "[" + ref.getIndex() + "]")
                .collect(Collectors.joining("."));
    }

    private static String suggestion(ObjectNode into, String key) {
        StringBuilder known = new StringBuilder();
        into.fieldNames().forEachRemaining(n -> known.append(known.isEmpty() ? "" : ", ").append(n));
        return "; known keys here: " + known;
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    private static ImsmException invalid(String message) {
        return new ImsmException.Invalid(ErrorCode.INVALID_CONFIG, message);
    }
}
