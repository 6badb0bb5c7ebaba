/* test_scorecard.c - unit tests of lib/models/scorecard.c on small JSON
 * scorecards: every condition kind, first matching rule, default and
 * missing outcomes, points x multiplier, normalisation and clamping,
 * grades and the hot threshold, decay by half-life at a pinned --now,
 * full-width and case-insensitive matching, config errors (78, naming the
 * key path), the to_json round trip and the built-in default.
 *
 * Time zones are set explicitly (+08:00); "now" is built with timegm(). */
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
#include <unistd.h>
#include <fcntl.h>
#include <jansson.h>

#include "scorecard.h"
#include "unit.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static sop_tz tz8;

static int group_setup(void **state)
{
    (void)state;
    return sop_tz_init(&tz8, "+08:00") ? 0 : -1;
}


/* ---- helpers ----------------------------------------------------------------- */

static sop_scorecard *card(const char *json)
{
    sop_scorecard *sc = NULL;
    sop_error err;
    sop_error_clear(&err);
    int rc = sop_scorecard_parse(json, strlen(json), "test.json", &sc, &err);
    if (rc != 0)
        fail_msg("scorecard refused (%d): %s\n%s", rc, err.msg, json);
    assert_non_null(sc);
    return sc;
}

/* The config must be refused with 78 and a message holding each needle. */
static void refused(const char *json, const char *needle1, const char *needle2)
{
    sop_scorecard *sc = NULL;
    sop_error err;
    sop_error_clear(&err);
    int rc = sop_scorecard_parse(json, strlen(json), "bad.json", &sc, &err);
    if (rc != SOP_EXIT_CONFIG) {
        sop_scorecard_free(sc);
        fail_msg("rc %d, expected 78, for\n%s", rc, json);
    }
    assert_int_equal(err.status, SOP_EXIT_CONFIG);
    assert_string_equal(err.file, "bad.json");
    if (needle1 && strstr(err.msg, needle1) == NULL)
        fail_msg("message \"%s\" lacks \"%s\"", err.msg, needle1);
    if (needle2 && strstr(err.msg, needle2) == NULL)
        fail_msg("message \"%s\" lacks \"%s\"", err.msg, needle2);
}

/* A lead: up to 16 column/value pairs; a NULL value leaves the column
 * absent from the record (as in JSON Lines). */
typedef struct lead {
    sop_schema schema;
    sop_record rec;
} lead;

static void lead_vmake(lead *l, va_list ap)
{
    sop_schema_init(&l->schema);
    sop_record_init(&l->rec);
    for (;;) {
        const char *col = va_arg(ap, const char *);
        if (col == NULL)
            break;
        const char *value = va_arg(ap, const char *);
        long idx = sop_schema_add(&l->schema, col, strlen(col));
        assert_true(idx >= 0);
        if (value)
            assert_true(sop_record_set(&l->rec, (size_t)idx, value, strlen(value), SOP_TEXT));
    }
}

static void lead_free(lead *l)
{
    sop_schema_free(&l->schema);
    sop_record_free(&l->rec);
}

/* Scores a lead given as column, value, ..., NULL at `now`. */
static sop_score score_at(sop_scorecard *sc, int64_t now, ...)
{
    lead l;
    va_list ap;
    va_start(ap, now);
    lead_vmake(&l, ap);
    va_end(ap);
    char absent[256];
    sop_error err;
    sop_error_clear(&err);
    assert_int_equal(sop_scorecard_bind(sc, &l.schema, absent, sizeof absent, &err), 0);
    sop_score s;
    memset(&s, 0, sizeof s);
    int rc = sop_scorecard_eval(sc, &l.rec, now, &tz8, &s, NULL, &err);
    if (rc != 0)
        fail_msg("eval: %s", err.msg);
    lead_free(&l);
    return s;
}

#define NOW0 ((int64_t)1767225600) /* 2026-01-01T00:00:00Z; no decay in these cards */
#define SCORE(sc, ...) score_at((sc), NOW0, __VA_ARGS__, NULL)

static void expect_score(sop_scorecard *sc, const char *column, const char *value, double want)
{
    sop_score s = score_at(sc, NOW0, column, value, NULL);
    if (fabs(s.score - want) > 1e-9)
        fail_msg("%s=\"%.40s%s\" scores %.4f, expected %.1f", column, value ? value : "(absent)",
                 value && strlen(value) > 40 ? "..." : "", s.score, want);
}

/* One indicator on column x, 10 points, the given rules; default 0. */
static sop_scorecard *one_rule(const char *when)
{
    static char json[16384];
    snprintf(json, sizeof json,
             "{\"indicators\":[{\"column\":\"x\",\"points\":10,\"rules\":[{\"when\":%s}],"
             "\"default\":{\"points\":0}}]}",
             when);
    return card(json);
}

/* ---- conditions ----------------------------------------------------------------- */

static void test_equals(void **state)
{
    (void)state;
    sop_scorecard *sc = one_rule("{\"equals\":\"Yes\"}");
    expect_score(sc, "x", "Yes", 100.0);
    expect_score(sc, "x", "yes", 100.0);
    expect_score(sc, "x", " YES ", 100.0);
    expect_score(sc, "x", "Ｙｅｓ", 100.0);
    expect_score(sc, "x", "no", 0.0);
    expect_score(sc, "x", "yes!", 0.0);
    expect_score(sc, "x", "ye", 0.0);
    expect_score(sc, "x", "", 0.0);
    sop_scorecard_free(sc);
}

static void test_one_of(void **state)
{
    (void)state;
    sop_scorecard *sc = one_rule("{\"one_of\":[\"a\",\"B\",\"中关村\",\"trade show\"]}");
    expect_score(sc, "x", "A", 100.0);
    expect_score(sc, "x", "b", 100.0);
    expect_score(sc, "x", "中关村", 100.0);
    expect_score(sc, "x", "Trade Show", 100.0);
    expect_score(sc, "x", "c", 0.0);
    expect_score(sc, "x", "中关", 0.0);
    expect_score(sc, "x", "trade", 0.0);
    sop_scorecard_free(sc);
}

