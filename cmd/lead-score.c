/* lead-score: scores leads with a scorecard (options -> library calls). */
#include <stdbool.h>
#include <stddef.h>

#include "evaluate.h"
#include "lead_score.h"
#include "program.h"
#include "scorecard.h"

#define PROGRAM "lead-score"

enum { OPT_EXPLAIN = 1, OPT_EVALUATE, OPT_LABEL, OPT_POSITIVE };

static const sop_option options[] = {
    {"explain", 0, NULL, "add score_detail: each indicator's contribution", OPT_EXPLAIN},
    {"evaluate", 0, NULL, "report how well the scorecard ranks labelled history", OPT_EVALUATE},
    {"label", 0, "COLUMN", "the column saying whether a lead converted", OPT_LABEL},
    {"positive", 0, "VALUE", "the label value meaning converted (default: 1, yes, won, ...)",
     OPT_POSITIVE},
};

typedef struct lead_score_main {
    bool explain, evaluate;
    const char *label, *positive;
    sop_scorecard *scorecard;
    sop_lead_score model;
    bool model_ready;
    sop_evaluate *evaluation;
} lead_score_main;

static int on_option(void *ctx, int id, const char *arg, sop_error *err)
{
    (void)err;
    lead_score_main *m = ctx;
    switch (id) {
    case OPT_EXPLAIN: m->explain = true; break;
    case OPT_EVALUATE: m->evaluate = true; break;
    case OPT_LABEL: m->label = arg; break;
    case OPT_POSITIVE: m->positive = arg; break;
    default: break;
    }
    return 0;
}

static int load(void *ctx, const sop_cli *cli, sop_error *err)
{
    lead_score_main *m = ctx;
    return sop_scorecard_load(cli->config, &m->scorecard, err);
}

static char *config_json(void *ctx)
{
    lead_score_main *m = ctx;
    return sop_scorecard_to_json(m->scorecard);
}

static int model(void *ctx, const sop_cli *cli, sop_stream_model *stream, sop_error *err)
{
    lead_score_main *m = ctx;
    if (m->evaluate) {
        int rc = sop_evaluate_new(&m->evaluation, m->scorecard, m->label, m->positive, cli, err);
        if (rc == 0)
            sop_evaluate_model(m->evaluation, stream);
        return rc;
    }
    m->model_ready = true;
    int rc = sop_lead_score_init(&m->model, m->scorecard, m->explain, cli, PROGRAM, stderr, err);
    if (rc == 0)
        sop_lead_score_model(&m->model, stream);
    return rc;
}

static void cleanup(void *ctx)
{
    lead_score_main *m = ctx;
    if (m->model_ready)
        sop_lead_score_free(&m->model);
    sop_evaluate_free(m->evaluation);
    sop_scorecard_free(m->scorecard);
}

int main(int argc, char **argv)
{
    lead_score_main m = {0};
    const sop_program prog = {
        .name = PROGRAM,
        .summary = "Score leads with a scorecard: adds score (0-100), grade, hot.",
        .description =
            "Reads leads (CSV, TSV or JSON Lines, gzip too) and writes them back with\n"
            "the columns score, grade and hot added. The built-in scorecard has the six\n"
            "objective indicators of the source article: core business district x1.5,\n"
            "budget >= 50万 x2, decision maker of director rank or above x1.8, source\n"
            "channel, company size and a reachable mobile number. A lead meeting the\n"
            "best condition of every indicator scores 100; hot means score >= 85.\n"
            "-c FILE loads another scorecard (see salesops-formats(5)).",
        .options = options,
        .option_count = sizeof options / sizeof options[0],
        .on_option = on_option,
        .ctx = &m,
    };
    const sop_program_hooks hooks = {load, config_json, model, cleanup};
    return sop_stream_main(&prog, &hooks, &m, argc, argv);
}
