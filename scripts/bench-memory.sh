#!/usr/bin/env bash
# The server's memory across offer imports: 10,000 generated offers on SQLite, then N imports
# by another process (`dklik import offers`: the same offers, one in ten changed each time);
# after each, once the server has rebuilt its index and answered a few searches, its RSS.
# VAR=VALUE arguments go to the server's environment (`MALLOC_ARENA_MAX=16` gives glibc's
# own default on 2 cores, to compare with the binary's 2).
# Usage: bash scripts/bench-memory.sh [N (8)] [VAR=VALUE…]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-8}
shift || true
. scripts/lib-bench.sh
bench_setup memory
DB=sqlite://$TMP/memory.db
python3 scripts/gen-offers.py 10000 > "$TMP/offers.csv"
$BIN migrate --db "$DB" >/dev/null
$BIN import rome fixtures/rome --db "$DB" >/dev/null
$BIN import offers "$TMP/offers.csv" --db "$DB" --fictional >/dev/null
P=$(free_port)
env "$@" $BIN serve --db "$DB" --listen 127.0.0.1:$P --secret-file "$TMP/secret.key" \
  2>"$TMP/server.log" >/dev/null &
SRV=$!
for _ in $(seq 600); do grep -q "index des offres" "$TMP/server.log" && break; sleep 0.1; done
rss() { awk '/VmRSS/{print int($2/1024)}' /proc/$SRV/status; }
searches() {
  for q in soudeur cariste maintenance logistique nuit; do
    curl -sf -o /dev/null "http://127.0.0.1:$P/offres?q=$q" || echo "a search failed" >&2
  done
}
searches; sleep 2
echo "machine: $(nproc) cores; 10,000 offers on SQLite; server environment: ${*:-(none)}"
line="RSS MiB: start $(rss)"
for n in $(seq "$N"); do
  python3 - "$TMP" "$n" <<'PY'
import csv, io, sys
tmp, n = sys.argv[1], int(sys.argv[2])
rows = list(csv.reader(open(f"{tmp}/offers.csv", encoding="utf-8"), delimiter=";"))
out = io.StringIO()
w = csv.writer(out, delimiter=";", lineterminator="\n")
w.writerow(rows[0])
for i, r in enumerate(rows[1:]):
    if i % 10 == n % 10:
        r[8] = f"{r[8]} ({n})"
    w.writerow(r)
open(f"{tmp}/import.csv", "w", encoding="utf-8").write(out.getvalue())
PY
  built=$(grep -c "index des offres" "$TMP/server.log" || true)
  $BIN import offers "$TMP/import.csv" --db "$DB" --fictional >/dev/null
  for _ in $(seq 600); do [ "$(grep -c "index des offres" "$TMP/server.log")" -gt "$built" ] && break; sleep 0.1; done
  searches; sleep 3
  line="$line, after import $n: $(rss)"
done
echo "$line"
