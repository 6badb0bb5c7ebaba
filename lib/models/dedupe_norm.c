/* dedupe_norm.c - t2s, normalisers and code-point similarities. */
#include "dedupe_norm.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "keys.h"
#include "t2s_table.h"
#include "text.h"

/* OpenCC's t2s as a table of characters (t2s_table.h, made at build time):
 * a string is converted character by character.  The table's pairs are
 * indexed by code point when a converter is opened. */
struct sop_t2s {
    uint16_t index[SOP_T2S_HI - SOP_T2S_LO]; /* 0: unchanged, else 1 + the pair */
};

int sop_t2s_open(sop_t2s **out, sop_error *err)
{
    *out = NULL;
    sop_t2s *t = calloc(1, sizeof *t);
    if (t == NULL)
        return sop_error_set(err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
    for (size_t i = 0; i < sop_t2s_pair_count && i < UINT16_MAX; i++)
        if (sop_t2s_pairs[i].from >= SOP_T2S_LO && sop_t2s_pairs[i].from < SOP_T2S_HI)
            t->index[sop_t2s_pairs[i].from - SOP_T2S_LO] = (uint16_t)(i + 1);
    *out = t;
    return 0;
}

void sop_t2s_close(sop_t2s *t)
{
    free(t);
}

size_t sop_t2s_convert(sop_t2s *t, const char *s, size_t len, char *out, size_t cap)
{
    size_t w = 0;
    for (size_t at = 0; at < len;) {
        utf8proc_int32_t c;
        utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)s + at,
                                              (utf8proc_ssize_t)(len - at), &c);
        if (k <= 0 || c == 0)
            return (size_t)-1;
        uint16_t i = c >= SOP_T2S_LO && c < SOP_T2S_HI ? t->index[c - SOP_T2S_LO] : 0;
        const char *from = i ? sop_t2s_pairs[i - 1].to : s + at;
        size_t n = i ? strlen(from) : (size_t)k;
        if (w + n >= cap)
            return (size_t)-1;
        memcpy(out + w, from, n);
        w += n;
        at += (size_t)k;
    }
    if (cap == 0)
        return (size_t)-1;
    out[w] = '\0';
    return w;
}

/* ---- code points --------------------------------------------------------- */

enum { MAX_CP = 512 };

/* The code points of s (at most MAX_CP; invalid bytes stop the decoding). */
static size_t code_points(const char *s, size_t len, int32_t *cp)
{
    size_t n = 0, at = 0;
    const unsigned char *u = (const unsigned char *)s;
    while (at < len && n < MAX_CP) {
        /* the common cases inline (a normalised key is valid UTF-8), the
         * rest through utf8proc, which also catches what is not valid */
        if (u[at] < 0x80) {
            cp[n++] = u[at++];
            continue;
        }
        if ((u[at] & 0xF0) == 0xE0 && at + 2 < len && (u[at + 1] & 0xC0) == 0x80 &&
            (u[at + 2] & 0xC0) == 0x80) {
            int32_t c = (int32_t)(u[at] & 0x0F) << 12 | (int32_t)(u[at + 1] & 0x3F) << 6 |
                        (int32_t)(u[at + 2] & 0x3F);
            if (c >= 0x800 && (c < 0xD800 || c > 0xDFFF)) {
                cp[n++] = c;
                at += 3;
                continue;
            }
        }
        utf8proc_int32_t c;
        utf8proc_ssize_t k = utf8proc_iterate(u + at, (utf8proc_ssize_t)(len - at), &c);
        if (k <= 0)
            break;
        cp[n++] = c;
        at += (size_t)k;
    }
    return n;
}

/* Both strings' code points; the similarity when one is empty (1 for
 * both, 0 for one), else -1. */
static double both_decoded(const char *a, size_t alen, const char *b, size_t blen, int32_t *x,
                           size_t *la, int32_t *y, size_t *lb)
{
    *la = code_points(a, alen, x);
    *lb = code_points(b, blen, y);
    if (*la == 0 || *lb == 0)
        return *la == *lb ? 1 : 0;
    return -1;
}

