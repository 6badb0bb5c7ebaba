/* dedupe_int.h - what dedupe.c (records, features, candidates, scores)
 * and dedupe_cluster.c (clusters, golden records, output) share. */
#ifndef SOP_DEDUPE_INT_H
#define SOP_DEDUPE_INT_H

#include <stdint.h>

#include "dedupe.h"
#include "dedupe_norm.h"
#include "record.h"
#include "rowstore.h"
#include "strmap.h"
#include "writer.h"

/* A field's normalised value for one row: text in d->text. */
typedef struct sop_dfeat {
    uint32_t off;
    uint32_t hash;  /* of the text: unequal texts are told apart without reading them */
    uint16_t len;
    uint8_t flag;   /* company: 1 branch; phone: 1 mobile, 2 landline */
    uint8_t at;     /* e-mail: where '@' is */
    uint32_t aux;   /* company: a hash of the branch's place (0 none) */
} sop_dfeat;

enum { SOP_DFEAT_BRANCH = 1, SOP_DPHONE_MOBILE = 1, SOP_DPHONE_LANDLINE = 2 };

typedef struct sop_drow {
    long line;
    int64_t time;     /* the time column, INT64_MIN when none */
    uint32_t file;    /* into d->files */
    uint32_t mid;     /* master rows: the customer id (into d->master_ids); else UINT32_MAX */
    uint32_t truth;   /* into d->truth_values; UINT32_MAX: none */
} sop_drow;

/* A scored candidate pair (a < b, rows). */
typedef struct sop_dpair {
    uint32_t a, b;
    float p;
} sop_dpair;

enum { SOP_DMODE_OUTPUTS = 4 };

struct sop_dedupe {
    const sop_dedupe_config *cfg;
    const sop_cli *cli;
    sop_dedupe_opts opts;
    sop_t2s *t2s;
    size_t nf;
    long col[SOP_DEDUPE_FIELDS];     /* the input's column of each field, -1 none */
    long time_col, truth_col;
    long company_field, city_field;  /* -1 none */
    bool clean[SOP_DEDUPE_FIELDS];   /* --normalize */
    double prior_weight;             /* log2(prior / (1 - prior)) */
    double weight[SOP_DEDUPE_FIELDS][SOP_DEDUPE_LEVELS]; /* log2(m / u) */
    /* added columns: the *_raw ones, then the mode's */
    sop_outputs out;
    const char *out_names[SOP_OUTPUTS_MAX];
    char raw_names[SOP_DEDUPE_FIELDS][72];
    size_t mode_outputs;
    sop_stream_model model;
    /* rows: the master's first (masters of them), then the input's */
    size_t rows, cap, masters;
    sop_drow *info;
    sop_dfeat *feat;                 /* feat[row * nf + field] */
    char *text;
    size_t text_used, text_cap;
    const sop_schema *schema;        /* the input's columns (from bind) */
    sop_rowstore store;              /* the input's records */
    sop_rowstore xstore;             /* their *_raw values (--keep-raw) */
    sop_rowstore mstore;             /* the master's: its field values, in field order */
    sop_strmap files, master_ids, truth_values;
    unsigned long master_bad;
    /* results */
    sop_dpair *pairs;                /* kept: p >= review, sorted by (a, b) */
    size_t pair_count;
    unsigned long long candidates;
    uint32_t *cluster;               /* per row: the cluster's number */
    size_t clusters;
    uint32_t *first, *next;          /* each cluster's members, in row order */
    uint32_t *size;                  /* members from the input */
    uint32_t *primary;               /* per cluster */
    float *best;                     /* per row: its best match within its cluster */
    char (*new_ids)[64];             /* --master: per cluster, the id ("" none yet) */
    unsigned long splits, skipped_blocks, skipped_fuzzy, bad_times;
    double baseline[3];              /* --truth: precision, recall, F1 of the naive union */
    bool baseline_done;
    sop_record scratch, extra;
};

/* dedupe.c */
const char *sop_dedupe_text(const sop_dedupe *d, size_t row, size_t field, size_t *len);
/* A pair's level in one field (SOP_DEDUPE_LEVELS: unknown). */
int sop_dedupe_level(const sop_dedupe *d, size_t field, size_t a, size_t b);
/* A branch and another office (or two branches) of one company. */
bool sop_dedupe_vetoed(const sop_dedupe *d, size_t a, size_t b);
double sop_dedupe_pair_probability(const sop_dedupe *d, size_t a, size_t b);
/* The weight of level l in field f (log2 m/u). */
double sop_dedupe_weight(const sop_dedupe_field *f, int level);

/* dedupe_cluster.c */
int sop_dedupe_cluster(sop_dedupe *d, sop_error *err);
int sop_dedupe_outputs(sop_dedupe *d, sop_error *err);
int sop_dedupe_replay(void *ctx, sop_writer *w, sop_error *err);

#endif
