/* test_cli.c - unit tests of lib/core/cli.c: the common options every
 * program shares, the program's own options through its callback, usage
 * errors (64), --now / --tz, the file operands and sop_parse_size().
 *
 * Every test sets --tz explicitly when it reads a time, so nothing depends
 * on the machine's TZ; expected instants come from timegm(). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "unit.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))


/* ---- a program with options of its own ---------------------------------- */

enum { OPT_EXPLAIN = 1, OPT_LIMIT = 2, OPT_FAIL = 3 };

static const sop_option prog_options[] = {
    {"explain", 0, NULL, "explain", OPT_EXPLAIN},
    {"limit", 'n', "N", "limit", OPT_LIMIT},
    {"fail", 0, NULL, "make the callback fail", OPT_FAIL},
};

typedef struct seen {
    int explain;
    int limit_calls;
    char limit[64];
} seen;

static int on_option(void *ctx, int id, const char *arg, sop_error *err)
{
    seen *s = ctx;
    switch (id) {
    case OPT_EXPLAIN: s->explain++; return 0;
    case OPT_LIMIT:
        s->limit_calls++;
        snprintf(s->limit, sizeof s->limit, "%s", arg ? arg : "(null)");
        return 0;
    case OPT_FAIL: return sop_error_set(err, SOP_EXIT_USAGE, NULL, 0, "--fail given");
    default: return sop_error_set(err, SOP_EXIT_SOFTWARE, NULL, 0, "bad id %d", id);
    }
}

static seen g_seen;

static const sop_program prog = {
    .name = "test-prog",
    .summary = "a test program",
    .description = NULL,
    .options = prog_options,
    .option_count = COUNT(prog_options),
    .on_option = on_option,
    .ctx = &g_seen,
};

static const sop_program bare = {
    .name = "bare",
    .summary = "no options of its own",
};

/* Parses a NULL-terminated argument list (copied, since getopt may permute). */
static int parse_with(const sop_program *p, sop_cli *cli, sop_error *err, char **copy,
                      const char *const *args)
{
    int argc = 0;
    while (args[argc])
        argc++;
    for (int i = 0; i < argc; i++)
        copy[i] = (char *)args[i];
    copy[argc] = NULL;
    memset(&g_seen, 0, sizeof g_seen);
    sop_error_clear(err);
    return sop_cli_parse(p, argc, copy, cli, err);
}

#define PARSE(cli, err, ...)                                                     \
    parse_with(&prog, (cli), (err), argv_store,                                 \
               (const char *const[]){"test-prog", __VA_ARGS__, NULL})
#define PARSE0(cli, err) \
    parse_with(&prog, (cli), (err), argv_store, (const char *const[]){"test-prog", NULL})

static char *argv_store[64];

static void expect_usage(int rc, const sop_error *err)
{
    assert_int_equal(rc, SOP_EXIT_USAGE);
    assert_int_equal(err->status, SOP_EXIT_USAGE);
    assert_true(err->msg[0] != '\0');
}

/* ---- defaults ------------------------------------------------------------ */

static void test_defaults(void **state)
{
    (void)state;
    sop_cli cli;
    sop_error err;
    assert_int_equal(PARSE(&cli, &err, "--tz", "+08:00"), 0);
    assert_null(cli.config);
    assert_false(cli.print_config);
    assert_int_equal(cli.in_format, SOP_FMT_AUTO);
    assert_int_equal(cli.delimiter, 0);
    assert_int_equal(cli.encoding, SOP_ENC_AUTO);
    assert_int_equal(cli.map.count, 0);
    assert_false(cli.no_aliases);
    assert_null(cli.output);
    assert_int_equal(cli.out_format, SOP_FMT_AUTO);
    assert_false(cli.excel);
    assert_false(cli.safe_formulas);
    assert_false(cli.now_set);
    assert_null(cli.rejects);
    assert_false(cli.strict);
    assert_int_equal(cli.progress, -1);
    assert_int_equal(cli.max_field, 0);
    assert_int_equal(cli.verbosity, 0);
    assert_int_equal(cli.file_count, 0);
    sop_cli_free(&cli);
}

/* ---- every common option sets its field --------------------------------- */

