/* dedupe-clean: the same customer across messy records, found, merged and
 * explained (options -> library calls). */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "dedupe.h"
#include "program.h"

#define PROGRAM "dedupe-clean"

enum { OPT_MODE = 1, OPT_MASTER, OPT_LOG, OPT_REVIEW, OPT_TRUTH, OPT_NORMALIZE, OPT_KEEP_RAW,
       OPT_EXPLAIN, OPT_ESTIMATE };

static const sop_option options[] = {
    {"mode", 0, "MODE", "tagged (default): every record with cluster_id, cluster_size, "
     "is_primary, match_score; golden: one record per cluster by survivorship; pairs: the "
     "matched pairs and their scores", OPT_MODE},
    {"master", 0, "FILE", "match new records against this master (with customer_id): each gets "
     "the id of its customer there or a new one; the master is not re-clustered", OPT_MASTER},
    {"log", 0, "FILE", "lineage as JSON Lines: each cluster's member lines and the line every "
     "golden field came from", OPT_LOG},
    {"review", 0, "FILE", "pairs scored between thresholds.review and thresholds.match, as CSV, "
     "for a person to decide", OPT_REVIEW},
    {"truth", 0, "COLUMN", "compare the clusters with a known entity column: pairwise "
     "precision, recall and F1 on stderr, beside the naive exact-key union", OPT_TRUTH},
    {"normalize", 0, "COLS", "write the cleaned values of these fields back (company, phone, "
     "email, ...); alone, cleans without merging", OPT_NORMALIZE},
    {"keep-raw", 0, NULL, "with --normalize: the original value in COLUMN_raw", OPT_KEEP_RAW},
    {"explain", 0, NULL, "pairs and review: each field's normalised values, level and weight",
     OPT_EXPLAIN},
    {"estimate", 0, NULL, "fit the fields' m and u and the prior by EM on the input's "
     "candidate pairs; print the config (use it with -c)", OPT_ESTIMATE},
};

typedef struct dedupe_main {
    sop_dedupe_config cfg;
    sop_dedupe_opts opts;
    sop_dedupe *dedupe;
} dedupe_main;

static int on_option(void *ctx, int id, const char *arg, sop_error *err)
{
    dedupe_main *m = ctx;
    switch (id) {
    case OPT_MODE:
        if (strcmp(arg, "tagged") == 0)
            m->opts.mode = SOP_DEDUPE_TAGGED;
        else if (strcmp(arg, "golden") == 0)
            m->opts.mode = SOP_DEDUPE_GOLDEN;
        else if (strcmp(arg, "pairs") == 0)
            m->opts.mode = SOP_DEDUPE_PAIRS;
        else
            return sop_error_set(err, SOP_EXIT_USAGE, NULL, 0, "--mode knows tagged, golden "
                                 "and pairs, not \"%s\"", arg);
        m->opts.mode_set = true;
        break;
    case OPT_MASTER: m->opts.master = arg; break;
    case OPT_LOG: m->opts.log = arg; break;
    case OPT_REVIEW: m->opts.review = arg; break;
    case OPT_TRUTH:
        if (!*arg)
            return sop_error_set(err, SOP_EXIT_USAGE, NULL, 0, "--truth wants a column name");
        m->opts.truth = arg;
        break;
    case OPT_NORMALIZE:
        if (!*arg)
            return sop_error_set(err, SOP_EXIT_USAGE, NULL, 0, "--normalize wants columns, "
                                 "e.g. company,phone,email");
        m->opts.normalize = arg;
        break;
    case OPT_KEEP_RAW: m->opts.keep_raw = true; break;
    case OPT_EXPLAIN: m->opts.explain = true; break;
    case OPT_ESTIMATE: m->opts.estimate = true; break;
    default: break;
    }
    return 0;
}

static int load(void *ctx, const sop_cli *cli, sop_error *err)
{
    dedupe_main *m = ctx;
    return sop_dedupe_config_load(cli->config, &m->cfg, err);
}

static char *config_json(void *ctx)
{
    dedupe_main *m = ctx;
    return sop_dedupe_config_json(&m->cfg);
}

static int model(void *ctx, const sop_cli *cli, sop_stream_model *stream, sop_error *err)
{
    dedupe_main *m = ctx;
    if (m->opts.keep_raw && !m->opts.normalize)
        return sop_error_set(err, SOP_EXIT_USAGE, NULL, 0, "--keep-raw goes with --normalize");
    if (m->opts.normalize && !m->opts.mode_set && !m->opts.master && !m->opts.estimate)
        m->opts.mode = SOP_DEDUPE_CLEAN;
    if (m->opts.mode == SOP_DEDUPE_CLEAN && (m->opts.log || m->opts.review || m->opts.truth))
        return sop_error_set(err, SOP_EXIT_USAGE, NULL, 0, "--normalize alone cleans without "
                             "merging: add --mode tagged for --log, --review or --truth");
    m->opts.program = PROGRAM;
    m->opts.diag = stderr;
    m->opts.quiet = cli->verbosity < 0;
    int rc = sop_dedupe_new(&m->dedupe, &m->cfg, cli, &m->opts, err);
    if (rc == 0)
        sop_dedupe_model(m->dedupe, stream);
    return rc;
}

static void cleanup(void *ctx)
{
    dedupe_main *m = ctx;
    sop_dedupe_free(m->dedupe);
}

int main(int argc, char **argv)
{
    dedupe_main m = {.opts = {.mode = SOP_DEDUPE_TAGGED}};
    const sop_program prog = {
        .name = PROGRAM,
        .summary = "Find the same customer across messy records, merge, and keep lineage.",
        .description =
            "Reads customer records (company, contact_name, phone, email, address, city by\n"
            "default; -c sets the fields and their types).  Values are normalised (NFKC,\n"
            "traditional to simplified, legal forms and a leading or bracketed city off the\n"
            "company, +86 and extensions off phones, placeholders ignored); records sharing\n"
            "a phone, e-mail, company or address key, or a company key but one character,\n"
            "are compared field by field on code points (Jaro-Winkler, bigram Jaccard) and\n"
            "scored Fellegi-Sunter style into a match probability; a blank field is unknown,\n"
            "never agreement.  Pairs at thresholds.match (0.9) or above are merged, by\n"
            "union-find, and a cluster whose members are a branch and another office (or\n"
            "differ on a strong field, or grow past cluster.max_size) is split at its\n"
            "weakest links.  Every input record is in exactly one cluster.\n"
            "Blocks bigger than blocking.max_block (100: a shared placeholder) are skipped\n"
            "with a warning naming the value.",
        .options = options,
        .option_count = sizeof options / sizeof options[0],
        .on_option = on_option,
        .ctx = &m,
    };
    const sop_program_hooks hooks = {load, config_json, model, NULL, cleanup, NULL};
    return sop_stream_main(&prog, &hooks, &m, argc, argv);
}
