/* test_evaluate.c - unit tests of lib/models/evaluate.c: sop_auc on small
 * cases with a known answer (all tied, perfect, reversed, one class, a
 * hand-computed mix with ties counted half, input order, a brute-force
 * check) and sop_label_read for every built-in label word, case and
 * full-width variants, missing values and garbage, and --positive VALUE. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evaluate.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* ---- AUC ---------------------------------------------------------------- */

static void assert_close(double got, double want, double tol)
{
    if (!(fabs(got - want) <= tol))
        fail_msg("got %.12f, want %.12f (tolerance %g)", got, want, tol);
}

static void auc_all_tied_is_half(void **state)
{
    (void)state;
    const double score[] = {3, 3, 3, 3, 3, 3};
    const unsigned char label[] = {1, 0, 0, 1, 0, 1};
    assert_close(sop_auc(score, label, COUNT(score)), 0.5, 1e-12);
    /* two rows, one of each class, same score */
    const double two[] = {0.25, 0.25};
    const unsigned char lab2[] = {0, 1};
    assert_close(sop_auc(two, lab2, 2), 0.5, 1e-12);
    /* -0.0 and 0.0 are the same score */
    const double zeros[] = {0.0, -0.0};
    const unsigned char labz[] = {0, 1};
    assert_close(sop_auc(zeros, labz, 2), 0.5, 1e-12);
}

static void auc_perfect_is_one(void **state)
{
    (void)state;
    const double score[] = {0.9, 0.8, 0.7, 0.2, 0.1};
    const unsigned char label[] = {1, 1, 1, 0, 0};
    assert_close(sop_auc(score, label, COUNT(score)), 1.0, 1e-12);
    /* interleaved input order, still perfect */
    const double s2[] = {0.1, 0.9, 0.2, 0.7, 0.8};
    const unsigned char l2[] = {0, 1, 0, 1, 1};
    assert_close(sop_auc(s2, l2, COUNT(s2)), 1.0, 1e-12);
    /* negative scores work the same */
    const double s3[] = {-5, -1, -100, 7};
    const unsigned char l3[] = {0, 1, 0, 1};
    assert_close(sop_auc(s3, l3, COUNT(s3)), 1.0, 1e-12);
}

static void auc_reversed_is_zero(void **state)
{
    (void)state;
    const double score[] = {0.9, 0.8, 0.7, 0.2, 0.1};
    const unsigned char label[] = {0, 0, 0, 1, 1};
    assert_close(sop_auc(score, label, COUNT(score)), 0.0, 1e-12);
}

static void auc_one_class_is_nan(void **state)
{
    (void)state;
    const double score[] = {0.9, 0.5, 0.1};
    const unsigned char pos[] = {1, 1, 1};
    const unsigned char neg[] = {0, 0, 0};
    assert_true(isnan(sop_auc(score, pos, COUNT(score))));
    assert_true(isnan(sop_auc(score, neg, COUNT(score))));
    assert_true(isnan(sop_auc(score, pos, 1)));
    assert_true(isnan(sop_auc(score, pos, 0))); /* no rows at all */
}

static void auc_mixed_with_ties(void **state)
{
    (void)state;
    /* positives 0.9, 0.8, 0.7; negatives 0.8, 0.7, 0.7, 0.1 (P=3, N=4):
     *   0.9 beats all 4 negatives                         4
     *   0.8 beats 0.7, 0.7, 0.1; ties 0.8 (half)          3.5
     *   0.7 beats 0.1; ties two 0.7s (half each)          2
     * AUC = 9.5 / 12 */
    const double score[] = {0.9, 0.8, 0.8, 0.7, 0.7, 0.7, 0.1};
    const unsigned char label[] = {1, 0, 1, 1, 0, 0, 0};
    assert_close(sop_auc(score, label, COUNT(score)), 9.5 / 12.0, 1e-12);

    /* the same rows in another order: the same AUC */
    const double s2[] = {0.7, 0.1, 0.8, 0.7, 0.9, 0.7, 0.8};
    const unsigned char l2[] = {0, 0, 1, 1, 1, 0, 0};
    assert_close(sop_auc(s2, l2, COUNT(s2)), 9.5 / 12.0, 1e-12);

    /* a second hand case: scores 2,2,1,1 labels 1,0,1,0 ->
     * the 2-positive beats the 1-negative (1) and ties the 2-negative
     * (0.5); the 1-positive ties the 1-negative (0.5): 2 / 4 */
    const double s3[] = {2, 2, 1, 1};
    const unsigned char l3[] = {1, 0, 1, 0};
    assert_close(sop_auc(s3, l3, COUNT(s3)), 0.5, 1e-12);

    /* scores 5,4,3,2,1 labels 1,0,1,0,0: pairs 3 + 2 = 5 of 6 */
    const double s4[] = {5, 4, 3, 2, 1};
    const unsigned char l4[] = {1, 0, 1, 0, 0};
    assert_close(sop_auc(s4, l4, COUNT(s4)), 5.0 / 6.0, 1e-12);
}

