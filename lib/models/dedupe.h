/* dedupe.h - dedupe-clean's model: the same customer found across messy
 * records.  Each configured field (company, person, phone, e-mail,
 * address, city, free text, exact id) is normalised (dedupe_norm.h,
 * keys.h); candidate pairs come from blocks of equal keys and from a fuzzy
 * key (the company key with one character left out), each block capped;
 * a pair's fields are compared on code points into levels (same, close,
 * similar, different; a blank is unknown and weighs nothing) and weighed
 * Fellegi-Sunter style (log2 m/u) into a match probability; matches are
 * clustered by union-find with a guard against chaining; the records come
 * out tagged with their cluster, as one golden record per cluster, or as
 * the scored pairs.  Optional: lineage, a review file, incremental
 * matching against a master, the m/u fitted by EM, pairwise precision and
 * recall against a truth column. */
#ifndef SOP_DEDUPE_H
#define SOP_DEDUPE_H

#include <stdbool.h>
#include <stdio.h>

#include "cli.h"
#include "config.h"
#include "error.h"
#include "stream.h"

typedef enum sop_dedupe_type {
    SOP_DT_COMPANY, SOP_DT_PERSON, SOP_DT_PHONE, SOP_DT_EMAIL, SOP_DT_ADDRESS, SOP_DT_CITY,
    SOP_DT_TEXT, SOP_DT_ID, SOP_DT_COUNT
} sop_dedupe_type;

/* Survivorship rules for a golden record's columns. */
typedef enum sop_dedupe_rule {
    SOP_RULE_PRIMARY, SOP_RULE_RECENT, SOP_RULE_FREQUENT, SOP_RULE_LONGEST, SOP_RULE_COUNT
} sop_dedupe_rule;

enum { SOP_DEDUPE_LEVELS = 4, SOP_DEDUPE_FIELDS = 12, SOP_DEDUPE_RULES = 16 };

typedef struct sop_dedupe_field {
    char column[64];
    sop_dedupe_type type;
    double m[SOP_DEDUPE_LEVELS]; /* P(level | same customer) */
    double u[SOP_DEDUPE_LEVELS]; /* P(level | different customers) */
    double close, similar;       /* similarity for the levels close and similar */
    bool block;                  /* a block of equal keys */
    bool strong;                 /* members of one cluster never differ here */
    sop_dedupe_rule rule;        /* survivorship in golden records */
} sop_dedupe_field;

typedef struct sop_dedupe_config {
    size_t field_count;
    sop_dedupe_field fields[SOP_DEDUPE_FIELDS];
    size_t rule_count;           /* survivorship of other columns */
    struct { char column[64]; sop_dedupe_rule rule; } rules[SOP_DEDUPE_RULES];
    sop_dedupe_rule default_rule;
    double prior;                /* P(same customer) for a candidate pair */
    double match, review;        /* thresholds on the match probability */
    unsigned long max_block;     /* a bigger block is skipped, with a warning */
    unsigned long window;        /* a block bigger than window + 1: each record
                                    with the window after it (0: all pairs) */
    bool fuzzy;                  /* company keys with one character left out */
    unsigned long max_cluster;   /* a bigger cluster is split */
    bool branch_veto;            /* a branch and another office never match */
    char time_column[SOP_CFG_TEXT]; /* "most recent" (updated_at) */
    char id_column[SOP_CFG_TEXT];   /* the master's customer id (customer_id) */
} sop_dedupe_config;

void sop_dedupe_config_default(sop_dedupe_config *cfg);
/* path NULL: the defaults.  66, 78 with err set. */
int sop_dedupe_config_load(const char *path, sop_dedupe_config *cfg, sop_error *err);
char *sop_dedupe_config_json(const sop_dedupe_config *cfg);
const char *sop_dedupe_type_name(sop_dedupe_type t);
const char *sop_dedupe_rule_name(sop_dedupe_rule r);

typedef enum sop_dedupe_mode {
    SOP_DEDUPE_TAGGED, SOP_DEDUPE_GOLDEN, SOP_DEDUPE_PAIRS, SOP_DEDUPE_CLEAN
} sop_dedupe_mode;

typedef struct sop_dedupe_opts {
    const char *program;
    FILE *diag;
    bool quiet;
    sop_dedupe_mode mode;
    bool mode_set;
    const char *master;     /* --master FILE */
    const char *log;        /* --log FILE (JSON Lines) */
    const char *review;     /* --review FILE */
    const char *truth;      /* --truth COLUMN */
    const char *normalize;  /* --normalize COL,... */
    bool keep_raw;          /* --keep-raw */
    bool explain;           /* --explain */
    bool estimate;          /* --estimate */
} sop_dedupe_opts;

typedef struct sop_dedupe sop_dedupe;

int sop_dedupe_new(sop_dedupe **d, const sop_dedupe_config *cfg, const sop_cli *cli,
                   const sop_dedupe_opts *opts, sop_error *err);
void sop_dedupe_model(sop_dedupe *d, sop_stream_model *model);
void sop_dedupe_free(sop_dedupe *d);

/* The parts, for tests.  A pair's comparison: each field's level
 * (SOP_DEDUPE_LEVELS: unknown) and the match probability. */
double sop_dedupe_probability(const sop_dedupe_config *cfg, const int *levels);

#endif
