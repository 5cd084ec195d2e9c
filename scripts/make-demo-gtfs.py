#!/usr/bin/env python3
"""Writes fixtures/gtfs/dunkerque-demo: a FICTIONAL bus network shaped like the Dunkerque area's,
for the demo and the tests. Lines join the neighbourhoods to the industrial zones where the demo's
fictional employers stand, with early (from 4:30) and late (past midnight) services for shift work.
Run it again after changing it; the output is committed."""
import csv, math, os

OUT = os.path.join(os.path.dirname(__file__), '..', 'fixtures', 'gtfs', 'dunkerque-demo')

# Named places (lat, lon). Industrial stops sit within a few hundred metres of the demo sites.
P = {
 'Gare de Dunkerque': (51.0305, 2.3684), 'Place Jean Bart': (51.0343, 2.3768), 'Malo Plage': (51.0497, 2.4092),
 'Rosendaël Centre': (51.0381, 2.4005), 'Coudekerque Mairie': (51.0225, 2.3930), 'Coudekerque ZI': (51.0220, 2.3990),
 'Téteghem Centre': (51.0186, 2.4419), 'Saint-Pol Centre': (51.0296, 2.3385), 'Petite-Synthe': (51.0212, 2.3140),
 'Grande-Synthe Centre': (51.0136, 2.3029), 'Grande-Synthe Europe': (51.0117, 2.2920), 'ZI Pont-Loby': (51.0085, 2.2895),
 'Grande-Synthe Moulin': (51.0150, 2.3070), 'Mardyck Village': (51.0262, 2.2524), 'Mardyck Usine': (51.0300, 2.2690),
 'Mardyck Route': (51.0250, 2.2585), 'Zone Grandes Industries': (51.0410, 2.3020), 'Port Est Quai Lorraine': (51.0470, 2.3560),
 'Loon-Plage Centre': (50.9968, 2.2183), 'Loon-Plage Terminal': (51.0018, 2.2070), 'Plateforme chimique': (50.9955, 2.2260),
 'Gravelines Centre': (50.9866, 2.1280), 'Gravelines Colombier': (51.0120, 2.1380), 'Gravelines Terminal': (50.9965, 2.1545),
 'Grand-Fort-Philippe': (51.0010, 2.1050), 'Bourbourg Centre': (50.9468, 2.1958), 'Bourbourg ZA': (50.9435, 2.2010),
 'Armbouts-Cappel Ravensberghe': (50.9990, 2.3540), 'Cappelle-la-Grande': (51.0000, 2.3650), 'Leffrinckoucke': (51.0355, 2.4610),
}
LINES = [
 ('C1', 'Chronobus C1', 'Gare – Malo Plage', ['Gare de Dunkerque', 'Place Jean Bart', 'Rosendaël Centre', 'Malo Plage'], 'E2001A', 12),
 ('C2', 'Chronobus C2', 'Gare – Grande-Synthe Europe', ['Gare de Dunkerque', 'Saint-Pol Centre', 'Petite-Synthe', 'Grande-Synthe Centre', 'Grande-Synthe Europe'], '0B5FA5', 15),
 ('10', 'Ligne 10', 'Grande-Synthe – Zone Grandes Industries – Port Est', ['Grande-Synthe Moulin', 'Zone Grandes Industries', 'Saint-Pol Centre', 'Port Est Quai Lorraine'], '007A4D', 30),
 ('11', 'Ligne 11', 'Gare – Mardyck Usine', ['Gare de Dunkerque', 'Saint-Pol Centre', 'Petite-Synthe', 'Mardyck Route', 'Mardyck Usine', 'Mardyck Village'], '8E3B8E', 30),
 ('12', 'Ligne 12', 'Grande-Synthe – ZI Pont-Loby – Loon-Plage', ['Grande-Synthe Centre', 'ZI Pont-Loby', 'Mardyck Village', 'Plateforme chimique', 'Loon-Plage Centre', 'Loon-Plage Terminal'], 'C45400', 30),
 ('13', 'Ligne 13', 'Loon-Plage – Gravelines – Grand-Fort-Philippe', ['Loon-Plage Centre', 'Gravelines Terminal', 'Gravelines Centre', 'Gravelines Colombier', 'Grand-Fort-Philippe'], '006E8A', 30),
 ('14', 'Ligne 14', 'Gare – Coudekerque ZI – Téteghem', ['Gare de Dunkerque', 'Coudekerque Mairie', 'Coudekerque ZI', 'Téteghem Centre'], 'A11D3C', 20),
 ('15', 'Ligne 15', 'Grande-Synthe – Bourbourg ZA', ['Grande-Synthe Centre', 'ZI Pont-Loby', 'Loon-Plage Centre', 'Bourbourg Centre', 'Bourbourg ZA'], '5A6E00', 40),
 ('16', 'Ligne 16', 'Gare – Armbouts-Cappel Ravensberghe', ['Gare de Dunkerque', 'Coudekerque Mairie', 'Cappelle-la-Grande', 'Armbouts-Cappel Ravensberghe'], '6A4C00', 30),
 ('17', 'Ligne 17', 'Leffrinckoucke – Gare – Port Est', ['Leffrinckoucke', 'Malo Plage', 'Place Jean Bart', 'Port Est Quai Lorraine'], '3D3D99', 30),
]
SPEED = 5.5  # metres per second, stops included

