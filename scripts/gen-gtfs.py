#!/usr/bin/env python3
"""Writes a bigger GTFS feed from a small one: every trip K times (ids suffixed), the rest as it
is; for the import benchmarks (a real network's size: a few hundred thousand stop times).
Usage: python3 scripts/gen-gtfs.py FEED_DIR K OUT_DIR"""
import csv, os, shutil, sys

src, k, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
os.makedirs(out, exist_ok=True)
for name in os.listdir(src):
    if name.endswith(".txt") and name not in ("trips.txt", "stop_times.txt"):
        shutil.copy(os.path.join(src, name), os.path.join(out, name))
for name in ("trips.txt", "stop_times.txt"):
    rows = list(csv.DictReader(open(os.path.join(src, name), encoding="utf-8")))
    with open(os.path.join(out, name), "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
        w.writeheader()
        for i in range(k):
            for r in rows:
                r = dict(r)
                r["trip_id"] = f"{r['trip_id']}_{i}"
                w.writerow(r)
