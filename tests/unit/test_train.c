/* test_train.c - unit tests of sop_logistic_fit (lib/models/train.c) on
 * synthetic data with a known answer: exact counts whose unpenalised MLE is
 * the per-group log-odds (one categorical column, then two whose cell odds
 * are exact products, so the main-effects fit is exact too), perfectly
 * separable data (finite, ordered), one class only (finite), a large
 * seeded dataset with three categorical columns and known true effects
 * (the ranking and size of the fitted effects), the `use` mask, and
 * determinism.
 *
 * With an intercept and one-hot levels the split between the intercept and
 * a column's levels is not identifiable, so the checks are on predictions
 * (intercept + level points) and on differences between levels of one
 * column. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "train.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static void assert_close(double got, double want, double tol, const char *what)
{
    if (!(fabs(got - want) <= tol))
        fail_msg("%s: got %.9f, want %.9f (tolerance %g)", what, got, want, tol);
}

static void assert_all_finite(const double *beta, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(beta[i]))
            fail_msg("beta[%zu] = %g is not finite", i, beta[i]);
}

/* Data held as rows x k feature indices and labels. */
typedef struct data {
    uint32_t *x;
    unsigned char *y;
    size_t rows, k, cap;
} data;

static void data_init(data *d, size_t k)
{
    memset(d, 0, sizeof *d);
    d->k = k;
}

static void data_free(data *d)
{
    free(d->x);
    free(d->y);
}

/* Appends `count` rows with the given k features and label. */
static void add_rows(data *d, const uint32_t *features, unsigned char label, size_t count)
{
    if (d->rows + count > d->cap) {
        size_t cap = d->cap ? d->cap : 64;
        while (cap < d->rows + count)
            cap *= 2;
        d->x = realloc(d->x, cap * d->k * sizeof *d->x);
        d->y = realloc(d->y, cap);
        assert_non_null(d->x);
        assert_non_null(d->y);
        d->cap = cap;
    }
    for (size_t i = 0; i < count; i++) {
        memcpy(d->x + (d->rows + i) * d->k, features, d->k * sizeof *features);
        d->y[d->rows + i] = label;
    }
    d->rows += count;
}

/* A cell of a one-column dataset: `pos` converted and `neg` not, all with
 * feature f. */
static void add_cell1(data *d, uint32_t f, size_t pos, size_t neg)
{
    add_rows(d, &f, 1, pos);
    add_rows(d, &f, 0, neg);
}

static int fit(const data *d, size_t p, const unsigned char *use, double l2, double *beta)
{
    int it = sop_logistic_fit(d->x, d->rows, d->k, p, d->y, use, l2, beta);
    if (it < 0)
        fail_msg("sop_logistic_fit returned %d", it);
    return it;
}

/* ---- known answers ---------------------------------------------------- */

static void two_groups_log_odds(void **state)
{
    (void)state;
    data d;
    data_init(&d, 1);
    add_cell1(&d, 0, 30, 10); /* odds 3 */
    add_cell1(&d, 1, 5, 20);  /* odds 1/4 */
    double beta[3];
    fit(&d, 2, NULL, 1e-9, beta);
    assert_all_finite(beta, 3);
    assert_close(beta[0] + beta[1], log(30.0 / 10.0), 1e-4, "group 0 log-odds");
    assert_close(beta[0] + beta[2], log(5.0 / 20.0), 1e-4, "group 1 log-odds");
    data_free(&d);
}

static void two_groups_interleaved(void **state)
{
    (void)state;
    /* the same counts, rows in a mixed order: the same fit */
    data d;
    data_init(&d, 1);
    for (int i = 0; i < 5; i++) {
        add_cell1(&d, 1, 1, 4);
        add_cell1(&d, 0, 6, 2);
    }
    double beta[3];
    fit(&d, 2, NULL, 1e-9, beta);
    assert_close(beta[0] + beta[1], log(3.0), 1e-4, "group 0 log-odds");
    assert_close(beta[0] + beta[2], log(0.25), 1e-4, "group 1 log-odds");
    data_free(&d);
}

static void three_groups_log_odds(void **state)
{
    (void)state;
    data d;
    data_init(&d, 1);
    add_cell1(&d, 0, 30, 10);  /* log 3 */
    add_cell1(&d, 1, 5, 20);   /* log 1/4 */
    add_cell1(&d, 2, 12, 12);  /* 0 */
    add_cell1(&d, 3, 7, 193);  /* log 7/193, a rare converter */
    double beta[5];
    fit(&d, 4, NULL, 1e-9, beta);
    assert_all_finite(beta, 5);
    assert_close(beta[0] + beta[1], log(3.0), 1e-4, "group 0");
    assert_close(beta[0] + beta[2], log(0.25), 1e-4, "group 1");
    assert_close(beta[0] + beta[3], 0.0, 1e-4, "group 2");
    assert_close(beta[0] + beta[4], log(7.0 / 193.0), 1e-4, "group 3");
    data_free(&d);
}

