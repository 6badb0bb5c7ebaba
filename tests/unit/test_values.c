/* test_values.c - unit tests of lib/core/values.c (missing markers, numbers,
 * booleans, time zones, timestamps).
 *
 * Every input is copied into a heap block of exactly its length (no NUL), so
 * AddressSanitizer catches any read past len. Tests never depend on the
 * machine's clock, locale or TZ: every time test sets its zone explicitly;
 * expected instants are built with timegm(), independent of the code under
 * test. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "values.h"
#include "unit.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* A heap copy of s without terminator; len 0 gives a 0-byte block. */
static char *exact_copy(const char *s, size_t len)
{
    char *p = malloc(len ? len : 1);
    assert_non_null(p);
    memcpy(p, s, len);
    return p;
}

static bool number_of(const char *s, double *out)
{
    size_t len = strlen(s);
    char *copy = exact_copy(s, len);
    bool ok = sop_parse_number(copy, len, out);
    free(copy);
    return ok;
}

static bool bool_of(const char *s, bool *out)
{
    size_t len = strlen(s);
    char *copy = exact_copy(s, len);
    bool ok = sop_parse_bool(copy, len, out);
    free(copy);
    return ok;
}

static bool missing_in(const sop_missing_set *set, const char *s)
{
    size_t len = strlen(s);
    char *copy = exact_copy(s, len);
    bool r = sop_value_missing(set, copy, len);
    free(copy);
    return r;
}

static bool time_of(const char *s, const sop_tz *tz, bool serial, int64_t *out)
{
    size_t len = strlen(s);
    char *copy = exact_copy(s, len);
    bool ok = sop_parse_time(copy, len, tz, serial, out);
    free(copy);
    return ok;
}

/* UTC instant of a civil time, via the C library (not the code under test). */

static sop_tz zone(const char *spec)
{
    sop_tz tz;
    bool ok = sop_tz_init(&tz, spec);
    if (!ok)
        print_error("sop_tz_init(\"%s\") failed\n", spec);
    assert_true(ok);
    return tz;
}

/* ---------------------------------------------------------------- numbers */

typedef struct num_case {
    const char *in;
    double want;
} num_case;

static void check_numbers(const num_case *cases, size_t n)
{
    int failures = 0;
    for (size_t i = 0; i < n; i++) {
        double got = -12345.0;
        bool ok = number_of(cases[i].in, &got);
        if (!ok || got != cases[i].want || signbit(got) != signbit(cases[i].want)) {
            print_error("sop_parse_number(\"%s\"): ok=%d got %.17g, want %.17g\n",
                        cases[i].in, ok, got, cases[i].want);
            failures++;
        }
    }
    assert_int_equal(failures, 0);
}

static void check_number_rejects(const char *const *cases, size_t n)
{
    int failures = 0;
    for (size_t i = 0; i < n; i++) {
        double got = 0;
        if (number_of(cases[i], &got)) {
            print_error("sop_parse_number(\"%s\") accepted as %.17g\n", cases[i], got);
            failures++;
        }
    }
    assert_int_equal(failures, 0);
}

static void test_number_plain(void **state)
{
    (void)state;
    static const num_case cases[] = {
        {"0", 0.0},
        {"1200", 1200.0},
        {"500000", 500000.0},
        {"12.5", 12.5},
        {"-3.5", -3.5},
        {"0.1", 0.1},
        {"-0.001", -0.001},
        {".5", 0.5},
        {"5.", 5.0},
        {"007", 7.0},
        {"-0", 0.0},
        {"-0.000", 0.0},
        {"123456789012345", 123456789012345.0},
        {"1234567890123456", 1234567890123456.0},
        {"12345678901234567890", 12345678901234567890.0},
        {"0.000000000000000000000000001", 1e-27},
        {"3.14159265358979", 3.14159265358979},
        {"99999999999999.99", 99999999999999.99},
        {"+42", 42.0},
        {"1e3", 1000.0},
    };
    check_numbers(cases, COUNT(cases));
}

static void test_number_grouped(void **state)
{
    (void)state;
    static const num_case cases[] = {
        {"1,200,000", 1200000.0},
        {"1,200", 1200.0},
        {"12,345", 12345.0},
        {"123,456,789", 123456789.0},
        {"1,234.5", 1234.5},
        {"-1,200", -1200.0},
        {"999", 999.0},
        {"1,000,000.25", 1000000.25},
        {"1,234,567,890,123,456", 1234567890123456.0},
    };
    check_numbers(cases, COUNT(cases));
}

static void test_number_currency(void **state)
{
    (void)state;
    static const num_case cases[] = {
        {"¥500000", 500000.0},
        {"￥500,000", 500000.0},
        {"RMB 500000", 500000.0},
        {"RMB500000", 500000.0},
        {"rmb 1,200", 1200.0},
        {"CNY 88", 88.0},
        {"$1,200", 1200.0},
        {"-$1,200", -1200.0},
        {"$-1,200", -1200.0},
        {"¥ 500", 500.0},
        {"＄12.5", 12.5},
        {"¥50万", 500000.0},
        {"500元", 500.0},
        {"50万元", 500000.0},
        {"￥１，２００", 1200.0},
        {"RMB　500", 500.0},
    };
    check_numbers(cases, COUNT(cases));
}

static void test_number_multipliers(void **state)
{
    (void)state;
    static const num_case cases[] = {
        {"50万", 500000.0},
        {"1.2亿", 120000000.0},
        {"3千", 3000.0},
        {"5k", 5000.0},
        {"5K", 5000.0},
        {"2.5k", 2500.0},
        {"0.07万", 700.0}, /* exact: scaled by exponent, not 0.07 * 10000 */
        {"1.5千万", 15000000.0},
        {"2百万", 2000000.0},
        {"3千亿", 300000000000.0},
        {"5百", 500.0},
        {"-3万", -30000.0},
        {"50 万", 500000.0},
        {"１２万", 120000.0},
        {"1,200万", 12000000.0},
        {"0.0001亿", 10000.0},
        {"1e2万", 1000000.0},
    };
    check_numbers(cases, COUNT(cases));
}

static void test_number_fullwidth(void **state)
{
    (void)state;
    static const num_case cases[] = {
        {"５０万", 500000.0},
        {"１２３４５", 12345.0},
        {"－３．５", -3.5},
        {"＋５", 5.0},
        {"１，２００，０００", 1200000.0},
        {"１２％", 0.12},
        {"1２3", 123.0},
        {"０．５", 0.5},
    };
    check_numbers(cases, COUNT(cases));
}

static void test_number_percent(void **state)
{
    (void)state;
    static const num_case cases[] = {
        {"65%", 0.65},         {"12.5%", 0.125}, {"100%", 1.0}, {"0%", 0.0},
        {"-5%", -0.05},        {"１２％", 0.12},  {"65 %", 0.65}, {"0.5%", 0.005},
        {"1,250%", 12.5},      {"７％", 0.07},
    };
    check_numbers(cases, COUNT(cases));
}

