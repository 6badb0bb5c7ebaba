#include "writer.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "text.h"

#define FLUSH_AT (1024u * 1024u)
#define TABLE_SAMPLE 1000u  /* rows buffered to size table columns */
#define TABLE_MAX_CELL 40u  /* widest table column, in cells */
#define MD_MAX_CELL 1000u   /* longest Markdown cell, in cells */

typedef struct column {
    char *name; /* as shown: one line, escaped for md */
    size_t width;
} column;

struct sop_writer {
    sop_writer_opts opts;
    int fd;
    char path[4096];
    char temp[4096];
    bool to_temp;
    bool unnamed; /* O_TMPFILE: no name until name_temp() */
    bool direct;  /* -o names a device or a pipe: written in place */
    sop_buf out;
    char delim;
    bool special[256]; /* bytes that make a CSV field need quotes */
    const char *eol;
    bool escape;
    bool header_done;
    size_t records;

    const sop_schema *input;
    const sop_schema *added;

    /* table / md: buffered rows until the widths are known */
    column *cols;
    size_t ncols;
    char **cells;       /* rows x ncols, each malloc'd */
    size_t rows, rows_cap;
    bool widths_fixed;
    bool new_table; /* text was written: the next columns start a new table */
};

void sop_buf_free(sop_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

static bool buf_reserve(sop_buf *b, size_t extra)
{
    if (b->len + extra <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + extra)
        cap *= 2;
    char *data = realloc(b->data, cap);
    if (data == NULL)
        return false;
    b->data = data;
    b->cap = cap;
    return true;
}

bool sop_buf_put(sop_buf *b, const char *s, size_t len)
{
    if (!buf_reserve(b, len + 1))
        return false;
    memcpy(b->data + b->len, s, len);
    b->len += len;
    b->data[b->len] = '\0';
    return true;
}

bool sop_buf_json_string(sop_buf *b, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    if (!buf_reserve(b, len * 6 + 3))
        return false;
    char *o = b->data + b->len;
    *o++ = '"';
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\') {
            *o++ = (char)c;
            continue;
        }
        *o++ = '\\';
        switch (c) {
        case '"': *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '\n': *o++ = 'n'; break;
        case '\r': *o++ = 'r'; break;
        case '\t': *o++ = 't'; break;
        case '\b': *o++ = 'b'; break;
        case '\f': *o++ = 'f'; break;
        default:
            *o++ = 'u';
            *o++ = '0';
            *o++ = '0';
            *o++ = hex[c >> 4];
            *o++ = hex[c & 15];
        }
    }
    *o++ = '"';
    b->len = (size_t)(o - b->data);
    b->data[b->len] = '\0';
    return true;
}

static bool put_text(sop_buf *b, const char *s)
{
    return sop_buf_put(b, s, strlen(s));
}

/* A real as jansson writes it: %.*g, ".0" when it would read back as an
 * integer, no '+' or leading zeros in the exponent. */
static bool put_real(sop_buf *b, double x, int precision)
{
    char num[64];
    int digits = precision > 0 ? precision : precision < 0 ? 15 : 17;
    int n = snprintf(num, sizeof num, "%.*g", digits, x);
    /* Round trip: the fewest of 15..17 digits that read back as x. */
    while (n > 0 && precision < 0 && digits < 17 && strtod(num, NULL) != x)
        n = snprintf(num, sizeof num, "%.*g", ++digits, x);
    if (n < 0 || (size_t)n >= sizeof num - 3)
        return false;
    if (!strchr(num, '.') && !strchr(num, 'e')) {
        memcpy(num + n, ".0", 3);
        n += 2;
    }
    char *e = strchr(num, 'e');
    if (e) {
        char *start = e + 1, *end = start + 1;
        if (*start == '-')
            start++;
        while (*end == '0')
            end++;
        if (end != start)
            memmove(start, end, strlen(end) + 1);
    }
    return put_text(b, num);
}

static bool put_indent(sop_buf *b, int indent, int depth)
{
    if (!sop_buf_put(b, "\n", 1))
        return false;
    for (int i = 0; i < indent * depth; i++)
        if (!sop_buf_put(b, " ", 1))
            return false;
    return true;
}