/* Two columns (features 0,1 and 2,3) whose cell odds are products
 * r_i * s_j: odds 1, 4 (column A) times 1, 1/2 (column B).  The main-
 * effects MLE then reproduces every cell's log-odds exactly. */
static void two_columns_exact_products(void **state)
{
    (void)state;
    data d;
    data_init(&d, 2);
    const struct { uint32_t a, b; size_t pos, neg; } cells[] = {
        {0, 2, 10, 10}, /* odds 1 */
        {1, 2, 40, 10}, /* odds 4 */
        {0, 3, 10, 20}, /* odds 1/2 */
        {1, 3, 20, 10}, /* odds 2 */
    };
    for (size_t i = 0; i < COUNT(cells); i++) {
        uint32_t f[2] = {cells[i].a, cells[i].b};
        add_rows(&d, f, 1, cells[i].pos);
        add_rows(&d, f, 0, cells[i].neg);
    }
    double beta[5];
    fit(&d, 4, NULL, 1e-9, beta);
    assert_all_finite(beta, 5);
    for (size_t i = 0; i < COUNT(cells); i++) {
        double z = beta[0] + beta[cells[i].a + 1] + beta[cells[i].b + 1];
        char what[64];
        snprintf(what, sizeof what, "cell %zu log-odds", i);
        assert_close(z, log((double)cells[i].pos / (double)cells[i].neg), 1e-4, what);
    }
    assert_close(beta[2] - beta[1], log(4.0), 1e-4, "column A effect");
    assert_close(beta[4] - beta[3], log(0.5), 1e-4, "column B effect");
    data_free(&d);
}

static void penalty_shrinks_towards_base_rate(void **state)
{
    (void)state;
    /* with a big penalty the group points shrink towards 0 and the
     * predictions towards the overall log-odds, still ordered */
    data d;
    data_init(&d, 1);
    add_cell1(&d, 0, 30, 10);
    add_cell1(&d, 1, 5, 20);
    double loose[3], tight[3];
    fit(&d, 2, NULL, 1e-9, loose);
    fit(&d, 2, NULL, 100, tight);
    assert_all_finite(tight, 3);
    double spread_loose = loose[1] - loose[2], spread_tight = tight[1] - tight[2];
    assert_true(spread_tight > 0);
    assert_true(spread_tight < spread_loose);
    assert_true(fabs(tight[1]) < 0.5 && fabs(tight[2]) < 0.5);
    data_free(&d);
}

/* ---- hard data ---------------------------------------------------------- */

static void separable_stays_finite(void **state)
{
    (void)state;
    data d;
    data_init(&d, 1);
    add_cell1(&d, 0, 25, 0); /* always converts */
    add_cell1(&d, 1, 0, 40); /* never */
    double beta[3];
    int it = fit(&d, 2, NULL, 1.0, beta);
    assert_true(it >= 1);
    assert_all_finite(beta, 3);
    assert_true(beta[0] + beta[1] > 0);
    assert_true(beta[0] + beta[2] < 0);
    assert_true(beta[1] > beta[2]);

    /* two columns, one separating, one noise; and a tiny penalty */
    data e;
    data_init(&e, 2);
    for (uint32_t b = 2; b <= 3; b++) {
        uint32_t f0[2] = {0, b}, f1[2] = {1, b};
        add_rows(&e, f0, 1, 15);
        add_rows(&e, f1, 0, 15);
    }
    double gamma[5];
    fit(&e, 4, NULL, 1.0, gamma);
    assert_all_finite(gamma, 5);
    assert_true(gamma[1] > gamma[2]);
    fit(&e, 4, NULL, 1e-6, gamma);
    assert_all_finite(gamma, 5);
    assert_true(gamma[1] > gamma[2]);
    data_free(&d);
    data_free(&e);
}

