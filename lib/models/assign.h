/* assign.h - the arithmetic of fair lead assignment, for lead-assign
 * (issue 4): smooth weighted round-robin and the article's fairness index.
 * The program around them (reps, tracks, state file) is still to come. */
#ifndef SOP_ASSIGN_H
#define SOP_ASSIGN_H

#include <stdbool.h>
#include <stddef.h>

/* Smooth weighted round-robin (as in nginx): each pick adds every eligible
 * rep's weight to its running value, takes the largest (the first on a
 * tie) and subtracts the eligible total from it.  A weight-2 rep gets twice
 * the leads of a weight-1 rep, evenly interleaved, not in bursts; the
 * running values are the whole state, so a rotation can be saved and
 * resumed exactly. */
typedef struct sop_swrr {
    size_t count;
    double *weight;
    double *current;
} sop_swrr;

/* Weights must be finite and > 0 (64 otherwise, as a usage error). */
int sop_swrr_init(sop_swrr *rr, const double *weights, size_t count);
/* The next rep among those with eligible[i] (NULL: all); -1 when none. */
long sop_swrr_pick(sop_swrr *rr, const bool *eligible);
void sop_swrr_free(sop_swrr *rr);

/* The article's fairness index: the standard deviation over reps of
 * r_i = load_i / (total_load * weight_i / total_weight); 0 when the split
 * follows the weights exactly, healthy below 0.3.  NaN without load or
 * without reps. */
double sop_fairness_index(const double *load, const double *weight, size_t count);

#endif
