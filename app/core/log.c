/*
 * log.c: timestamped lines to stderr. Each line is built in one buffer and
 * written with one write(2), so lines of concurrent workers never interleave.
 */
#include "log.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

/* Request lines are gathered here and written when the worker is about
 * to wait for work (or the buffer fills), so a busy worker pays one
 * write(2) per batch instead of one per request. Warnings and errors go
 * out at once, after whatever is buffered. */
static char log_buf[16384];
static size_t log_len;

void
log_flush(void)
{
    size_t off = 0;
    while (off < log_len) {
        ssize_t w = write(STDERR_FILENO, log_buf + off, log_len - off);
        if (w <= 0)
            break;
        off += (size_t)w;
    }
    log_len = 0;
}

static void
log_line(const char *level, int buffered, const char *fmt, va_list ap)
{
    /* the date part changes once a second: format it once a second */
    static time_t last_sec = -1;
    static char stamp[32];
    static int pid;
    char buf[2048];
    struct timeval tv;
    gettimeofday(&tv, NULL);
    if (tv.tv_sec != last_sec) {
        struct tm tm;
        localtime_r(&tv.tv_sec, &tm);
        strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
        last_sec = tv.tv_sec;
        pid = (int)getpid();
    }
    int n = snprintf(buf, sizeof(buf), "%s.%03d [%d] %s ", stamp,
                     (int)(tv.tv_usec / 1000), pid, level);
    if (n < 0)
        return;
    int m = vsnprintf(buf + n, sizeof(buf) - (size_t)n - 1, fmt, ap);
    size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
    if (len > sizeof(buf) - 2)
        len = sizeof(buf) - 2;
    /* request data (a decoded path may hold %0A) cannot start a forged
     * line: one event, one line */
    for (size_t i = (size_t)n; i < len; i++)
        if ((unsigned char)buf[i] < 0x20 || buf[i] == 0x7f)
            buf[i] = '?';
    buf[len++] = '\n';
    if (buffered) {
        if (log_len + len > sizeof(log_buf))
            log_flush();
        memcpy(log_buf + log_len, buf, len);
        log_len += len;
        return;
    }
    log_flush();
    ssize_t w = write(STDERR_FILENO, buf, len);
    (void)w;
}

void
log_msg(const char *level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_line(level, 0, fmt, ap);
    va_end(ap);
}

void
log_request(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_line("info", 1, fmt, ap);
    va_end(ap);
}

int
log_open_file(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (fd < 0)
        return -1;
    if (dup2(fd, STDERR_FILENO) < 0) {
        close(fd);
        return -1;
    }
    close(fd);
    return 0;
}
