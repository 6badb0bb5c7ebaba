/* funnel.c - funnel-diag's model: deals from stage events, the stage
 * table, breakpoints (z-test), the p-chart, lost reasons. */
#include "funnel_int.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "reader.h"
#include "report.h"
#include "stats.h"
#include "values.h"

int fn_oom(sop_error *err)
{
    return sop_error_set(err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
}

bool fn_set(json_t *o, const char *key, json_t *v)
{
    return v && json_object_set_new(o, key, v) == 0;
}

json_t *fn_round(double x, double unit)
{
    return isfinite(x) ? json_real(round(x / unit) * unit) : json_null();
}

/* x to 4 significant digits (p-values far below 0.0001 stay readable) */
static json_t *four_digits(double x)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%.4g", x);
    return isfinite(x) ? json_real(strtod(buf, NULL)) : json_null();
}

/* ---- periods --------------------------------------------------------------- */

long fn_period_of(const sop_funnel *f, int64_t at)
{
    int64_t day = sop_local_day(at, &f->cli->tz);
    return (long)(f->period == 0 ? sop_week_of_day(day) : sop_month_of_day(day));
}

void fn_period_label(const sop_funnel *f, long period, char *buf, size_t size)
{
    if (f->period == 0)
        sop_format_week(period, buf, size);
    else
        sop_format_month(period, buf, size);
}

/* ---- setup ----------------------------------------------------------------- */

int sop_funnel_new(sop_funnel **out, const sop_funnel_config *cfg, const sop_cli *cli,
                   const sop_funnel_opts *opts, sop_error *err)
{
    sop_funnel *f = calloc(1, sizeof *f);
    if (f == NULL)
        return fn_oom(err);
    f->cfg = cfg;
    f->cli = cli;
    f->opts = *opts;
    f->nst = cfg->stage_count;
    f->stride = sizeof(fn_deal) + f->nst * sizeof(int64_t);
    sop_words_parse(&f->won, cfg->won);
    sop_words_parse(&f->lost, cfg->lost);
    f->period = opts->period >= 0 ? opts->period : cfg->period;
    f->baseline = opts->baseline ? opts->baseline : cfg->baseline_periods;
    f->models = opts->models ? opts->models : (1u << SOP_ATTRIB_MODELS) - 1;
    f->by = opts->by == NULL ? BY_NONE : strcmp(opts->by, "period") == 0 ? BY_PERIOD : BY_COLUMN;
    sop_strmap_init(&f->deals);
    sop_strmap_init(&f->reasons);
    sop_strmap_init(&f->groups);
    sop_strmap_init(&f->reps);
    sop_attrib_init(&f->attrib, cfg);
    *out = f;
    bool needs_activities = opts->report == SOP_FUNNEL_EVIDENCE ||
                            (opts->report == SOP_FUNNEL_ATTRIBUTION && !opts->paths_path);
    if (needs_activities && opts->activities_path == NULL)
        return sop_error_set(err, SOP_EXIT_USAGE, NULL, 0, "--report %s needs --activities FILE%s",
                             opts->report == SOP_FUNNEL_EVIDENCE ? "evidence" : "attribution",
                             opts->report == SOP_FUNNEL_EVIDENCE ? "" : " (or --paths FILE)");
    if (opts->paths_path && opts->report != SOP_FUNNEL_ATTRIBUTION)
        return sop_error_set(err, SOP_EXIT_USAGE, NULL, 0, "--paths goes with --report "
                             "attribution");
    if (opts->paths_path && opts->models == 1u << SOP_ATTRIB_TIME_DECAY)
        return sop_error_set(err, SOP_EXIT_USAGE, NULL, 0, "--model time-decay needs the touch "
                             "times of --activities; --paths has none");
    if (opts->paths_path)
        f->models &= ~(1u << SOP_ATTRIB_TIME_DECAY);
    if (opts->by && opts->report != SOP_FUNNEL_STAGES_REPORT && opts->report != SOP_FUNNEL_REASONS)
        return sop_error_set(err, SOP_EXIT_USAGE, NULL, 0, "--by goes with --report stages or "
                             "reasons");
    return 0;
}

void sop_funnel_free(sop_funnel *f)
{
    if (f == NULL)
        return;
    sop_strmap_free(&f->deals);
    sop_strmap_free(&f->reasons);
    sop_strmap_free(&f->groups);
    sop_strmap_free(&f->reps);
    sop_attrib_free(&f->attrib);
    free(f->block);
    free(f->hits);
    free(f->touch);
    free(f);
}

size_t sop_funnel_flagged(const sop_funnel *f)
{
    return f ? f->flagged : 0;
}

static int bind(void *ctx, const sop_schema *input, sop_error *err)
{
    sop_funnel *f = ctx;
    f->col_deal = sop_find_column(input, "deal_id");
    f->col_stage = sop_find_column(input, "stage");
    f->col_at = sop_find_column(input, "at");
    f->col_rep = sop_find_column(input, "rep_id");
    f->col_amount = sop_find_column(input, "amount");
    f->col_outcome = sop_find_column(input, "outcome");
    f->col_reason = sop_find_column(input, "lost_reason");
    f->col_group = -1;
    if (f->by == BY_COLUMN) {
        const char *name = strcmp(f->opts.by, "rep") == 0 ? "rep_id" : f->opts.by;
        f->col_group = sop_find_column(input, name);
        f->group_bound = f->group_bound || f->col_group >= 0;
    }
    /* JSON Lines: the columns grow record by record (the first bind has
     * none); a record without deal_id or at is then rejected on its own */
    const char *need = f->col_deal < 0 ? "deal_id" : f->col_at < 0 ? "at" : NULL;
    if (input->count > 0 && need)
        return sop_error_set(err, SOP_EXIT_DATAERR, NULL, 0, "the stage events have no %s "
                             "column (deal_id and at are needed, and stage or outcome)", need);
    return 0;
}