static void test_one_of_many(void **state)
{
    (void)state;
    /* a long list: every item matches, nothing else does */
    char when[8192];
    size_t n = (size_t)snprintf(when, sizeof when, "{\"one_of\":[");
    for (int i = 0; i < 200; i++)
        n += (size_t)snprintf(when + n, sizeof when - n, "%s\"Item %d\"", i ? "," : "", i);
    snprintf(when + n, sizeof when - n, "]}");
    sop_scorecard *sc = one_rule(when);
    char value[32];
    for (int i = 0; i < 200; i++) {
        snprintf(value, sizeof value, "item %d", i);
        expect_score(sc, "x", value, 100.0);
    }
    for (int i = 200; i < 260; i++) {
        snprintf(value, sizeof value, "item %d", i);
        expect_score(sc, "x", value, 0.0);
    }
    expect_score(sc, "x", "item", 0.0);
    sop_scorecard_free(sc);
}

static void test_contains(void **state)
{
    (void)state;
    sop_scorecard *sc = one_rule("{\"contains\":[\"总监\",\"Director\",\"head of\",\"aab\"]}");
    expect_score(sc, "x", "销售总监", 100.0);
    expect_score(sc, "x", "总监助理", 100.0);
    expect_score(sc, "x", "Sales DIRECTOR, APAC", 100.0);
    expect_score(sc, "x", "Head Of Sales", 100.0);
    expect_score(sc, "x", "xaaab", 100.0);          /* overlapping prefix */
    expect_score(sc, "x", "director", 100.0);
    expect_score(sc, "x", "经理", 0.0);
    expect_score(sc, "x", "direct", 0.0);
    expect_score(sc, "x", "总", 0.0);
    expect_score(sc, "x", "aa", 0.0);
    sop_scorecard_free(sc);
}

static void test_contains_short_and_single(void **state)
{
    (void)state;
    sop_scorecard *sc = one_rule("{\"contains\":[\"x\",\"总监\"]}");
    expect_score(sc, "x", "box", 100.0);
    expect_score(sc, "x", "X", 100.0);
    expect_score(sc, "x", "副总监", 100.0);
    expect_score(sc, "x", "abc", 0.0);
    sop_scorecard_free(sc);
    sc = one_rule("{\"contains\":\"CEO\"}"); /* a single string */
    expect_score(sc, "x", "Acme ceo office", 100.0);
    expect_score(sc, "x", "cto", 0.0);
    sop_scorecard_free(sc);
}

static void test_min_max(void **state)
{
    (void)state;
    sop_scorecard *sc = one_rule("{\"min\":10,\"max\":20}");
    expect_score(sc, "x", "10", 100.0);      /* at least min */
    expect_score(sc, "x", "15", 100.0);
    expect_score(sc, "x", "19.99", 100.0);
    expect_score(sc, "x", "20", 0.0);        /* below max */
    expect_score(sc, "x", "9.9", 0.0);
    expect_score(sc, "x", "abc", 0.0);       /* not a number: default */
    expect_score(sc, "x", "１５", 100.0);    /* full-width digits */
    expect_score(sc, "x", "1.5万", 0.0);     /* 15000 */
    sop_scorecard_free(sc);

    sc = one_rule("{\"min\":500000}");
    expect_score(sc, "x", "50万", 100.0);
    expect_score(sc, "x", "¥500,000", 100.0);
    expect_score(sc, "x", "1.2亿", 100.0);
    expect_score(sc, "x", "49.9万", 0.0);
    expect_score(sc, "x", "499999", 0.0);
    sop_scorecard_free(sc);

    sc = one_rule("{\"max\":0.5}");
    expect_score(sc, "x", "40%", 100.0);
    expect_score(sc, "x", "65%", 0.0);
    expect_score(sc, "x", "-3", 100.0);
    sop_scorecard_free(sc);
}

static void test_min_max_json_number(void **state)
{
    (void)state;
    /* a JSON Lines number arrives as a literal */
    sop_scorecard *sc = one_rule("{\"min\":100}");
    sop_schema schema;
    sop_schema_init(&schema);
    assert_true(sop_schema_add(&schema, "x", 1) >= 0);
    sop_record rec;
    sop_record_init(&rec);
    assert_true(sop_record_push(&rec, "250", 3, SOP_LITERAL));
    char absent[64];
    sop_error err;
    sop_error_clear(&err);
    assert_int_equal(sop_scorecard_bind(sc, &schema, absent, sizeof absent, &err), 0);
    sop_score s;
    assert_int_equal(sop_scorecard_eval(sc, &rec, NOW0, &tz8, &s, NULL, &err), 0);
    assert_true(s.score == 100.0);
    /* and a JSON null is missing */
    sop_record_clear(&rec);
    assert_true(sop_record_push(&rec, "null", 4, SOP_LITERAL));
    assert_int_equal(sop_scorecard_eval(sc, &rec, NOW0, &tz8, &s, NULL, &err), 0);
    assert_true(s.score == 0.0);
    sop_record_free(&rec);
    sop_schema_free(&schema);
    sop_scorecard_free(sc);
}

static void test_regex(void **state)
{
    (void)state;
    sop_scorecard *sc = one_rule("{\"regex\":\"^(\\\\+?86[- ]?)?1[3-9][0-9]{9}$\"}");
    expect_score(sc, "x", "13812345678", 100.0);
    expect_score(sc, "x", "+86 13812345678", 100.0);
    expect_score(sc, "x", " 13812345678 ", 100.0);  /* trimmed first */
    expect_score(sc, "x", "1381234567", 0.0);
    expect_score(sc, "x", "12812345678", 0.0);
    expect_score(sc, "x", "021-12345678", 0.0);
    expect_score(sc, "x", "１３８１２３４５６７８", 100.0); /* full-width digits fold first */
    sop_scorecard_free(sc);

    sc = one_rule("{\"regex\":\"tower\"}"); /* unanchored: anywhere */
    expect_score(sc, "x", "Big Tower A", 100.0);
    expect_score(sc, "x", "BIG TOWER", 100.0);
    expect_score(sc, "x", "towe", 0.0);
    sop_scorecard_free(sc);

    sc = one_rule("{\"regex\":\"^CBD\"}"); /* capitals in the pattern */
    expect_score(sc, "x", "cbd tower", 100.0);
    expect_score(sc, "x", "CBD", 100.0);
    expect_score(sc, "x", "ＣＢＤ东", 100.0);
    expect_score(sc, "x", "the cbd", 0.0);
    sop_scorecard_free(sc);

    sc = one_rule("{\"regex\":\"^[A-Z]{3}$\"}");
    expect_score(sc, "x", "abc", 100.0);
    expect_score(sc, "x", "ABC", 100.0);
    expect_score(sc, "x", "ab1", 0.0);
    sop_scorecard_free(sc);
}

