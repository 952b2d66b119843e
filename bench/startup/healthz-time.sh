#!/usr/bin/env bash
# Seconds from `./imsm serve` to the first 200 from /healthz.
# Usage: bench/startup/healthz-time.sh REPO PORT [DATA_DIR]   (reuse DATA_DIR to time a restart)
cd "$1"; PORT=$2; DATA=${3:-$(mktemp -d)}
start=$(date +%s.%N)
./imsm serve --port "$PORT" --data "$DATA" >"$DATA/out.log" 2>&1 &
pid=$!
until curl -fs -o /dev/null "http://127.0.0.1:$PORT/healthz"; do sleep 0.05; kill -0 $pid 2>/dev/null || { cat "$DATA/out.log"; exit 1; }; done
end=$(date +%s.%N)
echo "healthz after $(echo "$end - $start" | bc) s"
kill $pid; wait $pid 2>/dev/null; [ -n "$3" ] || rm -rf "$DATA"
