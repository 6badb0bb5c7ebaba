#!/usr/bin/env python3
"""Generates the lag cases' data (run once; the CSVs are committed).
    gen.py data         leads.csv, acts.csv: 2026-W01 (from 2025-12-29) to
                        2026-W40, 20 leads a week, a random number of them
                        converted (4..16), missing the key action (0..6)
                        and incomplete extra records (0..6 of 10), so the
                        weekly PHI wanders.
    gen.py perf PHI.csv performance.csv: value(t+2) = 1000 - 800 * PHI(t)
                        + deterministic noise in [-5, 5], for every week t
                        with a PHI (PHI.csv: phi-calc's own period,phi);
                        2026-W10 written as a date, 2026-W20 split in two
                        rows (a label and a time).
    gen.py positive PHI.csv positive.csv: value(t+2) = 200 + 800 * PHI(t)
                        + the same noise as perf: the wrong sign
                        (../lead-wrong-sign).
    gen.py noise PHI.csv noise.csv [SEED]: independent values 1000 +- 100
                        on the same weeks (seed 6; pure noise still shows a
                        "lead" outside the band for some seeds, e.g. 5 and 7:
                        9 lags and an autocorrelated PHI).
PHI.csv was made with (or with ../hand-weekly-converted-at/oracle.py, the same
figures): phi-calc --now 2026-10-26T12:00+08:00 --tz Asia/Shanghai
    -f csv --leads leads.csv --activities acts.csv"""
import csv, datetime as dt, random, sys

def week_label(monday):
    y, w, _ = monday.isocalendar()
    return "%04d-W%02d" % (y, w)

W01 = dt.datetime(2025, 12, 29, 9, 0)
mode = sys.argv[1]
if mode == "data":
    rng = random.Random(4242)
    with open("leads.csv", "w", newline="") as lf, open("acts.csv", "w", newline="") as af:
        lw = csv.writer(lf, lineterminator="\n")
        aw = csv.writer(af, lineterminator="\n")
        lw.writerow(["lead_id", "created_at", "owner", "converted_at"])
        aw.writerow(["activity_id", "lead_id", "rep_id", "at", "action", "stage", "goal", "next_step"])
        f = "%Y-%m-%d %H:%M"
        n = 0
        for i in range(40):
            monday = W01 + dt.timedelta(weeks=i)
            conv, nokey, bad = rng.randint(4, 16), rng.randint(0, 6), rng.randint(0, 6)
            for j in range(20):
                lid = "L%02d%02d" % (i, j)
                created = monday + dt.timedelta(hours=8 * j)
                lw.writerow([lid, created.strftime(f), "R1",
                             (created + dt.timedelta(days=2)).strftime(f) if j < conv else ""])
                n += 1
                aw.writerow(["A%05d" % n, lid, "R1", (created + dt.timedelta(hours=1)).strftime(f),
                             "call", "need_discovery", "了解需求", "" if j >= 20 - nokey else "约拜访"])
            for e in range(10):
                n += 1
                aw.writerow(["A%05d" % n, "L%02d%02d" % (i, e), "R1",
                             (monday + dt.timedelta(hours=10 + e)).strftime(f), "call", "demo",
                             "" if e < bad else "演示", "约报价"])
else:
    phi = [(r["period"], float(r["phi"])) for r in csv.DictReader(open(sys.argv[2])) if r["phi"]]
    rng = random.Random(99 if mode in ("perf", "positive") else int(sys.argv[4]) if len(sys.argv) > 4 else 6)
    out = csv.writer(open(sys.argv[3], "w", newline=""), lineterminator="\n")
    out.writerow(["period", "value"])
    for label, x in phi:
        y, w = int(label[:4]), int(label[6:])
        monday = dt.date.fromisocalendar(y, w, 1) + dt.timedelta(weeks=2)
        if mode == "perf":
            v = 1000 - 800 * x + rng.uniform(-5, 5)
        elif mode == "positive":
            v = 200 + 800 * x + rng.uniform(-5, 5)
        else:
            v = 1000 + rng.uniform(-100, 100)
        label = week_label(monday)
        if label == "2026-W10":    # a date stands for its week
            out.writerow(["2026-03-04", "%.2f" % v])
        elif label == "2026-W20":  # two rows of one week add up
            out.writerow([label, "%.2f" % (v - 100)])
            out.writerow(["2026/5/14 10:00", "100"])
        else:
            out.writerow([label, "%.2f" % v])
