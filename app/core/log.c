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

void
log_msg(const char *level, const char *fmt, ...)
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
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(buf + n, sizeof(buf) - (size_t)n - 1, fmt, ap);
    va_end(ap);
    size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
    if (len > sizeof(buf) - 2)
        len = sizeof(buf) - 2;
    buf[len++] = '\n';
    ssize_t w = write(STDERR_FILENO, buf, len);
    (void)w;
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
