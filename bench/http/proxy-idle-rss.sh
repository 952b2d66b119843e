#!/usr/bin/env bash
# imsm-proxy's idle RSS (budget: 96 MB) as the launcher runs it, with everything of docs/proxy.md and
# docs/pki.md switched on against a real IMSM (`./imsm serve`): HTTPS listener asking for client
# certificates of IMSM's CA, IMSM's CRL polled, the proxy's own enrolled certificate (renewer running),
# a route verified against IMSM's key set with its revocation list, the key exchange's endpoint.
# Then the plain configuration (HTTP, one route) for comparison. Prints VmRSS 10 s and 60 s after each proxy started. With BASELINE=DIR (another
# checkout, e.g. main's, with its proxy built) the same two configurations run there too, each right after
# this checkout's, so the figures compare side by side on the same machine state.
#   [BASELINE=DIR] bench/http/proxy-idle-rss.sh [IMSM_PORT] [PROXY_PORT]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
IMSM_PORT="${1:-18580}"; TLS_PORT=$((IMSM_PORT + 1)); PROXY_PORT="${2:-18590}"
DIR="$(mktemp -d "${TMPDIR:-/tmp}/imsm-proxy-rss.XXXXXX")"
cd "$ROOT"
TOKEN="$(head -c 32 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 40)"
IMSM_BOOTSTRAP_TOKEN="$TOKEN" IMSM_TLS_PORT="$TLS_PORT" ./imsm serve --port "$IMSM_PORT" --data "$DIR/imsm-data" > "$DIR/imsm.log" 2>&1 &
IMSM=$!
PROXY=
trap 'kill $PROXY $IMSM 2>/dev/null || true' EXIT
until curl -sf "http://127.0.0.1:$IMSM_PORT/healthz" > /dev/null; do sleep 1; done
AUTH="Authorization: Bearer $TOKEN"
curl -sS --fail-with-body -X PUT -H "$AUTH" -H 'Content-Type: application/json' \
  -d '{"id":"ledger","name":"ledger","binding":"jwks","roles":["ops"],"scopes":["ledger:read"]}' \
  "http://127.0.0.1:$IMSM_PORT/api/v1/admin/services/ledger" > /dev/null
JOIN="$(curl -sS --fail-with-body -X POST -H "$AUTH" -H 'Content-Type: application/json' -d '{}' \
  "http://127.0.0.1:$IMSM_PORT/api/v1/admin/services/ledger/join-tokens" | sed 's/.*"join_token":"\([^"]*\)".*/\1/')"
curl -sf "http://127.0.0.1:$IMSM_PORT/api/v1/ca" > "$DIR/imsm-ca.pem"
IMSM_JOIN_TOKEN="$JOIN" ./imsm svc enroll --url "https://127.0.0.1:$TLS_PORT" --ca-file "$DIR/imsm-ca.pem" --out "$DIR/creds"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$DIR/proxy-key.pem" -out "$DIR/proxy.pem" \
  -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -days 2 2> /dev/null
# the key exchange's long-term key (service.kx_key_file): a P-256 JWK made from an openssl key
openssl ecparam -name prime256v1 -genkey -noout 2> /dev/null | openssl ec -text -noout 2> /dev/null > "$DIR/kx.txt"
hexpart() { awk -v k="$1:" '/^[^ ]/ {on = ($1 == k)} on && /^ / {gsub(/[ :]/, ""); printf "%s", $0}' "$DIR/kx.txt"; }
b64url() { printf '%b' "$(printf '%s' "$1" | sed 's/../\\x&/g')" | base64 -w0 | tr '+/' '-_' | tr -d '='; }
KX_D="$(hexpart priv)"; KX_D="$(printf '%064s' "${KX_D: -64}" | tr ' ' 0)"; KX_PUB="$(hexpart pub)"
printf '{"kty":"EC","crv":"P-256","kid":"ledger-kx","d":"%s","x":"%s","y":"%s"}' \
  "$(b64url "$KX_D")" "$(b64url "${KX_PUB:2:64}")" "$(b64url "${KX_PUB:66:64}")" > "$DIR/kx-key.json"
cat > "$DIR/full.yaml" <<YAML
listen:
  host: 127.0.0.1
  port: $PROXY_PORT
  tls: {cert_file: proxy.pem, key_file: proxy-key.pem, client_ca_file: imsm-ca.pem}
admin: {port: 0}
upstream: {url: "https://127.0.0.1:9", ca_file: proxy.pem}
imsm: {issuer: "http://127.0.0.1:$IMSM_PORT", revocation_list: true, crl_refresh_seconds: 60}
service: {id: ledger, kx_key_file: kx-key.json}
identity: {dir: creds, imsm_url: "https://127.0.0.1:$TLS_PORT", ca_file: imsm-ca.pem}
routes:
  - {prefix: /, scopes: []}
YAML
cat > "$DIR/plain.yaml" <<YAML
listen: {host: 127.0.0.1, port: $PROXY_PORT}
upstream: {url: "http://127.0.0.1:9"}
imsm: {issuer: "http://127.0.0.1:$IMSM_PORT"}
service: {id: ledger}
YAML
ROOTS=("$ROOT"); if [ -n "${BASELINE:-}" ]; then ROOTS+=("$(cd "$BASELINE" && pwd)"); fi
# one short run first: the launcher's class-data-sharing archive is written when the first run exits
for root in "${ROOTS[@]}"; do
  (cd "$root" && exec ./imsm proxy --config "$DIR/plain.yaml") > "$DIR/proxy-first.log" 2>&1 &
  PROXY=$!; sleep 8; kill "$PROXY"; wait "$PROXY" 2>/dev/null || true; PROXY=
done
rss() { awk '/VmRSS/ {printf "%.1f MB\n", $2/1024}' "/proc/$(pgrep -P "$PROXY" java || echo "$PROXY")/status"; }
for config in full plain; do
  for root in "${ROOTS[@]}"; do
    label="$config"; if [ "$root" != "$ROOT" ]; then label="$config (baseline $root)"; fi
    (cd "$root" && exec ./imsm proxy --config "$DIR/$config.yaml") > "$DIR/proxy-$config.log" 2>&1 &
    PROXY=$!
    sleep 10
    echo "$label: proxy RSS 10 s after start: $(rss), $(ls "/proc/$(pgrep -P "$PROXY" java || echo "$PROXY")/task" | wc -l) threads"
    sleep 50
    echo "$label: proxy RSS 60 s after start: $(rss)"
    kill "$PROXY"; wait "$PROXY" 2>/dev/null || true
    PROXY=
  done
done
grep -h "service certificate" "$DIR/proxy-full.log" | head -2
