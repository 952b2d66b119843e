package io.imsm.server.app;

import io.imsm.server.pki.EnrollmentClient;
import io.imsm.server.pki.Pem;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code imsm svc ...}: a service's side of enrollment and renewal (docs/pki.md). */
@Command(name = "svc", description = "A service's certificate: enroll with a join token, renew over mTLS.",
        subcommands = {SvcCommand.Enroll.class, SvcCommand.Renew.class}, mixinStandardHelpOptions = true)
final class SvcCommand implements Runnable {
    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    static class Target {
        @Option(names = "--url", required = true, description = "IMSM's HTTPS URL (tls.port), e.g. https://imsm.example:8443") URI url;
        @Option(names = "--ca-file", description = "PEM CA certificate(s) to trust for IMSM's server certificate (from GET /api/v1/ca); "
                + "default: the JDK's trust store") Path caFile;

        List<X509Certificate> trust() throws java.io.IOException {
            return caFile == null ? null : Pem.certificates(Files.readString(caFile));
        }
    }

    @Command(name = "enroll", mixinStandardHelpOptions = true,
            description = {"Make a P-256 key here, send a CSR with a one-time join token, and write key.pem (0600), cert.pem and "
                    + "chain.pem to DIR. The private key never leaves this machine."})
    static final class Enroll extends Target implements Callable<Integer> {
        @Option(names = "--join-token", description = "the one-time join token (or set IMSM_JOIN_TOKEN, which stays out of "
                + "the process list)") String joinToken;
        @Option(names = "--out", required = true, description = "directory for key.pem, cert.pem, chain.pem") Path out;

        @Override
        public Integer call() throws Exception {
            String token = joinToken != null ? joinToken : System.getenv("IMSM_JOIN_TOKEN");
            if (token == null || token.isBlank()) {
                System.err.println("imsm: give --join-token or set IMSM_JOIN_TOKEN");
                return 2;
            }
            EnrollmentClient.Credentials c = new EnrollmentClient(new SecureRandom()).enroll(url, token.trim(), trust());
            EnrollmentClient.write(out, c);
            System.out.println("Enrolled: serial " + Pem.serialHex(c.certificate().getSerialNumber()) + ", valid until "
                    + c.certificate().getNotAfter().toInstant() + "; wrote " + out.resolve(EnrollmentClient.KEY_FILE) + ", "
                    + EnrollmentClient.CERT_FILE + ", " + EnrollmentClient.CHAIN_FILE);
            return 0;
        }
    }

    @Command(name = "renew", mixinStandardHelpOptions = true,
            description = "Renew the still-valid certificate in DIR over mTLS with a new key; replaces the three files.")
    static final class Renew extends Target implements Callable<Integer> {
        @Option(names = "--dir", required = true, description = "directory holding key.pem, cert.pem, chain.pem") Path dir;

        @Override
        public Integer call() throws Exception {
            EnrollmentClient.Credentials c = new EnrollmentClient(new SecureRandom()).renew(url, EnrollmentClient.read(dir), trust());
            EnrollmentClient.write(dir, c);
            System.out.println("Renewed: serial " + Pem.serialHex(c.certificate().getSerialNumber()) + ", valid until "
                    + c.certificate().getNotAfter().toInstant());
            return 0;
        }
    }
}
