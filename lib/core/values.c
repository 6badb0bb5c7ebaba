/* values.c - missing markers, numbers, booleans and timestamps (values.h).
 *
 * Everything here works on (pointer, length) and never reads past length.
 * Dates are converted with the days-from-civil algorithm (proleptic
 * Gregorian calendar), so fixed-offset zones never depend on the process TZ;
 * only named zones go through localtime_r() and hence the TZ set by
 * sop_tz_init().
 *
 * Locale: strtod() is used only on a buffer of ASCII digits followed by
 * "e<exponent>", never with a decimal point, so the LC_NUMERIC decimal
 * separator cannot change a result. (The programs never call setlocale(),
 * so the "C" locale applies anyway.) */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* tm_gmtoff, setenv */
#endif
#include "values.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* ---------------------------------------------------------------- tokens */

/* Tokens beyond ASCII. Full-width ASCII forms (０-９ ．，－＋％＄／：) and the
 * non-ASCII spaces decode to their ASCII equivalents. */
enum {
    TOK_END = -1,
    TOK_BAD = -2,
    TOK_YEN = 0x100, /* ¥ U+00A5, ￥ U+FFE5 */
    TOK_YUAN,        /* 元 */
    TOK_BAI,         /* 百 x10^2 */
    TOK_QIAN,        /* 千 x10^3 */
    TOK_WAN,         /* 万 x10^4 */
    TOK_YI,          /* 亿 x10^8 */
    TOK_NIAN,        /* 年 */
    TOK_YUE,         /* 月 */
    TOK_RI,          /* 日, 号 */
    TOK_SHI,         /* 时, 点 */
    TOK_FEN,         /* 分 */
    TOK_MIAO         /* 秒 */
};

static bool is_digit(int c) { return c >= '0' && c <= '9'; }

static bool is_ascii_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

static unsigned char ascii_lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + ('a' - 'A')) : c;
}

/* Decodes the token at p (n > 0 bytes available); *width gets its length. */
static int decode(const unsigned char *p, size_t n, size_t *width)
{
    if (n == 0) {
        *width = 0;
        return TOK_END;
    }
    if (p[0] < 0x80) {
        *width = 1;
        return p[0];
    }
    if (p[0] == 0xC2 && n >= 2) {
        *width = 2;
        if (p[1] == 0xA0) /* no-break space */
            return ' ';
        if (p[1] == 0xA5)
            return TOK_YEN;
        return TOK_BAD;
    }
    *width = 1;
    if (n < 3)
        return TOK_BAD;
    *width = 3;
    uint32_t key = (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | (uint32_t)p[2];
    if (key >= 0xEFBC90 && key <= 0xEFBC99)
        return '0' + (int)(key - 0xEFBC90);
    switch (key) {
    case 0xE38080: return ' '; /* U+3000 ideographic space */
    case 0xEFBC84: return '$';
    case 0xEFBC85: return '%';
    case 0xEFBC8B: return '+';
    case 0xEFBC8C: return ',';
    case 0xEFBC8D: return '-';
    case 0xEFBC8E: return '.';
    case 0xEFBC8F: return '/';
    case 0xEFBC9A: return ':';
    case 0xEFBFA5: return TOK_YEN;
    case 0xE58583: return TOK_YUAN;
    case 0xE799BE: return TOK_BAI;
    case 0xE58D83: return TOK_QIAN;
    case 0xE4B887: return TOK_WAN;
    case 0xE4BABF: return TOK_YI;
    case 0xE5B9B4: return TOK_NIAN;
    case 0xE69C88: return TOK_YUE;
    case 0xE697A5: return TOK_RI;
    case 0xE58FB7: return TOK_RI;
    case 0xE697B6: return TOK_SHI;
    case 0xE782B9: return TOK_SHI;
    case 0xE58886: return TOK_FEN;
    case 0xE7A792: return TOK_MIAO;
    default: return TOK_BAD;
    }
}

typedef struct cursor {
    const unsigned char *p;
    size_t n, i, w;
    int tok; /* token at i, w bytes wide */
} cursor;

static void cur_load(cursor *c) { c->tok = decode(c->p + c->i, c->n - c->i, &c->w); }

static void cur_init(cursor *c, const unsigned char *p, size_t n)
{
    c->p = p;
    c->n = n;
    c->i = 0;
    cur_load(c);
}

static void cur_next(cursor *c)
{
    c->i += c->w;
    cur_load(c);
}

static void cur_skip_spaces(cursor *c)
{
    while (c->tok == ' ' || c->tok == '\t')
        cur_next(c);
}

/* Strips ASCII white space, U+3000 and U+00A0 from both ends. */
static void trim(const unsigned char **ps, size_t *plen)
{
    const unsigned char *s = *ps;
    size_t n = *plen;
    if (n > 0 && s[0] > ' ' && s[0] < 0x80 && s[n - 1] > ' ' && s[n - 1] < 0x80)
        return; /* the usual case: nothing to strip */
    for (;;) {
        if (n >= 1 && is_ascii_space(s[0])) {
            s += 1, n -= 1;
        } else if (n >= 3 && s[0] == 0xE3 && s[1] == 0x80 && s[2] == 0x80) {
            s += 3, n -= 3;
        } else if (n >= 2 && s[0] == 0xC2 && s[1] == 0xA0) {
            s += 2, n -= 2;
        } else {
            break;
        }
    }
    for (;;) {
        if (n >= 1 && is_ascii_space(s[n - 1])) {
            n -= 1;
        } else if (n >= 3 && s[n - 3] == 0xE3 && s[n - 2] == 0x80 && s[n - 1] == 0x80) {
            n -= 3;
        } else if (n >= 2 && s[n - 2] == 0xC2 && s[n - 1] == 0xA0) {
            n -= 2;
        } else {
            break;
        }
    }
    *ps = s;
    *plen = n;
}

/* ------------------------------------------------------- missing markers */

/* sop_value_missing has a fast path that knows these: change both together */
static const sop_missing_set default_missing = {
    5, {"NULL", "N/A", "-", "NA", "#N/A"}};

void sop_missing_default(sop_missing_set *set)
{
    if (set)
        *set = default_missing;
}

/* s[0..len) equals the NUL-terminated marker, ignoring ASCII case.
 * len < SOP_MISSING_LEN, so marker[len] is inside the array. */
static bool marker_equal(const unsigned char *s, size_t len, const char *marker)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char m = (unsigned char)marker[i];
        if (m == '\0' || ascii_lower(m) != ascii_lower(s[i]))
            return false;
    }
    return marker[len] == '\0';
}

