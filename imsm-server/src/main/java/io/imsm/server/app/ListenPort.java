package io.imsm.server.app;

import io.imsm.server.ErrorCode;
import io.imsm.server.ImsmException;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/**
 * Resolves {@code server.port: 0} (any free port, as the tests use) to a real port before the wiring
 * is built, so the base URL and token issuer are known up front and never change afterwards. The
 * port is released before Jetty binds it again; another process taking it in between makes the start
 * fail with a clear error, never a wrong issuer.
 */
final class ListenPort {
    private ListenPort() {}

    static int resolve(String host, int configured) {
        if (configured != 0) {
            return configured;
        }
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getByName(host))) {
            return probe.getLocalPort();
        } catch (IOException e) {
            throw new ImsmException.Invalid(ErrorCode.INVALID_CONFIG, "cannot find a free port on " + host + ": " + e.getMessage());
        }
    }
}