static bool dump(const json_t *v, int indent, int precision, int depth, sop_buf *b)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        if (json_object_size(v) == 0)
            return put_text(b, "{}");
        bool ok = put_text(b, "{");
        const char *key;
        json_t *item;
        size_t i = 0;
        json_object_foreach((json_t *)v, key, item) {
            ok = ok && (i++ == 0 || put_text(b, ",")) &&
                 (indent == 0 || put_indent(b, indent, depth + 1)) &&
                 sop_buf_json_string(b, key, strlen(key)) &&
                 put_text(b, indent ? ": " : ":") && dump(item, indent, precision, depth + 1, b);
        }
        return ok && (indent == 0 || put_indent(b, indent, depth)) && put_text(b, "}");
    }
    case JSON_ARRAY: {
        if (json_array_size(v) == 0)
            return put_text(b, "[]");
        bool ok = put_text(b, "[");
        size_t i;
        json_t *item;
        json_array_foreach(v, i, item) {
            ok = ok && (i == 0 || put_text(b, ",")) &&
                 (indent == 0 || put_indent(b, indent, depth + 1)) &&
                 dump(item, indent, precision, depth + 1, b);
        }
        return ok && (indent == 0 || put_indent(b, indent, depth)) && put_text(b, "]");
    }
    case JSON_STRING:
        return sop_buf_json_string(b, json_string_value(v), json_string_length(v));
    case JSON_INTEGER: {
        char num[32];
        snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return put_text(b, num);
    }
    case JSON_REAL: return put_real(b, json_real_value(v), precision);
    case JSON_TRUE: return put_text(b, "true");
    case JSON_FALSE: return put_text(b, "false");
    default: return put_text(b, "null");
    }
}

bool sop_json_dump(const json_t *v, int indent, int precision, sop_buf *b)
{
    return v != NULL && dump(v, indent, precision, 0, b);
}

char *sop_json_text(const json_t *v, int indent, int precision)
{
    sop_buf b = {0};
    if (!sop_json_dump(v, indent, precision, &b) || !sop_buf_put(&b, "", 1)) {
        sop_buf_free(&b);
        return NULL;
    }
    return b.data;
}

bool sop_buf_json_string_lossy(sop_buf *b, const char *s, size_t len)
{
    sop_buf clean = {0};
    size_t i = 0;
    bool ok = true;
    while (ok && i < len) {
        size_t bad_at = 0;
        if (sop_utf8_valid(s + i, len - i, false, &bad_at)) {
            ok = sop_buf_put(&clean, s + i, len - i);
            break;
        }
        ok = sop_buf_put(&clean, s + i, bad_at);
        if (ok && s[i + bad_at] == '\0')
            ok = sop_buf_put(&clean, "\0", 1); /* NUL is valid JSON when escaped */
        else if (ok)
            ok = sop_buf_put(&clean, "\xEF\xBF\xBD", 3);
        i += bad_at + 1;
    }
    ok = ok && sop_buf_json_string(b, clean.data ? clean.data : "", clean.len);
    sop_buf_free(&clean);
    return ok;
}

int sop_stdout_finish(sop_error *err)
{
    if (fflush(stdout) != 0 || ferror(stdout))
        return sop_error_set(err, SOP_EXIT_IOERR, "<stdout>", 0, "write failed: %s",
                             strerror(errno));
    return 0;
}

static int oom(sop_error *err)
{
    return sop_error_set(err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
}

static const char *out_name(const sop_writer *w)
{
    return w->opts.path && strcmp(w->opts.path, "-") != 0 ? w->opts.path : "<stdout>";
}

static int flush(sop_writer *w, sop_error *err)
{
    size_t off = 0;
    while (off < w->out.len) {
        ssize_t n = write(w->fd, w->out.data + off, w->out.len - off);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return sop_error_set(err, SOP_EXIT_IOERR, out_name(w), 0, "write failed: %s",
                                 strerror(errno));
        }
        off += (size_t)n;
    }
    w->out.len = 0;
    return 0;
}

/* The output is written to a file without a name (O_TMPFILE) in the
 * target's folder and given one only when complete, so an interrupted run
 * (a signal, a crash) leaves nothing behind.  Where the file system cannot
 * do that, a named temporary file (mkstemp) is the fallback. */
