#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifndef SOP_VERSION
#define SOP_VERSION "0.1.0"
#endif

enum {
    OPT_CONFIG = -100,
    OPT_PRINT_CONFIG,
    OPT_INPUT_FORMAT,
    OPT_DELIMITER,
    OPT_ENCODING,
    OPT_MAP,
    OPT_MAP_FILE,
    OPT_NO_ALIASES,
    OPT_OUTPUT,
    OPT_FORMAT,
    OPT_EXCEL,
    OPT_SAFE_FORMULAS,
    OPT_NOW,
    OPT_TZ,
    OPT_REJECTS,
    OPT_STRICT,
    OPT_PROGRESS,
    OPT_NO_PROGRESS,
    OPT_MAX_FIELD,
    OPT_QUIET,
    OPT_VERBOSE,
    OPT_HELP,
    OPT_VERSION
};

static const sop_option common_options[] = {
    {"config", 'c', "FILE", "JSON config for the model (default: the built-in one)", OPT_CONFIG},
    {"print-config", 0, NULL, "print the effective config as JSON and exit", OPT_PRINT_CONFIG},
    {"input-format", 'i', "FMT", "auto, csv, tsv or jsonl (default: auto)", OPT_INPUT_FORMAT},
    {"delimiter", 'd', "C", "CSV field delimiter (default: ,)", OPT_DELIMITER},
    {"encoding", 'e', "ENC",
     "auto, utf-8, gb18030, gbk, utf-16le or utf-16be (default: auto)", OPT_ENCODING},
    {"map", 'm', "SRC=DST,...", "rename input columns", OPT_MAP},
    {"map-file", 0, "FILE", "rename input columns, one SRC=DST a line", OPT_MAP_FILE},
    {"no-aliases", 0, NULL, "do not apply the built-in header alias table", OPT_NO_ALIASES},
    {"output", 'o', "FILE", "write there atomically (default: stdout)", OPT_OUTPUT},
    {"format", 'f', "FMT",
     "csv, tsv, jsonl, json, table or md (default: the input's format)", OPT_FORMAT},
    {"excel", 0, NULL, "output for Excel: BOM, CRLF and formula escaping", OPT_EXCEL},
    {"safe-formulas", 0, NULL, "escape cells starting with = + - @ TAB CR", OPT_SAFE_FORMULAS},
    {"now", 0, "TIME", "reference time for age and overdue rules (default: the clock)", OPT_NOW},
    {"tz", 0, "ZONE", "zone for times without offset (default: TZ, else Asia/Shanghai)", OPT_TZ},
    {"rejects", 0, "FILE", "write rejected records there as JSON Lines", OPT_REJECTS},
    {"strict", 0, NULL, "stop at the first bad record", OPT_STRICT},
    {"progress", 0, NULL, "show progress on stderr", OPT_PROGRESS},
    {"no-progress", 0, NULL, "never show progress", OPT_NO_PROGRESS},
    {"max-field", 0, "BYTES", "longest field accepted (default: 1M)", OPT_MAX_FIELD},
    {"quiet", 'q', NULL, "print errors only", OPT_QUIET},
    {"verbose", 'v', NULL, "print record counts at the end", OPT_VERBOSE},
    {"help", 'h', NULL, "show this help and exit", OPT_HELP},
    {"version", 'V', NULL, "show the version and exit", OPT_VERSION},
};

#define COMMON_COUNT (sizeof common_options / sizeof common_options[0])

bool sop_parse_size(const char *s, size_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (end == s || errno != 0 || s[0] == '-')
        return false;
    unsigned long long mult = 1;
    if (*end == 'k' || *end == 'K')
        mult = 1024ull;
    else if (*end == 'm' || *end == 'M')
        mult = 1024ull * 1024ull;
    else if (*end == 'g' || *end == 'G')
        mult = 1024ull * 1024ull * 1024ull;
    else if (*end != '\0')
        return false;
    if (mult != 1 && end[1] != '\0' && strcmp(end + 1, "iB") != 0 && strcmp(end + 1, "B") != 0)
        return false;
    if (v == 0 || v > (unsigned long long)SIZE_MAX / mult / 8)
        return false;
    *out = (size_t)(v * mult);
    return true;
}

