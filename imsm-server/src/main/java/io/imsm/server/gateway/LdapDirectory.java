package io.imsm.server.gateway;

import com.unboundid.ldap.sdk.DN;
import com.unboundid.ldap.sdk.DereferencePolicy;
import com.unboundid.ldap.sdk.Filter;
import com.unboundid.ldap.sdk.LDAPConnection;
import com.unboundid.ldap.sdk.LDAPConnectionOptions;
import com.unboundid.ldap.sdk.LDAPException;
import com.unboundid.ldap.sdk.LDAPSearchException;
import com.unboundid.ldap.sdk.LDAPURL;
import com.unboundid.ldap.sdk.ResultCode;
import com.unboundid.ldap.sdk.SearchRequest;
import com.unboundid.ldap.sdk.SearchResult;
import com.unboundid.ldap.sdk.SearchResultEntry;
import com.unboundid.ldap.sdk.SearchScope;
import com.unboundid.util.ssl.HostNameSSLSocketVerifier;
import com.unboundid.util.ssl.JVMDefaultTrustManager;
import com.unboundid.util.ssl.SSLUtil;
import io.imsm.server.ErrorCode;
import io.imsm.server.ImsmException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.SocketFactory;
import java.security.GeneralSecurityException;
import java.time.Duration;

/**
 * Asks a domain controller (LDAP, UnboundID LDAP SDK) whether a holder is a member of a group: one
 * connection per question, bound with the registered DN and password, a connect and response deadline,
 * at most two holder entries read (more is ambiguous and refused), no referrals followed, no aliases
 * dereferenced, TLS for ldaps checked against the JVM's trusted CAs and the host name.
 */
public final class LdapDirectory {
    private static final Logger LOG = LoggerFactory.getLogger(LdapDirectory.class);
    static final int MAX_SUBJECTS = 100;
    private final Duration timeout;

    public LdapDirectory(Duration timeout) {
        this.timeout = timeout;
    }

    /**
     * True when the entry {@code holderFilter} finds for {@code address} (exactly one) is a member of
     * {@code groupDn}: listed in the group's {@code member} or {@code uniqueMember}, or the group in
     * the entry's {@code memberOf}.
     *
     * @throws ImsmException.Unavailable when the directory cannot be asked (no details for the caller)
     */
    public boolean isMember(DomainControllerRequest.Ldap dc, EthAddress address, String groupDn) {
        int millis = (int) timeout.toMillis();
        try (LDAPConnection conn = connect(dc, millis)) {
            Filter filter = Filter.create(dc.holderFilter().replace("{address}", Filter.encodeValue(address.lower())));
            SearchRequest find = new SearchRequest(dc.baseDn(), SearchScope.SUB, DereferencePolicy.NEVER, 2,
                    (int) Math.max(1, timeout.toSeconds()), false, filter, "memberOf");
            find.setResponseTimeoutMillis(millis);
            SearchResult found;
            try {
                found = conn.search(find);
            } catch (LDAPSearchException e) {
                if (e.getResultCode() == ResultCode.SIZE_LIMIT_EXCEEDED || e.getResultCode() == ResultCode.NO_SUCH_OBJECT) {
                    return false; // several entries for one address, or no base: not a clear member
                }
                throw e;
            }
            if (found.getEntryCount() != 1) {
                return false;
            }
            SearchResultEntry entry = found.getSearchEntries().get(0);
            DN group = new DN(groupDn);
            String[] memberOf = entry.getAttributeValues("memberOf");
            if (memberOf != null) {
                for (String g : memberOf) {
                    if (DN.isValidDN(g) && new DN(g).equals(group)) {
                        return true;
                    }
                }
            }
            SearchRequest inGroup = new SearchRequest(groupDn, SearchScope.BASE, DereferencePolicy.NEVER, 1,
                    (int) Math.max(1, timeout.toSeconds()), false,
                    Filter.createORFilter(Filter.createEqualityFilter("member", entry.getDN()),
                            Filter.createEqualityFilter("uniqueMember", entry.getDN())), "1.1");
            inGroup.setResponseTimeoutMillis(millis);
            try {
                return conn.search(inGroup).getEntryCount() == 1;
            } catch (LDAPSearchException e) {
                if (e.getResultCode() == ResultCode.NO_SUCH_OBJECT) {
                    return false;
                }
                throw e;
            }
        } catch (LDAPException e) {
            LOG.warn("gateway: the domain controller at {} could not answer: {}", hostOf(dc), e.getResultCode());
            throw new ImsmException.Unavailable(ErrorCode.DOMAIN_CONTROLLER_UNAVAILABLE,
                    "The domain controller cannot be asked right now; try again later.", (Throwable) null);
        }
    }

