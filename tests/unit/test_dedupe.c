/* test_dedupe.c - unit tests of lib/models/dedupe_norm.c: Jaro-Winkler and
 * bigram Jaccard on code points against hand-computed figures, traditional
 * -> simplified (the build's table against OpenCC itself, character by
 * character), and the company and text normalisers on the variants a
 * Chinese CRM export holds. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <opencc/opencc.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <utf8proc.h>
#include <string.h>

#include "dedupe.h"
#include "dedupe_norm.h"
#include "rowstore.h"
#include "t2s_table.h"

/* the converter, opened (the test fails when it cannot be) */
static sop_t2s *t2s(void)
{
    sop_t2s *t = NULL;
    sop_error err;
    sop_error_clear(&err);
    assert_int_equal(sop_t2s_open(&t, &err), 0);
    return t;
}

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
    sop_t2s *t = t2s();
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

/* The table made at build time (one call to OpenCC for every character,
 * a character a line) says what OpenCC says of each character on its own,
 * asked here one call a character: changed, or kept when OpenCC keeps it
 * or makes it into something too long for the table. */
static void t2s_table_is_opencc(void **state)
{
    (void)state;
    opencc_t cc = opencc_open("t2s.json");
    assert_true(cc != (opencc_t)-1);
    sop_t2s *t = t2s();
    size_t changed = 0;
    for (int32_t c = SOP_T2S_LO; c < SOP_T2S_HI; c++) {
        if (c >= 0xD800 && c <= 0xDFFF) /* surrogates: not characters */
            continue;
        char in[8], out[64];
        size_t n = (size_t)utf8proc_encode_char(c, (utf8proc_uint8_t *)in);
        in[n] = '\0';
        char *want = opencc_convert_utf8(cc, in, n);
        assert_non_null(want);
        size_t wn = strlen(want);
        bool in_table = strcmp(want, in) != 0 && wn > 0 && wn < SOP_T2S_REPL;
        size_t got = sop_t2s_convert(t, in, n, out, sizeof out);
        assert_true(got != (size_t)-1);
        if (strcmp(out, in_table ? want : in) != 0)
            fail_msg("U+%04X: %s, OpenCC says %s", (unsigned)c, out, want);
        changed += in_table;
        opencc_convert_utf8_free(want);
    }
    assert_int_equal(changed, sop_t2s_pair_count);
    assert_true(changed > 1000); /* OpenCC's t2s knows a few thousand characters */
    sop_t2s_close(t);
    opencc_close(cc);
}

