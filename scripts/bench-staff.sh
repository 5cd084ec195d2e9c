#!/usr/bin/env bash
# The staff's lists under load, side by side in one run: random pages of the people list
# (names with and without accents, typos, phones however typed, communes), of the employers
# list (names, offers' titles and codes) and of the requests' queues (filters, pages 1-5),
# answered from memory, then with the lists on SQL (`serve --search sql`). N offers are made by
# scripts/gen-offers.py and N people (with N requests) by `dklik bench staff`, which also prints
# the lists' build times and the searches timed in-process.
# Needs wrk (installed when missing). Prints one line per case, and the server's memory.
# Usage: bash scripts/bench-staff.sh N [postgres://…/DB (an empty database)] [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-100000}
PG=${2:-}
DUR=${3:-10}
. scripts/lib-bench.sh
bench_setup staff
DB=${PG:-sqlite://$TMP/bench.db}
python3 scripts/gen-offers.py "$N" > "$TMP/offers.csv"
$BIN migrate --db "$DB" >/dev/null 2>&1
$BIN import rome fixtures/rome --db "$DB" >/dev/null 2>&1
$BIN import offers "$TMP/offers.csv" --db "$DB" --fictional >/dev/null 2>&1
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB; $N offers and $N people on $([ -n "$PG" ] && echo PostgreSQL || echo SQLite); wrk -t2 -c16 -d${DUR}s"
$BIN bench staff --db "$DB" --people "$N" --rounds 3 2>/dev/null | sed 's/^/  /'
echo "le mot de passe du banc d'essai" | $BIN create-admin --db "$DB" --email banc@dklik.invalid >/dev/null 2>&1
python3 - "$TMP/paths.txt" <<'PY'
import random, sys, urllib.parse
random.seed(20261130)
people = ["benali", "Benali Inès", "ines benali", "dupont", "lefebvre", "vandenbusche", "haddad karim",
          "bouchaib", "Bouchaïb", "océane", "oceane", "chloe martin", "06 10 00", "0610", "06 10 12 34",
          "+33 6 10", "grande-synthe", "gravelines leclercq", "loon plage", "yanis", "inconnu", "", "",
          "martin-12", "dewaele nadia", "kevin", "Mehdi", "sarah dunkerque", "verm", "leclerq"]
employers = ["", "", "nord", "soudeur", "cariste 12", "littoral 3", "dunkerque", "opale", "atelier 7",
             "services", "GEN", "maintenance", "zzz"]
out = []
for i in range(200):
    page = str(random.randint(1, 3))
    out.append("/conseil/personnes?" + urllib.parse.urlencode({"q": random.choice(people), "page": page}))
    out.append("/conseil/entreprises?" + urllib.parse.urlencode({"q": random.choice(employers), "page": page}))
    f = random.choice(["nouvelles", "retard", "libres", "miennes"])
    out.append(f"/conseil/demandes?filtre={f}&page={random.randint(1, 5)}")
open(sys.argv[1], "w").write("\n".join(out) + "\n")
PY
start() { # lists: memory or sql
  P=$(free_port)
  $BIN serve --db "$DB" --listen 127.0.0.1:$P --search "$1" --secret-file "$TMP/secret.key" \
    2>"$TMP/server.log" >/dev/null &
  SRV=$!
  for _ in $(seq 300); do curl -sf http://127.0.0.1:$P/healthz >/dev/null && break; sleep 0.1; done
  if [ "$1" = memory ]; then
    # Measured once the lists and the public index are built (the index's build at start takes
    # the cores for some seconds).
    for _ in $(seq 900); do grep -q "liste des entreprises à jour" "$TMP/server.log" && grep -q "liste des personnes à jour" "$TMP/server.log" && grep -q "index des offres à jour" "$TMP/server.log" && break; sleep 0.1; done
    grep -oE 'liste des [a-z]+ à jour rows=[0-9]+ ms=[0-9]+' "$TMP/server.log" | head -2 | sed 's/^/  built at start: /' || true
  fi
  COOKIE=$(curl -s -o /dev/null -D - -X POST "http://127.0.0.1:$P/connexion" \
    --data-urlencode "email=banc@dklik.invalid" --data-urlencode "mot_de_passe=le mot de passe du banc d'essai" \
    | awk 'tolower($1)=="set-cookie:"{print $2}' | head -1 | tr -d ';\r')
  [ -n "$COOKIE" ] || { echo "no session: login refused"; exit 1; }
  cat > "$TMP/random.lua" <<LUA
local paths = {}
for line in io.lines("$TMP/paths.txt") do paths[#paths + 1] = line end
math.randomseed(os.time())
request = function() return wrk.format("GET", paths[math.random(#paths)], { ["Cookie"] = "$COOKIE" }) end
LUA
}
run() { # label
  local out
  out=$(wrk -t2 -c16 -d"${DUR}s" --latency -s "$TMP/random.lua" "http://127.0.0.1:$P")
  printf '%-44s %10s req/s  p50 %8s  p99 %8s %s\n' "$1" "$(echo "$out" | awk '/Requests\/sec/{print $2}')" \
    "$(echo "$out" | awk '$1=="50%"{print $2}')" "$(echo "$out" | awk '$1=="99%"{print $2}')" "$(echo "$out" | grep -E 'Non-2xx|Socket errors' | tr -s ' ' | tr '\n' ' ')"
}
stop() { kill $SRV; wait $SRV 2>/dev/null || true; SRV=; }
start memory
for k in 1 2 3; do run "staff lists, people and employers in memory ($k)"; done
echo "  server memory: $(awk '/VmRSS/{print $2/1024 " MiB"}' /proc/$SRV/status)"
stop
start sql
run "staff lists, SQL (before)"
stop
