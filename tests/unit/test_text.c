/* test_text.c - unit tests of lib/core/text.c: folding text for comparison
 * (trim incl. U+3000, ASCII lower-casing, NFKC full-width -> half-width),
 * terminal display width (CJK = 2 cells) and fitting text into cells.
 *
 * Inputs are copied into heap blocks of exactly their length (no NUL), so
 * AddressSanitizer catches a read past len. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

#define FOLD_FAIL ((size_t)-1)

static char *exact_copy(const char *s, size_t len)
{
    char *p = malloc(len ? len : 1);
    assert_non_null(p);
    memcpy(p, s, len);
    return p;
}

/* Folds s (its strlen bytes) into a roomy buffer; returns the result length. */
static size_t fold(const char *s, char *out, size_t cap)
{
    size_t len = strlen(s);
    char *copy = exact_copy(s, len);
    size_t n = sop_text_fold(copy, len, out, cap);
    free(copy);
    return n;
}

static void expect_fold(const char *in, const char *want)
{
    char out[256];
    memset(out, 'X', sizeof out);
    size_t n = fold(in, out, sizeof out);
    if (n == FOLD_FAIL)
        fail_msg("fold(\"%s\") failed, expected \"%s\"", in, want);
    assert_int_equal(n, strlen(want));
    assert_string_equal(out, want); /* NUL-terminated too */
}

static size_t width_of(const char *s)
{
    size_t len = strlen(s);
    char *copy = exact_copy(s, len);
    size_t w = sop_text_width(copy, len);
    free(copy);
    return w;
}

static size_t fit_of(const char *s, size_t cells)
{
    size_t len = strlen(s);
    char *copy = exact_copy(s, len);
    size_t n = sop_text_fit(copy, len, cells);
    free(copy);
    return n;
}

/* ---- sop_text_trim ------------------------------------------------------ */

static void test_trim_ascii_space(void **state)
{
    (void)state;
    const char *s = " \t a b \r\n";
    size_t len = strlen(s);
    sop_text_trim(&s, &len);
    assert_int_equal(len, 3);
    assert_memory_equal(s, "a b", 3);
}

static void test_trim_ideographic_space(void **state)
{
    (void)state;
    const char *s = "\xE3\x80\x80 \xE3\x80\x80客户\xE3\x80\x80 ";
    size_t len = strlen(s);
    sop_text_trim(&s, &len);
    assert_int_equal(len, strlen("客户"));
    assert_memory_equal(s, "客户", len);
}

static void test_trim_all_space(void **state)
{
    (void)state;
    const char *s = "  \xE3\x80\x80\t";
    size_t len = strlen(s);
    sop_text_trim(&s, &len);
    assert_int_equal(len, 0);
}

static void test_trim_keeps_inner(void **state)
{
    (void)state;
    /* U+3000 inside the text stays */
    const char *s = "a\xE3\x80\x80" "b";
    size_t len = strlen(s);
    sop_text_trim(&s, &len);
    assert_int_equal(len, 5);
}

/* ---- sop_text_fold ------------------------------------------------------ */

static void test_fold_ascii_lower(void **state)
{
    (void)state;
    expect_fold("ABC", "abc");
    expect_fold("Lead ID", "lead id");
    expect_fold("MiXeD 123 _-", "mixed 123 _-");
    expect_fold("already lower", "already lower");
}

static void test_fold_trims(void **state)
{
    (void)state;
    expect_fold("  CBD  ", "cbd");
    expect_fold("\tCBD\r\n", "cbd");
    expect_fold("\xE3\x80\x80" "CBD" "\xE3\x80\x80", "cbd");
    expect_fold("\xE3\x80\x80 陆家嘴 \xE3\x80\x80", "陆家嘴");
}

static void test_fold_fullwidth(void **state)
{
    (void)state;
    expect_fold("ＣＢＤ", "cbd");                /* full-width Latin */
    expect_fold("ａｂｃ", "abc");
    expect_fold("５０万", "50万");               /* full-width digits */
    expect_fold("（北京）", "(北京)");           /* full-width parentheses */
    expect_fold("Ｈｅｌｌｏ\xE3\x80\x80Ｗｏｒｌｄ", "hello world"); /* inner U+3000 -> space */
    expect_fold("\xE3\x80\x80ＣＥＯ\xE3\x80\x80", "ceo");
}

