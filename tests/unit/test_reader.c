/* test_reader.c - unit tests of lib/io/reader.c over lib/io/input.c:
 * CSV (RFC 4180, line ends, quoted line breaks and physical line numbers,
 * blank lines, BOM), bad records (ragged rows, unterminated quotes, long
 * fields, NUL, invalid UTF-8) and resynchronisation after them, encodings
 * (GBK, UTF-16 with BOM), gzip (members, truncation), TSV, JSON Lines
 * (types, bad lines, schemas), format detection, header aliases, --map,
 * header errors and several input files.
 *
 * Every input is written to a temp file under /tmp (mkstemps) and removed
 * at the end of its test.  Legacy encodings are produced with glibc iconv
 * and gzip with zlib, independent of the code under test. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "reader.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_TEMPS 16

/* ---- temp files ------------------------------------------------------------ */

static char temps[MAX_TEMPS][64];
static size_t temp_count;

static int cleanup(void **state)
{
    (void)state;
    for (size_t i = 0; i < temp_count; i++)
        unlink(temps[i]);
    temp_count = 0;
    return 0;
}

/* A new empty temp file whose name ends in suffix ("" for none). */
static const char *temp_path(const char *suffix)
{
    assert_true(temp_count < MAX_TEMPS);
    char *path = temps[temp_count];
    snprintf(path, sizeof temps[0], "/tmp/sop_reader_XXXXXX%s", suffix);
    int fd = mkstemps(path, (int)strlen(suffix));
    assert_true(fd >= 0);
    close(fd);
    temp_count++;
    return path;
}

static const char *write_temp(const char *suffix, const void *data, size_t len)
{
    const char *path = temp_path(suffix);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    return path;
}

static const char *write_text(const char *suffix, const char *text)
{
    return write_temp(suffix, text, strlen(text));
}

/* Appends one gzip member holding data to path (mode "wb" or "ab"). */
static void gzip_member(const char *path, const char *mode, const void *data, size_t len)
{
    gzFile gz = gzopen(path, mode);
    assert_non_null(gz);
    if (len > 0)
        assert_int_equal(gzwrite(gz, data, (unsigned)len), (int)len);
    assert_int_equal(gzclose(gz), Z_OK);
}

static size_t file_size(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fclose(f);
    return (size_t)n;
}

/* Converts UTF-8 text to `to` with iconv; *out_len gets the length. */
static char *convert(const char *to, const char *text, size_t *out_len)
{
    iconv_t cd = iconv_open(to, "UTF-8");
    assert_true(cd != (iconv_t)-1);
    size_t in_left = strlen(text);
    size_t cap = in_left * 4 + 16;
    char *out = malloc(cap);
    assert_non_null(out);
    char *inp = (char *)text, *outp = out;
    size_t out_left = cap;
    assert_true(iconv(cd, &inp, &in_left, &outp, &out_left) != (size_t)-1);
    iconv_close(cd);
    *out_len = cap - out_left;
    return out;
}

/* ---- reading ---------------------------------------------------------------- */

typedef struct notes {
    int count;
    char last[512];
} notes;

static void on_note(void *ctx, const char *file, const char *message)
{
    notes *n = ctx;
    (void)file;
    n->count++;
    snprintf(n->last, sizeof n->last, "%s", message);
}

typedef struct rd {
    sop_reader *r;
    sop_record rec;
    sop_error err;
    sop_reader_opts opts;
    const char *files[4];
    notes notes;
} rd;

static void rd_opts(rd *t)
{
    memset(t, 0, sizeof *t);
    sop_record_init(&t->rec);
    sop_error_clear(&t->err);
    t->opts.note = on_note;
    t->opts.note_ctx = &t->notes;
}

/* Opens the files already set in t->opts; returns the status. */
static int rd_open_opts(rd *t)
{
    return sop_reader_open(&t->r, &t->opts, &t->err);
}

static void rd_open(rd *t, const char *path)
{
    t->files[0] = path;
    t->opts.files = t->files;
    t->opts.file_count = 1;
    int rc = rd_open_opts(t);
    if (rc != 0)
        fail_msg("sop_reader_open(%s): %d %s", path, rc, t->err.msg);
}

static void rd_close(rd *t)
{
    sop_reader_close(t->r);
    t->r = NULL;
    sop_record_free(&t->rec);
}

static int rd_next(rd *t)
{
    return sop_reader_next(t->r, &t->rec, &t->err);
}

static void expect_schema(const rd *t, size_t n, ...)
{
    const sop_schema *s = sop_reader_schema(t->r);
    if (s->count != n)
        fail_msg("schema has %zu columns, expected %zu", s->count, n);
    va_list ap;
    va_start(ap, n);
    for (size_t i = 0; i < n; i++) {
        const char *want = va_arg(ap, const char *);
        if (strcmp(s->names[i], want) != 0)
            fail_msg("column %zu is \"%s\", expected \"%s\"", i, s->names[i], want);
    }
    va_end(ap);
}

/* The next read must give a good record starting at `line` holding the n
 * given texts (as SOP_TEXT values). */
static void expect_record(rd *t, long line, size_t n, ...)
{
    int rc = rd_next(t);
    if (rc != SOP_READ_RECORD)
        fail_msg("expected a record at line %ld, got %d (%s%s)", line, rc,
                 rc == SOP_READ_BAD ? sop_reader_bad_reason(t->r) : t->err.msg,
                 "");
    if (t->rec.line != line)
        fail_msg("record at line %ld, expected line %ld", t->rec.line, line);
    if (t->rec.count != n)
        fail_msg("record at line %ld has %zu values, expected %zu", line, t->rec.count, n);
    va_list ap;
    va_start(ap, n);
    for (size_t i = 0; i < n; i++) {
        const char *want = va_arg(ap, const char *);
        size_t len;
        const char *got = sop_record_text(&t->rec, i, &len);
        if (len != strlen(want) || memcmp(got, want, len) != 0)
            fail_msg("line %ld value %zu is \"%.*s\" (%zu bytes), expected \"%s\"", line, i,
                     (int)len, got, len, want);
        if (sop_record_kind(&t->rec, i) != SOP_TEXT)
            fail_msg("line %ld value %zu is not text", line, i);
    }
    va_end(ap);
}

/* The next read must be a bad record at `line` whose reason contains
 * `reason` and whose raw text is `raw` (NULL: not checked). */
static void expect_bad(rd *t, long line, const char *reason, const char *raw)
{
    int rc = rd_next(t);
    if (rc != SOP_READ_BAD)
        fail_msg("expected a bad record at line %ld, got %d (%s)", line, rc,
                 rc < 0 ? t->err.msg : "");
    if (t->rec.line != line)
        fail_msg("bad record at line %ld, expected line %ld (reason: %s)", t->rec.line, line,
                 sop_reader_bad_reason(t->r));
    const char *why = sop_reader_bad_reason(t->r);
    if (strstr(why, reason) == NULL)
        fail_msg("bad record reason \"%s\" lacks \"%s\"", why, reason);
    if (raw != NULL) {
        size_t len;
        const char *got = sop_reader_bad_raw(t->r, &len);
        if (len != strlen(raw) || memcmp(got, raw, len) != 0)
            fail_msg("bad record raw text is \"%.*s\" (%zu bytes), expected \"%s\"",
                     (int)(len > 200 ? 200 : len), got, len, raw);
    }
}

static void expect_eof(rd *t)
{
    int rc = rd_next(t);
    if (rc != SOP_READ_EOF)
        fail_msg("expected the end of input, got %d (%s)", rc,
                 rc == SOP_READ_BAD ? sop_reader_bad_reason(t->r) : t->err.msg);
    /* and it stays there */
    assert_int_equal(rd_next(t), SOP_READ_EOF);
}

/* Reads one CSV text (file suffix .csv) and opens it. */
static void rd_csv(rd *t, const char *text)
{
    rd_opts(t);
    rd_open(t, write_text(".csv", text));
}

/* ---- CSV basics ------------------------------------------------------------- */

static void test_csv_simple(void **state)
{
    (void)state;
    rd t;
    rd_csv(&t, "a,b,c\n1,2,3\n4,5,6\n");
    assert_int_equal(sop_reader_format(t.r), SOP_FMT_CSV);
    expect_schema(&t, 3, "a", "b", "c");
    expect_record(&t, 2, 3, "1", "2", "3");
    assert_non_null(t.rec.file);
    assert_string_equal(t.rec.file, t.files[0]);
    expect_record(&t, 3, 3, "4", "5", "6");
    expect_eof(&t);
    rd_close(&t);
}

static void test_csv_no_final_newline(void **state)
{
    (void)state;
    rd t;
    rd_csv(&t, "a,b\n1,2");
    expect_record(&t, 2, 2, "1", "2");
    expect_eof(&t);
    rd_close(&t);
}

static void test_csv_spaces_kept(void **state)
{
    (void)state;
    rd t;
    rd_csv(&t, "a,b,c\n  x , y ,\n \t, ,z  \n");
    expect_record(&t, 2, 3, "  x ", " y ", "");
    expect_record(&t, 3, 3, " \t", " ", "z  ");
    expect_eof(&t);
    rd_close(&t);
}

