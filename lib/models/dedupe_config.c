/* dedupe_config.c - dedupe-clean's config: the fields compared and their
 * weights, thresholds, blocking and clustering limits, survivorship;
 * defaults that work on Chinese B2B customer records. */
#include "dedupe.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const type_names[] = {"company", "person", "phone", "email", "address",
                                         "city", "text", "id", NULL};
static const char *const rule_names[] = {"primary", "most_recent", "most_frequent", "longest",
                                         NULL};

const char *sop_dedupe_type_name(sop_dedupe_type t) { return type_names[t]; }
const char *sop_dedupe_rule_name(sop_dedupe_rule r) { return rule_names[r]; }

/* The levels are same, close, similar, different.  m: how often a true
 * duplicate shows each; u: how often two different customers among the
 * candidate pairs do (they share a block, so u of "same" is not tiny).
 * A level a type never produces has m = u (weight 0). */
static void type_defaults(sop_dedupe_field *f, sop_dedupe_type type)
{
    static const struct {
        double m[4], u[4], close, similar;
        bool block, strong;
        sop_dedupe_rule rule;
    } d[SOP_DT_COUNT] = {
        /* company: the key, Jaro-Winkler close/similar (or one inside the other) */
        [SOP_DT_COMPANY] = {{0.55, 0.20, 0.15, 0.10}, {0.002, 0.003, 0.015, 0.98}, 0.92, 0.85,
                            true, false, SOP_RULE_LONGEST},
        /* person: same name, a typo, the same surname (张先生 and 张伟) */
        [SOP_DT_PERSON] = {{0.70, 0.05, 0.05, 0.20}, {0.001, 0.002, 0.05, 0.947}, 0.90, 0,
                           false, false, SOP_RULE_RECENT},
        /* phone: same number; a mobile against a landline (the switchboard) */
        [SOP_DT_PHONE] = {{0.75, 0.001, 0.10, 0.149}, {0.005, 0.001, 0.10, 0.894}, 0, 0,
                          true, false, SOP_RULE_RECENT},
        /* e-mail: same address, same mailbox at another domain, same company domain */
        [SOP_DT_EMAIL] = {{0.80, 0.02, 0.08, 0.10}, {0.001, 0.001, 0.03, 0.968}, 0, 0, true,
                          false, SOP_RULE_RECENT},
        /* address: same, Jaro-Winkler close, bigram Jaccard similar */
        [SOP_DT_ADDRESS] = {{0.85, 0.05, 0.05, 0.05}, {0.001, 0.002, 0.01, 0.987}, 0.92, 0.5,
                            true, false, SOP_RULE_LONGEST},
        [SOP_DT_CITY] = {{0.95, 0.001, 0.001, 0.048}, {0.2, 0.001, 0.001, 0.798}, 0, 0, false,
                         false, SOP_RULE_FREQUENT},
        [SOP_DT_TEXT] = {{0.6, 0.2, 0.1, 0.1}, {0.01, 0.02, 0.05, 0.92}, 0.92, 0.5, false, false,
                         SOP_RULE_LONGEST},
        [SOP_DT_ID] = {{0.98, 0.001, 0.001, 0.018}, {0.0001, 0.001, 0.001, 0.9979}, 0, 0, true,
                       true, SOP_RULE_PRIMARY},
    };
    f->type = type;
    memcpy(f->m, d[type].m, sizeof f->m);
    memcpy(f->u, d[type].u, sizeof f->u);
    f->close = d[type].close;
    f->similar = d[type].similar;
    f->block = d[type].block;
    f->strong = d[type].strong;
    f->rule = d[type].rule;
}

static void add_field(sop_dedupe_config *cfg, const char *column, sop_dedupe_type type)
{
    sop_dedupe_field *f = &cfg->fields[cfg->field_count++];
    memset(f, 0, sizeof *f);
    snprintf(f->column, sizeof f->column, "%s", column);
    type_defaults(f, type);
}

void sop_dedupe_config_default(sop_dedupe_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    add_field(cfg, "company", SOP_DT_COMPANY);
    add_field(cfg, "contact_name", SOP_DT_PERSON);
    add_field(cfg, "phone", SOP_DT_PHONE);
    add_field(cfg, "email", SOP_DT_EMAIL);
    add_field(cfg, "address", SOP_DT_ADDRESS);
    add_field(cfg, "city", SOP_DT_CITY);
    cfg->default_rule = SOP_RULE_PRIMARY;
    cfg->prior = 0.02;
    cfg->match = 0.9;
    cfg->review = 0.5;
    cfg->max_block = 100;
    cfg->window = 2;
    cfg->fuzzy = true;
    cfg->max_cluster = 100;
    cfg->branch_veto = true;
    snprintf(cfg->time_column, sizeof cfg->time_column, "updated_at");
    snprintf(cfg->id_column, sizeof cfg->id_column, "customer_id");
}

