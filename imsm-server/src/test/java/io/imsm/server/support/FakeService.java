package io.imsm.server.support;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.imsm.protocol.Answer;
import io.imsm.protocol.EphemeralKeys;
import io.imsm.protocol.InMemoryReplayGuard;
import io.imsm.protocol.Kx1;
import io.imsm.protocol.KxSigner;
import io.imsm.protocol.KxVerifier;
import io.imsm.protocol.Offer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A service at the other end of IMSM's calls, started by a test on 127.0.0.1: it answers offers
 * correctly or with hostile answers, and revocations as told. It runs the protocol with the real
 * protocol library (verifying the offer against IMSM's keys), but keeps no sessions.
 */
public final class FakeService implements AutoCloseable {
    public enum OnOffer { ANSWER, HUGE_BODY, DRIP,
        /** The huge answer streamed chunked, without a Content-Length to refuse it by. */
        HUGE_CHUNKED,
        /** A redirect to a URL that would answer; IMSM must not follow it. */
        REDIRECT }

    public enum OnRevoke { CONFIRM, NOT_FOUND, DRIP }

    /** A revocation as the service saw it arrive. */
    public record Received(String sid, long atNanos) {}

    public static final long HUGE_BYTES = 50L * 1024 * 1024;

    private final HttpServer server;
    private final ECKey key;
    private final String id;
    private final TestServer ims;
    private final OnOffer onOffer;
    private final OnRevoke onRevoke;
    private final SecureRandom random = new SecureRandom();
    private final List<Received> revocations = new CopyOnWriteArrayList<>();
    /** Bytes of a hostile answer the service managed to send before IMSM stopped reading. */
    public final AtomicLong bytesSent = new AtomicLong();

    private FakeService(String id, TestServer ims, OnOffer onOffer, OnRevoke onRevoke) throws IOException {
        this.id = id;
        this.ims = ims;
        this.onOffer = onOffer;
        this.onRevoke = onRevoke;
        try {
            this.key = new ECKeyGenerator(Curve.P_256).keyID(id + "-key").generate();
        } catch (com.nimbusds.jose.JOSEException e) {
            throw new IllegalStateException(e);
        }
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/kx", this::handle);
        server.start();
    }

    public static FakeService start(String id, TestServer ims, OnOffer onOffer, OnRevoke onRevoke) throws IOException {
        return new FakeService(id, ims, onOffer, onRevoke);
    }

    public String kxUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/kx";
    }

    /** The catalog entry for this service (binding kx, role {@code analyst}). */
    public Map<String, Object> definition() {
        return Map.of("name", "Fake " + id, "kx_url", kxUrl(), "public_jwk", key.toPublicJWK().toJSONObject(),
                "roles", List.of("analyst"), "scopes", List.of("read"));
    }

    public List<Received> revocations() {
        return revocations;
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String method = ex.getRequestMethod();
            if ("POST".equals(method)) {
                offer(ex);
            } else if ("DELETE".equals(method)) {
                String path = ex.getRequestURI().getPath();
                revocations.add(new Received(path.substring(path.lastIndexOf('/') + 1), System.nanoTime()));
                switch (onRevoke) {
                    case CONFIRM -> ex.sendResponseHeaders(204, -1);
                    case NOT_FOUND -> send(ex, 404, "no such path");
                    case DRIP -> drip(ex, 200);
                }
            } else {
                send(ex, 405, "");
            }
        } catch (IOException e) {
            // IMSM hung up on a hostile answer: that is what the tests expect
        }
    }

    private void offer(HttpExchange ex) throws IOException {
        String body = new String(ex.getRequestBody().readNBytes(Kx1.MAX_MESSAGE_BYTES), StandardCharsets.UTF_8);
        switch (onOffer) {
            case ANSWER -> {
                Clock clock = ims.clock;
                KxVerifier verifier = new KxVerifier(ims.server.baseUrl(), id, ims.server.wiring().signingKeys().jwks(), clock,
                        Kx1.MAX_CLOCK_SKEW, new InMemoryReplayGuard(clock));
                Offer offer = verifier.verifyOffer(body);
                String answer = new KxSigner(key, random).sign(Answer.to(offer, EphemeralKeys.generate(random), clock));
                ex.getResponseHeaders().set("Content-Type", "application/jwt");
                send(ex, 200, answer);
            }
            case HUGE_BODY -> huge(ex, HUGE_BYTES);
            case DRIP -> drip(ex, 200);
            case HUGE_CHUNKED -> huge(ex, 0); // 0: chunked, no length announced
            case REDIRECT -> {
                ex.getResponseHeaders().set("Location", kxUrl() + "/elsewhere");
                send(ex, 307, "");
            }
        }
    }

    /** {@link #HUGE_BYTES} of answer as fast as IMSM reads them; {@code announcedLength} as for sendResponseHeaders. */
    private void huge(HttpExchange ex, long announcedLength) throws IOException {
        ex.getResponseHeaders().set("Content-Type", "application/jwt");
        ex.sendResponseHeaders(200, announcedLength);
        byte[] chunk = new byte[64 * 1024];
        java.util.Arrays.fill(chunk, (byte) 'e');
        try (OutputStream out = ex.getResponseBody()) {
            for (long n = 0; n < HUGE_BYTES; n += chunk.length) {
                // counted before the write: the write IMSM hangs up on throws, yet the service did send
                bytesSent.addAndGet(chunk.length);
                out.write(chunk);
            }
        }
    }

    /** One byte a second: headers at once, then a body that never quite arrives. */
    private void drip(HttpExchange ex, int status) throws IOException {
        ex.sendResponseHeaders(status, 60);
        try (OutputStream out = ex.getResponseBody()) {
            for (int i = 0; i < 60; i++) {
                out.write('e');
                out.flush();
                bytesSent.incrementAndGet();
                Thread.sleep(1000);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void send(HttpExchange ex, int status, String text) throws IOException {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        ex.sendResponseHeaders(status, b.length == 0 ? -1 : b.length);
        if (b.length > 0) {
            try (OutputStream out = ex.getResponseBody()) {
                out.write(b);
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