static void test_long_options(void **state)
{
    (void)state;
    sop_cli cli;
    sop_error err;
    int rc = PARSE(&cli, &err, "--config", "cfg.json", "--print-config", "--input-format", "tsv",
                   "--delimiter", ";", "--encoding", "gbk", "--map", "a=b,c=d", "--no-aliases",
                   "--output", "out.csv", "--format", "jsonl", "--excel", "--safe-formulas",
                   "--now", "2026-02-03T14:05:00+08:00", "--tz", "+08:00", "--rejects",
                   "rej.jsonl", "--strict", "--progress", "--max-field", "2M", "--verbose",
                   "in1.csv", "in2.csv");
    assert_int_equal(rc, 0);
    assert_string_equal(cli.config, "cfg.json");
    assert_true(cli.print_config);
    assert_int_equal(cli.in_format, SOP_FMT_TSV);
    assert_int_equal(cli.delimiter, ';');
    assert_int_equal(cli.encoding, SOP_ENC_GBK);
    assert_int_equal(cli.map.count, 2);
    assert_string_equal(cli.map.items[0].from, "a");
    assert_string_equal(cli.map.items[0].to, "b");
    assert_string_equal(cli.map.items[1].from, "c");
    assert_string_equal(cli.map.items[1].to, "d");
    assert_true(cli.no_aliases);
    assert_string_equal(cli.output, "out.csv");
    assert_int_equal(cli.out_format, SOP_FMT_JSONL);
    assert_true(cli.excel);
    assert_true(cli.safe_formulas);
    assert_true(cli.now_set);
    assert_int_equal(cli.now, utc(2026, 2, 3, 6, 5, 0));
    assert_int_equal(sop_cli_now(&cli), utc(2026, 2, 3, 6, 5, 0));
    assert_true(cli.tz.fixed);
    assert_int_equal(cli.tz.offset_sec, 8 * 3600);
    assert_string_equal(cli.rejects, "rej.jsonl");
    assert_true(cli.strict);
    assert_int_equal(cli.progress, 1);
    assert_int_equal(cli.max_field, 2u * 1024u * 1024u);
    assert_int_equal(cli.verbosity, 1);
    assert_int_equal(cli.file_count, 2);
    assert_string_equal(cli.files[0], "in1.csv");
    assert_string_equal(cli.files[1], "in2.csv");
    sop_cli_free(&cli);
}

static void test_short_options(void **state)
{
    (void)state;
    sop_cli cli;
    sop_error err;
    int rc = PARSE(&cli, &err, "-c", "cfg.json", "-i", "jsonl", "-d", "|", "-e", "utf-16le", "-m",
                   "客户=company", "-o", "o.tsv", "-f", "md", "-q", "--tz", "+08:00", "--no-progress");
    assert_int_equal(rc, 0);
    assert_string_equal(cli.config, "cfg.json");
    assert_int_equal(cli.in_format, SOP_FMT_JSONL);
    assert_int_equal(cli.delimiter, '|');
    assert_int_equal(cli.encoding, SOP_ENC_UTF16LE);
    assert_int_equal(cli.map.count, 1);
    assert_string_equal(cli.map.items[0].from, "客户");
    assert_string_equal(cli.map.items[0].to, "company");
    assert_string_equal(cli.output, "o.tsv");
    assert_int_equal(cli.out_format, SOP_FMT_MD);
    assert_int_equal(cli.verbosity, -1);
    assert_int_equal(cli.progress, 0);
    assert_int_equal(cli.file_count, 0);
    sop_cli_free(&cli);
}

static void test_attached_arguments(void **state)
{
    (void)state;
    sop_cli cli;
    sop_error err;
    int rc = PARSE(&cli, &err, "-fcsv", "--encoding=gb18030", "-d;", "--tz=+08:00", "x.csv");
    assert_int_equal(rc, 0);
    assert_int_equal(cli.out_format, SOP_FMT_CSV);
    assert_int_equal(cli.encoding, SOP_ENC_GB18030);
    assert_int_equal(cli.delimiter, ';');
    assert_int_equal(cli.file_count, 1);
    assert_string_equal(cli.files[0], "x.csv");
    sop_cli_free(&cli);
}

static void test_delimiter_tab(void **state)
{
    (void)state;
    sop_cli cli;
    sop_error err;
    assert_int_equal(PARSE(&cli, &err, "-d", "\\t", "--tz", "+08:00"), 0);
    assert_int_equal(cli.delimiter, '\t');
    sop_cli_free(&cli);
    assert_int_equal(PARSE(&cli, &err, "-d", "tab", "--tz", "+08:00"), 0);
    assert_int_equal(cli.delimiter, '\t');
    sop_cli_free(&cli);
    assert_int_equal(PARSE(&cli, &err, "-d", "\t", "--tz", "+08:00"), 0);
    assert_int_equal(cli.delimiter, '\t');
    sop_cli_free(&cli);
}