static int open_temp(sop_writer *w, const char *path, sop_error *err)
{
    char dir_copy[4096], base_copy[4096];
    snprintf(w->path, sizeof w->path, "%s", path);
    snprintf(dir_copy, sizeof dir_copy, "%s", path);
    snprintf(base_copy, sizeof base_copy, "%s", path);
    const char *dir = dirname(dir_copy);
    int n = snprintf(w->temp, sizeof w->temp, "%s/.%s.XXXXXX", dir, basename(base_copy));
    if (n < 0 || (size_t)n >= sizeof w->temp)
        return sop_error_set(err, SOP_EXIT_CANTCREAT, path, 0, "path too long");
    mode_t mask = umask(0);
    umask(mask);
#ifdef O_TMPFILE
    w->fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0666 & ~mask);
    if (w->fd >= 0) {
        w->unnamed = true;
        w->to_temp = true;
        return 0;
    }
#endif
    w->fd = mkstemp(w->temp);
    if (w->fd < 0)
        return sop_error_set(err, SOP_EXIT_CANTCREAT, path, 0, "cannot create: %s",
                             strerror(errno));
    (void)fchmod(w->fd, 0666 & ~mask);
    w->to_temp = true;
    return 0;
}

/* Gives the complete unnamed file a temporary name beside the target, so
 * rename() can then replace the target in one step. */
static int name_temp(sop_writer *w, sop_error *err)
{
    char proc[64];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", w->fd);
    size_t stem = strlen(w->temp) - 6; /* the XXXXXX */
    for (unsigned attempt = 0; attempt < 100; attempt++) {
        snprintf(w->temp + stem, sizeof w->temp - stem, "%06u", (unsigned)getpid() % 10000u * 100u + attempt);
        if (linkat(w->fd, "", AT_FDCWD, w->temp, AT_EMPTY_PATH) == 0 ||
            linkat(AT_FDCWD, proc, AT_FDCWD, w->temp, AT_SYMLINK_FOLLOW) == 0)
            return 0;
        if (errno != EEXIST)
            break;
    }
    return sop_error_set(err, SOP_EXIT_CANTCREAT, w->path, 0, "cannot name the output: %s",
                         strerror(errno));
}

int sop_writer_open(sop_writer **out, const sop_writer_opts *opts, sop_error *err)
{
    sop_writer *w = calloc(1, sizeof *w);
    if (w == NULL)
        return oom(err);
    w->opts = *opts;
    w->fd = STDOUT_FILENO;
    w->delim = opts->format == SOP_FMT_TSV ? '\t' : (opts->delimiter ? opts->delimiter : ',');
    w->eol = opts->excel ? "\r\n" : "\n";
    w->special[(unsigned char)w->delim] = true;
    w->special['"'] = w->special['\n'] = w->special['\r'] = true;
    w->escape = opts->excel || opts->safe_formulas;
    struct stat st;
    const char *path = opts->path;
    /* standard output by another name: written as "-" (reopening it would
     * lose an append redirect; renaming onto it would replace the link) */
    if (path && (strcmp(path, "/dev/stdout") == 0 || strcmp(path, "/dev/fd/1") == 0 ||
                 strcmp(path, "/proc/self/fd/1") == 0))
        path = "-";
    if (path && strcmp(path, "-") != 0 &&
        (strncmp(path, "/dev/fd/", 8) == 0 || strncmp(path, "/proc/", 6) == 0 ||
         strcmp(path, "/dev/stderr") == 0) &&
        stat(path, &st) == 0 && S_ISREG(st.st_mode))
        st.st_mode = S_IFCHR; /* a descriptor's file: written in place all the same */
    else if (path && strcmp(path, "-") != 0 && stat(path, &st) != 0)
        st.st_mode = S_IFREG;
    if (path && strcmp(path, "-") != 0 && !S_ISREG(st.st_mode)) {
        /* a device, a pipe, /dev/stdout: written to as it is - renaming a
         * file over /dev/null would replace the device */
        w->fd = S_ISDIR(st.st_mode) ? -1 : open(opts->path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
        if (w->fd < 0) {
            int rc = sop_error_set(err, SOP_EXIT_CANTCREAT, opts->path, 0, "cannot write: %s",
                                   S_ISDIR(st.st_mode) ? "a folder" : strerror(errno));
            free(w);
            return rc;
        }
        snprintf(w->path, sizeof w->path, "%s", opts->path);
        w->direct = true;
    } else if (path && strcmp(path, "-") != 0) {
        int rc = open_temp(w, path, err);
        if (rc != 0) {
            free(w);
            return rc;
        }
    }
    if (opts->excel && (opts->format == SOP_FMT_CSV || opts->format == SOP_FMT_TSV))
        if (!sop_buf_put(&w->out, "\xEF\xBB\xBF", 3)) {
            sop_writer_close(w, false, err);
            return oom(err);
        }
    *out = w;
    return 0;
}

/* ---- CSV / TSV ------------------------------------------------------ */

static bool needs_escape(const sop_writer *w, const char *s, size_t len)
{
    if (!w->escape || len == 0)
        return false;
    char c = s[0];
    if (c == '=' || c == '+' || c == '-' || c == '@' || c == '\t' || c == '\r')
        return true;
    /* the full-width forms a Chinese input method types: ＝ ＋ － ＠ */
    const unsigned char *u = (const unsigned char *)s;
    return len >= 3 && u[0] == 0xEF &&
           ((u[1] == 0xBC && (u[2] == 0x9D || u[2] == 0x8B || u[2] == 0x8D || u[2] == 0xA0)));
}

/* Appends one field with minimal quoting at o, which has room for
 * 2 * len + 3 bytes; returns the new end. */
static char *csv_field_at(const sop_writer *w, char *o, const char *s, size_t len)
{
    bool quote = false;
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < len; i++) {
        if (w->special[u[i]]) {
            quote = true;
            break;
        }
    }
    if (quote)
        *o++ = '"';
    if (needs_escape(w, s, len))
        *o++ = '\'';
    if (quote) {
        for (size_t i = 0; i < len; i++) {
            if (s[i] == '"')
                *o++ = '"';
            *o++ = s[i];
        }
        *o++ = '"';
    } else {
        memcpy(o, s, len);
        o += len;
    }
    return o;
}

