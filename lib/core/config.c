#include "config.h"
#include "jsonalloc.h"
#include "writer.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The object at the parent path of field (created when `create`), and the
 * last path component in *leaf. */
static json_t *parent_of(json_t *root, const char *path, bool create, char *leaf, size_t cap)
{
    json_t *obj = root;
    const char *p = path;
    for (const char *dot; (dot = strchr(p, '.')) != NULL; p = dot + 1) {
        char part[SOP_CFG_TEXT];
        snprintf(part, sizeof part, "%.*s", (int)(dot - p), p);
        json_t *next = json_object_get(obj, part);
        if (next == NULL && create) {
            next = json_object();
            if (next == NULL || json_object_set_new(obj, part, next) != 0)
                return NULL;
        }
        if (next == NULL || !json_is_object(next))
            return NULL;
        obj = next;
    }
    snprintf(leaf, cap, "%s", p);
    return obj;
}

static int bad(sop_error *err, const char *origin, const char *path, bool whole, double lo,
               double hi)
{
    return sop_error_set(err, SOP_EXIT_CONFIG, origin, 0, "%s: wants a %s from %g to %g", path,
                         whole ? "whole number" : "number", lo, hi);
}

static void list_choices(const char *const *choices, char *out, size_t cap)
{
    size_t n = 0;
    out[0] = '\0';
    for (size_t i = 0; choices[i] && n < cap; i++)
        n += (size_t)snprintf(out + n, cap - n, "%s%s", i ? ", " : "", choices[i]);
}

static long choice_index(const char *const *choices, const char *s)
{
    for (size_t i = 0; choices[i]; i++)
        if (strcmp(choices[i], s) == 0)
            return (long)i;
    return -1;
}

static int read_field(const sop_cfg_field *f, json_t *v, char *base, const char *origin,
                      sop_error *err)
{
    void *at = base + f->offset;
    char names[256];
    switch (f->type) {
    case SOP_CFG_NUMBER:
    case SOP_CFG_COUNT: {
        double x = json_is_number(v) ? json_number_value(v) : NAN;
        if (!(x >= f->min && x <= f->max) || (f->type == SOP_CFG_COUNT && x != floor(x)))
            return bad(err, origin, f->path, f->type == SOP_CFG_COUNT, f->min, f->max);
        if (f->type == SOP_CFG_COUNT)
            *(unsigned long *)at = (unsigned long)x;
        else
            *(double *)at = x;
        return 0;
    }
    case SOP_CFG_BOOL:
        if (!json_is_boolean(v))
            return sop_error_set(err, SOP_EXIT_CONFIG, origin, 0, "%s: wants true or false",
                                 f->path);
        *(bool *)at = json_is_true(v);
        return 0;
    case SOP_CFG_STRING:
        if (!json_is_string(v) || json_string_length(v) == 0 ||
            json_string_length(v) >= SOP_CFG_TEXT)
            return sop_error_set(err, SOP_EXIT_CONFIG, origin, 0,
                                 "%s: wants a non-empty string of at most %d bytes", f->path,
                                 SOP_CFG_TEXT - 1);
        snprintf(at, SOP_CFG_TEXT, "%s", json_string_value(v));
        return 0;
    case SOP_CFG_CHOICE: {
        long i = json_is_string(v) ? choice_index(f->choices, json_string_value(v)) : -1;
        if (i < 0) {
            list_choices(f->choices, names, sizeof names);
            return sop_error_set(err, SOP_EXIT_CONFIG, origin, 0, "%s: wants one of %s",
                                 f->path, names);
        }
        *(int *)at = (int)i;
        return 0;
    }
    case SOP_CFG_SET: {
        unsigned set = 0;
        size_t i;
        json_t *item;
        if (!json_is_array(v))
            goto bad_set;
        json_array_foreach(v, i, item) {
            long c = json_is_string(item) ? choice_index(f->choices, json_string_value(item)) : -1;
            if (c < 0)
                goto bad_set;
            set |= 1u << c;
        }
        *(unsigned *)at = set;
        return 0;
    bad_set:
        list_choices(f->choices, names, sizeof names);
        return sop_error_set(err, SOP_EXIT_CONFIG, origin, 0, "%s: wants a list of %s",
                             f->path, names);
    }
    }
    return 0;
}

