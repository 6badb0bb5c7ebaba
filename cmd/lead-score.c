/* lead-score: scores leads with a scorecard (options -> library calls). */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>

#include "evaluate.h"
#include "lead_score.h"
#include "program.h"
#include "scorecard.h"
#include "train.h"

#define PROGRAM "lead-score"

enum {
    OPT_EXPLAIN = 1,
    OPT_EVALUATE,
    OPT_TRAIN,
    OPT_LABEL,
    OPT_POSITIVE,
    OPT_EXCLUDE,
    OPT_FOLDS,
    OPT_SEED,
    OPT_HOLDOUT,
    OPT_L2
};

static const sop_option options[] = {
    {"explain", 0, NULL, "add score_detail: each indicator's contribution", OPT_EXPLAIN},
    {"evaluate", 0, NULL, "report how well the scorecard ranks labelled history", OPT_EVALUATE},
    {"label", 0, "COLUMN", "the column saying whether a lead converted", OPT_LABEL},
    {"train", 0, NULL, "fit a scorecard to labelled history; write it to -o or stdout",
     OPT_TRAIN},
    {"positive", 0, "VALUE", "the label value meaning converted (default: 1, yes, won, ...)",
     OPT_POSITIVE},
    {"exclude", 0, "COL,...", "--train: columns not to learn from", OPT_EXCLUDE},
    {"folds", 0, "K", "--train: cross-validation folds (default: 5)", OPT_FOLDS},
    {"seed", 0, "N", "--train: seed for folds and holdout (default: 1)", OPT_SEED},
    {"holdout", 0, "FRACTION", "--train: rows kept out of fitting, to test on (default: 0)",
     OPT_HOLDOUT},
    {"l2", 0, "LAMBDA", "--train: L2 penalty (default: best of 1, 10, 100 by CV)", OPT_L2},
};

typedef struct lead_score_main {
    bool explain, evaluate, train;
    const char *label, *positive;
    sop_train_opts train_opts;
    sop_train *trainer;
    sop_scorecard *scorecard;
    sop_lead_score model;
    bool model_ready;
    sop_evaluate *evaluation;
} lead_score_main;

static int number(const char *arg, const char *option, double lo, double hi, double *out,
                  sop_error *err)
{
    char *end;
    errno = 0;
    double v = strtod(arg, &end);
    if (end == arg || *end != '\0' || errno != 0 || !(v >= lo && v <= hi))
        return sop_error_set(err, SOP_EXIT_USAGE, NULL, 0, "%s wants a number from %g to %g, not "
                             "\"%s\"", option, lo, hi, arg);
    *out = v;
    return 0;
}

static int on_option(void *ctx, int id, const char *arg, sop_error *err)
{
    lead_score_main *m = ctx;
    double v = 0;
    int rc = 0;
    switch (id) {
    case OPT_EXPLAIN: m->explain = true; break;
    case OPT_EVALUATE: m->evaluate = true; break;
    case OPT_TRAIN: m->train = true; break;
    case OPT_LABEL: m->label = arg; break;
    case OPT_POSITIVE: m->positive = arg; break;
    case OPT_EXCLUDE: m->train_opts.exclude = arg; break;
    case OPT_FOLDS:
        if ((rc = number(arg, "--folds", 2, 100, &v, err)) == 0)
            m->train_opts.folds = (unsigned)v;
        break;
    case OPT_SEED:
        if ((rc = number(arg, "--seed", 0, 1e15, &v, err)) == 0)
            m->train_opts.seed = (uint64_t)v;
        break;
    case OPT_HOLDOUT: rc = number(arg, "--holdout", 0, 0.9, &m->train_opts.holdout, err); break;
    case OPT_L2:
        /* a column's levels and the intercept are collinear: 0 is singular */
        rc = number(arg, "--l2", 1e-9, 1e9, &m->train_opts.l2, err);
        break;
    default: break;
    }
    return rc;
}

static int load(void *ctx, const sop_cli *cli, sop_error *err)
{
    lead_score_main *m = ctx;
    if (m->train && m->evaluate)
        return sop_error_set(err, SOP_EXIT_USAGE, NULL, 0,
                             "--train and --evaluate are separate runs: train, then evaluate "
                             "the written scorecard with -c");
    if (m->train && cli->config)
        return sop_error_set(err, SOP_EXIT_USAGE, NULL, 0,
                             "--train writes a scorecard; it does not read one (-c)");
    if (m->train)
        return 0;
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
    if (m->train) {
        m->train_opts.label = m->label;
        m->train_opts.positive = m->positive;
        int rc = sop_train_new(&m->trainer, &m->train_opts, cli, PROGRAM, stderr, err);
        if (rc == 0)
            sop_train_model(m->trainer, stream);
        return rc;
    }
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
    sop_train_free(m->trainer);
    sop_scorecard_free(m->scorecard);
}

int main(int argc, char **argv)
{
    lead_score_main m = {.train_opts = {.seed = 1, .l2 = -1}};
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
    const sop_program_hooks hooks = {load, config_json, model, NULL, cleanup, NULL};
    return sop_stream_main(&prog, &hooks, &m, argc, argv);
}
