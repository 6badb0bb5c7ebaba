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
    return sop_outputs_init(&ls->out, output_names, explain ? 4u : 3u, err);
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
    if ((rc = sop_outputs_bind(&ls->out, input, err)) != 0)
        return rc;
    if (input->count > 0 && !ls->noted) {
        ls->noted = true;
        if (absent[0] && !ls->quiet)
            fprintf(ls->diag, "%s: note: no column %s in the input; scored as missing\n",
                    ls->program, absent);
    }
    return 0;
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
    size_t n = sop_format_tenths(s.score, num);
    const sop_outputs *o = &ls->out;
    bool ok = sop_outputs_put(o, 0, rec, extra, num, n, SOP_LITERAL) &&
              sop_outputs_put(o, 1, rec, extra, s.grade, strlen(s.grade), SOP_TEXT) &&
              sop_outputs_put(o, 2, rec, extra, s.hot ? "true" : "false", s.hot ? 4 : 5,
                              SOP_LITERAL);
    if (ok && ls->explain)
        ok = sop_outputs_put(o, 3, rec, extra, ls->detail.data ? ls->detail.data : "",
                             ls->detail.len, SOP_TEXT);
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
    model->added = &ls->out.added;
    model->bind = bind;
    model->record = record;
    model->finish = finish;
}

void sop_lead_score_free(sop_lead_score *ls)
{
    sop_outputs_free(&ls->out);
    sop_buf_free(&ls->detail);
}
