/* funnel-diag: where deals leak, whether a change is real, the evidence
 * behind won and lost deals, what to do, which touches drive closes
 * (options -> library calls). */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "funnel.h"
#include "program.h"

#define PROGRAM "funnel-diag"

enum { OPT_REPORT = 1, OPT_ACTIVITIES, OPT_PATHS, OPT_BY, OPT_PERIOD, OPT_BASELINE, OPT_MODEL,
       OPT_TOUCH, OPT_FAIL_ON };

static const sop_option options[] = {
    {"report", 0, "KIND", "stages (default), breakpoints, pchart, reasons, evidence, actions "
     "or attribution", OPT_REPORT},
    {"activities", 0, "FILE", "follow-up records (deal_id, at, action, goal, docs): evidence "
     "chains, contradictions, touch paths", OPT_ACTIVITIES},
    {"paths", 0, "FILE", "attribution from aggregated paths (path;total_conversions;"
     "total_conversion_value;total_null, steps joined by >) instead of stage events",
     OPT_PATHS},
    {"by", 0, "COLUMN", "stages and reasons per period (the deal's first event), rep, source "
     "or any column of the events", OPT_BY},
    {"period", 0, "week|month", "the period of --by period, breakpoints and the p-chart "
     "(default: the config's, week)", OPT_PERIOD},
    {"baseline", 0, "N", "breakpoints: compare the last complete period with the N before it "
     "(default 1)", OPT_BASELINE},
    {"model", 0, "MODEL", "attribution: first, last, linear, time-decay, position, markov, a "
     "comma list, or all (default)", OPT_MODEL},
    {"touch", 0, "COLUMN", "attribution: the activities' column of touch types (default "
     "action)", OPT_TOUCH},
    {"fail-on", 0, "breakpoints", "exit 1 when a transition got significantly worse (for "
     "cron)", OPT_FAIL_ON},
};

typedef struct funnel_main {
    sop_funnel_config cfg;
    sop_funnel_opts opts;
    bool fail_on;
    sop_funnel *funnel;
} funnel_main;

static int on_option(void *ctx, int id, const char *arg, sop_error *err)
{
    funnel_main *m = ctx;
    char *end;
    switch (id) {
    case OPT_REPORT:
        if (!sop_funnel_report_parse(arg, &m->opts.report))
            return sop_error_set(err, SOP_EXIT_USAGE, NULL, 0, "--report knows stages, "
                                 "breakpoints, pchart, reasons, evidence, actions and "
                                 "attribution, not \"%s\"", arg);
        break;
    case OPT_ACTIVITIES: m->opts.activities_path = arg; break;
    case OPT_PATHS: m->opts.paths_path = arg; break;
    case OPT_BY:
        if (!*arg)
            return sop_error_set(err, SOP_EXIT_USAGE, NULL, 0, "--by wants a column name");
        m->opts.by = arg;
        break;
    case OPT_PERIOD:
        if (strcmp(arg, "week") != 0 && strcmp(arg, "month") != 0)
            return sop_error_set(err, SOP_EXIT_USAGE, NULL, 0, "--period knows week and month, "
                                 "not \"%s\"", arg);
        m->opts.period = strcmp(arg, "month") == 0;
        break;
    case OPT_BASELINE:
        m->opts.baseline = strtoul(arg, &end, 10);
        if (*arg < '1' || *arg > '9' || *end || m->opts.baseline > 520)
            return sop_error_set(err, SOP_EXIT_USAGE, NULL, 0, "--baseline wants a number of "
                                 "periods from 1 to 520, not \"%s\"", arg);
        break;
    case OPT_MODEL:
        if (!sop_attrib_models_parse(arg, &m->opts.models))
            return sop_error_set(err, SOP_EXIT_USAGE, NULL, 0, "--model knows first, last, "
                                 "linear, time-decay, position, markov and all, not \"%s\"", arg);
        break;
    case OPT_TOUCH: m->opts.touch = arg; break;
    case OPT_FAIL_ON:
        if (strcmp(arg, "breakpoints") != 0)
            return sop_error_set(err, SOP_EXIT_USAGE, NULL, 0, "--fail-on knows breakpoints, "
                                 "not \"%s\"", arg);
        m->fail_on = true;
        m->opts.breakpoints = true;
        break;
    default: break;
    }
    return 0;
}

