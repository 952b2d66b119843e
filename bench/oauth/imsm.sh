#!/usr/bin/env bash
# OAuth load on IMSM: client-credentials grants/s, introspections/s, JWKS GETs/s, refreshes/s (wrk,
# every answer checked). Starts IMSM from this checkout on loopback, registers a client and a person.
#   DURATION=15 CONNECTIONS=16 bench/oauth/imsm.sh [h2|postgres]
# postgres: set BENCH_DATABASE_URL (and BENCH_DATABASE_USERNAME / BENCH_DATABASE_PASSWORD) to an empty database.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
. "$ROOT/bench/oauth/lib.sh"
DB="${1:-h2}"
command -v wrk >/dev/null || { echo "install wrk (apt-get install wrk)" >&2; exit 1; }
DATA="$(mktemp -d)"; PORT="$(free_port)"; BASE="http://127.0.0.1:$PORT"
TOKEN="bench-bootstrap-token-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
ENV=(IMSM_BOOTSTRAP_TOKEN="$TOKEN" IMSM_KEK="$(head -c 32 /dev/urandom | base64)" IMSM_MFA_REQUIRED_FOR_ALL=false
     IMSM_LOGIN_ATTEMPTS_PER_IP_PER_MINUTE=100000 IMSM_DATABASE_POOL_SIZE=16 IMSM_LOG_FORMAT=json
     IMSM_JAVA_OPTS="${IMSM_JAVA_OPTS:--XX:+ExitOnOutOfMemoryError -Xms256m -Xmx512m -XX:+UseG1GC}")
if [ "$DB" = postgres ]; then
  ENV+=(IMSM_DATABASE_URL="${BENCH_DATABASE_URL:?set BENCH_DATABASE_URL}" IMSM_DATABASE_USERNAME="${BENCH_DATABASE_USERNAME:-}"
        IMSM_DATABASE_PASSWORD="${BENCH_DATABASE_PASSWORD:-}")
fi
env "${ENV[@]}" "$ROOT/imsm" serve --port "$PORT" --data "$DATA" > "$DATA/server.log" 2>&1 &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null; wait "$SERVER" 2>/dev/null; rm -rf "$DATA"' EXIT
for _ in $(seq 1 180); do curl -sf "$BASE/readyz" >/dev/null 2>&1 && break; sleep 1; done
curl -sf "$BASE/readyz" >/dev/null || { tail -40 "$DATA/server.log" >&2; exit 1; }

REDIRECT="https://rp.example/cb"
SECRET="$(curl -sf -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' "$BASE/api/v1/admin/clients" -d '{
  "client_id":"bench","name":"bench","grant_types":["client_credentials","authorization_code","refresh_token"],
  "redirect_uris":["'"$REDIRECT"'"],"scopes":["openid","read"],"audiences":["https://api.example"]}' \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["client_secret"])')"
curl -sf -o /dev/null -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' "$BASE/api/v1/admin/users" \
  -d '{"username":"bench","password":"bench-Kq7v-initial-pass","roles":[]}'
# the first login must change the initial password
python3 - "$BASE" <<'PY'
import json, sys, urllib.request, http.cookiejar
base = sys.argv[1]; jar = http.cookiejar.CookieJar(); op = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
def call(method, path, body, csrf=None):
    h = {"Content-Type": "application/json"}
    if csrf: h["X-CSRF-Token"] = csrf
    return op.open(urllib.request.Request(base + path, json.dumps(body).encode(), h, method=method), timeout=30)
csrf = json.load(call("POST", "/api/v1/login", {"username": "bench", "password": "bench-Kq7v-initial-pass"}))["csrf"]
call("PUT", "/api/v1/me/password", {"current_password": "bench-Kq7v-initial-pass", "new_password": "bench-Kq7v-changed-pass-x"}, csrf)
PY
BASIC="Basic $(printf 'bench:%s' "$SECRET" | base64 -w0)"
python3 "$ROOT/bench/oauth/seed_refresh.py" imsm "$BASE" bench "$SECRET" "$REDIRECT" bench bench-Kq7v-changed-pass-x \
  "$((CONNECTIONS * 2))" "$DATA/refresh.txt"
AT="$(curl -sf -H "Authorization: $BASIC" -d grant_type=client_credentials "$BASE/oauth2/token" \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')"
bench_all "imsm-$DB" "$BASE/oauth2/token" "$BASE/oauth2/introspect" "$BASE/.well-known/jwks.json" "$BASIC" \
  "grant_type=client_credentials" "token=$AT" "$DATA/refresh.txt"
