/* funnel_config.c - funnel-diag's config: the built-in one (the article's
 * funnel, evidence chain, contradiction and action), loading a file over
 * it, and printing it. */
#include "funnel.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "words.h"

static const char *const period_names[] = {"week", "month", NULL};

#define AT(field) offsetof(sop_funnel_config, field)
static const sop_cfg_field config_fields[] = {
    {"outcomes.won", SOP_CFG_STRING, AT(won), 0, 0, NULL},
    {"outcomes.lost", SOP_CFG_STRING, AT(lost), 0, 0, NULL},
    {"period", SOP_CFG_CHOICE, AT(period), 0, 0, period_names},
    {"breakpoints.min_change_points", SOP_CFG_NUMBER, AT(min_change_points), 0, 100, NULL},
    {"breakpoints.min_change_relative", SOP_CFG_NUMBER, AT(min_change_relative), 0, 100, NULL},
    {"breakpoints.alpha", SOP_CFG_NUMBER, AT(alpha), 1e-9, 0.5, NULL},
    {"breakpoints.min_sample", SOP_CFG_COUNT, AT(min_sample), 1, 1e9, NULL},
    {"breakpoints.baseline_periods", SOP_CFG_COUNT, AT(baseline_periods), 1, 520, NULL},
    {"pchart.periods", SOP_CFG_COUNT, AT(chart_periods), 2, 520, NULL},
    {"pchart.sigmas", SOP_CFG_NUMBER, AT(sigmas), 0.5, 10, NULL},
    {"action_min_deals", SOP_CFG_COUNT, AT(action_min_deals), 1, 1e9, NULL},
    {"attribution.half_life_days", SOP_CFG_NUMBER, AT(half_life_days), 0.01, 3650, NULL},
    {"attribution.position_first", SOP_CFG_NUMBER, AT(position_first), 0, 1, NULL},
    {"attribution.position_last", SOP_CFG_NUMBER, AT(position_last), 0, 1, NULL},
};
#undef AT
#define FIELDS (sizeof config_fields / sizeof config_fields[0])

static void put(char *dst, size_t cap, const char *s)
{
    snprintf(dst, cap, "%s", s);
}

static void add_alias(sop_funnel_config *cfg, const char *from, int stage)
{
    sop_word_fold(from, strlen(from), cfg->alias[cfg->alias_count]);
    cfg->alias_stage[cfg->alias_count++] = stage;
}