bool sop_missing_add(sop_missing_set *set, const char *marker)
{
    if (!set || !marker)
        return false;
    const unsigned char *m = (const unsigned char *)marker;
    size_t len = strlen(marker);
    trim(&m, &len);
    if (len >= SOP_MISSING_LEN)
        return false;
    if (len == 0) /* empty is always missing */
        return true;
    size_t count = set->count < SOP_MISSING_MAX ? set->count : SOP_MISSING_MAX;
    for (size_t i = 0; i < count; i++)
        if (marker_equal(m, len, set->marker[i]))
            return true;
    if (count >= SOP_MISSING_MAX)
        return false;
    memcpy(set->marker[count], m, len);
    set->marker[count][len] = '\0';
    set->count = count + 1;
    return true;
}

bool sop_value_missing(const sop_missing_set *set, const char *s, size_t len)
{
    if (!s || len == 0)
        return true;
    const unsigned char *p = (const unsigned char *)s;
    trim(&p, &len);
    if (len == 0)
        return true;
    if (len >= SOP_MISSING_LEN)
        return false;
    if (!set) {
        /* the default markers are at most 4 bytes and start with N, n, # or - */
        if (len > 4 || (p[0] != 'N' && p[0] != 'n' && p[0] != '#' && p[0] != '-'))
            return false;
        set = &default_missing;
    }
    size_t count = set->count < SOP_MISSING_MAX ? set->count : SOP_MISSING_MAX;
    unsigned char first = ascii_lower(p[0]);
    for (size_t i = 0; i < count; i++)
        if (ascii_lower((unsigned char)set->marker[i][0]) == first &&
            marker_equal(p, len, set->marker[i]))
            return true;
    return false;
}

/* ---------------------------------------------------------------- numbers */

#define SIG_MAX 40       /* significant digits kept; more is rejected */
#define EXP_CAP 100000   /* exponents beyond this are inf or 0 anyway */
#define EXACT_DIGITS 15  /* 10^15 < 2^53: such integers are exact doubles */

/* Powers of ten that are exact doubles: m * 10^k or m / 10^k with m < 2^53
 * is then one correctly rounded operation, the same result strtod gives. */
