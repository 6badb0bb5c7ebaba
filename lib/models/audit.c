/* followup-audit's model: checks, per-lead/deal/rep aggregates, reports. */
#include "audit.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "reader.h"
#include "report.h"
#include "strmap.h"
#include "text.h"
#include "values.h"
#include "idmap.h"
#include "words.h"
#include "writer.h"

/* ---- config ----------------------------------------------------------- */

static const char *const field_names[] = {"goal", "objection", "next_step", "next_due",
                                          "docs", "duration_min", NULL};
static const char *const deadline_stages[SOP_AUDIT_DEADLINES] = {
    "need_discovery", "solution_match", "demo", "objection", "quote", "negotiation"};

#define AT(field) offsetof(sop_audit_config, field)
static const sop_cfg_field config_fields[] = {
    {"record.required", SOP_CFG_SET, AT(required), 0, 0, field_names},
    {"record.objection_stage_needs_objection", SOP_CFG_BOOL,
     AT(objection_stage_needs_objection), 0, 0, NULL},
    {"record.quote_docs", SOP_CFG_STRING, AT(quote_docs), 0, 0, NULL},
    {"record.proposal_docs", SOP_CFG_STRING, AT(proposal_docs), 0, 0, NULL},
    {"record.contract_docs", SOP_CFG_STRING, AT(contract_docs), 0, 0, NULL},
    {"stages", SOP_CFG_STRING, AT(stages), 0, 0, NULL},
    {"closed_stages", SOP_CFG_STRING, AT(closed_stages), 0, 0, NULL},
    {"stale.days", SOP_CFG_NUMBER, AT(stale_days), 0.5, 3660, NULL},
    {"sla.owner_column", SOP_CFG_STRING, AT(owner_column), 0, 0, NULL},
    {"sla.start_column", SOP_CFG_STRING, AT(start_column), 0, 0, NULL},
    {"stage_days.need_discovery", SOP_CFG_NUMBER, AT(stage_days[0]), 0, 3660, NULL},
    {"stage_days.solution_match", SOP_CFG_NUMBER, AT(stage_days[1]), 0, 3660, NULL},
    {"stage_days.demo", SOP_CFG_NUMBER, AT(stage_days[2]), 0, 3660, NULL},
    {"stage_days.objection", SOP_CFG_NUMBER, AT(stage_days[3]), 0, 3660, NULL},
    {"stage_days.quote", SOP_CFG_NUMBER, AT(stage_days[4]), 0, 3660, NULL},
    {"stage_days.negotiation", SOP_CFG_NUMBER, AT(stage_days[5]), 0, 3660, NULL},
    {"stage_review.streak", SOP_CFG_COUNT, AT(streak), 1, 1000, NULL},
    {"stage_review.window_days", SOP_CFG_NUMBER, AT(review_days), 1, 36600, NULL},
    {"coaching.time_stage", SOP_CFG_STRING, AT(coach_time_stage), 0, 0, NULL},
    {"coaching.time_above_team", SOP_CFG_NUMBER, AT(coach_time_above), 0, 1000, NULL},
    {"coaching.completion_stage", SOP_CFG_STRING, AT(coach_done_stage), 0, 0, NULL},
    {"coaching.completion_below", SOP_CFG_NUMBER, AT(coach_done_below), 0, 1, NULL},
    {"coaching.min_activities", SOP_CFG_COUNT, AT(coach_min_activities), 1, 1e9, NULL},
    {"heatmap.hot_factor", SOP_CFG_NUMBER, AT(hot_factor), 1, 1000, NULL},
    {"heatmap.cold_factor", SOP_CFG_NUMBER, AT(cold_factor), 0, 1, NULL},
};
#undef AT
#define FIELDS (sizeof config_fields / sizeof config_fields[0])

void sop_audit_config_default(sop_audit_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->required = 1u << SOP_AF_GOAL | 1u << SOP_AF_NEXT_STEP;
    cfg->objection_stage_needs_objection = true;
    snprintf(cfg->quote_docs, sizeof cfg->quote_docs, "报价,quot");
    snprintf(cfg->proposal_docs, sizeof cfg->proposal_docs, "方案,proposal");
    snprintf(cfg->contract_docs, sizeof cfg->contract_docs, "合同,contract");
    snprintf(cfg->stages, sizeof cfg->stages,
             "need_discovery,solution_match,demo,objection,quote,negotiation");
    snprintf(cfg->closed_stages, sizeof cfg->closed_stages, "close,won,lost");
    cfg->stale_days = 30;
    /* the article's node: the first call within 2 hours of assignment */
    cfg->node_count = 1;
    sop_audit_node *first = &cfg->nodes[0];
    snprintf(first->name, sizeof first->name, "first_call");
    first->trigger = SOP_TRIGGER_ASSIGNED;
    snprintf(first->actions, sizeof first->actions, "call");
    first->deadline_hours = 2;
    snprintf(cfg->owner_column, sizeof cfg->owner_column, "owner");
    snprintf(cfg->start_column, sizeof cfg->start_column, "assigned_at");
    static const double days[SOP_AUDIT_DEADLINES] = {14, 14, 7, 14, 7, 21};
    memcpy(cfg->stage_days, days, sizeof days);
    cfg->streak = 3;
    cfg->review_days = 30;
    snprintf(cfg->coach_time_stage, sizeof cfg->coach_time_stage, "need_discovery");
    cfg->coach_time_above = 2.0;
    snprintf(cfg->coach_done_stage, sizeof cfg->coach_done_stage, "solution_match");
    cfg->coach_done_below = 0.4;
    cfg->coach_min_activities = 5;
    cfg->hot_factor = 1.5;
    cfg->cold_factor = 0.5;
}

char *sop_audit_config_json(const sop_audit_config *cfg)
{
    json_t *root = sop_cfg_to_object(config_fields, FIELDS, cfg), *nodes = json_array();
    bool ok = root && nodes && json_object_set(root, "nodes", nodes) == 0;
    for (size_t i = 0; ok && i < cfg->node_count; i++) {
        const sop_audit_node *n = &cfg->nodes[i];
        char trigger[80];
        if (n->trigger == SOP_TRIGGER_ASSIGNED)
            snprintf(trigger, sizeof trigger, "assigned");
        else
            snprintf(trigger, sizeof trigger, "%s:%s",
                     n->trigger == SOP_TRIGGER_STAGE ? "stage" : "after", n->trigger_arg);
        json_t *o = json_object();
        ok = o && json_array_append_new(nodes, o) == 0 &&
             json_object_set_new(o, "name", json_string(n->name)) == 0 &&
             json_object_set_new(o, "trigger", json_string(trigger)) == 0 &&
             json_object_set_new(o, "actions", json_string(n->actions)) == 0 &&
             json_object_set_new(o, "deadline_hours", json_real(n->deadline_hours)) == 0 &&
             (!n->deliverable[0] ||
              json_object_set_new(o, "deliverable", json_string(n->deliverable)) == 0) &&
             json_object_set_new(o, "owner", json_string(n->supervisor ? "supervisor" : "rep")) == 0;
    }
    char *text = ok ? sop_cfg_dump(root) : NULL;
    json_decref(nodes);
    json_decref(root);
    return text;
}

bool sop_audit_report_parse(const char *name, enum sop_audit_report *out)
{
    static const char *const names[] = {"todos", "records", "heatmap", "coaching", "summary"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(name, names[i]) == 0) {
            *out = (enum sop_audit_report)i;
            return true;
        }
    return false;
}

/* ---- folded word lists ------------------------------------------------ */

enum { WORD_LEN = SOP_WORD_LEN };

static int node_error(sop_error *err, const char *origin, size_t i, const char *what)
{
    return sop_error_set(err, SOP_EXIT_CONFIG, origin, 0, "nodes[%zu]: %s", i, what);
}

static int copy_text(json_t *v, char *out, size_t cap)
{
    if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) >= cap)
        return -1;
    snprintf(out, cap, "%s", json_string_value(v));
    return 0;
}

/* "nodes": [{"name", "trigger", "actions", "deadline_hours", "deliverable",
 * "owner"}, ...] */
