/* writer.h - records out: CSV/TSV with minimal RFC 4180 quoting, JSON
 * Lines, JSON, aligned tables (CJK-width aware) and Markdown; Excel mode and
 * formula escaping; atomic -o (temp file, fsync, rename). */
#ifndef SOP_WRITER_H
#define SOP_WRITER_H

#include <jansson.h>
#include <stdbool.h>

#include "error.h"
#include "reader.h"
#include "record.h"

typedef struct sop_writer_opts {
    const char *path;          /* NULL or "-": stdout */
    enum sop_format format;    /* CSV, TSV, JSONL, JSON, TABLE or MD */
    char delimiter;            /* CSV output delimiter; 0: ',' */
    bool excel;                /* BOM, CRLF and formula escaping */
    bool safe_formulas;        /* formula escaping alone */
} sop_writer_opts;

typedef struct sop_writer sop_writer;

/* Errors: 73 when the output (or its temp file) cannot be created. */
int sop_writer_open(sop_writer **w, const sop_writer_opts *opts, sop_error *err);

/* The columns: those read, then those the program adds (may be NULL).
 * Writes the header for formats that have one.  Call again when the input
 * schema grows (JSON Lines); CSV/TSV headers are written once. */
int sop_writer_columns(sop_writer *w, const sop_schema *input, const sop_schema *added,
                       sop_error *err);

/* One record: its values, then the added values (may be NULL). */
int sop_writer_record(sop_writer *w, const sop_record *rec, const sop_record *extra,
                      sop_error *err);

/* Raw text into the output (a report's summary lines); in table and
 * Markdown output, a table in progress is finished first, and columns set
 * after it start a new table. */
int sop_writer_text(sop_writer *w, const char *text, size_t len, sop_error *err);

/* Finishes the output.  With commit, flushes, fsyncs and renames the temp
 * file into place (74 on failure); without, removes the temp file.
 * Always frees w. */
int sop_writer_close(sop_writer *w, bool commit, sop_error *err);

/* A growing buffer, and JSON string output into it, for the writer and
 * other JSON producers (the rejects file). */
typedef struct sop_buf {
    char *data;
    size_t len, cap;
} sop_buf;

bool sop_buf_put(sop_buf *b, const char *s, size_t len);
bool sop_buf_json_string(sop_buf *b, const char *s, size_t len);
/* The same for text that may hold invalid UTF-8 (raw bad records): each
 * invalid byte becomes U+FFFD, so the JSON stays valid. */
bool sop_buf_json_string_lossy(sop_buf *b, const char *s, size_t len);

/* A JSON value as text into b, byte for byte what jansson's json_dumps
 * writes with JSON_PRESERVE_ORDER, JSON_REAL_PRECISION(precision) (0: 17)
 * and JSON_INDENT(indent) (0: JSON_COMPACT) - but an allocation that fails
 * is reported (false), where jansson 2.14 may quietly drop an object key
 * from its output. precision SOP_JSON_ROUND_TRIP prints each real with the
 * fewest of 15, 16 or 17 digits that read back as the same double (configs:
 * a printed config fed back with -c must give the same results). */
#define SOP_JSON_ROUND_TRIP (-1)
bool sop_json_dump(const json_t *v, int indent, int precision, sop_buf *b);
/* The same as a malloc'd NUL-terminated string (NULL when out of memory),
 * in place of json_dumps(). */
char *sop_json_text(const json_t *v, int indent, int precision);

/* Flushes and checks stdout after printf-style output (help, configs):
 * 74 with err set when the write failed (a full disk, say). */
int sop_stdout_finish(sop_error *err);
void sop_buf_free(sop_buf *b);

#endif
