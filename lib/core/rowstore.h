/* rowstore.h - records kept in memory, compactly, for a program that must
 * see every record before it writes any (dedupe-clean): one growing byte
 * buffer with each record's values (length, kind, bytes) one after the
 * other, and where each record starts.  About 5 bytes of overhead a value;
 * no allocation per record. */
#ifndef SOP_ROWSTORE_H
#define SOP_ROWSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "record.h"

typedef struct sop_rowstore {
    size_t count;     /* records kept */
    uint64_t *start;  /* where record i starts in data */
    size_t start_cap;
    unsigned char *data;
    size_t used, cap;
} sop_rowstore;

void sop_rowstore_init(sop_rowstore *s);
void sop_rowstore_free(sop_rowstore *s);
/* Keeps a copy of rec's values; false when out of memory. */
bool sop_rowstore_add(sop_rowstore *s, const sop_record *rec);
/* Record i's values into rec (cleared first); false when out of memory. */
bool sop_rowstore_get(const sop_rowstore *s, size_t i, sop_record *rec);

#endif