static void test_formats(void **state)
{
    (void)state;
    static const struct { const char *name; enum sop_format fmt; } outs[] = {
        {"csv", SOP_FMT_CSV}, {"tsv", SOP_FMT_TSV}, {"jsonl", SOP_FMT_JSONL},
        {"json", SOP_FMT_JSON}, {"table", SOP_FMT_TABLE}, {"md", SOP_FMT_MD},
    };
    for (size_t i = 0; i < COUNT(outs); i++) {
        sop_cli cli;
        sop_error err;
        assert_int_equal(PARSE(&cli, &err, "-f", outs[i].name, "--tz", "+08:00"), 0);
        assert_int_equal(cli.out_format, outs[i].fmt);
        sop_cli_free(&cli);
    }
    static const struct { const char *name; enum sop_format fmt; } ins[] = {
        {"auto", SOP_FMT_AUTO}, {"csv", SOP_FMT_CSV}, {"tsv", SOP_FMT_TSV},
        {"jsonl", SOP_FMT_JSONL},
    };
    for (size_t i = 0; i < COUNT(ins); i++) {
        sop_cli cli;
        sop_error err;
        assert_int_equal(PARSE(&cli, &err, "-i", ins[i].name, "--tz", "+08:00"), 0);
        assert_int_equal(cli.in_format, ins[i].fmt);
        sop_cli_free(&cli);
    }
}

static void test_encodings(void **state)
{
    (void)state;
    static const struct { const char *name; enum sop_encoding enc; } encs[] = {
        {"auto", SOP_ENC_AUTO}, {"utf-8", SOP_ENC_UTF8}, {"gb18030", SOP_ENC_GB18030},
        {"gbk", SOP_ENC_GBK}, {"utf-16le", SOP_ENC_UTF16LE}, {"utf-16be", SOP_ENC_UTF16BE},
    };
    for (size_t i = 0; i < COUNT(encs); i++) {
        sop_cli cli;
        sop_error err;
        assert_int_equal(PARSE(&cli, &err, "-e", encs[i].name, "--tz", "+08:00"), 0);
        assert_int_equal(cli.encoding, encs[i].enc);
        sop_cli_free(&cli);
    }
}

/* ---- the program's own options ------------------------------------------ */

static void test_program_options(void **state)
{
    (void)state;
    sop_cli cli;
    sop_error err;
    int rc = PARSE(&cli, &err, "--explain", "-n", "5", "--tz", "+08:00", "--limit=7", "f.csv");
    assert_int_equal(rc, 0);
    assert_int_equal(g_seen.explain, 1);
    assert_int_equal(g_seen.limit_calls, 2);
    assert_string_equal(g_seen.limit, "7");
    assert_int_equal(cli.file_count, 1);
    sop_cli_free(&cli);
}

static void test_program_option_fails(void **state)
{
    (void)state;
    sop_cli cli;
    sop_error err;
    int rc = PARSE(&cli, &err, "--fail", "--tz", "+08:00");
    assert_int_equal(rc, SOP_EXIT_USAGE);
    assert_non_null(strstr(err.msg, "--fail given"));
    sop_cli_free(&cli);
}

static void test_bare_program(void **state)
{
    (void)state;
    sop_cli cli;
    sop_error err;
    int rc = parse_with(&bare, &cli, &err, argv_store,
                        (const char *const[]){"bare", "-v", "--tz", "+08:00", "a", NULL});
    assert_int_equal(rc, 0);
    assert_int_equal(cli.verbosity, 1);
    assert_int_equal(cli.file_count, 1);
    sop_cli_free(&cli);
    rc = parse_with(&bare, &cli, &err, argv_store,
                    (const char *const[]){"bare", "--explain", NULL});
    expect_usage(rc, &err);
    sop_cli_free(&cli);
}

/* ---- usage errors -------------------------------------------------------- */

static void test_unknown_options(void **state)
{
    (void)state;
    const char *bad[] = {"--bogus", "-Z", "--no-such-thing=1", "--configx"};
    for (size_t i = 0; i < COUNT(bad); i++) {
        sop_cli cli;
        sop_error err;
        int rc = PARSE(&cli, &err, bad[i], "--tz", "+08:00");
        expect_usage(rc, &err);
        sop_cli_free(&cli);
    }
}

