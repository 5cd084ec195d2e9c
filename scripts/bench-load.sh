#!/usr/bin/env bash
# Many connections at once for a minute (issue 21's aim): wrk -t2 -c256 on one offer page, then
# on random filtered searches, against N generated offers on SQLite; errors and the server's
# memory before and after each minute. The server runs as behind a reverse proxy on the same
# machine (`--trusted-proxy 127.0.0.1/32`): without it, wrk's 256 connections from one address
# meet the limit of 64 per address, which closes the others by design.
# Usage: bash scripts/bench-load.sh [N (10000)] [SECONDS (60)]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-10000}
DUR=${2:-60}
. scripts/lib-bench.sh
bench_setup load
DB=sqlite://$TMP/bench.db
python3 scripts/gen-offers.py "$N" > "$TMP/offers.csv"
$BIN migrate --db "$DB" >/dev/null 2>&1
$BIN import rome fixtures/rome --db "$DB" >/dev/null 2>&1
$BIN import offers "$TMP/offers.csv" --db "$DB" --fictional >/dev/null 2>&1
P=$(free_port)
$BIN serve --db "$DB" --listen 127.0.0.1:$P --secret-file "$TMP/secret.key" --trusted-proxy 127.0.0.1/32 \
  2>"$TMP/server.log" >/dev/null &
SRV=$!
for _ in $(seq 300); do curl -sf http://127.0.0.1:$P/healthz >/dev/null && break; sleep 0.1; done
for _ in $(seq 600); do grep -q "index des offres" "$TMP/server.log" && break; sleep 0.1; done
CODE=$(curl -s "http://127.0.0.1:$P/api/v1/offers" | python3 -c 'import json,sys; print(json.load(sys.stdin)["offers"][0]["code"])')
python3 - "$TMP/paths.txt" <<'PY'
import random, sys, urllib.parse
random.seed(7)
words = ["soudeur", "cariste", "électricien", "maintenance", "nettoyage", "logistique", "opérateur", "nuit", ""]
out = []
for i in range(500):
    q = {"q": random.choice(words), "commune": random.choice(["", "59183", "59271"]),
         "contrat": random.choice(["", "cdi", "interim"]), "page": str(random.randint(1, 5))}
    out.append("/offres?" + urllib.parse.urlencode({k: v for k, v in q.items() if v}))
open(sys.argv[1], "w").write("\n".join(out) + "\n")
PY
cat > "$TMP/random.lua" <<LUA
local paths = {}
for line in io.lines("$TMP/paths.txt") do paths[#paths + 1] = line end
request = function() return wrk.format("GET", paths[math.random(#paths)]) end
LUA
rss() { awk '/VmRSS/{printf "%.0f MiB", $2/1024}' /proc/$SRV/status 2>/dev/null || echo "the server stopped: $(tail -5 "$TMP/server.log")"; }
echo "machine: $(nproc) cores; $N offers on SQLite; wrk -t2 -c256 -d${DUR}s"
for case in "offer page:/offres/$CODE" "random filtered searches:random"; do
  label=${case%%:*}; target=${case#*:}
  before=$(rss)
  if [ "$target" = random ]; then
    out=$(wrk -t2 -c256 -d"${DUR}s" --latency -s "$TMP/random.lua" "http://127.0.0.1:$P")
  else
    out=$(wrk -t2 -c256 -d"${DUR}s" --latency "http://127.0.0.1:$P$target")
  fi
  printf '%-26s %9s req/s  p50 %8s  p99 %8s  memory %s -> %s  %s\n' "$label" \
    "$(echo "$out" | awk '/Requests\/sec/{print $2}')" "$(echo "$out" | awk '$1=="50%"{print $2}')" \
    "$(echo "$out" | awk '$1=="99%"{print $2}')" "$before" "$(rss)" \
    "$(echo "$out" | grep -E 'Non-2xx|Socket errors' | tr -s ' ' | tr '\n' ' ' || true)"
done
