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
    fprintf(out, "%s\n", err->msg);
}

const char *sop_display_name(const char *path)
{
    if (path == NULL || strcmp(path, "-") == 0)
        return "<stdin>";
    return path;
}