static bool put_csv_field(sop_writer *w, const char *s, size_t len)
{
    if (!buf_reserve(&w->out, len * 2 + 4))
        return false;
    char *o = csv_field_at(w, w->out.data + w->out.len, s, len);
    w->out.len = (size_t)(o - w->out.data);
    return true;
}

/* The text a value shows in a text format: null and absent are empty. */
static const char *cell_text(const sop_record *rec, size_t i, size_t *len)
{
    const char *s = sop_record_text(rec, i, len);
    if (sop_record_kind(rec, i) == SOP_LITERAL && *len == 4 && memcmp(s, "null", 4) == 0)
        *len = 0;
    return s;
}

static int csv_header(sop_writer *w, sop_error *err)
{
    size_t k = 0;
    const sop_schema *parts[2] = {w->input, w->added};
    for (int p = 0; p < 2; p++) {
        for (size_t i = 0; parts[p] && i < parts[p]->count; i++, k++) {
            if ((k > 0 && !sop_buf_put(&w->out, &w->delim, 1)) ||
                !put_csv_field(w, parts[p]->names[i], strlen(parts[p]->names[i])))
                return oom(err);
        }
    }
    if (!sop_buf_put(&w->out, w->eol, strlen(w->eol)))
        return oom(err);
    return 0;
}

static int csv_record(sop_writer *w, const sop_record *rec, const sop_record *extra,
                      sop_error *err)
{
    size_t n_in = w->input ? w->input->count : 0;
    size_t n_add = w->added ? w->added->count : 0;
    /* room for the worst case (every byte a quote, every field quoted and
     * escaped) once, then plain pointer writes: this runs per record */
    size_t bound = 2 * (rec->used + (extra ? extra->used : 0)) + 4 * (n_in + n_add) + 4;
    if (!buf_reserve(&w->out, bound))
        return oom(err);
    char *o = w->out.data + w->out.len;
    size_t i = 0;
    if (rec->raw && rec->raw_delim == w->delim && !w->escape && rec->count == n_in) {
        /* an unquoted input line: its fields need no quoting, copy it whole */
        memcpy(o, rec->raw, rec->raw_len);
        o += rec->raw_len;
        i = n_in;
    }
    for (; i < n_in + n_add; i++) {
        size_t len;
        const char *s = i < n_in ? cell_text(rec, i, &len) : cell_text(extra, i - n_in, &len);
        if (i > 0)
            *o++ = w->delim;
        o = csv_field_at(w, o, s, len);
    }
    for (const char *e = w->eol; *e; e++)
        *o++ = *e;
    w->out.len = (size_t)(o - w->out.data);
    return 0;
}

/* ---- JSON Lines / JSON ---------------------------------------------- */

static bool put_json_value(sop_buf *b, const sop_record *rec, size_t i)
{
    size_t len;
    const char *s = sop_record_text(rec, i, &len);
    if (sop_record_kind(rec, i) == SOP_LITERAL)
        return sop_buf_put(b, s, len);
    return sop_buf_json_string(b, s, len);
}