static void test_present(void **state)
{
    (void)state;
    sop_scorecard *sc = card("{\"indicators\":[{\"column\":\"x\",\"points\":10,"
                             "\"rules\":[{\"when\":{\"present\":true},\"points\":6}]}]}");
    /* best = the default outcome's 10 points, though present always matches */
    expect_score(sc, "x", "anything", 60.0);
    expect_score(sc, "x", "0", 60.0);
    expect_score(sc, "x", "", 0.0);
    expect_score(sc, "x", "   ", 0.0);
    expect_score(sc, "x", "N/A", 0.0);
    expect_score(sc, "x", "null", 0.0);
    expect_score(sc, "x", "NULL", 0.0);
    expect_score(sc, "x", "-", 0.0);
    expect_score(sc, "x", "\xE3\x80\x80N/A\xE3\x80\x80", 0.0);
    expect_score(sc, "x", NULL, 0.0); /* absent key */
    sop_scorecard_free(sc);
}

static void test_missing_values_config(void **state)
{
    (void)state;
    sop_scorecard *sc = card("{\"missing_values\":[\"未知\",\"TBD\"],\"indicators\":[{\"column\":"
                             "\"x\",\"points\":10,\"rules\":[{\"when\":{\"present\":true}}]}]}");
    expect_score(sc, "x", "未知", 0.0);
    expect_score(sc, "x", "tbd", 0.0);
    expect_score(sc, "x", "", 0.0);
    expect_score(sc, "x", "known", 100.0);
    sop_scorecard_free(sc);
}

static void test_long_values(void **state)
{
    (void)state;
    /* a long free-text value still "contains" its word (fields may be up to
     * --max-field, 1 MiB by default) */
    size_t n = 3000;
    char *value = malloc(n + 16);
    assert_non_null(value);
    memset(value, 'x', n);
    strcpy(value + n, "销售总监");
    sop_scorecard *sc = one_rule("{\"contains\":[\"总监\"]}");
    expect_score(sc, "x", value, 100.0);
    sop_scorecard_free(sc);
    sc = one_rule("{\"regex\":\"总监$\"}");
    expect_score(sc, "x", value, 100.0);
    sop_scorecard_free(sc);
    /* and a long value equals nothing shorter, but is present */
    sc = card("{\"indicators\":[{\"column\":\"x\",\"points\":10,\"rules\":["
              "{\"when\":{\"equals\":\"x\"},\"points\":1},{\"when\":{\"present\":true},\"points\":7}]}]}");
    expect_score(sc, "x", value, 70.0);
    sop_scorecard_free(sc);
    free(value);
}

/* ---- outcomes ------------------------------------------------------------------------ */

static void test_first_rule_wins(void **state)
{
    (void)state;
    sop_scorecard *sc = card("{\"indicators\":[{\"column\":\"x\",\"points\":10,\"rules\":["
                             "{\"when\":{\"min\":0},\"points\":3},"
                             "{\"when\":{\"min\":100},\"points\":10}],"
                             "\"default\":{\"points\":0}}]}");
    expect_score(sc, "x", "500", 30.0);
    expect_score(sc, "x", "5", 30.0);
    expect_score(sc, "x", "-5", 0.0);
    sop_scorecard_free(sc);
}

static void test_default_and_missing(void **state)
{
    (void)state;
    sop_scorecard *sc = card("{\"indicators\":[{\"column\":\"x\",\"points\":10,"
                             "\"rules\":[{\"when\":{\"equals\":\"a\"},\"points\":4}]}]}");
    expect_score(sc, "x", "b", 100.0);   /* default: the indicator's points */
    expect_score(sc, "x", "a", 40.0);
    expect_score(sc, "x", "", 0.0);      /* missing: 0 */
    sop_scorecard_free(sc);

    sc = card("{\"indicators\":[{\"column\":\"x\",\"points\":10,"
              "\"rules\":[{\"when\":{\"equals\":\"a\"}}],"
              "\"default\":{\"points\":2},\"missing\":{\"points\":5}}]}");
    expect_score(sc, "x", "a", 100.0);
    expect_score(sc, "x", "b", 20.0);
    expect_score(sc, "x", "", 50.0);
    expect_score(sc, "x", "N/A", 50.0);
    /* a column the input does not have counts as missing */
    sop_score s = SCORE(sc, "other", "a");
    assert_true(s.score == 50.0);
    sop_scorecard_free(sc);
}

static void test_points_times_multiplier(void **state)
{
    (void)state;
    sop_scorecard *sc = card(
        "{\"indicators\":["
        "{\"name\":\"A\",\"column\":\"a\",\"points\":10,"
        " \"rules\":[{\"when\":{\"equals\":\"y\"},\"multiplier\":2,\"label\":\"a yes\"}],"
        " \"default\":{\"points\":0}},"
        "{\"column\":\"b\",\"points\":10,"
        " \"rules\":[{\"when\":{\"equals\":\"y\"},\"points\":5,\"multiplier\":3}],"
        " \"default\":{\"points\":0,\"label\":\"b no\"}}]}");
    /* best: 20 + 15 = 35 */
    sop_score s = SCORE(sc, "a", "y", "b", "n");
    assert_true(s.score == 57.1); /* 20 / 35 */
    s = SCORE(sc, "a", "n", "b", "y");
    assert_true(s.score == 42.9); /* 15 / 35 */
    s = SCORE(sc, "a", "y", "b", "y");
    assert_true(s.score == 100.0);
    s = SCORE(sc, "a", "n", "b", "n");
    assert_true(s.score == 0.0);

    /* the explanation names each indicator, its contribution and label */
    lead l;
    sop_schema_init(&l.schema);
    sop_record_init(&l.rec);
    assert_true(sop_schema_add(&l.schema, "a", 1) >= 0);
    assert_true(sop_schema_add(&l.schema, "b", 1) >= 0);
    assert_true(sop_record_push(&l.rec, "y", 1, SOP_TEXT));
    assert_true(sop_record_push(&l.rec, "n", 1, SOP_TEXT));
    char absent[64];
    sop_error err;
    sop_error_clear(&err);
    assert_int_equal(sop_scorecard_bind(sc, &l.schema, absent, sizeof absent, &err), 0);
    sop_buf detail = {0};
    assert_int_equal(sop_scorecard_eval(sc, &l.rec, NOW0, &tz8, &s, &detail, &err), 0);
    assert_string_equal(detail.data, "A +20.0 (a yes); b +0.0 (b no); total 20.0/35.0");
    sop_buf_free(&detail);
    lead_free(&l);
    sop_scorecard_free(sc);
}

