#include "stream.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "reader.h"
#include "writer.h"

#define SHOW_BAD 20u

typedef struct diag_ctx {
    const char *program;
    FILE *out;
    bool quiet;
} diag_ctx;

static void print_note(void *ctx, const char *file, const char *message)
{
    diag_ctx *d = ctx;
    if (!d->quiet)
        fprintf(d->out, "%s: %s: %s\n", d->program, file, message);
}

static double seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

typedef struct progress {
    bool on;
    double started, last;
} progress;

static void progress_show(progress *p, const diag_ctx *d, const sop_reader *r,
                          unsigned long long rows, bool final)
{
    double now = seconds();
    if (!final && now - p->last < 0.5)
        return;
    p->last = now;
    double rate = now > p->started ? (double)rows / (now - p->started) : 0.0;
    uint64_t total;
    uint64_t done = sop_reader_progress(r, &total);
    if (total > 0)
        fprintf(d->out, "\r%s: %llu rows, %.0f rows/s, %.0f%%", d->program, rows, rate,
                100.0 * (double)done / (double)total);
    else
        fprintf(d->out, "\r%s: %llu rows, %.0f rows/s", d->program, rows, rate);
    if (final)
        fputc('\n', d->out);
    fflush(d->out);
}

static bool progress_wanted(const sop_cli *cli)
{
    if (cli->progress >= 0)
        return cli->progress == 1;
    if (!isatty(STDERR_FILENO) || getenv("CI") != NULL)
        return false;
    if (cli->file_count == 0) {
        struct stat st;
        return fstat(STDIN_FILENO, &st) == 0 && S_ISREG(st.st_mode);
    }
    for (size_t i = 0; i < cli->file_count; i++) {
        struct stat st;
        if (strcmp(cli->files[i], "-") == 0 || stat(cli->files[i], &st) != 0 ||
            !S_ISREG(st.st_mode))
            return false;
    }
    return true;
}

