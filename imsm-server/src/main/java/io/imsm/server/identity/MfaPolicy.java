package io.imsm.server.identity;

import io.imsm.server.model.Roles;
import java.util.List;
import java.util.Set;

/** Who must have a second factor: everyone, or holders of the listed roles. */
public record MfaPolicy(boolean requiredForAll, List<String> requiredRoles) {
    public MfaPolicy {
        requiredRoles = List.copyOf(Roles.validate(requiredRoles));
    }

    public boolean requires(Set<String> roles) {
        return requiredForAll || requiredRoles.stream().anyMatch(roles::contains);
    }
}