static int json_record(sop_writer *w, const sop_record *rec, const sop_record *extra,
                       sop_error *err)
{
    if (w->opts.format == SOP_FMT_JSON && !sop_buf_put(&w->out, w->records ? ",\n" : "[\n", 2))
        return oom(err);
    if (!sop_buf_put(&w->out, "{", 1))
        return oom(err);
    bool first = true;
    const sop_schema *parts[2] = {w->input, w->added};
    const sop_record *recs[2] = {rec, extra};
    for (int p = 0; p < 2; p++) {
        for (size_t i = 0; parts[p] && recs[p] && i < parts[p]->count; i++) {
            if (sop_record_kind(recs[p], i) == SOP_ABSENT)
                continue;
            const char *name = parts[p]->names[i];
            if ((!first && !sop_buf_put(&w->out, ",", 1)) ||
                !sop_buf_json_string(&w->out, name, strlen(name)) ||
                !sop_buf_put(&w->out, ":", 1) || !put_json_value(&w->out, recs[p], i))
                return oom(err);
            first = false;
        }
    }
    if (!sop_buf_put(&w->out, w->opts.format == SOP_FMT_JSON ? "}" : "}\n",
                     w->opts.format == SOP_FMT_JSON ? 1 : 2))
        return oom(err);
    return 0;
}

/* ---- table / Markdown ----------------------------------------------- */

static char *cell_copy(const char *s, size_t len, bool md, bool last)
{
    /* one line per cell: control characters become spaces; | escaped in md.
     * A table shows TABLE_MAX_CELL cells at most (but its last column
     * whole) and Markdown is for reports: keep no more than that of a long
     * value in memory */
    size_t keep = sop_text_fit(s, len, md || last ? MD_MAX_CELL : TABLE_MAX_CELL + 1);
    if (keep < len)
        len = keep;
    char *c = malloc(len * 2 + 1);
    if (c == NULL)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < len; i++) {
        char ch = s[i];
        if (ch == '\n' || ch == '\r' || ch == '\t')
            ch = ' ';
        if (md && ch == '|')
            c[k++] = '\\';
        c[k++] = ch;
    }
    c[k] = '\0';
    return c;
}

static int table_setup(sop_writer *w, sop_error *err)
{
    size_t n_in = w->input ? w->input->count : 0;
    size_t n_add = w->added ? w->added->count : 0;
    if (w->cols && w->ncols == n_in + n_add && !w->new_table)
        return 0;
    if (w->rows > 0)
        return sop_error_set(err, SOP_EXIT_DATAERR, NULL, 0,
                             "columns changed in the middle of a table; use -f jsonl");
    w->new_table = false;
    w->widths_fixed = false;
    for (size_t i = 0; w->cols && i < w->ncols; i++)
        free(w->cols[i].name);
    free(w->cols);
    /* the row buffer was sized for the old columns: a wider table needs
     * its own (no rows are held here) */
    free(w->cells);
    w->cells = NULL;
    w->rows_cap = 0;
    w->ncols = n_in + n_add;
    w->cols = calloc(w->ncols ? w->ncols : 1, sizeof *w->cols);
    if (w->cols == NULL)
        return oom(err);
    bool md = w->opts.format == SOP_FMT_MD;
    for (size_t i = 0; i < w->ncols; i++) {
        const char *name = i < n_in ? w->input->names[i] : w->added->names[i - n_in];
        w->cols[i].name = cell_copy(name, strlen(name), md, i + 1 == w->ncols);
        if (w->cols[i].name == NULL)
            return oom(err);
        size_t wd = sop_text_width(w->cols[i].name, strlen(w->cols[i].name));
        w->cols[i].width = wd < 3 ? 3 : wd;
    }
    return 0;
}

static bool put_padded(sop_writer *w, const char *s, size_t cells)
{
    size_t len = strlen(s);
    size_t width = sop_text_width(s, len);
    if (width > cells) {
        size_t fit = sop_text_fit(s, len, cells - 1);
        width = sop_text_width(s, fit) + 1;
        if (!sop_buf_put(&w->out, s, fit) || !sop_buf_put(&w->out, "\xE2\x80\xA6", 3))
            return false;
    } else if (!sop_buf_put(&w->out, s, len)) {
        return false;
    }
    for (; width < cells; width++)
        if (!sop_buf_put(&w->out, " ", 1))
            return false;
    return true;
}