    /** Refuses a registration the gateway could not use; field names are the request's. */
    public static void validate(DomainControllerRequest.Ldap dc) {
        if (dc == null) {
            throw ImsmException.Invalid.inField("ldap", "ldap is required");
        }
        try {
            LDAPURL url = new LDAPURL(require(dc.url(), "ldap.url", 500));
            if (!("ldap".equals(url.getScheme()) || "ldaps".equals(url.getScheme())) || !url.hostProvided()) {
                throw ImsmException.Invalid.inField("ldap.url", "ldap.url must be ldap://host[:port] or ldaps://host[:port]");
            }
        } catch (LDAPException e) {
            throw ImsmException.Invalid.inField("ldap.url", "ldap.url is not an LDAP URL");
        }
        dn(dc.bindDn(), "ldap.bind_dn");
        require(dc.bindPassword(), "ldap.bind_password", 1024);
        dn(dc.baseDn(), "ldap.base_dn");
        String filter = require(dc.holderFilter(), "ldap.holder_filter", 512);
        if (!filter.contains("{address}")) {
            throw ImsmException.Invalid.inField("ldap.holder_filter", "ldap.holder_filter must contain {address}, e.g. (uid={address})");
        }
        try {
            Filter.create(filter.replace("{address}", Filter.encodeValue("0x0000000000000000000000000000000000000000")));
        } catch (LDAPException e) {
            throw ImsmException.Invalid.inField("ldap.holder_filter", "ldap.holder_filter is not an LDAP filter (RFC 4515)");
        }
        if (dc.subjects() == null || dc.subjects().isEmpty() || dc.subjects().size() > MAX_SUBJECTS) {
            throw ImsmException.Invalid.inField("ldap.subjects", "ldap.subjects must map 1 to " + MAX_SUBJECTS + " subject ids to group DNs");
        }
        dc.subjects().forEach((subject, group) -> {
            if (subject == null || !Es256kJwt.SUBJECT.matcher(subject).matches()) {
                throw ImsmException.Invalid.inField("ldap.subjects", "a subject id has 1-128 letters, digits, ':', '.', '_' or '-'");
            }
            dn(group, "ldap.subjects");
        });
    }

    private static String require(String value, String field, int max) {
        if (value == null || value.isBlank() || value.length() > max) {
            throw ImsmException.Invalid.inField(field, field + " is required (at most " + max + " characters)");
        }
        return value;
    }

    private static void dn(String value, String field) {
        if (!DN.isValidDN(require(value, field, 512)) || value.isBlank()) {
            throw ImsmException.Invalid.inField(field, field + " must be a distinguished name (RFC 4514), got '" + value + "'");
        }
    }

    private static LDAPConnection connect(DomainControllerRequest.Ldap dc, int millis) throws LDAPException {
        LDAPURL url = new LDAPURL(dc.url());
        LDAPConnectionOptions options = new LDAPConnectionOptions();
        options.setConnectTimeoutMillis(millis);
        options.setResponseTimeoutMillis(millis);
        options.setFollowReferrals(false);
        options.setAbandonOnTimeout(true);
        SocketFactory sockets = SocketFactory.getDefault();
        if ("ldaps".equals(url.getScheme())) {
            try {
                sockets = new SSLUtil(JVMDefaultTrustManager.getInstance()).createSSLSocketFactory();
            } catch (GeneralSecurityException e) {
                throw new LDAPException(ResultCode.LOCAL_ERROR, "no TLS", e);
            }
            options.setSSLSocketVerifier(new HostNameSSLSocketVerifier(false));
        }
        return new LDAPConnection(sockets, options, url.getHost(), url.getPort(), dc.bindDn(), dc.bindPassword());
    }

    private static String hostOf(DomainControllerRequest.Ldap dc) {
        try {
            LDAPURL u = new LDAPURL(dc.url());
            return u.getHost() + ":" + u.getPort();
        } catch (LDAPException e) {
            return "?";
        }
    }
}
