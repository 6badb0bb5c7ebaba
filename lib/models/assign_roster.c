/* The reps roster and their recent close rates, for lead-assign. */
#include "assign.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "evaluate.h"
#include "reader.h"
#include "text.h"

typedef struct side_note {
    const char *program;
    FILE *diag;
    bool quiet;
} side_note;

static void print_note(void *ctx, const char *file, const char *message)
{
    const side_note *n = ctx;
    if (n->diag && !n->quiet)
        fprintf(n->diag, "%s: %s: %s\n", n->program, file, message);
}

static bool parse_status(const char *s, size_t len, enum sop_rep_status *out)
{
    static const struct {
        const char *name;
        enum sop_rep_status status;
    } words[] = {
        {"online", SOP_REP_ONLINE},   {"在线", SOP_REP_ONLINE},    {"在岗", SOP_REP_ONLINE},
        {"active", SOP_REP_ONLINE},   {"offline", SOP_REP_OFFLINE}, {"离线", SOP_REP_OFFLINE},
        {"inactive", SOP_REP_OFFLINE}, {"leave", SOP_REP_LEAVE},    {"on_leave", SOP_REP_LEAVE},
        {"on leave", SOP_REP_LEAVE},  {"on-leave", SOP_REP_LEAVE},  {"请假", SOP_REP_LEAVE},
        {"休假", SOP_REP_LEAVE},
    };
    char folded[64];
    size_t n = sop_text_fold(s, len, folded, sizeof folded);
    if (n == (size_t)-1)
        return false;
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strcmp(folded, words[i].name) == 0) {
            *out = words[i].status;
            return true;
        }
    return false;
}

