/* test_stats.c - unit tests of lib/models/stats.c against figures computed
 * by hand: the pooled two-proportion z-test, p-chart limits, type-7
 * quantiles, and the removal effects of an absorbing Markov chain on the
 * textbook three-channel toy whose credits are known (0.2 / 0.4 / 0.4). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"

static void ztest_by_hand(void **state)
{
    (void)state;
    double z, p;
    /* 53/100 against 31/100: pooled 0.42, se sqrt(0.42 * 0.58 * 0.02) */
    assert_true(sop_ztest2(53, 100, 31, 100, &z, &p));
    double se = sqrt(0.42 * 0.58 * 0.02);
    assert_true(fabs(z - 0.22 / se) < 1e-12);
    assert_true(fabs(z - 3.151875) < 1e-6);
    assert_true(fabs(p - 0.0016223) < 1e-7);
    /* the other way round: z changes sign, p does not */
    double z2, p2;
    assert_true(sop_ztest2(31, 100, 53, 100, &z2, &p2));
    assert_true(fabs(z + z2) < 1e-12 && fabs(p - p2) < 1e-15);
    /* equal rates: z 0, p 1 */
    assert_true(sop_ztest2(30, 100, 60, 200, &z, &p));
    assert_true(fabs(z) < 1e-12 && fabs(p - 1) < 1e-12);
}

static void ztest_says_nothing(void **state)
{
    (void)state;
    double z, p;
    assert_false(sop_ztest2(0, 0, 3, 10, &z, &p));
    assert_true(z == 0 && p == 1);
    assert_false(sop_ztest2(0, 10, 0, 20, &z, &p));   /* pooled 0 */
    assert_false(sop_ztest2(10, 10, 20, 20, &z, &p)); /* pooled 1 */
    assert_true(p == 1);
}

static void pchart_by_hand(void **state)
{
    (void)state;
    double lo, hi;
    /* pbar 0.3, n 150: 0.3 -/+ 3 sqrt(0.21 / 150) */
    sop_pchart_limits(0.3, 150, 3, &lo, &hi);
    assert_true(fabs(lo - 0.18775028) < 1e-8 && fabs(hi - 0.41224972) < 1e-8);
    /* small samples: clipped to 0..1 */
    sop_pchart_limits(0.3, 2, 3, &lo, &hi);
    assert_true(lo == 0 && hi == 1);
}

