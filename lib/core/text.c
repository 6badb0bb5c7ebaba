#include "text.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

void sop_text_trim(const char **s, size_t *len)
{
    const unsigned char *p = (const unsigned char *)*s;
    size_t n = *len;

    for (;;) {
        if (n > 0 && (p[0] == ' ' || p[0] == '\t' || p[0] == '\r' || p[0] == '\n')) {
            p++;
            n--;
        } else if (n >= 3 && p[0] == 0xE3 && p[1] == 0x80 && p[2] == 0x80) {
            p += 3;
            n -= 3;
        } else {
            break;
        }
    }
    for (;;) {
        if (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == '\r' ||
                      p[n - 1] == '\n')) {
            n--;
        } else if (n >= 3 && p[n - 3] == 0xE3 && p[n - 2] == 0x80 && p[n - 1] == 0x80) {
            n -= 3;
        } else {
            break;
        }
    }
    *s = (const char *)p;
    *len = n;
}

/* Copies s lower-cased into out while it holds only ASCII and CJK unified
 * ideographs (U+4000..U+9FFF, lead bytes E4..E9), which NFKC and case
 * folding leave alone; most CRM text is like that, and this skips
 * utf8proc's allocation for it.  Returns false at the first other byte. */
static bool fold_trivial(const unsigned char *p, size_t n, char *out)
{
    size_t i = 0;
    while (i < n) {
        unsigned char c = p[i];
        if (c < 0x80) {
            out[i++] = (char)((c >= 'A' && c <= 'Z') ? c + 32 : c);
        } else if (c >= 0xE4 && c <= 0xE9 && i + 2 < n && (p[i + 1] & 0xC0) == 0x80 &&
                   (p[i + 2] & 0xC0) == 0x80) {
            out[i] = (char)c;
            out[i + 1] = (char)p[i + 1];
            out[i + 2] = (char)p[i + 2];
            i += 3;
        } else {
            return false;
        }
    }
    out[n] = '\0';
    return true;
}

size_t sop_text_fold(const char *s, size_t len, char *out, size_t cap)
{
    sop_text_trim(&s, &len);
    const unsigned char *p = (const unsigned char *)s;
    if (len + 1 <= cap && fold_trivial(p, len, out))
        return len;
    utf8proc_uint8_t *folded = NULL;
    utf8proc_ssize_t n = utf8proc_map((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)len,
                                      &folded,
                                      UTF8PROC_STABLE | UTF8PROC_COMPAT | UTF8PROC_COMPOSE |
                                          UTF8PROC_CASEFOLD | UTF8PROC_IGNORE);
    if (n < 0)
        return (size_t)-1;
    const char *f = (const char *)folded;
    size_t flen = (size_t)n;
    sop_text_trim(&f, &flen); /* NFKC turns U+3000 into a space */
    if (flen + 1 > cap) {
        free(folded);
        return (size_t)-1;
    }
    memmove(out, f, flen);
    out[flen] = '\0';
    free(folded);
    return flen;
}

static size_t next_char(const unsigned char *p, size_t n, int32_t *cp)
{
    utf8proc_ssize_t k = utf8proc_iterate(p, (utf8proc_ssize_t)n, cp);
    if (k <= 0) {
        *cp = 0xFFFD;
        return 1;
    }
    return (size_t)k;
}

size_t sop_text_width(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t width = 0;
    size_t i = 0;
    while (i < len) {
        if (p[i] < 0x80) {
            width++;
            i++;
            continue;
        }
        int32_t cp;
        i += next_char(p + i, len - i, &cp);
        int w = utf8proc_charwidth(cp);
        width += w > 0 ? (size_t)w : 0;
    }
    return width;
}

size_t sop_text_fit(const char *s, size_t len, size_t cells)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t width = 0;
    size_t i = 0;
    while (i < len) {
        int32_t cp = p[i];
        size_t k = p[i] < 0x80 ? 1 : next_char(p + i, len - i, &cp);
        int w = p[i] < 0x80 ? 1 : utf8proc_charwidth(cp);
        size_t cw = w > 0 ? (size_t)w : 0;
        if (width + cw > cells)
            break;
        width += cw;
        i += k;
    }
    return i;
}
