#!/usr/bin/env bash
# HTTP load on the token issuance path: IMSM + the demo service on loopback, one logged-in person,
# wrk posting token requests (each one runs a full KX1 key exchange with the demo service).
#   bench/http/issue-load.sh [DURATION_SECONDS] [CONNECTIONS]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
DURATION="${1:-15}"; CONNECTIONS="${2:-8}"
command -v wrk >/dev/null || { echo "install wrk (apt-get install wrk)" >&2; exit 1; }
DATA="$(mktemp -d)"; PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
"$ROOT/imsm" demo --port "$PORT" --data "$DATA" > "$DATA/demo.log" 2>&1 &
DEMO=$!
trap 'kill "$DEMO" 2>/dev/null; wait "$DEMO" 2>/dev/null; rm -rf "$DATA"' EXIT
for _ in $(seq 1 120); do grep -q "IMSM demo is running" "$DATA/demo.log" 2>/dev/null && break; sleep 1; done
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
IMSM_COOKIE="$COOKIE" IMSM_CSRF="$CSRF" wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$ROOT/bench/http/issue.lua" \
  "http://127.0.0.1:$PORT/api/v1/services/transaction-search/tokens"
