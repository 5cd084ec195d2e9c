#!/usr/bin/env python3
"""Writes N offers in DKLIK's CSV template, for the search benchmark: the demo file's rows
repeated with new external ids, employers, communes and coordinates (all of the territory, as
the real ones would be), and about one in ten not published.
Usage: python3 scripts/gen-offers.py N > offers.csv"""
import csv, io, random, sys
from pathlib import Path

N = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
random.seed(20261130)
demo = Path(__file__).resolve().parent.parent / "fixtures/offers/demo-offres.csv"
rows = list(csv.reader(io.StringIO(demo.read_text(encoding="utf-8")), delimiter=";"))
head, rows = rows[0], rows[1:]
COMMUNES = [("Dunkerque", "59183", 51.034, 2.377), ("Grande-Synthe", "59271", 51.014, 2.303),
            ("Loon-Plage", "59359", 50.998, 2.217), ("Gravelines", "59273", 50.986, 2.128),
            ("Bourbourg", "59094", 50.947, 2.196), ("Coudekerque-Branche", "59155", 51.022, 2.394),
            ("Armbouts-Cappel", "59016", 50.981, 2.351), ("Téteghem-Coudekerque-Village", "59588", 51.018, 2.443),
            ("Cappelle-la-Grande", "59131", 50.998, 2.365), ("Leffrinckoucke", "59340", 51.035, 2.463),
            ("Zuydcoote", "59668", 51.062, 2.491), ("Bray-Dunes", "59107", 51.072, 2.518),
            ("Fort-Mardyck", "59183", 51.030, 2.306), ("Spycker", "59576", 50.969, 2.322),
            ("Craywick", "59159", 50.970, 2.235), ("Saint-Georges-sur-l'Aa", "59536", 50.970, 2.163)]
SUFFIX = ["Nord", "Sud", "Port", "Littoral", "Flandre", "Opale", "Industrie", "Services", "Logistique", "Atelier"]
out = csv.writer(sys.stdout, delimiter=";", lineterminator="\n")
out.writerow(head)
for i in range(N):
    r = list(rows[i % len(rows)])
    name, insee, lat, lon = COMMUNES[random.randrange(len(COMMUNES))]
    r[0] = f"GEN-{i:06d}"
    r[1] = f"{r[1].split(' (')[0]} {SUFFIX[(i // len(rows)) % len(SUFFIX)]} {i // (len(rows) * len(SUFFIX))} (entreprise fictive)"
    r[4], r[5] = name, insee
    r[6] = f"{lat + random.uniform(-0.01, 0.01):.5f}"
    r[7] = f"{lon + random.uniform(-0.01, 0.01):.5f}"
    r[18] = "brouillon" if random.random() < 0.1 else "publiee"
    out.writerow(r)
