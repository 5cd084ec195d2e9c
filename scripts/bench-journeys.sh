#!/usr/bin/env bash
# "Can I get there by bus?" under load, on the demo network with N offers made by
# scripts/gen-offers.py and 50 places (the territory's, then points spread over the network
# until there are 50): the offer page answering "Depuis chez moi"
# for random offers and places (never from the page cache), beside the same pages without a
# place (page cache off), and the reachability table's build time (places × offers) and the
# server's memory. Needs wrk (installed when missing).
# Usage: bash scripts/bench-journeys.sh N_OFFERS [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-10000}
DUR=${2:-10}
. scripts/lib-bench.sh
bench_setup journeys
DB=sqlite://$TMP/bench.db
python3 scripts/gen-offers.py "$N" > "$TMP/offers.csv"
$BIN migrate --db "$DB" >/dev/null 2>&1
$BIN import rome fixtures/rome --db "$DB" >/dev/null 2>&1
$BIN import gtfs fixtures/gtfs/dunkerque-demo --db "$DB" >/dev/null 2>&1
$BIN import places territoire/lieux-dunkerque.csv --db "$DB" >/dev/null 2>&1
python3 - "$TMP/more-places.csv" <<'PY'
import random, sys
random.seed(20261130)
known = sum(1 for _ in open("territoire/lieux-dunkerque.csv")) - 1
with open(sys.argv[1], "w") as f:
    f.write("nom;commune;code_insee;qpv;latitude;longitude\n")
    for i in range(50 - known):
        f.write(f"Point {i + 1};Dunkerque;59183;non;{random.uniform(50.95, 51.06):.4f};{random.uniform(2.13, 2.50):.4f}\n")
PY
$BIN import places "$TMP/more-places.csv" --db "$DB" >/dev/null 2>&1
$BIN import offers "$TMP/offers.csv" --db "$DB" --fictional >/dev/null 2>&1
P=$(free_port)
$BIN serve --db "$DB" --listen 127.0.0.1:$P --page-cache-seconds 0 --secret-file "$TMP/secret.key" \
  2>"$TMP/server.log" >/dev/null &
SRV=$!
for _ in $(seq 300); do curl -sf http://127.0.0.1:$P/healthz >/dev/null && break; sleep 0.1; done
for _ in $(seq 3000); do grep -q "accessibilité en bus" "$TMP/server.log" && break; sleep 0.1; done
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB; $N offers, demo network, SQLite; wrk -t2 -c16 -d${DUR}s"
grep -o 'places=[0-9]* ms=[0-9]*' "$TMP/server.log" | head -1 | sed 's/^/  reachability table built: /'
curl -sf "http://127.0.0.1:$P/api/v1/places" > "$TMP/places.json"
for p in 1 2 3 4 5; do curl -sf "http://127.0.0.1:$P/api/v1/offers?page=$p"; echo; done > "$TMP/offers.jsonl"
python3 - "$TMP" <<'PY'
import json, random, sys, urllib.parse
tmp = sys.argv[1]
random.seed(20261130)
places = [p["name"] for p in json.load(open(f"{tmp}/places.json"))["places"]]
codes = [o["code"] for line in open(f"{tmp}/offers.jsonl") if line.strip() for o in json.loads(line)["offers"]]
with open(f"{tmp}/with.txt", "w") as w, open(f"{tmp}/without.txt", "w") as wo:
    for _ in range(500):
        c = random.choice(codes)
        w.write(f"/offres/{c}?depuis={urllib.parse.quote(random.choice(places))}\n")
        wo.write(f"/offres/{c}\n")
PY
for kind in with without; do
cat > "$TMP/$kind.lua" <<LUA
local paths = {}
for line in io.lines("$TMP/$kind.txt") do paths[#paths + 1] = line end
math.randomseed(os.time())
request = function() return wrk.format("GET", paths[math.random(#paths)]) end
LUA
done
run() {
  local out
  out=$(wrk -t2 -c16 -d"${DUR}s" --latency -s "$TMP/$2.lua" "http://127.0.0.1:$P")
  printf '%-52s %10s req/s  p50 %8s  p99 %8s %s\n' "$1" "$(echo "$out" | awk '/Requests\/sec/{print $2}')" \
    "$(echo "$out" | awk '$1=="50%"{print $2}')" "$(echo "$out" | awk '$1=="99%"{print $2}')" "$(echo "$out" | grep -E 'Non-2xx|Socket errors' | tr -s ' ' | tr '\n' ' ')"
}
run "offer page + journeys from a place (uncached)" with
run "offer page without a place (page cache off)" without
curl -sf "http://127.0.0.1:$P/offres?depuis=Grande-Synthe" -o /dev/null -w '  list filtered by a place: %{time_total} s\n'
echo "  server memory: $(awk '/VmRSS/{print $2/1024 " MiB"}' /proc/$SRV/status)"