static void test_csv_quoted_fields(void **state)
{
    (void)state;
    rd t;
    rd_csv(&t, "a,b,c\n\"x,1\",\"y\",\"\"\n\"\",\"  sp  \",plain\n");
    expect_record(&t, 2, 3, "x,1", "y", "");
    expect_record(&t, 3, 3, "", "  sp  ", "plain");
    expect_eof(&t);
    rd_close(&t);
}

static void test_csv_escaped_quotes(void **state)
{
    (void)state;
    rd t;
    rd_csv(&t, "a,b\n\"he said \"\"hi\"\"\",\"\"\"\"\n\"a\"\"\",x\n");
    expect_record(&t, 2, 2, "he said \"hi\"", "\"");
    expect_record(&t, 3, 2, "a\"", "x");
    expect_eof(&t);
    rd_close(&t);
}

static void test_csv_line_ends(void **state)
{
    (void)state;
    rd t;
    /* CRLF, LF and lone CR mixed in one file */
    rd_csv(&t, "a,b\r\n1,2\r\n3,4\n5,6\r7,8\r\n9,10\r");
    expect_schema(&t, 2, "a", "b");
    expect_record(&t, 2, 2, "1", "2");
    expect_record(&t, 3, 2, "3", "4");
    expect_record(&t, 4, 2, "5", "6");
    expect_record(&t, 5, 2, "7", "8");
    expect_record(&t, 6, 2, "9", "10");
    expect_eof(&t);
    rd_close(&t);
}

static void test_csv_cr_only_file(void **state)
{
    (void)state;
    rd t;
    rd_csv(&t, "a,b\r1,2\r3,4\r");
    expect_schema(&t, 2, "a", "b");
    expect_record(&t, 2, 2, "1", "2");
    expect_record(&t, 3, 2, "3", "4");
    expect_eof(&t);
    rd_close(&t);
}

static void test_csv_quoted_newlines_and_lines(void **state)
{
    (void)state;
    rd t;
    rd_csv(&t, "a,b\n"
               "\"x\ny\",1\n"               /* lines 2-3 */
               "\"p\r\nq\r\nr\",2\n"        /* lines 4-6 */
               "3,\"s\rt\"\n"               /* lines 7-8 (lone CR) */
               "4,4\n");                    /* line 9 */
    expect_record(&t, 2, 2, "x\ny", "1");
    expect_record(&t, 4, 2, "p\r\nq\r\nr", "2");
    expect_record(&t, 7, 2, "3", "s\rt");
    expect_record(&t, 9, 2, "4", "4");
    expect_eof(&t);
    rd_close(&t);
}

static void test_csv_quoted_header_newline(void **state)
{
    (void)state;
    rd t;
    rd_csv(&t, "\"first\nname\",b\n1,2\n");
    expect_schema(&t, 2, "first\nname", "b");
    expect_record(&t, 3, 2, "1", "2");
    expect_eof(&t);
    rd_close(&t);
}

static void test_csv_blank_lines(void **state)
{
    (void)state;
    rd t;
    rd_csv(&t, "a,b\n\n1,2\n\n\n3,4\r\n\r\n5,6\n\n");
    expect_record(&t, 3, 2, "1", "2");
    expect_record(&t, 6, 2, "3", "4");
    expect_record(&t, 8, 2, "5", "6");
    expect_eof(&t);
    rd_close(&t);
}

static void test_csv_single_column_empty_quoted(void **state)
{
    (void)state;
    rd t;
    /* a quoted empty field is a record, not a blank line */
    rd_csv(&t, "a\nx\n\"\"\ny\n");
    expect_record(&t, 2, 1, "x");
    expect_record(&t, 3, 1, "");
    expect_record(&t, 4, 1, "y");
    expect_eof(&t);
    rd_close(&t);
}

static void test_csv_bom_quoted_header(void **state)
{
    (void)state;
    rd t;
    rd_csv(&t, "\xEF\xBB\xBF\"lead_id\",\"company\"\r\n1,Acme\r\n");
    expect_schema(&t, 2, "lead_id", "company");
    expect_record(&t, 2, 2, "1", "Acme");
    expect_eof(&t);
    rd_close(&t);
}

static void test_csv_bom_plain_header(void **state)
{
    (void)state;
    rd t;
    rd_csv(&t, "\xEF\xBB\xBFlead_id,company\n1,Acme\n");
    expect_schema(&t, 2, "lead_id", "company");
    expect_record(&t, 2, 2, "1", "Acme");
    rd_close(&t);
}

static void test_csv_empty_input(void **state)
{
    (void)state;
    rd t;
    rd_csv(&t, "");
    assert_int_equal(sop_reader_schema(t.r)->count, 0);
    expect_eof(&t);
    rd_close(&t);
}

static void test_csv_header_only(void **state)
{
    (void)state;
    rd t;
    rd_csv(&t, "a,b\n");
    expect_schema(&t, 2, "a", "b");
    expect_eof(&t);
    rd_close(&t);
}

static void test_csv_delimiter(void **state)
{
    (void)state;
    rd t;
    rd_opts(&t);
    t.opts.delimiter = ';';
    rd_open(&t, write_text(".csv", "a;b\n1,5;\"x;y\"\n"));
    expect_schema(&t, 2, "a", "b");
    expect_record(&t, 2, 2, "1,5", "x;y");
    expect_eof(&t);
    rd_close(&t);
}

/* ---- bad CSV records ---------------------------------------------------------- */

static void test_csv_ragged_rows(void **state)
{
    (void)state;
    rd t;
    rd_csv(&t, "a,b\n1,2,3\n4\n5,6\n\"x\ny\",2,3\n7,8\n");
    expect_bad(&t, 2, "expected 2 fields, found 3", "1,2,3");
    expect_bad(&t, 3, "expected 2 fields, found 1", "4");
    expect_record(&t, 4, 2, "5", "6");
    expect_bad(&t, 5, "found 3", "\"x\ny\",2,3");
    expect_record(&t, 7, 2, "7", "8");
    expect_eof(&t);
    rd_close(&t);
}

static void test_csv_unterminated_quote_at_eof(void **state)
{
    (void)state;
    rd t;
    rd_csv(&t, "a,b\n1,2\n3,\"abc\ndef\n5,6\n");
    expect_record(&t, 2, 2, "1", "2");
    /* only the line that opened the quote is rejected; reading resumes on
     * the next line, so a good row after it is not lost */
    expect_bad(&t, 3, "unterminated", "3,\"abc");
    expect_bad(&t, 4, "field", "def");
    expect_record(&t, 5, 2, "5", "6");
    expect_eof(&t);
    rd_close(&t);
}

static void test_csv_unterminated_quote_no_newline(void **state)
{
    (void)state;
    rd t;
    rd_csv(&t, "a,b\n1,\"abc");
    expect_bad(&t, 2, "unterminated", "1,\"abc");
    expect_eof(&t);
    rd_close(&t);
}

static void test_csv_field_over_max(void **state)
{
    (void)state;
    rd t;
    rd_opts(&t);
    t.opts.max_field = 8;
    rd_open(&t, write_text(".csv", "a,b\n12345678,x\n123456789,y\nok,\"abcdefghi\"\nok,z\n"));
    expect_record(&t, 2, 2, "12345678", "x");            /* exactly the limit */
    expect_bad(&t, 3, "--max-field", "123456789,y");
    expect_bad(&t, 4, "--max-field", "ok,\"abcdefghi\"");
    expect_record(&t, 5, 2, "ok", "z");
    expect_eof(&t);
    rd_close(&t);
}

/* A quoted field of about 600 KB spanning 600 lines, far over the record
 * limit: the reader must skip it as one bad record and then read the next
 * good record with its right line number. */
static void test_csv_huge_record_resync(void **state)
{
    (void)state;
    const size_t lines = 600, per_line = 1000;
    size_t cap = lines * (per_line + 1) + 256;
    char *text = malloc(cap);
    assert_non_null(text);
    size_t n = (size_t)sprintf(text, "a,b\n1,2\n\"");
    for (size_t l = 0; l < lines; l++) {
        memset(text + n, 'x', per_line);
        n += per_line;
        text[n++] = '\n';
        if (l == 10) { /* a doubled quote and a comma inside the field */
            memcpy(text + n, "\"\",", 3);
            n += 3;
        }
    }
    n += (size_t)sprintf(text + n, "\",9\nok,y\n");
    rd t;
    rd_opts(&t);
    t.opts.max_field = 16;
    rd_open(&t, write_temp(".csv", text, n));
    free(text);
    expect_record(&t, 2, 2, "1", "2");
    /* the field starts on line 3 and spans 601 physical lines */
    expect_bad(&t, 3, "", NULL);
    expect_record(&t, 3 + (long)lines + 1, 2, "ok", "y");
    expect_eof(&t);
    rd_close(&t);
}

/* An unquoted line of 2 MB (no line end inside), then good records. */
static void test_csv_huge_line_resync(void **state)
{
    (void)state;
    size_t big = 2u * 1024u * 1024u;
    char *text = malloc(big + 64);
    assert_non_null(text);
    size_t n = (size_t)sprintf(text, "a,b\n");
    memset(text + n, 'z', big);
    n += big;
    n += (size_t)sprintf(text + n, ",1\nok,y\nok2,\"q\"\n");
    rd t;
    rd_opts(&t);
    t.opts.max_field = 1000;
    rd_open(&t, write_temp(".csv", text, n));
    free(text);
    expect_bad(&t, 2, "", NULL);
    size_t raw_len;
    (void)sop_reader_bad_raw(t.r, &raw_len);
    assert_true(raw_len > 0);
    expect_record(&t, 3, 2, "ok", "y");
    expect_record(&t, 4, 2, "ok2", "q");
    expect_eof(&t);
    rd_close(&t);
}

