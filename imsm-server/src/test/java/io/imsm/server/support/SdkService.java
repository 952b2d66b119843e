package io.imsm.server.support;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.sun.net.httpserver.HttpServer;
import io.imsm.sdk.JdkHttpServerAdapter;
import io.imsm.sdk.JwksSource;
import io.imsm.sdk.KeyExchangeEndpoint;
import io.imsm.sdk.SessionKeyStore;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A protected service on the real SDK, for server tests: its key-exchange endpoint at {@code /imsm/kx}
 * (counting the offers it receives). The IMS keys are the test server's; time is the test server's clock.
 */
public final class SdkService implements AutoCloseable {
    public final String id;
    public final AtomicInteger offers = new AtomicInteger();
    public final SessionKeyStore sessions;
    private final ECKey key;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final HttpServer server;

    public SdkService(TestServer ims, String id) {
        this.id = id;
        try {
            this.key = new ECKeyGenerator(Curve.P_256).keyID(id + "-key").generate();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
        JwksSource imsKeys = JwksSource.fixed(ims.server.wiring().signingKeys().jwks());
        this.sessions = new SessionKeyStore(ims.clock);
        KeyExchangeEndpoint kx = KeyExchangeEndpoint.builder(ims.baseUrl(), id, key, imsKeys, sessions).clock(ims.clock).build();
        JdkHttpServerAdapter adapter = new JdkHttpServerAdapter(kx);
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.setExecutor(executor);
        server.createContext("/imsm/kx", ex -> {
            if ("POST".equals(ex.getRequestMethod())) {
                offers.incrementAndGet();
            }
            adapter.handle(ex);
        });
        server.start();
    }

    public String kxUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/imsm/kx";
    }

    public Map<String, Object> publicJwk() {
        return key.toPublicJWK().toJSONObject();
    }

    @Override
    public void close() {
        server.stop(0);
        executor.close();
    }
}
