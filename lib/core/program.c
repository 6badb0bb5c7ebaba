#include "program.h"

#include <stdio.h>
#include <stdlib.h>

#include "jsonalloc.h"
#include "writer.h"

static int print_config(const sop_program_hooks *hooks, void *ctx, sop_error *err)
{
    char *json = hooks->config_json(ctx);
    if (json == NULL)
        return sop_error_set(err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
    printf("%s\n", json);
    free(json);
    return sop_stdout_finish(err);
}

int sop_stream_main(const sop_program *prog, const sop_program_hooks *hooks, void *ctx,
                    int argc, char **argv)
{
    sop_json_alloc_install();
    sop_error err;
    sop_error_clear(&err);
    sop_cli cli;
    int rc = sop_cli_parse(prog, argc, argv, &cli, &err);
    if (rc == SOP_CLI_EXIT) /* --help, --version: their output must arrive */
        rc = sop_stdout_finish(&err);
    else if (rc == 0 && (rc = hooks->load(ctx, &cli, &err)) == 0) {
        if (cli.print_config) {
            rc = print_config(hooks, ctx, &err);
        } else if (hooks->alone && (rc = hooks->alone(ctx, &cli, &err)) != SOP_PROGRAM_STREAM) {
            /* done without reading records */
        } else {
            sop_stream_model model = {0};
            rc = hooks->model(ctx, &cli, &model, &err);
            if (rc == 0)
                rc = sop_stream_run(prog->name, &cli, &model, stderr, NULL, &err);
        }
    }
    if (rc == 0 && hooks->findings)
        rc = hooks->findings(ctx);
    /* a --strict stop or rejected records were reported record by record */
    if (rc != 0 && err.status != 0)
        sop_error_print(stderr, prog->name, &err);
    hooks->cleanup(ctx);
    sop_cli_free(&cli);
    return rc;
}