static void test_csv_nul_byte(void **state)
{
    (void)state;
    static const char text[] = "a,b\n1,x\0y\n2,z\n";
    rd t;
    rd_opts(&t);
    rd_open(&t, write_temp(".csv", text, sizeof text - 1));
    expect_bad(&t, 2, "NUL", NULL);
    size_t len;
    const char *raw = sop_reader_bad_raw(t.r, &len);
    assert_int_equal(len, 5);
    assert_memory_equal(raw, "1,x\0y", 5);
    expect_record(&t, 3, 2, "2", "z");
    expect_eof(&t);
    rd_close(&t);
}

static void test_csv_invalid_utf8(void **state)
{
    (void)state;
    rd t;
    rd_opts(&t);
    t.opts.encoding = SOP_ENC_UTF8;
    rd_open(&t, write_text(".csv", "a,b\n1,ok\n2,\xC3\x28 bad\n3,\xED\xA0\x80\n4,é\n"));
    expect_record(&t, 2, 2, "1", "ok");
    expect_bad(&t, 3, "undecodable", "2,\xC3\x28 bad");
    expect_bad(&t, 4, "undecodable", NULL);  /* an encoded surrogate */
    expect_record(&t, 5, 2, "4", "é");
    expect_eof(&t);
    rd_close(&t);
}

/* ---- encodings ------------------------------------------------------------------ */

static const char *cn_text = "客户名称,预算,商圈\n华为技术,50万,陆家嘴\n小米,￥30000,中关村\n";

static void expect_cn_records(rd *t)
{
    expect_schema(t, 3, "company", "budget", "district");
    expect_record(t, 2, 3, "华为技术", "50万", "陆家嘴");
    expect_record(t, 3, 3, "小米", "￥30000", "中关村");
    expect_eof(t);
}

/* A bad sequence met just when the caller's buffer is full: iconv says
 * EILSEQ before it looks for room, and the mark for the bad bytes must
 * wait for the next read, not go one byte past the buffer (found by
 * fuzz_encoding).  UTF-16LE: 16 x 'A' fill a 16-byte read exactly, then a
 * lone low surrogate. */
static void test_input_bad_sequence_at_buffer_end(void **state)
{
    (void)state;
    unsigned char data[2 * 16 + 2 + 2];
    for (size_t i = 0; i < 16; i++) {
        data[2 * i] = 'A';
        data[2 * i + 1] = 0;
    }
    data[32] = 0x00; data[33] = 0xDC; /* U+DC00 alone */
    data[34] = 'B'; data[35] = 0;
    const char *path = write_temp(".csv", data, sizeof data);
    sop_error err;
    sop_error_clear(&err);
    sop_input *in = NULL;
    assert_int_equal(sop_input_open(&in, path, SOP_ENC_UTF16LE, &err), 0);
    char buf[16 + 1];
    char text[64];
    size_t total = 0;
    for (;;) {
        size_t got = 0;
        buf[16] = '#'; /* a canary just past what the read may fill */
        assert_int_equal(sop_input_read(in, buf, 16, &got, &err), 0);
        assert_true(buf[16] == '#');
        assert_true(got <= 16);
        if (got == 0)
            break;
        assert_true(total + got <= sizeof text);
        memcpy(text + total, buf, got);
        total += got;
    }
    sop_input_close(in);
    /* 16 A, the bad pair marked by one 0xFF byte, B */
    assert_int_equal(total, 18);
    assert_memory_equal(text, "AAAAAAAAAAAAAAAA\xff" "B", 18);
}

static void test_gbk_explicit(void **state)
{
    (void)state;
    size_t len;
    char *gbk = convert("GBK", cn_text, &len);
    rd t;
    rd_opts(&t);
    t.opts.encoding = SOP_ENC_GBK;
    rd_open(&t, write_temp(".csv", gbk, len));
    free(gbk);
    expect_cn_records(&t);
    assert_int_equal(t.notes.count, 0); /* no guess, no note */
    rd_close(&t);
}

static void test_gbk_auto(void **state)
{
    (void)state;
    size_t len;
    char *gbk = convert("GBK", cn_text, &len);
    rd t;
    rd_opts(&t);
    rd_open(&t, write_temp(".csv", gbk, len));
    free(gbk);
    expect_cn_records(&t);
    assert_int_equal(t.notes.count, 1); /* a note says it guessed */
    assert_non_null(strstr(t.notes.last, "GB18030"));
    rd_close(&t);
}

static void test_gb18030_explicit(void **state)
{
    (void)state;
    size_t len;
    char *gb = convert("GB18030", cn_text, &len);
    rd t;
    rd_opts(&t);
    t.opts.encoding = SOP_ENC_GB18030;
    rd_open(&t, write_temp(".csv", gb, len));
    free(gb);
    expect_cn_records(&t);
    rd_close(&t);
}

static void test_utf8_auto_no_note(void **state)
{
    (void)state;
    rd t;
    rd_csv(&t, cn_text);
    expect_cn_records(&t);
    assert_int_equal(t.notes.count, 0);
    rd_close(&t);
}

static void test_utf16le_bom(void **state)
{
    (void)state;
    size_t len;
    char *u16 = convert("UTF-16LE", cn_text, &len);
    char *data = malloc(len + 2);
    assert_non_null(data);
    memcpy(data, "\xFF\xFE", 2);
    memcpy(data + 2, u16, len);
    rd t;
    rd_opts(&t);
    rd_open(&t, write_temp(".csv", data, len + 2));
    free(u16);
    free(data);
    expect_cn_records(&t);
    rd_close(&t);
}

static void test_utf16be_bom(void **state)
{
    (void)state;
    size_t len;
    char *u16 = convert("UTF-16BE", "a,b\r\n1,\"x\r\ny\"\r\n2,😀\r\n", &len);
    char *data = malloc(len + 2);
    assert_non_null(data);
    memcpy(data, "\xFE\xFF", 2);
    memcpy(data + 2, u16, len);
    rd t;
    rd_opts(&t);
    rd_open(&t, write_temp(".csv", data, len + 2));
    free(u16);
    free(data);
    expect_schema(&t, 2, "a", "b");
    expect_record(&t, 2, 2, "1", "x\r\ny");
    expect_record(&t, 4, 2, "2", "😀");
    expect_eof(&t);
    rd_close(&t);
}

static void test_utf16le_explicit_no_bom(void **state)
{
    (void)state;
    size_t len;
    char *u16 = convert("UTF-16LE", "a,b\n1,中\n", &len);
    rd t;
    rd_opts(&t);
    t.opts.encoding = SOP_ENC_UTF16LE;
    rd_open(&t, write_temp(".csv", u16, len));
    free(u16);
    expect_schema(&t, 2, "a", "b");
    expect_record(&t, 2, 2, "1", "中");
    expect_eof(&t);
    rd_close(&t);
}

static void test_gbk_undecodable_byte(void **state)
{
    (void)state;
    /* 0xFF is never valid in GBK: that record is bad, the next one fine */
    size_t len;
    char *head = convert("GBK", "名称,值\n甲,1\n", &len);
    char data[256];
    memcpy(data, head, len);
    size_t n = len;
    memcpy(data + n, "\xFF\xFF,2\n", 5);
    n += 5;
    size_t tail_len;
    char *tail = convert("GBK", "乙,3\n", &tail_len);
    memcpy(data + n, tail, tail_len);
    n += tail_len;
    free(head);
    free(tail);
    rd t;
    rd_opts(&t);
    t.opts.encoding = SOP_ENC_GBK;
    t.opts.no_aliases = true;
    rd_open(&t, write_temp(".csv", data, n));
    expect_schema(&t, 2, "名称", "值");
    expect_record(&t, 2, 2, "甲", "1");
    expect_bad(&t, 3, "undecodable", NULL);
    expect_record(&t, 4, 2, "乙", "3");
    expect_eof(&t);
    rd_close(&t);
}

/* ---- gzip ------------------------------------------------------------------------ */

static void test_gzip(void **state)
{
    (void)state;
    const char *text = "a,b\n1,\"x\ny\"\n3,4\n";
    const char *path = temp_path(".csv.gz");
    gzip_member(path, "wb", text, strlen(text));
    rd t;
    rd_opts(&t);
    rd_open(&t, path);
    assert_int_equal(sop_reader_format(t.r), SOP_FMT_CSV);
    expect_schema(&t, 2, "a", "b");
    expect_record(&t, 2, 2, "1", "x\ny");
    expect_record(&t, 4, 2, "3", "4");
    expect_eof(&t);
    rd_close(&t);
}

static void test_gzip_no_extension(void **state)
{
    (void)state;
    /* detected by its magic bytes, the content then says JSON Lines */
    const char *text = "{\"a\":1}\n{\"a\":2}\n";
    const char *path = temp_path("");
    gzip_member(path, "wb", text, strlen(text));
    rd t;
    rd_opts(&t);
    rd_open(&t, path);
    assert_int_equal(sop_reader_format(t.r), SOP_FMT_JSONL);
    assert_int_equal(rd_next(&t), SOP_READ_RECORD);
    assert_int_equal(rd_next(&t), SOP_READ_RECORD);
    expect_eof(&t);
    rd_close(&t);
}

