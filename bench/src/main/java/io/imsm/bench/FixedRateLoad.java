package io.imsm.bench;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

/**
 * Constant-rate HTTP/1.1 GET load with latency measured from each request's intended send time, so a
 * slow answer also counts against the requests that should have gone out while it was awaited (no
 * "coordinated omission", as wrk2 does it; wrk2 and vegeta are not in Debian). {@code CONNECTIONS}
 * keep-alive connections share the rate: connection {@code i} owns the send times
 * {@code start + (k * CONNECTIONS + i) / RATE}. A connection behind its schedule sends at once, and the
 * time it was late is part of the latency. Loopback only; bounded in time.
 *
 * <pre>java FixedRateLoad.java URL RATE SECONDS CONNECTIONS [HEADER: VALUE]...</pre>
 *
 * Prints the rate reached, latency percentiles from the intended send time (what a client at that
 * rate sees), the same from the actual send (the server's answer time alone) and the non-2xx count.
 */
public final class FixedRateLoad {
    public static void main(String[] args) throws Exception {
        if (args.length < 4) {
            System.err.println("usage: java FixedRateLoad.java URL RATE SECONDS CONNECTIONS [HEADER: VALUE]...");
            System.exit(2);
        }
        URI url = URI.create(args[0]);
        double rate = Double.parseDouble(args[1]);
        int seconds = Integer.parseInt(args[2]);
        int connections = Integer.parseInt(args[3]);
        if (!"127.0.0.1".equals(url.getHost()) && !"localhost".equals(url.getHost())) {
            throw new IllegalArgumentException("loopback targets only");
        }
        StringBuilder req = new StringBuilder("GET ").append(url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath());
        if (url.getRawQuery() != null) {
            req.append('?').append(url.getRawQuery());
        }
        req.append(" HTTP/1.1\r\nHost: ").append(url.getHost()).append(':').append(url.getPort()).append("\r\n");
        for (int i = 4; i < args.length; i++) {
            req.append(args[i]).append("\r\n");
        }
        byte[] request = req.append("\r\n").toString().getBytes(StandardCharsets.US_ASCII);
        long periodNanos = Math.round(1e9 * connections / rate);
        long perConnection = (long) Math.ceil(rate * seconds / connections);
        long start = System.nanoTime() + 50_000_000L;
        List<Worker> workers = new ArrayList<>();
        for (int i = 0; i < connections; i++) {
            Worker w = new Worker(url, request, start + Math.round(1e9 * i / rate), periodNanos, perConnection,
                    start + seconds * 1_000_000_000L + 5_000_000_000L);
            workers.add(w);
            w.start();
        }
        for (Worker w : workers) {
            w.join();
        }
        long end = workers.stream().mapToLong(w -> w.lastDone).max().orElse(start);
        long[] fromIntended = merge(workers, true);
        long[] fromSent = merge(workers, false);
        long errors = workers.stream().mapToLong(w -> w.non2xx).sum();
        String failures = workers.stream().map(w -> w.failure).filter(f -> f != null).findFirst().orElse("");
        System.out.printf("target %.0f req/s, %d connections, %d s: %d answers, %.0f req/s reached, non-2xx %d%s%n",
                rate, connections, seconds, fromIntended.length, fromIntended.length / ((end - start) / 1e9), errors,
                failures.isEmpty() ? "" : ", first failure: " + failures);
        System.out.println("latency from the intended send: " + percentiles(fromIntended));
        System.out.println("latency from the actual send:   " + percentiles(fromSent));
    }

    private static long[] merge(List<Worker> workers, boolean intended) {
        long[] all = workers.stream().flatMapToLong(w -> Arrays.stream(intended ? w.fromIntended : w.fromSent, 0, w.count)).toArray();
        Arrays.sort(all);
        return all;
    }