static void test_normalisation_exact(void **state)
{
    (void)state;
    /* awkward numbers whose sum is not exact in binary */
    sop_scorecard *sc = card(
        "{\"indicators\":["
        "{\"column\":\"a\",\"points\":0.1,\"rules\":[{\"when\":{\"equals\":\"y\"},\"multiplier\":3}],"
        " \"default\":{\"points\":0}},"
        "{\"column\":\"b\",\"points\":0.7,\"rules\":[{\"when\":{\"equals\":\"y\"},\"multiplier\":1.1}],"
        " \"default\":{\"points\":0.2}},"
        "{\"column\":\"c\",\"points\":3.3,\"rules\":[{\"when\":{\"min\":1},\"points\":1.3,\"multiplier\":1.7},"
        "                                  {\"when\":{\"min\":0},\"points\":2.21}],"
        " \"default\":{\"points\":0.4}}]}");
    /* a lead with the best outcome of every indicator scores exactly 100 */
    sop_score s = SCORE(sc, "a", "y", "b", "y", "c", "0.5");
    assert_true(s.score == 100.0);
    assert_string_equal(s.grade, "A");
    assert_true(s.hot);
    sop_scorecard_free(sc);
}

static void test_clamping(void **state)
{
    (void)state;
    sop_scorecard *sc = card(
        "{\"indicators\":["
        "{\"column\":\"x\",\"points\":10,\"rules\":[{\"when\":{\"equals\":\"y\"}}],\"default\":{\"points\":0}},"
        "{\"column\":\"p\",\"points\":0,\"rules\":[{\"when\":{\"equals\":\"bad\"},\"points\":-100}]}]}");
    sop_score s = SCORE(sc, "x", "y", "p", "bad");
    assert_true(s.score == 0.0); /* 100 x -90 / 10, clamped */
    assert_false(s.hot);
    s = SCORE(sc, "x", "y", "p", "good");
    assert_true(s.score == 100.0);
    s = SCORE(sc, "x", "y", "p", "");
    assert_true(s.score == 100.0);
    sop_scorecard_free(sc);
}

/* ---- grades and hot ----------------------------------------------------------------------- */

static void test_grades_and_hot(void **state)
{
    (void)state;
    sop_scorecard *sc = card(
        "{\"hot_threshold\":60,\"grades\":[{\"grade\":\"hot\",\"min\":90},"
        "{\"grade\":\"warm\",\"min\":40},{\"grade\":\"cold\",\"min\":0}],"
        "\"indicators\":[{\"column\":\"x\",\"points\":10,\"rules\":["
        "{\"when\":{\"equals\":\"a\"}},{\"when\":{\"equals\":\"b\"},\"points\":6},"
        "{\"when\":{\"equals\":\"c\"},\"points\":5},{\"when\":{\"equals\":\"d\"},\"points\":4},"
        "{\"when\":{\"equals\":\"e\"},\"points\":9}],"
        "\"default\":{\"points\":0}}]}");
    static const struct { const char *v; double score; const char *grade; bool hot; } cases[] = {
        {"a", 100.0, "hot", true},  {"e", 90.0, "hot", true},  {"b", 60.0, "warm", true},
        {"c", 50.0, "warm", false}, {"d", 40.0, "warm", false}, {"z", 0.0, "cold", false},
    };
    for (size_t i = 0; i < COUNT(cases); i++) {
        sop_score s = SCORE(sc, "x", cases[i].v);
        if (s.score != cases[i].score || strcmp(s.grade, cases[i].grade) != 0 || s.hot != cases[i].hot)
            fail_msg("x=%s: %.1f %s %s, expected %.1f %s %s", cases[i].v, s.score, s.grade,
                     s.hot ? "hot" : "not hot", cases[i].score, cases[i].grade,
                     cases[i].hot ? "hot" : "not hot");
    }
    sop_scorecard_free(sc);
}

static void test_default_grades_and_threshold(void **state)
{
    (void)state;
    sop_scorecard *sc = card(
        "{\"indicators\":[{\"column\":\"x\",\"points\":10000,\"rules\":["
        "{\"when\":{\"equals\":\"top\"}},"
        "{\"when\":{\"equals\":\"a\"},\"points\":8500},{\"when\":{\"equals\":\"b\"},\"points\":8490},"
        "{\"when\":{\"equals\":\"c\"},\"points\":7000},{\"when\":{\"equals\":\"d\"},\"points\":5000},"
        "{\"when\":{\"equals\":\"e\"},\"points\":4999},{\"when\":{\"equals\":\"f\"},\"points\":8496}],"
        "\"default\":{\"points\":0}}]}");
    static const struct { const char *v; double score; const char *grade; bool hot; } cases[] = {
        {"a", 85.0, "A", true}, {"b", 84.9, "B", false}, {"c", 70.0, "B", false},
        {"d", 50.0, "C", false}, {"e", 50.0, "C", false}, /* 49.99 shows as 50.0 */
        {"f", 85.0, "A", true}, /* 84.96 shows as 85.0: graded as shown */
        {"top", 100.0, "A", true},
        {"z", 0.0, "D", false},
    };
    for (size_t i = 0; i < COUNT(cases); i++) {
        sop_score s = SCORE(sc, "x", cases[i].v);
        if (s.score != cases[i].score || strcmp(s.grade, cases[i].grade) != 0 || s.hot != cases[i].hot)
            fail_msg("x=%s: %.2f %s %s, expected %.1f %s %s", cases[i].v, s.score, s.grade,
                     s.hot ? "hot" : "not hot", cases[i].score, cases[i].grade,
                     cases[i].hot ? "hot" : "not hot");
    }
    sop_scorecard_free(sc);
}

