package io.imsm.server.web.http;

import org.eclipse.jetty.util.InetAddressSet;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Who the client is when IMSM runs behind reverse proxies ({@code server.trusted_proxies}). Only a
 * request whose TCP peer is a trusted proxy may name the client, through {@code Forwarded} (RFC 7239)
 * or else {@code X-Forwarded-For}. The chain is read from the right, the end our own proxies appended,
 * skipping trusted proxies: the first address that is not one of them is the client. Anything to its
 * left was written by the client itself and is never believed. With no trusted proxies (the default)
 * the headers are ignored, so nobody can pick the address their rate limits are counted under.
 */
public final class ClientAddress {
    /** Bounds the work a long header can cause; real chains have a few hops. */
    private static final int MAX_HOPS = 20;
    private static final int MAX_HEADER_CHARS = 2048;
    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(?:\\.\\d{1,3}){3}");
    private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*");

    private final InetAddressSet trusted = new InetAddressSet();

    /** @param trustedProxies IP literals or CIDRs (validated by the config) */
    public ClientAddress(List<String> trustedProxies) {
        for (String p : trustedProxies) {
            trusted.add(p.trim());
        }
    }

    /**
     * @param peer      the TCP peer address
     * @param forwarded the {@code Forwarded} header values, in order
     * @param xff       the {@code X-Forwarded-For} header values, in order
     */
    public String resolve(String peer, List<String> forwarded, List<String> xff) {
        String self = stripBrackets(peer);
        if (trusted.isEmpty() || !isTrusted(self)) {
            return self;
        }
        List<String> chain = !forwarded.isEmpty() ? forwardedFor(forwarded) : split(xff);
        String nearest = self;
        int hops = 0;
        for (int i = chain.size() - 1; i >= 0 && hops < MAX_HOPS; i--, hops++) {
            String hop = node(chain.get(i));
            if (hop == null) {
                // "unknown", an obfuscated name (RFC 7239 §6.3) or garbage: the hop that wrote it is the
                // last address we can vouch for.
                return nearest;
            }
            if (!isTrusted(hop)) {
                return hop;
            }
            nearest = hop;
        }
        return nearest;
    }

    /** True when the TCP peer is one of {@code server.trusted_proxies} (so its forwarded headers count). */
    public boolean trustsPeer(String peer) {
        return !trusted.isEmpty() && isTrusted(stripBrackets(peer));
    }

    private boolean isTrusted(String address) {
        InetAddress a = literal(address);
        return a != null && trusted.test(a);
    }

    /** The {@code for=} parameters of every forwarded-element, in order (RFC 7239 §4). */
    private static List<String> forwardedFor(List<String> headers) {
        List<String> out = new ArrayList<>();
        for (String element : split(headers)) {
            for (String pair : element.split(";")) {
                int eq = pair.indexOf('=');
                if (eq > 0 && pair.substring(0, eq).trim().toLowerCase(Locale.ROOT).equals("for")) {
                    out.add(pair.substring(eq + 1).trim());
                }
            }
        }
        return out;
    }

    private static List<String> split(List<String> headers) {
        List<String> out = new ArrayList<>();
        for (String h : headers) {
            String v = h.length() > MAX_HEADER_CHARS ? h.substring(h.length() - MAX_HEADER_CHARS) : h;
            for (String part : v.split(",")) {
                if (!part.isBlank()) {
                    out.add(part.trim());
                }
            }
        }
        return out;
    }

    /** An address literal from a node ({@code 192.0.2.1}, {@code 192.0.2.1:8080}, {@code "[2001:db8::1]:80"}), else null. */
    private static String node(String raw) {
        String v = raw.trim();
        if (v.length() >= 2 && v.startsWith("\"") && v.endsWith("\"")) {
            v = v.substring(1, v.length() - 1);
        }
        if (v.startsWith("[")) {
            int end = v.indexOf(']');
            if (end < 0) {
                return null;
            }
            v = v.substring(1, end);
        } else if (v.indexOf(':') > 0 && v.indexOf(':') == v.lastIndexOf(':')) {
            v = v.substring(0, v.indexOf(':')); // IPv4 with a port
        }
        return literal(v) == null ? null : v;
    }

    /** Parses an IP literal without ever asking DNS (a name is refused before InetAddress sees it). */
    private static InetAddress literal(String s) {
        if (s == null || s.length() > 45 || !(IPV4.matcher(s).matches() || IPV6.matcher(s).matches())) {
            return null;
        }
        try {
            return InetAddress.getByName(s);
        } catch (UnknownHostException | IllegalArgumentException e) {
            return null;
        }
    }

    private static String stripBrackets(String s) {
        return s != null && s.startsWith("[") && s.endsWith("]") ? s.substring(1, s.length() - 1) : s;
    }
}