    private static String percentiles(long[] sorted) {
        if (sorted.length == 0) {
            return "no answers";
        }
        StringBuilder s = new StringBuilder();
        for (double p : new double[] {50, 90, 99, 99.9}) {
            s.append(String.format("p%s %.2f ms  ", p == Math.rint(p) ? String.valueOf((int) p) : String.valueOf(p),
                    sorted[(int) Math.min(sorted.length - 1, Math.ceil(p / 100 * sorted.length) - 1)] / 1e6));
        }
        return s.append(String.format("max %.2f ms", sorted[sorted.length - 1] / 1e6)).toString();
    }

    private static final class Worker extends Thread {
        private final URI url;
        private final byte[] request;
        private final long first;
        private final long period;
        private final long deadline;
        final long[] fromIntended;
        final long[] fromSent;
        int count;
        long non2xx;
        long lastDone;
        String failure;

        Worker(URI url, byte[] request, long first, long period, long requests, long deadline) {
            super("load-" + first);
            setDaemon(true);
            this.url = url;
            this.request = request;
            this.first = first;
            this.period = period;
            this.deadline = deadline;
            this.fromIntended = new long[(int) requests];
            this.fromSent = new long[(int) requests];
        }

        @Override
        public void run() {
            try (Socket socket = new Socket()) {
                socket.setTcpNoDelay(true);
                socket.setSoTimeout(10_000);
                socket.connect(new InetSocketAddress(url.getHost(), url.getPort()), 5_000);
                OutputStream out = socket.getOutputStream();
                InputStream in = new BufferedInputStream(socket.getInputStream(), 16_384);
                for (int k = 0; k < fromIntended.length; k++) {
                    long intended = first + k * period;
                    long now;
                    while ((now = System.nanoTime()) < intended) {
                        LockSupport.parkNanos(intended - now);
                    }
                    if (now > deadline) {
                        break;
                    }
                    out.write(request);
                    out.flush();
                    int status = readResponse(in);
                    long done = System.nanoTime();
                    if (status < 200 || status > 299) {
                        non2xx++;
                    }
                    fromIntended[count] = done - intended;
                    fromSent[count] = done - now;
                    count++;
                    lastDone = done;
                }
            } catch (IOException | RuntimeException e) {
                failure = e.toString();
            }
        }

        /** Reads one response (Content-Length or chunked body); answers its status. */
        private static int readResponse(InputStream in) throws IOException {
            String statusLine = line(in);
            int status = Integer.parseInt(statusLine.split(" ", 3)[1]);
            long length = 0;
            boolean chunked = false;
            for (String h; !(h = line(in)).isEmpty(); ) {
                String lower = h.toLowerCase(java.util.Locale.ROOT);
                if (lower.startsWith("content-length:")) {
                    length = Long.parseLong(lower.substring(15).trim());
                } else if (lower.startsWith("transfer-encoding:") && lower.contains("chunked")) {
                    chunked = true;
                }
            }
            if (chunked) {
                for (long size; (size = Long.parseLong(line(in).split(";")[0].trim(), 16)) > 0; ) {
                    skip(in, size);
                    line(in);
                }
                while (!line(in).isEmpty()) {
                    // trailers
                }
            } else {
                skip(in, length);
            }
            return status;
        }

        private static String line(InputStream in) throws IOException {
            StringBuilder s = new StringBuilder();
            for (int c; (c = in.read()) != '\n'; ) {
                if (c < 0) {
                    throw new IOException("connection closed");
                }
                if (c != '\r') {
                    s.append((char) c);
                }
                if (s.length() > 16_384) {
                    throw new IOException("header line too long");
                }
            }
            return s.toString();
        }

        private static void skip(InputStream in, long n) throws IOException {
            while (n > 0) {
                long skipped = in.skip(n);
                if (skipped <= 0) {
                    if (in.read() < 0) {
                        throw new IOException("connection closed");
                    }
                    skipped = 1;
                }
                n -= skipped;
            }
        }
    }
}
