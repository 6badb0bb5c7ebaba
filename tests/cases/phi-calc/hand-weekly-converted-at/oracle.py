#!/usr/bin/env python3
"""An independent model of phi-calc's rules (written from the brief and the
man page, not from phi.c) used to compute expected figures for the test
cases.

As a module: Model(...) and the formatting helpers (to_csv, lag_report, ...).
As a program it stands in for phi-calc itself, with the same options as far
as the cases use them, so that a case's cmd can be run against the model:

    ./oracle-check [FILTER]     (next to this file) runs every phi-calc case
                                with this model as phi-calc and compares
                                its output with expected.out/err/status

The rules after review (2026-11, "phi-calc after review"):
  - all files honour -i, -d, -e, -m;
  - key_action.stage is folded and mapped like the stage names (需求挖掘,
    Need_Discovery -> need_discovery); conversion.column and
    key_action.stage take up to 255 bytes;
  - conversion through --events: each deal keeps its earliest event at a
    conversion stage; of a lead's deals the earliest such time is used when
    it is at or after created_at, else the latest; an event matches when
    its folded stage, or that stage's canonical name, is in
    conversion.stages (default need_confirmed,solution_match,需求确认);
    events at other stages are skipped (but every event's at is checked:
    phi-calc(1) as committed in af902b1);
  - a repeated lead_id is rejected ("duplicate lead_id X"), the first kept;
  - notes: "FILE: no converted_at column and no --events: no lead can
    convert", "FILE: no column X: no activity can be the key action
    (key_action.fields)" (not for JSON Lines), each once, unless -q;
  - --by rep never makes groups of --reps' teams;
  - "conversion stability %.3f > %.3g";
  - a month is shown only when it is before the month of --now (as
    before) and the week of its last Thursday ended before the week of
    --now (new);
  - --performance: periods after the last complete one (the one before
    --now's) are ignored; deal outcomes give 0 for a period without a win
    between the first period with a win and the last complete period;
    outcomes of a rep_id that is no group (--by rep) are rejected, and a
    period,value row with an empty group column;
  - the lead report: band_all_lags = z(1 - 0.05/(2L)) / sqrt(pairs); only
    lags with lead.min_pairs (8) pairs can be best; the verdict needs r
    outside band_all_lags and negative; rolling_weeks is 2..52;
  - --fail-on works with --report lead (on the PHI rows); warning also
    fires on an undefined last row;
  - after 20 bad rows: "phi-calc: N more bad rows not shown".
  - --by team: a lead belongs to its owner's team in --reps when the owner
    is listed there, else to the team in its own team column (phi-calc(1)
    as committed in af902b1; before, the lead's team column won);
  - key_action.stage of 64..255 bytes: taken and matched (rule 2 and
    salesops-formats(5)), not a config error.
"""
import csv, math, re, sys, io, json, os, unicodedata
import datetime as dt
from statistics import NormalDist

TZ = dt.timezone(dt.timedelta(hours=8))
MISSING = {"", "null", "n/a", "-", "na", "#n/a"}

def missing(s):
    return s is None or s.strip().lower() in MISSING

def set_tz(name):
    global TZ
    TZ = {"UTC": dt.timezone.utc, "Asia/Shanghai": dt.timezone(dt.timedelta(hours=8))}[name]

