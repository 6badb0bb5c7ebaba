/* lead_score.h - the scorecard as a record-stream model: adds score,
 * grade, hot (and score_detail with --explain) to every lead. */
#ifndef SOP_LEAD_SCORE_H
#define SOP_LEAD_SCORE_H

#include <stdio.h>

#include "cli.h"
#include "scorecard.h"
#include "stream.h"

typedef struct sop_lead_score {
    sop_scorecard *scorecard;
    bool explain;
    int64_t now;
    sop_tz tz;
    sop_outputs out;      /* score, grade, hot (and score_detail with --explain) */
    sop_buf detail;
    const char *program;
    FILE *diag;
    bool quiet;
    bool noted;
} sop_lead_score;

int sop_lead_score_init(sop_lead_score *ls, sop_scorecard *sc, bool explain, const sop_cli *cli,
                        const char *program, FILE *diag, sop_error *err);
void sop_lead_score_model(sop_lead_score *ls, sop_stream_model *model);
void sop_lead_score_free(sop_lead_score *ls);

#endif
