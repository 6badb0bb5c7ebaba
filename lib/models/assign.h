/* assign.h - fair, rule-based lead assignment (lead-assign): the reps
 * roster and their recent close rates, the tracks a lead can take, the
 * state kept between runs, and the fairness report.
 *
 * Tracks, in the order they are tried:
 *   kept            the input already names an owner: left as it is;
 *   existing_owner  the lead's company, phone or e-mail belongs to an
 *                   online rep (known from earlier leads);
 *   new_hire        a hot lead (score >= hot_score) reserved for reps hired
 *                   recently, while their share of hot leads is below the
 *                   configured one;
 *   hot_pool        a hot lead, to the rep with the lowest weighted hot load
 *                   among online reps whose close rate over the last days is
 *                   above the bar;
 *   pool_open       a hot lead no rep may take yet (no owner);
 *   round_robin     any other lead: smooth weighted round-robin;
 *   unassigned      nobody can take it (no owner), with the reason. */
#ifndef SOP_ASSIGN_H
#define SOP_ASSIGN_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cli.h"
#include "config.h"
#include "error.h"
#include "stream.h"
#include "strmap.h"
#include "values.h"
#include "writer.h"

/* ---- the arithmetic --------------------------------------------------- */

/* One pick of smooth weighted round-robin (as in nginx), each lead counted
 * by `amount` (1, or its score so that score-weighted loads even out):
 * every available rep gains weight * amount, the eligible rep with the
 * largest running value takes the lead (ties: the lowest tie[i], then the
 * first; tie may be NULL) and gives back the available total weight *
 * amount.  eligible must be a subset of available.  Integers: the same
 * leads give the same picks however the run is split (weights in
 * thousandths, amounts in tenths of a point keep it exact).  A weight-2 rep gets
 * twice the leads of a weight-1 rep, evenly interleaved; the running
 * values are the whole state of the rotation.  Returns -1 when no rep is
 * eligible (nothing changes then). */
long sop_swrr_step(int64_t *current, const int64_t *weight, const bool *available,
                   const bool *eligible, size_t count, int64_t amount, const uint64_t *tie);

/* The same rotation for a stream of leads, without touching every rep on
 * every lead: each rep's running value is stored as c[i] - weight[i] * G
 * while it is available, G being the amounts so far, so a pick only scans
 * the eligible reps.  Integer arithmetic: the picks and the values are
 * exactly those sop_swrr_step gives. */
typedef struct sop_rotation {
    size_t count;
    int64_t *weight;       /* thousandths */
    int64_t *base;         /* value - weight * g while available, else the value */
    bool *available;
    size_t *live;          /* the available reps' numbers, in order */
    size_t live_count;
    int64_t g;             /* the sum of amounts so far */
    int64_t total;         /* the available reps' weight */
} sop_rotation;

/* current: the running values to start from (copied).  Returns false when
 * out of memory. */
bool sop_rotation_init(sop_rotation *rot, const int64_t *weight, const int64_t *current,
                       const bool *available, size_t count);
void sop_rotation_free(sop_rotation *rot);
/* A rep stops or starts taking leads (it reached its capacity). */
void sop_rotation_available(sop_rotation *rot, size_t rep, bool available);
/* One pick among eligible (NULL: every available rep); -1 when none. */
long sop_rotation_pick(sop_rotation *rot, const bool *eligible, int64_t amount,
                       const uint64_t *tie);
/* The running value of a rep now, to save. */
int64_t sop_rotation_value(const sop_rotation *rot, size_t rep);

/* The article's fairness index: the standard deviation over reps with a
 * target > 0 of r_i = load_i / target_i.  0 when every rep got exactly its
 * target, healthy below 0.3.  NaN without such reps or without load. */
double sop_fairness_index(const double *load, const double *target, size_t count);

/* ---- config ----------------------------------------------------------- */

enum sop_assign_key { SOP_KEY_COMPANY, SOP_KEY_PHONE, SOP_KEY_EMAIL, SOP_KEY_KINDS };

