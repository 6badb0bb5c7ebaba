/* audit.h - followup-audit: follow-up records checked against a process
 * definition (what a record must hold, what each action must deliver, how
 * fast the first call must come, how long a stage may take), and the
 * reports a supervisor acts on: records, to-dos, heatmap, coaching,
 * summary.  Activities are read once, in any order; what is kept is per
 * lead, per deal and per rep, never per activity. */
#ifndef SOP_AUDIT_H
#define SOP_AUDIT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "cli.h"
#include "config.h"
#include "error.h"
#include "record.h"
#include "stream.h"
#include "writer.h"

/* The fields a record can be required to hold. */
enum sop_audit_field {
    SOP_AF_GOAL,
    SOP_AF_OBJECTION,
    SOP_AF_NEXT_STEP,
    SOP_AF_NEXT_DUE,
    SOP_AF_DOCS,
    SOP_AF_DURATION,
    SOP_AF_COUNT
};

enum { SOP_AUDIT_DEADLINES = 6 }; /* the stages with a deadline in the config */

/* An action node of the process (the article's "first call within 2 h of
 * assignment"): when it is due (its trigger plus deadline_hours), which
 * activities do it (actions, with the deliverable: a field that must be
 * filled, or "docs:WORD,WORD" for a document), and who answers for it. */
enum { SOP_AUDIT_NODES = 16 };
enum sop_audit_trigger {
    SOP_TRIGGER_ASSIGNED, /* the lead's assignment (--leads owner and assigned_at) */
    SOP_TRIGGER_STAGE,    /* the customer's first activity in a stage */
    SOP_TRIGGER_AFTER     /* another node done */
};
typedef struct sop_audit_node {
    char name[64];
    enum sop_audit_trigger trigger;
    char trigger_arg[64];          /* the stage or the node */
    char actions[SOP_CFG_TEXT];    /* comma-separated */
    char deliverable[SOP_CFG_TEXT];
    double deadline_hours;
    bool supervisor;               /* owner role: the supervisor, not the rep */
} sop_audit_node;

typedef struct sop_audit_config {
    unsigned required;                   /* bits of sop_audit_field: goal, next_step */
    bool objection_stage_needs_objection; /* stage objection: the objection is recorded */
    char quote_docs[SOP_CFG_TEXT];       /* a quote links a document named like these */
    char proposal_docs[SOP_CFG_TEXT];
    char contract_docs[SOP_CFG_TEXT];
    char stages[SOP_CFG_TEXT];           /* the process's stages, in order */
    char closed_stages[SOP_CFG_TEXT];    /* a customer whose record reached these is done */
    double stale_days;                   /* 30: no follow-up this long, promise not done */
    size_t node_count;                   /* the process's action nodes */
    sop_audit_node nodes[SOP_AUDIT_NODES];
    char owner_column[SOP_CFG_TEXT];     /* in --leads: "owner" */
    char start_column[SOP_CFG_TEXT];     /* in --leads: "assigned_at" */
    double stage_days[SOP_AUDIT_DEADLINES]; /* deadline per default stage (0: none) */
    unsigned long streak;                /* 3 deals in a row over a stage's deadline */
    double review_days;                  /* 30: only streaks completed this recently */
    char coach_time_stage[SOP_CFG_TEXT]; /* need_discovery */
    double coach_time_above;             /* 2.0: more than 200% above the team */
    char coach_done_stage[SOP_CFG_TEXT]; /* solution_match */
    double coach_done_below;             /* 0.4: completion under 40% */
    unsigned long coach_min_activities;  /* activities needed to judge a rep */
    double hot_factor, cold_factor;      /* heatmap: cells 1.5x above / 0.5x below the stage */
} sop_audit_config;

void sop_audit_config_default(sop_audit_config *cfg);
int sop_audit_config_load(const char *path, sop_audit_config *cfg, sop_error *err);
char *sop_audit_config_json(const sop_audit_config *cfg);

enum sop_audit_report {
    SOP_AUDIT_TODOS,
    SOP_AUDIT_RECORDS,
    SOP_AUDIT_HEATMAP,
    SOP_AUDIT_COACHING,
    SOP_AUDIT_SUMMARY
};
bool sop_audit_report_parse(const char *name, enum sop_audit_report *out);

typedef struct sop_audit_opts {
    const char *program;
    FILE *diag;
    bool quiet;
    enum sop_audit_report report;
    const char *leads_path;  /* --leads (may be NULL) */
    const char *reps_path;   /* --reps (may be NULL) */
    const char *events_path; /* --events: stage events, for stage times and closed deals */
} sop_audit_opts;

typedef struct sop_audit sop_audit;

/* Reads --leads and --reps (errors 65/66 naming file and line) and sets up
 * the report. */
int sop_audit_new(sop_audit **a, const sop_audit_config *cfg, const sop_cli *cli,
                  const sop_audit_opts *opts, sop_error *err);
void sop_audit_model(sop_audit *a, sop_stream_model *model);
/* How many to-dos the run found (for --fail-on todos). */
size_t sop_audit_todo_count(const sop_audit *a);
void sop_audit_free(sop_audit *a);

/* Checks one record's fields (for tests and for phi-calc's completeness):
 * returns true when complete, else lists what is missing in missing
 * ("goal;docs (a quote document)"). */
typedef struct sop_audit_checker sop_audit_checker;
int sop_audit_checker_new(sop_audit_checker **c, const sop_audit_config *cfg, sop_error *err);
/* The columns of the activities: call when the schema is known. */
void sop_audit_checker_bind(sop_audit_checker *c, const sop_schema *schema);
bool sop_audit_check(const sop_audit_checker *c, const sop_record *rec, sop_buf *missing);
void sop_audit_checker_free(sop_audit_checker *c);

#endif
