package io.imsm.server.kx;

import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import io.imsm.protocol.Answer;
import io.imsm.protocol.EphemeralKeys;
import io.imsm.protocol.InMemoryReplayGuard;
import io.imsm.protocol.KeyDerivation;
import io.imsm.protocol.Kx1;
import io.imsm.protocol.KxSigner;
import io.imsm.protocol.KxVerifier;
import io.imsm.protocol.Offer;
import io.imsm.protocol.ProtocolException;
import io.imsm.protocol.Revocation;
import io.imsm.protocol.SessionKeys;
import io.imsm.server.ErrorCode;
import io.imsm.server.ImsmException;
import io.imsm.server.access.ServiceDefinition;
import io.imsm.server.keys.SigningKeys;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.security.SecureRandom;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * The IMS side of KX1 (docs/protocol.md): offer → answer → derive, and the signed revocation.
 * One exchange per token session; the ephemeral private key lives only in this call.
 */
public final class KeyExchangeClient {
    private static final Logger SECURITY = LoggerFactory.getLogger("imsm.security");
    private final SigningKeys keys;
    private final Supplier<String> issuer;
    private final Clock clock;
    private final SecureRandom random;
    private final HttpClient http;
    private final Duration timeout;

    public KeyExchangeClient(SigningKeys keys, Supplier<String> issuer, Clock clock, SecureRandom random, Duration timeout) {
        this.keys = Objects.requireNonNull(keys);
        this.issuer = Objects.requireNonNull(issuer);
        this.clock = Objects.requireNonNull(clock);
        this.random = Objects.requireNonNull(random);
        this.timeout = Objects.requireNonNull(timeout);
        this.http = HttpClient.newBuilder().connectTimeout(timeout).followRedirects(HttpClient.Redirect.NEVER).build();
    }

    public record Exchanged(String sid, SessionKeys keys) {
        @Override public String toString() { return "Exchanged[sid=" + sid + "]"; }
    }

    /** Runs the exchange with the service; any failure is a {@code key_exchange_failed} with a reason a person can act on. */
    public Exchanged exchange(ServiceDefinition service, String subject, String scope, Instant sessionExpiresAt) {
        ECKey ephemeral = EphemeralKeys.generate(random);
        Offer offer = Offer.create(issuer.get(), service.id(), subject, scope, sessionExpiresAt, ephemeral, clock, random);
        String offerJws = new KxSigner(keys.activeKey(), random).sign(offer);
        HttpResponse<String> res;
        try {
            res = http.send(HttpRequest.newBuilder(URI.create(service.kxUrl())).timeout(timeout)
                    .header("Content-Type", "application/jwt").header("Accept", "application/jwt")
                    .POST(HttpRequest.BodyPublishers.ofString(offerJws)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (HttpTimeoutException e) {
            throw failed(service, "did not answer within " + timeout.toSeconds() + " seconds", e);
        } catch (IOException e) {
            throw failed(service, "could not be reached", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw failed(service, "exchange interrupted", e);
        }
        if (res.statusCode() != 200) {
            throw failed(service, "answered with HTTP status " + res.statusCode(), null);
        }
        Answer answer;
        try {
            KxVerifier verifier = new KxVerifier(service.id(), issuer.get(), serviceKey(service), clock, Kx1.MAX_CLOCK_SKEW,
                    new InMemoryReplayGuard(clock));
            answer = verifier.verifyAnswer(res.body().trim(), offer);
        } catch (ProtocolException e) {
            throw failed(service, "gave an answer that does not verify (" + e.reason().code() + ")", e);
        }
        SessionKeys derived = KeyDerivation.deriveForIms(ephemeral, answer.epk(), offer.sid());
        return new Exchanged(offer.sid(), derived);
    }

    /** Sends the signed revocation; true when the service confirmed (2xx, or 404 = already gone). */
    public boolean revoke(ServiceDefinition service, String sid) throws IOException, InterruptedException {
        String jws = new KxSigner(keys.activeKey(), random).sign(Revocation.create(issuer.get(), service.id(), sid, clock, random));
        HttpResponse<Void> res = http.send(HttpRequest.newBuilder(URI.create(service.kxUrl() + "/" + sid)).timeout(timeout)
                .header("Authorization", "Bearer " + jws).DELETE().build(), HttpResponse.BodyHandlers.discarding());
        return res.statusCode() / 100 == 2 || res.statusCode() == 404;
    }

    private static ECKey serviceKey(ServiceDefinition service) {
        try {
            return (ECKey) JWK.parse(service.publicJwk());
        } catch (ParseException | ClassCastException e) {
            throw new IllegalStateException("registered key of " + service.id() + " unreadable", e);
        }
    }

    private static ImsmException failed(ServiceDefinition service, String why, Throwable cause) {
        SECURITY.atWarn().addKeyValue("event", "key_exchange_failed").addKeyValue("service", service.id())
                .addKeyValue("reason", why).log("key exchange failed");
        return new ImsmException.Unavailable(ErrorCode.KEY_EXCHANGE_FAILED,
                "No token: the service '" + service.name() + "' " + why + ". Try again later or tell its owners.", cause);
    }
}