/* ---- one event --------------------------------------------------------------- */

/* The stage a folded name stands for, -1 when none. */
static long stage_of(const sop_funnel *f, const char *folded)
{
    for (size_t i = 0; i < f->nst; i++)
        if (strcmp(f->cfg->stage[i], folded) == 0)
            return (long)i;
    for (size_t i = 0; i < f->cfg->alias_count; i++)
        if (strcmp(f->cfg->alias[i], folded) == 0)
            return f->cfg->alias_stage[i];
    return -1;
}

static void stage_list(const sop_funnel *f, char *buf, size_t size)
{
    size_t n = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < f->nst && n < size; i++)
        n += (size_t)snprintf(buf + n, size - n, "%s%s", i ? ", " : "", f->cfg->stage[i]);
}

static long deal_add(sop_funnel *f, const char *id, size_t len, uint64_t hash)
{
    if (f->deals.count >= f->deal_cap) {
        size_t cap = f->deal_cap ? f->deal_cap * 2 : 1024;
        unsigned char *block = realloc(f->block, cap * f->stride);
        if (block == NULL)
            return -1;
        f->block = block;
        f->deal_cap = cap;
    }
    bool added;
    long e = sop_strmap_put_hashed(&f->deals, id, len, hash, &added);
    if (e >= 0 && added) {
        fn_deal *d = fn_deal_of(f, (size_t)e);
        memset(d, 0, sizeof *d);
        d->first_at = INT64_MAX;
        d->last_at = INT64_MIN;
        d->outcome_at = INT64_MAX;
        d->group_at = d->rep_at = d->amount_at = INT64_MIN;
        d->reason = d->group = d->rep = -1;
        d->amount = NAN;
        d->furthest = -1;
        for (size_t s = 0; s < f->nst; s++)
            fn_at_of(f, (size_t)e)[s] = INT64_MAX;
    }
    return e;
}

static const char *outcome_name(long o)
{
    return o == OUT_WON ? "won" : o == OUT_LOST ? "lost" : "open";
}

/* The memo slot of text s (n slots, a power of two); NULL when the text
 * is too long to remember. */
static fn_memo *memo_slot(fn_memo *memo, size_t n, const char *s, size_t len)
{
    if (len > MEMO_TEXT)
        return NULL;
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)s[i]) * 16777619u;
    return &memo[(h ^ h >> 16) & (n - 1)];
}

static bool memo_hit(const fn_memo *m, const char *s, size_t len, long *value)
{
    if (m == NULL || !m->used || m->len != len || memcmp(m->text, s, len) != 0)
        return false;
    *value = m->value;
    return true;
}

static void memo_keep(fn_memo *m, const char *s, size_t len, long value)
{
    if (m == NULL)
        return;
    m->used = true;
    m->len = (unsigned char)len;
    memcpy(m->text, s, len);
    m->value = value;
}

/* Keeps the value of column col when this event is the deal's latest so
 * far: *at_seen and *index follow. */
static int latest_value(sop_strmap *map, fn_memo *memo, size_t slots, const sop_record *rec,
                        long col, int64_t at, int64_t *at_seen, long *index)
{
    size_t len;
    const char *s = sop_record_trimmed(rec, col, &len);
    if (len == 0 || at < *at_seen)
        return 0;
    fn_memo *m = memo_slot(memo, slots, s, len);
    long k;
    if (!memo_hit(m, s, len, &k)) {
        bool added;
        k = sop_value_missing(NULL, s, len) ? -1 : sop_strmap_put(map, s, len, &added);
        if (k < -1 || (k == -1 && !sop_value_missing(NULL, s, len)))
            return -1;
        memo_keep(m, s, len, k);
    }
    if (k >= 0) {
        *index = k;
        *at_seen = at;
    }
    return 0;
}

enum { STAGE_NONE = -1, STAGE_LOST_WORD = -2, STAGE_UNKNOWN = -3, OUTCOME_BAD = -1 };

/* The outcome a text names: OUT_*, or OUTCOME_BAD. */
static long outcome_of(sop_funnel *f, const char *s, size_t len)
{
    fn_memo *m = memo_slot(f->outcome_memo, 64, s, len);
    long v;
    if (memo_hit(m, s, len, &v))
        return v;
    char folded[SOP_WORD_LEN];
    sop_word_fold(s, len, folded);
    v = len == 0 || sop_value_missing(NULL, s, len) ? OUT_OPEN
        : sop_words_find(&f->won, folded) >= 0      ? OUT_WON
        : sop_words_find(&f->lost, folded) >= 0     ? OUT_LOST
        : strcmp(folded, "open") == 0               ? OUT_OPEN
                                                    : OUTCOME_BAD;
    memo_keep(m, s, len, v);
    return v;
}

/* The stage a text names: its index, or STAGE_NONE (missing),
 * STAGE_LOST_WORD, STAGE_UNKNOWN. */