static void test_number_exponent_and_spaces(void **state)
{
    (void)state;
    static const num_case cases[] = {
        {"1.5e3", 1500.0},
        {"1E3", 1000.0},
        {"2e-3", 0.002},
        {"2.5E+2", 250.0},
        {"-1.5e3", -1500.0},
        {"1e308", 1e308},
        {"1e-320", 1e-320},     /* subnormal, still finite */
        {"1e-999", 0.0},        /* underflows to zero: finite, accepted */
        {"0e999", 0.0},
        {"  42  ", 42.0},
        {"\t42\r\n", 42.0},
        {"　42　", 42.0},       /* U+3000 */
        {"\xc2\xa0" "42\xc2\xa0", 42.0}, /* U+00A0 */
        {" ¥ 500 ", 500.0},
        {"1.7976931348623157e308", 1.7976931348623157e308},
        {"4.9e-324", 4.9e-324},
    };
    check_numbers(cases, COUNT(cases));
}

/* The fast path and the exponent scaling must give exactly what strtod gives
 * for the same decimal, for many shapes of number. */
static void test_number_matches_strtod(void **state)
{
    (void)state;
    uint64_t seed = 0x9E3779B97F4A7C15u;
    int failures = 0;
    for (int i = 0; i < 20000; i++) {
        seed = seed * 6364136223846793005u + 1442695040888963407u;
        unsigned digits = 1 + (unsigned)(seed >> 59);      /* 1..32 */
        unsigned point = (unsigned)((seed >> 40) % (digits + 1));
        char text[64];
        size_t k = 0;
        if (seed & 1)
            text[k++] = '-';
        uint64_t r = seed;
        for (unsigned d = 0; d < digits; d++) {
            if (d == point && d > 0)
                text[k++] = '.';
            r = r * 2862933555777941757u + 3037000493u;
            text[k++] = (char)('0' + (r >> 60) % 10);
        }
        text[k] = '\0';
        double want = strtod(text, NULL);
        if (want == 0.0)
            want = 0.0; /* the parser never returns -0 */
        double got;
        if (!number_of(text, &got) || got != want) {
            print_error("\"%s\": got %.17g want %.17g\n", text, got, want);
            failures++;
        }
        /* the same digits scaled by an exponent and 万: 10^-7 * 10^4 */
        char scaled[80], reference[80];
        snprintf(scaled, sizeof scaled, "%se-7万", text);
        snprintf(reference, sizeof reference, "%se-3", text);
        double want_scaled = strtod(reference, NULL);
        if (want_scaled == 0.0)
            want_scaled = 0.0;
        if (!number_of(scaled, &got) || got != want_scaled) {
            print_error("\"%s\": got %.17g want %.17g\n", scaled, got, want_scaled);
            failures++;
        }
    }
    assert_int_equal(failures, 0);
}

/* The ASCII fast path and the general path must agree: a leading space
 * forces the general path without changing the meaning. */
static void test_number_fast_and_slow_agree(void **state)
{
    (void)state;
    static const char alphabet[] = "0123456789,,..--0";
    uint64_t seed = 42;
    int failures = 0;
    for (int i = 0; i < 200000; i++) {
        char text[24];
        text[0] = ' ';
        seed = seed * 6364136223846793005u + 1442695040888963407u;
        size_t len = (size_t)(seed >> 60); /* 0..15 */
        uint64_t r = seed;
        for (size_t k = 0; k < len; k++) {
            r = r * 2862933555777941757u + 3037000493u;
            text[1 + k] = alphabet[(r >> 40) % (sizeof alphabet - 1)];
        }
        text[1 + len] = '\0';
        double fast = -1, slow = -1;
        bool fast_ok = number_of(text + 1, &fast);
        bool slow_ok = number_of(text, &slow);
        if (fast_ok != slow_ok || (fast_ok && (fast != slow || signbit(fast) != signbit(slow)))) {
            print_error("\"%s\": %d %.17g vs general %d %.17g\n", text + 1, fast_ok, fast,
                        slow_ok, slow);
            failures++;
        }
    }
    assert_int_equal(failures, 0);
}

static void test_number_rejects(void **state)
{
    (void)state;
    static const char *const cases[] = {
        "", "   ", "　", "abc", "12abc", "abc12", "1,2,3", "1,23", "1234,567",
        ",123", "123,", "1,,234", "0,123", "1,234,56", "12,34.5", "1.234,5",
        "1,234.5,6", "50万万", "5万千", "5亿万", "万", "--1", "+-1", "-+1", "- 1",
        "1-", "1.2.3", ".", "-", "+", "-.", "¥", "RMB", "$", "¥-", "1e", "1e+",
        "1e-", "e5", ".e5", "1 000", "1_000", "%", "5%%", "$5%", "¥65%", "5万%",
        "5%万", "5元元", "元", "5元万", "inf", "-inf", "infinity", "nan", "NaN",
        "0x10", "1e999", "-1e999", "1e308万", "1e309", "１２ａ", "12 34",
        "1,200 000", "¥¥5", "$$5", "RMBX5", "5 k k", "5m", "5M", "5w",
        "百", "k", "５０万万", "1.5.万", "0x", "12\xe4", "12\xff", "\xe4\xb8",
        "50\xe4\xb8" /* truncated 万 */, "１２％％", "5 5%",
        /* 41 significant digits */
        "12345678901234567890123456789012345678901",
    };
    check_number_rejects(cases, COUNT(cases));
}

static void test_number_respects_len(void **state)
{
    (void)state;
    double v = 0;
    assert_true(sop_parse_number("123456", 3, &v));
    assert_true(v == 123.0);
    assert_true(sop_parse_number("50万万", 5, &v)); /* "50万" */
    assert_true(v == 500000.0);
    assert_true(sop_parse_number("1,200,000", 5, &v)); /* "1,200" */
    assert_true(v == 1200.0);
    assert_false(sop_parse_number("12\0" "3", 4, &v)); /* embedded NUL */
    assert_false(sop_parse_number("123", 0, &v));
    assert_false(sop_parse_number(NULL, 0, &v));
    assert_false(sop_parse_number("1", 1, NULL));
    /* a multi-byte character cut by len */
    assert_false(sop_parse_number("50万", 4, &v));
}

/* --------------------------------------------------------------- booleans */

typedef struct bool_case {
    const char *in;
    bool want;
} bool_case;

static void test_bool_accepts(void **state)
{
    (void)state;
    static const bool_case cases[] = {
        {"1", true},        {"0", false},      {"true", true},     {"false", false},
        {"TRUE", true},     {"False", false},  {"yes", true},      {"no", false},
        {"Yes", true},      {"NO", false},     {"y", true},        {"n", false},
        {"Y", true},        {"N", false},      {"t", true},        {"f", false},
        {"T", true},        {"F", false},      {"on", true},       {"off", false},
        {"ON", true},       {"Off", false},    {"是", true},       {"否", false},
        {"对", true},       {"错", false},     {"已完成", true},   {"未完成", false},
        {"完成", true},     {"有", true},      {"无", false},      {" yes ", true},
        {"　是　", true},   {"\tfalse\r\n", false},
    };
    int failures = 0;
    for (size_t i = 0; i < COUNT(cases); i++) {
        bool got = !cases[i].want;
        bool ok = bool_of(cases[i].in, &got);
        if (!ok || got != cases[i].want) {
            print_error("sop_parse_bool(\"%s\"): ok=%d got %d\n", cases[i].in, ok, got);
            failures++;
        }
    }
    assert_int_equal(failures, 0);
}

