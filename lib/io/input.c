#include "input.h"

#include <errno.h>
#include <fcntl.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#ifndef SOP_READ_CHUNK /* small in the fuzz build (at least SNIFF_BYTES / 2): see reader.c */
#define SOP_READ_CHUNK (256u * 1024u)
#endif
#define RAW_CHUNK SOP_READ_CHUNK
#define PLAIN_CAP (2 * SOP_READ_CHUNK)
#define SNIFF_BYTES (64u * 1024u)
_Static_assert(PLAIN_CAP >= SNIFF_BYTES, "the sniffed bytes must fit in the plain buffer");
#define BAD_BYTE 0xFF

struct sop_input {
    int fd;
    bool owns_fd;
    char name[256];
    uint64_t raw_offset;
    uint64_t raw_size;
    bool raw_eof;

    bool gzip;
    bool z_ready;       /* inflate initialised */
    bool z_member_done; /* last inflate() ended a gzip member */
    z_stream zs;
    unsigned char *raw; /* compressed (or, without gzip, plain) bytes */
    size_t raw_pos, raw_len;

    unsigned char *plain; /* decompressed bytes not yet decoded */
    size_t plain_pos, plain_len;
    bool plain_eof;

    enum sop_encoding enc;
    bool guessed_legacy;
    iconv_t cd;
    bool converting;
};

static const struct {
    const char *name;
    enum sop_encoding enc;
    const char *iconv_name;
} encodings[] = {
    {"auto", SOP_ENC_AUTO, NULL},        {"utf-8", SOP_ENC_UTF8, NULL},
    {"utf8", SOP_ENC_UTF8, NULL},        {"gb18030", SOP_ENC_GB18030, "GB18030"},
    {"gbk", SOP_ENC_GBK, "GBK"},         {"gb2312", SOP_ENC_GBK, "GBK"},
    {"utf-16le", SOP_ENC_UTF16LE, "UTF-16LE"},
    {"utf-16be", SOP_ENC_UTF16BE, "UTF-16BE"},
};

bool sop_encoding_parse(const char *name, enum sop_encoding *out)
{
    for (size_t i = 0; i < sizeof encodings / sizeof encodings[0]; i++) {
        if (strcasecmp(name, encodings[i].name) == 0) {
            *out = encodings[i].enc;
            return true;
        }
    }
    return false;
}

const char *sop_encoding_name(enum sop_encoding enc)
{
    for (size_t i = 0; i < sizeof encodings / sizeof encodings[0]; i++)
        if (encodings[i].enc == enc)
            return encodings[i].name;
    return "?";
}

static const char *iconv_name(enum sop_encoding enc)
{
    for (size_t i = 0; i < sizeof encodings / sizeof encodings[0]; i++)
        if (encodings[i].enc == enc)
            return encodings[i].iconv_name;
    return NULL;
}

static bool utf8_check(const char *str, size_t len, bool allow_cut, bool allow_nul,
                       size_t *bad_at)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;

    while (i < len) {
        /* ASCII fast path, eight bytes at a time: no high bit, no zero byte */
        while (i + 8 <= len) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            uint64_t stop = (w & 0x8080808080808080ull) |
                            ((w - 0x0101010101010101ull) & ~w & 0x8080808080808080ull);
            if (stop != 0) {
                /* skip the ASCII bytes before the first non-ASCII or NUL one
                 * (the lowest flagged byte is exact; little-endian load) */
                i += (size_t)__builtin_ctzll(stop) / 8;
                break;
            }
            i += 8;
        }
        if (i >= len)
            break;
        unsigned char c = s[i];
        if (c < 0x80) {
            if (c == 0 && !allow_nul)
                goto bad;
            i++;
            continue;
        }
        /* a run of three-byte sequences (all of CJK): the common case here;
         * E0 and ED need a range check on the second byte (overlong forms,
         * surrogates) and take the general path below */
        while (i + 2 < len && ((c >= 0xE1 && c <= 0xEC) || c >= 0xEE) && c <= 0xEF) {
            uint16_t tail;
            memcpy(&tail, s + i + 1, 2);
            if ((tail & 0xC0C0u) != 0x8080u)
                goto bad;
            i += 3;
            if (i >= len)
                break;
            c = s[i];
        }
        if (i >= len)
            break;
        if (c < 0x80)
            continue;
        size_t need;
        uint32_t cp;
        if (c >= 0xC2 && c <= 0xDF) {
            need = 1;
            cp = c & 0x1Fu;
        } else if (c >= 0xE0 && c <= 0xEF) {
            need = 2;
            cp = c & 0x0Fu;
        } else if (c >= 0xF0 && c <= 0xF4) {
            need = 3;
            cp = c & 0x07u;
        } else {
            goto bad;
        }
        if (i + need >= len) {
            /* not enough bytes left for the whole sequence */
            for (size_t k = i + 1; k < len; k++)
                if ((s[k] & 0xC0) != 0x80)
                    goto bad;
            if (allow_cut)
                return true;
            goto bad;
        }
        for (size_t k = 1; k <= need; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                goto bad;
            cp = (cp << 6) | (s[i + k] & 0x3Fu);
        }
        if ((need == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
            (need == 3 && (cp < 0x10000 || cp > 0x10FFFF)))
            goto bad;
        i += need + 1;
    }
    return true;
