/* Unit tests of lib/models/audit: the record checker and the config. */
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

#include "audit.h"

static const char *const names[] = {"activity_id", "action", "stage", "goal", "objection",
                                    "next_step", "next_due", "docs", "duration_min"};
#define NCOL (sizeof names / sizeof names[0])

typedef struct fixture {
    sop_schema schema;
    sop_audit_config cfg;
    sop_audit_checker *checker;
    sop_buf missing;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    sop_schema_init(&f->schema);
    for (size_t i = 0; i < NCOL; i++)
        sop_schema_add(&f->schema, names[i], strlen(names[i]));
    sop_audit_config_default(&f->cfg);
    sop_error err;
    if (sop_audit_checker_new(&f->checker, &f->cfg, &err) != 0)
        return -1;
    sop_audit_checker_bind(f->checker, &f->schema);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    sop_audit_checker_free(f->checker);
    sop_schema_free(&f->schema);
    sop_buf_free(&f->missing);
    free(f);
    return 0;
}

/* action, stage, goal, objection, next_step, docs, duration */
static bool check(fixture *f, const char *action, const char *stage, const char *goal,
                  const char *objection, const char *step, const char *docs,
                  const char *duration)
{
    const char *v[NCOL] = {"A1", action, stage, goal, objection, step, "", docs, duration};
    sop_record rec;
    sop_record_init(&rec);
    for (size_t i = 0; i < NCOL; i++)
        assert_true(sop_record_push(&rec, v[i], strlen(v[i]), SOP_TEXT));
    bool ok = sop_audit_check(f->checker, &rec, &f->missing);
    sop_record_free(&rec);
    return ok;
}

static const char *missing(fixture *f)
{
    return f->missing.len ? f->missing.data : "";
}

static void test_required_fields(void **state)
{
    fixture *f = *state;
    assert_true(check(f, "call", "need_discovery", "首次电话沟通", "", "约需求沟通", "", "8"));
    assert_string_equal(missing(f), "");
    assert_false(check(f, "call", "need_discovery", "", "", "约需求沟通", "", "8"));
    assert_string_equal(missing(f), "goal");
    assert_false(check(f, "call", "need_discovery", " ", "", "N/A", "", "8"));
    assert_string_equal(missing(f), "goal;next_step");
}

static void test_documents_per_action(void **state)
{
    fixture *f = *state;
    assert_false(check(f, "quote", "quote", "报价", "价格偏高", "等反馈", "", "20"));
    assert_string_equal(missing(f), "docs (a quote document)");
    assert_true(check(f, "quote", "quote", "报价", "", "等反馈", "报价单v2.pdf", "20"));
    assert_true(check(f, "Quote", "quote", "报价", "", "等反馈", "Quotation-2026.PDF", "20"));
    assert_false(check(f, "proposal", "solution_match", "方案", "", "等反馈", "案例集.pdf", "20"));
    assert_string_equal(missing(f), "docs (a proposal document)");
    assert_true(check(f, "proposal", "solution_match", "方案", "", "等反馈", "定制方案书.pdf", "20"));
    assert_false(check(f, "contract", "negotiation", "签约", "", "盖章", "报价单.pdf", "20"));
    assert_true(check(f, "contract", "negotiation", "签约", "", "盖章", "合同.pdf", "20"));
}

static void test_objection_stage(void **state)
{
    fixture *f = *state;
    assert_false(check(f, "call", "objection", "处理价格异议", "", "申请特价", "", "20"));
    assert_string_equal(missing(f), "objection (stage objection)");
    assert_true(check(f, "call", "objection", "处理价格异议", "价格偏高", "申请特价", "", "20"));
    /* other stages need none */
    assert_true(check(f, "call", "demo", "演示", "", "试用", "", "20"));
}

static void test_configured_requirements(void **state)
{
    fixture *f = *state;
    f->cfg.required |= 1u << SOP_AF_DOCS | 1u << SOP_AF_DURATION | 1u << SOP_AF_OBJECTION;
    assert_false(check(f, "call", "need_discovery", "g", "", "s", "", "abc"));
    assert_string_equal(missing(f), "objection;docs;duration_min");
    assert_true(check(f, "call", "need_discovery", "g", "无", "s", "x.pdf", "0"));
    f->cfg.required = 0;
    f->cfg.objection_stage_needs_objection = false;
    assert_true(check(f, "call", "objection", "", "", "", "", ""));
    sop_audit_config_default(&f->cfg);
}