static void test_bool_rejects(void **state)
{
    (void)state;
    static const char *const cases[] = {
        "", " ", "2", "-1", "10", "01", "1.0", "yes please", "truee", "tru", "ye",
        "nope", "是的", "不是", "完", "未", "已", "已完", "对错", "ok", "none",
        "null", "x", "１", "ｙ", "o", "of", "onn",
    };
    int failures = 0;
    for (size_t i = 0; i < COUNT(cases); i++) {
        bool got;
        if (bool_of(cases[i], &got)) {
            print_error("sop_parse_bool(\"%s\") accepted\n", cases[i]);
            failures++;
        }
    }
    assert_int_equal(failures, 0);
    bool b;
    assert_true(sop_parse_bool("yesterday", 3, &b)); /* only "yes" is read */
    assert_true(b);
    assert_false(sop_parse_bool("是", 2, &b)); /* cut character */
    assert_false(sop_parse_bool(NULL, 0, &b));
}

/* ------------------------------------------------------- missing markers */

static void test_missing_default(void **state)
{
    (void)state;
    static const char *const missing[] = {
        "", " ", "   ", "\t", "　", "\r\n", "NULL", "null", "Null", "nULL",
        " NULL ", "N/A", "n/a", "N/a", " n/a\t", "-", " - ", "NA", "na",
        "#N/A", "#n/a", "　NULL　",
    };
    static const char *const present[] = {
        "0", "无", "none", "--", "N/A/", "NULLL", "NUL", "abc", "-1", "N", "A",
        "#N/", "N A", "nan", "否", "null value", "0.0",
    };
    sop_missing_set set;
    sop_missing_default(&set);
    int failures = 0;
    for (size_t i = 0; i < COUNT(missing); i++) {
        if (!missing_in(&set, missing[i]) || !missing_in(NULL, missing[i])) {
            print_error("\"%s\" should be missing\n", missing[i]);
            failures++;
        }
    }
    for (size_t i = 0; i < COUNT(present); i++) {
        if (missing_in(&set, present[i]) || missing_in(NULL, present[i])) {
            print_error("\"%s\" should not be missing\n", present[i]);
            failures++;
        }
    }
    assert_int_equal(failures, 0);
    assert_true(sop_value_missing(NULL, NULL, 0));
    assert_true(sop_value_missing(NULL, "NULLX", 4)); /* len respected */
    assert_false(sop_value_missing(NULL, "NULL", 3));
}

static void test_missing_custom(void **state)
{
    (void)state;
    sop_missing_set set;
    sop_missing_default(&set);
    size_t base = set.count;
    assert_true(sop_missing_add(&set, "none"));
    assert_true(sop_missing_add(&set, "未知"));
    assert_true(sop_missing_add(&set, "  ?  ")); /* stored trimmed */
    assert_true(sop_missing_add(&set, "NONE")); /* duplicate: no new entry */
    assert_true(sop_missing_add(&set, ""));     /* empty is always missing */
    assert_int_equal(set.count, base + 3);
    assert_true(missing_in(&set, "None"));
    assert_true(missing_in(&set, " 未知 "));
    assert_true(missing_in(&set, "?"));
    assert_true(missing_in(&set, "NULL"));
    assert_false(missing_in(&set, "未"));
    assert_false(missing_in(NULL, "none")); /* the default set is unchanged */

    /* a set replacing the defaults */
    sop_missing_set only;
    memset(&only, 0, sizeof only);
    assert_true(sop_missing_add(&only, "?"));
    assert_true(missing_in(&only, "?"));
    assert_true(missing_in(&only, ""));
    assert_true(missing_in(&only, "  "));
    assert_false(missing_in(&only, "NULL"));
    assert_false(missing_in(&only, "-"));
}

static void test_missing_add_limits(void **state)
{
    (void)state;
    sop_missing_set set;
    memset(&set, 0, sizeof set);
    char longest[SOP_MISSING_LEN];
    memset(longest, 'x', SOP_MISSING_LEN - 1);
    longest[SOP_MISSING_LEN - 1] = '\0';
    assert_true(sop_missing_add(&set, longest)); /* 31 bytes fit */
    char too_long[SOP_MISSING_LEN + 1];
    memset(too_long, 'y', SOP_MISSING_LEN);
    too_long[SOP_MISSING_LEN] = '\0';
    assert_false(sop_missing_add(&set, too_long));
    assert_true(missing_in(&set, longest));
    assert_false(missing_in(&set, too_long));
    for (int i = 1; i < SOP_MISSING_MAX; i++) {
        char m[16];
        snprintf(m, sizeof m, "m%d", i);
        assert_true(sop_missing_add(&set, m));
    }
    assert_int_equal(set.count, SOP_MISSING_MAX);
    assert_false(sop_missing_add(&set, "one-more"));
    assert_true(sop_missing_add(&set, "M3")); /* already there */
    assert_true(missing_in(&set, "m15"));
    assert_false(missing_in(&set, "one-more"));
    assert_false(sop_missing_add(NULL, "x"));
    assert_false(sop_missing_add(&set, NULL));
}

/* ------------------------------------------------------------ time zones */

static void test_tz_fixed(void **state)
{
    (void)state;
    static const struct {
        const char *spec;
        long offset;
    } cases[] = {
        {"+08:00", 28800}, {"+0800", 28800}, {"+08", 28800},   {"+8", 28800},
        {"-05", -18000},   {"-05:00", -18000}, {"-0500", -18000}, {"+05:30", 19800},
        {"-03:30", -12600}, {"+00:00", 0},   {"-00:00", 0},     {"+14:00", 50400},
        {"UTC", 0},        {"utc", 0},       {"Z", 0},          {"z", 0},
        {"GMT", 0},
    };
    for (size_t i = 0; i < COUNT(cases); i++) {
        sop_tz tz = zone(cases[i].spec);
        assert_true(tz.fixed);
        assert_int_equal(tz.offset_sec, cases[i].offset);
        assert_string_equal(tz.name, cases[i].spec);
        assert_int_equal(sop_tz_offset_for_local(&tz, utc(2026, 7, 1, 12, 0, 0)),
                         cases[i].offset);
    }
}

static void test_tz_named(void **state)
{
    (void)state;
    sop_tz tz = zone("America/New_York");
    assert_false(tz.fixed);
    assert_string_equal(tz.name, "America/New_York");
    assert_string_equal(getenv("TZ"), "America/New_York");
    tz = zone("Asia/Shanghai");
    assert_false(tz.fixed);
    assert_string_equal(tz.name, "Asia/Shanghai");
    assert_string_equal(getenv("TZ"), "Asia/Shanghai");
}

static void test_tz_rejects(void **state)
{
    (void)state;
    static const char *const cases[] = {
        "Mars/Olympus", "../zoneinfo/Asia/Shanghai", "Asia/../Asia/Shanghai",
        "/usr/share/zoneinfo/Asia/Shanghai", "Asia", "leapseconds", "zone1970.tab",
        "Asia/Shanghai ", " UTC", "+25:00", "+19", "+08:60", "+080", "+", "-",
        "08:00", "UTC+8", "+08:00x", "+08:0", "Asia/Shanghai\n",
        "Aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/Bbb",
    };
    setenv("TZ", "Asia/Shanghai", 1);
    for (size_t i = 0; i < COUNT(cases); i++) {
        sop_tz tz;
        bool ok = sop_tz_init(&tz, cases[i]);
        if (ok)
            print_error("sop_tz_init(\"%s\") accepted\n", cases[i]);
        assert_false(ok);
        assert_string_equal(getenv("TZ"), "Asia/Shanghai"); /* untouched */
    }
    assert_false(sop_tz_init(NULL, "UTC"));
}

