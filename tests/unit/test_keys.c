/* test_keys.c - unit tests of lib/core/keys.c: identity keys for company
 * names (legal forms, leading brackets, branches, placeholders), phone
 * numbers (mobile, landline with area code, extensions, +86, 400/800,
 * placeholders) and e-mail addresses (shape, folding, placeholders), plus
 * the shared contract: cap too small, invalid UTF-8, empty input -> 0.
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

#include "keys.h"

typedef size_t (*key_fn)(const char *s, size_t len, char *out, size_t cap);

static char *exact_copy(const char *s, size_t len)
{
    char *p = malloc(len ? len : 1);
    assert_non_null(p);
    memcpy(p, s, len);
    return p;
}

/* Runs fn on s (its strlen bytes) into out (cap bytes). */
static size_t key_of(key_fn fn, const char *s, char *out, size_t cap)
{
    size_t len = strlen(s);
    char *copy = exact_copy(s, len);
    size_t n = fn(copy, len, out, cap);
    free(copy);
    return n;
}

static void expect_key(key_fn fn, const char *name, const char *in, const char *want)
{
    char out[256];
    memset(out, 'X', sizeof out);
    size_t n = key_of(fn, in, out, sizeof out);
    if (n == 0)
        fail_msg("%s(\"%s\") gave no key, expected \"%s\"", name, in, want);
    if (strcmp(out, want) != 0)
        fail_msg("%s(\"%s\") = \"%s\", expected \"%s\"", name, in, out, want);
    assert_int_equal(n, strlen(want));
}

static void expect_none(key_fn fn, const char *name, const char *in)
{
    char out[256];
    memset(out, 'X', sizeof out);
    size_t n = key_of(fn, in, out, sizeof out);
    if (n != 0)
        fail_msg("%s(\"%s\") = \"%s\", expected no key", name, in, out);
    assert_string_equal(out, ""); /* and out is left empty */
}

#define expect_company(in, want) expect_key(sop_key_company, "company", in, want)
#define expect_no_company(in) expect_none(sop_key_company, "company", in)
#define expect_phone(in, want) expect_key(sop_key_phone, "phone", in, want)
#define expect_no_phone(in) expect_none(sop_key_phone, "phone", in)
#define expect_email(in, want) expect_key(sop_key_email, "email", in, want)
#define expect_no_email(in) expect_none(sop_key_email, "email", in)

/* ---- sop_key_company ---------------------------------------------------- */

static void test_company_chinese_legal_forms(void **state)
{
    (void)state;
    expect_company("麦田电商有限公司", "麦田电商");
    expect_company("麦田电商股份有限公司", "麦田电商");
    expect_company("麦田电商有限责任公司", "麦田电商");
    expect_company("麦田集团有限公司", "麦田");
    expect_company("麦田集团", "麦田");
    expect_company("麦田电商公司", "麦田电商");
    /* repeatedly: 集团 is stripped after 股份有限公司 */
    expect_company("麦田集团股份有限公司", "麦田");
    /* only at the end */
    expect_company("有限公司麦田", "有限公司麦田");
}

static void test_company_latin_legal_forms(void **state)
{
    (void)state;
    expect_company("Acme Co., Ltd.", "acme");
    expect_company("Acme Co.,Ltd", "acme");
    expect_company("Acme Co.Ltd", "acme");
    expect_company("Acme Co. Ltd.", "acme");
    expect_company("Acme Ltd.", "acme");
    expect_company("Acme Ltd", "acme");
    expect_company("Acme, Inc.", "acme");
    expect_company("Acme Inc", "acme");
    expect_company("Acme LLC", "acme");
    expect_company("Acme Corp.", "acme");
    expect_company("ACME CORP", "acme");
    expect_company("Siemens GmbH", "siemens");
    expect_company("麦田科技 Co., Ltd.", "麦田科技");
    expect_company("麦田科技Inc.", "麦田科技");
    /* all spellings of one company meet */
    expect_company("Big Data Inc.", "bigdata");
    expect_company("BIG DATA", "bigdata");
}

static void test_company_latin_needs_boundary(void **state)
{
    (void)state;
    /* a Latin legal form glued to a word is part of the word */
    expect_company("Zinc", "zinc");
    expect_company("Wellcorp", "wellcorp");
    expect_company("Zinc Inc", "zinc");
    expect_company("Costco Ltd", "costco");
}

static void test_company_fold_and_space(void **state)
{
    (void)state;
    expect_company("  麦田 电商\xE3\x80\x80有限公司  ", "麦田电商");
    expect_company("ＡＣＭＥ　Ｃｏ．，Ｌｔｄ．", "acme");   /* full-width, U+3000 */
    expect_company("麦田\t电商", "麦田电商");
    expect_company("麦田电商有限 公司", "麦田电商");
}

