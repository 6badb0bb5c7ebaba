/* dedupe.c - dedupe-clean's records, their normalised fields, candidate
 * pairs from capped blocks, Fellegi-Sunter scores and the EM fit. */
#include "dedupe_int.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jsonalloc.h"
#include "idmap.h"
#include "keys.h"
#include "text.h"
#include "values.h"
#include "writer.h"
#include "report.h"

enum { SHOW_SKIPPED = 10 };

/* ---- rows and their features ---------------------------------------------- */

const char *sop_dedupe_text(const sop_dedupe *d, size_t row, size_t field, size_t *len)
{
    const sop_dfeat *f = &d->feat[row * d->nf + field];
    *len = f->len;
    return d->text + f->off;
}

static bool grow_rows(sop_dedupe *d)
{
    if (d->rows < d->cap)
        return true;
    size_t cap = d->cap ? d->cap * 2 : 4096;
    if (cap > UINT32_MAX - 1)
        return false;
    sop_drow *info = realloc(d->info, cap * sizeof *info);
    if (info == NULL)
        return false;
    d->info = info;
    sop_dfeat *feat = realloc(d->feat, cap * d->nf * sizeof *feat);
    if (feat == NULL)
        return false;
    d->feat = feat;
    d->cap = cap;
    return true;
}

static bool put_text(sop_dedupe *d, sop_dfeat *f, const char *s, size_t len)
{
    f->off = f->hash = 0;
    f->len = 0;
    if (len == 0)
        return true;
    if (len > UINT16_MAX || d->text_used + len > UINT32_MAX)
        return false;
    if (d->text_used + len > d->text_cap) {
        size_t cap = d->text_cap ? d->text_cap : 1 << 20;
        while (cap < d->text_used + len)
            cap *= 2;
        if (cap > (size_t)UINT32_MAX + 1)
            cap = (size_t)UINT32_MAX + 1;
        char *t = realloc(d->text, cap);
        if (t == NULL)
            return false;
        d->text = t;
        d->text_cap = cap;
    }
    memcpy(d->text + d->text_used, s, len);
    f->off = (uint32_t)d->text_used;
    f->hash = (uint32_t)sop_strmap_hash(s, len);
    f->len = (uint16_t)len;
    d->text_used += len;
    return true;
}

/* "上海市" and "上海" are one city. */
static size_t city_key(sop_t2s *t, const char *s, size_t len, char *out, size_t cap)
{
    size_t n = sop_norm_text(t, s, len, out, cap);
    static const char *const tails[] = {"市", "省", "city"};
    for (size_t i = 0; i < sizeof tails / sizeof tails[0]; i++) {
        size_t k = strlen(tails[i]);
        if (n > k + 3 && memcmp(out + n - k, tails[i], k) == 0) {
            n -= k;
            out[n] = '\0';
        }
    }
    return n;
}

/* One field's feature from its value. */
static bool feature(sop_dedupe *d, const sop_dedupe_field *fd, const char *s, size_t len,
                    sop_dfeat *f, char *city, size_t city_cap)
{
    char key[SOP_NORM_TEXT * 2];
    size_t n = 0;
    f->flag = 0;
    f->at = 0;
    f->aux = 0;
    switch (fd->type) {
    case SOP_DT_COMPANY: {
        sop_company_norm c;
        n = sop_norm_company(d->t2s, s, len, &c);
        memcpy(key, c.key, n);
        f->flag = c.branch ? SOP_DFEAT_BRANCH : 0;
        f->aux = c.branch_place[0] ? (uint32_t)sop_strmap_hash(c.branch_place,
                                                                strlen(c.branch_place)) | 1u : 0;
        if (n > 0 && c.city[0] && city[0] == '\0')
            snprintf(city, city_cap, "%s", c.city);
        break;
    }
    case SOP_DT_PHONE:
        n = sop_key_phone(s, len, key, sizeof key);
        if (n > 0)
            f->flag = n == 11 && key[0] == '1' ? SOP_DPHONE_MOBILE : SOP_DPHONE_LANDLINE;
        break;
    case SOP_DT_EMAIL: {
        n = sop_key_email(s, len, key, sizeof key);
        const char *at = n > 0 ? memchr(key, '@', n) : NULL;
        f->at = at && at - key < 256 ? (uint8_t)(at - key) : 0;
        break;
    }
    case SOP_DT_CITY:
        n = city_key(d->t2s, s, len, key, sizeof key);
        break;
    case SOP_DT_ID:
        sop_text_trim(&s, &len);
        n = sop_text_fold(s, len, key, sizeof key);
        if (n == (size_t)-1)
            n = 0;
        break;
    default: /* person, address, text */
        n = sop_norm_text(d->t2s, s, len, key, sizeof key);
        break;
    }
    return put_text(d, f, key, n);
}

