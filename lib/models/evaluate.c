#include "evaluate.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "text.h"
#include "values.h"

/* ---- labels ------------------------------------------------------------ */

int sop_label_init(sop_label_rule *rule, const char *positive, sop_error *err)
{
    memset(rule, 0, sizeof *rule);
    if (positive == NULL)
        return 0;
    size_t n = sop_text_fold(positive, strlen(positive), rule->positive, sizeof rule->positive);
    if (n == (size_t)-1 || n == 0)
        return sop_error_set(err, SOP_EXIT_USAGE, NULL, 0,
                             "--positive needs a non-empty value of at most 255 bytes");
    rule->has_positive = true;
    return 0;
}

int sop_label_read(const sop_label_rule *rule, const char *s, size_t len)
{
    char folded[256];
    size_t n = sop_text_fold(s, len, folded, sizeof folded);
    if (n == (size_t)-1 || n == 0 || sop_value_missing(NULL, s, len))
        return -1;
    if (rule->has_positive)
        return strcmp(folded, rule->positive) == 0 ? 1 : 0;
    bool b;
    if (sop_parse_bool(folded, n, &b))
        return b ? 1 : 0;
    static const char *const yes[] = {"won", "win", "converted", "赢单", "成交", "已成交"};
    static const char *const no[] = {"lost", "lose", "not converted", "输单", "丢单", "未成交"};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
        if (strcmp(folded, yes[i]) == 0)
            return 1;
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
        if (strcmp(folded, no[i]) == 0)
            return 0;
    return -1;
}

int sop_label_of(const sop_label_rule *rule, const sop_record *rec, long col,
                 const char *column, sop_error *err)
{
    size_t len;
    const char *s = sop_record_text(rec, (size_t)col, &len);
    int label = sop_label_read(rule, s, len);
    if (label >= 0)
        return label;
    sop_error_set(err, 0, NULL, 0,
                  "label %s \"%.*s\" is not a label (1/0, yes/no, won/lost, 是/否, or "
                  "--positive VALUE)",
                  column, (int)(len > 60 ? 60 : len), s);
    return SOP_STREAM_REJECT;
}

/* ---- AUC -------------------------------------------------------------- */

typedef struct scored {
    double score;
    size_t order; /* input order: ties sort the same way every time */
    unsigned char label;
    unsigned char pad[7];
} scored;

