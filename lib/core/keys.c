/* keys.c - identity keys for company names, phone numbers and e-mail
 * addresses (keys.h).
 *
 * Everything works on (pointer, length) and never reads past length.  Text
 * is first folded by sop_text_fold (trim, NFKC, case fold), so full-width
 * forms ("（）", "１３９", "＠") and upper case need no further thought; the
 * company and e-mail keys are then edited in place in out (a key is never
 * longer than the folded text), the phone key is built from a small stack
 * buffer. */
#include "keys.h"

#include <stdbool.h>
#include <string.h>

#include "text.h"

#define FOLD_FAIL ((size_t)-1)

/* U+3000 IDEOGRAPHIC SPACE and U+3002 IDEOGRAPHIC FULL STOP in UTF-8; NFKC
 * turns U+3000 into ' ' but both are handled in case a caller passes text
 * that did not go through utf8proc. */
#define IDEO_SPACE "\xE3\x80\x80"
#define IDEO_STOP "\xE3\x80\x82"

static bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }

static bool is_ascii_alnum(unsigned char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_ascii_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

/* A control character other than white space: never part of a usable key. */
static bool is_control(unsigned char c) { return (c < 0x20 && !is_ascii_space(c)) || c == 0x7F; }

/* A constant string with its length, so lists of them cost no strlen. */
typedef struct word {
    const char *s;
    size_t len;
} word;
#define WORD(x) {x, sizeof x - 1}

static bool has_prefix(const char *s, size_t n, const char *prefix)
{
    size_t k = strlen(prefix);
    return n >= k && memcmp(s, prefix, k) == 0;
}

static bool has_suffix(const char *s, size_t n, const char *suffix)
{
    size_t k = strlen(suffix);
    return n >= k && memcmp(s + n - k, suffix, k) == 0;
}

static bool in_list(const char *s, size_t n, const word *list, size_t count)
{
    for (size_t i = 0; i < count; i++)
        if (n == list[i].len && memcmp(s, list[i].s, n) == 0)
            return true;
    return false;
}

static size_t fail(char *out, size_t cap)
{
    if (cap > 0)
        out[0] = '\0';
    return 0;
}

/* ------------------------------------------------------------- company */

/* Legal forms, longest first.  Latin ones are spelt with letters only: the
 * matcher skips spaces, '.' and ',' in the text, so "coltd" covers "co.,ltd.",
 * "co.,ltd", "co.ltd", "co. ltd" and "co ltd", and "ltd" covers "ltd.". */
static const word company_suffix[] = {
    WORD("股份有限公司"), WORD("有限责任公司"), WORD("集团有限公司"), WORD("有限公司"),
    WORD("集团"), WORD("公司"), WORD("coltd"), WORD("corp"), WORD("gmbh"), WORD("ltd"),
    WORD("inc"), WORD("llc"),
};

static const word company_placeholder[] = {
    WORD("个人"), WORD("无"), WORD("未知"), WORD("暂无"), WORD("test"), WORD("测试"), WORD("n/a"), WORD("null"), WORD("-"),
};

/* Bracket pairs whose content is removed at the very start of a name. */
static const word bracket_open[] = {
    WORD("("), WORD("["), WORD("【"),
};
static const word bracket_close[] = {
    WORD(")"), WORD("]"), WORD("】"),
};

static bool is_skippable(unsigned char c) { return c == ' ' || c == '.' || c == ','; }

/* Collapses every run of white space (ASCII, U+3000) to one ' ', drops it at
 * both ends.  The single spaces survive until the legal forms are stripped,
 * as word boundaries; then they go too.  Returns the new length, or
 * FOLD_FAIL on a control character. */
static size_t collapse_space(char *buf, size_t n)
{
    size_t j = 0;
    size_t i = 0;
    while (i < n) {
        unsigned char c = (unsigned char)buf[i];
        size_t k = 0;
        if (is_ascii_space(c))
            k = 1;
        else if (has_prefix(buf + i, n - i, IDEO_SPACE))
            k = 3;
        if (k > 0) {
            if (j > 0 && buf[j - 1] != ' ')
                buf[j++] = ' ';
            i += k;
            continue;
        }
        if (is_control(c))
            return FOLD_FAIL;
        buf[j++] = buf[i++];
    }
    while (j > 0 && buf[j - 1] == ' ')
        j--;
    return j;
}

/* Removes "(上海)", "[上海]" or "【上海】" at the very start. */
static size_t drop_leading_bracket(char *buf, size_t n)
{
    for (size_t b = 0; b < sizeof bracket_open / sizeof bracket_open[0]; b++) {
        size_t ko = bracket_open[b].len;
        size_t kc = bracket_close[b].len;
        if (n < ko || memcmp(buf, bracket_open[b].s, ko) != 0)
            continue;
        for (size_t i = ko; i + kc <= n; i++) {
            if (memcmp(buf + i, bracket_close[b].s, kc) == 0) {
                size_t cut = i + kc;
                while (cut < n && buf[cut] == ' ')
                    cut++;
                memmove(buf, buf + cut, n - cut);
                return n - cut;
            }
        }
        return n; /* no closing bracket: keep the name as it is */
    }
    return n;
}

/* Drops trailing spaces and the punctuation . , ; 。 */
static size_t strip_trailing_punct(const char *buf, size_t n)
{
    for (;;) {
        if (n > 0 && (buf[n - 1] == ' ' || buf[n - 1] == '.' || buf[n - 1] == ',' ||
                      buf[n - 1] == ';'))
            n--;
        else if (has_suffix(buf, n, IDEO_STOP))
            n -= 3;
        else
            return n;
    }
}

/* Does buf[0..n) end with suffix, ignoring spaces, '.' and ',' in buf?  On
 * success *start is where the matched suffix begins. */
static bool match_suffix(const char *buf, size_t n, const char *suffix, size_t k, size_t *start)
{
    size_t i = n;
    while (k > 0) {
        if (i == 0)
            return false;
        if (is_skippable((unsigned char)buf[i - 1])) {
            i--;
            continue;
        }
        if (buf[i - 1] != suffix[k - 1])
            return false;
        i--;
        k--;
    }
    *start = i;
    return true;
}

static size_t strip_legal_forms(const char *buf, size_t n)
{
    for (;;) {
        n = strip_trailing_punct(buf, n);
        size_t start;
        if (match_suffix(buf, n, "分公司", sizeof "分公司" - 1, &start))
            return n; /* a branch: its name includes the parent's legal form */
        bool stripped = false;
        for (size_t s = 0; s < sizeof company_suffix / sizeof company_suffix[0]; s++) {
            const char *suffix = company_suffix[s].s;
            if (!match_suffix(buf, n, suffix, company_suffix[s].len, &start))
                continue;
            /* a Latin legal form must stand apart: "zinc" is not "z" + "inc" */
            if ((unsigned char)suffix[0] < 0x80 && start > 0 &&
                is_ascii_alnum((unsigned char)buf[start - 1]))
                continue;
            n = start;
            stripped = true;
            break;
        }
        if (!stripped)
            return n;
    }
}

static bool only_ascii_punct(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x80 || is_ascii_alnum(c))
            return false;
    }
    return true;
}

