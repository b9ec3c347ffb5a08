/*
 * message_spool.c: the backup of the message producer. A message accepted
 * while Redis is unreachable (or timing out, or answering errors) is
 * appended to this process's spool file, <spool dir>/<pid>.spool, with
 * O_APPEND and fsync before the caller answers success, and appended to
 * Redis later by a drain.
 *
 * Locking: every operation on a spool file (a write, a drain) holds
 * flock(LOCK_EX) on it for its duration, so a drain never sees half a
 * record and never truncates a record written after it read the file.
 * Any process may therefore drain any file: the writer's own next call
 * (message_spool_drain, a flag check when its file is clean), and a
 * periodic drainer over the whole directory (message_spool_drain_all, run
 * by the message consumer), which also takes over the files of processes
 * that died; their emptied files are removed.
 *
 * Exactly once: a drain appends every record through the producer script
 * without checks, and truncates the file only when all were taken. A
 * drain cut short (crash, Redis gone again) replays records that may be
 * in Redis already; the script's dedup on the message id makes such a
 * replay add nothing.
 *
 * Record: one line, tab-separated: "M1", chat (0/1), to, from, mid, once
 * key or "-", conv or "-", m, u or "-" (a notice's u is looked up when it
 * is appended). m and u are JSON text, in which json-c
 * escapes tabs and line breaks, so a line break ends a record; a last
 * line without one was never acknowledged (the writer died in write) and
 * is dropped.
 */
#include "message_private.h"

#include "../core/cfg.h"
#include "../core/log.h"
#include "../core/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int spool_dirty = -1; /* -1: not checked yet, 1: own file has data */

static char *
spool_own_path(struct ctx *cx)
{
    return arena_printf(cx->arena, "%s/%ld.spool", g_cfg.message_spool_dir,
                        (long)getpid());
}

static int
spool_field_ok(const char *s)
{
    return s && *s && strpbrk(s, "\t\n") == NULL;
}

res_t
message_spool_put(struct ctx *cx, const struct message_out *mo)
{
    const char *once = mo->once ? mo->once : "-";
    const char *conv = mo->conv ? mo->conv : "-";
    const char *u = mo->u ? mo->u : "-";
    if (!spool_field_ok(mo->mid) || !spool_field_ok(once) ||
        !spool_field_ok(conv) || !spool_field_ok(mo->m) || !spool_field_ok(u))
        return ctx_fail(cx, RES_INTERNAL, "spool: message %s not spoolable",
                        mo->mid);
    char *line = arena_printf(
        cx->arena, "M1\t%d\t%lld\t%lld\t%s\t%s\t%s\t%s\t%s\n", mo->chat ? 1 : 0,
        (long long)mo->to, (long long)mo->from, mo->mid, once, conv, mo->m, u);
    size_t len = strlen(line);
    const char *path = spool_own_path(cx);
    (void)mkdir(g_cfg.message_spool_dir, 0700);
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return ctx_fail(cx, RES_INTERNAL, "spool: open %s: %s", path,
                        strerror(errno));
    res_t rc = RES_OK;
    if (flock(fd, LOCK_EX) < 0) {
        rc = ctx_fail(cx, RES_INTERNAL, "spool: flock %s: %s", path,
                      strerror(errno));
        goto out;
    }
    ssize_t w = write(fd, line, len);
    if (w != (ssize_t)len || fsync(fd) < 0) {
        /* a partial record has no line break yet: cut it off so the next
         * record starts on a line of its own */
        if (w > 0) {
            struct stat sb;
            if (fstat(fd, &sb) == 0 && ftruncate(fd, sb.st_size - w) < 0)
                log_error("spool %s: a partial record stays (%s)", path,
                          strerror(errno));
        }
        rc = ctx_fail(cx, RES_INTERNAL, "spool: write %s: %s", path,
                      strerror(errno));
        goto out;
    }
    spool_dirty = 1;
out:
    close(fd); /* drops the lock */
    return rc;
}

/* Parses one record line (modified in place). Returns 0 or -1. */
static int
spool_parse(char *line, struct message_out *mo)
{
    char *f[9];
    int n = 0;
    for (char *p = line; n < 9; n++) {
        f[n] = p;
        char *t = strchr(p, '\t');
        if (t == NULL) {
            n++;
            break;
        }
        *t = '\0';
        p = t + 1;
    }
    int64_t to, from;
    if (n != 9 || strcmp(f[0], "M1") != 0 ||
        (strcmp(f[1], "0") && strcmp(f[1], "1")) ||
        str_parse_i64(f[2], &to) < 0 || to <= 0 ||
        str_parse_i64(f[3], &from) < 0 || from < 0)
        return -1;
    memset(mo, 0, sizeof(*mo));
    mo->chat = f[1][0] == '1';
    mo->to = to;
    mo->from = from;
    mo->mid = f[4];
    mo->once = strcmp(f[5], "-") ? f[5] : NULL;
    mo->conv = strcmp(f[6], "-") ? f[6] : NULL;
    mo->m = f[7];
    mo->u = strcmp(f[8], "-") ? f[8] : NULL;
    return 0;
}

