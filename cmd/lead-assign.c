/* lead-assign: gives every scored lead an owner by explicit rules and keeps
 * the state between runs (options -> library calls). */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "assign.h"
#include "program.h"
#include "report.h"

#define PROGRAM "lead-assign"

enum { OPT_REPS = 1, OPT_HISTORY, OPT_STATE, OPT_DRY_RUN, OPT_SEED, OPT_REPORT, OPT_WINDOW };

static const sop_option options[] = {
    {"reps", 0, "FILE", "the reps: rep_id, status, weight, capacity, hired_at, regions, ...",
     OPT_REPS},
    {"history", 0, "FILE", "closed deals (rep_id, closed_at, outcome): recent close rates for "
     "the hot pool", OPT_HISTORY},
    {"state", 0, "FILE", "keep the rotation, counts and account owners here between runs "
     "(locked, replaced atomically)", OPT_STATE},
    {"dry-run", 0, NULL, "assign, but leave the state as it was", OPT_DRY_RUN},
    {"seed", 0, "N", "break ties by a draw seeded with N (default: the reps file's order)",
     OPT_SEED},
    {"report", 0, "fairness", "report from --state instead of assigning: who got how much",
     OPT_REPORT},
    {"window", 0, "DAYS", "--report: the days reported, e.g. 30 or 30d (default: 30)",
     OPT_WINDOW},
};

typedef struct lead_assign_main {
    const char *reps_path, *history_path, *state_path;
    bool dry_run, seeded, report;
    uint64_t seed;
    double window;
    sop_assign_config cfg;
    sop_reps reps;
    bool reps_loaded;
    sop_assign_state state;
    int lock_fd;
    unsigned long history_bad;
    sop_assign *assign;
} lead_assign_main;

static int on_option(void *ctx, int id, const char *arg, sop_error *err)
{
    lead_assign_main *m = ctx;
    char *end;
    switch (id) {
    case OPT_REPS: m->reps_path = arg; break;
    case OPT_HISTORY: m->history_path = arg; break;
    case OPT_STATE: m->state_path = arg; break;
    case OPT_DRY_RUN: m->dry_run = true; break;
    case OPT_SEED:
        errno = 0;
        m->seed = strtoull(arg, &end, 10);
        if (end == arg || *end != '\0' || errno != 0 || arg[0] == '-')
            return sop_error_set(err, SOP_EXIT_USAGE, NULL, 0,
                                 "--seed wants a whole number, not \"%s\"", arg);
        m->seeded = true;
        break;
    case OPT_REPORT:
        if (strcmp(arg, "fairness") != 0)
            return sop_error_set(err, SOP_EXIT_USAGE, NULL, 0,
                                 "--report knows fairness, not \"%s\"", arg);
        m->report = true;
        break;
    case OPT_WINDOW:
        errno = 0;
        m->window = strtod(arg, &end);
        if (end != arg && (*end == 'd' || *end == 'D'))
            end++;
        if (end == arg || *end != '\0' || errno != 0 || !(m->window >= 1 && m->window <= 3660))
            return sop_error_set(err, SOP_EXIT_USAGE, NULL, 0,
                                 "--window wants days from 1 to 3660 (30 or 30d), not \"%s\"",
                                 arg);
        break;
    default: break;
    }
    return 0;
}

