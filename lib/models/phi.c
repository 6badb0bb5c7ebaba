/* phi.c - phi-calc's model: per group and week, leads and how many
 * converted, customers due the key action and how many got it, follow-up
 * records and how many are complete; the three indicators, PHI, status,
 * the EWMA warning, and PHI's lead over results. */
#include "phi.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "idmap.h"
#include "reader.h"
#include "report.h"
#include "stats.h"
#include "stream.h"
#include "strmap.h"
#include "values.h"
#include "words.h"

/* The activities' key-action columns, looked up again as JSON Lines keys
 * grow. */
typedef struct act_cols {
    long key_field[8];
    size_t key_count;
    size_t bound;
} act_cols;

/* One group's week. */
typedef struct bucket {
    unsigned long leads, converted;  /* leads created that week; converted in the window */
    unsigned long due, done;         /* of them, due the key action by now; got it */
    unsigned long acts, complete;    /* follow-up records that week; complete ones */
} bucket;

enum { ALL = 0 }; /* group 0: everyone */

typedef struct phi {
    const sop_phi_config *cfg;
    const sop_cli *cli;
    const sop_phi_opts *opts;
    sop_strmap groups;               /* group names, "(all)" first */
    sop_strmap reps;                 /* rep ids of --reps */
    long *rep_team;                  /* their team's group */
    size_t rep_cap;
    sop_strmap cells;                /* (group, week) -> bucket */
    bucket *bucket;
    size_t bucket_cap;
    int64_t first_week, last_week;   /* of everything read */
    sop_idmap deal_conv;             /* deal -> when it reached a conversion stage */
    sop_idmap lead_conv;             /* lead -> the earliest such time of its deals */
    sop_idmap lead_conv_last;        /* lead -> the latest */
    sop_idmap key_done;              /* leads that got the key action */
    sop_words conv_stages;
    char key_stage[SOP_WORD_LEN];    /* folded, canonical */
    bool key_fields_missing;         /* noted once */
    bool conversion_source;          /* "no way to convert" noted */
    sop_idmap leads_seen;            /* lead ids, for duplicates */
    sop_audit_config audit_cfg;
    sop_audit_checker *checker;
    act_cols act;
    struct perf *perf;               /* --performance, while it is read */
    unsigned long bad;               /* rows rejected, every file */
    int64_t now, now_day;
} phi;

