#!/usr/bin/env bash
# JVM option sets for IMSM side by side in one run: for each, a fresh `./imsm demo` under the issuance load
# (bench/http/issue-load.sh: tokens/s, p99, RSS right after the load) and another under the ingress load
# (bench/http/ingress-load.sh: /ingress/auth at saturation with 64 connections and at a fixed rate).
#   bench/jvm/options-compare.sh [ISSUE_SECONDS] [RATE] [CANDIDATES_FILE]
# CANDIDATES_FILE: one candidate a line, `label|ENV=VALUE ...|JVM options` ('#' starts a comment); the default
# set is below. Each candidate's options replace the launcher's (IMSM_JAVA_OPTS), so name the CDS archive
# in them if it should count (it only changes start-up, not these figures).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
SECONDS_ISSUE="${1:-60}"; RATE="${2:-5000}"
CANDIDATES="${3:-}"
if [ -z "$CANDIDATES" ]; then
  CANDIDATES="$(mktemp)"
  cat > "$CANDIDATES" <<'LIST'
g1-small|MALLOC_ARENA_MAX=8|-XX:+ExitOnOutOfMemoryError -Xms16m -Xmx192m -XX:+UseG1GC -XX:G1PeriodicGCInterval=5000 -XX:MinHeapFreeRatio=10 -XX:MaxHeapFreeRatio=20 -XX:ReservedCodeCacheSize=48m -Xss512k
parallel-256|MALLOC_ARENA_MAX=8|-XX:+ExitOnOutOfMemoryError -Xms256m -Xmx256m -XX:+UseParallelGC -XX:ReservedCodeCacheSize=48m -Xss512k
serial-young48|MALLOC_ARENA_MAX=2|-XX:+ExitOnOutOfMemoryError -Xms96m -Xmx192m -Xmn48m -XX:+UseSerialGC -XX:ReservedCodeCacheSize=48m -Xss512k -XX:TrimNativeHeapInterval=5000
parallel-young48|MALLOC_ARENA_MAX=2|-XX:+ExitOnOutOfMemoryError -Xms96m -Xmx192m -Xmn48m -XX:+UseParallelGC -XX:ReservedCodeCacheSize=48m -Xss512k -XX:TrimNativeHeapInterval=5000
LIST
fi
OUT="$(mktemp -d)"
printf "%-18s %10s %9s %9s %9s | %10s %9s %9s %9s %9s %9s\n" candidate tokens/s "iss p99" "CPU/tok" "RSS MB" "ingress/s" "fix p50" "fix p99" "fix p99.9" "fix max" "RSS MB"
while IFS='|' read -r label envs opts; do
  [ -z "$label" ] || [ "${label:0:1}" = "#" ] && continue
  # shellcheck disable=SC2086
  env $envs IMSM_JAVA_OPTS="$opts" BENCH_WARMUP=10 "$ROOT/bench/http/issue-load.sh" "$SECONDS_ISSUE" 8 > "$OUT/$label.issue" 2>&1 || true
  # shellcheck disable=SC2086
  env $envs IMSM_JAVA_OPTS="$opts" BENCH_NGINX=0 BENCH_RATES="$RATE" "$ROOT/bench/http/ingress-load.sh" 10 64 > "$OUT/$label.ingress" 2>&1 || true
  i="$OUT/$label.issue"; g="$OUT/$label.ingress"
  fixed="$(grep -m1 'from the intended send' "$g" || true)"
  printf "%-18s %10s %9s %9s %9s | %10s %9s %9s %9s %9s %9s\n" "$label" \
    "$(sed -n 's/^Requests\/sec: *//p' "$i")" "$(awk '$1=="99%"{print $2}' "$i")" \
    "$(sed -n 's/^demo JVM CPU per request: //p' "$i" | tr -d ' ')" "$(sed -n 's/^demo JVM RSS after the load: \([0-9]*\).*/\1/p' "$i")" \
    "$(awk '/^\/ingress\/auth/ {print $3}' "$g" | head -1)" \
    "$(sed -n 's/.*p50 \([0-9.]*\) ms.*/\1/p' <<<"$fixed")" "$(sed -n 's/.*p99 \([0-9.]*\) ms.*/\1/p' <<<"$fixed")" \
    "$(sed -n 's/.*p99.9 \([0-9.]*\) ms.*/\1/p' <<<"$fixed")" "$(sed -n 's/.*max \([0-9.]*\) ms.*/\1/p' <<<"$fixed")" \
    "$(sed -n 's/^demo JVM RSS after the load: \([0-9]*\).*/\1/p' "$g")"
done < "$CANDIDATES"
echo "full outputs: $OUT"