/* A row's features from rec, whose column for field i is col[i]. */
static int add_row(sop_dedupe *d, const sop_record *rec, const long *col, long line,
                   uint32_t file, sop_error *err)
{
    if (!grow_rows(d))
        return sop_error_set(err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
    size_t row = d->rows;
    sop_drow *r = &d->info[row];
    r->line = line;
    r->file = file;
    r->time = INT64_MIN;
    r->mid = r->truth = UINT32_MAX;
    char city[64] = "";
    sop_dfeat *f = &d->feat[row * d->nf];
    for (size_t i = 0; i < d->nf; i++) {
        size_t len;
        const char *s = sop_record_trimmed(rec, col[i], &len);
        /* NULL, N/A, -, a JSON null: no value, never agreement */
        if (sop_value_missing(NULL, s, len) ||
            (sop_record_kind(rec, col[i] < 0 ? (size_t)-1 : (size_t)col[i]) == SOP_LITERAL &&
             len == 4 && memcmp(s, "null", 4) == 0))
            len = 0;
        /* the normalisers say 0 for "nothing usable" and for a failed
         * allocation (utf8proc's): only errno tells them apart */
        errno = 0;
        if (!feature(d, &d->cfg->fields[i], s, len, &f[i], city, sizeof city) ||
            errno == ENOMEM)
            return sop_error_set(err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory (or over "
                                 "4 GiB of names and addresses)");
    }
    /* a blank city is the one in the company's name */
    if (d->city_field >= 0 && f[d->city_field].len == 0 && city[0]) {
        char key[128];
        size_t n = city_key(NULL, city, strlen(city), key, sizeof key);
        if (!put_text(d, &f[d->city_field], key, n))
            return sop_error_set(err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
    }
    d->rows++;
    return 0;
}

static uint32_t file_index(sop_dedupe *d, const char *name, sop_error *err, int *rc)
{
    bool added;
    long i = sop_strmap_put(&d->files, name ? name : "-", strlen(name ? name : "-"), &added);
    if (i < 0)
        *rc = sop_error_set(err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
    return i < 0 ? 0 : (uint32_t)i;
}

/* ---- the master ---------------------------------------------------------- */

static int master_row(void *ctx, sop_side *side, sop_error *err)
{
    sop_dedupe *d = ctx;
    size_t idlen;
    const char *id = sop_record_trimmed(&side->rec, side->col[d->nf], &idlen);
    if (idlen == 0 || idlen >= 64) {
        sop_side_bad(d->opts.program, d->opts.diag, &d->master_bad, side->file, side->rec.line,
                     idlen ? "%s longer than 63 bytes" : "no %s", d->cfg->id_column);
        return 0;
    }
    int rc = 0;
    uint32_t file = file_index(d, side->file, err, &rc);
    if (rc == 0)
        rc = add_row(d, &side->rec, side->col, side->rec.line, file, err);
    if (rc != 0)
        return rc;
    bool added;
    long m = sop_strmap_put(&d->master_ids, id, idlen, &added);
    if (m < 0)
        return sop_error_set(err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
    d->info[d->rows - 1].mid = (uint32_t)m;
    sop_record_clear(&d->scratch);
    for (size_t i = 0; i < d->nf; i++) {
        size_t len;
        const char *s = sop_record_trimmed(&side->rec, side->col[i], &len);
        if (!sop_record_push(&d->scratch, s, len, SOP_TEXT))
            return sop_error_set(err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
    }
    if (!sop_rowstore_add(&d->mstore, &d->scratch))
        return sop_error_set(err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
    return 0;
}

static int master_bad(void *ctx, sop_side *side, sop_error *err)
{
    sop_dedupe *d = ctx;
    (void)err;
    sop_side_bad(d->opts.program, d->opts.diag, &d->master_bad, side->file, side->rec.line,
                 "%s", sop_reader_bad_reason(side->reader));
    return 0;
}

static int load_master(sop_dedupe *d, sop_error *err)
{
    const char *names[SOP_SIDE_COLUMNS];
    bool required[SOP_SIDE_COLUMNS] = {false};
    for (size_t i = 0; i < d->nf; i++)
        names[i] = d->cfg->fields[i].column;
    names[d->nf] = d->cfg->id_column;
    required[d->nf] = true;
    /* the master is the same kind of file as the input: -i, -d, -e, -m apply */
    int rc = sop_side_each(d->opts.master, d->cli, SOP_SIDE_AS_MAIN, names, required, d->nf + 1,
                           master_row,
                           master_bad, d, err);
    d->masters = d->rows;
    return rc;
}

/* ---- the stream ---------------------------------------------------------- */

static int bind(void *ctx, const sop_schema *input, sop_error *err)
{
    sop_dedupe *d = ctx;
    for (size_t i = 0; i < d->nf; i++)
        d->col[i] = sop_find_column(input, d->cfg->fields[i].column);
    d->time_col = sop_find_column(input, d->cfg->time_column);
    d->truth_col = d->opts.truth ? sop_find_column(input, d->opts.truth) : -1;
    d->schema = input;
    int rc = sop_outputs_bind(&d->out, input, err);
    d->model.added = &d->out.added;
    return rc;
}

/* --normalize: the cleaned value in place, the original in *_raw. */
static int clean_values(sop_dedupe *d, sop_record *rec, sop_record *extra, sop_error *err)
{
    size_t which = 0;
    char buf[SOP_NORM_TEXT * 4];
    for (size_t i = 0; i < d->nf; i++) {
        if (!d->clean[i])
            continue;
        size_t len;
        const char *s = sop_record_text(rec, d->col[i] < 0 ? (size_t)-1 : (size_t)d->col[i],
                                        &len);
        unsigned char kind = sop_record_kind(rec, d->col[i] < 0 ? (size_t)-1 : (size_t)d->col[i]);
        if (d->opts.keep_raw &&
            !sop_outputs_put(&d->out, which++, rec, extra, s, len, kind ? kind : SOP_TEXT))
            return sop_error_set(err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
        if (d->col[i] < 0 || kind != SOP_TEXT)
            continue;
        s = sop_record_text(rec, (size_t)d->col[i], &len); /* the arena may have moved */
        const char *t = s;
        size_t tlen = len;
        sop_text_trim(&t, &tlen);
        size_t n;
        switch (d->cfg->fields[i].type) {
        case SOP_DT_PHONE: n = sop_key_phone(t, tlen, buf, sizeof buf); break;
        case SOP_DT_EMAIL: n = sop_key_email(t, tlen, buf, sizeof buf); break;
        default:
            errno = 0;
            n = sop_norm_display(d->t2s, t, tlen, buf, sizeof buf);
            if (n == (size_t)-1 && errno == ENOMEM)
                return sop_error_set(err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
            break;
        }
        if (n == 0 || n == (size_t)-1) /* not a number, address, ...: left as it was */
            continue;
        if (!sop_record_set(rec, (size_t)d->col[i], buf, n, SOP_TEXT))
            return sop_error_set(err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
    }
    return 0;
}

static int record(void *ctx, sop_record *rec, sop_record *extra, sop_error *err)
{
    sop_dedupe *d = ctx;
    int rc = clean_values(d, rec, extra, err);
    if (rc != 0 || d->opts.mode == SOP_DEDUPE_CLEAN)
        return rc;
    uint32_t file = file_index(d, rec->file, err, &rc);
    if (rc == 0)
        rc = add_row(d, rec, d->col, rec->line, file, err);
    if (rc != 0)
        return rc;
    sop_drow *r = &d->info[d->rows - 1];
    size_t len;
    const char *s = sop_record_trimmed(rec, d->time_col, &len);
    int64_t t;
    if (len > 0 && !sop_value_missing(NULL, s, len)) {
        if (sop_parse_time(s, len, &d->cli->tz, true, &t))
            r->time = t;
        else if (d->bad_times++ < 3)
            sop_note(d->opts.diag, d->opts.program, d->opts.quiet, "%s:%ld: %s \"%.*s\" is no "
                     "time: the record counts as the oldest for most_recent", rec->file, rec->line,
                     d->cfg->time_column, (int)sop_text_fit(s, len, 40), s);
    }
    if (d->truth_col >= 0) {
        s = sop_record_trimmed(rec, d->truth_col, &len);
        bool added;
        long v = len ? sop_strmap_put(&d->truth_values, s, len, &added) : -1;
        if (len && v < 0)
            return sop_error_set(err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
        r->truth = v < 0 ? UINT32_MAX : (uint32_t)v;
    }
    if ((!sop_rowstore_add(&d->store, rec) ||
                            (d->opts.keep_raw && !sop_rowstore_add(&d->xstore, extra))))
        return sop_error_set(err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
    return 0;
}

/* ---- comparing two rows -------------------------------------------------- */

static bool public_mail(const char *domain, size_t len)
{
    static const char *const public[] = {
        "qq.com", "vip.qq.com", "foxmail.com", "163.com", "126.com", "yeah.net", "vip.163.com",
        "sina.com", "sina.cn", "sohu.com", "139.com", "189.cn", "aliyun.com", "263.net",
        "gmail.com", "hotmail.com", "outlook.com", "live.com", "msn.com", "yahoo.com",
        "icloud.com"};
    for (size_t i = 0; i < sizeof public / sizeof public[0]; i++)
        if (strlen(public[i]) == len && memcmp(public[i], domain, len) == 0)
            return true;
    return false;
}

/* sales@ at two companies says nothing about them. */
static bool generic_mailbox(const char *local, size_t len)
{
    static const char *const generic[] = {"info", "sales", "service", "support", "admin",
                                          "contact", "office", "hr", "marketing", "kefu",
                                          "xiaoshou", "bd", "hello", "market", "cs"};
    for (size_t i = 0; i < sizeof generic / sizeof generic[0]; i++)
        if (strlen(generic[i]) == len && memcmp(generic[i], local, len) == 0)
            return true;
    return false;
}

/* The bytes of the first code point of s (by its lead byte). */
static size_t first_cp_len(const char *s, size_t len)
{
    unsigned char c = (unsigned char)s[0];
    size_t n = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    return n <= len ? n : len;
}

static bool contains(const char *hay, size_t hn, const char *needle, size_t nn)
{
    /* two CJK characters at least */
    return nn >= 6 && nn <= hn && memmem(hay, hn, needle, nn) != NULL;
}

static bool feat_equal(const sop_dedupe *d, const sop_dfeat *fa, const sop_dfeat *fb)
{
    return fa->hash == fb->hash && fa->len == fb->len &&
           memcmp(d->text + fa->off, d->text + fb->off, fa->len) == 0;
}

int sop_dedupe_level(const sop_dedupe *d, size_t field, size_t a, size_t b)
{
    const sop_dedupe_field *fd = &d->cfg->fields[field];
    const sop_dfeat *fa = &d->feat[a * d->nf + field], *fb = &d->feat[b * d->nf + field];
    if (fa->len == 0 || fb->len == 0)
        return SOP_DEDUPE_LEVELS;
    const char *x = d->text + fa->off, *y = d->text + fb->off;
    if (feat_equal(d, fa, fb))
        return 0;
    switch (fd->type) {
    case SOP_DT_COMPANY: {
        double jw = sop_jaro_winkler(x, fa->len, y, fb->len);
        if (jw >= fd->close)
            return 1;
        if (jw >= fd->similar || contains(x, fa->len, y, fb->len) ||
            contains(y, fb->len, x, fa->len))
            return 2;
        return 3;
    }
    case SOP_DT_PERSON: {
        if (sop_jaro_winkler(x, fa->len, y, fb->len) >= fd->close)
            return 1;
        size_t k = first_cp_len(x, fa->len);
        return k == first_cp_len(y, fb->len) && memcmp(x, y, k) == 0 ? 2 : 3;
    }
    case SOP_DT_PHONE:
        return fa->flag != fb->flag ? 2 : 3;
    case SOP_DT_EMAIL:
        if (fa->at > 0 && fa->at == fb->at && memcmp(x, y, fa->at) == 0 &&
            !generic_mailbox(x, fa->at))
            return 1;
        if (fa->len - fa->at == fb->len - fb->at &&
            memcmp(x + fa->at, y + fb->at, (size_t)(fa->len - fa->at)) == 0 &&
            !public_mail(x + fa->at + 1, (size_t)(fa->len - fa->at - 1)))
            return 2;
        return 3;
    case SOP_DT_ADDRESS:
    case SOP_DT_TEXT:
        if (sop_jaro_winkler(x, fa->len, y, fb->len) >= fd->close)
            return 1;
        return sop_bigram_jaccard(x, fa->len, y, fb->len) >= fd->similar ? 2 : 3;
    default: /* city, id */
        return 3;
    }
}

bool sop_dedupe_vetoed(const sop_dedupe *d, size_t a, size_t b)
{
    if (!d->cfg->branch_veto || d->company_field < 0)
        return false;
    const sop_dfeat *fa = &d->feat[a * d->nf + (size_t)d->company_field];
    const sop_dfeat *fb = &d->feat[b * d->nf + (size_t)d->company_field];
    if (fa->len == 0 || fb->len == 0 || !((fa->flag | fb->flag) & SOP_DFEAT_BRANCH))
        return false;
    /* a branch and the head office, or branches in two places (two records
     * of one branch may still differ in a typo or a legal form) */
    if (fa->flag != fb->flag)
        return true;
    if (fa->aux && fb->aux && fa->aux == fb->aux) /* one place: unless the names differ */
        return sop_dedupe_level(d, (size_t)d->company_field, a, b) == 3;
    return fa->aux && fb->aux ? true : !feat_equal(d, fa, fb);
}

double sop_dedupe_weight(const sop_dedupe_field *f, int level)
{
    return log2(f->m[level] / f->u[level]);
}

static double probability(double w) { return 1 / (1 + exp2(-w)); }

double sop_dedupe_probability(const sop_dedupe_config *cfg, const int *levels)
{
    double w = log2(cfg->prior / (1 - cfg->prior));
    for (size_t i = 0; i < cfg->field_count; i++)
        if (levels[i] < SOP_DEDUPE_LEVELS)
            w += sop_dedupe_weight(&cfg->fields[i], levels[i]);
    return probability(w);
}

double sop_dedupe_pair_probability(const sop_dedupe *d, size_t a, size_t b)
{
    if (sop_dedupe_vetoed(d, a, b))
        return 0;
    /* the weights were worked out once (sop_dedupe_new), not per pair */
    double w = d->prior_weight;
    for (size_t i = 0; i < d->nf; i++) {
        int level = sop_dedupe_level(d, i, a, b);
        if (level < SOP_DEDUPE_LEVELS)
            w += d->weight[i][level];
    }
    return probability(w);
}

/* ---- candidates ---------------------------------------------------------- */

/* A block key of a row: the field's normalised key (pos 255) or, for the
 * fuzzy company key, that key without its pos-th character. */
typedef struct bkey {
    uint64_t h;
    uint32_t row;
    uint8_t field, pos;
} bkey;

enum { FUZZY_MAX = 32, WHOLE = 255, FUZZY_WHOLE = 254, ANY_CITY = 253 };

typedef struct vec {
    void *data;
    size_t count, cap, size;
} vec;

static bool vec_push(vec *v, const void *item)
{
    if (v->count == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 4096;
        void *p = realloc(v->data, cap * v->size);
        if (p == NULL)
            return false;
        v->data = p;
        v->cap = cap;
    }
    memcpy((char *)v->data + v->count++ * v->size, item, v->size);
    return true;
}

static uint64_t key_hash(const char *s, size_t len, uint64_t seed)
{
    return sop_hash_mix(sop_strmap_hash(s, len) ^ seed);
}

/* The byte offsets of the code points of s (at most FUZZY_MAX + 1). */
static size_t cp_offsets(const char *s, size_t len, size_t *at)
{
    size_t n = 0;
    for (size_t i = 0; i < len && n <= FUZZY_MAX; n++) {
        at[n] = i;
        i += first_cp_len(s + i, len - i);
    }
    return n;
}

/* The fuzzy variant pos of the company key into out. */
static size_t fuzzy_variant(const char *s, size_t len, unsigned pos, char *out)
{
    size_t at[FUZZY_MAX + 2];
    size_t n = cp_offsets(s, len, at);
    if (pos >= n)
        return 0;
    size_t from = at[pos], to = pos + 1 < n ? at[pos + 1] : len;
    memcpy(out, s, from);
    memcpy(out + from, s + to, len - to);
    return len - (to - from);
}

static bool fuzzy_and_exact_keys(const sop_dedupe *d, vec *keys, sop_idmap *named);

static bool block_keys(const sop_dedupe *d, vec *keys)
{
    /* the fuzzy keys of a company name in a city are made once, for its
     * first record (the others meet that one in their exact block): in a
     * big file most names come again, and the variants were most of the
     * keys to sort */
    sop_idmap named;
    sop_idmap_init(&named);
    bool ok = fuzzy_and_exact_keys(d, keys, &named);
    sop_idmap_free(&named);
    return ok;
}

static bool fuzzy_and_exact_keys(const sop_dedupe *d, vec *keys, sop_idmap *named)
{
    for (size_t row = 0; row < d->rows; row++)
        for (size_t f = 0; f < d->nf; f++) {
            const sop_dedupe_field *fd = &d->cfg->fields[f];
            size_t len;
            const char *s = sop_dedupe_text(d, row, f, &len);
            if (len == 0)
                continue;
            uint64_t base = (uint64_t)(f + 1) * 0x9E3779B97F4A7C15ull, seed = base;
            /* a company name is registered per city: the same name in another
             * city is another company (and one block per name would hold
             * hundreds of them in a big file) */
            if (fd->type == SOP_DT_COMPANY && d->city_field >= 0) {
                size_t cl;
                const char *city = sop_dedupe_text(d, row, (size_t)d->city_field, &cl);
                seed ^= key_hash(city, cl, 0x5BD1E995u);
            }
            if (fd->block) {
                bkey k = {key_hash(s, len, seed), (uint32_t)row, (uint8_t)f, WHOLE};
                if (!vec_push(keys, &k))
                    return false;
            }
            /* and in every city's: a record without a city meets the name
             * wherever it is */
            if (fd->block && fd->type == SOP_DT_COMPANY && d->city_field >= 0) {
                bkey k = {key_hash(s, len, ~base), (uint32_t)row, (uint8_t)f, ANY_CITY};
                if (!vec_push(keys, &k))
                    return false;
            }
            if (fd->type != SOP_DT_COMPANY || !d->cfg->fuzzy)
                continue;
            if (fd->block) {
                bool added;
                if (sop_idmap_put(named, key_hash(s, len, seed) | 1, (int64_t)row, &added) == NULL)
                    return false;
                if (!added)
                    continue;
            }
            size_t at[FUZZY_MAX + 2];
            size_t n = cp_offsets(s, len, at);
            if (n < 3 || n > FUZZY_MAX)
                continue;
            uint64_t fseed = seed ^ 0xA5A5A5A5A5A5A5A5ull;
            bkey whole = {key_hash(s, len, fseed), (uint32_t)row, (uint8_t)f, FUZZY_WHOLE};
            if (!vec_push(keys, &whole))
                return false;
            for (size_t p = 0; p < n; p++) {
                char v[SOP_NORM_TEXT * 2];
                size_t vn = fuzzy_variant(s, len, (unsigned)p, v);
                bkey k = {key_hash(v, vn, fseed), (uint32_t)row, (uint8_t)f, (uint8_t)p};
                if (!vec_push(keys, &k))
                    return false;
            }
        }
    return true;
}

/* LSD radix sort on a 64-bit key at the start of each item (stable). */
static bool radix_sort(void *items, size_t n, size_t size)
{
    unsigned char *tmp = malloc(n * size + 1), *src = items, *dst = tmp;
    if (tmp == NULL)
        return false;
    for (unsigned shift = 0; shift < 64; shift += 16) {
        size_t *count = calloc(65537, sizeof *count);
        if (count == NULL) {
            free(tmp);
            return false;
        }
        for (size_t i = 0; i < n; i++) {
            uint64_t k;
            memcpy(&k, src + i * size, sizeof k);
            count[((k >> shift) & 0xFFFF) + 1]++;
        }
        for (size_t i = 1; i <= 65536; i++)
            count[i] += count[i - 1];
        for (size_t i = 0; i < n; i++) {
            uint64_t k;
            memcpy(&k, src + i * size, sizeof k);
            memcpy(dst + count[(k >> shift) & 0xFFFF]++ * size, src + i * size, size);
        }
        free(count);
        unsigned char *t = src;
        src = dst;
        dst = t;
    }
    /* four passes: the result is back in items */
    free(tmp);
    return true;
}

/* A block too big to compare all-pairs (a shared placeholder, a chain
 * store's switchboard): skipped, and said. */
static void skipped(sop_dedupe *d, const bkey *k, size_t n)
{
    size_t len;
    const char *s = sop_dedupe_text(d, k->row, k->field, &len);
    if (k->pos != WHOLE) {
        d->skipped_fuzzy++;
        return;
    }
    if (++d->skipped_blocks <= SHOW_SKIPPED)
        sop_note(d->opts.diag, d->opts.program, d->opts.quiet, "%zu records share %s \"%.*s\": "
                 "more than blocking.max_block (%lu), not compared by it", n,
                 d->cfg->fields[k->field].column, (int)len, s, d->cfg->max_block);
}

static bool same_key(const sop_dedupe *d, size_t field, size_t a, size_t b)
{
    const sop_dfeat *fa = &d->feat[a * d->nf + field], *fb = &d->feat[b * d->nf + field];
    return d->cfg->fields[field].block && feat_equal(d, fa, fb);
}

/* Block members in the order of another field's text (company blocks by
 * address, the others by company): near-identical records end up next to
 * each other. */
typedef struct order_ctx {
    const sop_dedupe *d;
    size_t field;
} order_ctx;

static int by_second(const void *p, const void *q, void *arg)
{
    const order_ctx *o = arg;
    const bkey *x = p, *y = q;
    size_t lx, ly;
    const char *a = sop_dedupe_text(o->d, x->row, o->field, &lx);
    const char *b = sop_dedupe_text(o->d, y->row, o->field, &ly);
    int c = memcmp(a, b, lx < ly ? lx : ly);
    if (c == 0 && lx != ly)
        c = lx < ly ? -1 : 1;
    return c != 0 ? c : (x->row > y->row) - (x->row < y->row);
}

static long second_field(const sop_dedupe *d, size_t field)
{
    sop_dedupe_type want = d->cfg->fields[field].type == SOP_DT_COMPANY ? SOP_DT_ADDRESS
                                                                        : SOP_DT_COMPANY;
    for (size_t f = 0; f < d->nf; f++)
        if (d->cfg->fields[f].type == want)
            return (long)f;
    return -1;
}

/* The pairs of one block: all of them in a small block; in a bigger one
 * each member with the blocking.window members after it in the order
 * above (sorted neighbourhood), so a common name costs a fixed number of
 * comparisons a record. */
static int by_key(const void *p, const void *q, void *arg)
{
    const order_ctx *o = arg;
    const bkey *x = p, *y = q;
    const sop_dfeat *fx = &o->d->feat[x->row * o->d->nf + o->field];
    const sop_dfeat *fy = &o->d->feat[y->row * o->d->nf + o->field];
    if (fx->hash != fy->hash)
        return fx->hash < fy->hash ? -1 : 1;
    return (x->row > y->row) - (x->row < y->row); /* the first record of a key stands for it */
}

/* A fuzzy block: one member for each distinct key (the first record with
 * it; the records sharing a key meet in that key's own block).  The new
 * count. */
static size_t distinct_keys(const sop_dedupe *d, bkey *k, size_t n)
{
    order_ctx o = {d, k[0].field};
    qsort_r(k, n, sizeof *k, by_key, &o);
    size_t u = 0;
    for (size_t i = 0; i < n; i++)
        if (u == 0 || !same_key(d, k[i].field, k[u - 1].row, k[i].row))
            k[u++] = k[i];
    return u;
}

static bool blank_city(const sop_dedupe *d, uint32_t row)
{
    return d->feat[row * d->nf + (size_t)d->city_field].len == 0;
}

/* A company name in every city: only its records without a city are
 * compared, with all the others. */
static bool any_city_pairs(const sop_dedupe *d, const bkey *k, size_t n, vec *pairs)
{
    for (size_t x = 0; x < n; x++) {
        if (!blank_city(d, k[x].row))
            continue;
        for (size_t y = 0; y < n; y++) {
            uint32_t a = k[x].row, b = k[y].row;
            if (a == b || (blank_city(d, b) && y < x) || (a < d->masters && b < d->masters))
                continue;
            uint64_t p = a < b ? (uint64_t)a << 32 | b : (uint64_t)b << 32 | a;
            if (!vec_push(pairs, &p))
                return false;
        }
    }
    return true;
}

static bool block_pairs(const sop_dedupe *d, bkey *k, size_t n, vec *pairs)
{
    if (k[0].pos == ANY_CITY)
        return any_city_pairs(d, k, n, pairs);
    if (k[0].pos != WHOLE && d->cfg->fields[k[0].field].block)
        n = distinct_keys(d, k, n);
    size_t window = d->cfg->window ? d->cfg->window : n;
    if (n > window + 1) {
        long second = second_field(d, k[0].field);
        if (second >= 0) {
            order_ctx o = {d, (size_t)second};
            qsort_r(k, n, sizeof *k, by_second, &o);
        }
    }
    for (size_t x = 0; x < n; x++)
        for (size_t y = x + 1; y < n && y <= x + window; y++) {
            uint32_t a = k[x].row, b = k[y].row;
            if (a == b || (a < d->masters && b < d->masters))
                continue;
            uint64_t p = a < b ? (uint64_t)a << 32 | b : (uint64_t)b << 32 | a;
            if (!vec_push(pairs, &p))
                return false;
        }
    return true;
}

static int candidates(sop_dedupe *d, vec *pairs, sop_error *err)
{
    vec keys = {NULL, 0, 0, sizeof(bkey)};
    if (!block_keys(d, &keys) || !radix_sort(keys.data, keys.count, sizeof(bkey))) {
        free(keys.data);
        return sop_error_set(err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
    }
    bkey *k = keys.data;
    for (size_t i = 0; i < keys.count;) {
        size_t j = i + 1;
        while (j < keys.count && k[j].h == k[i].h)
            j++;
        bool skip = j - i < 2;
        if (!skip && k[i].pos == ANY_CITY) {
            skip = true; /* unless one of the name's records has no city */
            for (size_t x = i; x < j && skip; x++)
                skip = !blank_city(d, k[x].row);
        }
        if (skip)
            ;
        else if (j - i > d->cfg->max_block)
            skipped(d, &k[i], j - i);
        else if (!block_pairs(d, k + i, j - i, pairs)) {
            free(keys.data);
            return sop_error_set(err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
        }
        i = j;
    }
    free(keys.data);
    if (d->skipped_blocks > SHOW_SKIPPED)
        sop_note(d->opts.diag, d->opts.program, d->opts.quiet, "%lu more big blocks skipped",
                 d->skipped_blocks - SHOW_SKIPPED);
    if (d->skipped_fuzzy > 0)
        sop_note(d->opts.diag, d->opts.program, d->opts.quiet, "%lu fuzzy or city-less company "
                 "blocks over blocking.max_block skipped (common words)", d->skipped_fuzzy);
    if (!radix_sort(pairs->data, pairs->count, sizeof(uint64_t)))
        return sop_error_set(err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
    uint64_t *p = pairs->data;
    size_t n = 0;
    for (size_t i = 0; i < pairs->count; i++)
        if (n == 0 || p[i] != p[n - 1])
            p[n++] = p[i];
    pairs->count = n;
    return 0;
}

/* ---- EM ------------------------------------------------------------------ */

enum { EM_ITERATIONS = 200 };

typedef struct pattern {
    int level[SOP_DEDUPE_FIELDS];
    double count;
} pattern;

/* The m and u of each field, and the prior, fitted to the candidate pairs'
 * comparison patterns (Fellegi-Sunter EM, fields independent given the
 * class), starting from the config's. */
static void em(sop_dedupe_config *cfg, const pattern *pat, size_t n, unsigned *iterations)
{
    double lambda = cfg->prior;
    size_t nf = cfg->field_count;
    unsigned it;
    for (it = 0; it < EM_ITERATIONS; it++) {
        double mm[SOP_DEDUPE_FIELDS][SOP_DEDUPE_LEVELS] = {{0}};
        double uu[SOP_DEDUPE_FIELDS][SOP_DEDUPE_LEVELS] = {{0}};
        double sm = 0, total = 0;
        for (size_t g = 0; g < n; g++) {
            double pm = lambda, pu = 1 - lambda;
            for (size_t f = 0; f < nf; f++)
                if (pat[g].level[f] < SOP_DEDUPE_LEVELS) {
                    pm *= cfg->fields[f].m[pat[g].level[f]];
                    pu *= cfg->fields[f].u[pat[g].level[f]];
                }
            double w = pm + pu > 0 ? pm / (pm + pu) : 0;
            sm += w * pat[g].count;
            total += pat[g].count;
            for (size_t f = 0; f < nf; f++)
                if (pat[g].level[f] < SOP_DEDUPE_LEVELS) {
                    mm[f][pat[g].level[f]] += w * pat[g].count;
                    uu[f][pat[g].level[f]] += (1 - w) * pat[g].count;
                }
        }
        double change = fabs(sm / total - lambda);
        lambda = fmin(fmax(sm / total, 1e-6), 0.999999);
        for (size_t f = 0; f < nf; f++) {
            double tm = 0, tu = 0;
            for (int l = 0; l < SOP_DEDUPE_LEVELS; l++) {
                tm += mm[f][l];
                tu += uu[f][l];
            }
            for (int l = 0; l < SOP_DEDUPE_LEVELS && tm > 0 && tu > 0; l++) {
                double m = fmax(mm[f][l] / tm, 1e-6), u = fmax(uu[f][l] / tu, 1e-6);
                change = fmax(change, fabs(m - cfg->fields[f].m[l]));
                cfg->fields[f].m[l] = m;
                cfg->fields[f].u[l] = u;
            }
            /* back to sums of 1 after the floor */
            double sm2 = 0, su2 = 0;
            for (int l = 0; l < SOP_DEDUPE_LEVELS; l++) {
                sm2 += cfg->fields[f].m[l];
                su2 += cfg->fields[f].u[l];
            }
            for (int l = 0; l < SOP_DEDUPE_LEVELS; l++) {
                cfg->fields[f].m[l] /= sm2;
                cfg->fields[f].u[l] /= su2;
            }
        }
        if (change < 1e-7)
            break;
    }
    cfg->prior = lambda;
    *iterations = it < EM_ITERATIONS ? it + 1 : it; /* a break leaves it one short */
}

static int estimate(sop_dedupe *d, const uint64_t *cand, size_t n, sop_error *err)
{
    sop_idmap index;
    sop_idmap_init(&index);
    vec pats = {NULL, 0, 0, sizeof(pattern)};
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        size_t a = (size_t)(cand[i] >> 32), b = (size_t)(cand[i] & 0xFFFFFFFFu);
        if (sop_dedupe_vetoed(d, a, b))
            continue;
        pattern p = {{0}, 1};
        uint64_t code = 1;
        for (size_t f = 0; f < d->nf; f++) {
            p.level[f] = sop_dedupe_level(d, f, a, b);
            code = code * 5 + (uint64_t)p.level[f];
        }
        bool added;
        int64_t *slot = sop_idmap_put(&index, sop_hash_mix(code) | 1, (int64_t)pats.count,
                                      &added);
        if (slot == NULL || (added && !vec_push(&pats, &p)))
            rc = sop_error_set(err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
        else if (!added)
            ((pattern *)pats.data)[*slot].count++;
    }
    sop_idmap_free(&index);
    if (rc == 0 && pats.count == 0)
        rc = sop_error_set(err, SOP_EXIT_DATAERR, NULL, 0, "--estimate: no candidate pairs to "
                           "learn from (every record is on its own)");
    if (rc == 0) {
        sop_dedupe_config fitted = *d->cfg;
        unsigned iterations;
        em(&fitted, pats.data, pats.count, &iterations);
        sop_note(d->opts.diag, d->opts.program, d->opts.quiet, "--estimate: %zu candidate "
                 "pairs, %zu comparison patterns, %u EM iterations%s, prior %.6f", n, pats.count,
                 iterations, iterations >= EM_ITERATIONS ? " (stopped there, not converged)" : "",
                 fitted.prior);
        sop_note(d->opts.diag, d->opts.program, d->opts.quiet, "--estimate: EM assumes the "
                 "fields independent (another contact changes name, phone and e-mail at once): "
                 "check the fitted config with --truth on labelled records before using it");
        char *text = sop_dedupe_config_json(&fitted);
        sop_json_mark mark = sop_json_watch();
        json_t *root = text ? json_loads(text, 0, NULL) : NULL;
        free(text);
        if (root == NULL || sop_json_out_of_memory(mark, &root, NULL))
            rc = sop_error_set(err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
        else
            rc = sop_report_write(root, SOP_FMT_JSON, d->cli->output, false, err);
        json_decref(root);
    }
    free(pats.data);
    return rc;
}

/* ---- the run ------------------------------------------------------------- */

static int score(sop_dedupe *d, const uint64_t *cand, size_t n, sop_error *err)
{
    vec v = {NULL, 0, 0, sizeof(sop_dpair)};
    for (size_t i = 0; i < n; i++) {
        /* rows are far apart in memory: fetch a later pair's fields, and
         * the texts of a nearer one, while this one is compared */
        if (i + 16 < n) {
            __builtin_prefetch(&d->feat[(cand[i + 16] >> 32) * d->nf]);
            __builtin_prefetch(&d->feat[(cand[i + 16] & 0xFFFFFFFFu) * d->nf]);
        }
        if (i + 8 < n)
            for (size_t f = 0; f < d->nf; f++) {
                __builtin_prefetch(d->text + d->feat[(cand[i + 8] >> 32) * d->nf + f].off);
                __builtin_prefetch(d->text + d->feat[(cand[i + 8] & 0xFFFFFFFFu) * d->nf + f].off);
            }
        uint32_t a = (uint32_t)(cand[i] >> 32), b = (uint32_t)(cand[i] & 0xFFFFFFFFu);
        double p = sop_dedupe_pair_probability(d, a, b);
        if (p < d->cfg->review)
            continue;
        sop_dpair kept = {a, b, (float)p};
        if (!vec_push(&v, &kept)) {
            free(v.data);
            return sop_error_set(err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
        }
    }
    d->pairs = v.data;
    d->pair_count = v.count;
    return 0;
}

static double seconds(const struct timespec *a, const struct timespec *b)
{
    return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

static int finish(void *ctx, sop_error *err)
{
    sop_dedupe *d = ctx;
    if (d->opts.mode == SOP_DEDUPE_CLEAN)
        return 0;
    bool any = false;
    for (size_t i = 0; i < d->nf; i++)
        any = any || d->col[i] >= 0;
    const char *input = d->files.count > 0 ? sop_strmap_key(&d->files, d->files.count - 1) : NULL;
    if (!any && d->rows > d->masters)
        return sop_error_set(err, SOP_EXIT_DATAERR, input, 0, "none of the columns compared "
                             "(%s, ...) is in the input; -m maps other names onto them",
                             d->cfg->fields[0].column);
    if (d->opts.truth && d->truth_col < 0 && d->rows > d->masters)
        return sop_error_set(err, SOP_EXIT_DATAERR, input, 0, "no column %s (--truth)",
                             d->opts.truth);
    if (d->bad_times > 3)
        sop_note(d->opts.diag, d->opts.program, d->opts.quiet, "%lu more records whose %s is "
                 "no time", d->bad_times - 3, d->cfg->time_column);
    vec cand = {NULL, 0, 0, sizeof(uint64_t)};
    struct timespec t0, t1, t2, t3;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = candidates(d, &cand, err);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    d->candidates = cand.count;
    if (rc == 0 && d->opts.estimate)
        rc = estimate(d, cand.data, cand.count, err);
    else if (rc == 0)
        rc = score(d, cand.data, cand.count, err);
    free(cand.data);
    clock_gettime(CLOCK_MONOTONIC, &t2);
    if (rc == 0 && !d->opts.estimate)
        rc = sop_dedupe_cluster(d, err);
    clock_gettime(CLOCK_MONOTONIC, &t3);
    if (d->cli->verbosity > 0)
        sop_note(d->opts.diag, d->opts.program, false, "candidates in %.2f s, scores in %.2f s, "
                 "clusters in %.2f s", seconds(&t0, &t1), seconds(&t1, &t2), seconds(&t2, &t3));
    if (rc == 0 && !d->opts.estimate)
        rc = sop_dedupe_outputs(d, err);
    /* bad master rows: 65, after the output (replay says it for tagged) */
    if (rc == 0 && d->master_bad > 0 && !d->model.replay)
        rc = SOP_EXIT_DATAERR;
    return rc;
}

/* ---- set up -------------------------------------------------------------- */

static bool is_field(const sop_dedupe_config *cfg, const char *name, size_t len, size_t *which)
{
    for (size_t i = 0; i < cfg->field_count; i++)
        if (strlen(cfg->fields[i].column) == len && memcmp(cfg->fields[i].column, name, len) == 0) {
            *which = i;
            return true;
        }
    return false;
}

static int parse_normalize(sop_dedupe *d, sop_error *err)
{
    const char *s = d->opts.normalize;
    while (s && *s) {
        const char *e = strchr(s, ',');
        size_t len = e ? (size_t)(e - s) : strlen(s), which;
        if (!is_field(d->cfg, s, len, &which))
            return sop_error_set(err, SOP_EXIT_USAGE, NULL, 0, "--normalize: \"%.*s\" is not "
                                 "one of the config's fields", (int)len, s);
        d->clean[which] = true;
        s = e ? e + 1 : NULL;
    }
    return 0;
}

static int outputs(sop_dedupe *d, sop_error *err)
{
    size_t n = 0;
    for (size_t i = 0; i < d->nf && d->opts.keep_raw; i++)
        if (d->clean[i]) {
            snprintf(d->raw_names[i], sizeof d->raw_names[i], "%s_raw", d->cfg->fields[i].column);
            d->out_names[n++] = d->raw_names[i];
        }
    static const char *const tagged[] = {"cluster_id", "cluster_size", "is_primary",
                                         "match_score"};
    const char *const master[] = {d->cfg->id_column, "is_new", "match_score"};
    const char *const *mode = NULL;
    size_t count = 0;
    if (d->opts.mode == SOP_DEDUPE_TAGGED)
        mode = d->opts.master ? master : tagged, count = d->opts.master ? 3 : 4;
    else if (d->opts.mode == SOP_DEDUPE_GOLDEN)
        mode = tagged, count = 2;
    for (size_t i = 0; i < count; i++)
        d->out_names[n++] = mode[i];
    d->mode_outputs = count;
    return sop_outputs_init(&d->out, d->out_names, n, err);
}

/* Options that would do nothing in this run: said, not ignored. */
static int usage(const sop_dedupe_opts *o, sop_error *err)
{
    const char *what = NULL;
    if (o->master && o->mode == SOP_DEDUPE_GOLDEN)
        what = "--master works with --mode tagged or pairs (the master keeps its own records)";
    else if (o->estimate && o->master)
        what = "--estimate learns from the input alone; leave out --master";
    else if (o->estimate && (o->log || o->review || o->truth || o->mode_set || o->normalize))
        what = "--estimate prints a config and clusters nothing: leave out --mode, --log, "
               "--review, --truth and --normalize";
    else if (o->keep_raw && o->mode == SOP_DEDUPE_PAIRS)
        what = "--keep-raw keeps values in records; --mode pairs writes pairs";
    else if (o->explain && o->mode != SOP_DEDUPE_PAIRS && !o->review)
        what = "--explain goes with --mode pairs or --review";
    return what ? sop_error_set(err, SOP_EXIT_USAGE, NULL, 0, "%s", what) : 0;
}

int sop_dedupe_new(sop_dedupe **out, const sop_dedupe_config *cfg, const sop_cli *cli,
                   const sop_dedupe_opts *opts, sop_error *err)
{
    *out = NULL;
    sop_dedupe *d = calloc(1, sizeof *d);
    if (d == NULL)
        return sop_error_set(err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
    d->cfg = cfg;
    d->cli = cli;
    d->opts = *opts;
    d->nf = cfg->field_count;
    d->company_field = d->city_field = -1;
    for (size_t i = 0; i < d->nf; i++) {
        d->col[i] = -1;
        if (cfg->fields[i].type == SOP_DT_COMPANY && d->company_field < 0)
            d->company_field = (long)i;
        if (cfg->fields[i].type == SOP_DT_CITY && d->city_field < 0)
            d->city_field = (long)i;
    }
    d->time_col = d->truth_col = -1;
    d->prior_weight = log2(cfg->prior / (1 - cfg->prior));
    for (size_t i = 0; i < d->nf; i++)
        for (int l = 0; l < SOP_DEDUPE_LEVELS; l++)
            d->weight[i][l] = sop_dedupe_weight(&cfg->fields[i], l);
    sop_rowstore_init(&d->store);
    sop_rowstore_init(&d->xstore);
    sop_rowstore_init(&d->mstore);
    sop_strmap_init(&d->files);
    sop_strmap_init(&d->master_ids);
    sop_strmap_init(&d->truth_values);
    sop_record_init(&d->scratch);
    sop_record_init(&d->extra);
    *out = d;
    int rc = usage(opts, err);
    if (rc == 0)
        rc = parse_normalize(d, err);
    if (rc == 0)
        rc = outputs(d, err);
    if (rc == 0)
        rc = sop_t2s_open(&d->t2s, err);
    if (rc == 0 && opts->master)
        rc = load_master(d, err);
    d->model = (sop_stream_model){
        .ctx = d,
        .added = &d->out.added,
        .bind = bind,
        .record = record,
        .finish = finish,
        .consumes = opts->mode == SOP_DEDUPE_PAIRS || opts->estimate,
    };
    if ((opts->mode == SOP_DEDUPE_TAGGED || opts->mode == SOP_DEDUPE_GOLDEN) && !opts->estimate)
        d->model.replay = sop_dedupe_replay;
    return rc;
}

void sop_dedupe_model(sop_dedupe *d, sop_stream_model *model) { *model = d->model; }

void sop_dedupe_free(sop_dedupe *d)
{
    if (d == NULL)
        return;
    sop_t2s_close(d->t2s);
    sop_outputs_free(&d->out);
    free(d->info);
    free(d->feat);
    free(d->text);
    sop_rowstore_free(&d->store);
    sop_rowstore_free(&d->xstore);
    sop_rowstore_free(&d->mstore);
    sop_strmap_free(&d->files);
    sop_strmap_free(&d->master_ids);
    sop_strmap_free(&d->truth_values);
    free(d->pairs);
    free(d->cluster);
    free(d->first);
    free(d->next);
    free(d->size);
    free(d->primary);
    free(d->best);
    free(d->new_ids);
    sop_record_free(&d->scratch);
    sop_record_free(&d->extra);
    free(d);
}
