package io.imsm.server.app;

/** Chooses the log format before logging starts ({@link LogConfigurator} reads the imsm.log.format property). */
final class Logging {
    private Logging() {}

    static void configure(String format) {
        System.setProperty("imsm.log.format", format);
    }
}