void sop_funnel_config_default(sop_funnel_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    static const char *const stages[] = {"lead", "need_confirmed", "demo", "quote",
                                         "negotiation", "won"};
    cfg->stage_count = 6;
    for (size_t i = 0; i < 6; i++)
        put(cfg->stage[i], sizeof cfg->stage[i], stages[i]);
    /* the activity stages of the samples and Chinese CRM names */
    static const struct {
        const char *from;
        int stage;
    } aliases[] = {
        {"new", 0}, {"线索", 0}, {"新线索", 0}, {"need_discovery", 0}, {"need discovery", 0},
        {"需求挖掘", 0}, {"需求调研", 0}, {"solution_match", 1}, {"solution match", 1}, {"需求确认", 1}, {"方案匹配", 1},
        {"方案沟通", 1}, {"演示", 2}, {"方案演示", 2}, {"产品演示", 2}, {"objection", 2},
        {"异议处理", 2}, {"异议", 2}, {"报价", 3}, {"谈判", 4}, {"商务谈判", 4}, {"close", 4},
        {"签约", 4}, {"赢单", 5}, {"成交", 5},
    };
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
        add_alias(cfg, aliases[i].from, aliases[i].stage);
    put(cfg->won, sizeof cfg->won, "won,win,赢单,成交,closed_won");
    put(cfg->lost, sizeof cfg->lost, "lost,lose,输单,丢单,流失,closed_lost");
    cfg->period = 0;
    cfg->min_change_points = 10;
    cfg->min_change_relative = 0;
    cfg->alpha = 0.05;
    cfg->min_sample = 30;
    cfg->baseline_periods = 1;
    cfg->chart_periods = 12;
    cfg->sigmas = 3;
    /* the article's evidence chain of a won deal */
    cfg->evidence_count = 3;
    sop_funnel_match *e = cfg->evidence;
    put(e[0].name, sizeof e[0].name, "on_site_visits");
    e[0].min = 2;
    put(e[0].actions, sizeof e[0].actions, "visit");
    put(e[1].name, sizeof e[1].name, "custom_proposal");
    e[1].min = 1;
    put(e[1].words, sizeof e[1].words, "定制方案,定制化方案,方案书,custom proposal");
    put(e[2].name, sizeof e[2].name, "needs_confirmed_by_email");
    e[2].min = 1;
    put(e[2].actions, sizeof e[2].actions, "email");
    put(e[2].words, sizeof e[2].words, "确认,confirm");
    /* "the customer said the price was too high" - with no value comparison sent */
    cfg->contradiction_count = 1;
    sop_funnel_match *c = cfg->contradiction;
    put(c[0].name, sizeof c[0].name, "price_without_value_comparison");
    put(c[0].reasons, sizeof c[0].reasons, "价格,价钱,太贵,贵,price,expensive,cost");
    put(c[0].words, sizeof c[0].words, "价值对比,对比,比较,value comparison,comparison");
    cfg->template_count = 4;
    sop_funnel_template *t = cfg->templates;
    put(t[0].when, sizeof t[0].when, "breakpoint:demo>quote");
    put(t[0].text, sizeof t[0].text,
        "Within 24 h after every demo, send a short quote with 3 differentiating value points; "
        "check how fast quotes go out after demos and whether customers open them");
    put(t[1].when, sizeof t[1].when, "breakpoint");
    put(t[1].text, sizeof t[1].text,
        "Review the {from} -> {to} losses of {period} with the team: what was sent at {from}, "
        "how fast, and what the lost customers said; agree one change and check it next {unit}");
    put(t[2].when, sizeof t[2].when, "contradiction:price_without_value_comparison");
    put(t[2].text, sizeof t[2].text,
        "Send a value comparison sheet before any price discussion; review the {count} deals "
        "lost on price without one");
    put(t[3].when, sizeof t[3].when, "evidence");
    put(t[3].text, sizeof t[3].text,
        "Make {name} part of every deal's evidence chain: {count} won deals lack it; check it "
        "in the weekly pipeline review");
    cfg->action_min_deals = 3;
    cfg->half_life_days = 7;
    cfg->position_first = 0.4;
    cfg->position_last = 0.4;
    put(cfg->touch_column, sizeof cfg->touch_column, "action");
}

/* ---- loading ------------------------------------------------------------ */

