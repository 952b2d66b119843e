package io.imsm.server.app;

import io.imsm.server.access.PolicyRules;

import javax.net.ssl.SSLContext;
import java.lang.management.ManagementFactory;
import java.util.List;

/**
 * Start-up work that does not depend on the configuration or the database, done on a second thread
 * while the main one reads the configuration, opens the database and migrates it: the JVM would do it
 * on the main thread later anyway (docs/benchmarks.md, start-up). Each step only initialises classes
 * or process-wide JDK state the server builds at start (the CEL environment, the default TLS context
 * with its trust store, BouncyCastle's signed jars, the JMX server the JVM metrics read, Jetty and
 * Javalin); nothing here holds state of its own. A step that fails is skipped: the main thread then
 * does it and reports the error itself. nbvcxz's password dictionaries are not loaded here: the
 * first password check reads them (PasswordPolicy).
 */
final class StartupWarmup {
    /** Classes whose static initialisation is expensive, in the order the main thread reaches them. */
    static final List<String> CLASSES = List.of(
            PolicyRules.class.getName(),      // the CEL environment (protobuf descriptors, the standard library)
            "org.bouncycastle.math.ec.custom.sec.SecP256R1Curve", // bcprov: a signed jar, its classes verified on load
            "org.bouncycastle.cert.X509v3CertificateBuilder",       // bcpkix, likewise
            "org.bouncycastle.openssl.PEMParser",
            "com.nimbusds.jose.JWSAlgorithm",
            "io.javalin.Javalin",
            "org.eclipse.jetty.server.Server",
            "org.eclipse.jetty.server.ServerConnector",
            "org.eclipse.jetty.server.HttpConnectionFactory");

    private StartupWarmup() {}

    /** Starts the warm-up on a daemon thread and returns at once. */
    static Thread start() {
        Thread t = new Thread(StartupWarmup::run, "imsm-startup-warmup");
        t.setDaemon(true);
        t.setPriority(Thread.NORM_PRIORITY - 1);
        t.start();
        return t;
    }

    static void run() {
        ClassLoader loader = StartupWarmup.class.getClassLoader();
        step(() -> Class.forName(CLASSES.get(0), true, loader));
        step(SSLContext::getDefault);
        for (String name : CLASSES.subList(1, CLASSES.size())) {
            step(() -> Class.forName(name, true, loader));
        }
        step(ManagementFactory::getPlatformMBeanServer);
    }

    private interface Step {
        Object run() throws Exception;
    }

    private static void step(Step step) {
        try {
            step.run();
        } catch (Exception | LinkageError e) {
            // the main thread meets the same problem when it gets there, and reports it
        }
    }
}
