/* reader.h - records in: one API for CSV, TSV and JSON Lines, over the
 * input layer (files or stdin, gzip, encodings).  Knows physical line
 * numbers, maps headers to canonical names, enforces size limits, and
 * tells apart a bad record (skip it, report it) from a fatal error. */
#ifndef SOP_READER_H
#define SOP_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "input.h"
#include "record.h"

enum sop_format {
    SOP_FMT_AUTO = 0,
    SOP_FMT_CSV,
    SOP_FMT_TSV,
    SOP_FMT_JSONL,
    SOP_FMT_JSON,  /* output only */
    SOP_FMT_TABLE, /* output only */
    SOP_FMT_MD     /* output only */
};

bool sop_format_parse(const char *name, enum sop_format *out);
const char *sop_format_name(enum sop_format fmt);

/* A rename of an input column: SRC=DST. */
typedef struct sop_rename {
    char *from;
    char *to;
} sop_rename;

typedef struct sop_colmap {
    size_t count;
    size_t cap;
    sop_rename *items;
} sop_colmap;

void sop_colmap_init(sop_colmap *map);
void sop_colmap_free(sop_colmap *map);
/* Parses "SRC=DST,SRC2=DST2" (usage error 64 on a malformed item). */
int sop_colmap_parse(sop_colmap *map, const char *spec, sop_error *err);
/* Reads a map file: one SRC=DST a line, '#' comments, blank lines. */
int sop_colmap_load(sop_colmap *map, const char *path, sop_error *err);

/* The canonical name for a header by the built-in alias table, or NULL. */
const char *sop_alias_lookup(const char *header, size_t len);

/* A column named on the command line (--label 结果): by its name, else by
 * the name the alias table gives it; -1 when there is none. */
long sop_find_column(const sop_schema *schema, const char *name);

typedef void (*sop_note_fn)(void *ctx, const char *file, const char *message);

typedef struct sop_reader_opts {
    const char *const *files; /* NULL or empty: stdin */
    size_t file_count;
    enum sop_format format;   /* AUTO: by extension, else by content */
    char delimiter;           /* 0: ',' for CSV, '\t' for TSV */
    enum sop_encoding encoding;
    size_t max_field;         /* bytes; 0: 1 MiB */
    bool no_aliases;
    const sop_colmap *map;
    bool fixed_schema;        /* JSON Lines: a key absent from the first record is a bad record */
    sop_note_fn note;         /* informational notes (encoding guesses...) */
    void *note_ctx;
} sop_reader_opts;

typedef struct sop_reader sop_reader;

enum sop_read_result {
    SOP_READ_EOF = 0,
    SOP_READ_RECORD = 1,
    SOP_READ_BAD = 2 /* rec->line set; sop_reader_bad() tells why */
};

/* Opens the first input and reads its header (CSV/TSV) or first record
 * (JSON Lines).  Errors: 64/65/66/74 with err set. */
int sop_reader_open(sop_reader **r, const sop_reader_opts *opts, sop_error *err);
/* Next record into rec (cleared first).  Returns SOP_READ_* (>= 0) or
 * -(exit status) with err set for a fatal error. */
int sop_reader_next(sop_reader *r, sop_record *rec, sop_error *err);
/* For SOP_READ_BAD: the reason and the raw text of the bad record. */
const char *sop_reader_bad_reason(const sop_reader *r);
/* The display name of the input being read ("-" names stdin). */
const char *sop_reader_file(const sop_reader *r);
const char *sop_reader_bad_raw(const sop_reader *r, size_t *len);

/* The text of the record just read (good or bad), valid until the next
 * read: for a model that rejects it. */
const char *sop_reader_last_raw(const sop_reader *r, size_t *len);

const sop_schema *sop_reader_schema(const sop_reader *r);
enum sop_format sop_reader_format(const sop_reader *r);
/* Progress: raw bytes consumed of all inputs, and their total size when
 * every input is a regular file (else 0). */
uint64_t sop_reader_progress(const sop_reader *r, uint64_t *total);
void sop_reader_close(sop_reader *r);

#endif