static int oom(sop_error *err)
{
    return sop_error_set(err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
}

#define note(p, ...) sop_note((p)->opts->diag, (p)->opts->program, (p)->opts->quiet, __VA_ARGS__)

#define BAD(p, side, ...) \
    sop_side_bad((p)->opts->program, (p)->opts->diag, &(p)->bad, (side)->file, (side)->rec.line, \
                 __VA_ARGS__)
#define SHOW(len) (int)((len) > 40 ? 40 : (len))

static long group_add(phi *p, const char *name, size_t len)
{
    bool added;
    return sop_strmap_put(&p->groups, name, len, &added);
}

/* The bucket of (group, week), made when new; NULL when out of memory. */
static bucket *cell(phi *p, long group, int64_t week)
{
    struct {
        int64_t week;
        int64_t group;
    } key = {week, group};
    if (p->cells.count >= p->bucket_cap) {
        size_t cap = p->bucket_cap ? p->bucket_cap * 2 : 256;
        bucket *b = realloc(p->bucket, cap * sizeof *b);
        if (b == NULL)
            return NULL;
        p->bucket = b;
        p->bucket_cap = cap;
    }
    bool added;
    long k = sop_strmap_put(&p->cells, (const char *)&key, sizeof key, &added);
    if (k < 0)
        return NULL;
    if (added)
        memset(&p->bucket[k], 0, sizeof p->bucket[k]);
    if (week < p->first_week)
        p->first_week = week;
    if (week > p->last_week)
        p->last_week = week;
    return &p->bucket[k];
}

static const bucket *cell_at(const phi *p, long group, int64_t week)
{
    struct {
        int64_t week;
        int64_t group;
    } key = {week, group};
    long k = sop_strmap_find(&p->cells, (const char *)&key, sizeof key);
    return k < 0 ? NULL : &p->bucket[k];
}

static int64_t week_of(const phi *p, int64_t at)
{
    return sop_week_of_day(sop_local_day(at, &p->cli->tz));
}

/* ---- reading ------------------------------------------------------------------- */

static int bad_row(void *ctx, sop_side *side, sop_error *err)
{
    (void)err;
    phi *p = ctx;
    BAD(p, side, "%s", sop_reader_bad_reason(side->reader));
    return 0;
}

/* Every row of a side file through fn; a bad row is reported and skipped. */
static int read_file(phi *p, const char *path, const char *const *names, const bool *required,
                     size_t count, sop_side_fn fn, sop_error *err)
{
    return sop_side_each(path, p->cli, SOP_SIDE_AS_MAIN, names, required, count, fn, bad_row, p,
                         err);
}

static const char *text(const sop_side *side, size_t i, size_t *len)
{
    const char *s = sop_record_trimmed(&side->rec, side->col[i], len);
    if (*len > 0 && sop_value_missing(NULL, s, *len))
        *len = 0;
    return s;
}

static int rep_row(void *ctx, sop_side *side, sop_error *err)
{
    phi *p = ctx;
    size_t len, tlen;
    const char *id = text(side, 0, &len), *team = text(side, 1, &tlen);
    if (len == 0) {
        BAD(p, side, "no rep_id");
        return 0;
    }
    bool added;
    long r = sop_strmap_put(&p->reps, id, len, &added);
    if (r < 0)
        return oom(err);
    if (!added) {
        BAD(p, side, "rep %.*s listed twice", SHOW(len), id);
        return 0;
    }
    if ((size_t)r >= p->rep_cap) {
        size_t cap = p->rep_cap ? p->rep_cap * 2 : 64;
        long *t = realloc(p->rep_team, cap * sizeof *t);
        if (t == NULL)
            return oom(err);
        p->rep_team = t;
        p->rep_cap = cap;
    }
    p->rep_team[r] = -1;
    if (tlen > 0 && p->opts->by == SOP_PHI_BY_TEAM && (p->rep_team[r] = group_add(p, team, tlen)) < 0)
        return oom(err);
    return 0;
}

static int event_row(void *ctx, sop_side *side, sop_error *err)
{
    phi *p = ctx;
    size_t len, slen, alen;
    const char *id = text(side, 0, &len), *stage = text(side, 1, &slen);
    const char *at_s = text(side, 2, &alen);
    int64_t at;
    if (!sop_parse_time(at_s, alen, &p->cli->tz, true, &at)) {
        BAD(p, side, alen ? "at \"%.*s\" is not a time" : "no time (at)%.*s", SHOW(alen), at_s);
        return 0;
    }
    /* the stage as written (a config may name 需求确认) or its canonical name */
    char folded[SOP_WORD_LEN];
    sop_word_fold(stage, slen, folded);
    bool conv = sop_words_find(&p->conv_stages, folded) >= 0;
    sop_canonical_stage(folded, sizeof folded);
    if (len == 0 || !(conv || sop_words_find(&p->conv_stages, folded) >= 0))
        return 0;
    bool added;
    int64_t *t = sop_idmap_put(&p->deal_conv, sop_idmap_key(id, len), at, &added);
    if (t == NULL)
        return oom(err);
    if (at < *t)
        *t = at;
    return 0;
}

/* The group of a rep (its team with --by team, itself with --by rep);
 * -1 and a reason when it has none. */
static long group_of_rep(phi *p, const char *rep, size_t len, const char **why)
{
    *why = NULL;
    if (p->opts->by == SOP_PHI_BY_NONE)
        return ALL;
    if (len == 0) {
        *why = "(no rep_id)";
        return -1;
    }
    if (p->opts->by == SOP_PHI_BY_REP)
        return group_add(p, rep, len);
    long r = sop_strmap_find(&p->reps, rep, len);
    if (r < 0 || p->rep_team[r] < 0) {
        *why = r < 0 ? "is not in --reps" : "has no team in --reps";
        return -1;
    }
    return p->rep_team[r];
}

static int activity_row(void *ctx, sop_side *side, sop_error *err)
{
    phi *p = ctx;
    act_cols *c = &p->act;
    const sop_schema *schema = sop_reader_schema(side->reader);
    if (schema->count != c->bound) {
        sop_audit_checker_bind(p->checker, schema);
        sop_words fields;
        sop_words_parse(&fields, p->cfg->key_fields);
        c->key_count = 0;
        for (size_t i = 0; i < fields.count && i < 8; i++) {
            c->key_field[c->key_count++] = sop_find_column(schema, fields.word[i]);
            if (c->key_field[c->key_count - 1] < 0 && schema->count > 0 && !p->key_fields_missing &&
                sop_reader_format(side->reader) != SOP_FMT_JSONL) {
                note(p, "%s: no column %s: no activity can be the key action (key_action.fields)",
                     side->file, fields.word[i]);
                p->key_fields_missing = true;
            }
        }
        c->bound = schema->count;
    }
    size_t llen, dlen, rlen, alen, slen;
    const char *lead = text(side, 0, &llen), *deal = text(side, 1, &dlen);
    const char *rep = text(side, 2, &rlen), *at_s = text(side, 3, &alen);
    const char *stage = text(side, 4, &slen);
    int64_t at;
    if (!sop_parse_time(at_s, alen, &p->cli->tz, true, &at)) {
        BAD(p, side, "at \"%.*s\" is not a time", SHOW(alen), at_s);
        return 0;
    }
    if (at > p->now)
        return 0; /* not yet: --now is before it */
    const char *why;
    long g = group_of_rep(p, rep, rlen, &why);
    if (g < -1)
        return oom(err);
    if (g < 0) {
        BAD(p, side, rlen ? "rep %.*s %s" : "%.*sno rep_id", SHOW(rlen), rep, why);
        return 0;
    }
    int64_t week = week_of(p, at);
    bool complete = sop_audit_check(p->checker, &side->rec, NULL);
    for (int pass = 0; pass < (g == ALL ? 1 : 2); pass++) {
        bucket *b = cell(p, pass == 0 ? ALL : g, week);
        if (b == NULL)
            return oom(err);
        b->acts++;
        b->complete += complete;
    }
    if (llen == 0)
        return 0;
    uint64_t lead_key = sop_idmap_key(lead, llen);
    /* the key action: at the key stage, with its fields written */
    char folded[SOP_WORD_LEN];
    sop_word_fold(stage, slen, folded);
    sop_canonical_stage(folded, sizeof folded);
    bool key = folded[0] && strcmp(folded, p->key_stage) == 0;
    for (size_t i = 0; key && i < c->key_count; i++) {
        size_t len;
        const char *v = sop_record_trimmed(&side->rec, c->key_field[i], &len);
        key = len > 0 && !sop_value_missing(NULL, v, len);
    }
    bool added;
    if (key && sop_idmap_put(&p->key_done, lead_key, at, &added) == NULL)
        return oom(err);
    /* conversion through the lead's deals */
    if (dlen > 0 && p->deal_conv.count > 0) {
        const int64_t *t = sop_idmap_get(&p->deal_conv, sop_idmap_key(deal, dlen));
        if (t) {
            int64_t when = *t;
            int64_t *l = sop_idmap_put(&p->lead_conv, lead_key, when, &added);
            int64_t *h = l ? sop_idmap_put(&p->lead_conv_last, lead_key, when, &added) : NULL;
            if (h == NULL)
                return oom(err);
            if (when < *l)
                *l = when;
            if (when > *h)
                *h = when;
        }
    }
    return 0;
}

static int lead_row(void *ctx, sop_side *side, sop_error *err)
{
    phi *p = ctx;
    size_t len, clen, olen, tlen, vlen;
    const char *id = text(side, 0, &len), *created = text(side, 1, &clen);
    const char *owner = text(side, 2, &olen), *team = text(side, 3, &tlen);
    const char *conv = text(side, 4, &vlen);
    if (len == 0) {
        BAD(p, side, "no lead_id");
        return 0;
    }
    int64_t at, conv_at = INT64_MAX;
    if (!sop_parse_time(created, clen, &p->cli->tz, true, &at)) {
        BAD(p, side, clen ? "created_at \"%.*s\" is not a time" : "no created_at%.*s",
            SHOW(clen), created);
        return 0;
    }
    if (at > p->now)
        return 0;
    if (vlen > 0 && !sop_parse_time(conv, vlen, &p->cli->tz, true, &conv_at)) {
        BAD(p, side, "%s \"%.*s\" is not a time", p->cfg->converted_column, SHOW(vlen), conv);
        return 0;
    }
    uint64_t key = sop_idmap_key(id, len);
    bool fresh;
    if (sop_idmap_put(&p->leads_seen, key, 0, &fresh) == NULL)
        return oom(err);
    if (!fresh) {
        BAD(p, side, "duplicate lead_id %.*s", SHOW(len), id);
        return 0;
    }
    if (side->col[4] < 0) { /* no converted_at: through the deals' stage events, the
                               earliest at or after created_at (of the first and the last) */
        const int64_t *t = sop_idmap_get(&p->lead_conv, key);
        const int64_t *u = sop_idmap_get(&p->lead_conv_last, key);
        if (t)
            conv_at = *t >= at ? *t : *u;
        if (!p->conversion_source && p->opts->events_path == NULL) {
            note(p, "%s: no %s column and no --events: no lead can convert", side->file,
                 p->cfg->converted_column);
            p->conversion_source = true;
        }
    }
    long g = ALL;
    if (p->opts->by == SOP_PHI_BY_TEAM && tlen > 0 &&
        (olen == 0 || sop_strmap_find(&p->reps, owner, olen) < 0)) {
        g = group_add(p, team, tlen); /* no owner of --reps: the lead's own team */
    } else if (p->opts->by != SOP_PHI_BY_NONE) {
        const char *why;
        g = olen == 0 ? group_add(p, "(unassigned)", 12) : group_of_rep(p, owner, olen, &why);
        if (g == -1) {
            BAD(p, side, "owner %.*s %s", SHOW(olen), owner, why);
            return 0;
        }
    }
    if (g < 0)
        return oom(err);
    int64_t week = week_of(p, at);
    bool converted = conv_at != INT64_MAX && conv_at >= at &&
                     (double)(conv_at - at) <= p->cfg->window_days * 86400.0 && conv_at <= p->now;
    bool due = (double)(p->now - at) >= p->cfg->key_due_days * 86400.0;
    const int64_t *done_at = due ? sop_idmap_get(&p->key_done, key) : NULL;
    for (int pass = 0; pass < (g == ALL ? 1 : 2); pass++) {
        bucket *b = cell(p, pass == 0 ? ALL : g, week);
        if (b == NULL)
            return oom(err);
        b->leads++;
        b->converted += converted;
        b->due += due;
        b->done += due && done_at != NULL;
    }
    return 0;
}

/* ---- the indicators ------------------------------------------------------------ */

typedef struct figures {
    unsigned long leads, converted, mature_weeks, due, done, acts, complete;
    double rate, stability, completion, completeness, phi;
    char status[16];
    char reasons[256];
} figures;

/* Whether leads created in week w have all had their conversion window
 * by now (whole days: the week's last day ends on day 7w + 4). */
static bool mature(const phi *p, int64_t w)
{
    return (double)(7 * w + 4) + p->cfg->window_days <= (double)p->now_day;
}

static void add_reason(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void add_reason(char *buf, size_t size, const char *fmt, ...)
{
    size_t n = strlen(buf);
    if (n + 3 >= size)
        return;
    if (n > 0)
        n += (size_t)snprintf(buf + n, size - n, "; ");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + n, size - n, fmt, ap);
    va_end(ap);
}

/* The figures of group g over weeks from..to (inclusive). */
static void compute(const phi *p, long g, int64_t from, int64_t to, figures *f)
{
    const sop_phi_config *cfg = p->cfg;
    memset(f, 0, sizeof *f);
    double rates[64];
    size_t k = 0;
    unsigned long mature_leads = 0;
    for (int64_t w = from; w <= to; w++) {
        const bucket *b = cell_at(p, g, w);
        if (b == NULL)
            continue;
        f->leads += b->leads;
        f->due += b->due;
        f->done += b->done;
        f->acts += b->acts;
        f->complete += b->complete;
        if (b->leads > 0 && mature(p, w)) {
            mature_leads += b->leads;
            f->converted += b->converted;
            if (k < 64)
                rates[k++] = (double)b->converted / (double)b->leads;
        }
    }
    f->mature_weeks = k;
    f->rate = mature_leads ? (double)f->converted / (double)mature_leads : NAN;
    f->stability = NAN;
    if (k >= 2 && f->rate > 0) {
        double mean = 0, ss = 0;
        for (size_t i = 0; i < k; i++)
            mean += rates[i] / (double)k;
        for (size_t i = 0; i < k; i++)
            ss += (rates[i] - mean) * (rates[i] - mean);
        f->stability = sqrt(ss / (double)(k - 1)) / f->rate;
    }
    f->completion = f->due ? (double)f->done / (double)f->due : NAN;
    f->completeness = f->acts ? (double)f->complete / (double)f->acts : NAN;
    f->phi = NAN;
    if (!isfinite(f->stability))
        add_reason(f->reasons, sizeof f->reasons, f->leads == 0 ? "no leads"
                   : k < 2 ? "fewer than 2 weeks of leads past their conversion window"
                           : "no lead converted");
    if (!isfinite(f->completion))
        add_reason(f->reasons, sizeof f->reasons, "no customer due the key action");
    if (!isfinite(f->completeness))
        add_reason(f->reasons, sizeof f->reasons, "no follow-up records");
    if (f->reasons[0]) {
        snprintf(f->status, sizeof f->status, "undefined");
        return;
    }
    f->phi = cfg->w_stability * fmin(1, f->stability) + cfg->w_completion * (1 - f->completion) +
             cfg->w_completeness * (1 - f->completeness);
    int failing = 0;
    if (f->stability > cfg->stability_max) {
        add_reason(f->reasons, sizeof f->reasons, "conversion stability %.3f > %.3g",
                   f->stability, cfg->stability_max);
        failing++;
    }
    if (f->completion < cfg->completion_min) {
        add_reason(f->reasons, sizeof f->reasons, "key actions %.1f%% < %.0f%%",
                   f->completion * 100, cfg->completion_min * 100);
        failing++;
    }
    if (f->completeness < cfg->completeness_min) {
        add_reason(f->reasons, sizeof f->reasons, "complete records %.1f%% < %.0f%%",
                   f->completeness * 100, cfg->completeness_min * 100);
        failing++;
    }
    snprintf(f->status, sizeof f->status, "%s", failing == 0 ? "healthy"
                                               : failing == 1 ? "warning" : "risk");
}

/* ---- rows ---------------------------------------------------------------------- */

static bool set(json_t *o, const char *key, json_t *v)
{
    return v && json_object_set_new(o, key, v) == 0;
}

static json_t *num(double x, double unit)
{
    return isfinite(x) ? json_real(round(x / unit) * unit) : json_null();
}

/* A period: its label and its weeks. */
typedef struct period {
    char label[16];
    int64_t from, to;
} span;

/* The periods to report: the weeks (or months) from the first data to the
 * last complete one before --now. */
static span *periods(const phi *p, size_t *count)
{
    *count = 0;
    int64_t last = sop_week_of_day(p->now_day) - 1;
    if (p->last_week < last)
        last = p->last_week;
    if (p->first_week > last)
        return malloc(sizeof(span));
    size_t n = (size_t)(last - p->first_week + 1);
    span *list = malloc(n * sizeof *list);
    if (list == NULL)
        return NULL;
    int64_t month_now = sop_month_of_day(p->now_day);
    for (int64_t w = p->first_week; w <= last; w++) {
        if (!p->opts->monthly) {
            span *x = &list[(*count)++];
            sop_format_week(w, x->label, sizeof x->label);
            x->to = w;
            x->from = w - (int64_t)p->cfg->rolling_weeks + 1;
            continue;
        }
        int64_t m = sop_month_of_day(7 * w); /* a week is in its Thursday's month */
        if (m >= month_now)
            break;
        if (*count > 0 && list[*count - 1].to == w - 1 &&
            sop_month_of_day(7 * (w - 1)) == m) {
            list[*count - 1].to = w;
            continue;
        }
        span *x = &list[(*count)++];
        sop_format_month(m, x->label, sizeof x->label);
        x->from = x->to = w;
    }
    if (p->opts->monthly && *count > 0) {
        /* the last month only when its last week (the one of its last
         * Thursday) has ended */
        char next[16];
        int64_t first_of_next, m = sop_month_of_day(7 * list[*count - 1].to);
        sop_format_month(m + 1, next, sizeof next);
        snprintf(next + 7, sizeof next - 7, "-01");
        if (sop_parse_day(next, &first_of_next) &&
            (first_of_next - 1) / 7 - ((first_of_next - 1) % 7 < 0) > sop_week_of_day(p->now_day) - 1)
            (*count)--;
    }
    return list;
}

typedef struct group_order {
    const sop_strmap *names;
} group_order;

static int by_name(const void *a, const void *b, void *ctx)
{
    const sop_strmap *m = ((const group_order *)ctx)->names;
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    if (x == ALL || y == ALL)
        return (x != ALL) - (y != ALL);
    return strcmp(sop_strmap_key(m, x), sop_strmap_key(m, y));
}

/* The groups in report order: "(all)" alone without --by, else the
 * groups by name (then "(all)" is left out). */
static size_t *group_list(const phi *p, size_t *count)
{
    size_t n = p->groups.count;
    size_t *g = malloc((n ? n : 1) * sizeof *g);
    *count = 0;
    if (g == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++)
        if ((p->opts->by == SOP_PHI_BY_NONE) == (i == ALL))
            g[(*count)++] = i;
    group_order o = {&p->groups};
    if (*count > 1)
        qsort_r(g, *count, sizeof *g, by_name, &o);
    return g;
}

/* EWMA of the group's PHI series (rows[first..first+n-1]): columns ewma,
 * ucl, alarm. */
static bool ewma(const phi *p, json_t *rows, size_t first, size_t n, const double *x)
{
    const sop_phi_config *cfg = p->cfg;
    size_t defined = 0;
    double mu = 0, ss = 0;
    for (size_t i = 0; i < n && defined < cfg->baseline_weeks; i++)
        if (isfinite(x[i])) {
            mu += x[i];
            defined++;
        }
    bool ready = defined == cfg->baseline_weeks;
    if (ready) {
        mu /= (double)defined;
        size_t k = 0;
        for (size_t i = 0; i < n && k < cfg->baseline_weeks; i++)
            if (isfinite(x[i])) {
                ss += (x[i] - mu) * (x[i] - mu);
                k++;
            }
    }
    double sigma = ready ? sqrt(ss / (double)(defined - 1)) : NAN, z = mu, lam = cfg->lambda;
    size_t t = 0;
    bool ok = true;
    for (size_t i = 0; ok && i < n; i++) {
        json_t *row = json_array_get(rows, first + i);
        double e = NAN, ucl = NAN;
        bool alarm = false;
        if (ready && isfinite(x[i])) {
            t++;
            z = lam * x[i] + (1 - lam) * z;
            e = z;
            ucl = sop_ewma_ucl(mu, sigma, lam, cfg->sigmas, (double)t);
            alarm = t > cfg->baseline_weeks && z > ucl;
        }
        ok = set(row, "ewma", num(e, 1e-4)) && set(row, "ucl", num(ucl, 1e-4)) &&
             set(row, "alarm", json_boolean(alarm));
    }
    return ok;
}

static json_t *phi_rows(const phi *p, double **series, size_t *nperiods, size_t **groups,
                        size_t *ngroups)
{
    size_t np, ng;
    span *per = periods(p, &np);
    size_t *g = group_list(p, &ng);
    double *x = per && g ? malloc((np * ng + 1) * sizeof *x) : NULL;
    json_t *rows = json_array();
    bool ok = per && g && x && rows;
    for (size_t gi = 0; ok && gi < ng; gi++) {
        size_t first = json_array_size(rows);
        for (size_t k = 0; ok && k < np; k++) {
            figures f;
            compute(p, (long)g[gi], per[k].from, per[k].to, &f);
            x[gi * np + k] = f.phi;
            char from[16], to[16], weeks[40];
            sop_format_week(per[k].from, from, sizeof from);
            sop_format_week(per[k].to, to, sizeof to);
            snprintf(weeks, sizeof weeks, "%s..%s", from, to);
            json_t *row = json_object();
            ok = row && json_array_append_new(rows, row) == 0;
            if (ok && p->opts->by != SOP_PHI_BY_NONE)
                ok = set(row, p->opts->by == SOP_PHI_BY_TEAM ? "team" : "rep_id",
                         json_string(sop_strmap_key(&p->groups, g[gi])));
            ok = ok && set(row, "period", json_string(per[k].label)) &&
                 set(row, "weeks", json_string(weeks)) &&
                 set(row, "leads", json_integer((json_int_t)f.leads)) &&
                 set(row, "mature_weeks", json_integer((json_int_t)f.mature_weeks)) &&
                 set(row, "conversion_rate", num(f.rate, 1e-4)) &&
                 set(row, "stability", num(f.stability, 1e-4)) &&
                 set(row, "due", json_integer((json_int_t)f.due)) &&
                 set(row, "key_actions", json_integer((json_int_t)f.done)) &&
                 set(row, "completion", num(f.completion, 1e-4)) &&
                 set(row, "records", json_integer((json_int_t)f.acts)) &&
                 set(row, "complete", json_integer((json_int_t)f.complete)) &&
                 set(row, "completeness", num(f.completeness, 1e-4)) &&
                 set(row, "phi", num(f.phi, 1e-4)) && set(row, "status", json_string(f.status)) &&
                 set(row, "reasons", json_string(f.reasons));
        }
        ok = ok && ewma(p, rows, first, np, x + gi * np);
    }
    free(per);
    if (!ok) {
        free(x);
        free(g);
        json_decref(rows);
        return NULL;
    }
    *series = x;
    *nperiods = np;
    *groups = g;
    *ngroups = ng;
    return rows;
}

/* ---- the lead over results ------------------------------------------------------ */

/* A period of --performance: "2026-W48", "2026-11" or a time; the week
 * (or month) number. */
static bool period_of_text(const phi *p, const char *s, size_t len, int64_t *out)
{
    char buf[32];
    if (len < sizeof buf) {
        memcpy(buf, s, len);
        buf[len] = '\0';
        int y, w, m;
        char tail;
        if (sscanf(buf, "%4d-W%2d%c", &y, &w, &tail) == 2 && w >= 1 && w <= 53 && !p->opts->monthly) {
            char jan4[16];
            int64_t day;
            snprintf(jan4, sizeof jan4, "%04d-01-04", y);
            if (!sop_parse_day(jan4, &day))
                return false;
            *out = sop_week_of_day(day) + w - 1; /* 4 January is always in week 1 */
            return true;
        }
        if (len == 7 && sscanf(buf, "%4d-%2d%c", &y, &m, &tail) == 2 && m >= 1 && m <= 12 &&
            p->opts->monthly) {
            *out = (int64_t)y * 12 + m - 1;
            return true;
        }
    }
    int64_t at;
    if (!sop_parse_time(s, len, &p->cli->tz, true, &at))
        return false;
    int64_t day = sop_local_day(at, &p->cli->tz);
    *out = p->opts->monthly ? sop_month_of_day(day) : sop_week_of_day(day);
    return true;
}

/* --performance: per group (or overall) and period, the summed value. */
typedef struct perf {
    sop_strmap cells;    /* (group, period) -> value index */
    double *value;
    size_t cap;
    bool grouped;
    bool zero_fill;      /* deal outcomes: a period without a won deal won 0 */
    int64_t first_period, last_period; /* of the results; the last complete one */
} perf;

static int perf_row(void *ctx, sop_side *side, sop_error *err)
{
    phi *p = ctx;
    perf *r = p->perf;
    const char *gcol = p->opts->by == SOP_PHI_BY_TEAM ? "team" : "rep_id";
    /* period, value and the group's column; or deal outcomes (closed_at,
     * outcome, amount, rep_id): the amount won in the period */
    bool outcomes = side->col[0] < 0 && side->col[3] >= 0 && side->col[4] >= 0;
    if (!outcomes && (side->col[0] < 0 || side->col[1] < 0))
        return sop_error_set(err, SOP_EXIT_DATAERR, side->file, side->rec.line, "wants columns "
                             "period and value%s%s%s, or deal outcomes: closed_at, outcome, "
                             "amount", p->opts->by == SOP_PHI_BY_NONE ? "" : " (and ",
                             p->opts->by == SOP_PHI_BY_NONE ? "" : gcol,
                             p->opts->by == SOP_PHI_BY_NONE ? "" : ")");
    size_t plen, vlen, glen = 0;
    const char *ps = text(side, outcomes ? 3 : 0, &plen);
    const char *vs = text(side, outcomes ? 5 : 1, &vlen);
    const char *gs = "";
    r->zero_fill = outcomes;
    if (outcomes) { /* only won deals count, each its amount */
        size_t olen;
        const char *o = text(side, 4, &olen);
        char folded[SOP_WORD_LEN];
        sop_word_fold(o, olen, folded);
        sop_canonical_stage(folded, sizeof folded);
        if (strcmp(folded, "won") != 0)
            return 0;
    }
    long g = ALL;
    if (p->opts->by != SOP_PHI_BY_NONE && outcomes && side->col[6] >= 0) {
        size_t rlen;
        const char *rep = text(side, 6, &rlen), *why = "has no PHI (not a rep of the leads and "
                                                       "activities)";
        g = rlen == 0 ? -1
            : p->opts->by == SOP_PHI_BY_REP ? sop_strmap_find(&p->groups, rep, rlen)
                                            : group_of_rep(p, rep, rlen, &why);
        if (g < 0) {
            BAD(p, side, rlen ? "rep %.*s %s" : "%.*sno rep_id", SHOW(rlen), rep, why);
            return 0;
        }
        r->grouped = true;
    } else if (p->opts->by != SOP_PHI_BY_NONE && !outcomes && side->col[2] >= 0) {
        gs = text(side, 2, &glen);
        if (glen == 0) {
            BAD(p, side, "no %s", gcol);
            return 0;
        }
    }
    int64_t period;
    double v;
    if (!period_of_text(p, ps, plen, &period)) {
        BAD(p, side, "period \"%.*s\" is not a %s, a time or a date", SHOW(plen), ps,
            p->opts->monthly ? "month (2026-11)" : "week (2026-W48)");
        return 0;
    }
    if (!sop_parse_number(vs, vlen, &v)) {
        BAD(p, side, "%s \"%.*s\" is not a number", outcomes ? "amount" : "value", SHOW(vlen), vs);
        return 0;
    }
    if (period > r->last_period)
        return 0; /* not over at --now: no result yet */
    if (period < r->first_period)
        r->first_period = period;
    if (!outcomes && side->col[2] >= 0 && glen > 0) {
        g = sop_strmap_find(&p->groups, gs, glen);
        if (g < 0) {
            BAD(p, side, "%s %.*s has no PHI (not a group of the leads and activities)", gcol,
                SHOW(glen), gs);
            return 0;
        }
        r->grouped = true;
    }
    struct {
        int64_t period, group;
    } key = {period, g};
    if (r->cells.count >= r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 64;
        double *nv = realloc(r->value, cap * sizeof *nv);
        if (nv == NULL)
            return oom(err);
        r->value = nv;
        r->cap = cap;
    }
    bool added;
    long k = sop_strmap_put(&r->cells, (const char *)&key, sizeof key, &added);
    if (k < 0)
        return oom(err);
    r->value[k] = (added ? 0 : r->value[k]) + v;
    return 0;
}

static int perf_read(phi *p, perf *r, sop_error *err)
{
    const char *gcol = p->opts->by == SOP_PHI_BY_TEAM ? "team" : "rep_id";
    const char *names[] = {"period", "value", gcol, "closed_at", "outcome", "amount", "rep_id"};
    const bool required[] = {false, false, false, false, false, false, false};
    p->perf = r;
    r->first_period = INT64_MAX;
    r->last_period = p->opts->monthly ? sop_month_of_day(p->now_day) - 1
                                      : sop_week_of_day(p->now_day) - 1;
    return read_file(p, p->opts->performance_path, names, required, 7, perf_row, err);
}

static double perf_at(const perf *r, long g, int64_t period)
{
    struct {
        int64_t period, group;
    } key = {period, g};
    long k = sop_strmap_find(&r->cells, (const char *)&key, sizeof key);
    if (k >= 0)
        return r->value[k];
    return r->zero_fill && period >= r->first_period && period <= r->last_period ? 0 : NAN;
}

/* The cross-correlation rows of one group: PHI x[0..n-1] over periods
 * starting at `start` against the results. */
static bool lag_rows(const phi *p, const perf *r, long g, long rg, const double *x, size_t n,
                     int64_t start, json_t *rows)
{
    const char *unit = p->opts->monthly ? "month" : "week";
    size_t lags = p->cfg->max_lag + 1;
    double *a = malloc((n + 1) * sizeof *a), *b = malloc((n + 1) * sizeof *b);
    double best_r = NAN, best_band = NAN;
    /* the band a verdict needs: 95% over all the lags tried (Bonferroni) */
    double z_lags = sop_normal_quantile(1 - 0.05 / (2.0 * (double)lags));
    size_t best = 0;
    bool ok = a && b;
    json_t **made = calloc(lags, sizeof *made);
    ok = ok && made;
    for (size_t k = 0; ok && k < lags; k++) {
        size_t m = 0;
        for (size_t t = 0; t < n; t++) {
            double xt = x[t], yt = perf_at(r, rg, start + (int64_t)(t + k));
            if (p->opts->prewhiten) {
                double xp = t > 0 ? x[t - 1] : NAN;
                double yp = perf_at(r, rg, start + (int64_t)(t + k) - 1);
                xt -= xp;
                yt -= yp;
            }
            if (isfinite(xt) && isfinite(yt)) {
                a[m] = xt;
                b[m] = yt;
                m++;
            }
        }
        double rr = m >= 3 ? sop_pearson(a, b, m) : NAN, band = m >= 3 ? 1.96 / sqrt((double)m) : NAN;
        double wide = m >= 3 ? z_lags / sqrt((double)m) : NAN;
        if (isfinite(rr) && m >= p->cfg->min_pairs &&
            (!isfinite(best_r) || fabs(rr) > fabs(best_r))) {
            best_r = rr;
            best_band = wide;
            best = k;
        }
        json_t *row = json_object();
        ok = row && json_array_append_new(rows, row) == 0;
        if (ok && p->opts->by != SOP_PHI_BY_NONE)
            ok = set(row, p->opts->by == SOP_PHI_BY_TEAM ? "team" : "rep_id",
                     json_string(sop_strmap_key(&p->groups, (size_t)g)));
        ok = ok && set(row, "lag", json_integer((json_int_t)k)) &&
             set(row, "pairs", json_integer((json_int_t)m)) && set(row, "r", num(rr, 1e-4)) &&
             set(row, "band", num(band, 1e-4)) &&
             set(row, "band_all_lags", num(wide, 1e-4)) &&
             set(row, "outside_band", json_boolean(isfinite(rr) && fabs(rr) > band)) &&
             set(row, "series", json_string(p->opts->prewhiten ? "first differences" : "levels"));
        made[k] = row;
    }
    char verdict[256];
    if (!isfinite(best_r))
        snprintf(verdict, sizeof verdict, "no lead found (no lag has %lu periods with both PHI "
                 "and results)", p->cfg->min_pairs);
    else if (fabs(best_r) <= best_band)
        snprintf(verdict, sizeof verdict, "no lead found (the largest |r|, %.2f at lag %zu, is "
                 "inside the band of +-%.2f for %zu lags tried)", fabs(best_r), best, best_band,
                 lags);
    else if (best_r > 0)
        snprintf(verdict, sizeof verdict, "no lead found (the strongest correlation, r=%.2f at "
                 "lag %zu, has the wrong sign: a worse PHI with better results)", best_r, best);
    else if (best == 0)
        snprintf(verdict, sizeof verdict, "PHI moves with results, without a lead (r=%.2f at lag "
                 "0)", best_r);
    else
        snprintf(verdict, sizeof verdict, "PHI leads results by %zu %s%s (r=%.2f: a worse PHI "
                 "comes before lower results)", best, unit, best == 1 ? "" : "s", best_r);
    for (size_t k = 0; ok && k < lags; k++)
        ok = set(made[k], "best", json_boolean(k == best && isfinite(best_r))) &&
             set(made[k], "verdict", json_string(k == best ? verdict : ""));
    if (ok && !p->opts->quiet && p->opts->diag && p->opts->by != SOP_PHI_BY_NONE)
        note(p, "%s: %s", sop_strmap_key(&p->groups, (size_t)g), verdict);
    else if (ok)
        note(p, "%s", verdict);
    free(made);
    free(a);
    free(b);
    return ok;
}

/* ---- the run ------------------------------------------------------------------- */

static int lead_report(phi *p, json_t **out, sop_error *err)
{
    perf r;
    memset(&r, 0, sizeof r);
    sop_strmap_init(&r.cells);
    int rc = perf_read(p, &r, err);
    size_t np = 0, ng = 0, *g = NULL;
    double *x = NULL;
    json_t *table = rc == 0 ? phi_rows(p, &x, &np, &g, &ng) : NULL;
    json_t *rows = json_array();
    if (rc == 0 && (table == NULL || rows == NULL))
        rc = oom(err);
    int64_t start = 0;
    if (rc == 0 && np > 0) {
        size_t nper;
        span *per = periods(p, &nper);
        if (per == NULL)
            rc = oom(err);
        else
            start = p->opts->monthly ? sop_month_of_day(7 * per[0].to) : per[0].to;
        free(per);
    }
    double *all = NULL;
    if (rc == 0 && !r.grouped && p->opts->by != SOP_PHI_BY_NONE) {
        /* results for everyone: against everyone's PHI */
        size_t nper;
        span *per = periods(p, &nper);
        all = malloc((nper + 1) * sizeof *all);
        if (per == NULL || all == NULL)
            rc = oom(err);
        for (size_t k = 0; rc == 0 && k < nper; k++) {
            figures f;
            compute(p, ALL, per[k].from, per[k].to, &f);
            all[k] = f.phi;
        }
        free(per);
        if (rc == 0 && !lag_rows(p, &r, ALL, ALL, all, np, start, rows))
            rc = oom(err);
        /* the row's group: everyone */
    } else {
        for (size_t gi = 0; rc == 0 && gi < ng; gi++)
            if (!lag_rows(p, &r, (long)g[gi], r.grouped ? (long)g[gi] : ALL, x + gi * np, np,
                          start, rows))
                rc = oom(err);
    }
    free(all);
    free(x);
    free(g);
    json_decref(table);
    free(r.value);
    sop_strmap_free(&r.cells);
    if (rc != 0) {
        json_decref(rows);
        return rc;
    }
    *out = rows;
    return 0;
}

/* --fail-on: the last period's row of each group. */
static int findings(const phi *p, const json_t *rows)
{
    if (p->opts->fail_on == SOP_PHI_FAIL_NEVER)
        return 0;
    const char *gkey = p->opts->by == SOP_PHI_BY_TEAM ? "team" : "rep_id";
    size_t n = json_array_size(rows);
    for (size_t i = 0; i < n; i++) {
        const json_t *row = json_array_get(rows, i), *next = json_array_get(rows, i + 1);
        if (next && (p->opts->by == SOP_PHI_BY_NONE ||
                     json_equal(json_object_get(row, gkey), json_object_get(next, gkey))))
            continue; /* not the group's last period */
        const char *status = json_string_value(json_object_get(row, "status"));
        bool alarm = json_is_true(json_object_get(row, "alarm"));
        /* warning: also an EWMA alarm, and a period that cannot be judged
         * (a team that stopped logging must not pass in silence) */
        if (status && (strcmp(status, "risk") == 0 ||
                       (p->opts->fail_on == SOP_PHI_FAIL_WARNING &&
                        (strcmp(status, "warning") == 0 || strcmp(status, "undefined") == 0 ||
                         alarm))))
            return 1;
    }
    return 0;
}

int sop_phi_run(const sop_phi_config *cfg, const sop_cli *cli, const sop_phi_opts *opts,
                sop_error *err)
{
    if (opts->leads_path == NULL || opts->activities_path == NULL)
        return sop_error_set(err, SOP_EXIT_USAGE, NULL, 0, "--leads FILE and --activities FILE "
                             "are both needed");
    if (opts->by == SOP_PHI_BY_TEAM && opts->reps_path == NULL)
        return sop_error_set(err, SOP_EXIT_USAGE, NULL, 0, "--by team needs --reps FILE (the "
                             "reps' teams)");
    if (opts->report == SOP_PHI_LEAD && opts->performance_path == NULL)
        return sop_error_set(err, SOP_EXIT_USAGE, NULL, 0, "--report lead needs --performance "
                             "FILE (period, value)");
    phi *p = calloc(1, sizeof *p);
    if (p == NULL)
        return oom(err);
    p->cfg = cfg;
    p->cli = cli;
    p->opts = opts;
    p->now = sop_cli_now(cli);
    p->now_day = sop_local_day(p->now, &cli->tz);
    p->first_week = INT64_MAX;
    p->last_week = INT64_MIN;
    sop_strmap_init(&p->groups);
    sop_strmap_init(&p->reps);
    sop_strmap_init(&p->cells);
    sop_idmap_init(&p->deal_conv);
    sop_idmap_init(&p->lead_conv);
    sop_idmap_init(&p->lead_conv_last);
    sop_idmap_init(&p->leads_seen);
    sop_idmap_init(&p->key_done);
    sop_words_parse(&p->conv_stages, cfg->conversion_stages);
    sop_word_fold(cfg->key_stage, strlen(cfg->key_stage), p->key_stage);
    sop_canonical_stage(p->key_stage, sizeof p->key_stage);
    int rc = group_add(p, "(all)", 5) == ALL ? 0 : oom(err);
    if (rc == 0)
        rc = opts->audit_config ? sop_audit_config_load(opts->audit_config, &p->audit_cfg, err)
                                : (sop_audit_config_default(&p->audit_cfg), 0);
    if (rc == 0)
        rc = sop_audit_checker_new(&p->checker, &p->audit_cfg, err);
    if (rc == 0 && opts->reps_path) {
        const char *names[] = {"rep_id", "team"};
        const bool required[] = {true, false};
        rc = read_file(p, opts->reps_path, names, required, 2, rep_row, err);
    }
    if (rc == 0 && opts->events_path) {
        const char *names[] = {"deal_id", "stage", "at"};
        const bool required[] = {true, true, true};
        rc = read_file(p, opts->events_path, names, required, 3, event_row, err);
    }
    if (rc == 0) {
        const char *names[] = {"lead_id", "deal_id", "rep_id", "at", "stage"};
        const bool required[] = {false, false, false, true, false};
        rc = read_file(p, opts->activities_path, names, required, 5, activity_row, err);
    }
    if (rc == 0) {
        const char *names[] = {"lead_id", "created_at", "owner", "team", cfg->converted_column};
        const bool required[] = {true, true, false, false, false};
        rc = read_file(p, opts->leads_path, names, required, 5, lead_row, err);
    }
    json_t *rows = NULL;
    double *x = NULL;
    size_t *g = NULL, np, ng;
    if (rc == 0 && opts->report == SOP_PHI_LEAD)
        rc = lead_report(p, &rows, err);
    else if (rc == 0 && (rows = phi_rows(p, &x, &np, &g, &ng)) == NULL)
        rc = oom(err);
    if (rc == 0) {
        static const char *const columns[] = {"period", "weeks", "leads", "mature_weeks",
                                              "conversion_rate", "stability", "due",
                                              "key_actions", "completion", "records", "complete",
                                              "completeness", "phi", "status", "reasons", "ewma",
                                              "ucl", "alarm", NULL};
        rc = sop_rows_emit(rows, opts->by == SOP_PHI_BY_NONE && opts->report == SOP_PHI_ROWS
                                     ? columns : NULL, cli, SOP_FMT_AUTO, err);
    }
    int found = 0;
    if (rc == 0 && opts->report == SOP_PHI_ROWS) {
        found = findings(p, rows);
    } else if (rc == 0 && opts->fail_on != SOP_PHI_FAIL_NEVER) { /* --report lead */
        free(x);
        free(g);
        x = NULL;
        g = NULL;
        json_t *table = phi_rows(p, &x, &np, &g, &ng);
        if (table == NULL)
            rc = oom(err);
        else
            found = findings(p, table);
        json_decref(table);
    }
    if (p->bad > 20)
        fprintf(opts->diag, "%s: %lu more bad rows not shown\n", opts->program, p->bad - 20);
    if (rc == 0 && p->bad > 0)
        rc = sop_error_set(err, SOP_EXIT_DATAERR, NULL, 0, "%lu row%s rejected", p->bad,
                           p->bad == 1 ? "" : "s");
    json_decref(rows);
    free(x);
    free(g);
    sop_audit_checker_free(p->checker);
    sop_strmap_free(&p->groups);
    sop_strmap_free(&p->reps);
    sop_strmap_free(&p->cells);
    sop_idmap_free(&p->deal_conv);
    sop_idmap_free(&p->lead_conv);
    sop_idmap_free(&p->lead_conv_last);
    sop_idmap_free(&p->leads_seen);
    sop_idmap_free(&p->key_done);
    free(p->rep_team);
    free(p->bucket);
    free(p);
    return rc != 0 ? rc : found;
}
