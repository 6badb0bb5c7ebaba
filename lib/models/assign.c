#include "assign.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

/* keeps |current| far from overflow whatever the run (a rep owed credit
 * for years of leads it could not take) */
#define CURRENT_LIMIT INT64_C(1000000000000000000)

long sop_swrr_step(int64_t *current, const int64_t *weight, const bool *available,
                   const bool *eligible, size_t count, int64_t amount, const uint64_t *tie)
{
    long best = -1;
    int64_t best_value = 0;
    for (size_t i = 0; i < count; i++) {
        if (!eligible[i])
            continue;
        int64_t v = current[i] + weight[i] * amount;
        if (best < 0 || v > best_value || (v == best_value && tie && tie[i] < tie[best])) {
            best = (long)i;
            best_value = v;
        }
    }
    if (best < 0)
        return -1;
    int64_t total = 0;
    for (size_t i = 0; i < count; i++)
        if (available[i]) {
            int64_t v = current[i] + weight[i] * amount;
            current[i] = v < CURRENT_LIMIT ? v : CURRENT_LIMIT;
            total += weight[i];
        }
    current[best] -= total * amount;
    if (current[best] < -CURRENT_LIMIT)
        current[best] = -CURRENT_LIMIT;
    return best;
}

/* Past this the sum of amounts is folded into the values (exactly), so
 * weight * g stays far from overflow: weights are at most 1e9 thousandths. */
#define G_LIMIT INT64_C(1000000000)

bool sop_rotation_init(sop_rotation *rot, const int64_t *weight, const int64_t *current,
                       const bool *available, size_t count)
{
    memset(rot, 0, sizeof *rot);
    size_t n = count ? count : 1;
    rot->weight = malloc(n * sizeof *rot->weight);
    rot->base = malloc(n * sizeof *rot->base);
    rot->available = malloc(n * sizeof *rot->available);
    rot->live = malloc(n * sizeof *rot->live);
    if (!rot->weight || !rot->base || !rot->available || !rot->live) {
        sop_rotation_free(rot);
        return false;
    }
    rot->count = count;
    for (size_t i = 0; i < count; i++) {
        rot->weight[i] = weight[i];
        rot->base[i] = current[i];
        rot->available[i] = available[i];
        if (available[i]) {
            rot->total += weight[i];
            rot->live[rot->live_count++] = i;
        }
    }
    return true;
}

void sop_rotation_free(sop_rotation *rot)
{
    free(rot->weight);
    free(rot->base);
    free(rot->available);
    free(rot->live);
    memset(rot, 0, sizeof *rot);
}

static int64_t clamp_value(int64_t v)
{
    return v > CURRENT_LIMIT ? CURRENT_LIMIT : v < -CURRENT_LIMIT ? -CURRENT_LIMIT : v;
}

int64_t sop_rotation_value(const sop_rotation *rot, size_t rep)
{
    return rot->available[rep] ? clamp_value(rot->base[rep] + rot->weight[rep] * rot->g)
                               : rot->base[rep];
}

void sop_rotation_available(sop_rotation *rot, size_t rep, bool available)
{
    if (rot->available[rep] == available)
        return;
    if (available) {
        rot->base[rep] -= rot->weight[rep] * rot->g;
        rot->total += rot->weight[rep];
    } else {
        rot->base[rep] = sop_rotation_value(rot, rep);
        rot->total -= rot->weight[rep];
    }
    rot->available[rep] = available;
    rot->live_count = 0;
    for (size_t i = 0; i < rot->count; i++)
        if (rot->available[i])
            rot->live[rot->live_count++] = i;
}

/* Folds g into the values; the same values, so the same picks after. */
static void fold_g(sop_rotation *rot)
{
    for (size_t i = 0; i < rot->count; i++)
        if (rot->available[i])
            rot->base[i] = clamp_value(rot->base[i] + rot->weight[i] * rot->g);
    rot->g = 0;
}

long sop_rotation_pick(sop_rotation *rot, const bool *eligible, int64_t amount,
                       const uint64_t *tie)
{
    if (rot->g > G_LIMIT)
        fold_g(rot);
    int64_t g = rot->g + amount;
    long best = -1;
    int64_t best_value = 0;
    for (size_t k = 0; k < rot->live_count; k++) {
        size_t i = rot->live[k];
        if (eligible && !eligible[i])
            continue;
        int64_t v = rot->base[i] + rot->weight[i] * g;
        if (best < 0 || v > best_value || (v == best_value && tie && tie[i] < tie[best])) {
            best = (long)i;
            best_value = v;
        }
    }
    if (best < 0)
        return -1;
    rot->g = g;
    rot->base[best] -= rot->total * amount;
    /* the eager step clamps each value; a value near the limit is folded
     * and clamped the same way */
    if (best_value - rot->total * amount < -CURRENT_LIMIT || best_value > CURRENT_LIMIT)
        fold_g(rot);
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
    {"fairness.min_leads", SOP_CFG_COUNT, AT(fairness_min_leads), 0, 1e9, NULL},
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
        .fairness_min_leads = 30,
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
