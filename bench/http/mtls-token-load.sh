#!/usr/bin/env bash
# Certificate → JWT issuance under load: IMSM (./imsm serve, embedded H2, HTTPS on tls.port) on
# loopback, one enrolled service, N connections posting /oauth2/token over mTLS (Java driver:
# bench/src/main/java/io/imsm/bench/MtlsTokenLoad.java), then GET /healthz on the same connections
# as the baseline.
#   bench/http/mtls-token-load.sh [DURATION_SECONDS] [CONNECTIONS]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
DURATION="${1:-15}"; CONNECTIONS="${2:-8}"
DATA="$(mktemp -d)"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PORT="$(free_port)"; TLS_PORT="$(free_port)"
TOKEN="$(python3 -c 'import secrets; print(secrets.token_hex(24))')"
IMSM_BOOTSTRAP_TOKEN="$TOKEN" IMSM_TLS_PORT="$TLS_PORT" IMSM_LOG_FORMAT=text \
  "$ROOT/imsm" serve --port "$PORT" --data "$DATA" > "$DATA/imsm.log" 2>&1 &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null; wait "$SERVER" 2>/dev/null || true; rm -rf "$DATA"' EXIT
for _ in $(seq 1 120); do grep -q "IMSM is listening" "$DATA/imsm.log" 2>/dev/null && break; sleep 1; done
grep -q "IMSM is listening" "$DATA/imsm.log" || { cat "$DATA/imsm.log" >&2; exit 1; }
JAVA=""
for c in "${JAVA_HOME:-}" /usr/lib/jvm/*; do [ -x "$c/bin/java" ] && "$c/bin/java" -version 2>&1 | grep -qE 'version "(2[1-9]|[3-9][0-9])' && JAVA="$c/bin/java" && break; done
"${JAVA:-java}" -Xmx256m -cp "$ROOT/imsm-server/target/imsm-server-0.1.0-SNAPSHOT.jar" \
  "$ROOT/bench/src/main/java/io/imsm/bench/MtlsTokenLoad.java" "http://127.0.0.1:$PORT" "https://127.0.0.1:$TLS_PORT" "$TOKEN" "$DURATION" "$CONNECTIONS"