static long stage_named(sop_funnel *f, const char *s, size_t len)
{
    fn_memo *m = memo_slot(f->stage_memo, 64, s, len);
    long v;
    if (memo_hit(m, s, len, &v))
        return v;
    char folded[SOP_WORD_LEN];
    sop_word_fold(s, len, folded);
    if (len == 0 || sop_value_missing(NULL, s, len))
        v = STAGE_NONE;
    else if ((v = stage_of(f, folded)) >= 0)
        ;
    else if (sop_words_find(&f->lost, folded) >= 0)
        v = STAGE_LOST_WORD;
    else if (sop_words_find(&f->won, folded) >= 0)
        v = (long)f->nst - 1;
    else
        v = STAGE_UNKNOWN;
    memo_keep(m, s, len, v);
    return v;
}

static int record(void *ctx, sop_record *rec, sop_record *extra, sop_error *err)
{
    (void)extra;
    sop_funnel *f = ctx;
    size_t id_len, stage_len, at_len, out_len;
    const char *id = sop_record_trimmed(rec, f->col_deal, &id_len);
    const char *stage_s = sop_record_trimmed(rec, f->col_stage, &stage_len);
    const char *at_s = sop_record_trimmed(rec, f->col_at, &at_len);
    const char *out_s = sop_record_trimmed(rec, f->col_outcome, &out_len);
    if (id_len == 0 || sop_value_missing(NULL, id, id_len))
        return sop_stream_reject(err, "no deal_id");
    /* the deal's slot loads while the time, outcome and stage are parsed */
    uint64_t hash = sop_strmap_hash(id, id_len);
    sop_strmap_prefetch(&f->deals, hash);
    int64_t at;
    if (!sop_parse_time(at_s, at_len, &f->cli->tz, true, &at)) {
        if (at_len == 0 || sop_value_missing(NULL, at_s, at_len))
            return sop_stream_reject(err, "no time (at)");
        return sop_stream_reject(err, "at \"%.*s\" is not a time", SHOW(at_len), at_s);
    }
    /* the deal's entry, record and stage times load together while the
     * outcome and stage are parsed */
    long likely = sop_strmap_candidate(&f->deals, hash);
    if (likely >= 0) {
        __builtin_prefetch(fn_deal_of(f, (size_t)likely));
        __builtin_prefetch((const char *)fn_deal_of(f, (size_t)likely) + 64);
    }
    long outcome = outcome_of(f, out_s, out_len);
    if (outcome == OUTCOME_BAD)
        return sop_stream_reject(err, "outcome \"%.*s\" is neither won (%s) nor lost (%s)",
                      SHOW(out_len), out_s, f->cfg->won, f->cfg->lost);
    long stage = stage_named(f, stage_s, stage_len);
    if (stage == STAGE_LOST_WORD) {
        if (outcome == OUT_WON)
            return sop_stream_reject(err, "stage \"%.*s\" with outcome won", SHOW(stage_len), stage_s);
        outcome = OUT_LOST;
        stage = -1;
    } else if (stage == STAGE_UNKNOWN) {
        char list[512];
        stage_list(f, list, sizeof list);
        return sop_stream_reject(err, "unknown stage \"%.*s\" (the funnel's stages: %s; name others "
                      "in the config's stage_aliases)", SHOW(stage_len), stage_s, list);
    } else if (stage == STAGE_NONE && outcome == OUT_OPEN) {
        return sop_stream_reject(err, "no stage and no outcome");
    }
    if (stage == (long)f->nst - 1) {
        if (outcome == OUT_LOST)
            return sop_stream_reject(err, "stage %s with outcome lost", f->cfg->stage[stage]);
        outcome = OUT_WON;
    }
    if (outcome == OUT_WON)
        stage = (long)f->nst - 1;
    /* the deal, and what this event may not contradict */
    long e = deal_add(f, id, id_len, hash);
    if (e < 0)
        return fn_oom(err);
    fn_deal *d = fn_deal_of(f, (size_t)e);
    int64_t *entered = fn_at_of(f, (size_t)e);
    char when[32], then[32];
    if (d->outcome != OUT_OPEN && outcome != d->outcome) {
        sop_format_time(d->outcome_at, &f->cli->tz, then, sizeof then);
        if (outcome != OUT_OPEN)
            return sop_stream_reject(err, "deal %.*s: outcome %s, but line %ld says %s (at %s)",
                          SHOW(id_len), id, outcome_name(outcome), d->outcome_line,
                          outcome_name(d->outcome), then);
        if (at > d->outcome_at)
            return sop_stream_reject(err, "deal %.*s: stage %s after the deal was %s at %s (line %ld)",
                          SHOW(id_len), id, f->cfg->stage[stage], outcome_name(d->outcome),
                          then, d->outcome_line);
    }
    if (d->outcome != OUT_OPEN && outcome == d->outcome && at > d->outcome_at)
        return 0; /* the same outcome again, later: nothing new */
    if (outcome != OUT_OPEN && d->outcome == OUT_OPEN && d->last_at > at) {
        size_t s = f->nst;
        while (s-- > 0 && entered[s] != d->last_at) {
        }
        sop_format_time(at, &f->cli->tz, when, sizeof when);
        sop_format_time(d->last_at, &f->cli->tz, then, sizeof then);
        return sop_stream_reject(err, "deal %.*s: %s at %s, but it entered %s later, at %s", SHOW(id_len),
                      id, outcome_name(outcome), when, s < f->nst ? f->cfg->stage[s] : "a stage",
                      then);
    }
    if (outcome == OUT_LOST && stage < 0)
        stage = d->furthest >= 0 ? d->furthest : 0;
    /* apply */
    if (at < d->first_at)
        d->first_at = at;
    if (stage >= 0) {
        if (at < entered[stage])
            entered[stage] = at;
        if (stage > d->furthest)
            d->furthest = (signed char)stage;
        if (outcome == OUT_OPEN && at > d->last_at)
            d->last_at = at;
    }
    if (outcome != OUT_OPEN) {
        d->outcome = (signed char)outcome;
        bool earliest = at < d->outcome_at;
        if (earliest) {
            d->outcome_at = at;
            d->outcome_line = rec->line;
        }
        /* the reason of the earliest lost event that gives one */
        if (outcome == OUT_LOST && f->col_reason >= 0 && (earliest || d->reason < 0)) {
            size_t rlen;
            const char *r = sop_record_trimmed(rec, f->col_reason, &rlen);
            bool added;
            if (rlen > 0 && !sop_value_missing(NULL, r, rlen) &&
                (d->reason = sop_strmap_put(&f->reasons, r, rlen, &added)) < 0)
                return fn_oom(err);
        }
    }
    size_t alen;
    const char *amount_s = sop_record_trimmed(rec, f->col_amount, &alen);
    double amount;
    if (f->opts.report == SOP_FUNNEL_ATTRIBUTION && alen > 0 && at >= d->amount_at &&
        sop_parse_number(amount_s, alen, &amount)) { /* the conversion value */
        d->amount = amount;
        d->amount_at = at;
    }
    if ((f->col_rep >= 0 && latest_value(&f->reps, f->rep_memo, 256, rec, f->col_rep, at,
                                         &d->rep_at, &d->rep) != 0) ||
        (f->col_group >= 0 && latest_value(&f->groups, f->group_memo, 256, rec, f->col_group, at,
                                           &d->group_at, &d->group) != 0))
        return fn_oom(err);
    return 0;
}

