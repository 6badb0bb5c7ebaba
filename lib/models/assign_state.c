/* The state lead-assign keeps between runs: the rotation, counts per rep
 * and day, and who owns which account.  JSON on disk, replaced atomically,
 * one writer at a time. */
#include "assign.h"
#include "jsonalloc.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define STATE_FORMAT "salesops/lead-assign-state"
#define STATE_VERSION 1

void sop_assign_state_init(sop_assign_state *st)
{
    memset(st, 0, sizeof *st);
    sop_strmap_init(&st->ids);
    sop_strmap_init(&st->accounts);
}

void sop_assign_state_free(sop_assign_state *st)
{
    for (size_t i = 0; i < st->ids.count; i++)
        free(st->names[i]);
    free(st->names);
    free(st->current);
    for (size_t d = 0; d < st->day_count; d++) {
        free(st->days[d].counts);
        free(st->days[d].online);
    }
    free(st->days);
    free(st->account_rep);
    free(st->account_day);
    free(st->account_touch);
    sop_strmap_free(&st->ids);
    sop_strmap_free(&st->accounts);
    sop_assign_state_init(st);
}

static bool grow_ids(sop_assign_state *st)
{
    size_t cap = st->id_cap ? st->id_cap * 2 : 16;
    char **names = realloc(st->names, cap * sizeof *names);
    if (names == NULL)
        return false;
    st->names = names;
    int64_t *current = realloc(st->current, cap * sizeof *current);
    if (current == NULL)
        return false;
    st->current = current;
    for (size_t d = 0; d < st->day_count; d++) {
        sop_assign_day *day = &st->days[d];
        sop_assign_counts *counts = realloc(day->counts, cap * sizeof *counts);
        if (counts == NULL)
            return false;
        day->counts = counts;
        double *online = realloc(day->online, cap * sizeof *online);
        if (online == NULL)
            return false;
        day->online = online;
        memset(counts + st->id_cap, 0, (cap - st->id_cap) * sizeof *counts);
        memset(online + st->id_cap, 0, (cap - st->id_cap) * sizeof *online);
    }
    st->id_cap = cap;
    return true;
}

long sop_assign_state_rep(sop_assign_state *st, const char *id)
{
    long e = sop_strmap_find(&st->ids, id, strlen(id));
    if (e >= 0)
        return e;
    if (st->ids.count == st->id_cap && !grow_ids(st))
        return -1;
    bool added;
    e = sop_strmap_put(&st->ids, id, strlen(id), &added);
    if (e >= 0) {
        st->names[e] = NULL;
        st->current[e] = 0;
    }
    return e;
}

sop_assign_day *sop_assign_state_day(sop_assign_state *st, int64_t day)
{
    size_t at = st->day_count;
    while (at > 0 && st->days[at - 1].day >= day) {
        if (st->days[at - 1].day == day)
            return &st->days[at - 1];
        at--;
    }
    if (st->day_count == st->day_cap) {
        size_t cap = st->day_cap ? st->day_cap * 2 : 8;
        sop_assign_day *days = realloc(st->days, cap * sizeof *days);
        if (days == NULL)
            return NULL;
        st->days = days;
        st->day_cap = cap;
    }
    size_t n = st->id_cap ? st->id_cap : 1;
    sop_assign_day fresh = {day, 0, calloc(n, sizeof(sop_assign_counts)), calloc(n, sizeof(double))};
    if (fresh.counts == NULL || fresh.online == NULL) {
        free(fresh.counts);
        free(fresh.online);
        return NULL;
    }
    memmove(st->days + at + 1, st->days + at, (st->day_count - at) * sizeof *st->days);
    st->days[at] = fresh;
    st->day_count++;
    return &st->days[at];
}

bool sop_assign_state_account_at(sop_assign_state *st, long e, const char *key, size_t len,
                                 uint64_t hash, long rep, int64_t day, bool reassign)
{
    if (st->accounts.count == st->account_cap) {
        size_t cap = st->account_cap ? st->account_cap * 2 : 64;
        long *reps = realloc(st->account_rep, cap * sizeof *reps);
        if (reps == NULL)
            return false;
        st->account_rep = reps;
        int64_t *days = realloc(st->account_day, cap * sizeof *days);
        if (days == NULL)
            return false;
        st->account_day = days;
        uint64_t *touch = realloc(st->account_touch, cap * sizeof *touch);
        if (touch == NULL)
            return false;
        st->account_touch = touch;
        st->account_cap = cap;
    }
    bool added = false;
    if (e < 0 && (e = sop_strmap_put_hashed(&st->accounts, key, len, hash, &added)) < 0)
        return false;
    if (added || reassign)
        st->account_rep[e] = rep;
    if (added || day > st->account_day[e])
        st->account_day[e] = day;
    st->account_touch[e] = ++st->touch_clock;
    return true;
}