static void test_missing_arguments(void **state)
{
    (void)state;
    const char *bad[] = {"-c", "--config", "-f", "--format", "--now", "--tz", "--max-field",
                         "-o", "-n", "--limit", "--map", "-e"};
    for (size_t i = 0; i < COUNT(bad); i++) {
        sop_cli cli;
        sop_error err;
        int rc = PARSE(&cli, &err, bad[i]);
        if (rc != SOP_EXIT_USAGE)
            fail_msg("\"%s\" without its argument: rc %d, expected 64", bad[i], rc);
        expect_usage(rc, &err);
        sop_cli_free(&cli);
    }
}

static void test_option_without_argument_rejects_one(void **state)
{
    (void)state;
    sop_cli cli;
    sop_error err;
    int rc = PARSE(&cli, &err, "--strict=yes", "--tz", "+08:00");
    expect_usage(rc, &err);
    sop_cli_free(&cli);
}

static void test_bad_values(void **state)
{
    (void)state;
    const char *const cases[][2] = {
        {"-i", "xml"},       {"-i", "json"},     {"-i", "table"},  {"-f", "xml"},
        {"-f", "auto"},      {"-e", "latin-9"},  {"-d", "ab"},     {"-d", ""},
        {"-d", "\""},        {"--max-field", "abc"}, {"--max-field", "0"},
        {"--max-field", "-5"}, {"-m", "nodelimiter"}, {"-m", "=x"}, {"-m", "x="},
    };
    for (size_t i = 0; i < COUNT(cases); i++) {
        sop_cli cli;
        sop_error err;
        int rc = PARSE(&cli, &err, cases[i][0], cases[i][1], "--tz", "+08:00");
        if (rc != SOP_EXIT_USAGE)
            fail_msg("%s \"%s\": rc %d, expected 64", cases[i][0], cases[i][1], rc);
        expect_usage(rc, &err);
        sop_cli_free(&cli);
    }
}

static void test_bad_now(void **state)
{
    (void)state;
    const char *bad[] = {"yesterday", "2026-13-01", "2026-02-30", "", "2026-02-03T25:00",
                         "45326.5" /* serial days are for time columns only */};
    for (size_t i = 0; i < COUNT(bad); i++) {
        sop_cli cli;
        sop_error err;
        int rc = PARSE(&cli, &err, "--tz", "+08:00", "--now", bad[i]);
        if (rc != SOP_EXIT_USAGE)
            fail_msg("--now \"%s\": rc %d, expected 64", bad[i], rc);
        expect_usage(rc, &err);
        sop_cli_free(&cli);
    }
}

static void test_bad_tz(void **state)
{
    (void)state;
    const char *bad[] = {"Mars/Olympus_Mons", "+25:00", "nonsense"};
    for (size_t i = 0; i < COUNT(bad); i++) {
        sop_cli cli;
        sop_error err;
        int rc = PARSE(&cli, &err, "--tz", bad[i]);
        if (rc != SOP_EXIT_USAGE)
            fail_msg("--tz \"%s\": rc %d, expected 64", bad[i], rc);
        expect_usage(rc, &err);
        sop_cli_free(&cli);
    }
}

/* ---- --now and --tz ------------------------------------------------------ */

static void test_now_uses_tz_whatever_the_order(void **state)
{
    (void)state;
    sop_cli cli;
    sop_error err;
    /* --now before --tz: the local time is still read in the given zone */
    assert_int_equal(PARSE(&cli, &err, "--now", "2026-02-03 14:05", "--tz", "+08:00"), 0);
    assert_true(cli.now_set);
    assert_int_equal(cli.now, utc(2026, 2, 3, 6, 5, 0));
    sop_cli_free(&cli);
    assert_int_equal(PARSE(&cli, &err, "--tz", "-05:00", "--now", "2026-02-03 14:05"), 0);
    assert_int_equal(cli.now, utc(2026, 2, 3, 19, 5, 0));
    assert_true(cli.tz.fixed);
    assert_int_equal(cli.tz.offset_sec, -5 * 3600);
    sop_cli_free(&cli);
    /* an explicit offset wins over the zone */
    assert_int_equal(PARSE(&cli, &err, "--tz", "-05:00", "--now", "2026-02-03T14:05:00Z"), 0);
    assert_int_equal(cli.now, utc(2026, 2, 3, 14, 5, 0));
    sop_cli_free(&cli);
    /* other accepted time shapes */
    assert_int_equal(PARSE(&cli, &err, "--tz", "+08:00", "--now", "2026年2月3日 14:05"), 0);
    assert_int_equal(cli.now, utc(2026, 2, 3, 6, 5, 0));
    sop_cli_free(&cli);
    assert_int_equal(PARSE(&cli, &err, "--tz", "UTC", "--now", "2026-02-03"), 0);
    assert_int_equal(cli.now, utc(2026, 2, 3, 0, 0, 0));
    assert_int_equal(cli.tz.offset_sec, 0);
    sop_cli_free(&cli);
}

