/*
 * log.c: one JSON object per line on stderr (which log_open_file points at
 * a file). Each line is built in one buffer and written with one write(2),
 * so lines of concurrent processes never interleave, and every line is
 * valid JSON whatever it quotes: control characters are escaped and bytes
 * that are not UTF-8 become '?'.
 *
 * A line written while a request is served carries its request id
 * (log_set_rid), so an error can be matched with the request line, nginx's
 * access log and the X-Request-Id the client got.
 *
 * Rotation: log_reopen_on(SIGUSR2) makes that signal reopen the log file
 * at the next line or flush (never inside the handler), so logrotate can
 * move the file away and signal (conf/logrotate.conf.in).
 */
#include "log.h"

#include "str.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

/* Request lines are gathered here and written when the worker is about
 * to wait for work (or the buffer fills), so a busy worker pays one
 * write(2) per batch instead of one per request. Warnings and errors go
 * out at once, after whatever is buffered. */
static char log_buf[16384];
static size_t log_len;

static char *log_path;                       /* log_open_file's, for reopen */
static volatile sig_atomic_t log_reopen_due; /* set by the signal */
static const char *log_rid;                  /* request being served */

static void
log_reopen_now(void)
{
    log_reopen_due = 0;
    if (log_path == NULL)
        return;
    int fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (fd < 0)
        return; /* keep writing to the old file rather than nowhere */
    dup2(fd, STDERR_FILENO);
    close(fd);
}

static void
log_write_all(const char *p, size_t n)
{
    size_t off = 0;
    while (off < n) {
        ssize_t w = write(STDERR_FILENO, p + off, n - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        off += (size_t)w;
    }
}

void
log_flush(void)
{
    log_write_all(log_buf, log_len);
    log_len = 0;
    if (log_reopen_due)
        log_reopen_now();
}

/* ---- building a line ---- */

struct log_line {
    char b[4096];
    size_t n;
};

static void
log_raw(struct log_line *l, const char *s, size_t n)
{
    if (n > sizeof(l->b) - 2 - l->n)
        n = sizeof(l->b) - 2 - l->n;
    memcpy(l->b + l->n, s, n);
    l->n += n;
}

/* a string literal, its length counted by the compiler */
#define LOG_LIT(l, s) log_raw((l), (s), sizeof(s) - 1)

static void log_fmt(struct log_line *l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
log_fmt(struct log_line *l, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t room = sizeof(l->b) - 2 - l->n;
    int m = vsnprintf(l->b + l->n, room + 1, fmt, ap);
    va_end(ap);
    if (m > 0)
        l->n += (size_t)m < room ? (size_t)m : room;
}

/* s as a JSON string body (no quotes): escapes, '?' for non-UTF-8, at
 * most max bytes of output (a longer value ends in "..."), so every
 * field fits and the line always closes. */
static void
log_esc(struct log_line *l, const char *s, size_t n, size_t max)
{
    static const char hex[] = "0123456789abcdef";
    size_t end = l->n + max;
    if (end > sizeof(l->b) - 16)
        end = sizeof(l->b) - 16;
    size_t i = 0;
    for (; i < n && l->n + 6 <= end;) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            l->b[l->n++] = '\\';
            l->b[l->n++] = (char)c;
            i++;
        } else if (c < 0x20 || c == 0x7f) {
            char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            log_raw(l, e, 6);
            i++;
        } else if (c < 0x80) {
            l->b[l->n++] = (char)c;
            i++;
        } else {
            size_t k = 2;
            while (k <= 4 && i + k <= n && str_utf8_len(s + i, k) != 1)
                k++;
            if (k <= 4 && i + k <= n) {
                log_raw(l, s + i, k);
                i += k;
            } else {
                l->b[l->n++] = '?';
                i++;
            }
        }
    }
    if (i < n)
        LOG_LIT(l, "...");
}

