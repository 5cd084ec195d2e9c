#!/usr/bin/env bash
# The soak of issue 21: a realistic mixed load for MINUTES on SQLite or PostgreSQL.
# - positions from 200 vehicles every 10 s (each vehicle posts its own, spread over the 10 s);
# - 5 random filtered searches and 1 call-back request a second (each request from an address
#   of its own: the server trusts the local proxy);
# - an offer import every 10 minutes (`dklik import offers`, another process): the same 10,000
#   offers with one in ten changed and 200 new ones each time;
# - the server's memory (RSS) every 5 minutes.
# At the end: per kind, requests, answers that are not the expected ones, p50, p99 and max; the
# imports' times; the call-backs in the database against those thanked.
# With OUTAGE_AT=M (postgres only), PostgreSQL is stopped at minute M for OUTAGE_S seconds (30):
# then every request's wait, the call-backs lost and the time to normal are what count.
# IMPORT_EVERY=S changes the 600 s between imports (for a short trial run).
# Usage: bash scripts/soak.sh [MINUTES (60)] [sqlite|postgres]
set -euo pipefail
cd "$(dirname "$0")/.."
MIN=${1:-60}
KIND=${2:-sqlite}
OUTAGE_AT=${OUTAGE_AT:-}
OUTAGE_S=${OUTAGE_S:-30}
. scripts/lib-bench.sh
bench_setup soak
if [ "$KIND" = postgres ]; then
  . scripts/lib-pg.sh
  start_throwaway_pg
  # Both traps: the server and the folder, then the cluster.
  trap 'kill $SRV 2>/dev/null || true; rm -rf "$TMP"; stop_throwaway_pg' EXIT
  DB=$DKLIK_TEST_PG_URL
else
  DB=sqlite://$TMP/soak.db
fi
python3 scripts/gen-offers.py 10000 > "$TMP/offers.csv"
$BIN migrate --db "$DB" >/dev/null
$BIN import rome fixtures/rome --db "$DB" >/dev/null
$BIN import gtfs fixtures/gtfs/dunkerque-demo --db "$DB" >/dev/null
$BIN import offers "$TMP/offers.csv" --db "$DB" --fictional >/dev/null
TOKEN=$($BIN token create --name soak --role feed --db "$DB" | sed -n 's/.*: \(dk_[0-9a-f]*\)$/\1/p')
[ -n "$TOKEN" ] || { echo "no feed token" >&2; exit 1; }
P=$(free_port)
$BIN serve --db "$DB" --listen 127.0.0.1:$P --secret-file "$TMP/secret.key" --trusted-proxy 127.0.0.1/32 \
  --callback-queue "$TMP/callbacks.jsonl" 2>"$TMP/server.log" >/dev/null &
SRV=$!
for _ in $(seq 300); do curl -sf http://127.0.0.1:$P/healthz >/dev/null && break; sleep 0.1; done
for _ in $(seq 600); do grep -q "index des offres" "$TMP/server.log" && break; sleep 0.1; done
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB; $KIND; $MIN minutes${OUTAGE_AT:+; PostgreSQL stopped at minute $OUTAGE_AT for $OUTAGE_S s}"
export P TOKEN SRV MIN TMP BIN DB KIND OUTAGE_AT OUTAGE_S PG_BIN="${PG_TMP:+$(pg_bin_dir)}" PG_TMP="${PG_TMP:-}" PG_PORT="${PG_PORT:-}"
python3 - <<'PY'
import csv, http.client, io, json, os, random, subprocess, sys, threading, time, urllib.parse
E = os.environ
port, token, srv, minutes, tmp = int(E["P"]), E["TOKEN"], E["SRV"], float(E["MIN"]), E["TMP"]
end = time.monotonic() + minutes * 60
lock = threading.Lock()
rows = {}          # kind -> [(expected?, wait s, at s)]
thanked = []       # phones answered 303
t0 = time.monotonic()

def note(kind, ok, wait):
    with lock:
        rows.setdefault(kind, []).append((ok, wait, time.monotonic() - t0))