/* ---- decisions ------------------------------------------------------------------ */

int64_t fn_left_at(const sop_funnel *f, size_t d, size_t s)
{
    /* the first time it entered any later stage (a deal may go back a
     * stage: lead, demo, need_confirmed left lead when it entered demo) */
    const int64_t *entered = fn_at_of(f, d);
    int64_t first = INT64_MAX;
    for (size_t k = s + 1; k < f->nst; k++)
        if (entered[k] < first)
            first = entered[k];
    return first;
}

/* ---- the stage table ---------------------------------------------------------- */

typedef struct group_cell {
    unsigned long entered, advanced, lost, open;
    size_t first, count; /* its durations in the shared array */
} group_cell;

static int by_label(const void *x, const void *y, void *ctx)
{
    const sop_strmap *m = ctx;
    return strcmp(sop_strmap_key(m, *(const size_t *)x), sop_strmap_key(m, *(const size_t *)y));
}

/* The group of deal i, -1 for "(none)"; period groups are added to
 * labels. */
static long group_of(sop_funnel *f, size_t i, sop_strmap *labels)
{
    if (f->by == BY_COLUMN)
        return fn_deal_of(f, i)->group;
    if (f->by == BY_NONE)
        return 0;
    char label[32];
    fn_period_label(f, fn_period_of(f, fn_deal_of(f, i)->first_at), label, sizeof label);
    bool added;
    return sop_strmap_put(labels, label, strlen(label), &added);
}

