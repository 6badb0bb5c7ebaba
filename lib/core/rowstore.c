/* rowstore.c - records kept compactly in one buffer. */
#include "rowstore.h"

#include <stdlib.h>
#include <string.h>

void sop_rowstore_init(sop_rowstore *s) { memset(s, 0, sizeof *s); }

void sop_rowstore_free(sop_rowstore *s)
{
    free(s->start);
    free(s->data);
    memset(s, 0, sizeof *s);
}

static bool reserve(sop_rowstore *s, size_t more)
{
    if (more <= s->cap - s->used)
        return true;
    size_t cap = s->cap ? s->cap : 1 << 16;
    while (cap - s->used < more) {
        if (cap > SIZE_MAX / 2)
            return false;
        cap *= 2;
    }
    unsigned char *d = realloc(s->data, cap);
    if (d == NULL)
        return false;
    s->data = d;
    s->cap = cap;
    return true;
}

/* A length as 1 byte (< 255) or 255 then 8 bytes. */
static void put_len(unsigned char **p, size_t len)
{
    if (len < 255) {
        *(*p)++ = (unsigned char)len;
        return;
    }
    *(*p)++ = 255;
    uint64_t v = len;
    memcpy(*p, &v, sizeof v);
    *p += sizeof v;
}

static size_t get_len(const unsigned char **p)
{
    unsigned char b = *(*p)++;
    if (b < 255)
        return b;
    uint64_t v;
    memcpy(&v, *p, sizeof v);
    *p += sizeof v;
    return (size_t)v;
}

bool sop_rowstore_add(sop_rowstore *s, const sop_record *rec)
{
    size_t need = 9;
    for (size_t i = 0; i < rec->count; i++)
        need += 10 + rec->values[i].len;
    if (!reserve(s, need))
        return false;
    if (s->count == s->start_cap) {
        size_t cap = s->start_cap ? s->start_cap * 2 : 1024;
        uint64_t *st = realloc(s->start, cap * sizeof *st);
        if (st == NULL)
            return false;
        s->start = st;
        s->start_cap = cap;
    }
    s->start[s->count++] = s->used;
    unsigned char *p = s->data + s->used;
    put_len(&p, rec->count);
    for (size_t i = 0; i < rec->count; i++) {
        const sop_value *v = &rec->values[i];
        *p++ = v->kind;
        if (v->kind == SOP_ABSENT)
            continue;
        put_len(&p, v->len);
        memcpy(p, rec->arena + v->off, v->len);
        p += v->len;
    }
    s->used = (size_t)(p - s->data);
    return true;
}

bool sop_rowstore_get(const sop_rowstore *s, size_t i, sop_record *rec)
{
    sop_record_clear(rec);
    const unsigned char *p = s->data + s->start[i];
    size_t n = get_len(&p);
    for (size_t k = 0; k < n; k++) {
        unsigned char kind = *p++;
        if (kind == SOP_ABSENT) {
            if (!sop_record_push(rec, "", 0, SOP_ABSENT))
                return false;
            continue;
        }
        size_t len = get_len(&p);
        if (!sop_record_push(rec, (const char *)p, len, kind))
            return false;
        p += len;
    }
    return true;
}
