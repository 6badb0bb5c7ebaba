/* The lead-assign model: every lead in order gets an owner (or a reason
 * why not) by the tracks in assign.h, and the state learns from it. */
#include "assign.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "keys.h"
#include "text.h"

enum { OUT_OWNER, OUT_ASSIGNED_AT, OUT_TRACK, OUT_REASON, OUTPUTS };
static const char *const output_names[OUTPUTS] = {"owner", "assigned_at", "track",
                                                  "assign_reason"};
static const char *const key_prefix[SOP_KEY_KINDS] = {"company:", "phone:", "email:"};
static const char *const key_column[SOP_KEY_KINDS] = {"company", "phone", "email"};

enum { CITY_CACHE = 4096, KEY_CAP = 512 };

struct sop_assign {
    const sop_assign_config *cfg;
    sop_reps *reps;
    sop_assign_state *st;
    sop_assign_opts opts;
    int64_t now, today;
    int64_t released;          /* accounts last seen before this day have no owner */
    sop_tz tz;
    char now_text[40];
    size_t now_len;
    size_t day;                /* today's entry in st->days */
    size_t n;                  /* reps */
    long *id;                  /* rep -> state id */
    int64_t *weight;           /* in thousandths: exact integer arithmetic, so
                                * two halves of an input give one run's owners */
    int64_t *current;          /* the state's running values, per rep */
    sop_rotation rot;          /* the rotation (back in the state at commit) */
    bool rot_ready;
    long *roster;              /* state id -> rep, or -1 */
    unsigned long *assigned;   /* leads assigned today, per rep */
    bool *online, *avail, *elig, *pool_ok, *new_hire;
    size_t avail_count;        /* online with capacity left */
    unsigned long *hot_before; /* hot leads in the pool window before today, per rep */
    unsigned long hot_total_before, hot_new_before;
    unsigned long hot_total_today, hot_new_today;
    uint64_t *tie;             /* with --seed: per rep, for the lead at hand */
    size_t online_count;
    /* columns */
    long col_id, col_score, col_region, col_key[SOP_KEY_KINDS];
    sop_outputs out;
    /* the folded city -> which reps cover it */
    sop_strmap cities;
    bool *city_cover;          /* CITY_CACHE x n */
    bool *scratch_cover;
    sop_buf reason;
    char pool_rule[160], pool_rule_short[160], share_rule[160], window_text[64];
    unsigned long tally[SOP_TRACKS];
    unsigned long unknown_owner; /* kept leads whose owner is not on the roster */
};

/* ---- set-up ----------------------------------------------------------- */