static void test_company_leading_bracket(void **state)
{
    (void)state;
    expect_company("(上海)麦田电商有限公司", "麦田电商");
    expect_company("（上海）麦田电商有限公司", "麦田电商");  /* full-width */
    expect_company("【上海】麦田电商有限公司", "麦田电商");
    expect_company("[上海] 麦田电商有限公司", "麦田电商");
    expect_company("［上海］麦田电商", "麦田电商");
    /* only at the very start, only one */
    expect_company("麦田电商(上海)有限公司", "麦田电商(上海)");
    /* no closing bracket: kept */
    expect_company("(上海麦田电商", "(上海麦田电商");
    expect_no_company("(上海)");
    expect_no_company("【上海】有限公司");
}

static void test_company_trailing_punct(void **state)
{
    (void)state;
    expect_company("麦田电商有限公司.", "麦田电商");
    expect_company("麦田电商;", "麦田电商");
    expect_company("麦田电商，", "麦田电商");
    expect_company("麦田电商有限公司。", "麦田电商");
}

static void test_company_branch(void **state)
{
    (void)state;
    expect_company("麦田电商有限公司杭州分公司", "麦田电商有限公司杭州分公司");
    expect_company("麦田电商有限公司 杭州分公司", "麦田电商有限公司杭州分公司");
    expect_company("(浙江)麦田电商有限公司杭州分公司。", "麦田电商有限公司杭州分公司");
}

static void test_company_placeholders(void **state)
{
    (void)state;
    expect_no_company("个人");
    expect_no_company("无");
    expect_no_company("未知");
    expect_no_company("暂无");
    expect_no_company("test");
    expect_no_company("TEST");
    expect_no_company("测试");
    expect_no_company("测试有限公司");
    expect_no_company("N/A");
    expect_no_company("null");
    expect_no_company("-");
    expect_no_company("--");
    expect_no_company("有限公司");
    expect_no_company("Co., Ltd.");
    expect_no_company("Inc.");
    /* a real name that merely contains a placeholder word */
    expect_company("测试仪器有限公司", "测试仪器");
}

/* ---- sop_key_phone ------------------------------------------------------ */

static void test_phone_mobile(void **state)
{
    (void)state;
    expect_phone("13912345678", "13912345678");
    expect_phone("139 1234 5678", "13912345678");
    expect_phone("139-1234-5678", "13912345678");
    expect_phone("(139)12345678", "13912345678");
    expect_phone("１３９１２３４５６７８", "13912345678");      /* full-width */
    expect_phone("Tel: 13912345678", "13912345678");
    expect_phone("13800000000", "13800000000");             /* not a placeholder */
    expect_phone("013912345678", "13912345678");            /* trunk 0 */
}

static void test_phone_country_code(void **state)
{
    (void)state;
    expect_phone("+86 139 1234 5678", "13912345678");
    expect_phone("+86-139-1234-5678", "13912345678");
    expect_phone("+8613912345678", "13912345678");
    expect_phone("008613912345678", "13912345678");
    expect_phone("8613912345678", "13912345678");
    expect_phone("＋８６１３９１２３４５６７８", "13912345678");
    /* +86 before a landline written without its trunk 0 */
    expect_phone("+86 21 6234 5678", "02162345678");
    expect_phone("+86-21-6234-5678", "02162345678");
    expect_phone("0086 21 62345678", "02162345678");
    /* another country */
    expect_no_phone("+1 415 555 0123");
    expect_no_phone("+44 20 7946 0958");
}

static void test_phone_landline(void **state)
{
    (void)state;
    expect_phone("021-62345678", "02162345678");
    expect_phone("(021) 6234 5678", "02162345678");
    expect_phone("010-6234-5678", "01062345678");
    expect_phone("0571-87654321", "057187654321");
    expect_phone("0571-8765-4321", "057187654321");
    expect_phone("0755-2345678", "07552345678");
    /* no area code: not unique */
    expect_no_phone("62345678");
    expect_no_phone("6234567");
    expect_no_phone("6234-5678");
}

static void test_phone_extension(void **state)
{
    (void)state;
    expect_phone("13912345678-123", "13912345678");
    expect_phone("13912345678 转 123", "13912345678");
    expect_phone("021-62345678-8001", "02162345678");
    expect_phone("021-62345678转8001", "02162345678");
    expect_phone("021-62345678 ext. 8001", "02162345678");
    expect_phone("021-62345678 EXT 8001", "02162345678");
    expect_phone("021-62345678x8001", "02162345678");
    expect_phone("021-62345678 X 8001", "02162345678");
    expect_phone("021-62345678#8001", "02162345678");
    expect_phone("021-62345678 分机 8001", "02162345678");
    expect_phone("02162345678-1", "02162345678");
    /* more than 5 digits after the marker: not an extension, so no number */
    expect_no_phone("021-62345678转800123");
    /* an extension on a number without area code is still no identity */
    expect_no_phone("62345678转8001");
    /* the placeholder is still a placeholder with an extension */
    expect_no_phone("13800138000-123");
}