static int cfg_error(sop_error *err, const char *origin, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int cfg_error(sop_error *err, const char *origin, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return sop_error_set(err, SOP_EXIT_CONFIG, origin, 0, "%s", msg);
}

static long stage_index(const sop_funnel_config *cfg, const char *folded)
{
    for (size_t i = 0; i < cfg->stage_count; i++)
        if (strcmp(cfg->stage[i], folded) == 0)
            return (long)i;
    return -1;
}

/* A string value of at most cap - 1 bytes; `empty_ok`: "" allowed. */
static bool text_of(json_t *v, char *out, size_t cap, bool empty_ok)
{
    if (!json_is_string(v) || json_string_length(v) >= cap ||
        (!empty_ok && json_string_length(v) == 0))
        return false;
    put(out, cap, json_string_value(v));
    return true;
}

/* A list of words as text: a string "a,b" or a list ["a", "b"]. */
static bool word_list(json_t *v, char *out, size_t cap)
{
    if (json_is_string(v))
        return text_of(v, out, cap, true);
    if (!json_is_array(v))
        return false;
    size_t used = 0, i;
    json_t *w;
    out[0] = '\0';
    json_array_foreach(v, i, w) {
        if (!json_is_string(w) || strchr(json_string_value(w), ',') ||
            used + json_string_length(w) + 2 >= cap)
            return false;
        used += (size_t)snprintf(out + used, cap - used, "%s%s", i ? "," : "",
                                 json_string_value(w));
    }
    return true;
}

static int parse_stages(json_t *v, const char *origin, sop_funnel_config *cfg, sop_error *err)
{
    if (!json_is_array(v) || json_array_size(v) < 2 || json_array_size(v) > SOP_FUNNEL_STAGES)
        return cfg_error(err, origin, "stages: wants a list of 2 to %d stage names, the won "
                         "stage last", SOP_FUNNEL_STAGES);
    size_t i;
    json_t *s;
    cfg->stage_count = 0;
    json_array_foreach(v, i, s) {
        char folded[SOP_WORD_LEN];
        if (!json_is_string(s) || json_string_length(s) == 0)
            return cfg_error(err, origin, "stages[%zu]: wants a name", i);
        sop_word_fold(json_string_value(s), json_string_length(s), folded);
        if (!folded[0] || stage_index(cfg, folded) >= 0)
            return cfg_error(err, origin, "stages[%zu]: \"%.60s\" is %s", i,
                             json_string_value(s), folded[0] ? "named twice" : "too long");
        put(cfg->stage[cfg->stage_count++], SOP_WORD_LEN, folded);
    }
    return 0;
}

static int parse_aliases(json_t *v, const char *origin, sop_funnel_config *cfg, sop_error *err)
{
    if (!json_is_object(v) || json_object_size(v) > SOP_FUNNEL_ALIASES)
        return cfg_error(err, origin, "stage_aliases: wants an object {\"other name\": "
                         "\"stage\"} of at most %d names", SOP_FUNNEL_ALIASES);
    const char *key;
    json_t *to;
    cfg->alias_count = 0;
    json_object_foreach(v, key, to) {
        char folded[SOP_WORD_LEN];
        long s = -1;
        if (json_is_string(to)) {
            sop_word_fold(json_string_value(to), json_string_length(to), folded);
            s = stage_index(cfg, folded);
        }
        if (s < 0)
            return cfg_error(err, origin, "stage_aliases.%.60s: wants one of the stages", key);
        sop_word_fold(key, strlen(key), folded);
        if (!folded[0])
            return cfg_error(err, origin, "stage_aliases: \"%.60s\" is too long", key);
        add_alias(cfg, key, (int)s);
    }
    return 0;
}

/* [{"name", "min", "actions", "words", "reasons"}, ...] */
static int parse_matches(json_t *v, const char *origin, const char *what, bool evidence,
                         sop_funnel_match *out, size_t *count, sop_error *err)
{
    if (!json_is_array(v) || json_array_size(v) > SOP_FUNNEL_RULES)
        return cfg_error(err, origin, "%s: wants a list of at most %d objects", what,
                         SOP_FUNNEL_RULES);
    size_t i;
    json_t *o;
    *count = 0;
    json_array_foreach(v, i, o) {
        sop_funnel_match *m = &out[i];
        memset(m, 0, sizeof *m);
        const char *key;
        json_t *x;
        if (!json_is_object(o))
            return cfg_error(err, origin, "%s[%zu]: wants an object", what, i);
        json_object_foreach(o, key, x) {
            bool ok;
            if (strcmp(key, "name") == 0)
                ok = text_of(x, m->name, sizeof m->name, false);
            else if (strcmp(key, "actions") == 0)
                ok = word_list(x, m->actions, sizeof m->actions);
            else if (strcmp(key, "words") == 0)
                ok = word_list(x, m->words, sizeof m->words);
            else if (evidence && strcmp(key, "min") == 0)
                ok = json_is_integer(x) && json_integer_value(x) >= 1 &&
                     json_integer_value(x) <= 1000000 &&
                     (m->min = (unsigned long)json_integer_value(x)) > 0;
            else if (!evidence && strcmp(key, "reasons") == 0)
                ok = word_list(x, m->reasons, sizeof m->reasons) && m->reasons[0];
            else
                return cfg_error(err, origin, "%s[%zu]: unknown key \"%.60s\" (known: name, %s, "
                                 "actions, words)", what, i, key, evidence ? "min" : "reasons");
            if (!ok)
                return cfg_error(err, origin, "%s[%zu].%s: wants %s", what, i, key,
                                 strcmp(key, "min") == 0 ? "a whole number >= 1"
                                 : strcmp(key, "name") == 0 ? "a non-empty string"
                                 : "a list of words");
        }
        if (!m->name[0])
            return cfg_error(err, origin, "%s[%zu]: wants a name", what, i);
        for (size_t j = 0; j < i; j++)
            if (strcmp(out[j].name, m->name) == 0)
                return cfg_error(err, origin, "%s[%zu]: two rules named \"%s\"", what, i, m->name);
        if (evidence && m->min == 0)
            m->min = 1;
        if (!evidence && !m->reasons[0])
            return cfg_error(err, origin, "%s[%zu]: wants reasons (words of the lost reason)",
                             what, i);
        if (!m->actions[0] && !m->words[0])
            return cfg_error(err, origin, "%s[%zu]: wants actions or words (which activities "
                             "count)", what, i);
        (*count)++;
    }
    return 0;
}

static bool when_known(const sop_funnel_config *cfg, const char *when)
{
    static const char *const kinds[] = {"breakpoint", "contradiction", "evidence"};
    for (size_t k = 0; k < 3; k++) {
        size_t n = strlen(kinds[k]);
        if (strncmp(when, kinds[k], n) != 0 || (when[n] && when[n] != ':'))
            continue;
        if (!when[n])
            return true;
        const char *arg = when + n + 1;
        if (k == 0) {
            const char *gt = strchr(arg, '>');
            char a[SOP_WORD_LEN], b[SOP_WORD_LEN];
            if (gt == NULL)
                return false;
            sop_word_fold(arg, (size_t)(gt - arg), a);
            sop_word_fold(gt + 1, strlen(gt + 1), b);
            long i = stage_index(cfg, a), j = stage_index(cfg, b);
            return i >= 0 && j == i + 1;
        }
        const sop_funnel_match *m = k == 1 ? cfg->contradiction : cfg->evidence;
        size_t count = k == 1 ? cfg->contradiction_count : cfg->evidence_count;
        for (size_t i = 0; i < count; i++)
            if (strcmp(m[i].name, arg) == 0)
                return true;
        return false;
    }
    return false;
}

static int parse_templates(json_t *v, const char *origin, sop_funnel_config *cfg,
                           sop_error *err)
{
    if (!json_is_array(v) || json_array_size(v) > SOP_FUNNEL_TEMPLATES)
        return cfg_error(err, origin, "actions: wants a list of at most %d {\"when\", \"text\"}",
                         SOP_FUNNEL_TEMPLATES);
    size_t i;
    json_t *o;
    cfg->template_count = 0;
    json_array_foreach(v, i, o) {
        sop_funnel_template *t = &cfg->templates[i];
        if (!json_is_object(o) || json_object_size(o) != 2 ||
            !text_of(json_object_get(o, "when"), t->when, sizeof t->when, false) ||
            !text_of(json_object_get(o, "text"), t->text, sizeof t->text, false))
            return cfg_error(err, origin, "actions[%zu]: wants {\"when\": ..., \"text\": ...} "
                             "(text under %zu bytes)", i, sizeof t->text);
        if (!when_known(cfg, t->when))
            return cfg_error(err, origin, "actions[%zu].when: \"%s\" wants breakpoint, "
                             "breakpoint:STAGE>NEXT_STAGE, contradiction[:NAME] or "
                             "evidence[:NAME] with a stage pair, rule or item the config has",
                             i, t->when);
        cfg->template_count++;
    }
    return 0;
}

int sop_funnel_config_load(const char *path, sop_funnel_config *cfg, sop_error *err)
{
    sop_funnel_config_default(cfg);
    if (path == NULL)
        return 0;
    json_t *root = sop_cfg_read_file(path, err);
    if (root == NULL)
        return err->status;
    int rc = 0;
    json_t *v;
    /* the parts the table cannot describe, in dependency order */
    if (rc == 0 && (v = json_object_get(root, "stages")) != NULL) {
        rc = parse_stages(v, path, cfg, err);
        cfg->alias_count = 0; /* the built-in names were for the built-in stages */
    }
    if (rc == 0 && (v = json_object_get(root, "stage_aliases")) != NULL)
        rc = parse_aliases(v, path, cfg, err);
    if (rc == 0 && (v = json_object_get(root, "evidence")) != NULL)
        rc = parse_matches(v, path, "evidence", true, cfg->evidence, &cfg->evidence_count, err);
    if (rc == 0 && (v = json_object_get(root, "contradictions")) != NULL)
        rc = parse_matches(v, path, "contradictions", false, cfg->contradiction,
                           &cfg->contradiction_count, err);
    if (rc == 0 && (v = json_object_get(root, "actions")) != NULL)
        rc = parse_templates(v, path, cfg, err);
    json_t *attr = json_object_get(root, "attribution");
    json_t *touch = attr ? json_object_get(attr, "touch_column") : NULL;
    if (rc == 0 && touch && !text_of(touch, cfg->touch_column, sizeof cfg->touch_column, false))
        rc = cfg_error(err, path, "attribution.touch_column: wants a column name");
    if (rc == 0) {
        static const char *const custom[] = {"stages", "stage_aliases", "evidence",
                                             "contradictions", "actions"};
        for (size_t i = 0; i < sizeof custom / sizeof custom[0]; i++)
            json_object_del(root, custom[i]);
        if (attr)
            json_object_del(attr, "touch_column");
        rc = sop_cfg_apply(root, path, config_fields, FIELDS, cfg, err);
    }
    if (rc == 0 && cfg->position_first + cfg->position_last > 1)
        rc = cfg_error(err, path, "attribution: position_first + position_last wants at most 1");
    /* templates checked before "stages" changed would name stages that are gone */
    for (size_t i = 0; rc == 0 && i < cfg->template_count; i++)
        if (!when_known(cfg, cfg->templates[i].when))
            rc = cfg_error(err, path, "actions: \"%s\" names a stage pair, rule or item the "
                           "config does not have (give \"actions\" with \"stages\")",
                           cfg->templates[i].when);
    json_decref(root);
    return rc;
}

/* ---- printing ----------------------------------------------------------- */

static bool set_new(json_t *o, const char *key, json_t *v)
{
    return v && json_object_set_new(o, key, v) == 0;
}

static json_t *matches_json(const sop_funnel_match *m, size_t count, bool evidence)
{
    json_t *list = json_array();
    for (size_t i = 0; list && i < count; i++) {
        json_t *o = json_object();
        bool ok = o && json_array_append_new(list, o) == 0 &&
                  set_new(o, "name", json_string(m[i].name)) &&
                  (evidence ? set_new(o, "min", json_integer((json_int_t)m[i].min))
                            : set_new(o, "reasons", json_string(m[i].reasons))) &&
                  (!m[i].actions[0] || set_new(o, "actions", json_string(m[i].actions))) &&
                  (!m[i].words[0] || set_new(o, "words", json_string(m[i].words)));
        if (!ok) {
            json_decref(list);
            return NULL;
        }
    }
    return list;
}

char *sop_funnel_config_json(const sop_funnel_config *cfg)
{
    json_t *root = sop_cfg_to_object(config_fields, FIELDS, cfg);
    json_t *stages = json_array(), *aliases = json_object(), *templates = json_array();
    bool ok = root && stages && aliases && templates;
    for (size_t i = 0; ok && i < cfg->stage_count; i++)
        ok = json_array_append_new(stages, json_string(cfg->stage[i])) == 0;
    for (size_t i = 0; ok && i < cfg->alias_count; i++)
        ok = set_new(aliases, cfg->alias[i], json_string(cfg->stage[cfg->alias_stage[i]]));
    for (size_t i = 0; ok && i < cfg->template_count; i++) {
        json_t *o = json_object();
        ok = o && json_array_append_new(templates, o) == 0 &&
             set_new(o, "when", json_string(cfg->templates[i].when)) &&
             set_new(o, "text", json_string(cfg->templates[i].text));
    }
    json_t *attr = root ? json_object_get(root, "attribution") : NULL;
    ok = ok && attr && set_new(attr, "touch_column", json_string(cfg->touch_column)) &&
         json_object_set(root, "stages", stages) == 0 &&
         json_object_set(root, "stage_aliases", aliases) == 0 &&
         set_new(root, "evidence", matches_json(cfg->evidence, cfg->evidence_count, true)) &&
         set_new(root, "contradictions",
                 matches_json(cfg->contradiction, cfg->contradiction_count, false)) &&
         json_object_set(root, "actions", templates) == 0;
    char *text = ok ? sop_cfg_dump(root) : NULL;
    json_decref(stages);
    json_decref(aliases);
    json_decref(templates);
    json_decref(root);
    return text;
}

bool sop_funnel_report_parse(const char *name, enum sop_funnel_report *out)
{
    static const char *const names[] = {"stages", "breakpoints", "pchart", "reasons",
                                        "evidence", "actions", "attribution"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(name, names[i]) == 0) {
            *out = (enum sop_funnel_report)i;
            return true;
        }
    return false;
}

bool sop_attrib_models_parse(const char *list, unsigned *bits)
{
    static const char *const names[SOP_ATTRIB_MODELS] = {"first", "last", "linear",
                                                         "time-decay", "position", "markov"};
    *bits = 0;
    const char *p = list;
    while (*p) {
        size_t n = strcspn(p, ",");
        size_t k = 0;
        if (n == 3 && strncmp(p, "all", 3) == 0)
            *bits |= (1u << SOP_ATTRIB_MODELS) - 1;
        else {
            while (k < SOP_ATTRIB_MODELS && !(strlen(names[k]) == n && strncmp(p, names[k], n) == 0))
                k++;
            if (k == SOP_ATTRIB_MODELS)
                return false;
            *bits |= 1u << k;
        }
        p += n;
        if (*p)
            p++;
    }
    return *bits != 0;
}
