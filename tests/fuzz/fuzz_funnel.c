/* fuzz_funnel.c - libFuzzer driver for the configs of funnel-diag,
 * phi-calc, dedupe-clean and followup-audit (lib/models/funnel_config.c,
 * phi_config.c, dedupe_config.c, audit.c) and the statistics behind the
 * reports (lib/models/stats.c).  The bytes are loaded as a config over
 * the defaults: one that loads must print (--print-config) a text that
 * loads back and prints the same.  The same bytes, read as small counts,
 * feed the z-test, the p-chart, quantiles and an absorbing Markov chain,
 * whose results must stay inside their ranges. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attrib.h"
#include "audit.h"
#include "dedupe.h"
#include "funnel.h"
#include "fuzz.h"
#include "phi.h"
#include "stats.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void config_round_trip(const char *path)
{
    sop_funnel_config *cfg = malloc(sizeof *cfg), *back = malloc(sizeof *back);
    FUZZ_ASSERT(cfg && back);
    sop_error err;
    sop_error_clear(&err);
    int rc = sop_funnel_config_load(path, cfg, &err);
    FUZZ_ASSERT(rc == 0 || rc == SOP_EXIT_CONFIG);
    FUZZ_ASSERT(rc == 0 || err.msg[0] != '\0');
    if (rc == 0) {
        char *json = sop_funnel_config_json(cfg);
        FUZZ_ASSERT(json != NULL);
        char again[64];
        int fd = memfd_with((const uint8_t *)json, strlen(json), again, sizeof again);
        rc = sop_funnel_config_load(again, back, &err);
        if (rc != 0)
            fprintf(stderr, "reload: %s\n%s\n", err.msg, json);
        FUZZ_ASSERT(rc == 0);
        char *json2 = sop_funnel_config_json(back);
        FUZZ_ASSERT(json2 != NULL && strcmp(json, json2) == 0);
        FUZZ_ASSERT(back->stage_count == cfg->stage_count &&
                    back->evidence_count == cfg->evidence_count &&
                    back->template_count == cfg->template_count);
        close(fd);
        free(json);
        free(json2);
    }
    free(cfg);
    free(back);
}

static void phi_config_round_trip(const char *path)
{
    sop_phi_config cfg, back;
    sop_error err;
    sop_error_clear(&err);
    int rc = sop_phi_config_load(path, &cfg, &err);
    FUZZ_ASSERT(rc == 0 || rc == SOP_EXIT_CONFIG);
    if (rc != 0)
        return;
    char *json = sop_phi_config_json(&cfg);
    FUZZ_ASSERT(json != NULL);
    char again[64];
    int fd = memfd_with((const uint8_t *)json, strlen(json), again, sizeof again);
    FUZZ_ASSERT(sop_phi_config_load(again, &back, &err) == 0);
    char *json2 = sop_phi_config_json(&back);
    FUZZ_ASSERT(json2 != NULL && strcmp(json, json2) == 0);
    close(fd);
    free(json);
    free(json2);
}

/* dedupe-clean's config (fields, levels, survivorship): the same round
 * trip, and every probability it can give is one. */
static void dedupe_config_round_trip(const char *path)
{
    sop_dedupe_config *cfg = malloc(sizeof *cfg), *back = malloc(sizeof *back);
    FUZZ_ASSERT(cfg != NULL && back != NULL);
    sop_error err;
    sop_error_clear(&err);
    int rc = sop_dedupe_config_load(path, cfg, &err);
    FUZZ_ASSERT(rc == 0 || rc == SOP_EXIT_CONFIG);
    if (rc == 0) {
        char *json = sop_dedupe_config_json(cfg);
        FUZZ_ASSERT(json != NULL);
        char again[64];
        int fd = memfd_with((const uint8_t *)json, strlen(json), again, sizeof again);
        FUZZ_ASSERT(sop_dedupe_config_load(again, back, &err) == 0);
        char *json2 = sop_dedupe_config_json(back);
        FUZZ_ASSERT(json2 != NULL && strcmp(json, json2) == 0);
        int levels[SOP_DEDUPE_FIELDS];
        for (int l = 0; l <= SOP_DEDUPE_LEVELS; l++) {
            for (size_t i = 0; i < SOP_DEDUPE_FIELDS; i++)
                levels[i] = (l + (int)i) % (SOP_DEDUPE_LEVELS + 1);
            double p = sop_dedupe_probability(cfg, levels);
            FUZZ_ASSERT(p >= 0 && p <= 1);
        }
        close(fd);
        free(json);
        free(json2);
    }
    free(cfg);
    free(back);
}