def ptime(s):
    """-> aware datetime; None for missing; ValueError when unparsable."""
    if missing(s):
        return None
    s = s.strip()
    m = re.fullmatch(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?(Z|[+-]\d{2}:?\d{2})?", s)
    if not m:
        m2 = re.fullmatch(r"(\d{4})年(\d{1,2})月(\d{1,2})日(?:\s*(\d{1,2}):(\d{2})(?::(\d{2}))?)?", s)
        if not m2:
            m3 = re.fullmatch(r"(\d{5})(\.\d+)?", s)   # an Excel serial: days since 1899-12-30
            if not m3:
                raise ValueError(s)
            base = dt.datetime(1899, 12, 30, tzinfo=TZ)
            return base + dt.timedelta(days=float(s))
        m = m2
        tzs = None
    else:
        tzs = m.group(7)
    y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
    hh = int(m.group(4) or 0); mi = int(m.group(5) or 0); ss = int(m.group(6) or 0)
    if tzs is None:
        tz = TZ
    elif tzs == "Z":
        tz = dt.timezone.utc
    else:
        sign = 1 if tzs[0] == "+" else -1
        t = tzs[1:].replace(":", "")
        tz = dt.timezone(sign * dt.timedelta(hours=int(t[:2]), minutes=int(t[2:])))
    return dt.datetime(y, mo, d, hh, mi, ss, tzinfo=tz)

def parse_number(s):
    """'¥95', '0.008万', '1,200,000', '50万' -> float; ValueError else."""
    t = unicodedata.normalize("NFKC", s or "").strip()
    mult = 1.0
    for pre in ("¥", "RMB", "CNY"):
        if t.startswith(pre):
            t = t[len(pre):].strip()
    if t.endswith("元"):
        t = t[:-1]
    if t.endswith("亿"):
        mult, t = 1e8, t[:-1]
    elif t.endswith("万"):
        mult, t = 1e4, t[:-1]
    elif t.endswith("%"):
        mult, t = 0.01, t[:-1]
    t = t.replace(",", "")
    if not re.fullmatch(r"[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?", t):
        raise ValueError(s)
    return float(t) * mult

def local_date(t):
    return t.astimezone(TZ).date()

EPOCH_MON = dt.date(1969, 12, 29)   # a Monday
def week_of_date(d):
    return (d - EPOCH_MON).days // 7

def week_of(t):
    return week_of_date(local_date(t))

def week_monday(w):
    return EPOCH_MON + dt.timedelta(days=7 * w)

def week_label(w):
    y, n, _ = (week_monday(w) + dt.timedelta(days=3)).isocalendar()
    return "%04d-W%02d" % (y, n)

def week_month(w):
    th = week_monday(w) + dt.timedelta(days=3)
    return (th.year, th.month)

def month_index(ym):
    return ym[0] * 12 + ym[1] - 1

def last_thursday_week(ym):
    """the week of the month's last Thursday"""
    y, m = ym
    nxt = dt.date(y + (m == 12), m % 12 + 1, 1)
    d = nxt - dt.timedelta(days=1)
    while d.weekday() != 3:
        d -= dt.timedelta(days=1)
    return week_of_date(d)

STAGE_ALIASES = {"需求挖掘": "need_discovery", "需求确认": "need_discovery", "需求调研": "need_discovery",
    "need discovery": "need_discovery", "方案匹配": "solution_match", "方案沟通": "solution_match",
    "solution match": "solution_match", "方案演示": "demo", "产品演示": "demo", "演示": "demo",
    "异议处理": "objection", "异议": "objection", "报价": "quote", "商务谈判": "negotiation",
    "谈判": "negotiation", "成交": "close", "签约": "close", "赢单": "won", "输单": "lost", "丢单": "lost"}
ACTION_ALIASES = {"电话": "call", "打电话": "call", "电话沟通": "call", "致电": "call", "拜访": "visit",
    "上门拜访": "visit", "面访": "visit", "微信": "wechat", "邮件": "email", "电子邮件": "email",
    "演示": "demo", "产品演示": "demo", "方案": "proposal", "提交方案": "proposal", "报价": "quote",
    "合同": "contract", "签约": "contract", "phone": "call", "phone call": "call", "meeting": "visit",
    "e-mail": "email"}

def fold(s):
    """folded text: trimmed, NFKC, case-folded"""
    return unicodedata.normalize("NFKC", (s or "").strip()).casefold().strip()

def canon(s, table):
    s = fold(s)
    return table.get(s, s)

def record_complete(a):
    if missing(a.get("goal")) or missing(a.get("next_step")):
        return False
    if canon(a.get("stage"), STAGE_ALIASES) == "objection" and missing(a.get("objection")):
        return False
    act = canon(a.get("action"), ACTION_ALIASES)
    docs = fold(a.get("docs") or "")
    need = {"quote": ["报价", "quot"], "proposal": ["方案", "proposal"], "contract": ["合同", "contract"]}.get(act)
    if need and not any(k in docs for k in need):
        return False
    return True

class Reading:
    """How files are read: -i, -d, -e, -m."""
    fmt = None          # None (by content), "csv", "tsv", "jsonl"
    delimiter = None
    encoding = None     # None: UTF-8 (with or without BOM), else GB18030
    rename = {}

READ = Reading()

def read_rows(path):
    """-> (columns or None for JSON Lines, [(line, dict)])"""
    raw = open(path, "rb").read()
    if READ.encoding:
        text = raw.decode(READ.encoding)
    else:
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = raw.decode("gb18030")
    fmt = READ.fmt or ("jsonl" if text.lstrip().startswith("{") else None)
    if fmt == "jsonl":
        rows = []
        for i, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                o = json.loads(line)
                rows.append((i, {READ.rename.get(k, k): ("" if v is None else str(v)) for k, v in o.items()}))
        return None, rows
    delim = READ.delimiter or ("\t" if fmt == "tsv" else None)
    if delim is None:
        first = text.split("\n", 1)[0]
        delim = "\t" if "\t" in first and "," not in first else ","
    r = csv.reader(io.StringIO(text, newline=""), delimiter=delim)
    header = [READ.rename.get(h.strip(), h.strip()) for h in next(r)]
    rows = []
    line = 1
    for rec in r:
        line += 1
        rows.append((line, dict(zip(header, rec))))
    return header, rows

class Cfg:
    window_days = 14
    due_days = 7
    rolling = 4
    conv_stages = ("need_confirmed", "solution_match", "需求确认")
    key_stage = "need_discovery"
    key_fields = ("goal", "next_step")
    th_stab, th_comp, th_compl = 0.15, 0.88, 0.95
    w = (1 / 3, 1 / 3, 1 / 3)
    lam, sig, base = 0.2, 3.0, 8
    max_lag = 8
    min_pairs = 8
    conv_column = "converted_at"

def load_cfg(path):
    c = type("CfgFile", (Cfg,), {})
    j = json.load(open(path))
    g = lambda sec, key: j.get(sec, {}).get(key) if isinstance(j.get(sec), dict) else None
    pairs = [(("conversion", "window_days"), "window_days"), (("key_action", "due_days"), "due_days"),
             (("conversion", "column"), "conv_column"), (("key_action", "stage"), "key_stage"),
             (("ewma", "lambda"), "lam"), (("ewma", "sigmas"), "sig"), (("ewma", "baseline_periods"), "base"),
             (("lead", "max_lag"), "max_lag"), (("lead", "min_pairs"), "min_pairs"),
             (("thresholds", "stability"), "th_stab"), (("thresholds", "completion"), "th_comp"),
             (("thresholds", "completeness"), "th_compl")]
    for (sec, key), attr in pairs:
        v = g(sec, key)
        if v is not None:
            setattr(c, attr, v)
    if g("conversion", "stages") is not None:
        c.conv_stages = tuple(fold(x) for x in re.split("[,;]", g("conversion", "stages")) if fold(x))
    if g("key_action", "fields") is not None:
        c.key_fields = tuple(fold(x) for x in re.split("[,;]", g("key_action", "fields")) if fold(x))
    if "rolling_weeks" in j:
        c.rolling = j["rolling_weeks"]
    if "weights" in j:
        w = list(Cfg.w)
        for i, k in enumerate(("stability", "completion", "completeness")):
            if k in j["weights"]:
                w[i] = j["weights"][k]
        c.w = tuple(w)
    return c

def fmt4(x):
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return ""
    v = round(x / 1e-4) * 1e-4
    s = "%.4f" % v
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    if s == "-0":
        s = "0"
    return s

def sd(xs):
    n = len(xs)
    m = sum(xs) / n
    return math.sqrt(sum((x - m) ** 2 for x in xs) / (n - 1))

def pearson(a, b):
    n = len(a)
    ma = sum(a) / n; mb = sum(b) / n
    sab = sum((x - ma) * (y - mb) for x, y in zip(a, b))
    saa = sum((x - ma) ** 2 for x in a); sbb = sum((y - mb) ** 2 for y in b)
    if saa <= 0 or sbb <= 0:
        return float("nan")
    return sab / math.sqrt(saa * sbb)

class Model:
    def __init__(self, leads, acts, now, events=None, reps=None, by="none", period="week", cfg=Cfg,
                 quiet=False):
        self.cfg = cfg
        self.now = ptime(now) if isinstance(now, str) else now
        self.by = by
        self.period = period
        self.err = []       # stderr lines, in order (rejects and notes)
        self.bad = 0
        self.quiet = quiet
        self.reps = {}      # rep -> team ("" for none)
        self.group_names = set()
        if reps:
            self.read_reps(reps)
        # events: deal -> its earliest time at a conversion stage
        self.deal_conv = {}
        if events:
            for line, r in read_rows(events)[1]:
                ats = (r.get("at") or "").strip()
                try:   # every event's at must be a time (phi-calc(1) of af902b1)
                    at = ptime(ats)
                    if at is None:
                        self.reject(events, line, "no time (at)")
                        continue
                except ValueError:
                    self.reject(events, line, 'at "%s" is not a time' % ats)
                    continue
                st = fold(r.get("stage"))
                if not (st in cfg.conv_stages or STAGE_ALIASES.get(st, st) in cfg.conv_stages):
                    continue   # not a conversion stage
                did = (r.get("deal_id") or "").strip()
                if not did:
                    continue
                if did not in self.deal_conv or at < self.deal_conv[did]:
                    self.deal_conv[did] = at
        self.cells = {}   # (group, week) -> dict
        lead_conv = {}    # lead -> its deals' conversion times
        key_done = set()
        key_stage = canon(cfg.key_stage, STAGE_ALIASES)
        cols, arows = read_rows(acts)
        if cols is not None:
            for f in cfg.key_fields:
                if f not in cols:
                    self.note("%s: no column %s: no activity can be the key action (key_action.fields)" % (acts, f))
                    break
        for line, a in arows:
            try:
                at = ptime(a.get("at"))
                if at is None:
                    raise ValueError
            except ValueError:
                self.reject(acts, line, 'at "%s" is not a time' % (a.get("at") or "").strip())
                continue
            if at > self.now:
                continue
            rep = (a.get("rep_id") or "").strip()
            if missing(rep):
                rep = ""
            g, why = self.group_of_rep(rep)
            if g is None:
                self.reject(acts, line, "rep %s %s" % (rep, why) if rep else "no rep_id")
                continue
            ok = record_complete(a)
            for gg in {g, "(all)"}:
                c = self.cell(gg, week_of(at)); c["acts"] += 1; c["complete"] += ok
            lid = (a.get("lead_id") or "").strip()
            if missing(lid):
                continue
            if canon(a.get("stage"), STAGE_ALIASES) == key_stage and all(not missing(a.get(f)) for f in cfg.key_fields):
                key_done.add(lid)
            did = (a.get("deal_id") or "").strip()
            if did and did in self.deal_conv:
                lead_conv.setdefault(lid, set()).add(self.deal_conv[did])
        cols, lrows = read_rows(leads)
        has_conv = cfg.conv_column in (cols or [])
        seen = set()
        noted = False
        for line, l in lrows:
            lid = (l.get("lead_id") or "").strip()
            if missing(lid):
                self.reject(leads, line, "no lead_id"); continue
            cs = (l.get("created_at") or "").strip()
            try:
                created = ptime(cs)
                if created is None:
                    self.reject(leads, line, "no created_at"); continue
            except ValueError:
                self.reject(leads, line, 'created_at "%s" is not a time' % cs); continue
            if created > self.now:
                continue
            ct = None
            if has_conv:
                try:
                    ct = ptime(l.get(cfg.conv_column))
                except ValueError:
                    self.reject(leads, line, '%s "%s" is not a time' % (cfg.conv_column, l[cfg.conv_column].strip()))
                    continue
            if lid in seen:
                self.reject(leads, line, "duplicate lead_id %s" % lid); continue
            seen.add(lid)
            if not has_conv:
                if not events and not noted:
                    self.note("%s: no %s column and no --events: no lead can convert" % (leads, cfg.conv_column))
                    noted = True
                times = sorted(lead_conv.get(lid, ()))
                if times:
                    ct = times[0] if times[0] >= created else times[-1]
            win_end = created + dt.timedelta(days=cfg.window_days)
            conv = ct is not None and created <= ct <= win_end and ct <= self.now
            owner = (l.get("owner") or "").strip()
            team = (l.get("team") or "").strip()
            owner = "" if missing(owner) else owner
            team = "" if missing(team) else team
            if by == "none":
                g = "(all)"
            elif by == "team" and team and (not owner or owner not in self.reps):
                g = team    # the owner's team in --reps first, else the lead's own
            elif not owner:
                g = "(unassigned)"
            else:
                g, why = self.group_of_rep(owner)
                if g is None:
                    self.reject(leads, line, "owner %s %s" % (owner, why))
                    continue
            due = self.now - created >= dt.timedelta(days=cfg.due_days)
            for gg in {g, "(all)"}:
                c = self.cell(gg, week_of(created))
                c["leads"] += 1
                c["conv"] += conv
                c["due"] += due
                c["done"] += due and lid in key_done

    def read_reps(self, path):
        for line, r in read_rows(path)[1]:
            rid = (r.get("rep_id") or "").strip()
            if missing(rid):
                self.reject(path, line, "no rep_id"); continue
            if rid in self.reps:
                self.reject(path, line, "rep %s listed twice" % rid); continue
            t = (r.get("team") or "").strip()
            self.reps[rid] = "" if missing(t) else t
            if self.by == "team" and self.reps[rid]:
                self.group_names.add(self.reps[rid])   # a team of --reps is a group, data or not

    def reject(self, f, line, why):
        self.bad += 1
        if self.bad <= 20:
            self.err.append("phi-calc: %s:%d: %s" % (f, line, why))

    def note(self, text):
        if not self.quiet:
            self.err.append("phi-calc: " + text)

    def group_of_rep(self, rep):
        if self.by == "none":
            return "(all)", None
        if not rep:
            return None, "no rep_id"
        if self.by == "rep":
            return rep, None
        if rep not in self.reps:
            return None, "is not in --reps"
        if not self.reps[rep]:
            return None, "has no team in --reps"
        return self.reps[rep], None

    def cell(self, g, w):
        if g != "(all)":
            self.group_names.add(g)
        return self.cells.setdefault((g, w), dict(leads=0, conv=0, due=0, done=0, acts=0, complete=0))

    def mature(self, w):
        # every lead of week w (created before next Monday 00:00) had its whole window by now,
        # in whole days (the day of --now)
        end = week_monday(w) + dt.timedelta(days=7)
        return (local_date(self.now) - end).days >= self.cfg.window_days

    def groups(self):
        return ["(all)"] if self.by == "none" else sorted(self.group_names, key=lambda s: s.encode())

    def last_complete_week(self):
        return week_of(self.now) - 1

    def spans(self):
        """[(label, first week, last week, period number)]"""
        weeks = [w for _, w in self.cells]
        if not weeks:
            return []
        first, last = min(weeks), max(weeks)
        last = min(last, self.last_complete_week())
        out = []
        if self.period == "week":
            for w in range(first, last + 1):
                out.append((week_label(w), w - self.cfg.rolling + 1, w, w))
        else:
            now_month = (local_date(self.now).year, local_date(self.now).month)
            for w in range(first, last + 1):
                m = week_month(w)
                if m >= now_month:
                    break   # months before --now's month only
                if out and out[-1][3] == month_index(m):
                    out[-1] = (out[-1][0], out[-1][1], w, out[-1][3])
                else:
                    out.append(("%04d-%02d" % m, w, w, month_index(m)))
            # the last month only when the week of its last Thursday is over before --now's week
            while out:
                label = out[-1][0]
                ym = (int(label[:4]), int(label[5:]))
                if last_thursday_week(ym) <= self.last_complete_week():
                    break
                out.pop()
        return out

    def figures(self, g, a, b):
        cfg = self.cfg
        tot = dict(leads=0, conv=0, due=0, done=0, acts=0, complete=0)
        rates = []; ml = 0; mc = 0
        for w in range(a, b + 1):
            c = self.cells.get((g, w))
            if not c:
                continue
            for k in tot:
                tot[k] += c[k]
            if c["leads"] and self.mature(w):
                rates.append(c["conv"] / c["leads"]); ml += c["leads"]; mc += c["conv"]
        f = dict(leads=tot["leads"], mature_weeks=len(rates), due=tot["due"], key_actions=tot["done"],
                 records=tot["acts"], complete=tot["complete"])
        rate = mc / ml if ml else None
        stab = sd(rates) / rate if len(rates) >= 2 and rate else None
        comp = tot["done"] / tot["due"] if tot["due"] else None
        compl = tot["complete"] / tot["acts"] if tot["acts"] else None
        f.update(conversion_rate=rate, stability=stab, completion=comp, completeness=compl, converted=mc)
        reasons = []
        if stab is None:
            reasons.append("no leads" if tot["leads"] == 0 else
                           "fewer than 2 weeks of leads past their conversion window" if len(rates) < 2
                           else "no lead converted")
        if comp is None:
            reasons.append("no customer due the key action")
        if compl is None:
            reasons.append("no follow-up records")
        if reasons:
            f.update(phi=None, status="undefined", reasons="; ".join(reasons))
            return f
        w1, w2, w3 = cfg.w
        f["phi"] = w1 * min(1, stab) + w2 * (1 - comp) + w3 * (1 - compl)
        if stab > cfg.th_stab:
            reasons.append("conversion stability %.3f > %.3g" % (stab, cfg.th_stab))
        if comp < cfg.th_comp:
            reasons.append("key actions %.1f%% < %.0f%%" % (comp * 100, cfg.th_comp * 100))
        if compl < cfg.th_compl:
            reasons.append("complete records %.1f%% < %.0f%%" % (compl * 100, cfg.th_compl * 100))
        f["status"] = ["healthy", "warning"][len(reasons)] if len(reasons) < 2 else "risk"
        f["reasons"] = "; ".join(reasons)
        return f

    def rows(self):
        out = []
        for g in self.groups():
            out += self.group_rows(g)
        return out

    def group_rows(self, g):
        rows = []
        for label, a, b, num in self.spans():
            f = self.figures(g, a, b)
            f["group"] = g; f["period"] = label; f["weeks"] = week_label(a) + ".." + week_label(b)
            f["num"] = num
            rows.append(f)
        self.ewma(rows)
        return rows

    def ewma(self, rows):
        cfg = self.cfg
        xs = [r["phi"] for r in rows if r["phi"] is not None]
        for r in rows:
            r["ewma"] = r["ucl"] = None; r["alarm"] = False
        if len(xs) < cfg.base:
            return
        base = xs[:cfg.base]
        mu = sum(base) / len(base); s = sd(base)
        z = mu; t = 0
        for r in rows:
            if r["phi"] is None:
                continue
            t += 1
            z = cfg.lam * r["phi"] + (1 - cfg.lam) * z
            ucl = mu + cfg.sig * s * math.sqrt(cfg.lam / (2 - cfg.lam) * (1 - (1 - cfg.lam) ** (2 * t)))
            r["ewma"] = z; r["ucl"] = ucl; r["alarm"] = t > cfg.base and z > ucl

    def fails(self, level):
        """--fail-on: the last row of some group"""
        for g in self.groups():
            rows = self.group_rows(g)
            if not rows:
                continue
            last = rows[-1]
            if last["status"] == "risk":
                return True
            if level == "warning" and (last["status"] in ("warning", "undefined") or last["alarm"]):
                return True
        return False

    # ---- --performance ----
    def read_performance(self, path):
        """-> (grouped, {(group, period): value}, zero_fill, first, last)"""
        monthly = self.period == "month"
        last = (month_index((local_date(self.now).year, local_date(self.now).month)) - 1 if monthly
                else self.last_complete_week())
        gcol = "team" if self.by == "team" else "rep_id"
        cols, rows = read_rows(path)
        cols = cols if cols is not None else sorted({k for _, r in rows for k in r})
        outcomes = "period" not in cols and "closed_at" in cols and "outcome" in cols
        if not outcomes and ("period" not in cols or "value" not in cols):
            raise SystemExit("no layout")
        vals = {}
        grouped = False
        first = None
        for line, r in rows:
            g = "(all)"
            if outcomes:
                if canon(r.get("outcome"), STAGE_ALIASES) != "won":
                    continue
                if self.by != "none" and "rep_id" in cols:
                    rep = (r.get("rep_id") or "").strip()
                    if missing(rep):
                        self.reject(path, line, "no rep_id"); continue
                    if self.by == "rep":
                        if rep not in self.group_names:
                            self.reject(path, line, "rep %s has no PHI (not a rep of the leads and activities)" % rep)
                            continue
                        g = rep
                    else:
                        g, why = self.group_of_rep(rep)
                        if g is None:
                            self.reject(path, line, "rep %s %s" % (rep, why)); continue
                    grouped = True
                ps, vs = r.get("closed_at") or "", r.get("amount") or ""
            else:
                ps, vs = r.get("period") or "", r.get("value") or ""
                gs = None
                if self.by != "none" and gcol in cols:
                    gs = (r.get(gcol) or "").strip()
                    if missing(gs):
                        self.reject(path, line, "no %s" % gcol); continue
            ps, vs = ps.strip(), vs.strip()
            p = self.period_of(ps)
            if p is None:
                self.reject(path, line, 'period "%s" is not a %s, a time or a date'
                            % (ps, "month (2026-11)" if monthly else "week (2026-W48)"))
                continue
            try:
                v = parse_number(vs)
            except ValueError:
                self.reject(path, line, '%s "%s" is not a number' % ("amount" if outcomes else "value", vs))
                continue
            if p > last:
                continue   # not over at --now
            if not outcomes and gs is not None:
                if gs not in self.group_names:
                    self.reject(path, line, "%s %s has no PHI (not a group of the leads and activities)" % (gcol, gs))
                    continue
                g = gs
                grouped = True
            first = p if first is None else min(first, p)
            vals[(g, p)] = vals.get((g, p), 0) + v
        return grouped, vals, outcomes, first, last

    def period_of(self, s):
        monthly = self.period == "month"
        m = re.fullmatch(r"(\d{4})-W(\d{1,2})", s)
        if m and not monthly and 1 <= int(m.group(2)) <= 53:
            return week_of_date(dt.date(int(m.group(1)), 1, 4)) + int(m.group(2)) - 1
        m = re.fullmatch(r"(\d{4})-(\d{2})", s)
        if m and monthly and 1 <= int(m.group(2)) <= 12:
            return int(m.group(1)) * 12 + int(m.group(2)) - 1
        try:
            t = ptime(s)
        except ValueError:
            return None
        if t is None:
            return None
        d = local_date(t)
        return month_index((d.year, d.month)) if monthly else week_of_date(d)

    def lead_rows(self, path, prewhiten=False):
        grouped, vals, zero_fill, first, last = self.read_performance(path)
        unit = "month" if self.period == "month" else "week"
        out = []
        groups = self.groups() if (grouped or self.by == "none") else ["(all)"]
        for g in groups:
            rows = self.group_rows(g)
            if not rows:
                continue
            start = rows[0]["num"]
            x = [r["phi"] for r in rows]
            def y(p, g=g):
                if (g, p) in vals:
                    return vals[(g, p)]
                if zero_fill and first is not None and first <= p <= last:
                    return 0.0
                return None
            lr, verdict = lag_report(x, start, y, self.cfg.max_lag, prewhiten, unit, self.cfg.min_pairs)
            for r in lr:
                r["group"] = g
            out += lr
            if self.by != "none":
                self.note("%s: %s" % (g, verdict))
            else:
                self.note(verdict)
        return out

def z_all(lags):
    return NormalDist().inv_cdf(1 - 0.05 / (2 * lags))

def lag_report(x, start, perf, max_lag=8, prewhiten=False, unit="week", min_pairs=8):
    """x: PHI per period (None undefined) for periods start..; perf: period -> value or None
    (or a dict)."""
    if isinstance(perf, dict):
        d = perf; perf = lambda p: d.get(p)
    rows = []
    best = None
    n = len(x)
    L = max_lag + 1
    z = z_all(L)
    for k in range(max_lag + 1):
        a = []; b = []
        for t in range(n):
            xt = x[t]; yt = perf(start + t + k)
            if prewhiten:
                xp = x[t - 1] if t > 0 else None
                yp = perf(start + t + k - 1)
                xt = None if xt is None or xp is None else xt - xp
                yt = None if yt is None or yp is None else yt - yp
            if xt is not None and yt is not None:
                a.append(xt); b.append(yt)
        m = len(a)
        r = pearson(a, b) if m >= 3 else float("nan")
        band = 1.96 / math.sqrt(m) if m >= 3 else float("nan")
        wide = z / math.sqrt(m) if m >= 3 else float("nan")
        rows.append(dict(lag=k, pairs=m, r=r, band=band, band_all_lags=wide,
                         outside_band=math.isfinite(r) and abs(r) > band))
        if math.isfinite(r) and m >= min_pairs and (best is None or abs(r) > abs(rows[best]["r"])):
            best = k
    if best is None:
        verdict = "no lead found (no lag has %d periods with both PHI and results)" % min_pairs
    else:
        r = rows[best]["r"]; wide = rows[best]["band_all_lags"]
        if abs(r) <= wide:
            verdict = ("no lead found (the largest |r|, %.2f at lag %d, is inside the band of +-%.2f for %d lags tried)"
                       % (abs(r), best, wide, L))
        elif r > 0:
            verdict = ("no lead found (the strongest correlation, r=%.2f at lag %d, has the wrong sign: "
                       "a worse PHI with better results)" % (r, best))
        elif best == 0:
            verdict = "PHI moves with results, without a lead (r=%.2f at lag 0)" % r
        else:
            verdict = "PHI leads results by %d %s%s (r=%.2f: a worse PHI comes before lower results)" % (
                best, unit, "" if best == 1 else "s", r)
    for row in rows:
        row["series"] = "first differences" if prewhiten else "levels"
        row["best"] = row["lag"] == best
        row["verdict"] = verdict if row["lag"] == (best if best is not None else 0) else ""
    return rows, verdict

COLS = ["period", "weeks", "leads", "mature_weeks", "conversion_rate", "stability", "due",
        "key_actions", "completion", "records", "complete", "completeness", "phi", "status",
        "reasons", "ewma", "ucl", "alarm"]
LAG_COLS = ["lag", "pairs", "r", "band", "band_all_lags", "outside_band", "series", "best", "verdict"]
REALS = {"conversion_rate", "stability", "completion", "completeness", "phi", "ewma", "ucl", "r",
         "band", "band_all_lags"}

def cell_text(k, v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) or v is None:
        return fmt4(v)
    return str(v)

def to_csv(rows, by="none", cols=COLS, delim=","):
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n", delimiter=delim)
    gcol = {"team": ["team"], "rep": ["rep_id"], "none": []}[by]
    if rows or not gcol:
        w.writerow(gcol + cols)
    for r in rows:
        w.writerow(([r["group"]] if gcol else []) + [cell_text(c, r[c]) for c in cols])
    return buf.getvalue()

def lag_csv(rows, group=None, gcol=None, header=True):
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    if header:
        w.writerow(([gcol] if gcol else []) + LAG_COLS)
    for r in rows:
        w.writerow(([group] if gcol else []) + [cell_text(c, r[c]) for c in LAG_COLS])
    return buf.getvalue()

def jreal(x):
    v = round(x / 1e-4) * 1e-4
    s = "%.10g" % v
    if "." not in s and "e" not in s:
        s += ".0"
    if "e" in s:
        mant, ex = s.split("e")
        sign = "-" if ex.startswith("-") else ""
        ex = ex.lstrip("+-").lstrip("0") or "0"
        s = mant + "e" + sign + ex
    return s

def jval(v, real=True):
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "null"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return jreal(v)
    return json.dumps(v, ensure_ascii=False)

def to_json_objs(objs, indent):
    """objs: list of list of (key, value)."""
    if indent == 0:
        return "".join("{" + ",".join(json.dumps(k, ensure_ascii=False) + ":" + jval(v) for k, v in o) + "}\n" for o in objs)
    if not objs:
        return "[]\n"
    out = "["
    for i, o in enumerate(objs):
        out += ("," if i else "") + "\n  {"
        out += ",".join("\n    " + json.dumps(k, ensure_ascii=False) + ": " + jval(v) for k, v in o)
        out += "\n  }"
    return out + "\n]\n"

def row_objs(rows, by="none", cols=COLS):
    gcol = {"team": "team", "rep": "rep_id"}.get(by)
    objs = []
    for r in rows:
        o = ([(gcol, r["group"])] if gcol else [])
        for c in cols:
            v = r[c]
            if c in REALS and v is not None:
                v = float(v)
            o.append((c, v))
        objs.append(o)
    return objs

def dwidth(s):
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)