static const double pow10_exact[23] = {
    1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* Significant digits without leading or trailing zeros; the value is
 * digit[0..count) x 10^(exp10 + pending_zeros). */
typedef struct mantissa {
    char digit[SIG_MAX];
    int count;
    int64_t pending_zeros; /* zeros seen after the last non-zero digit */
    int64_t exp10;
} mantissa;

static bool mant_push(mantissa *m, int d, bool fraction)
{
    if (fraction)
        m->exp10--;
    if (d == 0) {
        if (m->count > 0)
            m->pending_zeros++;
        return true;
    }
    if ((int64_t)m->count + m->pending_zeros + 1 > SIG_MAX)
        return false;
    for (; m->pending_zeros > 0; m->pending_zeros--)
        m->digit[m->count++] = '0';
    m->digit[m->count++] = (char)('0' + d);
    return true;
}

/* Integer part (commas only between proper groups of three), then an
 * optional fraction. At least one digit overall. */
static bool scan_mantissa(cursor *c, mantissa *m)
{
    size_t group = 0, int_digits = 0, frac_digits = 0; /* no overflow on long input */
    bool grouped = false, leading_zero = false;
    for (;; cur_next(c)) {
        if (is_digit(c->tok)) {
            if (int_digits == 0 && c->tok == '0')
                leading_zero = true;
            int_digits++;
            group++;
            if (!mant_push(m, c->tok - '0', false))
                return false;
        } else if (c->tok == ',') {
            if (group == 0 || (grouped ? group != 3 : (group > 3 || leading_zero)))
                return false;
            grouped = true;
            group = 0;
        } else {
            break;
        }
    }
    if (grouped && group != 3)
        return false;
    if (c->tok == '.') {
        for (cur_next(c); is_digit(c->tok); cur_next(c)) {
            frac_digits++;
            if (!mant_push(m, c->tok - '0', true))
                return false;
        }
    }
    return int_digits + frac_digits > 0;
}

static bool scan_currency(cursor *c)
{
    if (c->tok == TOK_YEN || c->tok == '$') {
        cur_next(c);
        return true;
    }
    if (c->n - c->i >= 3) {
        const unsigned char *p = c->p + c->i;
        unsigned char a = ascii_lower(p[0]), b = ascii_lower(p[1]), d = ascii_lower(p[2]);
        if ((a == 'r' && b == 'm' && d == 'b') || (a == 'c' && b == 'n' && d == 'y')) {
            c->i += 3;
            cur_load(c);
            return true;
        }
    }
    return false;
}

/* k/K, 百, 千, 万, 亿, and the compounds 百万 千万 百亿 千亿: the power of ten. */
static int scan_multiplier(cursor *c)
{
    int e;
    switch (c->tok) {
    case 'k':
    case 'K':
        cur_next(c);
        return 3;
    case TOK_WAN:
        cur_next(c);
        return 4;
    case TOK_YI:
        cur_next(c);
        return 8;
    case TOK_BAI:
        e = 2;
        break;
    case TOK_QIAN:
        e = 3;
        break;
    default:
        return 0;
    }
    cur_next(c);
    if (c->tok == TOK_WAN) {
        cur_next(c);
        return e + 4;
    }
    if (c->tok == TOK_YI) {
        cur_next(c);
        return e + 8;
    }
    return e;
}

/* digits x 10^e10 as the nearest double (may be inf or 0). */
static bool mant_value(const mantissa *m, int64_t e10, double *out)
{
    if (m->count <= EXACT_DIGITS && e10 >= -22 && e10 <= 22) {
        uint64_t v = 0;
        for (int i = 0; i < m->count; i++)
            v = v * 10 + (uint64_t)(m->digit[i] - '0');
        double d = (double)v;
        *out = e10 >= 0 ? d * pow10_exact[e10] : d / pow10_exact[-e10];
        return true;
    }
    char buf[64]; /* SIG_MAX digits + "e-100000" */
    if (e10 > EXP_CAP)
        e10 = EXP_CAP;
    if (e10 < -EXP_CAP)
        e10 = -EXP_CAP;
    size_t n = (size_t)m->count;
    memcpy(buf, m->digit, n);
    int k = snprintf(buf + n, sizeof buf - n, "e%lld", (long long)e10);
    if (k <= 0 || (size_t)k >= sizeof buf - n)
        return false;
    char *end;
    *out = strtod(buf, &end);
    return end == buf + n + (size_t)k;
}

/* Every form beyond plain ASCII "-123.45". */
static bool parse_number_slow(const unsigned char *s, size_t len, double *out)
{
    trim(&s, &len);
    cursor c;
    cur_init(&c, s, len);

    int sign = 0;
    if (c.tok == '+' || c.tok == '-') {
        sign = c.tok == '-' ? -1 : 1;
        cur_next(&c);
    }
    bool currency = scan_currency(&c);
    if (currency) {
        cur_skip_spaces(&c);
        if (sign == 0 && (c.tok == '+' || c.tok == '-')) {
            sign = c.tok == '-' ? -1 : 1;
            cur_next(&c);
        }
    }

    mantissa m;
    memset(&m, 0, sizeof m);
    if (!scan_mantissa(&c, &m))
        return false;

    int64_t exponent = 0;
    if (c.tok == 'e' || c.tok == 'E') {
        cur_next(&c);
        int esign = 1;
        if (c.tok == '+' || c.tok == '-') {
            esign = c.tok == '-' ? -1 : 1;
            cur_next(&c);
        }
        if (!is_digit(c.tok))
            return false;
        for (; is_digit(c.tok); cur_next(&c))
            if (exponent < EXP_CAP)
                exponent = exponent * 10 + (c.tok - '0');
        exponent *= esign;
    }

    cur_skip_spaces(&c);
    int unit;
    if (c.tok == '%') {
        if (currency)
            return false;
        unit = -2;
        cur_next(&c);
    } else {
        unit = scan_multiplier(&c);
        if (c.tok == TOK_YUAN)
            cur_next(&c);
    }
    if (c.tok != TOK_END)
        return false;

    if (m.count == 0) {
        *out = 0.0;
        return true;
    }
    double v;
    if (!mant_value(&m, m.exp10 + m.pending_zeros + exponent + unit, &v) || !isfinite(v))
        return false;
    if (v == 0.0) { /* underflow; never -0 */
        *out = 0.0;
        return true;
    }
    *out = sign < 0 ? -v : v;
    return true;
}

bool sop_parse_number(const char *s, size_t len, double *out)
{
    if (!s || !out)
        return false;
    /* Fast path: [-]digits[.digits] in ASCII with at most 15 digits, the
     * integer part optionally grouped "1,200,000". Anything else, including
     * a badly placed comma, goes to the slow path, which decides. */
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    bool neg = false, dot = false, grouped = false;
    if (len > 0 && p[0] == '-') {
        neg = true;
        i = 1;
    }
    size_t int_start = i;
    uint64_t v = 0;
    int digits = 0, frac = 0, group = 0;
    for (; i < len; i++) {
        unsigned d = (unsigned)p[i] - '0';
        if (d < 10) {
            if (++digits > EXACT_DIGITS)
                return parse_number_slow(p, len, out);
            v = v * 10 + d;
            frac += dot;
            group++;
        } else if (p[i] == '.' && !dot) {
            if (grouped && group != 3)
                return parse_number_slow(p, len, out);
            dot = true;
        } else if (p[i] == ',' && !dot && group > 0 &&
                   (grouped ? group == 3 : group <= 3 && p[int_start] != '0')) {
            grouped = true;
            group = 0;
        } else {
            return parse_number_slow(p, len, out);
        }
    }
    if (digits == 0 || (grouped && !dot && group != 3))
        return parse_number_slow(p, len, out);
    double r = (double)v;
    if (frac)
        r /= pow10_exact[frac];
    *out = (neg && v != 0) ? -r : r;
    return true;
}

/* --------------------------------------------------------------- booleans */

typedef struct bool_word {
    const char *text;
    size_t len;
    bool value;
} bool_word;

#define WORD(s, v) {s, sizeof(s) - 1, v}
static const bool_word bool_words[] = {
    WORD("1", true),   WORD("0", false),    WORD("y", true),
    WORD("n", false),  WORD("t", true),     WORD("f", false),
    WORD("on", true),  WORD("off", false),  WORD("yes", true),
    WORD("no", false), WORD("true", true),  WORD("false", false),
    WORD("是", true),  WORD("否", false),   WORD("对", true),
    WORD("错", false), WORD("有", true),    WORD("无", false),
    WORD("完成", true), WORD("已完成", true), WORD("未完成", false),
};
#undef WORD

bool sop_parse_bool(const char *s, size_t len, bool *out)
{
    if (!s || !out)
        return false;
    const unsigned char *p = (const unsigned char *)s;
    trim(&p, &len);
    for (size_t w = 0; w < sizeof bool_words / sizeof bool_words[0]; w++) {
        const bool_word *word = &bool_words[w];
        if (word->len != len)
            continue;
        size_t i = 0;
        while (i < len && ascii_lower(p[i]) == (unsigned char)word->text[i])
            i++;
        if (i == len) {
            *out = word->value;
            return true;
        }
    }
    return false;
}

/* --------------------------------------------------------------- calendar */

#define SECS_PER_DAY 86400
#define EXCEL_EPOCH_DAYS (-25569) /* 1899-12-30 from 1970-01-01 */
#define SERIAL_MAX 2958465        /* 9999-12-31 */
#define OFFSET_MAX_HOURS 18
#define INSTANT_LIMIT INT64_C(1000000000000000) /* keeps +-86400 in range */

/* Days since 1970-01-01 (H. Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static bool valid_date(int y, int m, int d)
{
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1 || y > 9999 || m < 1 || m > 12 || d < 1)
        return false;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return d <= mdays[m - 1] + (m == 2 && leap);
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* ------------------------------------------------------------ time zones */

/* Offset of the named zone (process TZ) at an instant. */
static long libc_offset_at(int64_t instant)
{
    time_t t = (time_t)instant;
    struct tm tm;
    if (!localtime_r(&t, &tm))
        return 0;
    return tm.tm_gmtoff;
}

#define SPAN_FIRST INT64_C(-2208988800) /* 1900-01-01 UTC */
#define SPAN_LAST INT64_C(4102444800)   /* 2100-01-01 UTC */
#define SPAN_STEP (7 * SECS_PER_DAY)    /* zones change offset at most once a week */

static long zone_offset_at(const sop_tz *tz, int64_t instant)
{
    if (tz->spans == 0 || instant < SPAN_FIRST || instant >= SPAN_LAST)
        return libc_offset_at(instant);
    if (instant >= tz->span_from[tz->spans - 1]) /* most times: after the last change */
        return tz->span_off[tz->spans - 1];
    size_t lo = 0, hi = tz->spans; /* the last span starting at or before instant */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (tz->span_from[mid] <= instant)
            lo = mid;
        else
            hi = mid;
    }
    return tz->span_off[lo];
}