static bool table_line(sop_writer *w, char *const *cells, const char *const *names)
{
    bool md = w->opts.format == SOP_FMT_MD;
    if (md && !sop_buf_put(&w->out, "| ", 2))
        return false;
    for (size_t i = 0; i < w->ncols; i++) {
        const char *s = cells ? cells[i] : names[i];
        bool last = i + 1 == w->ncols;
        /* the last column of a table aligns nothing after it: shown whole */
        if (last && !md ? !sop_buf_put(&w->out, s, strlen(s))
                        : !put_padded(w, s, w->cols[i].width))
            return false;
        if (md) {
            if (!sop_buf_put(&w->out, last ? " |" : " | ", last ? 2 : 3))
                return false;
        } else if (!last && !sop_buf_put(&w->out, "  ", 2)) {
            return false;
        }
    }
    if (!md) { /* no trailing blanks */
        while (w->out.len > 0 && w->out.data[w->out.len - 1] == ' ')
            w->out.len--;
    }
    return sop_buf_put(&w->out, "\n", 1);
}

static int table_flush_rows(sop_writer *w, sop_error *err)
{
    if (!w->widths_fixed) {
        const char **names = calloc(w->ncols ? w->ncols : 1, sizeof *names);
        if (names == NULL)
            return oom(err);
        for (size_t i = 0; i < w->ncols; i++)
            names[i] = w->cols[i].name;
        bool ok = table_line(w, NULL, names);
        free(names);
        if (!ok)
            return oom(err);
        if (w->opts.format == SOP_FMT_MD) {
            ok = sop_buf_put(&w->out, "|", 1);
            for (size_t i = 0; ok && i < w->ncols; i++) {
                ok = sop_buf_put(&w->out, "-", 1);
                for (size_t k = 0; ok && k < w->cols[i].width; k++)
                    ok = sop_buf_put(&w->out, "-", 1);
                ok = ok && sop_buf_put(&w->out, "-|", 2);
            }
            if (!ok || !sop_buf_put(&w->out, "\n", 1))
                return oom(err);
        }
        w->widths_fixed = true;
    }
    int rc = 0;
    for (size_t r = 0; r < w->rows && rc == 0; r++) {
        if (!table_line(w, w->cells + r * w->ncols, NULL))
            rc = oom(err);
        else if (w->out.len >= FLUSH_AT)
            rc = flush(w, err);
    }
    /* the rows are done with, printed or not: free them once, here */
    for (size_t i = 0; i < w->rows * w->ncols; i++)
        free(w->cells[i]);
    w->rows = 0;
    return rc;
}

static int table_record(sop_writer *w, const sop_record *rec, const sop_record *extra,
                        sop_error *err)
{
    if (w->rows == w->rows_cap) {
        size_t cap = w->rows_cap ? w->rows_cap * 2 : 64;
        char **cells = realloc(w->cells, cap * w->ncols * sizeof *cells + 1);
        if (cells == NULL)
            return oom(err);
        w->cells = cells;
        w->rows_cap = cap;
    }
    size_t n_in = w->input ? w->input->count : 0;
    bool md = w->opts.format == SOP_FMT_MD;
    char **row = w->cells + w->rows * w->ncols;
    for (size_t i = 0; i < w->ncols; i++) {
        size_t len;
        const char *s = i < n_in ? cell_text(rec, i, &len) : cell_text(extra, i - n_in, &len);
        row[i] = cell_copy(s, len, md, i + 1 == w->ncols);
        if (row[i] == NULL) {
            for (size_t k = 0; k < i; k++)
                free(row[k]);
            return oom(err);
        }
        if (!w->widths_fixed) {
            size_t wd = sop_text_width(row[i], strlen(row[i]));
            if (wd > TABLE_MAX_CELL)
                wd = TABLE_MAX_CELL;
            if (wd > w->cols[i].width)
                w->cols[i].width = wd;
        }
    }
    w->rows++;
    if (w->widths_fixed || w->rows >= TABLE_SAMPLE)
        return table_flush_rows(w, err);
    return 0;
}

/* ---- the interface -------------------------------------------------- */

