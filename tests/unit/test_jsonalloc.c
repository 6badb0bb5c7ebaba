/* test_jsonalloc.c - unit tests of lib/core/jsonalloc.c: the allocator the
 * programs give jansson counts what malloc refuses, and a load is judged by
 * that count.  (Failures of small allocations, served from the reserve, are
 * walked by tests/fault/run, which makes every malloc of a run fail.) */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "jsonalloc.h"

/* Under ASan (make check SANITIZE=1) a malloc too big to give returns NULL,
 * as libc's does, instead of ending the test. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
    return "allocator_may_return_null=1";
}

static void load_judged_by_failures(void **state)
{
    (void)state;
    sop_json_alloc_install();
    json_malloc_t m;
    json_free_t f;
    json_get_alloc_funcs(&m, &f);

    /* nothing failed: the load stands */
    sop_json_mark mark = sop_json_watch();
    json_error_t jerr;
    json_t *root = json_loads("{\"a\": [1, \"two\"]}", 0, &jerr);
    assert_non_null(root);
    assert_false(sop_json_out_of_memory(mark, &root, &jerr));
    assert_non_null(root);
    assert_string_equal(json_string_value(json_array_get(json_object_get(root, "a"), 1)), "two");

    /* an allocation refused during the load: whatever jansson returned goes */
    mark = sop_json_watch();
    void *p = m((size_t)1 << 62); /* more than malloc and the reserve give */
    assert_null(p);
    assert_true(sop_json_watch() == mark + 1);
    assert_true(sop_json_out_of_memory(mark, &root, &jerr));
    assert_null(root);

    /* a small allocation is malloc's, and freed by free */
    p = m(64);
    assert_non_null(p);
    memset(p, 1, 64);
    f(p);
    f(NULL);

    /* bad JSON is not out of memory */
    mark = sop_json_watch();
    root = json_loads("{\"a\": ", 0, &jerr);
    assert_null(root);
    assert_false(sop_json_out_of_memory(mark, &root, &jerr));
    json_set_alloc_funcs(malloc, free);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(load_judged_by_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
