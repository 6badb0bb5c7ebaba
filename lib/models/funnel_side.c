/* funnel_side.c - what funnel-diag reads besides the stage events: the
 * activities (evidence chains, contradictions, touch paths) and aggregated
 * paths; the evidence, action and attribution reports. */
#include "funnel_int.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "reader.h"
#include "report.h"
#include "text.h"
#include "values.h"

enum { TEXT_LEN = 512 };

#define side_bad(f, file, line, ...) \
    sop_side_bad((f)->opts.program, (f)->opts.diag, &(f)->side_bad, file, line, __VA_ARGS__)

/* The next good row of a side file; NULL at its end or on a fatal error
 * (*rc).  Bad rows are reported and skipped. */
static const sop_record *side_row(sop_funnel *f, sop_side *side, int *rc, sop_error *err)
{
    for (;;) {
        int got = sop_side_next(side, err);
        if (got < 0)
            *rc = -got;
        if (got <= 0)
            return NULL;
        if (got != SOP_READ_BAD)
            return &side->rec;
        side_bad(f, side->file, side->rec.line, "%s", sop_reader_bad_reason(side->reader));
    }
}

static void folded(const sop_record *rec, long col, char *out)
{
    size_t len;
    const char *s = sop_record_trimmed(rec, col, &len);
    size_t n = len < TEXT_LEN ? sop_text_fold(s, len, out, TEXT_LEN) : (size_t)-1;
    if (n == (size_t)-1)
        out[0] = '\0';
}

typedef struct rule_words {
    sop_words actions, words;
} rule_words;

static bool matches(const rule_words *w, const char *action, const char *goal, const char *docs)
{
    return (w->actions.count == 0 || sop_words_find(&w->actions, action) >= 0) &&
           (w->words.count == 0 || sop_words_in(&w->words, goal) || sop_words_in(&w->words, docs));
}

static void rule_words_of(const sop_funnel_match *m, rule_words *w)
{
    sop_words_parse(&w->actions, m->actions);
    for (size_t i = 0; i < w->actions.count; i++)
        sop_canonical_action(w->actions.word[i], SOP_WORD_LEN);
    sop_words_parse(&w->words, m->words);
}

static int by_deal_time(const void *x, const void *y)
{
    const fn_touch *a = x, *b = y;
    if (a->deal != b->deal)
        return a->deal < b->deal ? -1 : 1;
    if (a->at != b->at)
        return a->at < b->at ? -1 : 1;
    return (a->seq > b->seq) - (a->seq < b->seq);
}

/* The touch paths of the deals into f->attrib. */
static int build_paths(sop_funnel *f, sop_error *err)
{
    if (f->touch_count > 1)
        qsort(f->touch, f->touch_count, sizeof *f->touch, by_deal_time);
    long *ids = malloc((f->touch_count ? f->touch_count : 1) * sizeof *ids);
    double *ages = malloc((f->touch_count ? f->touch_count : 1) * sizeof *ages);
    if (ids == NULL || ages == NULL) {
        free(ids);
        free(ages);
        return fn_oom(err);
    }
    unsigned long untouched_won = 0;
    char *touched = calloc(f->deals.count ? f->deals.count : 1, 1);
    for (size_t i = 0, j; touched && i < f->touch_count; i = j) {
        uint32_t d = f->touch[i].deal;
        const fn_deal *deal = fn_deal_of(f, d);
        touched[d] = 1;
        for (j = i; j < f->touch_count && f->touch[j].deal == d; j++) {
            ids[j - i] = f->touch[j].touch;
            ages[j - i] = deal->outcome == OUT_WON
                              ? (double)(deal->outcome_at - f->touch[j].at) / 86400.0 : 0;
        }
        bool won = deal->outcome == OUT_WON;
        double value = won && isfinite(deal->amount) ? deal->amount : 0;
        sop_attrib_add(&f->attrib, ids, won ? ages : NULL, j - i, won ? 1 : 0, value,
                       won ? 0 : 1);
    }
    for (size_t d = 0; touched && d < f->deals.count; d++)
        untouched_won += !touched[d] && fn_deal_of(f, d)->outcome == OUT_WON;
    free(ids);
    free(ages);
    bool ok = touched != NULL;
    free(touched);
    if (!ok)
        return fn_oom(err);
    if (untouched_won > 0)
        fn_note(f, "%lu won deal%s had no touch in %s; left out of the attribution",
                untouched_won, untouched_won == 1 ? "" : "s", f->opts.activities_path);
    return 0;
}

