/* evaluate.h - how well a scorecard ranks labelled history: ROC AUC, log
 * loss (for a calibrated scorecard), conversion by score decile (a lift
 * table) and by grade.  Also the label reading that --train shares. */
#ifndef SOP_EVALUATE_H
#define SOP_EVALUATE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "cli.h"
#include "error.h"
#include "scorecard.h"
#include "stream.h"

/* Which values of the label column mean "converted". */
typedef struct sop_label_rule {
    bool has_positive;
    char positive[256]; /* folded --positive VALUE */
} sop_label_rule;

/* positive: NULL for the built-in words (1/0, yes/no, true/false, won/lost,
 * 是/否, 成交/未成交...); else that value is positive and every other
 * value negative.  Returns 64 when the value is unusable. */
int sop_label_init(sop_label_rule *rule, const char *positive, sop_error *err);
/* 1 positive, 0 negative, -1 missing or not a label. */
int sop_label_read(const sop_label_rule *rule, const char *s, size_t len);

/* The label of a record: 1 or 0, or SOP_STREAM_REJECT with err saying
 * why (the record is then a bad record). */
int sop_label_of(const sop_label_rule *rule, const sop_record *rec, long col,
                 const char *column, sop_error *err);

/* ROC AUC of scores against 0/1 labels, tied scores counted half; NaN
 * when one class is absent.  Sorts a copy; O(n log n). */
double sop_auc(const double *score, const unsigned char *label, size_t n);

/* The lead-score --evaluate model: scores each labelled record and, at the
 * end, writes the report (cli's -o and -f; table on a terminal, else json). */
typedef struct sop_evaluate sop_evaluate;

int sop_evaluate_new(sop_evaluate **ev, sop_scorecard *sc, const char *label_column,
                     const char *positive, const sop_cli *cli, sop_error *err);
void sop_evaluate_model(sop_evaluate *ev, sop_stream_model *model);
void sop_evaluate_free(sop_evaluate *ev);

/* The report as JSON (for tests and other programs). */
json_t *sop_evaluate_report(const sop_evaluate *ev);

#endif
