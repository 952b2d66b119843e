#!/usr/bin/env bash
# Seconds from `./imsm serve` to the first 200 from /healthz, and the CPU seconds the JVM had used by then
# (user + system: a figure other work on a shared machine disturbs far less than the wall time).
# Usage: bench/startup/healthz-time.sh REPO PORT [DATA_DIR]   (reuse DATA_DIR to time a restart)
# IMSM_JAVA_OPTS is passed on to the launcher (default: its own options).
cd "$1"; PORT=$2; DATA=${3:-$(mktemp -d)}
start=$(date +%s.%N)
./imsm serve --port "$PORT" --data "$DATA" >"$DATA/out.log" 2>&1 &
pid=$!   # the launcher execs the JVM, so this is the JVM's process id
until curl -fs -o /dev/null "http://127.0.0.1:$PORT/healthz"; do sleep 0.02; kill -0 $pid 2>/dev/null || { cat "$DATA/out.log"; exit 1; }; done
end=$(date +%s.%N)
cpu=$(awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15) / hz}' "/proc/$pid/stat")
echo "healthz after $(echo "$end - $start" | bc) s (JVM CPU $cpu s, load average $(cut -d' ' -f1 /proc/loadavg))"
kill $pid; wait $pid 2>/dev/null; [ -n "$3" ] || rm -rf "$DATA"
