#include "scorecard.h"
#include "jsonalloc.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"
#include "writer.h"

#define FOLD_CAP 1024 /* longest value compared as text, in bytes */

enum cond_kind { COND_EQUALS, COND_ONE_OF, COND_CONTAINS, COND_RANGE, COND_REGEX, COND_PRESENT };

typedef struct outcome {
    double points;
    double multiplier;
    char *label;
} outcome;

typedef struct rule {
    enum cond_kind kind;
    char **texts;   /* as written, for --print-config */
    char **folded;  /* folded, for matching */
    size_t text_count;
    bool has_min, has_max;
    double min, max;
    size_t *slots;      /* one_of/equals: hash slots holding index + 1 */
    size_t slot_mask;
    uint64_t *pairs;    /* contains: bit set of the needles' first two bytes */
    size_t *lens;       /* contains: the needles' lengths */
    bool short_needle;  /* contains: a one-byte needle exists */
    char *pattern;
    pcre2_code *re;
    pcre2_match_data *re_match; /* scratch for matching */
    outcome out;
} rule;

typedef struct indicator {
    char *name;
    char *column;
    long col;
    double points;
    rule *rules;
    size_t rule_count;
    outcome fallback; /* "default": no rule matched */
    outcome missing;
    bool needs_fold, needs_number;
    double best;
    /* values met that could not be read, for the note after the run */
    unsigned long not_numbers, regex_failures;
    char first_file[256];
    long first_line;
} indicator;

typedef struct grade {
    char *label;
    double min;
} grade;

struct sop_scorecard {
    char *name;
    double hot_threshold;
    grade *grades;
    size_t grade_count;
    indicator *indicators;
    size_t indicator_count;
    char *decay_column;
    long decay_col;
    double half_life_days;
    double best_total;
    bool logistic;       /* "link": "logistic": score = 100 / (1 + e^-(intercept + sum)) */
    double intercept;
    json_t *training;    /* what --train recorded about the fit, kept for --print-config */
    sop_missing_set missing;
    bool marker_start[256]; /* bytes a missing marker can start with */
};

/* ---- errors that name the key ---------------------------------------- */

typedef struct ctx {
    const char *origin;
    sop_error *err;
    char path[256];
} ctx;

static int config_error(ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int config_error(ctx *c, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (c->path[0])
        return sop_error_set(c->err, SOP_EXIT_CONFIG, c->origin, 0, "%s: %s", c->path, msg);
    return sop_error_set(c->err, SOP_EXIT_CONFIG, c->origin, 0, "%s", msg);
}

static size_t path_push(ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static size_t path_push(ctx *c, const char *fmt, ...)
{
    size_t old = strlen(c->path);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->path + old, sizeof c->path - old, fmt, ap);
    va_end(ap);
    return old;
}

static void path_pop(ctx *c, size_t old)
{
    c->path[old] = '\0';
}

static int check_keys(ctx *c, json_t *obj, const char *const *allowed)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v) {
        bool ok = false;
        for (size_t i = 0; allowed[i]; i++)
            if (strcmp(key, allowed[i]) == 0)
                ok = true;
        if (!ok)
            return config_error(c, "unknown key \"%s\"", key);
    }
    return 0;
}

static int get_number(ctx *c, json_t *obj, const char *key, double *out, bool *found)
{
    json_t *v = json_object_get(obj, key);
    if (found)
        *found = v != NULL;
    if (v == NULL)
        return 0;
    if (!json_is_number(v)) {
        size_t old = path_push(c, ".%s", key);
        int rc = config_error(c, "must be a number");
        path_pop(c, old);
        return rc;
    }
    *out = json_number_value(v);
    if (!isfinite(*out))
        return config_error(c, "%s must be finite", key);
    return 0;
}

