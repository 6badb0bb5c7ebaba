/* attrib.h - conversion credit over touch types from paths (a deal's
 * touches in time order, converting or not): first touch, last touch,
 * linear, time-decay, position-based (40/20/40), and the first-order
 * absorbing Markov chain with removal effects (stats.h).  Paths are added
 * one at a time or as aggregated counts (ChannelAttribution's layout), so
 * memory is per touch type, never per path. */
#ifndef SOP_ATTRIB_H
#define SOP_ATTRIB_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "funnel.h"
#include "strmap.h"

enum { SOP_ATTRIB_TOUCHES = 512 }; /* touch types: the Markov matrix is this squared */

typedef struct sop_attrib {
    double half_life_days;
    double pos_first, pos_last;
    sop_strmap names;                       /* touch types */
    size_t cap;                             /* per-touch arrays hold this many */
    double *touches;                        /* occurrences on all paths */
    double *credit[SOP_ATTRIB_MODELS];      /* conversions credited */
    double *value[SOP_ATTRIB_MODELS];       /* conversion value credited */
    double *start, *trans, *conv, *null;    /* Markov counts; trans is cap x cap */
    double conversions, conversion_value, nulls;
    unsigned long paths;
} sop_attrib;

void sop_attrib_init(sop_attrib *a, const sop_funnel_config *cfg);
void sop_attrib_free(sop_attrib *a);
/* The number of a touch type (added when new): -1 when out of memory,
 * -2 when there are already SOP_ATTRIB_TOUCHES. */
long sop_attrib_touch(sop_attrib *a, const char *name, size_t len);
/* One path of n touches (numbers from sop_attrib_touch) taken `weight`
 * times, of which `conv` converted with total value `value` and `nulls`
 * did not.  age_days[i]: how long before the conversion touch i came (for
 * time-decay; NULL: not known, time-decay gets nothing).  n > 0. */
void sop_attrib_add(sop_attrib *a, const long *touch, const double *age_days, size_t n,
                    double conv, double value, double nulls);
/* The credit table: one row per touch type.  One model: touch, touches,
 * conversions, share, value (and removal_effect for markov); several: a
 * column of conversions per model.  NULL when out of memory; *p_convert
 * gets the Markov conversion probability (-1 when not computed). */
json_t *sop_attrib_rows(const sop_attrib *a, unsigned models, double *p_convert);

#endif