static void one_class_stays_finite(void **state)
{
    (void)state;
    data d;
    data_init(&d, 1);
    add_cell1(&d, 0, 10, 0);
    add_cell1(&d, 1, 30, 0);
    double beta[3];
    fit(&d, 2, NULL, 1.0, beta);
    assert_all_finite(beta, 3);
    assert_true(beta[0] + beta[1] > 0);
    data_free(&d);
    data_init(&d, 1);
    add_cell1(&d, 0, 0, 10);
    add_cell1(&d, 1, 0, 30);
    fit(&d, 2, NULL, 1.0, beta);
    assert_all_finite(beta, 3);
    assert_true(beta[0] + beta[1] < 0);
    data_free(&d);
}

static void unused_feature_gets_zero(void **state)
{
    (void)state;
    /* p = 3 but no row has feature 2: its coefficient is 0 (the penalty
     * alone decides it), and the others are as without it */
    data d;
    data_init(&d, 1);
    add_cell1(&d, 0, 30, 10);
    add_cell1(&d, 1, 5, 20);
    double beta[4];
    fit(&d, 3, NULL, 1e-6, beta);
    assert_all_finite(beta, 4);
    assert_close(beta[3], 0.0, 1e-9, "unused feature");
    assert_close(beta[0] + beta[1], log(3.0), 1e-3, "group 0");
    assert_close(beta[0] + beta[2], log(0.25), 1e-3, "group 1");
    data_free(&d);
}

/* ---- a larger random dataset with known effects -------------------------- */

