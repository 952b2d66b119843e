package io.imsm.proxy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.CountDownLatch;

/**
 * {@code ./imsm proxy --config proxy.yaml}: runs the proxy until the process is stopped; SIGHUP (or a
 * change of the file) reloads the configuration.
 */
public final class ProxyMain {
    private ProxyMain() {}

    public static void main(String[] args) throws Exception {
        Path config = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--config" -> config = i + 1 < args.length ? Path.of(args[++i]) : null;
                case "-h", "--help" -> {
                    System.out.println("usage: imsm proxy --config proxy.yaml   (docs/proxy.md)");
                    return;
                }
                default -> {
                    System.err.println("imsm proxy: unknown argument " + args[i] + "; usage: imsm proxy --config proxy.yaml");
                    System.exit(2);
                }
            }
        }
        if (config == null || !Files.isRegularFile(config)) {
            System.err.println("imsm proxy: --config FILE is required and must be a file (docs/proxy.md)");
            System.exit(2);
        }
        final ImsmProxy proxy;
        try {
            proxy = ImsmProxy.start(config, Clock.systemUTC());
        } catch (IllegalArgumentException e) {
            System.err.println("imsm proxy: " + e.getMessage());
            System.exit(2);
            return;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            proxy.close();
            stopped.countDown();
        }, "imsm-proxy-shutdown"));
        onHangUp(proxy::reload);
        System.out.println("imsm proxy: listening on port " + proxy.port()
                + (proxy.adminPort() >= 0 ? ", admin (/healthz, /metrics) on port " + proxy.adminPort() : ""));
        stopped.await();
    }

    /** SIGHUP reloads, as for most Unix daemons; where the JVM offers no such signal, the file watch remains. */
    @SuppressWarnings("restriction")
    private static void onHangUp(Runnable reload) {
        try {
            sun.misc.Signal.handle(new sun.misc.Signal("HUP"), signal -> Thread.ofVirtual().start(reload));
        } catch (IllegalArgumentException | UnsupportedOperationException e) {
            System.err.println("imsm proxy: no SIGHUP here (" + e.getMessage() + "); the configuration file is watched instead");
        }
    }
}
