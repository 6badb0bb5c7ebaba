/* csvparse-bare.c - the benchmark baseline: parse CSV with libcsv and do
 * nothing else.  `make bench` / scripts/bench time lead-score against it, so
 * "how much slower than just reading the CSV" has a floor to compare with.
 *
 *   cc -O2 -o csvparse-bare scripts/csvparse-bare.c -lcsv
 *   csvparse-bare [--keep-spaces] [FILE]   (no FILE or "-": stdin)
 *
 * --keep-spaces installs a space function that trims nothing, as salesops
 * must (libcsv trims spaces around fields by default, which changes data);
 * it costs libcsv a function call per byte, so the bench reports both.
 *
 * Prints "rows=R fields=F" (the header counts as a row).  Exit 0, or 66 if
 * the file cannot be opened, 74 on a read error, 70 if libcsv fails. */

#define _POSIX_C_SOURCE 200809L

#include <csv.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { READ_SIZE = 1 << 20 };   /* 1 MiB per read() */

struct counts {
    size_t rows;
    size_t fields;
};

static void on_field(void *data, size_t len, void *user)
{
    (void)data;
    (void)len;
    ((struct counts *)user)->fields++;
}

static void on_row(int terminator, void *user)
{
    (void)terminator;
    ((struct counts *)user)->rows++;
}

static int no_space(unsigned char c)
{
    (void)c;
    return 0;
}

int main(int argc, char **argv)
{
    int keep_spaces = argc > 1 && strcmp(argv[1], "--keep-spaces") == 0;
    const char *path = argc > 1 + keep_spaces ? argv[1 + keep_spaces] : "-";
    int fd = STDIN_FILENO;
    if (strcmp(path, "-") != 0) {
        fd = open(path, O_RDONLY);
        if (fd < 0) {
            fprintf(stderr, "csvparse-bare: %s: %s\n", path, strerror(errno));
            return 66;
        }
    }

    static char buffer[READ_SIZE];
    struct csv_parser parser;
    struct counts counts = {0, 0};
    if (csv_init(&parser, 0) != 0) {
        fprintf(stderr, "csvparse-bare: csv_init failed\n");
        return 70;
    }
    if (keep_spaces)
        csv_set_space_func(&parser, no_space);

    for (;;) {
        ssize_t got = read(fd, buffer, sizeof buffer);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            fprintf(stderr, "csvparse-bare: %s: %s\n", path, strerror(errno));
            csv_free(&parser);
            return 74;
        }
        if (got == 0)
            break;
        size_t len = (size_t)got;
        if (csv_parse(&parser, buffer, len, on_field, on_row, &counts) != len) {
            fprintf(stderr, "csvparse-bare: %s: %s\n", path,
                    csv_strerror(csv_error(&parser)));
            csv_free(&parser);
            return 70;
        }
    }
    if (csv_fini(&parser, on_field, on_row, &counts) != 0) {
        fprintf(stderr, "csvparse-bare: %s: %s\n", path,
                csv_strerror(csv_error(&parser)));
        csv_free(&parser);
        return 70;
    }
    csv_free(&parser);
    if (fd != STDIN_FILENO)
        close(fd);

    printf("rows=%zu fields=%zu\n", counts.rows, counts.fields);
    return 0;
}
