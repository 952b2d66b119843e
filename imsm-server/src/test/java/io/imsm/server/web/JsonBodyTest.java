package io.imsm.server.web;

import io.imsm.server.support.Http;
import io.imsm.server.support.TestDatabases;
import io.imsm.server.support.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** How the API answers request bodies it cannot use: the statuses and codes openapi.json promises. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class JsonBodyTest {
    private static final String[] BEARER = {"Authorization", "Bearer " + TestServer.BOOTSTRAP_TOKEN};
    TestServer s;

    @BeforeAll
    void start() {
        s = TestServer.start(TestDatabases.Kind.H2, Map.of("server.max_body_bytes", "4096"));
    }

    @AfterAll
    void stop() {
        s.close();
    }

    @Test
    void whenBodyIsLargerThanTheLimit_then413PayloadTooLarge() {
        String big = "{\"username\":\"" + "x".repeat(5000) + "\",\"password\":\"p\"}";
        assertProblem(s.client().postRaw("/api/v1/login", "application/json", big), 413, "payload_too_large");
        assertProblem(s.client().postRaw("/api/v1/admin/users", "application/json", big, BEARER), 413, "payload_too_large");
    }

    @Test
    void whenContentTypeIsNotJson_then415() {
        assertProblem(s.client().postRaw("/api/v1/login", "text/plain", "{}"), 415, "unsupported_media_type");
    }

    @Test
    void whenBodyHasAnUnknownMember_then400NamingIt() {
        Http.Res r = s.client().postRaw("/api/v1/login", "application/json", "{\"username\":\"a\",\"pasword\":\"b\"}");
        assertProblem(r, 400, "invalid_request");
        assertThat(r.json().path("detail").asText()).contains("unknown field 'pasword'");
    }

    @Test
    void whenBodyIsEmptyMalformedOrNull_then400() {
        for (String body : new String[] {"", "{", "null", "[]", "{\"username\":[1]}", "{} {}"}) {
            assertProblem(s.client().postRaw("/api/v1/login", "application/json", body), 400, "invalid_request");
        }
    }

    private static void assertProblem(Http.Res r, int status, String code) {
        assertThat(r.status()).as(r.toString()).isEqualTo(status);
        assertThat(r.header("Content-Type")).startsWith("application/problem+json");
        assertThat(r.code()).isEqualTo(code);
    }
}