bad:
    if (bad_at)
        *bad_at = i;
    return false;
}

bool sop_utf8_valid(const char *str, size_t len, bool allow_cut, size_t *bad_at)
{
    return utf8_check(str, len, allow_cut, false, bad_at);
}

/* Reads more raw bytes, keeping the unread ones. */
static int fill_raw(sop_input *in, sop_error *err)
{
    if (in->raw_pos > 0) {
        memmove(in->raw, in->raw + in->raw_pos, in->raw_len - in->raw_pos);
        in->raw_len -= in->raw_pos;
        in->raw_pos = 0;
    }
    while (!in->raw_eof && in->raw_len < RAW_CHUNK) {
        ssize_t n = read(in->fd, in->raw + in->raw_len, RAW_CHUNK - in->raw_len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return sop_error_set(err, SOP_EXIT_IOERR, in->name, 0, "read failed: %s",
                                 strerror(errno));
        }
        if (n == 0) {
            in->raw_eof = true;
            break;
        }
        in->raw_len += (size_t)n;
        in->raw_offset += (uint64_t)n;
        break; /* one read at a time keeps pipes responsive */
    }
    return 0;
}

/* Appends decompressed (or passed-through) bytes to plain[]. */
static int fill_plain(sop_input *in, sop_error *err)
{
    if (in->plain_pos > 0) {
        memmove(in->plain, in->plain + in->plain_pos, in->plain_len - in->plain_pos);
        in->plain_len -= in->plain_pos;
        in->plain_pos = 0;
    }
    while (!in->plain_eof && in->plain_len < PLAIN_CAP) {
        if (in->raw_pos == in->raw_len) {
            int rc = fill_raw(in, err);
            if (rc != 0)
                return rc;
            if (in->raw_len == 0 && in->raw_eof) {
                if (in->gzip && !in->z_member_done)
                    return sop_error_set(err, SOP_EXIT_IOERR, in->name, 0,
                                         "truncated gzip stream (unexpected end of input)");
                in->plain_eof = true;
                break;
            }
        }
        if (!in->gzip) {
            size_t n = in->raw_len - in->raw_pos;
            if (n > PLAIN_CAP - in->plain_len)
                n = PLAIN_CAP - in->plain_len;
            memcpy(in->plain + in->plain_len, in->raw + in->raw_pos, n);
            in->plain_len += n;
            in->raw_pos += n;
            continue;
        }
        if (in->z_member_done) {
            /* another gzip member follows (concatenated .gz files) */
            if (inflateReset(&in->zs) != Z_OK)
                return sop_error_set(err, SOP_EXIT_IOERR, in->name, 0, "gzip reset failed");
            in->z_member_done = false;
        }
        in->zs.next_in = in->raw + in->raw_pos;
        in->zs.avail_in = (uInt)(in->raw_len - in->raw_pos);
        in->zs.next_out = in->plain + in->plain_len;
        in->zs.avail_out = (uInt)(PLAIN_CAP - in->plain_len);
        int zrc = inflate(&in->zs, Z_NO_FLUSH);
        in->raw_pos = in->raw_len - in->zs.avail_in;
        in->plain_len = PLAIN_CAP - in->zs.avail_out;
        if (zrc == Z_STREAM_END) {
            in->z_member_done = true;
        } else if (zrc == Z_BUF_ERROR) {
            if (in->raw_eof && in->raw_pos == in->raw_len)
                return sop_error_set(err, SOP_EXIT_IOERR, in->name, 0,
                                     "truncated gzip stream (unexpected end of input)");
        } else if (zrc != Z_OK) {
            return sop_error_set(err, SOP_EXIT_IOERR, in->name, 0, "corrupt gzip data: %s",
                                 in->zs.msg ? in->zs.msg : "inflate failed");
        }
        if (in->z_member_done && in->raw_pos == in->raw_len && in->raw_eof) {
            in->plain_eof = true;
        }
    }
    return 0;
}

