/* stats.h - the statistics the diagnostic programs share: a two-proportion
 * z-test, p-chart limits, exact quantiles, and the absorbing Markov chain
 * of attribution solved exactly (no simulation).  Pure functions. */
#ifndef SOP_STATS_H
#define SOP_STATS_H

#include <stdbool.h>
#include <stddef.h>

/* Pooled two-proportion z-test of x1/n1 against x2/n2: z (positive when
 * the first proportion is the larger) and the two-sided p-value.  False
 * (z 0, p 1) when a sample is empty or the pooled proportion is 0 or 1,
 * where the test says nothing. */
bool sop_ztest2(double x1, double n1, double x2, double n2, double *z, double *p);

/* p-chart limits for a sample of n around the centre line pbar:
 * pbar -/+ sigmas * sqrt(pbar (1 - pbar) / n), clipped to 0..1. */
void sop_pchart_limits(double pbar, double n, double sigmas, double *lower, double *upper);

/* The q-quantile (0..1) of v[0..n-1] by linear interpolation between
 * order statistics (Hyndman-Fan type 7, R's default); v is reordered.
 * n > 0, no NaN. */
double sop_quantile(double *v, size_t n, double q);

/* The standard normal quantile: z with P(Z <= z) = p, 0 < p < 1 (by
 * bisection on erfc, to 1e-12). */
double sop_normal_quantile(double p);

/* Pearson's correlation of a[0..n-1] and b[0..n-1]; NaN when either does
 * not vary (or n < 2). */
double sop_pearson(const double *a, const double *b, size_t n);

/* The upper control limit of an EWMA chart (weight lambda, L sigmas) at
 * its t-th point (t >= 1) around the baseline mean mu with standard
 * deviation sigma: mu + L sigma sqrt(lambda / (2 - lambda) (1 - (1 -
 * lambda)^(2t))). */
double sop_ewma_ucl(double mu, double sigma, double lambda, double sigmas, double t);

/* An absorbing first-order Markov chain over m touch states, from path
 * counts: start[i] paths begin at i, trans[i*m+j] steps i -> j,
 * conv[i] and null[i] paths end at i converting or not.  Fills
 * removal[i] (the share of the conversion probability lost when state i
 * is removed: its inbound steps go to null) and returns the conversion
 * probability from the start; -1 when m is 0 or too large (> 512) or
 * memory runs out.  Solved by Gaussian elimination with partial pivoting. */
double sop_markov_removal(size_t m, const double *start, const double *trans,
                          const double *conv, const double *null, double *removal);

#endif
