/* dedupe_cluster.c - matches into clusters (union-find, split where the
 * members disagree on a strong identifier or the cluster grows too big),
 * ids, primaries, golden records by survivorship, and everything written:
 * the records, pairs, the review file, lineage and the truth report. */
#include "dedupe_int.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "idmap.h"
#include "keys.h"
#include "text.h"
#include "writer.h"

enum { SHOW_SPLITS = 10 };

static const char *const level_names[] = {"same", "close", "similar", "different", "unknown"};

/* ---- union-find ------------------------------------------------------------ */

static uint32_t find(uint32_t *parent, uint32_t x)
{
    while (parent[x] != x) {
        parent[x] = parent[parent[x]];
        x = parent[x];
    }
    return x;
}

/* Why two rows must not be one customer (0: they may). */
enum { NO_CONFLICT, MASTER_IDS, BRANCH, STRONG, TOO_BIG };
static const char *const why[] = {"", "joins master records with other customer ids",
                                  "joins a branch and another office",
                                  "disagrees on a strong field", "grew past cluster.max_size"};

static int conflict(const sop_dedupe *d, uint32_t a, uint32_t b)
{
    if (a < d->masters && b < d->masters && d->info[a].mid != d->info[b].mid)
        return MASTER_IDS;
    if (sop_dedupe_vetoed(d, a, b))
        return BRANCH;
    for (size_t f = 0; f < d->nf; f++)
        if (d->cfg->fields[f].strong && sop_dedupe_level(d, f, a, b) == 3)
            return STRONG;
    return NO_CONFLICT;
}

static bool lists_conflict(const sop_dedupe *d, const uint32_t *next, uint32_t x, uint32_t y)
{
    for (uint32_t a = x; a != UINT32_MAX; a = next[a])
        for (uint32_t b = y; b != UINT32_MAX; b = next[b])
            if (conflict(d, a, b) != NO_CONFLICT)
                return true;
    return false;
}

static int by_score(const void *p, const void *q)
{
    const sop_dpair *a = p, *b = q;
    if (a->p != b->p)
        return a->p > b->p ? -1 : 1;
    if (a->a != b->a)
        return a->a < b->a ? -1 : 1;
    return a->b < b->b ? -1 : (a->b > b->b);
}

/* The component's rows (members, n of them) joined again by its matches
 * (edges), strongest first, never joining two groups that conflict or
 * would grow past the limit.  parent, next, size, tail: scratch per row. */
static size_t split(sop_dedupe *d, const uint32_t *members, size_t n, sop_dpair *edges,
                    size_t ne, uint32_t *parent, uint32_t *next, uint32_t *size, uint32_t *tail)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t m = members[i];
        parent[m] = m;
        next[m] = UINT32_MAX;
        size[m] = 1;
        tail[m] = m;
    }
    qsort(edges, ne, sizeof *edges, by_score);
    size_t groups = n;
    for (size_t i = 0; i < ne; i++) {
        uint32_t x = find(parent, edges[i].a), y = find(parent, edges[i].b);
        if (x == y || size[x] + size[y] > d->cfg->max_cluster || lists_conflict(d, next, x, y))
            continue;
        if (y < x) {
            uint32_t t = x;
            x = y;
            y = t;
        }
        parent[y] = x;
        size[x] += size[y];
        next[tail[x]] = y;
        tail[x] = tail[y];
        groups--;
    }
    return groups;
}

/* Why the component needs splitting (NO_CONFLICT: it does not). */
static int needs_split(const sop_dedupe *d, const uint32_t *members, size_t n)
{
    if (n > d->cfg->max_cluster)
        return TOO_BIG;
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++) {
            int c = conflict(d, members[i], members[j]);
            if (c != NO_CONFLICT)
                return c;
        }
    return NO_CONFLICT;
}

static void report_split(sop_dedupe *d, const uint32_t *members, size_t n, int reason,
                         size_t groups)
{
    if (++d->splits > SHOW_SPLITS)
        return;
    char lines[400] = "";
    size_t used = 0;
    for (size_t i = 0; i < n && i < 6 && used < sizeof lines; i++) {
        const char *file = sop_strmap_key(&d->files, d->info[members[i]].file);
        const char *base = strrchr(file, '/');
        used += (size_t)snprintf(lines + used, sizeof lines - used, "%s%s:%ld", i ? ", " : "",
                                 base ? base + 1 : file, d->info[members[i]].line);
    }
    sop_note(d->opts.diag, d->opts.program, d->opts.quiet, "records %s%s were chained into one "
             "cluster of %zu that %s: split at its weakest links into %zu", lines,
             n > 6 ? ", ..." : "", n, why[reason], groups);
}

/* Rows grouped by the value of key[] (0..nkeys-1): order[] lists the rows
 * of group k from start[k] to start[k + 1]. */
