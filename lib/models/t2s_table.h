/* t2s_table.h - the characters OpenCC's t2s changes, each with what it
 * becomes.  The table is made when salesops is built (scripts/gen-t2s.c runs
 * every CJK character through OpenCC into build/gen/t2s_table.c), so no
 * program loads OpenCC, or C++, when it runs. */
#ifndef SOP_T2S_TABLE_H
#define SOP_T2S_TABLE_H

#include <stddef.h>
#include <stdint.h>

/* The code points looked at: CJK Extension A to the compatibility
 * ideographs (U+3400..U+FAFF); a replacement is at most 11 bytes. */
enum { SOP_T2S_LO = 0x3400, SOP_T2S_HI = 0xFB00, SOP_T2S_REPL = 12 };

struct sop_t2s_pair {
    uint32_t from;               /* a code point, SOP_T2S_LO <= from < SOP_T2S_HI */
    char to[SOP_T2S_REPL];       /* NUL-terminated UTF-8 */
};

/* Ascending by from, each code point once. */
extern const struct sop_t2s_pair sop_t2s_pairs[];
extern const size_t sop_t2s_pair_count;

#endif