static void test_tz_default(void **state)
{
    (void)state;
    sop_tz tz;
    setenv("TZ", "America/New_York", 1);
    assert_true(sop_tz_init(&tz, NULL));
    assert_false(tz.fixed);
    assert_string_equal(tz.name, "America/New_York");

    setenv("TZ", ":Europe/Berlin", 1);
    assert_true(sop_tz_init(&tz, ""));
    assert_false(tz.fixed);
    assert_string_equal(tz.name, "Europe/Berlin");
    assert_string_equal(getenv("TZ"), "Europe/Berlin");

    setenv("TZ", "UTC", 1);
    assert_true(sop_tz_init(&tz, NULL));
    assert_true(tz.fixed);
    assert_int_equal(tz.offset_sec, 0);

    setenv("TZ", "Bogus/Zone", 1);
    assert_true(sop_tz_init(&tz, NULL));
    assert_string_equal(tz.name, "Asia/Shanghai");

    setenv("TZ", "CST-8", 1); /* a POSIX rule, not a zone file */
    assert_true(sop_tz_init(&tz, NULL));
    assert_string_equal(tz.name, "Asia/Shanghai");

    setenv("TZ", "", 1);
    assert_true(sop_tz_init(&tz, NULL));
    assert_string_equal(tz.name, "Asia/Shanghai");

    unsetenv("TZ");
    assert_true(sop_tz_init(&tz, NULL));
    assert_false(tz.fixed);
    assert_string_equal(tz.name, "Asia/Shanghai");
    assert_string_equal(getenv("TZ"), "Asia/Shanghai");
}

static void test_tz_offset_for_local(void **state)
{
    (void)state;
    sop_tz tz = zone("America/New_York");
    assert_int_equal(sop_tz_offset_for_local(&tz, utc(2026, 1, 15, 12, 0, 0)), -18000);
    assert_int_equal(sop_tz_offset_for_local(&tz, utc(2026, 7, 1, 12, 0, 0)), -14400);
    /* 02:30 does not exist on 2026-03-08: the offset before the change */
    assert_int_equal(sop_tz_offset_for_local(&tz, utc(2026, 3, 8, 2, 30, 0)), -18000);
    /* 01:30 happens twice on 2026-11-01: the first (EDT) */
    assert_int_equal(sop_tz_offset_for_local(&tz, utc(2026, 11, 1, 1, 30, 0)), -14400);
    /* just around the changes */
    assert_int_equal(sop_tz_offset_for_local(&tz, utc(2026, 3, 8, 1, 59, 59)), -18000);
    assert_int_equal(sop_tz_offset_for_local(&tz, utc(2026, 3, 8, 3, 0, 0)), -14400);
    assert_int_equal(sop_tz_offset_for_local(&tz, utc(2026, 11, 1, 0, 59, 59)), -14400);
    assert_int_equal(sop_tz_offset_for_local(&tz, utc(2026, 11, 1, 2, 0, 0)), -18000);

    tz = zone("Europe/Berlin");
    /* east of UTC the same rules: first occurrence, shift over the gap */
    assert_int_equal(sop_tz_offset_for_local(&tz, utc(2026, 10, 25, 2, 30, 0)), 7200);
    assert_int_equal(sop_tz_offset_for_local(&tz, utc(2026, 3, 29, 2, 30, 0)), 3600);
    assert_int_equal(sop_tz_offset_for_local(&tz, utc(2026, 1, 1, 0, 0, 0)), 3600);

    tz = zone("Asia/Shanghai");
    assert_int_equal(sop_tz_offset_for_local(&tz, utc(2026, 2, 3, 14, 5, 0)), 28800);
    assert_int_equal(sop_tz_offset_for_local(&tz, utc(1988, 7, 1, 12, 0, 0)), 32400);

    assert_int_equal(sop_tz_offset_for_local(NULL, 0), 0);
}

/* ------------------------------------------------------------ timestamps */

typedef struct time_case {
    const char *in;
    int64_t want;
} time_case;

static void check_times(const time_case *cases, size_t n, const sop_tz *tz, bool serial)
{
    int failures = 0;
    for (size_t i = 0; i < n; i++) {
        int64_t got = -1;
        bool ok = time_of(cases[i].in, tz, serial, &got);
        if (!ok || got != cases[i].want) {
            print_error("sop_parse_time(\"%s\", %s): ok=%d got %lld want %lld\n",
                        cases[i].in, tz ? tz->name : "NULL", ok, (long long)got,
                        (long long)cases[i].want);
            failures++;
        }
    }
    assert_int_equal(failures, 0);
}

static void check_time_rejects(const char *const *cases, size_t n, const sop_tz *tz,
                               bool serial)
{
    int failures = 0;
    for (size_t i = 0; i < n; i++) {
        int64_t got;
        if (time_of(cases[i], tz, serial, &got)) {
            print_error("sop_parse_time(\"%s\") accepted as %lld\n", cases[i],
                        (long long)got);
            failures++;
        }
    }
    assert_int_equal(failures, 0);
}

static void test_time_explicit_offsets(void **state)
{
    (void)state;
    sop_tz tz = zone("-05:00"); /* must not matter */
    const int64_t t = utc(2026, 2, 3, 6, 5, 0);
    const time_case cases[] = {
        {"2026-02-03T14:05:00+08:00", t},
        {"2026-02-03T06:05:00Z", t},
        {"2026-02-03T06:05:00z", t},
        {"2026-02-03t06:05:00Z", t},
        {"2026-02-03T14:05:00.123+0800", t},
        {"2026-02-03T14:05:00.999999999+08", t},
        {"2026-02-03T14:05+08:00", t},
        {"2026-02-03 14:05:00 +08:00", t},
        {"2026-02-03 14:05 +0800", t},
        {"2026-02-03T01:05:00-05:00", t},
        {"2026-02-03T00:35:00-05:30", t},
        {"2026-02-03T06:05:00+00:00", t},
        {"2026-02-03T06:05:00-00:00", t},
        {"2026-02-03T20:05:00+14:00", t},
        {"2026-02-03T14:05:00+08:00:00", t},
        {"2026/02/03 14:05+08:00", t},
        {"2026-02-02T22:05:00-08:00", t},
    };
    check_times(cases, COUNT(cases), &tz, false);
    /* day rolls over with the offset */
    int64_t got;
    assert_true(time_of("2026-02-04T01:05:00+18:00", &tz, false, &got));
    assert_int_equal(got, utc(2026, 2, 3, 7, 5, 0));
    assert_true(time_of("2026-01-01T00:00:00+08:00", &tz, false, &got));
    assert_int_equal(got, utc(2025, 12, 31, 16, 0, 0));
}

