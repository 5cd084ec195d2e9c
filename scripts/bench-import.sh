#!/usr/bin/env bash
# People's requests beside a large offer import on SQLite (issue 21, item 2). The server runs;
# `dklik import offers` writes N generated offers from another process (as an administrator
# would); meanwhile a client sends a call-back request and a sign-in code request in turn,
# every 100 ms, each from an address of its own (the server trusts the local proxy), until the
# import ends. Prints the import's time and, per kind of request, the answers and the wait
# (p50, p99, max), and how many call-backs had to go to the journal.
# DKLIK_BIN=path runs another build (a baseline) the same way.
# Usage: bash scripts/bench-import.sh [N (40000)]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-40000}
. scripts/lib-bench.sh
bench_setup import
DB=sqlite://$TMP/bench.db
python3 scripts/gen-offers.py "$N" > "$TMP/offers.csv"
$BIN migrate --db "$DB" >/dev/null 2>&1
$BIN import rome fixtures/rome --db "$DB" >/dev/null 2>&1
$BIN import offers fixtures/offers/demo-offres.csv --db "$DB" --fictional >/dev/null 2>&1
P=$(free_port)
$BIN serve --db "$DB" --listen 127.0.0.1:$P --secret-file "$TMP/secret.key" --trusted-proxy 127.0.0.1/32 \
  --callback-queue "$TMP/callbacks.jsonl" 2>"$TMP/server.log" >/dev/null &
SRV=$!
for _ in $(seq 300); do curl -sf http://127.0.0.1:$P/healthz >/dev/null && break; sleep 0.1; done
CODE=$(curl -s "http://127.0.0.1:$P/api/v1/offers" | python3 -c 'import json,sys; print(json.load(sys.stdin)["offers"][0]["code"])')
python3 - "$P" "$CODE" "$TMP/done" "$TMP/ready" <<'PY' &
import http.client, json, os, sys, time, urllib.parse
port, code, done, ready = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
def post(path, form, ip):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    t = time.monotonic()
    c.request("POST", path, urllib.parse.urlencode(form),
              {"Content-Type": "application/x-www-form-urlencoded", "X-Forwarded-For": ip})
    r = c.getresponse(); r.read(); c.close()
    return r.status, time.monotonic() - t
def waiting():
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    c.request("GET", "/healthz"); r = c.getresponse(); body = r.read(); c.close()
    try:
        return json.loads(body)["parts"]["callback_queue"]["waiting"]
    except Exception:
        return 0
# People known by e-mail, who will ask for their sign-in code.
for i in range(100):
    post(f"/offres/{code}/interet", {"prenom": f"P{i}", "email": f"p{i}@t.fr", "moment": "matin",
         "consentement": "oui", "src": "site"}, f"10.250.0.{i}")
open(ready, "w").close()
res = {"call-back": [], "code request": []}
journaled, k = 0, 0
while not os.path.exists(done):
    ip = f"10.{k // 62500 % 250}.{k // 250 % 250}.{k % 250}"
    if k % 2 == 0:
        s, t = post(f"/offres/{code}/interet", {"prenom": "Sam", "telephone": f"06{k:08d}",
                    "moment": "matin", "consentement": "oui", "src": "site"}, ip)
        res["call-back"].append((s, t))
        journaled += waiting() > 0
    else:
        s, t = post("/mon-espace", {"contact": f"p{k // 2 % 100}@t.fr"}, ip)
        res["code request"].append((s, t))
    k += 1
    time.sleep(0.1)
for kind, rows in res.items():
    if not rows:
        continue
    waits = sorted(t for _, t in rows)
    q = lambda p: waits[min(len(waits) - 1, int(p * len(waits)))] * 1000
    codes = {}
    for s, _ in rows:
        codes[s] = codes.get(s, 0) + 1
    print(f"{kind:13} {len(rows):5} sent  answers {dict(sorted(codes.items()))}  "
          f"wait p50 {q(0.5):.0f} ms  p99 {q(0.99):.0f} ms  max {waits[-1] * 1000:.0f} ms")
print(f"call-backs seen waiting in the journal after their answer: {journaled}")
PY
CLIENT=$!
for _ in $(seq 600); do [ -e "$TMP/ready" ] && break; sleep 0.1; done
echo "machine: $(nproc) cores; $N offers imported by another process, SQLite; $BIN"
start=$(date +%s.%N)
$BIN import offers "$TMP/offers.csv" --db "$DB" --fictional 2>&1 | tail -1
echo "import: $(python3 -c "print(f'{$(date +%s.%N) - $start:.1f} s')")"
touch "$TMP/done"
wait $CLIENT
