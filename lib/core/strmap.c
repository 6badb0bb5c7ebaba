#include "strmap.h"

#include <stdlib.h>
#include <string.h>

uint64_t sop_hash_mix(uint64_t h)
{
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9u;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebu;
    h ^= h >> 31;
    return h;
}

/* FNV-1a with a final mix, so the low bits that pick a slot depend on
 * every byte. */
static uint64_t hash(const char *s, size_t len)
{
    uint64_t h = 0xcbf29ce484222325u;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 0x100000001b3u;
    }
    return sop_hash_mix(h);
}

void sop_strmap_init(sop_strmap *m)
{
    memset(m, 0, sizeof *m);
}

void sop_strmap_free(sop_strmap *m)
{
    free(m->ent);
    free(m->arena);
    free(m->slots);
    sop_strmap_init(m);
}

/* A slot holds the top half of the hash beside the entry number, so a
 * probe that does not match rarely has to look at the entry (a cache miss
 * in a big map). */
static uint64_t slot_of(size_t e, uint64_t h)
{
    return (h & UINT64_C(0xFFFFFFFF00000000)) | (uint64_t)(e + 1);
}

static long lookup(const sop_strmap *m, const char *key, size_t len, uint64_t h, size_t *slot)
{
    size_t mask = m->nslots - 1;
    uint64_t tag = h & UINT64_C(0xFFFFFFFF00000000);
    for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
        uint64_t s = m->slots[i];
        if (s == 0) {
            *slot = i;
            return -1;
        }
        if ((s & UINT64_C(0xFFFFFFFF00000000)) != tag)
            continue;
        size_t e = (size_t)(s & 0xFFFFFFFFu) - 1;
        const struct sop_strmap_entry *x = &m->ent[e];
        if (x->hash != h || x->len != len)
            continue;
        if (len <= SOP_STRMAP_HEAD ? memcmp(x->head, key, len) == 0
                                   : memcmp(x->head, key, SOP_STRMAP_HEAD) == 0 &&
                                         memcmp(m->arena + x->off, key, len) == 0)
            return (long)e;
    }
}

long sop_strmap_candidate(const sop_strmap *m, uint64_t h)
{
    if (m->count == 0)
        return -1;
    size_t mask = m->nslots - 1;
    uint64_t tag = h & UINT64_C(0xFFFFFFFF00000000);
    for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
        uint64_t s = m->slots[i];
        if (s == 0)
            return -1;
        if ((s & UINT64_C(0xFFFFFFFF00000000)) == tag) {
            size_t e = (size_t)(s & 0xFFFFFFFFu) - 1;
            __builtin_prefetch(&m->ent[e]);
            return (long)e;
        }
    }
}

uint64_t sop_strmap_hash(const char *key, size_t len)
{
    return hash(key, len);
}

long sop_strmap_find_hashed(const sop_strmap *m, const char *key, size_t len, uint64_t h)
{
    if (m->count == 0)
        return -1;
    size_t slot;
    return lookup(m, key, len, h, &slot);
}

long sop_strmap_find(const sop_strmap *m, const char *key, size_t len)
{
    return sop_strmap_find_hashed(m, key, len, hash(key, len));
}

static bool rehash(sop_strmap *m, size_t nslots)
{
    uint64_t *slots = calloc(nslots, sizeof *slots);
    if (slots == NULL)
        return false;
    free(m->slots);
    m->slots = slots;
    m->nslots = nslots;
    for (size_t e = 0; e < m->count; e++) {
        size_t i = (size_t)m->ent[e].hash & (nslots - 1);
        while (slots[i] != 0)
            i = (i + 1) & (nslots - 1);
        slots[i] = slot_of(e, m->ent[e].hash);
    }
    return true;
}

static bool grow_entries(sop_strmap *m)
{
    size_t cap = m->cap ? m->cap * 2 : 16;
    struct sop_strmap_entry *ent = realloc(m->ent, cap * sizeof *ent);
    if (ent == NULL)
        return false;
    m->ent = ent;
    m->cap = cap;
    return true;
}

long sop_strmap_put(sop_strmap *m, const char *key, size_t len, bool *added)
{
    return sop_strmap_put_hashed(m, key, len, hash(key, len), added);
}

long sop_strmap_put_hashed(sop_strmap *m, const char *key, size_t len, uint64_t h, bool *added)
{
    *added = false;
    /* at most half full: short probe runs */
    if ((m->count + 1) * 2 > m->nslots && !rehash(m, m->nslots ? m->nslots * 2 : 32))
        return -1;
    size_t slot;
    long found = lookup(m, key, len, h, &slot);
    if (found >= 0)
        return found;
    if (m->count >= 0xFFFFFFFEu || len >= 0xFFFFFFFFu ||
        (m->count == m->cap && !grow_entries(m)))
        return -1;
    if (m->used + len + 1 > m->arena_cap) {
        size_t cap = m->arena_cap ? m->arena_cap : 4096;
        while (cap < m->used + len + 1)
            cap *= 2;
        char *arena = realloc(m->arena, cap);
        if (arena == NULL)
            return -1;
        m->arena = arena;
        m->arena_cap = cap;
    }
    memcpy(m->arena + m->used, key, len);
    m->arena[m->used + len] = '\0';
    size_t e = m->count++;
    m->ent[e].off = m->used;
    m->used += len + 1;
    m->ent[e].len = (uint32_t)len;
    m->ent[e].hash = h;
    memcpy(m->ent[e].head, key, len < SOP_STRMAP_HEAD ? len : SOP_STRMAP_HEAD);
    m->slots[slot] = slot_of(e, h);
    *added = true;
    return (long)e;
}

bool sop_strmap_filter(sop_strmap *m, const bool *keep, long *renumber)
{
    uint64_t *slots = NULL;
    if (m->nslots > 0 && (slots = calloc(m->nslots, sizeof *slots)) == NULL)
        return false;
    /* the kept keys move down the arena, in order: a key never moves up */
    size_t kept = 0, used = 0;
    for (size_t e = 0; e < m->count; e++) {
        if (!keep[e]) {
            if (renumber)
                renumber[e] = -1;
            continue;
        }
        struct sop_strmap_entry x = m->ent[e];
        memmove(m->arena + used, m->arena + x.off, (size_t)x.len + 1);
        x.off = used;
        used += (size_t)x.len + 1;
        m->ent[kept] = x;
        if (renumber)
            renumber[e] = (long)kept;
        size_t i = (size_t)x.hash & (m->nslots - 1);
        while (slots[i] != 0)
            i = (i + 1) & (m->nslots - 1);
        slots[i] = slot_of(kept, x.hash);
        kept++;
    }
    m->count = kept;
    m->used = used;
    free(m->slots);
    m->slots = slots;
    return true;
}
