/* lead-score: scores leads with a scorecard (options -> library calls). */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "error.h"
#include "lead_score.h"
#include "scorecard.h"
#include "stream.h"
#include "writer.h"

#define PROGRAM "lead-score"

enum { OPT_EXPLAIN = 1 };

static const sop_option options[] = {
    {"explain", 0, NULL, "add score_detail: each indicator's contribution", OPT_EXPLAIN},
};

typedef struct settings {
    bool explain;
} settings;

static int on_option(void *ctx, int id, const char *arg, sop_error *err)
{
    (void)arg;
    (void)err;
    settings *s = ctx;
    if (id == OPT_EXPLAIN)
        s->explain = true;
    return 0;
}

int main(int argc, char **argv)
{
    settings set = {false};
    sop_program prog = {
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
        .ctx = &set,
    };
    sop_error err;
    sop_error_clear(&err);
    sop_cli cli;
    int rc = sop_cli_parse(&prog, argc, argv, &cli, &err);
    if (rc == SOP_CLI_EXIT) { /* --help, --version */
        sop_cli_free(&cli);
        rc = sop_stdout_finish(&err);
        if (rc != 0)
            sop_error_print(stderr, PROGRAM, &err);
        return rc;
    }
    if (rc != 0) {
        sop_error_print(stderr, PROGRAM, &err);
        sop_cli_free(&cli);
        return rc;
    }
    sop_scorecard *sc = NULL;
    rc = sop_scorecard_load(cli.config, &sc, &err);
    if (rc == 0 && cli.print_config) {
        char *json = sop_scorecard_to_json(sc);
        if (json == NULL) {
            rc = sop_error_set(&err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
        } else {
            printf("%s\n", json);
            free(json);
            rc = sop_stdout_finish(&err);
        }
    } else if (rc == 0) {
        sop_lead_score ls;
        rc = sop_lead_score_init(&ls, sc, set.explain, &cli, PROGRAM, stderr, &err);
        if (rc == 0) {
            sop_stream_model model;
            sop_lead_score_model(&ls, &model);
            rc = sop_stream_run(PROGRAM, &cli, &model, stderr, NULL, &err);
        }
        sop_lead_score_free(&ls);
    }
    if (rc != 0 && err.status != 0)
        sop_error_print(stderr, PROGRAM, &err);
    sop_scorecard_free(sc);
    sop_cli_free(&cli);
    return rc;
}