static void print_option(FILE *out, const sop_option *o)
{
    char left[64];
    if (o->short_name)
        snprintf(left, sizeof left, "-%c, --%s%s%s", o->short_name, o->long_name,
                 o->arg_name ? " " : "", o->arg_name ? o->arg_name : "");
    else
        snprintf(left, sizeof left, "    --%s%s%s", o->long_name, o->arg_name ? " " : "",
                 o->arg_name ? o->arg_name : "");
    if (strlen(left) > 26)
        fprintf(out, "  %s\n  %-26s  %s\n", left, "", o->help);
    else
        fprintf(out, "  %-26s  %s\n", left, o->help);
}

void sop_cli_help(const sop_program *prog, FILE *out)
{
    fprintf(out, "Usage: %s [OPTIONS] [FILE...]\n%s\n\n", prog->name, prog->summary);
    if (prog->description)
        fprintf(out, "%s\n\n", prog->description);
    if (prog->option_count > 0) {
        fprintf(out, "Options of %s:\n", prog->name);
        for (size_t i = 0; i < prog->option_count; i++)
            print_option(out, &prog->options[i]);
        fputc('\n', out);
    }
    fprintf(out, "Common options:\n");
    for (size_t i = 0; i < COMMON_COUNT; i++)
        print_option(out, &common_options[i]);
    fprintf(out,
            "\nFILE may be -, or absent, for stdin; gzip input is detected.\n"
            "Exit status: 0 ok, 64 usage, 65 bad input records, 66 cannot open input,\n"
            "70 internal error, 73 cannot create output, 74 I/O error, 78 bad config.\n"
            "See %s(1), salesops(7) and salesops-formats(5).\n",
            prog->name);
}

static int usage_error(const sop_program *prog, sop_error *err, const char *fmt, const char *arg)
    __attribute__((format(printf, 3, 0)));

/* fmt holds one %s, for arg */
static int usage_error(const sop_program *prog, sop_error *err, const char *fmt, const char *arg)
{
    char msg[512];
    size_t cut = strcspn(fmt, "%");
    snprintf(msg, sizeof msg, "%.*s%s%s", (int)cut, fmt, arg, fmt[cut] ? fmt + cut + 2 : "");
    return sop_error_set(err, SOP_EXIT_USAGE, NULL, 0, "%s (try '%s --help')", msg, prog->name);
}

static int common_option(const sop_program *prog, sop_cli *cli, int id, const char *arg,
                         const char **now_text, const char **tz_text, sop_error *err)
{
    switch (id) {
    case OPT_CONFIG: cli->config = arg; break;
    case OPT_PRINT_CONFIG: cli->print_config = true; break;
    case OPT_INPUT_FORMAT:
        if (!sop_format_parse(arg, &cli->in_format) || cli->in_format > SOP_FMT_JSONL)
            return usage_error(prog, err, "unknown input format \"%s\"", arg);
        break;
    case OPT_DELIMITER:
        if (strcmp(arg, "\\t") == 0 || strcmp(arg, "tab") == 0)
            cli->delimiter = '\t';
        else if (strlen(arg) == 1 && arg[0] != '"' && arg[0] != '\n' && arg[0] != '\r')
            cli->delimiter = arg[0];
        else
            return usage_error(prog, err, "the delimiter must be one character, not \"%s\"", arg);
        break;
    case OPT_ENCODING:
        if (!sop_encoding_parse(arg, &cli->encoding))
            return usage_error(prog, err, "unknown encoding \"%s\"", arg);
        break;
    case OPT_MAP: return sop_colmap_parse(&cli->map, arg, err);
    case OPT_MAP_FILE: return sop_colmap_load(&cli->map, arg, err);
    case OPT_NO_ALIASES: cli->no_aliases = true; break;
    case OPT_OUTPUT: cli->output = arg; break;
    case OPT_FORMAT:
        if (!sop_format_parse(arg, &cli->out_format) || cli->out_format == SOP_FMT_AUTO)
            return usage_error(prog, err, "unknown output format \"%s\"", arg);
        break;
    case OPT_EXCEL: cli->excel = true; break;
    case OPT_SAFE_FORMULAS: cli->safe_formulas = true; break;
    case OPT_NOW: *now_text = arg; break;
    case OPT_TZ: *tz_text = arg; break;
    case OPT_REJECTS: cli->rejects = arg; break;
    case OPT_STRICT: cli->strict = true; break;
    case OPT_PROGRESS: cli->progress = 1; break;
    case OPT_NO_PROGRESS: cli->progress = 0; break;
    case OPT_MAX_FIELD:
        if (!sop_parse_size(arg, &cli->max_field))
            return usage_error(prog, err, "bad size \"%s\" for --max-field", arg);
        break;
    case OPT_QUIET: cli->verbosity = -1; break;
    case OPT_VERBOSE: cli->verbosity = 1; break;
    case OPT_HELP: sop_cli_help(prog, stdout); return SOP_CLI_EXIT;
    case OPT_VERSION: printf("%s (salesops) %s\n", prog->name, SOP_VERSION); return SOP_CLI_EXIT;
    default: return sop_error_set(err, SOP_EXIT_SOFTWARE, NULL, 0, "unhandled option %d", id);
    }
    return 0;
}