int fn_read_activities(sop_funnel *f, sop_error *err)
{
    const sop_funnel_config *cfg = f->cfg;
    const char *touch_col = f->opts.touch ? f->opts.touch : cfg->touch_column;
    const char *names[] = {"deal_id", "at", "action", "goal", "docs", touch_col};
    const bool required[] = {true, true, false, false, false,
                             f->opts.report == SOP_FUNNEL_ATTRIBUTION};
    bool attribution = f->opts.report == SOP_FUNNEL_ATTRIBUTION;
    bool evidence = !attribution;
    f->hit_width = evidence ? cfg->evidence_count + cfg->contradiction_count : 0;
    if (f->hit_width && (f->hits = calloc(f->deals.count * f->hit_width + 1,
                                          sizeof *f->hits)) == NULL)
        return fn_oom(err);
    rule_words *rules = calloc(f->hit_width + 1, sizeof *rules);
    if (rules == NULL)
        return fn_oom(err);
    for (size_t r = 0; r < cfg->evidence_count && evidence; r++)
        rule_words_of(&cfg->evidence[r], &rules[r]);
    for (size_t r = 0; r < cfg->contradiction_count && evidence; r++)
        rule_words_of(&cfg->contradiction[r], &rules[cfg->evidence_count + r]);
    bool touch_is_action = strcmp(touch_col, "action") == 0;
    sop_side side;
    int rc = sop_side_open(&side, f->opts.activities_path, f->cli, 0, names, required, 6, NULL,
                           NULL, err);
    char action[TEXT_LEN], goal[TEXT_LEN], docs[TEXT_LEN], touch[TEXT_LEN];
    uint64_t seq = 0;
    const sop_record *rec;
    while (rc == 0 && (rec = side_row(f, &side, &rc, err)) != NULL) {
        size_t id_len, at_len;
        const char *id = sop_record_trimmed(rec, side.col[0], &id_len);
        const char *at_s = sop_record_trimmed(rec, side.col[1], &at_len);
        if (id_len == 0 || sop_value_missing(NULL, id, id_len)) {
            f->orphan_activities++; /* a lead's activity before there was a deal */
            continue;
        }
        long d = sop_strmap_find(&f->deals, id, id_len);
        if (d < 0) {
            f->orphan_activities++;
            continue;
        }
        int64_t at;
        if (!sop_parse_time(at_s, at_len, &f->cli->tz, true, &at)) {
            side_bad(f, side.file, rec->line, "at \"%.*s\" is not a time", SHOW(at_len), at_s);
            continue;
        }
        if (at > fn_deal_of(f, (size_t)d)->outcome_at)
            continue; /* after the deal closed: no part of how it closed */
        folded(rec, side.col[2], action);
        sop_canonical_action(action, sizeof action);
        if (evidence) {
            folded(rec, side.col[3], goal);
            folded(rec, side.col[4], docs);
            uint32_t *hit = f->hits + (size_t)d * f->hit_width;
            for (size_t r = 0; r < f->hit_width; r++)
                if (matches(&rules[r], action, goal, docs) && hit[r] < UINT32_MAX)
                    hit[r]++;
        }
        if (attribution) {
            if (touch_is_action)
                memcpy(touch, action, sizeof touch);
            else
                folded(rec, side.col[5], touch);
            if (!touch[0])
                continue;
            long t = sop_attrib_touch(&f->attrib, touch, strlen(touch));
            if (t == -2) {
                rc = sop_error_set(err, SOP_EXIT_DATAERR, side.file, rec->line, "more than %d "
                                   "kinds of %s: attribution wants a column of touch types",
                                   SOP_ATTRIB_TOUCHES, touch_col);
                break;
            }
            if (f->touch_count >= f->touch_cap) {
                size_t cap = f->touch_cap ? f->touch_cap * 2 : 4096;
                fn_touch *p = realloc(f->touch, cap * sizeof *p);
                if (p == NULL) {
                    t = -1;
                } else {
                    f->touch = p;
                    f->touch_cap = cap;
                }
            }
            if (t < 0) {
                rc = fn_oom(err);
                break;
            }
            f->touch[f->touch_count++] = (fn_touch){(uint32_t)d, (int32_t)t, at, seq++};
        }
    }
    sop_side_close(&side);
    free(rules);
    if (rc == 0 && f->orphan_activities > 0)
        fn_note(f, "%lu activit%s of deals without stage events (or without a deal_id) left out",
                f->orphan_activities, f->orphan_activities == 1 ? "y" : "ies");
    if (rc == 0 && attribution)
        rc = build_paths(f, err);
    return rc;
}