double sop_jaro_winkler(const char *a, size_t alen, const char *b, size_t blen)
{
    int32_t x[MAX_CP], y[MAX_CP];
    size_t la, lb;
    double trivial = both_decoded(a, alen, b, blen, x, &la, y, &lb);
    if (trivial >= 0)
        return trivial;
    size_t window = (la > lb ? la : lb) / 2;
    window = window > 0 ? window - 1 : 0;
    bool xm[MAX_CP] = {false}, ym[MAX_CP] = {false};
    size_t m = 0;
    for (size_t i = 0; i < la; i++) {
        size_t lo = i > window ? i - window : 0, hi = i + window + 1 < lb ? i + window + 1 : lb;
        for (size_t j = lo; j < hi; j++)
            if (!ym[j] && x[i] == y[j]) {
                xm[i] = ym[j] = true;
                m++;
                break;
            }
    }
    if (m == 0)
        return 0;
    size_t t = 0, j = 0;
    for (size_t i = 0; i < la; i++) {
        if (!xm[i])
            continue;
        while (!ym[j])
            j++;
        t += x[i] != y[j];
        j++;
    }
    double md = (double)m;
    double jaro = (md / (double)la + md / (double)lb + (md - (double)t / 2) / md) / 3;
    size_t prefix = 0;
    while (prefix < 4 && prefix < la && prefix < lb && x[prefix] == y[prefix])
        prefix++;
    return jaro + (double)prefix * 0.1 * (1 - jaro);
}


/* The sorted, distinct adjacent pairs of cp[0..n-1] into pair; their count. */
static size_t pairs_of(const int32_t *cp, size_t n, uint64_t *pair)
{
    size_t k = 0;
    if (n == 1)
        pair[k++] = (uint64_t)(uint32_t)cp[0] << 32;
    for (size_t i = 0; i + 1 < n; i++)
        pair[k++] = (uint64_t)(uint32_t)cp[i] << 32 | (uint32_t)cp[i + 1];
    for (size_t i = 1; i < k; i++) { /* insertion sort: names are short */
        uint64_t v = pair[i];
        size_t j = i;
        for (; j > 0 && pair[j - 1] > v; j--)
            pair[j] = pair[j - 1];
        pair[j] = v;
    }
    size_t u = 0;
    for (size_t i = 0; i < k; i++)
        if (u == 0 || pair[u - 1] != pair[i])
            pair[u++] = pair[i];
    return u;
}

/* Names and addresses are short: their pairs go into a small hash set
 * (no sorting), the other string's are looked up in it. */
enum { SMALL_SET = 64, SMALL_SLOTS = 256 };

static bool small_put(uint64_t *slot, uint64_t v) /* true when v was new */
{
    size_t h = (size_t)((v * 0x9E3779B97F4A7C15ull) >> 56);
    while (slot[h] != 0) {
        if (slot[h] == v)
            return false;
        h = (h + 1) % SMALL_SLOTS;
    }
    slot[h] = v;
    return true;
}

static double small_jaccard(const int32_t *x, size_t nx, const int32_t *y, size_t ny)
{
    uint64_t a[SMALL_SLOTS] = {0}, b[SMALL_SLOTS] = {0};
    size_t na = 0, nb = 0, both = 0;
    /* a pair as one number, + 1 so that none is 0 (empty) */
    for (size_t i = 0; i + 1 < nx || (nx == 1 && i == 0); i++)
        na += small_put(a, ((uint64_t)(uint32_t)x[i] << 32 | (nx == 1 ? 0u : (uint32_t)x[i + 1])) + 1);
    for (size_t i = 0; i + 1 < ny || (ny == 1 && i == 0); i++) {
        uint64_t v = ((uint64_t)(uint32_t)y[i] << 32 | (ny == 1 ? 0u : (uint32_t)y[i + 1])) + 1;
        if (small_put(b, v)) {
            nb++;
            both += !small_put(a, v) ? 1u : 0u;
        }
    }
    return (double)both / (double)(na + nb - both);
}

double sop_bigram_jaccard(const char *a, size_t alen, const char *b, size_t blen)
{
    int32_t x[MAX_CP], y[MAX_CP];
    size_t la, lb;
    double trivial = both_decoded(a, alen, b, blen, x, &la, y, &lb);
    if (trivial >= 0)
        return trivial;
    if (la <= SMALL_SET && lb <= SMALL_SET)
        return small_jaccard(x, la, y, lb);
    uint64_t p[MAX_CP], q[MAX_CP];
    size_t np = pairs_of(x, la, p), nq = pairs_of(y, lb, q);
    size_t both = 0, i = 0, j = 0;
    while (i < np && j < nq) {
        if (p[i] == q[j]) {
            both++;
            i++;
            j++;
        } else if (p[i] < q[j]) {
            i++;
        } else {
            j++;
        }
    }
    return (double)both / (double)(np + nq - both);
}

