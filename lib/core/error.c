#include "error.h"

#include <stdarg.h>
#include <string.h>

void sop_error_clear(sop_error *err)
{
    err->status = 0;
    err->file[0] = '\0';
    err->line = 0;
    err->msg[0] = '\0';
}

int sop_error_set(sop_error *err, int status, const char *file, long line,
                  const char *fmt, ...)
{
    va_list ap;

    err->status = status;
    snprintf(err->file, sizeof err->file, "%s", file ? file : "");
    err->line = line;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return status;
}

void sop_error_print(FILE *out, const char *program, const sop_error *err)
{
    fprintf(out, "%s: ", program);
    if (err->file[0] != '\0') {
        if (err->line > 0)
            fprintf(out, "%s:%ld: ", err->file, err->line);
        else
            fprintf(out, "%s: ", err->file);
    }
    sop_put_line(out, err->msg);
}

void sop_put_line(FILE *out, const char *text)
{
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        if (*p >= 0x20 && *p != 0x7f)
            fputc(*p, out);
        else if (*p == '\n')
            fputs("\\n", out);
        else if (*p == '\r')
            fputs("\\r", out);
        else if (*p == '\t')
            fputs("\\t", out);
        else
            fprintf(out, "\\x%02X", *p);
    }
    fputc('\n', out);
}

const char *sop_display_name(const char *path)
{
    if (path == NULL || strcmp(path, "-") == 0)
        return "<stdin>";
    return path;
}