static bool is_ascii_word(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* Does text[at..len) start with a separator between regions?  ; , / | and
 * ； ， 、 always; a space (or U+3000) unless it stands between two Latin
 * words ("上海 杭州" is two regions, "San Francisco" one). */
static bool is_region_separator(const unsigned char *text, size_t at, size_t len, size_t *skip)
{
    const unsigned char *p = text + at;
    size_t n = len - at;
    if (n >= 1 && (p[0] == ';' || p[0] == ',' || p[0] == '/' || p[0] == '|')) {
        *skip = 1;
        return true;
    }
    static const char *const wide[] = {"\xEF\xBC\x9B", "\xEF\xBC\x8C", "\xE3\x80\x81"};
    for (size_t i = 0; i < sizeof wide / sizeof wide[0]; i++)
        if (n >= 3 && memcmp(p, wide[i], 3) == 0) {
            *skip = 3;
            return true;
        }
    size_t space = (n >= 1 && (p[0] == ' ' || p[0] == '\t')) ? 1
                   : (n >= 3 && memcmp(p, "\xE3\x80\x80", 3) == 0) ? 3 : 0;
    if (space == 0)
        return false;
    size_t end = at + space;
    while (end < len && text[end] == ' ')
        end++;
    bool latin_before = at > 0 && is_ascii_word(text[at - 1]);
    bool latin_after = end < len && is_ascii_word(text[end]);
    if (latin_before && latin_after)
        return false;
    *skip = space;
    return true;
}

/* A region or city name for comparison: folded, trimmed, without a
 * trailing 市 (杭州市 is 杭州); (size_t)-1 when unreadable. */
size_t sop_region_fold(const char *s, size_t len, char *out, size_t cap)
{
    sop_text_trim(&s, &len);
    size_t n = sop_text_fold(s, len, out, cap);
    if (n != (size_t)-1 && n > 3 && memcmp(out + n - 3, "\xE5\xB8\x82", 3) == 0)
        out[n -= 3] = '\0';
    return n;
}

/* "上海;苏州" -> "上海\0苏州\0"; "", "*", "全国", "all" -> every region. */
static int parse_regions(sop_rep *rep, const char *s, size_t len, const char *file, long line,
                         sop_error *err)
{
    rep->regions = malloc(len * 4 + 8);
    if (rep->regions == NULL)
        return sop_error_set(err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
    size_t used = 0;
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        size_t skip;
        if (is_region_separator(p, i, len, &skip)) {
            i += skip;
            continue;
        }
        size_t start = i;
        while (i < len && !is_region_separator(p, i, len, &skip))
            i++;
        size_t n = sop_region_fold(s + start, i - start, rep->regions + used,
                                   len * 4 + 8 - used);
        if (n == (size_t)-1)
            return sop_error_set(err, SOP_EXIT_DATAERR, file, line, "regions \"%.*s\" is not "
                                 "readable text", (int)(len > 60 ? 60 : len), s);
        if (n == 0)
            continue; /* only spaces between two separators */
        if (strcmp(rep->regions + used, "*") == 0 || strcmp(rep->regions + used, "全国") == 0 ||
            strcmp(rep->regions + used, "all") == 0) {
            rep->region_count = 0;
            return 0;
        }
        used += n + 1;
        rep->region_count++;
    }
    return 0;
}

static int read_rep(sop_rep *rep, const sop_record *rec, const long *col, const sop_cli *cli,
                    const char *file, sop_error *err)
{
    long line = rec->line;
    size_t len;
    const char *s = sop_record_trimmed(rec, col[0], &len);
    if (len == 0)
        return sop_error_set(err, SOP_EXIT_DATAERR, file, line, "empty rep_id");
    if ((rep->id = strndup(s, len)) == NULL)
        return sop_error_set(err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
    s = sop_record_trimmed(rec, col[1], &len);
    if ((rep->name = strndup(s, len)) == NULL)
        return sop_error_set(err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
    s = sop_record_trimmed(rec, col[2], &len);
    if (!parse_status(s, len, &rep->status))
        return sop_error_set(err, SOP_EXIT_DATAERR, file, line,
                             "rep %s: status \"%.*s\" is not online, offline or leave "
                             "(在线, 离线, 请假)", rep->id, (int)(len > 60 ? 60 : len), s);
    s = sop_record_trimmed(rec, col[3], &len);
    rep->weight = 1;
    if (!sop_value_missing(NULL, s, len) &&
        (!sop_parse_number(s, len, &rep->weight) || !(rep->weight > 0) || rep->weight > 1e6))
        return sop_error_set(err, SOP_EXIT_DATAERR, file, line,
                             "rep %s: weight \"%.*s\" is not a number above 0", rep->id,
                             (int)(len > 60 ? 60 : len), s);
    s = sop_record_trimmed(rec, col[4], &len);
    rep->capacity = -1;
    double cap;
    if (!sop_value_missing(NULL, s, len)) {
        if (!sop_parse_number(s, len, &cap) || cap < 0 || cap != floor(cap) || cap > 1e9)
            return sop_error_set(err, SOP_EXIT_DATAERR, file, line,
                                 "rep %s: capacity \"%.*s\" is not a whole number of leads a "
                                 "day", rep->id, (int)(len > 60 ? 60 : len), s);
        rep->capacity = (long)cap;
    }
    s = sop_record_trimmed(rec, col[5], &len);
    if (!sop_value_missing(NULL, s, len)) {
        if (!sop_parse_time(s, len, &cli->tz, true, &rep->hired_at))
            return sop_error_set(err, SOP_EXIT_DATAERR, file, line,
                                 "rep %s: hired_at \"%.*s\" is not a date", rep->id,
                                 (int)(len > 60 ? 60 : len), s);
        rep->has_hired = true;
    }
    s = sop_record_trimmed(rec, col[6], &len);
    rep->line = line;
    return parse_regions(rep, s, len, file, line, err);
}

int sop_reps_load(sop_reps *reps, const char *path, const sop_assign_config *cfg,
                  const sop_cli *cli, sop_error *err)
{
    memset(reps, 0, sizeof *reps);
    snprintf(reps->file, sizeof reps->file, "%s", sop_display_name(path));
    const char *names[7] = {"rep_id", "rep_name", "status", "weight", "capacity", "hired_at",
                            cfg->rep_column};
    static const bool required[7] = {true, false, true, false, false, false, false};
    sop_side side;
    int rc = sop_side_open(&side, path, cli, 0, names, required, 7, NULL, NULL, err);
    const char *file = reps->file;
    sop_strmap seen;
    sop_strmap_init(&seen);
    size_t cap = 0;
    while (rc == 0) {
        int got = sop_side_next(&side, err);
        if (got < 0) {
            rc = -got;
            break;
        }
        if (got == SOP_READ_EOF)
            break;
        if (got == SOP_READ_BAD) {
            rc = sop_error_set(err, SOP_EXIT_DATAERR, file, side.rec.line, "%s",
                               sop_reader_bad_reason(side.reader));
            break;
        }
        if (reps->count == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            sop_rep *items = realloc(reps->items, ncap * sizeof *items);
            if (items == NULL) {
                rc = sop_error_set(err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
                break;
            }
            reps->items = items;
            cap = ncap;
        }
        sop_rep *rep = &reps->items[reps->count++];
        memset(rep, 0, sizeof *rep);
        if ((rc = read_rep(rep, &side.rec, side.col, cli, file, err)) != 0)
            break;
        bool added;
        long e = sop_strmap_put(&seen, rep->id, strlen(rep->id), &added);
        if (e < 0) {
            rc = sop_error_set(err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
        } else if (!added) {
            rc = sop_error_set(err, SOP_EXIT_DATAERR, file, side.rec.line,
                               "duplicate rep_id %s (first on line %ld)", rep->id,
                               reps->items[e].line);
        }
    }
    if (rc == 0 && reps->count == 0)
        rc = sop_error_set(err, SOP_EXIT_DATAERR, file, 0, "no reps in the file");
    sop_strmap_free(&seen);
    sop_side_close(&side);
    if (rc != 0)
        sop_reps_free(reps);
    return rc;
}

void sop_reps_free(sop_reps *reps)
{
    for (size_t i = 0; i < reps->count; i++) {
        free(reps->items[i].id);
        free(reps->items[i].name);
        free(reps->items[i].regions);
    }
    free(reps->items);
    reps->items = NULL;
    reps->count = 0;
}

int sop_reps_history(sop_reps *reps, const char *path, const sop_assign_config *cfg,
                     const sop_cli *cli, int64_t now, const char *program, FILE *diag,
                     unsigned long *bad, sop_error *err)
{
    *bad = 0;
    side_note note = {program, diag, cli->verbosity < 0};
    static const char *const names[] = {"rep_id", "closed_at", "outcome"};
    static const bool required[] = {true, true, true};
    sop_side side;
    int rc = sop_side_open(&side, path, cli, 0, names, required, 3, print_note, &note, err);
    const char *file = side.file;
    sop_strmap ids;
    sop_strmap_init(&ids);
    for (size_t i = 0; rc == 0 && i < reps->count; i++) {
        bool added;
        if (sop_strmap_put(&ids, reps->items[i].id, strlen(reps->items[i].id), &added) < 0)
            rc = sop_error_set(err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
    }
    sop_label_rule outcome_rule;
    if (rc == 0)
        rc = sop_label_init(&outcome_rule, NULL, err);
    int64_t since = now - (int64_t)llround(cfg->pool_days * 86400.0);
    const sop_record *rec = &side.rec;
    while (rc == 0) {
        int got = sop_side_next(&side, err);
        if (got < 0) {
            rc = -got;
            break;
        }
        if (got == SOP_READ_EOF)
            break;
        char why[200] = "";
        size_t len;
        const char *s;
        if (got == SOP_READ_BAD) {
            snprintf(why, sizeof why, "%s", sop_reader_bad_reason(side.reader));
        } else {
            s = sop_record_trimmed(rec, side.col[0], &len);
            long rep = sop_strmap_find(&ids, s, len);
            if (rep < 0)
                continue; /* someone no longer on the roster */
            s = sop_record_trimmed(rec, side.col[2], &len);
            if (sop_value_missing(NULL, s, len))
                continue; /* not closed yet */
            int won = sop_label_read(&outcome_rule, s, len);
            int64_t at;
            size_t at_len;
            const char *at_s = sop_record_trimmed(rec, side.col[1], &at_len);
            if (won < 0)
                snprintf(why, sizeof why, "outcome \"%.*s\" is not won or lost",
                         (int)(len > 40 ? 40 : len), s);
            else if (!sop_parse_time(at_s, at_len, &cli->tz, true, &at))
                snprintf(why, sizeof why, "closed_at \"%.*s\" is not a time",
                         (int)(at_len > 40 ? 40 : at_len), at_s);
            else if (at > since && at <= now) {
                if (won)
                    reps->items[rep].won++;
                else
                    reps->items[rep].lost++;
            }
        }
        if (why[0]) {
            /* reported under -q too: the run ends with 65 because of them */
            if (++*bad <= 20 && diag)
                fprintf(diag, "%s: %s:%ld: %s; row skipped\n", program, file, rec->line, why);
        }
    }
    if (rc == 0 && *bad > 20 && diag)
        fprintf(diag, "%s: %s: %lu more bad rows not shown\n", program, file, *bad - 20);
    sop_strmap_free(&ids);
    sop_side_close(&side);
    return rc;
}