static void test_gzip_members(void **state)
{
    (void)state;
    const char *path = temp_path(".csv.gz");
    gzip_member(path, "wb", "a,b\n1,2\n", 8);
    gzip_member(path, "ab", "3,4\n", 4);
    gzip_member(path, "ab", "5,\"6\n7\"\n", 8);
    rd t;
    rd_opts(&t);
    rd_open(&t, path);
    expect_record(&t, 2, 2, "1", "2");
    expect_record(&t, 3, 2, "3", "4");
    expect_record(&t, 4, 2, "5", "6\n7");
    expect_eof(&t);
    rd_close(&t);
}

static void test_gzip_truncated_small(void **state)
{
    (void)state;
    const char *text = "a,b\n1,2\n3,4\n5,6\n7,8\n";
    const char *path = temp_path(".csv.gz");
    gzip_member(path, "wb", text, strlen(text));
    size_t size = file_size(path);
    assert_int_equal(truncate(path, (off_t)(size - 6)), 0); /* cut the trailer */
    rd t;
    rd_opts(&t);
    t.files[0] = path;
    t.opts.files = t.files;
    t.opts.file_count = 1;
    int rc = rd_open_opts(&t);
    if (rc == 0) {
        /* the error may come when reading */
        for (;;) {
            rc = rd_next(&t);
            if (rc <= 0)
                break;
        }
        assert_int_equal(rc, -SOP_EXIT_IOERR);
        sop_reader_close(t.r);
    } else {
        assert_int_equal(rc, SOP_EXIT_IOERR);
    }
    assert_int_equal(t.err.status, SOP_EXIT_IOERR);
    assert_non_null(strstr(t.err.msg, "truncated"));
    sop_record_free(&t.rec);
}

static void test_gzip_truncated_large(void **state)
{
    (void)state;
    /* about 3 MB of varied text: open succeeds, a later read fails with -74 */
    size_t cap = 3500000;
    char *text = malloc(cap);
    assert_non_null(text);
    size_t n = (size_t)sprintf(text, "id,value\n");
    uint32_t x = 12345;
    size_t rows = 0;
    while (n + 64 < cap) {
        x = x * 1103515245u + 12345u;
        n += (size_t)sprintf(text + n, "%zu,%08x%08x\n", rows++, x, x ^ 0x5bd1e995u);
    }
    const char *path = temp_path(".csv.gz");
    gzip_member(path, "wb", text, n);
    free(text);
    size_t size = file_size(path);
    assert_int_equal(truncate(path, (off_t)(size * 3 / 4)), 0);
    rd t;
    rd_opts(&t);
    rd_open(&t, path);
    size_t good = 0;
    int rc;
    while ((rc = rd_next(&t)) == SOP_READ_RECORD)
        good++;
    assert_int_equal(rc, -SOP_EXIT_IOERR);
    assert_int_equal(t.err.status, SOP_EXIT_IOERR);
    assert_true(good > 1000 && good < rows);
    rd_close(&t);
}

static void test_gzip_corrupt(void **state)
{
    (void)state;
    const char *text = "a,b\n1,2\n3,4\n";
    const char *path = temp_path(".csv.gz");
    gzip_member(path, "wb", text, strlen(text));
    size_t size = file_size(path);
    /* flip bytes in the middle of the deflate data */
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    fseek(f, (long)(size / 2), SEEK_SET);
    fputc(0xFF, f);
    fputc(0x00, f);
    fclose(f);
    rd t;
    rd_opts(&t);
    t.files[0] = path;
    t.opts.files = t.files;
    t.opts.file_count = 1;
    int rc = rd_open_opts(&t);
    if (rc == 0) {
        while ((rc = rd_next(&t)) > 0)
            ;
        sop_reader_close(t.r);
        assert_int_equal(rc, -SOP_EXIT_IOERR);
    } else {
        assert_int_equal(rc, SOP_EXIT_IOERR);
    }
    sop_record_free(&t.rec);
}

/* ---- TSV ---------------------------------------------------------------------------- */

static void test_tsv_by_extension(void **state)
{
    (void)state;
    rd t;
    rd_opts(&t);
    rd_open(&t, write_text(".tsv", "a,b\tc\n1,5\t x y \n\t\n"));
    assert_int_equal(sop_reader_format(t.r), SOP_FMT_TSV);
    expect_schema(&t, 2, "a,b", "c");
    expect_record(&t, 2, 2, "1,5", " x y ");
    expect_record(&t, 3, 2, "", "");
    expect_eof(&t);
    rd_close(&t);
}

static void test_tsv_by_content(void **state)
{
    (void)state;
    rd t;
    rd_opts(&t);
    rd_open(&t, write_text("", "a\tb\n1\t2\n"));
    assert_int_equal(sop_reader_format(t.r), SOP_FMT_TSV);
    expect_schema(&t, 2, "a", "b");
    expect_record(&t, 2, 2, "1", "2");
    expect_eof(&t);
    rd_close(&t);
}

static void test_tsv_forced(void **state)
{
    (void)state;
    rd t;
    rd_opts(&t);
    t.opts.format = SOP_FMT_TSV;
    rd_open(&t, write_text(".csv", "a\tb,c\n1\t2\n"));
    assert_int_equal(sop_reader_format(t.r), SOP_FMT_TSV);
    expect_schema(&t, 2, "a", "b,c");
    expect_record(&t, 2, 2, "1", "2");
    rd_close(&t);
}

static void test_tsv_ragged(void **state)
{
    (void)state;
    rd t;
    rd_opts(&t);
    rd_open(&t, write_text(".tsv", "a\tb\n1\t2\t3\n4\t5\n"));
    expect_bad(&t, 2, "expected 2 fields, found 3", "1\t2\t3");
    expect_record(&t, 3, 2, "4", "5");
    rd_close(&t);
}

/* ---- JSON Lines ------------------------------------------------------------------------ */

static void expect_col(const rd *t, const char *column, unsigned char kind, const char *text)
{
    long col = sop_schema_find(sop_reader_schema(t->r), column);
    if (col < 0)
        fail_msg("no column \"%s\"", column);
    unsigned char got_kind = sop_record_kind(&t->rec, (size_t)col);
    if (got_kind != kind)
        fail_msg("column \"%s\" has kind %d, expected %d", column, got_kind, kind);
    if (text) {
        size_t len;
        const char *s = sop_record_text(&t->rec, (size_t)col, &len);
        if (len != strlen(text) || memcmp(s, text, len) != 0)
            fail_msg("column \"%s\" is \"%.*s\", expected \"%s\"", column, (int)len, s, text);
    }
}

static void test_jsonl_types(void **state)
{
    (void)state;
    rd t;
    rd_opts(&t);
    rd_open(&t, write_text(".jsonl",
                           "{\"s\":\"x \\\"q\\\" \\u00e9\\n\",\"n\":12,\"neg\":-3,\"f\":1.5,"
                           "\"t\":true,\"fl\":false,\"z\":null,\"o\":{\"k\": [1, 2]},"
                           "\"a\":[1,\"x\"],\"e\":\"\"}\n"));
    assert_int_equal(sop_reader_format(t.r), SOP_FMT_JSONL);
    assert_int_equal(rd_next(&t), SOP_READ_RECORD);
    assert_int_equal(t.rec.line, 1);
    expect_schema(&t, 10, "s", "n", "neg", "f", "t", "fl", "z", "o", "a", "e");
    expect_col(&t, "s", SOP_TEXT, "x \"q\" é\n");
    expect_col(&t, "n", SOP_LITERAL, "12");
    expect_col(&t, "neg", SOP_LITERAL, "-3");
    expect_col(&t, "f", SOP_LITERAL, "1.5");
    expect_col(&t, "t", SOP_LITERAL, "true");
    expect_col(&t, "fl", SOP_LITERAL, "false");
    expect_col(&t, "z", SOP_LITERAL, "null");
    expect_col(&t, "o", SOP_LITERAL, "{\"k\":[1,2]}");
    expect_col(&t, "a", SOP_LITERAL, "[1,\"x\"]");
    expect_col(&t, "e", SOP_TEXT, "");
    expect_eof(&t);
    rd_close(&t);
}

static void test_jsonl_real_roundtrip(void **state)
{
    (void)state;
    rd t;
    rd_opts(&t);
    rd_open(&t, write_text(".jsonl", "{\"a\":0.1,\"b\":1e300,\"c\":123456789.125}\n"));
    assert_int_equal(rd_next(&t), SOP_READ_RECORD);
    const char *names[] = {"a", "b", "c"};
    const double want[] = {0.1, 1e300, 123456789.125};
    for (size_t i = 0; i < 3; i++) {
        long col = sop_schema_find(sop_reader_schema(t.r), names[i]);
        size_t len;
        const char *s = sop_record_text(&t.rec, (size_t)col, &len);
        assert_int_equal(sop_record_kind(&t.rec, (size_t)col), SOP_LITERAL);
        assert_true(strtod(s, NULL) == want[i]); /* reads back as the same number */
    }
    rd_close(&t);
}

