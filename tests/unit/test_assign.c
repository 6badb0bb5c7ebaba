/* Unit tests of lib/models/assign: smooth weighted round-robin and the
 * fairness index. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "assign.h"
#include "error.h"

static void test_weights_interleave(void **state)
{
    (void)state;
    double w[] = {2, 1, 1};
    sop_swrr rr;
    assert_int_equal(sop_swrr_init(&rr, w, 3), 0);
    /* worked by hand: running values (2,1,1) -> a, (0,2,2) -> b (first on a
     * tie), (2,-1,3) -> c, (4,0,0) -> a, then back to (0,0,0): a b c a, again */
    long want[] = {0, 1, 2, 0, 0, 1, 2, 0};
    for (size_t i = 0; i < 8; i++)
        assert_int_equal(sop_swrr_pick(&rr, NULL), want[i]);
    sop_swrr_free(&rr);
}

static void test_shares_follow_weights(void **state)
{
    (void)state;
    double w[] = {1.5, 1, 0.5, 1};
    sop_swrr rr;
    assert_int_equal(sop_swrr_init(&rr, w, 4), 0);
    int got[4] = {0};
    for (int i = 0; i < 4000; i++)
        got[sop_swrr_pick(&rr, NULL)]++;
    assert_int_equal(got[0], 1500);
    assert_int_equal(got[1], 1000);
    assert_int_equal(got[2], 500);
    assert_int_equal(got[3], 1000);
    sop_swrr_free(&rr);
}

static void test_ineligible_skipped(void **state)
{
    (void)state;
    double w[] = {1, 1, 1};
    bool on[] = {true, false, true};
    sop_swrr rr;
    assert_int_equal(sop_swrr_init(&rr, w, 3), 0);
    for (int i = 0; i < 10; i++)
        assert_int_not_equal(sop_swrr_pick(&rr, on), 1);
    bool none[] = {false, false, false};
    assert_int_equal(sop_swrr_pick(&rr, none), -1);
    sop_swrr_free(&rr);
}

static void test_bad_weights(void **state)
{
    (void)state;
    sop_swrr rr;
    double zero[] = {1, 0};
    assert_int_equal(sop_swrr_init(&rr, zero, 2), SOP_EXIT_USAGE);
    double neg[] = {-1};
    assert_int_equal(sop_swrr_init(&rr, neg, 1), SOP_EXIT_USAGE);
    double nan_w[] = {NAN};
    assert_int_equal(sop_swrr_init(&rr, nan_w, 1), SOP_EXIT_USAGE);
}

static void test_fairness(void **state)
{
    (void)state;
    double w[] = {2, 1, 1};
    double fair[] = {20, 10, 10};
    assert_true(fabs(sop_fairness_index(fair, w, 3)) < 1e-12);
    /* r = 1.5, 0.5, 0.5 -> mean 0.8333, sd sqrt(0.2222) */
    double skewed[] = {30, 5, 5};
    assert_true(fabs(sop_fairness_index(skewed, w, 3) - sqrt(2.0 / 9.0)) < 1e-12);
    double nothing[] = {0, 0, 0};
    assert_true(isnan(sop_fairness_index(nothing, w, 3)));
    assert_true(isnan(sop_fairness_index(NULL, NULL, 0)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_weights_interleave),
        cmocka_unit_test(test_shares_follow_weights),
        cmocka_unit_test(test_ineligible_skipped),
        cmocka_unit_test(test_bad_weights),
        cmocka_unit_test(test_fairness),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
