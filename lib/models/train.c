#include "train.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "evaluate.h"
#include "text.h"
#include "values.h"
#include "writer.h"

#define MAX_LEVEL_TEXT 256
#define MIN_LEVEL_ROWS 10     /* rarer levels are pooled into "other" */
#define MIN_LEVEL_SHARE 0.01
#define NUMERIC_SHARE 0.9     /* of values that parse as numbers: a numeric column */
#define NUMERIC_DISTINCT 10   /* fewer distinct numbers: treat as categories */
#define BINS 10
#define MAX_ITERATIONS 100

/* ---- a dictionary of one column's (folded) values -------------------- */

typedef struct dict {
    char **text;      /* id - 1 -> text; id 0 is "missing" */
    size_t *count;    /* rows per id, [0] the missing ones */
    size_t n, cap;    /* ids in use, including 0 */
    size_t *slots;    /* hash slots: id, 0 empty */
    size_t mask;
} dict;

static uint64_t hash_text(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static bool dict_init(dict *d)
{
    memset(d, 0, sizeof *d);
    d->cap = 64;
    d->text = calloc(d->cap, sizeof *d->text);
    d->count = calloc(d->cap, sizeof *d->count);
    d->mask = 127;
    d->slots = calloc(d->mask + 1, sizeof *d->slots);
    d->n = 1;
    return d->text && d->count && d->slots;
}

static void dict_free(dict *d)
{
    for (size_t i = 1; i < d->n; i++)
        free(d->text[i]);
    free(d->text);
    free(d->count);
    free(d->slots);
}

static bool dict_grow(dict *d)
{
    size_t cap = d->cap * 2;
    char **text = realloc(d->text, cap * sizeof *text);
    if (text == NULL)
        return false;
    d->text = text;
    size_t *count = realloc(d->count, cap * sizeof *count);
    if (count == NULL)
        return false;
    d->count = count;
    d->cap = cap;
    size_t mask = d->mask * 2 + 1;
    size_t *slots = calloc(mask + 1, sizeof *slots);
    if (slots == NULL)
        return false;
    for (size_t id = 1; id < d->n; id++) {
        size_t k = (size_t)hash_text(d->text[id]) & mask;
        while (slots[k])
            k = (k + 1) & mask;
        slots[k] = id;
    }
    free(d->slots);
    d->slots = slots;
    d->mask = mask;
    return true;
}

/* The id of text (added if new); 0 when out of memory. */
static uint32_t dict_id(dict *d, const char *text)
{
    size_t k = (size_t)hash_text(text) & d->mask;
    for (; d->slots[k]; k = (k + 1) & d->mask)
        if (strcmp(d->text[d->slots[k]], text) == 0)
            return (uint32_t)d->slots[k];
    if (d->n == d->cap || d->n * 2 > d->mask) {
        if (!dict_grow(d))
            return 0;
        return dict_id(d, text);
    }
    if (d->n >= UINT32_MAX || (d->text[d->n] = strdup(text)) == NULL)
        return 0;
    d->count[d->n] = 0;
    d->slots[k] = d->n;
    return (uint32_t)d->n++;
}

/* ---- columns ---------------------------------------------------------- */

enum column_kind { COL_SKIP, COL_CATEGORY, COL_NUMBER };

typedef struct column {
    char *name;
    long col;
    dict values;
    enum column_kind kind;
    char why[160];
    uint32_t *feature_of;  /* value id -> feature index */
    size_t first, features;
    double edges[BINS - 1];
    size_t edge_count;
    bool has_other, has_missing;
    size_t other, missing; /* their feature indices */
    size_t level_count;
    uint32_t *levels;      /* kept category ids, in feature order */
} column;

struct sop_train {
    sop_train_opts opts;
    const sop_cli *cli;
    const char *program;
    FILE *diag;
    sop_label_rule label;
    long label_col;
    column *cols;
    size_t ncols;
    bool bound;
    uint32_t *ids;         /* rows x ncols */
    unsigned char *labels;
    size_t rows, cap;
    char source[256];
};

static const char *const placeholders[] = {"select", "--none--", "--", "请选择", "未知",
                                           "未填写", "unknown", "not set", "none"};

static bool is_placeholder(const char *folded)
{
    for (size_t i = 0; i < sizeof placeholders / sizeof placeholders[0]; i++)
        if (strcmp(folded, placeholders[i]) == 0)
            return true;
    return false;
}

static bool excluded(const sop_train *tr, const char *name)
{
    const char *p = tr->opts.exclude;
    size_t len = strlen(name);
    while (p && *p) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        if (n == len && memcmp(p, name, n) == 0)
            return true;
        p = comma ? comma + 1 : p + n;
    }
    return false;
}