/* One getopt table from both option lists; returns the option's table
 * entry through `val` = index into the combined list. */
int sop_cli_parse(const sop_program *prog, int argc, char **argv, sop_cli *cli, sop_error *err)
{
    memset(cli, 0, sizeof *cli);
    cli->progress = -1;
    sop_colmap_init(&cli->map);
    size_t total = COMMON_COUNT + prog->option_count;
    struct option *longs = calloc(total + 1, sizeof *longs);
    const sop_option **all = calloc(total, sizeof *all);
    char shorts[128] = ""; /* GNU order: options may follow file names */
    size_t ns = 0;
    int rc = 0;
    const char *now_text = NULL, *tz_text = NULL;

    if (longs == NULL || all == NULL) {
        free(longs);
        free(all);
        return sop_error_set(err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
    }
    for (size_t i = 0; i < total; i++) {
        all[i] = i < prog->option_count ? &prog->options[i] : &common_options[i - prog->option_count];
        longs[i].name = all[i]->long_name;
        longs[i].has_arg = all[i]->arg_name ? required_argument : no_argument;
        longs[i].flag = NULL;
        longs[i].val = 256 + (int)i;
        if (all[i]->short_name && ns + 3 < sizeof shorts) {
            shorts[ns++] = all[i]->short_name;
            if (all[i]->arg_name)
                shorts[ns++] = ':';
        }
    }
    shorts[ns] = '\0';
    opterr = 0;
    optind = 0; /* 0, not 1: also resets getopt's place inside a bundle like -Zq */
    for (;;) {
        int li = -1;
        int c = getopt_long(argc, argv, shorts, longs, &li);
        if (c == -1)
            break;
        size_t idx = total;
        if (c >= 256) {
            idx = (size_t)(c - 256);
        } else if (c != '?' && c != ':') {
            for (size_t i = 0; i < total; i++)
                if (all[i]->short_name == c)
                    idx = i;
        }
        if (idx == total) {
            const char *bad = argv[optind - 1];
            if (optopt > 0 && optopt < 256 && strchr(shorts, optopt) != NULL)
                rc = usage_error(prog, err, "option \"%s\" needs an argument", bad);
            else if (strncmp(bad, "--", 2) == 0 && li < 0 && optopt == 0)
                rc = usage_error(prog, err, "unknown option, or missing argument, \"%s\"", bad);
            else
                rc = usage_error(prog, err, "unknown option \"%s\"", bad);
            break;
        }
        if (idx < prog->option_count)
            rc = prog->on_option(prog->ctx, all[idx]->id, optarg, err);
        else
            rc = common_option(prog, cli, all[idx]->id, optarg, &now_text, &tz_text, err);
        if (rc != 0)
            break;
    }
    free(longs);
    free(all);
    if (rc != 0)
        return rc;
    if (!sop_tz_init(&cli->tz, tz_text))
        return usage_error(prog, err, "unknown time zone \"%s\"", tz_text ? tz_text : "");
    if (now_text != NULL) {
        if (!sop_parse_time(now_text, strlen(now_text), &cli->tz, false, &cli->now))
            return usage_error(prog, err, "cannot read --now \"%s\" as a time", now_text);
        cli->now_set = true;
    }
    cli->files = argv + optind;
    cli->file_count = (size_t)(argc - optind);
    return 0;
}

void sop_cli_free(sop_cli *cli)
{
    sop_colmap_free(&cli->map);
}

int64_t sop_cli_now(const sop_cli *cli)
{
    return cli->now_set ? cli->now : (int64_t)time(NULL);
}
