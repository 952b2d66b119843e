package io.imsm.server.apitoken;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Where the login may send a browser afterwards ({@code /login?rd=...}, the address an ingress passes to
 * its {@code auth-signin}): a path on IMSM, IMSM's own origin, or a host of {@code ingress.redirect_hosts}.
 * Anything else is ignored, so the login page is no open redirect (RFC 9700 §4.11): other hosts,
 * scheme-relative {@code //host}, {@code javascript:} and other schemes, user info ({@code a@b}),
 * backslashes (browsers read them as slashes), spaces and control characters (CR/LF).
 */
public final class LoginRedirects {
    public static final int MAX_LENGTH = 2000;

    private final String baseUrl;
    private final URI self;
    private final Set<String> hosts;

    /** @param hosts {@code host} (any port) or {@code host:port}, as configured */
    public LoginRedirects(String baseUrl, List<String> hosts) {
        this.baseUrl = Objects.requireNonNull(baseUrl);
        this.self = URI.create(baseUrl);
        this.hosts = hosts.stream().map(h -> h.strip().toLowerCase(Locale.ROOT)).collect(Collectors.toUnmodifiableSet());
    }

    /** {@code rd} when the login may go there afterwards, else empty (the person lands on the home page). */
    public Optional<String> target(String rd) {
        if (rd == null || rd.isEmpty() || rd.length() > MAX_LENGTH || rd.chars().anyMatch(ch -> ch <= 0x20 || ch >= 0x7f || ch == '\\')) {
            return Optional.empty();
        }
        if (rd.startsWith("/")) {
            return rd.startsWith("//") ? Optional.empty() : Optional.of(rd);
        }
        URI u;
        try {
            u = new URI(rd);
        } catch (URISyntaxException e) {
            return Optional.empty();
        }
        String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
        if (!(scheme.equals("https") || scheme.equals("http")) || u.isOpaque() || u.getHost() == null
                || u.getRawUserInfo() != null || u.getRawAuthority().contains("@")) {
            return Optional.empty();
        }
        String host = u.getHost().toLowerCase(Locale.ROOT);
        boolean own = scheme.equalsIgnoreCase(self.getScheme()) && host.equalsIgnoreCase(self.getHost()) && port(u) == port(self);
        boolean listed = hosts.contains(host) || hosts.contains(host + ":" + port(u));
        return own || listed ? Optional.of(rd) : Optional.empty();
    }

    /** The login page, with {@code rd} when the login would go back there. */
    public String loginUrl(String originalUrl) {
        return target(originalUrl).map(t -> baseUrl + "/login?rd=" + URLEncoder.encode(t, StandardCharsets.UTF_8))
                .orElse(baseUrl + "/login");
    }

    private static int port(URI u) {
        if (u.getPort() >= 0) {
            return u.getPort();
        }
        return "https".equalsIgnoreCase(u.getScheme()) ? 443 : 80;
    }
}
