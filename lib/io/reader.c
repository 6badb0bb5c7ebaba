#include "reader.h"
#include "jsonalloc.h"
#include "strmap.h"

#include <csv.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"
#include "writer.h"

/* The fuzz build makes it small (-DSOP_READ_CHUNK=32768): every refill and
 * field-across-chunks path is then met on small inputs, and a run does not
 * allocate a megabyte per input. */
#ifndef SOP_READ_CHUNK
#define SOP_READ_CHUNK (256u * 1024u)
#endif
#define READ_CHUNK SOP_READ_CHUNK
#define DEFAULT_MAX_FIELD (1024u * 1024u)
#define RAW_KEEP (64u * 1024u) /* raw text kept of a record too long to hold */
#define MAX_COLUMNS 16384u      /* a header with more is refused */

enum { LINE_EOF = 0, LINE_OK = 1, LINE_TOO_LONG = 2 };


struct sop_reader {
    sop_reader_opts opts;
    size_t max_field;
    size_t max_record;

    size_t file_index;
    sop_input *in;
    char file_name[256];
    char first_file[256];
    enum sop_format format;
    char delimiter;

    char *buf;
    size_t cap, start, pos, end;
    /* where the next '\n' is (nl_known), or that there is none before
     * nl_scan: a file with CR line ends must not be searched to the end
     * of the buffer once a line */
    bool nl_known;
    size_t nl_at, nl_scan;
    bool in_eof;
    long line_no; /* physical lines consumed in this file */

    struct csv_parser csv;
    bool csv_ready;
    bool in_record;
    bool row_done;
    bool rec_bad;
    bool oom;
    size_t fields_seen;  /* fields of the current record, kept or not */
    sop_record *cur;

    sop_schema schema;
    bool have_header;    /* CSV/TSV: the first file's header is read */
    bool schema_frozen;  /* JSON Lines with fixed_schema: after the first good record */
    sop_record header;   /* scratch for a later file's header */

    sop_strmap key_map;  /* JSON Lines: raw key -> key_col[entry] */
    long *key_col;
    size_t key_cap;
    sop_strmap name_map; /* JSON Lines: column name -> column (hashed: a record of
                            100 000 keys must not take quadratic time) */

    size_t rec_raw_off, rec_raw_len; /* the last CSV record's text in buf */

    char bad_reason[512];
    char *bad_raw;
    size_t bad_raw_len, bad_raw_cap;

    uint64_t done_bytes; /* raw bytes of the inputs already finished */
};

static const struct {
    const char *name;
    enum sop_format fmt;
} formats[] = {
    {"auto", SOP_FMT_AUTO}, {"csv", SOP_FMT_CSV}, {"tsv", SOP_FMT_TSV},
    {"jsonl", SOP_FMT_JSONL}, {"ndjson", SOP_FMT_JSONL}, {"json", SOP_FMT_JSON},
    {"table", SOP_FMT_TABLE}, {"md", SOP_FMT_MD}, {"markdown", SOP_FMT_MD},
};

bool sop_format_parse(const char *name, enum sop_format *out)
{
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++) {
        if (strcasecmp(name, formats[i].name) == 0) {
            *out = formats[i].fmt;
            return true;
        }
    }
    return false;
}

const char *sop_format_name(enum sop_format fmt)
{
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++)
        if (formats[i].fmt == fmt)
            return formats[i].name;
    return "?";
}

/* ---- column maps ---------------------------------------------------- */

void sop_colmap_init(sop_colmap *map)
{
    memset(map, 0, sizeof *map);
}

void sop_colmap_free(sop_colmap *map)
{
    for (size_t i = 0; i < map->count; i++) {
        free(map->items[i].from);
        free(map->items[i].to);
    }
    free(map->items);
    sop_colmap_init(map);
}

static int colmap_add(sop_colmap *map, const char *item, size_t len, const char *origin,
                      long line, sop_error *err)
{
    const char *eq = memchr(item, '=', len);
    const char *from = item;
    size_t from_len = eq ? (size_t)(eq - item) : 0;
    const char *to = eq ? eq + 1 : NULL;
    size_t to_len = eq ? len - from_len - 1 : 0;
    if (eq) {
        sop_text_trim(&from, &from_len);
        sop_text_trim(&to, &to_len);
    }
    if (eq == NULL || from_len == 0 || to_len == 0)
        return sop_error_set(err, SOP_EXIT_USAGE, origin, line,
                             "bad column mapping \"%.*s\": expected SRC=DST", (int)len, item);
    if (map->count == map->cap) {
        size_t cap = map->cap ? map->cap * 2 : 8;
        sop_rename *items = realloc(map->items, cap * sizeof *items);
        if (items == NULL)
            return sop_error_set(err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
        map->items = items;
        map->cap = cap;
    }
    sop_rename *r = &map->items[map->count];
    r->from = strndup(from, from_len);
    r->to = strndup(to, to_len);
    if (r->from == NULL || r->to == NULL) {
        free(r->from);
        free(r->to);
        return sop_error_set(err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
    }
    map->count++;
    return 0;
}

int sop_colmap_parse(sop_colmap *map, const char *spec, sop_error *err)
{
    const char *p = spec;
    while (*p) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        int rc = colmap_add(map, p, len, "--map", 0, err);
        if (rc != 0)
            return rc;
        p += len;
        if (*p == ',')
            p++;
    }
    return 0;
}

int sop_colmap_load(sop_colmap *map, const char *path, sop_error *err)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return sop_error_set(err, SOP_EXIT_NOINPUT, path, 0, "cannot open map file: %s",
                             strerror(errno));
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    long line_no = 0;
    int rc = 0;
    while ((n = getline(&line, &cap, f)) >= 0) {
        line_no++;
        const char *s = line;
        size_t len = (size_t)n;
        if (line_no == 1 && len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) {
            s += 3;
            len -= 3;
        }
        sop_text_trim(&s, &len);
        if (len == 0 || s[0] == '#')
            continue;
        if ((rc = colmap_add(map, s, len, path, line_no, err)) != 0)
            break;
    }
    if (rc == 0 && ferror(f))
        rc = sop_error_set(err, SOP_EXIT_IOERR, path, 0, "read failed");
    free(line);
    fclose(f);
    return rc;
}

