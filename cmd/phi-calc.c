/* phi-calc: the process health index per group and period, its early
 * warning, and how far it leads results (options -> library calls). */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "phi.h"
#include "program.h"

#define PROGRAM "phi-calc"

enum { OPT_LEADS = 1, OPT_ACTIVITIES, OPT_EVENTS, OPT_REPS, OPT_PERFORMANCE, OPT_BY, OPT_PERIOD,
       OPT_REPORT, OPT_PREWHITEN, OPT_FAIL_ON, OPT_AUDIT_CONFIG };

static const sop_option options[] = {
    {"leads", 0, "FILE", "leads (lead_id, created_at, owner; converted_at if known)", OPT_LEADS},
    {"activities", 0, "FILE", "follow-up records (lead_id, deal_id, rep_id, at, stage, goal, "
     "next_step, ...)", OPT_ACTIVITIES},
    {"events", 0, "FILE", "stage events (deal_id, stage, at): a lead converts when one of its "
     "deals reaches need_confirmed or solution_match", OPT_EVENTS},
    {"reps", 0, "FILE", "the reps' teams (rep_id, team), for --by team", OPT_REPS},
    {"performance", 0, "FILE", "results per period (period, value; team or rep_id): "
     "--report lead", OPT_PERFORMANCE},
    {"by", 0, "team|rep|none", "one row per team, rep, or for everyone (default none)", OPT_BY},
    {"period", 0, "week|month", "week (default: each week's figures over the 4 weeks ending "
     "there) or month", OPT_PERIOD},
    {"report", 0, "KIND", "phi (default: per group and period) or lead (PHI against "
     "--performance at lags 0..8)", OPT_REPORT},
    {"prewhiten", 0, NULL, "--report lead: correlate first differences, not levels",
     OPT_PREWHITEN},
    {"fail-on", 0, "warning|risk", "exit 1 when a group's last period is at that status or "
     "worse (warning: also an EWMA alarm or a period that cannot be judged)", OPT_FAIL_ON},
    {"audit-config", 0, "FILE", "followup-audit's config: what a complete record is (default: "
     "goal and next_step, a quote/proposal/contract links its document)", OPT_AUDIT_CONFIG},
};

typedef struct phi_main {
    sop_phi_config cfg;
    sop_phi_opts opts;
} phi_main;

static int usage(sop_error *err, const char *option, const char *known, const char *arg)
{
    return sop_error_set(err, SOP_EXIT_USAGE, NULL, 0, "--%s knows %s, not \"%s\"", option, known,
                         arg);
}

static int on_option(void *ctx, int id, const char *arg, sop_error *err)
{
    phi_main *m = ctx;
    switch (id) {
    case OPT_LEADS: m->opts.leads_path = arg; break;
    case OPT_ACTIVITIES: m->opts.activities_path = arg; break;
    case OPT_EVENTS: m->opts.events_path = arg; break;
    case OPT_REPS: m->opts.reps_path = arg; break;
    case OPT_PERFORMANCE: m->opts.performance_path = arg; break;
    case OPT_AUDIT_CONFIG: m->opts.audit_config = arg; break;
    case OPT_PREWHITEN: m->opts.prewhiten = true; break;
    case OPT_BY:
        if (strcmp(arg, "team") == 0)
            m->opts.by = SOP_PHI_BY_TEAM;
        else if (strcmp(arg, "rep") == 0)
            m->opts.by = SOP_PHI_BY_REP;
        else if (strcmp(arg, "none") == 0)
            m->opts.by = SOP_PHI_BY_NONE;
        else
            return usage(err, "by", "team, rep and none", arg);
        break;
    case OPT_PERIOD:
        if (strcmp(arg, "week") != 0 && strcmp(arg, "month") != 0)
            return usage(err, "period", "week and month", arg);
        m->opts.monthly = strcmp(arg, "month") == 0;
        break;
    case OPT_REPORT:
        if (strcmp(arg, "phi") != 0 && strcmp(arg, "lead") != 0)
            return usage(err, "report", "phi and lead", arg);
        m->opts.report = strcmp(arg, "lead") == 0 ? SOP_PHI_LEAD : SOP_PHI_ROWS;
        break;
    case OPT_FAIL_ON:
        if (strcmp(arg, "warning") != 0 && strcmp(arg, "risk") != 0)
            return usage(err, "fail-on", "warning and risk", arg);
        m->opts.fail_on = strcmp(arg, "risk") == 0 ? SOP_PHI_FAIL_RISK : SOP_PHI_FAIL_WARNING;
        break;
    default: break;
    }
    return 0;
}

static int load(void *ctx, const sop_cli *cli, sop_error *err)
{
    phi_main *m = ctx;
    return sop_phi_config_load(cli->config, &m->cfg, err);
}

static char *config_json(void *ctx)
{
    phi_main *m = ctx;
    return sop_phi_config_json(&m->cfg);
}

static int alone(void *ctx, const sop_cli *cli, sop_error *err)
{
    phi_main *m = ctx;
    if (cli->file_count > 0)
        return sop_error_set(err, SOP_EXIT_USAGE, NULL, 0, "the files are named by --leads and "
                             "--activities (and --events, --reps, --performance); leave out %s",
                             cli->files[0]);
    m->opts.program = PROGRAM;
    m->opts.diag = stderr;
    m->opts.quiet = cli->verbosity < 0;
    return sop_phi_run(&m->cfg, cli, &m->opts, err);
}

static int model(void *ctx, const sop_cli *cli, sop_stream_model *stream, sop_error *err)
{
    (void)ctx, (void)cli, (void)stream;
    return sop_error_set(err, SOP_EXIT_SOFTWARE, NULL, 0, "phi-calc reads no record stream");
}

static void cleanup(void *ctx)
{
    (void)ctx;
}

int main(int argc, char **argv)
{
    phi_main m = {.opts = {.by = SOP_PHI_BY_NONE}};
    const sop_program prog = {
        .name = PROGRAM,
        .summary = "The process health index (PHI) per team or rep and week, its early warning, "
                   "its lead over results.",
        .description =
            "Reads --leads and --activities (and --events, --reps, --performance) and writes\n"
            "one row per group and period with the article's three process measures:\n"
            "  stability     standard deviation of the weekly lead conversion rates / the\n"
            "                period's rate (a lead converts within 14 days of created_at;\n"
            "                weeks whose window is still open are left out); healthy <= 0.15\n"
            "  completion    customers who got the key action (a need_discovery activity\n"
            "                with goal and next_step) / customers due it (7 days); >= 88%\n"
            "  completeness  complete follow-up records (as followup-audit --report records\n"
            "                checks them) / all records; >= 95%\n"
            "PHI = (min(1, stability) + (1 - completion) + (1 - completeness)) / 3: 0 is\n"
            "perfect.  Status healthy, warning (one measure outside) or risk (two or more),\n"
            "the failing measures named; an EWMA of PHI (lambda 0.2, 3-sigma limit from the\n"
            "first 8 periods) raises an alarm.  --report lead correlates PHI with\n"
            "--performance at lags 0..8 periods.  A table on a terminal, else CSV.",
        .options = options,
        .option_count = sizeof options / sizeof options[0],
        .on_option = on_option,
        .ctx = &m,
    };
    const sop_program_hooks hooks = {load, config_json, model, alone, cleanup, NULL};
    return sop_stream_main(&prog, &hooks, &m, argc, argv);
}