/* ---- evidence ------------------------------------------------------------------ */

typedef struct finding {
    size_t deal;
    int kind;      /* 0 missing evidence, 1 contradiction */
    size_t rule;   /* contradiction rule */
} finding;

typedef struct finding_ctx {
    const sop_funnel *f;
} finding_ctx;

static int by_finding(const void *x, const void *y, void *ctx)
{
    const finding *a = x, *b = y;
    const sop_funnel *f = ((const finding_ctx *)ctx)->f;
    int64_t ta = fn_deal_of(f, a->deal)->outcome_at, tb = fn_deal_of(f, b->deal)->outcome_at;
    if (ta != tb)
        return ta < tb ? -1 : 1;
    int c = strcmp(sop_strmap_key(&f->deals, a->deal), sop_strmap_key(&f->deals, b->deal));
    if (c != 0)
        return c;
    if (a->kind != b->kind)
        return a->kind - b->kind;
    return (a->rule > b->rule) - (a->rule < b->rule);
}

/* Whether lost deal d's reason names contradiction rule r's words. */
static bool reason_matches(const sop_funnel *f, size_t d, const sop_words *reasons)
{
    long r = fn_deal_of(f, d)->reason;
    if (r < 0)
        return false;
    char text[TEXT_LEN];
    const char *s = sop_strmap_key(&f->reasons, (size_t)r);
    size_t n = sop_strmap_len(&f->reasons, (size_t)r);
    if (n >= TEXT_LEN || sop_text_fold(s, n, text, sizeof text) == (size_t)-1)
        return false;
    return sop_words_in(reasons, text);
}

static bool missing_evidence(const sop_funnel *f, size_t d)
{
    const uint32_t *hit = f->hits + d * f->hit_width;
    for (size_t r = 0; r < f->cfg->evidence_count; r++)
        if (hit[r] < f->cfg->evidence[r].min)
            return true;
    return false;
}

static bool contradicts(const sop_funnel *f, size_t d, size_t r, const sop_words *reasons)
{
    return fn_deal_of(f, d)->outcome == OUT_LOST && f->hits[d * f->hit_width + f->cfg->evidence_count + r] == 0 &&
           reason_matches(f, d, reasons);
}

