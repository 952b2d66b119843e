package io.imsm.server.access;

import io.imsm.server.ImsmException;
import io.imsm.server.model.Roles;

import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Which scopes a person holds, from their roles: a mapping scope → roles in the style of Gafaelfawr's
 * {@code group_mapping}. A person has a scope when they hold at least one of the roles listed for it.
 * Every token made from a person's session (OAuth access tokens, API tokens) carries a subset of
 * these scopes. Immutable: a new mapping is a new instance.
 */
public final class ScopeMapping {
    /** RFC 6749 section 3.3 scope-token characters, kept to a readable subset and length. */
    private static final Pattern SCOPE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9:._/-]{0,63}");
    private static final int MAX_SCOPES = 200;

    private final Map<String, Set<String>> rolesByScope;

    /** @param rolesByScope scope name → the roles that grant it; validated, copied */
    public ScopeMapping(Map<String, List<String>> rolesByScope) {
        Objects.requireNonNull(rolesByScope, "rolesByScope");
        if (rolesByScope.size() > MAX_SCOPES) {
            throw new ImsmException.Invalid("a scope mapping holds at most " + MAX_SCOPES + " scopes");
        }
        Map<String, Set<String>> copy = new TreeMap<>();
        rolesByScope.forEach((scope, roles) -> {
            if (scope == null || !SCOPE.matcher(scope).matches()) {
                throw new ImsmException.Invalid("scope names are 1-64 characters: letters, digits, ':', '.', '_', '/', '-', "
                        + "starting with a letter or digit; got '" + scope + "'");
            }
            copy.put(scope, Collections.unmodifiableSet(Roles.validate(roles == null ? List.of() : roles)));
        });
        this.rolesByScope = Collections.unmodifiableMap(copy);
    }

    public static ScopeMapping empty() {
        return new ScopeMapping(Map.of());
    }

    /** The scopes a person with these roles holds, sorted. */
    public SortedSet<String> scopesFor(Collection<String> roles) {
        SortedSet<String> scopes = new TreeSet<>();
        rolesByScope.forEach((scope, granting) -> {
            for (String role : roles) {
                if (granting.contains(role)) {
                    scopes.add(scope);
                    return;
                }
            }
        });
        return Collections.unmodifiableSortedSet(scopes);
    }

    /** The mapping itself, scope → roles, sorted. */
    public Map<String, Set<String>> rolesByScope() {
        return rolesByScope;
    }
}
