/* test_dedupe.c - unit tests of lib/models/dedupe_norm.c: Jaro-Winkler and
 * bigram Jaccard on code points against hand-computed figures, OpenCC's
 * traditional -> simplified, and the company and text normalisers on the
 * variants a Chinese CRM export holds. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "dedupe_norm.h"

static double jw(const char *a, const char *b)
{
    return sop_jaro_winkler(a, strlen(a), b, strlen(b));
}

static double jac(const char *a, const char *b)
{
    return sop_bigram_jaccard(a, strlen(a), b, strlen(b));
}

/* The textbook figures: MARTHA/MARHTA 0.9611, DWAYNE/DUANE 0.84,
 * DIXON/DICKSONX 0.8133; on Chinese, code points, not bytes: 麦田电商 and
 * 麦田电子 share 3 of 4 (window 1): jaro (3/4 + 3/4 + 1)/3 = 5/6, prefix 3:
 * 5/6 + 0.3 * 1/6 = 0.8833. */
static void jaro_winkler_by_hand(void **state)
{
    (void)state;
    assert_true(fabs(jw("MARTHA", "MARHTA") - 0.961111) < 1e-6);
    assert_true(fabs(jw("DWAYNE", "DUANE") - 0.84) < 1e-9);
    assert_true(fabs(jw("DIXON", "DICKSONX") - 0.813333) < 1e-6);
    assert_true(fabs(jw("麦田电商", "麦田电子") - (5.0 / 6 + 0.3 / 6)) < 1e-12);
    assert_true(jw("", "") == 1 && jw("a", "") == 0 && jw("abc", "xyz") == 0);
    assert_true(jw("上海麦田", "上海麦田") == 1);
}

/* 麦田电商 pairs {麦田, 田电, 电商}, 麦田电子 {麦田, 田电, 电子}: 2 / 4. */
static void bigram_jaccard_by_hand(void **state)
{
    (void)state;
    assert_true(fabs(jac("麦田电商", "麦田电子") - 0.5) < 1e-12);
    assert_true(fabs(jac("abab", "ab") - 1.0 / 2) < 1e-12); /* {ab, ba} and {ab} */
    assert_true(jac("a", "a") == 1 && jac("a", "b") == 0);
    assert_true(jac("", "") == 1 && jac("", "x") == 0);
}

static void traditional_to_simplified(void **state)
{
    (void)state;
    sop_t2s *t;
    sop_error err;
    sop_error_clear(&err);
    assert_int_equal(sop_t2s_open(&t, &err), 0);
    char out[256];
    size_t n = sop_t2s_convert(t, "麥田電商有限公司", strlen("麥田電商有限公司"), out, sizeof out);
    assert_true(n != (size_t)-1);
    assert_string_equal(out, "麦田电商有限公司");
    assert_true(sop_t2s_convert(t, "麥田", strlen("麥田"), out, 3) == (size_t)-1); /* too small */
    /* only the given bytes are read, and invalid UTF-8 is refused (OpenCC
     * itself reads to a NUL and past a truncated sequence) */
    assert_true(sop_t2s_convert(t, "麥田電商", 6, out, sizeof out) != (size_t)-1);
    assert_string_equal(out, "麦田");
    assert_true(sop_t2s_convert(t, "\xe9\xba", 2, out, sizeof out) == (size_t)-1);
    sop_t2s_close(t);
}

static void company_variants(void **state)
{
    (void)state;
    sop_t2s *t;
    sop_error err;
    sop_error_clear(&err);
    assert_int_equal(sop_t2s_open(&t, &err), 0);
    static const char *const same[] = {
        "麦田电商有限公司", "上海麦田电商有限公司", "（上海）麦田电商有限公司", "麥田電商股份有限公司",
        "上海市麦田电商", "麦田电商 Co., Ltd.", "麦田电商集团",
    };
    for (size_t i = 0; i < sizeof same / sizeof same[0]; i++) {
        sop_company_norm c;
        size_t n = sop_norm_company(t, same[i], strlen(same[i]), &c);
        if (n == 0 || strcmp(c.key, "麦田电商") != 0)
            fail_msg("%s -> \"%s\"", same[i], c.key);
        assert_false(c.branch);
    }
    sop_company_norm c;
    assert_true(sop_norm_company(t, "上海麦田电商", strlen("上海麦田电商"), &c) > 0);
    assert_string_equal(c.city, "上海");
    /* a branch is flagged (another customer) */
    assert_true(sop_norm_company(t, "麦田电商杭州分公司", strlen("麦田电商杭州分公司"), &c) > 0);
    assert_true(c.branch);
    /* a city name that is the company's own: 上海银行 keeps it */
    assert_true(sop_norm_company(t, "上海银行", strlen("上海银行"), &c) > 0);
    assert_string_equal(c.key, "上海银行");
    /* nothing usable */
    assert_true(sop_norm_company(t, "", 0, &c) == 0);
    sop_t2s_close(t);
}

static void text_normaliser(void **state)
{
    (void)state;
    sop_t2s *t;
    sop_error err;
    sop_error_clear(&err);
    assert_int_equal(sop_t2s_open(&t, &err), 0);
    char out[128];
    assert_true(sop_norm_text(t, "張 偉", strlen("張 偉"), out, sizeof out) > 0);
    assert_string_equal(out, "张伟");
    assert_true(sop_norm_text(t, "Zhang  Wei", 10, out, sizeof out) > 0);
    assert_string_equal(out, "zhangwei");
    assert_true(sop_norm_text(t, "上海市（浦东）张江路１２号", strlen("上海市（浦东）张江路１２号"),
                              out, sizeof out) > 0);
    assert_string_equal(out, "上海市浦东张江路12号");
    assert_true(sop_norm_text(NULL, " · ", strlen(" · "), out, sizeof out) == 0);
    sop_t2s_close(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(jaro_winkler_by_hand), cmocka_unit_test(bigram_jaccard_by_hand),
        cmocka_unit_test(traditional_to_simplified), cmocka_unit_test(company_variants),
        cmocka_unit_test(text_normaliser),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
