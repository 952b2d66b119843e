package io.imsm.server.web.http;

import io.javalin.http.Context;

import java.io.ByteArrayInputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Base64;

/**
 * The client certificate of a request: the one the TLS handshake on {@code tls.port} received, or,
 * only when the TCP peer is one of {@code server.trusted_proxies} (a TLS-terminating proxy), the one
 * that proxy forwards in {@code Client-Cert} (RFC 9440: {@code :base64(DER):}) or {@code X-Client-Cert}
 * (URL-encoded PEM, nginx's {@code $ssl_client_escaped_cert}). From anyone else those headers are
 * ignored. Whether the certificate is any good is the service's check, not this class's.
 */
public final class ClientCertificates {
    static final String ATTR = "imsm.client_certificate";
    /** The servlet attribute Jetty's SecureRequestCustomizer sets for a TLS client certificate. */
    private static final String SERVLET_ATTR = "jakarta.servlet.request.X509Certificate";
    /** A P-256 certificate is under 1 KB of DER; a header this long is not one. */
    private static final int MAX_HEADER_CHARS = 8192;

    private ClientCertificates() {}

    /** Called once per request by the server, before any handler. */
    public static void resolve(Context ctx, ClientAddress addresses) {
        Object tls = ctx.req().getAttribute(SERVLET_ATTR);
        if (tls instanceof X509Certificate[] chain && chain.length > 0) {
            ctx.attribute(ATTR, chain[0]);
            return;
        }
        String rfc9440 = ctx.header("Client-Cert");
        String nginx = ctx.header("X-Client-Cert");
        if ((rfc9440 == null && nginx == null) || !addresses.trustsPeer(ctx.ip())) {
            return;
        }
        X509Certificate forwarded = rfc9440 != null ? fromStructuredField(rfc9440) : fromEscapedPem(nginx);
        if (forwarded != null) {
            ctx.attribute(ATTR, forwarded);
        }
    }

    /** The request's client certificate, or null. */
    public static X509Certificate of(Context ctx) {
        return ctx.attribute(ATTR);
    }

    private static X509Certificate fromStructuredField(String value) {
        String v = value.trim();
        if (v.length() > MAX_HEADER_CHARS || v.length() < 3 || v.charAt(0) != ':' || v.charAt(v.length() - 1) != ':') {
            return null;
        }
        try {
            return parse(Base64.getDecoder().decode(v.substring(1, v.length() - 1)));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static X509Certificate fromEscapedPem(String value) {
        if (value.length() > MAX_HEADER_CHARS) {
            return null;
        }
        try {
            String pem = URLDecoder.decode(value, StandardCharsets.US_ASCII);
            String body = pem.replace("-----BEGIN CERTIFICATE-----", "").replace("-----END CERTIFICATE-----", "").replaceAll("\\s", "");
            return parse(Base64.getDecoder().decode(body));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static X509Certificate parse(byte[] der) {
        try {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(der));
        } catch (CertificateException | ClassCastException e) {
            return null;
        }
    }
}
