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
#   BENCH_SPLIT=1       IMSM alone: `./imsm serve` in one JVM and the demo service in another
#                 (DemoServiceMain; a short `./imsm demo` run on the data directory first seeds the demo people
#                 and the catalog entry, which the admin API then points at the separate service); RSS and CPU
#                 are reported per process. BENCH_SERVER_JAR=path/to/imsm-server-*.jar runs that build of IMSM.
#   BENCH_SERVICE_OPTS  JVM options of the separate service (default: the launcher's first DEFAULT_OPTS line)
#   BENCH_SERVICE_JAR   the demo jar the separate service runs from (default: the one above; a build before
#                 DemoServiceMain existed needs a newer one here)
#   BENCH_JCMD="Compiler.memory"  a jcmd command run against the IMSM (or demo) JVM right after the load
#   BENCH_NMT=file      Native Memory Tracking of the IMSM (or demo) JVM: its summary right after the load to this
#                 file, then its class histogram (jcmd GC.class_histogram, a full collection) appended
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
JAVA=""; BEST=0   # the newest JDK >= 21, as the launcher picks it (for the jars run without it)
for c in "${IMSM_JAVA_HOME:-}" "${JAVA_HOME:-}" /usr/lib/jvm/*; do
  [ -n "$c" ] && [ -x "$c/bin/java" ] || continue
  v="$("$c/bin/java" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1)"
  if [ -n "$v" ] && [ "$v" -ge 21 ] && [ "$v" -gt "$BEST" ]; then JAVA="$c/bin/java"; BEST="$v"; fi
done
if [ -n "${BENCH_NMT:-}" ]; then OPTS="${OPTS:-$LAUNCHER_OPTS} -XX:NativeMemoryTracking=summary"; fi
DEMO_JAR="${BENCH_DEMO_JAR:-$ROOT/examples/transaction-search/target/imsm-example-transaction-search-0.1.0-SNAPSHOT.jar}"
# `./imsm demo` (or the given build of it) with OPTS, in the background; its PID in DEMO.
start_demo() {
  if [ -n "${BENCH_DEMO_JAR:-}" ]; then
    # shellcheck disable=SC2086
    "$JAVA" ${OPTS:-$LAUNCHER_OPTS} -jar "$BENCH_DEMO_JAR" --port "$PORT" --data "$DATA" > "$DATA/demo.log" 2>&1 &
  else
    IMSM_JAVA_OPTS="$OPTS" "$ROOT/imsm" demo --port "$PORT" --data "$DATA" > "$DATA/demo.log" 2>&1 &
  fi
  DEMO=$!
}
wait_demo() {
  for _ in $(seq 1 120); do grep -q "IMSM demo is running" "$DATA/demo.log" 2>/dev/null && break; kill -0 "$DEMO" 2>/dev/null || break; sleep 1; done
  grep -q "IMSM demo is running" "$DATA/demo.log" || { cat "$DATA/demo.log" >&2; exit 1; }
}
SERVICE=""
trap 'kill $SERVICE "$DEMO" 2>/dev/null; wait 2>/dev/null; rm -rf "$DATA"' EXIT
if [ "${BENCH_SPLIT:-0}" = 1 ]; then
  # The demo people and the catalog entry, written by the demo itself, then IMSM alone on that data.
  OPTS_RUN="$OPTS"; OPTS=""; start_demo; wait_demo; OPTS="$OPTS_RUN"
  kill "$DEMO"; wait "$DEMO" 2>/dev/null || true
  BOOT="$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  if [ -n "${BENCH_SERVER_JAR:-}" ]; then
    # shellcheck disable=SC2086
    IMSM_BOOTSTRAP_TOKEN="$BOOT" "$JAVA" ${OPTS:-$LAUNCHER_OPTS} -jar "$BENCH_SERVER_JAR" serve --port "$PORT" --data "$DATA" > "$DATA/imsm.log" 2>&1 &
  else
    IMSM_BOOTSTRAP_TOKEN="$BOOT" IMSM_JAVA_OPTS="$OPTS" "$ROOT/imsm" serve --port "$PORT" --data "$DATA" > "$DATA/imsm.log" 2>&1 &
  fi
  DEMO=$!
  for _ in $(seq 1 120); do curl -sf "http://127.0.0.1:$PORT/healthz" > /dev/null && break; kill -0 "$DEMO" 2>/dev/null || break; sleep 1; done
  curl -sf "http://127.0.0.1:$PORT/healthz" > /dev/null || { cat "$DATA/imsm.log" >&2; exit 1; }
  # shellcheck disable=SC2086
  "$JAVA" ${BENCH_SERVICE_OPTS:-$LAUNCHER_OPTS} -cp "${BENCH_SERVICE_JAR:-$DEMO_JAR}" io.imsm.examples.search.DemoServiceMain \
    --issuer "http://127.0.0.1:$PORT" > "$DATA/service.log" 2>&1 &
  SERVICE=$!
  for _ in $(seq 1 60); do grep -q "^transaction-search " "$DATA/service.log" 2>/dev/null && break; sleep 1; done
  read -r _ SVC_BASE SVC_KX SVC_JWK < <(grep "^transaction-search " "$DATA/service.log") || { cat "$DATA/service.log" >&2; exit 1; }
  curl -sS --fail-with-body -X PUT -H "Authorization: Bearer $BOOT" -H 'Content-Type: application/json' \
    -d '{"name":"Transaction search","base_url":"'"$SVC_BASE"'","binding":"kx","kx_url":"'"$SVC_KX"'","public_jwk":'"$SVC_JWK"',
         "roles":["analyst"],"scopes":["search:read"],"default_ttl_seconds":300,"max_ttl_seconds":32400,
         "fields":["justification"],"allow_request_limit":true,"encrypted_claims":["justification"]}' \
    "http://127.0.0.1:$PORT/api/v1/admin/services/transaction-search" > /dev/null
  WHO="IMSM JVM"
else
  start_demo; wait_demo
  WHO="demo JVM"
fi
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
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# CPU ticks of the JVM's threads by kind: JIT compiler threads, the VM thread and GC workers (Serial's
# collections run on the VM thread), everything else (the servers' and the application's threads). A
# thread that ends within the run (a compiler thread the JVM retires) takes its ticks along.
thread_ticks() {
  python3 - "$1" <<'PY'
import glob, sys
jit = gc = other = 0
for stat in glob.glob("/proc/%s/task/*/stat" % sys.argv[1]):
    try:
        text = open(stat).read()
    except OSError:
        continue
    name, rest = text[text.index("(") + 1:text.rindex(")")], text[text.rindex(")") + 2:].split()
    ticks = int(rest[11]) + int(rest[12])
    if "CompilerThre" in name:
        jit += ticks
    elif name == "VM Thread" or name.startswith(("GC Thread", "G1 ", "VM Periodic")):
        gc += ticks
    else:
        other += ticks
