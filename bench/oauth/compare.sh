#!/usr/bin/env bash
# IMSM and Keycloak under the same wrk runs, one after the other, and the ratios (IMSM / Keycloak;
# for p99 Keycloak / IMSM, so above 1 means IMSM is better in both).
#   DURATION=15 CONNECTIONS=16 bench/oauth/compare.sh [h2|postgres]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
OUT="$(mktemp)"; trap 'rm -f "$OUT"' EXIT
"$ROOT/bench/oauth/imsm.sh" "${1:-h2}" | tee -a "$OUT"
"$ROOT/bench/oauth/keycloak.sh" | tee -a "$OUT"
python3 - "$OUT" <<'PY'
import re, sys
rows = {}
for line in open(sys.argv[1]):
    m = re.match(r"(\S+) (\S+) rps=(\d+) p50_ms=([\d.]+) p99_ms=([\d.]+) checked=(\d+) failures=(\d+)", line)
    if m:
        rows[(m[1].split("-")[0], m[2])] = (float(m[3]), float(m[5]), int(m[7]))
print("%-20s %10s %10s %8s %14s" % ("run", "imsm/s", "keycloak/s", "ratio", "p99 kc/imsm"))
for what in ("client_credentials", "introspection", "jwks", "refresh"):
    i, k = rows.get(("imsm", what)), rows.get(("keycloak", what))
    if i and k:
        print("%-20s %10.0f %10.0f %8.2f %14.2f%s" % (what, i[0], k[0], i[0] / k[0], k[1] / i[1],
              "" if i[2] == 0 and k[2] == 0 else "  (failures: imsm %d, keycloak %d)" % (i[2], k[2])))
PY
