package io.imsm.server.audit;

/**
 * The User-Agent of the HTTP request the current thread serves, for the audit log. Set by the web
 * layer before each request (one virtual thread per request) and cleared after, so the services'
 * many audit calls keep their signatures (they pass the client address, as before) and events from
 * background work (retention, outbox) carry none.
 */
public final class RequestOrigin {
    private static final ThreadLocal<String> USER_AGENT = new ThreadLocal<>();
    static final int MAX = 200;

    private RequestOrigin() {}

    public static void set(String userAgent) {
        USER_AGENT.set(userAgent == null || userAgent.isBlank() ? null : AuditLog.fit(userAgent.strip(), MAX));
    }

    public static void clear() {
        USER_AGENT.remove();
    }

    static String userAgent() {
        return USER_AGENT.get();
    }
}