static void test_jsonl_lines_and_blanks(void **state)
{
    (void)state;
    rd t;
    rd_opts(&t);
    rd_open(&t, write_text(".jsonl", "{\"a\":\"1\"}\n\n   \n{\"a\":\"2\"}\r\n{\"a\":\"3\"}"));
    assert_int_equal(rd_next(&t), SOP_READ_RECORD);
    assert_int_equal(t.rec.line, 1);
    assert_int_equal(rd_next(&t), SOP_READ_RECORD);
    assert_int_equal(t.rec.line, 4);
    expect_col(&t, "a", SOP_TEXT, "2");
    assert_int_equal(rd_next(&t), SOP_READ_RECORD);
    assert_int_equal(t.rec.line, 5);
    expect_col(&t, "a", SOP_TEXT, "3");
    expect_eof(&t);
    rd_close(&t);
}

static void test_jsonl_bad_lines(void **state)
{
    (void)state;
    rd t;
    rd_opts(&t);
    rd_open(&t, write_text(".jsonl",
                           "{\"a\":1}\n"
                           "{\"a\":\n"                 /* invalid JSON */
                           "[1,2]\n"                   /* not an object */
                           "\"text\"\n"                /* not an object */
                           "{\"a\":2} junk\n"          /* trailing junk */
                           "{\"a\":3}{\"a\":4}\n"      /* two objects on one line */
                           "{'a':5}\n"                 /* not JSON */
                           "{\"a\":6}\n"));
    assert_int_equal(rd_next(&t), SOP_READ_RECORD);
    expect_bad(&t, 2, "invalid JSON", "{\"a\":");
    expect_bad(&t, 3, "not a JSON object", "[1,2]");
    expect_bad(&t, 4, "not a JSON object", "\"text\"");
    expect_bad(&t, 5, "", "{\"a\":2} junk");
    expect_bad(&t, 6, "", "{\"a\":3}{\"a\":4}");
    expect_bad(&t, 7, "invalid JSON", "{'a':5}");
    assert_int_equal(rd_next(&t), SOP_READ_RECORD);
    assert_int_equal(t.rec.line, 8);
    expect_col(&t, "a", SOP_LITERAL, "6");
    expect_eof(&t);
    rd_close(&t);
}

static void test_jsonl_invalid_utf8_and_nul(void **state)
{
    (void)state;
    static const char text[] = "{\"a\":\"ok\"}\n{\"a\":\"\xC3\x28\"}\n{\"a\":\"x\0\"}\n{\"a\":\"fine\"}\n";
    rd t;
    rd_opts(&t);
    t.opts.encoding = SOP_ENC_UTF8;
    rd_open(&t, write_temp(".jsonl", text, sizeof text - 1));
    assert_int_equal(rd_next(&t), SOP_READ_RECORD);
    expect_bad(&t, 2, "undecodable", NULL);
    expect_bad(&t, 3, "NUL", NULL);
    assert_int_equal(rd_next(&t), SOP_READ_RECORD);
    expect_col(&t, "a", SOP_TEXT, "fine");
    expect_eof(&t);
    rd_close(&t);
}

static void test_jsonl_schema_grows(void **state)
{
    (void)state;
    rd t;
    rd_opts(&t);
    rd_open(&t, write_text(".jsonl", "{\"a\":\"1\",\"b\":\"2\"}\n{\"b\":\"3\",\"c\":\"4\"}\n"));
    assert_int_equal(rd_next(&t), SOP_READ_RECORD);
    expect_schema(&t, 2, "a", "b");
    assert_int_equal(rd_next(&t), SOP_READ_RECORD);
    expect_schema(&t, 3, "a", "b", "c");
    expect_col(&t, "a", SOP_ABSENT, NULL); /* the second record has no "a" */
    expect_col(&t, "b", SOP_TEXT, "3");
    expect_col(&t, "c", SOP_TEXT, "4");
    expect_eof(&t);
    rd_close(&t);
}

static void test_jsonl_fixed_schema(void **state)
{
    (void)state;
    rd t;
    rd_opts(&t);
    t.opts.fixed_schema = true;
    rd_open(&t, write_text(".jsonl",
                           "{\"a\":\"1\",\"b\":\"2\"}\n"
                           "{\"a\":\"3\",\"new\":\"x\"}\n"
                           "{\"b\":\"5\"}\n"));
    assert_int_equal(rd_next(&t), SOP_READ_RECORD);
    expect_bad(&t, 2, "new", "{\"a\":\"3\",\"new\":\"x\"}");
    assert_int_equal(rd_next(&t), SOP_READ_RECORD);
    assert_int_equal(t.rec.line, 3);
    expect_col(&t, "a", SOP_ABSENT, NULL);
    expect_col(&t, "b", SOP_TEXT, "5");
    expect_schema(&t, 2, "a", "b");
    expect_eof(&t);
    rd_close(&t);
}

static void test_jsonl_aliases_and_map(void **state)
{
    (void)state;
    sop_colmap map;
    sop_colmap_init(&map);
    sop_error err;
    sop_error_clear(&err);
    assert_int_equal(sop_colmap_parse(&map, "Mobile No=phone", &err), 0);
    rd t;
    rd_opts(&t);
    t.opts.map = &map;
    rd_open(&t, write_text(".jsonl", "{\"客户名称\":\"华为\",\"Lead ID\":\"L1\",\"Mobile No\":\"138\"}\n"));
    assert_int_equal(rd_next(&t), SOP_READ_RECORD);
    expect_schema(&t, 3, "company", "lead_id", "phone");
    expect_col(&t, "company", SOP_TEXT, "华为");
    expect_col(&t, "phone", SOP_TEXT, "138");
    rd_close(&t);
    sop_colmap_free(&map);
}

static void test_jsonl_long_line_resync(void **state)
{
    (void)state;
    size_t big = 1500000;
    char *text = malloc(big + 128);
    assert_non_null(text);
    size_t n = (size_t)sprintf(text, "{\"a\":\"1\"}\n{\"a\":\"");
    memset(text + n, 'q', big);
    n += big;
    n += (size_t)sprintf(text + n, "\"}\n{\"a\":\"3\"}\n");
    rd t;
    rd_opts(&t);
    t.opts.max_field = 1000;
    rd_open(&t, write_temp(".jsonl", text, n));
    free(text);
    assert_int_equal(rd_next(&t), SOP_READ_RECORD);
    expect_bad(&t, 2, "", NULL);
    assert_int_equal(rd_next(&t), SOP_READ_RECORD);
    assert_int_equal(t.rec.line, 3);
    expect_col(&t, "a", SOP_TEXT, "3");
    expect_eof(&t);
    rd_close(&t);
}

static void test_jsonl_big_integer(void **state)
{
    (void)state;
    /* valid JSON: an integer beyond 64 bits is still a number, not a bad line */
    rd t;
    rd_opts(&t);
    rd_open(&t, write_text(".jsonl", "{\"id\":12345678901234567890,\"a\":\"x\"}\n"));
    int rc = rd_next(&t);
    if (rc != SOP_READ_RECORD)
        fail_msg("got %d (%s)", rc, rc == SOP_READ_BAD ? sop_reader_bad_reason(t.r) : t.err.msg);
    long col = sop_schema_find(sop_reader_schema(t.r), "id");
    assert_true(col >= 0);
    assert_int_equal(sop_record_kind(&t.rec, (size_t)col), SOP_LITERAL);
    size_t len;
    const char *s = sop_record_text(&t.rec, (size_t)col, &len);
    assert_true(strtod(s, NULL) == 12345678901234567890.0);
    expect_col(&t, "a", SOP_TEXT, "x");
    rd_close(&t);
}

static void test_jsonl_alias_target_is_a_key(void **state)
{
    (void)state;
    /* "company" is a key of the first object: 客户名称 keeps its own name */
    rd t;
    rd_opts(&t);
    rd_open(&t, write_text(".jsonl", "{\"客户名称\":\"B\",\"company\":\"A\"}\n"));
    assert_int_equal(rd_next(&t), SOP_READ_RECORD);
    expect_schema(&t, 2, "客户名称", "company");
    expect_col(&t, "客户名称", SOP_TEXT, "B");
    expect_col(&t, "company", SOP_TEXT, "A");
    rd_close(&t);
}

/* Reads from standard input (fd 0 replaced by `fd` for the test). */
static void read_stdin_from(int fd, const char *want_a, const char *want_b)
{
    int saved = dup(STDIN_FILENO);
    assert_true(saved >= 0);
    assert_true(dup2(fd, STDIN_FILENO) >= 0);
    close(fd);
    rd t;
    rd_opts(&t);
    int rc = rd_open_opts(&t); /* no files: stdin */
    if (rc == 0) {
        expect_schema(&t, 2, "a", "b");
        expect_record(&t, 2, 2, want_a, want_b);
        assert_string_equal(t.rec.file, "<stdin>");
        expect_eof(&t);
        sop_reader_close(t.r);
    }
    sop_record_free(&t.rec);
    dup2(saved, STDIN_FILENO);
    close(saved);
    if (rc != 0)
        fail_msg("open stdin: %d %s", rc, t.err.msg);
}

static void test_stdin_file(void **state)
{
    (void)state;
    const char *path = write_text("", "a,b\n1,\"x\ny\"\n");
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    read_stdin_from(fd, "1", "x\ny");
}

static void test_stdin_pipe_gzip(void **state)
{
    (void)state;
    const char *path = temp_path(".gz");
    gzip_member(path, "wb", "a,b\n中,文\n", strlen("a,b\n中,文\n"));
    size_t len;
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char data[512];
    len = fread(data, 1, sizeof data, f);
    fclose(f);
    int p[2];
    assert_int_equal(pipe(p), 0);
    assert_int_equal(write(p[1], data, len), (ssize_t)len); /* fits the pipe buffer */
    close(p[1]);
    read_stdin_from(p[0], "中", "文");
}

