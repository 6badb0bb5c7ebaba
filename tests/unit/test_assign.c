/* Unit tests of lib/models/assign*: smooth weighted round-robin, the
 * fairness index, the config, the state file (round trip, corruption,
 * pruning) and the string map under it. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "assign.h"
#include "error.h"
#include "strmap.h"

static const bool all3[] = {true, true, true};

static void test_weights_interleave(void **state)
{
    (void)state;
    int64_t w[] = {2, 1, 1}, cur[3] = {0};
    /* worked by hand: running values (2,1,1) -> a, (0,2,2) -> b (first on a
     * tie), (2,-1,3) -> c, (4,0,0) -> a, then back to (0,0,0): a b c a, again */
    long want[] = {0, 1, 2, 0, 0, 1, 2, 0};
    for (size_t i = 0; i < 8; i++)
        assert_int_equal(sop_swrr_step(cur, w, all3, all3, 3, 1, NULL), want[i]);
    for (size_t i = 0; i < 3; i++)
        assert_true(cur[i] == 0);
}

static void test_shares_follow_weights(void **state)
{
    (void)state;
    int64_t w[] = {1500, 1000, 500, 1000}, cur[4] = {0};
    bool on[] = {true, true, true, true};
    int got[4] = {0};
    for (int i = 0; i < 4000; i++)
        got[sop_swrr_step(cur, w, on, on, 4, 1, NULL)]++;
    assert_int_equal(got[0], 1500);
    assert_int_equal(got[1], 1000);
    assert_int_equal(got[2], 500);
    assert_int_equal(got[3], 1000);
}

static void test_ineligible_skipped(void **state)
{
    (void)state;
    int64_t w[] = {1, 1, 1}, cur[3] = {0};
    bool on[] = {true, false, true};
    for (int i = 0; i < 10; i++)
        assert_int_not_equal(sop_swrr_step(cur, w, on, on, 3, 1, NULL), 1);
    assert_true(cur[1] == 0); /* an unavailable rep's value stands still */
    bool none[] = {false, false, false};
    int64_t before[3];
    memcpy(before, cur, sizeof cur);
    assert_int_equal(sop_swrr_step(cur, w, on, none, 3, 1, NULL), -1);
    assert_memory_equal(before, cur, sizeof cur);
}

/* A rep available but not eligible (another city) gains credit and makes
 * it up when a lead it may take comes. */
static void test_credit_when_not_eligible(void **state)
{
    (void)state;
    int64_t w[] = {1, 1}, cur[2] = {0};
    bool avail[] = {true, true}, only_a[] = {true, false};
    for (int i = 0; i < 3; i++)
        assert_int_equal(sop_swrr_step(cur, w, avail, only_a, 2, 1, NULL), 0);
    /* b is owed three leads now */
    for (int i = 0; i < 3; i++)
        assert_int_equal(sop_swrr_step(cur, w, avail, avail, 2, 1, NULL), 1);
    assert_int_equal(sop_swrr_step(cur, w, avail, avail, 2, 1, NULL), 0);
}

/* Counted by score, the rotation evens out score sums, not lead counts. */
static void test_score_balance(void **state)
{
    (void)state;
    int64_t w[] = {1, 1}, cur[2] = {0}, load[2] = {0};
    bool on[] = {true, true};
    int64_t scores[] = {90, 10, 10, 10, 10, 10, 10, 10, 10, 90};
    for (size_t i = 0; i < 10; i++)
        load[sop_swrr_step(cur, w, on, on, 2, scores[i], NULL)] += scores[i];
    assert_true(llabs(load[0] - load[1]) <= 90);
    assert_true(load[0] + load[1] == 260);
    /* ties go by the tie-breakers when given */
    int64_t c2[2] = {0};
    uint64_t tie[] = {7, 3};
    assert_int_equal(sop_swrr_step(c2, w, on, on, 2, 1, tie), 1);
}

/* The lazy rotation picks exactly what the step-by-step one picks, and
 * ends with the same values, through eligibility subsets, reps filling up
 * and coming back, and ties. */