size_t sop_key_company(const char *s, size_t len, char *out, size_t cap)
{
    if (cap == 0 || (s == NULL && len > 0))
        return fail(out, cap);
    size_t n = sop_text_fold(s ? s : "", len, out, cap);
    if (n == FOLD_FAIL)
        return fail(out, cap);
    n = collapse_space(out, n);
    if (n == FOLD_FAIL)
        return fail(out, cap);
    n = drop_leading_bracket(out, n);
    n = strip_legal_forms(out, n);

    size_t j = 0;
    for (size_t i = 0; i < n; i++)
        if (out[i] != ' ')
            out[j++] = out[i];
    out[j] = '\0';
    if (j == 0 || only_ascii_punct(out, j) ||
        in_list(out, j, company_placeholder,
                sizeof company_placeholder / sizeof company_placeholder[0]))
        return fail(out, cap);
    return j;
}

/* --------------------------------------------------------------- phone */

/* Phone values longer than this (folded) are not phone numbers. */
#define PHONE_TEXT_MAX 128
/* Digits kept; more cannot make a valid key (a landline has 12 at most,
 * with 0086 and an extension 21), so longer runs are only counted. */
#define PHONE_DIGITS_MAX 32

typedef struct digits {
    char d[PHONE_DIGITS_MAX];
    size_t n; /* may exceed PHONE_DIGITS_MAX: then only counted */
    bool plus; /* a '+' before the first digit: international form */
} digits;