#define AT(field) offsetof(sop_dedupe_config, field)
static const sop_cfg_field config_fields[] = {
    {"prior", SOP_CFG_NUMBER, AT(prior), 1e-6, 0.999999, NULL},
    {"thresholds.match", SOP_CFG_NUMBER, AT(match), 0, 1, NULL},
    {"thresholds.review", SOP_CFG_NUMBER, AT(review), 0, 1, NULL},
    {"blocking.max_block", SOP_CFG_COUNT, AT(max_block), 2, 100000, NULL},
    {"blocking.window", SOP_CFG_COUNT, AT(window), 0, 100000, NULL},
    {"blocking.fuzzy", SOP_CFG_BOOL, AT(fuzzy), 0, 0, NULL},
    {"cluster.max_size", SOP_CFG_COUNT, AT(max_cluster), 2, 10000000, NULL},
    {"cluster.branch_veto", SOP_CFG_BOOL, AT(branch_veto), 0, 0, NULL},
    {"time_column", SOP_CFG_STRING, AT(time_column), 0, 0, NULL},
    {"id_column", SOP_CFG_STRING, AT(id_column), 0, 0, NULL},
    {"survivorship_default", SOP_CFG_CHOICE, AT(default_rule), 0, 0, rule_names},
};
#undef AT
#define FIELDS (sizeof config_fields / sizeof config_fields[0])

static int bad(sop_error *err, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int bad(sop_error *err, const char *path, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return sop_error_set(err, SOP_EXIT_CONFIG, path, 0, "%s", msg);
}

static int choice(const char *const *names, const char *s)
{
    for (int i = 0; names[i]; i++)
        if (strcmp(names[i], s) == 0)
            return i;
    return -1;
}

static int probabilities(json_t *v, double *out, const char *path, const char *where,
                         const char *key, sop_error *err)
{
    if (!json_is_array(v) || json_array_size(v) != SOP_DEDUPE_LEVELS)
        return bad(err, path, "%s.%s: a list of 4 probabilities (same, close, similar, "
                   "different)", where, key);
    double sum = 0;
    for (size_t i = 0; i < SOP_DEDUPE_LEVELS; i++) {
        json_t *x = json_array_get(v, i);
        if (!json_is_number(x) || !(json_number_value(x) > 0 && json_number_value(x) <= 1))
            return bad(err, path, "%s.%s: each probability above 0 and at most 1", where, key);
        out[i] = json_number_value(x);
        sum += out[i];
    }
    if (fabs(sum - 1) > 0.001)
        return bad(err, path, "%s.%s: the 4 probabilities add up to 1", where, key);
    return 0;
}

static int text_key(json_t *obj, const char *key, char *out, size_t cap, const char *path,
                    const char *where, sop_error *err)
{
    json_t *v = json_object_get(obj, key);
    if (v == NULL)
        return 0;
    if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) >= cap)
        return bad(err, path, "%s.%s: a non-empty name of at most 63 bytes", where, key);
    snprintf(out, cap, "%s", json_string_value(v));
    return 0;
}

