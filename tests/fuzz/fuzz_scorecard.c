/* fuzz_scorecard.c - libFuzzer driver for the scorecard loader
 * (lib/models/scorecard.c).  The bytes (in a buffer of exactly their size)
 * are parsed as a scorecard; when they parse, the scorecard is bound to the
 * leads.csv columns and scores a few fixed records, then its effective JSON
 * (sop_scorecard_to_json) is parsed again and must bind, and score those
 * records the same. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scorecard.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


static const char *const columns[] = {"lead_id", "created_at", "source", "company", "contact_name",
                                      "title",   "phone",      "email",  "city",    "district",
                                      "budget",  "industry",   "employees"};
#define NCOL (sizeof columns / sizeof columns[0])
#define NREC 4
static const char *const rows[NREC][NCOL] = {
    {"L1", "2026-08-07 09:48", "官网", "麦田跨境电商有限公司", "孙倩", "市场总监", "18758809827",
     "sun.qian@maitian.com", "上海", "陆家嘴", "50万", "电商", "1000"},
    {"L2", "2026/10/10 10:15", "", "成都佳讯", "李雪丽", "部门经理", "", "xueli@qq.com", "成都",
     "天府新区", "¥300,000", "工业制造", "80"},
    {"L3", "", "N/A", "", "", "", "", "", "", "", "abc", "", "-"},
    {"L4", "45326.5", "展会", "X", "Y", "CEO", "021-1234", "a@b.c", "北京", "国贸", "1.2亿",
     "金融", "１２０"},
};

static sop_schema schema;
static sop_record recs[NREC];
static sop_tz tz;
static int ready;
static const int64_t now = 1796000000; /* a fixed instant in 2026 */

static void setup(void)
{
    if (ready)
        return;
    sop_schema_init(&schema);
    for (size_t i = 0; i < NCOL; i++)
        if (sop_schema_add(&schema, columns[i], strlen(columns[i])) < 0)
            abort();
    for (size_t r = 0; r < NREC; r++) {
        sop_record_init(&recs[r]);
        recs[r].file = "fuzz";
        recs[r].line = (long)r + 2;
        for (size_t i = 0; i < NCOL; i++)
            if (!sop_record_push(&recs[r], rows[r][i], strlen(rows[r][i]), SOP_TEXT))
                abort();
    }
    if (!sop_tz_init(&tz, "+08:00"))
        abort();
    ready = 1;
}

/* Binds and scores; false when binding fails.  Scores go into out[]. */
static bool score_all(sop_scorecard *sc, sop_score out[NREC], int rcs[NREC])
{
    char absent[512];
    sop_error err;
    sop_error_clear(&err);
    if (sop_scorecard_bind(sc, &schema, absent, sizeof absent, &err) != 0)
        return false;
    for (size_t r = 0; r < NREC; r++) {
        sop_buf detail = {0};
        sop_error_clear(&err);
        memset(&out[r], 0, sizeof out[r]);
        rcs[r] = sop_scorecard_eval(sc, &recs[r], now, &tz, &out[r], &detail, &err);
        sop_buf_free(&detail);
    }
    return true;
}

static void count_line(void *ctx, const char *text)
{
    (void)text;
    (*(size_t *)ctx)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    setup();
    char *text = malloc(size ? size : 1);
    if (!text)
        abort();
    if (size)
        memcpy(text, data, size);

    sop_error err;
    sop_error_clear(&err);
    sop_scorecard *sc = NULL;
    int rc = sop_scorecard_parse(text, size, "fuzz", &sc, &err);
    free(text);
    if (rc != 0) {
        FUZZ_ASSERT(err.status == rc);
        return 0;
    }
    FUZZ_ASSERT(sc != NULL);

    sop_score s1[NREC], s2[NREC];
    int rc1[NREC], rc2[NREC];
    bool bound1 = score_all(sc, s1, rc1);
    size_t grades = sop_scorecard_grade_count(sc);
    for (size_t g = 0; g < grades; g++)
        FUZZ_ASSERT(sop_scorecard_grade(sc, g) != NULL);
    size_t lines = 0;
    (void)sop_scorecard_unreadable(sc, count_line, &lines);

    char *json = sop_scorecard_to_json(sc);
    FUZZ_ASSERT(json != NULL);
    sop_scorecard *sc2 = NULL;
    sop_error_clear(&err);
    rc = sop_scorecard_parse(json, strlen(json), "fuzz-effective", &sc2, &err);
    if (rc != 0) {
        fprintf(stderr, "effective scorecard does not parse again: %s\n--\n%s\n", err.msg, json);
        abort();
    }
    bool bound2 = score_all(sc2, s2, rc2);
    FUZZ_ASSERT(bound1 == bound2);
    FUZZ_ASSERT(grades == sop_scorecard_grade_count(sc2));
    FUZZ_ASSERT(sop_scorecard_calibrated(sc) == sop_scorecard_calibrated(sc2));
    if (bound1) {
        for (size_t r = 0; r < NREC; r++) {
            FUZZ_ASSERT(rc1[r] == rc2[r]);
            if (rc1[r] != 0)
                continue;
            bool same = s1[r].score == s2[r].score && s1[r].hot == s2[r].hot &&
                        s1[r].grade_index == s2[r].grade_index &&
                        (s1[r].exact == s2[r].exact ||
                         fabs(s1[r].exact - s2[r].exact) <= 1e-9 * fmax(1.0, fabs(s1[r].exact)));
            if (!same) {
                fprintf(stderr,
                        "record %zu scores differently after to_json: %.17g/%.17g %s/%s %d/%d\n--\n%s\n",
                        r, s1[r].exact, s2[r].exact, s1[r].grade ? s1[r].grade : "-",
                        s2[r].grade ? s2[r].grade : "-", (int)s1[r].hot, (int)s2[r].hot, json);
                abort();
            }
        }
    }
    free(json);
    sop_scorecard_free(sc2);
    sop_scorecard_free(sc);
    return 0;
}