static void test_score_rounded_to_tenths(void **state)
{
    (void)state;
    sop_scorecard *sc = card("{\"indicators\":[{\"column\":\"x\",\"points\":3,\"rules\":["
                             "{\"when\":{\"equals\":\"top\"}},"
                             "{\"when\":{\"equals\":\"a\"},\"points\":1},"
                             "{\"when\":{\"equals\":\"b\"},\"points\":2}],\"default\":{\"points\":0}}]}");
    assert_true(SCORE(sc, "x", "a").score == 33.3);
    assert_true(SCORE(sc, "x", "b").score == 66.7);
    sop_scorecard_free(sc);
}

/* ---- decay ----------------------------------------------------------------------------------- */

static const char *decay_card =
    "{\"decay\":{\"column\":\"created_at\",\"half_life_days\":30},"
    "\"indicators\":[{\"column\":\"x\",\"points\":10,\"rules\":[{\"when\":{\"equals\":\"a\"}}],"
    "\"default\":{\"points\":0}}]}";

static void test_decay(void **state)
{
    (void)state;
    sop_scorecard *sc = card(decay_card);
    assert_true(sop_scorecard_has_decay(sc));
    /* --now 2026-03-01T00:00:00+08:00 */
    int64_t now = utc(2026, 2, 28, 16, 0, 0);
    static const struct { const char *created; double score; } cases[] = {
        {"2026-01-30T00:00:00+08:00", 50.0},  /* one half-life */
        {"2025-12-31 00:00", 25.0},           /* two, local time in +08:00 */
        {"2026-02-14T00:00:00+08:00", 70.7},  /* half a half-life: 100/sqrt(2) */
        {"2026-03-01", 100.0},                /* now */
        {"2026-03-05", 100.0},                /* in the future: no growth */
        {"2026/1/30 00:00", 50.0},
        {"2026年1月30日", 50.0},
        {"", 100.0},                          /* missing: no decay */
        {"soon", 100.0},                      /* unreadable: no decay */
    };
    for (size_t i = 0; i < COUNT(cases); i++) {
        sop_score s = score_at(sc, now, "x", "a", "created_at", cases[i].created, NULL);
        if (s.score != cases[i].score)
            fail_msg("created_at \"%s\": %.2f, expected %.1f", cases[i].created, s.score,
                     cases[i].score);
    }
    /* the grade and hot follow the decayed score */
    sop_score s = score_at(sc, now, "x", "a", "created_at", "2026-01-30T00:00:00+08:00", NULL);
    assert_string_equal(s.grade, "C");
    assert_false(s.hot);
    /* a zero score stays zero */
    s = score_at(sc, now, "x", "b", "created_at", "2026-01-30T00:00:00+08:00", NULL);
    assert_true(s.score == 0.0);
    /* the input lacks the column: no decay */
    s = score_at(sc, now, "x", "a", NULL);
    assert_true(s.score == 100.0);
    sop_scorecard_free(sc);
}

static void test_decay_detail(void **state)
{
    (void)state;
    sop_scorecard *sc = card(decay_card);
    int64_t now = utc(2026, 2, 28, 16, 0, 0);
    lead l;
    sop_schema_init(&l.schema);
    sop_record_init(&l.rec);
    assert_true(sop_schema_add(&l.schema, "x", 1) >= 0);
    assert_true(sop_schema_add(&l.schema, "created_at", 10) >= 0);
    assert_true(sop_record_push(&l.rec, "a", 1, SOP_TEXT));
    assert_true(sop_record_push(&l.rec, "bad time", 8, SOP_TEXT));
    char absent[64];
    sop_error err;
    sop_error_clear(&err);
    assert_int_equal(sop_scorecard_bind(sc, &l.schema, absent, sizeof absent, &err), 0);
    sop_buf detail = {0};
    sop_score s;
    assert_int_equal(sop_scorecard_eval(sc, &l.rec, now, &tz8, &s, &detail, &err), 0);
    assert_true(s.score == 100.0);
    assert_non_null(strstr(detail.data, "no decay")); /* score_detail says so */
    sop_buf_free(&detail);
    lead_free(&l);
    sop_scorecard_free(sc);
}

static void test_no_decay_by_default(void **state)
{
    (void)state;
    sop_scorecard *sc = one_rule("{\"equals\":\"a\"}");
    assert_false(sop_scorecard_has_decay(sc));
    sop_scorecard_free(sc);
}

/* ---- text matching ---------------------------------------------------------------------------- */

static void test_fullwidth_and_case(void **state)
{
    (void)state;
    sop_scorecard *sc = one_rule("{\"one_of\":[\"CBD\",\"陆家嘴\"]}");
    expect_score(sc, "x", "ＣＢＤ", 100.0);
    expect_score(sc, "x", "cbd", 100.0);
    expect_score(sc, "x", "  CBD  ", 100.0);
    expect_score(sc, "x", "\xE3\x80\x80ＣＢＤ\xE3\x80\x80", 100.0);
    expect_score(sc, "x", "Cbd", 100.0);
    expect_score(sc, "x", " 陆家嘴\xE3\x80\x80", 100.0);
    expect_score(sc, "x", "C B D", 0.0);
    sop_scorecard_free(sc);

    /* full-width and spaces in the config's own texts fold the same way */
    sc = one_rule("{\"one_of\":[\"ＡＢＣ\",\" Yes \"]}");
    expect_score(sc, "x", "abc", 100.0);
    expect_score(sc, "x", "yes", 100.0);
    sop_scorecard_free(sc);
    sc = one_rule("{\"contains\":[\"ＣＥＯ\"]}");
    expect_score(sc, "x", "Acme ceo", 100.0);
    expect_score(sc, "x", "首席执行官CEO", 100.0);
    sop_scorecard_free(sc);
    sc = one_rule("{\"equals\":\"ｃｂｄ\"}");
    expect_score(sc, "x", "CBD", 100.0);
    sop_scorecard_free(sc);
}

/* ---- config errors ------------------------------------------------------------------------------- */

