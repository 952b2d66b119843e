package io.imsm.server.web.ui;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What a person typed into one form and what is wrong with it, so a rejected form comes back filled
 * in with each message next to its field. {@code values} never holds passwords: they are typed again.
 * {@code error} is a message about the form as a whole (shown above it), null when there is none.
 */
public record Form(Map<String, String> values, Map<String, List<String>> lists, Map<String, String> errors, String error) {
    public static final Form EMPTY = new Form(Map.of(), Map.of(), Map.of(), null);

    public Form {
        values = Map.copyOf(values);
        lists = Map.copyOf(lists);
        errors = Map.copyOf(errors);
    }

    /** The typed value, or {@code fallback} when the form was not submitted yet. */
    public String value(String field, String fallback) {
        return this == EMPTY || isFresh() ? fallback : values.getOrDefault(field, "");
    }

    public String value(String field) {
        return values.getOrDefault(field, "");
    }

    /** For checkboxes: whether {@code option} was ticked, or {@code fallback} before the first submit. */
    public boolean checked(String field, String option, boolean fallback) {
        return isFresh() ? fallback : lists.getOrDefault(field, List.of()).contains(option);
    }

    /** For selects: whether {@code option} is the typed value. */
    public boolean selected(String field, String option) {
        return option.equals(values.get(field));
    }

    public String error(String field) {
        return errors.get(field);
    }

    public boolean hasError(String field) {
        return errors.containsKey(field);
    }

    private boolean isFresh() {
        return values.isEmpty() && lists.isEmpty() && errors.isEmpty() && error == null;
    }

    /** Collects what was typed into a rejected form. */
    public static final class Builder {
        private final Map<String, String> values = new LinkedHashMap<>();
        private final Map<String, List<String>> lists = new LinkedHashMap<>();
        private final Map<String, String> errors = new LinkedHashMap<>();
        private String error;

        public Builder value(String field, String value) {
            values.put(field, value == null ? "" : value);
            return this;
        }

        public Builder list(String field, List<String> value) {
            lists.put(field, value == null ? List.of() : List.copyOf(value));
            return this;
        }

        /** A message for {@code field}; with a null field it is about the whole form. */
        public Builder error(String field, String message) {
            Objects.requireNonNull(message);
            if (field == null) {
                error = message;
            } else {
                errors.put(field, message);
            }
            return this;
        }

        public Form build() {
            return new Form(values, lists, errors, error);
        }
    }
}