static void quantiles(void **state)
{
    (void)state;
    double v[] = {4, 1, 3, 2};
    assert_true(fabs(sop_quantile(v, 4, 0.5) - 2.5) < 1e-12);
    assert_true(fabs(sop_quantile(v, 4, 0.9) - 3.7) < 1e-12);
    assert_true(fabs(sop_quantile(v, 4, 0) - 1) < 1e-12);
    assert_true(fabs(sop_quantile(v, 4, 1) - 4) < 1e-12);
    double one[] = {7};
    assert_true(sop_quantile(one, 1, 0.9) == 7);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Selection gives what a full sort gives, on random arrays full of ties
 * and on sorted and reversed ones. */
static void quantiles_match_sorting(void **state)
{
    (void)state;
    uint64_t r = 42;
    double v[257], sorted[257];
    for (int round = 0; round < 3000; round++) {
        size_t n = 1 + (size_t)(round % 257);
        for (size_t i = 0; i < n; i++) {
            r = r * 6364136223846793005u + 1442695040888963407u;
            int shape = round % 3;
            v[i] = shape == 0 ? (double)(r >> 60) : shape == 1 ? (double)i : (double)(n - i);
        }
        memcpy(sorted, v, n * sizeof *v);
        qsort(sorted, n, sizeof *sorted, cmp_double);
        double qs[] = {0, 0.1, 0.5, 0.9, 0.999, 1};
        for (size_t k = 0; k < 6; k++) {
            double h = (double)(n - 1) * qs[k];
            size_t lo = (size_t)floor(h);
            double want = lo + 1 < n ? sorted[lo] + (h - (double)lo) * (sorted[lo + 1] - sorted[lo])
                                     : sorted[n - 1];
            assert_true(fabs(sop_quantile(v, n, qs[k]) - want) < 1e-9);
        }
    }
}

/* Pearson by hand: (1,2,3) against (2,4,7): means 2 and 13/3; cov sum
 * (-1)(-7/3) + 0 + (1)(8/3) = 5; sums of squares 2 and 38/3: r = 5 /
 * sqrt(76/3).  A constant series has no correlation. */
static void pearson_by_hand(void **state)
{
    (void)state;
    double a[] = {1, 2, 3}, b[] = {2, 4, 7}, c[] = {5, 5, 5}, d[] = {3, 2, 1};
    assert_true(fabs(sop_pearson(a, b, 3) - 5 / sqrt(76.0 / 3)) < 1e-12);
    assert_true(fabs(sop_pearson(a, d, 3) + 1) < 1e-12);
    assert_true(isnan(sop_pearson(a, c, 3)));
    assert_true(isnan(sop_pearson(a, b, 1)));
}

/* Normal quantiles: 1.959964 for 97.5%, 2.7729 for 1 - 0.05/18 (nine
 * lags, Bonferroni), symmetric. */
static void normal_quantiles(void **state)
{
    (void)state;
    assert_true(fabs(sop_normal_quantile(0.975) - 1.959964) < 1e-6);
    assert_true(fabs(sop_normal_quantile(1 - 0.05 / 18) - 2.7729) < 1e-4);
    assert_true(fabs(sop_normal_quantile(0.5)) < 1e-9);
    assert_true(fabs(sop_normal_quantile(0.1) + sop_normal_quantile(0.9)) < 1e-9);
}

/* EWMA limits by hand: lambda 0.2, 3 sigma, mu 0.3, sigma 0.05: at t = 1
 * 0.3 + 0.15 sqrt(0.2/1.8 * 0.36) = 0.33; far out sqrt(1/9) = 1/3: 0.35. */
static void ewma_limit_by_hand(void **state)
{
    (void)state;
    assert_true(fabs(sop_ewma_ucl(0.3, 0.05, 0.2, 3, 1) - 0.33) < 1e-12);
    assert_true(fabs(sop_ewma_ucl(0.3, 0.05, 0.2, 3, 1000) - 0.35) < 1e-12);
    assert_true(fabs(sop_ewma_ucl(0.3, 0, 0.2, 3, 5) - 0.3) < 1e-15);
}

/* Paths: C1 > C2 > C3 converts, C1 does not, C2 > C3 does not.
 * P(convert) = 2/3 * 1/2 * 1/2 + 1/3 * 1/2 = 1/3; without C1 it is
 * 1/6 (removal 0.5), without C2 or C3 it is 0 (removal 1): credits
 * 0.5 / 2.5, 1 / 2.5, 1 / 2.5 = 0.2, 0.4, 0.4. */
static void markov_toy(void **state)
{
    (void)state;
    double start[3] = {2, 1, 0};
    double trans[9] = {0, 1, 0,
                       0, 0, 2,
                       0, 0, 0};
    double conv[3] = {0, 0, 1}, null[3] = {1, 0, 1};
    double removal[3];
    double p = sop_markov_removal(3, start, trans, conv, null, removal);
    assert_true(fabs(p - 1.0 / 3) < 1e-12);
    assert_true(fabs(removal[0] - 0.5) < 1e-12);
    assert_true(fabs(removal[1] - 1) < 1e-12);
    assert_true(fabs(removal[2] - 1) < 1e-12);
}

/* A loop (C1 > C2 > C1 > C2 converts; C2 does not): exact, not simulated.
 * From C1: 1 -> C2; C2: 1/3 C1, 1/3 conv, 1/3 null (steps: C2>C1 once,
 * C2>conv once, C2>null once).  x2 = x1/3 + 1/3, x1 = x2 -> x = 1/2;
 * start: 1/2 at C1, 1/2 at C2: P = 1/2.  Without C1: x2 = 1/3, P = 1/6,
 * removal 2/3; without C2: 0, removal 1. */
static void markov_loop(void **state)
{
    (void)state;
    double start[2] = {1, 1};
    double trans[4] = {0, 2,
                       1, 0};
    double conv[2] = {0, 1}, null[2] = {0, 1};
    double removal[2];
    double p = sop_markov_removal(2, start, trans, conv, null, removal);
    assert_true(fabs(p - 0.5) < 1e-12);
    assert_true(fabs(removal[0] - 2.0 / 3) < 1e-12);
    assert_true(fabs(removal[1] - 1) < 1e-12);
}

static void markov_edges(void **state)
{
    (void)state;
    double removal[1] = {9};
    assert_true(sop_markov_removal(0, NULL, NULL, NULL, NULL, removal) < 0);
    /* nothing converts: probability 0, no removal effect */
    double start[1] = {3}, trans[1] = {0}, conv[1] = {0}, null[1] = {3};
    assert_true(sop_markov_removal(1, start, trans, conv, null, removal) == 0);
    assert_true(removal[0] == 0);
    /* self-loops change nothing: C1 repeated, then converts or not */
    double t2[1] = {5}, c2[1] = {1}, n2[1] = {2};
    assert_true(fabs(sop_markov_removal(1, start, t2, c2, n2, removal) - 1.0 / 3) < 1e-12);
    assert_true(fabs(removal[0] - 1) < 1e-12);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ztest_by_hand),  cmocka_unit_test(ztest_says_nothing),
        cmocka_unit_test(pchart_by_hand), cmocka_unit_test(quantiles),
        cmocka_unit_test(quantiles_match_sorting), cmocka_unit_test(pearson_by_hand),
        cmocka_unit_test(ewma_limit_by_hand), cmocka_unit_test(normal_quantiles),
        cmocka_unit_test(markov_toy),     cmocka_unit_test(markov_loop),
        cmocka_unit_test(markov_edges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