static int start_conversion(sop_input *in, sop_error *err)
{
    const char *from = iconv_name(in->enc);
    if (from == NULL)
        return 0;
    in->cd = iconv_open("UTF-8", from);
    if (in->cd == (iconv_t)-1)
        return sop_error_set(err, SOP_EXIT_SOFTWARE, in->name, 0,
                             "iconv cannot convert from %s", from);
    in->converting = true;
    return 0;
}

static void detect_encoding(sop_input *in, enum sop_encoding requested)
{
    const unsigned char *p = in->plain + in->plain_pos;
    size_t n = in->plain_len - in->plain_pos;

    if (n >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF) {
        if (requested == SOP_ENC_AUTO || requested == SOP_ENC_UTF8) {
            in->plain_pos += 3;
            in->enc = SOP_ENC_UTF8;
            return;
        }
    } else if (n >= 2 && p[0] == 0xFF && p[1] == 0xFE) {
        if (requested == SOP_ENC_AUTO || requested == SOP_ENC_UTF16LE) {
            in->plain_pos += 2;
            in->enc = SOP_ENC_UTF16LE;
            return;
        }
    } else if (n >= 2 && p[0] == 0xFE && p[1] == 0xFF) {
        if (requested == SOP_ENC_AUTO || requested == SOP_ENC_UTF16BE) {
            in->plain_pos += 2;
            in->enc = SOP_ENC_UTF16BE;
            return;
        }
    }
    if (requested != SOP_ENC_AUTO) {
        in->enc = requested;
        return;
    }
    size_t sniff = n < SNIFF_BYTES ? n : SNIFF_BYTES;
    bool cut_ok = !(in->plain_eof && sniff == n);
    /* a NUL byte is a bad record, not a sign of another encoding */
    if (utf8_check((const char *)p, sniff, cut_ok, true, NULL)) {
        in->enc = SOP_ENC_UTF8;
    } else {
        in->enc = SOP_ENC_GB18030;
        in->guessed_legacy = true;
    }
}