/* Every key of obj (at prefix) must be a field or lead to one. */
static int check_keys(json_t *obj, const char *prefix, const sop_cfg_field *fields,
                      size_t count, const char *origin, sop_error *err)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v) {
        char path[256];
        snprintf(path, sizeof path, "%s%s%s", prefix, *prefix ? "." : "", key);
        size_t n = strlen(path);
        bool leaf = false, inner = false;
        for (size_t i = 0; i < count; i++) {
            if (strcmp(fields[i].path, path) == 0)
                leaf = true;
            else if (strncmp(fields[i].path, path, n) == 0 && fields[i].path[n] == '.')
                inner = true;
        }
        if (!leaf && !inner)
            return sop_error_set(err, SOP_EXIT_CONFIG, origin, 0, "unknown key \"%s\"", path);
        if (inner) {
            if (!json_is_object(v))
                return sop_error_set(err, SOP_EXIT_CONFIG, origin, 0, "%s: wants an object",
                                     path);
            int rc = check_keys(v, path, fields, count, origin, err);
            if (rc != 0)
                return rc;
        }
    }
    return 0;
}

json_t *sop_cfg_read_file(const char *path, sop_error *err)
{
    json_error_t jerr;
    sop_json_mark mark = sop_json_watch();
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    if (sop_json_out_of_memory(mark, &root, &jerr)) {
        sop_error_set(err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
        return NULL;
    }
    if (root == NULL) {
        if (jerr.position == 0 && jerr.line <= 0)
            sop_error_set(err, SOP_EXIT_NOINPUT, path, 0, "cannot open: %s", jerr.text);
        else
            sop_error_set(err, SOP_EXIT_CONFIG, path, jerr.line, "not valid JSON: %s", jerr.text);
        return NULL;
    }
    if (!json_is_object(root)) {
        json_decref(root);
        sop_error_set(err, SOP_EXIT_CONFIG, path, 0, "wants a JSON object");
        return NULL;
    }
    return root;
}

int sop_cfg_apply(json_t *root, const char *origin, const sop_cfg_field *fields, size_t count,
                  void *cfg, sop_error *err)
{
    int rc = check_keys(root, "", fields, count, origin, err);
    for (size_t i = 0; rc == 0 && i < count; i++) {
        char leaf[SOP_CFG_TEXT];
        json_t *parent = parent_of(root, fields[i].path, false, leaf, sizeof leaf);
        json_t *v = parent ? json_object_get(parent, leaf) : NULL;
        if (v != NULL)
            rc = read_field(&fields[i], v, cfg, origin, err);
    }
    return rc;
}

int sop_cfg_load(const char *path, const sop_cfg_field *fields, size_t count, void *cfg,
                 sop_error *err)
{
    json_t *root = sop_cfg_read_file(path, err);
    if (root == NULL)
        return err->status;
    int rc = sop_cfg_apply(root, path, fields, count, cfg, err);
    json_decref(root);
    return rc;
}

static json_t *field_json(const sop_cfg_field *f, const char *base)
{
    const void *at = base + f->offset;
    switch (f->type) {
    case SOP_CFG_NUMBER: return json_real(*(const double *)at);
    case SOP_CFG_COUNT: return json_integer((json_int_t) * (const unsigned long *)at);
    case SOP_CFG_BOOL: return json_boolean(*(const bool *)at);
    case SOP_CFG_STRING: return json_string(at);
    case SOP_CFG_CHOICE: return json_string(f->choices[*(const int *)at]);
    case SOP_CFG_SET: {
        json_t *list = json_array();
        unsigned set = *(const unsigned *)at;
        for (size_t i = 0; list && f->choices[i]; i++)
            if ((set >> i & 1u) && json_array_append_new(list, json_string(f->choices[i])) != 0) {
                json_decref(list);
                return NULL;
            }
        return list;
    }
    }
    return NULL;
}

json_t *sop_cfg_to_object(const sop_cfg_field *fields, size_t count, const void *cfg)
{
    json_t *root = json_object();
    for (size_t i = 0; root && i < count; i++) {
        char leaf[SOP_CFG_TEXT];
        json_t *parent = parent_of(root, fields[i].path, true, leaf, sizeof leaf);
        json_t *v = field_json(&fields[i], cfg);
        if (parent == NULL || v == NULL) {
            json_decref(v);
            json_decref(root);
            return NULL;
        }
        if (json_object_set_new(parent, leaf, v) != 0) { /* v is freed with it */
            json_decref(root);
            return NULL;
        }
    }
    return root;
}

char *sop_cfg_dump(const json_t *root)
{
    return root ? sop_json_text(root, 2, SOP_JSON_ROUND_TRIP)
                : NULL;
}

char *sop_cfg_to_json(const sop_cfg_field *fields, size_t count, const void *cfg)
{
    json_t *root = sop_cfg_to_object(fields, count, cfg);
    char *text = sop_cfg_dump(root);
    json_decref(root);
    return text;
}
