/* fuzz_assign.c - libFuzzer driver for lead-assign's state file and config
 * (lib/models/assign_state.c, lib/core/config.c).  The bytes are read as a
 * state file: when they are one, the state is written out, read back and
 * written again - the two texts must be the same bytes - and the fairness
 * report and pruning run over it.  The same bytes are also loaded as a
 * config over the defaults; one that loads must print (--print-config) a
 * text that loads back and prints the same. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "assign.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const int64_t now = 1796032800; /* 2026-11-30T18:00+08:00 */

static char *state_text(const sop_assign_state *st, const sop_tz *tz)
{
    sop_buf b = {0};
    FUZZ_ASSERT(sop_assign_state_json(st, tz, now, &b));
    FUZZ_ASSERT(sop_buf_put(&b, "", 1));
    return b.data;
}

static void state_round_trip(const char *path, const sop_tz *tz)
{
    sop_assign_state st;
    sop_assign_state_init(&st);
    sop_error err;
    sop_error_clear(&err);
    bool existed;
    int rc = sop_assign_state_read(&st, path, &existed, &err);
    FUZZ_ASSERT(rc == 0 || rc == SOP_EXIT_DATAERR || rc == SOP_EXIT_CONFIG);
    FUZZ_ASSERT(rc == 0 || err.msg[0] != '\0');
    if (rc == 0) {
        char *first = state_text(&st, tz);
        char again_path[64];
        int fd = memfd_with((const uint8_t *)first, strlen(first), again_path, sizeof again_path);
        sop_assign_state back;
        sop_assign_state_init(&back);
        FUZZ_ASSERT(sop_assign_state_read(&back, again_path, &existed, &err) == 0);
        char *second = state_text(&back, tz);
        FUZZ_ASSERT(strcmp(first, second) == 0);
        close(fd);
        free(first);
        free(second);
        sop_assign_config cfg;
        sop_assign_config_default(&cfg);
        json_t *report = sop_assign_fairness(&back, NULL, &cfg, 30, now, tz);
        FUZZ_ASSERT(report != NULL);
        json_decref(report);
        FUZZ_ASSERT(sop_assign_state_prune(&back, 20400, 20400, 3));
        sop_assign_state_free(&back);
    }
    sop_assign_state_free(&st);
}

static void config_round_trip(const char *path)
{
    sop_assign_config cfg, back;
    sop_error err;
    sop_error_clear(&err);
    int rc = sop_assign_config_load(path, &cfg, &err);
    FUZZ_ASSERT(rc == 0 || rc == SOP_EXIT_CONFIG);
    if (rc != 0)
        return;
    /* --print-config reads back, and prints the same text again (numbers
     * are shown to 10 digits, so the first print may round) */
    char *json = sop_assign_config_json(&cfg);
    FUZZ_ASSERT(json != NULL);
    char again[64];
    int fd = memfd_with((const uint8_t *)json, strlen(json), again, sizeof again);
    FUZZ_ASSERT(sop_assign_config_load(again, &back, &err) == 0);
    char *json2 = sop_assign_config_json(&back);
    FUZZ_ASSERT(json2 != NULL && strcmp(json, json2) == 0);
    FUZZ_ASSERT(back.pool_min_closed == cfg.pool_min_closed && back.owner_keys == cfg.owner_keys &&
                back.balance == cfg.balance && strcmp(back.lead_column, cfg.lead_column) == 0);
    close(fd);
    free(json);
    free(json2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static sop_tz tz;
    static int ready;
    if (!ready) {
        FUZZ_ASSERT(sop_tz_init(&tz, "+08:00"));
        ready = 1;
    }
    char path[64];
    int fd = memfd_with(data, size, path, sizeof path);
    state_round_trip(path, &tz);
    config_round_trip(path);
    close(fd);
    return 0;
}
