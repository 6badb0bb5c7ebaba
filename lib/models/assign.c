#include "assign.h"

#include <math.h>
#include <stdlib.h>

#include "error.h"

long sop_swrr_step(double *current, const double *weight, const bool *available,
                   const bool *eligible, size_t count, double amount, const uint64_t *tie)
{
    long best = -1;
    for (size_t i = 0; i < count; i++) {
        if (!eligible[i])
            continue;
        if (best < 0 || current[i] + weight[i] * amount > current[best] + weight[best] * amount ||
            (current[i] + weight[i] * amount == current[best] + weight[best] * amount && tie &&
             tie[i] < tie[best]))
            best = (long)i;
    }
    if (best < 0)
        return -1;
    double total = 0;
    for (size_t i = 0; i < count; i++)
        if (available[i]) {
            current[i] += weight[i] * amount;
            total += weight[i];
        }
    current[best] -= total * amount;
    return best;
}

double sop_fairness_index(const double *load, const double *target, size_t count)
{
    double sum = 0, sum_sq = 0, total = 0;
    size_t n = 0;
    for (size_t i = 0; i < count; i++) {
        if (!(target[i] > 0))
            continue;
        double r = load[i] / target[i];
        sum += r;
        sum_sq += r * r;
        total += load[i];
        n++;
    }
    if (n == 0 || !(total > 0))
        return NAN;
    double mean = sum / (double)n;
    double var = sum_sq / (double)n - mean * mean;
    return sqrt(var > 0 ? var : 0);
}

const char *sop_track_name(enum sop_track track)
{
    static const char *const names[SOP_TRACKS] = {
        "round_robin", "hot_pool", "new_hire", "existing_owner", "pool_open", "unassigned", "kept",
    };
    return (unsigned)track < SOP_TRACKS ? names[track] : "?";
}

/* ---- config ----------------------------------------------------------- */

static const char *const balances[] = {"score", "count", NULL};
static const char *const key_kinds[] = {"company", "phone", "email", NULL};

#define AT(field) offsetof(sop_assign_config, field)
static const sop_cfg_field config_fields[] = {
    {"hot_score", SOP_CFG_NUMBER, AT(hot_score), 0, 100, NULL},
    {"round_robin.balance", SOP_CFG_CHOICE, AT(balance), 0, 0, balances},
    {"region.match", SOP_CFG_BOOL, AT(region_match), 0, 0, NULL},
    {"region.lead_column", SOP_CFG_STRING, AT(lead_column), 0, 0, NULL},
    {"region.rep_column", SOP_CFG_STRING, AT(rep_column), 0, 0, NULL},
    {"region.fallback", SOP_CFG_BOOL, AT(region_fallback), 0, 0, NULL},
    {"hot_pool.window_days", SOP_CFG_NUMBER, AT(pool_days), 0.5, 3660, NULL},
    {"hot_pool.min_close_rate", SOP_CFG_NUMBER, AT(pool_min_rate), 0, 1, NULL},
    {"hot_pool.min_closed", SOP_CFG_COUNT, AT(pool_min_closed), 0, 1e6, NULL},
    {"new_hire.days", SOP_CFG_NUMBER, AT(new_hire_days), 0, 3660, NULL},
    {"new_hire.hot_share", SOP_CFG_NUMBER, AT(new_hire_share), 0, 1, NULL},
    {"existing_owner.keys", SOP_CFG_SET, AT(owner_keys), 0, 0, key_kinds},
    {"existing_owner.release_days", SOP_CFG_NUMBER, AT(owner_days), 1, 36600, NULL},
    {"existing_owner.max_accounts", SOP_CFG_COUNT, AT(max_accounts), 1, 1e8, NULL},
    {"state.keep_days", SOP_CFG_NUMBER, AT(keep_days), 1, 3660, NULL},
    {"fairness.window_days", SOP_CFG_NUMBER, AT(fairness_days), 1, 3660, NULL},
    {"fairness.healthy_below", SOP_CFG_NUMBER, AT(fairness_healthy), 0, 100, NULL},
};
#undef AT
#define FIELDS (sizeof config_fields / sizeof config_fields[0])

void sop_assign_config_default(sop_assign_config *cfg)
{
    *cfg = (sop_assign_config){
        .hot_score = 85,
        .balance = 0,
        .region_fallback = true,
        .lead_column = "city",
        .rep_column = "regions",
        .pool_days = 7,
        .pool_min_rate = 0.65,
        .pool_min_closed = 3,
        .new_hire_days = 180,
        .new_hire_share = 0.2,
        .owner_keys = 1u << SOP_KEY_COMPANY | 1u << SOP_KEY_PHONE | 1u << SOP_KEY_EMAIL,
        .owner_days = 365,
        .max_accounts = 200000,
        .keep_days = 90,
        .fairness_days = 30,
        .fairness_healthy = 0.3,
    };
}

int sop_assign_config_load(const char *path, sop_assign_config *cfg, sop_error *err)
{
    sop_assign_config_default(cfg);
    if (path == NULL)
        return 0;
    int rc = sop_cfg_load(path, config_fields, FIELDS, cfg, err);
    if (rc == 0 && cfg->keep_days < cfg->pool_days)
        rc = sop_error_set(err, SOP_EXIT_CONFIG, path, 0,
                           "state.keep_days (%g) must cover hot_pool.window_days (%g)",
                           cfg->keep_days, cfg->pool_days);
    return rc;
}

char *sop_assign_config_json(const sop_assign_config *cfg)
{
    return sop_cfg_to_json(config_fields, FIELDS, cfg);
}
