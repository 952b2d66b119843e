package io.imsm.server.oauth;

import java.util.Collection;
import java.util.Set;

/** The scopes a person holds through their roles (the role → scopes mapping of the configuration). */
@FunctionalInterface
public interface PersonScopes {
    Set<String> scopesFor(Collection<String> roles);
}