static void test_config_refused(void **state)
{
    (void)state;
    refused("{\"indicators\":[{\"column\":\"x\",\"rules\":[{\"when\":{\"between\":[1,2]}}]}]}",
            "indicators[0].rules[0].when", "between");
    refused("{\"indicators\":[{\"column\":\"x\"},{\"name\":\"y\"}]}", "indicators[1].column", NULL);
    refused("{\"indicators\":[{\"column\":\"x\",\"points\":\"ten\"}]}", "indicators[0].points", NULL);
    refused("{\"indicators\":[{\"column\":\"\"}]}", "indicators[0].column", NULL);
    refused("{\"indicators\":[{\"column\":\"x\",\"rules\":[{\"when\":{\"equals\":\"a\"},"
            "\"multiplier\":-1}]}]}",
            "indicators[0].rules[0]", "multiplier");
    refused("{\"indicators\":[{\"column\":\"x\",\"rules\":[{\"points\":3}]}]}",
            "indicators[0].rules[0]", "when");
    refused("{\"indicators\":[{\"column\":\"x\",\"rules\":[{\"when\":{\"equals\":\"a\"},"
            "\"points\":\"3\"}]}]}",
            "indicators[0].rules[0].points", NULL);
    refused("{\"indicators\":[{\"column\":\"x\",\"rules\":[{\"when\":{\"regex\":\"((\"}}]}]}",
            "indicators[0].rules[0].when", NULL);
    refused("{\"indicators\":[{\"column\":\"x\",\"rules\":[{\"when\":{\"equals\":\"a\","
            "\"one_of\":[\"b\"]}}]}]}",
            "indicators[0].rules[0].when", NULL);
    refused("{\"indicators\":[{\"column\":\"x\",\"rules\":[{\"when\":{\"min\":20,\"max\":10}}]}]}",
            "indicators[0].rules[0].when", NULL);
    refused("{\"indicators\":[{\"column\":\"x\",\"rules\":[{\"when\":{\"min\":\"5\"}}]}]}",
            "indicators[0].rules[0].when", NULL);
    refused("{\"indicators\":[{\"column\":\"x\",\"rules\":[{\"when\":{\"contains\":[]}}]}]}",
            "indicators[0].rules[0].when", NULL);
    refused("{\"indicators\":[{\"column\":\"x\",\"rules\":[{\"when\":{\"contains\":[\" \"]}}]}]}",
            "indicators[0].rules[0].when", NULL);
    refused("{\"indicators\":[{\"column\":\"x\",\"rules\":[{\"when\":{\"one_of\":[\"a\",1]}}]}]}",
            "indicators[0].rules[0].when", NULL);
    refused("{\"indicators\":[{\"column\":\"x\",\"rules\":[{\"when\":{\"present\":false}}]}]}",
            "indicators[0].rules[0].when", NULL);
    refused("{\"indicators\":[{\"column\":\"x\",\"rules\":[{\"when\":{}}]}]}",
            "indicators[0].rules[0].when", NULL);
    refused("{\"indicators\":[{\"column\":\"x\",\"rules\":[{\"when\":\"a\"}]}]}",
            "indicators[0].rules[0].when", NULL);
    refused("{\"indicators\":[{\"column\":\"x\",\"rules\":{}}]}", "indicators[0].rules", NULL);
    refused("{\"indicators\":[{\"column\":\"x\",\"colour\":\"red\"}]}", "indicators[0]", "colour");
    refused("{\"indicators\":[{\"column\":\"x\",\"default\":{\"pointz\":1}}]}",
            "indicators[0].default", "pointz");
    refused("{\"indicators\":[{\"column\":\"x\",\"missing\":[]}]}", "indicators[0].missing", NULL);
    refused("{\"indicators\":[{\"column\":\"x\"},{\"column\":\"x\"}]}", "indicators[1].name", NULL);
    refused("{\"indicators\":[{\"column\":\"x\",\"points\":0}]}", NULL, NULL);
    refused("{\"indicators\":[]}", "indicators", NULL);
    refused("{\"name\":\"no indicators\"}", "indicators", NULL);
    refused("{\"indicators\":[\"x\"]}", "indicators[0]", NULL);
    refused("{\"indicator\":[{\"column\":\"x\"}]}", "indicator", NULL);
    refused("{\"hot_threshold\":150,\"indicators\":[{\"column\":\"x\"}]}", "hot_threshold", NULL);
    refused("{\"hot_threshold\":\"high\",\"indicators\":[{\"column\":\"x\"}]}", "hot_threshold", NULL);
    refused("{\"grades\":[{\"grade\":\"A\",\"min\":50},{\"grade\":\"B\",\"min\":70}],"
            "\"indicators\":[{\"column\":\"x\"}]}",
            "grades[1]", NULL);
    refused("{\"grades\":[{\"grade\":\"A\"}],\"indicators\":[{\"column\":\"x\"}]}", "grades[0]", NULL);
    refused("{\"grades\":[{\"grade\":\"A\",\"min\":0,\"extra\":1}],\"indicators\":[{\"column\":\"x\"}]}",
            "grades[0]", "extra");
    refused("{\"grades\":[],\"indicators\":[{\"column\":\"x\"}]}", "grades", NULL);
    refused("{\"decay\":{\"column\":\"created_at\"},\"indicators\":[{\"column\":\"x\"}]}", "decay", NULL);
    refused("{\"decay\":{\"column\":\"created_at\",\"half_life_days\":0},\"indicators\":[{\"column\":\"x\"}]}",
            "decay", "half_life_days");
    refused("{\"decay\":{\"half_life_days\":30},\"indicators\":[{\"column\":\"x\"}]}", "decay", "column");
    refused("{\"missing_values\":\"N/A\",\"indicators\":[{\"column\":\"x\"}]}", "missing_values", NULL);
    refused("[]", NULL, NULL);
    refused("{", NULL, NULL);
    refused("", NULL, NULL);
    refused("{\"indicators\":[{\"column\":\"x\"}],\"indicators\":[{\"column\":\"y\"}]}", NULL, NULL);
}

/* ---- to_json, load, the built-in default ------------------------------------------------------------ */

static sop_scorecard *reparse(const sop_scorecard *sc)
{
    char *json = sop_scorecard_to_json(sc);
    assert_non_null(json);
    sop_scorecard *again = NULL;
    sop_error err;
    sop_error_clear(&err);
    int rc = sop_scorecard_parse(json, strlen(json), "print-config", &again, &err);
    if (rc != 0) {
        free(json);
        fail_msg("parse(to_json(sc)) refused (%d): %s", rc, err.msg);
    }
    free(json);
    return again;
}