static json_t *stage_rows(sop_funnel *f)
{
    size_t nst = f->nst, n = f->deals.count;
    sop_strmap periods;
    sop_strmap_init(&periods);
    long *group = malloc((n ? n : 1) * sizeof *group);
    json_t *rows = json_array();
    bool ok = group && rows;
    for (size_t i = 0; ok && i < n; i++)
        ok = (group[i] = group_of(f, i, &periods)) >= -1 && (f->by != BY_PERIOD || group[i] >= 0);
    const sop_strmap *labels = f->by == BY_PERIOD ? &periods : &f->groups;
    size_t groups = f->by == BY_NONE ? 1 : labels->count + 1; /* the last: "(none)" */
    group_cell *cell = ok ? calloc(groups * nst, sizeof *cell) : NULL;
    ok = ok && cell;
    /* counts, then each cell's place among the durations */
    size_t total = 0;
    for (size_t i = 0; ok && i < n; i++) {
        const fn_deal *d = fn_deal_of(f, i);
        size_t g = group[i] < 0 ? groups - 1 : (size_t)group[i];
        for (size_t s = 0; s <= (size_t)d->furthest && s < nst; s++) {
            group_cell *c = &cell[g * nst + s];
            c->entered++;
            if (s == nst - 1)
                continue;
            if ((long)s < d->furthest) {
                c->advanced++;
                int64_t in = fn_at_of(f, i)[s];
                if (in != INT64_MAX && fn_left_at(f, i, s) >= in) {
                    c->count++;
                    total++;
                }
            } else if (d->outcome == OUT_LOST) {
                c->lost++;
            } else {
                c->open++;
            }
        }
    }
    double *days = ok ? malloc((total ? total : 1) * sizeof *days) : NULL;
    ok = ok && days;
    size_t at = 0;
    for (size_t c = 0; ok && c < groups * nst; c++) {
        cell[c].first = at;
        at += cell[c].count;
        cell[c].count = 0;
    }
    for (size_t i = 0; ok && i < n; i++) {
        const fn_deal *d = fn_deal_of(f, i);
        size_t g = group[i] < 0 ? groups - 1 : (size_t)group[i];
        for (size_t s = 0; (long)s < d->furthest && s + 1 < nst; s++) {
            int64_t in = fn_at_of(f, i)[s], out = fn_left_at(f, i, s);
            if (in == INT64_MAX || out < in)
                continue;
            group_cell *c = &cell[g * nst + s];
            days[c->first + c->count++] = (double)(out - in) / 86400.0;
        }
    }
    /* groups in label order, "(none)" last */
    size_t *order = ok ? malloc(groups * sizeof *order) : NULL;
    ok = ok && order;
    for (size_t g = 0; ok && g < groups; g++)
        order[g] = g;
    if (ok && f->by != BY_NONE && groups > 2)
        qsort_r(order, groups - 1, sizeof *order, by_label, (void *)labels);
    for (size_t k = 0; ok && k < groups; k++) {
        size_t g = order[k];
        const group_cell *first = &cell[g * nst];
        if (f->by != BY_NONE && first->entered == 0)
            continue;
        for (size_t s = 0; ok && s < nst; s++) {
            const group_cell *c = &cell[g * nst + s];
            json_t *row = json_object();
            ok = row && json_array_append_new(rows, row) == 0;
            if (ok && f->by != BY_NONE)
                ok = fn_set(row, f->opts.by, json_string(g + 1 == groups ? "(none)"
                                                         : sop_strmap_key(labels, g)));
            bool last = s == nst - 1;
            unsigned long decided = c->advanced + c->lost;
            ok = ok && fn_set(row, "stage", json_string(f->cfg->stage[s])) &&
                 fn_set(row, "entered", json_integer((json_int_t)c->entered)) &&
                 fn_set(row, "advanced", last ? json_null() : json_integer((json_int_t)c->advanced)) &&
                 fn_set(row, "lost", last ? json_null() : json_integer((json_int_t)c->lost)) &&
                 fn_set(row, "open", last ? json_null() : json_integer((json_int_t)c->open)) &&
                 fn_set(row, "conversion", decided && !last
                                               ? fn_round((double)c->advanced / (double)decided, 1e-4)
                                               : json_null()) &&
                 fn_set(row, "loss_rate", decided && !last
                                              ? fn_round((double)c->lost / (double)decided, 1e-4)
                                              : json_null()) &&
                 fn_set(row, "reach", first->entered
                                          ? fn_round((double)c->entered / (double)first->entered, 1e-4)
                                          : json_null());
            double *v = days + c->first;
            ok = ok && fn_set(row, "median_days", c->count ? fn_round(sop_quantile(v, c->count, 0.5), 0.1)
                                                           : json_null()) &&
                 fn_set(row, "p90_days", c->count ? fn_round(sop_quantile(v, c->count, 0.9), 0.1)
                                                  : json_null());
        }
    }
    free(order);
    free(days);
    free(cell);
    free(group);
    sop_strmap_free(&periods);
    if (!ok) {
        json_decref(rows);
        return NULL;
    }
    return rows;
}

/* ---- breakpoints and the p-chart ------------------------------------------------ */

/* Counts each deal's decision at each stage into the bucket of its
 * period: bucket(period) returns the counts or NULL (not counted). */
typedef fn_counts *(*bucket_fn)(void *ctx, long period);

static void count_decisions(const sop_funnel *f, bucket_fn bucket, void *ctx)
{
    size_t nst = f->nst;
    for (size_t i = 0; i < f->deals.count; i++) {
        const fn_deal *d = fn_deal_of(f, i);
        for (size_t s = 0; (long)s <= d->furthest && s + 1 < nst; s++) {
            bool lost = (long)s == d->furthest;
            if (lost && d->outcome != OUT_LOST)
                break; /* open there */
            int64_t when = lost ? d->outcome_at : fn_left_at(f, i, s);
            fn_counts *c = bucket(ctx, fn_period_of(f, when));
            if (c == NULL)
                continue;
            c->decided[s]++;
            if (lost)
                c->lost[s]++;
        }
    }
}

static fn_counts *breakpoint_bucket(void *ctx, long period)
{
    sop_funnel *f = ctx;
    if (period == f->current)
        return &f->now_counts;
    if (period < f->current && period >= f->current - (long)f->baseline)
        return &f->base_counts;
    return NULL;
}

static void transition_name(const sop_funnel *f, size_t s, char *buf, size_t size)
{
    snprintf(buf, size, "%s>%s", f->cfg->stage[s], f->cfg->stage[s + 1]);
}