static void test_phone_service_numbers(void **state)
{
    (void)state;
    expect_no_phone("400-123-4567");
    expect_no_phone("4001234567");
    expect_no_phone("800 123 4567");
    expect_no_phone("+86 400 123 4567");
}

static void test_phone_placeholders(void **state)
{
    (void)state;
    expect_no_phone("11111111111");
    expect_no_phone("00000000000");
    expect_no_phone("0000-0000000");
    expect_no_phone("12345678901");
    expect_no_phone("13800138000");
    expect_no_phone("+86 138 0013 8000");
    expect_no_phone("138****5678");
    expect_no_phone("暂无");
    expect_no_phone("-");
}

static void test_phone_malformed(void **state)
{
    (void)state;
    expect_no_phone("1391234567");       /* 10 digits */
    expect_no_phone("139123456789");     /* 12 digits */
    expect_no_phone("23912345678");      /* 11 digits, not a mobile */
    expect_no_phone("13912345678/13987654321");
    expect_no_phone("0216234567890");    /* 13 digits */
    expect_no_phone("00162345678");      /* '00' is no area code */
}

/* ---- sop_key_email ------------------------------------------------------ */

static void test_email_valid(void **state)
{
    (void)state;
    expect_email("zhang.san@maitian.com", "zhang.san@maitian.com");
    expect_email("  Zhang.San@MaiTian.COM \xE3\x80\x80", "zhang.san@maitian.com");
    expect_email("ｚｈａｎｇ＠ｍａｉｔｉａｎ．ｃｎ", "zhang@maitian.cn");   /* full-width */
    expect_email("li+crm@mail.maitian.com.cn", "li+crm@mail.maitian.com.cn");
    expect_email("wang@麦田.中国", "wang@麦田.中国");
    expect_email("x@y.co", "x@y.co");
}

static void test_email_invalid(void **state)
{
    (void)state;
    expect_no_email("zhang.san");
    expect_no_email("zhang@maitian");           /* no dot in the domain */
    expect_no_email("@maitian.com");            /* empty local part */
    expect_no_email("zhang@");
    expect_no_email("zhang@@maitian.com");
    expect_no_email("zhang@li@maitian.com");
    expect_no_email("zhang san@maitian.com");   /* inner space */
    expect_no_email("zhang@mai tian.com");
    expect_no_email("zhang\xE3\x80\x80san@maitian.com");
    expect_no_email("zhang@.maitian.com");
    expect_no_email("zhang@maitian.com.");
    expect_no_email("zhang@maitian..com");
    expect_no_email("Zhang <zhang@maitian.com>");
    expect_no_email("zhang@maitian.com; li@maitian.com");
}

static void test_email_placeholders(void **state)
{
    (void)state;
    expect_no_email("test@test.com");
    expect_no_email("TEST@TEST.COM");
    expect_no_email("a@a.com");
    expect_no_email("none@none.com");
    expect_no_email("abc@abc.cn");
    expect_no_email("noreply@maitian.com");
    expect_no_email("no-reply@maitian.com");
    expect_no_email("donotreply@maitian.com");
    expect_no_email("test@qq.com");
    expect_no_email("zhang@example.com");
    /* the same name on a real provider's subdomain is fine */
    expect_email("a@a.maitian.com", "a@a.maitian.com");
    expect_email("tester@qq.com", "tester@qq.com");
}

/* ---- the shared contract ------------------------------------------------ */

static void test_empty(void **state)
{
    (void)state;
    char out[16];
    expect_no_company("");
    expect_no_company("   ");
    expect_no_company("\xE3\x80\x80");
    expect_no_phone("");
    expect_no_phone("  ");
    expect_no_email("");
    expect_no_email(" \t ");
    /* a NULL pointer with length 0 is the empty value */
    assert_int_equal(sop_key_company(NULL, 0, out, sizeof out), 0);
    assert_int_equal(sop_key_phone(NULL, 0, out, sizeof out), 0);
    assert_int_equal(sop_key_email(NULL, 0, out, sizeof out), 0);
}