static void test_header_alias_target_later(void **state)
{
    (void)state;
    rd t;
    rd_csv(&t, "客户名称,company\nB,A\n");
    expect_schema(&t, 2, "客户名称", "company");
    rd_close(&t);
}

/* ---- format detection --------------------------------------------------------------------- */

static void test_detect_by_extension(void **state)
{
    (void)state;
    static const struct { const char *suffix; const char *text; enum sop_format fmt; } cases[] = {
        {".csv", "a\tb\n1\t2\n", SOP_FMT_CSV},   /* the extension wins over tabs */
        {".CSV", "a,b\n", SOP_FMT_CSV},
        {".tsv", "a,b\tc\n", SOP_FMT_TSV},
        {".tab", "a\tb\n", SOP_FMT_TSV},
        {".jsonl", "{\"a\":1}\n", SOP_FMT_JSONL},
        {".ndjson", "{\"a\":1}\n", SOP_FMT_JSONL},
        {".csv.gz", NULL, SOP_FMT_CSV},
    };
    for (size_t i = 0; i < COUNT(cases); i++) {
        rd t;
        rd_opts(&t);
        const char *path;
        if (cases[i].text) {
            path = write_text(cases[i].suffix, cases[i].text);
        } else {
            path = temp_path(cases[i].suffix);
            gzip_member(path, "wb", "{\"x\":1}\n", 8); /* content says JSON, name says CSV */
        }
        rd_open(&t, path);
        if (sop_reader_format(t.r) != cases[i].fmt)
            fail_msg("%s: format %d, expected %d", cases[i].suffix, sop_reader_format(t.r),
                     cases[i].fmt);
        rd_close(&t);
    }
}

static void test_detect_by_content(void **state)
{
    (void)state;
    static const struct { const char *suffix; const char *text; enum sop_format fmt; } cases[] = {
        {"", "{\"a\":1}\n", SOP_FMT_JSONL},
        {".txt", "\n  \r\n {\"a\":1}\n", SOP_FMT_JSONL},  /* first non-blank byte */
        {"", "a\tb\n1\t2\n", SOP_FMT_TSV},
        {".data", "a\tb,c\n", SOP_FMT_CSV},               /* tabs and a comma: CSV */
        {"", "a,b\n", SOP_FMT_CSV},
        {"", "single\n", SOP_FMT_CSV},
    };
    for (size_t i = 0; i < COUNT(cases); i++) {
        rd t;
        rd_opts(&t);
        rd_open(&t, write_text(cases[i].suffix, cases[i].text));
        if (sop_reader_format(t.r) != cases[i].fmt)
            fail_msg("case %zu: format %d, expected %d", i, sop_reader_format(t.r), cases[i].fmt);
        rd_close(&t);
    }
}

static void test_forced_format_wins(void **state)
{
    (void)state;
    rd t;
    rd_opts(&t);
    t.opts.format = SOP_FMT_JSONL;
    rd_open(&t, write_text(".csv", "{\"a\":\"x\"}\n"));
    assert_int_equal(sop_reader_format(t.r), SOP_FMT_JSONL);
    assert_int_equal(rd_next(&t), SOP_READ_RECORD);
    expect_col(&t, "a", SOP_TEXT, "x");
    rd_close(&t);
}

static void test_output_only_format_refused(void **state)
{
    (void)state;
    rd t;
    rd_opts(&t);
    t.opts.format = SOP_FMT_TABLE;
    t.files[0] = write_text(".csv", "a\n1\n");
    t.opts.files = t.files;
    t.opts.file_count = 1;
    assert_int_equal(rd_open_opts(&t), SOP_EXIT_USAGE);
    sop_record_free(&t.rec);
}

static void test_format_names(void **state)
{
    (void)state;
    enum sop_format f;
    assert_true(sop_format_parse("csv", &f));
    assert_int_equal(f, SOP_FMT_CSV);
    assert_true(sop_format_parse("JSONL", &f));
    assert_int_equal(f, SOP_FMT_JSONL);
    assert_true(sop_format_parse("md", &f));
    assert_int_equal(f, SOP_FMT_MD);
    assert_false(sop_format_parse("xml", &f));
    assert_string_equal(sop_format_name(SOP_FMT_TSV), "tsv");
    enum sop_encoding e;
    assert_true(sop_encoding_parse("GBK", &e));
    assert_int_equal(e, SOP_ENC_GBK);
    assert_true(sop_encoding_parse("utf-16be", &e));
    assert_int_equal(e, SOP_ENC_UTF16BE);
    assert_false(sop_encoding_parse("latin1", &e));
}

/* ---- header names --------------------------------------------------------------------------- */

static void test_header_aliases(void **state)
{
    (void)state;
    rd t;
    rd_csv(&t, "客户名称,Lead ID,手机,lead-id2,LEAD_ID ,Created At,预算(元),Other Col\n"
               "1,2,3,4,5,6,7,8\n");
    /* "LEAD_ID " would map onto lead_id, which is taken: it keeps its name */
    expect_schema(&t, 8, "company", "lead_id", "phone", "lead-id2", "LEAD_ID", "created_at",
                  "budget", "Other Col");
    rd_close(&t);
}

static void test_header_alias_lookup(void **state)
{
    (void)state;
    static const struct { const char *header; const char *canonical; } cases[] = {
        {"客户名称", "company"}, {"Lead ID", "lead_id"}, {"lead-id", "lead_id"},
        {"LEAD_ID", "lead_id"}, {"手机", "phone"},        {"  邮箱 ", "email"},
        {"商圈", "district"},    {"负责人", "owner"},      {"ＣＩＴＹ", "city"},
    };
    for (size_t i = 0; i < COUNT(cases); i++) {
        const char *got = sop_alias_lookup(cases[i].header, strlen(cases[i].header));
        if (got == NULL || strcmp(got, cases[i].canonical) != 0)
            fail_msg("alias of \"%s\" is %s, expected %s", cases[i].header, got ? got : "NULL",
                     cases[i].canonical);
    }
    assert_null(sop_alias_lookup("no such header", 14));
}

static void test_header_alias_target_taken(void **state)
{
    (void)state;
    rd t;
    rd_csv(&t, "company,客户名称\nA,B\n");
    expect_schema(&t, 2, "company", "客户名称");
    rd_close(&t);
}

static void test_header_no_aliases(void **state)
{
    (void)state;
    rd t;
    rd_opts(&t);
    t.opts.no_aliases = true;
    rd_open(&t, write_text(".csv", "客户名称,Lead ID\n1,2\n"));
    expect_schema(&t, 2, "客户名称", "Lead ID");
    rd_close(&t);
}

static void test_header_trimmed(void **state)
{
    (void)state;
    rd t;
    rd_opts(&t);
    t.opts.no_aliases = true;
    rd_open(&t, write_text(".csv", " a ,\"b \"\n1,2\n"));
    expect_schema(&t, 2, "a", "b");
    rd_close(&t);
}

static void test_map_option(void **state)
{
    (void)state;
    sop_colmap map;
    sop_colmap_init(&map);
    sop_error err;
    sop_error_clear(&err);
    assert_int_equal(sop_colmap_parse(&map, "意向商圈=district, Mobile No = phone,公司=owner", &err), 0);
    assert_int_equal(map.count, 3);
    assert_string_equal(map.items[0].from, "意向商圈");
    assert_string_equal(map.items[0].to, "district");
    assert_string_equal(map.items[1].from, "Mobile No");
    assert_string_equal(map.items[1].to, "phone");
    rd t;
    rd_opts(&t);
    t.opts.map = &map;
    /* --map beats the alias table (公司 would be company) */
    rd_open(&t, write_text(".csv", "意向商圈,Mobile No,公司,客户名称\n陆家嘴,138,X,Y\n"));
    expect_schema(&t, 4, "district", "phone", "owner", "company");
    expect_record(&t, 2, 4, "陆家嘴", "138", "X", "Y");
    rd_close(&t);
    sop_colmap_free(&map);
}

static void test_map_parse_bad_items(void **state)
{
    (void)state;
    const char *bad[] = {"abc", "=x", "x=", "a=b,oops", " = "};
    for (size_t i = 0; i < COUNT(bad); i++) {
        sop_colmap map;
        sop_colmap_init(&map);
        sop_error err;
        sop_error_clear(&err);
        int rc = sop_colmap_parse(&map, bad[i], &err);
        if (rc != SOP_EXIT_USAGE)
            fail_msg("--map \"%s\": rc %d, expected 64", bad[i], rc);
        assert_int_equal(err.status, SOP_EXIT_USAGE);
        sop_colmap_free(&map);
    }
}

static void test_map_file(void **state)
{
    (void)state;
    const char *path = write_text(".map", "\xEF\xBB\xBF# CRM export -> canonical\n"
                                          "\n"
                                          "意向商圈=district\r\n"
                                          "  决策人职位 = title  \n"
                                          "# another comment\n"
                                          "Mobile No=phone\n");
    sop_colmap map;
    sop_colmap_init(&map);
    sop_error err;
    sop_error_clear(&err);
    assert_int_equal(sop_colmap_load(&map, path, &err), 0);
    assert_int_equal(map.count, 3);
    assert_string_equal(map.items[0].from, "意向商圈");
    assert_string_equal(map.items[0].to, "district");
    assert_string_equal(map.items[1].from, "决策人职位");
    assert_string_equal(map.items[1].to, "title");
    assert_string_equal(map.items[2].from, "Mobile No");
    assert_string_equal(map.items[2].to, "phone");
    sop_colmap_free(&map);
}