json_t *fn_breakpoint_rows(sop_funnel *f)
{
    const sop_funnel_config *cfg = f->cfg;
    f->current = fn_period_of(f, sop_cli_now(f->cli)) - 1; /* the last complete period */
    memset(&f->now_counts, 0, sizeof f->now_counts);
    memset(&f->base_counts, 0, sizeof f->base_counts);
    count_decisions(f, breakpoint_bucket, f);
    char period[32], from[32], to[32], baseline[80];
    fn_period_label(f, f->current, period, sizeof period);
    fn_period_label(f, f->current - (long)f->baseline, from, sizeof from);
    fn_period_label(f, f->current - 1, to, sizeof to);
    if (f->baseline == 1)
        snprintf(baseline, sizeof baseline, "%s", to);
    else
        snprintf(baseline, sizeof baseline, "%s..%s", from, to);
    json_t *rows = json_array();
    bool ok = rows != NULL;
    f->flagged = 0;
    for (size_t s = 0; ok && s + 1 < f->nst; s++) {
        double x1 = (double)f->now_counts.lost[s], n1 = (double)f->now_counts.decided[s];
        double x2 = (double)f->base_counts.lost[s], n2 = (double)f->base_counts.decided[s];
        double p1 = n1 > 0 ? x1 / n1 : NAN, p2 = n2 > 0 ? x2 / n2 : NAN;
        double points = (p1 - p2) * 100, relative = p2 > 0 ? (p1 - p2) / p2 : NAN;
        double z, p;
        bool tested = sop_ztest2(x1, n1, x2, n2, &z, &p);
        bool big = fabs(points) >= cfg->min_change_points &&
                   (cfg->min_change_relative <= 0 ||
                    (isfinite(relative) && fabs(relative) >= cfg->min_change_relative));
        bool enough = n1 >= (double)cfg->min_sample && n2 >= (double)cfg->min_sample;
        bool significant = tested && p < cfg->alpha;
        const char *flag = big && enough && significant ? (points > 0 ? "worse" : "better") : "";
        char note[360], name[160], rel_text[32], p_text[64];
        transition_name(f, s, name, sizeof name);
        if (isfinite(relative))
            snprintf(rel_text, sizeof rel_text, "%+.0f%%", relative * 100);
        else
            snprintf(rel_text, sizeof rel_text, "no baseline loss, so no");
        if (!tested)
            snprintf(p_text, sizeof p_text, "no test (none lost, or all lost, in both)");
        else
            snprintf(p_text, sizeof p_text, "p%s%.4f", p < 0.0001 ? "<" : "=",
                     p < 0.0001 ? 0.0001 : p);
        if (!enough)
            snprintf(note, sizeof note, "too few decided deals to judge (%.0f and %.0f; %lu needed "
                     "in each)", n1, n2, cfg->min_sample);
        else
            snprintf(note, sizeof note, "loss rate %.1f%% -> %.1f%%: %+.1f percentage points "
                     "(%s relative), %s%s", p2 * 100, p1 * 100, points, rel_text, p_text,
                     *flag ? "" : !big ? "; below the threshold of a real change"
                                       : "; not significant");
        if (*flag && points > 0)
            f->flagged++;
        json_t *row = json_object();
        ok = row && json_array_append_new(rows, row) == 0 &&
             fn_set(row, "transition", json_string(name)) &&
             fn_set(row, "period", json_string(period)) &&
             fn_set(row, "baseline", json_string(baseline)) &&
             fn_set(row, "lost", json_integer((json_int_t)x1)) &&
             fn_set(row, "decided", json_integer((json_int_t)n1)) &&
             fn_set(row, "loss_rate", fn_round(p1, 1e-4)) &&
             fn_set(row, "baseline_lost", json_integer((json_int_t)x2)) &&
             fn_set(row, "baseline_decided", json_integer((json_int_t)n2)) &&
             fn_set(row, "baseline_loss_rate", fn_round(p2, 1e-4)) &&
             fn_set(row, "change_points", fn_round(points, 0.01)) &&
             fn_set(row, "change_relative", fn_round(relative, 1e-4)) &&
             fn_set(row, "z", tested ? fn_round(z, 1e-4) : json_null()) &&
             fn_set(row, "p_value", tested ? four_digits(p) : json_null()) &&
             fn_set(row, "flag", json_string(flag)) && fn_set(row, "note", json_string(note));
    }
    if (!ok) {
        json_decref(rows);
        return NULL;
    }
    return rows;
}

typedef struct chart_ctx {
    long first, last;
    fn_counts *counts;
} chart_ctx;

static fn_counts *chart_bucket(void *ctx, long period)
{
    chart_ctx *c = ctx;
    return period >= c->first && period <= c->last ? &c->counts[period - c->first] : NULL;
}

static json_t *pchart_rows(sop_funnel *f)
{
    size_t span = f->cfg->chart_periods;
    chart_ctx c;
    c.last = fn_period_of(f, sop_cli_now(f->cli)) - 1;
    c.first = c.last - (long)span + 1;
    c.counts = calloc(span, sizeof *c.counts);
    json_t *rows = json_array();
    bool ok = c.counts && rows;
    if (ok)
        count_decisions(f, chart_bucket, &c);
    for (size_t s = 0; ok && s + 1 < f->nst; s++) {
        double lost = 0, decided = 0;
        for (size_t k = 0; k < span; k++) {
            lost += (double)c.counts[k].lost[s];
            decided += (double)c.counts[k].decided[s];
        }
        double pbar = decided > 0 ? lost / decided : NAN;
        char name[160];
        transition_name(f, s, name, sizeof name);
        for (size_t k = 0; ok && k < span; k++) {
            double n = (double)c.counts[k].decided[s], x = (double)c.counts[k].lost[s];
            double lo = NAN, hi = NAN, rate = n > 0 ? x / n : NAN;
            if (n > 0 && isfinite(pbar))
                sop_pchart_limits(pbar, n, f->cfg->sigmas, &lo, &hi);
            const char *signal = !(n > 0) || !isfinite(pbar) ? ""
                                 : rate > hi ? "above" : rate < lo ? "below" : "";
            char period[32];
            fn_period_label(f, c.first + (long)k, period, sizeof period);
            json_t *row = json_object();
            ok = row && json_array_append_new(rows, row) == 0 &&
                 fn_set(row, "transition", json_string(name)) &&
                 fn_set(row, "period", json_string(period)) &&
                 fn_set(row, "decided", json_integer((json_int_t)n)) &&
                 fn_set(row, "lost", json_integer((json_int_t)x)) &&
                 fn_set(row, "loss_rate", fn_round(rate, 1e-4)) &&
                 fn_set(row, "center", fn_round(pbar, 1e-4)) &&
                 fn_set(row, "lower", fn_round(lo, 1e-4)) &&
                 fn_set(row, "upper", fn_round(hi, 1e-4)) &&
                 fn_set(row, "signal", json_string(signal));
        }
    }
    free(c.counts);
    if (!ok) {
        json_decref(rows);
        return NULL;
    }
    return rows;
}