static int parse_nodes(json_t *list, const char *origin, sop_audit_config *cfg, sop_error *err)
{
    if (!json_is_array(list) || json_array_size(list) > SOP_AUDIT_NODES)
        return sop_error_set(err, SOP_EXIT_CONFIG, origin, 0, "nodes: wants a list of at most "
                             "%d action nodes", SOP_AUDIT_NODES);
    cfg->node_count = 0;
    size_t i;
    json_t *o;
    json_array_foreach(list, i, o) {
        sop_audit_node *n = &cfg->nodes[i];
        memset(n, 0, sizeof *n);
        static const char *const keys[] = {"name", "trigger", "actions", "deadline_hours",
                                           "deliverable", "owner", NULL};
        const char *key;
        json_t *v;
        if (!json_is_object(o))
            return node_error(err, origin, i, "wants an object");
        json_object_foreach(o, key, v) {
            size_t k = 0;
            while (keys[k] && strcmp(keys[k], key) != 0)
                k++;
            if (keys[k] == NULL) {
                char msg[128];
                snprintf(msg, sizeof msg, "unknown key \"%.60s\"", key);
                return node_error(err, origin, i, msg);
            }
        }
        if (copy_text(json_object_get(o, "name"), n->name, sizeof n->name) != 0)
            return node_error(err, origin, i, "name: wants a non-empty string");
        for (size_t j = 0; j < i; j++)
            if (strcmp(cfg->nodes[j].name, n->name) == 0)
                return node_error(err, origin, i, "name: two nodes of that name");
        char trigger[128];
        if (copy_text(json_object_get(o, "trigger"), trigger, sizeof trigger) != 0)
            trigger[0] = '\0';
        if (strcmp(trigger, "assigned") == 0) {
            n->trigger = SOP_TRIGGER_ASSIGNED;
        } else if (strncmp(trigger, "stage:", 6) == 0 && trigger[6] &&
                   strlen(trigger + 6) < sizeof n->trigger_arg) {
            n->trigger = SOP_TRIGGER_STAGE;
            memcpy(n->trigger_arg, trigger + 6, strlen(trigger + 6) + 1); /* fits: checked */
        } else if (strncmp(trigger, "after:", 6) == 0 && trigger[6]) {
            n->trigger = SOP_TRIGGER_AFTER;
            size_t j = 0;
            while (j < i && strcmp(cfg->nodes[j].name, trigger + 6) != 0)
                j++;
            if (j == i)
                return node_error(err, origin, i, "trigger: after:NODE names an earlier node");
            _Static_assert(sizeof n->trigger_arg == sizeof cfg->nodes[j].name, "a node name fits");
            memcpy(n->trigger_arg, cfg->nodes[j].name, sizeof n->trigger_arg);
        } else {
            return node_error(err, origin, i, "trigger: wants \"assigned\", \"stage:STAGE\" or "
                              "\"after:NODE\"");
        }
        json_t *actions = json_object_get(o, "actions");
        if (json_is_array(actions)) {
            size_t k;
            json_t *a;
            size_t used = 0;
            json_array_foreach(actions, k, a) {
                if (!json_is_string(a) || used + json_string_length(a) + 2 >= sizeof n->actions)
                    return node_error(err, origin, i, "actions: wants action names");
                used += (size_t)snprintf(n->actions + used, sizeof n->actions - used, "%s%s",
                                         k ? "," : "", json_string_value(a));
            }
            if (used == 0)
                return node_error(err, origin, i, "actions: wants at least one action");
        } else if (copy_text(actions, n->actions, sizeof n->actions) != 0) {
            return node_error(err, origin, i, "actions: wants a list of action names");
        }
        if (strspn(n->actions, ", ") == strlen(n->actions))
            return node_error(err, origin, i, "actions: wants at least one action");
        json_t *hours = json_object_get(o, "deadline_hours");
        if (!json_is_number(hours) || !(json_number_value(hours) > 0) ||
            json_number_value(hours) > 87600)
            return node_error(err, origin, i, "deadline_hours: wants a number above 0");
        n->deadline_hours = json_number_value(hours);
        json_t *deliverable = json_object_get(o, "deliverable");
        if (deliverable && copy_text(deliverable, n->deliverable, sizeof n->deliverable) != 0)
            return node_error(err, origin, i, "deliverable: wants a field name or docs:WORD,...");
        if (n->deliverable[0] && strncmp(n->deliverable, "docs:", 5) != 0) {
            size_t f = 0;
            while (field_names[f] && strcmp(field_names[f], n->deliverable) != 0)
                f++;
            if (field_names[f] == NULL)
                return node_error(err, origin, i, "deliverable: wants goal, objection, "
                                  "next_step, next_due, docs, duration_min or docs:WORD,...");
        }
        json_t *owner = json_object_get(o, "owner");
        const char *role = json_is_string(owner) ? json_string_value(owner) : owner ? "" : "rep";
        if (strcmp(role, "rep") != 0 && strcmp(role, "supervisor") != 0)
            return node_error(err, origin, i, "owner: wants rep or supervisor");
        n->supervisor = strcmp(role, "supervisor") == 0;
        cfg->node_count++;
    }
    return 0;
}

