package io.imsm.server.access;

import io.imsm.server.ImsmException;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The address rules for service URLs, with a resolver the test controls (DNS that changes after registration). */
class ServiceUrlsTest {
    static ServiceUrls.Resolver dns(Map<String, String> names) {
        return host -> {
            String a = names.get(host);
            if (a == null) {
                throw new UnknownHostException(host);
            }
            return new InetAddress[] {InetAddress.getByName(a)};
        };
    }

    @Test
    void whenNameResolvesToMetadataAtCallTime_thenRefused_unlessAllowed() throws Exception {
        var names = new java.util.HashMap<>(Map.of("svc.example", "203.0.113.7"));
        ServiceUrls urls = new ServiceUrls(false, dns(names));
        assertThat(urls.validate("https://svc.example/kx", "kx_url")).isEqualTo("https://svc.example/kx");
        assertThatCode(() -> urls.checkTarget(URI.create("https://svc.example/kx"))).doesNotThrowAnyException();
        names.put("svc.example", "169.254.169.254"); // rebound after registration
        assertThatThrownBy(() -> urls.checkTarget(URI.create("https://svc.example/kx")))
                .isInstanceOf(ServiceUrls.RefusedTarget.class).hasMessageContaining("169.254.169.254");
        assertThatCode(() -> new ServiceUrls(true, dns(names)).checkTarget(URI.create("https://svc.example/kx")))
                .doesNotThrowAnyException();
        names.remove("svc.example");
        assertThatThrownBy(() -> urls.checkTarget(URI.create("https://svc.example/kx")))
                .isInstanceOf(ServiceUrls.RefusedTarget.class).hasMessageContaining("does not resolve");
    }

    @Test
    void whenLocalhostResolvesElsewhere_thenPlainHttpRefused() {
        ServiceUrls urls = new ServiceUrls(false, dns(Map.of("localhost", "192.0.2.1")));
        assertThatThrownBy(() -> urls.validate("http://localhost:8080/kx", "kx_url"))
                .isInstanceOf(ImsmException.Invalid.class).hasMessageContaining("loopback");
        assertThatThrownBy(() -> urls.checkTarget(URI.create("http://localhost:8080/kx")))
                .isInstanceOf(ServiceUrls.RefusedTarget.class);
        assertThat(new ServiceUrls(false, dns(Map.of("localhost", "127.0.0.1"))).validate("HTTP://LocalHost:8080/kx/", "kx_url"))
                .isEqualTo("http://localhost:8080/kx");
    }
}