int sop_writer_columns(sop_writer *w, const sop_schema *input, const sop_schema *added,
                       sop_error *err)
{
    w->input = input;
    w->added = added;
    switch (w->opts.format) {
    case SOP_FMT_CSV:
    case SOP_FMT_TSV:
        if (w->header_done || input == NULL || input->count == 0)
            return 0;
        w->header_done = true;
        return csv_header(w, err);
    case SOP_FMT_TABLE:
    case SOP_FMT_MD:
        if (input == NULL || input->count == 0)
            return 0;
        return table_setup(w, err);
    default:
        return 0;
    }
}

int sop_writer_record(sop_writer *w, const sop_record *rec, const sop_record *extra,
                      sop_error *err)
{
    int rc;
    switch (w->opts.format) {
    case SOP_FMT_JSONL:
    case SOP_FMT_JSON:
        rc = json_record(w, rec, extra, err);
        break;
    case SOP_FMT_TABLE:
    case SOP_FMT_MD:
        if ((rc = table_setup(w, err)) == 0)
            rc = table_record(w, rec, extra, err);
        break;
    default:
        rc = csv_record(w, rec, extra, err);
        break;
    }
    if (rc != 0)
        return rc;
    w->records++;
    if (w->out.len >= FLUSH_AT)
        return flush(w, err);
    return 0;
}

int sop_writer_text(sop_writer *w, const char *text, size_t len, sop_error *err)
{
    if ((w->opts.format == SOP_FMT_TABLE || w->opts.format == SOP_FMT_MD) && w->cols) {
        if (w->rows > 0 || !w->widths_fixed) {
            int rc = table_flush_rows(w, err);
            if (rc != 0)
                return rc;
        }
        w->new_table = true;
    }
    if (!sop_buf_put(&w->out, text, len))
        return oom(err);
    return w->out.len >= FLUSH_AT ? flush(w, err) : 0;
}

/* The rename is durable once the folder's entry is on disk: a power cut
 * right after a run must not bring the old file back. */
static int sync_folder(const sop_writer *w, sop_error *err)
{
    char copy[sizeof w->path];
    snprintf(copy, sizeof copy, "%s", w->path);
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return 0; /* a folder we may not open: nothing more to do */
    /* best effort: the file is complete and in place by now, so a failure
     * here is not reported as a failed write (it would claim the old file
     * stands when the new one does) */
    (void)err;
    (void)fsync(fd);
    close(fd);
    return 0;
}

int sop_writer_close(sop_writer *w, bool commit, sop_error *err)
{
    int rc = 0;
    if (commit) {
        if ((w->opts.format == SOP_FMT_TABLE || w->opts.format == SOP_FMT_MD) && w->cols &&
            (w->rows > 0 || !w->widths_fixed))
            rc = table_flush_rows(w, err);
        if (rc == 0 && w->opts.format == SOP_FMT_JSON &&
            !sop_buf_put(&w->out, w->records ? "\n]\n" : "[]\n", w->records ? 3 : 3))
            rc = oom(err);
        if (rc == 0)
            rc = flush(w, err);
        if (rc == 0 && w->to_temp && fsync(w->fd) != 0)
            rc = sop_error_set(err, SOP_EXIT_IOERR, w->path, 0, "fsync failed: %s",
                               strerror(errno));
    }
    for (size_t r = 0; r < w->rows; r++)
        for (size_t i = 0; i < w->ncols; i++)
            free(w->cells[r * w->ncols + i]);
    if (w->direct && close(w->fd) != 0 && rc == 0 && commit)
        rc = sop_error_set(err, SOP_EXIT_IOERR, w->path, 0, "close failed: %s", strerror(errno));
    if (w->to_temp) {
        bool named = !w->unnamed;
        if (commit && rc == 0 && w->unnamed) {
            rc = name_temp(w, err);
            named = rc == 0;
        }
        if (close(w->fd) != 0 && rc == 0 && commit)
            rc = sop_error_set(err, SOP_EXIT_IOERR, w->path, 0, "close failed: %s",
                               strerror(errno));
        if (commit && rc == 0 && rename(w->temp, w->path) != 0)
            rc = sop_error_set(err, SOP_EXIT_CANTCREAT, w->path, 0, "cannot rename into place: %s",
                               strerror(errno));
        if (commit && rc == 0)
            rc = sync_folder(w, err);
        if (named && (!commit || rc != 0))
            unlink(w->temp);
    }
    free(w->cells);
    for (size_t i = 0; w->cols && i < w->ncols; i++)
        free(w->cols[i].name);
    free(w->cols);
    sop_buf_free(&w->out);
    free(w);
    return rc;
}