typedef struct sop_assign_config {
    double hot_score;           /* 85: a lead this good is hot */
    int balance;                /* 0 "score": rotation evens out score; 1 "count" */
    bool region_match;          /* false: leads go to reps whatever their regions */
    bool region_fallback;       /* true: a lead from a city no online rep covers goes to any */
    char lead_column[SOP_CFG_TEXT];  /* "city" */
    char rep_column[SOP_CFG_TEXT];   /* "regions" */
    double pool_days;           /* 7: the close-rate window of the hot pool */
    double pool_min_rate;       /* 0.65: the close rate must be above this */
    unsigned long pool_min_closed; /* 3: closed deals needed in the window */
    double new_hire_days;       /* 180: hired this recently is a new hire */
    double new_hire_share;      /* 0.2: the share of hot leads kept for new hires */
    unsigned owner_keys;        /* bits of sop_assign_key */
    double owner_days;          /* 365: an account not seen this long is released */
    unsigned long max_accounts; /* 200000 account keys remembered, the newest kept */
    double keep_days;           /* 90: days of counts kept in the state */
    double fairness_days;       /* 30: the fairness report's default window */
    double fairness_healthy;    /* 0.3: a fairness index below this is healthy */
    unsigned long fairness_min_leads; /* 30: fewer leads get no verdict */
} sop_assign_config;

void sop_assign_config_default(sop_assign_config *cfg);
/* path NULL: the defaults.  66/78 as sop_cfg_load. */
int sop_assign_config_load(const char *path, sop_assign_config *cfg, sop_error *err);
char *sop_assign_config_json(const sop_assign_config *cfg);

/* ---- the roster ------------------------------------------------------- */

enum sop_rep_status { SOP_REP_ONLINE, SOP_REP_OFFLINE, SOP_REP_LEAVE };

typedef struct sop_rep {
    char *id, *name;
    enum sop_rep_status status;
    double weight;          /* > 0; 1 when the column is empty */
    long capacity;          /* leads a day; -1: no limit */
    bool has_hired;
    int64_t hired_at;
    char *regions;          /* folded names, each NUL-terminated, one after another */
    size_t region_count;    /* 0: every region */
    long line;              /* where the rep is in the reps file */
    unsigned won, lost;     /* deals closed in the pool window (--history) */
} sop_rep;

typedef struct sop_reps {
    sop_rep *items;
    size_t count;
    char file[256];         /* display name of the reps file */
} sop_reps;

/* Reads the reps file (CSV, TSV or JSON Lines; aliases apply).  A bad
 * roster is never half used: an unknown status, a duplicate or empty
 * rep_id, a weight that is not a number > 0, a capacity that is not a whole
 * number >= 0, an unreadable hired_at is an error (65) naming the file and
 * line; so is a missing rep_id or status column.  66 when it cannot be
 * opened. */
int sop_reps_load(sop_reps *reps, const char *path, const sop_assign_config *cfg,
                  const sop_cli *cli, sop_error *err);
void sop_reps_free(sop_reps *reps);

/* A region or city name as compared: trimmed, folded, without a trailing
 * 市 (杭州市 is 杭州).  Returns the length, (size_t)-1 when unreadable. */
size_t sop_region_fold(const char *s, size_t len, char *out, size_t cap);

/* Reads deal outcomes (rep_id, closed_at, outcome won/lost) and counts, per
 * rep, the deals closed in (now - pool_days, now].  Rows of unknown reps
 * and rows with no outcome yet are ignored; a row whose closed_at or
 * outcome cannot be read is reported on diag (the first 20) and counted in
 * *bad.  65 when a required column is missing, 66 when it cannot be opened. */
int sop_reps_history(sop_reps *reps, const char *path, const sop_assign_config *cfg,
                     const sop_cli *cli, int64_t now, const char *program, FILE *diag,
                     unsigned long *bad, sop_error *err);

/* ---- the state -------------------------------------------------------- */

enum sop_track {
    SOP_TRACK_ROUND_ROBIN,
    SOP_TRACK_HOT_POOL,
    SOP_TRACK_NEW_HIRE,
    SOP_TRACK_EXISTING_OWNER,
    SOP_TRACKS_OWNED,               /* the tracks above give an owner and are counted */
    SOP_TRACK_POOL_OPEN = SOP_TRACKS_OWNED,
    SOP_TRACK_UNASSIGNED,
    SOP_TRACK_KEPT,
    SOP_TRACKS
};
const char *sop_track_name(enum sop_track track);

typedef struct sop_assign_counts {
    unsigned long n[SOP_TRACKS_OWNED];
    int64_t tenths[SOP_TRACKS_OWNED]; /* score sums, in tenths of a point */
    unsigned long hot;
} sop_assign_counts;

typedef struct sop_assign_day {
    int64_t day;                /* days since 1970-01-01 in the zone */
    unsigned long pool_open;    /* hot leads left waiting in the pool */
    sop_assign_counts *counts;  /* per rep id of the state */
    double *online;             /* the rep's weight if online that day, else 0 */
} sop_assign_day;

