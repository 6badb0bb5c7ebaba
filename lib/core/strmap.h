/* strmap.h - a string -> index map (open addressing) whose entries keep
 * their insertion order, so whatever is written from it (a state file)
 * comes out the same every run.  The map owns copies of its keys, one
 * after another in one arena (no allocation per key). */
#ifndef SOP_STRMAP_H
#define SOP_STRMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { SOP_STRMAP_HEAD = 12 };

typedef struct sop_strmap {
    size_t count;      /* entries, numbered 0..count-1 in insertion order */
    size_t cap;        /* entry capacity */
    struct sop_strmap_entry {
        uint64_t hash;
        size_t off;    /* where its key starts in the arena */
        uint32_t len;
        char head[SOP_STRMAP_HEAD]; /* the key's first bytes: a short key (an id)
                                       is compared without reading the arena */
    } *ent;            /* one record per entry: a lookup touches one cache line */
    char *arena;       /* the keys, each NUL-terminated */
    size_t used, arena_cap;
    uint64_t *slots;   /* the hash's top 32 bits, then entry number + 1; 0 = empty */
    size_t nslots;     /* a power of two */
} sop_strmap;

/* A 64-bit mixer (splitmix64's finaliser): every input bit moves about
 * half the output bits.  For hashing and for seeded tie-breaking. */
uint64_t sop_hash_mix(uint64_t h);

void sop_strmap_init(sop_strmap *m);
void sop_strmap_free(sop_strmap *m);
/* The entry number of key, or -1. */
long sop_strmap_find(const sop_strmap *m, const char *key, size_t len);
/* The same with the key's hash computed once (sop_strmap_hash) for a
 * lookup followed by an insertion. */
uint64_t sop_strmap_hash(const char *key, size_t len);
long sop_strmap_find_hashed(const sop_strmap *m, const char *key, size_t len, uint64_t hash);
long sop_strmap_put_hashed(sop_strmap *m, const char *key, size_t len, uint64_t hash,
                           bool *added);
/* Starts loading the slot a lookup of hash h will read first, so the
 * cache miss of a big map overlaps with other work done before the
 * lookup. */
static inline void sop_strmap_prefetch(const sop_strmap *m, uint64_t h)
{
    if (m->nslots > 0)
        __builtin_prefetch(&m->slots[(size_t)h & (m->nslots - 1)]);
}
/* The entry a lookup of hash h will most likely find (the first slot
 * whose stored hash bits match), -1 when none: not checked against the
 * key, for prefetching what belongs to the entry before the lookup. */
long sop_strmap_candidate(const sop_strmap *m, uint64_t h);
/* The entry number of key, added if new (*added says which); -1 when out
 * of memory or the key is longer than 4 GiB. */
long sop_strmap_put(sop_strmap *m, const char *key, size_t len, bool *added);
/* Entry i's key (NUL-terminated; valid until the next put or filter) and
 * its length. */
static inline const char *sop_strmap_key(const sop_strmap *m, size_t i)
{
    return m->arena + m->ent[i].off;
}
static inline size_t sop_strmap_len(const sop_strmap *m, size_t i) { return m->ent[i].len; }
/* Keeps only the entries with keep[i], in their order; the entry numbers
 * change: renumber[i] gets the new number or -1 (may be NULL).  False when
 * out of memory (the map is then unchanged). */
bool sop_strmap_filter(sop_strmap *m, const bool *keep, long *renumber);

#endif