static void test_now_default_is_clock(void **state)
{
    (void)state;
    sop_cli cli;
    sop_error err;
    assert_int_equal(PARSE(&cli, &err, "--tz", "+08:00"), 0);
    assert_false(cli.now_set);
    int64_t before = (int64_t)time(NULL);
    int64_t now = sop_cli_now(&cli);
    int64_t after = (int64_t)time(NULL);
    assert_true(now >= before && now <= after);
    sop_cli_free(&cli);
}

static void test_tz_named(void **state)
{
    (void)state;
    if (access("/usr/share/zoneinfo/Asia/Shanghai", R_OK) != 0)
        skip();
    sop_cli cli;
    sop_error err;
    assert_int_equal(PARSE(&cli, &err, "--tz", "Asia/Shanghai", "--now", "2026-02-03 14:05"), 0);
    assert_int_equal(cli.now, utc(2026, 2, 3, 6, 5, 0));
    sop_cli_free(&cli);
}

/* ---- operands ------------------------------------------------------------ */

static void test_files_after_options(void **state)
{
    (void)state;
    sop_cli cli;
    sop_error err;
    assert_int_equal(PARSE(&cli, &err, "-f", "csv", "--tz", "+08:00", "a.csv", "-", "b.csv.gz"), 0);
    assert_int_equal(cli.file_count, 3);
    assert_string_equal(cli.files[0], "a.csv");
    assert_string_equal(cli.files[1], "-");
    assert_string_equal(cli.files[2], "b.csv.gz");
    assert_int_equal(cli.out_format, SOP_FMT_CSV);
    sop_cli_free(&cli);
}

static void test_double_dash(void **state)
{
    (void)state;
    sop_cli cli;
    sop_error err;
    assert_int_equal(PARSE(&cli, &err, "--tz", "+08:00", "--", "-odd-name.csv", "--x"), 0);
    assert_int_equal(cli.file_count, 2);
    assert_string_equal(cli.files[0], "-odd-name.csv");
    assert_string_equal(cli.files[1], "--x");
    assert_null(cli.output);
    sop_cli_free(&cli);
}

static void test_no_files(void **state)
{
    (void)state;
    sop_cli cli;
    sop_error err;
    assert_int_equal(PARSE(&cli, &err, "--tz", "+08:00"), 0);
    assert_int_equal(cli.file_count, 0);
    sop_cli_free(&cli);
}

/* ---- --map and --map-file ------------------------------------------------- */

static void test_map_file_option(void **state)
{
    (void)state;
    char path[] = "/tmp/sop_cli_map_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char *text = "# a comment\n\n意向商圈=district\nMobile No = phone\n";
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    sop_cli cli;
    sop_error err;
    int rc = PARSE(&cli, &err, "-m", "a=b", "--map-file", path, "--tz", "+08:00");
    unlink(path);
    assert_int_equal(rc, 0);
    assert_int_equal(cli.map.count, 3);
    assert_string_equal(cli.map.items[1].from, "意向商圈");
    assert_string_equal(cli.map.items[1].to, "district");
    assert_string_equal(cli.map.items[2].from, "Mobile No");
    assert_string_equal(cli.map.items[2].to, "phone");
    sop_cli_free(&cli);
}

/* ---- --help and --version ------------------------------------------------ */

/* Runs a parse with stdout sent to a temp file; returns what was printed. */
static int parse_capturing(char *out, size_t cap, const char *opt)
{
    char path[] = "/tmp/sop_cli_out_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    fflush(stdout);
    int saved = dup(STDOUT_FILENO);
    dup2(fd, STDOUT_FILENO);
    sop_cli cli;
    sop_error err;
    int rc = PARSE(&cli, &err, opt);
    fflush(stdout);
    dup2(saved, STDOUT_FILENO);
    close(saved);
    sop_cli_free(&cli);
    ssize_t n = pread(fd, out, cap - 1, 0);
    close(fd);
    unlink(path);
    out[n > 0 ? n : 0] = '\0';
    return rc;
}