static bool group_by(const uint32_t *key, size_t rows, size_t nkeys, uint32_t **start_out,
                     uint32_t **order_out)
{
    uint32_t *start = calloc(nkeys + 1, sizeof *start), *order = malloc((rows + 1) * sizeof *order);
    if (start == NULL || order == NULL) {
        free(start);
        free(order);
        return false;
    }
    for (size_t r = 0; r < rows; r++)
        start[key[r] + 1]++;
    for (size_t k = 0; k < nkeys; k++)
        start[k + 1] += start[k];
    uint32_t *at = malloc((nkeys + 1) * sizeof *at);
    if (at == NULL) {
        free(start);
        free(order);
        return false;
    }
    memcpy(at, start, (nkeys + 1) * sizeof *at);
    for (size_t r = 0; r < rows; r++)
        order[at[key[r]]++] = (uint32_t)r;
    free(at);
    *start_out = start;
    *order_out = order;
    return true;
}

/* The components that need it split; parent[] is the final forest. */
static int guard(sop_dedupe *d, uint32_t *parent, sop_error *err)
{
    size_t rows = d->rows;
    uint32_t *root = malloc((rows + 1) * sizeof *root), *next = malloc((rows + 1) * sizeof *next);
    uint32_t *size = malloc((rows + 1) * sizeof *size), *tail = malloc((rows + 1) * sizeof *tail);
    uint32_t *start = NULL, *order = NULL, *estart = NULL, *eorder = NULL, *ekey = NULL;
    sop_dpair *edges = NULL;
    int rc = 0;
    if (root == NULL || next == NULL || size == NULL || tail == NULL)
        goto oom;
    for (size_t r = 0; r < rows; r++)
        root[r] = find(parent, (uint32_t)r);
    if (!group_by(root, rows, rows, &start, &order))
        goto oom;
    /* the matches of each component */
    size_t matches = 0;
    for (size_t i = 0; i < d->pair_count; i++)
        matches += d->pairs[i].p >= d->cfg->match;
    ekey = calloc(matches + 1, sizeof *ekey);
    edges = malloc((matches + 1) * sizeof *edges);
    if (ekey == NULL || edges == NULL)
        goto oom;
    size_t m = 0;
    for (size_t i = 0; i < d->pair_count; i++)
        if (d->pairs[i].p >= d->cfg->match)
            ekey[m++] = root[d->pairs[i].a];
    if (!group_by(ekey, matches, rows, &estart, &eorder))
        goto oom;
    /* eorder indexes the matches in pair order: map to the pairs */
    uint32_t *match_index = ekey; /* reuse: match number -> pair index */
    m = 0;
    for (size_t i = 0; i < d->pair_count; i++)
        if (d->pairs[i].p >= d->cfg->match)
            match_index[m++] = (uint32_t)i;
    for (size_t c = 0; c < rows; c++) {
        size_t n = start[c + 1] - start[c];
        int reason = n < 2 ? NO_CONFLICT : needs_split(d, order + start[c], n);
        if (reason == NO_CONFLICT)
            continue;
        size_t ne = estart[c + 1] - estart[c];
        for (size_t i = 0; i < ne; i++)
            edges[i] = d->pairs[match_index[eorder[estart[c] + i]]];
        size_t groups = split(d, order + start[c], n, edges, ne, parent, next, size, tail);
        report_split(d, order + start[c], n, reason, groups);
    }
    goto done;
oom:
    rc = sop_error_set(err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
done:
    free(root);
    free(next);
    free(size);
    free(tail);
    free(start);
    free(order);
    free(estart);
    free(eorder);
    free(ekey);
    free(edges);
    return rc;
}

/* ---- clusters -------------------------------------------------------------- */

static size_t filled(const sop_dedupe *d, uint32_t row)
{
    size_t n = 0;
    for (size_t f = 0; f < d->nf; f++)
        n += d->feat[row * d->nf + f].len > 0;
    return n;
}

/* The primary record: the most complete input record, then the most
 * recent, then the first. */
static bool better_primary(const sop_dedupe *d, uint32_t a, uint32_t b)
{
    size_t fa = filled(d, a), fb = filled(d, b);
    if (fa != fb)
        return fa > fb;
    if (d->info[a].time != d->info[b].time)
        return d->info[a].time > d->info[b].time;
    return a < b;
}

/* "C000123" -> prefix "C", 123, width 6. */
static bool id_parts(const char *id, size_t *prefix, unsigned long long *num, size_t *width)
{
    size_t len = strlen(id), p = len;
    while (p > 0 && id[p - 1] >= '0' && id[p - 1] <= '9')
        p--;
    if (p == len || len - p > 18)
        return false;
    *prefix = p;
    *width = len - p;
    *num = strtoull(id + p, NULL, 10);
    return true;
}

/* New customer ids after the master's: its first id's prefix and width,
 * numbered on from the highest it has ("NEW-000001" without one). */
static int new_ids(sop_dedupe *d, sop_error *err)
{
    d->new_ids = calloc(d->clusters + 1, sizeof *d->new_ids);
    if (d->new_ids == NULL)
        return sop_error_set(err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
    char prefix[64] = "NEW-";
    size_t width = 6, pl, w;
    unsigned long long top = 0, num;
    if (d->master_ids.count > 0 && id_parts(sop_strmap_key(&d->master_ids, 0), &pl, &num, &w)) {
        snprintf(prefix, sizeof prefix, "%.*s", (int)pl, sop_strmap_key(&d->master_ids, 0));
        width = w;
        for (size_t i = 0; i < d->master_ids.count; i++) {
            const char *id = sop_strmap_key(&d->master_ids, i);
            size_t p2, w2; /* the same prefix and as many digits */
            if (id_parts(id, &p2, &num, &w2) && p2 == pl && w2 == width &&
                strncmp(id, prefix, pl) == 0 && num > top)
                top = num;
        }
    }
    for (uint32_t r = 0; r < d->rows; r++) {
        uint32_t c = d->cluster[r];
        if (r < d->masters)
            snprintf(d->new_ids[c], sizeof d->new_ids[c], "%s",
                     sop_strmap_key(&d->master_ids, d->info[r].mid));
    }
    for (uint32_t r = (uint32_t)d->masters; r < d->rows; r++) {
        uint32_t c = d->cluster[r];
        while (d->new_ids[c][0] == '\0') {
            int n = snprintf(d->new_ids[c], sizeof d->new_ids[c], "%s%0*llu", prefix, (int)width,
                             ++top);
            if (n < 0 || (size_t)n >= sizeof d->new_ids[c]) { /* too long: NEW- from 1 */
                snprintf(prefix, sizeof prefix, "NEW-");
                width = 6;
                top = 0;
                d->new_ids[c][0] = '\0';
                continue;
            }
            if (sop_strmap_find(&d->master_ids, d->new_ids[c], strlen(d->new_ids[c])) >= 0)
                d->new_ids[c][0] = '\0';
        }
    }
    return 0;
}

int sop_dedupe_cluster(sop_dedupe *d, sop_error *err)
{
    size_t rows = d->rows;
    uint32_t *parent = malloc((rows + 1) * sizeof *parent);
    d->cluster = malloc((rows + 1) * sizeof *d->cluster);
    d->best = calloc(rows + 1, sizeof *d->best);
    if (parent == NULL || d->cluster == NULL || d->best == NULL) {
        free(parent);
        return sop_error_set(err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
    }
    for (size_t r = 0; r < rows; r++)
        parent[r] = (uint32_t)r;
    for (size_t i = 0; i < d->pair_count; i++)
        if (d->pairs[i].p >= d->cfg->match) {
            uint32_t x = find(parent, d->pairs[i].a), y = find(parent, d->pairs[i].b);
            if (x != y)
                parent[x > y ? x : y] = x < y ? x : y;
        }
    int rc = guard(d, parent, err);
    if (rc != 0) {
        free(parent);
        return rc;
    }
    /* numbers in input order, clusters of the master alone last */
    for (size_t r = 0; r < rows; r++)
        d->cluster[r] = UINT32_MAX;
    size_t n = 0;
    for (size_t pass = 0; pass < 2; pass++)
        for (size_t r = pass ? 0 : d->masters; r < (pass ? d->masters : rows); r++) {
            uint32_t root = find(parent, (uint32_t)r);
            if (d->cluster[root] == UINT32_MAX)
                d->cluster[root] = (uint32_t)n++;
            d->cluster[r] = d->cluster[root];
        }
    free(parent);
    d->clusters = n;
    d->first = malloc((n + 1) * sizeof *d->first);
    d->next = malloc((rows + 1) * sizeof *d->next);
    d->size = calloc(n + 1, sizeof *d->size);
    d->primary = malloc((n + 1) * sizeof *d->primary);
    if (d->first == NULL || d->next == NULL || d->size == NULL || d->primary == NULL)
        return sop_error_set(err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
    for (size_t c = 0; c < n; c++)
        d->first[c] = d->primary[c] = UINT32_MAX;
    for (size_t r = rows; r-- > 0;) {
        uint32_t c = d->cluster[r];
        d->next[r] = d->first[c];
        d->first[c] = (uint32_t)r;
        if (r >= d->masters) {
            d->size[c]++;
            if (d->primary[c] == UINT32_MAX || better_primary(d, (uint32_t)r, d->primary[c]))
                d->primary[c] = (uint32_t)r;
        }
    }
    for (size_t i = 0; i < d->pair_count; i++) {
        const sop_dpair *p = &d->pairs[i];
        if (p->p >= d->cfg->match && d->cluster[p->a] == d->cluster[p->b]) {
            d->best[p->a] = fmaxf(d->best[p->a], p->p);
            d->best[p->b] = fmaxf(d->best[p->b], p->p);
        }
    }
    if (d->splits > SHOW_SPLITS)
        sop_note(d->opts.diag, d->opts.program, d->opts.quiet, "%lu more clusters split",
                 d->splits - SHOW_SPLITS);
    return d->opts.master ? new_ids(d, err) : 0;
}

/* ---- records and their values ------------------------------------------------ */

static int oom(sop_error *err)
{
    return sop_error_set(err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
}

/* Field f of a row as it was typed (into *len). rec: scratch. */
static const char *field_value(sop_dedupe *d, size_t row, size_t f, sop_record *rec, size_t *len)
{
    *len = 0;
    if (row < d->masters) {
        if (!sop_rowstore_get(&d->mstore, row, rec))
            return NULL;
        return sop_record_text(rec, f, len);
    }
    if (!sop_rowstore_get(&d->store, row - d->masters, rec))
        return NULL;
    return sop_record_trimmed(rec, d->col[f], len);
}

static const char *file_name(const sop_dedupe *d, size_t row)
{
    return sop_strmap_key(&d->files, d->info[row].file);
}

static void cluster_label(const sop_dedupe *d, uint32_t c, char *out, size_t cap)
{
    if (d->new_ids)
        snprintf(out, cap, "%s", d->new_ids[c]);
    else
        snprintf(out, cap, "C%06" PRIu32, c + 1);
}

/* ---- golden records ---------------------------------------------------------- */

typedef struct golden {
    size_t n, cap;
    uint32_t *row;          /* the members from the input */
    sop_record *rec;
    long *src;              /* per column: the member chosen (index), -1 none */
    sop_dedupe_rule *rule;  /* per column: the rule that chose it */
    size_t src_cap;
} golden;

static void golden_free(golden *g)
{
    for (size_t i = 0; i < g->cap; i++)
        sop_record_free(&g->rec[i]);
    free(g->rec);
    free(g->row);
    free(g->src);
    free(g->rule);
}

static sop_dedupe_rule column_rule(const sop_dedupe *d, const char *name)
{
    for (size_t f = 0; f < d->nf; f++)
        if (strcmp(d->cfg->fields[f].column, name) == 0)
            return d->cfg->fields[f].rule;
    for (size_t i = 0; i < d->cfg->rule_count; i++)
        if (strcmp(d->cfg->rules[i].column, name) == 0)
            return d->cfg->rules[i].rule;
    /* the golden record was last updated when its newest member was */
    return strcmp(name, d->cfg->time_column) == 0 ? SOP_RULE_RECENT : d->cfg->default_rule;
}

/* Member k's trimmed value of column col. */
static const char *member_value(const golden *g, size_t k, size_t col, size_t *len)
{
    const char *v = sop_record_trimmed(&g->rec[k], (long)col, len);
    if (sop_value_missing(NULL, v, *len) ||
        (sop_record_kind(&g->rec[k], col) == SOP_LITERAL && *len == 4 && memcmp(v, "null", 4) == 0))
        *len = 0; /* N/A, NULL, -, a JSON null: nothing to keep */
    return v;
}

static size_t code_points(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += ((unsigned char)s[i] & 0xC0) != 0x80;
    return n;
}

/* Which member gives column col: by the rule, a blank never chosen while
 * another member has a value (then the most recent one). -1: all blank. */
static long choose(const sop_dedupe *d, const golden *g, size_t col, sop_dedupe_rule rule,
                   size_t primary, sop_dedupe_rule *used)
{
    long best = -1;
    size_t best_len = 0, best_count = 0;
    sop_dedupe_rule configured = rule;
    for (int pass = 0; pass < 2 && best < 0; pass++, rule = SOP_RULE_RECENT) {
        *used = rule;
        for (size_t i = 0; i <= g->n; i++) {
            size_t k = i == 0 ? primary : i - 1; /* the primary first: ties go to it */
            if (i > 0 && k == primary)
                continue;
            if (k >= g->n)
                continue;
            size_t len;
            const char *v = member_value(g, k, col, &len);
            if (len == 0)
                continue;
            switch (rule) {
            case SOP_RULE_PRIMARY:
                if (k == primary)
                    best = (long)k;
                break;
            case SOP_RULE_RECENT:
                if (best < 0 || d->info[g->row[k]].time > d->info[g->row[best]].time)
                    best = (long)k;
                break;
            case SOP_RULE_LONGEST: { /* in characters: 金水路５号 is no longer than 金水路5号 */
                size_t cps = code_points(v, len);
                if (best < 0 || cps > best_len)
                    best = (long)k, best_len = cps;
                break;
            }
            default: { /* most frequent */
                size_t count = 0;
                for (size_t j = 0; j < g->n; j++) {
                    size_t l2;
                    const char *w = member_value(g, j, col, &l2);
                    count += l2 == len && memcmp(v, w, len) == 0;
                }
                if (best < 0 || count > best_count)
                    best = (long)k, best_count = count;
                break;
            }
            }
        }
    }
    if (best < 0)
        *used = configured; /* blank in every member: no rule chose anything */
    return best;
}

/* Loads cluster c's input members and chooses every column. */
static int golden_make(sop_dedupe *d, golden *g, uint32_t c, size_t columns, size_t *primary,
                       sop_error *err)
{
    g->n = 0;
    for (uint32_t r = d->first[c]; r != UINT32_MAX; r = d->next[r]) {
        if (r < d->masters)
            continue;
        if (g->n == g->cap) {
            size_t cap = g->cap ? g->cap * 2 : 8;
            sop_record *nr = realloc(g->rec, cap * sizeof *nr);
            if (nr == NULL)
                return oom(err);
            g->rec = nr;
            uint32_t *rows = realloc(g->row, cap * sizeof *rows);
            if (rows == NULL)
                return oom(err);
            g->row = rows;
            for (size_t i = g->cap; i < cap; i++)
                sop_record_init(&g->rec[i]);
            g->cap = cap;
        }
        if (r == d->primary[c])
            *primary = g->n;
        g->row[g->n] = r;
        if (!sop_rowstore_get(&d->store, r - d->masters, &g->rec[g->n]))
            return oom(err);
        g->n++;
    }
    if (columns > g->src_cap) {
        long *src = realloc(g->src, columns * sizeof *src);
        if (src == NULL)
            return oom(err);
        g->src = src;
        sop_dedupe_rule *rule = realloc(g->rule, columns * sizeof *rule);
        if (rule == NULL)
            return oom(err);
        g->rule = rule;
        g->src_cap = columns;
    }
    for (size_t col = 0; col < columns; col++)
        g->src[col] = choose(d, g, col, column_rule(d, d->schema->names[col]), *primary,
                             &g->rule[col]);
    return 0;
}

/* ---- writing the records ------------------------------------------------------- */

static bool put_text(const sop_dedupe *d, size_t which, sop_record *rec, sop_record *extra,
                     const char *s)
{
    return sop_outputs_put(&d->out, which, rec, extra, s, strlen(s), SOP_TEXT);
}

static bool put_literal(const sop_dedupe *d, size_t which, sop_record *rec, sop_record *extra,
                        const char *s)
{
    return sop_outputs_put(&d->out, which, rec, extra, s, strlen(s), SOP_LITERAL);
}

static int extras(sop_dedupe *d, size_t row, sop_record *extra, sop_error *err)
{
    sop_record_clear(extra);
    if (d->opts.keep_raw && !sop_rowstore_get(&d->xstore, row - d->masters, extra))
        return oom(err);
    return 0;
}

static int tagged(sop_dedupe *d, sop_writer *w, sop_error *err)
{
    size_t base = d->out.count - d->mode_outputs;
    for (size_t r = d->masters; r < d->rows; r++) {
        int rc = extras(d, r, &d->extra, err);
        if (rc != 0)
            return rc;
        if (!sop_rowstore_get(&d->store, r - d->masters, &d->scratch))
            return oom(err);
        uint32_t c = d->cluster[r];
        char label[64], size[24], score[24] = "";
        cluster_label(d, c, label, sizeof label);
        snprintf(size, sizeof size, "%" PRIu32, d->size[c]);
        if (d->best[r] > 0)
            snprintf(score, sizeof score, "%.4f", (double)d->best[r]);
        bool ok;
        if (d->opts.master) {
            bool is_new = true;
            for (uint32_t m = d->first[c]; m != UINT32_MAX && m < d->masters; m = d->next[m])
                is_new = false;
            ok = put_text(d, base, &d->scratch, &d->extra, label) &&
                 put_literal(d, base + 1, &d->scratch, &d->extra, is_new ? "true" : "false") &&
                 (score[0] ? put_literal(d, base + 2, &d->scratch, &d->extra, score)
                           : put_text(d, base + 2, &d->scratch, &d->extra, ""));
        } else
            ok = put_text(d, base, &d->scratch, &d->extra, label) &&
                 put_literal(d, base + 1, &d->scratch, &d->extra, size) &&
                 put_literal(d, base + 2, &d->scratch, &d->extra,
                             d->primary[c] == r ? "true" : "false") &&
                 (score[0] ? put_literal(d, base + 3, &d->scratch, &d->extra, score)
                           : put_text(d, base + 3, &d->scratch, &d->extra, ""));
        if (!ok)
            return oom(err);
        if ((rc = sop_writer_record(w, &d->scratch, &d->extra, err)) != 0)
            return rc;
    }
    return 0;
}

/* --keep-raw in golden records: each *_raw from the member whose value the
 * cleaned column took (a *_raw the input has already is a column like any
 * other, chosen by its own rule). */
static int golden_raw(sop_dedupe *d, const golden *g, size_t primary, sop_error *err)
{
    sop_record_clear(&d->extra);
    size_t which = 0, at = 0;
    for (size_t f = 0; f < d->nf && d->opts.keep_raw; f++) {
        if (!d->clean[f])
            continue;
        if (d->out.existing[which++] >= 0)
            continue;
        long k = d->col[f] >= 0 ? g->src[d->col[f]] : -1;
        uint32_t row = g->row[k >= 0 ? (size_t)k : primary];
        if (!sop_rowstore_get(&d->xstore, row - d->masters, &d->scratch))
            return oom(err);
        size_t len;
        const char *v = sop_record_text(&d->scratch, at, &len);
        if (!sop_record_push(&d->extra, v, len, sop_record_kind(&d->scratch, at)))
            return oom(err);
        at++;
    }
    return 0;
}

static int golden_rows(sop_dedupe *d, sop_writer *w, sop_error *err)
{
    golden g = {0};
    size_t base = d->out.count - d->mode_outputs, columns = d->schema->count;
    int rc = 0;
    for (uint32_t c = 0; c < d->clusters && rc == 0; c++) {
        if (d->size[c] == 0)
            continue;
        size_t primary = 0;
        if ((rc = golden_make(d, &g, c, columns, &primary, err)) != 0 ||
            (rc = golden_raw(d, &g, primary, err)) != 0)
            break;
        sop_record_clear(&d->scratch);
        for (size_t col = 0; col < columns; col++) {
            long k = g.src[col];
            size_t len = 0;
            const char *v = k >= 0 ? sop_record_text(&g.rec[k], col, &len) : "";
            unsigned char kind = k >= 0 ? sop_record_kind(&g.rec[k], col) : SOP_ABSENT;
            if (!sop_record_push(&d->scratch, v, len, kind))
                rc = oom(err);
        }
        char label[64], size[24];
        cluster_label(d, c, label, sizeof label);
        snprintf(size, sizeof size, "%" PRIu32, d->size[c]);
        if (rc == 0 && !(put_text(d, base, &d->scratch, &d->extra, label) &&
                         put_literal(d, base + 1, &d->scratch, &d->extra, size)))
            rc = oom(err);
        if (rc == 0)
            rc = sop_writer_record(w, &d->scratch, &d->extra, err);
    }
    golden_free(&g);
    return rc;
}

int sop_dedupe_replay(void *ctx, sop_writer *w, sop_error *err)
{
    sop_dedupe *d = ctx;
    int rc = d->opts.mode == SOP_DEDUPE_GOLDEN ? golden_rows(d, w, err) : tagged(d, w, err);
    /* bad rows in the master: every record is out, and the run says 65 */
    return rc == 0 && d->master_bad > 0 ? SOP_EXIT_DATAERR : rc;
}

/* ---- pairs: --mode pairs and --review ------------------------------------------ */

static int pair_columns(const sop_dedupe *d, sop_schema *s, bool explain)
{
    static const char *const head[] = {"match_score", "merged", "file_a", "line_a", "file_b",
                                       "line_b"};
    bool ok = true;
    for (size_t i = 0; i < sizeof head / sizeof head[0]; i++)
        ok = ok && sop_schema_add(s, head[i], strlen(head[i])) >= 0;
    for (size_t f = 0; f < d->nf; f++) {
        static const char *const tails[] = {"_a", "_b", "_norm_a", "_norm_b", "_level",
                                            "_weight"};
        for (size_t t = 0; t < (explain ? 6u : 2u); t++) {
            char name[96];
            int n = snprintf(name, sizeof name, "%s%s", d->cfg->fields[f].column, tails[t]);
            ok = ok && sop_schema_add(s, name, (size_t)n) >= 0;
        }
    }
    return ok ? 0 : -1;
}

static bool push(sop_record *r, const char *s, size_t len, unsigned char kind)
{
    return sop_record_push(r, s ? s : "", s ? len : 0, kind);
}

static int pair_row(sop_dedupe *d, const sop_dpair *p, bool explain, sop_record *out,
                    sop_error *err)
{
    char num[32];
    sop_record_clear(out);
    snprintf(num, sizeof num, "%.4f", (double)p->p);
    bool merged = d->cluster && d->cluster[p->a] == d->cluster[p->b];
    bool ok = push(out, num, strlen(num), SOP_LITERAL) &&
              push(out, merged ? "true" : "false", merged ? 4 : 5, SOP_LITERAL);
    for (int side = 0; side < 2 && ok; side++) {
        uint32_t r = side ? p->b : p->a;
        const char *file = file_name(d, r);
        snprintf(num, sizeof num, "%ld", d->info[r].line);
        ok = push(out, file, strlen(file), SOP_TEXT) && push(out, num, strlen(num), SOP_LITERAL);
    }
    for (size_t f = 0; f < d->nf && ok; f++) {
        for (int side = 0; side < 2 && ok; side++) {
            size_t len;
            const char *v = field_value(d, side ? p->b : p->a, f, &d->scratch, &len);
            ok = v != NULL && push(out, v, len, SOP_TEXT);
        }
        if (!explain || !ok)
            continue;
        for (int side = 0; side < 2 && ok; side++) {
            size_t len;
            const char *v = sop_dedupe_text(d, side ? p->b : p->a, f, &len);
            ok = push(out, v, len, SOP_TEXT);
        }
        int level = sop_dedupe_level(d, f, p->a, p->b);
        const char *name = level_names[level];
        if (level < SOP_DEDUPE_LEVELS)
            snprintf(num, sizeof num, "%.2f", sop_dedupe_weight(&d->cfg->fields[f], level));
        else
            num[0] = '\0';
        if (f == (size_t)d->company_field && sop_dedupe_vetoed(d, p->a, p->b)) {
            name = "branch"; /* vetoed: the pair scores 0 whatever the weights */
            num[0] = '\0';
        }
        ok = ok && push(out, name, strlen(name), SOP_TEXT) &&
             push(out, num, strlen(num), num[0] ? SOP_LITERAL : SOP_TEXT);
    }
    return ok ? 0 : oom(err);
}

static int write_pairs(sop_dedupe *d, const char *path, enum sop_format format, bool review,
                       bool explain, sop_error *err)
{
    sop_writer *w;
    sop_writer_opts wo = {.path = path, .format = format, .excel = d->cli->excel,
                          .safe_formulas = d->cli->safe_formulas};
    sop_schema s;
    sop_schema_init(&s);
    sop_record row;
    sop_record_init(&row);
    int rc = pair_columns(d, &s, explain) == 0 ? 0 : oom(err);
    if (rc == 0)
        rc = sop_writer_open(&w, &wo, err);
    if (rc != 0) {
        sop_schema_free(&s);
        return rc;
    }
    rc = sop_writer_columns(w, &s, NULL, err);
    for (size_t i = 0; i < d->pair_count && rc == 0; i++) {
        const sop_dpair *p = &d->pairs[i];
        if ((p->p >= d->cfg->match) == review)
            continue;
        if ((rc = pair_row(d, p, explain, &row, err)) == 0)
            rc = sop_writer_record(w, &row, NULL, err);
    }
    int crc = sop_writer_close(w, rc == 0, rc == 0 ? err : &(sop_error){0});
    sop_schema_free(&s);
    sop_record_free(&row);
    return rc != 0 ? rc : crc;
}

/* ---- lineage --------------------------------------------------------------------- */

static bool json_put(sop_buf *b, const char *s) { return sop_buf_put(b, s, strlen(s)); }

static int lineage_line(sop_dedupe *d, golden *g, uint32_t c, sop_buf *b, sop_error *err)
{
    size_t primary = 0, columns = d->schema->count;
    int rc = golden_make(d, g, c, columns, &primary, err);
    if (rc != 0)
        return rc;
    char label[64], num[64];
    cluster_label(d, c, label, sizeof label);
    b->len = 0;
    snprintf(num, sizeof num, ",\"size\":%" PRIu32 ",\"members\":[", d->size[c]);
    bool ok = json_put(b, "{\"cluster_id\":") && sop_buf_json_string(b, label, strlen(label)) &&
              json_put(b, num);
    bool firstm = true;
    for (uint32_t r = d->first[c]; r != UINT32_MAX && ok; r = d->next[r]) {
        const char *file = file_name(d, r);
        snprintf(num, sizeof num, ",\"line\":%ld", d->info[r].line);
        ok = json_put(b, firstm ? "{\"file\":" : ",{\"file\":") &&
             sop_buf_json_string(b, file, strlen(file)) && json_put(b, num);
        if (ok && r < d->masters)
            ok = json_put(b, ",\"master\":true,\"customer_id\":") &&
                 sop_buf_json_string(b, sop_strmap_key(&d->master_ids, d->info[r].mid),
                                     strlen(sop_strmap_key(&d->master_ids, d->info[r].mid)));
        if (ok && r == d->primary[c])
            ok = json_put(b, ",\"primary\":true");
        if (ok && d->best[r] > 0) {
            snprintf(num, sizeof num, ",\"match_score\":%.4f", (double)d->best[r]);
            ok = json_put(b, num);
        }
        ok = ok && json_put(b, "}");
        firstm = false;
    }
    ok = ok && json_put(b, "],\"fields\":{");
    for (size_t col = 0; col < columns && ok; col++) {
        long k = g->src[col];
        const char *name = d->schema->names[col];
        ok = (col == 0 || json_put(b, ",")) && sop_buf_json_string(b, name, strlen(name)) &&
             json_put(b, ":{\"rule\":\"") && json_put(b, sop_dedupe_rule_name(g->rule[col])) &&
             json_put(b, "\"");
        if (ok && k >= 0) {
            const char *file = file_name(d, g->row[k]);
            snprintf(num, sizeof num, ",\"line\":%ld}", d->info[g->row[k]].line);
            ok = json_put(b, ",\"file\":") && sop_buf_json_string(b, file, strlen(file)) &&
                 json_put(b, num);
        } else
            ok = ok && json_put(b, ",\"file\":null,\"line\":null}");
    }
    ok = ok && json_put(b, "}}\n");
    return ok ? 0 : oom(err);
}

static int write_lineage(sop_dedupe *d, sop_error *err)
{
    sop_writer *w;
    sop_writer_opts wo = {.path = d->opts.log, .format = SOP_FMT_JSONL};
    int rc = sop_writer_open(&w, &wo, err);
    if (rc != 0)
        return rc;
    golden g = {0};
    sop_buf b = {0};
    for (uint32_t c = 0; c < d->clusters && rc == 0; c++)
        if (d->size[c] > 0 && (rc = lineage_line(d, &g, c, &b, err)) == 0)
            rc = sop_writer_text(w, b.data, b.len, err);
    golden_free(&g);
    sop_buf_free(&b);
    int crc = sop_writer_close(w, rc == 0, rc == 0 ? err : &(sop_error){0});
    return rc != 0 ? rc : crc;
}

/* ---- --truth ---------------------------------------------------------------------- */

static double choose2(double n) { return n * (n - 1) / 2; }

/* Pairwise precision, recall, F1 of a clustering (cluster per input row)
 * against the truth column. */
static int pairwise(const sop_dedupe *d, const uint32_t *cluster, double *out, double *counts,
                    sop_error *err)
{
    size_t nt = d->truth_values.count;
    double *tsize = calloc(nt + 1, sizeof *tsize), *csize = calloc(d->rows + 1, sizeof *csize);
    sop_idmap cells;
    sop_idmap_init(&cells);
    int rc = 0;
    if (tsize == NULL || csize == NULL)
        rc = oom(err);
    double tp = 0;
    for (size_t r = d->masters; r < d->rows && rc == 0; r++) {
        csize[cluster[r]]++;
        uint32_t t = d->info[r].truth;
        if (t == UINT32_MAX)
            continue;
        tsize[t]++;
        bool added;
        uint64_t key = sop_hash_mix((uint64_t)cluster[r] << 32 | t) | 1;
        int64_t *v = sop_idmap_put(&cells, key, 0, &added);
        if (v == NULL)
            rc = oom(err);
        else
            tp += (double)(*v)++;
    }
    double pred = 0, truth = 0;
    for (size_t i = 0; i < d->rows && rc == 0; i++)
        pred += choose2(csize[i]);
    for (size_t i = 0; i < nt && rc == 0; i++)
        truth += choose2(tsize[i]);
    out[0] = pred > 0 ? tp / pred : 1;
    out[1] = truth > 0 ? tp / truth : 1;
    out[2] = out[0] + out[1] > 0 ? 2 * out[0] * out[1] / (out[0] + out[1]) : 0;
    counts[0] = pred;
    counts[1] = truth;
    counts[2] = tp;
    free(tsize);
    free(csize);
    sop_idmap_free(&cells);
    return rc;
}

/* The naive baseline: records sharing an exact phone, e-mail or company
 * key are one customer, whatever else they say. */
static int baseline(const sop_dedupe *d, uint32_t *cluster, sop_error *err)
{
    sop_idmap seen;
    sop_idmap_init(&seen);
    for (size_t r = 0; r < d->rows; r++)
        cluster[r] = (uint32_t)r;
    int rc = 0;
    for (size_t r = d->masters; r < d->rows && rc == 0; r++)
        for (size_t f = 0; f < d->nf; f++) {
            sop_dedupe_type t = d->cfg->fields[f].type;
            if (t != SOP_DT_PHONE && t != SOP_DT_EMAIL && t != SOP_DT_COMPANY)
                continue;
            size_t len;
            const char *s = sop_dedupe_text(d, r, f, &len);
            if (len == 0)
                continue;
            bool added;
            uint64_t key = sop_idmap_key(s, len) ^ ((uint64_t)f * 0x9E3779B97F4A7C15ull);
            int64_t *v = sop_idmap_put(&seen, key | 1, (int64_t)r, &added);
            if (v == NULL) {
                rc = oom(err);
                break;
            }
            uint32_t x = find(cluster, (uint32_t)r), y = find(cluster, (uint32_t)*v);
            if (x != y)
                cluster[x > y ? x : y] = x < y ? x : y;
        }
    for (size_t r = 0; r < d->rows; r++)
        cluster[r] = find(cluster, (uint32_t)r);
    sop_idmap_free(&seen);
    return rc;
}

static int truth_report(sop_dedupe *d, sop_error *err)
{
    double model[3], base[3], mc[3], bc[3];
    uint32_t *naive = malloc((d->rows + 1) * sizeof *naive);
    if (naive == NULL)
        return oom(err);
    int rc = pairwise(d, d->cluster, model, mc, err);
    if (rc == 0)
        rc = baseline(d, naive, err);
    if (rc == 0)
        rc = pairwise(d, naive, base, bc, err);
    free(naive);
    if (rc != 0)
        return rc;
    fprintf(d->opts.diag, "%s: --truth %s: %zu records, %.0f true pairs\n", d->opts.program,
            d->opts.truth, d->rows - d->masters, mc[1]);
    fprintf(d->opts.diag, "%s:   model:    %.0f pairs, %.0f right: precision %.4f, recall "
            "%.4f, F1 %.4f\n", d->opts.program, mc[0], mc[2], model[0], model[1], model[2]);
    fprintf(d->opts.diag, "%s:   baseline: %.0f pairs, %.0f right: precision %.4f, recall "
            "%.4f, F1 %.4f (records sharing a phone, an e-mail or a company key)\n",
            d->opts.program, bc[0], bc[2], base[0], base[1], base[2]);
    return 0;
}

int sop_dedupe_outputs(sop_dedupe *d, sop_error *err)
{
    int rc = 0;
    if (d->opts.truth)
        rc = truth_report(d, err);
    if (rc == 0 && d->opts.review)
        rc = write_pairs(d, d->opts.review, SOP_FMT_CSV, true, d->opts.explain, err);
    if (rc == 0 && d->opts.log)
        rc = write_lineage(d, err);
    if (rc == 0 && d->opts.mode == SOP_DEDUPE_PAIRS) {
        enum sop_format f = d->cli->out_format == SOP_FMT_AUTO ? SOP_FMT_CSV : d->cli->out_format;
        rc = write_pairs(d, d->cli->output, f, false, d->opts.explain, err);
    }
    if (rc == 0 && d->cli->verbosity > 0) {
        size_t many = 0, input = 0;
        for (size_t c = 0; c < d->clusters; c++) {
            input += d->size[c] > 0;
            many += d->size[c] > 1;
        }
        sop_note(d->opts.diag, d->opts.program, false, "%zu records in %zu clusters (%zu with "
                 "more than one record); %llu candidate pairs compared, %zu scored at least "
                 "review", d->rows - d->masters, input, many, d->candidates, d->pair_count);
    }
    return rc;
}
