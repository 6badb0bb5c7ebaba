#include "lead_score.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const char *const output_names[] = {"score", "grade", "hot", "score_detail"};

int sop_lead_score_init(sop_lead_score *ls, sop_scorecard *sc, bool explain, const sop_cli *cli,
                        const char *program, FILE *diag, sop_error *err)
{
    memset(ls, 0, sizeof *ls);
    ls->scorecard = sc;
    ls->explain = explain;
    ls->now = sop_cli_now(cli);
    ls->tz = cli->tz;
    ls->program = program;
    ls->diag = diag;
    ls->quiet = cli->verbosity < 0;
    ls->outputs = explain ? 4u : 3u;
    sop_schema_init(&ls->added);
    for (size_t i = 0; i < ls->outputs; i++) {
        ls->existing[i] = -1;
        if (sop_schema_add(&ls->added, output_names[i], strlen(output_names[i])) < 0)
            return sop_error_set(err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
    }
    return 0;
}

/* Input that was scored before (a daily re-score with decay, say) keeps
 * its columns in place: their values are replaced, not added again. */
static int bind(void *ctx, const sop_schema *input, sop_error *err)
{
    sop_lead_score *ls = ctx;
    char absent[512];
    int rc = sop_scorecard_bind(ls->scorecard, input, absent, sizeof absent, err);
    if (rc != 0)
        return rc;
    sop_schema_free(&ls->added);
    for (size_t i = 0; i < ls->outputs; i++) {
        ls->existing[i] = sop_schema_find(input, output_names[i]);
        if (ls->existing[i] < 0 &&
            sop_schema_add(&ls->added, output_names[i], strlen(output_names[i])) < 0)
            return sop_error_set(err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
    }
    if (input->count > 0 && !ls->noted) {
        ls->noted = true;
        if (absent[0] && !ls->quiet)
            fprintf(ls->diag, "%s: note: no column %s in the input; scored as missing\n",
                    ls->program, absent);
    }
    return 0;
}

/* "%.1f" for a score in 0..100 that is already rounded to tenths, without
 * printf's floating-point machinery (it showed in the profile). */
static size_t format_tenths(double score, char *buf)
{
    long tenths = lround(score * 10.0);
    if (tenths < 0)
        tenths = 0;
    if (tenths > 1000)
        tenths = 1000;
    long whole = tenths / 10;
    size_t n = 0;
    if (whole >= 100)
        buf[n++] = (char)('0' + whole / 100);
    if (whole >= 10)
        buf[n++] = (char)('0' + whole / 10 % 10);
    buf[n++] = (char)('0' + whole % 10);
    buf[n++] = '.';
    buf[n++] = (char)('0' + tenths % 10);
    buf[n] = '\0';
    return n;
}

static bool put(const sop_lead_score *ls, size_t which, sop_record *rec, sop_record *extra,
                const char *s, size_t len, unsigned char kind)
{
    if (ls->existing[which] >= 0)
        return sop_record_set(rec, (size_t)ls->existing[which], s, len, kind);
    return sop_record_push(extra, s, len, kind);
}

static int record(void *ctx, sop_record *rec, sop_record *extra, sop_error *err)
{
    sop_lead_score *ls = ctx;
    sop_score s;
    ls->detail.len = 0;
    int rc = sop_scorecard_eval(ls->scorecard, rec, ls->now, &ls->tz, &s,
                                ls->explain ? &ls->detail : NULL, err);
    if (rc != 0)
        return rc;
    char num[16];
    size_t n = format_tenths(s.score, num);
    bool ok = put(ls, 0, rec, extra, num, n, SOP_LITERAL) &&
              put(ls, 1, rec, extra, s.grade, strlen(s.grade), SOP_TEXT) &&
              put(ls, 2, rec, extra, s.hot ? "true" : "false", s.hot ? 4 : 5, SOP_LITERAL);
    if (ok && ls->explain)
        ok = put(ls, 3, rec, extra, ls->detail.data ? ls->detail.data : "", ls->detail.len,
                 SOP_TEXT);
    if (!ok)
        return sop_error_set(err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
    return 0;
}

static void print_note(void *ctx, const char *text)
{
    const sop_lead_score *ls = ctx;
    fprintf(ls->diag, "%s: note: %s\n", ls->program, text);
}

static int finish(void *ctx, sop_error *err)
{
    (void)err;
    sop_lead_score *ls = ctx;
    if (!ls->quiet)
        sop_scorecard_unreadable(ls->scorecard, print_note, ls);
    return 0;
}

void sop_lead_score_model(sop_lead_score *ls, sop_stream_model *model)
{
    model->ctx = ls;
    model->added = &ls->added;
    model->bind = bind;
    model->record = record;
    model->finish = finish;
}

void sop_lead_score_free(sop_lead_score *ls)
{
    sop_schema_free(&ls->added);
    sop_buf_free(&ls->detail);
}
