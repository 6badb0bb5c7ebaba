/* shim.c - fault injection for tests/fault/run (LD_PRELOAD): makes the
 * Nth call of one function fail, as exhausted memory, a failing disk or a
 * full one would.
 *   FAULT_FUNC   malloc, calloc, realloc, read, write, open, fsync, rename
 *   FAULT_AT     N: the Nth call fails (1 is the first); unset or 0: none
 *   FAULT_COUNT  a file: at exit the number of calls of FAULT_FUNC is
 *                written there (how far the runner walks N)
 *   FAULT_SKIPPED a file created when call N was not made to fail (inside
 *                libc's tzset, which cannot report it)
 *   FAULT_TRACE  set: the failing call's stack goes to stderr
 * Only calls that go through the dynamic symbols are seen - the program's
 * and its libraries' calls, not libc's internal ones (stdio's own writes
 * to stderr still work, so error messages get out). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <execinfo.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t size);

enum { F_MALLOC, F_CALLOC, F_REALLOC, F_READ, F_WRITE, F_OPEN, F_FSYNC, F_RENAME, F_NONE };
static const char *const names[F_NONE] = {"malloc", "calloc", "realloc", "read",
                                          "write",  "open",   "fsync",   "rename"};
static int which = F_NONE;
static unsigned long fail_at, calls;

static ssize_t (*real_read)(int, void *, size_t);
static ssize_t (*real_write)(int, const void *, size_t);
static int (*real_open)(const char *, int, ...);
static int (*real_fsync)(int);
static int (*real_rename)(const char *, const char *);

__attribute__((constructor)) static void setup(void)
{
    real_read = (ssize_t(*)(int, void *, size_t))dlsym(RTLD_NEXT, "read");
    real_write = (ssize_t(*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
    real_open = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT, "open");
    real_fsync = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
    real_rename = (int (*)(const char *, const char *))dlsym(RTLD_NEXT, "rename");
    const char *f = getenv("FAULT_FUNC"), *at = getenv("FAULT_AT");
    for (int i = 0; f && i < F_NONE; i++)
        if (strcmp(f, names[i]) == 0)
            which = i;
    fail_at = at ? strtoul(at, NULL, 10) : 0;
}

__attribute__((destructor)) static void report(void)
{
    const char *path = getenv("FAULT_COUNT");
    if (path == NULL || which == F_NONE || real_open == NULL)
        return;
    char text[32];
    int n = snprintf(text, sizeof text, "%lu\n", calls);
    int fd = real_open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
        if (real_write(fd, text, (size_t)n) < 0) {
            /* nothing to do: the runner sees no count */
        }
        close(fd);
    }
}

/* Counts a call of f; true when this one is to fail.  FAULT_TRACE set:
 * the failing call's stack goes to stderr (to find who mishandled it). */
/* Called from inside libc's tzset()?  It has no way to report a failed
 * allocation (it falls back to UTC quietly), so no program can handle one
 * there.  Such points are skipped, and FAULT_SKIPPED says so.  (No program
 * runs C++: dedupe-clean's OpenCC table is made at build time.) */
static int in_tzset(void)
{
    void *frames[32];
    int n = backtrace(frames, 32);
    for (int i = 0; i < n; i++) {
        Dl_info info;
        if (!dladdr(frames[i], &info))
            continue;
        if (info.dli_sname && strstr(info.dli_sname, "tzset"))
            return 1;
    }
    return 0;
}

static int fails(int f)
{
    if (f != which || ++calls != fail_at)
        return 0;
    if ((f == F_MALLOC || f == F_CALLOC || f == F_REALLOC) && in_tzset()) {
        const char *path = getenv("FAULT_SKIPPED");
        int fd = path ? real_open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644) : -1;
        if (fd >= 0)
            close(fd);
        return 0;
    }
    if (getenv("FAULT_TRACE")) {
        void *frames[32];
        int n = backtrace(frames, 32);
        backtrace_symbols_fd(frames, n, 2);
    }
    return 1;
}

void *malloc(size_t size)
{
    if (fails(F_MALLOC)) {
        errno = ENOMEM;
        return NULL;
    }
    return __libc_malloc(size);
}

void *calloc(size_t n, size_t size)
{
    if (fails(F_CALLOC)) {
        errno = ENOMEM;
        return NULL;
    }
    return __libc_calloc(n, size);
}

void *realloc(void *p, size_t size)
{
    if (fails(F_REALLOC)) {
        errno = ENOMEM;
        return NULL;
    }
    return __libc_realloc(p, size);
}

ssize_t read(int fd, void *buf, size_t n)
{
    if (fails(F_READ)) {
        errno = EIO;
        return -1;
    }
    return real_read(fd, buf, n);
}

ssize_t write(int fd, const void *buf, size_t n)
{
    if (fails(F_WRITE)) {
        errno = ENOSPC;
        return -1;
    }
    return real_write(fd, buf, n);
}

int open(const char *path, int flags, ...)
{
    mode_t mode = 0;
    if (flags & (O_CREAT | O_TMPFILE)) {
        va_list ap;
        va_start(ap, flags);
        mode = (mode_t)va_arg(ap, int);
        va_end(ap);
    }
    if (fails(F_OPEN)) {
        errno = EACCES;
        return -1;
    }
    return real_open(path, flags, mode);
}

int fsync(int fd)
{
    if (fails(F_FSYNC)) {
        errno = EIO;
        return -1;
    }
    return real_fsync(fd);
}

int rename(const char *from, const char *to)
{
    if (fails(F_RENAME)) {
        errno = EIO;
        return -1;
    }
    return real_rename(from, to);
}
