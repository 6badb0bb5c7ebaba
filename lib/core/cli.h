/* cli.h - the options every program shares, parsed in one place from one
 * table that also prints --help.  A program adds its own options to the
 * same table shape and gets them back through a callback. */
#ifndef SOP_CLI_H
#define SOP_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "input.h"
#include "reader.h"
#include "values.h"

typedef struct sop_option {
    const char *long_name;
    char short_name;       /* 0: none */
    const char *arg_name;  /* NULL: takes no argument */
    const char *help;
    int id;                /* passed to the program's callback; > 0 */
} sop_option;

typedef struct sop_cli {
    const char *config;
    bool print_config;
    enum sop_format in_format;
    char delimiter;
    enum sop_encoding encoding;
    sop_colmap map;
    bool no_aliases;
    const char *output;
    enum sop_format out_format; /* AUTO: the input's format */
    bool excel;
    bool safe_formulas;
    bool now_set;
    int64_t now;                /* reference time, epoch seconds */
    sop_tz tz;
    const char *rejects;
    bool strict;
    int progress;               /* -1 auto, 0 off, 1 on */
    size_t max_field;
    int verbosity;              /* -1 quiet, 0 normal, 1 verbose */
    char **files;
    size_t file_count;
} sop_cli;

typedef struct sop_program {
    const char *name;
    const char *summary;      /* one line */
    const char *description;  /* paragraph(s) after the usage line */
    const sop_option *options;/* the program's own options */
    size_t option_count;
    /* Called for each of the program's options; returns 0 or an exit
     * status with err set. */
    int (*on_option)(void *ctx, int id, const char *arg, sop_error *err);
    void *ctx;
} sop_program;

enum { SOP_CLI_EXIT = -1 }; /* --help or --version was printed: exit 0 */

/* Parses argv.  Returns 0, SOP_CLI_EXIT, or 64 with err set. */
int sop_cli_parse(const sop_program *prog, int argc, char **argv, sop_cli *cli,
                  sop_error *err);
void sop_cli_help(const sop_program *prog, FILE *out);
void sop_cli_free(sop_cli *cli);

/* The reference time: --now, else the clock. */
int64_t sop_cli_now(const sop_cli *cli);

/* Parses a size such as 1048576, 512K, 2M. */
bool sop_parse_size(const char *s, size_t *out);

#endif
