/* followup-audit: checks follow-up records and lists what a supervisor acts
 * on (options -> library calls). */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "program.h"

#define PROGRAM "followup-audit"

enum { OPT_LEADS = 1, OPT_REPS, OPT_EVENTS, OPT_REPORT, OPT_FAIL_ON };

static const sop_option options[] = {
    {"report", 0, "KIND", "todos (default), records, heatmap, coaching or summary", OPT_REPORT},
    {"leads", 0, "FILE", "the leads with owner and assigned_at (lead-assign's output): first-call "
     "deadlines; activities of other leads are rejected", OPT_LEADS},
    {"reps", 0, "FILE", "the reps with team and supervisor_id: who is notified, teams for "
     "coaching; activities of other reps are rejected", OPT_REPS},
    {"events", 0, "FILE", "stage events (deal_id, stage, at, rep_id, outcome): when deals "
     "entered each stage and which are won or lost", OPT_EVENTS},
    {"fail-on", 0, "todos", "exit 1 when there is any to-do (for cron)", OPT_FAIL_ON},
};

typedef struct audit_main {
    sop_audit_config cfg;
    sop_audit_opts opts;
    bool fail_on_todos;
    sop_audit *audit;
} audit_main;

static int on_option(void *ctx, int id, const char *arg, sop_error *err)
{
    audit_main *m = ctx;
    switch (id) {
    case OPT_LEADS: m->opts.leads_path = arg; break;
    case OPT_REPS: m->opts.reps_path = arg; break;
    case OPT_EVENTS: m->opts.events_path = arg; break;
    case OPT_REPORT:
        if (!sop_audit_report_parse(arg, &m->opts.report))
            return sop_error_set(err, SOP_EXIT_USAGE, NULL, 0,
                                 "--report knows todos, records, heatmap, coaching and summary, "
                                 "not \"%s\"", arg);
        break;
    case OPT_FAIL_ON:
        if (strcmp(arg, "todos") != 0)
            return sop_error_set(err, SOP_EXIT_USAGE, NULL, 0,
                                 "--fail-on knows todos, not \"%s\"", arg);
        m->fail_on_todos = true;
        break;
    default: break;
    }
    return 0;
}

static int load(void *ctx, const sop_cli *cli, sop_error *err)
{
    audit_main *m = ctx;
    return sop_audit_config_load(cli->config, &m->cfg, err);
}

static char *config_json(void *ctx)
{
    audit_main *m = ctx;
    return sop_audit_config_json(&m->cfg);
}

static int model(void *ctx, const sop_cli *cli, sop_stream_model *stream, sop_error *err)
{
    audit_main *m = ctx;
    m->opts.program = PROGRAM;
    m->opts.diag = stderr;
    m->opts.quiet = cli->verbosity < 0;
    int rc = sop_audit_new(&m->audit, &m->cfg, cli, &m->opts, err);
    if (rc == 0)
        sop_audit_model(m->audit, stream);
    return rc;
}

static int findings(void *ctx)
{
    audit_main *m = ctx;
    return m->fail_on_todos && m->audit && sop_audit_todo_count(m->audit) > 0 ? 1 : 0;
}

static void cleanup(void *ctx)
{
    audit_main *m = ctx;
    sop_audit_free(m->audit);
}

int main(int argc, char **argv)
{
    audit_main m = {.opts = {.report = SOP_AUDIT_TODOS}};
    const sop_program prog = {
        .name = PROGRAM,
        .summary = "Check follow-up records; list to-dos, heatmap, coaching, summary.",
        .description =
            "Reads follow-up records (activities: activity_id, lead_id, deal_id, rep_id, at,\n"
            "action, stage, goal, objection, next_step, next_due, next_done, docs,\n"
            "duration_min) in any order and writes one report:\n"
            "  todos     (default, JSON Lines) customers with no follow-up for 30 days\n"
            "            and the promised next step not done; first calls later than 2 h\n"
            "            after assignment or still missing (--leads); promised next steps\n"
            "            overdue; a rep over a stage's deadline on 3 deals in a row\n"
            "  records   every activity with complete and missing (goal and next_step\n"
            "            required; a quote, proposal or contract links its document)\n"
            "  heatmap   rep x stage: minutes per activity, next steps done, count\n"
            "  coaching  reps far slower than their team in need discovery who complete\n"
            "            few solution-matching next steps\n"
            "  summary   per rep: customers, activities per customer, completeness,\n"
            "            overdue promises, first-call breaches\n"
            "Output: records keeps the input's format; todos is JSON Lines; heatmap,\n"
            "coaching and summary are a table on a terminal, else CSV; -f chooses.\n"
            "-c FILE changes the rules (see salesops-formats(5)).",
        .options = options,
        .option_count = sizeof options / sizeof options[0],
        .on_option = on_option,
        .ctx = &m,
    };
    const sop_program_hooks hooks = {load, config_json, model, NULL, cleanup, findings};
    return sop_stream_main(&prog, &hooks, &m, argc, argv);
}
