#!/usr/bin/env bash
# HTTP load on the token issuance path: IMSM + the demo service on loopback, one logged-in person,
# wrk posting token requests (each one runs a full KX1 key exchange with the demo service).
#   bench/http/issue-load.sh [DURATION_SECONDS] [CONNECTIONS]
# Optional environment:
#   BENCH_DEMO_JAR=path/to/imsm-example-transaction-search-*.jar  run that build (e.g. a copy of the previous
#                 commit's, for a side-by-side run) instead of ./imsm demo; its lib/ must sit next to it
#   BENCH_JFR=file.jfr   record a JFR profile of the demo JVM for the load (jfr print --events jdk.ExecutionSample)
#   IMSM_JAVA_OPTS      JVM options (default: the launcher's)
#   BENCH_WARMUP=10     seconds of the same load before the measured run (JIT warm-up; 0 = none)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
DURATION="${1:-15}"; CONNECTIONS="${2:-8}"
command -v wrk >/dev/null || { echo "install wrk (apt-get install wrk)" >&2; exit 1; }
DATA="$(mktemp -d)"; PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
# One person asks for tokens as fast as wrk can: the per-person and per-service issuance limits
# (429 rate_limited otherwise, after 30 a minute) are lifted for the measurement.
export IMSM_ISSUANCE_PER_PERSON_PER_MINUTE=0 IMSM_ISSUANCE_PER_SERVICE_PER_MINUTE=0
# The launcher's first DEFAULT_OPTS line (its later lines add to it by shell expansion, which only the
# launcher can do); used when a JVM option is added (BENCH_JFR) or the jar is run without the launcher.
LAUNCHER_OPTS="$(sed -n 's/^DEFAULT_OPTS="\(.*\)"$/\1/p' "$ROOT/imsm" | head -1)"
OPTS="${IMSM_JAVA_OPTS:-}"
if [ -n "${BENCH_JFR:-}" ]; then OPTS="${OPTS:-$LAUNCHER_OPTS} -XX:StartFlightRecording=filename=$BENCH_JFR,settings=profile,dumponexit=true"; fi
if [ -n "${BENCH_DEMO_JAR:-}" ]; then
  JAVA=""; BEST=0   # the newest JDK >= 21, as the launcher picks it
  for c in "${IMSM_JAVA_HOME:-}" "${JAVA_HOME:-}" /usr/lib/jvm/*; do
    [ -n "$c" ] && [ -x "$c/bin/java" ] || continue
    v="$("$c/bin/java" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1)"
    if [ -n "$v" ] && [ "$v" -ge 21 ] && [ "$v" -gt "$BEST" ]; then JAVA="$c/bin/java"; BEST="$v"; fi
  done
  # shellcheck disable=SC2086
  "$JAVA" ${OPTS:-$LAUNCHER_OPTS} -jar "$BENCH_DEMO_JAR" --port "$PORT" --data "$DATA" > "$DATA/demo.log" 2>&1 &
else
  IMSM_JAVA_OPTS="$OPTS" "$ROOT/imsm" demo --port "$PORT" --data "$DATA" > "$DATA/demo.log" 2>&1 &
fi
DEMO=$!
trap 'kill "$DEMO" 2>/dev/null; wait "$DEMO" 2>/dev/null; rm -rf "$DATA"' EXIT
for _ in $(seq 1 120); do grep -q "IMSM demo is running" "$DATA/demo.log" 2>/dev/null && break; kill -0 "$DEMO" 2>/dev/null || break; sleep 1; done
grep -q "IMSM demo is running" "$DATA/demo.log" || { cat "$DATA/demo.log" >&2; exit 1; }
read -r COOKIE CSRF < <(python3 - "$DATA/demo-users.json" "$PORT" <<'PY'
import base64, hashlib, hmac, json, struct, sys, time, urllib.request, http.cookiejar
users = json.load(open(sys.argv[1])); alice = users[0]; base = "http://127.0.0.1:" + sys.argv[2]
key = base64.b32decode(alice["totp_secret"] + "=" * (-len(alice["totp_secret"]) % 8))
h = hmac.new(key, struct.pack(">Q", int(time.time()) // 30), hashlib.sha1).digest()
o = h[-1] & 15; code = "%06d" % ((struct.unpack(">I", h[o:o + 4])[0] & 0x7fffffff) % 1000000)
jar = http.cookiejar.CookieJar(); op = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
req = urllib.request.Request(base + "/api/v1/login", json.dumps({"username": alice["username"], "password": alice["password"], "otp": code}).encode(),
                             {"Content-Type": "application/json"})
csrf = json.load(op.open(req))["csrf"]
cookie = "; ".join(c.name + "=" + c.value for c in jar)
print(cookie, csrf)
PY
)
echo "wrk: ${DURATION}s, ${CONNECTIONS} connections, 2 threads, POST /api/v1/services/transaction-search/tokens"
if [ "${BENCH_WARMUP:-10}" -gt 0 ]; then
  echo "warm-up: ${BENCH_WARMUP:-10}s (not measured)"
  IMSM_COOKIE="$COOKIE" IMSM_CSRF="$CSRF" wrk -t2 -c"$CONNECTIONS" -d"${BENCH_WARMUP:-10}s" -s "$ROOT/bench/http/issue.lua" \
    "http://127.0.0.1:$PORT/api/v1/services/transaction-search/tokens" > /dev/null
fi
cpu_ticks() { awk '{print $14 + $15}' "/proc/$DEMO/stat"; }
CPU0="$(cpu_ticks)"
IMSM_COOKIE="$COOKIE" IMSM_CSRF="$CSRF" wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$ROOT/bench/http/issue.lua" \
  "http://127.0.0.1:$PORT/api/v1/services/transaction-search/tokens" | tee "$DATA/wrk.out"
# CPU the demo JVM (IMSM and the service, both sides of every exchange) spent per answered request:
# a figure the other loads on a shared machine disturb far less than requests/s.
REQS="$(sed -n 's/^ *\([0-9]*\) requests in.*/\1/p' "$DATA/wrk.out")"
echo "demo JVM CPU per request: $(awk -v t="$(( $(cpu_ticks) - CPU0 ))" -v hz="$(getconf CLK_TCK)" -v n="$REQS" 'BEGIN { printf "%.2f ms", 1000 * t / hz / n }')"
echo "demo JVM RSS after the load: $(grep VmRSS /proc/$DEMO/status 2>/dev/null | awk '{print int($2/1024)}') MB"