json_t *fn_evidence_rows(const sop_funnel *f)
{
    const sop_funnel_config *cfg = f->cfg;
    size_t n = 0, cap = 64;
    finding *list = malloc(cap * sizeof *list);
    sop_words *reasons = calloc(cfg->contradiction_count + 1, sizeof *reasons);
    json_t *rows = json_array();
    bool ok = list && reasons && rows;
    for (size_t r = 0; ok && r < cfg->contradiction_count; r++)
        sop_words_parse(&reasons[r], cfg->contradiction[r].reasons);
    for (size_t d = 0; ok && d < f->deals.count; d++) {
        for (size_t r = 0; r <= cfg->contradiction_count && ok; r++) {
            bool hit = r == 0 ? fn_deal_of(f, d)->outcome == OUT_WON && missing_evidence(f, d)
                              : contradicts(f, d, r - 1, &reasons[r - 1]);
            if (!hit)
                continue;
            if (n == cap) {
                finding *p = realloc(list, 2 * cap * sizeof *p);
                ok = p != NULL;
                if (!ok)
                    break;
                list = p;
                cap *= 2;
            }
            list[n++] = (finding){d, r == 0 ? 0 : 1, r == 0 ? 0 : r - 1};
        }
    }
    finding_ctx ctx = {f};
    if (ok && n > 1)
        qsort_r(list, n, sizeof *list, by_finding, &ctx);
    for (size_t i = 0; ok && i < n; i++) {
        size_t d = list[i].deal;
        const fn_deal *deal = fn_deal_of(f, d);
        const uint32_t *hit = f->hits + d * f->hit_width;
        char when[32], rule[512] = "", detail[1024] = "";
        sop_format_time(deal->outcome_at, &f->cli->tz, when, sizeof when);
        size_t rn = 0, dn = 0;
        if (list[i].kind == 0) {
            for (size_t r = 0; r < cfg->evidence_count; r++) {
                if (hit[r] >= cfg->evidence[r].min)
                    continue;
                rn += (size_t)snprintf(rule + rn, rn < sizeof rule ? sizeof rule - rn : 0, "%s%s",
                                       rn ? ";" : "", cfg->evidence[r].name);
                dn += (size_t)snprintf(detail + dn, dn < sizeof detail ? sizeof detail - dn : 0,
                                       "%s%s: %u of %lu", dn ? "; " : "", cfg->evidence[r].name,
                                       hit[r], cfg->evidence[r].min);
            }
        } else {
            const sop_funnel_match *m = &cfg->contradiction[list[i].rule];
            snprintf(rule, sizeof rule, "%s", m->name);
            snprintf(detail, sizeof detail, "lost on \"%s\", but no activity before the loss "
                     "shows what the reason implies (%s%s%s)",
                     sop_strmap_key(&f->reasons, (size_t)deal->reason),
                     m->actions[0] ? m->actions : "", m->actions[0] && m->words[0] ? "; " : "",
                     m->words);
        }
        json_t *row = json_object();
        ok = row && json_array_append_new(rows, row) == 0 &&
             fn_set(row, "kind", json_string(list[i].kind == 0 ? "missing_evidence"
                                                                : "contradiction")) &&
             fn_set(row, "deal_id", json_string(sop_strmap_key(&f->deals, d))) &&
             fn_set(row, "rep_id", deal->rep >= 0 ? json_string(sop_strmap_key(&f->reps,
                                                                               (size_t)deal->rep))
                                                  : json_string("")) &&
             fn_set(row, "closed_at", json_string(when)) &&
             fn_set(row, "stage", json_string(cfg->stage[deal->furthest])) &&
             fn_set(row, "lost_reason", json_string(deal->reason >= 0
                                                    ? sop_strmap_key(&f->reasons, (size_t)deal->reason)
                                                    : "")) &&
             fn_set(row, "rule", json_string(rule)) && fn_set(row, "detail", json_string(detail));
    }
    free(list);
    free(reasons);
    if (!ok) {
        json_decref(rows);
        return NULL;
    }
    return rows;
}

/* ---- actions ------------------------------------------------------------------- */

static const sop_funnel_template *template_for(const sop_funnel_config *cfg, const char *kind,
                                               const char *subject)
{
    char exact[160];
    snprintf(exact, sizeof exact, "%s:%s", kind, subject);
    for (size_t i = 0; i < cfg->template_count; i++)
        if (strcmp(cfg->templates[i].when, exact) == 0)
            return &cfg->templates[i];
    for (size_t i = 0; i < cfg->template_count; i++)
        if (strcmp(cfg->templates[i].when, kind) == 0)
            return &cfg->templates[i];
    return NULL;
}