/* ---- lost reasons ---------------------------------------------------------------- */

typedef struct lost_key {
    long group, stage, reason;
} lost_key;

static int by_lost_key(const void *x, const void *y)
{
    const lost_key *a = x, *b = y;
    if (a->group != b->group)
        return a->group < b->group ? -1 : 1;
    if (a->stage != b->stage)
        return a->stage < b->stage ? -1 : 1;
    return (a->reason > b->reason) - (a->reason < b->reason);
}

typedef struct reason_row {
    long group, stage, reason;
    unsigned long count, stage_total;
} reason_row;

typedef struct reason_ctx {
    const sop_strmap *reasons, *groups;
} reason_ctx;

static int by_rank(const void *x, const void *y, void *ctx)
{
    const reason_row *a = x, *b = y;
    const reason_ctx *c = ctx;
    if (a->group != b->group) {
        if (a->group < 0 || b->group < 0)
            return a->group < 0 ? 1 : -1;
        return strcmp(sop_strmap_key(c->groups, (size_t)a->group),
                      sop_strmap_key(c->groups, (size_t)b->group));
    }
    if (a->stage != b->stage)
        return a->stage < b->stage ? -1 : 1;
    if (a->count != b->count)
        return a->count > b->count ? -1 : 1;
    if (a->reason < 0 || b->reason < 0)
        return (a->reason < 0) - (b->reason < 0);
    return strcmp(sop_strmap_key(c->reasons, (size_t)a->reason),
                  sop_strmap_key(c->reasons, (size_t)b->reason));
}

static json_t *reason_rows(sop_funnel *f)
{
    size_t n = 0;
    sop_strmap periods;
    sop_strmap_init(&periods);
    for (size_t i = 0; i < f->deals.count; i++)
        n += fn_deal_of(f, i)->outcome == OUT_LOST;
    lost_key *k = malloc((n ? n : 1) * sizeof *k);
    reason_row *r = malloc((n ? n : 1) * sizeof *r);
    json_t *rows = json_array();
    bool ok = k && r && rows;
    size_t m = 0;
    for (size_t i = 0; ok && i < f->deals.count; i++)
        if (fn_deal_of(f, i)->outcome == OUT_LOST) {
            long g = group_of(f, i, &periods);
            ok = f->by != BY_PERIOD || g >= 0;
            k[m++] = (lost_key){f->by == BY_NONE ? 0 : g, fn_deal_of(f, i)->furthest, fn_deal_of(f, i)->reason};
        }
    if (ok && m > 1)
        qsort(k, m, sizeof *k, by_lost_key);
    size_t rows_n = 0;
    for (size_t i = 0; ok && i < m; i++) {
        if (rows_n == 0 || by_lost_key(&k[i], &r[rows_n - 1]) != 0)
            r[rows_n++] = (reason_row){k[i].group, k[i].stage, k[i].reason, 0, 0};
        r[rows_n - 1].count++;
    }
    /* stage totals */
    for (size_t i = 0, j; ok && i < rows_n; i = j) {
        unsigned long total = 0;
        for (j = i; j < rows_n && r[j].group == r[i].group && r[j].stage == r[i].stage; j++)
            total += r[j].count;
        for (size_t t = i; t < j; t++)
            r[t].stage_total = total;
    }
    const sop_strmap *labels = f->by == BY_PERIOD ? &periods : &f->groups;
    reason_ctx ctx = {&f->reasons, labels};
    if (ok && rows_n > 1)
        qsort_r(r, rows_n, sizeof *r, by_rank, &ctx);
    unsigned long rank = 0;
    for (size_t i = 0; ok && i < rows_n; i++) {
        rank = i > 0 && r[i].group == r[i - 1].group && r[i].stage == r[i - 1].stage ? rank + 1 : 1;
        json_t *row = json_object();
        ok = row && json_array_append_new(rows, row) == 0;
        if (ok && f->by != BY_NONE)
            ok = fn_set(row, f->opts.by, json_string(r[i].group < 0 ? "(none)"
                                                     : sop_strmap_key(labels, (size_t)r[i].group)));
        ok = ok && fn_set(row, "stage", json_string(f->cfg->stage[r[i].stage])) &&
             fn_set(row, "rank", json_integer((json_int_t)rank)) &&
             fn_set(row, "lost_reason", json_string(r[i].reason < 0 ? "(not given)"
                                                    : sop_strmap_key(&f->reasons, (size_t)r[i].reason))) &&
             fn_set(row, "lost", json_integer((json_int_t)r[i].count)) &&
             fn_set(row, "share", fn_round((double)r[i].count / (double)r[i].stage_total, 1e-4));
    }
    free(k);
    free(r);
    sop_strmap_free(&periods);
    if (!ok) {
        json_decref(rows);
        return NULL;
    }
    return rows;
}

