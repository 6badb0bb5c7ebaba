/* attrib.c - attribution models over touch paths. */
#include "attrib.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"

void sop_attrib_init(sop_attrib *a, const sop_funnel_config *cfg)
{
    memset(a, 0, sizeof *a);
    a->half_life_days = cfg->half_life_days;
    a->pos_first = cfg->position_first;
    a->pos_last = cfg->position_last;
    sop_strmap_init(&a->names);
}

void sop_attrib_free(sop_attrib *a)
{
    sop_strmap_free(&a->names);
    free(a->touches);
    for (int m = 0; m < SOP_ATTRIB_MODELS; m++) {
        free(a->credit[m]);
        free(a->value[m]);
    }
    free(a->start);
    free(a->trans);
    free(a->conv);
    free(a->null);
    memset(a, 0, sizeof *a);
}

/* Grows a per-touch array from old to cap entries, zero-filled. */
static bool widen(double **p, size_t old, size_t cap)
{
    double *n = realloc(*p, cap * sizeof *n);
    if (n == NULL)
        return false;
    memset(n + old, 0, (cap - old) * sizeof *n);
    *p = n;
    return true;
}

static bool grow(sop_attrib *a)
{
    size_t old = a->cap, cap = old ? old * 2 : 16;
    if (cap > SOP_ATTRIB_TOUCHES)
        cap = SOP_ATTRIB_TOUCHES;
    bool ok = widen(&a->touches, old, cap) && widen(&a->start, old, cap) &&
              widen(&a->conv, old, cap) && widen(&a->null, old, cap);
    for (int m = 0; ok && m < SOP_ATTRIB_MODELS; m++)
        ok = widen(&a->credit[m], old, cap) && widen(&a->value[m], old, cap);
    if (!ok)
        return false;
    double *t = calloc(cap * cap, sizeof *t);
    if (t == NULL)
        return false;
    for (size_t i = 0; i < old; i++)
        memcpy(t + i * cap, a->trans + i * old, old * sizeof *t);
    free(a->trans);
    a->trans = t;
    a->cap = cap;
    return true;
}

long sop_attrib_touch(sop_attrib *a, const char *name, size_t len)
{
    long k = sop_strmap_find(&a->names, name, len);
    if (k >= 0)
        return k;
    if (a->names.count >= SOP_ATTRIB_TOUCHES)
        return -2;
    if (a->names.count >= a->cap && !grow(a))
        return -1;
    bool added;
    return sop_strmap_put(&a->names, name, len, &added);
}

static void give(sop_attrib *a, int model, long touch, double share, double conv, double value)
{
    a->credit[model][touch] += share * conv;
    a->value[model][touch] += share * value;
}

void sop_attrib_add(sop_attrib *a, const long *touch, const double *age_days, size_t n,
                    double conv, double value, double nulls)
{
    a->paths++;
    a->conversions += conv;
    a->conversion_value += value;
    a->nulls += nulls;
    for (size_t i = 0; i < n; i++)
        a->touches[touch[i]] += conv + nulls;
    /* Markov: start -> t0 -> ... -> t(n-1) -> conversion or null */
    a->start[touch[0]] += conv + nulls;
    for (size_t i = 0; i + 1 < n; i++)
        a->trans[(size_t)touch[i] * a->cap + (size_t)touch[i + 1]] += conv + nulls;
    a->conv[touch[n - 1]] += conv;
    a->null[touch[n - 1]] += nulls;
    if (!(conv > 0))
        return;
    give(a, SOP_ATTRIB_FIRST, touch[0], 1, conv, value);
    give(a, SOP_ATTRIB_LAST, touch[n - 1], 1, conv, value);
    for (size_t i = 0; i < n; i++)
        give(a, SOP_ATTRIB_LINEAR, touch[i], 1.0 / (double)n, conv, value);
    if (n == 1) {
        give(a, SOP_ATTRIB_POSITION, touch[0], 1, conv, value);
    } else if (n == 2) {
        give(a, SOP_ATTRIB_POSITION, touch[0], 0.5, conv, value);
        give(a, SOP_ATTRIB_POSITION, touch[1], 0.5, conv, value);
    } else {
        double middle = (1 - a->pos_first - a->pos_last) / (double)(n - 2);
        give(a, SOP_ATTRIB_POSITION, touch[0], a->pos_first, conv, value);
        give(a, SOP_ATTRIB_POSITION, touch[n - 1], a->pos_last, conv, value);
        for (size_t i = 1; i + 1 < n; i++)
            give(a, SOP_ATTRIB_POSITION, touch[i], middle, conv, value);
    }
    if (age_days) {
        /* weight 2^(-age / half-life), normalised over the path */
        double total = 0;
        for (size_t i = 0; i < n; i++)
            total += exp2(-age_days[i] / a->half_life_days);
        for (size_t i = 0; i < n && total > 0; i++)
            give(a, SOP_ATTRIB_TIME_DECAY, touch[i],
                 exp2(-age_days[i] / a->half_life_days) / total, conv, value);
    }
}