typedef struct fill {
    const char *from, *to, *period, *unit, *name;
    unsigned long count;
} fill;

/* The template's text with {from} {to} {period} {unit} {name} {count}
 * filled in; unknown braces stay as they are. */
static void expand(const char *text, const fill *v, char *out, size_t cap)
{
    size_t n = 0;
    for (const char *p = text; *p && n + 1 < cap;) {
        const char *val = NULL;
        char num[32];
        size_t skip = 0;
        static const char *const keys[] = {"{from}", "{to}", "{period}", "{unit}", "{name}",
                                           "{count}"};
        for (size_t k = 0; *p == '{' && k < 6 && !val; k++)
            if (strncmp(p, keys[k], strlen(keys[k])) == 0) {
                skip = strlen(keys[k]);
                const char *vals[] = {v->from, v->to, v->period, v->unit, v->name, NULL};
                if (k == 5) {
                    snprintf(num, sizeof num, "%lu", v->count);
                    val = num;
                } else {
                    val = vals[k] ? vals[k] : "";
                }
            }
        if (val) {
            n += (size_t)snprintf(out + n, cap - n, "%s", val);
            if (n >= cap)
                n = cap - 1;
            p += skip;
        } else {
            out[n++] = *p++;
        }
    }
    out[n < cap ? n : cap - 1] = '\0';
}

static bool add_action(json_t *rows, const char *trigger, const char *subject, json_t *period,
                       json_t *figures, const char *text)
{
    json_t *row = json_object();
    bool ok = row && json_array_append_new(rows, row) == 0 &&
              fn_set(row, "priority", json_integer((json_int_t)json_array_size(rows))) &&
              fn_set(row, "trigger", json_string(trigger)) &&
              fn_set(row, "subject", json_string(subject)) && fn_set(row, "period", period) &&
              fn_set(row, "figures", figures) && fn_set(row, "action", json_string(text)) &&
              fn_set(row, "owner", json_string("supervisor"));
    if (!ok) {
        json_decref(period);
        json_decref(figures);
    }
    return ok;
}

static int by_change(const void *x, const void *y)
{
    double a = json_real_value(json_object_get(*(json_t *const *)x, "change_points"));
    double b = json_real_value(json_object_get(*(json_t *const *)y, "change_points"));
    return (a < b) - (a > b);
}

