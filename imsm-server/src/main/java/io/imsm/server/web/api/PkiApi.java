package io.imsm.server.web.api;

import io.imsm.server.identity.Caller;
import io.imsm.server.pki.CertificateAuthority;
import io.imsm.server.pki.Pem;
import io.imsm.server.pki.ServiceCertificates;
import io.imsm.server.pki.ServiceIdentities;
import io.imsm.server.store.ServiceCertificateStore.IssuedCertificate;
import io.imsm.server.web.http.ClientCertificates;
import io.imsm.server.web.http.WebAuth;
import io.imsm.server.web.http.WebSupport;
import io.javalin.http.Context;

import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/** The certificate authority's JSON API: CA and CRL, join tokens, enrollment and renewal, admin list and revoke, key registry. */
public final class PkiApi {
    private final CertificateAuthority ca;
    private final ServiceCertificates certificates;
    private final ServiceIdentities identities;
    private final WebAuth auth;

    public PkiApi(CertificateAuthority ca, ServiceCertificates certificates, ServiceIdentities identities, WebAuth auth) {
        this.ca = Objects.requireNonNull(ca);
        this.certificates = Objects.requireNonNull(certificates);
        this.identities = Objects.requireNonNull(identities);
        this.auth = Objects.requireNonNull(auth);
    }

    public record JoinTokenCreated(String joinToken, String serviceId, Instant expiresAt) {}

    public record EnrollRequest(String joinToken, String csr) {}

    public record RenewRequest(String csr) {}

    /** {@code certificate} and {@code chain} (the CA certificate, then any above it) in PEM. */
    public record IssuedView(String certificate, List<String> chain, String serial, String spiffeId, Instant notAfter) {
        static IssuedView of(ServiceCertificates.Issued i) {
            X509Certificate c = i.certificate();
            return new IssuedView(Pem.certificate(c), i.chain().stream().map(Pem::certificate).toList(), Pem.serialHex(c.getSerialNumber()),
                    i.spiffeId(), c.getNotAfter().toInstant());
        }
    }

    public record CertificateView(String serial, String serviceId, String status, String issuedVia, Instant notBefore, Instant notAfter,
                                  Instant revokedAt, String revokedBy, String x5tS256) {
        static CertificateView of(ServiceCertificates.Listed listed) {
            IssuedCertificate c = listed.certificate();
            return new CertificateView(c.serial(), c.serviceId(), listed.status(), c.issuedVia(), c.notBefore(), c.notAfter(), c.revokedAt(),
                    c.revokedBy(), c.x5tS256());
        }
    }

    public record KeyCertificate(String serial, Instant notAfter, String x5tS256, String certificate) {}

    public record ServiceKeysView(String id, String spiffeId, List<KeyCertificate> certificates, Map<String, Object> kxPublicJwk) {
        static ServiceKeysView of(ServiceCertificates.ServiceKeys k) {
            return new ServiceKeysView(k.id(), k.spiffeId(), k.certificates().stream()
                    .map(c -> new KeyCertificate(c.serial(), c.notAfter(), c.x5tS256(), c.certificatePem())).toList(), k.kxPublicJwk());
        }
    }

    /** The CA certificate and any above it, PEM, for operators and services to pin. */
    public void ca(Context ctx) {
        ctx.contentType("application/x-pem-file");
        ctx.result(String.join("", ca.chain().stream().map(Pem::certificate).toList()));
    }

    public void crl(Context ctx) {
        ctx.contentType("application/pkix-crl");
        ctx.result(certificates.crl());
    }

    public void createJoinToken(Context ctx) {
        Caller c = auth.requireForApi(ctx);
        ServiceCertificates.JoinToken t = certificates.createJoinToken(c, ctx.pathParam("id"));
        ctx.status(201).header("Cache-Control", "no-store");
        ctx.json(new JoinTokenCreated(t.token(), t.serviceId(), t.expiresAt()));
    }

    public void enroll(Context ctx) {
        EnrollRequest req = WebSupport.body(ctx, EnrollRequest.class);
        ServiceCertificates.Issued issued = certificates.enroll(req.joinToken(), req.csr(), WebSupport.clientIp(ctx));
        ctx.status(201);
        ctx.json(IssuedView.of(issued));
    }

    public void renew(Context ctx) {
        ServiceCertificates.VerifiedClient client = certificates.verify(ClientCertificates.of(ctx));
        RenewRequest req = WebSupport.body(ctx, RenewRequest.class);
        ServiceCertificates.Issued issued = certificates.renew(client, req.csr(), WebSupport.clientIp(ctx));
        ctx.status(201);
        ctx.json(IssuedView.of(issued));
    }

    public void listCertificates(Context ctx) {
        Caller c = auth.requireForApi(ctx);
        List<ServiceCertificates.Listed> list = certificates.list(c, ctx.queryParam("service"), WebSupport.intParam(ctx, "offset", 0),
                WebSupport.intParam(ctx, "limit", 100));
        ctx.json(Map.of("certificates", list.stream().map(CertificateView::of).toList()));
    }

    public void revokeCertificate(Context ctx) {
        Caller c = auth.requireForApi(ctx);
        ctx.json(CertificateView.of(certificates.revoke(c, ctx.pathParam("serial"))));
    }

    /** Services with a valid client certificate, or logged-in people. */
    public void serviceKeys(Context ctx) {
        X509Certificate cert = ClientCertificates.of(ctx);
        List<ServiceCertificates.ServiceKeys> keys = cert != null
                ? certificates.registryForService(certificates.verify(cert))
                : certificates.registryForPerson(auth.requireForApi(ctx));
        ctx.json(Map.of("services", keys.stream().map(ServiceKeysView::of).toList()));
    }

    public void getIdentity(Context ctx) {
        Caller c = auth.requireForApi(ctx);
        ctx.json(identities.get(c, ctx.pathParam("id")));
    }

    public void putIdentity(Context ctx) {
        Caller c = auth.requireForApi(ctx);
        ServiceIdentities.Identity body = WebSupport.body(ctx, ServiceIdentities.Identity.class);
        ctx.json(identities.set(c, ctx.pathParam("id"), body));
    }
}
