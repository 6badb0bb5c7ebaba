/* report.h - a report (a JSON object) written in the format asked for.
 * Top-level scalars are the summary; top-level arrays of objects are
 * tables.  json: the object itself; table/md: summary lines, then each
 * table aligned; csv/tsv/jsonl: one long table (section, row, metric,
 * value) that loses nothing. */
#ifndef SOP_REPORT_H
#define SOP_REPORT_H

#include <jansson.h>
#include <stdbool.h>

#include "error.h"
#include "cli.h"
#include "reader.h"

int sop_report_write(const json_t *report, enum sop_format format, const char *path,
                     bool excel, sop_error *err);

/* The report to cli's -o in cli's -f; without -f, a table on a terminal,
 * else JSON. */
int sop_report_emit(const json_t *report, const sop_cli *cli, sop_error *err);

/* A list of rows (a JSON array of objects with the same keys) as a table:
 * csv/tsv/table/md with the first row's keys as columns (a list value as
 * its items joined by ';'; with no rows, `columns` (NULL-terminated, may be
 * NULL) give the header), jsonl one object a line, json the array.
 * Without -f: fallback, or a table on a terminal when fallback is AUTO. */
int sop_rows_emit(const json_t *rows, const char *const *columns, const sop_cli *cli,
                  enum sop_format fallback, sop_error *err);

#endif
