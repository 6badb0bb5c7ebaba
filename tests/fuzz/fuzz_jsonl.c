/* fuzz_jsonl.c - libFuzzer driver for the JSON Lines reader
 * (lib/io/reader.c), with fixed_schema off and on.  The input goes into a
 * memfd opened by path.  Invariants: a good record never has more values
 * than the schema has columns, values lie inside the arena and are
 * NUL-terminated, with fixed_schema the schema never grows after the first
 * good record, and reading ends in EOF or a fatal error. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "reader.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);



static void check_record(const sop_record *rec, const sop_schema *schema)
{
    FUZZ_ASSERT(rec->count <= schema->count);
    for (size_t i = 0; i < rec->count; i++) {
        if (rec->values[i].kind == SOP_ABSENT)
            continue;
        FUZZ_ASSERT(rec->values[i].off + rec->values[i].len < rec->arena_cap);
        FUZZ_ASSERT(rec->arena[rec->values[i].off + rec->values[i].len] == '\0');
    }
}

static void read_all(const char *path, bool fixed_schema)
{
    const char *files[1] = {path};
    sop_reader_opts opts;
    memset(&opts, 0, sizeof opts);
    opts.files = files;
    opts.file_count = 1;
    opts.format = SOP_FMT_JSONL;
    opts.fixed_schema = fixed_schema;

    sop_error err;
    sop_error_clear(&err);
    sop_reader *r = NULL;
    int rc = sop_reader_open(&r, &opts, &err);
    if (rc != 0) {
        FUZZ_ASSERT(err.status != 0);
        return;
    }
    FUZZ_ASSERT(r != NULL);

    sop_record rec;
    sop_record_init(&rec);
    size_t frozen = 0; /* schema size after the first good record (fixed_schema) */
    for (;;) {
        sop_error_clear(&err);
        int res = sop_reader_next(r, &rec, &err);
        if (res < 0) {
            FUZZ_ASSERT(err.status == -res);
            break;
        }
        if (res == SOP_READ_EOF)
            break;
        const sop_schema *schema = sop_reader_schema(r);
        if (frozen)
            FUZZ_ASSERT(schema->count == frozen);
        if (res == SOP_READ_RECORD) {
            check_record(&rec, schema);
            if (fixed_schema && !frozen)
                frozen = schema->count;
        } else {
            FUZZ_ASSERT(res == SOP_READ_BAD);
            const char *why = sop_reader_bad_reason(r);
            FUZZ_ASSERT(why != NULL);
            size_t len = 0;
            const char *raw = sop_reader_bad_raw(r, &len);
            if (raw && len) {
                volatile char sink = raw[0] ^ raw[len - 1];
                (void)sink;
            }
        }
    }
    sop_record_free(&rec);
    sop_reader_close(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64];
    int fd = memfd_with(data, size, path, sizeof path);
    read_all(path, false);
    read_all(path, true);
    close(fd);
    return 0;
}