static void test_help_and_version(void **state)
{
    (void)state;
    char out[16384];
    assert_int_equal(parse_capturing(out, sizeof out, "--help"), SOP_CLI_EXIT);
    assert_non_null(strstr(out, "test-prog"));
    assert_non_null(strstr(out, "--explain"));   /* the program's own options */
    assert_non_null(strstr(out, "--max-field")); /* and the common ones */
    assert_non_null(strstr(out, "--limit"));
    assert_int_equal(parse_capturing(out, sizeof out, "-h"), SOP_CLI_EXIT);
    assert_non_null(strstr(out, "Usage"));
    assert_int_equal(parse_capturing(out, sizeof out, "-V"), SOP_CLI_EXIT);
    assert_non_null(strstr(out, "test-prog"));
}

/* ---- parsing twice (getopt state) ---------------------------------------- */

static void test_parse_again_after_usage_failure(void **state)
{
    (void)state;
    sop_cli cli;
    sop_error err;
    /* an error in the middle of a cluster of short options ... */
    int rc = PARSE(&cli, &err, "-Zq", "--tz", "+08:00");
    expect_usage(rc, &err);
    sop_cli_free(&cli);
    /* ... must not leak into the next parse */
    rc = PARSE(&cli, &err, "-v", "--tz", "+08:00", "f.csv");
    assert_int_equal(rc, 0);
    assert_int_equal(cli.verbosity, 1);
    assert_int_equal(cli.file_count, 1);
    assert_string_equal(cli.files[0], "f.csv");
    sop_cli_free(&cli);
}

/* ---- sop_parse_size ------------------------------------------------------- */

static void test_parse_size_accepts(void **state)
{
    (void)state;
    static const struct { const char *s; size_t v; } ok[] = {
        {"1", 1},
        {"1048576", 1048576},
        {"512K", 512u * 1024u},
        {"512k", 512u * 1024u},
        {"2M", 2u * 1024u * 1024u},
        {"2m", 2u * 1024u * 1024u},
        {"1G", 1024u * 1024u * 1024u},
        {"2MiB", 2u * 1024u * 1024u},
        {"64KB", 64u * 1024u},
    };
    for (size_t i = 0; i < COUNT(ok); i++) {
        size_t v = 0;
        if (!sop_parse_size(ok[i].s, &v))
            fail_msg("sop_parse_size(\"%s\") refused", ok[i].s);
        assert_int_equal(v, ok[i].v);
    }
}

static void test_parse_size_rejects(void **state)
{
    (void)state;
    const char *bad[] = {"", "abc", "-1", "0", "12X", "1.5M", "M", "2MX", "2 M",
                         "99999999999999999999999", "18446744073709551615G"};
    for (size_t i = 0; i < COUNT(bad); i++) {
        size_t v = 12345;
        if (sop_parse_size(bad[i], &v))
            fail_msg("sop_parse_size(\"%s\") accepted it as %zu", bad[i], v);
        assert_int_equal(v, 12345); /* untouched */
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_long_options),
        cmocka_unit_test(test_short_options),
        cmocka_unit_test(test_attached_arguments),
        cmocka_unit_test(test_delimiter_tab),
        cmocka_unit_test(test_formats),
        cmocka_unit_test(test_encodings),
        cmocka_unit_test(test_program_options),
        cmocka_unit_test(test_program_option_fails),
        cmocka_unit_test(test_bare_program),
        cmocka_unit_test(test_unknown_options),
        cmocka_unit_test(test_missing_arguments),
        cmocka_unit_test(test_option_without_argument_rejects_one),
        cmocka_unit_test(test_bad_values),
        cmocka_unit_test(test_bad_now),
        cmocka_unit_test(test_bad_tz),
        cmocka_unit_test(test_now_uses_tz_whatever_the_order),
        cmocka_unit_test(test_now_default_is_clock),
        cmocka_unit_test(test_tz_named),
        cmocka_unit_test(test_files_after_options),
        cmocka_unit_test(test_double_dash),
        cmocka_unit_test(test_no_files),
        cmocka_unit_test(test_map_file_option),
        cmocka_unit_test(test_help_and_version),
        cmocka_unit_test(test_parse_again_after_usage_failure),
        cmocka_unit_test(test_parse_size_accepts),
        cmocka_unit_test(test_parse_size_rejects),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