/* {"time":"...","level":"...","pid":N[,"rid":"..."] */
static void
log_head(struct log_line *l, const char *level)
{
    /* the date part changes once a second: format it once a second */
    static time_t last_sec = -1;
    static char stamp[32];
    static int pid;
    struct timeval tv;
    gettimeofday(&tv, NULL);
    if (tv.tv_sec != last_sec) {
        struct tm tm;
        gmtime_r(&tv.tv_sec, &tm);
        strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
        last_sec = tv.tv_sec;
        pid = (int)getpid();
    }
    l->n = 0;
    log_fmt(l, "{\"time\":\"%s.%03dZ\",\"level\":\"%s\",\"pid\":%d", stamp,
            (int)(tv.tv_usec / 1000), level, pid);
    if (log_rid) {
        LOG_LIT(l, ",\"rid\":\"");
        log_esc(l, log_rid, strlen(log_rid), 80);
        LOG_LIT(l, "\"");
    }
}

static void
log_emit(struct log_line *l, int buffered)
{
    if (log_reopen_due)
        log_reopen_now();
    LOG_LIT(l, "}");
    l->b[l->n++] = '\n';
    if (buffered) {
        if (log_len + l->n > sizeof(log_buf))
            log_flush();
        memcpy(log_buf + log_len, l->b, l->n);
        log_len += l->n;
        return;
    }
    log_flush();
    log_write_all(l->b, l->n);
}

void
log_msg(const char *level, const char *fmt, ...)
{
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    size_t mn = m < 0                     ? 0
                : (size_t)m < sizeof(msg) ? (size_t)m
                                          : sizeof(msg) - 1;
    struct log_line l;
    log_head(&l, level);
    LOG_LIT(&l, ",\"msg\":\"");
    log_esc(&l, msg, mn, 2048);
    LOG_LIT(&l, "\"");
    log_emit(&l, 0);
}

void
log_request(const struct log_req *r)
{
    struct log_line l;
    log_head(&l, r->status >= 500 ? "error" : "info");
    LOG_LIT(&l, ",\"event\":\"request\",\"method\":\"");
    log_esc(&l, r->method, strlen(r->method), 32);
    LOG_LIT(&l, "\",\"route\":\"");
    log_esc(&l, r->route, strlen(r->route), 128);
    LOG_LIT(&l, "\",\"path\":\"");
    log_esc(&l, r->path, strlen(r->path), 1024);
    /* latency as integer ms.uuu: no floating-point formatting per line */
    log_fmt(&l,
            "\",\"status\":%d,\"latency_ms\":%lld.%03lld,\"uid\":%lld,"
            "\"bytes\":%zu",
            r->status, (long long)(r->latency_us / 1000),
            (long long)(r->latency_us % 1000), (long long)r->uid, r->bytes);
    if (r->error) {
        LOG_LIT(&l, ",\"error\":\"");
        log_esc(&l, r->error, strlen(r->error), 1024);
        LOG_LIT(&l, "\"");
    }
    log_emit(&l, 1);
}

void
log_set_rid(const char *rid)
{
    log_rid = rid;
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
    free(log_path);
    log_path = strdup(path);
    if (log_path == NULL)
        abort();
    return 0;
}

int
log_adopt_stderr(void)
{
    char buf[4096];
    ssize_t n = readlink("/proc/self/fd/2", buf, sizeof(buf) - 1);
    if (n <= 0 || buf[0] != '/')
        return -1; /* a pipe, a socket, a tty's pts is fine but useless */
    buf[n] = '\0';
    struct stat st;
    if (fstat(STDERR_FILENO, &st) < 0 || !S_ISREG(st.st_mode))
        return -1;
    free(log_path);
    log_path = strdup(buf);
    if (log_path == NULL)
        abort();
    return 0;
}

static void
log_on_signal(int sig)
{
    (void)sig;
    log_reopen_due = 1;
}

void
log_reopen_on(int sig)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = log_on_signal;
    /* restart reads and writes (hiredis, libmysqlclient); poll(2) returns
     * EINTR anyway, so an idle worker wakes up and reopens at once */
    sa.sa_flags = SA_RESTART;
    sigaction(sig, &sa, NULL);
}

void
log_reopen_check(void)
{
    if (log_reopen_due)
        log_reopen_now();
}
