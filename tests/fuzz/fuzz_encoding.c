/* fuzz_encoding.c - libFuzzer driver for the input layer (lib/io/input.c):
 * gzip detection and inflation, encoding detection and transcoding to
 * UTF-8, byte-order marks.  The bytes are opened with every encoding
 * (auto included) and read to the end, alternately in large and in tiny
 * pieces.  When the first byte is 'Z' the rest of the input is first
 * gzip-compressed, so the fuzzer reaches the decoders through gzip too;
 * raw inputs that start with the gzip magic test corrupt streams.
 * Invariants: a read never reports more than it was given room for, and
 * reading ends at end of input or with an error (74), never a crash. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>

#include "input.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


/* A gzip bomb in 64 KiB inflates to about 64 MiB: stop well before. */
#define OUTPUT_LIMIT ((size_t)16 << 20)


/* gzip (not zlib) framing, as gzip(1) writes it.  Returns a malloc'd buffer. */
static uint8_t *gzip_bytes(const uint8_t *data, size_t size, size_t *out_size)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        abort();
    uLong bound = deflateBound(&zs, (uLong)size) + 32;
    uint8_t *out = malloc(bound);
    if (!out)
        abort();
    zs.next_in = (Bytef *)(uintptr_t)data;
    zs.avail_in = (uInt)size;
    zs.next_out = out;
    zs.avail_out = (uInt)bound;
    if (deflate(&zs, Z_FINISH) != Z_STREAM_END)
        abort();
    *out_size = (size_t)zs.total_out;
    deflateEnd(&zs);
    return out;
}

static void read_all(const char *path, enum sop_encoding enc, size_t piece)
{
    sop_error err;
    sop_error_clear(&err);
    sop_input *in = NULL;
    int rc = sop_input_open(&in, path, enc, &err);
    if (rc != 0) {
        FUZZ_ASSERT(err.status == rc);
        return;
    }
    FUZZ_ASSERT(in != NULL);
    if (enc != SOP_ENC_AUTO)
        FUZZ_ASSERT(sop_input_encoding(in) == enc);
    else
        FUZZ_ASSERT(sop_input_encoding(in) != SOP_ENC_AUTO);
    (void)sop_input_guessed_legacy(in);
    (void)sop_input_is_gzip(in);
    FUZZ_ASSERT(sop_input_name(in) != NULL);

    char *buf = malloc(piece);
    if (!buf)
        abort();
    size_t total = 0;
    for (;;) {
        size_t got = 0;
        sop_error_clear(&err);
        rc = sop_input_read(in, buf, piece, &got, &err);
        if (rc != 0) {
            FUZZ_ASSERT(err.status == rc);
            break;
        }
        FUZZ_ASSERT(got <= piece);
        if (got == 0)
            break;
        /* touch what was written */
        volatile char sink = buf[0] ^ buf[got - 1];
        (void)sink;
        size_t bad_at = 0;
        (void)sop_utf8_valid(buf, got, true, &bad_at);
        total += got;
        if (total > OUTPUT_LIMIT)
            break;
    }
    (void)sop_input_raw_offset(in);
    (void)sop_input_raw_size(in);
    free(buf);
    sop_input_close(in);
}

static void run(const uint8_t *data, size_t size)
{
    static const enum sop_encoding encs[] = {SOP_ENC_AUTO,    SOP_ENC_UTF8,    SOP_ENC_GB18030,
                                             SOP_ENC_GBK,     SOP_ENC_UTF16LE, SOP_ENC_UTF16BE};
    char path[64];
    int fd = memfd_with(data, size, path, sizeof path);
    for (size_t i = 0; i < sizeof encs / sizeof encs[0]; i++)
        read_all(path, encs[i], (i % 2) ? 7 : 65536);
    close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 0 && data[0] == 'Z') {
        size_t gz_size = 0;
        uint8_t *gz = gzip_bytes(data + 1, size - 1, &gz_size);
        run(gz, gz_size);
        free(gz);
    } else {
        run(data, size);
    }
    return 0;
}