static void collect_digits(const char *s, size_t n, digits *out)
{
    out->n = 0;
    out->plus = false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (is_digit(c)) {
            if (out->n < PHONE_DIGITS_MAX)
                out->d[out->n] = (char)c;
            out->n++;
        } else if (c == '+' && out->n == 0) {
            out->plus = true;
        }
    }
}

/* Extension markers, as they look after folding. */
static const word ext_marker[] = {
    WORD("转"), WORD("分机"), WORD("ext"), WORD("x"), WORD("#"), WORD("-"),
};

/* If text ends with an extension marker and 1-5 digits, the length of what
 * comes before the marker; else n. */
static size_t before_extension(const char *s, size_t n)
{
    size_t i = n;
    while (i > 0 && is_digit((unsigned char)s[i - 1]))
        i--;
    if (n - i < 1 || n - i > 5)
        return n;
    while (i > 0 && (s[i - 1] == ' ' || s[i - 1] == ':' || s[i - 1] == '.'))
        i--;
    for (size_t m = 0; m < sizeof ext_marker / sizeof ext_marker[0]; m++)
        if (i >= ext_marker[m].len &&
            memcmp(s + i - ext_marker[m].len, ext_marker[m].s, ext_marker[m].len) == 0)
            return i - ext_marker[m].len;
    return n;
}

/* The key of a run of digits, structurally (placeholders are checked
 * later): *key points into d->d and *key_len gets its length; a trunk '0' to
 * be put in front (a landline written +86 21 ...) is reported in *lead0. */
static bool phone_shape(const digits *dg, const char **key, size_t *key_len, bool *lead0)
{
    if (dg->n > PHONE_DIGITS_MAX)
        return false;
    const char *d = dg->d;
    size_t n = dg->n;
    bool intl = false;
    *lead0 = false;

    if (has_prefix(d, n, "0086")) {
        d += 4;
        n -= 4;
        intl = true;
    } else if (dg->plus) {
        if (!has_prefix(d, n, "86"))
            return false; /* another country */
        d += 2;
        n -= 2;
        intl = true;
    } else if (n == 13 && has_prefix(d, n, "861")) {
        d += 2; /* 86 before a mobile, without '+' */
        n -= 2;
    }

    if (n == 12 && d[0] == '0' && d[1] == '1' && d[2] >= '3' && d[2] <= '9') {
        d++; /* a trunk 0 dialled before a mobile: 013912345678 */
        n--;
    }
    if (n == 11 && d[0] == '1') {
        *key = d;
        *key_len = n;
        return true;
    }
    if (n == 10 && (has_prefix(d, n, "400") || has_prefix(d, n, "800")))
        return false; /* shared service numbers, not anyone's identity */
    if (intl && n > 0 && d[0] >= '2') {
        /* +86 21 62345678: the area code without its trunk 0 */
        if (n + 1 >= 10 && n + 1 <= 12) {
            *key = d;
            *key_len = n;
            *lead0 = true;
            return true;
        }
        return false;
    }
    if (n >= 10 && n <= 12 && d[0] == '0' && d[1] != '0') { /* area code kept */
        *key = d;
        *key_len = n;
        return true;
    }
    return false; /* no area code (7-8 digits), or not a Chinese number */
}

static const word phone_placeholder[] = {
    WORD("12345678901"), WORD("13800138000"),
};

