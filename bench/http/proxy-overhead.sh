#!/usr/bin/env bash
# Proxy overhead: wrk against the plain upstream directly, then through imsm-proxy (started by the
# launcher with its default JVM flags) with a session token and with an IMS-signed (ES256) token; the
# proxy's RSS idle, after the load and idle again. Needs wrk (apt-get install wrk).
#   bench/http/proxy-overhead.sh [SECONDS] [CONNECTIONS] [PROXY_PORT]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
SECONDS_PER_RUN="${1:-15}"; CONNECTIONS="${2:-16}"; PORT="${3:-18480}"
DIR="$(mktemp -d "${TMPDIR:-/tmp}/imsm-proxy-bench.XXXXXX")"
cd "$ROOT"
./mvnw -o -q -pl imsm-proxy -am package -DskipTests
eval "$(sed -n '/^find_java()/,/^}/p' ./imsm)"   # the launcher's choice of JDK
read -r _ JDK <<<"$(find_java)"   # find_java prints "VERSION HOME"
JAVA="$JDK/bin/java"
CP="imsm-proxy/target/test-classes:imsm-sdk/target/test-classes:imsm-protocol/target/test-classes:imsm-proxy/target/imsm-proxy-0.1.0-SNAPSHOT.jar:imsm-proxy/target/lib/*"
"$JAVA" -Xmx256m -cp "$CP" io.imsm.proxy.ProxyBenchFixture "$DIR" "$PORT" > "$DIR/fixture.log" 2>&1 &
FIXTURE=$!
while [ ! -f "$DIR/proxy.yaml" ]; do sleep 0.2; done
./imsm proxy --config "$DIR/proxy.yaml" > "$DIR/proxy.log" 2>&1 &
PROXY=$!
trap 'kill "$PROXY" "$FIXTURE" 2>/dev/null || true' EXIT
while [ ! -f "$DIR/session-token" ]; do sleep 0.2; done
rss() { awk '/VmRSS/ {printf "%.1f MB\n", $2/1024}' "/proc/$(pgrep -P "$PROXY" java || echo "$PROXY")/status"; }
sleep 10
echo "proxy RSS idle after start: $(rss)"
UP="$(cat "$DIR/upstream.url")"
# warm-up (JIT) of both token paths and the upstream, not counted
for t in session-token jwks-token; do
  wrk -t2 -c"$CONNECTIONS" -d5s -H "Authorization: Bearer $(cat "$DIR/$t")" "http://127.0.0.1:$PORT/search?q=1" > /dev/null
done
echo "== direct"; wrk -t2 -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" --latency "$UP/search?q=1" | grep -E "Latency|50%|99%|Requests/sec|Non-2xx"
echo "== proxy, session token (HS256)"; wrk -t2 -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" --latency -H "Authorization: Bearer $(cat "$DIR/session-token")" "http://127.0.0.1:$PORT/search?q=1" | grep -E "Latency|50%|99%|Requests/sec|Non-2xx"
echo "== proxy, IMS-signed token (ES256)"; wrk -t2 -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" --latency -H "Authorization: Bearer $(cat "$DIR/jwks-token")" "http://127.0.0.1:$PORT/search?q=1" | grep -E "Latency|50%|99%|Requests/sec|Non-2xx"
echo "proxy RSS right after the load: $(rss)"
sleep 30
echo "proxy RSS 30 s later: $(rss)"
