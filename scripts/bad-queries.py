"""Sends hostile query strings to a running DKLIK (the public list and the offers API) and
reports, for each, the status and the slowest of 5 answers; fails when one answers 5xx.
Used by scripts/bench-search.sh; by hand: python3 scripts/bad-queries.py http://127.0.0.1:8080"""
import http.client, sys, time, urllib.parse

base = urllib.parse.urlsplit(sys.argv[1])
raw = [
    "q=", "q=" + "a" * 10000, "q=" + urllib.parse.quote("!!!???;;;" * 50), "q=%27%20OR%201%3D1--",
    "q=" + urllib.parse.quote("'); DROP TABLE offers;--"), "q=" + urllib.parse.quote(".*(a|b)+[^x]{1,99}$"),
    "q=%FF%FE%FD", "q=%C3%28", "q=%00%01%02", "page=0", "page=1000000000", "page=-1", "page=abc",
    "commune=ZZZZZ", "famille=Z", "contrat=forever", "horaire=minuit", "sans_diplome=peut-etre",
    "q=soudeur&page=99999", "q=" + urllib.parse.quote("é" * 3000), "depuis=" + "x" * 500,
    "q=" + urllib.parse.quote("soudeur " * 400), "q=%%%", "q=a&q=b&q=c", "metier=ZZZZ",
]
paths = [p + "?" + q for q in raw for p in ("/offres", "/api/v1/offers")]
worst, failed = 0.0, []
for path in paths:
    slowest, status = 0.0, 0
    for _ in range(5):
        c = http.client.HTTPConnection(base.hostname, base.port, timeout=30)
        t = time.perf_counter()
        c.request("GET", path)
        r = c.getresponse()
        r.read()
        slowest = max(slowest, time.perf_counter() - t)
        status = r.status
        c.close()
    worst = max(worst, slowest)
    if status >= 500:
        failed.append(path)
    print(f"{status} {slowest * 1000:8.1f} ms  {path[:90]}")
print(f"{len(paths)} hostile addresses, 5 times each: slowest answer {worst * 1000:.1f} ms; 5xx: {len(failed)}")
sys.exit(1 if failed else 0)
