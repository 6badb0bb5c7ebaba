/* funnel.h - funnel-diag: where deals leak, whether a shift is real, what
 * evidence stands behind won and lost deals, what to do about it, and
 * which touches drive closes.  Stage events are read once, in any order;
 * what is kept is per deal (its furthest stage, when it entered each,
 * its outcome) and per group, never per event. */
#ifndef SOP_FUNNEL_H
#define SOP_FUNNEL_H

#include <stdbool.h>
#include <stdio.h>

#include "cli.h"
#include "config.h"
#include "error.h"
#include "stream.h"

enum {
    SOP_FUNNEL_STAGES = 16,   /* stages of the funnel, the won stage last */
    SOP_FUNNEL_ALIASES = 64,  /* other names of the stages */
    SOP_FUNNEL_RULES = 8,     /* evidence items, contradiction rules */
    SOP_FUNNEL_TEMPLATES = 16 /* action templates */
};

/* An evidence item of a won deal ("at least 2 on-site visits"): the
 * activities of the deal up to its close that match (an action among
 * `actions` when given, a word of `words` in goal or docs when given). */
typedef struct sop_funnel_match {
    char name[64];
    unsigned long min;           /* evidence: this many needed */
    char actions[SOP_CFG_TEXT];  /* comma-separated; "" any */
    char words[SOP_CFG_TEXT];    /* comma-separated; "" any */
    char reasons[SOP_CFG_TEXT];  /* contradictions: lost reasons containing one */
} sop_funnel_match;

typedef struct sop_funnel_template {
    char when[96];   /* breakpoint[:FROM>TO], contradiction[:NAME], evidence[:NAME] */
    char text[512];  /* the action; {from} {to} {period} {unit} {name} {count} are filled in */
} sop_funnel_template;

typedef struct sop_funnel_config {
    size_t stage_count;
    char stage[SOP_FUNNEL_STAGES][64];       /* folded, in order, won last */
    size_t alias_count;
    char alias[SOP_FUNNEL_ALIASES][64];      /* folded */
    int alias_stage[SOP_FUNNEL_ALIASES];
    char won[SOP_CFG_TEXT], lost[SOP_CFG_TEXT]; /* outcome values */
    int period;                              /* 0 week, 1 month */
    double min_change_points;                /* 10 percentage points */
    double min_change_relative;              /* 0: not required */
    double alpha;                            /* 0.05 */
    unsigned long min_sample;                /* 30 decided deals in each period */
    unsigned long baseline_periods;          /* 1: the previous period */
    unsigned long chart_periods;             /* p-chart: 12 periods */
    double sigmas;                           /* 3 */
    size_t evidence_count;
    sop_funnel_match evidence[SOP_FUNNEL_RULES];
    size_t contradiction_count;
    sop_funnel_match contradiction[SOP_FUNNEL_RULES];
    size_t template_count;
    sop_funnel_template templates[SOP_FUNNEL_TEMPLATES];
    unsigned long action_min_deals;          /* a contradiction or gap this often: an action */
    double half_life_days;                   /* time-decay attribution: 7 */
    double position_first, position_last;    /* position-based: 0.4 / 0.4 */
    char touch_column[64];                   /* attribution: the activities' "action" */
} sop_funnel_config;

void sop_funnel_config_default(sop_funnel_config *cfg);
int sop_funnel_config_load(const char *path, sop_funnel_config *cfg, sop_error *err);
char *sop_funnel_config_json(const sop_funnel_config *cfg);

enum sop_funnel_report {
    SOP_FUNNEL_STAGES_REPORT,
    SOP_FUNNEL_BREAKPOINTS,
    SOP_FUNNEL_PCHART,
    SOP_FUNNEL_REASONS,
    SOP_FUNNEL_EVIDENCE,
    SOP_FUNNEL_ACTIONS,
    SOP_FUNNEL_ATTRIBUTION
};
bool sop_funnel_report_parse(const char *name, enum sop_funnel_report *out);

/* Attribution models; a set of bits of these. */
enum sop_attrib_model {
    SOP_ATTRIB_FIRST,
    SOP_ATTRIB_LAST,
    SOP_ATTRIB_LINEAR,
    SOP_ATTRIB_TIME_DECAY,
    SOP_ATTRIB_POSITION,
    SOP_ATTRIB_MARKOV,
    SOP_ATTRIB_MODELS
};
/* "markov", "time-decay", "first,last", "all" -> bits; false when unknown. */
bool sop_attrib_models_parse(const char *list, unsigned *bits);

typedef struct sop_funnel_opts {
    const char *program;
    FILE *diag;
    bool quiet;
    enum sop_funnel_report report;
    const char *activities_path;  /* --activities */
    const char *paths_path;       /* --paths: aggregated paths instead of events */
    const char *by;               /* --by: period, rep, source or a column; NULL none */
    int period;                   /* --period: -1 the config's, 0 week, 1 month */
    unsigned long baseline;       /* --baseline N periods; 0 the config's */
    unsigned models;              /* --model bits; 0 all */
    const char *touch;            /* --touch COLUMN; NULL the config's */
    bool breakpoints;             /* --fail-on breakpoints: judge them whatever the report */
} sop_funnel_opts;

typedef struct sop_funnel sop_funnel;

int sop_funnel_new(sop_funnel **f, const sop_funnel_config *cfg, const sop_cli *cli,
                   const sop_funnel_opts *opts, sop_error *err);
void sop_funnel_model(sop_funnel *f, sop_stream_model *model);
/* --paths: the attribution report from aggregated paths (no events). */
int sop_funnel_paths(sop_funnel *f, sop_error *err);
/* Flagged breakpoints (worse) of the last run, for --fail-on. */
size_t sop_funnel_flagged(const sop_funnel *f);
void sop_funnel_free(sop_funnel *f);

#endif