static void test_map_file_bad_lines(void **state)
{
    (void)state;
    const char *path = write_text(".map", "a=b\n# ok\nbroken line\n");
    sop_colmap map;
    sop_colmap_init(&map);
    sop_error err;
    sop_error_clear(&err);
    assert_int_equal(sop_colmap_load(&map, path, &err), SOP_EXIT_USAGE);
    assert_int_equal(err.line, 3);
    assert_string_equal(err.file, path);
    sop_colmap_free(&map);

    sop_colmap_init(&map);
    sop_error_clear(&err);
    assert_int_equal(sop_colmap_load(&map, "/tmp/sop-no-such-map-file.map", &err), SOP_EXIT_NOINPUT);
    sop_colmap_free(&map);
}

static void expect_header_refused(const char *text, const sop_colmap *map, const char *needle)
{
    rd t;
    rd_opts(&t);
    t.opts.map = map;
    t.files[0] = write_text(".csv", text);
    t.opts.files = t.files;
    t.opts.file_count = 1;
    int rc = rd_open_opts(&t);
    if (rc != SOP_EXIT_DATAERR)
        fail_msg("header \"%s\": rc %d, expected 65", text, rc);
    assert_int_equal(t.err.status, SOP_EXIT_DATAERR);
    if (needle && strstr(t.err.msg, needle) == NULL)
        fail_msg("message \"%s\" lacks \"%s\"", t.err.msg, needle);
    sop_record_free(&t.rec);
}

static void test_header_refused(void **state)
{
    (void)state;
    expect_header_refused("a,a\n1,2\n", NULL, "duplicate");
    expect_header_refused("a,,b\n1,2,3\n", NULL, "empty");
    expect_header_refused("a, \n1,2\n", NULL, "empty");
    /* two columns that become the same name after mapping */
    sop_colmap map;
    sop_colmap_init(&map);
    sop_error err;
    sop_error_clear(&err);
    assert_int_equal(sop_colmap_parse(&map, "x=company", &err), 0);
    expect_header_refused("company,x\n1,2\n", &map, "duplicate");
    sop_colmap_free(&map);
}

static void test_header_unterminated(void **state)
{
    (void)state;
    /* a header whose quote never closes is a bad header, not a column
     * named "a\n" */
    expect_header_refused("\"a\n", NULL, NULL);
}

/* ---- several files ---------------------------------------------------------------------------- */

static void test_files_agree(void **state)
{
    (void)state;
    rd t;
    rd_opts(&t);
    t.files[0] = write_text(".csv", "客户名称,b\n1,2\n3,4\n");
    t.files[1] = write_text(".csv", "\xEF\xBB\xBF" "company,b\r\n\r\n5,6\r\n");
    t.files[2] = write_text(".csv", "company,b\n"); /* header only */
    t.files[3] = write_text(".csv", "company,b\n7,8");
    t.opts.files = t.files;
    t.opts.file_count = 4;
    assert_int_equal(rd_open_opts(&t), 0);
    expect_schema(&t, 2, "company", "b");
    expect_record(&t, 2, 2, "1", "2");
    assert_string_equal(t.rec.file, t.files[0]);
    expect_record(&t, 3, 2, "3", "4");
    expect_record(&t, 3, 2, "5", "6"); /* line numbers are per file */
    assert_string_equal(t.rec.file, t.files[1]);
    expect_record(&t, 2, 2, "7", "8");
    assert_string_equal(t.rec.file, t.files[3]);
    expect_eof(&t);
    rd_close(&t);
}

static void test_files_disagree(void **state)
{
    (void)state;
    rd t;
    rd_opts(&t);
    t.files[0] = write_text(".csv", "a,b\n1,2\n");
    t.files[1] = write_text(".csv", "a,c\n3,4\n");
    t.opts.files = t.files;
    t.opts.file_count = 2;
    assert_int_equal(rd_open_opts(&t), 0);
    expect_record(&t, 2, 2, "1", "2");
    assert_int_equal(rd_next(&t), -SOP_EXIT_DATAERR);
    assert_int_equal(t.err.status, SOP_EXIT_DATAERR);
    assert_string_equal(t.err.file, t.files[1]);
    rd_close(&t);

    rd_opts(&t);
    t.files[0] = write_text(".csv", "a,b\n1,2\n");
    t.files[1] = write_text(".csv", "a,b,c\n3,4,5\n");
    t.opts.files = t.files;
    t.opts.file_count = 2;
    assert_int_equal(rd_open_opts(&t), 0);
    expect_record(&t, 2, 2, "1", "2");
    assert_int_equal(rd_next(&t), -SOP_EXIT_DATAERR);
    rd_close(&t);
}

static void test_files_jsonl(void **state)
{
    (void)state;
    rd t;
    rd_opts(&t);
    t.files[0] = write_text(".jsonl", "{\"a\":\"1\"}\n");
    t.files[1] = write_text(".jsonl", "\n{\"a\":\"2\",\"b\":\"x\"}\n");
    t.opts.files = t.files;
    t.opts.file_count = 2;
    assert_int_equal(rd_open_opts(&t), 0);
    assert_int_equal(rd_next(&t), SOP_READ_RECORD);
    assert_int_equal(t.rec.line, 1);
    assert_int_equal(rd_next(&t), SOP_READ_RECORD);
    assert_int_equal(t.rec.line, 2);
    assert_string_equal(t.rec.file, t.files[1]);
    expect_col(&t, "a", SOP_TEXT, "2");
    expect_col(&t, "b", SOP_TEXT, "x");
    expect_eof(&t);
    rd_close(&t);
}

static void test_missing_file(void **state)
{
    (void)state;
    rd t;
    rd_opts(&t);
    t.files[0] = "/tmp/sop-no-such-input-file.csv";
    t.opts.files = t.files;
    t.opts.file_count = 1;
    assert_int_equal(rd_open_opts(&t), SOP_EXIT_NOINPUT);
    sop_record_free(&t.rec);

    /* a later file that cannot be opened is a fatal error when reached */
    rd_opts(&t);
    t.files[0] = write_text(".csv", "a\n1\n");
    t.files[1] = "/tmp/sop-no-such-input-file.csv";
    t.opts.files = t.files;
    t.opts.file_count = 2;
    assert_int_equal(rd_open_opts(&t), 0);
    expect_record(&t, 2, 1, "1");
    assert_int_equal(rd_next(&t), -SOP_EXIT_NOINPUT);
    rd_close(&t);
}

static void test_directory_input(void **state)
{
    (void)state;
    rd t;
    rd_opts(&t);
    t.files[0] = "/tmp";
    t.opts.files = t.files;
    t.opts.file_count = 1;
    assert_int_equal(rd_open_opts(&t), SOP_EXIT_NOINPUT);
    sop_record_free(&t.rec);
}

/* ---- larger inputs: buffer and decoder boundaries ------------------------------------------- */

/* Builds rows "i,<word>\r\n" (or LF) until about `bytes`; returns the row count. */
static size_t build_rows(char **out, size_t *len, size_t bytes, const char *word, const char *eol)
{
    size_t cap = bytes + 256;
    char *text = malloc(cap);
    assert_non_null(text);
    size_t n = (size_t)sprintf(text, "id,v%s", eol);
    size_t rows = 0;
    while (n + 128 < bytes) {
        n += (size_t)sprintf(text + n, "%zu,%s%zu%s", rows, word, rows % 7, eol);
        rows++;
    }
    *out = text;
    *len = n;
    return rows;
}

static void read_rows_back(rd *t, size_t rows, const char *word)
{
    char want0[32], want1[64];
    for (size_t i = 0; i < rows; i++) {
        int rc = rd_next(t);
        if (rc != SOP_READ_RECORD)
            fail_msg("row %zu: got %d (%s)", i, rc,
                     rc == SOP_READ_BAD ? sop_reader_bad_reason(t->r) : t->err.msg);
        snprintf(want0, sizeof want0, "%zu", i);
        snprintf(want1, sizeof want1, "%s%zu", word, i % 7);
        size_t l0, l1;
        const char *v0 = sop_record_text(&t->rec, 0, &l0);
        const char *v1 = sop_record_text(&t->rec, 1, &l1);
        if (t->rec.line != (long)i + 2 || t->rec.count != 2 || l0 != strlen(want0) ||
            memcmp(v0, want0, l0) != 0 || l1 != strlen(want1) || memcmp(v1, want1, l1) != 0)
            fail_msg("row %zu at line %ld: \"%.*s\",\"%.*s\"", i, t->rec.line, (int)l0, v0,
                     (int)l1, v1);
    }
    expect_eof(t);
}

static void test_large_crlf(void **state)
{
    (void)state;
    char *text;
    size_t len;
    size_t rows = build_rows(&text, &len, 3u * 1024u * 1024u, "value", "\r\n");
    rd t;
    rd_opts(&t);
    rd_open(&t, write_temp(".csv", text, len));
    free(text);
    read_rows_back(&t, rows, "value");
    rd_close(&t);
}