static int by_score_desc(const void *a, const void *b)
{
    const scored *x = a, *y = b;
    if (x->score > y->score)
        return -1;
    if (x->score < y->score)
        return 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

/* AUC over rows already sorted by descending score. */
static double auc_sorted(const scored *rows, size_t n)
{
    double positives = 0, negatives = 0, pairs = 0;
    size_t i = 0;
    while (i < n) {
        size_t j = i;
        double pos = 0, neg = 0;
        while (j < n && rows[j].score == rows[i].score) {
            if (rows[j].label)
                pos++;
            else
                neg++;
            j++;
        }
        pairs += 0.5 * pos * neg;  /* ties inside the group count half */
        pairs += neg * positives;  /* every earlier positive outranks these */
        positives += pos;
        negatives += neg;
        i = j;
    }
    if (positives == 0 || negatives == 0)
        return NAN;
    return pairs / (positives * negatives);
}

double sop_auc(const double *score, const unsigned char *label, size_t n)
{
    scored *rows = malloc((n ? n : 1) * sizeof *rows);
    if (rows == NULL)
        return NAN;
    for (size_t i = 0; i < n; i++) {
        rows[i].score = score[i];
        rows[i].order = i;
        rows[i].label = label[i] ? 1 : 0;
    }
    qsort(rows, n, sizeof *rows, by_score_desc);
    double auc = auc_sorted(rows, n);
    free(rows);
    return auc;
}

/* ---- the evaluation model ---------------------------------------------- */

struct sop_evaluate {
    sop_scorecard *scorecard;
    char *label_column;
    long label_col;
    sop_label_rule label;
    const sop_cli *cli;
    int64_t now;
    sop_tz tz;
    scored *rows;
    size_t count, cap;
    size_t *grade_leads, *grade_converted; /* per grade, + one for "none" */
    double log_loss_sum;
};

int sop_evaluate_new(sop_evaluate **out, sop_scorecard *sc, const char *label_column,
                     const char *positive, const sop_cli *cli, sop_error *err)
{
    if (label_column == NULL)
        return sop_error_set(err, SOP_EXIT_USAGE, NULL, 0,
                             "--evaluate needs --label COLUMN (the column that says whether "
                             "the lead converted)");
    sop_evaluate *ev = calloc(1, sizeof *ev);
    if (ev == NULL)
        return sop_error_set(err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
    int rc = sop_label_init(&ev->label, positive, err);
    size_t grades = sop_scorecard_grade_count(sc) + 1;
    ev->grade_leads = calloc(grades, sizeof *ev->grade_leads);
    ev->grade_converted = calloc(grades, sizeof *ev->grade_converted);
    ev->label_column = strdup(label_column);
    if (rc == 0 && (!ev->grade_leads || !ev->grade_converted || !ev->label_column))
        rc = sop_error_set(err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
    if (rc != 0) {
        sop_evaluate_free(ev);
        return rc;
    }
    ev->scorecard = sc;
    ev->cli = cli;
    ev->now = sop_cli_now(cli);
    ev->tz = cli->tz;
    ev->label_col = -1;
    *out = ev;
    return 0;
}

void sop_evaluate_free(sop_evaluate *ev)
{
    if (ev == NULL)
        return;
    free(ev->rows);
    free(ev->grade_leads);
    free(ev->grade_converted);
    free(ev->label_column);
    free(ev);
}

static int bind(void *ctx, const sop_schema *input, sop_error *err)
{
    sop_evaluate *ev = ctx;
    char absent[512];
    int rc = sop_scorecard_bind(ev->scorecard, input, absent, sizeof absent, err);
    if (rc != 0)
        return rc;
    ev->label_col = sop_find_column(input, ev->label_column);
    if (ev->label_col < 0 && input->count > 0)
        return sop_error_set(err, SOP_EXIT_DATAERR, NULL, 0, "no column \"%s\" (--label) in the input",
                             ev->label_column);
    return 0;
}

static int record(void *ctx, sop_record *rec, sop_record *extra, sop_error *err)
{
    (void)extra;
    sop_evaluate *ev = ctx;
    int label = sop_label_of(&ev->label, rec, ev->label_col, ev->label_column, err);
    if (label < 0)
        return label;
    sop_score sc;
    int rc = sop_scorecard_eval(ev->scorecard, rec, ev->now, &ev->tz, &sc, NULL, err);
    if (rc != 0)
        return rc;
    if (ev->count == ev->cap) {
        size_t cap = ev->cap ? ev->cap * 2 : 4096;
        scored *rows = realloc(ev->rows, cap * sizeof *rows);
        if (rows == NULL)
            return sop_error_set(err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
        ev->rows = rows;
        ev->cap = cap;
    }
    ev->rows[ev->count].score = sc.exact;
    ev->rows[ev->count].order = ev->count;
    ev->rows[ev->count].label = (unsigned char)label;
    ev->count++;
    ev->grade_leads[sc.grade_index]++;
    ev->grade_converted[sc.grade_index] += (size_t)label;
    if (sop_scorecard_calibrated(ev->scorecard)) {
        double p = sc.exact / 100.0;
        if (p < 1e-12)
            p = 1e-12;
        if (p > 1 - 1e-12)
            p = 1 - 1e-12;
        ev->log_loss_sum -= label ? log(p) : log(1 - p);
    }
    return 0;
}

static json_t *rate(size_t part, size_t whole)
{
    return whole ? json_real((double)part / (double)whole) : json_null();
}

json_t *sop_evaluate_report(const sop_evaluate *ev)
{
    size_t n = ev->count, positives = 0;
    for (size_t i = 0; i < n; i++)
        positives += ev->rows[i].label;
    qsort(ev->rows, n, sizeof *ev->rows, by_score_desc);
    double auc = auc_sorted(ev->rows, n);
    json_t *report = json_object();
    json_object_set_new(report, "rows", json_integer((json_int_t)n));
    json_object_set_new(report, "converted", json_integer((json_int_t)positives));
    json_object_set_new(report, "conversion_rate", rate(positives, n));
    json_object_set_new(report, "auc", isnan(auc) ? json_null() : json_real(auc));
    bool calibrated = sop_scorecard_calibrated(ev->scorecard);
    json_object_set_new(report, "calibrated", json_boolean(calibrated));
    json_object_set_new(report, "log_loss", calibrated && n ? json_real(ev->log_loss_sum / (double)n)
                                                            : json_null());
    json_t *deciles = json_array();
    json_int_t number = 0;
    double overall = n ? (double)positives / (double)n : 0;
    for (size_t d = 0; d < 10 && n > 0; d++) {
        size_t from = n * d / 10, to = n * (d + 1) / 10;
        if (from == to)
            continue;
        size_t conv = 0;
        for (size_t i = from; i < to; i++)
            conv += ev->rows[i].label;
        json_t *row = json_object();
        json_object_set_new(row, "decile", json_integer(++number));
        json_object_set_new(row, "leads", json_integer((json_int_t)(to - from)));
        json_object_set_new(row, "converted", json_integer((json_int_t)conv));
        json_object_set_new(row, "rate", rate(conv, to - from));
        json_object_set_new(row, "lift", overall > 0 ? json_real((double)conv / (double)(to - from) / overall)
                                                     : json_null());
        json_object_set_new(row, "min_score", json_real(round(ev->rows[to - 1].score * 10) / 10));
        json_object_set_new(row, "max_score", json_real(round(ev->rows[from].score * 10) / 10));
        json_array_append_new(deciles, row);
    }
    json_object_set_new(report, "deciles", deciles);
    json_t *grades = json_array();
    size_t count = sop_scorecard_grade_count(ev->scorecard);
    for (size_t g = 0; g <= count; g++) {
        if (g == count && ev->grade_leads[g] == 0)
            break; /* "no grade" only when some lead had none */
        json_t *row = json_object();
        json_object_set_new(row, "grade", json_string(g < count ? sop_scorecard_grade(ev->scorecard, g)
                                                                : "(none)"));
        json_object_set_new(row, "leads", json_integer((json_int_t)ev->grade_leads[g]));
        json_object_set_new(row, "converted", json_integer((json_int_t)ev->grade_converted[g]));
        json_object_set_new(row, "rate", rate(ev->grade_converted[g], ev->grade_leads[g]));
        json_array_append_new(grades, row);
    }
    json_object_set_new(report, "grades", grades);
    return report;
}

static int finish(void *ctx, sop_error *err)
{
    sop_evaluate *ev = ctx;
    json_t *report = sop_evaluate_report(ev);
    if (report == NULL)
        return sop_error_set(err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
    int rc = sop_report_emit(report, ev->cli, err);
    json_decref(report);
    return rc;
}

void sop_evaluate_model(sop_evaluate *ev, sop_stream_model *model)
{
    model->ctx = ev;
    model->added = NULL;
    model->bind = bind;
    model->record = record;
    model->finish = finish;
    model->consumes = true;
}