static int load(void *ctx, const sop_cli *cli, sop_error *err)
{
    funnel_main *m = ctx;
    return sop_funnel_config_load(cli->config, &m->cfg, err);
}

static char *config_json(void *ctx)
{
    funnel_main *m = ctx;
    return sop_funnel_config_json(&m->cfg);
}

static int setup(funnel_main *m, const sop_cli *cli, sop_error *err)
{
    if (m->funnel)
        return 0;
    m->opts.program = PROGRAM;
    m->opts.diag = stderr;
    m->opts.quiet = cli->verbosity < 0;
    return sop_funnel_new(&m->funnel, &m->cfg, cli, &m->opts, err);
}

static int alone(void *ctx, const sop_cli *cli, sop_error *err)
{
    funnel_main *m = ctx;
    int rc = setup(m, cli, err);
    if (rc != 0)
        return rc;
    if (m->opts.paths_path == NULL)
        return SOP_PROGRAM_STREAM;
    if (cli->file_count > 0)
        return sop_error_set(err, SOP_EXIT_USAGE, NULL, 0, "--paths reads no stage events; "
                             "leave out %s", cli->files[0]);
    return sop_funnel_paths(m->funnel, err);
}

static int model(void *ctx, const sop_cli *cli, sop_stream_model *stream, sop_error *err)
{
    funnel_main *m = ctx;
    int rc = setup(m, cli, err);
    if (rc == 0)
        sop_funnel_model(m->funnel, stream);
    return rc;
}

static int findings(void *ctx)
{
    funnel_main *m = ctx;
    return m->fail_on && sop_funnel_flagged(m->funnel) > 0 ? 1 : 0;
}

static void cleanup(void *ctx)
{
    funnel_main *m = ctx;
    sop_funnel_free(m->funnel);
}

int main(int argc, char **argv)
{
    funnel_main m = {.opts = {.report = SOP_FUNNEL_STAGES_REPORT, .period = -1}};
    const sop_program prog = {
        .name = PROGRAM,
        .summary = "Find where deals leak, which shifts are real, and what to do about them.",
        .description =
            "Reads stage events (deal_id, stage, at, rep_id, amount, outcome, lost_reason,\n"
            "source) in any order; per deal the furthest stage and when it entered each.\n"
            "Default funnel: lead > need_confirmed > demo > quote > negotiation > won (the\n"
            "activity stages need_discovery, solution_match, objection, close and Chinese\n"
            "names map onto it).  A deal that skips a stage has passed it; lost needs an\n"
            "outcome; a deal without one is open, never lost.  Rates are over decided deals.\n"
            "  stages       per stage: entered, advanced, lost, open, conversion, loss rate,\n"
            "               median and p90 days in stage (--by period|rep|source|COLUMN)\n"
            "  breakpoints  each transition's loss rate in the last complete week (month)\n"
            "               against the one before (--baseline N): change in percentage\n"
            "               points and relative, z-test p-value; flagged when >= 10 points,\n"
            "               p < 0.05 and >= 30 decided deals in both\n"
            "  pchart       per period and transition: loss rate against 3-sigma limits\n"
            "  reasons      lost reasons ranked per stage\n"
            "  evidence     won deals without the evidence chain (>= 2 visits, a custom\n"
            "               proposal, an e-mail confirming needs), lost deals whose reason\n"
            "               contradicts the record (price, but no value comparison sent)\n"
            "  actions      an improvement list (JSON Lines) from breakpoints, frequent\n"
            "               contradictions and evidence gaps, with the figures behind each\n"
            "  attribution  credit for won deals over touch types (--model)\n"
            "Reports are a table on a terminal, else CSV (actions: JSON Lines); -f chooses.",
        .options = options,
        .option_count = sizeof options / sizeof options[0],
        .on_option = on_option,
        .ctx = &m,
    };
    const sop_program_hooks hooks = {load, config_json, model, alone, cleanup, findings};
    return sop_stream_main(&prog, &hooks, &m, argc, argv);
}