/* The offsets of the zone now in TZ, week by week, each change found to
 * the second by bisection.  Too many changes: spans stays 0. */
static void zone_spans(sop_tz *tz)
{
    tz->spans = 0;
    long off = libc_offset_at(SPAN_FIRST);
    tz->span_from[0] = SPAN_FIRST;
    tz->span_off[0] = off;
    size_t n = 1;
    for (int64_t t = SPAN_FIRST + SPAN_STEP; t < SPAN_LAST + SPAN_STEP; t += SPAN_STEP) {
        long now = libc_offset_at(t);
        if (now == off)
            continue;
        int64_t lo = t - SPAN_STEP, hi = t; /* offset at lo is off, at hi is now */
        while (hi - lo > 1) {
            int64_t mid = lo + (hi - lo) / 2;
            if (libc_offset_at(mid) == off)
                lo = mid;
            else
                hi = mid;
        }
        if (n == SOP_TZ_SPANS)
            return;
        tz->span_from[n] = hi;
        tz->span_off[n] = libc_offset_at(hi);
        off = tz->span_off[n];
        n++;
        if (off != now) /* two changes within a step: not what the table assumes */
            return;
    }
    tz->spans = n;
}

/* A small parser over normalised time text (ASCII plus the CJK markers
 * below), shared by sop_parse_time and the fixed offsets of sop_tz_init. */
