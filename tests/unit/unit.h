/* unit.h - helpers the unit tests share. */
#ifndef SOP_UNIT_H
#define SOP_UNIT_H

#include <stdint.h>
#include <string.h>
#include <time.h>

/* An instant from UTC civil time, by the C library: an independent check
 * on the library's own date arithmetic. */
static inline int64_t utc(int y, int mo, int d, int h, int mi, int s)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = s;
    return (int64_t)timegm(&tm);
}

#endif
