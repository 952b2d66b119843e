package io.imsm.server.web.ui;

import java.util.Locale;

/**
 * "Firefox on Linux" from a User-Agent header, for the sessions list: people recognise their
 * devices by browser and system, not by the raw header (kept as the tooltip). Only the main
 * browsers and systems are named; the order matters because most browsers also claim to be the
 * ones they descend from (Edge and Opera say "Chrome", Chrome says "Safari").
 */
public final class BrowserNames {
    private BrowserNames() {}

    public static String describe(String userAgent) {
        if (userAgent == null || userAgent.isBlank()) {
            return "Unknown browser";
        }
        String ua = userAgent.length() > 512 ? userAgent.substring(0, 512) : userAgent;
        String browser = browser(ua);
        String os = system(ua);
        if (browser == null) {
            return os == null ? "Unknown browser" : "A browser on " + os;
        }
        return os == null ? browser : browser + " on " + os;
    }

    private static String browser(String ua) {
        if (ua.startsWith("curl/")) {
            return "curl";
        }
        if (ua.startsWith("Java-http-client/") || ua.startsWith("Java/")) {
            return "Java HTTP client";
        }
        if (ua.contains("Edg/") || ua.contains("EdgA/") || ua.contains("EdgiOS/")) {
            return "Edge";
        }
        if (ua.contains("OPR/") || ua.contains("Opera")) {
            return "Opera";
        }
        if (ua.contains("SamsungBrowser/")) {
            return "Samsung Internet";
        }
        if (ua.contains("Firefox/") || ua.contains("FxiOS/")) {
            return "Firefox";
        }
        if (ua.contains("Chromium/")) {
            return "Chromium";
        }
        if (ua.contains("Chrome/") || ua.contains("CriOS/")) {
            return "Chrome";
        }
        if (ua.contains("Safari/") && ua.contains("Version/")) {
            return "Safari";
        }
        return null;
    }

    private static String system(String ua) {
        String l = ua.toLowerCase(Locale.ROOT);
        if (l.contains("iphone") || l.contains("ipad") || l.contains("ipod")) {
            return "iOS";
        }
        if (l.contains("android")) {
            return "Android";
        }
        if (l.contains("windows")) {
            return "Windows";
        }
        if (l.contains("cros")) {
            return "ChromeOS";
        }
        if (l.contains("mac os x") || l.contains("macintosh")) {
            return "macOS";
        }
        if (l.contains("linux") || l.contains("x11")) {
            return "Linux";
        }
        return null;
    }
}
