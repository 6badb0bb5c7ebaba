/* train.h - lead-score --train: fits a scorecard to labelled history.
 * Columns are typed (numbers binned at quantiles, categories with rare
 * levels pooled, missing as its own level), one-hot encoded, and an
 * L2-regularised logistic regression is fitted by Newton's method (IRLS).
 * The result is a normal scorecard ("link": "logistic") whose points are
 * log-odds and whose score is the predicted conversion probability x 100.
 * k-fold cross-validated AUC, an optional holdout, and warnings about
 * columns that look like leaks are reported. */
#ifndef SOP_TRAIN_H
#define SOP_TRAIN_H

#include <stdint.h>
#include <stdio.h>

#include "cli.h"
#include "stream.h"

typedef struct sop_train_opts {
    const char *label;       /* required */
    const char *positive;    /* NULL: the built-in label words */
    const char *exclude;     /* comma-separated columns not to use, or NULL */
    unsigned folds;          /* cross-validation folds; 0: 5 */
    uint64_t seed;           /* for fold and holdout assignment */
    double holdout;          /* fraction kept out of fitting, 0 for none */
    double l2;               /* penalty on coefficients; < 0: the best of 1, 10, 100 by CV */
} sop_train_opts;

typedef struct sop_train sop_train;

int sop_train_new(sop_train **tr, const sop_train_opts *opts, const sop_cli *cli,
                  const char *program, FILE *diag, sop_error *err);
void sop_train_model(sop_train *tr, sop_stream_model *model);
void sop_train_free(sop_train *tr);

/* The fitting core, exposed for tests: rows x k one-hot features given
 * as feature indices (k per row, each < p), labels 0/1.  Fits intercept +
 * p coefficients with penalty l2; `use` (may be NULL) selects rows.
 * Returns iterations, or -1 when out of memory. */
int sop_logistic_fit(const uint32_t *features, size_t rows, size_t k, size_t p,
                     const unsigned char *labels, const unsigned char *use, double l2,
                     double *beta /* p + 1, [0] the intercept */);

#endif