static void test_fold_cjk_unchanged(void **state)
{
    (void)state;
    expect_fold("销售总监", "销售总监");
    expect_fold("客户名称", "客户名称");
    expect_fold("总经理 CEO", "总经理 ceo");
}

static void test_fold_non_ascii_case(void **state)
{
    (void)state;
    /* NFKC composes; case folding lowers beyond ASCII */
    expect_fold("E\xCC\x81", "\xC3\xA9");       /* E + combining acute -> é */
    expect_fold("\xC3\x89", "\xC3\xA9");        /* É -> é */
}

static void test_fold_empty(void **state)
{
    (void)state;
    expect_fold("", "");
    expect_fold("   ", "");
    expect_fold("\xE3\x80\x80", "");
}

static void test_fold_capacity(void **state)
{
    (void)state;
    char out[8];
    /* "abc" needs 4 bytes with its terminator */
    assert_int_equal(fold("ABC", out, 4), 3);
    assert_string_equal(out, "abc");
    assert_int_equal(fold("ABCD", out, 4), FOLD_FAIL);
    /* the non-trivial path (full-width) obeys the limit too */
    assert_int_equal(fold("ＡＢＣＤ", out, 4), FOLD_FAIL);
    assert_int_equal(fold("ＡＢＣ", out, 4), 3);
    assert_string_equal(out, "abc");
}

static void test_fold_invalid_utf8(void **state)
{
    (void)state;
    char out[64];
    assert_int_equal(fold("\xFF", out, sizeof out), FOLD_FAIL);
    assert_int_equal(fold("abc\xC3", out, sizeof out), FOLD_FAIL);       /* cut sequence */
    assert_int_equal(fold("\xC3\x28", out, sizeof out), FOLD_FAIL);      /* bad continuation */
    assert_int_equal(fold("\xED\xA0\x80", out, sizeof out), FOLD_FAIL);  /* surrogate */
}

static void test_fold_invalid_after_cjk_lead(void **state)
{
    (void)state;
    char out[64];
    /* a CJK lead byte (E4..E9) followed by non-continuation bytes is not
     * UTF-8 and must not be folded as if it were a character */
    assert_int_equal(fold("\xE4" "AB", out, sizeof out), FOLD_FAIL);
    assert_int_equal(fold("x\xE5\x80" "A", out, sizeof out), FOLD_FAIL);
}

static void test_fold_respects_len(void **state)
{
    (void)state;
    char out[16];
    /* only the first 3 bytes count */
    char *copy = exact_copy("ABCDEF", 6);
    assert_int_equal(sop_text_fold(copy, 3, out, sizeof out), 3);
    assert_string_equal(out, "abc");
    free(copy);
}

/* ---- sop_text_width ----------------------------------------------------- */

static void test_width_ascii(void **state)
{
    (void)state;
    assert_int_equal(width_of(""), 0);
    assert_int_equal(width_of("a"), 1);
    assert_int_equal(width_of("hello world"), 11);
}

static void test_width_cjk(void **state)
{
    (void)state;
    assert_int_equal(width_of("中"), 2);
    assert_int_equal(width_of("中文"), 4);
    assert_int_equal(width_of("陆家嘴CBD"), 9);
    assert_int_equal(width_of("a中b"), 4);
    assert_int_equal(width_of("ＣＢＤ"), 6);    /* full-width forms */
    assert_int_equal(width_of("한국"), 4);       /* Hangul */
    assert_int_equal(width_of("にほん"), 6);     /* Hiragana */
    assert_int_equal(width_of("，。"), 4);       /* CJK punctuation */
}

static void test_width_other(void **state)
{
    (void)state;
    assert_int_equal(width_of("\xC3\xA9"), 1);        /* é */
    assert_int_equal(width_of("e\xCC\x81"), 1);       /* e + combining acute */
    assert_int_equal(width_of("¥500"), 4);
}

