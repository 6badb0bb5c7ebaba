/* funnel_int.h - what funnel.c (events, stages, breakpoints, reasons) and
 * funnel_side.c (activities, evidence, actions, attribution) share. */
#ifndef SOP_FUNNEL_INT_H
#define SOP_FUNNEL_INT_H

#include <jansson.h>
#include <stdint.h>

#include "attrib.h"
#include "funnel.h"
#include "strmap.h"
#include "words.h"

enum { OUT_OPEN = 0, OUT_WON = 1, OUT_LOST = 2 };

typedef struct fn_deal {
    int64_t first_at;      /* its earliest event */
    int64_t last_at;       /* its latest stage entry */
    int64_t outcome_at;    /* INT64_MAX: open */
    int64_t group_at, rep_at, amount_at; /* when the group, rep, amount were written */
    long outcome_line;
    long reason;           /* into reasons, -1 */
    long group;            /* into groups (--by COLUMN), -1 */
    long rep;              /* into reps, -1 */
    double amount;         /* the latest amount given, NAN */
    signed char outcome;   /* OUT_* */
    signed char furthest;  /* the furthest stage entered, -1 */
} fn_deal;

/* One bucket of decisions at each stage: lost and decided (lost + advanced). */
typedef struct fn_counts {
    unsigned long lost[SOP_FUNNEL_STAGES], decided[SOP_FUNNEL_STAGES];
} fn_counts;

/* a touch of a deal (attribution) */
typedef struct fn_touch {
    uint32_t deal;
    int32_t touch;
    int64_t at;
    uint64_t seq;
} fn_touch;

/* What a short value (a stage, an outcome, a rep) means, remembered by
 * its text: a column's few distinct values are folded and looked up once,
 * not on every event. */
enum { MEMO_TEXT = 30 };
typedef struct fn_memo {
    bool used;
    unsigned char len;
    char text[MEMO_TEXT];
    long value;
} fn_memo;

struct sop_funnel {
    const sop_funnel_config *cfg;
    const sop_cli *cli;
    sop_funnel_opts opts;
    size_t nst;            /* stages; the won stage is nst - 1 */
    sop_words won, lost;   /* outcome values */
    int period;            /* 0 week, 1 month */
    unsigned long baseline;
    unsigned models;
    /* columns of the events */
    long col_deal, col_stage, col_at, col_rep, col_amount, col_outcome, col_reason, col_group;
    enum { BY_NONE, BY_PERIOD, BY_COLUMN } by;
    bool group_bound;      /* the --by column was seen */
    /* deals */
    sop_strmap deals;
    unsigned char *block;  /* per deal: its fn_deal, then when it entered each stage
                              (INT64_MAX: not), in one record of stride bytes */
    size_t stride;
    size_t deal_cap;
    sop_strmap reasons, groups, reps;
    fn_memo stage_memo[64], outcome_memo[64], rep_memo[256], group_memo[256];
    /* what finish found */
    size_t flagged;
    /* activities */
    unsigned long side_bad;
    uint32_t *hits;        /* deal * (evidence + contradictions): matching activities */
    size_t hit_width;
    fn_touch *touch;
    size_t touch_count, touch_cap;
    sop_attrib attrib;
    unsigned long orphan_activities;
    /* the breakpoints (finish computes them once) */
    long current;          /* the last complete period */
    fn_counts now_counts, base_counts;
};

static inline fn_deal *fn_deal_of(const sop_funnel *f, size_t i)
{
    return (fn_deal *)(void *)(f->block + i * f->stride);
}
static inline int64_t *fn_at_of(const sop_funnel *f, size_t i)
{
    return (int64_t *)(void *)(f->block + i * f->stride + sizeof(fn_deal));
}

#define SHOW(len) (int)((len) > 40 ? 40 : (len))

int fn_oom(sop_error *err);
#define fn_note(f, ...) \
    sop_note((f)->opts.diag, (f)->opts.program, (f)->opts.quiet, __VA_ARGS__)
/* The period (week or month number) of an instant, and its label. */
long fn_period_of(const sop_funnel *f, int64_t at);
void fn_period_label(const sop_funnel *f, long period, char *buf, size_t size);
/* When deal d left stage s (entered a later one), INT64_MAX if it did not. */
int64_t fn_left_at(const sop_funnel *f, size_t d, size_t s);
/* The breakpoint rows (and f->flagged). */
json_t *fn_breakpoint_rows(sop_funnel *f);
bool fn_set(json_t *o, const char *key, json_t *v);
json_t *fn_round(double x, double unit);

/* funnel_side.c */
int fn_read_activities(sop_funnel *f, sop_error *err);
json_t *fn_evidence_rows(const sop_funnel *f);
json_t *fn_action_rows(sop_funnel *f, const json_t *breakpoints);
json_t *fn_attribution_rows(sop_funnel *f);

#endif
