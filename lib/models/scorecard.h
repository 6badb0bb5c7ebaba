/* scorecard.h - the lead scorecard: indicators that each read one column
 * and give points x multiplier by the first matching rule; the sum is
 * normalised so that the best outcome of every indicator scores 100. */
#ifndef SOP_SCORECARD_H
#define SOP_SCORECARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "record.h"
#include "values.h"
#include "writer.h"

typedef struct sop_scorecard sop_scorecard;

/* The built-in scorecard text (the article's six indicators). */
extern const char sop_scorecard_default_json[];

/* Loads a scorecard from a JSON file, or the built-in one when path is
 * NULL.  Errors: 66 cannot open, 78 invalid config (naming the key). */
int sop_scorecard_load(const char *path, sop_scorecard **out, sop_error *err);
int sop_scorecard_parse(const char *text, size_t len, const char *origin, sop_scorecard **out,
                        sop_error *err);
void sop_scorecard_free(sop_scorecard *sc);

/* The effective scorecard, every default filled in, as indented JSON
 * (malloc'd; NULL when out of memory). */
char *sop_scorecard_to_json(const sop_scorecard *sc);

/* Resolves column names against the input columns.  Columns the
 * scorecard reads but the input lacks count as missing; their names are
 * listed in `absent` (comma-separated) for a note. */
int sop_scorecard_bind(sop_scorecard *sc, const sop_schema *schema, char *absent,
                       size_t absent_size, sop_error *err);

bool sop_scorecard_has_decay(const sop_scorecard *sc);

typedef struct sop_score {
    double score;      /* 0..100, rounded to one decimal */
    double exact;      /* the same, unrounded (for evaluation) */
    const char *grade;
    size_t grade_index;/* into the grades; == grade count when none */
    bool hot;
} sop_score;

/* The scorecard's grades, in order (for reports). */
size_t sop_scorecard_grade_count(const sop_scorecard *sc);
const char *sop_scorecard_grade(const sop_scorecard *sc, size_t index);
/* True when the score is a probability x 100 (a logistic scorecard, as
 * --train writes), so log loss means something. */
bool sop_scorecard_calibrated(const sop_scorecard *sc);

/* Scores one record.  `now` and `tz` matter only for decay.  With detail
 * non-NULL, appends the per-indicator explanation to it.  Not const: the
 * scorecard keeps match scratch and counts values it could not read. */
int sop_scorecard_eval(sop_scorecard *sc, const sop_record *rec, int64_t now,
                       const sop_tz *tz, sop_score *out, sop_buf *detail, sop_error *err);

/* After a run: one line per indicator that met values it could not read
 * (not a number where its rules want one, a regex that failed to run),
 * e.g. "budget: 37 values are not numbers (first at leads.csv:12); scored
 * as \"budget unreadable\"".  Calls `line` for each; returns how many. */
size_t sop_scorecard_unreadable(const sop_scorecard *sc,
                                void (*line)(void *line_ctx, const char *text), void *line_ctx);

#endif