typedef struct sop_assign_state {
    sop_strmap ids;             /* every rep id the state knows */
    char **names;               /* per id (may be NULL) */
    int64_t *current;           /* per id: the rotation's running value */
    size_t id_cap;
    sop_assign_day *days;       /* oldest first */
    size_t day_count, day_cap;
    sop_strmap accounts;        /* "company:KEY", "phone:KEY", "email:KEY" */
    long *account_rep;          /* per account: rep id */
    int64_t *account_day;       /* per account: the last day a lead of it came */
    uint64_t *account_touch;    /* per account: when it was last seen, in this
                                 * process (the file's order for those read) */
    uint64_t touch_clock;
    size_t account_cap;
    unsigned long long runs;
} sop_assign_state;

void sop_assign_state_init(sop_assign_state *st);
void sop_assign_state_free(sop_assign_state *st);
/* Reads a state file.  A missing file is an empty state (*existed false).
 * Not JSON, or not a lead-assign state, or inconsistent: 65; a newer
 * version: 78; unreadable: 66 - never a silent reset. */
int sop_assign_state_read(sop_assign_state *st, const char *path, bool *existed,
                          sop_error *err);
/* The rep id's number, added when new (-1: out of memory). */
long sop_assign_state_rep(sop_assign_state *st, const char *id);
/* Records that the account key (kind:value) belongs to rep, seen on day
 * (an existing key keeps its rep unless `reassign`).  False when out of
 * memory. */
bool sop_assign_state_account(sop_assign_state *st, const char *key, size_t len, long rep,
                              int64_t day, bool reassign);
/* The same for a key whose entry (or -1 when new) and hash are known. */
bool sop_assign_state_account_at(sop_assign_state *st, long entry, const char *key, size_t len,
                                 uint64_t hash, long rep, int64_t day, bool reassign);
/* The entry for `day`, added in order when new (NULL: out of memory). */
sop_assign_day *sop_assign_state_day(sop_assign_state *st, int64_t day);
/* Forgets days before first_day, accounts last seen before release_day,
 * and the least recently seen accounts beyond max_accounts. */
bool sop_assign_state_prune(sop_assign_state *st, int64_t first_day, int64_t release_day,
                            size_t max_accounts);
/* The state as JSON text into buf (stable order, so the same state gives
 * the same bytes); false when out of memory. */
bool sop_assign_state_json(const sop_assign_state *st, const sop_tz *tz, int64_t now,
                           sop_buf *buf);
/* Writes the state atomically: a temp file beside it, fsync, rename,
 * fsync of the folder.  73/74 on failure, the old state then untouched. */
int sop_assign_state_write(const sop_assign_state *st, const char *path, const sop_tz *tz,
                           int64_t now, sop_error *err);

/* An exclusive lock on PATH.lock, held until sop_assign_unlock: runs on
 * one state take turns.  73 when the lock file cannot be created. */
int sop_assign_lock(const char *path, int *fd, const char *program, FILE *diag, bool quiet,
                    sop_error *err);
void sop_assign_unlock(int fd);

/* ---- the program ------------------------------------------------------ */

typedef struct sop_assign_opts {
    const char *program;
    FILE *diag;
    bool quiet;
    bool seeded;
    uint64_t seed;          /* tie-breaking, with seeded */
    bool has_history;       /* --history was given (reasons say when not) */
    unsigned long bad_history; /* history rows skipped: the run ends with 65 */
    const char *state_path; /* NULL: no state written */
    bool dry_run;
} sop_assign_opts;

typedef struct sop_assign sop_assign;

/* Sets up the assignment of leads at cli's --now over reps (owned by the
 * caller, with history already counted) and st (owned by the caller,
 * updated as leads are assigned). */
int sop_assign_new(sop_assign **a, const sop_assign_config *cfg, sop_reps *reps,
                   sop_assign_state *st, const sop_cli *cli, const sop_assign_opts *opts,
                   sop_error *err);
void sop_assign_model(sop_assign *a, sop_stream_model *model);
void sop_assign_free(sop_assign *a);

/* The fairness report over the `days` days ending at now's day: per rep
 * the leads and hot leads assigned, mean score, share of the score-weighted
 * load against the share its weight and days online give, and the
 * fairness index over all leads and over round-robin leads alone.  reps
 * may be NULL (names then come from the state). */
json_t *sop_assign_fairness(const sop_assign_state *st, const sop_reps *reps,
                            const sop_assign_config *cfg, double days, int64_t now,
                            const sop_tz *tz);

#endif
