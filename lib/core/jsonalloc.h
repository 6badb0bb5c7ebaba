/* jsonalloc.h - jansson under memory pressure.  jansson's lexer ignores a
 * failed allocation when a token outgrows its buffer (upstream issue #362):
 * it goes on a byte short, and may then read and write past the buffer or
 * fail an assertion.  So programs give jansson an allocator that, when
 * malloc fails, serves the request from a reserve (jansson then never sees
 * a failure it would mishandle), and every load is judged afterwards: any
 * allocation that failed during it makes it "out of memory", whatever
 * jansson returned.  (errno cannot tell: jansson sets it to 0 itself before
 * reading a number.) */
#ifndef SOP_JSONALLOC_H
#define SOP_JSONALLOC_H

#include <jansson.h>
#include <stdbool.h>

/* Installs the allocator (json_set_alloc_funcs); a program calls it once,
 * before any JSON is read.  The reserve (8 MiB: twice the longest record a
 * reader takes at the default --max-field) and the count of failed
 * allocations are the one piece of process-wide state in the library,
 * because jansson's allocator is process-wide. */
void sop_json_alloc_install(void);

/* Taken before a jansson load (json_loadb, json_loadf, ...), then given to
 * sop_json_out_of_memory after it: true when an allocation failed during
 * the load (or jansson says "out of memory"), and then *root is freed and
 * NULL (jerr may be NULL). */
typedef unsigned long sop_json_mark;
sop_json_mark sop_json_watch(void);
bool sop_json_out_of_memory(sop_json_mark mark, json_t **root, const json_error_t *jerr);

#endif