enum { M_NIAN = 1, M_YUE, M_RI, M_SHI, M_FEN, M_MIAO };

typedef struct tparse {
    const unsigned char *b;
    size_t n, i;
} tparse;

static bool t_at_digit(const tparse *t) { return t->i < t->n && is_digit(t->b[t->i]); }

static bool t_eat(tparse *t, unsigned char ch)
{
    if (t->i < t->n && t->b[t->i] == ch) {
        t->i++;
        return true;
    }
    return false;
}

/* Reads min..max digits (stops after max). */
static bool t_digits(tparse *t, int min, int max, int *val)
{
    int k = 0, v = 0;
    while (k < max && t_at_digit(t)) {
        v = v * 10 + (t->b[t->i] - '0');
        t->i++;
        k++;
    }
    *val = v;
    return k >= min;
}

static size_t t_spaces(tparse *t)
{
    size_t start = t->i;
    while (t->i < t->n && t->b[t->i] == ' ')
        t->i++;
    return t->i - start;
}

/* "Z", "+HH", "+H", "+HHMM", "+HH:MM", "+HH:MM:SS" (the last as printed for
 * historic local-mean-time offsets). */
static bool t_offset(tparse *t, long *off)
{
    if (t_eat(t, 'Z')) {
        *off = 0;
        return true;
    }
    long sign;
    if (t_eat(t, '+'))
        sign = 1;
    else if (t_eat(t, '-'))
        sign = -1;
    else
        return false;
    int h, m = 0, s = 0;
    if (!t_digits(t, 1, 2, &h))
        return false;
    if (t_eat(t, ':')) {
        if (!t_digits(t, 2, 2, &m))
            return false;
        if (t_eat(t, ':') && !t_digits(t, 2, 2, &s))
            return false;
    } else if (t_at_digit(t) && !t_digits(t, 2, 2, &m)) {
        return false;
    }
    if (h > OFFSET_MAX_HOURS || m > 59 || s > 59)
        return false;
    *off = sign * (h * 3600L + m * 60L + s);
    return true;
}

static bool tz_set(sop_tz *tz, bool fixed, long offset, const char *name)
{
    memset(tz, 0, sizeof *tz);
    tz->fixed = fixed;
    tz->offset_sec = offset;
    snprintf(tz->name, sizeof tz->name, "%s", name);
    return true;
}

/* A zone name as found under /usr/share/zoneinfo: no absolute paths, no
 * "..", only the characters tzdata uses, and the file must be TZif data. */
static bool zone_file_ok(const char *name)
{
    if (name[0] == '/' || strstr(name, "..") != NULL)
        return false;
    for (const char *p = name; *p; p++) {
        unsigned char c = (unsigned char)*p;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) ||
                  c == '/' || c == '_' || c == '-' || c == '+';
        if (!ok)
            return false;
    }
    char path[128];
    int k = snprintf(path, sizeof path, "/usr/share/zoneinfo/%s", name);
    if (k < 0 || (size_t)k >= sizeof path)
        return false;
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    char magic[4];
    size_t got = fread(magic, 1, sizeof magic, f); /* a directory reads nothing */
    fclose(f);
    return got == sizeof magic && memcmp(magic, "TZif", 4) == 0;
}

static bool tz_from_spec(sop_tz *tz, const char *spec)
{
    size_t len = strlen(spec);
    if (len == 0 || len >= sizeof tz->name)
        return false;
    if (strcasecmp(spec, "UTC") == 0 || strcasecmp(spec, "Z") == 0 ||
        strcasecmp(spec, "GMT") == 0)
        return tz_set(tz, true, 0, spec);
    if (spec[0] == '+' || spec[0] == '-') {
        tparse t = {(const unsigned char *)spec, len, 0};
        long off;
        if (!t_offset(&t, &off) || t.i != t.n)
            return false;
        return tz_set(tz, true, off, spec);
    }
    if (!zone_file_ok(spec))
        return false;
    if (setenv("TZ", spec, 1) != 0)
        return false;
    tzset();
    if (!tz_set(tz, false, 0, spec))
        return false;
    zone_spans(tz);
    return true;
}

bool sop_tz_init(sop_tz *tz, const char *spec)
{
    if (!tz)
        return false;
    if (spec && spec[0])
        return tz_from_spec(tz, spec);
    const char *env = getenv("TZ");
    if (env && env[0] == ':')
        env++;
    if (env && env[0] && strlen(env) < sizeof tz->name) {
        char copy[sizeof tz->name]; /* setenv may replace the string env points to */
        snprintf(copy, sizeof copy, "%s", env);
        if (tz_from_spec(tz, copy))
            return true;
    }
    return tz_from_spec(tz, "Asia/Shanghai");
}