static int oom(sop_error *err)
{
    return sop_error_set(err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
}

static void *alloc(size_t count, size_t size, bool *ok)
{
    void *p = calloc(count ? count : 1, size);
    if (p == NULL)
        *ok = false;
    return p;
}

/* Counts from the days of the pool window before today. */
static void window_counts(sop_assign *a)
{
    const sop_assign_state *st = a->st;
    int64_t first = a->today - (int64_t)ceil(a->cfg->pool_days) + 1;
    for (size_t d = 0; d < st->day_count; d++) {
        const sop_assign_day *day = &st->days[d];
        if (day->day < first || day->day >= a->today)
            continue;
        a->hot_total_before += day->pool_open; /* hot leads too, though nobody took them */
        for (size_t e = 0; e < st->ids.count; e++)
            a->hot_total_before += day->counts[e].hot;
        for (size_t i = 0; i < a->n; i++) {
            unsigned long hot = day->counts[a->id[i]].hot;
            a->hot_before[i] += hot;
            if (a->new_hire[i])
                a->hot_new_before += hot;
        }
    }
    const sop_assign_day *today = &st->days[a->day];
    a->hot_total_today += today->pool_open;
    for (size_t e = 0; e < st->ids.count; e++)
        a->hot_total_today += today->counts[e].hot;
    for (size_t i = 0; i < a->n; i++)
        if (a->new_hire[i])
            a->hot_new_today += today->counts[a->id[i]].hot;
}

int sop_assign_new(sop_assign **out, const sop_assign_config *cfg, sop_reps *reps,
                   sop_assign_state *st, const sop_cli *cli, const sop_assign_opts *opts,
                   sop_error *err)
{
    sop_assign *a = calloc(1, sizeof *a);
    if (a == NULL)
        return oom(err);
    *out = a;
    a->cfg = cfg;
    a->reps = reps;
    a->st = st;
    a->opts = *opts;
    a->now = sop_cli_now(cli);
    a->tz = cli->tz;
    a->today = sop_local_day(a->now, &a->tz);
    a->released = a->today - (int64_t)ceil(cfg->owner_days);
    sop_format_time(a->now, &a->tz, a->now_text, sizeof a->now_text);
    a->now_len = strlen(a->now_text);
    a->n = reps->count;
    sop_strmap_init(&a->cities);
    int rc = sop_outputs_init(&a->out, output_names, OUTPUTS, err);
    if (rc != 0)
        return rc;
    bool ok = true;
    size_t n = a->n;
    a->id = alloc(n, sizeof *a->id, &ok);
    a->weight = alloc(n, sizeof *a->weight, &ok);
    a->current = alloc(n, sizeof *a->current, &ok);
    a->assigned = alloc(n, sizeof *a->assigned, &ok);
    a->online = alloc(n, sizeof(bool), &ok);
    a->avail = alloc(n, sizeof(bool), &ok);
    a->elig = alloc(n, sizeof(bool), &ok);
    a->pool_ok = alloc(n, sizeof(bool), &ok);
    a->new_hire = alloc(n, sizeof(bool), &ok);
    a->hot_before = alloc(n, sizeof *a->hot_before, &ok);
    a->tie = alloc(n, sizeof *a->tie, &ok);
    a->scratch_cover = alloc(n, sizeof(bool), &ok);
    if (!ok)
        return oom(err);
    int64_t hire_since = a->now - (int64_t)llround(cfg->new_hire_days * 86400.0);
    for (size_t i = 0; i < n; i++) {
        const sop_rep *r = &reps->items[i];
        if ((a->id[i] = sop_assign_state_rep(st, r->id)) < 0)
            return oom(err);
        if (st->names[a->id[i]] == NULL || strcmp(st->names[a->id[i]], r->name) != 0) {
            free(st->names[a->id[i]]);
            if ((st->names[a->id[i]] = strdup(r->name)) == NULL)
                return oom(err);
        }
        a->weight[i] = llround(r->weight * 1000.0);
        if (a->weight[i] < 1)
            a->weight[i] = 1;
        a->current[i] = st->current[a->id[i]];
        a->online[i] = r->status == SOP_REP_ONLINE;
        a->online_count += a->online[i];
        unsigned closed = r->won + r->lost;
        a->pool_ok[i] = closed > 0 && closed >= cfg->pool_min_closed &&
                        (double)r->won / (double)closed > cfg->pool_min_rate;
        a->new_hire[i] = r->has_hired && r->hired_at > hire_since && r->hired_at <= a->now;
    }
    sop_assign_day *today = sop_assign_state_day(st, a->today);
    if (today == NULL)
        return oom(err);
    a->day = (size_t)(today - st->days);
    /* the ids are complete now: today's arrays are as long as the state's */
    if ((a->roster = calloc(st->ids.count ? st->ids.count : 1, sizeof *a->roster)) == NULL)
        return oom(err);
    for (size_t e = 0; e < st->ids.count; e++)
        a->roster[e] = -1;
    for (size_t i = 0; i < n; i++) {
        const sop_rep *r = &reps->items[i];
        a->roster[a->id[i]] = (long)i;
        if (a->online[i])
            today->online[a->id[i]] = r->weight;
        for (int t = 0; t < SOP_TRACKS_OWNED; t++)
            a->assigned[i] += today->counts[a->id[i]].n[t];
        a->avail[i] = a->online[i] &&
                      (r->capacity < 0 || a->assigned[i] < (unsigned long)r->capacity);
        a->avail_count += a->avail[i];
    }
    window_counts(a);
    char days[32];
    snprintf(days, sizeof days, "%g day%s", cfg->pool_days, cfg->pool_days == 1 ? "" : "s");
    snprintf(a->window_text, sizeof a->window_text, " in the last %s", days);
    snprintf(a->pool_rule, sizeof a->pool_rule,
             " has won more than %g%% of at least %lu closed deal%s in the last %s",
             cfg->pool_min_rate * 100, cfg->pool_min_closed, cfg->pool_min_closed == 1 ? "" : "s",
             days);
    snprintf(a->pool_rule_short, sizeof a->pool_rule_short,
             " who won more than %g%% of at least %lu closed deal%s", cfg->pool_min_rate * 100,
             cfg->pool_min_closed, cfg->pool_min_closed == 1 ? "" : "s");
    snprintf(a->share_rule, sizeof a->share_rule,
             " (%g%% of hot leads are kept for reps hired in the last %g days; they had ",
             cfg->new_hire_share * 100, cfg->new_hire_days);
    if (!sop_rotation_init(&a->rot, a->weight, a->current, a->avail, n))
        return oom(err);
    a->rot_ready = true;
    return 0;
}

void sop_assign_free(sop_assign *a)
{
    if (a == NULL)
        return;
    free(a->id);
    free(a->weight);
    free(a->current);
    free(a->roster);
    free(a->assigned);
    if (a->rot_ready)
        sop_rotation_free(&a->rot);
    free(a->online);
    free(a->avail);
    free(a->elig);
    free(a->pool_ok);
    free(a->new_hire);
    free(a->hot_before);
    free(a->tie);
    free(a->city_cover);
    free(a->scratch_cover);
    sop_strmap_free(&a->cities);
    sop_outputs_free(&a->out);
    sop_buf_free(&a->reason);
    free(a);
}

static int bind(void *ctx, const sop_schema *input, sop_error *err)
{
    sop_assign *a = ctx;
    a->col_id = sop_find_column(input, "lead_id");
    a->col_score = sop_find_column(input, "score");
    if (input->count > 0 && (a->col_id < 0 || a->col_score < 0))
        return sop_error_set(err, SOP_EXIT_DATAERR, NULL, 0,
                             "the input has no %s column%s", a->col_id < 0 ? "lead_id" : "score",
                             a->col_score < 0 ? ": score the leads first (lead-score | "
                                                "lead-assign)" : "");
    a->col_region = a->cfg->region_match ? sop_find_column(input, a->cfg->lead_column) : -1;
    for (int k = 0; k < SOP_KEY_KINDS; k++)
        a->col_key[k] = (a->cfg->owner_keys >> k & 1u) ? sop_find_column(input, key_column[k])
                                                       : -1;
    return sop_outputs_bind(&a->out, input, err);
}

/* ---- one lead --------------------------------------------------------- */

static sop_assign_counts *today_counts(const sop_assign *a, size_t rep)
{
    return &a->st->days[a->day].counts[a->id[rep]];
}

static bool region_match(const sop_rep *r, const char *city)
{
    if (r->region_count == 0)
        return true;
    const char *p = r->regions;
    for (size_t k = 0; k < r->region_count; k++) {
        if (strcmp(p, city) == 0)
            return true;
        p += strlen(p) + 1;
    }
    return false;
}

/* Which reps cover the lead's city (every rep when the city is blank). */
static const bool *coverage(sop_assign *a, const char *s, size_t len, bool *blank)
{
    char city[256];
    size_t n = len < sizeof city ? sop_region_fold(s, len, city, sizeof city) : (size_t)-1;
    *blank = n == 0 || n == (size_t)-1 || sop_value_missing(NULL, s, len);
    if (*blank)
        return NULL;
    long e = sop_strmap_find(&a->cities, city, n);
    if (e >= 0)
        return a->city_cover + (size_t)e * a->n;
    bool *cover = a->scratch_cover;
    if (a->cities.count < CITY_CACHE) {
        if (a->city_cover == NULL)
            a->city_cover = calloc(CITY_CACHE * (a->n ? a->n : 1), sizeof(bool));
        bool added;
        if (a->city_cover && (e = sop_strmap_put(&a->cities, city, n, &added)) >= 0)
            cover = a->city_cover + (size_t)e * a->n;
    }
    for (size_t i = 0; i < a->n; i++)
        cover[i] = region_match(&a->reps->items[i], city);
    return cover;
}

static bool say(sop_assign *a, const char *s)
{
    return sop_buf_put(&a->reason, s, strlen(s));
}

static bool say_n(sop_assign *a, const char *s, size_t len)
{
    return sop_buf_put(&a->reason, s, len);
}

static bool say_count(sop_assign *a, unsigned long n)
{
    char num[24];
    size_t k = sizeof num;
    do
        num[--k] = (char)('0' + n % 10);
    while ((n /= 10) > 0);
    return say_n(a, num + k, sizeof num - k);
}

static bool say_rep(sop_assign *a, size_t rep)
{
    return say(a, a->reps->items[rep].id);
}

/* The rep with the lowest weighted hot load among cand (ties: --seed, then
 * the roster's order). */
static long lowest_hot_load(const sop_assign *a, const bool *cand)
{
    long best = -1;
    double best_load = 0;
    for (size_t i = 0; i < a->n; i++) {
        if (!cand[i])
            continue;
        double load = (double)(a->hot_before[i] + today_counts(a, i)->hot) /
                      (double)a->weight[i];
        if (best < 0 || load < best_load ||
            (load == best_load && a->opts.seeded && a->tie[i] < a->tie[best])) {
            best = (long)i;
            best_load = load;
        }
    }
    return best;
}

/* Tie-breakers for this lead: a hash of the seed, the lead and the rep, so
 * a lead's draw does not depend on what came before it (two halves of an
 * input give the owners one run gives). */
static void draw_ties(sop_assign *a, const char *id, size_t len)
{
    uint64_t h = sop_hash_mix(a->opts.seed ^ 0x9e3779b97f4a7c15u);
    for (size_t i = 0; i < len; i++)
        h = sop_hash_mix(h ^ (unsigned char)id[i]);
    for (size_t i = 0; i < a->n; i++) {
        uint64_t r = h;
        for (const char *p = a->reps->items[i].id; *p; p++)
            r = sop_hash_mix(r ^ (unsigned char)*p);
        a->tie[i] = r;
    }
}

typedef struct lead_keys {
    char text[SOP_KEY_KINDS][KEY_CAP];
    size_t len[SOP_KEY_KINDS];
    uint64_t hash[SOP_KEY_KINDS];
    long entry[SOP_KEY_KINDS]; /* in the state's accounts, or -1 */
} lead_keys;

static void read_keys(const sop_assign *a, const sop_record *rec, lead_keys *keys)
{
    for (int k = 0; k < SOP_KEY_KINDS; k++) {
        keys->len[k] = 0;
        if (a->col_key[k] < 0)
            continue;
        size_t len;
        const char *s = sop_record_trimmed(rec, a->col_key[k], &len);
        size_t prefix = strlen(key_prefix[k]);
        memcpy(keys->text[k], key_prefix[k], prefix);
        char *out = keys->text[k] + prefix;
        size_t cap = KEY_CAP - prefix, n = 0;
        if (len == 0 || len >= cap)
            continue;
        if (k == SOP_KEY_COMPANY)
            n = sop_key_company(s, len, out, cap);
        else if (k == SOP_KEY_PHONE)
            n = sop_key_phone(s, len, out, cap);
        else
            n = sop_key_email(s, len, out, cap);
        keys->len[k] = n ? prefix + n : 0;
        if (n) {
            keys->hash[k] = sop_strmap_hash(keys->text[k], keys->len[k]);
            keys->entry[k] = sop_strmap_find_hashed(&a->st->accounts, keys->text[k],
                                                    keys->len[k], keys->hash[k]);
        }
    }
}

/* The roster index of the rep who owns the lead's account, or -1; *kind
 * says which key told. */
static long account_owner(const sop_assign *a, const lead_keys *keys, int *kind)
{
    const sop_assign_state *st = a->st;
    int64_t released = a->released;
    for (int k = 0; k < SOP_KEY_KINDS; k++) {
        if (keys->len[k] == 0)
            continue;
        long e = keys->entry[k];
        if (e < 0 || st->account_day[e] < released)
            continue;
        long rep = a->roster[st->account_rep[e]];
        if (rep >= 0) {
            *kind = k;
            return rep;
        }
    }
    return -1;
}

/* The lead's keys now belong to the account's owner (the one found, else
 * who took the lead); a key of a rep gone from the roster is taken over. */
static bool learn(sop_assign *a, const lead_keys *keys, long owner_id)
{
    for (int k = 0; k < SOP_KEY_KINDS; k++) {
        if (keys->len[k] == 0)
            continue;
        long e = keys->entry[k];
        bool reassign = e >= 0 && (a->st->account_day[e] < a->released ||
                                   a->roster[a->st->account_rep[e]] < 0);
        if (!sop_assign_state_account_at(a->st, e, keys->text[k], keys->len[k], keys->hash[k],
                                         owner_id, a->today, reassign))
            return false;
    }
    /* memory stays bounded by max_accounts, however long the input: past
     * a quarter more, the least recently seen go */
    size_t max = a->cfg->max_accounts;
    if (a->st->accounts.count > max + max / 4 + 1024)
        return sop_assign_state_prune(a->st, INT64_MIN, a->released, max);
    return true;
}

static void take(sop_assign *a, size_t rep, enum sop_track track, int64_t tenths, bool hot)
{
    sop_assign_counts *c = today_counts(a, rep);
    long capacity = a->reps->items[rep].capacity;
    if (++a->assigned[rep] >= (unsigned long)capacity && capacity >= 0 && a->avail[rep]) {
        a->avail[rep] = false;
        a->avail_count--;
        sop_rotation_available(&a->rot, rep, false);
    }
    c->n[track]++;
    c->tenths[track] += tenths;
    if (hot) {
        c->hot++;
        a->hot_total_today++;
        if (a->new_hire[rep])
            a->hot_new_today++;
    }
}

static size_t count_true(const bool *v, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += v[i];
    return k;
}

static int decide(sop_assign *a, const sop_record *rec, double score, int64_t tenths, bool hot,
                  const lead_keys *keys, long *owner, long *known_out, enum sop_track *track)
{
    const sop_assign_config *cfg = a->cfg;
    bool ok = true;
    *owner = -1;
    int kind = 0;
    long known = account_owner(a, keys, &kind);
    *known_out = known;
    if (known >= 0 && a->online[known]) {
        *owner = known;
        *track = SOP_TRACK_EXISTING_OWNER;
        ok = say(a, key_column[kind]) && say(a, " ") &&
             say_n(a, keys->text[kind] + strlen(key_prefix[kind]),
                   keys->len[kind] - strlen(key_prefix[kind])) &&
             say(a, " is an account of ") && say_rep(a, (size_t)known);
        return ok ? 0 : -1;
    }
    if (known >= 0)
        ok = say(a, "account owner ") && say_rep(a, (size_t)known) &&
             say(a, a->reps->items[known].status == SOP_REP_LEAVE ? " is on leave; "
                                                                   : " is offline; ");

    size_t avail = a->avail_count;
    size_t city_len = 0;
    const char *city = "";
    bool blank = true;
    const bool *cover = NULL;
    if (a->col_region >= 0) {
        city = sop_record_trimmed(rec, a->col_region, &city_len);
        cover = coverage(a, city, city_len, &blank);
    }
    /* who may take it: every rep with capacity, or those covering its city */
    const bool *eligible = a->avail;
    size_t elig = avail;
    if (cover) {
        elig = 0;
        for (size_t i = 0; i < a->n; i++) {
            a->elig[i] = a->avail[i] && cover[i];
            elig += a->elig[i];
        }
        eligible = a->elig;
    }
    bool fallback = false;
    if (elig == 0 && avail > 0 && cfg->region_fallback) {
        eligible = a->avail;
        elig = avail;
        fallback = true;
    }
    if (elig == 0) {
        *track = SOP_TRACK_UNASSIGNED;
        if (a->online_count == 0)
            ok = ok && say(a, "no rep is online");
        else if (avail == 0)
            ok = ok && say(a, "every online rep has reached capacity today");
        else
            ok = ok && say(a, "no online rep with capacity covers ") && say_n(a, city, city_len);
        return ok ? 0 : -1;
    }
    if (fallback)
        ok = ok && say(a, "no online rep with capacity covers ") && say_n(a, city, city_len) &&
             say(a, "; ");

    if (hot) {
        char num[16];
        size_t num_len = sop_format_tenths(score, num);
        /* new hires first while they are below their share */
        bool any_new = false;
        for (size_t i = 0; i < a->n; i++) {
            a->scratch_cover[i] = eligible[i] && a->new_hire[i];
            any_new = any_new || a->scratch_cover[i];
        }
        unsigned long total = a->hot_total_before + a->hot_total_today;
        unsigned long fresh = a->hot_new_before + a->hot_new_today;
        /* after this lead, new hires would hold at most their share */
        if (any_new && (double)(fresh + 1) <= cfg->new_hire_share * (double)(total + 1) + 1e-9) {
            *owner = lowest_hot_load(a, a->scratch_cover);
            *track = SOP_TRACK_NEW_HIRE;
            char date[16];
            sop_format_day(sop_local_day(a->reps->items[*owner].hired_at, &a->tz), date,
                           sizeof date);
            ok = ok && say(a, "hot lead (score ") && say_n(a, num, num_len) && say(a, ") for ") &&
                 say_rep(a, (size_t)*owner) && say(a, ", hired ") && say(a, date) &&
                 say(a, a->share_rule) && say_count(a, fresh) && say(a, " of ") &&
                 say_count(a, total) && say(a, " before this one)");
            return ok ? 0 : -1;
        }
        for (size_t i = 0; i < a->n; i++)
            a->scratch_cover[i] = eligible[i] && a->pool_ok[i];
        *owner = lowest_hot_load(a, a->scratch_cover);
        if (*owner < 0) {
            *track = SOP_TRACK_POOL_OPEN;
            a->st->days[a->day].pool_open++;
            a->hot_total_today++;
            ok = ok && say(a, "hot lead (score ") && say_n(a, num, num_len) &&
                 say(a, ") waits in the pool: no online rep with capacity left") &&
                 (blank || fallback || say(a, " covering ")) &&
                 (blank || fallback || say_n(a, city, city_len)) && say(a, a->pool_rule) &&
                 (a->opts.has_history || say(a, " (no --history given)"));
            return ok ? 0 : -1;
        }
        *track = SOP_TRACK_HOT_POOL;
        const sop_rep *r = &a->reps->items[*owner];
        size_t qualified = count_true(a->scratch_cover, a->n);
        ok = ok && say(a, "hot lead (score ") && say_n(a, num, num_len) && say(a, "); ") &&
             say_rep(a, (size_t)*owner) && say(a, " won ") && say_count(a, r->won) &&
             say(a, " of ") && say_count(a, r->won + r->lost) && say(a, a->window_text) &&
             say(a, " and has the fewest hot leads for its weight of the ") &&
             say_count(a, qualified) && say(a, qualified == 1 ? " rep" : " reps") &&
             say(a, a->pool_rule_short);
        return ok ? 0 : -1;
    }

    /* a lead counts by its score in tenths (at least 1), or as one lead */
    int64_t amount = cfg->balance == 0 ? (tenths > 10 ? tenths : 10) : 1;
    *owner = sop_rotation_pick(&a->rot, eligible == a->avail ? NULL : eligible, amount,
                               a->opts.seeded ? a->tie : NULL);
    *track = SOP_TRACK_ROUND_ROBIN;
    ok = ok && say(a, "weighted round robin over ") && say_count(a, elig) &&
         say(a, elig == 1 ? " online rep" : " online reps") &&
         ((blank || fallback) || (say(a, " covering ") && say_n(a, city, city_len))) &&
         say(a, " with capacity left");
    return ok ? 0 : -1;
}

/* Outputs for a lead whose owner the input names: kept as they are. */
static int keep_given(sop_assign *a, const lead_keys *keys, const char *given, size_t len,
                      sop_record *rec, sop_record *extra, sop_error *err)
{
    long e = sop_strmap_find(&a->st->ids, given, len);
    bool on_roster = e >= 0 && a->roster[e] >= 0;
    bool ok = say(a, "owner given in the input");
    if (!on_roster) {
        a->unknown_owner++;
        ok = ok && say(a, "; not on the roster");
    } else {
        ok = ok && learn(a, keys, e);
    }
    /* owner is in the input (it was read from there); assigned_at stays as
     * it is when the input has it, else blank */
    if (ok && a->out.existing[OUT_ASSIGNED_AT] < 0)
        ok = sop_outputs_put(&a->out, OUT_ASSIGNED_AT, rec, extra, "", 0, SOP_TEXT);
    return ok ? 0 : oom(err);
}

static int record(void *ctx, sop_record *rec, sop_record *extra, sop_error *err)
{
    sop_assign *a = ctx;
    size_t id_len, score_len;
    const char *id = sop_record_trimmed(rec, a->col_id, &id_len);
    if (id_len == 0 || sop_value_missing(NULL, id, id_len)) {
        sop_error_set(err, 0, NULL, 0, "no lead_id");
        return SOP_STREAM_REJECT;
    }
    const char *score_text = sop_record_trimmed(rec, a->col_score, &score_len);
    double score;
    if (!sop_parse_number(score_text, score_len, &score) || !(score >= 0 && score <= 100)) {
        if (score_len == 0)
            sop_error_set(err, 0, NULL, 0, "no score (run lead-score first)");
        else
            sop_error_set(err, 0, NULL, 0, "score \"%.*s\" is not a number from 0 to 100",
                          (int)(score_len > 40 ? 40 : score_len), score_text);
        return SOP_STREAM_REJECT;
    }
    a->reason.len = 0;
    lead_keys keys;
    read_keys(a, rec, &keys);
    enum sop_track track;
    size_t given_len;
    const char *given = sop_record_trimmed(rec, a->out.existing[OUT_OWNER], &given_len);
    if (given_len > 0 && !sop_value_missing(NULL, given, given_len)) {
        track = SOP_TRACK_KEPT;
        int rc = keep_given(a, &keys, given, given_len, rec, extra, err);
        if (rc != 0)
            return rc;
    } else {
        if (a->opts.seeded)
            draw_ties(a, id, id_len);
        bool hot = score >= a->cfg->hot_score;
        long owner = -1, known = -1;
        int64_t tenths = llround(score * 10.0);
        if (decide(a, rec, score, tenths, hot, &keys, &owner, &known, &track) != 0)
            return oom(err);
        const char *o = "";
        if (owner >= 0) {
            take(a, (size_t)owner, track, tenths, hot);
            if (!learn(a, &keys, a->id[known >= 0 ? known : owner]))
                return oom(err);
            o = a->reps->items[owner].id;
        }
        if (!sop_outputs_put(&a->out, OUT_OWNER, rec, extra, o, strlen(o), SOP_TEXT) ||
            !sop_outputs_put(&a->out, OUT_ASSIGNED_AT, rec, extra, owner >= 0 ? a->now_text : "",
                             owner >= 0 ? a->now_len : 0, SOP_TEXT))
            return oom(err);
    }
    const char *t = sop_track_name(track);
    a->tally[track]++;
    if (!sop_outputs_put(&a->out, OUT_TRACK, rec, extra, t, strlen(t), SOP_TEXT) ||
        !sop_outputs_put(&a->out, OUT_REASON, rec, extra, a->reason.data ? a->reason.data : "",
                         a->reason.len, SOP_TEXT))
        return oom(err);
    return 0;
}

static int finish(void *ctx, sop_error *err)
{
    (void)err;
    sop_assign *a = ctx;
    if (a->opts.diag && !a->opts.quiet && a->online_count == 0)
        fprintf(a->opts.diag, "%s: warning: no rep in %s is online\n", a->opts.program,
                a->reps->file);
    if (a->opts.diag && !a->opts.quiet) {
        unsigned long open = a->tally[SOP_TRACK_POOL_OPEN], none = a->tally[SOP_TRACK_UNASSIGNED];
        if (open)
            fprintf(a->opts.diag, "%s: note: %lu hot lead%s wait%s in the pool (track pool_open; "
                    "assign_reason says why)\n", a->opts.program, open, open == 1 ? "" : "s",
                    open == 1 ? "s" : "");
        if (none)
            fprintf(a->opts.diag, "%s: note: %lu lead%s could not be assigned (track "
                    "unassigned; assign_reason says why)\n", a->opts.program, none,
                    none == 1 ? "" : "s");
        if (a->unknown_owner)
            fprintf(a->opts.diag, "%s: note: %lu lead%s kept an owner who is not in %s\n",
                    a->opts.program, a->unknown_owner, a->unknown_owner == 1 ? "" : "s",
                    a->reps->file);
    }
    /* the history's bad rows were reported as they were read; the run
     * still says that some input was unusable */
    return a->opts.bad_history > 0 ? SOP_EXIT_DATAERR : 0;
}

static int commit(void *ctx, sop_error *err)
{
    sop_assign *a = ctx;
    if (a->opts.state_path == NULL || a->opts.dry_run)
        return 0;
    sop_assign_state *st = a->st;
    /* here, not in finish: a --strict stop skips finish but still commits
     * the leads written before it */
    for (size_t i = 0; i < a->n; i++)
        st->current[a->id[i]] = sop_rotation_value(&a->rot, i);
    st->runs++;
    if (!sop_assign_state_prune(st, a->today - (int64_t)ceil(a->cfg->keep_days) + 1,
                                a->today - (int64_t)ceil(a->cfg->owner_days),
                                a->cfg->max_accounts))
        return oom(err);
    return sop_assign_state_write(st, a->opts.state_path, &a->tz, a->now, err);
}

void sop_assign_model(sop_assign *a, sop_stream_model *model)
{
    model->ctx = a;
    model->added = &a->out.added;
    model->bind = bind;
    model->record = record;
    model->finish = finish;
    model->commit = commit;
}
