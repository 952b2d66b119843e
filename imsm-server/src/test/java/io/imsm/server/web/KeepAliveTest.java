package io.imsm.server.web;

import io.imsm.server.support.TestDatabases;
import io.imsm.server.support.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A kept-alive connection survives a request whose handler never reads the body (a POST of "{}" to a
 * route that needs none, or one refused before its body is read) even when the body reaches the
 * server after the handler finished: clients (the JDK's among them) send headers and body in
 * separate writes, and a connection closed under them makes their next request fail with no answer.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class KeepAliveTest {
    TestServer s;

    @BeforeAll
    void start() {
        s = TestServer.start(TestDatabases.Kind.H2);
    }

    @AfterAll
    void stop() {
        s.close();
    }

    @Test
    void whenTheBodyArrivesAfterTheHandlerFinished_thenTheConnectionStaysUsable() throws Exception {
        URI base = URI.create(s.baseUrl());
        try (Socket socket = new Socket(base.getHost(), base.getPort())) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            // logout without a session: refused (401) without reading the body
            out.write(("POST /api/v1/logout HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    + "Content-Length: 2\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            Thread.sleep(300);
            out.write("{}".getBytes(StandardCharsets.US_ASCII));
            out.write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            String first = readResponse(in);
            assertThat(first).startsWith("HTTP/1.1 401").doesNotContainIgnoringCase("Connection: close");
            String second = readResponse(in);
            assertThat(second).as("the second request on the same connection").startsWith("HTTP/1.1 200");
        }
    }

    /** One response: status line and headers, then Content-Length bytes (the routes used here send it). */
    private static String readResponse(InputStream in) throws Exception {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) != -1) {
            head.write(b);
            byte[] h = head.toByteArray();
            int n = h.length;
            if (n >= 4 && h[n - 4] == '\r' && h[n - 3] == '\n' && h[n - 2] == '\r' && h[n - 1] == '\n') {
                break;
            }
            if (n > 16_384) {
                throw new IllegalStateException("headers too long");
            }
        }
        String headers = head.toString(StandardCharsets.US_ASCII);
        if (headers.isEmpty()) {
            return "";
        }
        int length = 0;
        for (String line : headers.split("\r\n")) {
            if (line.toLowerCase().startsWith("content-length:")) {
                length = Integer.parseInt(line.substring(15).trim());
            }
        }
        assertThat(length).as(headers).isGreaterThanOrEqualTo(0).isLessThan(1_000_000);
        in.readNBytes(length);
        return headers;
    }
}
