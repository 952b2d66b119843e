package io.imsm.server.kx;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import io.imsm.protocol.Answer;
import io.imsm.protocol.EphemeralKeys;
import io.imsm.protocol.KeyDerivation;
import io.imsm.protocol.Kx1;
import io.imsm.protocol.KxSigner;
import io.imsm.protocol.KxVerifier;
import io.imsm.protocol.Offer;
import io.imsm.protocol.ProtocolException;
import io.imsm.protocol.ReplayGuard;
import io.imsm.protocol.Revocation;
import io.imsm.protocol.SessionKeys;
import io.imsm.server.access.ServiceDefinition;
import io.imsm.server.access.ServiceUrls;
import io.imsm.server.keys.SigningKeys;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.client.StringRequestContent;
import org.eclipse.jetty.client.transport.HttpClientTransportOverHTTP;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.io.ClientConnector;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLContext;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * The IMS side of KX1 (docs/protocol.md): offer → answer → derive, and the signed revocation.
 * One exchange per token session; the ephemeral private key lives only in this call.
 *
 * <p>Everything a service sends is untrusted: each call has one deadline ({@code kx.timeout_seconds})
 * covering the address check, connecting, sending and reading the whole answer, and at most
 * {@link Kx1#MAX_MESSAGE_BYTES} of an answer are read. A service that streams without end or drips
 * its answer fails the call at the deadline, never later. Redirects are not followed; https is
 * verified against the JVM's default trust (host name included); each service (scheme, host, port)
 * gets at most {@link #MAX_CONNECTIONS_PER_SERVICE} pooled HTTP/1.1 connections.
 *
 * <p>The calls go through Jetty's HTTP client (Jetty is the servers' library already): with the JDK's
 * client every exchange crossed its selector thread, its executor and the caller's thread, and that
 * client was a tenth of the CPU of an issuance (docs/benchmarks.md, issuance, third pass).
 */
public final class KeyExchangeClient implements AutoCloseable {
    private static final Logger SECURITY = LoggerFactory.getLogger("imsm.security");
    /**
     * Answers are bound to their offer by {@code nonce} (KX1 section 4), so the verifier never consults
     * a replay memory for them; this one would say so loudly if it ever were.
     */
    private static final ReplayGuard ANSWERS_NEED_NO_REPLAY_GUARD = (id, keepUntil) -> {
        throw new IllegalStateException("the IMS verifies only answers, which are bound by nonce");
    };
    /** Connections kept or opened at once to one service; further calls wait in its queue. */
    static final int MAX_CONNECTIONS_PER_SERVICE = 64;
    /** Calls waiting for a connection to one service; beyond it a call fails at once. */
    static final int MAX_QUEUED_PER_SERVICE = 1024;

    /** Address checks may wait on DNS; they run on their own virtual thread so the deadline bounds them. */
    private static final Executor RESOLVER = r -> Thread.ofVirtual().name("imsm-kx-resolve").start(r);

    private final SigningKeys keys;
    private final Supplier<String> issuer;
    private final Clock clock;
    private final SecureRandom random;
    private final ServiceUrls urls;
    private final HttpClient http;
    private final Duration timeout;
    private final Cache<VerifierKey, KxVerifier> answerVerifiers = Caffeine.newBuilder().maximumSize(10_000).build();
    private volatile SignerForKey signer;

    public KeyExchangeClient(SigningKeys keys, Supplier<String> issuer, Clock clock, SecureRandom random, ServiceUrls urls,
                             Duration timeout) {
        this.keys = Objects.requireNonNull(keys);
        this.issuer = Objects.requireNonNull(issuer);
        this.clock = Objects.requireNonNull(clock);
        this.random = Objects.requireNonNull(random);
        this.urls = Objects.requireNonNull(urls);
        this.timeout = Objects.requireNonNull(timeout);
        this.http = startClient(timeout);
    }

    private static HttpClient startClient(Duration timeout) {
        SslContextFactory.Client tls = new SslContextFactory.Client();
        try {
            tls.setSslContext(SSLContext.getDefault()); // the JVM's trust, as the JDK client had
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("no default TLS context", e);
        }
        tls.setEndpointIdentificationAlgorithm("HTTPS"); // the certificate must name the host
        ClientConnector connector = new ClientConnector();
        connector.setSslContextFactory(tls);
        connector.setSelectors(1);
        QueuedThreadPool threads = new QueuedThreadPool(16, 2);
        threads.setName("imsm-kx");
        threads.setDaemon(true);
        connector.setExecutor(threads);
        HttpClient client = new HttpClient(new HttpClientTransportOverHTTP(connector));
        client.setExecutor(threads);
        client.setFollowRedirects(false);
        client.setConnectTimeout(timeout.toMillis());
        client.setIdleTimeout(Math.max(timeout.toMillis(), 30_000));
        client.setMaxConnectionsPerDestination(MAX_CONNECTIONS_PER_SERVICE);
        client.setMaxRequestsQueuedPerDestination(MAX_QUEUED_PER_SERVICE);
        client.setUserAgentField(null);
        client.setMaxResponseHeadersSize(8 * 1024);
        try {
            client.start();
        } catch (Exception e) {
            throw new IllegalStateException("the KX HTTP client did not start", e);
        }
        return client;
    }

    /** @param ticket the service's sealed session to carry in its tokens (docs/protocol.md section 14), or {@code null} */
    public record Exchanged(String sid, SessionKeys keys, String ticket) {
        @Override public String toString() { return "Exchanged[sid=" + sid + "]"; }
    }

    /**
     * Runs the exchange with the service.
     *
     * @throws KeyExchangeException with a detail for admins; show the person a generic message
     */
    public Exchanged exchange(ServiceDefinition service, String subject, String scope, Instant sessionExpiresAt)
            throws KeyExchangeException {
        ECKey ephemeral = EphemeralKeys.generate(random);
        String iss = issuer.get();
        Offer offer = Offer.create(iss, service.id(), subject, scope, sessionExpiresAt, ephemeral, clock, random);
        String offerJws = signer().sign(offer);
        URI uri = target(service, service.kxUrl());
        CappedReply.Reply res = call(service, uri, http.newRequest(uri).method(HttpMethod.POST)
                .headers(h -> h.put(HttpHeader.ACCEPT, "application/jwt"))
                .body(new StringRequestContent("application/jwt", offerJws, StandardCharsets.US_ASCII)), true);
        if (res.status() != 200) {
            throw failed(service, KeyExchangeException.Kind.BAD_ANSWER, "answered the offer with HTTP status " + res.status(), null);
        }
        Answer answer;
        try {
            answer = answerVerifier(service, iss).verifyAnswer(new String(res.body(), StandardCharsets.UTF_8).trim(), offer);
        } catch (ProtocolException e) {
            throw failed(service, KeyExchangeException.Kind.BAD_ANSWER,
                    "gave an answer that does not verify (" + e.reason().code() + ")", e);
        }
        SessionKeys derived = KeyDerivation.deriveForIms(ephemeral, answer.epk(), offer.sid());
        return new Exchanged(offer.sid(), derived, answer.ticket());
    }

    /**
     * Sends the signed revocation (KX1 section 8). Returns only when the service confirmed it with one
     * of the documented success answers, {@code 204} (or {@code 200}); anything else, a {@code 404}
     * included (a wrong URL is not a confirmation), is a failure to retry.
     */
    public void revoke(ServiceDefinition service, String sid) throws KeyExchangeException {
        if (!Kx1.isValidId(sid)) {
            throw new IllegalArgumentException("not a session id");
        }
        String jws = signer().sign(Revocation.create(issuer.get(), service.id(), sid, clock, random));
        URI uri = target(service, service.kxUrl() + "/" + sid);
        CappedReply.Reply res = call(service, uri, http.newRequest(uri).method(HttpMethod.DELETE)
                .headers(h -> h.put(HttpHeader.AUTHORIZATION, "Bearer " + jws)), false);
        if (res.status() != 204 && res.status() != 200) {
            throw failed(service, KeyExchangeException.Kind.BAD_ANSWER, "answered the revocation with HTTP status " + res.status(), null);
        }
    }

    @Override
    public void close() {
        try {
            http.stop(); // aborts calls in flight and closes the pooled connections
        } catch (Exception e) {
            LoggerFactory.getLogger(KeyExchangeClient.class).warn("stopping the KX HTTP client failed", e);
        }
    }

    private URI target(ServiceDefinition service, String url) throws KeyExchangeException {
        if (url == null) {
            throw failed(service, KeyExchangeException.Kind.UNREACHABLE, "has no kx_url", null);
        }
        try {
            return URI.create(url);
        } catch (IllegalArgumentException e) {
            throw failed(service, KeyExchangeException.Kind.UNREACHABLE, "has a kx_url that is not a URL", e);
        }
    }

    /**
     * One call under one deadline: the address check, then the request including its whole body
     * ({@code keepBody}: the body of a 200 answer, at most {@link Kx1#MAX_MESSAGE_BYTES}; otherwise
     * at most that much is read and dropped).
     */
    private CappedReply.Reply call(ServiceDefinition service, URI uri, Request request, boolean keepBody) throws KeyExchangeException {
        long deadline = System.nanoTime() + timeout.toNanos();
        if (ServiceUrls.isAddressLiteral(uri)) {
            // An address literal is checked without DNS, so nothing can stall: no thread of its own needed.
            try {
                urls.checkTarget(uri);
            } catch (ServiceUrls.RefusedTarget e) {
                throw failure(service, e);
            }
        } else {
            await(service, CompletableFuture.runAsync(() -> {
                try {
                    urls.checkTarget(uri);
                } catch (ServiceUrls.RefusedTarget e) {
                    throw new CompletionException(e);
                }
            }, RESOLVER), deadline, null);
        }
        long left = Math.max(TimeUnit.MILLISECONDS.toNanos(1), deadline - System.nanoTime());
        // Jetty's total timeout covers connecting, sending and reading the whole answer.
        request.timeout(left, TimeUnit.NANOSECONDS).followRedirects(false);
        CappedReply reply = new CappedReply(Kx1.MAX_MESSAGE_BYTES, keepBody);
        request.send(reply);
        return await(service, reply.future(), deadline, request);
    }

    /** The future's value by the deadline; past it, or when interrupted, {@code request} (if any) is aborted, closing its connection. */
    private <T> T await(ServiceDefinition service, CompletableFuture<T> future, long deadline, Request request) throws KeyExchangeException {
        try {
            return future.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            abort(future, request, e);
            throw failed(service, KeyExchangeException.Kind.UNREACHABLE,
                    "did not answer completely within " + timeout.toSeconds() + " seconds", e);
        } catch (InterruptedException e) {
            abort(future, request, e);
            Thread.currentThread().interrupt();
            throw failed(service, KeyExchangeException.Kind.UNREACHABLE, "call interrupted", e);
        } catch (ExecutionException e) {
            throw failure(service, e.getCause());
        }
    }

    private static void abort(CompletableFuture<?> future, Request request, Throwable why) {
        future.cancel(true);
        if (request != null) {
            request.abort(why);
        }
    }

    private KeyExchangeException failure(ServiceDefinition service, Throwable cause) {
        for (Throwable t = cause; t != null; t = t.getCause()) {
            if (t instanceof ServiceUrls.RefusedTarget r) {
                return failed(service, KeyExchangeException.Kind.UNREACHABLE, "has a kx_url IMSM may not call: " + r.getMessage(), r);
            }
            if (t instanceof CappedBody.TooLarge) {
                return failed(service, KeyExchangeException.Kind.BAD_ANSWER,
                        "sent an answer larger than " + Kx1.MAX_MESSAGE_BYTES + " bytes", t);
            }
            if (t instanceof TimeoutException) { // Jetty's total timeout of the request
                return failed(service, KeyExchangeException.Kind.UNREACHABLE,
                        "did not answer completely within " + timeout.toSeconds() + " seconds", t);
            }
        }
        if (cause instanceof IOException) {
            return failed(service, KeyExchangeException.Kind.UNREACHABLE,
                    "could not be reached (" + cause.getClass().getSimpleName() + ": " + cause.getMessage() + ")", cause);
        }
        return failed(service, KeyExchangeException.Kind.UNREACHABLE, "call failed (" + cause + ")", cause);
    }

    /** The signer of the active IMS key, built once per key (its scalar decoded once), not once per call. */
    private KxSigner signer() {
        ECKey active = keys.activeKey();
        SignerForKey current = signer;
        if (current != null && current.key() == active) {
            return current.signer();
        }
        KxSigner s = new KxSigner(active, random);
        signer = new SignerForKey(active, s);
        return s;
    }

    private record SignerForKey(ECKey key, KxSigner signer) {}

    private record VerifierKey(String serviceId, java.util.Map<String, Object> publicJwk, String issuer) {}

    /**
     * The verifier of a service's answers, built once per (service, registered key, issuer): parsing
     * the registered JWK and validating its point are not redone per exchange, and a changed key in
     * the catalog makes a new entry (the old one ages out of the bounded cache).
     */
    private KxVerifier answerVerifier(ServiceDefinition service, String iss) {
        return answerVerifiers.get(new VerifierKey(service.id(), service.publicJwk(), iss),
                k -> new KxVerifier(k.serviceId(), k.issuer(), serviceKey(service), clock, Kx1.MAX_CLOCK_SKEW,
                        ANSWERS_NEED_NO_REPLAY_GUARD));
    }

    private static ECKey serviceKey(ServiceDefinition service) {
        try {
            return (ECKey) JWK.parse(service.publicJwk());
        } catch (ParseException | ClassCastException | NullPointerException e) {
            throw new IllegalStateException("registered key of " + service.id() + " unreadable", e);
        }
    }

    private static KeyExchangeException failed(ServiceDefinition service, KeyExchangeException.Kind kind, String why, Throwable cause) {
        String detail = "service " + service.id() + " at " + service.kxUrl() + " " + why;
        SECURITY.atWarn().addKeyValue("event", "service_call_failed").addKeyValue("service", service.id())
                .addKeyValue("reason", detail).log("call to a service failed");
        return new KeyExchangeException(kind, detail, cause);
    }
}