size_t sop_key_phone(const char *s, size_t len, char *out, size_t cap)
{
    if (cap == 0 || (s == NULL && len > 0) || len >= 4 * PHONE_TEXT_MAX)
        return fail(out, cap);
    char text[PHONE_TEXT_MAX];
    size_t n = sop_text_fold(s ? s : "", len, text, sizeof text);
    if (n == FOLD_FAIL)
        return fail(out, cap);

    digits dg;
    const char *key = NULL;
    size_t key_len = 0;
    bool lead0 = false;
    bool found = false;
    size_t rest = before_extension(text, n);
    if (rest < n) {
        /* drop the extension only when what precedes it is a number already:
         * "021-62345678" is area code and number, not 021 extension 62345678 */
        collect_digits(text, rest, &dg);
        found = phone_shape(&dg, &key, &key_len, &lead0);
    }
    if (!found) {
        collect_digits(text, n, &dg);
        found = phone_shape(&dg, &key, &key_len, &lead0);
    }
    if (!found)
        return fail(out, cap);

    size_t total = key_len + (lead0 ? 1 : 0);
    if (total + 1 > cap)
        return fail(out, cap);
    size_t j = 0;
    if (lead0)
        out[j++] = '0';
    memcpy(out + j, key, key_len);
    out[total] = '\0';

    bool same = true;
    for (size_t i = 1; i < total; i++)
        if (out[i] != out[0])
            same = false;
    if (same ||
        in_list(out, total, phone_placeholder, sizeof phone_placeholder / sizeof phone_placeholder[0]))
        return fail(out, cap);
    return total;
}

/* --------------------------------------------------------------- email */

static const word email_noreply[] = {
    WORD("noreply"), WORD("no-reply"), WORD("no_reply"), WORD("donotreply"), WORD("do-not-reply"), WORD("do_not_reply"), WORD("test"), WORD("none"), WORD("null"), WORD("nobody"), WORD("xxx"), WORD("na"), WORD("n/a"), WORD("unknown"),
};

static const word email_placeholder_domain[] = {
    WORD("example.com"), WORD("example.org"), WORD("example.net"), WORD("test.com"), WORD("none.com"), WORD("null.com"), WORD("xxx.com"),
};

/* Characters that cannot appear in an address as people write it (quoted
 * local parts aside): "Name <a@b.com>", "a@b.com; c@d.com". */
static bool email_bad_char(unsigned char c)
{
    return c <= 0x20 || c == 0x7F || c == '<' || c == '>' || c == '(' || c == ')' || c == '[' ||
           c == ']' || c == ',' || c == ';' || c == ':' || c == '"' || c == '\\';
}

size_t sop_key_email(const char *s, size_t len, char *out, size_t cap)
{
    if (cap == 0 || (s == NULL && len > 0))
        return fail(out, cap);
    const char *p = s ? s : "";
    size_t plen = len;
    sop_text_trim(&p, &plen);
    size_t n = sop_text_fold(p, plen, out, cap);
    if (n == FOLD_FAIL || n == 0)
        return fail(out, cap);

    size_t at = n;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)out[i];
        if (email_bad_char(c) || has_prefix(out + i, n - i, IDEO_SPACE))
            return fail(out, cap);
        if (c == '@') {
            if (at != n)
                return fail(out, cap); /* a second '@' */
            at = i;
        }
    }
    if (at == n || at == 0)
        return fail(out, cap);

    const char *local = out;
    size_t local_len = at;
    const char *domain = out + at + 1;
    size_t domain_len = n - at - 1;
    const char *dot = memchr(domain, '.', domain_len);
    if (dot == NULL || domain[0] == '.' || domain[domain_len - 1] == '.')
        return fail(out, cap);
    for (size_t i = 1; i < domain_len; i++)
        if (domain[i] == '.' && domain[i - 1] == '.')
            return fail(out, cap);

    /* placeholders: noreply@..., test@..., anything@example.com, and an
     * address whose local part is the domain's name: a@a.com, test@test.cn */
    if (in_list(local, local_len, email_noreply, sizeof email_noreply / sizeof email_noreply[0]) ||
        in_list(domain, domain_len, email_placeholder_domain,
                sizeof email_placeholder_domain / sizeof email_placeholder_domain[0]))
        return fail(out, cap);
    size_t name_len = (size_t)(dot - domain);
    if (memchr(dot + 1, '.', domain_len - name_len - 1) == NULL && name_len == local_len &&
        memcmp(domain, local, local_len) == 0)
        return fail(out, cap);
    return n;
}