def dist(a, b):
    (la1, lo1), (la2, lo2) = a, b
    r = 6371008.8
    p1, p2 = math.radians(la1), math.radians(la2)
    dp, dl = p2 - p1, math.radians(lo2 - lo1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(h))

def hms(s):
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"

def w(name, header, rows):
    with open(os.path.join(OUT, name), 'w', newline='', encoding='utf-8') as f:
        c = csv.writer(f, lineterminator='\n')
        c.writerow(header)
        c.writerows(rows)

os.makedirs(OUT, exist_ok=True)
stop_id = {n: f"S{i + 1:03d}" for i, n in enumerate(P)}
w('agency.txt', ['agency_id', 'agency_name', 'agency_url', 'agency_timezone', 'agency_lang'],
  [['DKD', 'Réseau de démonstration DKLIK (fictif)', 'https://dklik.invalid/', 'Europe/Paris', 'fr']])
w('feed_info.txt', ['feed_publisher_name', 'feed_publisher_url', 'feed_lang', 'feed_start_date', 'feed_end_date', 'feed_version'],
  [['DKLIK (données fictives de démonstration)', 'https://dklik.invalid/', 'fr', '20260101', '20271231', 'demo-1']])
w('stops.txt', ['stop_id', 'stop_code', 'stop_name', 'stop_lat', 'stop_lon', 'location_type'],
  [[stop_id[n], stop_id[n][1:], n, f"{la:.5f}", f"{lo:.5f}", 0] for n, (la, lo) in P.items()])
w('routes.txt', ['route_id', 'agency_id', 'route_short_name', 'route_long_name', 'route_type', 'route_color', 'route_text_color'],
  [[r, 'DKD', r, long, 3, col, 'FFFFFF'] for r, _, long, _, col, _ in LINES])
w('calendar.txt', ['service_id', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday', 'start_date', 'end_date'],
  [['SEM', 1, 1, 1, 1, 1, 0, 0, '20260101', '20271231'], ['SAM', 0, 0, 0, 0, 0, 1, 0, '20260101', '20271231'],
   ['DIM', 0, 0, 0, 0, 0, 0, 1, '20260101', '20271231']])
# Public holidays on weekdays run the Sunday service.
holidays = ['20260101', '20260406', '20260501', '20260508', '20260514', '20260525', '20260714', '20261111', '20261225',
            '20270101', '20270329', '20270506', '20270517', '20270714', '20271101', '20271111']
w('calendar_dates.txt', ['service_id', 'date', 'exception_type'],
  [r for d in holidays for r in (['SEM', d, 2], ['DIM', d, 1])])

shapes, trips, times = [], [], []
for rid, _, _, names, _, headway in LINES:
    for direction in (0, 1):
        seq = names if direction == 0 else list(reversed(names))
        shape = f"{rid}_{direction}"
        # Shape: the stops with two points between each pair, bent slightly like a street.
        n = 0
        for a, b in zip(seq, seq[1:]):
            (la1, lo1), (la2, lo2) = P[a], P[b]
            for k in range(3):
                t = k / 3
                bend = 0.0008 * math.sin(math.pi * t)
                shapes.append([shape, f"{la1 + (la2 - la1) * t + bend:.6f}", f"{lo1 + (lo2 - lo1) * t:.6f}", n])
                n += 1
        shapes.append([shape, f"{P[seq[-1]][0]:.6f}", f"{P[seq[-1]][1]:.6f}", n])
        runs = [0]
        for a, b in zip(seq, seq[1:]):
            runs.append(runs[-1] + int(dist(P[a], P[b]) * 1.25 / SPEED) + 20)
        for service, first, last, step in (('SEM', 4 * 3600 + 30 * 60, 24 * 3600 + 20 * 60, headway),
                                           ('SAM', 5 * 3600 + 30 * 60, 23 * 3600, headway * 2),
                                           ('DIM', 7 * 3600, 21 * 3600, 60)):
            t0 = first + direction * 300
            k = 0
            while t0 <= last:
                trip = f"{rid}_{direction}_{service}_{k:03d}"
                trips.append([rid, service, trip, names[-1] if direction == 0 else names[0], direction, shape])
                for i, name in enumerate(seq):
                    s = t0 + runs[i]
                    times.append([trip, hms(s), hms(s), stop_id[name], i + 1])
                # Shift changes (5:00, 13:00, 21:00): denser around them on weekdays.
                peak = service == 'SEM' and any(abs(t0 - h * 3600) < 3600 for h in (5, 13, 21))
                t0 += (min(step, 15) if peak else step) * 60
                k += 1
w('shapes.txt', ['shape_id', 'shape_pt_lat', 'shape_pt_lon', 'shape_pt_sequence'], shapes)
w('trips.txt', ['route_id', 'service_id', 'trip_id', 'trip_headsign', 'direction_id', 'shape_id'], trips)
w('stop_times.txt', ['trip_id', 'arrival_time', 'departure_time', 'stop_id', 'stop_sequence'], times)
print(len(P), 'stops,', len(trips), 'trips,', len(times), 'stop times')
