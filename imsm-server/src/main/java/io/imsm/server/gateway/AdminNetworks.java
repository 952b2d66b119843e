package io.imsm.server.gateway;

import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/** The client address ranges ({@code gateway.admin_networks}) domain controllers may be registered from. */
public final class AdminNetworks {
    private static final Pattern LITERAL = Pattern.compile("\\d{1,3}(?:\\.\\d{1,3}){3}|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*");

    private record Range(byte[] network, int prefix) {}

    private final List<Range> ranges = new ArrayList<>();

    /** @param cidrs IP literals or CIDRs, validated by the config */
    public AdminNetworks(List<String> cidrs) {
        for (String c : cidrs) {
            String v = c.trim();
            int slash = v.indexOf('/');
            byte[] net = literal(slash < 0 ? v : v.substring(0, slash));
            if (net == null) {
                throw new IllegalArgumentException("not an IP literal: " + c);
            }
            int prefix = slash < 0 ? net.length * 8 : Integer.parseInt(v.substring(slash + 1));
            if (prefix < 0 || prefix > net.length * 8) {
                throw new IllegalArgumentException("bad prefix length: " + c);
            }
            ranges.add(new Range(net, prefix));
        }
    }

    public boolean contains(String address) {
        byte[] a = address == null ? null : literal(address.startsWith("[") && address.endsWith("]")
                ? address.substring(1, address.length() - 1) : address);
        if (a == null) {
            return false;
        }
        for (Range r : ranges) {
            if (r.network().length == a.length && samePrefix(r.network(), a, r.prefix())) {
                return true;
            }
        }
        return false;
    }

    private static boolean samePrefix(byte[] net, byte[] a, int prefix) {
        int bits = net.length * 8;
        BigInteger mask = BigInteger.ONE.shiftLeft(bits).subtract(BigInteger.ONE).shiftRight(prefix).not();
        return new BigInteger(1, net).and(mask).equals(new BigInteger(1, a).and(mask));
    }

    /** The address bytes of an IP literal, never asking DNS (a name is refused before InetAddress sees it). */
    private static byte[] literal(String s) {
        if (s == null || s.length() > 45 || !LITERAL.matcher(s).matches()) {
            return null;
        }
        try {
            return InetAddress.getByName(s).getAddress();
        } catch (UnknownHostException | IllegalArgumentException e) {
            return null;
        }
    }
}