static void test_time_local_fixed(void **state)
{
    (void)state;
    sop_tz tz = zone("+08:00");
    const int64_t t = utc(2026, 2, 3, 6, 5, 0);
    const int64_t t7 = utc(2026, 2, 3, 6, 5, 7);
    const int64_t midnight = utc(2026, 2, 2, 16, 0, 0);
    const time_case cases[] = {
        {"2026-02-03T14:05:00", t},
        {"2026-02-03T14:05", t},
        {"2026-02-03 14:05", t},
        {"2026-02-03 14:05:07", t7},
        {"2026-02-03 14:05:07.5", t7},
        {"2026-02-03   14:05:07", t7},
        {"2026-02-03　14:05:07", t7},
        {"2026-02-03", midnight},
        {"2026-2-3", midnight},
        {"2026/2/3 14:05", t},
        {"2026/02/03 14:05:07", t7},
        {"2026/02/03", midnight},
        {"2026/2/3", midnight},
        {"2026.2.3", midnight},
        {"2026.02.03 14:05", t},
        {"2026/2/3 9:05", utc(2026, 2, 3, 1, 5, 0)},
        {"2026-02-03 00:00", midnight},
        {"2026-02-03 23:59:59", utc(2026, 2, 3, 15, 59, 59)},
        {"  2026-02-03 14:05  ", t},
        {"\t2026-02-03 14:05\r\n", t},
        {"２０２６－０２－０３　１４：０５", t},
        {"2026-02-03 14：05", t},
        {"1970-01-01 08:00", 0},
        {"0001-01-01", utc(1, 1, 1, 0, 0, 0) - 28800},
        {"9999-12-31 23:59:59", utc(9999, 12, 31, 15, 59, 59)},
    };
    check_times(cases, COUNT(cases), &tz, false);
    /* allow_serial does not change how dates are read */
    check_times(cases, COUNT(cases), &tz, true);
}

static void test_time_chinese(void **state)
{
    (void)state;
    sop_tz tz = zone("+08:00");
    const int64_t t = utc(2026, 2, 3, 6, 5, 0);
    const int64_t midnight = utc(2026, 2, 2, 16, 0, 0);
    const time_case cases[] = {
        {"2026年2月3日 14:05", t},
        {"2026年2月3日14:05", t},
        {"2026年02月03日 14:05:07", utc(2026, 2, 3, 6, 5, 7)},
        {"2026年2月3日14时05分", t},
        {"2026年2月3日 14时5分", t},
        {"2026年2月3日14点05分", t},
        {"2026年2月3日14时05分07秒", utc(2026, 2, 3, 6, 5, 7)},
        {"2026年2月3日", midnight},
        {"2026年2月3号", midnight},
        {"2026年12月31日", utc(2026, 12, 30, 16, 0, 0)},
        {"２０２６年２月３日　１４：０５", t},
        {"2026年2月3日　14时05分", t},
    };
    check_times(cases, COUNT(cases), &tz, false);
}

static void test_time_leap_years(void **state)
{
    (void)state;
    sop_tz tz = zone("UTC");
    const time_case cases[] = {
        {"2024-02-29", utc(2024, 2, 29, 0, 0, 0)},
        {"2000-02-29", utc(2000, 2, 29, 0, 0, 0)},
        {"1600-02-29", utc(1600, 2, 29, 0, 0, 0)},
        {"2026-12-31", utc(2026, 12, 31, 0, 0, 0)},
        {"2026-04-30", utc(2026, 4, 30, 0, 0, 0)},
        {"2024年2月29日", utc(2024, 2, 29, 0, 0, 0)},
        {"1969-12-31 23:59:59", -1},
        {"1900-03-01", utc(1900, 3, 1, 0, 0, 0)},
    };
    check_times(cases, COUNT(cases), &tz, false);
}

static void test_time_invalid_dates(void **state)
{
    (void)state;
    sop_tz tz = zone("+08:00");
    static const char *const cases[] = {
        "2026-02-30", "2026-02-29", "1900-02-29", "2100-02-29", "2026-13-01",
        "2026-00-10", "2026-01-00", "2026-04-31", "2026-06-31", "2026-01-32",
        "2026-12-32", "0000-01-01", "2026/02/30", "2026.2.30", "2026年2月30日",
        "2026年13月1日", "2026-02-30 12:00", "2026-02-30T12:00:00Z",
    };
    check_time_rejects(cases, COUNT(cases), &tz, false);
    check_time_rejects(cases, COUNT(cases), &tz, true);
}

static void test_time_invalid_times(void **state)
{
    (void)state;
    sop_tz tz = zone("+08:00");
    static const char *const cases[] = {
        "2026-02-03 25:00", "2026-02-03 24:00", "2026-02-03 24:00:00",
        "2026-02-03 23:60", "2026-02-03 23:59:60", "2026-02-03 99:99",
        "2026-02-03T14:05+25:00", "2026-02-03T14:05+19:00", "2026-02-03T14:05+08:60",
        "2026-02-03T14:05+08:0", "2026-02-03T14:05+080", "2026-02-03T14:05+",
        "2026年2月3日25时00分", "2026年2月3日14时60分", "2026年2月3日14时05分60秒",
    };
    check_time_rejects(cases, COUNT(cases), &tz, false);
}

static void test_time_malformed(void **state)
{
    (void)state;
    sop_tz tz = zone("+08:00");
    static const char *const cases[] = {
        "", "   ", "abc", "03/02/2026", "02/03/2026", "3.2.2026", "26-02-03",
        "20260-02-03", "2026-02-033", "2026-002-03", "2026-02/03", "2026/02-03",
        "2026.02/03", "2026-02", "2026", "2026-", "2026--03", "2026-02-03T",
        "2026-02-03 14", "2026-02-03 14:5",
        "2026-02-03 14:05:0", "2026-02-03 14:05:", "2026-02-03 14:05:07.",
        "2026-02-03 1405", "2026-02-03T123:05", "2026-02-03+08:00",
        "2026-02-03Z", "2026-02-03x", "2026-02-03 14:05 foo", "2026-02-03 14:05:00Zjunk",
        "2026-02-03 14:05 Z Z", "2026-02-0314:05", "2026年2月", "2026年2月3",
        "2026年2月3日14时", "2026年2月3日14时05", "2026年2月3日14时05分07",
        "2026年2-3日", "2026-2月3日", "2026/2/3日", "2026年2月3日 14:05 下午",
        "2026-02-03 14:05\x01", "2026-02-03\n14:05", "2026-02-03 14:05:07,5",
        "T14:05", "14:05", "2026-02-03T14:05:00+08:00\x01", "2026-02-03 ¥",
        "2026-02-03 14:05:07.123456789012345678901234567890123456789012345",
        "45326.5", "45326",
    };
    check_time_rejects(cases, COUNT(cases), &tz, false);
    int64_t got;
    assert_false(sop_parse_time(NULL, 0, &tz, true, &got));
    assert_false(sop_parse_time("2026-02-03", 10, &tz, true, NULL));
    /* len is respected: "2026-02-03 14:05" cut after the date */
    assert_true(sop_parse_time("2026-02-03 14:05", 10, &tz, false, &got));
    assert_int_equal(got, utc(2026, 2, 2, 16, 0, 0));
    assert_false(sop_parse_time("2026-02-03", 9, &tz, false, &got));
}