static void test_large_utf16le(void **state)
{
    (void)state;
    char *text;
    size_t len;
    size_t rows = build_rows(&text, &len, 1500000, "中文值", "\r\n");
    size_t u16_len;
    char *u16 = convert("UTF-16LE", text, &u16_len);
    free(text);
    char *data = malloc(u16_len + 2);
    assert_non_null(data);
    memcpy(data, "\xFF\xFE", 2);
    memcpy(data + 2, u16, u16_len);
    free(u16);
    rd t;
    rd_opts(&t);
    rd_open(&t, write_temp(".csv", data, u16_len + 2));
    free(data);
    read_rows_back(&t, rows, "中文值");
    rd_close(&t);
}

static void test_large_gbk(void **state)
{
    (void)state;
    char *text;
    size_t len;
    size_t rows = build_rows(&text, &len, 1500000, "华为技术有限公司", "\n");
    size_t gbk_len;
    char *gbk = convert("GBK", text, &gbk_len);
    free(text);
    rd t;
    rd_opts(&t);
    t.opts.encoding = SOP_ENC_GBK;
    rd_open(&t, write_temp(".csv", gbk, gbk_len));
    free(gbk);
    read_rows_back(&t, rows, "华为技术有限公司");
    rd_close(&t);
}

static void test_large_gzip(void **state)
{
    (void)state;
    char *text;
    size_t len;
    size_t rows = build_rows(&text, &len, 3u * 1024u * 1024u, "陆家嘴", "\n");
    const char *path = temp_path(".csv.gz");
    /* two members, split in the middle of a line */
    gzip_member(path, "wb", text, len / 2 + 3);
    gzip_member(path, "ab", text + len / 2 + 3, len - len / 2 - 3);
    free(text);
    rd t;
    rd_opts(&t);
    rd_open(&t, path);
    read_rows_back(&t, rows, "陆家嘴");
    rd_close(&t);
}

/* The 64 KiB that auto detection looks at ends inside a UTF-8 character:
 * still UTF-8, no note. */
static void test_sniff_cuts_character(void **state)
{
    (void)state;
    size_t n = 0, cap = 70000;
    char *text = malloc(cap);
    assert_non_null(text);
    n += (size_t)sprintf(text, "a,b\n");
    while (n < 65536 - 2 - 20)
        n += (size_t)sprintf(text + n, "x,y\n");
    while (n < 65536 - 2) /* pad so that "中" starts 2 bytes before 64 KiB */
        text[n++] = 'z';
    n += (size_t)sprintf(text + n, ",中\n1,2\n");
    rd t;
    rd_opts(&t);
    rd_open(&t, write_temp(".csv", text, n));
    free(text);
    int rc, bad = 0;
    while ((rc = rd_next(&t)) > 0)
        if (rc == SOP_READ_BAD)
            bad++;
    assert_int_equal(rc, SOP_READ_EOF);
    assert_int_equal(t.notes.count, 0);
    rd_close(&t);
    (void)bad;
}

static void test_jsonl_field_over_max(void **state)
{
    (void)state;
    rd t;
    rd_opts(&t);
    t.opts.max_field = 8;
    rd_open(&t, write_text(".jsonl", "{\"a\":\"12345678\"}\n{\"a\":\"123456789\"}\n{\"a\":\"ok\"}\n"));
    assert_int_equal(rd_next(&t), SOP_READ_RECORD);
    expect_bad(&t, 2, "", "{\"a\":\"123456789\"}");
    assert_int_equal(rd_next(&t), SOP_READ_RECORD);
    expect_col(&t, "a", SOP_TEXT, "ok");
    expect_eof(&t);
    rd_close(&t);
}

static void test_jsonl_bom(void **state)
{
    (void)state;
    rd t;
    rd_opts(&t);
    rd_open(&t, write_text("", "\xEF\xBB\xBF{\"a\":\"x\"}\n"));
    assert_int_equal(sop_reader_format(t.r), SOP_FMT_JSONL);
    assert_int_equal(rd_next(&t), SOP_READ_RECORD);
    expect_schema(&t, 1, "a");
    expect_col(&t, "a", SOP_TEXT, "x");
    rd_close(&t);
}

static void test_progress(void **state)
{
    (void)state;
    const char *text = "a,b\n1,2\n3,4\n";
    rd t;
    rd_opts(&t);
    const char *path = write_text(".csv", text);
    rd_open(&t, path);
    while (rd_next(&t) > 0)
        ;
    uint64_t total = 0;
    uint64_t done = sop_reader_progress(t.r, &total);
    assert_int_equal(total, strlen(text));
    assert_int_equal(done, strlen(text));
    rd_close(&t);
}

/* ---- sop_utf8_valid ------------------------------------------------------------------------------ */

static void test_utf8_valid(void **state)
{
    (void)state;
    size_t at = 99;
    assert_true(sop_utf8_valid("abc", 3, false, NULL));
    assert_true(sop_utf8_valid("中文é😀", strlen("中文é😀"), false, NULL));
    assert_false(sop_utf8_valid("ab\xFF", 3, false, &at));
    assert_int_equal(at, 2);
    assert_false(sop_utf8_valid("a\0b", 3, false, &at));
    assert_int_equal(at, 1);
    assert_false(sop_utf8_valid("\xC0\xAF", 2, false, NULL));       /* overlong */
    assert_false(sop_utf8_valid("\xE0\x80\xAF", 3, false, NULL));   /* overlong */
    assert_false(sop_utf8_valid("\xED\xA0\x80", 3, false, NULL));   /* surrogate */
    assert_false(sop_utf8_valid("\xF4\x90\x80\x80", 4, false, NULL)); /* > U+10FFFF */
    assert_false(sop_utf8_valid("ab\xE4\xB8", 4, false, NULL));     /* cut */
    assert_true(sop_utf8_valid("ab\xE4\xB8", 4, true, NULL));       /* cut allowed */
    assert_false(sop_utf8_valid("ab\xE4\x41", 4, true, NULL));      /* not a cut: bad */
}

int main(void)
{
#define T(f) cmocka_unit_test_teardown(f, cleanup)
    const struct CMUnitTest tests[] = {
        T(test_csv_simple),
        T(test_csv_no_final_newline),
        T(test_csv_spaces_kept),
        T(test_csv_quoted_fields),
        T(test_csv_escaped_quotes),
        T(test_csv_line_ends),
        T(test_csv_cr_only_file),
        T(test_csv_quoted_newlines_and_lines),
        T(test_csv_quoted_header_newline),
        T(test_csv_blank_lines),
        T(test_csv_single_column_empty_quoted),
        T(test_csv_bom_quoted_header),
        T(test_csv_bom_plain_header),
        T(test_csv_empty_input),
        T(test_csv_header_only),
        T(test_csv_delimiter),
        T(test_csv_ragged_rows),
        T(test_csv_unterminated_quote_at_eof),
        T(test_csv_unterminated_quote_no_newline),
        T(test_csv_field_over_max),
        T(test_csv_huge_record_resync),
        T(test_csv_huge_line_resync),
        T(test_csv_nul_byte),
        T(test_csv_invalid_utf8),
        T(test_gbk_explicit),
        T(test_input_bad_sequence_at_buffer_end),
        T(test_gbk_auto),
        T(test_gb18030_explicit),
        T(test_utf8_auto_no_note),
        T(test_utf16le_bom),
        T(test_utf16be_bom),
        T(test_utf16le_explicit_no_bom),
        T(test_gbk_undecodable_byte),
        T(test_gzip),
        T(test_gzip_no_extension),
        T(test_gzip_members),
        T(test_gzip_truncated_small),
        T(test_gzip_truncated_large),
        T(test_gzip_corrupt),
        T(test_tsv_by_extension),
        T(test_tsv_by_content),
        T(test_tsv_forced),
        T(test_tsv_ragged),
        T(test_jsonl_types),
        T(test_jsonl_real_roundtrip),
        T(test_jsonl_lines_and_blanks),
        T(test_jsonl_bad_lines),
        T(test_jsonl_invalid_utf8_and_nul),
        T(test_jsonl_schema_grows),
        T(test_jsonl_fixed_schema),
        T(test_jsonl_aliases_and_map),
        T(test_jsonl_long_line_resync),
        T(test_jsonl_big_integer),
        T(test_jsonl_alias_target_is_a_key),
        T(test_stdin_file),
        T(test_stdin_pipe_gzip),
        T(test_header_alias_target_later),
        T(test_detect_by_extension),
        T(test_detect_by_content),
        T(test_forced_format_wins),
        T(test_output_only_format_refused),
        T(test_format_names),
        T(test_header_aliases),
        T(test_header_alias_lookup),
        T(test_header_alias_target_taken),
        T(test_header_no_aliases),
        T(test_header_trimmed),
        T(test_map_option),
        T(test_map_parse_bad_items),
        T(test_map_file),
        T(test_map_file_bad_lines),
        T(test_header_refused),
        T(test_header_unterminated),
        T(test_files_agree),
        T(test_files_disagree),
        T(test_files_jsonl),
        T(test_missing_file),
        T(test_directory_input),
        T(test_large_crlf),
        T(test_large_utf16le),
        T(test_large_gbk),
        T(test_large_gzip),
        T(test_sniff_cuts_character),
        T(test_jsonl_field_over_max),
        T(test_jsonl_bom),
        T(test_progress),
        T(test_utf8_valid),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
