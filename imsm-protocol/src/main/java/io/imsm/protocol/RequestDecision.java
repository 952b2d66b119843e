package io.imsm.protocol;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Whether a request is within a token's {@code authorization_details} (RFC 9396), with the reason.
 * No entries: no per-request limit. Otherwise the request must match at least one entry
 * (see {@link HttpAuthorizationDetail}).
 */
public record RequestDecision(boolean allowed, String reason) {

    public RequestDecision {
        Objects.requireNonNull(reason, "reason");
    }

    public static RequestDecision check(List<HttpAuthorizationDetail> details, RequestTarget request) {
        Objects.requireNonNull(request, "request");
        if (details == null || details.isEmpty()) {
            return new RequestDecision(true, "the token has no per-request limit");
        }
        List<String> reasons = new ArrayList<>(details.size());
        for (int i = 0; i < details.size(); i++) {
            Optional<String> mismatch = details.get(i).mismatch(request);
            if (mismatch.isEmpty()) {
                return new RequestDecision(true, "the request matches authorization_details[" + i + "]");
            }
            reasons.add(details.size() == 1 ? mismatch.get() : "[" + i + "] " + mismatch.get());
        }
        return new RequestDecision(false, details.size() == 1
                ? "the request is outside the token's authorization_details: " + reasons.get(0)
                : "no authorization_details entry matches the request: " + String.join("; ", reasons));
    }
}
