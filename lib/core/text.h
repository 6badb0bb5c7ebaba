/* text.h - Unicode helpers over utf8proc: folding text for comparison
 * (trim, NFKC, case fold, so "ＡＢＣ " matches "abc") and terminal
 * display width (CJK characters take two cells). */
#ifndef SOP_TEXT_H
#define SOP_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/* Folds s into out (cap bytes, NUL-terminated).  Returns the folded length,
 * or (size_t)-1 when it does not fit or s is not valid UTF-8. */
size_t sop_text_fold(const char *s, size_t len, char *out, size_t cap);

/* Trims ASCII white space and U+3000 from both ends. */
void sop_text_trim(const char **s, size_t *len);

/* Display width in terminal cells of UTF-8 text. */
size_t sop_text_width(const char *s, size_t len);

/* Length of the longest prefix of s (at most len bytes) that ends on a
 * character boundary and is at most `cells` wide. */
size_t sop_text_fit(const char *s, size_t len, size_t cells);

#endif