static void auc_leaves_input_alone(void **state)
{
    (void)state;
    double score[] = {0.3, 0.9, 0.1, 0.5};
    unsigned char label[] = {0, 1, 0, 1};
    const double s0[] = {0.3, 0.9, 0.1, 0.5};
    const unsigned char l0[] = {0, 1, 0, 1};
    assert_close(sop_auc(score, label, 4), 1.0, 1e-12);
    assert_memory_equal(score, s0, sizeof score);
    assert_memory_equal(label, l0, sizeof label);
}

/* The Mann-Whitney definition, pair by pair. */
static double auc_brute(const double *s, const unsigned char *l, size_t n)
{
    double pairs = 0, p = 0, q = 0;
    for (size_t i = 0; i < n; i++) {
        if (l[i])
            p++;
        else
            q++;
        if (!l[i])
            continue;
        for (size_t j = 0; j < n; j++) {
            if (l[j])
                continue;
            pairs += s[i] > s[j] ? 1.0 : s[i] == s[j] ? 0.5 : 0.0;
        }
    }
    return pairs / (p * q);
}

static uint64_t rng_state;
static uint64_t rng(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static void auc_matches_brute_force(void **state)
{
    (void)state;
    enum { N = 1500 };
    static double score[N];
    static unsigned char label[N];
    rng_state = 42;
    for (int round_ = 0; round_ < 5; round_++) {
        for (size_t i = 0; i < N; i++) {
            /* few distinct scores: many ties; labels leaning on the score */
            unsigned v = (unsigned)(rng() % 12);
            score[i] = (double)v / 4.0;
            label[i] = (unsigned char)(rng() % 12 < v + (unsigned)round_);
        }
        double want = auc_brute(score, label, N);
        assert_close(sop_auc(score, label, N), want, 1e-12);
    }
}

/* ---- labels -------------------------------------------------------------- */

static int read_builtin(const char *s)
{
    sop_label_rule rule;
    sop_error err;
    sop_error_clear(&err);
    assert_int_equal(sop_label_init(&rule, NULL, &err), 0);
    return sop_label_read(&rule, s, strlen(s));
}

static void expect_words(const char *const *words, size_t n, int want)
{
    for (size_t i = 0; i < n; i++) {
        int got = read_builtin(words[i]);
        if (got != want)
            fail_msg("label \"%s\": got %d, want %d", words[i], got, want);
    }
}

static void label_builtin_positive_words(void **state)
{
    (void)state;
    static const char *const yes[] = {
        "1", "yes", "true", "y", "是", "won", "成交",
        /* case */
        "YES", "Yes", "yEs", "TRUE", "True", "Y", "WON", "Won",
        /* full width */
        "１", "ｙｅｓ", "ＹＥＳ", "Ｙｅｓ", "ｔｒｕｅ", "ＴＲＵＥ", "ｙ", "Ｙ", "ｗｏｎ", "ＷＯＮ",
        /* spaces around, ASCII and ideographic */
        " 1", "yes ", "  won  ", "\t是", "　成交　", "　ｙｅｓ",
    };
    expect_words(yes, COUNT(yes), 1);
}

static void label_builtin_negative_words(void **state)
{
    (void)state;
    static const char *const no[] = {
        "0", "no", "false", "n", "否", "lost", "未成交",
        "NO", "No", "nO", "FALSE", "False", "N", "LOST", "Lost",
        "０", "ｎｏ", "ＮＯ", "ｆａｌｓｅ", "ＦＡＬＳＥ", "ｎ", "Ｎ", "ｌｏｓｔ", "ＬＯＳＴ",
        " 0", "no ", "  lost  ", "\t否", "　未成交　",
    };
    expect_words(no, COUNT(no), 0);
}

static void label_missing_values(void **state)
{
    (void)state;
    static const char *const missing[] = {
        "", " ", "   ", "\t", "　", "NULL", "null", "N/A", "n/a", "-", "NA", "na", "#N/A",
        " N/A ",
    };
    expect_words(missing, COUNT(missing), -1);
    /* a NULL pointer with length 0 is missing too */
    sop_label_rule rule;
    sop_error err;
    sop_error_clear(&err);
    assert_int_equal(sop_label_init(&rule, NULL, &err), 0);
    assert_int_equal(sop_label_read(&rule, NULL, 0), -1);
}

static void label_garbage(void **state)
{
    (void)state;
    static const char *const garbage[] = {
        "maybe", "2", "10", "-1", "1.0", "0.0", "01", "yess", "nope", "wonn", "lostt",
        "是的", "否定", "成交了", "1 0", "yes no", "x", "?", "\xff\xfe",
    };
    expect_words(garbage, COUNT(garbage), -1);
    /* a value longer than the fold buffer is not a label, and does not crash */
    char long_value[600];
    memset(long_value, 'y', sizeof long_value - 1);
    long_value[sizeof long_value - 1] = '\0';
    assert_int_equal(read_builtin(long_value), -1);
}

static void label_length_is_respected(void **state)
{
    (void)state;
    sop_label_rule rule;
    sop_error err;
    sop_error_clear(&err);
    assert_int_equal(sop_label_init(&rule, NULL, &err), 0);
    /* only the first len bytes are the value */
    assert_int_equal(sop_label_read(&rule, "yesterday", 3), 1);
    assert_int_equal(sop_label_read(&rule, "non", 2), 0);
    assert_int_equal(sop_label_read(&rule, "1234", 1), 1);
    assert_int_equal(sop_label_read(&rule, "0xyz", 1), 0);
}

static sop_label_rule positive_rule(const char *value)
{
    sop_label_rule rule;
    sop_error err;
    sop_error_clear(&err);
    int rc = sop_label_init(&rule, value, &err);
    if (rc != 0)
        fail_msg("--positive \"%s\" refused (%d): %s", value, rc, err.msg);
    return rule;
}

static int read_with(const sop_label_rule *rule, const char *s)
{
    return sop_label_read(rule, s, strlen(s));
}

static void label_positive_value(void **state)
{
    (void)state;
    sop_label_rule r = positive_rule("Won");
    /* that value, folded */
    assert_int_equal(read_with(&r, "Won"), 1);
    assert_int_equal(read_with(&r, "won"), 1);
    assert_int_equal(read_with(&r, "WON"), 1);
    assert_int_equal(read_with(&r, "ｗｏｎ"), 1);
    assert_int_equal(read_with(&r, " won "), 1);
    /* any other non-missing value: not converted, even built-in yes words */
    assert_int_equal(read_with(&r, "lost"), 0);
    assert_int_equal(read_with(&r, "1"), 0);
    assert_int_equal(read_with(&r, "yes"), 0);
    assert_int_equal(read_with(&r, "是"), 0);
    assert_int_equal(read_with(&r, "maybe"), 0);
    assert_int_equal(read_with(&r, "won!"), 0);
    assert_int_equal(read_with(&r, "wonderful"), 0);
    /* missing stays missing */
    assert_int_equal(read_with(&r, ""), -1);
    assert_int_equal(read_with(&r, "  "), -1);
    assert_int_equal(read_with(&r, "N/A"), -1);
    assert_int_equal(read_with(&r, "NULL"), -1);
    assert_int_equal(read_with(&r, "-"), -1);
}

static void label_positive_chinese_and_digits(void **state)
{
    (void)state;
    sop_label_rule r = positive_rule("成交");
    assert_int_equal(read_with(&r, "成交"), 1);
    assert_int_equal(read_with(&r, "　成交"), 1);
    assert_int_equal(read_with(&r, "未成交"), 0);
    assert_int_equal(read_with(&r, "跟进中"), 0);
    assert_int_equal(read_with(&r, ""), -1);

    /* --positive 0 turns the built-in meaning around */
    sop_label_rule z = positive_rule("0");
    assert_int_equal(read_with(&z, "0"), 1);
    assert_int_equal(read_with(&z, "０"), 1);
    assert_int_equal(read_with(&z, "1"), 0);

    /* the value given in full width matches the ASCII one */
    sop_label_rule f = positive_rule("ＣＬＯＳＥＤ");
    assert_int_equal(read_with(&f, "closed"), 1);
    assert_int_equal(read_with(&f, "Closed"), 1);
    assert_int_equal(read_with(&f, "open"), 0);
}

static void label_positive_unusable(void **state)
{
    (void)state;
    sop_label_rule rule;
    sop_error err;
    sop_error_clear(&err);
    assert_int_equal(sop_label_init(&rule, "", &err), SOP_EXIT_USAGE);
    assert_int_equal(err.status, SOP_EXIT_USAGE);
    assert_non_null(strstr(err.msg, "--positive"));
    sop_error_clear(&err);
    assert_int_equal(sop_label_init(&rule, "   ", &err), SOP_EXIT_USAGE);
    char too_long[400];
    memset(too_long, 'a', sizeof too_long - 1);
    too_long[sizeof too_long - 1] = '\0';
    sop_error_clear(&err);
    assert_int_equal(sop_label_init(&rule, too_long, &err), SOP_EXIT_USAGE);
    assert_non_null(strstr(err.msg, "--positive"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(auc_all_tied_is_half),
        cmocka_unit_test(auc_perfect_is_one),
        cmocka_unit_test(auc_reversed_is_zero),
        cmocka_unit_test(auc_one_class_is_nan),
        cmocka_unit_test(auc_mixed_with_ties),
        cmocka_unit_test(auc_leaves_input_alone),
        cmocka_unit_test(auc_matches_brute_force),
        cmocka_unit_test(label_builtin_positive_words),
        cmocka_unit_test(label_builtin_negative_words),
        cmocka_unit_test(label_missing_values),
        cmocka_unit_test(label_garbage),
        cmocka_unit_test(label_length_is_respected),
        cmocka_unit_test(label_positive_value),
        cmocka_unit_test(label_positive_chinese_and_digits),
        cmocka_unit_test(label_positive_unusable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