int sop_input_open(sop_input **out, const char *path, enum sop_encoding enc, sop_error *err)
{
    sop_input *in = calloc(1, sizeof *in);
    if (in == NULL)
        return sop_error_set(err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
    in->cd = (iconv_t)-1;
    snprintf(in->name, sizeof in->name, "%s", sop_display_name(path));
    if (path == NULL || strcmp(path, "-") == 0) {
        in->fd = STDIN_FILENO;
    } else {
        in->fd = open(path, O_RDONLY | O_CLOEXEC);
        if (in->fd < 0) {
            int e = errno;
            free(in);
            return sop_error_set(err, SOP_EXIT_NOINPUT, sop_display_name(path), 0,
                                 "cannot open: %s", strerror(e));
        }
        in->owns_fd = true;
    }
    struct stat st;
    if (fstat(in->fd, &st) == 0 && S_ISREG(st.st_mode))
        in->raw_size = (uint64_t)st.st_size;
    else if (fstat(in->fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        sop_input_close(in);
        return sop_error_set(err, SOP_EXIT_NOINPUT, sop_display_name(path), 0,
                             "cannot read: is a directory");
    }
    in->raw = malloc(RAW_CHUNK);
    in->plain = malloc(PLAIN_CAP);
    if (in->raw == NULL || in->plain == NULL) {
        sop_input_close(in);
        return sop_error_set(err, SOP_EXIT_SOFTWARE, NULL, 0, "out of memory");
    }
    int rc;
    /* read until two bytes are there to check the gzip magic */
    while (in->raw_len < 2 && !in->raw_eof)
        if ((rc = fill_raw(in, err)) != 0)
            goto fail;
    if (in->raw_len >= 2 && in->raw[0] == 0x1F && in->raw[1] == 0x8B) {
        in->gzip = true;
        if (inflateInit2(&in->zs, 15 + 32) != Z_OK) {
            rc = sop_error_set(err, SOP_EXIT_SOFTWARE, in->name, 0, "zlib init failed");
            goto fail;
        }
        in->z_ready = true;
    }
    while (!in->plain_eof && in->plain_len < SNIFF_BYTES)
        if ((rc = fill_plain(in, err)) != 0)
            goto fail;
    detect_encoding(in, enc);
    if ((rc = start_conversion(in, err)) != 0)
        goto fail;
    *out = in;
    return 0;
fail:
    sop_input_close(in);
    return rc;
}

static int read_converted(sop_input *in, char *dst, size_t cap, size_t *got, sop_error *err)
{
    size_t unit = (in->enc == SOP_ENC_UTF16LE || in->enc == SOP_ENC_UTF16BE) ? 2 : 1;
    char *outp = dst;
    size_t outleft = cap;

    while (outleft > 8) {
        if (in->plain_pos == in->plain_len || (in->plain_len - in->plain_pos < 8 && !in->plain_eof)) {
            int rc = fill_plain(in, err);
            if (rc != 0)
                return rc;
        }
        size_t inleft = in->plain_len - in->plain_pos;
        if (inleft == 0)
            break;
        char *inp = (char *)in->plain + in->plain_pos;
        size_t r = iconv(in->cd, &inp, &inleft, &outp, &outleft);
        in->plain_pos = in->plain_len - inleft;
        if (r != (size_t)-1)
            continue;
        if (errno == E2BIG)
            break;
        if (errno == EINVAL && !in->plain_eof) {
            if (in->plain_pos == 0 && in->plain_len == PLAIN_CAP)
                return sop_error_set(err, SOP_EXIT_SOFTWARE, in->name, 0, "decoder stalled");
            int rc = fill_plain(in, err);
            if (rc != 0)
                return rc;
            if (outp != dst)
                break;
            continue;
        }
        /* EILSEQ, or an incomplete sequence at the very end: mark and skip.
         * iconv says EILSEQ before it looks for room: with none left the
         * mark waits for the next read */
        if (outleft == 0)
            break;
        *outp++ = (char)BAD_BYTE;
        outleft--;
        in->plain_pos += unit;
        if (in->plain_pos > in->plain_len)
            in->plain_pos = in->plain_len;
    }
    *got = (size_t)(outp - dst);
    return 0;
}

int sop_input_read(sop_input *in, char *dst, size_t cap, size_t *got, sop_error *err)
{
    *got = 0;
    if (in->converting)
        return read_converted(in, dst, cap, got, err);
    if (!in->gzip && in->plain_pos == in->plain_len && in->raw_pos == in->raw_len) {
        /* plain input with nothing buffered: read straight into the caller's buffer */
        while (!in->raw_eof) {
            ssize_t n = read(in->fd, dst, cap);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0)
                return sop_error_set(err, SOP_EXIT_IOERR, in->name, 0, "read failed: %s",
                                     strerror(errno));
            if (n == 0)
                in->raw_eof = in->plain_eof = true;
            in->raw_offset += (uint64_t)n;
            *got = (size_t)n;
            break;
        }
        return 0;
    }
    if (in->plain_pos == in->plain_len) {
        int rc = fill_plain(in, err);
        if (rc != 0)
            return rc;
    }
    size_t n = in->plain_len - in->plain_pos;
    if (n > cap)
        n = cap;
    memcpy(dst, in->plain + in->plain_pos, n);
    in->plain_pos += n;
    *got = n;
    return 0;
}

void sop_input_close(sop_input *in)
{
    if (in == NULL)
        return;
    if (in->converting)
        iconv_close(in->cd);
    if (in->z_ready)
        inflateEnd(&in->zs);
    if (in->owns_fd)
        close(in->fd);
    free(in->raw);
    free(in->plain);
    free(in);
}

const char *sop_input_name(const sop_input *in) { return in->name; }
enum sop_encoding sop_input_encoding(const sop_input *in) { return in->enc; }
bool sop_input_guessed_legacy(const sop_input *in) { return in->guessed_legacy; }
bool sop_input_is_gzip(const sop_input *in) { return in->gzip; }
uint64_t sop_input_raw_offset(const sop_input *in) { return in->raw_offset; }
uint64_t sop_input_raw_size(const sop_input *in) { return in->raw_size; }
