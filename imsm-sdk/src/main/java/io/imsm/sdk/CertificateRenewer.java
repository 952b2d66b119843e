package io.imsm.sdk;

import io.imsm.protocol.CertificateEnrollment;
import io.imsm.protocol.ServiceCredentials;

import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSessionContext;
import javax.net.ssl.X509ExtendedKeyManager;
import java.io.IOException;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Path;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * A service's identity from IMSM's certificate authority (docs/pki.md), kept current: the key and
 * certificate {@code imsm svc enroll} wrote to a directory, renewed over mTLS
 * ({@code POST /api/v1/renew}) at two thirds of the certificate's lifetime with a new key and CSR,
 * the new files written atomically.
 *
 * <ul>
 *   <li>{@link #sslContext()} presents the current certificate: a renewal changes what new TLS
 *       handshakes present (cached sessions are invalidated), connections already open keep theirs,
 *       nothing is dropped. The old certificate stays valid at IMSM until it expires.</li>
 *   <li>A failed renewal is retried with exponential backoff (from 5 s up to 5 min) and logged with
 *       IMSM's error code, never key material.</li>
 *   <li>Once the certificate has expired (or IMSM says it was revoked), renewal cannot work: the log
 *       says a new join token is needed, and the renewer watches the directory for credentials a new
 *       enrollment writes there, which it then takes up.</li>
 * </ul>
 *
 * <p>Time comes from the injected {@link Clock}; the renewer looks at it every {@code checkInterval}
 * (default 2 s), so a clock that jumps (or a test clock) is noticed promptly, on its own thread or on
 * {@link Pollers} shared with other pollers ({@link Builder#pollers}). Thread-safe.
 */
public final class CertificateRenewer implements AutoCloseable {
    public static final Duration DEFAULT_CHECK_INTERVAL = Duration.ofSeconds(2);
    static final Duration FIRST_BACKOFF = Duration.ofSeconds(5);
    static final Duration MAX_BACKOFF = Duration.ofMinutes(5);
    private static final System.Logger LOG = System.getLogger(CertificateRenewer.class.getName());

    /** Where the renewer stands. */
    public enum State {
        /** The certificate is valid; renewal is scheduled at two thirds of its lifetime. */
        CURRENT,
        /** A renewal failed and is retried with backoff. */
        RETRYING,
        /** The certificate has expired or was revoked: only a new enrollment with a join token helps. */
        NEEDS_JOIN_TOKEN
    }

    private final Path dir;
    private final URI imsmTlsUrl;
    private final List<X509Certificate> trust;
    private final Clock clock;
    private final CertificateEnrollment enrollment;
    private final List<Consumer<ServiceCredentials>> listeners = new CopyOnWriteArrayList<>();
    /** The current credentials and the one before (a handshake that chose an alias just before a renewal still finds it). */
    private final Map<String, ServiceCredentials> byAlias = new ConcurrentHashMap<>();
    private final Pollers pollers;
    private final boolean ownPollers;
    private final Pollers.Job checks;
    /** One check at a time (a lock, not {@code synchronized}: a renewal waits on the network inside). */
    private final ReentrantLock checking = new ReentrantLock();
    private final SSLContext sslContext;
    /** Every context handed out: their cached sessions are invalidated at a renewal. */
    private final List<SSLContext> contexts = new CopyOnWriteArrayList<>();
    private final CurrentKeyManager keyManager = new CurrentKeyManager();
    private volatile ServiceCredentials current;
    private volatile State state = State.CURRENT;
    private volatile Instant nextAttempt = Instant.MIN;
    private volatile int failures;

    private CertificateRenewer(Builder b, ServiceCredentials initial) {
        this.dir = b.dir;
        this.imsmTlsUrl = b.imsmTlsUrl;
        this.trust = b.trust == null ? null : List.copyOf(b.trust);
        this.clock = b.clock;
        this.enrollment = new CertificateEnrollment(b.random);
        this.current = initial;
        byAlias.put(initial.serialHex(), initial);
        this.sslContext = sslContext(trust);
        this.ownPollers = b.pollers == null;
        this.pollers = ownPollers ? Pollers.create() : b.pollers;
        this.checks = pollers.every("certificate-renewer", Duration.ZERO, b.checkInterval, this::check);
    }

    /**
     * @param dir        the directory with {@code key.pem}, {@code cert.pem}, {@code chain.pem}
     * @param imsmTlsUrl IMSM's TLS listener ({@code tls.port}), where {@code /api/v1/renew} is asked
     * @param trust      the CA certificates IMSM's server certificate is verified with ({@code GET /api/v1/ca}); {@code null}: the JDK's
     */
    public static Builder builder(Path dir, URI imsmTlsUrl, List<X509Certificate> trust) {
        return new Builder(dir, imsmTlsUrl, trust);
    }

    public static final class Builder {
        private final Path dir;
        private final URI imsmTlsUrl;
        private final List<X509Certificate> trust;
        private Clock clock = Clock.systemUTC();
        private SecureRandom random;
        private Duration checkInterval = DEFAULT_CHECK_INTERVAL;
        private Pollers pollers;

        private Builder(Path dir, URI imsmTlsUrl, List<X509Certificate> trust) {
            this.dir = Objects.requireNonNull(dir, "dir");
            this.imsmTlsUrl = Objects.requireNonNull(imsmTlsUrl, "imsmTlsUrl");
            if (!"https".equals(imsmTlsUrl.getScheme())) {
                throw new IllegalArgumentException("renewal needs IMSM's TLS listener (https), not " + imsmTlsUrl.getScheme());
            }
            this.trust = trust;
        }

        public Builder clock(Clock clock) { this.clock = Objects.requireNonNull(clock, "clock"); return this; }

        public Builder random(SecureRandom random) { this.random = Objects.requireNonNull(random, "random"); return this; }

        /** How often the clock is looked at (default 2 s). */
        public Builder checkInterval(Duration interval) {
            if (interval == null || !interval.isPositive()) {
                throw new IllegalArgumentException("checkInterval must be positive");
            }
            this.checkInterval = interval;
            return this;
        }

        /**
         * Looks at the clock on these shared pollers (their one timer thread) instead of a thread of its
         * own; closing the renewer then stops only its checks, the pollers stay with their owner.
         */
        public Builder pollers(Pollers pollers) { this.pollers = Objects.requireNonNull(pollers, "pollers"); return this; }

        /**
         * Reads the credentials and starts renewing.
         *
         * @throws IOException the directory holds no readable credentials (enroll first: {@code imsm svc enroll})
         */
        public CertificateRenewer start() throws IOException {
            ServiceCredentials initial = ServiceCredentials.read(dir);
            if (random == null) {
                random = new SecureRandom();
            }
            CertificateRenewer r = new CertificateRenewer(this, initial);
            LOG.log(System.Logger.Level.INFO, "service certificate {0} from {1}, valid until {2}, renewal at {3}",
                    initial.serialHex(), dir, initial.notAfter(), initial.renewAt());
            return r;
        }
    }

    /** Called with the new credentials after each renewal (or a new enrollment taken up from the directory). */
    public void onRenewal(Consumer<ServiceCredentials> listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    public ServiceCredentials current() { return current; }

    public State state() { return state; }

    /** Renewal attempts that failed since the last success (0: none). */
    public int consecutiveFailures() { return failures; }

    /**
     * A TLS context presenting the current certificate, as a client (mTLS to IMSM or another service)
     * or a server, trusting the CA certificates given to the builder.
     */
    public SSLContext sslContext() { return sslContext; }

    /**
     * A TLS context presenting the current certificate and trusting {@code trust} ({@code null}: the
     * JDK's defaults), e.g. for an upstream whose server certificate comes from another CA.
     */
    public SSLContext sslContext(List<X509Certificate> trust) {
        SSLContext ctx = CertificateEnrollment.sslContextWith(trust, new KeyManager[]{keyManager});
        contexts.add(ctx);
        return ctx;
    }

    /** One look at the clock: renews when due. Never throws; the scheduler calls it every check interval. */
    void check() {
        try {
            checkNow();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "certificate renewal check failed: {0}", e.toString());
        }
    }

    private void checkNow() {
        checking.lock();
        try {
            checkLocked();
        } finally {
            checking.unlock();
        }
    }

    private void checkLocked() {
        ServiceCredentials c = current;
        Instant now = clock.instant();
        if (!now.isBefore(c.notAfter()) || state == State.NEEDS_JOIN_TOKEN) {
            takeUpNewEnrollment(c, now);
            return;
        }
        if (now.isBefore(c.renewAt()) || now.isBefore(nextAttempt)) {
            return;
        }
        try {
            ServiceCredentials next = enrollment.renew(imsmTlsUrl, c, trust);
            next.write(dir);
            adopt(next);
            failures = 0;
            nextAttempt = Instant.MIN;
            LOG.log(System.Logger.Level.INFO, "service certificate {0} renewed: now {1}, valid until {2}, next renewal at {3}",
                    c.serialHex(), next.serialHex(), next.notAfter(), next.renewAt());
        } catch (CertificateEnrollment.EnrollmentException e) {
            if (e.needsNewJoinToken()) {
                needsJoinToken(c, e.code());
                return;
            }
            retryLater(c, now, e.getMessage());
        } catch (IOException e) {
            retryLater(c, now, "cannot write the new credentials to " + dir + ": " + e.getMessage());
        }
    }

    private void retryLater(ServiceCredentials c, Instant now, String why) {
        failures++;
        Duration backoff = FIRST_BACKOFF.multipliedBy(1L << Math.min(failures - 1, 10));
        if (backoff.compareTo(MAX_BACKOFF) > 0) {
            backoff = MAX_BACKOFF;
        }
        nextAttempt = now.plus(backoff);
        state = State.RETRYING;
        LOG.log(System.Logger.Level.WARNING, "renewal of service certificate {0} failed (attempt {1}), next try in {2} s, "
                + "certificate valid until {3}: {4}", c.serialHex(), failures, backoff.toSeconds(), c.notAfter(), why);
    }

    private void needsJoinToken(ServiceCredentials c, String code) {
        if (state != State.NEEDS_JOIN_TOKEN) {
            state = State.NEEDS_JOIN_TOKEN;
            LOG.log(System.Logger.Level.ERROR, "service certificate {0} {1}: it cannot be renewed; enroll again with a new join "
                    + "token (imsm svc enroll --join-token ... --out {2}); the new files are taken up from there",
                    c.serialHex(), code == null ? "expired at " + c.notAfter() : "refused by IMSM (" + code + ")", dir);
        }
    }

    /** After expiry: credentials a new enrollment wrote to the directory (valid now) replace the dead ones. */
    private void takeUpNewEnrollment(ServiceCredentials c, Instant now) {
        try {
            ServiceCredentials onDisk = ServiceCredentials.read(dir);
            if (!onDisk.serialHex().equals(c.serialHex()) && now.isBefore(onDisk.notAfter())) {
                adopt(onDisk);
                failures = 0;
                nextAttempt = Instant.MIN;
                LOG.log(System.Logger.Level.INFO, "service certificate {0} taken up from {1}, valid until {2}",
                        onDisk.serialHex(), dir, onDisk.notAfter());
                return;
            }
        } catch (IOException e) {
            // being replaced, or not there: look again at the next check
        }
        needsJoinToken(c, null);
    }

    private void adopt(ServiceCredentials next) {
        ServiceCredentials previous = current;
        byAlias.keySet().retainAll(List.of(previous.serialHex()));
        byAlias.put(next.serialHex(), next);
        current = next;
        state = State.CURRENT;
        // new handshakes must not resume a session that carries the old certificate
        for (SSLContext ctx : contexts) {
            invalidate(ctx.getClientSessionContext());
            invalidate(ctx.getServerSessionContext());
        }
        listeners.forEach(l -> l.accept(next));
    }

    private static void invalidate(SSLSessionContext sessions) {
        if (sessions == null) {
            return;
        }
        for (byte[] id : Collections.list(sessions.getIds())) {
            var s = sessions.getSession(id);
            if (s != null) {
                s.invalidate();
            }
        }
    }

    @Override
    public void close() {
        checks.close();
        if (ownPollers) {
            pollers.close();
        }
    }

    /** Always the current key and certificate; the alias is the certificate's serial. */
    private final class CurrentKeyManager extends X509ExtendedKeyManager {
        private String alias(String... keyTypes) {
            ServiceCredentials c = current;
            String algorithm = c.key().getAlgorithm();
            for (String type : keyTypes) {
                if (type != null && (type.equals(algorithm) || type.startsWith(algorithm + "_"))) {
                    return c.serialHex();
                }
            }
            return null;
        }

        @Override public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) { return alias(keyType); }

        @Override public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) { return alias(keyType); }

        @Override public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) { return alias(keyType); }

        @Override public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) { return alias(keyType); }

        @Override public String[] getClientAliases(String keyType, Principal[] issuers) { return aliases(keyType); }

        @Override public String[] getServerAliases(String keyType, Principal[] issuers) { return aliases(keyType); }

        private String[] aliases(String keyType) {
            String a = alias(keyType);
            return a == null ? null : new String[]{a};
        }

        @Override
        public X509Certificate[] getCertificateChain(String alias) {
            ServiceCredentials c = alias == null ? null : byAlias.get(alias);
            return c == null ? null : c.fullChain().toArray(X509Certificate[]::new);
        }

        @Override
        public PrivateKey getPrivateKey(String alias) {
            ServiceCredentials c = alias == null ? null : byAlias.get(alias);
            return c == null ? null : c.key();
        }
    }
}