static int write_reject(FILE *rejects, const char *path, const char *file, long line,
                        const char *reason, const char *raw, size_t raw_len, sop_error *err)
{
    sop_buf b = {0};
    char head[64];
    snprintf(head, sizeof head, "{\"line\":%ld,\"reason\":", line);
    bool ok = sop_buf_put(&b, head, strlen(head)) &&
              sop_buf_json_string(&b, reason, strlen(reason)) &&
              sop_buf_put(&b, ",\"raw\":", 7) && sop_buf_json_string_lossy(&b, raw, raw_len) &&
              sop_buf_put(&b, ",\"file\":", 8) &&
              sop_buf_json_string_lossy(&b, file, strlen(file)) && sop_buf_put(&b, "}\n", 2);
    int rc = 0;
    if (!ok)
        rc = sop_error_set(err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
    else if (fwrite(b.data, 1, b.len, rejects) != b.len)
        rc = sop_error_set(err, SOP_EXIT_IOERR, path, 0, "write failed");
    sop_buf_free(&b);
    return rc;
}

typedef struct run {
    const char *program;
    const sop_cli *cli;
    const sop_stream_model *model;
    diag_ctx diag;
    sop_reader *reader;
    sop_writer *writer;
    FILE *rejects;
    sop_record rec, extra;
    size_t bound_columns;
    sop_stream_counts counts;
} run;

/* A bad record: report it (the first few), log it to --rejects. */
static int reject(run *r, const char *file, long line, const char *reason, const char *raw,
                  size_t raw_len, sop_error *err)
{
    r->counts.rejected++;
    if (r->counts.rejected <= SHOW_BAD) {
        fprintf(r->diag.out, "%s: %s:%ld: ", r->program, file, line);
        sop_put_line(r->diag.out, reason);
    }
    if (r->rejects)
        return write_reject(r->rejects, r->cli->rejects, file, line, reason, raw, raw_len, err);
    return 0;
}

/* The input columns are new or have grown (JSON Lines): the model
 * resolves its columns again, the writer learns them. */
static int rebind(run *r, const sop_schema *schema, sop_error *err)
{
    if (schema->count == r->bound_columns)
        return 0;
    int rc = r->model->bind(r->model->ctx, schema, err);
    if (rc != 0 && err->file[0] == '\0') /* "no score column": in which file */
        snprintf(err->file, sizeof err->file, "%s", sop_reader_file(r->reader));
    if (rc == 0)
        rc = sop_writer_columns(r->writer, schema, r->model->added, err);
    if (rc == 0)
        r->bound_columns = schema->count;
    return rc;
}

static int loop(run *r, sop_error *err)
{
    progress prog = {progress_wanted(r->cli), seconds(), seconds()};
    const sop_schema *schema = sop_reader_schema(r->reader);
    int rc;

    for (;;) {
        if ((rc = rebind(r, schema, err)) != 0)
            return rc;
        int got = sop_reader_next(r->reader, &r->rec, err);
        if (got < 0)
            return -got;
        if (got == SOP_READ_EOF)
            break;
        r->counts.read++;
        if (prog.on && (r->counts.read & 8191u) == 0)
            progress_show(&prog, &r->diag, r->reader, r->counts.read, false);
        if (got == SOP_READ_BAD) {
            size_t raw_len;
            const char *raw = sop_reader_bad_raw(r->reader, &raw_len);
            if ((rc = reject(r, r->rec.file, r->rec.line, sop_reader_bad_reason(r->reader), raw,
                             raw_len, err)) != 0)
                return rc;
            if (r->cli->strict)
                return SOP_EXIT_DATAERR;
            continue;
        }
        if ((rc = rebind(r, schema, err)) != 0)
            return rc;
        sop_record_clear(&r->extra);
        rc = r->model->record(r->model->ctx, &r->rec, &r->extra, err);
        if (rc == SOP_STREAM_REJECT) {
            /* the model's reason, the record's text as read */
            char reason[sizeof err->msg];
            snprintf(reason, sizeof reason, "%s", err->msg);
            sop_error_clear(err);
            size_t raw_len;
            const char *raw = sop_reader_last_raw(r->reader, &raw_len);
            while (raw_len > 0 && (raw[raw_len - 1] == '\n' || raw[raw_len - 1] == '\r'))
                raw_len--;
            if ((rc = reject(r, r->rec.file, r->rec.line, reason, raw, raw_len, err)) != 0)
                return rc;
            if (r->cli->strict)
                return SOP_EXIT_DATAERR;
            continue;
        }
        if (rc != 0)
            return rc;
        if (!r->model->consumes && !r->model->replay &&
            (rc = sop_writer_record(r->writer, &r->rec, &r->extra, err)) != 0)
            return rc;
        r->counts.written++;
    }
    if (prog.on)
        progress_show(&prog, &r->diag, r->reader, r->counts.read, true);
    if (r->model->finish && (rc = r->model->finish(r->model->ctx, err)) != 0)
        return rc;
    return r->model->replay ? r->model->replay(r->model->ctx, r->writer, err) : 0;
}

int sop_stream_run(const char *program, const sop_cli *cli, const sop_stream_model *model,
                   FILE *diag, sop_stream_counts *counts, sop_error *err)
{
    run r;
    memset(&r, 0, sizeof r);
    r.program = program;
    r.cli = cli;
    r.model = model;
    r.diag.program = program;
    r.diag.out = diag;
    r.diag.quiet = cli->verbosity < 0;
    r.bound_columns = (size_t)-1;
    sop_record_init(&r.rec);
    sop_record_init(&r.extra);

    sop_reader_opts ro = {
        .files = (const char *const *)cli->files,
        .file_count = cli->file_count,
        .format = cli->in_format,
        .delimiter = cli->delimiter,
        .encoding = cli->encoding,
        .max_field = cli->max_field,
        .no_aliases = cli->no_aliases,
        .map = &cli->map,
        .fixed_schema = !model->consumes &&
                        (cli->out_format == SOP_FMT_CSV || cli->out_format == SOP_FMT_TSV ||
                         cli->out_format == SOP_FMT_TABLE || cli->out_format == SOP_FMT_MD),
        .note = print_note,
        .note_ctx = &r.diag,
    };
    int rc = sop_reader_open(&r.reader, &ro, err);
    if (rc != 0)
        goto done;
    if (cli->rejects) {
        r.rejects = fopen(cli->rejects, "w");
        if (r.rejects == NULL) {
            rc = sop_error_set(err, SOP_EXIT_CANTCREAT, cli->rejects, 0, "cannot create: %s",
                               strerror(errno));
            goto done;
        }
    }
    enum sop_format out = cli->out_format;
    if (out == SOP_FMT_AUTO)
        out = sop_reader_format(r.reader);
    sop_writer_opts wo = {
        .path = cli->output,
        .format = out,
        .delimiter = out == SOP_FMT_CSV ? (cli->delimiter ? cli->delimiter : ',') : 0,
        .excel = cli->excel,
        .safe_formulas = cli->safe_formulas,
    };
    if (model->consumes) {
        /* the model writes its own output (to -o or stdout) when it finishes */
        wo.path = NULL;
        wo.format = SOP_FMT_JSONL;
    }
    if ((rc = sop_writer_open(&r.writer, &wo, err)) != 0)
        goto done;
    rc = loop(&r, err);
    /* An output file is kept when the run finished, rejected records or
     * not; a fatal error (err set) or a --strict stop keeps none.  On
     * stdout the records before the stop have been promised to the pipe
     * already (part of them may be out), so all of them go out. */
    bool fatal = err->status != 0;
    bool to_stdout = cli->output == NULL || strcmp(cli->output, "-") == 0;
    bool commit = to_stdout || (!fatal && (rc == 0 || (rc == SOP_EXIT_DATAERR && !cli->strict)));
    sop_error io;
    sop_error_clear(&io);
    int wrc = sop_writer_close(r.writer, commit, &io);
    r.writer = NULL;
    if (r.rejects) {
        if ((fflush(r.rejects) != 0 || ferror(r.rejects)) && wrc == 0)
            wrc = sop_error_set(&io, SOP_EXIT_IOERR, cli->rejects, 0, "write failed: %s",
                                strerror(errno));
        fclose(r.rejects);
        r.rejects = NULL;
    }
    if (wrc != 0 && !fatal) { /* an I/O error outranks rejected records */
        *err = io;
        rc = wrc;
    }
    if (commit && wrc == 0 && !fatal && model->commit) {
        int crc = model->commit(model->ctx, err);
        if (crc != 0)
            rc = crc;
    }
    if (rc == 0 || (rc == SOP_EXIT_DATAERR && err->status == 0)) {
        if (r.counts.rejected > SHOW_BAD)
            fprintf(diag, "%s: %llu more bad records not shown\n", program,
                    r.counts.rejected - SHOW_BAD);
        if (cli->verbosity > 0)
            fprintf(diag, "%s: records read %llu, written %llu, rejected %llu\n", program,
                    r.counts.read, r.counts.written, r.counts.rejected);
        if (rc == 0 && r.counts.rejected > 0)
            rc = SOP_EXIT_DATAERR;
    }
done:
    if (r.writer)
        sop_writer_close(r.writer, false, &(sop_error){0});
    if (r.rejects)
        fclose(r.rejects);
    sop_reader_close(r.reader);
    sop_record_free(&r.rec);
    sop_record_free(&r.extra);
    if (counts)
        *counts = r.counts;
    return rc;
}

int sop_outputs_init(sop_outputs *o, const char *const *names, size_t count, sop_error *err)
{
    o->count = count < SOP_OUTPUTS_MAX ? count : SOP_OUTPUTS_MAX;
    o->names = names;
    sop_schema_init(&o->added);
    for (size_t i = 0; i < o->count; i++) {
        o->existing[i] = -1;
        if (sop_schema_add(&o->added, names[i], strlen(names[i])) < 0)
            return sop_error_set(err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
    }
    return 0;
}

int sop_outputs_bind(sop_outputs *o, const sop_schema *input, sop_error *err)
{
    sop_schema_free(&o->added);
    for (size_t i = 0; i < o->count; i++) {
        o->existing[i] = sop_schema_find(input, o->names[i]);
        if (o->existing[i] < 0 && sop_schema_add(&o->added, o->names[i], strlen(o->names[i])) < 0)
            return sop_error_set(err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
    }
    return 0;
}

bool sop_outputs_put(const sop_outputs *o, size_t which, sop_record *rec, sop_record *extra,
                     const char *s, size_t len, unsigned char kind)
{
    if (o->existing[which] >= 0)
        return sop_record_set(rec, (size_t)o->existing[which], s, len, kind);
    return sop_record_push(extra, s, len, kind);
}

void sop_outputs_free(sop_outputs *o)
{
    sop_schema_free(&o->added);
}

/* Looks the side file's columns up in the schema as it now is. */
static void side_bind(sop_side *side, const sop_schema *schema)
{
    for (size_t i = 0; i < SOP_SIDE_COLUMNS; i++)
        side->col[i] = i < side->count ? sop_find_column(schema, side->names[i]) : -1;
    side->bound = schema->count;
}

int sop_side_open(sop_side *side, const char *path, const sop_cli *cli, int how,
                  const char *const *names, const bool *required, size_t count,
                  sop_note_fn note, void *note_ctx, sop_error *err)
{
    memset(side, 0, sizeof *side);
    sop_record_init(&side->rec);
    snprintf(side->file, sizeof side->file, "%s", sop_display_name(path));
    const char *files[1] = {path};
    sop_reader_opts ro = {
        .files = files,
        .file_count = 1,
        .no_aliases = cli->no_aliases,
        .max_field = cli->max_field,
        .delimiter = how == SOP_SIDE_AS_MAIN ? cli->delimiter : (char)how,
        .format = how == SOP_SIDE_AS_MAIN ? cli->in_format : SOP_FMT_AUTO,
        .encoding = how == SOP_SIDE_AS_MAIN ? cli->encoding : SOP_ENC_AUTO,
        .map = how == SOP_SIDE_AS_MAIN ? &cli->map : NULL,
        .note = note,
        .note_ctx = note_ctx,
    };
    int rc = sop_reader_open(&side->reader, &ro, err);
    if (rc != 0)
        return rc;
    const sop_schema *schema = sop_reader_schema(side->reader);
    side->names = names;
    side->count = count < SOP_SIDE_COLUMNS ? count : SOP_SIDE_COLUMNS;
    side_bind(side, schema);
    for (size_t i = 0; schema->count > 0 && i < side->count; i++)
        if (side->col[i] < 0 && required && required[i])
            return sop_error_set(err, SOP_EXIT_DATAERR, side->file, 1, "no column %s", names[i]);
    return 0;
}

int sop_side_next(sop_side *side, sop_error *err)
{
    int got = sop_reader_next(side->reader, &side->rec, err);
    const sop_schema *schema = sop_reader_schema(side->reader);
    if (got > 0 && schema->count != side->bound)
        side_bind(side, schema);
    return got;
}

void sop_side_close(sop_side *side)
{
    sop_reader_close(side->reader);
    side->reader = NULL;
    sop_record_free(&side->rec);
}

int sop_side_each(const char *path, const sop_cli *cli, int how, const char *const *names,
                  const bool *required, size_t count, sop_side_fn row, sop_side_fn bad, void *ctx,
                  sop_error *err)
{
    sop_side side;
    int rc = sop_side_open(&side, path, cli, how, names, required, count, NULL, NULL, err);
    while (rc == 0) {
        int got = sop_side_next(&side, err);
        if (got < 0)
            rc = -got;
        if (got <= 0)
            break;
        if (got != SOP_READ_BAD)
            rc = row(ctx, &side, err);
        else if (bad)
            rc = bad(ctx, &side, err);
        else
            rc = sop_error_set(err, SOP_EXIT_DATAERR, side.file, side.rec.line, "%s",
                               sop_reader_bad_reason(side.reader));
    }
    sop_side_close(&side);
    return rc;
}

void sop_side_bad(const char *program, FILE *diag, unsigned long *count, const char *file,
                  long line, const char *fmt, ...)
{
    if (++*count > SHOW_BAD || diag == NULL)
        return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(diag, "%s: %s:%ld: ", program, file, line);
    sop_put_line(diag, msg);
}

int sop_stream_reject(sop_error *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    err->status = 0;
    return SOP_STREAM_REJECT;
}

void sop_note(FILE *diag, const char *program, bool quiet, const char *fmt, ...)
{
    if (quiet || diag == NULL)
        return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(diag, "%s: ", program);
    sop_put_line(diag, msg);
}