static void test_invalid_utf8(void **state)
{
    (void)state;
    expect_no_company("\xFF");
    expect_no_company("麦田\xC3");               /* cut sequence */
    expect_no_company("\xE4" "AB");              /* CJK lead, no continuation */
    expect_no_company("\xED\xA0\x80麦田");       /* surrogate */
    expect_no_phone("139\xFF" "12345678");
    expect_no_phone("13912345678\xC3");
    expect_no_email("zhang@mai\xFFtian.com");
    expect_no_email("\xC3\x28@maitian.com");
}

static void test_control_chars(void **state)
{
    (void)state;
    char out[64];
    /* an embedded NUL makes no company or e-mail key */
    assert_int_equal(sop_key_company("ab\0cd", 5, out, sizeof out), 0);
    assert_int_equal(sop_key_email("a\0b@maitian.com", 15, out, sizeof out), 0);
    expect_no_company("麦田\x01电商");
}

static void test_capacity(void **state)
{
    (void)state;
    char out[64];
    /* the key and its terminator fit exactly */
    assert_int_equal(key_of(sop_key_phone, "13912345678", out, 12), 11);
    assert_string_equal(out, "13912345678");
    assert_int_equal(key_of(sop_key_phone, "13912345678", out, 11), 0);
    assert_int_equal(key_of(sop_key_phone, "057187654321", out, 13), 12);
    assert_int_equal(key_of(sop_key_phone, "057187654321", out, 12), 0);
    assert_int_equal(key_of(sop_key_phone, "+86 21 6234 5678", out, 12), 11);
    assert_string_equal(out, "02162345678");
    assert_int_equal(key_of(sop_key_phone, "+86 21 6234 5678", out, 11), 0);

    assert_int_equal(key_of(sop_key_email, "a.b@maitian.cn", out, 15), 14);
    assert_string_equal(out, "a.b@maitian.cn");
    assert_int_equal(key_of(sop_key_email, "a.b@maitian.cn", out, 14), 0);
    assert_string_equal(out, "");

    assert_int_equal(key_of(sop_key_company, "ACME", out, 5), 4);
    assert_string_equal(out, "acme");
    assert_int_equal(key_of(sop_key_company, "ACME", out, 4), 0);
    assert_string_equal(out, "");
    /* cap must hold the folded name, though the key is shorter */
    assert_int_equal(key_of(sop_key_company, "ACME Inc", out, 9), 4);
    assert_string_equal(out, "acme");
    assert_int_equal(key_of(sop_key_company, "ACME Inc", out, 8), 0);

    /* cap 0: nothing written */
    out[0] = 'X';
    assert_int_equal(key_of(sop_key_company, "ACME", out, 0), 0);
    assert_int_equal(key_of(sop_key_phone, "13912345678", out, 0), 0);
    assert_int_equal(key_of(sop_key_email, "a@maitian.cn", out, 0), 0);
    assert_int_equal(out[0], 'X');

    /* a phone value too long to be a phone number */
    char longtext[600];
    memset(longtext, '1', sizeof longtext - 1);
    longtext[sizeof longtext - 1] = '\0';
    assert_int_equal(key_of(sop_key_phone, longtext, out, sizeof out), 0);
}

static void test_respects_len(void **state)
{
    (void)state;
    char out[64];
    char *copy = exact_copy("13912345678999", 14);
    assert_int_equal(sop_key_phone(copy, 11, out, sizeof out), 11);
    assert_string_equal(out, "13912345678");
    free(copy);
    copy = exact_copy("ACME Inc. and more", 18);
    assert_int_equal(sop_key_company(copy, 9, out, sizeof out), 4);
    assert_string_equal(out, "acme");
    free(copy);
    copy = exact_copy("a@maitian.cnXYZ", 15);
    assert_int_equal(sop_key_email(copy, 12, out, sizeof out), 12);
    assert_string_equal(out, "a@maitian.cn");
    free(copy);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_company_chinese_legal_forms),
        cmocka_unit_test(test_company_latin_legal_forms),
        cmocka_unit_test(test_company_latin_needs_boundary),
        cmocka_unit_test(test_company_fold_and_space),
        cmocka_unit_test(test_company_leading_bracket),
        cmocka_unit_test(test_company_trailing_punct),
        cmocka_unit_test(test_company_branch),
        cmocka_unit_test(test_company_placeholders),
        cmocka_unit_test(test_phone_mobile),
        cmocka_unit_test(test_phone_country_code),
        cmocka_unit_test(test_phone_landline),
        cmocka_unit_test(test_phone_extension),
        cmocka_unit_test(test_phone_service_numbers),
        cmocka_unit_test(test_phone_placeholders),
        cmocka_unit_test(test_phone_malformed),
        cmocka_unit_test(test_email_valid),
        cmocka_unit_test(test_email_invalid),
        cmocka_unit_test(test_email_placeholders),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_control_chars),
        cmocka_unit_test(test_capacity),
        cmocka_unit_test(test_respects_len),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
