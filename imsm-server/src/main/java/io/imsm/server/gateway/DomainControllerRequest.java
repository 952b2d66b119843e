package io.imsm.server.gateway;

import java.util.Map;

/**
 * What an admin registers (the body of {@code POST /api/v1/gateway/services/domain}).
 *
 * @param controller the domain account (address) that controls this domain controller and may revoke
 */
public record DomainControllerRequest(String name, String description, String controller, Ldap ldap) {

    /**
     * How the gateway reaches the directory and decides: the holder's entry is found under
     * {@code baseDn} with {@code holderFilter} ({@code {address}} = the holder's lower-case address,
     * LDAP-escaped) and may use a subject when it is a member of that subject's group.
     *
     * @param subjects subject id → group DN
     */
    public record Ldap(String url, String bindDn, String bindPassword, String baseDn, String holderFilter, Map<String, String> subjects) {
        /** Never print the password. */
        @Override public String toString() {
            return "Ldap[url=" + url + ", bindDn=" + bindDn + ", baseDn=" + baseDn + ", holderFilter=" + holderFilter
                    + ", subjects=" + subjects + "]";
        }
    }
}