static int one_field(json_t *obj, size_t index, sop_dedupe_field *f, const char *path,
                     sop_error *err)
{
    char where[32];
    snprintf(where, sizeof where, "fields[%zu]", index);
    if (!json_is_object(obj))
        return bad(err, path, "%s: an object {\"column\": ..., \"type\": ...}", where);
    json_t *t = json_object_get(obj, "type");
    int type = json_is_string(t) ? choice(type_names, json_string_value(t)) : -1;
    if (type < 0)
        return bad(err, path, "%s.type: one of company, person, phone, email, address, city, "
                   "text, id", where);
    memset(f, 0, sizeof *f);
    type_defaults(f, (sop_dedupe_type)type);
    int rc = text_key(obj, "column", f->column, sizeof f->column, path, where, err);
    if (rc != 0)
        return rc;
    if (f->column[0] == '\0')
        return bad(err, path, "%s.column: the column to compare", where);
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v) {
        if (strcmp(key, "column") == 0 || strcmp(key, "type") == 0)
            continue;
        if (strcmp(key, "m") == 0 || strcmp(key, "u") == 0)
            rc = probabilities(v, key[0] == 'm' ? f->m : f->u, path, where, key, err);
        else if (strcmp(key, "close") == 0 || strcmp(key, "similar") == 0) {
            if (!json_is_number(v) || json_number_value(v) < 0 || json_number_value(v) > 1)
                rc = bad(err, path, "%s.%s: a similarity from 0 to 1", where, key);
            else
                *(key[0] == 'c' ? &f->close : &f->similar) = json_number_value(v);
        } else if (strcmp(key, "block") == 0 || strcmp(key, "strong") == 0) {
            if (!json_is_boolean(v))
                rc = bad(err, path, "%s.%s: true or false", where, key);
            else
                *(key[0] == 'b' ? &f->block : &f->strong) = json_is_true(v);
        } else if (strcmp(key, "survive") == 0) {
            int r = json_is_string(v) ? choice(rule_names, json_string_value(v)) : -1;
            if (r < 0)
                rc = bad(err, path, "%s.survive: primary, most_recent, most_frequent or "
                         "longest", where);
            else
                f->rule = (sop_dedupe_rule)r;
        } else
            rc = bad(err, path, "%s: unknown key \"%s\"", where, key);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static int load_fields(json_t *v, sop_dedupe_config *cfg, const char *path, sop_error *err)
{
    if (!json_is_array(v) || json_array_size(v) == 0 ||
        json_array_size(v) > SOP_DEDUPE_FIELDS)
        return bad(err, path, "fields: a list of 1 to 12 fields");
    cfg->field_count = 0;
    for (size_t i = 0; i < json_array_size(v); i++) {
        int rc = one_field(json_array_get(v, i), i, &cfg->fields[i], path, err);
        if (rc != 0)
            return rc;
        for (size_t k = 0; k < i; k++)
            if (strcmp(cfg->fields[k].column, cfg->fields[i].column) == 0)
                return bad(err, path, "fields: \"%s\" is listed twice",
                           cfg->fields[i].column);
        cfg->field_count = i + 1;
    }
    return 0;
}

static int load_rules(json_t *v, sop_dedupe_config *cfg, const char *path, sop_error *err)
{
    if (!json_is_object(v) || json_object_size(v) > SOP_DEDUPE_RULES)
        return bad(err, path, "survivorship: an object of at most 16 column: rule");
    cfg->rule_count = 0;
    const char *key;
    json_t *r;
    json_object_foreach(v, key, r) {
        int rule = json_is_string(r) ? choice(rule_names, json_string_value(r)) : -1;
        if (rule < 0)
            return bad(err, path, "survivorship.%s: primary, most_recent, most_frequent or "
                       "longest", key);
        if (strlen(key) == 0 || strlen(key) >= sizeof cfg->rules[0].column)
            return bad(err, path, "survivorship: a column name of 1 to 63 bytes");
        snprintf(cfg->rules[cfg->rule_count].column, sizeof cfg->rules[0].column, "%s", key);
        cfg->rules[cfg->rule_count++].rule = (sop_dedupe_rule)rule;
    }
    return 0;
}

int sop_dedupe_config_load(const char *path, sop_dedupe_config *cfg, sop_error *err)
{
    sop_dedupe_config_default(cfg);
    if (path == NULL)
        return 0;
    json_t *root = sop_cfg_read_file(path, err);
    if (root == NULL)
        return err->status;
    int rc = 0;
    json_t *v;
    if ((v = json_object_get(root, "fields")) != NULL)
        rc = load_fields(v, cfg, path, err);
    if (rc == 0 && (v = json_object_get(root, "survivorship")) != NULL)
        rc = load_rules(v, cfg, path, err);
    if (rc == 0) {
        json_object_del(root, "fields");
        json_object_del(root, "survivorship");
        rc = sop_cfg_apply(root, path, config_fields, FIELDS, cfg, err);
    }
    json_decref(root);
    if (rc == 0 && cfg->review > cfg->match)
        rc = bad(err, path, "thresholds: review at most match");

    return rc;
}

static json_t *numbers(const double *x)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < SOP_DEDUPE_LEVELS; i++)
        if (json_array_append_new(a, json_real(round(x[i] * 1e6) / 1e6)) != 0) {
            json_decref(a);
            return NULL;
        }
    return a;
}

char *sop_dedupe_config_json(const sop_dedupe_config *cfg)
{
    json_t *root = sop_cfg_to_object(config_fields, FIELDS, cfg);
    json_t *fields = json_array(), *rules = json_object();
    bool ok = root && fields && rules;
    for (size_t i = 0; ok && i < cfg->field_count; i++) {
        const sop_dedupe_field *f = &cfg->fields[i];
        json_t *o = json_pack("{s:s, s:s, s:o*, s:o*, s:f, s:f, s:b, s:b, s:s}", "column",
                              f->column, "type", type_names[f->type], "m", numbers(f->m), "u",
                              numbers(f->u), "close", f->close, "similar", f->similar, "block",
                              f->block, "strong", f->strong, "survive", rule_names[f->rule]);
        ok = o && json_array_append_new(fields, o) == 0;
    }
    for (size_t i = 0; ok && i < cfg->rule_count; i++)
        ok = json_object_set_new(rules, cfg->rules[i].column,
                                 json_string(rule_names[cfg->rules[i].rule])) == 0;
    ok = ok && json_object_set(root, "fields", fields) == 0 &&
         json_object_set(root, "survivorship", rules) == 0;
    char *text = ok ? sop_cfg_dump(root) : NULL;
    json_decref(fields);
    json_decref(rules);
    json_decref(root);
    return text;
}
