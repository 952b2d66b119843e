#!/usr/bin/env bash
# HTTP load on the forward-auth decision: `./imsm demo` on loopback, one API token of the demo person,
# wrk against /ingress/auth directly, then nginx (the deploy/nginx example) with and without auth_request.
#   bench/http/ingress-load.sh [DURATION_SECONDS] [CONNECTION_COUNTS]
# Optional environment:
#   BENCH_RATES="5000 10000"  also /ingress/auth at these fixed rates (requests/s, BENCH_RATE_SECONDS each, default
#                 20, after the closed-loop runs), latency from each request's intended send time (FixedRateLoad)
#   BENCH_NGINX=0   skip the nginx rows
#   BENCH_GC_LOG=file   the demo JVM's -Xlog:gc,safepoint to this file (with the launcher's options)
#   IMSM_JAVA_OPTS  JVM options (default: the launcher's)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
DURATION="${1:-10}"; COUNTS="${2:-1 4 16 64}"
command -v wrk >/dev/null || { echo "install wrk (apt-get install wrk)" >&2; exit 1; }
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"   # any JDK >= 11 runs the FixedRateLoad source file
NGINX="$(command -v nginx || echo /usr/sbin/nginx)"; [ -x "$NGINX" ] || { echo "install nginx" >&2; exit 1; }
DATA="$(mktemp -d)"
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PORT="$(port)"; EDGE="$(port)"; BACKEND="$(port)"
if [ -n "${BENCH_GC_LOG:-}" ]; then
  export IMSM_JAVA_OPTS="${IMSM_JAVA_OPTS:-$(sed -n 's/^DEFAULT_OPTS="\(.*\)"$/\1/p' "$ROOT/imsm" | head -1)} -Xlog:gc*=info,safepoint=info:file=$BENCH_GC_LOG:uptime"
fi
"$ROOT/imsm" demo --port "$PORT" --data "$DATA" > "$DATA/demo.log" 2>&1 &
DEMO=$!
NGINX_PID=""
cleanup() { [ -n "$NGINX_PID" ] && kill "$NGINX_PID" 2>/dev/null; kill "$DEMO" 2>/dev/null; wait 2>/dev/null; rm -rf "$DATA"; }
trap cleanup EXIT
for _ in $(seq 1 180); do grep -q "IMSM demo is running" "$DATA/demo.log" 2>/dev/null && break; sleep 1; done
grep -q "IMSM demo is running" "$DATA/demo.log" || { cat "$DATA/demo.log" >&2; exit 1; }
TOKEN="$(python3 - "$DATA/demo-users.json" "$PORT" <<'PY'
import base64, hashlib, hmac, json, struct, sys, time, urllib.request, http.cookiejar
users = json.load(open(sys.argv[1])); alice = users[0]; base = "http://127.0.0.1:" + sys.argv[2]
key = base64.b32decode(alice["totp_secret"] + "=" * (-len(alice["totp_secret"]) % 8))
h = hmac.new(key, struct.pack(">Q", int(time.time()) // 30), hashlib.sha1).digest()
o = h[-1] & 15; code = "%06d" % ((struct.unpack(">I", h[o:o + 4])[0] & 0x7fffffff) % 1000000)
jar = http.cookiejar.CookieJar(); op = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
def post(path, body, headers={}):
    req = urllib.request.Request(base + path, json.dumps(body).encode(), {"Content-Type": "application/json", **headers})
    return json.load(op.open(req))
csrf = post("/api/v1/login", {"username": alice["username"], "password": alice["password"], "otp": code})["csrf"]
print(post("/api/v1/tokens", {"name": "bench", "scopes": ["read:transactions"]}, {"X-CSRF-Token": csrf})["token"])
PY
)"
# nginx: the deploy/nginx example with its addresses changed, a static backend, and /open/ without auth
mkdir -p "$DATA/nginx/logs"
sed -e "s/server 127.0.0.1:8080;/server 127.0.0.1:$PORT;/" -e "s/server 127.0.0.1:8000;/server 127.0.0.1:$BACKEND;/" \
    -e "s/listen 8081;/listen 127.0.0.1:$EDGE;/" -e "s/scope=read:data\"/scope=read:transactions\"/" \
    -e "s|    # Further protected locations go here.*|    location /open/ { proxy_http_version 1.1; proxy_set_header Connection \"\"; proxy_pass http://backend; }|" \
    "$ROOT/deploy/nginx/imsm-auth.conf" > "$DATA/nginx/site.conf"
cat > "$DATA/nginx/nginx.conf" <<CONF
worker_processes 1;
pid $DATA/nginx/nginx.pid;
error_log $DATA/nginx/logs/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $DATA/nginx/cb; proxy_temp_path $DATA/nginx/px; fastcgi_temp_path $DATA/nginx/fc;
    uwsgi_temp_path $DATA/nginx/uw; scgi_temp_path $DATA/nginx/sc;
    server { listen 127.0.0.1:$BACKEND; location / { return 200 "ok\n"; } }
    include $DATA/nginx/site.conf;
}
CONF
"$NGINX" -p "$DATA/nginx" -c "$DATA/nginx/nginx.conf" -g 'daemon off;' &
NGINX_PID=$!
sleep 1
H="Authorization: Bearer $TOKEN"
check() { curl -s -o /dev/null -w "%{http_code}" -H "$H" "$1"; }
echo "warm-up: /ingress/auth $(check "http://127.0.0.1:$PORT/ingress/auth?scope=read:transactions"), nginx /data $(check "http://127.0.0.1:$EDGE/data"), nginx /open/ $(check "http://127.0.0.1:$EDGE/open/")"
wrk -t2 -c8 -d5s -H "$H" "http://127.0.0.1:$PORT/ingress/auth?scope=read:transactions" >/dev/null
run() { # label url connections
  local out; out="$(wrk -t"$(( $3 < 2 ? $3 : 2 ))" -c"$3" -d"${DURATION}s" --latency -H "$H" "$2")"
  printf "%-22s c=%-3s %10s req/s  p50 %-8s p90 %-8s p99 %-8s non2xx=%s\n" "$1" "$3" \
    "$(sed -n 's/^Requests\/sec: *//p' <<<"$out")" "$(awk '$1=="50%"{print $2}' <<<"$out")" \
    "$(awk '$1=="90%"{print $2}' <<<"$out")" "$(awk '$1=="99%"{print $2}' <<<"$out")" \
    "$(sed -n 's/.*Non-2xx or 3xx responses: *//p' <<<"$out" | head -1)"
}
for c in $COUNTS; do run "/ingress/auth" "http://127.0.0.1:$PORT/ingress/auth?scope=read:transactions" "$c"; done
for rate in ${BENCH_RATES:-}; do
  echo "/ingress/auth at a fixed $rate requests/s, 16 connections, ${BENCH_RATE_SECONDS:-20} s:"
  "$JAVA" "$ROOT/bench/src/main/java/io/imsm/bench/FixedRateLoad.java" "http://127.0.0.1:$PORT/ingress/auth?scope=read:transactions" \
    "$rate" "${BENCH_RATE_SECONDS:-20}" 16 "$H" | sed 's/^/  /'
done
echo "demo JVM RSS after the load: $(grep VmRSS "/proc/$DEMO/status" 2>/dev/null | awk '{print int($2/1024)}') MB"
[ "${BENCH_NGINX:-1}" = 0 ] && exit 0
for c in $COUNTS; do
  run "nginx + auth_request" "http://127.0.0.1:$EDGE/data" "$c"
  run "nginx alone" "http://127.0.0.1:$EDGE/open/" "$c"
done