/* ---- finish ------------------------------------------------------------------------ */

/* The columns of a table, with --by's column first (for the header of an
 * empty table): into buf (16 entries). */
static const char *const *with_group(const sop_funnel *f, const char *const *columns,
                                     const char **buf)
{
    if (f->by == BY_NONE)
        return columns;
    size_t n = 0;
    buf[n++] = f->opts.by;
    for (size_t i = 0; columns[i] && n < 15; i++)
        buf[n++] = columns[i];
    buf[n] = NULL;
    return buf;
}

static int finish(void *ctx, sop_error *err)
{
    sop_funnel *f = ctx;
    int rc = 0;
    if (f->by == BY_COLUMN && !f->group_bound)
        return sop_error_set(err, SOP_EXIT_DATAERR, NULL, 0, "--by %s: the stage events have no "
                             "column %s", f->opts.by, strcmp(f->opts.by, "rep") == 0 ? "rep_id"
                                                                                 : f->opts.by);
    if (f->opts.activities_path && f->opts.report != SOP_FUNNEL_STAGES_REPORT &&
        f->opts.report != SOP_FUNNEL_BREAKPOINTS && f->opts.report != SOP_FUNNEL_PCHART &&
        f->opts.report != SOP_FUNNEL_REASONS)
        rc = fn_read_activities(f, err);
    if (rc != 0)
        return rc;
    json_t *rows = NULL, *breaks = NULL;
    enum sop_format fallback = SOP_FMT_AUTO;
    static const char *const stage_columns[] = {"stage", "entered", "advanced", "lost", "open",
                                                "conversion", "loss_rate", "reach",
                                                "median_days", "p90_days", NULL};
    static const char *const break_columns[] = {"transition", "period", "baseline", "lost",
                                                "decided", "loss_rate", "baseline_lost",
                                                "baseline_decided", "baseline_loss_rate",
                                                "change_points", "change_relative", "z",
                                                "p_value", "flag", "note", NULL};
    static const char *const chart_columns[] = {"transition", "period", "decided", "lost",
                                                "loss_rate", "center", "lower", "upper",
                                                "signal", NULL};
    static const char *const reason_columns[] = {"stage", "rank", "lost_reason", "lost", "share",
                                                 NULL};
    static const char *const evidence_columns[] = {"kind", "deal_id", "rep_id", "closed_at",
                                                   "stage", "lost_reason", "rule", "detail", NULL};
    static const char *const action_columns[] = {"priority", "trigger", "subject", "period",
                                                 "figures", "action", "owner", NULL};
    static const char *const attrib_columns[] = {"touch", "touches", NULL};
    const char *by_columns[16];
    const char *const *columns = NULL;
    switch (f->opts.report) {
    case SOP_FUNNEL_STAGES_REPORT:
        rows = stage_rows(f);
        columns = with_group(f, stage_columns, by_columns);
        break;
    case SOP_FUNNEL_BREAKPOINTS:
        rows = fn_breakpoint_rows(f);
        columns = break_columns;
        break;
    case SOP_FUNNEL_PCHART:
        rows = pchart_rows(f);
        columns = chart_columns;
        break;
    case SOP_FUNNEL_REASONS:
        rows = reason_rows(f);
        columns = with_group(f, reason_columns, by_columns);
        break;
    case SOP_FUNNEL_EVIDENCE:
        rows = fn_evidence_rows(f);
        columns = evidence_columns;
        break;
    case SOP_FUNNEL_ACTIONS:
        breaks = fn_breakpoint_rows(f);
        rows = breaks ? fn_action_rows(f, breaks) : NULL;
        fallback = SOP_FMT_JSONL;
        columns = action_columns;
        break;
    case SOP_FUNNEL_ATTRIBUTION:
        rows = fn_attribution_rows(f);
        columns = attrib_columns;
        break;
    }
    json_decref(breaks);
    if (rows != NULL && f->opts.breakpoints && f->opts.report != SOP_FUNNEL_BREAKPOINTS &&
        f->opts.report != SOP_FUNNEL_ACTIONS) { /* --fail-on breakpoints with another report */
        breaks = fn_breakpoint_rows(f);
        if (breaks == NULL) {
            json_decref(rows);
            rows = NULL;
        }
        json_decref(breaks);
    }
    if (rows == NULL)
        return fn_oom(err);
    rc = sop_rows_emit(rows, columns, f->cli, fallback, err);
    json_decref(rows);
    if (rc == 0 && f->side_bad > 0)
        rc = sop_error_set(err, SOP_EXIT_DATAERR, f->opts.activities_path, 0,
                           "%lu activit%s rejected", f->side_bad, f->side_bad == 1 ? "y" : "ies");
    return rc;
}

void sop_funnel_model(sop_funnel *f, sop_stream_model *model)
{
    model->ctx = f;
    model->added = NULL;
    model->bind = bind;
    model->record = record;
    model->finish = finish;
    model->consumes = true;
}
