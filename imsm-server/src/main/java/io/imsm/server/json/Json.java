package io.imsm.server.json;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;

/**
 * The server's one JSON mapping: snake_case names, ISO-8601 times, unknown fields and trailing
 * content refused. The API, the pages, the stored service definitions and token requests all use it,
 * so a field is spelled the same everywhere. The mappers are shared and must not be reconfigured:
 * derive an {@link ObjectReader} or {@link ObjectWriter} instead.
 */
public final class Json {
    private static final ObjectMapper MAPPER = configure(new ObjectMapper());
    /** The same rules for YAML (config file, {@code imsm apply}); a wrong-typed number is refused, not truncated. */
    private static final ObjectMapper YAML = configure(new ObjectMapper(new YAMLFactory()))
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT);
    private static final ObjectWriter PRETTY = MAPPER.copy()
            .setSerializationInclusion(JsonInclude.Include.NON_NULL)
            .writerWithDefaultPrettyPrinter();

    private Json() {}

    public static ObjectMapper mapper() {
        return MAPPER;
    }

    public static ObjectMapper yaml() {
        return YAML;
    }

    /** Indented, without null fields: for JSON people read and edit (the admin service form). */
    public static ObjectWriter prettyWithoutNulls() {
        return PRETTY;
    }

    private static ObjectMapper configure(ObjectMapper m) {
        return m.setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
                .registerModule(new JavaTimeModule())
                .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    }
}