static void test_width_respects_len(void **state)
{
    (void)state;
    char *copy = exact_copy("中文abc", 9);
    assert_int_equal(sop_text_width(copy, 3), 2);
    assert_int_equal(sop_text_width(copy, 7), 5);
    free(copy);
}

/* ---- sop_text_fit ------------------------------------------------------- */

static void test_fit_ascii(void **state)
{
    (void)state;
    assert_int_equal(fit_of("abcdef", 0), 0);
    assert_int_equal(fit_of("abcdef", 3), 3);
    assert_int_equal(fit_of("abcdef", 6), 6);
    assert_int_equal(fit_of("abcdef", 100), 6);
    assert_int_equal(fit_of("", 5), 0);
}

static void test_fit_cjk_boundaries(void **state)
{
    (void)state;
    /* never splits a character and never exceeds the cells */
    assert_int_equal(fit_of("中文abc", 1), 0);
    assert_int_equal(fit_of("中文abc", 2), 3);
    assert_int_equal(fit_of("中文abc", 3), 3);
    assert_int_equal(fit_of("中文abc", 4), 6);
    assert_int_equal(fit_of("中文abc", 5), 7);
    assert_int_equal(fit_of("a中", 2), 1);
    assert_int_equal(fit_of("a中", 3), 4);
}

static void test_fit_combining(void **state)
{
    (void)state;
    /* e + U+0301 is one cell: the mark belongs to the prefix */
    assert_int_equal(fit_of("e\xCC\x81x", 1), 3);
    assert_int_equal(fit_of("e\xCC\x81x", 2), 4);
}

static void test_fit_respects_len(void **state)
{
    (void)state;
    char *copy = exact_copy("abcdef", 6);
    assert_int_equal(sop_text_fit(copy, 3, 10), 3);
    free(copy);
}

static void test_fit_width_agree(void **state)
{
    (void)state;
    const char *samples[] = {"华为技术有限公司", "Acme 中国 Ltd", "ＣＢＤ陆家嘴", "plain"};
    for (size_t k = 0; k < sizeof samples / sizeof samples[0]; k++) {
        size_t len = strlen(samples[k]);
        for (size_t cells = 0; cells <= 20; cells++) {
            size_t n = fit_of(samples[k], cells);
            assert_true(n <= len);
            char *copy = exact_copy(samples[k], len);
            size_t w = sop_text_width(copy, n);
            assert_true(w <= cells);
            /* maximal: one more character would not fit (or nothing is left) */
            if (n < len) {
                size_t next = n + 1;
                while (next < len && ((unsigned char)copy[next] & 0xC0) == 0x80)
                    next++;
                assert_true(sop_text_width(copy, next) > cells);
            }
            free(copy);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trim_ascii_space),
        cmocka_unit_test(test_trim_ideographic_space),
        cmocka_unit_test(test_trim_all_space),
        cmocka_unit_test(test_trim_keeps_inner),
        cmocka_unit_test(test_fold_ascii_lower),
        cmocka_unit_test(test_fold_trims),
        cmocka_unit_test(test_fold_fullwidth),
        cmocka_unit_test(test_fold_cjk_unchanged),
        cmocka_unit_test(test_fold_non_ascii_case),
        cmocka_unit_test(test_fold_empty),
        cmocka_unit_test(test_fold_capacity),
        cmocka_unit_test(test_fold_invalid_utf8),
        cmocka_unit_test(test_fold_invalid_after_cjk_lead),
        cmocka_unit_test(test_fold_respects_len),
        cmocka_unit_test(test_width_ascii),
        cmocka_unit_test(test_width_cjk),
        cmocka_unit_test(test_width_other),
        cmocka_unit_test(test_width_respects_len),
        cmocka_unit_test(test_fit_ascii),
        cmocka_unit_test(test_fit_cjk_boundaries),
        cmocka_unit_test(test_fit_combining),
        cmocka_unit_test(test_fit_respects_len),
        cmocka_unit_test(test_fit_width_agree),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
