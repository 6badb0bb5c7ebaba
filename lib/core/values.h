/* values.h - the one parser for the value kinds every program reads:
 * missing markers, numbers, booleans and timestamps (SPEC "Values").
 * Pure functions over (pointer, length); no allocation, no global state. */
#ifndef SOP_VALUES_H
#define SOP_VALUES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Missing markers: empty (or only spaces), "NULL", "N/A", "-" by default.
 * A sop_missing_set holds the markers in force; the default set is used
 * when the pointer is NULL. Comparison ignores ASCII case and surrounding
 * spaces (ASCII and U+3000 ideographic space). */
#define SOP_MISSING_MAX 16
#define SOP_MISSING_LEN 32
typedef struct sop_missing_set {
    size_t count;
    char marker[SOP_MISSING_MAX][SOP_MISSING_LEN];
} sop_missing_set;

void sop_missing_default(sop_missing_set *set);
/* Adds a marker; returns false when the set is full or the marker too long. */
bool sop_missing_add(sop_missing_set *set, const char *marker);
bool sop_value_missing(const sop_missing_set *set, const char *s, size_t len);

/* Numbers: "1200", "-3.5", "1,200,000", "¥500000", "￥500,000", "RMB 500000",
 * "$1,200", "50万", "1.2亿", "3千", full-width digits/sign/point/comma
 * ("５０万"), "65%" (-> 0.65), "1.5e3", surrounding spaces.  Returns false on
 * anything else (including empty, "abc", "12abc", "1,2,3" misplaced commas are
 * accepted only in groups of three, "50万万", overflow to inf/nan). */
bool sop_parse_number(const char *s, size_t len, double *out);

/* Booleans: 1/0, true/false, yes/no, y/n, t/f, on/off (ASCII case-insensitive),
 * 是/否, 对/错, 已完成/未完成, 完成/未完成, 有/无. False on anything else. */
bool sop_parse_bool(const char *s, size_t len, bool *out);

/* Time zone: either a fixed offset or a named IANA zone resolved through the
 * C library. Named zones need the process TZ to have been set to that zone
 * (sop_tz_init does this once at start-up; it is process configuration, set
 * by the program before any record is read, never changed afterwards). */
enum { SOP_TZ_SPANS = 1024 };
typedef struct sop_tz {
    bool fixed;            /* true: offset_sec applies to every instant */
    long offset_sec;       /* east of UTC */
    char name[64];         /* as given, for messages */
    /* A named zone's offsets from 1900 to 2100, found once at start-up:
     * span i starts at span_from[i] with offset span_off[i].  Asking the
     * C library for every timestamp cost a quarter of a run (glibc parses
     * the zone's rule string again for each instant after its last
     * transition).  spans 0: not known, the C library answers. */
    size_t spans;
    int64_t span_from[SOP_TZ_SPANS];
    long span_off[SOP_TZ_SPANS];
} sop_tz;

/* Parses "+08:00", "+0800", "-05", "UTC", "Z", or an IANA name such as
 * "Asia/Shanghai" (checked to exist under /usr/share/zoneinfo).  NULL or ""
 * means: the TZ environment variable, else Asia/Shanghai.  For a named zone
 * sets TZ in the environment and calls tzset(). Returns false if unknown. */
bool sop_tz_init(sop_tz *tz, const char *spec);

/* Seconds east of UTC in zone tz for local civil time (broken down) - used to
 * turn a local time without offset into an instant. */
long sop_tz_offset_for_local(const sop_tz *tz, int64_t local_as_utc_seconds);

/* Timestamps. Accepts:
 *   2026-02-03T14:05:00+08:00, 2026-02-03T14:05:00Z, 2026-02-03T14:05:00.123+0800,
 *   2026-02-03 14:05, 2026-02-03 14:05:07, 2026-02-03,
 *   2026/2/3 14:05, 2026/02/03, 2026.2.3,
 *   2026年2月3日 14:05, 2026年2月3日14时05分, 2026年2月3日,
 *   Excel serial day numbers (45326.5 -> 2024-02-04 12:00 local) when
 *   allow_serial is true (time columns only), range 1..2958465.
 * A time without offset is local time in tz.  Validates month/day (leap
 * years), hour <= 23 (24:00 not accepted), minute/second <= 59.
 * Output: seconds since the Unix epoch (UTC). */
bool sop_parse_time(const char *s, size_t len, const sop_tz *tz, bool allow_serial,
                    int64_t *out_epoch);

/* The same, and whether the text held a time of day: false for a date
 * alone ("2026-11-30", "2026年11月30日", a whole Excel serial day). */
bool sop_parse_time_of_day(const char *s, size_t len, const sop_tz *tz, bool allow_serial,
                           int64_t *out_epoch, bool *has_time);
/* Formats an instant as ISO 8601 with the zone's offset,
 * e.g. "2026-02-03T14:05:00+08:00". buf must hold 32 bytes. */
void sop_format_time(int64_t epoch, const sop_tz *tz, char *buf, size_t size);

/* Days since 1970-01-01 of an instant's civil date in tz. */
int64_t sop_local_day(int64_t epoch, const sop_tz *tz);
/* "YYYY-MM-DD" of such a day number (buf: 16 bytes), and back (exactly
 * that form, a real date in years 1..9999). */
void sop_format_day(int64_t day, char *buf, size_t size);
bool sop_parse_day(const char *s, int64_t *day);

/* Weeks and months of day numbers, for reports by period.  A week starts
 * on Monday: week w is days 7w - 3 .. 7w + 3 (1970-01-01 was a Thursday);
 * its label is the ISO 8601 week, "2026-W48" (the year of its Thursday).
 * A month number is year * 12 + month - 1, "2026-11".  buf: 16 bytes. */
int64_t sop_week_of_day(int64_t day);
void sop_format_week(int64_t week, char *buf, size_t size);
int64_t sop_month_of_day(int64_t day);
void sop_format_month(int64_t month, char *buf, size_t size);

/* A number in 0..1000 as "%.1f" (one decimal, rounded), without printf's
 * floating-point machinery (it showed in profiles): scores.  buf: 8 bytes.
 * Returns the length. */
size_t sop_format_tenths(double x, char *buf);

#endif