/* ---- the line buffer ------------------------------------------------ */

static void buffer_reset(sop_reader *r)
{
    r->start = r->pos = r->end = 0;
    r->nl_known = false;
    r->nl_scan = 0;
}

static int refill(sop_reader *r, sop_error *err)
{
    if (r->start > 0) {
        size_t shift = r->start;
        memmove(r->buf, r->buf + shift, r->end - shift);
        r->pos -= shift;
        r->end -= shift;
        r->start = 0;
        r->nl_at = r->nl_at >= shift ? r->nl_at - shift : 0;
        if (r->nl_at < r->pos)
            r->nl_known = false;
        r->nl_scan = r->nl_scan >= shift ? r->nl_scan - shift : 0;
    }
    if (r->cap - r->end < READ_CHUNK) {
        /* grows to hold one record of the longest allowed size, no more */
        size_t cap = r->cap * 2;
        if (cap > r->max_record + 2 * READ_CHUNK)
            cap = r->max_record + 2 * READ_CHUNK;
        if (cap < r->end + READ_CHUNK)
            cap = r->end + READ_CHUNK;
        char *buf = realloc(r->buf, cap);
        if (buf == NULL)
            return sop_error_set(err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
        r->buf = buf;
        r->cap = cap;
    }
    size_t got = 0;
    int rc = sop_input_read(r->in, r->buf + r->end, r->cap - r->end, &got, err);
    if (rc != 0)
        return rc;
    if (got == 0)
        r->in_eof = true;
    r->end += got;
    return 0;
}

/* Finds the physical line starting at r->pos: content ends at *content_end,
 * the line with its terminator (LF, CRLF or lone CR) at *line_end. */
static int get_line(sop_reader *r, size_t *content_end, size_t *line_end, sop_error *err)
{
    for (;;) {
        const char *p = r->buf + r->pos;
        size_t n = r->end - r->pos;
        if (!r->nl_known || r->nl_at < r->pos) {
            size_t from = r->nl_scan > r->pos ? r->nl_scan : r->pos;
            const char *found = memchr(r->buf + from, '\n', r->end - from);
            r->nl_known = found != NULL;
            if (found)
                r->nl_at = (size_t)(found - r->buf);
            else
                r->nl_scan = r->end;
        }
        const char *nl = r->nl_known ? r->buf + r->nl_at : NULL;
        size_t lim = nl ? (size_t)(nl - p) : n;
        const char *cr = memchr(p, '\r', lim);
        if (cr != NULL) {
            size_t i = (size_t)(cr - p);
            if (i + 1 < n || r->in_eof) {
                *content_end = r->pos + i;
                *line_end = r->pos + i + ((i + 1 < n && p[i + 1] == '\n') ? 2 : 1);
                return LINE_OK;
            }
        } else if (nl != NULL) {
            *content_end = r->pos + lim;
            *line_end = r->pos + lim + 1;
            return LINE_OK;
        } else if (r->in_eof) {
            if (n == 0)
                return LINE_EOF;
            *content_end = *line_end = r->end;
            return LINE_OK;
        }
        if (r->end - r->start >= r->max_record)
            return LINE_TOO_LONG;
        int rc = refill(r, err);
        if (rc != 0)
            return -rc;
    }
}

static bool keep_raw(sop_reader *r, const char *s, size_t len)
{
    if (len > RAW_KEEP * 2)
        len = RAW_KEEP * 2;
    if (len + 1 > r->bad_raw_cap) {
        char *raw = realloc(r->bad_raw, len + 1);
        if (raw == NULL)
            return false;
        r->bad_raw = raw;
        r->bad_raw_cap = len + 1;
    }
    memcpy(r->bad_raw, s, len);
    r->bad_raw[len] = '\0';
    r->bad_raw_len = len;
    return true;
}

/* Raw text of the record in [start, pos) without its final line end. */
static void record_raw(const sop_reader *r, const char **s, size_t *len)
{
    size_t e = r->pos;
    while (e > r->start && (r->buf[e - 1] == '\n' || r->buf[e - 1] == '\r'))
        e--;
    *s = r->buf + r->start;
    *len = e - r->start;
}

static int bad(sop_reader *r, sop_error *err, const char *raw, size_t raw_len,
               const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int bad(sop_reader *r, sop_error *err, const char *raw, size_t raw_len,
               const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->bad_reason, sizeof r->bad_reason, fmt, ap);
    va_end(ap);
    if (!keep_raw(r, raw, raw_len))
        return -sop_error_set(err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
    return SOP_READ_BAD;
}

/* A record's text must be UTF-8 without NUL bytes; returns SOP_READ_BAD
 * (with the reason) when it is not, else SOP_READ_RECORD. */
static int check_text(sop_reader *r, const char *s, size_t len, sop_error *err)
{
    size_t bad_at = 0;
    if (sop_utf8_valid(s, len, false, &bad_at))
        return SOP_READ_RECORD;
    if (s[bad_at] == '\0')
        return bad(r, err, s, len, "NUL byte at byte %zu of the record", bad_at + 1);
    return bad(r, err, s, len, "undecodable bytes at byte %zu (not valid %s)", bad_at + 1,
               sop_encoding_name(sop_input_encoding(r->in)));
}

/* ---- CSV / TSV ------------------------------------------------------ */

/* Fields kept of one record: the header's count and one more (enough to
 * tell a ragged row), or MAX_COLUMNS + 1 for a header. */
static size_t field_cap(const sop_reader *r)
{
    return r->have_header ? r->schema.count + 1 : MAX_COLUMNS + 1;
}

static int no_space(unsigned char c)
{
    (void)c;
    return 0; /* keep every space: libcsv trims by default */
}

static int csv_reset(sop_reader *r, sop_error *err)
{
    if (r->csv_ready)
        csv_free(&r->csv);
    r->csv_ready = false;
    if (csv_init(&r->csv, CSV_STRICT_FINI | CSV_APPEND_NULL) != 0)
        return sop_error_set(err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
    csv_set_delim(&r->csv, (unsigned char)r->delimiter);
    csv_set_space_func(&r->csv, no_space);
    csv_set_blk_size(&r->csv, 4096);
    r->csv_ready = true;
    r->in_record = false;
    return 0;
}

static void on_field(void *data, size_t len, void *ctx)
{
    sop_reader *r = ctx;
    if (r->rec_bad || r->oom)
        return;
    r->fields_seen++;
    if (r->cur->count >= field_cap(r))
        return; /* counted, not kept */
    if (len > r->max_field) {
        r->rec_bad = true;
        snprintf(r->bad_reason, sizeof r->bad_reason,
                 "field %zu is %zu bytes, over the %zu-byte limit (--max-field)",
                 r->cur->count + 1, len, r->max_field);
        return;
    }
    if (!sop_record_push(r->cur, data ? data : "", len, SOP_TEXT))
        r->oom = true;
}

static void on_row(int c, void *ctx)
{
    (void)c;
    sop_reader *r = ctx;
    r->row_done = true;
}

/* Skips a record too long to hold: counts quotes to find where it ends
 * (CSV), or skips to the end of the line (JSON Lines). */
static int skip_long(sop_reader *r, sop_record *rec, sop_error *err)
{
    bool quoted = r->format != SOP_FMT_JSONL;
    long first_line = r->in_record ? rec->line : r->line_no + 1;
    unsigned parity = 0;

    if (!keep_raw(r, r->buf + r->start, r->end - r->start))
        return -sop_error_set(err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
    if (quoted)
        for (size_t i = r->start; i < r->pos; i++)
            parity ^= r->buf[i] == '"';
    bool partial = false, after_cr = false; /* r->pos is at a line start */
    for (;;) {
        bool done = false;
        while (r->pos < r->end && !done) {
            char c = r->buf[r->pos++];
            bool crlf = c == '\n' && after_cr; /* its CR was counted already */
            after_cr = c == '\r';
            if (c == '"' && quoted) {
                parity ^= 1u;
                partial = true;
            } else if (c == '\n' || c == '\r') {
                if (c == '\r' && r->pos < r->end && r->buf[r->pos] == '\n') {
                    r->pos++;
                    after_cr = false;
                }
                if (!crlf)
                    r->line_no++;
                partial = false;
                done = parity == 0;
            } else {
                partial = true;
            }
        }
        if (done)
            break;
        buffer_reset(r);
        if (r->in_eof) {
            if (partial) /* a last line without a line end */
                r->line_no++;
            break;
        }
        int rc = refill(r, err);
        if (rc != 0)
            return -rc;
        if (r->in_eof && r->end == 0) {
            if (partial)
                r->line_no++;
            break;
        }
    }
    r->start = r->pos;
    rec->line = first_line;
    rec->file = r->file_name;
    snprintf(r->bad_reason, sizeof r->bad_reason,
             "record longer than %zu bytes; skipped through line %ld", r->max_record,
             r->line_no);
    if (quoted) {
        int rc = csv_reset(r, err);
        if (rc != 0)
            return -rc;
    }
    return SOP_READ_BAD;
}

/* A line without quotes is split at the delimiter directly: the same
 * fields libcsv would give, at a fraction of its per-byte cost.  Lines
 * with quotes, and records spanning lines, go through libcsv. */
static int plain_line(sop_reader *r, sop_record *rec, size_t ls, size_t ce, size_t le,
                      sop_error *err)
{
    const char *s = r->buf + ls;
    size_t len = ce - ls, longest = 0;
    r->line_no++;
    r->pos = le;
    r->start = ls;
    rec->line = r->line_no;
    rec->file = r->file_name;
    r->rec_raw_off = ls;
    r->rec_raw_len = len;
    int result = check_text(r, s, len, err);
    if (result != SOP_READ_RECORD) {
        r->start = r->pos;
        return result;
    }
    if (!sop_record_split(rec, s, len, r->delimiter, field_cap(r), &r->fields_seen, &longest)) {
        result = -sop_error_set(err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
    } else if (rec->values[longest].len > r->max_field) {
        result = bad(r, err, s, len, "field %zu is %zu bytes, over the %zu-byte limit (--max-field)",
                     longest + 1, rec->values[longest].len, r->max_field);
    } else {
        rec->raw = s;
        rec->raw_len = len;
        rec->raw_delim = r->delimiter;
    }
    r->start = r->pos;
    return result;
}

/* The next physical line (LINE_OK, LINE_EOF), or a record too long to
 * hold skipped and reported (SOP_READ_BAD), or -(exit status). */
static int next_line(sop_reader *r, sop_record *rec, size_t *content_end, size_t *line_end,
                     sop_error *err)
{
    int g = get_line(r, content_end, line_end, err);
    return g == LINE_TOO_LONG ? skip_long(r, rec, err) : g;
}

/* Reads one CSV record (header or data) into rec; ragged rows are the
 * caller's check. */
static int csv_record(sop_reader *r, sop_record *rec, sop_error *err)
{
    r->cur = rec;
    rec->file = r->file_name;
    for (;;) {
        size_t ce, le;
        int g = next_line(r, rec, &ce, &le, err);
        if (g != LINE_OK && g != LINE_EOF)
            return g;
        if (g == LINE_EOF) {
            if (!r->in_record)
                return SOP_READ_EOF;
            /* libcsv ends a record at a line end outside quotes, so a record
             * still open at the end of input is in a quoted field if the
             * parser says so (FIELD_BEGUN is 2 in libcsv's state enum) */
            bool open_quote = r->csv.pstate == 2 && r->csv.quoted;
            if (open_quote || csv_fini(&r->csv, on_field, on_row, r) != 0) {
                const char *raw;
                size_t raw_len;
                r->pos = r->end;
                record_raw(r, &raw, &raw_len);
                /* The quote opened on the record's first line and never
                 * closed (text after a closing quote, "公司"x, reopens it):
                 * only that line is rejected and reading resumes on the
                 * next, so the rows after it are not lost with it. */
                const char *nl = memchr(raw, '\n', raw_len);
                const char *why = "unterminated quoted field: the quote opened in this record "
                                  "is never closed before the end of input";
                if (nl != NULL) {
                    size_t first = (size_t)(nl - raw);
                    r->pos = r->start + first + 1;
                    r->line_no = rec->line;
                    r->nl_known = false; /* the line-end search starts again there */
                    r->nl_scan = r->pos;
                    raw_len = first > 0 && raw[first - 1] == '\r' ? first - 1 : first;
                    why = "unterminated quoted field: the quote opened on this line is never "
                          "closed (text after a closing quote?); the next lines are read on "
                          "their own";
                }
                int rc = bad(r, err, raw, raw_len, "%s", why);
                r->start = r->pos;
                int rc2 = csv_reset(r, err);
                return rc2 != 0 ? -rc2 : rc;
            }
            r->in_record = false;
            break;
        }
        size_t ls = r->pos;
        if (!r->in_record) {
            if (ce == ls) { /* blank line between records */
                r->pos = r->start = le;
                r->line_no++;
                continue;
            }
            if (memchr(r->buf + ls, '"', ce - ls) == NULL)
                return plain_line(r, rec, ls, ce, le, err);
            r->in_record = true;
            r->row_done = false;
            r->rec_bad = false;
            r->fields_seen = 0;
            r->start = ls;
            rec->line = r->line_no + 1;
        }
        r->line_no++;
        r->pos = le;
        if (csv_parse(&r->csv, r->buf + ls, le - ls, on_field, on_row, r) != le - ls)
            return -sop_error_set(err, SOP_EXIT_SOFTWARE, r->file_name, r->line_no,
                                  "CSV parser failed: %s", csv_strerror(csv_error(&r->csv)));
        if (r->row_done) {
            r->in_record = false;
            break;
        }
    }
    rec->file = r->file_name;
    if (r->oom)
        return -sop_error_set(err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
    const char *raw;
    size_t raw_len;
    record_raw(r, &raw, &raw_len);
    int result = SOP_READ_RECORD;
    if (r->rec_bad) {
        if (!keep_raw(r, raw, raw_len))
            return -sop_error_set(err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
        result = SOP_READ_BAD;
    } else {
        result = check_text(r, raw, raw_len, err);
    }
    r->rec_raw_off = (size_t)(raw - r->buf);
    r->rec_raw_len = raw_len;
    r->start = r->pos;
    return result;
}

/* ---- header mapping ------------------------------------------------- */

static const char *explicit_map(const sop_reader *r, const char *name, size_t len)
{
    const sop_colmap *map = r->opts.map;
    if (map == NULL)
        return NULL;
    for (size_t i = 0; i < map->count; i++)
        if (strlen(map->items[i].from) == len && memcmp(map->items[i].from, name, len) == 0)
            return map->items[i].to;
    char a[256], b[256];
    size_t an = sop_text_fold(name, len, a, sizeof a);
    if (an == (size_t)-1)
        return NULL;
    for (size_t i = 0; i < map->count; i++) {
        size_t bn = sop_text_fold(map->items[i].from, strlen(map->items[i].from), b, sizeof b);
        if (bn == an && memcmp(a, b, an) == 0)
            return map->items[i].to;
    }
    return NULL;
}

static bool name_taken(char *const *names, size_t count, const char *name)
{
    for (size_t i = 0; i < count; i++)
        if (names[i] && strcmp(names[i], name) == 0)
            return true;
    return false;
}

/* Turns the raw header names in `hdr` into canonical names: --map first,
 * then the alias table for columns whose alias target is not taken. */
static int map_header(sop_reader *r, const sop_record *hdr, char ***out, sop_error *err)
{
    size_t count = hdr->count;
    char **names = calloc(count ? count : 1, sizeof *names);
    bool *mapped = calloc(count ? count : 1, sizeof *mapped);
    int rc = 0;
    if (names == NULL || mapped == NULL) {
        rc = sop_error_set(err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < count; i++) {
        size_t len;
        const char *s = sop_record_text(hdr, i, &len);
        sop_text_trim(&s, &len);
        if (len == 0) {
            rc = sop_error_set(err, SOP_EXIT_DATAERR, r->file_name, hdr->line,
                               "column %zu has an empty header name", i + 1);
            goto done;
        }
        const char *to = explicit_map(r, s, len);
        mapped[i] = to != NULL;
        names[i] = to ? strdup(to) : strndup(s, len);
        if (names[i] == NULL) {
            rc = sop_error_set(err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
            goto done;
        }
    }
    for (size_t i = 0; i < count && !r->opts.no_aliases; i++) {
        if (mapped[i])
            continue;
        const char *alias = sop_alias_lookup(names[i], strlen(names[i]));
        if (alias == NULL || strcmp(alias, names[i]) == 0 || name_taken(names, count, alias))
            continue;
        char *copy = strdup(alias);
        if (copy == NULL) {
            rc = sop_error_set(err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
            goto done;
        }
        free(names[i]);
        names[i] = copy;
    }
    for (size_t i = 0; i < count; i++) {
        for (size_t j = 0; j < i; j++) {
            if (strcmp(names[i], names[j]) == 0) {
                size_t a_len, b_len;
                const char *a = sop_record_text(hdr, j, &a_len);
                const char *b = sop_record_text(hdr, i, &b_len);
                rc = sop_error_set(err, SOP_EXIT_DATAERR, r->file_name, hdr->line,
                                   "duplicate column name \"%s\" (columns %zu \"%.*s\" and "
                                   "%zu \"%.*s\")",
                                   names[i], j + 1, (int)a_len, a, i + 1, (int)b_len, b);
                goto done;
            }
        }
    }
done:
    free(mapped);
    if (rc != 0 && names) {
        for (size_t i = 0; i < count; i++)
            free(names[i]);
        free(names);
        names = NULL;
    }
    *out = names;
    return rc;
}

static void free_names(char **names, size_t count)
{
    for (size_t i = 0; i < count; i++)
        free(names[i]);
    free(names);
}

static int read_header(sop_reader *r, sop_error *err)
{
    sop_record_clear(&r->header);
    int rc = csv_record(r, &r->header, err);
    if (rc < 0)
        return -rc;
    if (rc == SOP_READ_EOF) {
        if (!r->have_header)
            return 0; /* empty input: no header, no records */
        return 0;
    }
    if (rc == SOP_READ_BAD)
        return sop_error_set(err, SOP_EXIT_DATAERR, r->file_name, r->header.line,
                             "bad header: %s", r->bad_reason);
    if (r->fields_seen > MAX_COLUMNS)
        return sop_error_set(err, SOP_EXIT_DATAERR, r->file_name, r->header.line,
                             "the header has %zu columns; at most %u are supported",
                             r->fields_seen, MAX_COLUMNS);
    char **names;
    if ((rc = map_header(r, &r->header, &names, err)) != 0)
        return rc;
    size_t count = r->header.count;
    if (!r->have_header) {
        for (size_t i = 0; i < count && rc == 0; i++)
            if (sop_schema_add(&r->schema, names[i], strlen(names[i])) < 0)
                rc = sop_error_set(err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
        r->have_header = true;
    } else if (count != r->schema.count) {
        rc = sop_error_set(err, SOP_EXIT_DATAERR, r->file_name, r->header.line,
                           "header has %zu columns but %s has %zu; the files must agree",
                           count, r->first_file, r->schema.count);
    } else {
        for (size_t i = 0; i < count && rc == 0; i++)
            if (strcmp(names[i], r->schema.names[i]) != 0)
                rc = sop_error_set(err, SOP_EXIT_DATAERR, r->file_name, r->header.line,
                                   "column %zu is \"%s\" but in %s it is \"%s\"; the "
                                   "headers must agree",
                                   i + 1, names[i], r->first_file, r->schema.names[i]);
    }
    free_names(names, count);
    return rc;
}

static int csv_next(sop_reader *r, sop_record *rec, sop_error *err)
{
    int rc = csv_record(r, rec, err);
    if (rc != SOP_READ_RECORD)
        return rc;
    if (rec->count != r->schema.count) {
        if (!keep_raw(r, r->buf + r->rec_raw_off, r->rec_raw_len))
            return -sop_error_set(err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
        snprintf(r->bad_reason, sizeof r->bad_reason, "expected %zu fields, found %zu",
                 r->schema.count, r->fields_seen);
        return SOP_READ_BAD;
    }
    return SOP_READ_RECORD;
}

/* ---- JSON Lines ----------------------------------------------------- */

/* The column for a JSON key: renamed like a header name, added to the
 * schema unless the schema is frozen (-1 then). */
/* The schema's column of that name, -1 when none (the name map catches up
 * with the schema first). */
static long schema_column(sop_reader *r, const char *name, size_t len, bool *oom)
{
    while (r->name_map.count < r->schema.count) {
        size_t i = r->name_map.count;
        bool added;
        if (sop_strmap_put(&r->name_map, r->schema.names[i], strlen(r->schema.names[i]),
                           &added) < 0) {
            *oom = true;
            return -1;
        }
        if (!added) /* two columns of one name: keep the count in step */
            return sop_schema_find(&r->schema, name);
    }
    return sop_strmap_find(&r->name_map, name, len);
}

static long key_column(sop_reader *r, const char *key, json_t *obj, bool *oom)
{
    size_t len = strlen(key);
    uint64_t h = sop_strmap_hash(key, len);
    long k = sop_strmap_find_hashed(&r->key_map, key, len, h);
    if (k >= 0)
        return r->key_col[k];
    const char *name = explicit_map(r, key, len);
    if (name == NULL && !r->opts.no_aliases) {
        const char *alias = sop_alias_lookup(key, len);
        if (alias && schema_column(r, alias, strlen(alias), oom) < 0 && !*oom &&
            json_object_get(obj, alias) == NULL)
            name = alias;
    }
    if (name == NULL)
        name = key;
    long col = schema_column(r, name, strlen(name), oom);
    if (*oom)
        return -1;
    if (col < 0) {
        if (r->schema_frozen)
            return -1;
        col = sop_schema_add(&r->schema, name, strlen(name));
        if (col < 0) {
            *oom = true;
            return -1;
        }
    }
    if (r->key_map.count == r->key_cap) {
        size_t cap = r->key_cap ? r->key_cap * 2 : 32;
        long *kc = realloc(r->key_col, cap * sizeof *kc);
        if (kc == NULL) {
            *oom = true;
            return -1;
        }
        r->key_col = kc;
        r->key_cap = cap;
    }
    bool added;
    k = sop_strmap_put_hashed(&r->key_map, key, len, h, &added);
    if (k < 0) {
        *oom = true;
        return -1;
    }
    r->key_col[k] = col;
    return col;
}

/* Shortest text that reads back as the same double. */
static int format_real(double v, char *buf, size_t size)
{
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, size, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    return (int)strlen(buf);
}

static bool set_json_value(sop_record *rec, size_t col, json_t *v)
{
    char num[40];
    switch (json_typeof(v)) {
    case JSON_STRING:
        return sop_record_set(rec, col, json_string_value(v), json_string_length(v), SOP_TEXT);
    case JSON_INTEGER: {
        int n = snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return sop_record_set(rec, col, num, (size_t)n, SOP_LITERAL);
    }
    case JSON_REAL: {
        int n = format_real(json_real_value(v), num, sizeof num);
        return sop_record_set(rec, col, num, (size_t)n, SOP_LITERAL);
    }
    case JSON_TRUE:
        return sop_record_set(rec, col, "true", 4, SOP_LITERAL);
    case JSON_FALSE:
        return sop_record_set(rec, col, "false", 5, SOP_LITERAL);
    case JSON_NULL:
        return sop_record_set(rec, col, "null", 4, SOP_LITERAL);
    default: {
        char *text = sop_json_text(v, 0, 0);
        if (text == NULL)
            return false;
        bool ok = sop_record_set(rec, col, text, strlen(text), SOP_LITERAL);
        free(text);
        return ok;
    }
    }
}

static const char *json_kind(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER:
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    case JSON_NULL: return "null";
    default: return "not an object";
    }
}

static int jsonl_next(sop_reader *r, sop_record *rec, sop_error *err)
{
    for (;;) {
        size_t ce, le;
        int g = next_line(r, rec, &ce, &le, err);
        if (g != LINE_OK)
            return g; /* end of input, a skipped over-long record, an error */
        const char *s = r->buf + r->pos;
        size_t len = ce - r->pos;
        r->rec_raw_off = r->pos;
        r->rec_raw_len = len;
        r->line_no++;
        r->pos = r->start = le;
        rec->line = r->line_no;
        rec->file = r->file_name;
        const char *t = s;
        size_t tlen = len;
        sop_text_trim(&t, &tlen);
        if (tlen == 0)
            continue;
        int checked = check_text(r, s, len, err);
        if (checked != SOP_READ_RECORD)
            return checked;
        json_error_t jerr;
        /* "\u0000" is a NUL byte, a bad record as in CSV; a key twice in one
         * object would lose a value */
        size_t flags = JSON_DECODE_ANY | JSON_REJECT_DUPLICATES;
        sop_json_mark mark = sop_json_watch();
        json_t *obj = json_loadb(s, len, flags, &jerr);
        if (obj == NULL && json_error_code(&jerr) == json_error_numeric_overflow)
            /* an integer beyond 64 bits: read it as a double, like most JSON readers */
            obj = json_loadb(s, len, flags | JSON_DECODE_INT_AS_REAL, &jerr);
        if (sop_json_out_of_memory(mark, &obj, &jerr))
            return sop_error_set(err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
        if (obj == NULL && json_error_code(&jerr) == json_error_null_character)
            return bad(r, err, s, len, "NUL character (\\u0000) in a string at column %d",
                       jerr.column);
        if (obj == NULL)
            return bad(r, err, s, len, "invalid JSON at column %d: %s", jerr.column, jerr.text);
        if (!json_is_object(obj)) {
            const char *kind = json_kind(obj);
            json_decref(obj);
            return bad(r, err, s, len, "not a JSON object (found %s)", kind);
        }
        const char *key;
        json_t *value;
        bool oom = false;
        int result = SOP_READ_RECORD;
        json_object_foreach(obj, key, value) {
            long col = key_column(r, key, obj, &oom);
            if (oom)
                break;
            if (col < 0) {
                result = bad(r, err, s, len,
                             "key \"%s\" is not among the first record's keys (CSV and TSV "
                             "output need fixed columns; use -f jsonl)",
                             key);
                break;
            }
            if (sop_record_kind(rec, (size_t)col) != SOP_ABSENT) {
                result = bad(r, err, s, len,
                             "key \"%s\" and another key both map to column \"%s\" (rename "
                             "one with --map)",
                             key, r->schema.names[col]);
                break;
            }
            if (!set_json_value(rec, (size_t)col, value)) {
                oom = true;
                break;
            }
            if (rec->values[col].len > r->max_field) {
                result = bad(r, err, s, len,
                             "field \"%s\" is %zu bytes, over the %zu-byte limit (--max-field)",
                             key, rec->values[col].len, r->max_field);
                break;
            }
        }
        json_decref(obj);
        if (oom)
            return -sop_error_set(err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
        if (result == SOP_READ_RECORD && r->opts.fixed_schema)
            r->schema_frozen = true;
        return result;
    }
}

/* ---- files and formats ---------------------------------------------- */

static enum sop_format format_by_name(const char *path)
{
    if (path == NULL || strcmp(path, "-") == 0)
        return SOP_FMT_AUTO;
    char name[512];
    snprintf(name, sizeof name, "%s", path);
    size_t n = strlen(name);
    if (n > 3 && strcasecmp(name + n - 3, ".gz") == 0)
        name[n - 3] = '\0';
    const char *dot = strrchr(name, '.');
    if (dot == NULL)
        return SOP_FMT_AUTO;
    if (strcasecmp(dot, ".csv") == 0)
        return SOP_FMT_CSV;
    if (strcasecmp(dot, ".tsv") == 0 || strcasecmp(dot, ".tab") == 0)
        return SOP_FMT_TSV;
    if (strcasecmp(dot, ".jsonl") == 0 || strcasecmp(dot, ".ndjson") == 0)
        return SOP_FMT_JSONL;
    return SOP_FMT_AUTO;
}

static enum sop_format format_by_content(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n'))
        i++;
    if (i < n && s[i] == '{')
        return SOP_FMT_JSONL;
    const char *nl = memchr(s + i, '\n', n - i);
    size_t end = nl ? (size_t)(nl - s) : n;
    bool tab = memchr(s + i, '\t', end - i) != NULL;
    bool comma = memchr(s + i, ',', end - i) != NULL;
    return (tab && !comma) ? SOP_FMT_TSV : SOP_FMT_CSV;
}

static void note(const sop_reader *r, const char *msg)
{
    if (r->opts.note)
        r->opts.note(r->opts.note_ctx, r->file_name, msg);
}

/* Opens input number `index` and, for CSV/TSV, reads its header. */
static int open_file(sop_reader *r, size_t index, sop_error *err)
{
    const char *path = r->opts.file_count ? r->opts.files[index] : NULL;
    sop_input_close(r->in);
    r->in = NULL;
    int rc = sop_input_open(&r->in, path, r->opts.encoding, err);
    if (rc != 0)
        return rc;
    snprintf(r->file_name, sizeof r->file_name, "%s", sop_input_name(r->in));
    if (index == 0)
        snprintf(r->first_file, sizeof r->first_file, "%s", r->file_name);
    r->file_index = index;
    buffer_reset(r);
    r->in_eof = false;
    r->line_no = 0;
    if (sop_input_guessed_legacy(r->in))
        note(r, "not valid UTF-8; reading it as GB18030 (say -e to choose)");
    if ((rc = refill(r, err)) != 0)
        return rc;
    if (index == 0) {
        enum sop_format fmt = r->opts.format;
        if (fmt == SOP_FMT_AUTO)
            fmt = format_by_name(path);
        if (fmt == SOP_FMT_AUTO)
            fmt = format_by_content(r->buf, r->end);
        r->format = fmt;
        r->delimiter = r->opts.delimiter ? r->opts.delimiter : (fmt == SOP_FMT_TSV ? '\t' : ',');
    }
    if (r->format == SOP_FMT_JSONL)
        return 0;
    if ((rc = csv_reset(r, err)) != 0)
        return rc;
    return read_header(r, err);
}

int sop_reader_open(sop_reader **out, const sop_reader_opts *opts, sop_error *err)
{
    sop_reader *r = calloc(1, sizeof *r);
    if (r == NULL)
        return sop_error_set(err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
    r->opts = *opts;
    if (r->opts.format != SOP_FMT_AUTO && r->opts.format != SOP_FMT_CSV &&
        r->opts.format != SOP_FMT_TSV && r->opts.format != SOP_FMT_JSONL) {
        free(r);
        return sop_error_set(err, SOP_EXIT_USAGE, NULL, 0,
                             "input format must be auto, csv, tsv or jsonl");
    }
    r->max_field = opts->max_field ? opts->max_field : DEFAULT_MAX_FIELD;
    r->max_record = r->max_field * 4 + READ_CHUNK;
    r->cap = 2 * READ_CHUNK;
    r->buf = malloc(r->cap);
    sop_schema_init(&r->schema);
    sop_record_init(&r->header);
    if (r->buf == NULL) {
        free(r);
        return sop_error_set(err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
    }
    int rc = open_file(r, 0, err);
    if (rc != 0) {
        sop_reader_close(r);
        return rc;
    }
    *out = r;
    return 0;
}

int sop_reader_next(sop_reader *r, sop_record *rec, sop_error *err)
{
    for (;;) {
        sop_record_clear(rec);
        int rc = r->format == SOP_FMT_JSONL ? jsonl_next(r, rec, err) : csv_next(r, rec, err);
        if (rc != SOP_READ_EOF)
            return rc;
        if (r->opts.file_count == 0 || r->file_index + 1 >= r->opts.file_count)
            return SOP_READ_EOF;
        r->done_bytes += sop_input_raw_offset(r->in);
        int orc = open_file(r, r->file_index + 1, err);
        if (orc != 0)
            return -orc;
    }
}

const char *sop_reader_bad_reason(const sop_reader *r) { return r->bad_reason; }
const char *sop_reader_file(const sop_reader *r) { return r->file_name; }

const char *sop_reader_bad_raw(const sop_reader *r, size_t *len)
{
    *len = r->bad_raw_len;
    return r->bad_raw ? r->bad_raw : "";
}

const sop_schema *sop_reader_schema(const sop_reader *r) { return &r->schema; }

const char *sop_reader_last_raw(const sop_reader *r, size_t *len)
{
    *len = r->rec_raw_len;
    return r->buf + r->rec_raw_off;
}
enum sop_format sop_reader_format(const sop_reader *r) { return r->format; }

uint64_t sop_reader_progress(const sop_reader *r, uint64_t *total)
{
    uint64_t size = r->in ? sop_input_raw_size(r->in) : 0;
    *total = (r->opts.file_count <= 1 && size > 0) ? size : 0;
    return r->done_bytes + (r->in ? sop_input_raw_offset(r->in) : 0);
}

void sop_reader_close(sop_reader *r)
{
    if (r == NULL)
        return;
    sop_input_close(r->in);
    if (r->csv_ready)
        csv_free(&r->csv);
    sop_strmap_free(&r->key_map);
    sop_strmap_free(&r->name_map);
    free(r->key_col);
    sop_schema_free(&r->schema);
    sop_record_free(&r->header);
    free(r->bad_raw);
    free(r->buf);
    free(r);
}
