/* fuzz_csv.c - libFuzzer driver for the CSV/TSV reader (lib/io/reader.c).
 * The input goes into a memfd opened by path (/proc/self/fd/N), so the
 * reader sees it exactly as a regular file.  Each input is read twice: as
 * CSV with the default limits and as TSV with a small field limit.
 * Invariants: every good record has as many values as the schema has
 * columns, each value lies inside the record's arena and is NUL-terminated,
 * and reading ends in EOF or a fatal error, never a crash or a leak. */
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
    FUZZ_ASSERT(rec->count == schema->count);
    for (size_t i = 0; i < rec->count; i++) {
        if (rec->values[i].kind == SOP_ABSENT)
            continue;
        FUZZ_ASSERT(rec->values[i].off + rec->values[i].len < rec->arena_cap);
        FUZZ_ASSERT(rec->arena[rec->values[i].off + rec->values[i].len] == '\0');
    }
    if (rec->raw) {
        volatile char sink = 0;
        for (size_t i = 0; i < rec->raw_len; i++)
            sink ^= rec->raw[i];
        (void)sink;
    }
}

static void read_all(const char *path, enum sop_format fmt, size_t max_field)
{
    const char *files[1] = {path};
    sop_reader_opts opts;
    memset(&opts, 0, sizeof opts);
    opts.files = files;
    opts.file_count = 1;
    opts.format = fmt;
    opts.max_field = max_field;

    sop_error err;
    sop_error_clear(&err);
    sop_reader *r = NULL;
    int rc = sop_reader_open(&r, &opts, &err);
    if (rc != 0) {
        FUZZ_ASSERT(err.status != 0);
        return;
    }
    FUZZ_ASSERT(r != NULL);
    FUZZ_ASSERT(sop_reader_format(r) == fmt);

    sop_record rec;
    sop_record_init(&rec);
    long last_line = 0;
    for (;;) {
        sop_error_clear(&err);
        int res = sop_reader_next(r, &rec, &err);
        if (res < 0) {
            FUZZ_ASSERT(err.status == -res);
            break;
        }
        if (res == SOP_READ_EOF)
            break;
        FUZZ_ASSERT(rec.line >= last_line);
        last_line = rec.line;
        size_t len = 0;
        const char *raw = sop_reader_last_raw(r, &len);
        if (raw && len) {
            volatile char sink = raw[0] ^ raw[len - 1];
            (void)sink;
        }
        if (res == SOP_READ_RECORD) {
            check_record(&rec, sop_reader_schema(r));
        } else {
            FUZZ_ASSERT(res == SOP_READ_BAD);
            const char *why = sop_reader_bad_reason(r);
            FUZZ_ASSERT(why != NULL);
            FUZZ_ASSERT(strlen(why) < 4096);
            raw = sop_reader_bad_raw(r, &len);
            if (raw && len) {
                volatile char sink = raw[0] ^ raw[len - 1];
                (void)sink;
            }
        }
    }
    uint64_t total = 0;
    (void)sop_reader_progress(r, &total);
    sop_record_free(&rec);
    sop_reader_close(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64];
    int fd = memfd_with(data, size, path, sizeof path);
    read_all(path, SOP_FMT_CSV, 0);
    read_all(path, SOP_FMT_TSV, 64);
    close(fd);
    return 0;
}
