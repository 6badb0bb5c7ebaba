/* phi_config.c - phi-calc's config: the article's thresholds and weights,
 * loading a file over them, printing them. */
#include "phi.h"

#include <string.h>

#define AT(field) offsetof(sop_phi_config, field)
static const sop_cfg_field config_fields[] = {
    {"conversion.window_days", SOP_CFG_NUMBER, AT(window_days), 0.5, 3660, NULL},
    {"conversion.column", SOP_CFG_STRING, AT(converted_column), 0, 0, NULL},
    {"conversion.stages", SOP_CFG_STRING, AT(conversion_stages), 0, 0, NULL},
    {"key_action.stage", SOP_CFG_STRING, AT(key_stage), 0, 0, NULL},
    {"key_action.fields", SOP_CFG_STRING, AT(key_fields), 0, 0, NULL},
    {"key_action.due_days", SOP_CFG_NUMBER, AT(key_due_days), 0, 3660, NULL},
    {"thresholds.stability", SOP_CFG_NUMBER, AT(stability_max), 0, 100, NULL},
    {"thresholds.completion", SOP_CFG_NUMBER, AT(completion_min), 0, 1, NULL},
    {"thresholds.completeness", SOP_CFG_NUMBER, AT(completeness_min), 0, 1, NULL},
    {"weights.stability", SOP_CFG_NUMBER, AT(w_stability), 0, 1, NULL},
    {"weights.completion", SOP_CFG_NUMBER, AT(w_completion), 0, 1, NULL},
    {"weights.completeness", SOP_CFG_NUMBER, AT(w_completeness), 0, 1, NULL},
    {"rolling_weeks", SOP_CFG_COUNT, AT(rolling_weeks), 2, 52, NULL},
    {"ewma.lambda", SOP_CFG_NUMBER, AT(lambda), 0.01, 1, NULL},
    {"ewma.sigmas", SOP_CFG_NUMBER, AT(sigmas), 0.5, 10, NULL},
    {"ewma.baseline_periods", SOP_CFG_COUNT, AT(baseline_weeks), 2, 520, NULL},
    {"lead.max_lag", SOP_CFG_COUNT, AT(max_lag), 0, 52, NULL},
    {"lead.min_pairs", SOP_CFG_COUNT, AT(min_pairs), 3, 1000, NULL},
};
#undef AT
#define FIELDS (sizeof config_fields / sizeof config_fields[0])

void sop_phi_config_default(sop_phi_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->window_days = 14;
    snprintf(cfg->converted_column, sizeof cfg->converted_column, "converted_at");
    /* need confirmed: the deal moved on from need discovery */
    snprintf(cfg->conversion_stages, sizeof cfg->conversion_stages,
             "need_confirmed,solution_match,需求确认");
    snprintf(cfg->key_stage, sizeof cfg->key_stage, "need_discovery");
    snprintf(cfg->key_fields, sizeof cfg->key_fields, "goal,next_step");
    cfg->key_due_days = 7;
    cfg->stability_max = 0.15;
    cfg->completion_min = 0.88;
    cfg->completeness_min = 0.95;
    cfg->w_stability = cfg->w_completion = cfg->w_completeness = 1.0 / 3;
    cfg->rolling_weeks = 4;
    cfg->lambda = 0.2;
    cfg->sigmas = 3;
    cfg->baseline_weeks = 8;
    cfg->max_lag = 8;
    cfg->min_pairs = 8;
}

int sop_phi_config_load(const char *path, sop_phi_config *cfg, sop_error *err)
{
    sop_phi_config_default(cfg);
    if (path == NULL)
        return 0;
    int rc = sop_cfg_load(path, config_fields, FIELDS, cfg, err);
    if (rc == 0 && strlen(cfg->key_stage) >= 64)
        rc = sop_error_set(err, SOP_EXIT_CONFIG, path, 0, "key_action.stage: at most 63 bytes");
    if (rc == 0 && !(cfg->w_stability + cfg->w_completion + cfg->w_completeness > 0))
        rc = sop_error_set(err, SOP_EXIT_CONFIG, path, 0, "weights: at least one above 0");
    return rc;
}

char *sop_phi_config_json(const sop_phi_config *cfg)
{
    return sop_cfg_to_json(config_fields, FIELDS, cfg);
}
