package io.imsm.server.token;

import io.imsm.server.access.PolicyRules;
import io.imsm.server.access.ServiceDefinition;
import io.imsm.server.identity.Caller;
import io.imsm.server.model.User;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The input policy rules see, in the decision hooks' shape (docs/approvals.md): the person's
 * attributes (never secrets), the service, the scopes, the form fields, the exact request, the
 * client address and the time.
 */
public final class PolicyInputs {
    private PolicyInputs() {}

    public static PolicyRules.Input of(Caller caller, ServiceDefinition svc, List<String> scopes, Map<String, String> fields,
                                       List<Map<String, Object>> request, Instant now) {
        User u = caller.user();
        Map<String, Object> user = new LinkedHashMap<>();
        user.put("id", u.id());
        user.put("username", u.username());
        user.put("display_name", u.displayName() == null ? "" : u.displayName());
        user.put("email", u.email() == null ? "" : u.email());
        user.put("roles", List.copyOf(new TreeSet<>(u.roles())));
        user.put("mfa", u.hasTotp());
        Map<String, Object> service = new LinkedHashMap<>();
        service.put("id", svc.id());
        service.put("name", svc.name());
        service.put("binding", svc.binding().wire());
        Map<String, Object> req = new LinkedHashMap<>();
        if (!request.isEmpty()) {
            Map<String, Object> first = request.get(0);
            req.put("method", first.get("method"));
            req.put("path", first.get("path"));
            req.put("query", first.get("query"));
        }
        return new PolicyRules.Input(user, service, List.copyOf(scopes), Map.copyOf(fields), req, caller.ip(), now);
    }
}
