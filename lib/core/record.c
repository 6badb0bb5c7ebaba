#include "record.h"

#include "text.h"

#include <stdlib.h>
#include <string.h>

void sop_schema_init(sop_schema *schema)
{
    schema->count = 0;
    schema->cap = 0;
    schema->names = NULL;
}

void sop_schema_free(sop_schema *schema)
{
    for (size_t i = 0; i < schema->count; i++)
        free(schema->names[i]);
    free(schema->names);
    sop_schema_init(schema);
}

long sop_schema_add(sop_schema *schema, const char *name, size_t len)
{
    if (schema->count == schema->cap) {
        size_t cap = schema->cap ? schema->cap * 2 : 16;
        char **names = realloc(schema->names, cap * sizeof *names);
        if (names == NULL)
            return -1;
        schema->names = names;
        schema->cap = cap;
    }
    char *copy = malloc(len + 1);
    if (copy == NULL)
        return -1;
    memcpy(copy, name, len);
    copy[len] = '\0';
    schema->names[schema->count] = copy;
    return (long)schema->count++;
}

long sop_schema_find(const sop_schema *schema, const char *name)
{
    for (size_t i = 0; i < schema->count; i++)
        if (strcmp(schema->names[i], name) == 0)
            return (long)i;
    return -1;
}

void sop_record_init(sop_record *rec)
{
    memset(rec, 0, sizeof *rec);
}

void sop_record_free(sop_record *rec)
{
    free(rec->values);
    free(rec->arena);
    sop_record_init(rec);
}

void sop_record_clear(sop_record *rec)
{
    rec->count = 0;
    rec->used = 0;
    rec->raw = NULL;
    rec->raw_len = 0;
}

static bool reserve_values(sop_record *rec, size_t need)
{
    if (need <= rec->cap)
        return true;
    size_t cap = rec->cap ? rec->cap : 32;
    while (cap < need)
        cap *= 2;
    sop_value *values = realloc(rec->values, cap * sizeof *values);
    if (values == NULL)
        return false;
    rec->values = values;
    rec->cap = cap;
    return true;
}

static bool store(sop_record *rec, const char *s, size_t len, size_t *off)
{
    size_t need = rec->used + len + 1;
    if (need > rec->arena_cap) {
        size_t cap = rec->arena_cap ? rec->arena_cap : 4096;
        while (cap < need)
            cap *= 2;
        char *arena = realloc(rec->arena, cap);
        if (arena == NULL)
            return false;
        rec->arena = arena;
        rec->arena_cap = cap;
    }
    *off = rec->used;
    if (len > 0)
        memcpy(rec->arena + rec->used, s, len);
    rec->arena[rec->used + len] = '\0';
    rec->used = need;
    return true;
}

bool sop_record_push(sop_record *rec, const char *s, size_t len, unsigned char kind)
{
    size_t off;
    if (!reserve_values(rec, rec->count + 1) || !store(rec, s, len, &off))
        return false;
    rec->values[rec->count].off = off;
    rec->values[rec->count].len = len;
    rec->values[rec->count].kind = kind;
    rec->count++;
    return true;
}

bool sop_record_set(sop_record *rec, size_t index, const char *s, size_t len,
                    unsigned char kind)
{
    size_t off;
    rec->raw = NULL; /* the line no longer says what the record holds */
    if (!reserve_values(rec, index + 1))
        return false;
    while (rec->count <= index) {
        rec->values[rec->count].off = 0;
        rec->values[rec->count].len = 0;
        rec->values[rec->count].kind = SOP_ABSENT;
        rec->count++;
    }
    if (!store(rec, s, len, &off))
        return false;
    rec->values[index].off = off;
    rec->values[index].len = len;
    rec->values[index].kind = kind;
    return true;
}

bool sop_record_split(sop_record *rec, const char *line, size_t len, char delim,
                      size_t max_fields, size_t *total, size_t *longest)
{
    size_t off;
    sop_record_clear(rec);
    if (!store(rec, line, len, &off))
        return false;
    char *base = rec->arena + off;
    char *end = base + len;
    char *p = base;
    size_t max = 0, max_at = 0, count = 0;
    for (;;) {
        char *d = memchr(p, delim, (size_t)(end - p));
        char *stop = d ? d : end;
        count++;
        if (rec->count < max_fields) {
            if (!reserve_values(rec, rec->count + 1))
                return false;
            size_t flen = (size_t)(stop - p);
            rec->values[rec->count].off = (size_t)(p - rec->arena);
            rec->values[rec->count].len = flen;
            rec->values[rec->count].kind = SOP_TEXT;
            rec->count++;
            if (flen > max) {
                max = flen;
                max_at = rec->count - 1;
            }
        }
        if (d == NULL)
            break;
        *d = '\0';
        p = d + 1;
    }
    *total = count;
    *longest = max_at;
    return true;
}

const char *sop_record_trimmed(const sop_record *rec, long col, size_t *len)
{
    if (col < 0) {
        *len = 0;
        return "";
    }
    const char *s = sop_record_text(rec, (size_t)col, len);
    sop_text_trim(&s, len);
    return s;
}