/* For a named zone, the candidates are the offsets a day before and a day
 * after (no real offset exceeds a day, and zones do not change twice within
 * two days). Where both fit (the repeated hour when clocks go back) the
 * earlier instant wins; where none fits (the skipped hour when clocks go
 * forward) the offset before the change applies, moving the time forward by
 * the gap - as java.time and most libraries do. */
long sop_tz_offset_for_local(const sop_tz *tz, int64_t local_as_utc_seconds)
{
    if (!tz)
        return 0;
    if (tz->fixed)
        return tz->offset_sec;
    int64_t local = local_as_utc_seconds;
    if (local > INSTANT_LIMIT || local < -INSTANT_LIMIT)
        return 0;
    long before = zone_offset_at(tz, local - SECS_PER_DAY);
    long after = zone_offset_at(tz, local + SECS_PER_DAY);
    bool before_fits = zone_offset_at(tz, local - before) == before;
    if (before == after) {
        if (before_fits)
            return before;
        /* two changes within the window: settle by iteration */
        long off = zone_offset_at(tz, local - before);
        return zone_offset_at(tz, local - off) == off ? off : before;
    }
    if (before_fits)
        return before;
    if (zone_offset_at(tz, local - after) == after)
        return after;
    return before;
}

/* ------------------------------------------------------------ timestamps */

#define TIME_TEXT_MAX 64

/* Copies s into b as ASCII (full-width forms folded, 't'/'z' upper-cased,
 * CJK date words as M_* markers). Returns false on anything else. */
static bool normalise_time(const unsigned char *s, size_t len, unsigned char *b, size_t *n)
{
    /* plain ASCII, as most exports write times: copied, t and z upper-cased */
    if (len <= TIME_TEXT_MAX) {
        size_t i = 0;
        for (; i < len && s[i] >= 0x20 && s[i] < 0x7F; i++)
            b[i] = s[i] == 't' ? 'T' : s[i] == 'z' ? 'Z' : s[i];
        if (i == len) {
            *n = len;
            return true;
        }
    }
    cursor c;
    size_t k = 0;
    for (cur_init(&c, s, len); c.tok != TOK_END; cur_next(&c)) {
        int ch;
        switch (c.tok) {
        case TOK_NIAN: ch = M_NIAN; break;
        case TOK_YUE: ch = M_YUE; break;
        case TOK_RI: ch = M_RI; break;
        case TOK_SHI: ch = M_SHI; break;
        case TOK_FEN: ch = M_FEN; break;
        case TOK_MIAO: ch = M_MIAO; break;
        case '\t': ch = ' '; break;
        case 't': ch = 'T'; break;
        case 'z': ch = 'Z'; break;
        default:
            if (c.tok < 0x20 || c.tok >= 0x7F)
                return false;
            ch = c.tok;
        }
        if (k == TIME_TEXT_MAX)
            return false;
        b[k++] = (unsigned char)ch;
    }
    *n = k;
    return true;
}

/* Digits with at most one '.': a serial day number, not "2026.2.3". */
static bool looks_serial(const unsigned char *b, size_t n)
{
    if (n == 0 || !is_digit(b[0]))
        return false;
    int dots = 0;
    for (size_t i = 0; i < n; i++) {
        if (b[i] == '.')
            dots++;
        else if (!is_digit(b[i]))
            return false;
    }
    return dots <= 1;
}

/* Excel serial day number, days since 1899-12-30; the fraction is the time
 * of day, rounded to the second. */
static bool parse_serial(const unsigned char *b, size_t n, int64_t *local, bool *has_time)
{
    size_t i = 0;
    int64_t day = 0;
    for (; i < n && is_digit(b[i]); i++)
        if (day <= SERIAL_MAX)
            day = day * 10 + (b[i] - '0');
    int64_t num = 0, den = 1;
    if (i < n && b[i] == '.') {
        size_t k = 0;
        for (i++; i < n && is_digit(b[i]); i++, k++) {
            if (k < 12) { /* finer than a microsecond cannot matter */
                num = num * 10 + (b[i] - '0');
                den *= 10;
            }
        }
        if (k == 0)
            return false;
    }
    if (i != n || day < 1 || day > SERIAL_MAX)
        return false;
    int64_t secs = day * SECS_PER_DAY + (num * SECS_PER_DAY + den / 2) / den;
    if (secs >= (int64_t)(SERIAL_MAX + 1) * SECS_PER_DAY)
        return false;
    *local = (int64_t)EXCEL_EPOCH_DAYS * SECS_PER_DAY + secs;
    *has_time = num != 0;
    return true;
}

/* Date (year first; '-', '/', '.' or 年月日), then optionally a time
 * (H:MM[:SS[.fff]] or H时MM分[SS秒]) and an offset. */