json_t *fn_action_rows(sop_funnel *f, const json_t *breakpoints)
{
    const sop_funnel_config *cfg = f->cfg;
    json_t *rows = json_array();
    size_t nb = json_array_size(breakpoints), nw = 0;
    json_t **worse = malloc((nb ? nb : 1) * sizeof *worse);
    bool ok = rows && worse;
    for (size_t i = 0; ok && i < nb; i++) {
        json_t *b = json_array_get(breakpoints, i);
        if (strcmp(json_string_value(json_object_get(b, "flag")), "worse") == 0)
            worse[nw++] = b;
    }
    if (ok && nw > 1)
        qsort(worse, nw, sizeof *worse, by_change);
    char text[1024];
    const char *unit = f->period == 0 ? "week" : "month";
    for (size_t i = 0; ok && i < nw; i++) {
        json_t *b = worse[i];
        const char *name = json_string_value(json_object_get(b, "transition"));
        const char *gt = strchr(name, '>');
        char from[SOP_WORD_LEN];
        snprintf(from, sizeof from, "%.*s", (int)(gt - name), name);
        const sop_funnel_template *t = template_for(cfg, "breakpoint", name);
        if (t == NULL)
            continue;
        fill v = {from, gt + 1, json_string_value(json_object_get(b, "period")), unit, name, 0};
        expand(t->text, &v, text, sizeof text);
        json_t *fig = json_object();
        static const char *const keys[] = {"loss_rate", "baseline_loss_rate", "change_points",
                                           "change_relative", "p_value", "decided",
                                           "baseline_decided"};
        for (size_t k = 0; fig && k < sizeof keys / sizeof keys[0]; k++)
            if (json_object_set(fig, keys[k], json_object_get(b, keys[k])) != 0) {
                json_decref(fig);
                fig = NULL;
            }
        ok = fig && add_action(rows, "breakpoint", name, json_copy(json_object_get(b, "period")),
                               fig, text);
    }
    if (ok && f->hits == NULL) {
        if (f->opts.activities_path == NULL)
            fn_note(f, "without --activities the actions come from breakpoints only");
    } else if (ok) {
        /* frequent contradictions, then evidence gaps */
        for (size_t r = 0; ok && r < cfg->contradiction_count; r++) {
            sop_words reasons;
            sop_words_parse(&reasons, cfg->contradiction[r].reasons);
            unsigned long on_reason = 0, count = 0;
            for (size_t d = 0; d < f->deals.count; d++)
                if (fn_deal_of(f, d)->outcome == OUT_LOST && reason_matches(f, d, &reasons)) {
                    on_reason++;
                    count += f->hits[d * f->hit_width + cfg->evidence_count + r] == 0;
                }
            const sop_funnel_template *t = template_for(cfg, "contradiction",
                                                        cfg->contradiction[r].name);
            if (count < cfg->action_min_deals || t == NULL)
                continue;
            fill v = {"", "", "", unit, cfg->contradiction[r].name, count};
            expand(t->text, &v, text, sizeof text);
            json_t *fig = json_object();
            ok = fig && fn_set(fig, "deals", json_integer((json_int_t)count)) &&
                 fn_set(fig, "lost_on_reason", json_integer((json_int_t)on_reason)) &&
                 fn_set(fig, "share", fn_round((double)count / (double)on_reason, 1e-4)) &&
                 add_action(rows, "contradiction", cfg->contradiction[r].name, json_null(), fig,
                            text);
        }
        unsigned long won = 0;
        for (size_t d = 0; d < f->deals.count; d++)
            won += fn_deal_of(f, d)->outcome == OUT_WON;
        for (size_t r = 0; ok && r < cfg->evidence_count; r++) {
            unsigned long count = 0;
            for (size_t d = 0; d < f->deals.count; d++)
                count += fn_deal_of(f, d)->outcome == OUT_WON &&
                         f->hits[d * f->hit_width + r] < cfg->evidence[r].min;
            const sop_funnel_template *t = template_for(cfg, "evidence", cfg->evidence[r].name);
            if (count < cfg->action_min_deals || t == NULL)
                continue;
            fill v = {"", "", "", unit, cfg->evidence[r].name, count};
            expand(t->text, &v, text, sizeof text);
            json_t *fig = json_object();
            ok = fig && fn_set(fig, "won_deals_missing", json_integer((json_int_t)count)) &&
                 fn_set(fig, "won_deals", json_integer((json_int_t)won)) &&
                 fn_set(fig, "share", fn_round((double)count / (double)won, 1e-4)) &&
                 add_action(rows, "evidence", cfg->evidence[r].name, json_null(), fig, text);
        }
    }
    free(worse);
    if (!ok) {
        json_decref(rows);
        return NULL;
    }
    return rows;
}

/* ---- attribution -------------------------------------------------------------- */

json_t *fn_attribution_rows(sop_funnel *f)
{
    double p;
    json_t *rows = sop_attrib_rows(&f->attrib, f->models, &p);
    if (rows) {
        char markov[64] = "";
        if (p >= 0)
            snprintf(markov, sizeof markov, "; Markov conversion probability %.4f", p);
        fn_note(f, "attribution: %lu path%s, %.0f converting, %.0f not, conversion value %.2f%s",
                f->attrib.paths, f->attrib.paths == 1 ? "" : "s", f->attrib.conversions, f->attrib.nulls,
                f->attrib.conversion_value, markov);
    }
    return rows;
}

/* ---- aggregated paths (--paths) -------------------------------------------------- */