/* followup-audit's config: the same round trip. */
static void audit_config_round_trip(const char *path)
{
    sop_audit_config *cfg = malloc(sizeof *cfg), *back = malloc(sizeof *back);
    FUZZ_ASSERT(cfg != NULL && back != NULL);
    sop_error err;
    sop_error_clear(&err);
    int rc = sop_audit_config_load(path, cfg, &err);
    FUZZ_ASSERT(rc == 0 || rc == SOP_EXIT_CONFIG);
    if (rc == 0) {
        char *json = sop_audit_config_json(cfg);
        FUZZ_ASSERT(json != NULL);
        char again[64];
        int fd = memfd_with((const uint8_t *)json, strlen(json), again, sizeof again);
        FUZZ_ASSERT(sop_audit_config_load(again, back, &err) == 0);
        char *json2 = sop_audit_config_json(back);
        FUZZ_ASSERT(json2 != NULL && strcmp(json, json2) == 0);
        close(fd);
        free(json);
        free(json2);
    }
    free(cfg);
    free(back);
}

static void statistics(const uint8_t *data, size_t size)
{
    if (size < 4)
        return;
    double z, p;
    double x1 = data[0], n1 = data[0] + data[1], x2 = data[2], n2 = data[2] + data[3];
    if (sop_ztest2(x1, n1, x2, n2, &z, &p))
        FUZZ_ASSERT(isfinite(z) && p >= 0 && p <= 1);
    else
        FUZZ_ASSERT(z == 0 && p == 1);
    double lo, hi;
    sop_pchart_limits(n1 > 0 ? x1 / n1 : 0, n2, 3, &lo, &hi);
    FUZZ_ASSERT(lo >= 0 && lo <= hi && hi <= 1);
    /* quantiles of the bytes */
    double v[256];
    size_t n = size < 256 ? size : 256;
    double least = 255, most = 0;
    for (size_t i = 0; i < n; i++) {
        v[i] = data[i];
        least = fmin(least, v[i]);
        most = fmax(most, v[i]);
    }
    double q = sop_quantile(v, n, (double)data[1] / 255.0);
    FUZZ_ASSERT(q >= least && q <= most);
    /* a chain over m states from the bytes as counts */
    size_t m = 1 + data[0] % 6;
    double start[6] = {0}, trans[36] = {0}, conv[6] = {0}, null[6] = {0}, removal[6];
    size_t k = 4;
    for (size_t i = 0; i < m; i++) {
        start[i] = k < size ? data[k++] % 4 : 1;
        conv[i] = k < size ? data[k++] % 4 : 0;
        null[i] = k < size ? data[k++] % 4 : 1;
        for (size_t j = 0; j < m; j++)
            trans[i * m + j] = k < size ? data[k++] % 3 : 0;
        if (conv[i] + null[i] == 0)
            null[i] = 1; /* every state can end a path */
    }
    double r = sop_pearson(v, v + n / 2, n / 2);
    FUZZ_ASSERT(isnan(r) || (r >= -1 - 1e-9 && r <= 1 + 1e-9));
    double pc = sop_markov_removal(m, start, trans, conv, null, removal);
    FUZZ_ASSERT(pc >= -1e-9 && pc <= 1 + 1e-9);
    for (size_t i = 0; i < m; i++)
        FUZZ_ASSERT(removal[i] >= 0 && removal[i] <= 1 + 1e-9);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64];
    int fd = memfd_with(data, size, path, sizeof path);
    config_round_trip(path);
    phi_config_round_trip(path);
    dedupe_config_round_trip(path);
    audit_config_round_trip(path);
    close(fd);
    statistics(data, size);
    return 0;
}