static void test_rotation_matches_steps(void **state)
{
    (void)state;
    enum { N = 7 };
    int64_t w[N] = {1000, 2000, 500, 1200, 1000, 800, 1500}, eager[N] = {0, 5, -3, 0, 0, 0, 0};
    bool avail[N], elig[N];
    for (size_t i = 0; i < N; i++)
        avail[i] = i != 3;
    sop_rotation rot;
    assert_true(sop_rotation_init(&rot, w, eager, avail, N));
    uint64_t rng = 12345;
    for (int step = 0; step < 20000; step++) {
        rng = rng * 6364136223846793005u + 1442695040888963407u;
        unsigned r = (unsigned)(rng >> 33);
        if (r % 50 == 0) { /* a rep fills up or comes back */
            size_t i = (r / 50) % N;
            avail[i] = !avail[i];
            sop_rotation_available(&rot, i, avail[i]);
            continue;
        }
        bool subset = r % 3 == 0;
        for (size_t i = 0; i < N; i++)
            elig[i] = avail[i] && (!subset || ((r >> (i + 3)) & 1u));
        int64_t amount = (int64_t)(r % 1000) + 1;
        long want = sop_swrr_step(eager, w, avail, elig, N, amount, NULL);
        long got = sop_rotation_pick(&rot, subset ? elig : NULL, amount, NULL);
        assert_int_equal(got, want);
    }
    for (size_t i = 0; i < N; i++)
        assert_true(sop_rotation_value(&rot, i) == eager[i]);
    sop_rotation_free(&rot);
}

static void test_fairness(void **state)
{
    (void)state;
    double target[] = {20, 10, 10};
    double fair[] = {20, 10, 10};
    assert_true(fabs(sop_fairness_index(fair, target, 3)) < 1e-12);
    /* r = 1.5, 0.5, 0.5 -> mean 0.8333, sd sqrt(0.2222) */
    double skewed[] = {30, 5, 5};
    assert_true(fabs(sop_fairness_index(skewed, target, 3) - sqrt(2.0 / 9.0)) < 1e-12);
    /* a rep with no target (never online) is left out */
    double t2[] = {20, 10, 0}, l2[] = {20, 10, 5};
    assert_true(fabs(sop_fairness_index(l2, t2, 3)) < 1e-12);
    double nothing[] = {0, 0, 0};
    assert_true(isnan(sop_fairness_index(nothing, target, 3)));
    assert_true(isnan(sop_fairness_index(NULL, NULL, 0)));
}

/* ---- config ----------------------------------------------------------- */