/* Reads all of fd into an arena buffer. */
static res_t
spool_read_all(struct ctx *cx, int fd, const char *path, char **buf,
               size_t *len)
{
    struct stat sb;
    if (fstat(fd, &sb) < 0)
        return ctx_fail(cx, RES_INTERNAL, "spool: stat %s: %s", path,
                        strerror(errno));
    char *b = arena_alloc(cx->arena, (size_t)sb.st_size + 1);
    size_t got = 0;
    while (got < (size_t)sb.st_size) {
        ssize_t r = pread(fd, b + got, (size_t)sb.st_size - got, (off_t)got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    b[got] = '\0';
    *buf = b;
    *len = got;
    return RES_OK;
}

/* Drains one file. *empty = 1 when the file holds nothing afterwards.
 * A file locked by someone else (writing or draining) is left alone. */
static res_t
spool_drain_file(struct ctx *cx, const char *path, int remove_if_empty,
                 int *empty, long *appended)
{
    *empty = 0;
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) {
            *empty = 1;
            return RES_OK;
        }
        return ctx_fail(cx, RES_INTERNAL, "spool: open %s: %s", path,
                        strerror(errno));
    }
    res_t rc = RES_OK;
    if (flock(fd, LOCK_EX | LOCK_NB) < 0)
        goto out; /* busy: a later drain gets it */
    char *buf = NULL;
    size_t len = 0;
    if ((rc = spool_read_all(cx, fd, path, &buf, &len)) != RES_OK)
        goto out;
    char *p = buf;
    for (char *nl; (nl = memchr(p, '\n', len - (size_t)(p - buf))) != NULL;
         p = nl + 1) {
        *nl = '\0';
        struct message_out mo;
        if (spool_parse(p, &mo) < 0) {
            log_error("spool %s: malformed record dropped", path);
            continue;
        }
        enum message_add res;
        if ((rc = message_append(cx, &mo, 0, &res, NULL)) != RES_OK)
            goto out; /* Redis gone again: the whole file stays */
        if (res == MESSAGE_ADDED)
            (*appended)++;
    }
    if (p < buf + len)
        log_warn("spool %s: a record cut short by a crash (never "
                 "acknowledged) dropped",
                 path);
    if (ftruncate(fd, 0) < 0 || fsync(fd) < 0) {
        rc = ctx_fail(cx, RES_INTERNAL, "spool: truncate %s: %s", path,
                      strerror(errno));
        goto out;
    }
    *empty = 1;
    if (remove_if_empty)
        (void)unlink(path); /* under the lock, after the truncate */
out:
    close(fd);
    return rc;
}

res_t
message_spool_drain(struct ctx *cx)
{
    if (spool_dirty == 0)
        return RES_OK;
    /* first call: a file left by an earlier process with our pid */
    int empty;
    long appended = 0;
    res_t rc = spool_drain_file(cx, spool_own_path(cx), 0, &empty, &appended);
    if (rc == RES_OK && empty)
        spool_dirty = 0;
    if (appended)
        log_info("spool: %ld message(s) appended to Redis", appended);
    return rc;
}

/* The pid a spool file name carries, or -1. */
static long
spool_file_pid(const char *name)
{
    size_t n = strlen(name);
    if (n < 7 || strcmp(name + n - 6, ".spool") != 0)
        return -1;
    long pid = 0;
    for (size_t i = 0; i < n - 6; i++) {
        if (name[i] < '0' || name[i] > '9' || pid > 100000000L)
            return -1;
        pid = pid * 10 + (name[i] - '0');
    }
    return pid;
}

res_t
message_spool_drain_all(struct ctx *cx)
{
    DIR *d = opendir(g_cfg.message_spool_dir);
    if (d == NULL)
        return RES_OK; /* nothing was ever spooled */
    res_t rc = RES_OK;
    long appended = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        long pid = spool_file_pid(de->d_name);
        if (pid <= 0)
            continue;
        const char *path = arena_printf(cx->arena, "%s/%s",
                                        g_cfg.message_spool_dir, de->d_name);
        struct stat sb;
        int dead = kill((pid_t)pid, 0) < 0 && errno == ESRCH;
        if (stat(path, &sb) < 0 || (sb.st_size == 0 && !dead))
            continue;
        int empty;
        /* only a dead writer's file may go: a live one keeps writing to
         * its path */
        if ((rc = spool_drain_file(cx, path, dead && pid != getpid(), &empty,
                                   &appended)) != RES_OK)
            break;
    }
    closedir(d);
    if (appended)
        log_info("spool: %ld message(s) appended to Redis", appended);
    return rc;
}