static bool parse_civil(tparse *t, int64_t *local, bool *has_offset, long *offset,
                        bool *has_time)
{
    int y, mo, d, h = 0, mi = 0, sec = 0;
    if (!t_digits(t, 4, 4, &y) || t->i >= t->n)
        return false;
    unsigned char sep = t->b[t->i++];
    if (sep != '-' && sep != '/' && sep != '.' && sep != M_NIAN)
        return false;
    if (!t_digits(t, 1, 2, &mo) || !t_eat(t, sep == M_NIAN ? M_YUE : sep) ||
        !t_digits(t, 1, 2, &d))
        return false;
    if (sep == M_NIAN && !t_eat(t, M_RI))
        return false;
    if (!valid_date(y, mo, d))
        return false;

    *has_time = t->i < t->n;
    if (t->i < t->n) {
        bool separated = t_spaces(t) > 0 || sep == M_NIAN;
        if (!separated && !t_eat(t, 'T'))
            return false;
        if (!t_digits(t, 1, 2, &h))
            return false;
        if (t_eat(t, ':')) {
            if (!t_digits(t, 2, 2, &mi))
                return false;
            if (t_eat(t, ':')) {
                if (!t_digits(t, 2, 2, &sec))
                    return false;
                if (t_eat(t, '.')) { /* fractional seconds: dropped */
                    if (!t_at_digit(t))
                        return false;
                    while (t_at_digit(t))
                        t->i++;
                }
            }
        } else if (t_eat(t, M_SHI)) {
            if (!t_digits(t, 1, 2, &mi) || !t_eat(t, M_FEN))
                return false;
            if (t_at_digit(t) && (!t_digits(t, 1, 2, &sec) || !t_eat(t, M_MIAO)))
                return false;
        } else {
            return false;
        }
        if (h > 23 || mi > 59 || sec > 59)
            return false;
        t_spaces(t);
        if (t->i < t->n) {
            if (!t_offset(t, offset))
                return false;
            *has_offset = true;
        }
    }
    if (t->i != t->n)
        return false;
    *local = days_from_civil(y, (unsigned)mo, (unsigned)d) * SECS_PER_DAY +
             h * 3600 + mi * 60 + sec;
    return true;
}

bool sop_parse_time(const char *s, size_t len, const sop_tz *tz, bool allow_serial,
                    int64_t *out_epoch)
{
    bool has_time;
    return sop_parse_time_of_day(s, len, tz, allow_serial, out_epoch, &has_time);
}

/* Two ASCII digits at p, or -1. */
static int two_digits(const unsigned char *p)
{
    if (p[0] < '0' || p[0] > '9' || p[1] < '0' || p[1] > '9')
        return -1;
    return (p[0] - '0') * 10 + (p[1] - '0');
}

/* The shape nearly every export writes, "YYYY-MM-DD HH:MM" or
 * "YYYY-MM-DD HH:MM:SS" (or with 'T'), plain ASCII, years 1900-2199, read
 * at fixed places: the general parser's copying, folding and checks cost
 * more than the rest of a stage-event record.  False: not this shape (the
 * general parser decides). */
static bool fast_civil(const unsigned char *p, size_t len, int64_t *local)
{
    if ((len != 16 && len != 19) || p[4] != '-' || p[7] != '-' || (p[10] != ' ' && p[10] != 'T') ||
        p[13] != ':' || (len == 19 && p[16] != ':'))
        return false;
    int c = two_digits(p), yy = two_digits(p + 2), m = two_digits(p + 5), d = two_digits(p + 8);
    int h = two_digits(p + 11), mi = two_digits(p + 14), sec = len == 19 ? two_digits(p + 17) : 0;
    if (c < 19 || c > 21 || yy < 0 || h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 59 ||
        !valid_date(c * 100 + yy, m, d))
        return false;
    *local = days_from_civil(c * 100 + yy, (unsigned)m, (unsigned)d) * SECS_PER_DAY +
             h * 3600 + mi * 60 + sec;
    return true;
}

bool sop_parse_time_of_day(const char *s, size_t len, const sop_tz *tz, bool allow_serial,
                           int64_t *out_epoch, bool *has_time)
{
    *has_time = false;
    if (!s || !out_epoch)
        return false;
    {
        const unsigned char *q = (const unsigned char *)s;
        size_t qlen = len;
        int64_t civil;
        trim(&q, &qlen);
        if (fast_civil(q, qlen, &civil)) {
            *has_time = true;
            *out_epoch = civil - sop_tz_offset_for_local(tz, civil);
            return true;
        }
    }
    const unsigned char *p = (const unsigned char *)s;
    trim(&p, &len);
    unsigned char b[TIME_TEXT_MAX];
    size_t n;
    if (len == 0 || !normalise_time(p, len, b, &n))
        return false;

    int64_t local;
    bool has_offset = false;
    long offset = 0;
    if (allow_serial && looks_serial(b, n)) {
        if (!parse_serial(b, n, &local, has_time))
            return false;
    } else {
        tparse t = {b, n, 0};
        if (!parse_civil(&t, &local, &has_offset, &offset, has_time))
            return false;
    }
    if (!has_offset)
        offset = sop_tz_offset_for_local(tz, local);
    int64_t epoch = local - offset;
    /* the instant, shown in the zone (as sop_format_time writes it), must
     * stay within years 1..9999: "9999-12-31 23:59-09:00" is year 10000 in
     * Shanghai and could not be read back */
    static const int64_t first = -62135596800; /* 0001-01-01T00:00:00 */
    static const int64_t last = 253402300799;  /* 9999-12-31T23:59:59 */
    long shown = 0;
    if (tz)
        shown = tz->fixed ? tz->offset_sec : zone_offset_at(tz, epoch);
    if (epoch + shown < first || epoch + shown > last)
        return false;
    *out_epoch = epoch;
    return true;
}

