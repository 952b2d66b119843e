package io.imsm.server.web.http;

import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import io.imsm.server.ImsmException;

import java.util.stream.Collectors;

/** Turns Jackson's errors into short messages naming the field, without echoing the input. */
public final class JsonErrors {
    private JsonErrors() {}

    public static String describe(Throwable t) {
        Throwable c = t;
        while (c != null && !(c instanceof com.fasterxml.jackson.core.JsonProcessingException)) {
            c = c.getCause();
        }
        if (c != null && c.getCause() instanceof ImsmException.Invalid rule) {
            // a value type's own parser refused the value (e.g. Binding): its message names the allowed values
            return rule.getMessage();
        }
        if (c instanceof UnrecognizedPropertyException u) {
            return "unknown field '" + u.getPropertyName() + "'";
        }
        if (c instanceof JsonMappingException m && !m.getPath().isEmpty()) {
            String path = m.getPath().stream().map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
                    .collect(Collectors.joining("."));
            return "field '" + path + "' has the wrong type or format";
        }
        if (c != null) {
            return "malformed JSON";
        }
        return "unreadable body";
    }
}
