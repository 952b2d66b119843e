package io.imsm.proxy;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counters in the Prometheus text format (version 0.0.4), without a metrics library: the proxy's
 * memory budget is small and these few series are all an operator needs to see it work.
 */
final class Metrics {
    private final Map<String, LongAdder> refusals = new ConcurrentHashMap<>();
    private final LongAdder forwarded = new LongAdder();
    private final LongAdder upstreamErrors = new LongAdder();
    private final LongAdder upstreamNanos = new LongAdder();
    private final LongAdder reloads = new LongAdder();
    private final LongAdder reloadFailures = new LongAdder();

    void refused(String code) {
        // codes are the SDK's and the proxy's fixed set: bounded label values
        refusals.computeIfAbsent(code, c -> new LongAdder()).increment();
    }

    void forwarded(long nanosToHeaders) {
        forwarded.increment();
        upstreamNanos.add(nanosToHeaders);
    }

    void upstreamError() { upstreamErrors.increment(); }

    void reloaded(boolean ok) { (ok ? reloads : reloadFailures).increment(); }

    String render(int sessions, Map<String, Boolean> revocationListsCurrent) {
        StringBuilder b = new StringBuilder(1024);
        b.append("# HELP imsm_proxy_forwarded_total Requests forwarded to the upstream.\n# TYPE imsm_proxy_forwarded_total counter\n")
                .append("imsm_proxy_forwarded_total ").append(forwarded.sum()).append('\n');
        b.append("# HELP imsm_proxy_upstream_seconds_total Time from forwarding to the upstream's response headers.\n")
                .append("# TYPE imsm_proxy_upstream_seconds_total counter\n")
                .append("imsm_proxy_upstream_seconds_total ").append(upstreamNanos.sum() / 1e9).append('\n');
        b.append("# HELP imsm_proxy_upstream_errors_total Requests answered 502/504 because the upstream failed.\n")
                .append("# TYPE imsm_proxy_upstream_errors_total counter\n")
                .append("imsm_proxy_upstream_errors_total ").append(upstreamErrors.sum()).append('\n');
        b.append("# HELP imsm_proxy_refused_total Requests the proxy answered itself, by code.\n# TYPE imsm_proxy_refused_total counter\n");
        new TreeMap<>(refusals).forEach((code, n) -> b.append("imsm_proxy_refused_total{code=\"").append(code).append("\"} ").append(n.sum()).append('\n'));
        b.append("# HELP imsm_proxy_reloads_total Configuration reloads.\n# TYPE imsm_proxy_reloads_total counter\n")
                .append("imsm_proxy_reloads_total{result=\"ok\"} ").append(reloads.sum()).append('\n')
                .append("imsm_proxy_reloads_total{result=\"failed\"} ").append(reloadFailures.sum()).append('\n');
        b.append("# HELP imsm_proxy_sessions Live key-exchange sessions.\n# TYPE imsm_proxy_sessions gauge\n")
                .append("imsm_proxy_sessions ").append(sessions).append('\n');
        b.append("# HELP imsm_proxy_revocation_list_current Whether the audience's revocation list is current.\n")
                .append("# TYPE imsm_proxy_revocation_list_current gauge\n");
        revocationListsCurrent.forEach((aud, ok) -> b.append("imsm_proxy_revocation_list_current{audience=\"")
                .append(aud.replace("\\", "\\\\").replace("\"", "\\\"")).append("\"} ").append(ok ? 1 : 0).append('\n'));
        Runtime rt = Runtime.getRuntime();
        b.append("# HELP imsm_proxy_heap_used_bytes Java heap in use.\n# TYPE imsm_proxy_heap_used_bytes gauge\n")
                .append("imsm_proxy_heap_used_bytes ").append(rt.totalMemory() - rt.freeMemory()).append('\n');
        return b.toString();
    }
}
