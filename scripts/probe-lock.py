#!/usr/bin/env python3
"""Runs a command (an import) while another writer, in this process, writes one row to the same
SQLite database every 10 ms, and reports how long that writer waited for the write lock: what a
person's request would wait beside the import. For issue 21's item 2 (BENCHMARKS.md).
Usage: python3 scripts/probe-lock.py DB_FILE COMMAND…"""
import sqlite3, subprocess, sys, time

db, cmd = sys.argv[1], sys.argv[2:]
c = sqlite3.connect(db, timeout=30, isolation_level=None)
c.execute("CREATE TABLE IF NOT EXISTS lock_probe (x INTEGER)")
p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
started, waits = time.monotonic(), []
while p.poll() is None:
    t = time.monotonic()
    c.execute("BEGIN IMMEDIATE")
    waits.append(time.monotonic() - t)
    c.execute("INSERT INTO lock_probe VALUES (1)")
    c.execute("COMMIT")
    time.sleep(0.01)
c.execute("DROP TABLE lock_probe")
waits.sort()
q = lambda f: waits[min(len(waits) - 1, int(f * len(waits)))] * 1000
print(f"{' '.join(cmd[:3])}: {time.monotonic() - started:.1f} s (exit {p.returncode}); "
      f"{len(waits)} probes, wait for the lock p50 {q(.5):.0f} ms, p99 {q(.99):.0f} ms, "
      f"max {waits[-1] * 1000:.0f} ms, over 250 ms {sum(w > .25 for w in waits)}")