static void test_config(void **state)
{
    (void)state;
    sop_audit_config cfg;
    sop_error err;
    sop_error_clear(&err);
    assert_int_equal(sop_audit_config_load(NULL, &cfg, &err), 0);
    assert_true(cfg.stale_days == 30 && cfg.streak == 3);
    /* the article's action node: the first call within 2 h of assignment */
    assert_int_equal(cfg.node_count, 1);
    assert_string_equal(cfg.nodes[0].name, "first_call");
    assert_true(cfg.nodes[0].trigger == SOP_TRIGGER_ASSIGNED && cfg.nodes[0].deadline_hours == 2);
    assert_true(cfg.coach_time_above == 2.0 && cfg.coach_done_below == 0.4);
    char *json = sop_audit_config_json(&cfg);
    assert_non_null(json);
    char path[] = "/tmp/sop-audit-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, json, strlen(json)), (ssize_t)strlen(json));
    close(fd);
    sop_audit_config back;
    assert_int_equal(sop_audit_config_load(path, &back, &err), 0);
    char *again = sop_audit_config_json(&back);
    assert_string_equal(json, again);
    free(json);
    free(again);
    FILE *f = fopen(path, "w");
    fputs("{\"stale\": {\"days\": -1}}", f);
    fclose(f);
    assert_int_equal(sop_audit_config_load(path, &back, &err), 78);
    assert_non_null(strstr(err.msg, "stale.days"));
    f = fopen(path, "w");
    fputs("{\"record\": {\"required\": [\"goal\", \"budget\"]}}", f);
    fclose(f);
    assert_int_equal(sop_audit_config_load(path, &back, &err), 78);
    assert_non_null(strstr(err.msg, "record.required"));
    /* action nodes: parsed, printed, checked */
    f = fopen(path, "w");
    fputs("{\"nodes\": [{\"name\": \"q\", \"trigger\": \"stage:报价\", \"actions\": [\"quote\", "
          "\"email\"], \"deliverable\": \"docs:报价\", \"deadline_hours\": 24, \"owner\": "
          "\"supervisor\"}, {\"name\": \"c\", \"trigger\": \"after:q\", \"actions\": \"contract\", "
          "\"deadline_hours\": 72}]}", f);
    fclose(f);
    assert_int_equal(sop_audit_config_load(path, &back, &err), 0);
    assert_int_equal(back.node_count, 2);
    assert_true(back.nodes[0].trigger == SOP_TRIGGER_STAGE && back.nodes[0].supervisor);
    assert_string_equal(back.nodes[0].actions, "quote,email");
    assert_true(back.nodes[1].trigger == SOP_TRIGGER_AFTER && !back.nodes[1].supervisor);
    static const char *const bad[] = {
        "{\"nodes\": [{\"name\": \"q\", \"trigger\": \"later\", \"actions\": \"x\", "
        "\"deadline_hours\": 1}]}",
        "{\"nodes\": [{\"name\": \"q\", \"trigger\": \"after:q\", \"actions\": \"x\", "
        "\"deadline_hours\": 1}]}",
        "{\"nodes\": [{\"name\": \"q\", \"trigger\": \"stage:nowhere\", \"actions\": \"x\", "
        "\"deadline_hours\": 1}]}",
        "{\"nodes\": [{\"name\": \"q\", \"trigger\": \"assigned\", \"actions\": [], "
        "\"deadline_hours\": 1}]}",
        "{\"nodes\": [{\"name\": \"q\", \"trigger\": \"assigned\", \"actions\": \"x\", "
        "\"deadline_hours\": 1, \"owner\": \"boss\"}]}",
        "{\"nodes\": {\"name\": \"q\"}}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        f = fopen(path, "w");
        fputs(bad[i], f);
        fclose(f);
        sop_error_clear(&err);
        assert_int_equal(sop_audit_config_load(path, &back, &err), 78);
        assert_non_null(strstr(err.msg, "nodes"));
    }
    unlink(path);
    enum sop_audit_report r;
    assert_true(sop_audit_report_parse("heatmap", &r) && r == SOP_AUDIT_HEATMAP);
    assert_false(sop_audit_report_parse("heat", &r));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_required_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(test_documents_per_action, setup, teardown),
        cmocka_unit_test_setup_teardown(test_objection_stage, setup, teardown),
        cmocka_unit_test_setup_teardown(test_configured_requirements, setup, teardown),
        cmocka_unit_test(test_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