/* ---- normalisers ----------------------------------------------------------- */

/* Provinces and the larger cities, the names a company puts before its
 * own ("上海麦田电商" is 麦田电商 of 上海). */
static const char *const places[] = {
    "北京", "天津", "上海", "重庆", "河北", "山西", "辽宁", "吉林", "黑龙江", "江苏", "浙江",
    "安徽", "福建", "江西", "山东", "河南", "湖北", "湖南", "广东", "海南", "四川", "贵州",
    "云南", "陕西", "甘肃", "青海", "台湾", "内蒙古", "广西", "西藏", "宁夏", "新疆", "香港",
    "澳门", "广州", "深圳", "杭州", "南京", "苏州", "无锡", "常州", "宁波", "温州", "嘉兴",
    "绍兴", "金华", "台州", "合肥", "福州", "厦门", "泉州", "南昌", "济南", "青岛", "烟台",
    "郑州", "武汉", "长沙", "成都", "贵阳", "昆明", "西安", "兰州", "西宁", "南宁", "海口",
    "三亚", "石家庄", "太原", "沈阳", "大连", "长春", "哈尔滨", "呼和浩特", "乌鲁木齐", "拉萨",
    "银川", "东莞", "佛山", "珠海", "中山", "惠州", "汕头", "南通", "扬州", "徐州", "盐城",
    "泰州", "镇江", "芜湖", "洛阳", "宜昌", "襄阳", "株洲", "湘潭", "绵阳", "桂林", "柳州",
    "潍坊", "淄博", "临沂", "济宁", "唐山", "保定", "廊坊",
};

static bool starts_with(const char *s, size_t len, const char *prefix, size_t *n)
{
    *n = strlen(prefix);
    return *n <= len && memcmp(s, prefix, *n) == 0;
}

static size_t simplified(sop_t2s *t, const char *s, size_t len, char *out, size_t cap)
{
    if (t != NULL)
        return sop_t2s_convert(t, s, len, out, cap);
    if (len >= cap)
        return (size_t)-1;
    memcpy(out, s, len);
    out[len] = '\0';
    return len;
}

/* The length of the place name at s with 市 or 省 after it (*name: without
 * them), 0 when none. */
static size_t place_at(const char *s, size_t len, size_t *name)
{
    size_t best = 0, n;
    if (len < 3) /* every place is Chinese: 3 bytes a character */
        return *name = 0;
    for (size_t i = 0; i < sizeof places / sizeof places[0]; i++)
        if (places[i][1] == s[1] && places[i][2] == s[2] && /* most differ there */
            starts_with(s, len, places[i], &n) && n > best)
            best = n;
    *name = best;
    if (best > 0 && (starts_with(s + best, len - best, "市", &n) ||
                     starts_with(s + best, len - best, "省", &n)))
        best += n;
    return best;
}

/* "麦田(上海)电商" -> 麦田电商, city 上海: a bracketed place anywhere. */
static size_t drop_bracketed_place(char *key, size_t k, char *city, size_t city_cap)
{
    size_t i = 0;
    while (i < k) {
        size_t name, p = key[i] == '(' ? place_at(key + i + 1, k - i - 1, &name) : 0;
        if (p == 0 || i + 1 + p >= k || key[i + 1 + p] != ')') {
            i++;
            continue;
        }
        if (city[0] == '\0')
            snprintf(city, city_cap, "%.*s", (int)name, key + i + 1);
        memmove(key + i, key + i + p + 2, k - (i + p + 2) + 1);
        k -= p + 2;
    }
    return k;
}

/* The place of a branch whose word starts at s + end: the last place name
 * before it, else the two characters before it. */
static void branch_place(const char *s, size_t end, char *out, size_t cap)
{
    size_t best_at = 0, best_len = 0, name;
    for (size_t i = 0; i < end; i++) {
        size_t n = place_at(s + i, end - i, &name);
        if (n > 0 && name > 0) {
            best_at = i;
            best_len = name;
        }
    }
    if (best_len == 0) { /* two code points back */
        size_t from = end;
        for (int k = 0; k < 2 && from > 0; k++)
            do
                from--;
            while (from > 0 && ((unsigned char)s[from] & 0xC0) == 0x80);
        best_at = from;
        best_len = end - from;
    }
    snprintf(out, cap, "%.*s", (int)best_len, s + best_at);
}

