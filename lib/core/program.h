/* program.h - the main() every record-stream program shares: parse the
 * options, load the model's config, --print-config, run the stream, report
 * the one error.  A program supplies its option table and these hooks, so
 * cmd/PROGRAM.c is only options and wiring. */
#ifndef SOP_PROGRAM_H
#define SOP_PROGRAM_H

#include "cli.h"
#include "error.h"
#include "stream.h"

enum { SOP_PROGRAM_STREAM = -1 };

typedef struct sop_program_hooks {
    /* Loads the model's config: cli->config, or the built-in one. */
    int (*load)(void *ctx, const sop_cli *cli, sop_error *err);
    /* The effective config as JSON text (malloc'd; NULL: out of memory),
     * for --print-config. */
    char *(*config_json)(void *ctx);
    /* Sets up the stream model (after load). */
    int (*model)(void *ctx, const sop_cli *cli, sop_stream_model *model, sop_error *err);
    /* A run that reads no records (a report from saved state), or NULL:
     * returns the exit status, or SOP_PROGRAM_STREAM to run the stream. */
    int (*alone)(void *ctx, const sop_cli *cli, sop_error *err);
    /* Frees what load and model made (called whatever happened). */
    void (*cleanup)(void *ctx);
    /* After a run that ended 0, or NULL: the exit status to end with (1
     * for --fail-on findings). */
    int (*findings)(void *ctx);
} sop_program_hooks;

/* Runs the program; returns its exit status.  `ctx` is passed to the hooks
 * and is also prog->ctx for the program's own options. */
int sop_stream_main(const sop_program *prog, const sop_program_hooks *hooks, void *ctx,
                    int argc, char **argv);

#endif
