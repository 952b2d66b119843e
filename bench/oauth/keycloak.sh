#!/usr/bin/env bash
# The same OAuth load on Keycloak in dev mode, for a side-by-side comparison (compare.sh).
# Fetches org.keycloak:keycloak-quarkus-dist (zip) from Maven Central through the Maven wrapper,
# starts it in dev mode on loopback, makes a realm, a confidential client and a user through its
# admin API, runs the wrk scripts of bench/oauth, and stops it by its process id.
#   KC_VERSION=26.7.3 DURATION=15 CONNECTIONS=16 bench/oauth/keycloak.sh
# Needs a JDK 21 or newer (the newest under /usr/lib/jvm is taken) and a lot of CPU: run it alone.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
. "$ROOT/bench/oauth/lib.sh"
KC_VERSION="${KC_VERSION:-26.7.3}"
CACHE="${KC_CACHE:-$ROOT/bench/target/keycloak}"
command -v wrk >/dev/null || { echo "install wrk (apt-get install wrk)" >&2; exit 1; }
if [ -z "${JAVA_HOME:-}" ]; then
  for j in /usr/lib/jvm/*25* /usr/lib/jvm/*21*; do [ -x "$j/bin/java" ] && JAVA_HOME="$j" && break; done
fi
export JAVA_HOME
KC_HOME="$CACHE/keycloak-$KC_VERSION"
if [ ! -x "$KC_HOME/bin/kc.sh" ]; then
  mkdir -p "$CACHE"
  (cd "$ROOT" && ./mvnw -q dependency:copy -Dartifact="org.keycloak:keycloak-quarkus-dist:$KC_VERSION:zip" -DoutputDirectory="$CACHE")
  (cd "$CACHE" && python3 -c "import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall('.')" "keycloak-quarkus-dist-$KC_VERSION.zip")
  chmod +x "$KC_HOME"/bin/*.sh
fi
PORT="$(free_port)"; BASE="http://127.0.0.1:$PORT"; LOG="$(mktemp)"
KC_BOOTSTRAP_ADMIN_USERNAME=admin KC_BOOTSTRAP_ADMIN_PASSWORD=admin-bench-pass JAVA_OPTS_KC_HEAP="-Xms256m -Xmx1g" \
  "$KC_HOME/bin/kc.sh" start-dev --http-port "$PORT" --http-host 127.0.0.1 --hostname "$BASE" > "$LOG" 2>&1 &
KC=$!
trap 'kill "$KC" 2>/dev/null; wait "$KC" 2>/dev/null; rm -f "$LOG"' EXIT
for _ in $(seq 1 300); do curl -sf "$BASE/realms/master" >/dev/null 2>&1 && break; sleep 1; done
curl -sf "$BASE/realms/master" >/dev/null || { tail -40 "$LOG" >&2; exit 1; }

ADMIN="$(curl -sf -d grant_type=password -d client_id=admin-cli -d username=admin -d password=admin-bench-pass \
  "$BASE/realms/master/protocol/openid-connect/token" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')"
api() { curl -sf -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' "$@"; }
api "$BASE/admin/realms" -d '{"realm":"bench","enabled":true}'
api "$BASE/admin/realms/bench/clients" -d '{"clientId":"bench","enabled":true,"publicClient":false,"secret":"bench-secret-0123456789",
  "serviceAccountsEnabled":true,"directAccessGrantsEnabled":true,"standardFlowEnabled":true,"redirectUris":["https://rp.example/cb"]}'
api "$BASE/admin/realms/bench/users" -d '{"username":"bench","enabled":true,"email":"bench@example.org","emailVerified":true,
  "firstName":"Bench","lastName":"User","credentials":[{"type":"password","value":"bench-Kq7v-changed-pass-x","temporary":false}]}'
REALM="$BASE/realms/bench/protocol/openid-connect"
BASIC="Basic $(printf 'bench:bench-secret-0123456789' | base64 -w0)"
python3 "$ROOT/bench/oauth/seed_refresh.py" keycloak "$REALM/token" bench bench-secret-0123456789 - bench bench-Kq7v-changed-pass-x \
  "$((CONNECTIONS * 2))" "$LOG.refresh"
AT="$(curl -sf -H "Authorization: $BASIC" -d grant_type=client_credentials "$REALM/token" \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')"
bench_all keycloak "$REALM/token" "$REALM/token/introspect" "$REALM/certs" "$BASIC" "grant_type=client_credentials" "token=$AT" "$LOG.refresh"
rm -f "$LOG.refresh"
