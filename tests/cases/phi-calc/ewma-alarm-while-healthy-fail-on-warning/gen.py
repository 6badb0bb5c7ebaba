#!/usr/bin/env python3
"""Generates leads.csv and acts.csv for the EWMA cases (run once; the CSVs
are committed).  Weeks 2026-W10.. of 20 leads each; per week w the plan
gives: converted leads (converted_at 3 days after created_at), leads
missing the key action (their need_discovery record lacks next_step, so it
is also an incomplete record), and incomplete extra records out of 10.
    gen.py worsen   stable 14 weeks, then conversion swings and the
                    key action and the records decay (risk)
    gen.py healthy  stable 12 weeks, then a shift that stays healthy"""
import csv, datetime as dt, random, sys

profile = sys.argv[1]
rng = random.Random(20261130 if profile == "worsen" else 7)
W10 = dt.datetime(2026, 3, 2, 9, 0)   # Monday of 2026-W10
plan = []
if profile == "worsen":
    for i in range(28):
        if i < 14:
            plan.append((rng.choice([9, 10, 10, 11]), rng.choice([0, 0, 1]), rng.choice([0, 0, 0, 1])))
        else:
            k = i - 14
            plan.append((rng.choice([5, 8, 12, 14]), min(10, 1 + k // 2 + rng.choice([0, 1])),
                         min(10, 2 + k // 2 + rng.choice([0, 1]))))
else:
    for i in range(28):
        if i < 12:
            plan.append((10, 0, rng.choice([0, 0, 0, 1])))
        else:
            plan.append((rng.choice([9, 10, 11, 12]), 1, rng.choice([0, 0, 0, 1])))

with open("leads.csv", "w", newline="") as lf, open("acts.csv", "w", newline="") as af:
    lw = csv.writer(lf, lineterminator="\n")
    aw = csv.writer(af, lineterminator="\n")
    lw.writerow(["lead_id", "created_at", "owner", "converted_at"])
    aw.writerow(["activity_id", "lead_id", "deal_id", "rep_id", "at", "action", "stage", "goal",
                 "next_step"])
    f = "%Y-%m-%d %H:%M"
    n = 0
    for i, (conv, nokey, bad) in enumerate(plan):
        monday = W10 + dt.timedelta(weeks=i)
        for j in range(20):
            lid = "L%02d%02d" % (i, j)
            created = monday + dt.timedelta(hours=8 * j)
            lw.writerow([lid, created.strftime(f), "R1",
                         (created + dt.timedelta(days=3)).strftime(f) if j < conv else ""])
            n += 1
            aw.writerow(["A%05d" % n, lid, "", "R1", (created + dt.timedelta(hours=1)).strftime(f),
                         "call", "need_discovery", "了解需求", "" if j >= 20 - nokey else "约拜访"])
        for e in range(10):
            n += 1
            aw.writerow(["A%05d" % n, "L%02d%02d" % (i, e), "", "R1",
                         (monday + dt.timedelta(hours=10 + e)).strftime(f), "call", "demo",
                         "" if e < bad else "演示", "约报价"])