static char *write_temp(const char *text)
{
    char *path = strdup("/tmp/sop-test-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    size_t n = strlen(text);
    assert_int_equal(write(fd, text, n), (ssize_t)n);
    close(fd);
    return path;
}

static int load_text(const char *text, sop_assign_config *cfg, sop_error *err)
{
    char *path = write_temp(text);
    sop_error_clear(err);
    int rc = sop_assign_config_load(path, cfg, err);
    unlink(path);
    free(path);
    return rc;
}

static void test_config(void **state)
{
    (void)state;
    sop_assign_config cfg, back;
    sop_error err;
    assert_int_equal(sop_assign_config_load(NULL, &cfg, &err), 0);
    assert_true(cfg.hot_score == 85 && cfg.pool_min_rate == 0.65 && cfg.pool_days == 7);
    /* --print-config reads back as the same config */
    char *json = sop_assign_config_json(&cfg);
    assert_non_null(json);
    assert_int_equal(load_text(json, &back, &err), 0);
    assert_true(cfg.hot_score == back.hot_score && cfg.pool_min_rate == back.pool_min_rate &&
                cfg.owner_keys == back.owner_keys && cfg.max_accounts == back.max_accounts &&
                strcmp(cfg.lead_column, back.lead_column) == 0 && cfg.region_match == back.region_match);
    free(json);
    /* a partial file keeps the other defaults */
    assert_int_equal(load_text("{\"hot_pool\": {\"min_closed\": 5}}", &cfg, &err), 0);
    assert_int_equal(cfg.pool_min_closed, 5);
    assert_true(cfg.hot_score == 85);
    assert_int_equal(load_text("{\"existing_owner\": {\"keys\": [\"phone\"]}}", &cfg, &err), 0);
    assert_int_equal(cfg.owner_keys, 1u << SOP_KEY_PHONE);
    /* errors name the key */
    assert_int_equal(load_text("{\"hot_pool\": {\"min_close_rate\": 65}}", &cfg, &err), 78);
    assert_non_null(strstr(err.msg, "hot_pool.min_close_rate"));
    assert_int_equal(load_text("{\"hot_pool\": {\"min_closed\": 2.5}}", &cfg, &err), 78);
    assert_non_null(strstr(err.msg, "whole number"));
    assert_int_equal(load_text("{\"hotscore\": 80}", &cfg, &err), 78);
    assert_non_null(strstr(err.msg, "unknown key \"hotscore\""));
    assert_int_equal(load_text("{\"region\": {\"lead\": 1}}", &cfg, &err), 78);
    assert_non_null(strstr(err.msg, "region.lead"));
    assert_int_equal(load_text("{\"round_robin\": {\"balance\": \"even\"}}", &cfg, &err), 78);
    assert_non_null(strstr(err.msg, "score, count"));
    assert_int_equal(load_text("{\"existing_owner\": {\"keys\": [\"fax\"]}}", &cfg, &err), 78);
    assert_int_equal(load_text("{\"region\": 3}", &cfg, &err), 78);
    assert_int_equal(load_text("[1]", &cfg, &err), 78);
    assert_int_equal(load_text("{\"hot_score\": 80,}", &cfg, &err), 78);
    assert_int_equal(load_text("{\"state\": {\"keep_days\": 3}}", &cfg, &err), 78);
    assert_int_equal(sop_assign_config_load("/nonexistent/x.json", &cfg, &err), 66);
}

/* ---- state ------------------------------------------------------------ */

static const sop_tz *shanghai(void)
{
    static sop_tz tz;
    sop_tz_init(&tz, "+08:00");
    return &tz;
}

static void fill_state(sop_assign_state *st)
{
    long a = sop_assign_state_rep(st, "R01"), b = sop_assign_state_rep(st, "R\"2");
    assert_true(a == 0 && b == 1);
    st->names[a] = strdup("张伟");
    st->current[a] = INT64_C(123456789012345);
    st->current[b] = -7;
    sop_assign_day *d = sop_assign_state_day(st, 20000);
    d->online[a] = 1.2;
    d->counts[a].n[SOP_TRACK_ROUND_ROBIN] = 3;
    d->counts[a].tenths[SOP_TRACK_ROUND_ROBIN] = 1715;
    d->counts[b].n[SOP_TRACK_HOT_POOL] = 1;
    d->counts[b].tenths[SOP_TRACK_HOT_POOL] = 901;
    d->counts[b].hot = 1;
    d->pool_open = 2;
    /* an earlier day added later goes before it */
    assert_non_null(sop_assign_state_day(st, 19990));
    assert_true(st->days[0].day == 19990 && st->days[1].day == 20000);
    assert_true(sop_assign_state_account(st, "company:麦田", strlen("company:麦田"), a, 20000,
                                         false));
    assert_true(sop_assign_state_account(st, "phone:13912345678", 17, b, 19990, false));
    st->runs = 4;
}

static char *state_text(const sop_assign_state *st)
{
    sop_buf b = {0};
    assert_true(sop_assign_state_json(st, shanghai(), 1796032800, &b));
    assert_true(sop_buf_put(&b, "", 1));
    return b.data;
}

static void test_state_round_trip(void **state)
{
    (void)state;
    sop_assign_state st, back;
    sop_assign_state_init(&st);
    fill_state(&st);
    char path[] = "/tmp/sop-state-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    sop_error err;
    sop_error_clear(&err);
    assert_int_equal(sop_assign_state_write(&st, path, shanghai(), 1796032800, &err), 0);
    sop_assign_state_init(&back);
    bool existed;
    assert_int_equal(sop_assign_state_read(&back, path, &existed, &err), 0);
    assert_true(existed);
    assert_true(back.current[0] == INT64_C(123456789012345));
    assert_true(back.current[1] == -7);
    char *a = state_text(&st), *b = state_text(&back);
    assert_string_equal(a, b);
    assert_non_null(strstr(a, "\"round_robin\": [3, 171.5]"));
    assert_non_null(strstr(a, "\"pool_open\": 2,"));
    assert_int_equal(back.days[1].pool_open, 2);
    free(a);
    free(b);
    unlink(path);
    /* a missing file is an empty state */
    sop_assign_state_free(&back);
    assert_int_equal(sop_assign_state_read(&back, path, &existed, &err), 0);
    assert_false(existed);
    assert_int_equal(back.ids.count, 0);
    sop_assign_state_free(&back);
    sop_assign_state_free(&st);
}

static int read_text(const char *text, sop_error *err)
{
    char *path = write_temp(text);
    sop_assign_state st;
    sop_assign_state_init(&st);
    bool existed;
    sop_error_clear(err);
    int rc = sop_assign_state_read(&st, path, &existed, err);
    sop_assign_state_free(&st);
    unlink(path);
    free(path);
    return rc;
}

#define HEAD "{\"format\": \"salesops/lead-assign-state\", \"version\": 1, \"runs\": 1, "

static void test_state_rejects(void **state)
{
    (void)state;
    sop_error err;
    assert_int_equal(read_text(HEAD "\"reps\": [], \"days\": [], \"accounts\": []}", &err), 0);
    assert_int_equal(read_text("", &err), 65);                  /* empty: corrupt */
    assert_int_equal(read_text(HEAD "\"reps\": [", &err), 65);  /* cut short */
    assert_non_null(strstr(err.msg, "never reset silently"));
    assert_int_equal(read_text("{\"rotation\": 1}", &err), 65); /* someone else's JSON */
    assert_non_null(strstr(err.msg, "not a lead-assign state"));
    assert_int_equal(read_text("{\"format\": \"salesops/lead-assign-state\", \"version\": 2}",
                               &err), 78);
    assert_int_equal(read_text(HEAD "\"reps\": [{\"id\": \"R1\", \"current\": 0}, "
                                    "{\"id\": \"R1\", \"current\": 0}], \"days\": [], "
                                    "\"accounts\": []}", &err), 65);
    assert_non_null(strstr(err.msg, "twice"));
    assert_int_equal(read_text(HEAD "\"reps\": [], \"days\": [{\"day\": \"2026-02-30\", "
                                    "\"online\": {}, \"counts\": {}}], \"accounts\": []}", &err),
                     65);
    assert_int_equal(read_text(HEAD "\"reps\": [], \"days\": [], "
                                    "\"accounts\": [[\"company:x\", \"R9\", \"2026-01-01\"]]}",
                               &err), 65);
    assert_int_equal(read_text(HEAD "\"reps\": [{\"id\": \"R1\", \"current\": 0}], \"days\": "
                                    "[{\"day\": \"2026-01-02\", \"online\": {}, \"counts\": "
                                    "{\"R1\": {\"round_robin\": [1]}}}], \"accounts\": []}", &err),
                     65);
    assert_int_equal(read_text(HEAD "\"reps\": [], \"days\": [{\"day\": \"2026-01-02\", "
                                    "\"online\": {}, \"counts\": {}}, {\"day\": \"2026-01-01\", "
                                    "\"online\": {}, \"counts\": {}}], \"accounts\": []}", &err),
                     65);
    assert_int_equal(read_text(HEAD "\"reps\": [], \"days\": [], \"accounts\": [], \"x\": 1}",
                               &err), 65);
    assert_int_equal(read_text(HEAD "\"runs\": 2, \"reps\": [], \"days\": [], \"accounts\": []}",
                               &err), 65); /* a duplicate key */
}

static void test_state_prune(void **state)
{
    (void)state;
    sop_assign_state st;
    sop_assign_state_init(&st);
    fill_state(&st);
    long r = sop_assign_state_rep(&st, "R01");
    for (int i = 0; i < 10; i++) {
        char key[32];
        snprintf(key, sizeof key, "email:%d@x.cn", i);
        assert_true(sop_assign_state_account(&st, key, strlen(key), r, 20001 + i, false));
    }
    /* days before 19995 go; accounts last seen before 19995 go; then the
     * newest 5 of what is left stay */
    assert_true(sop_assign_state_prune(&st, 19995, 19995, 5));
    assert_int_equal(st.day_count, 1);
    assert_true(st.days[0].day == 20000);
    assert_int_equal(st.accounts.count, 5);
    for (size_t i = 0; i < 5; i++)
        assert_true(st.account_day[i] >= 20006);
    assert_true(sop_strmap_find(&st.accounts, "email:9@x.cn", 12) >= 0);
    assert_true(sop_strmap_find(&st.accounts, "company:麦田", strlen("company:麦田")) < 0);
    sop_assign_state_free(&st);
}

static void test_strmap(void **state)
{
    (void)state;
    sop_strmap m;
    sop_strmap_init(&m);
    assert_int_equal(sop_strmap_find(&m, "a", 1), -1);
    bool added;
    char key[32];
    for (int i = 0; i < 1000; i++) {
        snprintf(key, sizeof key, "k%d", i);
        assert_int_equal(sop_strmap_put(&m, key, strlen(key), &added), i);
        assert_true(added);
    }
    assert_int_equal(sop_strmap_put(&m, "k7", 2, &added), 7);
    assert_false(added);
    assert_int_equal(sop_strmap_find(&m, "k999", 4), 999);
    assert_int_equal(sop_strmap_find(&m, "k1000", 5), -1);
    assert_int_equal(sop_strmap_put(&m, "", 0, &added), 1000); /* the empty key is a key */
    bool keep[1001];
    long renumber[1001];
    for (int i = 0; i < 1001; i++)
        keep[i] = i % 3 == 0;
    assert_true(sop_strmap_filter(&m, keep, renumber));
    assert_int_equal(m.count, 334);
    assert_int_equal(renumber[3], 1);
    assert_int_equal(renumber[4], -1);
    assert_int_equal(sop_strmap_find(&m, "k999", 4), 333);
    assert_int_equal(sop_strmap_find(&m, "k998", 4), -1);
    assert_string_equal(sop_strmap_key(&m, 1), "k3");
    sop_strmap_free(&m);
}

static void test_days(void **state)
{
    (void)state;
    sop_tz tz;
    assert_true(sop_tz_init(&tz, "+08:00"));
    /* 2026-11-30 16:30 UTC is 2026-12-01 00:30 in Shanghai */
    int64_t day = sop_local_day(1796056200, &tz);
    char buf[16];
    sop_format_day(day, buf, sizeof buf);
    assert_string_equal(buf, "2026-12-01");
    int64_t back;
    assert_true(sop_parse_day("2026-12-01", &back));
    assert_true(back == day);
    assert_false(sop_parse_day("2026-2-01", &back));
    assert_false(sop_parse_day("2026-02-29", &back));
    assert_false(sop_parse_day("2026-02-01x", &back));
    assert_true(sop_parse_day("1970-01-01", &back) && back == 0);
    sop_format_day(-1, buf, sizeof buf);
    assert_string_equal(buf, "1969-12-31");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_weights_interleave),
        cmocka_unit_test(test_shares_follow_weights),
        cmocka_unit_test(test_ineligible_skipped),
        cmocka_unit_test(test_credit_when_not_eligible),
        cmocka_unit_test(test_score_balance),
        cmocka_unit_test(test_rotation_matches_steps),
        cmocka_unit_test(test_fairness),
        cmocka_unit_test(test_config),
        cmocka_unit_test(test_state_round_trip),
        cmocka_unit_test(test_state_rejects),
        cmocka_unit_test(test_state_prune),
        cmocka_unit_test(test_strmap),
        cmocka_unit_test(test_days),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
