package io.imsm.sdk;

import com.nimbusds.jose.jwk.ECKey;
import io.imsm.protocol.EphemeralKeys;
import io.javalin.Javalin;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.security.SecureRandom;
import java.time.Clock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The key-exchange endpoint mounted on a real Javalin server, driven over HTTP by MockIms. */
class JavalinAdapterTest {
    @Test
    void whenMountedOnJavalin_thenExchangeTokenAndRevocationWorkOverHttp() {
        Clock clock = Clock.systemUTC();
        ECKey serviceKey = new ECKey.Builder(EphemeralKeys.generate(new SecureRandom())).keyID("svc-1").build();
        try (MockIms ims = MockIms.create("transaction-search", serviceKey.toPublicJWK(), clock)) {
            SessionKeyStore sessions = new SessionKeyStore(clock);
            KeyExchangeEndpoint endpoint = KeyExchangeEndpoint.builder(ims.issuer(), "transaction-search", serviceKey,
                    ims.jwksSource(), sessions).clock(clock).build();
            Javalin app = Javalin.create(c -> JavalinAdapter.mount(c.routes, "/imsm/kx", endpoint)).start("127.0.0.1", 0);
            try {
                URI kx = URI.create("http://127.0.0.1:" + app.port() + "/imsm/kx");
                MockIms.Session s = ims.exchange(kx, "alice", "search:read");
                TokenVerifier verifier = new TokenVerifier(ims.issuer(), "transaction-search", sessions, ims.jwksSource(), clock);
                String token = ims.token(s).mint();
                assertThat(verifier.verify(token).subject()).isEqualTo("alice");
                ims.revoke(kx, s.sid());
                assertThatThrownBy(() -> verifier.verify(token)).isInstanceOf(AccessDeniedException.class)
                        .satisfies(e -> assertThat(((AccessDeniedException) e).code()).isEqualTo("revoked"));
            } finally {
                app.stop();
            }
        }
    }
}