bool sop_assign_state_account(sop_assign_state *st, const char *key, size_t len, long rep,
                              int64_t day, bool reassign)
{
    uint64_t hash = sop_strmap_hash(key, len);
    return sop_assign_state_account_at(st, sop_strmap_find_hashed(&st->accounts, key, len, hash),
                                       key, len, hash, rep, day, reassign);
}

/* ---- pruning ---------------------------------------------------------- */

typedef struct by_age {
    int64_t day;
    uint64_t touch;
    size_t index;
} by_age;

static int newest_first(const void *a, const void *b)
{
    const by_age *x = a, *y = b;
    if (x->day != y->day)
        return x->day > y->day ? -1 : 1;
    if (x->touch != y->touch)
        return x->touch > y->touch ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

/* Puts the k newest of ages[0..n) first, in no particular order
 * (quickselect: linear on average, where sorting showed in profiles of
 * long runs that prune often). */
static void select_newest(by_age *ages, size_t n, size_t k)
{
    size_t lo = 0, hi = n;
    while (hi - lo > 1 && k > lo && k < hi) {
        /* the median of three as the pivot, moved to the end */
        size_t mid = lo + (hi - lo) / 2, last = hi - 1;
        if (newest_first(&ages[mid], &ages[lo]) < 0) {
            by_age t = ages[mid]; ages[mid] = ages[lo]; ages[lo] = t;
        }
        if (newest_first(&ages[last], &ages[lo]) < 0) {
            by_age t = ages[last]; ages[last] = ages[lo]; ages[lo] = t;
        }
        if (newest_first(&ages[mid], &ages[last]) < 0) {
            by_age t = ages[mid]; ages[mid] = ages[last]; ages[last] = t;
        }
        size_t store = lo;
        for (size_t i = lo; i < last; i++)
            if (newest_first(&ages[i], &ages[last]) < 0) {
                by_age t = ages[i]; ages[i] = ages[store]; ages[store] = t;
                store++;
            }
        by_age t = ages[last]; ages[last] = ages[store]; ages[store] = t;
        if (store == k)
            return;
        if (store < k)
            lo = store + 1;
        else
            hi = store;
    }
}

bool sop_assign_state_prune(sop_assign_state *st, int64_t first_day, int64_t release_day,
                            size_t max_accounts)
{
    size_t keep_from = 0;
    while (keep_from < st->day_count && st->days[keep_from].day < first_day) {
        free(st->days[keep_from].counts);
        free(st->days[keep_from].online);
        keep_from++;
    }
    if (keep_from > 0) {
        memmove(st->days, st->days + keep_from, (st->day_count - keep_from) * sizeof *st->days);
        st->day_count -= keep_from;
    }

    size_t n = st->accounts.count;
    if (n == 0)
        return true;
    bool *keep = malloc(n * sizeof *keep);
    long *renumber = malloc(n * sizeof *renumber);
    by_age *ages = NULL;
    bool ok = keep && renumber;
    size_t live = 0;
    for (size_t i = 0; ok && i < n; i++) {
        keep[i] = st->account_day[i] >= release_day;
        live += keep[i];
    }
    if (ok && live > max_accounts) {
        /* the max_accounts seen last survive */
        ages = malloc(live * sizeof *ages);
        ok = ages != NULL;
        size_t k = 0;
        for (size_t i = 0; ok && i < n; i++)
            if (keep[i])
                ages[k++] = (by_age){st->account_day[i], st->account_touch[i], i};
        if (ok) {
            select_newest(ages, live, max_accounts);
            for (size_t j = max_accounts; j < live; j++)
                keep[ages[j].index] = false;
        }
    }
    if (ok)
        ok = sop_strmap_filter(&st->accounts, keep, renumber);
    if (ok)
        for (size_t i = 0; i < n; i++)
            if (renumber[i] >= 0) {
                st->account_rep[renumber[i]] = st->account_rep[i];
                st->account_day[renumber[i]] = st->account_day[i];
                st->account_touch[renumber[i]] = st->account_touch[i];
            }
    free(ages);
    free(keep);
    free(renumber);
    return ok;
}

/* ---- reading ---------------------------------------------------------- */

typedef struct reading {
    const char *file;
    sop_error *err;
} reading;

static int corrupt(const reading *rd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int corrupt(const reading *rd, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return sop_error_set(rd->err, SOP_EXIT_DATAERR, rd->file, 0,
                         "corrupt lead-assign state: %s (fix or move the file; it is never "
                         "reset silently)", msg);
}

static bool whole(json_t *v, double max)
{
    if (json_is_integer(v))
        return json_integer_value(v) >= 0 && (double)json_integer_value(v) <= max;
    return false;
}

/* [n, score] of one track */
static bool read_pair(json_t *v, unsigned long *n, int64_t *tenths)
{
    if (!json_is_array(v) || json_array_size(v) != 2 || !whole(json_array_get(v, 0), 1e15) ||
        !json_is_number(json_array_get(v, 1)))
        return false;
    double score = json_number_value(json_array_get(v, 1));
    if (!(score >= 0 && score <= 1e15))
        return false;
    *n = (unsigned long)json_integer_value(json_array_get(v, 0));
    *tenths = llround(score * 10.0);
    return true;
}

static int read_reps(sop_assign_state *st, json_t *reps, const reading *rd)
{
    size_t i;
    json_t *r;
    if (!json_is_array(reps))
        return corrupt(rd, "\"reps\" is not a list");
    json_array_foreach(reps, i, r) {
        json_t *id = json_object_get(r, "id"), *name = json_object_get(r, "name"),
               *cur = json_object_get(r, "current");
        if (!json_is_string(id) || json_string_length(id) == 0 || !json_is_integer(cur) ||
            (name && !json_is_string(name)) ||
            json_object_size(r) != 2u + (name != NULL))
            return corrupt(rd, "reps[%zu] is not {\"id\", \"name\", \"current\"}", i);
        if (sop_strmap_find(&st->ids, json_string_value(id), json_string_length(id)) >= 0)
            return corrupt(rd, "reps[%zu]: rep %s twice", i, json_string_value(id));
        long e = sop_assign_state_rep(st, json_string_value(id));
        if (e < 0 || (name && (st->names[e] = strdup(json_string_value(name))) == NULL))
            return sop_error_set(rd->err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
        st->current[e] = (int64_t)json_integer_value(cur);
    }
    return 0;
}

static long known_rep(const sop_assign_state *st, const char *id)
{
    return sop_strmap_find(&st->ids, id, strlen(id));
}

static int read_counts(sop_assign_counts *c, json_t *obj, const reading *rd, size_t d,
                       const char *id)
{
    const char *key;
    json_t *v;
    if (!json_is_object(obj))
        return corrupt(rd, "days[%zu].counts.%s is not an object", d, id);
    json_object_foreach(obj, key, v) {
        if (strcmp(key, "hot") == 0) {
            if (!whole(v, 1e15))
                return corrupt(rd, "days[%zu].counts.%s.hot is not a count", d, id);
            c->hot = (unsigned long)json_integer_value(v);
            continue;
        }
        int t = 0;
        while (t < SOP_TRACKS_OWNED && strcmp(sop_track_name((enum sop_track)t), key) != 0)
            t++;
        if (t == SOP_TRACKS_OWNED || !read_pair(v, &c->n[t], &c->tenths[t]))
            return corrupt(rd, "days[%zu].counts.%s.%s is not a track's [leads, score]", d, id,
                           key);
    }
    return 0;
}

static int read_days(sop_assign_state *st, json_t *days, const reading *rd)
{
    size_t i;
    json_t *v;
    if (!json_is_array(days))
        return corrupt(rd, "\"days\" is not a list");
    int64_t last = INT64_MIN;
    json_array_foreach(days, i, v) {
        json_t *day = json_object_get(v, "day"), *online = json_object_get(v, "online"),
               *counts = json_object_get(v, "counts"), *open = json_object_get(v, "pool_open");
        int64_t n;
        if (!json_is_string(day) || !sop_parse_day(json_string_value(day), &n) ||
            !json_is_object(online) || !json_is_object(counts) || (open && !whole(open, 1e15)) ||
            json_object_size(v) != 3u + (open != NULL))
            return corrupt(rd, "days[%zu] is not {\"day\": \"YYYY-MM-DD\", \"online\", "
                           "\"counts\", \"pool_open\"}", i);
        if (n <= last)
            return corrupt(rd, "days[%zu]: %s is not after the day before it", i,
                           json_string_value(day));
        last = n;
        sop_assign_day *entry = sop_assign_state_day(st, n);
        if (entry == NULL)
            return sop_error_set(rd->err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
        if (open)
            entry->pool_open = (unsigned long)json_integer_value(open);
        const char *id;
        json_t *w;
        json_object_foreach(online, id, w) {
            long e = known_rep(st, id);
            if (e < 0 || !json_is_number(w) || !(json_number_value(w) > 0) ||
                json_number_value(w) > 1e6)
                return corrupt(rd, "days[%zu].online.%s: %s", i, id,
                               e < 0 ? "no such rep in \"reps\"" : "not a weight");
            entry->online[e] = json_number_value(w);
        }
        json_object_foreach(counts, id, w) {
            long e = known_rep(st, id);
            if (e < 0)
                return corrupt(rd, "days[%zu].counts.%s: no such rep in \"reps\"", i, id);
            int rc = read_counts(&entry->counts[e], w, rd, i, id);
            if (rc != 0)
                return rc;
        }
    }
    return 0;
}

static int read_accounts(sop_assign_state *st, json_t *accounts, const reading *rd)
{
    size_t i;
    json_t *v;
    if (!json_is_array(accounts))
        return corrupt(rd, "\"accounts\" is not a list");
    json_array_foreach(accounts, i, v) {
        json_t *key = json_array_get(v, 0), *rep = json_array_get(v, 1),
               *day = json_array_get(v, 2);
        int64_t n;
        long e = json_is_string(rep) ? known_rep(st, json_string_value(rep)) : -1;
        if (!json_is_array(v) || json_array_size(v) != 3 || !json_is_string(key) ||
            json_string_length(key) == 0 || e < 0 || !json_is_string(day) ||
            !sop_parse_day(json_string_value(day), &n))
            return corrupt(rd, "accounts[%zu] is not [\"kind:key\", known rep, "
                           "\"YYYY-MM-DD\"]", i);
        if (sop_strmap_find(&st->accounts, json_string_value(key), json_string_length(key)) >= 0)
            return corrupt(rd, "accounts[%zu]: %s twice", i, json_string_value(key));
        if (!sop_assign_state_account(st, json_string_value(key), json_string_length(key), e, n,
                                      false))
            return sop_error_set(rd->err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
    }
    return 0;
}

int sop_assign_state_read(sop_assign_state *st, const char *path, bool *existed,
                          sop_error *err)
{
    *existed = false;
    reading rd = {path, err};
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return 0;
        return sop_error_set(err, SOP_EXIT_NOINPUT, path, 0, "cannot open the state: %s",
                             strerror(errno));
    }
    *existed = true;
    json_error_t jerr;
    /* buffered: jansson's json_loadfd reads a byte per system call */
    FILE *f = fdopen(fd, "r");
    if (f == NULL) {
        close(fd);
        return sop_error_set(err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
    }
    sop_json_mark mark = sop_json_watch();
    json_t *root = json_loadf(f, JSON_REJECT_DUPLICATES, &jerr);
    bool read_failed = ferror(f) != 0;
    fclose(f);
    if (sop_json_out_of_memory(mark, &root, &jerr))
        return sop_error_set(err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
    if (read_failed) {
        json_decref(root);
        return sop_error_set(err, SOP_EXIT_IOERR, path, 0, "cannot read the state");
    }
    if (root == NULL)
        return sop_error_set(err, SOP_EXIT_DATAERR, path, jerr.line > 0 ? jerr.line : 0,
                             "corrupt lead-assign state: %s (fix or move the file; it is never "
                             "reset silently)", jerr.text);
    int rc = 0;
    json_t *format = json_object_get(root, "format"), *version = json_object_get(root, "version");
    if (!json_is_object(root) || !json_is_string(format) ||
        strcmp(json_string_value(format), STATE_FORMAT) != 0) {
        rc = sop_error_set(err, SOP_EXIT_DATAERR, path, 0,
                           "not a lead-assign state file (no \"format\": \"" STATE_FORMAT
                           "\"); refusing to overwrite it");
    } else if (!json_is_integer(version) || json_integer_value(version) < 1) {
        rc = corrupt(&rd, "\"version\" is not a version number");
    } else if (json_integer_value(version) > STATE_VERSION) {
        rc = sop_error_set(err, SOP_EXIT_CONFIG, path, 0,
                           "state version %" JSON_INTEGER_FORMAT " is newer than this "
                           "lead-assign reads (%d); use a newer lead-assign",
                           json_integer_value(version), STATE_VERSION);
    } else {
        static const char *const keys[] = {"format", "version", "updated_at", "runs",
                                           "reps", "days", "accounts", NULL};
        const char *key;
        json_t *v;
        json_object_foreach(root, key, v) {
            size_t k = 0;
            while (keys[k] && strcmp(keys[k], key) != 0)
                k++;
            if (keys[k] == NULL && rc == 0)
                rc = corrupt(&rd, "unknown key \"%s\"", key);
        }
        json_t *runs = json_object_get(root, "runs");
        if (rc == 0 && !whole(runs, 1e15))
            rc = corrupt(&rd, "\"runs\" is not a count");
        if (rc == 0)
            st->runs = (unsigned long long)json_integer_value(runs);
        if (rc == 0)
            rc = read_reps(st, json_object_get(root, "reps"), &rd);
        if (rc == 0)
            rc = read_days(st, json_object_get(root, "days"), &rd);
        if (rc == 0)
            rc = read_accounts(st, json_object_get(root, "accounts"), &rd);
    }
    json_decref(root);
    return rc;
}

/* ---- writing ---------------------------------------------------------- */

static bool put_str(sop_buf *b, const char *s)
{
    return sop_buf_put(b, s, strlen(s));
}

static bool put_tenths(sop_buf *b, int64_t tenths)
{
    char num[32];
    snprintf(num, sizeof num, "%" PRId64 ".%d", tenths / 10, (int)(tenths % 10));
    return put_str(b, num);
}

static bool put_number(sop_buf *b, double x)
{
    char num[40];
    if (x == 0)
        x = 0; /* not -0 */
    snprintf(num, sizeof num, "%.17g", x);
    /* the shortest form that reads back the same */
    for (int prec = 1; prec < 17; prec++) {
        char tmp[40];
        snprintf(tmp, sizeof tmp, "%.*g", prec, x);
        if (strtod(tmp, NULL) == x) {
            snprintf(num, sizeof num, "%s", tmp);
            break;
        }
    }
    return put_str(b, num);
}

static bool put_counts(sop_buf *b, const sop_assign_counts *c)
{
    bool ok = put_str(b, "{");
    const char *sep = "";
    for (int t = 0; ok && t < SOP_TRACKS_OWNED; t++) {
        if (c->n[t] == 0)
            continue;
        char num[32];
        snprintf(num, sizeof num, "%lu", c->n[t]);
        ok = put_str(b, sep) && sop_buf_json_string(b, sop_track_name((enum sop_track)t),
                                                     strlen(sop_track_name((enum sop_track)t))) &&
             put_str(b, ": [") && put_str(b, num) && put_str(b, ", ") &&
             put_tenths(b, c->tenths[t]) && put_str(b, "]");
        sep = ", ";
    }
    if (ok && c->hot) {
        char num[32];
        snprintf(num, sizeof num, "%lu", c->hot);
        ok = put_str(b, sep) && put_str(b, "\"hot\": ") && put_str(b, num);
    }
    return ok && put_str(b, "}");
}

static bool counts_empty(const sop_assign_counts *c)
{
    for (int t = 0; t < SOP_TRACKS_OWNED; t++)
        if (c->n[t])
            return false;
    return c->hot == 0;
}

static bool put_id(sop_buf *b, const sop_assign_state *st, size_t e)
{
    return sop_buf_json_string(b, sop_strmap_key(&st->ids, e), sop_strmap_len(&st->ids, e));
}

bool sop_assign_state_json(const sop_assign_state *st, const sop_tz *tz, int64_t now,
                           sop_buf *b)
{
    char when[40], num[32];
    sop_format_time(now, tz, when, sizeof when);
    snprintf(num, sizeof num, "%llu", st->runs);
    bool ok = put_str(b, "{\n  \"format\": \"" STATE_FORMAT "\",\n  \"version\": 1,\n"
                         "  \"updated_at\": \"") &&
              put_str(b, when) && put_str(b, "\",\n  \"runs\": ") && put_str(b, num) &&
              put_str(b, ",\n  \"reps\": [");
    for (size_t e = 0; ok && e < st->ids.count; e++) {
        ok = put_str(b, e ? ",\n    {\"id\": " : "\n    {\"id\": ") && put_id(b, st, e);
        if (ok && st->names[e])
            ok = put_str(b, ", \"name\": ") &&
                 sop_buf_json_string(b, st->names[e], strlen(st->names[e]));
        snprintf(num, sizeof num, "%" PRId64, st->current[e]);
        ok = ok && put_str(b, ", \"current\": ") && put_str(b, num) && put_str(b, "}");
    }
    ok = ok && put_str(b, st->ids.count ? "\n  ],\n  \"days\": [" : "],\n  \"days\": [");
    for (size_t d = 0; ok && d < st->day_count; d++) {
        const sop_assign_day *day = &st->days[d];
        char date[16];
        sop_format_day(day->day, date, sizeof date);
        ok = put_str(b, d ? ",\n    {\"day\": \"" : "\n    {\"day\": \"") && put_str(b, date) &&
             put_str(b, "\",");
        if (ok && day->pool_open) {
            char open[48];
            snprintf(open, sizeof open, " \"pool_open\": %lu,", day->pool_open);
            ok = put_str(b, open);
        }
        ok = ok && put_str(b, "\n     \"online\": {");
        const char *sep = "";
        for (size_t e = 0; ok && e < st->ids.count; e++)
            if (day->online[e] > 0) {
                ok = put_str(b, sep) && put_id(b, st, e) && put_str(b, ": ") &&
                     put_number(b, day->online[e]);
                sep = ", ";
            }
        ok = ok && put_str(b, "},\n     \"counts\": {");
        sep = "";
        for (size_t e = 0; ok && e < st->ids.count; e++)
            if (!counts_empty(&day->counts[e])) {
                ok = put_str(b, sep) && put_str(b, "\n       ") && put_id(b, st, e) &&
                     put_str(b, ": ") && put_counts(b, &day->counts[e]);
                sep = ",";
            }
        ok = ok && put_str(b, "}}");
    }
    ok = ok && put_str(b, st->day_count ? "\n  ],\n  \"accounts\": [" : "],\n  \"accounts\": [");
    for (size_t a = 0; ok && a < st->accounts.count; a++) {
        char date[16];
        sop_format_day(st->account_day[a], date, sizeof date);
        ok = put_str(b, a ? ",\n    [" : "\n    [") &&
             sop_buf_json_string(b, sop_strmap_key(&st->accounts, a),
                                 sop_strmap_len(&st->accounts, a)) &&
             put_str(b, ", ") && put_id(b, st, (size_t)st->account_rep[a]) &&
             put_str(b, ", \"") && put_str(b, date) && put_str(b, "\"]");
    }
    return ok && put_str(b, st->accounts.count ? "\n  ]\n}\n" : "]\n}\n");
}

int sop_assign_state_write(const sop_assign_state *st, const char *path, const sop_tz *tz,
                           int64_t now, sop_error *err)
{
    sop_buf b = {0};
    if (!sop_assign_state_json(st, tz, now, &b)) {
        sop_buf_free(&b);
        return sop_error_set(err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
    }
    sop_writer *w;
    sop_writer_opts wo = {.path = path, .format = SOP_FMT_JSONL};
    int rc = sop_writer_open(&w, &wo, err);
    if (rc == 0) {
        rc = sop_writer_text(w, b.data, b.len, err);
        int crc = sop_writer_close(w, rc == 0, err);
        if (rc == 0)
            rc = crc;
    }
    sop_buf_free(&b);
    return rc;
}

/* ---- locking ---------------------------------------------------------- */

int sop_assign_lock(const char *path, int *fd, const char *program, FILE *diag, bool quiet,
                    sop_error *err)
{
    char lock[4096];
    int n = snprintf(lock, sizeof lock, "%s.lock", path);
    if (n < 0 || (size_t)n >= sizeof lock)
        return sop_error_set(err, SOP_EXIT_CANTCREAT, path, 0, "path too long");
    *fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (*fd < 0)
        return sop_error_set(err, SOP_EXIT_CANTCREAT, lock, 0, "cannot create the lock file: %s",
                             strerror(errno));
    if (flock(*fd, LOCK_EX | LOCK_NB) == 0)
        return 0;
    if (errno == EWOULDBLOCK && diag && !quiet)
        fprintf(diag, "%s: %s: another run holds the state; waiting for it\n", program, lock);
    while (flock(*fd, LOCK_EX) != 0) {
        if (errno != EINTR) {
            int e = errno;
            close(*fd);
            *fd = -1;
            return sop_error_set(err, SOP_EXIT_CANTCREAT, lock, 0, "cannot lock: %s",
                                 strerror(e));
        }
    }
    return 0;
}

void sop_assign_unlock(int fd)
{
    if (fd >= 0)
        close(fd); /* releases the lock */
}
