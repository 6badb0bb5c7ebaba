/* idmap.c - ids by 64-bit hash, with a value each. */
#include "idmap.h"

#include <stdlib.h>

#include "strmap.h"

void sop_idmap_init(sop_idmap *m)
{
    m->count = m->cap = 0;
    m->keys = NULL;
    m->values = NULL;
}

void sop_idmap_free(sop_idmap *m)
{
    free(m->keys);
    free(m->values);
    sop_idmap_init(m);
}

uint64_t sop_idmap_key(const char *id, size_t len)
{
    uint64_t h = sop_strmap_hash(id, len);
    return h ? h : 1;
}

static size_t slot_of(const sop_idmap *m, uint64_t key)
{
    size_t i = (size_t)key & (m->cap - 1);
    while (m->keys[i] != 0 && m->keys[i] != key)
        i = (i + 1) & (m->cap - 1);
    return i;
}

int64_t *sop_idmap_get(const sop_idmap *m, uint64_t key)
{
    if (m->cap == 0)
        return NULL;
    size_t i = slot_of(m, key);
    return m->keys[i] == key ? &m->values[i] : NULL;
}

static bool grow(sop_idmap *m)
{
    size_t cap = m->cap ? m->cap * 2 : 1024;
    uint64_t *keys = calloc(cap, sizeof *keys);
    int64_t *values = malloc(cap * sizeof *values);
    if (keys == NULL || values == NULL) {
        free(keys);
        free(values);
        return false;
    }
    sop_idmap old = *m;
    m->keys = keys;
    m->values = values;
    m->cap = cap;
    for (size_t i = 0; i < old.cap; i++)
        if (old.keys[i] != 0) {
            size_t k = slot_of(m, old.keys[i]);
            m->keys[k] = old.keys[i];
            m->values[k] = old.values[i];
        }
    free(old.keys);
    free(old.values);
    return true;
}

int64_t *sop_idmap_put(sop_idmap *m, uint64_t key, int64_t value, bool *added)
{
    *added = false;
    if ((m->count + 1) * 2 > m->cap && !grow(m))
        return NULL;
    size_t i = slot_of(m, key);
    if (m->keys[i] == 0) {
        m->keys[i] = key;
        m->values[i] = value;
        m->count++;
        *added = true;
    }
    return &m->values[i];
}
