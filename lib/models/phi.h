/* phi.h - phi-calc: the article's process health index (PHI) per group and
 * period from three process measures - how stable lead conversion is, how
 * many customers got the key action, how complete the follow-up records
 * are - its early warning (an EWMA chart), and how far it leads results on
 * the user's own data.  Leads, activities and stage events are read once;
 * what is kept is per group and week (and a set of lead ids), never per
 * row. */
#ifndef SOP_PHI_H
#define SOP_PHI_H

#include <stdbool.h>
#include <stdio.h>

#include "cli.h"
#include "config.h"
#include "error.h"

typedef struct sop_phi_config {
    double window_days;              /* a lead converts within 14 days of created_at */
    char converted_column[SOP_CFG_TEXT]; /* in --leads: converted_at */
    char conversion_stages[SOP_CFG_TEXT]; /* or: a stage event among these */
    char key_stage[SOP_CFG_TEXT];    /* the key action: an activity at need_discovery */
    char key_fields[SOP_CFG_TEXT];   /* that records goal and next_step */
    double key_due_days;             /* due 7 days after created_at */
    double stability_max;            /* 0.15 */
    double completion_min;           /* 0.88 */
    double completeness_min;         /* 0.95 */
    double w_stability, w_completion, w_completeness; /* 1/3 each */
    unsigned long rolling_weeks;     /* 4: a week's figures cover the 4 weeks ending there */
    double lambda;                   /* EWMA 0.2 */
    double sigmas;                   /* 3 */
    unsigned long baseline_weeks;    /* the first 8 periods with a PHI */
    unsigned long max_lag;           /* 8 */
    unsigned long min_pairs;         /* a lag is judged on at least 8 pairs */
} sop_phi_config;

void sop_phi_config_default(sop_phi_config *cfg);
int sop_phi_config_load(const char *path, sop_phi_config *cfg, sop_error *err);
char *sop_phi_config_json(const sop_phi_config *cfg);

enum sop_phi_by { SOP_PHI_BY_NONE, SOP_PHI_BY_TEAM, SOP_PHI_BY_REP };
enum sop_phi_report { SOP_PHI_ROWS, SOP_PHI_LEAD };
enum sop_phi_fail { SOP_PHI_FAIL_NEVER, SOP_PHI_FAIL_WARNING, SOP_PHI_FAIL_RISK };

typedef struct sop_phi_opts {
    const char *program;
    FILE *diag;
    bool quiet;
    const char *leads_path, *activities_path, *events_path, *reps_path, *performance_path;
    const char *audit_config;        /* followup-audit's config: what a complete record is */
    enum sop_phi_by by;
    bool monthly;
    enum sop_phi_report report;
    bool prewhiten;
    enum sop_phi_fail fail_on;
} sop_phi_opts;

/* Reads everything, writes the report; returns the exit status (1 for
 * --fail-on findings) with err set on an error. */
int sop_phi_run(const sop_phi_config *cfg, const sop_cli *cli, const sop_phi_opts *opts,
                sop_error *err);

#endif