static const char *const model_names[SOP_ATTRIB_MODELS] = {"first", "last", "linear",
                                                           "time_decay", "position", "markov"};

static json_t *rounded(double x, double unit)
{
    return json_real(round(x / unit) * unit);
}

typedef struct order_ctx {
    const sop_attrib *a;
    const double *key;
} order_ctx;

static int by_credit(const void *x, const void *y, void *ctx)
{
    const order_ctx *o = ctx;
    size_t i = *(const size_t *)x, j = *(const size_t *)y;
    if (o->key && o->key[i] != o->key[j])
        return o->key[i] < o->key[j] ? 1 : -1;
    return strcmp(sop_strmap_key(&o->a->names, i), sop_strmap_key(&o->a->names, j));
}

json_t *sop_attrib_rows(const sop_attrib *a, unsigned models, double *p_convert)
{
    size_t m = a->names.count;
    double *removal = calloc(m ? m : 1, sizeof *removal);
    double *markov = calloc(m ? m : 1, sizeof *markov), *markov_value = calloc(m ? m : 1,
                                                                                sizeof *markov_value);
    size_t *order = malloc((m ? m : 1) * sizeof *order);
    json_t *rows = json_array();
    *p_convert = -1;
    bool ok = removal && markov && markov_value && order && rows;
    if (ok && (models >> SOP_ATTRIB_MARKOV & 1u) && m > 0) {
        /* the counts as an m x m matrix (trans is cap wide) */
        double *t = malloc(m * m * sizeof *t);
        ok = t != NULL;
        for (size_t i = 0; ok && i < m; i++)
            memcpy(t + i * m, a->trans + i * a->cap, m * sizeof *t);
        double p = ok ? sop_markov_removal(m, a->start, t, a->conv, a->null, removal) : -1;
        free(t);
        ok = ok && p >= 0;
        *p_convert = p;
        double sum = 0;
        for (size_t i = 0; ok && i < m; i++)
            sum += removal[i];
        for (size_t i = 0; ok && i < m; i++) {
            markov[i] = sum > 0 ? a->conversions * removal[i] / sum : 0;
            markov_value[i] = sum > 0 ? a->conversion_value * removal[i] / sum : 0;
        }
    }
    int single = -1, count = 0;
    for (int k = 0; k < SOP_ATTRIB_MODELS; k++)
        if (models >> k & 1u) {
            single = k;
            count++;
        }
    if (count > 1)
        single = -1;
    int first_model = 0;
    while (first_model < SOP_ATTRIB_MODELS && !(models >> first_model & 1u))
        first_model++;
    for (size_t i = 0; ok && i < m; i++)
        order[i] = i;
    if (ok && m > 1) {
        order_ctx ctx = {a, first_model == SOP_ATTRIB_MARKOV ? markov : a->credit[first_model]};
        qsort_r(order, m, sizeof *order, by_credit, &ctx);
    }
    for (size_t r = 0; ok && r < m; r++) {
        size_t i = order[r];
        json_t *row = json_object();
        ok = row && json_array_append_new(rows, row) == 0 &&
             json_object_set_new(row, "touch", json_string(sop_strmap_key(&a->names, i))) == 0 &&
             json_object_set_new(row, "touches", rounded(a->touches[i], 1e-4)) == 0;
        if (ok && single >= 0) {
            double c = single == SOP_ATTRIB_MARKOV ? markov[i] : a->credit[single][i];
            double v = single == SOP_ATTRIB_MARKOV ? markov_value[i] : a->value[single][i];
            ok = json_object_set_new(row, "conversions", rounded(c, 1e-4)) == 0 &&
                 json_object_set_new(row, "share", rounded(a->conversions > 0
                                                           ? c / a->conversions : 0, 1e-4)) == 0 &&
                 json_object_set_new(row, "value", rounded(v, 0.01)) == 0 &&
                 (single != SOP_ATTRIB_MARKOV ||
                  json_object_set_new(row, "removal_effect", rounded(removal[i], 1e-4)) == 0);
        }
        for (int k = 0; ok && single < 0 && k < SOP_ATTRIB_MODELS; k++)
            if (models >> k & 1u)
                ok = json_object_set_new(row, model_names[k],
                                         rounded(k == SOP_ATTRIB_MARKOV ? markov[i]
                                                                        : a->credit[k][i],
                                                 1e-4)) == 0;
    }
    free(removal);
    free(markov);
    free(markov_value);
    free(order);
    if (!ok) {
        json_decref(rows);
        return NULL;
    }
    return rows;
}