static void test_time_shanghai(void **state)
{
    (void)state;
    sop_tz tz = zone("Asia/Shanghai");
    const time_case cases[] = {
        {"2026-02-03 14:05", utc(2026, 2, 3, 6, 5, 0)},
        {"2026-02-03", utc(2026, 2, 2, 16, 0, 0)},
        {"2026年2月3日 14:05", utc(2026, 2, 3, 6, 5, 0)},
        {"2026-07-01 12:00", utc(2026, 7, 1, 4, 0, 0)},
        /* China observed summer time 1986-1991: +09:00 then */
        {"1988-07-01 12:00", utc(1988, 7, 1, 3, 0, 0)},
        {"1988-12-01 12:00", utc(1988, 12, 1, 4, 0, 0)},
        {"2026-02-03T14:05:00Z", utc(2026, 2, 3, 14, 5, 0)},
    };
    check_times(cases, COUNT(cases), &tz, false);
}

static void test_time_new_york(void **state)
{
    (void)state;
    sop_tz tz = zone("America/New_York");
    const time_case cases[] = {
        {"2026-01-15 12:00", utc(2026, 1, 15, 17, 0, 0)},
        {"2026-07-01 12:00", utc(2026, 7, 1, 16, 0, 0)},     /* EDT */
        {"2026-03-08 01:59:59", utc(2026, 3, 8, 6, 59, 59)}, /* last EST second */
        {"2026-03-08 03:00", utc(2026, 3, 8, 7, 0, 0)},      /* first EDT */
        {"2026-03-08 02:30", utc(2026, 3, 8, 7, 30, 0)},     /* gap: as 03:30 EDT */
        {"2026-11-01 01:30", utc(2026, 11, 1, 5, 30, 0)},    /* twice: the first */
        {"2026-11-01 02:00", utc(2026, 11, 1, 7, 0, 0)},
        {"2026-11-01 00:59", utc(2026, 11, 1, 4, 59, 0)},
        {"2100-07-01 12:00", utc(2100, 7, 1, 16, 0, 0)},     /* beyond 2038 */
        {"2026-07-01 12:00+08:00", utc(2026, 7, 1, 4, 0, 0)},
        {"2026年7月1日 12时00分", utc(2026, 7, 1, 16, 0, 0)},
    };
    check_times(cases, COUNT(cases), &tz, false);
}

static void test_time_berlin(void **state)
{
    (void)state;
    sop_tz tz = zone("Europe/Berlin");
    const time_case cases[] = {
        {"2026-10-25 02:30", utc(2026, 10, 25, 0, 30, 0)}, /* twice: the first */
        {"2026-03-29 02:30", utc(2026, 3, 29, 1, 30, 0)},  /* gap: as 03:30 */
        {"2026-01-01", utc(2025, 12, 31, 23, 0, 0)},
        {"2026-07-01 12:00", utc(2026, 7, 1, 10, 0, 0)},
    };
    check_times(cases, COUNT(cases), &tz, false);
}

static void test_time_serial(void **state)
{
    (void)state;
    sop_tz tz = zone("+08:00");
    const time_case cases[] = {
        {"45326.5", utc(2024, 2, 4, 4, 0, 0)}, /* 2024-02-04 12:00 local */
        {"45326", utc(2024, 2, 3, 16, 0, 0)},
        {"45326.25", utc(2024, 2, 3, 22, 0, 0)},
        {" 45326.75 ", utc(2024, 2, 4, 10, 0, 0)},
        {"45326.000011574", utc(2024, 2, 3, 16, 0, 1)},  /* 1 s */
        {"45326.0000057", utc(2024, 2, 3, 16, 0, 0)},    /* 0.49 s rounds down */
        {"45326.999999", utc(2024, 2, 4, 16, 0, 0)},     /* rounds to next day */
        {"45326.54166666666666666", utc(2024, 2, 4, 5, 0, 0)}, /* 13:00 */
        {"1", utc(1899, 12, 31, 0, 0, 0) - 28800},
        {"1.5", utc(1899, 12, 31, 12, 0, 0) - 28800},
        {"61", utc(1900, 3, 1, 0, 0, 0) - 28800},
        {"25569", -28800}, /* 1970-01-01 local */
        {"2958465", utc(9999, 12, 31, 0, 0, 0) - 28800},
        {"2958465.5", utc(9999, 12, 31, 12, 0, 0) - 28800},
        {"046000", utc(2025, 12, 9, 0, 0, 0) - 28800},
        {"４５３２６.５", utc(2024, 2, 4, 4, 0, 0)},
    };
    check_times(cases, COUNT(cases), &tz, true);

    static const char *const rejects[] = {
        "0", "0.5", "0.999", "2958466", "2958465.99999999", "99999999999999999999",
        "-1", "-45326.5", "+45326", "45326.", ".5", "45,326", "4.5e4", "45326.5.1",
        "45326.5Z", "45326 .5", "45326.5 +08:00", "45326a",
    };
    check_time_rejects(rejects, COUNT(rejects), &tz, true);
}

static void test_time_serial_named(void **state)
{
    (void)state;
    sop_tz tz = zone("America/New_York");
    const time_case ny[] = {
        {"45326.5", utc(2024, 2, 4, 17, 0, 0)},  /* EST */
        {"45474.5", utc(2024, 7, 1, 16, 0, 0)},  /* EDT */
    };
    check_times(ny, COUNT(ny), &tz, true);
    tz = zone("Asia/Shanghai");
    const time_case sh[] = {
        {"45326.5", utc(2024, 2, 4, 4, 0, 0)},
    };
    check_times(sh, COUNT(sh), &tz, true);
}

static void test_time_no_tz_is_utc(void **state)
{
    (void)state;
    int64_t got;
    assert_true(time_of("2026-02-03 14:05", NULL, false, &got));
    assert_int_equal(got, utc(2026, 2, 3, 14, 5, 0));
}

/* ------------------------------------------------------------ formatting */

static void check_format(int64_t epoch, const sop_tz *tz, const char *want)
{
    char buf[32];
    memset(buf, 'X', sizeof buf);
    sop_format_time(epoch, tz, buf, sizeof buf);
    if (strcmp(buf, want) != 0)
        print_error("sop_format_time(%lld, %s) = %s, want %s\n", (long long)epoch,
                    tz ? tz->name : "NULL", buf, want);
    assert_string_equal(buf, want);
}

static void test_format_fixed(void **state)
{
    (void)state;
    sop_tz tz = zone("+08:00");
    check_format(utc(2026, 2, 3, 6, 5, 0), &tz, "2026-02-03T14:05:00+08:00");
    check_format(utc(2026, 2, 3, 16, 0, 0), &tz, "2026-02-04T00:00:00+08:00");
    check_format(0, &tz, "1970-01-01T08:00:00+08:00");
    tz = zone("-03:30");
    check_format(utc(2026, 2, 3, 6, 5, 9), &tz, "2026-02-03T02:35:09-03:30");
    tz = zone("UTC");
    check_format(0, &tz, "1970-01-01T00:00:00+00:00");
    check_format(-1, &tz, "1969-12-31T23:59:59+00:00");
    check_format(utc(2024, 2, 29, 23, 59, 59), &tz, "2024-02-29T23:59:59+00:00");
    check_format(utc(1, 1, 1, 0, 0, 0), &tz, "0001-01-01T00:00:00+00:00");
    check_format(utc(9999, 12, 31, 23, 59, 59), &tz, "9999-12-31T23:59:59+00:00");
    check_format(utc(2026, 2, 3, 6, 5, 0), NULL, "2026-02-03T06:05:00+00:00");
}

