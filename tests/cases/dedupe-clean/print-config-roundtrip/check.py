import json, sys
c = json.load(open(sys.argv[1]))
print("keys:", " ".join(c))
print("thresholds:", c["thresholds"]["match"], c["thresholds"]["review"],
      "blocking:", c["blocking"]["max_block"], c["blocking"]["window"], c["blocking"]["fuzzy"],
      "cluster:", c["cluster"]["max_size"], c["cluster"]["branch_veto"])
print("prior strictly between 0 and 1:", 0 < c["prior"] < 1)
for f in c["fields"]:
    ok = all(len(f[k]) == 4 and all(0 < x <= 1 for x in f[k]) and abs(sum(f[k]) - 1) < 0.001 for k in ("m", "u"))
    print(f["column"], f["type"], "block" if f["block"] else "-", "strong" if f["strong"] else "-",
          f["survive"], "m and u: 4 probabilities adding up to 1:", ok)
