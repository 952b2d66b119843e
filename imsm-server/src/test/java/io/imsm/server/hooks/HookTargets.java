package io.imsm.server.hooks;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import io.imsm.server.support.Http;
import io.imsm.server.support.TestServer;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.function.Predicate;

import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.ok;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;

/** Third-party targets of hooks stood up with WireMock, and checks made independently of IMSM's code. */
final class HookTargets {
    private HookTargets() {}

    static WireMockServer start() {
        WireMockServer w = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
        w.start();
        return w;
    }

    /** A target that takes everything (200), and no hook left on the server: the start of each test of a shared server. */
    static void reset(WireMockServer w, Http admin) {
        w.resetAll();
        w.stubFor(any(anyUrl()).willReturn(ok()));
        String bearer = "Bearer " + TestServer.BOOTSTRAP_TOKEN;
        for (JsonNode h : admin.get("/api/v1/admin/hooks", "Authorization", bearer).json().path("hooks")) {
            Http.Res r = admin.delete("/api/v1/admin/hooks/" + h.path("id").asText(), "Authorization", bearer);
            if (r.status() != 204) {
                throw new AssertionError("hook not deleted: " + r);
            }
        }
    }

    /** Requests to {@code path} that match, once at least {@code n} have arrived (fails after the timeout). */
    static List<LoggedRequest> awaitRequests(WireMockServer w, String path, int n, Duration timeout, Predicate<LoggedRequest> which)
            throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        List<LoggedRequest> got;
        do {
            got = w.findAll(anyRequestedFor(urlEqualTo(path))).stream().filter(which).toList();
            if (got.size() >= n) {
                return got;
            }
            Thread.sleep(50);
        } while (System.nanoTime() < end);
        throw new AssertionError("expected " + n + " requests to " + path + " within " + timeout + ", got " + got.size());
    }

    /**
     * Moves {@code server}'s clock by {@code step} until {@code path} was asked {@code n} times ({@code which}). A retry's
     * backoff counts from the clock when IMSM records the failure, which can come after WireMock logged the request
     * and so after one move: a single move would race it.
     */
    static List<LoggedRequest> advanceClockUntil(TestServer server, WireMockServer w, String path, int n, Duration step,
                                                 Duration timeout, Predicate<LoggedRequest> which) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (true) {
            server.clock.advance(step);
            try {
                return awaitRequests(w, path, n, Duration.ofSeconds(1), which);
            } catch (AssertionError notYet) {
                if (System.nanoTime() > end) {
                    throw notYet;
                }
            }
        }
    }

    static List<LoggedRequest> awaitRequests(WireMockServer w, String path, int n, Duration timeout) throws InterruptedException {
        return awaitRequests(w, path, n, timeout, r -> true);
    }

    /** The Standard Webhooks v1 signature, computed here with javax.crypto from the spec, not IMSM's code. */
    static String expectedSignature(String whsec, LoggedRequest r) throws Exception {
        byte[] key = Base64.getDecoder().decode(whsec.substring("whsec_".length()));
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(key, "HmacSHA256"));
        String signed = r.getHeader("webhook-id") + "." + r.getHeader("webhook-timestamp") + "." + r.getBodyAsString();
        return "v1," + Base64.getEncoder().encodeToString(mac.doFinal(signed.getBytes(StandardCharsets.UTF_8)));
    }
}