static uint64_t rng_state;
static uint64_t rng(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
static double uniform(void)
{
    return (double)(rng() >> 11) * (1.0 / 9007199254740992.0);
}

/* Column c has levels[c] levels; true effects per level (level 0 is the
 * reference, effect 0). Features: column 0 -> 0..3, 1 -> 4..6, 2 -> 7..11. */
static const size_t levels[3] = {4, 3, 5};
static const size_t first[3] = {0, 4, 7};
static const double truth[3][5] = {
    {0.0, 0.6, 1.2, -0.7, 0},
    {0.0, -1.0, 0.3, 0, 0},
    {0.0, 0.15, -0.35, 0.9, -1.4},
};
#define TRUE_INTERCEPT (-1.0)
#define BIG_N 60000

static void make_big(data *d, uint64_t seed)
{
    data_init(d, 3);
    rng_state = seed;
    for (size_t r = 0; r < BIG_N; r++) {
        uint32_t f[3];
        double z = TRUE_INTERCEPT;
        for (size_t c = 0; c < 3; c++) {
            size_t lv = (size_t)(rng() % levels[c]);
            f[c] = (uint32_t)(first[c] + lv);
            z += truth[c][lv];
        }
        double p = 1.0 / (1.0 + exp(-z));
        add_rows(d, f, uniform() < p ? 1 : 0, 1);
    }
}

typedef struct effect {
    double value;
    int id;
} effect;

static int by_value(const void *a, const void *b)
{
    const effect *x = a, *y = b;
    return (x->value > y->value) - (x->value < y->value);
}

static void random_recovers_effects(void **state)
{
    (void)state;
    data d;
    make_big(&d, 20260227);
    double beta[13];
    int it = fit(&d, 12, NULL, 1.0, beta);
    assert_true(it >= 1 && it < 100);
    assert_all_finite(beta, 13);
    /* contrasts against each column's reference level */
    effect fitted[9], want[9];
    size_t n = 0;
    for (size_t c = 0; c < 3; c++)
        for (size_t lv = 1; lv < levels[c]; lv++) {
            double contrast = beta[first[c] + lv + 1] - beta[first[c] + 1];
            fitted[n] = (effect){contrast, (int)n};
            want[n] = (effect){truth[c][lv], (int)n};
            char what[64];
            snprintf(what, sizeof what, "column %zu level %zu effect", c, lv);
            assert_close(contrast, truth[c][lv], 0.12, what);
            n++;
        }
    qsort(fitted, n, sizeof *fitted, by_value);
    qsort(want, n, sizeof *want, by_value);
    for (size_t i = 0; i < n; i++)
        if (fitted[i].id != want[i].id)
            fail_msg("effect ranking differs at place %zu: fitted effect %d, true effect %d", i,
                     fitted[i].id, want[i].id);
    /* the mean prediction matches the base rate (no penalty on the intercept) */
    double mean_p = 0, rate = 0;
    for (size_t r = 0; r < d.rows; r++) {
        const uint32_t *f = d.x + r * 3;
        double z = beta[0] + beta[f[0] + 1] + beta[f[1] + 1] + beta[f[2] + 1];
        mean_p += 1.0 / (1.0 + exp(-z));
        rate += d.y[r];
    }
    assert_close(mean_p / (double)d.rows, rate / (double)d.rows, 1e-6, "mean prediction");
    data_free(&d);
}

static void deterministic(void **state)
{
    (void)state;
    data d;
    make_big(&d, 99);
    double a[13], b[13];
    fit(&d, 12, NULL, 1.0, a);
    fit(&d, 12, NULL, 1.0, b);
    assert_memory_equal(a, b, sizeof a);
    data_free(&d);
}

/* ---- the use mask ----------------------------------------------------------- */

static void use_mask_excludes_rows(void **state)
{
    (void)state;
    /* rows 0.. of the known two-group data, then rows that say the
     * opposite; with the mask the opposite rows must not count */
    data d;
    data_init(&d, 1);
    add_cell1(&d, 0, 30, 10);
    add_cell1(&d, 1, 5, 20);
    size_t kept = d.rows;
    add_cell1(&d, 0, 0, 500);
    add_cell1(&d, 1, 500, 0);
    unsigned char *use = calloc(d.rows, 1);
    assert_non_null(use);
    for (size_t r = 0; r < kept; r++)
        use[r] = 1;
    double beta[3];
    fit(&d, 2, use, 1e-9, beta);
    assert_close(beta[0] + beta[1], log(3.0), 1e-4, "group 0 with mask");
    assert_close(beta[0] + beta[2], log(0.25), 1e-4, "group 1 with mask");

    /* the mask gives the same fit as the subset alone, bit for bit near
     * enough */
    data sub;
    data_init(&sub, 1);
    add_cell1(&sub, 0, 30, 10);
    add_cell1(&sub, 1, 5, 20);
    double alone[3];
    fit(&sub, 2, NULL, 0.5, alone);
    fit(&d, 2, use, 0.5, beta);
    for (size_t j = 0; j < 3; j++)
        assert_close(beta[j], alone[j], 1e-9, "masked vs subset");

    /* any non-zero byte selects a row (the training code passes 1) and a
     * mask of all ones is the same as no mask */
    memset(use, 1, d.rows);
    double all[3], none[3];
    fit(&d, 2, use, 0.5, all);
    fit(&d, 2, NULL, 0.5, none);
    for (size_t j = 0; j < 3; j++)
        assert_close(all[j], none[j], 1e-12, "all-ones mask vs NULL");
    free(use);
    data_free(&d);
    data_free(&sub);
}

static void use_mask_on_big_data(void **state)
{
    (void)state;
    /* fitting on the even rows through the mask equals fitting a copy of
     * the even rows */
    data d;
    make_big(&d, 7);
    unsigned char *use = calloc(d.rows, 1);
    assert_non_null(use);
    data even;
    data_init(&even, 3);
    for (size_t r = 0; r < d.rows; r += 2) {
        use[r] = 1;
        add_rows(&even, d.x + r * 3, d.y[r], 1);
    }
    double a[13], b[13];
    fit(&d, 12, use, 1.0, a);
    fit(&even, 12, NULL, 1.0, b);
    for (size_t j = 0; j < 13; j++)
        assert_close(a[j], b[j], 1e-9, "masked vs copied rows");
    free(use);
    data_free(&d);
    data_free(&even);
}

static void use_mask_selects_nothing(void **state)
{
    (void)state;
    data d;
    data_init(&d, 1);
    add_cell1(&d, 0, 3, 1);
    add_cell1(&d, 1, 1, 3);
    unsigned char use[8] = {0};
    double beta[3] = {7, 7, 7};
    int it = sop_logistic_fit(d.x, d.rows, 1, 2, d.y, use, 1.0, beta);
    assert_true(it >= 0);
    assert_all_finite(beta, 3);
    data_free(&d);
    /* no rows at all */
    double gamma[3] = {7, 7, 7};
    it = sop_logistic_fit(NULL, 0, 1, 2, NULL, NULL, 1.0, gamma);
    assert_true(it >= 0);
    assert_all_finite(gamma, 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(two_groups_log_odds),
        cmocka_unit_test(two_groups_interleaved),
        cmocka_unit_test(three_groups_log_odds),
        cmocka_unit_test(two_columns_exact_products),
        cmocka_unit_test(penalty_shrinks_towards_base_rate),
        cmocka_unit_test(separable_stays_finite),
        cmocka_unit_test(one_class_stays_finite),
        cmocka_unit_test(unused_feature_gets_zero),
        cmocka_unit_test(random_recovers_effects),
        cmocka_unit_test(deterministic),
        cmocka_unit_test(use_mask_excludes_rows),
        cmocka_unit_test(use_mask_on_big_data),
        cmocka_unit_test(use_mask_selects_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