static void test_format_named(void **state)
{
    (void)state;
    sop_tz tz = zone("America/New_York");
    check_format(utc(2026, 1, 15, 17, 0, 0), &tz, "2026-01-15T12:00:00-05:00");
    check_format(utc(2026, 7, 1, 16, 0, 0), &tz, "2026-07-01T12:00:00-04:00");
    /* both 01:30 of 2026-11-01, told apart by the offset */
    check_format(utc(2026, 11, 1, 5, 30, 0), &tz, "2026-11-01T01:30:00-04:00");
    check_format(utc(2026, 11, 1, 6, 30, 0), &tz, "2026-11-01T01:30:00-05:00");
    tz = zone("Asia/Shanghai");
    check_format(utc(2026, 2, 3, 6, 5, 0), &tz, "2026-02-03T14:05:00+08:00");
    check_format(utc(1988, 7, 1, 3, 0, 0), &tz, "1988-07-01T12:00:00+09:00");
    /* local mean time before 1901 has seconds in its offset */
    check_format(utc(1899, 12, 31, 15, 54, 17), &tz, "1900-01-01T00:00:00+08:05:43");
}

static void test_format_roundtrip(void **state)
{
    (void)state;
    static const char *const zones[] = {"+08:00", "-09:30", "UTC", "Asia/Shanghai",
                                        "America/New_York", "Europe/Berlin"};
    int failures = 0;
    for (size_t z = 0; z < COUNT(zones); z++) {
        sop_tz tz = zone(zones[z]);
        for (int64_t e = -2208988800; e < 4102444800; e += 7777777) {
            int64_t probe[2] = {e, e + 1799};
            for (int k = 0; k < 2; k++) {
                char buf[32];
                int64_t back = 0;
                sop_format_time(probe[k], &tz, buf, sizeof buf);
                if (!time_of(buf, &tz, false, &back) || back != probe[k]) {
                    print_error("%s: %lld -> %s -> %lld\n", zones[z],
                                (long long)probe[k], buf, (long long)back);
                    failures++;
                }
            }
        }
    }
    assert_int_equal(failures, 0);
}

static void test_format_small_buffer(void **state)
{
    (void)state;
    sop_tz tz = zone("+08:00");
    char buf[16];
    memset(buf, 'X', sizeof buf);
    sop_format_time(0, &tz, buf, 8);
    assert_string_equal(buf, "1970-01");
    assert_int_equal(buf[8], 'X');
    sop_format_time(0, &tz, buf, 0); /* writes nothing */
    assert_string_equal(buf, "1970-01");
    sop_format_time(0, &tz, NULL, 32);
    /* far outside any calendar: no overflow, still terminated */
    char big[32];
    sop_format_time(INT64_MAX, &tz, big, sizeof big);
    assert_true(strlen(big) < sizeof big);
    sop_format_time(INT64_MIN, &tz, big, sizeof big);
    assert_true(strlen(big) < sizeof big);
    tz = zone("Asia/Shanghai");
    sop_format_time(INT64_MAX, &tz, big, sizeof big);
    assert_true(strlen(big) < sizeof big);
    assert_int_equal(sop_tz_offset_for_local(&tz, INT64_MAX), 0);
    assert_int_equal(sop_tz_offset_for_local(&tz, INT64_MIN), 0);
}

/* Random mixes of the pieces the parsers know (and broken UTF-8) never read
 * out of bounds or trip the sanitizers; accepted times format and re-parse. */
static void test_random_input_is_safe(void **state)
{
    (void)state;
    static const char *const pieces[] = {
        "0", "1", "2", "5", "9", "12", "2026", "-", "+", ".", ",", ":", "/", " ",
        "T", "Z", "e", "%", "k", "$", "RMB", "¥", "￥", "万", "亿", "千", "百", "元",
        "年", "月", "日", "时", "分", "秒", "　", "０", "９", "．", "，", "－", "％",
        "：", "\xe4", "\xe4\xb8", "\xef\xbc", "\xc2", "\xff", "N/A", "NULL", "是",
    };
    sop_tz tz = zone("Asia/Shanghai");
    uint64_t seed = 7;
    int failures = 0;
    for (int i = 0; i < 100000; i++) {
        char text[128];
        size_t len = 0;
        seed = seed * 6364136223846793005u + 1442695040888963407u;
        unsigned count = (unsigned)(seed >> 60);
        uint64_t r = seed;
        for (unsigned k = 0; k < count; k++) {
            r = r * 2862933555777941757u + 3037000493u;
            const char *piece = pieces[(r >> 40) % COUNT(pieces)];
            size_t n = strlen(piece);
            memcpy(text + len, piece, n);
            len += n;
        }
        char *copy = exact_copy(text, len);
        double d;
        bool b;
        int64_t t;
        (void)sop_parse_number(copy, len, &d);
        (void)sop_parse_bool(copy, len, &b);
        (void)sop_value_missing(NULL, copy, len);
        if (sop_parse_time(copy, len, &tz, (r & 1) != 0, &t)) {
            char buf[32];
            int64_t back;
            sop_format_time(t, &tz, buf, sizeof buf);
            if (!time_of(buf, &tz, false, &back) || back != t) {
                print_error("%.*s -> %s does not re-parse\n", (int)len, text, buf);
                failures++;
            }
        }
        free(copy);
    }
    assert_int_equal(failures, 0);
}

/* Found by fuzz_values: a time whose offset puts it in year 10000 where it
 * is shown could not be written back and read again. */
static void test_time_shown_beyond_9999(void **state)
{
    (void)state;
    sop_tz tz;
    assert_true(sop_tz_init(&tz, "+08:00"));
    int64_t t;
    const char *s = "9999-12-31 23:59-9";
    assert_false(sop_parse_time(s, strlen(s), &tz, false, &t));
    s = "9999-12-31 23:59+08:00";
    assert_true(sop_parse_time(s, strlen(s), &tz, false, &t));
    s = "0001-01-01 00:00+09:00"; /* 0000-12-31 in +08:00 */
    assert_false(sop_parse_time(s, strlen(s), &tz, false, &t));
}

/* Whether a time had a time of day: a date alone is due at its end. */
static void test_time_of_day(void **state)
{
    (void)state;
    sop_tz tz;
    assert_true(sop_tz_init(&tz, "+08:00"));
    static const struct { const char *text; bool has_time; } cases[] = {
        {"2026-11-30", false}, {"2026/11/30", false}, {"2026年11月30日", false},
        {"46355", false},      {"46355.0", false},    {"2026-11-30 14:00", true},
        {"2026-11-30T00:00+08:00", true}, {"2026年11月30日14时05分", true}, {"46355.5", true},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t at;
        bool has_time = !cases[i].has_time;
        assert_true(sop_parse_time_of_day(cases[i].text, strlen(cases[i].text), &tz, true, &at,
                                          &has_time));
        if (has_time != cases[i].has_time)
            fail_msg("%s: has_time %d", cases[i].text, has_time);
    }
    int64_t at;
    bool has_time = true;
    assert_false(sop_parse_time_of_day("yesterday", 9, &tz, true, &at, &has_time));
    assert_false(has_time);
}