int sop_audit_config_load(const char *path, sop_audit_config *cfg, sop_error *err)
{
    sop_audit_config_default(cfg);
    int rc = 0;
    if (path) {
        json_t *root = sop_cfg_read_file(path, err);
        if (root == NULL)
            return err->status;
        json_t *nodes = json_object_get(root, "nodes");
        if (nodes) {
            rc = parse_nodes(nodes, path, cfg, err);
            json_object_del(root, "nodes");
        }
        if (rc == 0)
            rc = sop_cfg_apply(root, path, config_fields, FIELDS, cfg, err);
        json_decref(root);
    }
    if (rc != 0)
        return rc;
    /* the coaching rule names stages of the process */
    sop_words *stages = malloc(sizeof *stages);
    if (stages == NULL)
        return sop_error_set(err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
    sop_words_parse(stages, cfg->stages);
    const char *key = NULL, *value = NULL;
    char folded[64];
    size_t n = sop_text_fold(cfg->coach_time_stage, strlen(cfg->coach_time_stage), folded,
                             sizeof folded);
    if (n == (size_t)-1 || sop_words_find(stages, folded) < 0) {
        key = "coaching.time_stage";
        value = cfg->coach_time_stage;
    } else if ((n = sop_text_fold(cfg->coach_done_stage, strlen(cfg->coach_done_stage), folded,
                                  sizeof folded)) == (size_t)-1 ||
               sop_words_find(stages, folded) < 0) {
        key = "coaching.completion_stage";
        value = cfg->coach_done_stage;
    }
    for (size_t k = 0; key == NULL && k < cfg->node_count; k++) {
        const sop_audit_node *node = &cfg->nodes[k];
        if (node->trigger != SOP_TRIGGER_STAGE)
            continue;
        n = sop_text_fold(node->trigger_arg, strlen(node->trigger_arg), folded, sizeof folded);
        if (n != (size_t)-1)
            sop_canonical_stage(folded, sizeof folded);
        if (n == (size_t)-1 || sop_words_find(stages, folded) < 0) {
            key = "nodes: trigger";
            value = node->trigger_arg;
        }
    }
    free(stages);
    if (key)
        return sop_error_set(err, SOP_EXIT_CONFIG, path, 0, "%s: \"%s\" is not one of the stages "
                             "(%s)", key, value, cfg->stages);
    return 0;
}

/* ---- the record checker ----------------------------------------------- */

enum { COL_GOAL, COL_OBJECTION, COL_NEXT_STEP, COL_NEXT_DUE, COL_DOCS, COL_DURATION,
       COL_ACTION, COL_STAGE, COLS };
static const char *const col_names[COLS] = {"goal",   "objection", "next_step", "next_due",
                                            "docs",   "duration_min", "action", "stage"};

struct sop_audit_checker {
    const sop_audit_config *cfg;
    long col[COLS];
    sop_words quote, proposal, contract;
};

int sop_audit_checker_new(sop_audit_checker **out, const sop_audit_config *cfg, sop_error *err)
{
    sop_audit_checker *c = calloc(1, sizeof *c);
    if (c == NULL)
        return sop_error_set(err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
    c->cfg = cfg;
    for (int i = 0; i < COLS; i++)
        c->col[i] = -1;
    sop_words_parse(&c->quote, cfg->quote_docs);
    sop_words_parse(&c->proposal, cfg->proposal_docs);
    sop_words_parse(&c->contract, cfg->contract_docs);
    *out = c;
    return 0;
}

void sop_audit_checker_bind(sop_audit_checker *c, const sop_schema *schema)
{
    for (int i = 0; i < COLS; i++)
        c->col[i] = sop_find_column(schema, col_names[i]);
}

void sop_audit_checker_free(sop_audit_checker *c)
{
    free(c);
}

static bool present(const sop_record *rec, long col)
{
    size_t len;
    const char *s = sop_record_trimmed(rec, col, &len);
    return len > 0 && !sop_value_missing(NULL, s, len);
}

static bool note_missing(sop_buf *b, const char *what)
{
    if (b == NULL)
        return true;
    return (b->len == 0 || sop_buf_put(b, ";", 1)) && sop_buf_put(b, what, strlen(what));
}

/* The folded value of a column (empty when unreadable or too long). */
static void folded_field(const sop_record *rec, long col, char *out, size_t cap)
{
    size_t len;
    const char *s = sop_record_trimmed(rec, col, &len);
    size_t n = len < cap ? sop_text_fold(s, len, out, cap) : (size_t)-1;
    if (n == (size_t)-1)
        out[0] = '\0';
}

/* The check; the record's canonical action and stage go to action and
 * stage (64 bytes each) for the caller. */
static bool check_record(const sop_audit_checker *c, const sop_record *rec, sop_buf *missing,
                         char *action, char *stage)
{
    const sop_audit_config *cfg = c->cfg;
    if (missing)
        missing->len = 0;
    bool complete = true;
    for (int f = 0; f < SOP_AF_COUNT; f++) {
        if (!(cfg->required >> f & 1u))
            continue;
        bool ok = present(rec, c->col[f]);
        if (ok && f == SOP_AF_DURATION) {
            size_t len;
            const char *s = sop_record_trimmed(rec, c->col[f], &len);
            double v;
            ok = sop_parse_number(s, len, &v) && v >= 0;
        }
        if (!ok) {
            complete = false;
            note_missing(missing, field_names[f]);
        }
    }
    char docs[512];
    folded_field(rec, c->col[COL_ACTION], action, 64);
    folded_field(rec, c->col[COL_STAGE], stage, 64);
    sop_canonical_action(action, 64);
    sop_canonical_stage(stage, 64);
    if (cfg->objection_stage_needs_objection && strcmp(stage, "objection") == 0 &&
        !(cfg->required >> SOP_AF_OBJECTION & 1u) && !present(rec, c->col[COL_OBJECTION])) {
        complete = false;
        note_missing(missing, "objection (stage objection)");
    }
    const sop_words *need = NULL;
    const char *what = NULL;
    if (strcmp(action, "quote") == 0) {
        need = &c->quote;
        what = "docs (a quote document)";
    } else if (strcmp(action, "proposal") == 0) {
        need = &c->proposal;
        what = "docs (a proposal document)";
    } else if (strcmp(action, "contract") == 0) {
        need = &c->contract;
        what = "docs (a contract document)";
    }
    bool docs_noted = (cfg->required >> SOP_AF_DOCS & 1u) && !present(rec, c->col[COL_DOCS]);
    if (need && need->count > 0 && !docs_noted) {
        folded_field(rec, c->col[COL_DOCS], docs, sizeof docs);
        if (!sop_words_in(need, docs)) {
            complete = false;
            note_missing(missing, what);
        }
    }
    if (missing && !sop_buf_put(missing, "", 1))
        return complete;
    if (missing)
        missing->len--;
    return complete;
}

bool sop_audit_check(const sop_audit_checker *c, const sop_record *rec, sop_buf *missing)
{
    char action[64], stage[64];
    return check_record(c, rec, missing, action, stage);
}

/* ---- the audit --------------------------------------------------------- */

enum { STAGES_MAX = SOP_WORDS_MAX };

typedef struct rep_info {
    long team;            /* into a->teams, -1: none */
    long supervisor;      /* rep index, -1: none */
    char *supervisor_id;  /* as written (may not be a rep of the file) */
    bool listed;          /* in --reps */
    unsigned long activities, complete, customers;
} rep_info;

typedef struct cell {
    unsigned long activities, timed, promises, done;
    double minutes;
} cell;

typedef struct lead_info {
    bool listed;           /* in --leads */
    long owner;            /* rep, -1 */
    int64_t start;         /* assignment, INT64_MIN: none */
    int64_t last_at;       /* INT64_MIN: no activity */
    char *last_id;         /* activity_id of the last activity (ties) */
    size_t last_id_cap, step_cap;
    long last_rep;
    long last_deal;
    long worked_by[2];     /* the first reps who worked the lead (more: in a->pairs) */
    bool has_step, done, closed;
    int64_t due;           /* INT64_MIN: none */
    char *step;
} lead_info;

typedef struct deal_info {
    int64_t first[STAGES_MAX];  /* entered each stage (first event or activity), INT64_MAX: none */
    long rep[STAGES_MAX];
    int64_t closed_at;          /* won or lost, INT64_MAX: open */
    bool from_events;           /* the stage times come from --events */
} deal_info;

typedef struct todo {
    int type;
    int64_t due;
    double overdue_hours;
    long lead, deal, rep;
    long notify[2];
    char *reason;
} todo;

enum { T_SLA_MISSED, T_SLA_LATE, T_STALE, T_PROMISE, T_STAGE_REVIEW };
static const char *const todo_types[] = {"sla_missed", "sla_late", "stale", "promise_overdue",
                                         "stage_review"};

struct sop_audit {
    const sop_audit_config *cfg;
    sop_audit_opts opts;
    const sop_cli *cli;
    int64_t now;
    sop_tz tz;
    sop_audit_checker *checker;
    sop_words stages, closed;
    /* the action nodes */
    sop_words node_actions[SOP_AUDIT_NODES], node_docs[SOP_AUDIT_NODES];
    long node_field[SOP_AUDIT_NODES];   /* deliverable field, or -1 */
    long node_stage[SOP_AUDIT_NODES];   /* stage trigger: its stage */
    long node_after[SOP_AUDIT_NODES];   /* after trigger: the node */
    size_t nodes;
    int64_t *node_done;                 /* leads x nodes: when done, INT64_MAX: not */
    int64_t *lead_stage;                /* leads x stages: first activity in it */
    size_t lead_slots;                  /* leads the two arrays have room for */
    long deadline_of[STAGES_MAX]; /* stage -> its deadline in days, or -1 */
    sop_strmap reps, teams, leads, deals, pairs;
    rep_info *rep;
    size_t rep_cap;
    lead_info *lead;
    size_t lead_cap;
    deal_info *deal;
    size_t deal_cap;
    cell *cells;                  /* rep x stage, grown with the reps */
    size_t cells_reps;
    sop_idmap seen;               /* activity_ids */
    long col_id, col_lead, col_deal, col_rep, col_at, col_due, col_done, col_step, col_action,
        col_stage, col_duration;
    sop_outputs out;
    sop_buf missing;
    todo *todos;
    size_t todo_count, todo_cap;
    bool leads_have_sla;          /* --leads has the owner and assignment columns */
};

static int oom(sop_error *err)
{
    return sop_error_set(err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
}

static bool grow(void **p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return true;
    size_t n = *cap ? *cap * 2 : 64;
    while (n < need)
        n *= 2;
    void *q = realloc(*p, n * size);
    if (q == NULL)
        return false;
    memset((char *)q + *cap * size, 0, (n - *cap) * size);
    *p = q;
    *cap = n;
    return true;
}

/* The arrays beside each map grow before the map does: a failed
 * allocation must never leave an entry without its row. */
static long rep_index(sop_audit *a, const char *id, size_t len)
{
    size_t next = a->reps.count + 1;
    if (!grow((void **)&a->rep, &a->rep_cap, next, sizeof *a->rep))
        return -1;
    size_t stages = a->stages.count ? a->stages.count : 1;
    if (next > a->cells_reps) {
        size_t n = a->cells_reps ? a->cells_reps * 2 : 64;
        cell *c = realloc(a->cells, n * stages * sizeof *c);
        if (c == NULL)
            return -1;
        memset(c + a->cells_reps * stages, 0, (n - a->cells_reps) * stages * sizeof *c);
        a->cells = c;
        a->cells_reps = n;
    }
    bool added;
    long e = sop_strmap_put(&a->reps, id, len, &added);
    if (e >= 0 && added) {
        a->rep[e].team = -1;
        a->rep[e].supervisor = -1;
    }
    return e;
}

static long lead_index(sop_audit *a, const char *id, size_t len, bool *added)
{
    *added = false;
    size_t next = a->leads.count + 1;
    if (!grow((void **)&a->lead, &a->lead_cap, next, sizeof *a->lead))
        return -1;
    if (next > a->lead_slots) {
        size_t n = a->lead_slots ? a->lead_slots * 2 : 1024;
        size_t per_node = a->nodes ? a->nodes : 1, per_stage = a->stages.count ? a->stages.count : 1;
        int64_t *done = realloc(a->node_done, n * per_node * sizeof *done);
        if (done == NULL)
            return -1;
        a->node_done = done;
        int64_t *stage = realloc(a->lead_stage, n * per_stage * sizeof *stage);
        if (stage == NULL)
            return -1;
        a->lead_stage = stage;
        for (size_t i = a->lead_slots * per_node; i < n * per_node; i++)
            done[i] = INT64_MAX;
        for (size_t i = a->lead_slots * per_stage; i < n * per_stage; i++)
            stage[i] = INT64_MAX;
        a->lead_slots = n;
    }
    long e = sop_strmap_put(&a->leads, id, len, added);
    if (e >= 0 && *added) {
        lead_info *l = &a->lead[e];
        l->owner = l->last_rep = l->last_deal = l->worked_by[0] = l->worked_by[1] = -1;
        l->start = l->last_at = l->due = INT64_MIN;
    }
    return e;
}

static long deal_index(sop_audit *a, const char *id, size_t len)
{
    if (!grow((void **)&a->deal, &a->deal_cap, a->deals.count + 1, sizeof *a->deal))
        return -1;
    bool added;
    long e = sop_strmap_put(&a->deals, id, len, &added);
    if (e >= 0 && added) {
        deal_info *d = &a->deal[e];
        for (size_t s = 0; s < STAGES_MAX; s++) {
            d->first[s] = INT64_MAX;
            d->rep[s] = -1;
        }
        d->closed_at = INT64_MAX;
    }
    return e;
}

/* ---- side files ---------------------------------------------------------- */

typedef int (*side_row_fn)(sop_audit *a, const sop_record *rec, const long *col,
                           const char *file, sop_error *err);

typedef struct side_call {
    sop_audit *a;
    side_row_fn row;
} side_call;

static int side_row(void *ctx, sop_side *side, sop_error *err)
{
    side_call *c = ctx;
    return c->row(c->a, &side->rec, side->col, side->file, err);
}

/* Reads every row of a side file; a bad row is an error naming the line. */
static int read_side(sop_audit *a, const char *path, const char *const *names,
                     const bool *required, size_t ncol, side_row_fn row, sop_error *err)
{
    side_call c = {a, row};
    return sop_side_each(path, a->cli, 0, names, required, ncol, side_row, NULL, &c, err);
}

static int rep_row(sop_audit *a, const sop_record *rec, const long *col, const char *file,
                   sop_error *err)
{
    size_t len, tlen, slen;
    const char *id = sop_record_trimmed(rec, col[0], &len);
    if (len == 0)
        return sop_error_set(err, SOP_EXIT_DATAERR, file, rec->line, "empty rep_id");
    size_t before = a->reps.count;
    long e = rep_index(a, id, len);
    if (e < 0)
        return oom(err);
    if (a->rep[e].listed || (size_t)e < before)
        return sop_error_set(err, SOP_EXIT_DATAERR, file, rec->line, "duplicate rep_id %.*s",
                             (int)len, id);
    a->rep[e].listed = true;
    const char *team = sop_record_trimmed(rec, col[1], &tlen);
    if (tlen > 0) {
        bool added;
        a->rep[e].team = sop_strmap_put(&a->teams, team, tlen, &added);
        if (a->rep[e].team < 0)
            return oom(err);
    }
    const char *sup = sop_record_trimmed(rec, col[2], &slen);
    if (slen > 0 && (a->rep[e].supervisor_id = strndup(sup, slen)) == NULL)
        return oom(err);
    return 0;
}

static int lead_row(sop_audit *a, const sop_record *rec, const long *col, const char *file,
                    sop_error *err)
{
    size_t len, olen, slen;
    const char *id = sop_record_trimmed(rec, col[0], &len);
    if (len == 0)
        return sop_error_set(err, SOP_EXIT_DATAERR, file, rec->line, "empty lead_id");
    bool added;
    long e = lead_index(a, id, len, &added);
    if (e < 0)
        return oom(err);
    if (!added)
        return sop_error_set(err, SOP_EXIT_DATAERR, file, rec->line, "duplicate lead_id %.*s",
                             (int)len, id);
    lead_info *l = &a->lead[e];
    l->listed = true;
    a->leads_have_sla = col[1] >= 0 && col[2] >= 0;
    const char *owner = sop_record_trimmed(rec, col[1], &olen);
    const char *start = sop_record_trimmed(rec, col[2], &slen);
    if (olen > 0 && !sop_value_missing(NULL, owner, olen)) {
        if ((l->owner = rep_index(a, owner, olen)) < 0)
            return oom(err);
        if (slen > 0 && !sop_value_missing(NULL, start, slen) &&
            !sop_parse_time(start, slen, &a->tz, true, &l->start))
            return sop_error_set(err, SOP_EXIT_DATAERR, file, rec->line,
                                 "%s \"%.*s\" is not a time", a->cfg->start_column,
                                 (int)(slen > 40 ? 40 : slen), start);
    }
    return 0;
}

static int event_row(sop_audit *a, const sop_record *rec, const long *col, const char *file,
                     sop_error *err)
{
    size_t len, slen, alen, rlen, olen;
    const char *id = sop_record_trimmed(rec, col[0], &len);
    if (len == 0)
        return sop_error_set(err, SOP_EXIT_DATAERR, file, rec->line, "empty deal_id");
    const char *stage_s = sop_record_trimmed(rec, col[1], &slen);
    const char *at_s = sop_record_trimmed(rec, col[2], &alen);
    const char *rep_s = sop_record_trimmed(rec, col[3], &rlen);
    const char *outcome = sop_record_trimmed(rec, col[4], &olen);
    int64_t at;
    if (!sop_parse_time(at_s, alen, &a->tz, true, &at))
        return sop_error_set(err, SOP_EXIT_DATAERR, file, rec->line, "at \"%.*s\" is not a time",
                             (int)(alen > 40 ? 40 : alen), at_s);
    long deal = deal_index(a, id, len);
    long rep = rlen > 0 ? rep_index(a, rep_s, rlen) : -1;
    if (deal < 0 || (rlen > 0 && rep < 0))
        return oom(err);
    deal_info *d = &a->deal[deal];
    d->from_events = true;
    char stage[WORD_LEN], out[WORD_LEN];
    size_t n = slen < WORD_LEN ? sop_text_fold(stage_s, slen, stage, sizeof stage) : (size_t)-1;
    if (n == (size_t)-1)
        stage[0] = '\0';
    sop_canonical_stage(stage, sizeof stage);
    n = olen < WORD_LEN ? sop_text_fold(outcome, olen, out, sizeof out) : (size_t)-1;
    if (n == (size_t)-1)
        out[0] = '\0';
    sop_canonical_stage(out, sizeof out);
    bool closes = strcmp(out, "won") == 0 || strcmp(out, "lost") == 0 ||
                  sop_words_find(&a->closed, stage) >= 0;
    long s = sop_words_find(&a->stages, stage);
    if (closes) {
        if (at < d->closed_at)
            d->closed_at = at;
    } else if (s >= 0 && at < d->first[s]) {
        d->first[s] = at;
        d->rep[s] = rep;
    }
    return 0;
}

/* supervisor ids become rep numbers once every rep is known */
static int link_supervisors(sop_audit *a)
{
    size_t n = a->reps.count;
    for (size_t e = 0; e < n; e++) {
        const char *sup = a->rep[e].supervisor_id;
        if (sup == NULL)
            continue;
        /* a supervisor without a row of their own is still told */
        long s = rep_index(a, sup, strlen(sup));
        if (s < 0)
            return -1;
        a->rep[e].supervisor = s;
    }
    return 0;
}

int sop_audit_new(sop_audit **out, const sop_audit_config *cfg, const sop_cli *cli,
                  const sop_audit_opts *opts, sop_error *err)
{
    sop_audit *a = calloc(1, sizeof *a);
    if (a == NULL)
        return oom(err);
    *out = a;
    a->cfg = cfg;
    a->opts = *opts;
    a->cli = cli;
    a->now = sop_cli_now(cli);
    a->tz = cli->tz;
    sop_strmap_init(&a->reps);
    sop_strmap_init(&a->teams);
    sop_strmap_init(&a->leads);
    sop_strmap_init(&a->deals);
    sop_strmap_init(&a->pairs);
    sop_words_parse(&a->stages, cfg->stages);
    sop_words_parse(&a->closed, cfg->closed_stages);
    a->nodes = cfg->node_count;
    for (size_t k = 0; k < a->nodes; k++) {
        const sop_audit_node *n = &cfg->nodes[k];
        sop_words_parse(&a->node_actions[k], n->actions);
        for (size_t w = 0; w < a->node_actions[k].count; w++)
            sop_canonical_action(a->node_actions[k].word[w], WORD_LEN);
        a->node_field[k] = -1;
        a->node_docs[k].count = 0;
        if (strncmp(n->deliverable, "docs:", 5) == 0)
            sop_words_parse(&a->node_docs[k], n->deliverable + 5);
        else
            for (long f = 0; n->deliverable[0] && field_names[f]; f++)
                if (strcmp(field_names[f], n->deliverable) == 0)
                    a->node_field[k] = f;
        a->node_stage[k] = a->node_after[k] = -1;
        if (n->trigger == SOP_TRIGGER_STAGE) {
            char st[WORD_LEN];
            size_t len = sop_text_fold(n->trigger_arg, strlen(n->trigger_arg), st, sizeof st);
            if (len != (size_t)-1) {
                sop_canonical_stage(st, WORD_LEN);
                a->node_stage[k] = sop_words_find(&a->stages, st);
            }
            /* sop_audit_config_load made sure of it */
        }
        for (size_t j = 0; n->trigger == SOP_TRIGGER_AFTER && j < k; j++)
            if (strcmp(cfg->nodes[j].name, n->trigger_arg) == 0)
                a->node_after[k] = (long)j;
    }
    for (size_t s = 0; s < a->stages.count; s++) {
        a->deadline_of[s] = -1;
        for (int d = 0; d < SOP_AUDIT_DEADLINES; d++)
            if (strcmp(a->stages.word[s], deadline_stages[d]) == 0 && cfg->stage_days[d] > 0)
                a->deadline_of[s] = d;
    }
    static const char *const added[] = {"complete", "missing"};
    int rc = sop_outputs_init(&a->out, added, 2, err);
    if (rc == 0)
        rc = sop_audit_checker_new(&a->checker, cfg, err);
    if (rc == 0 && opts->reps_path) {
        static const char *const names[] = {"rep_id", "team", "supervisor_id"};
        static const bool req[] = {true, false, false};
        rc = read_side(a, opts->reps_path, names, req, 3, rep_row, err);
    }
    if (rc == 0 && opts->events_path) {
        static const char *const names[] = {"deal_id", "stage", "at", "rep_id", "outcome"};
        static const bool req[] = {true, true, true, false, false};
        rc = read_side(a, opts->events_path, names, req, 5, event_row, err);
    }
    if (rc == 0 && opts->leads_path) {
        const char *names[] = {"lead_id", cfg->owner_column, cfg->start_column};
        static const bool req[] = {true, false, false};
        rc = read_side(a, opts->leads_path, names, req, 3, lead_row, err);
        if (rc == 0 && a->leads.count > 0 && !a->leads_have_sla && opts->diag && !opts->quiet)
            fprintf(opts->diag, "%s: note: %s has no %s and %s columns: the action nodes due "
                    "after assignment (the first call) are not checked (pipe the leads through "
                    "lead-assign)\n", opts->program,
                    sop_display_name(opts->leads_path), cfg->owner_column, cfg->start_column);
    }
    if (rc == 0 && link_supervisors(a) != 0)
        rc = oom(err);
    return rc;
}

void sop_audit_free(sop_audit *a)
{
    if (a == NULL)
        return;
    for (size_t e = 0; e < a->reps.count; e++)
        free(a->rep[e].supervisor_id);
    for (size_t e = 0; e < a->leads.count; e++) {
        free(a->lead[e].step);
        free(a->lead[e].last_id);
    }
    for (size_t t = 0; t < a->todo_count; t++)
        free(a->todos[t].reason);
    free(a->todos);
    free(a->rep);
    free(a->lead);
    free(a->deal);
    free(a->cells);
    sop_idmap_free(&a->seen);
    free(a->node_done);
    free(a->lead_stage);
    sop_strmap_free(&a->reps);
    sop_strmap_free(&a->teams);
    sop_strmap_free(&a->leads);
    sop_strmap_free(&a->deals);
    sop_strmap_free(&a->pairs);
    sop_outputs_free(&a->out);
    sop_buf_free(&a->missing);
    sop_audit_checker_free(a->checker);
    free(a);
}

/* ---- the stream ---------------------------------------------------------- */

static int bind(void *ctx, const sop_schema *input, sop_error *err)
{
    sop_audit *a = ctx;
    sop_audit_checker_bind(a->checker, input);
    a->col_id = sop_find_column(input, "activity_id");
    a->col_lead = sop_find_column(input, "lead_id");
    a->col_deal = sop_find_column(input, "deal_id");
    a->col_rep = sop_find_column(input, "rep_id");
    a->col_at = sop_find_column(input, "at");
    a->col_due = sop_find_column(input, "next_due");
    a->col_done = sop_find_column(input, "next_done");
    a->col_step = sop_find_column(input, "next_step");
    a->col_action = sop_find_column(input, "action");
    a->col_stage = sop_find_column(input, "stage");
    a->col_duration = sop_find_column(input, "duration_min");
    const char *need = a->col_lead < 0 ? "lead_id" : a->col_rep < 0 ? "rep_id"
                       : a->col_at < 0 ? "at" : NULL;
    if (input->count > 0 && need)
        return sop_error_set(err, SOP_EXIT_DATAERR, NULL, 0, "the activities have no %s column",
                             need);
    return a->opts.report == SOP_AUDIT_RECORDS ? sop_outputs_bind(&a->out, input, err) : 0;
}

/* An activity_id seen before?  Adds it.  64-bit hashes: two different ids
 * colliding is a chance of about n^2 / 2^65 (1e-7 for a million). */
static int seen_before(sop_audit *a, const char *id, size_t len, bool *dup)
{
    bool added;
    if (sop_idmap_put(&a->seen, sop_idmap_key(id, len), 0, &added) == NULL)
        return -1;
    *dup = !added;
    return 0;
}

#define SHOW(len) (int)((len) > 40 ? 40 : (len))

/* Copies s into *buf, reusing it when it is big enough (a lead's last
 * activity changes with nearly every record). */
static bool keep_text(char **buf, size_t *cap, const char *s, size_t len)
{
    if (len + 1 > *cap) {
        size_t n = len + 1 < 32 ? 32 : len + 1;
        char *p = realloc(*buf, n);
        if (p == NULL)
            return false;
        *buf = p;
        *cap = n;
    }
    memcpy(*buf, s, len);
    (*buf)[len] = '\0';
    return true;
}


static int record(void *ctx, sop_record *rec, sop_record *extra, sop_error *err)
{
    sop_audit *a = ctx;
    size_t id_len, lead_len, rep_len, at_len, due_len, done_len;
    const char *id = sop_record_trimmed(rec, a->col_id, &id_len);
    const char *lead_id = sop_record_trimmed(rec, a->col_lead, &lead_len);
    const char *rep_id = sop_record_trimmed(rec, a->col_rep, &rep_len);
    const char *at_s = sop_record_trimmed(rec, a->col_at, &at_len);
    if (lead_len == 0 || sop_value_missing(NULL, lead_id, lead_len))
        return sop_stream_reject(err, "no lead_id");
    if (rep_len == 0 || sop_value_missing(NULL, rep_id, rep_len))
        return sop_stream_reject(err, "no rep_id");
    int64_t at, due = INT64_MIN;
    if (!sop_parse_time(at_s, at_len, &a->tz, true, &at))
        return sop_stream_reject(err, "at \"%.*s\" is not a time", SHOW(at_len), at_s);
    const char *due_s = sop_record_trimmed(rec, a->col_due, &due_len);
    if (due_len > 0 && !sop_value_missing(NULL, due_s, due_len)) {
        bool has_time;
        if (!sop_parse_time_of_day(due_s, due_len, &a->tz, true, &due, &has_time))
            return sop_stream_reject(err, "next_due \"%.*s\" is not a time", SHOW(due_len), due_s);
        if (!has_time) /* a date alone is due at the end of that day */
            due += 86399;
        if (due < at)
            return sop_stream_reject(err, "next_due %.*s is before the activity (%.*s)", SHOW(due_len),
                          due_s, SHOW(at_len), at_s);
    }
    const char *done_s = sop_record_trimmed(rec, a->col_done, &done_len);
    bool done = false;
    if (done_len > 0 && !sop_value_missing(NULL, done_s, done_len) &&
        !sop_parse_bool(done_s, done_len, &done))
        return sop_stream_reject(err, "next_done \"%.*s\" is not yes or no", SHOW(done_len), done_s);
    long rep = sop_strmap_find(&a->reps, rep_id, rep_len);
    if (a->opts.reps_path && (rep < 0 || !a->rep[rep].listed))
        return sop_stream_reject(err, "rep %.*s is not in %s", SHOW(rep_len), rep_id,
                      sop_display_name(a->opts.reps_path));
    uint64_t lead_hash = sop_strmap_hash(lead_id, lead_len);
    long lead = sop_strmap_find_hashed(&a->leads, lead_id, lead_len, lead_hash);
    if (a->opts.leads_path && lead < 0)
        return sop_stream_reject(err, "lead %.*s is not in %s", SHOW(lead_len), lead_id,
                      sop_display_name(a->opts.leads_path));
    if (id_len > 0) {
        bool dup;
        if (seen_before(a, id, id_len, &dup) != 0)
            return oom(err);
        if (dup)
            return sop_stream_reject(err, "duplicate activity_id %.*s", SHOW(id_len), id);
    }
    /* the record is good: count it */
    if (rep < 0 && (rep = rep_index(a, rep_id, rep_len)) < 0)
        return oom(err);
    bool added;
    if (lead < 0 && (lead = lead_index(a, lead_id, lead_len, &added)) < 0)
        return oom(err);
    char action[64], stage[64];
    bool complete = check_record(a->checker, rec, &a->missing, action, stage);
    a->rep[rep].activities++;
    a->rep[rep].complete += complete;
    long s = sop_words_find(&a->stages, stage);
    bool closing = sop_words_find(&a->closed, stage) >= 0;
    size_t step_len;
    const char *step = sop_record_trimmed(rec, a->col_step, &step_len);
    bool has_step = step_len > 0 && !sop_value_missing(NULL, step, step_len);
    if (s >= 0) {
        cell *c = &a->cells[(size_t)rep * a->stages.count + (size_t)s];
        c->activities++;
        size_t dlen;
        const char *d = sop_record_trimmed(rec, a->col_duration, &dlen);
        double minutes;
        if (dlen > 0 && sop_parse_number(d, dlen, &minutes) && minutes >= 0) {
            c->timed++;
            c->minutes += minutes;
        }
        if (has_step) {
            c->promises++;
            c->done += done;
        }
    }
    /* customers touched: a lead counts once for each rep who worked it
     * (nearly always one or two; beyond, a map of the pairs) */
    lead_info *l = &a->lead[lead];
    if (l->worked_by[0] != rep && l->worked_by[1] != rep) {
        added = true;
        if (l->worked_by[0] < 0)
            l->worked_by[0] = rep;
        else if (l->worked_by[1] < 0)
            l->worked_by[1] = rep;
        else {
            uint32_t pair[2] = {(uint32_t)rep, (uint32_t)lead};
            if (sop_strmap_put(&a->pairs, (const char *)pair, sizeof pair, &added) < 0)
                return oom(err);
        }
        a->rep[rep].customers += added;
    }
    if (s >= 0 && at < a->lead_stage[(size_t)lead * a->stages.count + (size_t)s])
        a->lead_stage[(size_t)lead * a->stages.count + (size_t)s] = at;
    for (size_t k = 0; k < a->nodes; k++) {
        int64_t *done_at = &a->node_done[(size_t)lead * a->nodes + k];
        if (at >= *done_at || sop_words_find(&a->node_actions[k], action) < 0)
            continue;
        /* after the assignment only: a call before it was not this owner's */
        if (a->cfg->nodes[k].trigger == SOP_TRIGGER_ASSIGNED &&
            (l->start == INT64_MIN || at < l->start))
            continue;
        if (a->node_field[k] >= 0 && !present(rec, a->checker->col[a->node_field[k]]))
            continue;
        if (a->node_docs[k].count > 0) {
            char docs[512];
            folded_field(rec, a->checker->col[COL_DOCS], docs, sizeof docs);
            if (!sop_words_in(&a->node_docs[k], docs))
                continue;
        }
        *done_at = at;
    }
    /* the last activity (by time, then activity_id) holds the current promise */
    bool later = l->last_at == INT64_MIN || at > l->last_at ||
                 (at == l->last_at && id_len > 0 && l->last_id &&
                  (strlen(l->last_id) != id_len ? strlen(l->last_id) < id_len
                                                : memcmp(l->last_id, id, id_len) < 0));
    long deal = -1;
    size_t deal_len;
    const char *deal_id = sop_record_trimmed(rec, a->col_deal, &deal_len);
    if (deal_len > 0 && !sop_value_missing(NULL, deal_id, deal_len) &&
        (deal = deal_index(a, deal_id, deal_len)) < 0)
        return oom(err);
    if (later) {
        l->last_at = at;
        if (!keep_text(&l->last_id, &l->last_id_cap, id, id_len))
            return oom(err);
        l->last_rep = rep;
        l->last_deal = deal;
        l->has_step = has_step;
        l->done = done;
        l->closed = closing; /* a later follow-up reopens the customer */
        l->due = due;
        if (!keep_text(&l->step, &l->step_cap, step, has_step ? step_len : 0))
            return oom(err);
    }
    if (deal >= 0) {
        deal_info *d = &a->deal[deal];
        if (s >= 0 && !d->from_events && at < d->first[s]) {
            d->first[s] = at;
            d->rep[s] = rep;
        }
        if (closing && !d->from_events && at < d->closed_at)
            d->closed_at = at;
    }
    if (a->opts.report == SOP_AUDIT_RECORDS) {
        const char *m = a->missing.data ? a->missing.data : "";
        if (!sop_outputs_put(&a->out, 0, rec, extra, complete ? "true" : "false",
                             complete ? 4 : 5, SOP_LITERAL) ||
            !sop_outputs_put(&a->out, 1, rec, extra, m, a->missing.len, SOP_TEXT))
            return oom(err);
    }
    return 0;
}

/* ---- to-dos ---------------------------------------------------------------- */

static int add_todo(sop_audit *a, int type, long lead, long deal, long rep, int64_t due,
                    int64_t until, const char *reason)
{
    if (!grow((void **)&a->todos, &a->todo_cap, a->todo_count + 1, sizeof *a->todos))
        return -1;
    todo *t = &a->todos[a->todo_count];
    t->type = type;
    t->lead = lead;
    t->deal = deal;
    t->rep = rep;
    t->due = due;
    t->overdue_hours = (double)(until - due) / 3600.0;
    /* the rep and the rep's supervisor; a stage review goes to the supervisor */
    long sup = rep >= 0 ? a->rep[rep].supervisor : -1;
    t->notify[0] = type == T_STAGE_REVIEW && sup >= 0 ? sup : rep;
    t->notify[1] = (type == T_STALE || type == T_SLA_MISSED || type == T_SLA_LATE) ? sup : -1;
    if ((t->reason = strdup(reason)) == NULL)
        return -1;
    a->todo_count++;
    return 0;
}

static void day_text(int64_t at, const sop_tz *tz, char *buf, size_t size)
{
    sop_format_day(sop_local_day(at, tz), buf, size);
}

static const char *rep_name(const sop_audit *a, long rep)
{
    return rep >= 0 ? sop_strmap_key(&a->reps, (size_t)rep) : "";
}

static void time_text(const sop_audit *a, int64_t at, char *buf, size_t size)
{
    sop_format_time(at, &a->tz, buf, size);
}

/* The action nodes of one lead: not done by their deadline (missed) or
 * done after it (late). */
static int node_todos(sop_audit *a, size_t e)
{
    const lead_info *l = &a->lead[e];
    for (size_t k = 0; k < a->nodes; k++) {
        const sop_audit_node *n = &a->cfg->nodes[k];
        int64_t start = INT64_MIN, done = a->node_done[e * a->nodes + k];
        char what[160];
        if (n->trigger == SOP_TRIGGER_ASSIGNED) {
            if (l->owner < 0 || l->start == INT64_MIN)
                continue;
            start = l->start;
            char t[40];
            time_text(a, start, t, sizeof t);
            snprintf(what, sizeof what, "the lead was assigned to %s at %s",
                     rep_name(a, l->owner), t);
        } else if (n->trigger == SOP_TRIGGER_STAGE) {
            start = a->lead_stage[e * a->stages.count + (size_t)a->node_stage[k]];
            if (start == INT64_MAX)
                continue;
            char t[40];
            time_text(a, start, t, sizeof t);
            snprintf(what, sizeof what, "the customer entered %s at %s",
                     a->stages.word[a->node_stage[k]], t);
        } else {
            start = a->node_done[e * a->nodes + (size_t)a->node_after[k]];
            if (start == INT64_MAX)
                continue;
            char t[40];
            time_text(a, start, t, sizeof t);
            snprintf(what, sizeof what, "%s was done at %s", n->trigger_arg, t);
        }
        bool deal_closed = l->last_deal >= 0 && a->deal[l->last_deal].closed_at != INT64_MAX;
        if (n->trigger != SOP_TRIGGER_ASSIGNED && (l->closed || deal_closed))
            continue; /* a closed customer owes nothing more */
        int64_t deadline = start + (int64_t)llround(n->deadline_hours * 3600.0);
        long rep = l->owner >= 0 ? l->owner : l->last_rep;
        char reason[768];
        int type;
        int64_t until;
        if (done == INT64_MAX) {
            if (a->now <= deadline)
                continue;
            snprintf(reason, sizeof reason, "%s not done: no %s since %s (due within %g h)",
                     n->name, n->actions, what, n->deadline_hours);
            type = T_SLA_MISSED;
            until = a->now;
        } else if (done > deadline) {
            char t[40];
            time_text(a, done, t, sizeof t);
            snprintf(reason, sizeof reason, "%s done late: at %s, %.1f h after %s (due within "
                     "%g h)", n->name, t, (double)(done - start) / 3600.0, what,
                     n->deadline_hours);
            type = T_SLA_LATE;
            until = done;
        } else {
            continue;
        }
        if (add_todo(a, type, (long)e, -1, rep, deadline,
                     until, reason))
            return -1;
        if (n->supervisor) { /* the supervisor answers for it */
            todo *t = &a->todos[a->todo_count - 1];
            long sup = rep >= 0 ? a->rep[rep].supervisor : -1;
            t->notify[0] = sup >= 0 ? sup : rep;
            t->notify[1] = -1;
        }
    }
    return 0;
}

static int lead_todos(sop_audit *a)
{
    const sop_audit_config *cfg = a->cfg;
    int64_t stale = (int64_t)llround(cfg->stale_days * 86400.0);
    char reason[768], when[16], due_day[16];
    for (size_t e = 0; e < a->leads.count; e++) {
        const lead_info *l = &a->lead[e];
        if (node_todos(a, e) != 0)
            return -1;
        bool deal_closed = l->last_deal >= 0 && a->deal[l->last_deal].closed_at != INT64_MAX;
        if (l->last_at == INT64_MIN || l->closed || deal_closed || !l->has_step || l->done)
            continue;
        /* the promise of the last follow-up, not kept */
        day_text(l->last_at, &a->tz, when, sizeof when);
        if (a->now - l->last_at > stale) {
            long days = (long)((a->now - l->last_at) / 86400);
            snprintf(reason, sizeof reason,
                     "no follow-up since %s (%ld days) and the promised next step \"%s\" is "
                     "not done", when, days, l->step);
            if (add_todo(a, T_STALE, (long)e, l->last_deal, l->last_rep, l->last_at + stale,
                         a->now, reason))
                return -1;
        } else if (l->due != INT64_MIN && l->due < a->now) {
            day_text(l->due, &a->tz, due_day, sizeof due_day);
            snprintf(reason, sizeof reason,
                     "the next step \"%s\" promised on %s was due %s and is not done", l->step,
                     when, due_day);
            if (add_todo(a, T_PROMISE, (long)e, l->last_deal, l->last_rep, l->due, a->now,
                         reason))
                return -1;
        }
    }
    return 0;
}

typedef struct stage_entry {
    long rep;
    int64_t entered;
    double days;
    long deal;
} stage_entry;

static int by_rep_entered(const void *x, const void *y)
{
    const stage_entry *p = x, *q = y;
    if (p->rep != q->rep)
        return p->rep < q->rep ? -1 : 1;
    if (p->entered != q->entered)
        return p->entered < q->entered ? -1 : 1;
    return p->deal < q->deal ? -1 : p->deal > q->deal;
}

/* How long a deal stayed in stage s: until it entered a later stage or
 * closed; still there: until now. */
static double stage_days(const sop_audit *a, const deal_info *d, size_t s)
{
    int64_t end = d->closed_at;
    for (size_t t = s + 1; t < a->stages.count; t++)
        if (d->first[t] < end && d->first[t] >= d->first[s])
            end = d->first[t];
    if (end == INT64_MAX)
        end = a->now;
    return (double)(end - d->first[s]) / 86400.0;
}

/* One to-do for a run of deals over the deadline, naming them. */
static int review_todo(sop_audit *a, size_t s, double limit, const stage_entry *run, size_t n)
{
    char reason[768];
    const char *rep = rep_name(a, run[0].rep);
    size_t k = (size_t)snprintf(reason, sizeof reason,
                                "%s went over the %g-day %s deadline on %zu deals in a row (",
                                rep, limit, a->stages.word[s], n);
    for (size_t j = 0; j < n && k < sizeof reason - 64; j++)
        k += (size_t)snprintf(reason + k, sizeof reason - k, "%s%s %.1f d", j ? ", " : "",
                              sop_strmap_key(&a->deals, (size_t)run[j].deal), run[j].days);
    if (k < sizeof reason)
        snprintf(reason + k, sizeof reason - k, "): review the %s stage with %s",
                 a->stages.word[s], rep);
    const stage_entry *last = &run[n - 1];
    int64_t due = last->entered + (int64_t)llround(limit * 86400.0);
    /* a streak completed long ago was listed then: only recent ones */
    if (due > a->now || a->now - due > (int64_t)llround(a->cfg->review_days * 86400.0))
        return 0;
    return add_todo(a, T_STAGE_REVIEW, -1, last->deal, last->rep, due, a->now, reason);
}

/* Per stage with a deadline: each rep's deals in the order they entered
 * the stage; a run of `streak` or more over the deadline is a to-do. */
static int stage_reviews(sop_audit *a)
{
    const sop_audit_config *cfg = a->cfg;
    stage_entry *list = malloc((a->deals.count ? a->deals.count : 1) * sizeof *list);
    if (list == NULL)
        return -1;
    int rc = 0;
    for (size_t s = 0; rc == 0 && s < a->stages.count; s++) {
        if (a->deadline_of[s] < 0)
            continue;
        double limit = cfg->stage_days[a->deadline_of[s]];
        size_t n = 0;
        for (size_t e = 0; e < a->deals.count; e++) {
            const deal_info *d = &a->deal[e];
            if (d->rep[s] >= 0 && d->first[s] != INT64_MAX)
                list[n++] = (stage_entry){d->rep[s], d->first[s], stage_days(a, d, s), (long)e};
        }
        qsort(list, n, sizeof *list, by_rep_entered);
        size_t run = 0;
        for (size_t i = 0; rc == 0 && i <= n; i++) {
            bool same_rep = i < n && run > 0 && list[i].rep == list[i - 1].rep;
            if (i < n && list[i].days > limit && (run == 0 || same_rep)) {
                run++;
                continue;
            }
            if (run >= cfg->streak)
                rc = review_todo(a, s, limit, list + i - run, run);
            run = i < n && list[i].days > limit ? 1 : 0; /* a new rep's run starts here */
        }
    }
    free(list);
    return rc;
}

static int by_todo(const void *x, const void *y, void *ctx)
{
    const todo *p = x, *q = y;
    const sop_audit *a = ctx;
    if (p->type != q->type)
        return p->type < q->type ? -1 : 1;
    if (p->due != q->due)
        return p->due < q->due ? -1 : 1;
    const char *pl = p->lead >= 0 ? sop_strmap_key(&a->leads, (size_t)p->lead) : "";
    const char *ql = q->lead >= 0 ? sop_strmap_key(&a->leads, (size_t)q->lead) : "";
    int c = strcmp(pl, ql);
    if (c != 0)
        return c;
    const char *pd = p->deal >= 0 ? sop_strmap_key(&a->deals, (size_t)p->deal) : "";
    const char *qd = q->deal >= 0 ? sop_strmap_key(&a->deals, (size_t)q->deal) : "";
    if ((c = strcmp(pd, qd)) != 0)
        return c;
    return strcmp(rep_name(a, p->rep), rep_name(a, q->rep));
}

size_t sop_audit_todo_count(const sop_audit *a)
{
    return a->todo_count;
}

/* ---- reports --------------------------------------------------------------- */

static bool set(json_t *obj, const char *key, json_t *v)
{
    return v != NULL && json_object_set_new(obj, key, v) == 0;
}

static json_t *rounded(double x, double unit)
{
    return isfinite(x) ? json_real(round(x / unit) * unit) : json_null();
}

static json_t *id_or_null(const sop_strmap *m, long i)
{
    return i >= 0 ? json_string(sop_strmap_key(m, (size_t)i)) : json_string("");
}

static json_t *todo_rows(sop_audit *a)
{
    json_t *rows = json_array();
    for (size_t i = 0; rows && i < a->todo_count; i++) {
        const todo *t = &a->todos[i];
        json_t *row = json_object(), *notify = json_array();
        char due[40];
        sop_format_time(t->due, &a->tz, due, sizeof due);
        bool ok = row && notify;
        for (int k = 0; ok && k < 2; k++)
            if (t->notify[k] >= 0 && (k == 0 || t->notify[1] != t->notify[0]))
                ok = json_array_append_new(notify, json_string(rep_name(a, t->notify[k]))) == 0;
        ok = ok && set(row, "type", json_string(todo_types[t->type])) &&
             set(row, "lead_id", id_or_null(&a->leads, t->lead)) &&
             set(row, "deal_id", id_or_null(&a->deals, t->deal)) &&
             set(row, "rep_id", json_string(rep_name(a, t->rep))) &&
             set(row, "notify", json_incref(notify)) && set(row, "due", json_string(due)) &&
             set(row, "overdue_hours", rounded(t->overdue_hours, 0.1)) &&
             set(row, "reason", json_string(t->reason));
        json_decref(notify);
        if (!ok || json_array_append_new(rows, row) != 0) {
            if (!ok)
                json_decref(row);
            json_decref(rows);
            return NULL;
        }
    }
    return rows;
}

static const char *team_name(const sop_audit *a, long rep)
{
    long t = a->rep[rep].team;
    return t >= 0 ? sop_strmap_key(&a->teams, (size_t)t) : "";
}

static const cell *cell_at(const sop_audit *a, size_t rep, size_t s)
{
    return &a->cells[rep * a->stages.count + s];
}

/* Per stage: all reps' minutes per timed activity. */
static double stage_mean(const sop_audit *a, size_t s)
{
    double minutes = 0;
    unsigned long timed = 0;
    for (size_t r = 0; r < a->reps.count; r++) {
        minutes += cell_at(a, r, s)->minutes;
        timed += cell_at(a, r, s)->timed;
    }
    return timed ? minutes / (double)timed : NAN;
}

static const char *mark_of(const sop_audit *a, const cell *c, double mean)
{
    if (c->timed == 0 || !isfinite(mean) || mean <= 0)
        return "";
    double avg = c->minutes / (double)c->timed;
    if (avg > mean * a->cfg->hot_factor)
        return "hot";
    if (avg < mean * a->cfg->cold_factor)
        return "cold";
    return "";
}

static json_t *heatmap_rows(const sop_audit *a, bool pivot)
{
    json_t *rows = json_array();
    double mean[STAGES_MAX];
    for (size_t s = 0; s < a->stages.count; s++)
        mean[s] = stage_mean(a, s);
    for (size_t r = 0; rows && r < a->reps.count; r++) {
        if (a->rep[r].activities == 0 && !a->rep[r].listed)
            continue;
        json_t *row = pivot ? json_object() : NULL;
        if (pivot && (row == NULL || json_array_append_new(rows, row) != 0 ||
                      !set(row, "rep_id", json_string(rep_name(a, (long)r))) ||
                      !set(row, "team", json_string(team_name(a, (long)r)))))
            goto fail;
        for (size_t s = 0; s < a->stages.count; s++) {
            const cell *c = cell_at(a, r, s);
            double avg = c->timed ? c->minutes / (double)c->timed : NAN;
            double rate = c->promises ? (double)c->done / (double)c->promises : NAN;
            const char *mark = mark_of(a, c, mean[s]);
            if (pivot) {
                /* "45 min 80% n=12 HOT": minutes per activity, next steps done, count */
                char text[96], avg_s[24], rate_s[24];
                if (isfinite(avg))
                    snprintf(avg_s, sizeof avg_s, "%.0f min", avg);
                else
                    snprintf(avg_s, sizeof avg_s, "- min");
                if (isfinite(rate))
                    snprintf(rate_s, sizeof rate_s, "%.0f%%", rate * 100);
                else
                    snprintf(rate_s, sizeof rate_s, "-");
                if (c->activities == 0)
                    snprintf(text, sizeof text, "-");
                else
                    snprintf(text, sizeof text, "%s %s n=%lu%s%s", avg_s, rate_s, c->activities,
                             *mark ? " " : "", mark);
                if (!set(row, a->stages.word[s], json_string(text)))
                    goto fail;
                continue;
            }
            json_t *cellrow = json_object();
            if (cellrow == NULL || json_array_append_new(rows, cellrow) != 0 ||
                !set(cellrow, "rep_id", json_string(rep_name(a, (long)r))) ||
                !set(cellrow, "team", json_string(team_name(a, (long)r))) ||
                !set(cellrow, "stage", json_string(a->stages.word[s])) ||
                !set(cellrow, "activities", json_integer((json_int_t)c->activities)) ||
                !set(cellrow, "avg_minutes", rounded(avg, 0.1)) ||
                !set(cellrow, "completion_rate", rounded(rate, 0.001)) ||
                !set(cellrow, "stage_avg_minutes", rounded(mean[s], 0.1)) ||
                !set(cellrow, "mark", json_string(mark)))
                goto fail;
        }
    }
    return rows;
fail:
    json_decref(rows);
    return NULL;
}

typedef struct coach_row {
    long rep;
    double minutes, team_minutes, above, completion;
} coach_row;

static int by_above(const void *x, const void *y)
{
    const coach_row *p = x, *q = y;
    if (p->above != q->above)
        return p->above > q->above ? -1 : 1;
    return p->rep < q->rep ? -1 : p->rep > q->rep;
}

/* Reps whose time per activity in the time stage is more than
 * time_above_team above the rest of their team's, while they complete
 * fewer than completion_below of the next steps of the completion stage. */
static json_t *coaching_rows(const sop_audit *a)
{
    const sop_audit_config *cfg = a->cfg;
    char time_stage[WORD_LEN], done_stage[WORD_LEN];
    size_t n1 = sop_text_fold(cfg->coach_time_stage, strlen(cfg->coach_time_stage), time_stage,
                              sizeof time_stage);
    size_t n2 = sop_text_fold(cfg->coach_done_stage, strlen(cfg->coach_done_stage), done_stage,
                              sizeof done_stage);
    long ts = n1 != (size_t)-1 ? sop_words_find(&a->stages, time_stage) : -1;
    long ds = n2 != (size_t)-1 ? sop_words_find(&a->stages, done_stage) : -1;
    json_t *rows = json_array();
    if (rows == NULL || ts < 0 || ds < 0)
        return rows;
    coach_row *list = malloc((a->reps.count ? a->reps.count : 1) * sizeof *list);
    if (list == NULL) {
        json_decref(rows);
        return NULL;
    }
    size_t n = 0;
    for (size_t r = 0; r < a->reps.count; r++) {
        const cell *t = cell_at(a, r, (size_t)ts), *d = cell_at(a, r, (size_t)ds);
        if (t->timed < cfg->coach_min_activities || d->promises == 0)
            continue;
        /* the rest of the team (the whole roster when teams are unknown) */
        double minutes = 0;
        unsigned long timed = 0;
        for (size_t o = 0; o < a->reps.count; o++) {
            if (o == r || a->rep[o].team != a->rep[r].team)
                continue;
            minutes += cell_at(a, o, (size_t)ts)->minutes;
            timed += cell_at(a, o, (size_t)ts)->timed;
        }
        if (timed == 0 || minutes <= 0)
            continue;
        double mine = t->minutes / (double)t->timed, team = minutes / (double)timed;
        double above = mine / team - 1, completion = (double)d->done / (double)d->promises;
        if (above > cfg->coach_time_above && completion < cfg->coach_done_below)
            list[n++] = (coach_row){(long)r, mine, team, above, completion};
    }
    qsort(list, n, sizeof *list, by_above);
    for (size_t i = 0; i < n; i++) {
        const coach_row *c = &list[i];
        char reason[512];
        snprintf(reason, sizeof reason,
                 "%s spends %.0f min per %s activity, %.0f%% above the rest of the team "
                 "(%.0f min), and completes %.0f%% of %s next steps (bar: %.0f%%): coach %s",
                 rep_name(a, c->rep), c->minutes, time_stage, c->above * 100, c->team_minutes,
                 c->completion * 100, done_stage, cfg->coach_done_below * 100, time_stage);
        json_t *row = json_object();
        if (row == NULL || json_array_append_new(rows, row) != 0 ||
            !set(row, "rank", json_integer((json_int_t)i + 1)) ||
            !set(row, "rep_id", json_string(rep_name(a, c->rep))) ||
            !set(row, "team", json_string(team_name(a, c->rep))) ||
            !set(row, "coach_stage", json_string(time_stage)) ||
            !set(row, "minutes_per_activity", rounded(c->minutes, 0.1)) ||
            !set(row, "team_minutes", rounded(c->team_minutes, 0.1)) ||
            !set(row, "above_team", rounded(c->above, 0.001)) ||
            !set(row, "completion_stage", json_string(done_stage)) ||
            !set(row, "completion_rate", rounded(c->completion, 0.001)) ||
            !set(row, "reason", json_string(reason))) {
            free(list);
            json_decref(rows);
            return NULL;
        }
    }
    free(list);
    return rows;
}

static json_t *summary_rows(const sop_audit *a)
{
    size_t n = a->reps.count ? a->reps.count : 1;
    unsigned long *overdue = calloc(n, sizeof *overdue), *sla = calloc(n, sizeof *sla);
    json_t *rows = json_array();
    bool ok = overdue && sla && rows;
    for (size_t t = 0; ok && t < a->todo_count; t++) {
        const todo *td = &a->todos[t];
        if (td->rep < 0)
            continue;
        if (td->type == T_STALE || td->type == T_PROMISE)
            overdue[td->rep]++;
        else if (td->type == T_SLA_LATE || td->type == T_SLA_MISSED)
            sla[td->rep]++;
    }
    for (size_t r = 0; ok && r < a->reps.count; r++) {
        const rep_info *ri = &a->rep[r];
        if (ri->activities == 0 && !ri->listed)
            continue;
        json_t *row = json_object();
        ok = row && json_array_append_new(rows, row) == 0 &&
             set(row, "rep_id", json_string(rep_name(a, (long)r))) &&
             set(row, "team", json_string(team_name(a, (long)r))) &&
             set(row, "customers", json_integer((json_int_t)ri->customers)) &&
             set(row, "activities", json_integer((json_int_t)ri->activities)) &&
             set(row, "nodes_per_customer",
                 ri->customers ? rounded((double)ri->activities / (double)ri->customers, 0.01)
                               : json_null()) &&
             set(row, "completeness",
                 ri->activities ? rounded((double)ri->complete / (double)ri->activities, 0.001)
                                : json_null()) &&
             set(row, "overdue", json_integer((json_int_t)overdue[r])) &&
             set(row, "sla_breaches", json_integer((json_int_t)sla[r]));
    }
    free(overdue);
    free(sla);
    if (!ok) {
        json_decref(rows);
        return NULL;
    }
    return rows;
}

static int finish(void *ctx, sop_error *err)
{
    sop_audit *a = ctx;
    if (lead_todos(a) != 0 || stage_reviews(a) != 0)
        return oom(err);
    if (a->opts.report == SOP_AUDIT_RECORDS)
        return 0; /* the to-dos count for --fail-on todos */
    if (a->todo_count > 1)
        qsort_r(a->todos, a->todo_count, sizeof *a->todos, by_todo, a);
    json_t *rows = NULL;
    enum sop_format fallback = SOP_FMT_AUTO;
    bool pivot = a->cli->out_format == SOP_FMT_TABLE || a->cli->out_format == SOP_FMT_MD ||
                 (a->cli->out_format == SOP_FMT_AUTO && a->cli->output == NULL &&
                  isatty(STDOUT_FILENO));
    /* the columns, for a header even when there is no row */
    static const char *const todo_columns[] = {"type", "lead_id", "deal_id", "rep_id", "notify",
                                               "due", "overdue_hours", "reason", NULL};
    static const char *const heat_columns[] = {"rep_id", "team", "stage", "activities",
                                               "avg_minutes", "completion_rate",
                                               "stage_avg_minutes", "mark", NULL};
    static const char *const coach_columns[] = {"rank", "rep_id", "team", "coach_stage",
                                                "minutes_per_activity", "team_minutes",
                                                "above_team", "completion_stage",
                                                "completion_rate", "reason", NULL};
    static const char *const summary_columns[] = {"rep_id", "team", "customers", "activities",
                                                  "nodes_per_customer", "completeness",
                                                  "overdue", "sla_breaches", NULL};
    const char *const *columns = NULL;
    switch (a->opts.report) {
    case SOP_AUDIT_TODOS:
        rows = todo_rows(a);
        fallback = SOP_FMT_JSONL;
        columns = todo_columns;
        break;
    case SOP_AUDIT_HEATMAP:
        rows = heatmap_rows(a, pivot);
        columns = pivot ? NULL : heat_columns;
        break;
    case SOP_AUDIT_COACHING:
        rows = coaching_rows(a);
        columns = coach_columns;
        break;
    case SOP_AUDIT_SUMMARY:
        rows = summary_rows(a);
        columns = summary_columns;
        break;
    default: break;
    }
    if (rows == NULL)
        return oom(err);
    int rc = sop_rows_emit(rows, columns, a->cli, fallback, err);
    json_decref(rows);
    return rc;
}

void sop_audit_model(sop_audit *a, sop_stream_model *model)
{
    model->ctx = a;
    model->added = a->opts.report == SOP_AUDIT_RECORDS ? &a->out.added : NULL;
    model->bind = bind;
    model->record = record;
    model->finish = finish;
    model->consumes = a->opts.report != SOP_AUDIT_RECORDS;
}
