/* input.h - bytes in: a file or stdin, gzip detected by its magic bytes,
 * any supported encoding converted to UTF-8, a byte-order mark removed.
 * Everything after this layer sees UTF-8 only. */
#ifndef SOP_INPUT_H
#define SOP_INPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

enum sop_encoding {
    SOP_ENC_AUTO = 0,
    SOP_ENC_UTF8,
    SOP_ENC_GB18030,
    SOP_ENC_GBK,
    SOP_ENC_UTF16LE,
    SOP_ENC_UTF16BE
};

/* Parses an --encoding name; false when unknown. */
bool sop_encoding_parse(const char *name, enum sop_encoding *out);
const char *sop_encoding_name(enum sop_encoding enc);

typedef struct sop_input sop_input;

/* Opens `path` ("-" or NULL: stdin).  Reads ahead up to 64 KiB to detect
 * gzip and the encoding.  Errors: 66 cannot open, 74 read/gzip failure. */
int sop_input_open(sop_input **in, const char *path, enum sop_encoding enc,
                   sop_error *err);
/* Reads up to cap bytes of UTF-8; *got == 0 means end of input. Returns 0 or
 * an exit status (74) with err set. Undecodable input bytes come out as 0xFF,
 * which is never valid UTF-8, so the record holding them is rejected. */
int sop_input_read(sop_input *in, char *dst, size_t cap, size_t *got, sop_error *err);
void sop_input_close(sop_input *in);

const char *sop_input_name(const sop_input *in);
/* The encoding in use (after auto detection) and whether auto detection
 * fell back to GB18030 (worth a note to the user). */
enum sop_encoding sop_input_encoding(const sop_input *in);
bool sop_input_guessed_legacy(const sop_input *in);
bool sop_input_is_gzip(const sop_input *in);
/* Compressed/raw bytes consumed so far and the file size (0 if unknown). */
uint64_t sop_input_raw_offset(const sop_input *in);
uint64_t sop_input_raw_size(const sop_input *in);

/* Valid UTF-8 without NUL bytes.  When `allow_cut` is set, an incomplete
 * sequence at the very end is accepted (a buffer cut mid-character). */
bool sop_utf8_valid(const char *s, size_t len, bool allow_cut, size_t *bad_at);

#endif