size_t sop_norm_company(sop_t2s *t, const char *s, size_t len, sop_company_norm *out)
{
    memset(out, 0, sizeof *out);
    char buf[SOP_NORM_TEXT * 2];
    size_t n = simplified(t, s, len, buf, sizeof buf);
    if (n == (size_t)-1)
        return 0;
    static const char *const branch_words[] = {"分公司", "分店", "分部", "办事处", "分行",
                                               "营业部", "branch"};
    char folded[SOP_NORM_TEXT * 2];
    size_t f = sop_text_fold(buf, n, folded, sizeof folded);
    for (size_t i = 0; f != (size_t)-1 && i < sizeof branch_words / sizeof branch_words[0]; i++) {
        const char *at = strstr(folded, branch_words[i]);
        if (at != NULL) {
            out->branch = true;
            branch_place(folded, (size_t)(at - folded), out->branch_place,
                         sizeof out->branch_place);
        }
    }
    /* a leading bracketed place, which sop_key_company drops: kept as the city */
    size_t open_len = 0, name;
    if (f != (size_t)-1 && (starts_with(folded, f, "(", &open_len) ||
                            starts_with(folded, f, "[", &open_len) ||
                            starts_with(folded, f, "【", &open_len)) &&
        place_at(folded + open_len, f - open_len, &name) > 0)
        snprintf(out->city, sizeof out->city, "%.*s", (int)name, folded + open_len);
    size_t k = sop_key_company(buf, n, out->key, sizeof out->key);
    if (k == 0)
        return 0;
    k = drop_bracketed_place(out->key, k, out->city, sizeof out->city);
    size_t best, cut = place_at(out->key, k, &best);
    if (cut > 0) {
        /* keep it when too little would remain (上海银行 is no 银行 of 上海) */
        int32_t cp[MAX_CP];
        if (code_points(out->key + cut, k - cut, cp) >= 3) {
            snprintf(out->city, sizeof out->city, "%.*s", (int)best, out->key);
            memmove(out->key, out->key + cut, k - cut + 1);
            k -= cut;
        }
    }
    return k;
}

size_t sop_norm_text(sop_t2s *t, const char *s, size_t len, char *out, size_t cap)
{
    char buf[SOP_NORM_TEXT * 2], folded[SOP_NORM_TEXT * 2];
    size_t n = simplified(t, s, len, buf, sizeof buf);
    if (n == (size_t)-1)
        return 0;
    size_t f = sop_text_fold(buf, n, folded, sizeof folded);
    if (f == (size_t)-1)
        return 0;
    /* white space and punctuation (NFKC made the full-width ones ASCII) */
    size_t w = 0;
    for (size_t i = 0; i < f;) {
        utf8proc_int32_t c;
        utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)folded + i,
                                              (utf8proc_ssize_t)(f - i), &c);
        if (k <= 0)
            return 0;
        bool drop = c < 0x80 ? strchr(" \t.,-()_'", (int)c) != NULL && c != 0
                             : c == 0xB7 || c == 0x2022 || c == 0x3001 || c == 0x3002 ||
                                   c == 0x30FB;
        if (!drop) {
            if (w + (size_t)k >= cap)
                return 0;
            memcpy(out + w, folded + i, (size_t)k);
            w += (size_t)k;
        }
        i += (size_t)k;
    }
    if (cap > 0)
        out[w < cap ? w : cap - 1] = '\0';
    return w;
}

size_t sop_norm_display(sop_t2s *t, const char *s, size_t len, char *out, size_t cap)
{
    char buf[SOP_NORM_TEXT * 4];
    size_t n = simplified(t, s, len, buf, sizeof buf);
    if (n == (size_t)-1)
        return (size_t)-1;
    utf8proc_uint8_t *nfkc = NULL;
    utf8proc_ssize_t m = utf8proc_map((const utf8proc_uint8_t *)buf, (utf8proc_ssize_t)n, &nfkc,
                                      UTF8PROC_STABLE | UTF8PROC_COMPAT | UTF8PROC_COMPOSE);
    if (m < 0)
        return (size_t)-1;
    size_t w = 0;
    bool space = false;
    for (size_t i = 0; i < (size_t)m; i++) {
        unsigned char c = nfkc[i];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            space = w > 0;
            continue;
        }
        if (w + 2 >= cap) {
            free(nfkc);
            return (size_t)-1;
        }
        if (space)
            out[w++] = ' ';
        space = false;
        out[w++] = (char)c;
    }
    free(nfkc);
    if (cap > 0)
        out[w] = '\0';
    return w;
}