def call(method, path, body=None, headers=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    t = time.monotonic()
    try:
        c.request(method, path, body, headers or {})
        r = c.getresponse(); r.read(); status = r.status
    except Exception:
        status = 0
    finally:
        c.close()
    return status, time.monotonic() - t

stops = list(csv.DictReader(open("fixtures/gtfs/dunkerque-demo/stops.txt", encoding="utf-8")))
def vehicle(v):
    rnd = random.Random(v)
    offset, k = rnd.random() * 10, 0
    while True:
        at = t0 + offset + 10 * k
        if at >= end:
            break
        time.sleep(max(0.0, at - time.monotonic()))
        k += 1
        s = rnd.choice(stops)
        pos = {"vehicle": f"SOAK-{v:03d}", "lat": float(s["stop_lat"]) + rnd.uniform(-0.0005, 0.0005),
               "lon": float(s["stop_lon"]) + rnd.uniform(-0.0005, 0.0005), "timestamp": int(time.time())}
        st, w = call("POST", "/api/v1/positions", json.dumps(pos),
                     {"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
        note("position", 200 <= st < 300, w)

words = ["soudeur", "cariste", "électricien", "maintenance", "nettoyage", "logistique", "opérateur", "nuit", ""]
def searcher(seed):
    rnd = random.Random(seed)
    while time.monotonic() < end:
        q = {"q": rnd.choice(words), "commune": rnd.choice(["", "59183", "59271"]),
             "contrat": rnd.choice(["", "cdi", "interim"]), "page": str(rnd.randint(1, 5))}
        st, w = call("GET", "/offres?" + urllib.parse.urlencode({k: v for k, v in q.items() if v}))
        note("search", st == 200, w)
        time.sleep(max(0.0, 1.0 - w))

def code_of_an_offer():
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    c.request("GET", "/api/v1/offers"); body = c.getresponse().read(); c.close()
    return json.loads(body)["offers"][0]["code"]

def caller():
    code, k = code_of_an_offer(), 0
    while time.monotonic() < end:
        k += 1
        phone = f"07{k:08d}"
        form = urllib.parse.urlencode({"prenom": "Soak", "telephone": phone, "moment": "matin",
                                       "consentement": "oui", "src": "site"})
        st, w = call("POST", f"/offres/{code}/interet", form,
                     {"Content-Type": "application/x-www-form-urlencoded",
                      "X-Forwarded-For": f"10.{k // 62500 % 250}.{k // 250 % 250}.{k % 250}"})
        note("call-back", st == 303, w)
        if st == 303:
            with lock:
                thanked.append(phone)
        time.sleep(max(0.0, 1.0 - w))

imports = []
def importer():
    n = 0
    while True:
        time.sleep(float(E.get("IMPORT_EVERY", "600")))
        if time.monotonic() >= end:
            break
        n += 1
        src = list(csv.reader(open(f"{tmp}/offers.csv", encoding="utf-8"), delimiter=";"))
        head, body = src[0], src[1:]
        out = io.StringIO(); w = csv.writer(out, delimiter=";", lineterminator="\n"); w.writerow(head)
        for i, r in enumerate(body):
            r = list(r)
            if i % 10 == n % 10:
                r[8] = f"{r[8]} ({n})"
            w.writerow(r)
        for i in range(200):
            r = list(body[i]); r[0] = f"SOAK{n}-{i:04d}"; w.writerow(r)
        path = f"{tmp}/import-{n}.csv"
        open(path, "w", encoding="utf-8").write(out.getvalue())
        t = time.monotonic()
        p = subprocess.run([E["BIN"], "import", "offers", path, "--db", E["DB"], "--fictional"],
                           capture_output=True, text=True)
        imports.append((round((t - t0) / 60, 1), time.monotonic() - t, p.returncode,
                        (p.stdout or p.stderr).strip().splitlines()[-1:]))

def rss():
    try:
        for line in open(f"/proc/{srv}/status"):
            if line.startswith("VmRSS"):
                return int(line.split()[1]) // 1024
    except OSError:
        return None

memory = []
def watcher():
    while time.monotonic() < end + 1:
        memory.append((round((time.monotonic() - t0) / 60), rss()))
        time.sleep(min(300, max(1, end - time.monotonic())) if time.monotonic() < end else 1)
        if time.monotonic() >= end:
            memory.append((round((time.monotonic() - t0) / 60), rss()))
            break

outage = {}
def stopper():
    at = float(E["OUTAGE_AT"]) * 60
    time.sleep(at)
    pg = [E["PG_BIN"] + "/pg_ctl", "-D", E["PG_TMP"] + "/data", "-w"]
    outage["stopped"] = time.monotonic() - t0
    subprocess.run(["runuser", "-u", "postgres", "--"] + pg + ["-m", "fast", "stop"], capture_output=True)
    time.sleep(float(E["OUTAGE_S"]))
    subprocess.run(["runuser", "-u", "postgres", "--"] + pg + ["-l", E["PG_TMP"] + "/server.log", "-o",
                    f"-p {E['PG_PORT']} -k {E['PG_TMP']} -c listen_addresses=127.0.0.1 -c fsync=off "
                    "-c synchronous_commit=off -c full_page_writes=off -c max_connections=300", "start"],
                   capture_output=True)
    outage["back"] = time.monotonic() - t0

threads = [threading.Thread(target=vehicle, args=(v,)) for v in range(200)]
threads += [threading.Thread(target=searcher, args=(s,)) for s in range(5)]
threads += [threading.Thread(target=caller), threading.Thread(target=watcher)]
side = [threading.Thread(target=importer, daemon=True)]
if E.get("OUTAGE_AT") and E["KIND"] == "postgres":
    side.append(threading.Thread(target=stopper, daemon=True))
for t in threads + side:
    t.start()
for t in threads:
    t.join()
time.sleep(5)  # the journal's replay, if any

def q(ws, p):
    return ws[min(len(ws) - 1, int(p * len(ws)))] * 1000
print(f"{'kind':10} {'requests':>9} {'unexpected':>10} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
for kind, rs in sorted(rows.items()):
    ws = sorted(w for _, w, _ in rs)
    print(f"{kind:10} {len(rs):9} {sum(1 for ok, _, _ in rs if not ok):10} {q(ws, .5):8.1f} {q(ws, .99):8.1f} {ws[-1] * 1000:8.1f}")
print("memory (minute, RSS MiB):", ", ".join(f"{m}: {r}" for m, r in memory))
for at, took, rc, last in imports:
    print(f"import at minute {at}: {took:.1f} s, exit {rc}: {' '.join(last)}")
if outage:
    a, b = outage["stopped"], outage["back"]
    during = [(k, ok, w) for k, rs in rows.items() for ok, w, at in rs if a <= at - w <= b + 2]
    slow = max((w for _, _, w in during), default=0)
    print(f"outage from {a / 60:.1f} to {b / 60:.1f} min: {len(during)} requests asked during it, "
          f"the longest answered in {slow * 1000:.0f} ms; "
          f"{sum(1 for _, ok, _ in during if not ok)} of them not the usual answer (503 is expected)")
    outside = [ok for rs in rows.values() for ok, w, at in rs if not a <= at - w <= b + 2]
    print(f"outside the outage: {len(outside)} requests, {outside.count(False)} unexpected answers")
    for kind, rs in sorted(rows.items()):
        ws = sorted(w for ok, w, at in rs if not a <= at - w <= b + 2)
        print(f"  {kind:10} outside the outage: p50 {q(ws, .5):.1f} ms, p99 {q(ws, .99):.1f} ms, "
              f"max {ws[-1] * 1000:.1f} ms")
    after = sorted((at - w, ok) for rs in rows.values() for ok, w, at in rs if at - w > b)
    bad_after = [s for s, ok in after if not ok]
    print(f"after the return: first request {after[0][0] - b:.1f} s after it; "
          f"last unexpected answer {max(bad_after) - b:.1f} s after it" if bad_after else
          "after the return: every answer as expected")
# The call-backs thanked against those in the database.
c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
c.request("GET", "/healthz"); health = json.loads(c.getresponse().read()); c.close()
print("journal waiting at the end:", health.get("parts", {}).get("callback_queue", {}).get("waiting"))
with open(f"{tmp}/thanked.txt", "w") as f:
    f.write("\n".join(thanked) + "\n")
PY
# Each thanked phone must be in the database once.
if [ "$KIND" = postgres ]; then
  psql_bin="$(pg_bin_dir)/psql"
  "$psql_bin" "$DB" -Atc "SELECT p.phone FROM interests i JOIN people p ON p.id = i.person_id WHERE p.first_name = 'Soak'" > "$TMP/stored.txt"
else
  python3 -c "import sqlite3,sys; [print(r[0]) for r in sqlite3.connect(sys.argv[1]).execute(\"SELECT p.phone FROM interests i JOIN people p ON p.id = i.person_id WHERE p.first_name = 'Soak'\")]" "$TMP/soak.db" > "$TMP/stored.txt"
fi
python3 - "$TMP/thanked.txt" "$TMP/stored.txt" <<'PY'
import sys
thanked = [l.strip() for l in open(sys.argv[1]) if l.strip()]
stored = [l.replace(" ", "").strip() for l in open(sys.argv[2]) if l.strip()]
missing = set(thanked) - set(stored)
print(f"call-backs thanked {len(thanked)}, requests stored {len(stored)} "
      f"({len(set(stored))} phones), lost {len(missing)}")
PY
