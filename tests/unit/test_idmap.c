/* test_idmap.c - unit tests of lib/core/idmap.c: values kept across growth,
 * absent keys, put of a present key keeps its value, the key of "" is not
 * the empty slot. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "idmap.h"

static void grows_and_keeps(void **state)
{
    (void)state;
    sop_idmap m;
    sop_idmap_init(&m);
    assert_null(sop_idmap_get(&m, 42));
    char id[32];
    for (int i = 0; i < 100000; i++) {
        snprintf(id, sizeof id, "L%07d", i);
        bool added;
        int64_t *v = sop_idmap_put(&m, sop_idmap_key(id, strlen(id)), i * 3, &added);
        assert_non_null(v);
        assert_true(added);
    }
    assert_int_equal(m.count, 100000);
    for (int i = 0; i < 100000; i++) {
        snprintf(id, sizeof id, "L%07d", i);
        int64_t *v = sop_idmap_get(&m, sop_idmap_key(id, strlen(id)));
        assert_non_null(v);
        assert_int_equal(*v, i * 3);
    }
    /* a present key: its value stays, the caller updates it */
    bool added;
    int64_t *v = sop_idmap_put(&m, sop_idmap_key("L0000007", 8), -1, &added);
    assert_false(added);
    assert_int_equal(*v, 21);
    *v = 5;
    assert_int_equal(*sop_idmap_get(&m, sop_idmap_key("L0000007", 8)), 5);
    assert_null(sop_idmap_get(&m, sop_idmap_key("L9999999", 8)));
    assert_true(sop_idmap_key("", 0) != 0);
    sop_idmap_free(&m);
    assert_null(sop_idmap_get(&m, 1));
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(grows_and_keeps)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