/* The fixed-place reading of "YYYY-MM-DD HH:MM[:SS]" agrees with the
 * general parser (the same time written with slashes, which only it
 * reads) on random times, valid or not (30 February, hour 24, minute 60),
 * in a zone with daylight saving time and historical changes. */
static void test_time_fast_and_slow_agree(void **state)
{
    (void)state;
    sop_tz tz = zone("America/New_York");
    uint64_t r = 7;
    int bad = 0;
    for (int i = 0; i < 200000; i++) {
        r = r * 6364136223846793005u + 1442695040888963407u;
        unsigned y = 1890 + (unsigned)(r >> 33) % 320, m = 1 + (unsigned)(r >> 20) % 13;
        unsigned d = 1 + (unsigned)(r >> 10) % 31, h = (unsigned)(r >> 40) % 25;
        unsigned mi = (unsigned)(r >> 50) % 61, sec = (unsigned)(r >> 5) % 61;
        char dash[40], slash[40];
        bool secs = (r & 1) != 0;
        if (secs) {
            snprintf(dash, sizeof dash, "%04u-%02u-%02u%c%02u:%02u:%02u", y, m, d,
                     (r & 2) ? 'T' : ' ', h, mi, sec);
            snprintf(slash, sizeof slash, "%04u/%02u/%02u %02u:%02u:%02u", y, m, d, h, mi, sec);
        } else {
            snprintf(dash, sizeof dash, "%04u-%02u-%02u %02u:%02u", y, m, d, h, mi);
            snprintf(slash, sizeof slash, "%04u/%02u/%02u %02u:%02u", y, m, d, h, mi);
        }
        int64_t a = 0, b = 0;
        bool ha = false, hb = false;
        bool oka = sop_parse_time_of_day(dash, strlen(dash), &tz, true, &a, &ha);
        bool okb = sop_parse_time_of_day(slash, strlen(slash), &tz, true, &b, &hb);
        if (oka != okb || (oka && (a != b || !ha || !hb))) {
            if (bad++ < 5)
                print_error("%s: %d %lld, %s: %d %lld\n", dash, oka, (long long)a, slash, okb,
                            (long long)b);
        }
    }
    assert_int_equal(bad, 0);
}

/* Weeks from Monday with their ISO labels, and months, at the edges of
 * years (2025-12-29 is in 2026-W01, 2027-01-01 in 2026-W53). */
static void test_weeks_and_months(void **state)
{
    (void)state;
    static const struct { const char *day, *week, *month; } cases[] = {
        {"2026-11-30", "2026-W49", "2026-11"}, {"2026-11-29", "2026-W48", "2026-11"},
        {"2026-11-23", "2026-W48", "2026-11"}, {"2025-12-29", "2026-W01", "2025-12"},
        {"2027-01-01", "2026-W53", "2027-01"}, {"2027-01-04", "2027-W01", "2027-01"},
        {"1970-01-01", "1970-W01", "1970-01"}, {"1969-12-29", "1970-W01", "1969-12"},
        {"0001-01-01", "0001-W01", "0001-01"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t day;
        assert_true(sop_parse_day(cases[i].day, &day));
        char week[16], month[16];
        int64_t w = sop_week_of_day(day);
        sop_format_week(w, week, sizeof week);
        sop_format_month(sop_month_of_day(day), month, sizeof month);
        if (strcmp(week, cases[i].week) != 0 || strcmp(month, cases[i].month) != 0)
            fail_msg("%s: %s %s, want %s %s", cases[i].day, week, month, cases[i].week,
                     cases[i].month);
        /* the week holds its day, Monday to Sunday */
        assert_true(day >= 7 * w - 3 && day <= 7 * w + 3);
    }
}

/* A named zone's offsets are read from a table built at start-up: every
 * instant from 1900 to 2100 (sampled every 6 h 17 s) shows the same local
 * time as the C library says, across DST and historical changes. */
static void test_zone_table_matches_libc(void **state)
{
    (void)state;
    static const char *const zones[] = {"Asia/Shanghai", "America/New_York",
                                        "Australia/Lord_Howe", "Europe/Moscow"};
    for (size_t z = 0; z < sizeof zones / sizeof zones[0]; z++) {
        sop_tz tz;
        assert_true(sop_tz_init(&tz, zones[z]));
        assert_true(tz.spans > 0);
        long bad = 0;
        for (int64_t t = INT64_C(-2208988800); t < INT64_C(4102444800); t += 6 * 3600 + 17) {
            char ours[40], theirs[40];
            sop_format_time(t, &tz, ours, sizeof ours);
            time_t tt = (time_t)t;
            struct tm tm;
            assert_non_null(localtime_r(&tt, &tm));
            strftime(theirs, sizeof theirs, "%Y-%m-%dT%H:%M:%S", &tm);
            bad += strncmp(ours, theirs, 19) != 0;
        }
        if (bad)
            fail_msg("%s: %ld instants differ from localtime_r", zones[z], bad);
    }
    sop_tz utc_tz;
    assert_true(sop_tz_init(&utc_tz, "UTC"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_time_shown_beyond_9999),
        cmocka_unit_test(test_time_fast_and_slow_agree),
        cmocka_unit_test(test_weeks_and_months),
        cmocka_unit_test(test_number_plain),
        cmocka_unit_test(test_number_grouped),
        cmocka_unit_test(test_number_currency),
        cmocka_unit_test(test_number_multipliers),
        cmocka_unit_test(test_number_fullwidth),
        cmocka_unit_test(test_number_percent),
        cmocka_unit_test(test_number_exponent_and_spaces),
        cmocka_unit_test(test_number_matches_strtod),
        cmocka_unit_test(test_number_fast_and_slow_agree),
        cmocka_unit_test(test_number_rejects),
        cmocka_unit_test(test_number_respects_len),
        cmocka_unit_test(test_bool_accepts),
        cmocka_unit_test(test_bool_rejects),
        cmocka_unit_test(test_missing_default),
        cmocka_unit_test(test_missing_custom),
        cmocka_unit_test(test_missing_add_limits),
        cmocka_unit_test(test_tz_fixed),
        cmocka_unit_test(test_tz_named),
        cmocka_unit_test(test_tz_rejects),
        cmocka_unit_test(test_tz_default),
        cmocka_unit_test(test_tz_offset_for_local),
        cmocka_unit_test(test_time_explicit_offsets),
        cmocka_unit_test(test_time_local_fixed),
        cmocka_unit_test(test_time_chinese),
        cmocka_unit_test(test_time_leap_years),
        cmocka_unit_test(test_time_invalid_dates),
        cmocka_unit_test(test_time_invalid_times),
        cmocka_unit_test(test_time_malformed),
        cmocka_unit_test(test_time_shanghai),
        cmocka_unit_test(test_time_new_york),
        cmocka_unit_test(test_time_berlin),
        cmocka_unit_test(test_time_serial),
        cmocka_unit_test(test_time_serial_named),
        cmocka_unit_test(test_time_no_tz_is_utc),
        cmocka_unit_test(test_format_fixed),
        cmocka_unit_test(test_format_named),
        cmocka_unit_test(test_format_roundtrip),
        cmocka_unit_test(test_format_small_buffer),
        cmocka_unit_test(test_random_input_is_safe),
        cmocka_unit_test(test_zone_table_matches_libc),
        cmocka_unit_test(test_time_of_day),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