print(jit, gc, other)
PY
}
CPU0="$(cpu_ticks "$DEMO")"; SCPU0="$([ -n "$SERVICE" ] && cpu_ticks "$SERVICE" || echo 0)"
read -r JIT0 GC0 APP0 < <(thread_ticks "$DEMO")
IMSM_COOKIE="$COOKIE" IMSM_CSRF="$CSRF" wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$ROOT/bench/http/issue.lua" \
  "http://127.0.0.1:$PORT/api/v1/services/transaction-search/tokens" | tee "$DATA/wrk.out"
# CPU the demo JVM (IMSM and the service, both sides of every exchange) spent per answered request:
# a figure the other loads on a shared machine disturb far less than requests/s.
REQS="$(sed -n 's/^ *\([0-9]*\) requests in.*/\1/p' "$DATA/wrk.out")"
per_request() { awk -v t="$1" -v hz="$(getconf CLK_TCK)" -v n="$REQS" 'BEGIN { printf "%.2f ms", 1000 * t / hz / n }'; }
rss_mb() { grep VmRSS "/proc/$1/status" 2>/dev/null | awk '{print int($2/1024)}'; }
echo "$WHO CPU per request: $(per_request $(( $(cpu_ticks "$DEMO") - CPU0 )))"
read -r JIT1 GC1 APP1 < <(thread_ticks "$DEMO")
echo "$WHO CPU per request by thread: application and servers $(per_request $(( APP1 - APP0 ))), JIT compiler $(per_request $(( JIT1 - JIT0 ))), VM thread and GC $(per_request $(( GC1 - GC0 )))"
# RssFile: the class-data-sharing archive, libjvm and the jars mapped from disk (shared with other JVMs of
# the same build, dropped first under memory pressure); RssAnon: the heap and the JVM's own allocations.
rss_split() { awk '/^RssAnon/ {a=int($2/1024)} /^RssFile/ {f=int($2/1024)} END {printf "anonymous %d MB, file-backed %d MB", a, f}' "/proc/$1/status" 2>/dev/null; }
echo "$WHO RSS after the load: $(rss_mb "$DEMO") MB ($(rss_split "$DEMO"))"
if [ -n "$SERVICE" ]; then
  echo "service JVM CPU per request: $(per_request $(( $(cpu_ticks "$SERVICE") - SCPU0 )))"
  echo "service JVM RSS after the load: $(rss_mb "$SERVICE") MB"
fi
if [ -n "${BENCH_JCMD:-}" ]; then
  # shellcheck disable=SC2086
  "$(dirname "$JAVA")/jcmd" "$DEMO" $BENCH_JCMD
fi
if [ -n "${BENCH_NMT:-}" ]; then
  JCMD="$(dirname "$JAVA")/jcmd"
  "$JCMD" "$DEMO" VM.native_memory summary > "$BENCH_NMT"
  "$JCMD" "$DEMO" GC.class_histogram | awk 'NR <= 40 || /^Total/' >> "$BENCH_NMT"
  echo "NMT summary and class histogram of the $WHO: $BENCH_NMT"
fi
