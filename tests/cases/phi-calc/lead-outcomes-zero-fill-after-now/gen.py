#!/usr/bin/env python3
"""Writes outcomes.csv (deal outcomes) and weekly.csv (the same won amounts per
week, period,value, 0 for a week without a win from the first won week to the
last complete week 2026-W43) from PHI.csv (period,phi of the model
../hand-weekly-converted-at/oracle.py on leads.csv and acts.csv at --now
2026-10-26T12:00+08:00).  Run once; the CSVs are committed.
    gen.py PHI.csv
Each week t with a PHI wins 1000 - 800 PHI(t) two weeks later, in one or two
deals, except in the weeks of SKIP, which win nothing; lost deals on the side;
wins on 2026-10-26 08:00 (the week of --now, 2026-W44) and in 2026-W45 that
must be ignored."""
import csv, datetime as dt, random, sys

SKIP = {"2026-W12", "2026-W13", "2026-W25", "2026-W41", "2026-W42"}
rng = random.Random(2611)
phi = [(r["period"], float(r["phi"])) for r in csv.DictReader(open(sys.argv[1])) if r["phi"]]
wins = {}
rows = []
n = 0
for label, x in phi:
    monday = dt.date.fromisocalendar(int(label[:4]), int(label[6:]), 1) + dt.timedelta(weeks=2)
    y, w, _ = monday.isocalendar()
    week = "%04d-W%02d" % (y, w)
    if week in SKIP:
        continue
    total = round(1000 - 800 * x, 1)
    parts = [total] if rng.random() < 0.5 else [round(total - 100, 1), 100]
    for k, amount in enumerate(parts):
        n += 1
        day = monday + dt.timedelta(days=rng.randint(0, 6))
        rows.append(("W%03d" % n, "R1", "%s %02d:%02d" % (day, 9 + k, rng.randint(0, 59)), "won", amount))
        wins[week] = wins.get(week, 0) + amount
    if rng.random() < 0.3:
        n += 1
        rows.append(("W%03d" % n, "R1", "%s 15:00" % (monday + dt.timedelta(days=2)), "lost", 5000))
rows.append(("X001", "R1", "2026-10-26 08:00", "won", 90000))
rows.append(("X002", "R1", "2026-11-03 10:00", "won", 90000))
rows.sort(key=lambda r: r[2])
with open("outcomes.csv", "w", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["deal_id", "rep_id", "closed_at", "outcome", "amount"])
    w.writerows(rows)
first = min(dt.date.fromisocalendar(int(k[:4]), int(k[6:]), 1) for k in wins)
last = dt.date.fromisocalendar(2026, 43, 1)
with open("weekly.csv", "w", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["period", "value"])
    d = first
    while d <= last:
        y, k, _ = d.isocalendar()
        label = "%04d-W%02d" % (y, k)
        w.writerow([label, "%g" % round(wins.get(label, 0), 1)])
        d += dt.timedelta(weeks=1)
