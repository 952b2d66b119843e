package io.imsm.server.access;

import io.imsm.server.ImsmException;

import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Where IMSM lets a service URL ({@code kx_url}, {@code base_url}) point. IMSM calls {@code kx_url}
 * itself, so a URL is a request IMSM makes from inside the network: the rules keep an admin's typo
 * or a hostile catalog entry from turning it against internal addresses (server-side request
 * forgery).
 *
 * <ul>
 *   <li>an absolute {@code http}/{@code https} URL (RFC 3986), port 1-65535, no credentials, no
 *       fragment, and nothing a shell or an HTML attribute treats specially (quotes, spaces,
 *       backslashes, control characters);</li>
 *   <li>plain {@code http} only to this machine: a loopback literal ({@code 127.0.0.0/8},
 *       {@code [::1]}) or {@code localhost} resolving to loopback addresses only;</li>
 *   <li>never the unspecified address or multicast; link-local addresses ({@code 169.254.0.0/16},
 *       {@code fe80::/10}) and cloud metadata endpoints only when {@code services.allow_link_local}
 *       is set.</li>
 * </ul>
 *
 * A registered URL is checked on registration ({@link #validate}) and its host again before every
 * call ({@link #checkTarget}), since what a name resolves to can change after registration.
 */
public final class ServiceUrls {
    /** Resolves a host name; {@link InetAddress#getAllByName} in production. */
    @FunctionalInterface
    public interface Resolver {
        InetAddress[] resolve(String host) throws UnknownHostException;
    }

    /** A target the rules refuse; the message names the address, for admins only. */
    public static final class RefusedTarget extends Exception {
        public RefusedTarget(String message) { super(message, null, false, false); }
    }

    private static final int MAX_LENGTH = 2000;
    /** Characters refused anywhere in a URL: they break out of shell quoting or HTML attributes. */
    private static final Pattern UNSAFE = Pattern.compile("[\\s\\p{Cntrl}\"'`\\\\<>{}|^]");
    private static final Pattern IPV4 = Pattern.compile("(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(\\.(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}");
    /** Cloud metadata names (their addresses are below); 169.254.169.254 is also link-local. */
    private static final Set<String> METADATA_NAMES = Set.of("metadata.google.internal");
    private static final List<String> METADATA_ADDRESSES = List.of("169.254.169.254", "fd00:ec2:0:0:0:0:0:254");

    private final boolean allowLinkLocal;
    private final Resolver resolver;

    public ServiceUrls(boolean allowLinkLocal, Resolver resolver) {
        this.allowLinkLocal = allowLinkLocal;
        this.resolver = Objects.requireNonNull(resolver);
    }

    public static ServiceUrls system(boolean allowLinkLocal) {
        return new ServiceUrls(allowLinkLocal, InetAddress::getAllByName);
    }

    /**
     * Checks a URL as registered and returns it normalized (scheme and host in lower case, no
     * trailing slash).
     *
     * @param key the field name for the message, e.g. {@code kx_url}
     */
    public String validate(String text, String key) {
        if (text == null || text.isBlank()) {
            throw new ImsmException.Invalid(key + " is required");
        }
        String s = text.strip();
        if (s.length() > MAX_LENGTH) {
            throw new ImsmException.Invalid(key + " must be at most " + MAX_LENGTH + " characters");
        }
        if (UNSAFE.matcher(s).find()) {
            throw new ImsmException.Invalid(key + " must not contain spaces, quotes, backslashes or control characters");
        }
        URI u;
        try {
            u = new URI(s);
        } catch (URISyntaxException e) {
            throw new ImsmException.Invalid(key + " is not a URL");
        }
        String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
        if (!("https".equals(scheme) || "http".equals(scheme)) || u.getHost() == null || u.getRawAuthority() == null) {
            throw new ImsmException.Invalid(key + " must be an absolute http(s) URL with a host name or address");
        }
        if (u.getRawUserInfo() != null || u.getRawFragment() != null) {
            throw new ImsmException.Invalid(key + " must not contain credentials or a fragment");
        }
        if (u.getPort() != -1 && (u.getPort() < 1 || u.getPort() > 65535)) {
            throw new ImsmException.Invalid(key + " has port " + u.getPort() + "; a port is 1-65535");
        }
        String host = u.getHost().toLowerCase(Locale.ROOT);
        try {
            checkHost(scheme, host, false);
        } catch (RefusedTarget e) {
            throw new ImsmException.Invalid(key + ": " + e.getMessage());
        }
        String out = scheme + "://" + u.getRawAuthority().toLowerCase(Locale.ROOT) + (u.getRawPath() == null ? "" : u.getRawPath())
                + (u.getRawQuery() == null ? "" : "?" + u.getRawQuery());
        return out.endsWith("/") ? out.substring(0, out.length() - 1) : out;
    }

    /**
     * Resolves the host of a registered URL and refuses it when any of its addresses breaks the rules
     * (called before each outbound call; DNS may have changed since registration).
     */
    public void checkTarget(URI url) throws RefusedTarget {
        String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
        if (url.getHost() == null || !("https".equals(scheme) || "http".equals(scheme))) {
            throw new RefusedTarget("not an absolute http(s) URL");
        }
        checkHost(scheme, url.getHost().toLowerCase(Locale.ROOT), true);
    }

    /**
     * Whether {@link #checkTarget} decides {@code url} without consulting DNS (its host is an address
     * literal), so a caller need not bound the check's wait with a deadline of its own.
     */
    public static boolean isAddressLiteral(URI url) {
        try {
            return url.getHost() != null && literal(url.getHost().toLowerCase(Locale.ROOT)) != null;
        } catch (RefusedTarget e) {
            return false;
        }
    }

    private void checkHost(String scheme, String host, boolean resolveNames) throws RefusedTarget {
        InetAddress literal = literal(host);
        if (literal == null && !allowLinkLocal && (METADATA_NAMES.contains(host) || METADATA_NAMES.contains(stripDot(host)))) {
            throw new RefusedTarget("host " + host + " is a cloud metadata endpoint (set services.allow_link_local to allow it)");
        }
        boolean plain = "http".equals(scheme);
        if (plain && literal == null && !"localhost".equals(host)) {
            throw new RefusedTarget("plain http is allowed only to this machine (127.0.0.1, [::1] or localhost); use https");
        }
        InetAddress[] addresses;
        if (literal != null) {
            addresses = new InetAddress[] {literal};
        } else if (plain || resolveNames) {
            try {
                addresses = resolver.resolve(host);
            } catch (UnknownHostException e) {
                throw new RefusedTarget("host " + host + " does not resolve");
            }
        } else {
            // a name for https is resolved before each call, not at registration (it may not exist yet)
            return;
        }
        if (addresses.length == 0) {
            throw new RefusedTarget("host " + host + " does not resolve");
        }
        for (InetAddress a : addresses) {
            if (plain && !a.isLoopbackAddress()) {
                throw new RefusedTarget("plain http is allowed only to loopback addresses; " + host + " is " + a.getHostAddress());
            }
            check(host, a);
        }
    }

    private void check(String host, InetAddress a) throws RefusedTarget {
        if (a.isAnyLocalAddress() || a.isMulticastAddress()) {
            throw new RefusedTarget("host " + host + " is " + a.getHostAddress() + ", not an address a service can have");
        }
        if (allowLinkLocal) {
            return;
        }
        if (a.isLinkLocalAddress() || isMetadata(a)) {
            throw new RefusedTarget("host " + host + " is " + a.getHostAddress()
                    + ", a link-local or cloud metadata address (set services.allow_link_local to allow it)");
        }
    }

    private static boolean isMetadata(InetAddress a) {
        for (String m : METADATA_ADDRESSES) {
            try {
                if (Arrays.equals(InetAddress.getByName(m).getAddress(), a.getAddress())) {
                    return true;
                }
            } catch (UnknownHostException e) {
                throw new IllegalStateException(e); // literals never resolve
            }
        }
        return false;
    }

    /** The address of an IPv4 dotted-quad or bracketed IPv6 literal; null for a name. Never consults DNS. */
    private static InetAddress literal(String host) throws RefusedTarget {
        try {
            if (host.startsWith("[") && host.endsWith("]")) {
                // java.net.URI accepts only a valid IPv6 literal between brackets
                return InetAddress.getByName(host.substring(1, host.length() - 1));
            }
            if (IPV4.matcher(host).matches()) {
                return InetAddress.getByName(host);
            }
        } catch (UnknownHostException e) {
            throw new RefusedTarget("host " + host + " is not a valid address");
        }
        if (host.matches("[0-9.]+") || host.matches("0x[0-9a-f.x]*")) {
            // forms like 127.1 or 2130706433 that some resolvers read as addresses: refuse, they only confuse
            throw new RefusedTarget("host " + host + " is not a dotted-quad IPv4 address or a host name");
        }
        return null;
    }

    private static String stripDot(String host) {
        return host.endsWith(".") ? host.substring(0, host.length() - 1) : host;
    }
}
