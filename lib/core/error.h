/* error.h - exit statuses (sysexits) and the one error value every library
 * call returns into.  The library never prints an error; the program reports
 * it once with sop_error_print(). */
#ifndef SOP_ERROR_H
#define SOP_ERROR_H

#include <stdio.h>

enum sop_exit {
    SOP_EXIT_OK = 0,
    SOP_EXIT_FINDINGS = 1,
    SOP_EXIT_USAGE = 64,
    SOP_EXIT_DATAERR = 65,
    SOP_EXIT_NOINPUT = 66,
    SOP_EXIT_SOFTWARE = 70,
    SOP_EXIT_CANTCREAT = 73,
    SOP_EXIT_IOERR = 74,
    SOP_EXIT_CONFIG = 78
};

typedef struct sop_error {
    int status;        /* an enum sop_exit value; 0 when no error */
    char file[256];    /* "" when the error has no file */
    long line;         /* 0 when the error has no line */
    char msg[768];
} sop_error;

void sop_error_clear(sop_error *err);

/* Sets err and returns status, so callers can `return sop_error_set(...)`. */
int sop_error_set(sop_error *err, int status, const char *file, long line,
                  const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* "PROGRAM: FILE:LINE: message" (parts without a value are left out). */
void sop_error_print(FILE *out, const char *program, const sop_error *err);
/* A message as one line: control characters (a line break inside a quoted
 * field shown in a reason) written as \n, \r, \t or \xHH. */
void sop_put_line(FILE *out, const char *text);

/* A display name for a path: "-" and NULL are "<stdin>". */
const char *sop_display_name(const char *path);

#endif