int sop_train_new(sop_train **out, const sop_train_opts *opts, const sop_cli *cli,
                  const char *program, FILE *diag, sop_error *err)
{
    if (opts->label == NULL)
        return sop_error_set(err, SOP_EXIT_USAGE, NULL, 0,
                             "--train needs --label COLUMN (the column that says whether the "
                             "lead converted)");
    if (opts->holdout < 0 || opts->holdout > 0.9)
        return sop_error_set(err, SOP_EXIT_USAGE, NULL, 0,
                             "--holdout must be a fraction from 0 to 0.9");
    if (opts->folds == 1 || opts->folds > 100)
        return sop_error_set(err, SOP_EXIT_USAGE, NULL, 0, "--folds must be from 2 to 100");
    sop_train *tr = calloc(1, sizeof *tr);
    if (tr == NULL)
        return sop_error_set(err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
    tr->opts = *opts;
    if (tr->opts.folds == 0)
        tr->opts.folds = 5;
    tr->cli = cli;
    tr->program = program;
    tr->diag = diag;
    tr->label_col = -1;
    int rc = sop_label_init(&tr->label, opts->positive, err);
    if (rc != 0) {
        free(tr);
        return rc;
    }
    *out = tr;
    return 0;
}

void sop_train_free(sop_train *tr)
{
    if (tr == NULL)
        return;
    for (size_t i = 0; i < tr->ncols; i++) {
        free(tr->cols[i].name);
        dict_free(&tr->cols[i].values);
        free(tr->cols[i].feature_of);
        free(tr->cols[i].levels);
    }
    free(tr->cols);
    free(tr->ids);
    free(tr->labels);
    free(tr);
}

static int bind(void *ctx, const sop_schema *input, sop_error *err)
{
    sop_train *tr = ctx;
    if (input->count == 0)
        return 0;
    tr->label_col = sop_find_column(input, tr->opts.label);
    if (tr->label_col < 0)
        return sop_error_set(err, SOP_EXIT_DATAERR, NULL, 0,
                             "no column \"%s\" (--label) in the input", tr->opts.label);
    const char *p = tr->opts.exclude;
    while (!tr->bound && p && *p && tr->cli->verbosity >= 0) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        char name[256];
        snprintf(name, sizeof name, "%.*s", (int)n, p);
        if (n > 0 && sop_find_column(input, name) < 0)
            fprintf(tr->diag, "%s: note: --exclude %s: no such column\n", tr->program, name);
        p = comma ? comma + 1 : p + n;
    }
    if (tr->bound) { /* JSON Lines keys that appear late are not used */
        return 0;
    }
    tr->bound = true;
    tr->cols = calloc(input->count, sizeof *tr->cols);
    if (tr->cols == NULL)
        return sop_error_set(err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
    for (size_t i = 0; i < input->count; i++) {
        if ((long)i == tr->label_col || excluded(tr, input->names[i]))
            continue;
        column *c = &tr->cols[tr->ncols];
        c->name = strdup(input->names[i]);
        c->col = (long)i;
        if (c->name == NULL || !dict_init(&c->values))
            return sop_error_set(err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
        tr->ncols++;
    }
    return 0;
}

static int record(void *ctx, sop_record *rec, sop_record *extra, sop_error *err)
{
    (void)extra;
    sop_train *tr = ctx;
    int label = sop_label_of(&tr->label, rec, tr->label_col, tr->opts.label, err);
    if (label < 0)
        return label;
    size_t len;
    const char *s;
    if (tr->rows == tr->cap) {
        size_t cap = tr->cap ? tr->cap * 2 : 4096;
        uint32_t *ids = realloc(tr->ids, cap * (tr->ncols ? tr->ncols : 1) * sizeof *ids);
        if (ids == NULL)
            return sop_error_set(err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
        tr->ids = ids;
        unsigned char *labels = realloc(tr->labels, cap);
        if (labels == NULL)
            return sop_error_set(err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
        tr->labels = labels;
        tr->cap = cap;
    }
    if (tr->rows == 0)
        snprintf(tr->source, sizeof tr->source, "%s", rec->file ? rec->file : "");
    uint32_t *row = tr->ids + tr->rows * tr->ncols;
    for (size_t i = 0; i < tr->ncols; i++) {
        column *c = &tr->cols[i];
        unsigned char kind = sop_record_kind(rec, (size_t)c->col);
        s = sop_record_text(rec, (size_t)c->col, &len);
        char folded[MAX_LEVEL_TEXT];
        size_t n = sop_text_fold(s, len, folded, sizeof folded);
        uint32_t id = 0;
        if (kind != SOP_ABSENT && !(kind == SOP_LITERAL && strcmp(s, "null") == 0) &&
            !sop_value_missing(NULL, s, len) && n != (size_t)-1 && n > 0 &&
            !is_placeholder(folded)) {
            id = dict_id(&c->values, folded);
            if (id == 0)
                return sop_error_set(err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
        }
        c->values.count[id]++;
        row[i] = id;
    }
    tr->labels[tr->rows++] = (unsigned char)label;
    return 0;
}

/* ---- typing and features -------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

typedef struct id_text {
    uint32_t id;
    const char *text;
} id_text;

static int cmp_text(const void *a, const void *b)
{
    return strcmp(((const id_text *)a)->text, ((const id_text *)b)->text);
}

/* Numbers: quantile bins over the rows' values (each distinct value
 * weighted by its count). */
static bool type_numeric(column *c, size_t rows, const double *number, const bool *is_number)
{
    size_t numeric_rows = 0, distinct = 0, present = rows - c->values.count[0];
    for (size_t id = 1; id < c->values.n; id++)
        if (is_number[id]) {
            numeric_rows += c->values.count[id];
            distinct++;
        }
    if (present == 0 || (double)numeric_rows < NUMERIC_SHARE * (double)present ||
        distinct < NUMERIC_DISTINCT)
        return false;
    /* weighted quantiles: sort the distinct values, walk the counts */
    double *vals = malloc(distinct * sizeof *vals);
    size_t *cnt = malloc(distinct * sizeof *cnt);
    if (vals == NULL || cnt == NULL) {
        free(vals);
        free(cnt);
        return false;
    }
    size_t k = 0;
    for (size_t id = 1; id < c->values.n; id++)
        if (is_number[id])
            vals[k++] = number[id];
    qsort(vals, distinct, sizeof *vals, cmp_double);
    /* counts per sorted value */
    for (size_t i = 0; i < distinct; i++)
        cnt[i] = 0;
    for (size_t id = 1; id < c->values.n; id++) {
        if (!is_number[id])
            continue;
        double *hit = bsearch(&number[id], vals, distinct, sizeof *vals, cmp_double);
        cnt[hit - vals] += c->values.count[id];
    }
    size_t seen = 0, q = 1;
    c->edge_count = 0;
    for (size_t i = 0; i < distinct && q < BINS; i++) {
        seen += cnt[i];
        while (q < BINS && (double)seen >= (double)numeric_rows * (double)q / BINS) {
            /* the edge as the scorecard will print it (10 significant
             * digits), so the model and the written card bin alike */
            char text[40];
            snprintf(text, sizeof text, "%.10g", i + 1 < distinct ? vals[i + 1] : vals[i]);
            double edge = strtod(text, NULL);
            if (i + 1 < distinct && isfinite(edge) && edge > vals[0] &&
                (c->edge_count == 0 || edge > c->edges[c->edge_count - 1]))
                c->edges[c->edge_count++] = edge;
            q++;
        }
    }
    free(vals);
    free(cnt);
    c->kind = COL_NUMBER;
    return true;
}

/* Assigns the column's features from `next` on; returns false when out
 * of memory.  Sets c->kind, c->why. */
static bool build_features(column *c, size_t rows, size_t *next)
{
    dict *d = &c->values;
    c->feature_of = calloc(d->n, sizeof *c->feature_of);
    double *number = calloc(d->n, sizeof *number);
    bool *is_number = calloc(d->n, sizeof *is_number);
    if (c->feature_of == NULL || number == NULL || is_number == NULL) {
        free(number);
        free(is_number);
        return false;
    }
    for (size_t id = 1; id < d->n; id++)
        is_number[id] = sop_parse_number(d->text[id], strlen(d->text[id]), &number[id]);
    size_t present = rows - d->count[0];
    c->first = *next;
    if (present == 0) {
        c->kind = COL_SKIP;
        snprintf(c->why, sizeof c->why, "always missing");
    } else if (type_numeric(c, rows, number, is_number)) {
        size_t bins = c->edge_count + 1;
        for (size_t id = 1; id < d->n; id++) {
            size_t bin = 0;
            if (!is_number[id]) {
                c->has_missing = true; /* not a number counts as missing */
                continue;
            }
            while (bin < c->edge_count && number[id] >= c->edges[bin])
                bin++;
            c->feature_of[id] = (uint32_t)(c->first + bin);
        }
        c->has_missing = c->has_missing || d->count[0] > 0;
        c->features = bins + (c->has_missing ? 1 : 0);
        c->missing = c->first + bins;
        for (size_t id = 0; id < d->n; id++)
            if (id == 0 || !is_number[id])
                c->feature_of[id] = (uint32_t)c->missing;
        snprintf(c->why, sizeof c->why, "number, %zu bins", bins);
    } else {
        size_t min_rows = (size_t)ceil(MIN_LEVEL_SHARE * (double)rows);
        if (min_rows < MIN_LEVEL_ROWS)
            min_rows = MIN_LEVEL_ROWS;
        size_t kept = 0, pooled = 0;
        for (size_t id = 1; id < d->n; id++)
            d->count[id] >= min_rows ? kept++ : pooled++;
        if (kept == 0 && pooled > 0 && d->n - 1 > 50) {
            c->kind = COL_SKIP;
            snprintf(c->why, sizeof c->why,
                     "%zu distinct values, none in %zu rows or more: an identifier?", d->n - 1,
                     min_rows);
        } else {
            id_text *order = malloc((kept ? kept : 1) * sizeof *order);
            c->levels = malloc((kept ? kept : 1) * sizeof *c->levels);
            if (order == NULL || c->levels == NULL) {
                free(order);
                free(number);
                free(is_number);
                return false;
            }
            size_t k = 0;
            for (size_t id = 1; id < d->n; id++)
                if (d->count[id] >= min_rows)
                    order[k++] = (id_text){(uint32_t)id, d->text[id]};
            qsort(order, kept, sizeof *order, cmp_text); /* the same order every run */
            for (size_t i = 0; i < kept; i++) {
                c->levels[i] = order[i].id;
                c->feature_of[order[i].id] = (uint32_t)(c->first + i);
            }
            free(order);
            c->level_count = kept;
            c->has_other = pooled > 0;
            c->has_missing = d->count[0] > 0;
            c->other = c->first + kept;
            c->missing = c->other + (c->has_other ? 1 : 0);
            c->features = kept + (c->has_other ? 1 : 0) + (c->has_missing ? 1 : 0);
            for (size_t id = 1; id < d->n; id++)
                if (d->count[id] < min_rows)
                    c->feature_of[id] = (uint32_t)c->other;
            c->feature_of[0] = (uint32_t)c->missing;
            c->kind = kept + (c->has_other ? 1 : 0) + (c->has_missing ? 1 : 0) >= 2 ? COL_CATEGORY
                                                                                     : COL_SKIP;
            if (c->kind == COL_SKIP)
                snprintf(c->why, sizeof c->why, "one value only");
            else
                snprintf(c->why, sizeof c->why, "category, %zu levels%s", kept,
                         c->has_other ? " + other" : "");
        }
    }
    free(number);
    free(is_number);
    if (c->kind == COL_SKIP)
        c->features = 0;
    *next += c->features;
    return true;
}

/* ---- the fit ------------------------------------------------------------ */

static double sigmoid(double z)
{
    return z >= 0 ? 1.0 / (1.0 + exp(-z)) : exp(z) / (1.0 + exp(z));
}

/* Solves A x = b for symmetric positive definite A (n x n, lower half
 * used, overwritten) by Cholesky; false when A is not positive definite. */
static bool cholesky_solve(double *a, double *b, size_t n)
{
    for (size_t j = 0; j < n; j++) {
        double sum = a[j * n + j];
        for (size_t k = 0; k < j; k++)
            sum -= a[j * n + k] * a[j * n + k];
        if (!(sum > 0))
            return false;
        double diag = sqrt(sum);
        a[j * n + j] = diag;
        for (size_t i = j + 1; i < n; i++) {
            double v = a[i * n + j];
            for (size_t k = 0; k < j; k++)
                v -= a[i * n + k] * a[j * n + k];
            a[i * n + j] = v / diag;
        }
    }
    for (size_t i = 0; i < n; i++) { /* L y = b */
        double v = b[i];
        for (size_t k = 0; k < i; k++)
            v -= a[i * n + k] * b[k];
        b[i] = v / a[i * n + i];
    }
    for (size_t i = n; i-- > 0;) { /* L^T x = y */
        double v = b[i];
        for (size_t k = i + 1; k < n; k++)
            v -= a[k * n + i] * b[k];
        b[i] = v / a[i * n + i];
    }
    return true;
}

int sop_logistic_fit(const uint32_t *features, size_t rows, size_t k, size_t p,
                     const unsigned char *labels, const unsigned char *use, double l2,
                     double *beta)
{
    size_t d = p + 1;
    double *h = malloc(d * d * sizeof *h);
    double *g = malloc(d * sizeof *g);
    size_t *idx = malloc((k + 1) * sizeof *idx);
    if (h == NULL || g == NULL || idx == NULL) {
        free(h);
        free(g);
        free(idx);
        return -1;
    }
    double pos = 0, n = 0;
    for (size_t r = 0; r < rows; r++)
        if (!use || use[r]) {
            n++;
            pos += labels[r];
        }
    memset(beta, 0, d * sizeof *beta);
    if (n > 0 && pos > 0 && pos < n)
        beta[0] = log(pos / (n - pos)); /* start from the base rate */
    int iter = 0;
    while (iter < MAX_ITERATIONS) {
        iter++;
        memset(h, 0, d * d * sizeof *h);
        memset(g, 0, d * sizeof *g);
        for (size_t r = 0; r < rows; r++) {
            if (use && !use[r])
                continue;
            const uint32_t *f = features + r * k;
            double z = beta[0];
            idx[0] = 0;
            for (size_t j = 0; j < k; j++) {
                idx[j + 1] = (size_t)f[j] + 1;
                z += beta[idx[j + 1]];
            }
            double mu = sigmoid(z);
            double w = mu * (1 - mu);
            if (w < 1e-12)
                w = 1e-12;
            double resid = labels[r] - mu;
            for (size_t a = 0; a <= k; a++) {
                size_t ia = idx[a];
                g[ia] += resid;
                double *row = h + ia * d;
                for (size_t b = 0; b <= k; b++)
                    if (idx[b] <= ia)
                        row[idx[b]] += w;
            }
        }
        for (size_t j = 1; j < d; j++) { /* the penalty; none on the intercept */
            g[j] -= l2 * beta[j];
            h[j * d + j] += l2;
        }
        if (!(h[0] > 0)) /* no rows */
            break;
        if (!cholesky_solve(h, g, d)) {
            iter = -2;
            break;
        }
        double step = 0;
        for (size_t j = 0; j < d; j++)
            if (fabs(g[j]) > step)
                step = fabs(g[j]);
        double scale = step > 5 ? 5 / step : 1; /* damp wild first steps */
        for (size_t j = 0; j < d; j++)
            beta[j] += scale * g[j];
        if (step < 1e-9)
            break;
    }
    free(h);
    free(g);
    free(idx);
    return iter;
}

/* ---- splitting, scoring ------------------------------------------------ */

static uint64_t splitmix(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* A seeded permutation of 0..n-1 (Fisher-Yates). */
static size_t *permutation(size_t n, uint64_t seed)
{
    size_t *perm = malloc((n ? n : 1) * sizeof *perm);
    if (perm == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++)
        perm[i] = i;
    uint64_t state = seed;
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)(splitmix(&state) % i);
        size_t t = perm[i - 1];
        perm[i - 1] = perm[j];
        perm[j] = t;
    }
    return perm;
}

static double predict(const double *beta, const uint32_t *f, size_t k)
{
    double z = beta[0];
    for (size_t j = 0; j < k; j++)
        z += beta[(size_t)f[j] + 1];
    return z;
}

/* AUC of the model on the rows where pick[r] == want. */
static double auc_on(const double *beta, const uint32_t *x, size_t rows, size_t k,
                     const unsigned char *labels, const unsigned char *pick, unsigned char want)
{
    size_t n = 0;
    for (size_t r = 0; r < rows; r++)
        n += pick[r] == want;
    double *score = malloc((n ? n : 1) * sizeof *score);
    unsigned char *lab = malloc(n ? n : 1);
    if (score == NULL || lab == NULL) {
        free(score);
        free(lab);
        return NAN;
    }
    size_t i = 0;
    for (size_t r = 0; r < rows; r++)
        if (pick[r] == want) {
            score[i] = predict(beta, x + r * k, k);
            lab[i++] = labels[r];
        }
    double auc = sop_auc(score, lab, n);
    free(score);
    free(lab);
    return auc;
}

/* ---- the scorecard ----------------------------------------------------- */

static double tidy(double v)
{
    return round(v * 1e6) / 1e6; /* readable, and the same text every run */
}

static json_t *outcome(double points, const char *label)
{
    json_t *o = json_object();
    json_object_set_new(o, "points", json_real(tidy(points)));
    json_object_set_new(o, "label", json_string(label));
    return o;
}

static json_t *rule(json_t *when, double points, const char *label)
{
    json_t *r = json_object();
    json_object_set_new(r, "when", when);
    json_object_set_new(r, "points", json_real(tidy(points)));
    json_object_set_new(r, "label", json_string(label));
    return r;
}

static json_t *indicator_json(const column *c, const double *beta)
{
    json_t *ind = json_object();
    json_object_set_new(ind, "name", json_string(c->name));
    json_object_set_new(ind, "column", json_string(c->name));
    json_object_set_new(ind, "points", json_real(0));
    json_t *rules = json_array();
    double missing = c->has_missing ? beta[c->missing + 1] : 0;
    if (c->kind == COL_NUMBER) {
        for (size_t b = 0; b <= c->edge_count; b++) {
            json_t *when = json_object();
            char label[128];
            if (b > 0)
                json_object_set_new(when, "min", json_real(c->edges[b - 1]));
            if (b < c->edge_count)
                json_object_set_new(when, "max", json_real(c->edges[b]));
            if (b == 0)
                snprintf(label, sizeof label, "under %.10g", c->edges[0]);
            else if (b == c->edge_count)
                snprintf(label, sizeof label, "%.10g or more", c->edges[b - 1]);
            else
                snprintf(label, sizeof label, "%.10g to under %.10g", c->edges[b - 1],
                         c->edges[b]);
            json_array_append_new(rules, rule(when, beta[c->first + b + 1], label));
        }
        json_object_set_new(ind, "rules", rules);
        json_object_set_new(ind, "default", outcome(missing, "not a number"));
    } else {
        for (size_t i = 0; i < c->level_count; i++) {
            const char *text = c->values.text[c->levels[i]];
            json_t *when = json_object();
            json_object_set_new(when, "equals", json_string(text));
            json_array_append_new(rules, rule(when, beta[c->first + i + 1], text));
        }
        json_object_set_new(ind, "rules", rules);
        json_object_set_new(ind, "default",
                            outcome(c->has_other ? beta[c->other + 1] : 0, "other (rare or new)"));
    }
    json_object_set_new(ind, "missing", outcome(missing, "missing"));
    return ind;
}

/* Grades by the fitted scores of the training rows: A the top 10%, B the
 * next 20%, C the next 30%, D the rest; hot = A. */
static json_t *grades_json(double *scores, size_t n, double *hot)
{
    qsort(scores, n, sizeof *scores, cmp_double);
    static const struct { const char *grade; double top; } bands[] = {
        {"A", 0.10}, {"B", 0.30}, {"C", 0.60}};
    json_t *grades = json_array();
    double last = 101;
    for (size_t i = 0; i < 3; i++) {
        size_t at = n ? (size_t)((1.0 - bands[i].top) * (double)n) : 0;
        if (at >= n)
            at = n ? n - 1 : 0;
        double min = n ? floor(scores[at] * 10) / 10 : 0;
        if (min >= last)
            min = last - 0.1;
        if (min <= 0)
            break;
        if (i == 0)
            *hot = min;
        json_t *g = json_object();
        json_object_set_new(g, "grade", json_string(bands[i].grade));
        json_object_set_new(g, "min", json_real(min));
        json_array_append_new(grades, g);
        last = min;
    }
    json_t *d = json_object();
    json_object_set_new(d, "grade", json_string("D"));
    json_object_set_new(d, "min", json_real(0));
    json_array_append_new(grades, d);
    return grades;
}

/* A level that almost only converted and holds most conversions is more
 * likely written after the outcome (a stage, a contract number) than a
 * cause: say so. */
static void warn_leaks(const sop_train *tr, const column *c, const uint32_t *x, size_t k,
                       size_t col_index, size_t positives)
{
    for (size_t f = 0; f < c->features; f++) {
        size_t n = 0, pos = 0;
        for (size_t r = 0; r < tr->rows; r++)
            if (x[r * k + col_index] == c->first + f) {
                n++;
                pos += tr->labels[r];
            }
        if (n >= 10 && (double)pos >= 0.98 * (double)n && (double)pos >= 0.5 * (double)positives)
            fprintf(tr->diag,
                    "%s: warning: column %s looks like a leak: %zu rows share one value and "
                    "%.1f%% of them converted (%.0f%% of all conversions); if it is recorded "
                    "after the outcome, leave it out with --exclude %s\n",
                    tr->program, c->name, n, 100.0 * (double)pos / (double)n,
                    100.0 * (double)pos / (double)positives, c->name);
    }
}

static int write_card(const sop_train *tr, json_t *card, sop_error *err)
{
    char *text = sop_json_text(card, 2, 10);
    if (text == NULL)
        return sop_error_set(err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
    sop_writer_opts wo = {.path = tr->cli->output, .format = SOP_FMT_CSV}; /* text only */
    sop_writer *w;
    int rc = sop_writer_open(&w, &wo, err);
    if (rc == 0) {
        rc = sop_writer_text(w, text, strlen(text), err);
        if (rc == 0)
            rc = sop_writer_text(w, "\n", 1, err);
        int crc = sop_writer_close(w, rc == 0, err);
        if (rc == 0)
            rc = crc;
    }
    free(text);
    return rc;
}

/* ---- the run ------------------------------------------------------------ */

typedef struct fit_data {
    uint32_t *x;           /* rows x k feature indices */
    size_t k, p;
    size_t *used;          /* k column indices into tr->cols */
} fit_data;

static int prepare(sop_train *tr, fit_data *fd, sop_error *err)
{
    size_t next = 0;
    fd->used = calloc(tr->ncols ? tr->ncols : 1, sizeof *fd->used);
    if (fd->used == NULL)
        return sop_error_set(err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
    for (size_t i = 0; i < tr->ncols; i++) {
        if (!build_features(&tr->cols[i], tr->rows, &next))
            return sop_error_set(err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
        if (tr->cols[i].kind != COL_SKIP)
            fd->used[fd->k++] = i;
    }
    fd->p = next;
    if (fd->k == 0)
        return sop_error_set(err, SOP_EXIT_DATAERR, NULL, 0,
                             "no column to learn from: every column is excluded, constant, "
                             "always missing or an identifier");
    fd->x = malloc(tr->rows * fd->k * sizeof *fd->x);
    if (fd->x == NULL)
        return sop_error_set(err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
    for (size_t r = 0; r < tr->rows; r++)
        for (size_t j = 0; j < fd->k; j++) {
            const column *c = &tr->cols[fd->used[j]];
            fd->x[r * fd->k + j] = c->feature_of[tr->ids[r * tr->ncols + fd->used[j]]];
        }
    return 0;
}

/* Mean AUC over the folds of the training rows (split 0) for one
 * penalty; each fold's AUC appended to aucs.  NaN when no fold had both
 * classes. */
static double cross_validate(const sop_train *tr, const fit_data *fd, const unsigned char *split,
                             const unsigned char *fold, unsigned char *use, double *beta,
                             double l2, json_t *aucs, int *rc, sop_error *err)
{
    double sum = 0;
    unsigned done = 0;
    for (unsigned f = 0; f < tr->opts.folds && *rc == 0; f++) {
        for (size_t r = 0; r < tr->rows; r++)
            use[r] = !split[r] && fold[r] != f;
        int iterations = sop_logistic_fit(fd->x, tr->rows, fd->k, fd->p, tr->labels, use, l2, beta);
        if (iterations < 0) {
            *rc = iterations == -1
                      ? sop_error_set(err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory")
                      : sop_error_set(err, SOP_EXIT_DATAERR, NULL, 0,
                                      "the fit is singular; a larger --l2 makes it solvable");
            break;
        }
        for (size_t r = 0; r < tr->rows; r++)
            use[r] = split[r] ? 2 : (fold[r] == f ? 1 : 0);
        double auc = auc_on(beta, fd->x, tr->rows, fd->k, tr->labels, use, 1);
        json_array_append_new(aucs, isnan(auc) ? json_null() : json_real(tidy(auc)));
        if (!isnan(auc)) {
            sum += auc;
            done++;
        }
    }
    return done ? sum / done : NAN;
}

static int train_run(sop_train *tr, sop_error *err)
{
    size_t positives = 0;
    for (size_t r = 0; r < tr->rows; r++)
        positives += tr->labels[r];
    if (tr->rows == 0)
        return sop_error_set(err, SOP_EXIT_DATAERR, NULL, 0, "no labelled rows to train on");
    if (positives == 0 || positives == tr->rows)
        return sop_error_set(err, SOP_EXIT_DATAERR, NULL, 0,
                             "the label column %s has one class only (all %zu rows %s); "
                             "training needs converted and not converted leads",
                             tr->opts.label, tr->rows, positives ? "converted" : "not converted");
    fit_data fd = {0};
    unsigned char *split = calloc(tr->rows, 1); /* 0 train, 1 holdout */
    unsigned char *fold = calloc(tr->rows, 1);
    unsigned char *use = calloc(tr->rows, 1);
    size_t *perm = permutation(tr->rows, tr->opts.seed);
    double *beta = NULL, *scores = NULL;
    json_t *card = NULL;
    int rc = (split && fold && use && perm) ? prepare(tr, &fd, err)
                                            : sop_error_set(err, SOP_EXIT_SOFTWARE, NULL, 0,
                                                            "out of memory");
    if (rc == 0 && ((beta = calloc(fd.p + 1, sizeof *beta)) == NULL ||
                    (scores = malloc(tr->rows * sizeof *scores)) == NULL))
        rc = sop_error_set(err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
    if (rc != 0)
        goto done;
    size_t held = (size_t)floor(tr->opts.holdout * (double)tr->rows);
    for (size_t i = 0; i < tr->rows; i++) {
        split[perm[i]] = i < held;
        fold[perm[i]] = (unsigned char)((i - (i < held ? 0 : held)) % tr->opts.folds);
    }
    /* k-fold cross-validation on the training part; without --l2, for each
     * penalty of a small grid, keeping the one that ranks best */
    static const double grid[] = {1, 10, 100};
    bool auto_l2 = tr->opts.l2 < 0;
    size_t tries = auto_l2 ? sizeof grid / sizeof grid[0] : 1;
    json_t *fold_aucs = NULL, *grid_aucs = json_object();
    double cv = NAN, l2 = auto_l2 ? grid[0] : tr->opts.l2;
    for (size_t t = 0; t < tries && rc == 0; t++) {
        double lambda = auto_l2 ? grid[t] : tr->opts.l2;
        json_t *aucs = json_array();
        double mean = cross_validate(tr, &fd, split, fold, use, beta, lambda, aucs, &rc, err);
        char key[32];
        snprintf(key, sizeof key, "%g", lambda);
        json_object_set_new(grid_aucs, key, isnan(mean) ? json_null() : json_real(tidy(mean)));
        if (t == 0 || (!isnan(mean) && (isnan(cv) || mean > cv + 1e-4))) {
            cv = mean;
            l2 = lambda;
            json_decref(fold_aucs);
            fold_aucs = aucs;
        } else {
            json_decref(aucs);
        }
    }
    /* the final model: every training row */
    for (size_t r = 0; r < tr->rows; r++)
        use[r] = !split[r];
    int iterations = rc == 0 ? sop_logistic_fit(fd.x, tr->rows, fd.k, fd.p, tr->labels, use, l2,
                                                beta)
                             : 0;
    if (rc == 0 && iterations == -1)
        rc = sop_error_set(err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
    else if (rc == 0 && iterations < 0)
        rc = sop_error_set(err, SOP_EXIT_DATAERR, NULL, 0, "the fit is singular; a larger --l2 "
                                                           "makes it solvable");
    for (size_t j = 0; rc == 0 && j <= fd.p; j++)
        if (!isfinite(beta[j]))
            rc = sop_error_set(err, SOP_EXIT_SOFTWARE, NULL, 0, "the fit did not converge");
    if (rc != 0) {
        json_decref(fold_aucs);
        json_decref(grid_aucs);
        goto done;
    }
    size_t train_positives = 0;
    for (size_t r = 0; r < tr->rows; r++)
        if (!split[r])
            train_positives += tr->labels[r];
    double holdout_auc = held ? auc_on(beta, fd.x, tr->rows, fd.k, tr->labels, split, 1) : NAN;
    size_t n_train = 0;
    for (size_t r = 0; r < tr->rows; r++)
        if (!split[r])
            scores[n_train++] = 100 * sigmoid(predict(beta, fd.x + r * fd.k, fd.k));
    double hot = 85;
    json_t *grades = grades_json(scores, n_train, &hot);

    card = json_object();
    char name[320];
    snprintf(name, sizeof name, "trained on %s", tr->source);
    json_object_set_new(card, "name", json_string(name));
    json_object_set_new(card, "link", json_string("logistic"));
    json_object_set_new(card, "intercept", json_real(tidy(beta[0])));
    json_object_set_new(card, "hot_threshold", json_real(hot));
    json_object_set_new(card, "grades", grades);
    /* what training read as missing, the card must read as missing too */
    json_t *missing = json_array();
    sop_missing_set defaults;
    sop_missing_default(&defaults);
    for (size_t i = 0; i < defaults.count; i++)
        json_array_append_new(missing, json_string(defaults.marker[i]));
    for (size_t i = 0; i < sizeof placeholders / sizeof placeholders[0]; i++)
        json_array_append_new(missing, json_string(placeholders[i]));
    json_object_set_new(card, "missing_values", missing);
    json_t *inds = json_array();
    json_t *columns = json_object();
    for (size_t i = 0; i < tr->ncols; i++) {
        const column *c = &tr->cols[i];
        json_object_set_new(columns, c->name, json_string(c->kind == COL_SKIP ? "" : c->why));
        if (c->kind == COL_SKIP) {
            json_object_set_new(columns, c->name, json_string(c->why));
            if (tr->cli->verbosity >= 0)
                fprintf(tr->diag, "%s: note: column %s not used: %s\n", tr->program, c->name,
                        c->why);
            continue;
        }
        json_array_append_new(inds, indicator_json(c, beta));
    }
    json_object_set_new(card, "indicators", inds);
    json_t *training = json_object();
    json_object_set_new(training, "label", json_string(tr->opts.label));
    json_object_set_new(training, "rows", json_integer((json_int_t)(tr->rows - held)));
    json_object_set_new(training, "converted", json_integer((json_int_t)train_positives));
    json_object_set_new(training, "features", json_integer((json_int_t)fd.p));
    json_object_set_new(training, "l2", json_real(l2));
    if (auto_l2)
        json_object_set_new(training, "cv_auc_by_l2", grid_aucs);
    else
        json_decref(grid_aucs);
    json_object_set_new(training, "seed", json_integer((json_int_t)tr->opts.seed));
    json_object_set_new(training, "iterations", json_integer(iterations));
    json_object_set_new(training, "folds", json_integer((json_int_t)tr->opts.folds));
    json_object_set_new(training, "cv_auc", isnan(cv) ? json_null() : json_real(tidy(cv)));
    json_object_set_new(training, "cv_auc_by_fold", fold_aucs);
    if (held) {
        json_object_set_new(training, "holdout_rows", json_integer((json_int_t)held));
        json_object_set_new(training, "holdout_auc",
                            isnan(holdout_auc) ? json_null() : json_real(tidy(holdout_auc)));
    }
    json_object_set_new(training, "columns", columns);
    json_object_set_new(card, "training", training);

    for (size_t j = 0; j < fd.k; j++)
        warn_leaks(tr, &tr->cols[fd.used[j]], fd.x, fd.k, j, positives);
    rc = write_card(tr, card, err);
    if (rc == 0 && tr->cli->verbosity >= 0) {
        fprintf(tr->diag, "%s: trained on %zu rows (%zu converted), %zu features, l2 %g: "
                          "%u-fold cross-validated AUC %.3f",
                tr->program, tr->rows - held, train_positives, fd.p, l2, tr->opts.folds, cv);
        if (held)
            fprintf(tr->diag, ", holdout AUC %.3f on %zu rows", holdout_auc, held);
        fprintf(tr->diag, "\n");
    }
done:
    json_decref(card);
    free(fd.x);
    free(fd.used);
    free(split);
    free(fold);
    free(use);
    free(perm);
    free(beta);
    free(scores);
    return rc;
}

static int finish(void *ctx, sop_error *err)
{
    return train_run(ctx, err);
}

void sop_train_model(sop_train *tr, sop_stream_model *model)
{
    model->ctx = tr;
    model->added = NULL;
    model->bind = bind;
    model->record = record;
    model->finish = finish;
    model->consumes = true;
}
