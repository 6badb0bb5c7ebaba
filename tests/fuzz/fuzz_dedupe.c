/* fuzz_dedupe.c - libFuzzer driver for dedupe-clean's normalisers and
 * similarities (lib/models/dedupe_norm.c): the bytes, cut in two, must give
 * similarities in 0..1 that do not depend on the order, 1 for a string
 * against itself; the normalisers must not fail on any bytes and must
 * write valid UTF-8. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "dedupe_norm.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool valid_utf8(const char *s, size_t len)
{
    size_t at = 0;
    while (at < len) {
        utf8proc_int32_t c;
        utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)s + at,
                                              (utf8proc_ssize_t)(len - at), &c);
        if (k <= 0)
            return false;
        at += (size_t)k;
    }
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static sop_t2s *t2s; /* the driver's, opened once */
    if (t2s == NULL) {
        sop_error err;
        sop_error_clear(&err);
        FUZZ_ASSERT(sop_t2s_open(&t2s, &err) == 0);
    }
    const char *s = (const char *)data;
    size_t half = size / 2;
    double a = sop_jaro_winkler(s, half, s + half, size - half);
    double b = sop_jaro_winkler(s + half, size - half, s, half);
    FUZZ_ASSERT(a >= 0 && a <= 1 + 1e-12 && fabs(a - b) < 1e-12);
    double c = sop_bigram_jaccard(s, half, s + half, size - half);
    double d = sop_bigram_jaccard(s + half, size - half, s, half);
    FUZZ_ASSERT(c >= 0 && c <= 1 && c == d);
    FUZZ_ASSERT(sop_jaro_winkler(s, size, s, size) == 1 && sop_bigram_jaccard(s, size, s, size) == 1);
    sop_company_norm company;
    size_t n = sop_norm_company(t2s, s, size, &company);
    FUZZ_ASSERT(n == strlen(company.key) && valid_utf8(company.key, n));
    char text[256];
    n = sop_norm_text(t2s, s, size, text, sizeof text);
    FUZZ_ASSERT(n == 0 || (n == strlen(text) && valid_utf8(text, n)));
    n = sop_norm_display(t2s, s, size, text, sizeof text);
    FUZZ_ASSERT(n == (size_t)-1 || (n == strlen(text) && valid_utf8(text, n)));
    n = sop_t2s_convert(t2s, s, size, text, sizeof text);
    FUZZ_ASSERT(n == (size_t)-1 || (n == strlen(text) && valid_utf8(text, n)));
    return 0;
}
