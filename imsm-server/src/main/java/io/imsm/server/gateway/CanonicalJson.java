package io.imsm.server.gateway;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.imsm.server.json.Json;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * The one-line serialization a DID is the hash of (docs/gateway.md): object keys sorted at every
 * level (by UTF-16 code unit, which is alphabetical for the ASCII names used), no whitespace or line
 * breaks between tokens, array order kept, strings and numbers written as JSON writes them (only
 * {@code "} , {@code \} and control characters escaped; other characters as UTF-8).
 */
public final class CanonicalJson {
    /** Bounds the recursion a document could drive. */
    private static final int MAX_DEPTH = 32;

    private CanonicalJson() {}

    public static String write(JsonNode node) {
        StringBuilder out = new StringBuilder();
        write(node, out, 0);
        return out.toString();
    }

    private static void write(JsonNode node, StringBuilder out, int depth) {
        if (depth > MAX_DEPTH) {
            throw new IllegalArgumentException("nested deeper than " + MAX_DEPTH);
        }
        if (node.isObject()) {
            List<String> names = new ArrayList<>();
            node.fieldNames().forEachRemaining(names::add);
            names.sort(null);
            out.append('{');
            for (int i = 0; i < names.size(); i++) {
                if (i > 0) {
                    out.append(',');
                }
                out.append(scalar(com.fasterxml.jackson.databind.node.TextNode.valueOf(names.get(i)))).append(':');
                write(node.get(names.get(i)), out, depth + 1);
            }
            out.append('}');
        } else if (node.isArray()) {
            out.append('[');
            Iterator<JsonNode> it = node.elements();
            boolean first = true;
            while (it.hasNext()) {
                if (!first) {
                    out.append(',');
                }
                first = false;
                write(it.next(), out, depth + 1);
            }
            out.append(']');
        } else {
            out.append(scalar(node));
        }
    }

    private static String scalar(JsonNode node) {
        try {
            return Json.mapper().writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
