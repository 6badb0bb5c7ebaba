/* fuzz_values.c - libFuzzer driver for the value parsers
 * (lib/core/values.c): numbers, booleans, timestamps and missing markers.
 * The bytes are copied into a buffer of exactly their size (no NUL after
 * them) so AddressSanitizer catches any read past the length.
 * Invariants: an accepted number is finite; an accepted time, formatted
 * with sop_format_time, parses back to the same instant. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "values.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


static sop_tz tz;
static sop_missing_set extra;
static int ready;

static void setup(void)
{
    if (ready)
        return;
    if (!sop_tz_init(&tz, "+08:00") || !tz.fixed || tz.offset_sec != 8 * 3600)
        abort();
    sop_missing_default(&extra);
    if (!sop_missing_add(&extra, "无") || !sop_missing_add(&extra, "#N/A"))
        abort();
    ready = 1;
}

static void check_time(const char *s, size_t len, bool allow_serial)
{
    int64_t t = 0;
    if (!sop_parse_time(s, len, &tz, allow_serial, &t))
        return;
    char buf[32];
    memset(buf, 0x5a, sizeof buf);
    sop_format_time(t, &tz, buf, sizeof buf);
    size_t blen = strnlen(buf, sizeof buf);
    FUZZ_ASSERT(blen < sizeof buf);
    int64_t back = 0;
    if (!sop_parse_time(buf, blen, &tz, false, &back) || back != t) {
        fprintf(stderr, "time \"%.*s\" (serial %d) -> %lld -> \"%s\" -> does not re-parse to the same instant\n",
                (int)len, s, (int)allow_serial, (long long)t, buf);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    setup();
    char *s = malloc(size ? size : 1);
    if (!s)
        abort();
    if (size)
        memcpy(s, data, size);

    double d = 0;
    if (sop_parse_number(s, size, &d))
        FUZZ_ASSERT(isfinite(d));
    bool b = false;
    (void)sop_parse_bool(s, size, &b);
    check_time(s, size, false);
    check_time(s, size, true);
    bool m1 = sop_value_missing(NULL, s, size);
    bool m2 = sop_value_missing(&extra, s, size);
    FUZZ_ASSERT(!m1 || m2); /* the extra set holds the defaults */

    free(s);
    return 0;
}
