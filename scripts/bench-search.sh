#!/usr/bin/env bash
# The public search under load, side by side in one run: random searches drawn from 200
# realistic ones (trade words with and without accents, plurals, one-letter typos, filters,
# pages 1-5) answered from the in-memory index, then by SQL (the path before the index), then
# the same single address answered by the page cache. Offers are made by scripts/gen-offers.py.
# Needs wrk (installed when missing). Prints one line per case, and the server's memory.
# Usage: bash scripts/bench-search.sh N_OFFERS [postgres://…/DB (an empty database)] [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-10000}
PG=${2:-}
DUR=${3:-10}
. scripts/lib-bench.sh
bench_setup search
DB=${PG:-sqlite://$TMP/bench.db}
python3 scripts/gen-offers.py "$N" > "$TMP/offers.csv"
$BIN migrate --db "$DB" >/dev/null 2>&1
$BIN import rome fixtures/rome --db "$DB" >/dev/null 2>&1
T0=$(date +%s.%N)
$BIN import offers "$TMP/offers.csv" --db "$DB" --fictional >/dev/null 2>&1
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB; $N offers on $([ -n "$PG" ] && echo PostgreSQL || echo SQLite) (import $(python3 -c "import time;print(round(time.time()-$T0,1))") s); wrk -t2 -c16 -d${DUR}s"
python3 - "$TMP/paths.txt" <<'PY'
import random, sys, urllib.parse
random.seed(20261130)
words = ["soudeur", "soudeurs", "Soudeuse", "soudeir", "cariste", "caristes", "chariot", "chariot élévateur",
         "électricien", "electricien", "Électricienne", "electricein", "maintenance", "technicien maintenance",
         "nettoyage", "agent de nettoyage", "conditionnement", "manutention", "manutentionnaire", "chaudronnier",
         "chaudronier", "logistique", "préparateur de commandes", "preparateur", "opérateur", "operateur de production",
         "agent de quai", "mécanicien", "mecanicien", "tuyauteur", "qualité", "conducteur", "engins", "nuit",
         "laveur", "peintre", "magasinier", "usine", "port", "débutant"]
communes = ["", "", "", "59183", "59271", "59359", "59273", "59094", "59155"]
families = ["", "", "", "H", "N", "I", "K"]
contracts = ["", "", "", "cdi", "cdd", "interim", "apprentissage"]
shifts = ["", "", "", "tot", "matin", "apres-midi", "nuit"]
out = []
for i in range(200):
    q = {"q": words[i % len(words)] if i % 9 else ""}
    for k, pool in (("commune", communes), ("famille", families), ("contrat", contracts), ("horaire", shifts)):
        v = random.choice(pool)
        if v:
            q[k] = v
    if random.random() < 0.2:
        q["sans_diplome"] = "1"
    for page in range(1, 6):
        q["page"] = str(page)
        out.append("/offres?" + urllib.parse.urlencode({k: v for k, v in q.items() if v}))
open(sys.argv[1], "w").write("\n".join(out) + "\n")
PY
cat > "$TMP/random.lua" <<LUA
local paths = {}
for line in io.lines("$TMP/paths.txt") do paths[#paths + 1] = line end
math.randomseed(os.time())
request = function() return wrk.format("GET", paths[math.random(#paths)]) end
LUA
start() { # search engine, page cache seconds
  P=$(free_port)
  $BIN serve --db "$DB" --listen 127.0.0.1:$P --search "$1" --page-cache-seconds "$2" \
    --secret-file "$TMP/secret.key" 2>"$TMP/server.log" >/dev/null &
  SRV=$!
  for _ in $(seq 300); do curl -sf http://127.0.0.1:$P/healthz >/dev/null && break; sleep 0.1; done
  if [ "$1" = memory ]; then
    for _ in $(seq 600); do grep -q "index des offres" "$TMP/server.log" && break; sleep 0.1; done
    grep -o 'offers=[0-9]*.*ms=[0-9]*' "$TMP/server.log" | head -1 | sed 's/^/  index built: /'
  fi
}
run() { # label, url or lua
  local out
  if [ "$2" = random ]; then out=$(wrk -t2 -c16 -d"${DUR}s" --latency -s "$TMP/random.lua" "http://127.0.0.1:$P"); else out=$(wrk -t2 -c16 -d"${DUR}s" --latency "http://127.0.0.1:$P$2"); fi
  printf '%-44s %10s req/s  p50 %8s  p99 %8s %s\n' "$1" "$(echo "$out" | awk '/Requests\/sec/{print $2}')" \
    "$(echo "$out" | awk '$1=="50%"{print $2}')" "$(echo "$out" | awk '$1=="99%"{print $2}')" "$(echo "$out" | grep -E 'Non-2xx|Socket errors' | tr -s ' ' | tr '\n' ' ')"
}
stop() { kill $SRV; wait $SRV 2>/dev/null || true; SRV=; }
start memory 0
run "random searches, in-memory index" random
echo "  server memory: $(awk '/VmRSS/{print $2/1024 " MiB"}' /proc/$SRV/status)"
echo "  hostile query strings: $(python3 scripts/bad-queries.py "http://127.0.0.1:$P" | tail -1)"
stop
start sql 0
run "random searches, SQL (before the index)" random
stop
start memory 5
run "one address, page cache" "/offres"
stop
