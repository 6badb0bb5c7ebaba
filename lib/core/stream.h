/* stream.h - the record loop every record-stream program runs: read,
 * hand each record to the model, write it with the model's added columns,
 * report bad records (stderr, --rejects), show progress, keep the count
 * records read = written + rejected. */
#ifndef SOP_STREAM_H
#define SOP_STREAM_H

#include <stdio.h>

#include "cli.h"
#include "error.h"
#include "record.h"

struct sop_writer;

enum { SOP_STREAM_REJECT = -2 }; /* a model's verdict: reject this record */

/* For a model's record(): the reason into err, SOP_STREAM_REJECT back. */
int sop_stream_reject(sop_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A note on diag ("PROGRAM: ..."), unless quiet or diag is NULL. */
void sop_note(FILE *diag, const char *program, bool quiet, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

typedef struct sop_stream_model {
    void *ctx;
    const sop_schema *added;  /* the columns the model adds (may be NULL) */
    /* The input columns are known or have grown: resolve column names.
     * The model may change `added` here (not after). */
    int (*bind)(void *ctx, const sop_schema *input, sop_error *err);
    /* One record: fill `extra` (one value per added column); a model may
     * also overwrite the record's own values.  Returns 0,
     * SOP_STREAM_REJECT with err->msg the reason, or an exit status. */
    int (*record)(void *ctx, sop_record *rec, sop_record *extra, sop_error *err);
    /* After the last record (may be NULL): notes, totals, a report. */
    int (*finish)(void *ctx, sop_error *err);
    /* After the output has reached its destination - only then (may be
     * NULL): what the run leaves behind besides it (lead-assign's state).
     * Not called when the output was not committed. */
    int (*commit)(void *ctx, sop_error *err);
    /* A model that reads records to write something else (a report, a
     * trained config) from finish: no record output; records it keeps
     * count as written. */
    bool consumes;
    /* A model that needs every record before it can write any (dedupe-clean
     * clusters them) keeps them - they count as written - and, after finish,
     * writes them (or what it makes of them) with sop_writer_record to w,
     * whose columns are the input's and `added` (may be NULL). */
    int (*replay)(void *ctx, struct sop_writer *w, sop_error *err);
} sop_stream_model;

/* The columns a model adds: those the input lacks are appended (in
 * order), those it already has - a re-run over its own output - are
 * overwritten in place, never added twice. */
enum { SOP_OUTPUTS_MAX = 16 };
typedef struct sop_outputs {
    size_t count;
    const char *const *names;
    long existing[SOP_OUTPUTS_MAX]; /* the input column, or -1 */
    sop_schema added;               /* for sop_stream_model.added */
} sop_outputs;

int sop_outputs_init(sop_outputs *o, const char *const *names, size_t count, sop_error *err);
/* For the model's bind: which outputs the input has. */
int sop_outputs_bind(sop_outputs *o, const sop_schema *input, sop_error *err);
/* Sets output `which`; call for every output in order.  False when out of
 * memory. */
bool sop_outputs_put(const sop_outputs *o, size_t which, sop_record *rec, sop_record *extra,
                     const char *s, size_t len, unsigned char kind);
void sop_outputs_free(sop_outputs *o);

typedef struct sop_stream_counts {
    unsigned long long read, written, rejected;
} sop_stream_counts;

/* Runs the loop.  Diagnostics (bad records, notes, progress, -v counts)
 * go to `diag` prefixed with `program`.  Returns the exit status: 0, 65
 * when records were rejected, or a fatal status with err set (the caller
 * reports it). */
int sop_stream_run(const char *program, const sop_cli *cli, const sop_stream_model *model,
                   FILE *diag, sop_stream_counts *counts, sop_error *err);

/* A side file read beside the main input (a roster, a history, stage
 * events): any format, encoding and header alias, as the main input, but
 * never stdin by accident.  The named columns are looked up (col[i], -1
 * when absent); a required one missing is 65 naming the file (JSON Lines:
 * the keys are known record by record, so a record without a required key
 * reads as an empty value there).  how: 0 for a side file's defaults
 * (format by extension or content, ','), a character for that CSV
 * delimiter, or SOP_SIDE_AS_MAIN for a program whose files are all
 * named by options (phi-calc): -i, -d, -e, -m apply to them. */
enum { SOP_SIDE_COLUMNS = 16 };
typedef struct sop_side {
    sop_reader *reader;
    char file[256];              /* display name, for messages */
    long col[SOP_SIDE_COLUMNS];
    sop_record rec;              /* the row sop_side_next read */
    const char *const *names;    /* the columns asked for (JSON Lines: */
    size_t count, bound;         /* looked up again as the keys grow) */
} sop_side;

enum { SOP_SIDE_AS_MAIN = 256 };
int sop_side_open(sop_side *side, const char *path, const sop_cli *cli, int how,
                  const char *const *names, const bool *required, size_t count,
                  sop_note_fn note, void *note_ctx, sop_error *err);
/* The next row into side->rec: SOP_READ_RECORD, SOP_READ_BAD (the reason:
 * sop_reader_bad_reason(side->reader)) or SOP_READ_EOF; a fatal error is
 * -(exit status) with err set. */
int sop_side_next(sop_side *side, sop_error *err);
void sop_side_close(sop_side *side);
/* Every row of a side file through row(ctx, side, err) (which reads
 * side->rec and side->col); a row the reader cannot use goes to bad, or
 * with bad NULL is an error (65) naming the line.  Stops at the first
 * status a callback returns. */
typedef int (*sop_side_fn)(void *ctx, sop_side *side, sop_error *err);
int sop_side_each(const char *path, const sop_cli *cli, int how, const char *const *names,
                  const bool *required, size_t count, sop_side_fn row, sop_side_fn bad, void *ctx,
                  sop_error *err);
/* A bad row of a side file that the run skips: "PROGRAM: FILE:LINE:
 * reason" on diag for the first 20 (*count counts them all; the program
 * ends 65 when it is not 0). */
void sop_side_bad(const char *program, FILE *diag, unsigned long *count, const char *file,
                  long line, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

#endif
