/* idmap.h - ids (lead_id, deal_id, activity_id) known by a 64-bit hash of
 * their text, each with a 64-bit value: a set of ids seen, or when each
 * reached something.  No id text is kept: two different ids share a hash
 * with a chance of about n^2 / 2^65 (1e-8 for a million ids), far below
 * anything else that goes wrong with a file.  Open addressing, at most half
 * full. */
#ifndef SOP_IDMAP_H
#define SOP_IDMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct sop_idmap {
    size_t count, cap;     /* cap: slots, a power of two (0: none yet) */
    uint64_t *keys;        /* 0: empty */
    int64_t *values;
} sop_idmap;

void sop_idmap_init(sop_idmap *m);
void sop_idmap_free(sop_idmap *m);
/* The key of an id's text (never 0). */
uint64_t sop_idmap_key(const char *id, size_t len);
/* The value of key, or NULL when absent (valid until the next put). */
int64_t *sop_idmap_get(const sop_idmap *m, uint64_t key);
/* The value of key, added with `value` when absent (*added says which);
 * NULL when out of memory. */
int64_t *sop_idmap_put(sop_idmap *m, uint64_t key, int64_t value, bool *added);

#endif
