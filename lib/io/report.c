#include "report.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "writer.h"

/* A scalar as text: integers plainly, reals with up to four decimals (a
 * real too small for them, a p-value of 1.9e-8, in four significant
 * digits rather than as 0). */
static void scalar_text(const json_t *v, char *buf, size_t size)
{
    if (json_is_integer(v)) {
        snprintf(buf, size, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    } else if (json_is_real(v)) {
        double d = json_real_value(v);
        if (d != 0 && fabs(d) < 0.00005) {
            snprintf(buf, size, "%.4g", d);
            return;
        }
        snprintf(buf, size, "%.4f", d);
        char *dot = strchr(buf, '.');
        if (dot) { /* 0.7800 -> 0.78, 3.0000 -> 3 */
            char *end = buf + strlen(buf) - 1;
            while (end > dot && *end == '0')
                *end-- = '\0';
            if (end == dot)
                *end = '\0';
        }
    } else if (json_is_string(v)) {
        snprintf(buf, size, "%s", json_string_value(v));
    } else if (json_is_true(v)) {
        snprintf(buf, size, "true");
    } else if (json_is_false(v)) {
        snprintf(buf, size, "false");
    } else {
        buf[0] = '\0'; /* null */
    }
}

static bool is_table(const json_t *v)
{
    return json_is_array(v) && json_array_size(v) > 0 && json_is_object(json_array_get(v, 0));
}

static int add_column(sop_schema *schema, const char *name, sop_error *err)
{
    if (sop_schema_add(schema, name, strlen(name)) < 0)
        return sop_error_set(err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
    return 0;
}

static int push_text(sop_record *rec, const char *s, sop_error *err)
{
    if (!sop_record_push(rec, s, strlen(s), SOP_TEXT))
        return sop_error_set(err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
    return 0;
}

/* table/md: the summary as a two-column table, then each table under its
 * name.  A null shows as "-". */
static void cell_text_readable(const json_t *v, char *buf, size_t size)
{
    if (v == NULL || json_is_null(v))
        snprintf(buf, size, "-");
    else
        scalar_text(v, buf, size);
}

static int write_readable(sop_writer *w, const json_t *report, sop_error *err)
{
    const char *key;
    json_t *v;
    int rc = 0;
    sop_schema pair;
    sop_schema_init(&pair);
    sop_record rec;
    sop_record_init(&rec);
    if ((rc = add_column(&pair, "measure", err)) == 0 && (rc = add_column(&pair, "value", err)) == 0)
        rc = sop_writer_columns(w, &pair, NULL, err);
    json_object_foreach((json_t *)report, key, v) {
        if (rc != 0 || json_is_array(v) || json_is_object(v))
            continue;
        char value[256];
        cell_text_readable(v, value, sizeof value);
        sop_record_clear(&rec);
        if ((rc = push_text(&rec, key, err)) == 0 && (rc = push_text(&rec, value, err)) == 0)
            rc = sop_writer_record(w, &rec, NULL, err);
    }
    if (rc == 0)
        rc = sop_writer_text(w, "", 0, err);
    sop_record_free(&rec);
    sop_schema_free(&pair);
    if (rc != 0)
        return rc;
    json_object_foreach((json_t *)report, key, v) {
        if (!is_table(v))
            continue;
        char title[300];
        int n = snprintf(title, sizeof title, "\n%s\n", key);
        if ((rc = sop_writer_text(w, title, (size_t)n, err)) != 0)
            return rc;
        sop_schema cols;
        sop_schema_init(&cols);
        const char *col;
        json_t *cell;
        json_object_foreach(json_array_get(v, 0), col, cell)
            if (rc == 0)
                rc = add_column(&cols, col, err);
        if (rc == 0)
            rc = sop_writer_columns(w, &cols, NULL, err);
        sop_record row;
        sop_record_init(&row);
        for (size_t i = 0; rc == 0 && i < json_array_size(v); i++) {
            sop_record_clear(&row);
            for (size_t c = 0; rc == 0 && c < cols.count; c++) {
                char text[256];
                cell_text_readable(json_object_get(json_array_get(v, i), cols.names[c]), text,
                                   sizeof text);
                rc = push_text(&row, text, err);
            }
            if (rc == 0)
                rc = sop_writer_record(w, &row, NULL, err);
        }
        /* the writer prints the table later; a text line ends it */
        if (rc == 0)
            rc = sop_writer_text(w, "", 0, err);
        sop_record_free(&row);
        sop_schema_free(&cols);
        if (rc != 0)
            return rc;
    }
    return rc;
}

/* csv/tsv/jsonl: section,row,metric,value */
static int write_long(sop_writer *w, const json_t *report, sop_error *err)
{
    static const char *const names[] = {"section", "row", "metric", "value"};
    sop_schema cols;
    sop_schema_init(&cols);
    int rc = 0;
    for (size_t i = 0; i < 4 && rc == 0; i++)
        rc = add_column(&cols, names[i], err);
    if (rc == 0)
        rc = sop_writer_columns(w, &cols, NULL, err);
    sop_record rec;
    sop_record_init(&rec);
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)report, key, v) {
        if (rc != 0)
            break;
        if (is_table(v)) {
            for (size_t i = 0; rc == 0 && i < json_array_size(v); i++) {
                const char *metric;
                json_t *cell;
                char row[32];
                snprintf(row, sizeof row, "%zu", i + 1);
                json_object_foreach(json_array_get(v, i), metric, cell) {
                    char text[256];
                    scalar_text(cell, text, sizeof text);
                    sop_record_clear(&rec);
                    if (rc == 0 && (rc = push_text(&rec, key, err)) == 0 &&
                        (rc = push_text(&rec, row, err)) == 0 &&
                        (rc = push_text(&rec, metric, err)) == 0 &&
                        (rc = push_text(&rec, text, err)) == 0)
                        rc = sop_writer_record(w, &rec, NULL, err);
                }
            }
        } else if (!json_is_array(v) && !json_is_object(v)) {
            char text[256];
            scalar_text(v, text, sizeof text);
            sop_record_clear(&rec);
            if ((rc = push_text(&rec, "summary", err)) == 0 && (rc = push_text(&rec, "", err)) == 0 &&
                (rc = push_text(&rec, key, err)) == 0 && (rc = push_text(&rec, text, err)) == 0)
                rc = sop_writer_record(w, &rec, NULL, err);
        }
    }
    sop_record_free(&rec);
    sop_schema_free(&cols);
    return rc;
}

int sop_report_write(const json_t *report, enum sop_format format, const char *path,
                     bool excel, sop_error *err)
{
    sop_writer_opts opts = {.path = path, .format = format, .excel = excel};
    if (format == SOP_FMT_JSON)
        opts.format = SOP_FMT_CSV; /* the one object, as text */
    sop_writer *w;
    int rc = sop_writer_open(&w, &opts, err);
    if (rc != 0)
        return rc;
    if (format == SOP_FMT_JSON) {
        char *text = sop_json_text(report, 2, 6);
        if (text == NULL)
            rc = sop_error_set(err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
        else
            rc = sop_writer_text(w, text, strlen(text), err);
        if (rc == 0)
            rc = sop_writer_text(w, "\n", 1, err);
        free(text);
    } else if (format == SOP_FMT_TABLE || format == SOP_FMT_MD) {
        rc = write_readable(w, report, err);
    } else {
        rc = write_long(w, report, err);
    }
    int crc = sop_writer_close(w, rc == 0, err);
    return rc != 0 ? rc : crc;
}

int sop_report_emit(const json_t *report, const sop_cli *cli, sop_error *err)
{
    enum sop_format fmt = cli->out_format;
    if (fmt == SOP_FMT_AUTO)
        fmt = isatty(STDOUT_FILENO) && cli->output == NULL ? SOP_FMT_TABLE : SOP_FMT_JSON;
    return sop_report_write(report, fmt, cli->output, cli->excel, err);
}

/* A cell of a row for the text formats: scalars as the report shows them,
 * a list as its items joined by ';'. */
static int cell_of(const json_t *v, sop_buf *b, sop_error *err)
{
    b->len = 0;
    bool ok = true;
    if (json_is_array(v)) {
        size_t i;
        json_t *item;
        json_array_foreach(v, i, item) {
            char text[256];
            scalar_text(item, text, sizeof text);
            ok = ok && (i == 0 || sop_buf_put(b, ";", 1)) && sop_buf_put(b, text, strlen(text));
        }
    } else if (json_is_string(v)) {
        ok = sop_buf_put(b, json_string_value(v), json_string_length(v));
    } else if (v != NULL && !json_is_null(v)) {
        char text[256];
        scalar_text(v, text, sizeof text);
        ok = sop_buf_put(b, text, strlen(text));
    }
    if (!ok || !sop_buf_put(b, "", 1))
        return sop_error_set(err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
    b->len--;
    return 0;
}

static int rows_text(sop_writer *w, const json_t *rows, const char *const *columns,
                     sop_error *err)
{
    sop_schema cols;
    sop_schema_init(&cols);
    int rc = 0;
    const char *key;
    json_t *v;
    json_object_foreach(json_array_get(rows, 0), key, v)
        if (rc == 0)
            rc = add_column(&cols, key, err);
    for (size_t i = 0; json_array_size(rows) == 0 && columns && columns[i] && rc == 0; i++)
        rc = add_column(&cols, columns[i], err);
    if (rc == 0 && cols.count > 0)
        rc = sop_writer_columns(w, &cols, NULL, err);
    sop_record rec;
    sop_record_init(&rec);
    sop_buf cell = {0};
    for (size_t i = 0; rc == 0 && i < json_array_size(rows); i++) {
        sop_record_clear(&rec);
        for (size_t c = 0; rc == 0 && c < cols.count; c++) {
            rc = cell_of(json_object_get(json_array_get(rows, i), cols.names[c]), &cell, err);
            if (rc == 0 && !sop_record_push(&rec, cell.data, cell.len, SOP_TEXT))
                rc = sop_error_set(err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
        }
        if (rc == 0)
            rc = sop_writer_record(w, &rec, NULL, err);
    }
    sop_buf_free(&cell);
    sop_record_free(&rec);
    sop_schema_free(&cols);
    return rc;
}

int sop_rows_emit(const json_t *rows, const char *const *columns, const sop_cli *cli,
                  enum sop_format fallback, sop_error *err)
{
    enum sop_format fmt = cli->out_format;
    if (fmt == SOP_FMT_AUTO)
        fmt = fallback;
    if (fmt == SOP_FMT_AUTO)
        fmt = isatty(STDOUT_FILENO) && cli->output == NULL ? SOP_FMT_TABLE : SOP_FMT_CSV;
    sop_writer_opts opts = {.path = cli->output, .format = fmt, .excel = cli->excel,
                            .safe_formulas = cli->safe_formulas};
    bool as_text = fmt == SOP_FMT_JSON || fmt == SOP_FMT_JSONL;
    if (as_text)
        opts.format = SOP_FMT_CSV; /* the JSON, as text */
    sop_writer *w;
    int rc = sop_writer_open(&w, &opts, err);
    if (rc != 0)
        return rc;
    if (fmt == SOP_FMT_JSONL) {
        for (size_t i = 0; rc == 0 && i < json_array_size(rows); i++) {
            char *line = sop_json_text(json_array_get(rows, i), 0, 10);
            if (line == NULL)
                rc = sop_error_set(err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
            else if ((rc = sop_writer_text(w, line, strlen(line), err)) == 0)
                rc = sop_writer_text(w, "\n", 1, err);
            free(line);
        }
    } else if (fmt == SOP_FMT_JSON) {
        char *text = sop_json_text(rows, 2, 10);
        if (text == NULL)
            rc = sop_error_set(err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
        else if ((rc = sop_writer_text(w, text, strlen(text), err)) == 0)
            rc = sop_writer_text(w, "\n", 1, err);
        free(text);
    } else if (json_array_size(rows) > 0 || columns) {
        rc = rows_text(w, rows, columns, err);
    }
    int crc = sop_writer_close(w, rc == 0, err);
    return rc != 0 ? rc : crc;
}
