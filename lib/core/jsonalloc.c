#include "jsonalloc.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

/* A bump allocator over a static block, emptied when all it handed out is
 * back.  Its pages are touched only when malloc has failed. */
enum { RESERVE = 8 << 20, ALIGN = _Alignof(max_align_t) };
static _Alignas(max_align_t) unsigned char reserve[RESERVE];
static size_t reserve_used, reserve_live;
static unsigned long failures; /* allocations malloc refused */

static bool in_reserve(const void *p)
{
    uintptr_t a = (uintptr_t)p, lo = (uintptr_t)reserve;
    return a >= lo && a < lo + RESERVE;
}

static void *json_alloc(size_t n)
{
    void *p = malloc(n);
    if (p != NULL)
        return p;
    failures++;
    size_t need = (n + ALIGN - 1) / ALIGN * ALIGN;
    if (need < n || need > RESERVE - reserve_used)
        return NULL; /* beyond the reserve: jansson sees the failure */
    p = reserve + reserve_used;
    reserve_used += need;
    reserve_live++;
    return p;
}

static void json_release(void *p)
{
    if (!in_reserve(p)) {
        free(p);
        return;
    }
    if (--reserve_live == 0)
        reserve_used = 0;
}

void sop_json_alloc_install(void)
{
    json_set_alloc_funcs(json_alloc, json_release);
}

sop_json_mark sop_json_watch(void)
{
    return failures;
}

bool sop_json_out_of_memory(sop_json_mark mark, json_t **root, const json_error_t *jerr)
{
    if (failures == mark &&
        !(*root == NULL && jerr != NULL && json_error_code(jerr) == json_error_out_of_memory))
        return false;
    json_decref(*root);
    *root = NULL;
    return true;
}