def to_table(csv_text):
    rows = list(csv.reader(io.StringIO(csv_text)))
    if not rows:
        return ""
    n = len(rows[0])
    def cut(s, last):
        if last or dwidth(s) <= 40:
            return s
        out = ""
        for c in s:
            if dwidth(out + c) > 39:
                break
            out += c
        return out + "…"
    rows = [[cut(c, i == n - 1) for i, c in enumerate(r)] for r in rows]
    wid = [max(dwidth(r[i]) for r in rows) for i in range(n)]
    lines = []
    for r in rows:
        line = ""
        for i, c in enumerate(r):
            line += c if i == n - 1 else c + " " * (wid[i] - dwidth(c) + 2)
        lines.append(line)
    return "\n".join(lines) + "\n"

# ---- phi-calc's command line, as far as the cases use it ----

USAGE_ONE = {"--by": ("team", "rep", "none"), "--period": ("week", "month"),
             "--report": ("phi", "lead"), "--fail-on": ("warning", "risk")}
USAGE_TEXT = {"--by": "team, rep and none", "--period": "week and month", "--report": "phi and lead",
              "--fail-on": "warning and risk"}

def main(argv):
    opt = {"--by": "none", "--period": "week", "--report": "phi", "--fail-on": None, "-f": "csv",
           "--tz": "Asia/Shanghai"}
    flags = set()
    files = []
    i = 0
    def usage(msg):
        sys.stderr.write("phi-calc: %s\n" % msg)
        return 64
    while i < len(argv):
        a = argv[i]
        if a in ("--prewhiten", "-q", "--print-config"):
            flags.add(a); i += 1; continue
        if a.startswith("-") and len(a) > 1:
            opt[a] = argv[i + 1]; i += 2; continue
        files.append(a); i += 1
    if files:
        return usage("the files are named by --leads and --activities (and --events, --reps, "
                     "--performance); leave out %s" % files[0])
    for k, allowed in USAGE_ONE.items():
        if opt[k] is not None and opt[k] not in allowed:
            return usage('%s knows %s, not "%s"' % (k, USAGE_TEXT[k], opt[k]))
    if "--leads" not in opt or "--activities" not in opt:
        return usage("--leads FILE and --activities FILE are both needed")
    if opt["--by"] == "team" and "--reps" not in opt:
        return usage("--by team needs --reps FILE (the reps' teams)")
    if opt["--report"] == "lead" and "--performance" not in opt:
        return usage("--report lead needs --performance FILE (period, value)")
    set_tz(opt["--tz"])
    cfg = load_cfg(opt["-c"]) if "-c" in opt else Cfg
    if "-d" in opt:
        READ.delimiter = {"\\t": "\t", "tab": "\t"}.get(opt["-d"], opt["-d"])
    if "-e" in opt and opt["-e"] != "auto":
        READ.encoding = opt["-e"]
    if "-i" in opt and opt["-i"] != "auto":
        READ.fmt = opt["-i"]
    if "-m" in opt:
        READ.rename = dict(p.split("=", 1) for p in opt["-m"].split(","))
    by, fmt = opt["--by"], opt["-f"]
    m = Model(opt["--leads"], opt["--activities"], opt["--now"], events=opt.get("--events"),
              reps=opt.get("--reps"), by=by, period=opt["--period"], cfg=cfg, quiet="-q" in flags)
    if opt["--report"] == "lead":
        rows = m.lead_rows(opt["--performance"], "--prewhiten" in flags)
        cols = LAG_COLS
        out_by = by
    else:
        rows = m.rows()
        cols = COLS
        out_by = by
    if fmt in ("csv", "tsv", "table"):
        text = to_csv(rows, out_by, cols, "\t" if fmt == "tsv" else ",")
        if fmt == "table":
            text = to_table(text)
    else:
        text = to_json_objs(row_objs(rows, out_by, cols), 0 if fmt == "jsonl" else 2)
    sys.stdout.write(text)
    sys.stdout.flush()
    found = m.fails(opt["--fail-on"]) if opt["--fail-on"] else False
    if m.bad > 20:
        m.err.append("phi-calc: %d more bad rows not shown" % (m.bad - 20))
    if m.bad:
        m.err.append("phi-calc: %d row%s rejected" % (m.bad, "" if m.bad == 1 else "s"))
    for line in m.err:
        sys.stderr.write(line + "\n")
    return 65 if m.bad else 1 if found else 0

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