/* An instant as seconds of local civil time in tz (its offset in *off).
 * Instants far beyond any calendar in use are clamped, so the arithmetic
 * cannot overflow. */
static int64_t local_seconds(int64_t epoch, const sop_tz *tz, long *off)
{
    if (epoch > INSTANT_LIMIT)
        epoch = INSTANT_LIMIT;
    if (epoch < -INSTANT_LIMIT)
        epoch = -INSTANT_LIMIT;
    *off = 0;
    if (tz)
        *off = tz->fixed ? tz->offset_sec : zone_offset_at(tz, epoch);
    if (*off > SECS_PER_DAY || *off < -SECS_PER_DAY)
        *off = 0;
    return epoch + *off;
}

void sop_format_time(int64_t epoch, const sop_tz *tz, char *buf, size_t size)
{
    if (!buf || size == 0)
        return;
    long off;
    int64_t local = local_seconds(epoch, tz, &off);
    int64_t days = floor_div(local, SECS_PER_DAY);
    int64_t sod = local - days * SECS_PER_DAY;
    int64_t y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    char sign = off < 0 ? '-' : '+';
    long a = off < 0 ? -off : off;
    int hh = (int)(sod / 3600), mm = (int)(sod / 60 % 60), ss = (int)(sod % 60);
    if (a % 60 != 0)
        snprintf(buf, size, "%04lld-%02u-%02uT%02d:%02d:%02d%c%02ld:%02ld:%02ld",
                 (long long)y, m, d, hh, mm, ss, sign, a / 3600, a / 60 % 60, a % 60);
    else
        snprintf(buf, size, "%04lld-%02u-%02uT%02d:%02d:%02d%c%02ld:%02ld", (long long)y,
                 m, d, hh, mm, ss, sign, a / 3600, a / 60 % 60);
}

int64_t sop_local_day(int64_t epoch, const sop_tz *tz)
{
    long off;
    return floor_div(local_seconds(epoch, tz, &off), SECS_PER_DAY);
}

void sop_format_day(int64_t day, char *buf, size_t size)
{
    int64_t y;
    unsigned m, d;
    civil_from_days(day, &y, &m, &d);
    snprintf(buf, size, "%04lld-%02u-%02u", (long long)y, m, d);
}

bool sop_parse_day(const char *s, int64_t *day)
{
    static const char shape[] = "dddd-dd-dd";
    for (size_t i = 0; i < sizeof shape; i++) {
        bool ok = shape[i] == 'd' ? (s[i] >= '0' && s[i] <= '9') : s[i] == shape[i];
        if (!ok)
            return false;
    }
    int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    int m = (s[5] - '0') * 10 + (s[6] - '0'), d = (s[8] - '0') * 10 + (s[9] - '0');
    if (!valid_date(y, m, d))
        return false;
    *day = days_from_civil(y, (unsigned)m, (unsigned)d);
    return true;
}

size_t sop_format_tenths(double x, char *buf)
{
    long tenths = lround(x * 10.0);
    if (!(tenths >= 0)) /* also NaN's lround */
        tenths = 0;
    if (tenths > 10000)
        tenths = 10000;
    long whole = tenths / 10;
    size_t n = 0;
    if (whole >= 1000)
        buf[n++] = (char)('0' + whole / 1000);
    if (whole >= 100)
        buf[n++] = (char)('0' + whole / 100 % 10);
    if (whole >= 10)
        buf[n++] = (char)('0' + whole / 10 % 10);
    buf[n++] = (char)('0' + whole % 10);
    buf[n++] = '.';
    buf[n++] = (char)('0' + tenths % 10);
    buf[n] = '\0';
    return n;
}

int64_t sop_week_of_day(int64_t day)
{
    return floor_div(day + 3, 7);
}

void sop_format_week(int64_t week, char *buf, size_t size)
{
    int64_t thursday = week * 7, y;
    unsigned m, d;
    civil_from_days(thursday, &y, &m, &d);
    int64_t jan1 = days_from_civil(y, 1, 1);
    snprintf(buf, size, "%04lld-W%02lld", (long long)y, (long long)((thursday - jan1) / 7 + 1));
}

int64_t sop_month_of_day(int64_t day)
{
    int64_t y;
    unsigned m, d;
    civil_from_days(day, &y, &m, &d);
    return y * 12 + (int64_t)m - 1;
}

void sop_format_month(int64_t month, char *buf, size_t size)
{
    int64_t y = floor_div(month, 12);
    snprintf(buf, size, "%04lld-%02lld", (long long)y, (long long)(month - y * 12 + 1));
}