static void test_to_json_roundtrip_default(void **state)
{
    (void)state;
    sop_scorecard *sc = NULL;
    sop_error err;
    sop_error_clear(&err);
    assert_int_equal(sop_scorecard_load(NULL, &sc, &err), 0);
    sop_scorecard *again = reparse(sc);
    static const char *const leads[][12] = {
        {"district", "陆家嘴", "budget", "50万", "title", "总经理", "source", "转介绍",
         "employees", "600", "phone", "13812345678"},
        {"district", "其他", "budget", "8万", "title", "专员", "source", "抖音", "employees",
         "150", "phone", "021-12345678"},
        {"district", "", "budget", "abc", "title", "Sales Manager", "source", "website",
         "employees", "5", "phone", "N/A"},
    };
    for (size_t i = 0; i < COUNT(leads); i++) {
        const char *const *v = leads[i];
        sop_score a = SCORE(sc, v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9],
                            v[10], v[11]);
        sop_score b = SCORE(again, v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9],
                            v[10], v[11]);
        assert_true(a.score == b.score);
        assert_string_equal(a.grade, b.grade);
        assert_true(a.hot == b.hot);
    }
    sop_scorecard_free(again);
    sop_scorecard_free(sc);
}

static void test_to_json_roundtrip_custom(void **state)
{
    (void)state;
    sop_scorecard *sc = card(
        "{\"name\":\"custom\",\"hot_threshold\":60,"
        "\"grades\":[{\"grade\":\"hot\",\"min\":60},{\"grade\":\"cold\",\"min\":0}],"
        "\"missing_values\":[\"未知\"],"
        "\"decay\":{\"column\":\"created_at\",\"half_life_days\":10},"
        "\"indicators\":[{\"name\":\"area\",\"column\":\"x\",\"points\":7,\"rules\":["
        "{\"when\":{\"equals\":\"a\"},\"multiplier\":2,\"label\":\"A\"},"
        "{\"when\":{\"contains\":\"b\"},\"points\":3},"
        "{\"when\":{\"min\":5,\"max\":9}},"
        "{\"when\":{\"regex\":\"^r+$\"},\"points\":1},"
        "{\"when\":{\"present\":true},\"points\":0.5}],"
        "\"default\":{\"points\":2},\"missing\":{\"points\":1,\"label\":\"none\"}}]}");
    sop_scorecard *again = reparse(sc);
    int64_t now = utc(2026, 2, 28, 16, 0, 0);
    const char *values[] = {"a", "xbx", "6", "rrr", "zzz", "", "未知", "10"};
    const char *created[] = {"2026-02-19T00:00:00+08:00", "", "2026-01-01"};
    for (size_t i = 0; i < COUNT(values); i++) {
        for (size_t k = 0; k < COUNT(created); k++) {
            sop_score a = score_at(sc, now, "x", values[i], "created_at", created[k], NULL);
            sop_score b = score_at(again, now, "x", values[i], "created_at", created[k], NULL);
            if (a.score != b.score || strcmp(a.grade, b.grade) != 0 || a.hot != b.hot)
                fail_msg("x=%s created_at=%s: %.1f %s before, %.1f %s after", values[i],
                         created[k], a.score, a.grade, b.score, b.grade);
        }
    }
    sop_scorecard_free(again);
    sop_scorecard_free(sc);
}

static void test_to_json_fills_defaults(void **state)
{
    (void)state;
    sop_scorecard *sc = card("{\"indicators\":[{\"column\":\"x\",\"rules\":[{\"when\":{\"equals\":\"a\"}}]}]}");
    char *json = sop_scorecard_to_json(sc);
    assert_non_null(json);
    json_error_t jerr;
    json_t *root = json_loads(json, 0, &jerr);
    if (root == NULL)
        fail_msg("to_json is not JSON: %s", jerr.text);
    assert_true(json_number_value(json_object_get(root, "hot_threshold")) == 85.0);
    json_t *grades = json_object_get(root, "grades");
    assert_int_equal(json_array_size(grades), 4);
    json_t *ind = json_array_get(json_object_get(root, "indicators"), 0);
    assert_string_equal(json_string_value(json_object_get(ind, "name")), "x");
    assert_true(json_number_value(json_object_get(ind, "points")) == 10.0);
    json_t *rule = json_array_get(json_object_get(ind, "rules"), 0);
    assert_true(json_number_value(json_object_get(rule, "points")) == 10.0);
    assert_true(json_number_value(json_object_get(rule, "multiplier")) == 1.0);
    assert_true(json_number_value(json_object_get(json_object_get(ind, "default"), "points")) == 10.0);
    assert_true(json_number_value(json_object_get(json_object_get(ind, "missing"), "points")) == 0.0);
    json_decref(root);
    free(json);
    sop_scorecard_free(sc);
}

static void test_default_loads(void **state)
{
    (void)state;
    sop_scorecard *sc = NULL;
    sop_error err;
    sop_error_clear(&err);
    assert_int_equal(sop_scorecard_load(NULL, &sc, &err), 0);
    assert_non_null(sc);
    assert_false(sop_scorecard_has_decay(sc));
    /* the built-in text is the same scorecard */
    sop_scorecard *text = card(sop_scorecard_default_json);
    sop_scorecard_free(text);
    char *json = sop_scorecard_to_json(sc);
    assert_non_null(json);
    assert_non_null(strstr(json, "\"default\""));
    free(json);
    sop_scorecard_free(sc);
}

static void test_default_scores(void **state)
{
    (void)state;
    sop_scorecard *sc = NULL;
    sop_error err;
    sop_error_clear(&err);
    assert_int_equal(sop_scorecard_load(NULL, &sc, &err), 0);
    /* the best lead: exactly 100 */
    sop_score s = SCORE(sc, "district", "陆家嘴", "budget", "50万", "title", "总经理", "source",
                        "转介绍", "employees", "600", "phone", "13812345678");
    assert_true(s.score == 100.0);
    assert_string_equal(s.grade, "A");
    assert_true(s.hot);
    /* the manual's example: 73 of 83 points -> 88.0, A, hot */
    s = SCORE(sc, "district", "陆家嘴", "budget", "50万", "title", "总经理", "source", "转介绍",
              "phone", "13812345678");
    assert_true(s.score == 88.0);
    assert_string_equal(s.grade, "A");
    assert_true(s.hot);
    /* 10 + 4 + 4 + 5 + 7 + 6 = 36 of 83 -> 43.4, D */
    s = SCORE(sc, "district", "其他", "budget", "8万", "title", "专员", "source", "抖音",
              "employees", "150", "phone", "021-12345678");
    assert_true(s.score == 43.4);
    assert_string_equal(s.grade, "D");
    assert_false(s.hot);
    /* full-width CBD, CEO in English, ¥ budget */
    s = SCORE(sc, "district", "ＣＢＤ", "budget", "¥800,000", "title", "Acme CEO", "source",
              "Referral", "employees", "1,200", "phone", "+86 13912345678");
    assert_true(s.score == 100.0);
    /* nothing known */
    s = SCORE(sc, "lead_id", "L1");
    assert_true(s.score == 0.0);
    assert_string_equal(s.grade, "D");
    assert_false(s.hot);
    sop_scorecard_free(sc);
}

