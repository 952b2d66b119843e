# Shared by imsm.sh and keycloak.sh: the four wrk runs, each answer checked by oauth.lua.
# bench_all NAME TOKEN_URL INTROSPECT_URL JWKS_URL BASIC_AUTH CC_BODY INTROSPECT_BODY REFRESH_FILE
# prints one line per run: NAME WHAT rps=... p50_ms=... p99_ms=... checked=... failures=...
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
DURATION="${DURATION:-15}"; CONNECTIONS="${CONNECTIONS:-16}"; THREADS="${THREADS:-2}"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

run_wrk() { # NAME WHAT URL (BENCH_* in the environment)
  local line
  line="$(BENCH_THREADS="$THREADS" wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$HERE/oauth.lua" "$3" | grep '^RESULT')"
  echo "$1 $2 ${line#RESULT }"
}

bench_all() {
  local name="$1" token="$2" introspect="$3" jwks="$4" basic="$5" ccbody="$6" inbody="$7" refresh="$8"
  # a short warm-up of each path so the JIT has seen it
  DURATION=5 BENCH_AUTH="$basic" BENCH_BODY="$ccbody" BENCH_EXPECT='"access_token"' run_wrk "$name" warmup "$token" >/dev/null
  BENCH_AUTH="$basic" BENCH_BODY="$ccbody" BENCH_EXPECT='"access_token"' run_wrk "$name" client_credentials "$token"
  BENCH_AUTH="$basic" BENCH_BODY="$inbody" BENCH_EXPECT='"active":true' run_wrk "$name" introspection "$introspect"
  BENCH_METHOD=GET BENCH_EXPECT='"keys"' run_wrk "$name" jwks "$jwks"
  BENCH_AUTH="$basic" BENCH_REFRESH="$refresh" BENCH_EXPECT='"refresh_token"' run_wrk "$name" refresh "$token"
}