static void company_variants(void **state)
{
    (void)state;
    sop_t2s *t = t2s();
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
    sop_t2s *t = t2s();
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

/* The fast path (no character OpenCC would change: copied) and the slow
 * one give what OpenCC gives; a string with one traditional character goes
 * through OpenCC whole. */
static void t2s_fast_path(void **state)
{
    (void)state;
    sop_t2s *t = t2s();
    char out[256];
    static const char *const cases[][2] = {
        {"麦田电商", "麦田电商"},           {"Maitian E-commerce", "Maitian E-commerce"},
        {"麥田電商", "麦田电商"},           {"上海麥田", "上海麦田"},
        {"北京市朝陽區", "北京市朝阳区"},   {"", ""},
        {"台灣", "台湾"},                   {"（上海）麦田", "（上海）麦田"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t n = sop_t2s_convert(t, cases[i][0], strlen(cases[i][0]), out, sizeof out);
        if (n == (size_t)-1 || strcmp(out, cases[i][1]) != 0)
            fail_msg("%s -> %s, expected %s", cases[i][0], out, cases[i][1]);
    }
    sop_t2s_close(t);
}

/* A bracketed city anywhere in the name goes (麦田(上海)电商 is 麦田电商 of
 * 上海); one that is no place stays. */
static void bracketed_city(void **state)
{
    (void)state;
    sop_company_norm c;
    const char *s = "麦田（上海）电商有限公司";
    assert_true(sop_norm_company(NULL, s, strlen(s), &c) > 0);
    assert_string_equal(c.key, "麦田电商");
    assert_string_equal(c.city, "上海");
    s = "【上海】麦田电商有限公司";
    assert_true(sop_norm_company(NULL, s, strlen(s), &c) > 0);
    assert_string_equal(c.key, "麦田电商");
    assert_string_equal(c.city, "上海");
    s = "上海麦田电子商务有限公司北京分公司";
    assert_true(sop_norm_company(NULL, s, strlen(s), &c) > 0);
    assert_true(c.branch);
    assert_string_equal(c.branch_place, "北京");
    s = "麦田电商浦江分店";
    assert_true(sop_norm_company(NULL, s, strlen(s), &c) > 0);
    assert_string_equal(c.branch_place, "浦江");
    s = "麦田(国际)电商有限公司";
    assert_true(sop_norm_company(NULL, s, strlen(s), &c) > 0);
    assert_string_equal(c.key, "麦田(国际)电商");
    assert_string_equal(c.city, "");
}

/* --normalize's display form: NFKC, spaces collapsed, case and legal form
 * kept. */
static void display_form(void **state)
{
    (void)state;
    char out[128];
    const char *s = "  （上海）麦田电商   Co., Ltd.　";
    assert_true(sop_norm_display(NULL, s, strlen(s), out, sizeof out) != (size_t)-1);
    assert_string_equal(out, "(上海)麦田电商 Co., Ltd.");
    s = "张江路１２号";
    assert_true(sop_norm_display(NULL, s, strlen(s), out, sizeof out) != (size_t)-1);
    assert_string_equal(out, "张江路12号");
    assert_true(sop_norm_display(NULL, "abc", 3, out, 3) == (size_t)-1); /* too small */
}

/* Records out as they went in: long values (a 255-byte length and more),
 * absent values, literals. */
static void rowstore_round_trip(void **state)
{
    (void)state;
    sop_rowstore s;
    sop_rowstore_init(&s);
    sop_record a, b;
    sop_record_init(&a);
    sop_record_init(&b);
    char big[70000];
    memset(big, 'x', sizeof big);
    for (int r = 0; r < 3000; r++) {
        sop_record_clear(&a);
        assert_true(sop_record_push(&a, "R1", 2, SOP_TEXT));
        assert_true(sop_record_push(&a, "", 0, SOP_ABSENT));
        assert_true(sop_record_push(&a, big, (size_t)(r * 23 % 70000), SOP_TEXT));
        assert_true(sop_record_push(&a, "12.5", 4, SOP_LITERAL));
        assert_true(sop_rowstore_add(&s, &a));
    }
    assert_int_equal(s.count, 3000);
    for (size_t r = 0; r < 3000; r += 7) {
        assert_true(sop_rowstore_get(&s, r, &b));
        assert_int_equal(b.count, 4);
        size_t len;
        assert_memory_equal(sop_record_text(&b, 0, &len), "R1", 2);
        assert_int_equal(sop_record_kind(&b, 1), SOP_ABSENT);
        sop_record_text(&b, 2, &len);
        assert_int_equal(len, r * 23 % 70000);
        assert_int_equal(sop_record_kind(&b, 3), SOP_LITERAL);
    }
    sop_record_free(&a);
    sop_record_free(&b);
    sop_rowstore_free(&s);
}

/* The probability: prior log-odds plus log2(m/u) of every known field, by
 * hand for the defaults: company same (0.55/0.002), phone different
 * (0.149/0.894), the rest unknown; prior 0.02. */
static void probability_by_hand(void **state)
{
    (void)state;
    sop_dedupe_config cfg;
    sop_dedupe_config_default(&cfg);
    int levels[SOP_DEDUPE_FIELDS];
    for (size_t i = 0; i < SOP_DEDUPE_FIELDS; i++)
        levels[i] = SOP_DEDUPE_LEVELS;
    assert_true(fabs(sop_dedupe_probability(&cfg, levels) - 0.02) < 1e-12);
    levels[0] = 0; /* company */
    levels[2] = 3; /* phone */
    double w = log2(0.02 / 0.98) + log2(0.55 / 0.002) + log2(0.149 / 0.894);
    assert_true(fabs(sop_dedupe_probability(&cfg, levels) - 1 / (1 + exp2(-w))) < 1e-12);
}

/* The printed config loads back to the same printed config; errors name
 * the key. */
static void config_round_trip(void **state)
{
    (void)state;
    sop_dedupe_config cfg;
    sop_dedupe_config_default(&cfg);
    char *text = sop_dedupe_config_json(&cfg);
    assert_non_null(text);
    char path[] = "/tmp/test_dedupe_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs(text, f);
    fclose(f);
    sop_error err;
    sop_error_clear(&err);
    sop_dedupe_config back;
    assert_int_equal(sop_dedupe_config_load(path, &back, &err), 0);
    char *again = sop_dedupe_config_json(&back);
    assert_string_equal(text, again);
    free(again);
    static const char *const bad[][2] = {
        {"{\"fields\": [{\"column\": \"c\", \"type\": \"company\", \"m\": [0.5, 0.2, 0.2, 0.2]}]}",
         "fields[0].m: the 4 probabilities add up to 1"},
        {"{\"fields\": [{\"column\": \"c\", \"type\": \"shoe\"}]}", "fields[0].type"},
        {"{\"fields\": [{\"column\": \"c\", \"type\": \"id\", \"colour\": 1}]}",
         "unknown key \"colour\""},
        {"{\"thresholds\": {\"match\": 0.4}}", "review at most match"},
        {"{\"survivorship\": {\"phone\": \"newest\"}}", "survivorship.phone"},
        {"{\"fields\": []}", "fields: a list of 1 to 12"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        f = fopen(path, "w");
        fputs(bad[i][0], f);
        fclose(f);
        sop_error_clear(&err);
        assert_int_equal(sop_dedupe_config_load(path, &back, &err), SOP_EXIT_CONFIG);
        if (strstr(err.msg, bad[i][1]) == NULL)
            fail_msg("%s: \"%s\" lacks \"%s\"", bad[i][0], err.msg, bad[i][1]);
    }
    unlink(path);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(jaro_winkler_by_hand), cmocka_unit_test(bigram_jaccard_by_hand),
        cmocka_unit_test(traditional_to_simplified), cmocka_unit_test(t2s_table_is_opencc),
        cmocka_unit_test(company_variants),
        cmocka_unit_test(text_normaliser), cmocka_unit_test(t2s_fast_path),
        cmocka_unit_test(bracketed_city), cmocka_unit_test(display_form),
        cmocka_unit_test(rowstore_round_trip), cmocka_unit_test(probability_by_hand),
        cmocka_unit_test(config_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