static void test_default_detail(void **state)
{
    (void)state;
    sop_scorecard *sc = NULL;
    sop_error err;
    sop_error_clear(&err);
    assert_int_equal(sop_scorecard_load(NULL, &sc, &err), 0);
    lead l;
    sop_schema_init(&l.schema);
    sop_record_init(&l.rec);
    const char *cols[] = {"district", "budget", "title", "source", "phone"};
    const char *vals[] = {"陆家嘴", "50万", "总经理", "转介绍", "13812345678"};
    for (size_t i = 0; i < 5; i++) {
        assert_true(sop_schema_add(&l.schema, cols[i], strlen(cols[i])) >= 0);
        assert_true(sop_record_push(&l.rec, vals[i], strlen(vals[i]), SOP_TEXT));
    }
    char absent[128];
    assert_int_equal(sop_scorecard_bind(sc, &l.schema, absent, sizeof absent, &err), 0);
    assert_string_equal(absent, "employees");
    sop_buf detail = {0};
    sop_score s;
    assert_int_equal(sop_scorecard_eval(sc, &l.rec, NOW0, &tz8, &s, &detail, &err), 0);
    assert_string_equal(detail.data,
                        "district +15.0 (core business district); budget +20.0 (budget >= 50万); "
                        "decision_maker +18.0 (director or above); source +10.0 (referral); "
                        "company_size +0.0 (size unknown); contact +10.0 (mobile number); "
                        "total 73.0/83.0");
    sop_buf_free(&detail);
    lead_free(&l);
    sop_scorecard_free(sc);
}

static void test_bind_absent_list(void **state)
{
    (void)state;
    sop_scorecard *sc = NULL;
    sop_error err;
    sop_error_clear(&err);
    assert_int_equal(sop_scorecard_load(NULL, &sc, &err), 0);
    sop_schema schema;
    sop_schema_init(&schema);
    assert_true(sop_schema_add(&schema, "district", 8) >= 0);
    assert_true(sop_schema_add(&schema, "phone", 5) >= 0);
    char absent[256];
    assert_int_equal(sop_scorecard_bind(sc, &schema, absent, sizeof absent, &err), 0);
    assert_string_equal(absent, "budget, title, source, employees");
    /* a tiny buffer is cut, never overrun */
    char small[8];
    memset(small, 'X', sizeof small);
    assert_int_equal(sop_scorecard_bind(sc, &schema, small, sizeof small, &err), 0);
    assert_true(memchr(small, '\0', sizeof small) != NULL);
    sop_schema_free(&schema);
    sop_scorecard_free(sc);
}

static void test_load_file(void **state)
{
    (void)state;
    char path[] = "/tmp/sop_scorecard_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char *text = "\xEF\xBB\xBF{\"indicators\":[{\"column\":\"x\",\"rules\":[{\"when\":"
                       "{\"equals\":\"a\"}}],\"default\":{\"points\":0}}]}";
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    sop_scorecard *sc = NULL;
    sop_error err;
    sop_error_clear(&err);
    int rc = sop_scorecard_load(path, &sc, &err);
    if (rc != 0)
        fail_msg("load: %s", err.msg);
    expect_score(sc, "x", "a", 100.0);
    sop_scorecard_free(sc);

    /* a bad one names the file */
    fd = open(path, O_WRONLY | O_TRUNC);
    assert_true(fd >= 0);
    text = "{\"indicators\":[{\"column\":\"x\",\"rules\":[{\"when\":{\"between\":1}}]}]}";
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    sc = NULL;
    sop_error_clear(&err);
    assert_int_equal(sop_scorecard_load(path, &sc, &err), SOP_EXIT_CONFIG);
    assert_string_equal(err.file, path);
    assert_non_null(strstr(err.msg, "indicators[0].rules[0].when"));
    unlink(path);

    sop_error_clear(&err);
    assert_int_equal(sop_scorecard_load("/tmp/sop-no-such-scorecard.json", &sc, &err),
                     SOP_EXIT_NOINPUT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_equals),
        cmocka_unit_test(test_one_of),
        cmocka_unit_test(test_one_of_many),
        cmocka_unit_test(test_contains),
        cmocka_unit_test(test_contains_short_and_single),
        cmocka_unit_test(test_min_max),
        cmocka_unit_test(test_min_max_json_number),
        cmocka_unit_test(test_regex),
        cmocka_unit_test(test_present),
        cmocka_unit_test(test_missing_values_config),
        cmocka_unit_test(test_long_values),
        cmocka_unit_test(test_first_rule_wins),
        cmocka_unit_test(test_default_and_missing),
        cmocka_unit_test(test_points_times_multiplier),
        cmocka_unit_test(test_normalisation_exact),
        cmocka_unit_test(test_clamping),
        cmocka_unit_test(test_grades_and_hot),
        cmocka_unit_test(test_default_grades_and_threshold),
        cmocka_unit_test(test_score_rounded_to_tenths),
        cmocka_unit_test(test_decay),
        cmocka_unit_test(test_decay_detail),
        cmocka_unit_test(test_no_decay_by_default),
        cmocka_unit_test(test_fullwidth_and_case),
        cmocka_unit_test(test_config_refused),
        cmocka_unit_test(test_to_json_roundtrip_default),
        cmocka_unit_test(test_to_json_roundtrip_custom),
        cmocka_unit_test(test_to_json_fills_defaults),
        cmocka_unit_test(test_default_loads),
        cmocka_unit_test(test_default_scores),
        cmocka_unit_test(test_default_detail),
        cmocka_unit_test(test_bind_absent_list),
        cmocka_unit_test(test_load_file),
    };
    return cmocka_run_group_tests(tests, group_setup, NULL);
}
