#include "assign.h"

#include <math.h>
#include <stdlib.h>

#include "error.h"

int sop_swrr_init(sop_swrr *rr, const double *weights, size_t count)
{
    rr->count = 0;
    rr->weight = calloc(count ? count : 1, sizeof *rr->weight);
    rr->current = calloc(count ? count : 1, sizeof *rr->current);
    if (rr->weight == NULL || rr->current == NULL) {
        sop_swrr_free(rr);
        return SOP_EXIT_SOFTWARE;
    }
    for (size_t i = 0; i < count; i++) {
        if (!(weights[i] > 0) || !isfinite(weights[i])) {
            sop_swrr_free(rr);
            return SOP_EXIT_USAGE;
        }
        rr->weight[i] = weights[i];
    }
    rr->count = count;
    return 0;
}

long sop_swrr_pick(sop_swrr *rr, const bool *eligible)
{
    double total = 0;
    long best = -1;
    for (size_t i = 0; i < rr->count; i++) {
        if (eligible && !eligible[i])
            continue;
        rr->current[i] += rr->weight[i];
        total += rr->weight[i];
        if (best < 0 || rr->current[i] > rr->current[best])
            best = (long)i;
    }
    if (best >= 0)
        rr->current[best] -= total;
    return best;
}

void sop_swrr_free(sop_swrr *rr)
{
    free(rr->weight);
    free(rr->current);
    rr->weight = rr->current = NULL;
    rr->count = 0;
}

double sop_fairness_index(const double *load, const double *weight, size_t count)
{
    double total_load = 0, total_weight = 0;
    for (size_t i = 0; i < count; i++) {
        total_load += load[i];
        total_weight += weight[i];
    }
    if (count == 0 || !(total_load > 0) || !(total_weight > 0))
        return NAN;
    double sum = 0, sum_sq = 0;
    for (size_t i = 0; i < count; i++) {
        double target = total_load * weight[i] / total_weight;
        double r = target > 0 ? load[i] / target : 0;
        sum += r;
        sum_sq += r * r;
    }
    double mean = sum / (double)count;
    double var = sum_sq / (double)count - mean * mean;
    return sqrt(var > 0 ? var : 0);
}