static int get_string(ctx *c, json_t *obj, const char *key, bool required, char **out)
{
    json_t *v = json_object_get(obj, key);
    size_t old = path_push(c, ".%s", key);
    int rc = 0;
    if (v == NULL) {
        if (required)
            rc = config_error(c, "is required");
    } else if (!json_is_string(v) || json_string_length(v) == 0) {
        rc = config_error(c, "must be a non-empty string");
    } else if ((*out = strdup(json_string_value(v))) == NULL) {
        rc = sop_error_set(c->err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
    }
    path_pop(c, old);
    return rc;
}

static char *fold_copy(const char *s)
{
    char buf[FOLD_CAP];
    size_t n = sop_text_fold(s, strlen(s), buf, sizeof buf);
    if (n == (size_t)-1)
        return NULL;
    return strdup(buf);
}

/* ---- parsing ---------------------------------------------------------- */

static int parse_outcome(ctx *c, json_t *obj, double default_points, outcome *out,
                         const char *const *extra_keys)
{
    static const char *const keys[] = {"points", "multiplier", "label", NULL};
    out->points = default_points;
    out->multiplier = 1.0;
    out->label = NULL;
    if (obj == NULL)
        return 0;
    if (!json_is_object(obj))
        return config_error(c, "must be an object");
    if (extra_keys == NULL) {
        int rc = check_keys(c, obj, keys);
        if (rc != 0)
            return rc;
    }
    int rc;
    if ((rc = get_number(c, obj, "points", &out->points, NULL)) != 0 ||
        (rc = get_number(c, obj, "multiplier", &out->multiplier, NULL)) != 0)
        return rc;
    if (out->multiplier < 0)
        return config_error(c, "multiplier must not be negative");
    json_t *label = json_object_get(obj, "label");
    if (label != NULL) {
        if (!json_is_string(label))
            return config_error(c, "label must be a string");
        if ((out->label = strdup(json_string_value(label))) == NULL)
            return sop_error_set(c->err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
    }
    return 0;
}

static int index_texts(ctx *c, rule *r);

static int parse_texts(ctx *c, json_t *v, rule *r, bool single)
{
    size_t count = single ? 1 : json_array_size(v);
    if (single ? !json_is_string(v) : (!json_is_array(v) || count == 0))
        return config_error(c, single ? "must be a string" : "must be a non-empty array of strings");
    r->texts = calloc(count, sizeof *r->texts);
    r->folded = calloc(count, sizeof *r->folded);
    if (r->texts == NULL || r->folded == NULL)
        return sop_error_set(c->err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
    r->text_count = count;
    for (size_t i = 0; i < count; i++) {
        json_t *s = single ? v : json_array_get(v, i);
        if (!json_is_string(s))
            return config_error(c, "item %zu must be a string", i);
        r->texts[i] = strdup(json_string_value(s));
        r->folded[i] = fold_copy(json_string_value(s));
        if (r->texts[i] == NULL || r->folded[i] == NULL)
            return config_error(c, "item %zu is not valid UTF-8 text or too long", i);
        if (r->kind == COND_CONTAINS && r->folded[i][0] == '\0')
            return config_error(c, "item %zu is empty", i);
    }
    return index_texts(c, r);
}

/* A word-at-a-time string hash: these run once per value per rule, and
 * a byte-serial hash showed in the profile. */
static uint64_t text_hash(const char *s)
{
    size_t len = strlen(s);
    uint64_t h = (uint64_t)len * 0x9E3779B97F4A7C15ull;
    while (len >= 8) {
        uint64_t w;
        memcpy(&w, s, 8);
        h = (h ^ w) * 0xBF58476D1CE4E5B9ull;
        h ^= h >> 31;
        s += 8;
        len -= 8;
    }
    if (len > 0) {
        uint64_t w = 0;
        memcpy(&w, s, len);
        h = (h ^ w) * 0x94D049BB133111EBull;
        h ^= h >> 29;
    }
    return h ^ (h >> 32);
}

/* Lookup structures, so matching a value costs about the same however
 * many strings a rule lists: a hash set for one_of, and for contains a
 * set of the needles' first two bytes that most positions miss. */
static int index_texts(ctx *c, rule *r)
{
    if (r->kind == COND_CONTAINS) {
        r->pairs = calloc(65536 / 64, sizeof *r->pairs);
        r->lens = calloc(r->text_count, sizeof *r->lens);
        if (r->pairs == NULL || r->lens == NULL)
            return sop_error_set(c->err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
        for (size_t i = 0; i < r->text_count; i++) {
            const unsigned char *n = (const unsigned char *)r->folded[i];
            r->lens[i] = strlen(r->folded[i]);
            if (n[1] == '\0') {
                r->short_needle = true;
                continue;
            }
            unsigned key = (unsigned)n[0] << 8 | n[1];
            r->pairs[key / 64] |= 1ull << (key % 64);
        }
        return 0;
    }
    size_t size = 8;
    while (size < r->text_count * 2)
        size *= 2;
    r->slots = calloc(size, sizeof *r->slots);
    if (r->slots == NULL)
        return sop_error_set(c->err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
    r->slot_mask = size - 1;
    for (size_t i = 0; i < r->text_count; i++) {
        size_t k = (size_t)text_hash(r->folded[i]) & r->slot_mask;
        while (r->slots[k] != 0)
            k = (k + 1) & r->slot_mask;
        r->slots[k] = i + 1;
    }
    return 0;
}

static bool has_upper_ascii(const char *s)
{
    for (; *s; s++)
        if (*s >= 'A' && *s <= 'Z')
            return true;
    return false;
}

static int parse_when(ctx *c, json_t *when, rule *r)
{
    if (!json_is_object(when) || json_object_size(when) == 0)
        return config_error(c, "must be an object with one condition");
    json_t *v;
    if ((v = json_object_get(when, "equals")) != NULL) {
        r->kind = COND_EQUALS;
        if (json_object_size(when) != 1)
            return config_error(c, "\"equals\" cannot be combined with other conditions");
        return parse_texts(c, v, r, true);
    }
    if ((v = json_object_get(when, "one_of")) != NULL) {
        r->kind = COND_ONE_OF;
        if (json_object_size(when) != 1)
            return config_error(c, "\"one_of\" cannot be combined with other conditions");
        return parse_texts(c, v, r, false);
    }
    if ((v = json_object_get(when, "contains")) != NULL) {
        r->kind = COND_CONTAINS;
        if (json_object_size(when) != 1)
            return config_error(c, "\"contains\" cannot be combined with other conditions");
        return json_is_string(v) ? parse_texts(c, v, r, true) : parse_texts(c, v, r, false);
    }
    if ((v = json_object_get(when, "regex")) != NULL) {
        r->kind = COND_REGEX;
        if (json_object_size(when) != 1)
            return config_error(c, "\"regex\" cannot be combined with other conditions");
        if (!json_is_string(v))
            return config_error(c, "regex must be a string");
        r->pattern = strdup(json_string_value(v));
        if (r->pattern == NULL)
            return sop_error_set(c->err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
        /* values are case-folded before matching, so a pattern without
         * capitals (no [A-Z], no \\D) needs no caseless matching */
        uint32_t flags = PCRE2_UTF | PCRE2_UCP | (has_upper_ascii(r->pattern) ? PCRE2_CASELESS : 0);
        int code;
        PCRE2_SIZE where;
        r->re = pcre2_compile((PCRE2_SPTR)r->pattern, PCRE2_ZERO_TERMINATED, flags, &code, &where,
                              NULL);
        if (r->re == NULL) {
            PCRE2_UCHAR msg[256];
            pcre2_get_error_message(code, msg, sizeof msg);
            return config_error(c, "regex \"%s\" does not compile at offset %zu: %s", r->pattern,
                                (size_t)where, (const char *)msg);
        }
        (void)pcre2_jit_compile(r->re, PCRE2_JIT_COMPLETE); /* without JIT it still works */
        r->re_match = pcre2_match_data_create_from_pattern(r->re, NULL);
        if (r->re_match == NULL)
            return sop_error_set(c->err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
        return 0;
    }
    if ((v = json_object_get(when, "present")) != NULL) {
        r->kind = COND_PRESENT;
        if (json_object_size(when) != 1)
            return config_error(c, "\"present\" cannot be combined with other conditions");
        if (!json_is_true(v))
            return config_error(c, "present must be true (use the indicator's \"missing\" "
                                   "outcome for missing values)");
        return 0;
    }
    if (json_object_get(when, "min") || json_object_get(when, "max")) {
        static const char *const keys[] = {"min", "max", NULL};
        r->kind = COND_RANGE;
        int rc;
        if ((rc = check_keys(c, when, keys)) != 0 ||
            (rc = get_number(c, when, "min", &r->min, &r->has_min)) != 0 ||
            (rc = get_number(c, when, "max", &r->max, &r->has_max)) != 0)
            return rc;
        if (r->has_min && r->has_max && r->min >= r->max)
            return config_error(c, "min (%g) must be below max (%g)", r->min, r->max);
        return 0;
    }
    const char *key = NULL;
    json_t *ignored;
    json_object_foreach(when, key, ignored) break;
    return config_error(c, "unknown condition \"%s\" (use equals, one_of, contains, min/max, "
                           "regex or present)",
                        key ? key : "");
}

static double outcome_value(const outcome *o)
{
    return o->points * o->multiplier;
}

static int parse_indicator(ctx *c, json_t *obj, indicator *ind)
{
    static const char *const keys[] = {"name", "column", "points", "rules",
                                       "default", "missing", NULL};
    static const char *const rule_keys[] = {"when", "points", "multiplier", "label", NULL};
    int rc;
    if (!json_is_object(obj))
        return config_error(c, "must be an object");
    if ((rc = check_keys(c, obj, keys)) != 0 ||
        (rc = get_string(c, obj, "column", true, &ind->column)) != 0 ||
        (rc = get_string(c, obj, "name", false, &ind->name)) != 0)
        return rc;
    if (ind->name == NULL && (ind->name = strdup(ind->column)) == NULL)
        return sop_error_set(c->err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
    ind->points = 10.0;
    if ((rc = get_number(c, obj, "points", &ind->points, NULL)) != 0)
        return rc;
    json_t *rules = json_object_get(obj, "rules");
    if (rules != NULL && !json_is_array(rules)) {
        size_t old = path_push(c, ".rules");
        rc = config_error(c, "must be an array");
        path_pop(c, old);
        return rc;
    }
    size_t rule_count = json_array_size(rules);
    ind->rules = calloc(rule_count ? rule_count : 1, sizeof *ind->rules);
    if (ind->rules == NULL)
        return sop_error_set(c->err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
    ind->rule_count = rule_count; /* only now: the free walks this many */
    for (size_t i = 0; i < ind->rule_count; i++) {
        json_t *r = json_array_get(rules, i);
        size_t old = path_push(c, ".rules[%zu]", i);
        if (!json_is_object(r)) {
            rc = config_error(c, "must be an object");
        } else if ((rc = check_keys(c, r, rule_keys)) == 0) {
            json_t *when = json_object_get(r, "when");
            if (when == NULL) {
                rc = config_error(c, "\"when\" is required");
            } else {
                size_t w = path_push(c, ".when");
                rc = parse_when(c, when, &ind->rules[i]);
                path_pop(c, w);
                if (rc == 0)
                    rc = parse_outcome(c, r, ind->points, &ind->rules[i].out, rule_keys);
            }
        }
        path_pop(c, old);
        if (rc != 0)
            return rc;
        if (ind->rules[i].kind == COND_RANGE)
            ind->needs_number = true;
        else if (ind->rules[i].kind != COND_PRESENT)
            ind->needs_fold = true;
    }
    size_t old = path_push(c, ".default");
    rc = parse_outcome(c, json_object_get(obj, "default"), ind->points, &ind->fallback, NULL);
    path_pop(c, old);
    if (rc != 0)
        return rc;
    old = path_push(c, ".missing");
    rc = parse_outcome(c, json_object_get(obj, "missing"), 0.0, &ind->missing, NULL);
    path_pop(c, old);
    if (rc != 0)
        return rc;
    ind->best = outcome_value(&ind->fallback);
    if (outcome_value(&ind->missing) > ind->best)
        ind->best = outcome_value(&ind->missing);
    for (size_t i = 0; i < ind->rule_count; i++)
        if (outcome_value(&ind->rules[i].out) > ind->best)
            ind->best = outcome_value(&ind->rules[i].out);
    return 0;
}

static int parse_grades(ctx *c, json_t *v, sop_scorecard *sc)
{
    if (v == NULL) {
        static const struct { const char *label; double min; } defaults[] = {
            {"A", 85}, {"B", 70}, {"C", 50}, {"D", 0}};
        sc->grades = calloc(4, sizeof *sc->grades);
        if (sc->grades == NULL)
            return sop_error_set(c->err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
        sc->grade_count = 4;
        for (size_t i = 0; i < 4; i++) {
            sc->grades[i].label = strdup(defaults[i].label);
            sc->grades[i].min = defaults[i].min;
            if (sc->grades[i].label == NULL)
                return sop_error_set(c->err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
        }
        return 0;
    }
    if (!json_is_array(v) || json_array_size(v) == 0)
        return config_error(c, "grades must be a non-empty array");
    sc->grades = calloc(json_array_size(v), sizeof *sc->grades);
    if (sc->grades == NULL)
        return sop_error_set(c->err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
    sc->grade_count = json_array_size(v);
    static const char *const keys[] = {"grade", "min", NULL};
    for (size_t i = 0; i < sc->grade_count; i++) {
        json_t *g = json_array_get(v, i);
        size_t old = path_push(c, "grades[%zu]", i);
        int rc = 0;
        bool found = false;
        if (!json_is_object(g))
            rc = config_error(c, "must be an object");
        else if ((rc = check_keys(c, g, keys)) == 0 &&
                 (rc = get_string(c, g, "grade", true, &sc->grades[i].label)) == 0 &&
                 (rc = get_number(c, g, "min", &sc->grades[i].min, &found)) == 0 && !found)
            rc = config_error(c, "\"min\" is required");
        if (rc == 0 && i > 0 && sc->grades[i].min >= sc->grades[i - 1].min)
            rc = config_error(c, "grades must be in descending order of min");
        path_pop(c, old);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static int parse_root(ctx *c, json_t *root, sop_scorecard *sc)
{
    static const char *const keys[] = {"name", "hot_threshold", "grades", "decay", "indicators",
                                       "missing_values", "link", "intercept", "training",
                                       NULL};
    int rc;
    if (!json_is_object(root))
        return config_error(c, "the scorecard must be a JSON object");
    if ((rc = check_keys(c, root, keys)) != 0 ||
        (rc = get_string(c, root, "name", false, &sc->name)) != 0)
        return rc;
    sc->hot_threshold = 85.0;
    if ((rc = get_number(c, root, "hot_threshold", &sc->hot_threshold, NULL)) != 0)
        return rc;
    if (sc->hot_threshold < 0 || sc->hot_threshold > 100)
        return config_error(c, "hot_threshold must be between 0 and 100");
    if ((rc = parse_grades(c, json_object_get(root, "grades"), sc)) != 0)
        return rc;
    json_t *link = json_object_get(root, "link");
    if (link != NULL) {
        if (!json_is_string(link) || (strcmp(json_string_value(link), "linear") != 0 &&
                                      strcmp(json_string_value(link), "logistic") != 0))
            return config_error(c, "link must be \"linear\" or \"logistic\"");
        sc->logistic = strcmp(json_string_value(link), "logistic") == 0;
    }
    bool has_intercept = false;
    if ((rc = get_number(c, root, "intercept", &sc->intercept, &has_intercept)) != 0)
        return rc;
    if (has_intercept && !sc->logistic)
        return config_error(c, "intercept goes with \"link\": \"logistic\"");
    json_t *training = json_object_get(root, "training");
    if (training != NULL) {
        if (!json_is_object(training))
            return config_error(c, "training must be an object");
        sc->training = json_incref(training);
    }
    sop_missing_default(&sc->missing);
    json_t *mv = json_object_get(root, "missing_values");
    if (mv != NULL) {
        if (!json_is_array(mv))
            return config_error(c, "missing_values must be an array of strings");
        sc->missing.count = 0;
        for (size_t i = 0; i < json_array_size(mv); i++) {
            json_t *s = json_array_get(mv, i);
            if (!json_is_string(s) || !sop_missing_add(&sc->missing, json_string_value(s)))
                return config_error(c, "missing_values[%zu] must be a short string (at most "
                                       "%d of them)", i, SOP_MISSING_MAX);
        }
    }
    for (size_t i = 0; i < sc->missing.count; i++) {
        unsigned char first = (unsigned char)sc->missing.marker[i][0];
        sc->marker_start[first] = true;
        if (first >= 'a' && first <= 'z')
            sc->marker_start[first - 32] = true;
        if (first >= 'A' && first <= 'Z')
            sc->marker_start[first + 32] = true;
    }
    json_t *decay = json_object_get(root, "decay");
    if (decay != NULL) {
        static const char *const dkeys[] = {"column", "half_life_days", NULL};
        size_t old = path_push(c, "decay");
        bool found = false;
        if (!json_is_object(decay))
            rc = config_error(c, "must be an object");
        else if ((rc = check_keys(c, decay, dkeys)) == 0 &&
                 (rc = get_string(c, decay, "column", true, &sc->decay_column)) == 0 &&
                 (rc = get_number(c, decay, "half_life_days", &sc->half_life_days, &found)) == 0 &&
                 (!found || sc->half_life_days <= 0))
            rc = config_error(c, "half_life_days must be a number above 0");
        path_pop(c, old);
        if (rc != 0)
            return rc;
    }
    json_t *inds = json_object_get(root, "indicators");
    if (!json_is_array(inds) || json_array_size(inds) == 0)
        return config_error(c, "\"indicators\" must be a non-empty array");
    sc->indicators = calloc(json_array_size(inds), sizeof *sc->indicators);
    if (sc->indicators == NULL)
        return sop_error_set(c->err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
    sc->indicator_count = json_array_size(inds);
    sc->best_total = 0;
    for (size_t i = 0; i < sc->indicator_count; i++) {
        size_t old = path_push(c, "indicators[%zu]", i);
        rc = parse_indicator(c, json_array_get(inds, i), &sc->indicators[i]);
        path_pop(c, old);
        if (rc != 0)
            return rc;
        for (size_t k = 0; k < i; k++)
            if (strcmp(sc->indicators[k].name, sc->indicators[i].name) == 0) {
                old = path_push(c, "indicators[%zu].name", i);
                rc = config_error(c, "\"%s\" is used twice", sc->indicators[i].name);
                path_pop(c, old);
                return rc;
            }
        sc->best_total += sc->indicators[i].best;
    }
    if (!sc->logistic && !(sc->best_total > 0))
        return config_error(c, "no indicator can give points: the best total is %g",
                            sc->best_total);
    return 0;
}

int sop_scorecard_parse(const char *text, size_t len, const char *origin, sop_scorecard **out,
                        sop_error *err)
{
    json_error_t jerr;
    sop_json_mark mark = sop_json_watch();
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (sop_json_out_of_memory(mark, &root, &jerr))
        return sop_error_set(err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
    if (root == NULL)
        return sop_error_set(err, SOP_EXIT_CONFIG, origin, jerr.line,
                             "invalid JSON: %s", jerr.text);
    sop_scorecard *sc = calloc(1, sizeof *sc);
    if (sc == NULL) {
        json_decref(root);
        return sop_error_set(err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
    }
    sc->decay_col = -1;
    ctx c = {origin, err, ""};
    int rc = parse_root(&c, root, sc);
    json_decref(root);
    if (rc != 0) {
        sop_scorecard_free(sc);
        return rc;
    }
    *out = sc;
    return 0;
}

int sop_scorecard_load(const char *path, sop_scorecard **out, sop_error *err)
{
    if (path == NULL)
        return sop_scorecard_parse(sop_scorecard_default_json, strlen(sop_scorecard_default_json),
                                   "built-in scorecard", out, err);
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return sop_error_set(err, SOP_EXIT_NOINPUT, path, 0, "cannot open config: %s",
                             strerror(errno));
    sop_buf b = {0};
    char chunk[8192];
    size_t n;
    int rc = 0;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (b.len + n > 16u * 1024u * 1024u) {
            rc = sop_error_set(err, SOP_EXIT_CONFIG, path, 0, "config larger than 16 MiB");
            break;
        }
        if (!sop_buf_put(&b, chunk, n)) {
            rc = sop_error_set(err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
            break;
        }
    }
    if (rc == 0 && ferror(f))
        rc = sop_error_set(err, SOP_EXIT_IOERR, path, 0, "read failed");
    fclose(f);
    if (rc == 0) {
        const char *text = b.data ? b.data : "";
        size_t len = b.len;
        if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {
            text += 3;
            len -= 3;
        }
        rc = sop_scorecard_parse(text, len, path, out, err);
    }
    sop_buf_free(&b);
    return rc;
}

static void free_outcome(outcome *o)
{
    free(o->label);
}

void sop_scorecard_free(sop_scorecard *sc)
{
    if (sc == NULL)
        return;
    for (size_t i = 0; i < sc->indicator_count; i++) {
        indicator *ind = &sc->indicators[i];
        for (size_t k = 0; k < ind->rule_count; k++) {
            rule *r = &ind->rules[k];
            for (size_t t = 0; t < r->text_count; t++) {
                free(r->texts ? r->texts[t] : NULL);
                free(r->folded ? r->folded[t] : NULL);
            }
            free(r->texts);
            free(r->folded);
            free(r->slots);
            free(r->pairs);
            free(r->lens);
            free(r->pattern);
            pcre2_match_data_free(r->re_match);
            pcre2_code_free(r->re);
            free_outcome(&r->out);
        }
        free(ind->rules);
        free(ind->name);
        free(ind->column);
        free_outcome(&ind->fallback);
        free_outcome(&ind->missing);
    }
    free(sc->indicators);
    for (size_t i = 0; i < sc->grade_count; i++)
        free(sc->grades[i].label);
    free(sc->grades);
    free(sc->decay_column);
    free(sc->name);
    json_decref(sc->training);
    free(sc);
}

/* ---- --print-config ----------------------------------------------------- */

static json_t *outcome_json(const outcome *o)
{
    json_t *obj = json_object();
    json_object_set_new(obj, "points", json_real(o->points));
    json_object_set_new(obj, "multiplier", json_real(o->multiplier));
    if (o->label)
        json_object_set_new(obj, "label", json_string(o->label));
    return obj;
}

static json_t *texts_json(const rule *r)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < r->text_count; i++)
        json_array_append_new(arr, json_string(r->texts[i]));
    return arr;
}

static json_t *rule_json(const rule *r)
{
    json_t *when = json_object();
    switch (r->kind) {
    case COND_EQUALS: json_object_set_new(when, "equals", json_string(r->texts[0])); break;
    case COND_ONE_OF: json_object_set_new(when, "one_of", texts_json(r)); break;
    case COND_CONTAINS: json_object_set_new(when, "contains", texts_json(r)); break;
    case COND_REGEX: json_object_set_new(when, "regex", json_string(r->pattern)); break;
    case COND_PRESENT: json_object_set_new(when, "present", json_true()); break;
    case COND_RANGE:
        if (r->has_min)
            json_object_set_new(when, "min", json_real(r->min));
        if (r->has_max)
            json_object_set_new(when, "max", json_real(r->max));
        break;
    }
    json_t *obj = outcome_json(&r->out);
    json_t *full = json_object();
    json_object_set_new(full, "when", when);
    json_object_update(full, obj);
    json_decref(obj);
    return full;
}

char *sop_scorecard_to_json(const sop_scorecard *sc)
{
    json_t *root = json_object();
    if (sc->name)
        json_object_set_new(root, "name", json_string(sc->name));
    json_object_set_new(root, "hot_threshold", json_real(sc->hot_threshold));
    if (sc->logistic) {
        json_object_set_new(root, "link", json_string("logistic"));
        json_object_set_new(root, "intercept", json_real(sc->intercept));
    }
    json_t *grades = json_array();
    for (size_t i = 0; i < sc->grade_count; i++) {
        json_t *g = json_object();
        json_object_set_new(g, "grade", json_string(sc->grades[i].label));
        json_object_set_new(g, "min", json_real(sc->grades[i].min));
        json_array_append_new(grades, g);
    }
    json_object_set_new(root, "grades", grades);
    json_t *mv = json_array();
    for (size_t i = 0; i < sc->missing.count; i++)
        json_array_append_new(mv, json_string(sc->missing.marker[i]));
    json_object_set_new(root, "missing_values", mv);
    if (sc->decay_column) {
        json_t *d = json_object();
        json_object_set_new(d, "column", json_string(sc->decay_column));
        json_object_set_new(d, "half_life_days", json_real(sc->half_life_days));
        json_object_set_new(root, "decay", d);
    }
    json_t *inds = json_array();
    for (size_t i = 0; i < sc->indicator_count; i++) {
        const indicator *ind = &sc->indicators[i];
        json_t *o = json_object();
        json_object_set_new(o, "name", json_string(ind->name));
        json_object_set_new(o, "column", json_string(ind->column));
        json_object_set_new(o, "points", json_real(ind->points));
        json_t *rules = json_array();
        for (size_t k = 0; k < ind->rule_count; k++)
            json_array_append_new(rules, rule_json(&ind->rules[k]));
        json_object_set_new(o, "rules", rules);
        json_object_set_new(o, "default", outcome_json(&ind->fallback));
        json_object_set_new(o, "missing", outcome_json(&ind->missing));
        json_array_append_new(inds, o);
    }
    json_object_set_new(root, "indicators", inds);
    if (sc->training)
        json_object_set(root, "training", sc->training);
    char *text = sop_json_text(root, 2, SOP_JSON_ROUND_TRIP);
    json_decref(root);
    return text;
}

/* ---- scoring ---------------------------------------------------------- */

int sop_scorecard_bind(sop_scorecard *sc, const sop_schema *schema, char *absent,
                       size_t absent_size, sop_error *err)
{
    (void)err;
    size_t used = 0;
    if (absent_size > 0)
        absent[0] = '\0';
    for (size_t i = 0; i < sc->indicator_count; i++) {
        indicator *ind = &sc->indicators[i];
        ind->col = sop_schema_find(schema, ind->column);
        if (ind->col < 0 && used < absent_size) {
            bool seen = false;
            for (size_t k = 0; k < i; k++)
                if (strcmp(sc->indicators[k].column, ind->column) == 0)
                    seen = true;
            if (!seen) {
                int n = snprintf(absent + used, absent_size - used, "%s%s", used ? ", " : "",
                                 ind->column);
                if (n > 0)
                    used += (size_t)n;
                if (used >= absent_size)
                    used = absent_size - 1;
            }
        }
    }
    if (sc->decay_column) {
        sc->decay_col = sop_schema_find(schema, sc->decay_column);
        if (sc->decay_col < 0 && used < absent_size)
            snprintf(absent + used, absent_size - used, "%s%s", used ? ", " : "",
                     sc->decay_column);
    }
    return 0;
}

size_t sop_scorecard_grade_count(const sop_scorecard *sc)
{
    return sc->grade_count;
}

const char *sop_scorecard_grade(const sop_scorecard *sc, size_t index)
{
    return index < sc->grade_count ? sc->grades[index].label : "";
}

bool sop_scorecard_calibrated(const sop_scorecard *sc)
{
    return sc->logistic;
}

bool sop_scorecard_has_decay(const sop_scorecard *sc)
{
    return sc->decay_column != NULL;
}

static bool value_missing(const sop_scorecard *sc, const sop_record *rec, long col,
                          const char **s, size_t *len)
{
    if (col < 0)
        return true;
    unsigned char kind = sop_record_kind(rec, (size_t)col);
    *s = sop_record_text(rec, (size_t)col, len);
    if (kind == SOP_ABSENT)
        return true;
    if (kind == SOP_LITERAL && *len == 4 && memcmp(*s, "null", 4) == 0)
        return true;
    if (*len > 0) {
        /* most values: no marker starts this way and there is nothing to trim */
        unsigned char first = (unsigned char)(*s)[0], last = (unsigned char)(*s)[*len - 1];
        if (!sc->marker_start[first] && first > ' ' && first != 0xE3 && first != 0xC2 &&
            last > ' ' && last != 0x80 && last != 0xA0)
            return false;
    }
    return sop_value_missing(&sc->missing, *s, *len);
}

/* One value as the rules see it: folded text (hashed on first need) and
 * number, each worked out once per indicator, not once per rule. */
typedef struct probe {
    const char *folded;
    size_t len;
    bool fold_ok;
    bool hashed;
    uint64_t hash;
    bool num_ok;
    double num;
    unsigned long *regex_failures;
} probe;

static bool in_set(const rule *r, probe *v)
{
    if (!v->hashed) {
        v->hash = text_hash(v->folded);
        v->hashed = true;
    }
    for (size_t k = (size_t)v->hash & r->slot_mask; r->slots[k] != 0; k = (k + 1) & r->slot_mask)
        if (strcmp(v->folded, r->folded[r->slots[k] - 1]) == 0)
            return true;
    return false;
}

static bool contains_any(const rule *r, const probe *v)
{
    if (r->short_needle) {
        for (size_t i = 0; i < r->text_count; i++)
            if (strstr(v->folded, r->folded[i]) != NULL)
                return true;
        return false;
    }
    const unsigned char *text = (const unsigned char *)v->folded;
    for (size_t at = 0; at + 1 < v->len; at++) {
        unsigned key = (unsigned)text[at] << 8 | text[at + 1];
        if ((r->pairs[key / 64] & (1ull << (key % 64))) == 0)
            continue;
        for (size_t i = 0; i < r->text_count; i++)
            if (r->lens[i] <= v->len - at && memcmp(text + at, r->folded[i], r->lens[i]) == 0)
                return true;
    }
    return false;
}

static bool rule_matches(const rule *r, probe *v)
{
    switch (r->kind) {
    case COND_PRESENT:
        return true;
    case COND_RANGE:
        return v->num_ok && (!r->has_min || v->num >= r->min) && (!r->has_max || v->num < r->max);
    case COND_EQUALS:
    case COND_ONE_OF:
        return v->fold_ok && in_set(r, v);
    case COND_CONTAINS:
        return v->fold_ok && contains_any(r, v);
    case COND_REGEX: {
        if (!v->fold_ok)
            return false;
        int rc = pcre2_match(r->re, (PCRE2_SPTR)v->folded, v->len, 0, PCRE2_NO_UTF_CHECK,
                             r->re_match, NULL);
        if (rc < 0 && rc != PCRE2_ERROR_NOMATCH)
            (*v->regex_failures)++; /* a match or JIT stack limit, not a "no" */
        return rc >= 0;
    }
    }
    return false;
}

static void note_first(indicator *ind, const sop_record *rec)
{
    if (ind->first_line == 0) {
        snprintf(ind->first_file, sizeof ind->first_file, "%s", rec->file ? rec->file : "");
        ind->first_line = rec->line;
    }
}

static const outcome *indicator_outcome(const sop_scorecard *sc, indicator *ind,
                                        const sop_record *rec)
{
    const char *s = "";
    size_t len = 0;
    if (value_missing(sc, rec, ind->col, &s, &len))
        return &ind->missing;
    char stack[FOLD_CAP];
    probe v = {.folded = stack, .regex_failures = &ind->regex_failures};
    char *folded = stack;
    if (ind->needs_fold) {
        v.len = sop_text_fold(s, len, folded, sizeof stack);
        if (v.len == (size_t)-1 && len >= sizeof stack / 18) {
            /* a long value: NFKC grows text at most 18-fold */
            size_t cap = len * 18 + 1;
            folded = calloc(cap + 64, 1); /* + the JIT's read-ahead, defined */
            v.len = folded ? sop_text_fold(s, len, folded, cap) : (size_t)-1;
            if (folded == NULL)
                folded = stack;
        }
        v.fold_ok = v.len != (size_t)-1;
        v.folded = folded;
        /* PCRE2's JIT may load a few bytes past the subject's end (they
         * never change a match): let them be defined bytes */
        if (v.fold_ok && folded == stack) {
            size_t room = sizeof stack - v.len;
            memset(stack + v.len, 0, room < 64 ? room : 64);
        }
    }
    if (ind->needs_number)
        v.num_ok = sop_parse_number(s, len, &v.num);
    const outcome *out = &ind->fallback;
    unsigned long failures = ind->regex_failures;
    for (size_t i = 0; i < ind->rule_count; i++) {
        if (rule_matches(&ind->rules[i], &v)) {
            out = &ind->rules[i].out;
            break;
        }
    }
    if (out == &ind->fallback && ind->needs_number && !v.num_ok) {
        ind->not_numbers++;
        note_first(ind, rec);
    } else if (ind->regex_failures != failures) {
        note_first(ind, rec);
    }
    if (folded != stack)
        free(folded);
    return out;
}

static bool detail_add(sop_buf *detail, const char *name, double value, const char *label,
                       int decimals)
{
    char num[64];
    snprintf(num, sizeof num, " %+.*f", decimals, value);
    return sop_buf_put(detail, name, strlen(name)) && sop_buf_put(detail, num, strlen(num)) &&
           (label == NULL ||
            (sop_buf_put(detail, " (", 2) && sop_buf_put(detail, label, strlen(label)) &&
             sop_buf_put(detail, ")", 1))) &&
           sop_buf_put(detail, "; ", 2);
}

size_t sop_scorecard_unreadable(const sop_scorecard *sc,
                                void (*line)(void *line_ctx, const char *text), void *line_ctx)
{
    size_t lines = 0;
    for (size_t i = 0; i < sc->indicator_count; i++) {
        const indicator *ind = &sc->indicators[i];
        char text[768];
        if (ind->not_numbers > 0) {
            snprintf(text, sizeof text,
                     "%s: %lu value%s of column %s %s (first at %s:%ld); scored as \"%s\"",
                     ind->name, ind->not_numbers, ind->not_numbers == 1 ? "" : "s", ind->column,
                     ind->not_numbers == 1 ? "is not a number" : "are not numbers",
                     ind->first_file, ind->first_line,
                     ind->fallback.label ? ind->fallback.label : "default");
            line(line_ctx, text);
            lines++;
        }
        if (ind->regex_failures > 0) {
            snprintf(text, sizeof text,
                     "%s: the regex could not finish on %lu value%s (first at %s:%ld); they "
                     "counted as not matching",
                     ind->name, ind->regex_failures, ind->regex_failures == 1 ? "" : "s",
                     ind->first_file, ind->first_line);
            line(line_ctx, text);
            lines++;
        }
    }
    return lines;
}

int sop_scorecard_eval(sop_scorecard *sc, const sop_record *rec, int64_t now,
                       const sop_tz *tz, sop_score *out, sop_buf *detail, sop_error *err)
{
    double total = 0;
    bool ok = true;
    for (size_t i = 0; i < sc->indicator_count; i++) {
        indicator *ind = &sc->indicators[i];
        const outcome *o = indicator_outcome(sc, ind, rec);
        double v = outcome_value(o);
        total += v;
        if (detail)
            ok = ok && detail_add(detail, ind->name, v, o->label, sc->logistic ? 3 : 1);
    }
    double score;
    double z = sc->intercept + total;
    if (sc->logistic)
        score = z >= 0 ? 100.0 / (1.0 + exp(-z)) : 100.0 * exp(z) / (1.0 + exp(z));
    else
        score = 100.0 * total / sc->best_total;
    if (!(score >= 0)) /* also NaN */
        score = 0;
    if (score > 100)
        score = 100;
    if (detail) { /* printf with doubles is costly: only when asked */
        char tail[96];
        if (sc->logistic)
            snprintf(tail, sizeof tail, "intercept %+.3f; log-odds %+.3f", sc->intercept, z);
        else
            snprintf(tail, sizeof tail, "total %.1f/%.1f", total, sc->best_total);
        ok = ok && sop_buf_put(detail, tail, strlen(tail));
    }
    if (sc->decay_column) {
        const char *s = "";
        size_t len = 0;
        int64_t at;
        char note[128];
        if (!value_missing(sc, rec, sc->decay_col, &s, &len) &&
            sop_parse_time(s, len, tz, true, &at)) {
            double age_days = (double)(now - at) / 86400.0;
            if (age_days < 0)
                age_days = 0;
            double factor = pow(0.5, age_days / sc->half_life_days);
            score *= factor;
            snprintf(note, sizeof note, "; decay x%.3f (age %.1f days)", factor, age_days);
        } else {
            snprintf(note, sizeof note, "; no decay (%s not a readable time)", sc->decay_column);
        }
        if (detail)
            ok = ok && sop_buf_put(detail, note, strlen(note));
    }
    if (!ok)
        return sop_error_set(err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
    out->exact = score;
    out->score = round(score * 10.0) / 10.0;
    out->grade = ""; /* below every grade's min: no grade */
    out->grade_index = sc->grade_count;
    for (size_t i = 0; i < sc->grade_count; i++) {
        if (out->score >= sc->grades[i].min) {
            out->grade = sc->grades[i].label;
            out->grade_index = i;
            break;
        }
    }
    out->hot = out->score >= sc->hot_threshold;
    return 0;
}
