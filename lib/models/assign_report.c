/* lead-assign --report fairness: how evenly the leads went, from the state. */
#include "assign.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct rep_sum {
    unsigned long n[SOP_TRACKS_OWNED], hot, days_online;
    double load, load_rr;         /* score-weighted: all leads, round robin alone */
    double target, target_rr;     /* what the weights and days online ask for */
    double weight_days;
} rep_sum;

static json_t *real3(double x)
{
    return isfinite(x) ? json_real(round(x * 1000.0) / 1000.0) : json_null();
}

static const char *verdict(double index, double healthy, unsigned long leads,
                           unsigned long min_leads)
{
    if (isnan(index) || leads == 0)
        return "no leads";
    if (leads < min_leads)
        return "too few leads to judge";
    return index < healthy ? "healthy" : "uneven";
}

static bool set(json_t *obj, const char *key, json_t *v)
{
    return v != NULL && json_object_set_new(obj, key, v) == 0;
}

json_t *sop_assign_fairness(const sop_assign_state *st, const sop_reps *reps,
                            const sop_assign_config *cfg, double days, int64_t now,
                            const sop_tz *tz)
{
    size_t n = st->ids.count;
    rep_sum *sum = calloc(n ? n : 1, sizeof *sum);
    double *load = calloc(n ? n : 1, sizeof *load), *target = calloc(n ? n : 1, sizeof *target);
    json_t *report = json_object(), *rows = json_array();
    bool ok = sum && load && target && report && rows;
    int64_t today = sop_local_day(now, tz);
    int64_t first = today - (int64_t)ceil(days) + 1;
    unsigned long leads = 0, hot = 0, days_seen = 0, leads_rr = 0;
    for (size_t d = 0; ok && d < st->day_count; d++) {
        const sop_assign_day *day = &st->days[d];
        if (day->day < first || day->day > today)
            continue;
        days_seen++;
        double day_load = 0, day_rr = 0, weights = 0;
        for (size_t e = 0; e < n; e++) {
            const sop_assign_counts *c = &day->counts[e];
            for (int t = 0; t < SOP_TRACKS_OWNED; t++) {
                sum[e].n[t] += c->n[t];
                leads += c->n[t];
                day_load += (double)c->tenths[t] / 10.0;
            }
            day_rr += (double)c->tenths[SOP_TRACK_ROUND_ROBIN] / 10.0;
            leads_rr += c->n[SOP_TRACK_ROUND_ROBIN];
            sum[e].load += (double)(c->tenths[0] + c->tenths[1] + c->tenths[2] + c->tenths[3]) / 10.0;
            sum[e].load_rr += (double)c->tenths[SOP_TRACK_ROUND_ROBIN] / 10.0;
            sum[e].hot += c->hot;
            hot += c->hot;
            weights += day->online[e];
        }
        /* each day's leads are owed to the reps online that day, by weight */
        for (size_t e = 0; weights > 0 && e < n; e++) {
            if (day->online[e] <= 0)
                continue;
            sum[e].days_online++;
            sum[e].target += day_load * day->online[e] / weights;
            sum[e].target_rr += day_rr * day->online[e] / weights;
        }
    }
    for (size_t e = 0; ok && e < n; e++) {
        load[e] = sum[e].load;
        target[e] = sum[e].target;
    }
    double index = ok ? sop_fairness_index(load, target, n) : NAN;
    for (size_t e = 0; ok && e < n; e++) {
        load[e] = sum[e].load_rr;
        target[e] = sum[e].target_rr;
    }
    double index_rr = ok ? sop_fairness_index(load, target, n) : NAN;
    double total_load = 0;
    for (size_t e = 0; ok && e < n; e++)
        total_load += sum[e].load;

    char from[16], to[16];
    sop_format_day(first, from, sizeof from);
    sop_format_day(today, to, sizeof to);
    ok = ok && set(report, "report", json_string("fairness")) &&
         set(report, "from", json_string(from)) && set(report, "to", json_string(to)) &&
         set(report, "days_recorded", json_integer((json_int_t)days_seen)) &&
         set(report, "leads", json_integer((json_int_t)leads)) &&
         set(report, "hot_leads", json_integer((json_int_t)hot)) &&
         set(report, "fairness_index", real3(index)) &&
         set(report, "verdict", json_string(verdict(index, cfg->fairness_healthy, leads,
                                                    cfg->fairness_min_leads))) &&
         set(report, "fairness_index_round_robin", real3(index_rr)) &&
         set(report, "verdict_round_robin",
             json_string(verdict(index_rr, cfg->fairness_healthy, leads_rr,
                                 cfg->fairness_min_leads))) &&
         set(report, "healthy_below", json_real(cfg->fairness_healthy)) &&
         set(report, "reading",
             json_string("ratio = a rep's share of the score-weighted leads / the share its "
                         "weight and days online ask for (1 = exactly fair); fairness_index = "
                         "the standard deviation of the ratios (0 = exactly fair)"));
    for (size_t e = 0; ok && e < n; e++) {
        const char *name = st->names[e];
        bool on_roster = false;
        for (size_t i = 0; reps && i < reps->count; i++)
            if (strcmp(reps->items[i].id, sop_strmap_key(&st->ids, e)) == 0) {
                name = reps->items[i].name;
                on_roster = true;
            }
        unsigned long assigned = 0;
        for (int t = 0; t < SOP_TRACKS_OWNED; t++)
            assigned += sum[e].n[t];
        if (assigned == 0 && sum[e].days_online == 0 && !on_roster)
            continue;
        json_t *row = json_object();
        ok = row && json_array_append_new(rows, row) == 0 &&
             set(row, "rep_id", json_string(sop_strmap_key(&st->ids, e))) &&
             set(row, "rep_name", json_string(name ? name : "")) &&
             set(row, "days_online", json_integer((json_int_t)sum[e].days_online)) &&
             set(row, "assigned", json_integer((json_int_t)assigned));
        for (int t = 0; ok && t < SOP_TRACKS_OWNED; t++)
            ok = set(row, sop_track_name((enum sop_track)t),
                     json_integer((json_int_t)sum[e].n[t]));
        ok = ok && set(row, "hot", json_integer((json_int_t)sum[e].hot)) &&
             set(row, "mean_score", assigned ? real3(sum[e].load / (double)assigned) : json_null()) &&
             set(row, "share", total_load > 0 ? real3(sum[e].load / total_load) : json_null()) &&
             set(row, "target_share",
                 total_load > 0 ? real3(sum[e].target / total_load) : json_null()) &&
             set(row, "ratio", sum[e].target > 0 ? real3(sum[e].load / sum[e].target) : json_null()) &&
             set(row, "ratio_round_robin",
                 sum[e].target_rr > 0 ? real3(sum[e].load_rr / sum[e].target_rr) : json_null());
    }
    ok = ok && json_object_set(report, "reps", rows) == 0;
    json_decref(rows);
    free(sum);
    free(load);
    free(target);
    if (!ok) {
        json_decref(report);
        return NULL;
    }
    return report;
}