static bool count_of(const sop_record *rec, long col, bool required, double *out)
{
    size_t len;
    const char *s = sop_record_trimmed(rec, col, &len);
    *out = 0;
    if (len == 0 || sop_value_missing(NULL, s, len))
        return !required;
    return sop_parse_number(s, len, out) && *out >= 0 && isfinite(*out);
}

int sop_funnel_paths(sop_funnel *f, sop_error *err)
{
    const char *names[] = {"path", "total_conversions", "total_conversion_value", "total_null"};
    const bool required[] = {true, true, false, true};
    sop_side side;
    char delim = f->cli->delimiter ? f->cli->delimiter : ';';
    int rc = sop_side_open(&side, f->opts.paths_path, f->cli, delim, names, required, 4, NULL,
                           NULL, err);
    typedef struct step {
        size_t at, len;
    } step;
    step *steps = NULL;
    long *ids = NULL;
    size_t cap = 0;
    const sop_record *rec;
    while (rc == 0 && (rec = side_row(f, &side, &rc, err)) != NULL) {
        double conv, value, nulls;
        if (!count_of(rec, side.col[1], true, &conv) || !count_of(rec, side.col[2], false, &value) ||
            !count_of(rec, side.col[3], true, &nulls)) {
            side_bad(f, side.file, rec->line, "total_conversions, total_conversion_value and "
                     "total_null want numbers >= 0");
            continue;
        }
        size_t len;
        const char *path = sop_record_trimmed(rec, side.col[0], &len);
        /* the steps first, so a bad row adds no touch type */
        size_t n = 0;
        bool bad = len == 0;
        for (size_t i = 0; !bad && i <= len;) {
            size_t j = i;
            while (j < len && path[j] != '>')
                j++;
            size_t a = i, b = j;
            while (a < b && (path[a] == ' ' || path[a] == '\t'))
                a++;
            while (b > a && (path[b - 1] == ' ' || path[b - 1] == '\t'))
                b--;
            bad = a == b;
            if (!bad && n == cap) {
                size_t c = cap ? cap * 2 : 64;
                step *p = realloc(steps, c * sizeof *p);
                long *q = realloc(ids, c * sizeof *q);
                if (p)
                    steps = p;
                if (q)
                    ids = q;
                if (p == NULL || q == NULL) {
                    rc = fn_oom(err);
                    break;
                }
                cap = c;
            }
            if (!bad)
                steps[n++] = (step){a, b - a};
            i = j + 1;
        }
        if (rc != 0)
            break;
        if (bad) {
            side_bad(f, side.file, rec->line, "path \"%.*s\" has an empty step (steps are "
                     "separated by >)", SHOW(len), path);
            continue;
        }
        for (size_t k = 0; k < n && rc == 0; k++) {
            long t = sop_attrib_touch(&f->attrib, path + steps[k].at, steps[k].len);
            if (t == -2)
                rc = sop_error_set(err, SOP_EXIT_DATAERR, side.file, rec->line, "more than %d "
                                   "touch types", SOP_ATTRIB_TOUCHES);
            else if (t < 0)
                rc = fn_oom(err);
            ids[k] = t;
        }
        if (rc != 0)
            break;
        if (conv + nulls > 0)
            sop_attrib_add(&f->attrib, ids, NULL, n, conv, value, nulls);
    }
    sop_side_close(&side);
    free(ids);
    free(steps);
    if (rc != 0)
        return rc;
    json_t *rows = fn_attribution_rows(f);
    static const char *const columns[] = {"touch", "touches", NULL};
    rc = rows ? sop_rows_emit(rows, columns, f->cli, SOP_FMT_AUTO, err) : fn_oom(err);
    json_decref(rows);
    if (rc == 0 && f->side_bad > 0)
        rc = sop_error_set(err, SOP_EXIT_DATAERR, f->opts.paths_path, 0, "%lu path%s rejected",
                           f->side_bad, f->side_bad == 1 ? "" : "s");
    return rc;
}
