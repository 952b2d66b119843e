package io.imsm.server.web.ui;

/** Quoting for POSIX shells, for command lines the pages show people to paste. */
final class Shell {
    private Shell() {}

    /**
     * One shell word holding exactly {@code s}: wrapped in single quotes, inside which a POSIX shell
     * expands nothing (XCU 2.2.2), with each {@code '} written as {@code '\''} (end the quotes, an
     * escaped quote, quote again), since a single-quoted string cannot contain one.
     */
    static String quote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }
}