static int load(void *ctx, const sop_cli *cli, sop_error *err)
{
    lead_assign_main *m = ctx;
    int rc = sop_assign_config_load(cli->config, &m->cfg, err);
    if (rc != 0 || cli->print_config)
        return rc;
    if (m->report) {
        if (m->state_path == NULL)
            return sop_error_set(err, SOP_EXIT_USAGE, NULL, 0,
                                 "--report fairness reads --state FILE");
        if (cli->file_count > 0)
            return sop_error_set(err, SOP_EXIT_USAGE, NULL, 0,
                                 "--report reads the state, not leads (%s)", cli->files[0]);
    } else if (m->reps_path == NULL) {
        return sop_error_set(err, SOP_EXIT_USAGE, NULL, 0,
                             "--reps FILE is required: who can take leads");
    } else if (m->window > 0) {
        return sop_error_set(err, SOP_EXIT_USAGE, NULL, 0, "--window goes with --report");
    }
    if (m->reps_path) {
        if ((rc = sop_reps_load(&m->reps, m->reps_path, &m->cfg, cli, err)) != 0)
            return rc;
        m->reps_loaded = true;
    }
    if (m->history_path && !m->report &&
        (rc = sop_reps_history(&m->reps, m->history_path, &m->cfg, cli, sop_cli_now(cli),
                               PROGRAM, stderr, &m->history_bad, err)) != 0)
        return rc;
    if (m->state_path == NULL)
        return 0;
    /* a run that writes the state holds the lock from reading it to
     * replacing it; readers need none (the file is only ever replaced whole) */
    if (!m->report && !m->dry_run &&
        (rc = sop_assign_lock(m->state_path, &m->lock_fd, PROGRAM, stderr, cli->verbosity < 0,
                              err)) != 0)
        return rc;
    bool existed;
    if ((rc = sop_assign_state_read(&m->state, m->state_path, &existed, err)) != 0)
        return rc;
    if (!existed && m->report)
        return sop_error_set(err, SOP_EXIT_NOINPUT, m->state_path, 0,
                             "no such state file (lead-assign --state writes it)");
    return 0;
}

static char *config_json(void *ctx)
{
    lead_assign_main *m = ctx;
    return sop_assign_config_json(&m->cfg);
}

static int alone(void *ctx, const sop_cli *cli, sop_error *err)
{
    lead_assign_main *m = ctx;
    if (!m->report)
        return SOP_PROGRAM_STREAM;
    json_t *report = sop_assign_fairness(&m->state, m->reps_loaded ? &m->reps : NULL, &m->cfg,
                                         m->window > 0 ? m->window : m->cfg.fairness_days,
                                         sop_cli_now(cli), &cli->tz);
    if (report == NULL)
        return sop_error_set(err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
    int rc = sop_report_emit(report, cli, err);
    json_decref(report);
    return rc;
}

static int model(void *ctx, const sop_cli *cli, sop_stream_model *stream, sop_error *err)
{
    lead_assign_main *m = ctx;
    sop_assign_opts opts = {
        .program = PROGRAM,
        .diag = stderr,
        .quiet = cli->verbosity < 0,
        .seeded = m->seeded,
        .seed = m->seed,
        .has_history = m->history_path != NULL,
        .bad_history = m->history_bad,
        .state_path = m->state_path,
        .dry_run = m->dry_run,
    };
    int rc = sop_assign_new(&m->assign, &m->cfg, &m->reps, &m->state, cli, &opts, err);
    if (rc == 0)
        sop_assign_model(m->assign, stream);
    return rc;
}

static void cleanup(void *ctx)
{
    lead_assign_main *m = ctx;
    sop_assign_free(m->assign);
    sop_assign_state_free(&m->state);
    if (m->reps_loaded)
        sop_reps_free(&m->reps);
    sop_assign_unlock(m->lock_fd);
}

int main(int argc, char **argv)
{
    lead_assign_main m = {.lock_fd = -1};
    sop_assign_state_init(&m.state);
    const sop_program prog = {
        .name = PROGRAM,
        .summary = "Give every scored lead an owner by explicit, fair rules.",
        .description =
            "Reads scored leads (lead-score's output) and writes them back with owner,\n"
            "assigned_at, track and assign_reason. A lead whose company, phone or e-mail\n"
            "belongs to an online rep goes to that rep (existing_owner). A hot lead\n"
            "(score >= 85) goes to the online rep with the lowest hot load among those\n"
            "who closed more than 65% of at least 3 deals in the last 7 days (hot_pool;\n"
            "--history), with a share kept for reps hired in the last 180 days\n"
            "(new_hire); with nobody eligible it waits (pool_open). Other leads go by\n"
            "smooth weighted round robin over the online reps with capacity left today,\n"
            "evening out the score each rep gets (round_robin; with the config's\n"
            "region.match, only reps covering the lead's city). Nobody able: unassigned,\n"
            "with the reason. No lead is ever dropped.\n"
            "--state FILE keeps the rotation, the day's counts and the account owners\n"
            "between runs; --report fairness --state FILE shows how fair the split was.",
        .options = options,
        .option_count = sizeof options / sizeof options[0],
        .on_option = on_option,
        .ctx = &m,
    };
    const sop_program_hooks hooks = {load, config_json, model, alone, cleanup, NULL};
    return sop_stream_main(&prog, &hooks, &m, argc, argv);
}
