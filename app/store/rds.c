/*
 * rds.c: one hiredis context per process. `owed` counts replies the server
 * will still send for commands whose replies nobody reads (rds_fire) or
 * that a pipeline left behind; they are read and dropped, in order, before
 * the next reply anyone waits for, so fire-and-forget commands ride along
 * with the next round trip instead of costing one of their own.
 *
 * Replies are built in the arena of the request or job that reads them
 * (the reader's object functions, rds_reply_fns), not malloc'd one object
 * at a time: a consumer batch of a thousand stream entries is some 30,000
 * reply objects, and they all go with the arena's reset. So a reply is
 * never freed here, only forgotten; one a caller gets lives as long as its
 * cx's arena (rds.h). No reply is left half-parsed at the end of a unit:
 * every command's reply is read in full before the unit ends (a unit that
 * ends with a pipeline open drops the connection).
 */
#include "rds.h"

#include "../core/cfg.h"
#include "../core/log.h"
#include "../core/metrics.h"

#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

static redisContext *rds_ctx;
static int rds_owed;    /* replies to read and drop before the next one */
static int rds_pending; /* replies queued with rds_append, not yet read */
/* replies of commands fired while a pipeline was open: they come after
 * its replies, and join rds_owed once the last of those is read */
static int rds_late;
static int rds_io_ms = 2000;
static int rds_checked; /* liveness checked during this request */
/* commands appended since the last read: the next read that waits for a
 * reply is one round trip (a pipeline or fired commands ride along) */
static int rds_unsent;
static int rds_opened; /* connections opened so far (reconnects: > 1) */

/* Every append goes through here so round trips are counted. */
#define RDS_APPENDED(call) (rds_unsent = 1, (call))

static void rds_check_alive(struct ctx *cx);
static const char *rds_sha_of(const struct rds_script *s);
static res_t rds_load_script(struct ctx *cx, const struct rds_script *s,
                             const char **sha);

/* Per-connection cache of script SHA1s (reset on reconnect). */
#define RDS_MAX_SCRIPTS 32
static struct {
    const struct rds_script *s;
    char sha[41];
} rds_shas[RDS_MAX_SCRIPTS];
static int rds_nshas;
/* scripts first sent inside an open pipeline (as EVAL with the source: a
 * SCRIPT LOAD there would read the pipeline's replies as its own), loaded
 * at the end of the request so their next use is an EVALSHA */
static const struct rds_script *rds_deferred[RDS_MAX_SCRIPTS];
static int rds_ndeferred;

/* ---------------- reply objects in the arena ---------------- */

static struct arena *rds_reply_arena; /* the reading unit's */

static redisReply *
rds_reply_new(const redisReadTask *task, int type)
{
    redisReply *r = arena_calloc(rds_reply_arena, sizeof(*r));
    r->type = type;
    if (task->parent) {
        redisReply *parent = task->parent->obj;
        parent->element[task->idx] = r;
    }
    return r;
}

static void *
rds_reply_string(const redisReadTask *task, char *str, size_t len)
{
    redisReply *r = rds_reply_new(task, task->type);
    r->str = arena_strndup(rds_reply_arena, str, len);
    r->len = len;
    return r;
}

static void *
rds_reply_array(const redisReadTask *task, int elements)
{
    redisReply *r = rds_reply_new(task, REDIS_REPLY_ARRAY);
    if (elements > 0)
        r->element = arena_calloc(rds_reply_arena,
                                  (size_t)elements * sizeof(*r->element));
    r->elements = elements > 0 ? (size_t)elements : 0;
    return r;
}

static void *
rds_reply_integer(const redisReadTask *task, long long value)
{
    redisReply *r = rds_reply_new(task, REDIS_REPLY_INTEGER);
    r->integer = value;
    return r;
}

static void *
rds_reply_nil(const redisReadTask *task)
{
    return rds_reply_new(task, REDIS_REPLY_NIL);
}

static void
rds_reply_forget(void *p)
{
    (void)p; /* the arena's reset frees it */
}

static redisReplyObjectFunctions rds_reply_fns = {
    rds_reply_string, rds_reply_array, rds_reply_integer, rds_reply_nil,
    rds_reply_forget};

static void
rds_drop(const char *why)
{
    if (rds_ctx) {
        log_warn("redis: dropping connection: %s", why);
        redisFree(rds_ctx);
    }
    rds_ctx = NULL;
    rds_owed = rds_pending = rds_late = 0;
    rds_nshas = rds_ndeferred = 0;
}

void
rds_set_io_timeout(int ms)
{
    rds_io_ms = ms > 0 ? ms : 2000;
    if (rds_ctx) {
        struct timeval io = {rds_io_ms / 1000, (rds_io_ms % 1000) * 1000};
        redisSetTimeout(rds_ctx, io);
    }
}

void
rds_close(void)
{
    if (rds_ctx)
        redisFree(rds_ctx);
    rds_ctx = NULL;
    rds_owed = rds_pending = rds_late = 0;
    rds_nshas = 0;
}

static res_t
rds_down(struct ctx *cx, const char *what)
{
    metrics_inc(MET_RDS_ERRORS);
    if (g_cfg.redis_socket[0])
        return ctx_fail(cx, RES_DEP_DOWN, "redis %s unavailable: %s",
                        g_cfg.redis_socket, what);
    return ctx_fail(cx, RES_DEP_DOWN, "redis %s:%d unavailable: %s",
                    g_cfg.redis_host, g_cfg.redis_port, what);
}

static res_t
rds_connect(struct ctx *cx)
{
    if (rds_ctx && !rds_checked) {
        rds_checked = 1;
        rds_check_alive(cx);
    }
    if (rds_ctx)
        return RES_OK;
    struct timeval tv = {0, 500000};
    redisContext *c =
        g_cfg.redis_socket[0]
            ? redisConnectUnixWithTimeout(g_cfg.redis_socket, tv)
            : redisConnectWithTimeout(g_cfg.redis_host, g_cfg.redis_port, tv);
    if (c == NULL)
        abort();
    if (c->err) {
        char msg[160];
        snprintf(msg, sizeof(msg), "connect: %s", c->errstr);
        redisFree(c);
        return rds_down(cx, msg);
    }
    struct timeval io = {rds_io_ms / 1000, (rds_io_ms % 1000) * 1000};
    redisSetTimeout(c, io);
    c->reader->fn = &rds_reply_fns;
    rds_ctx = c;
    if (rds_opened++ > 0)
        metrics_inc(MET_RDS_RECONNECTS);
    rds_owed = rds_pending = rds_late = 0;
    rds_nshas = rds_ndeferred = 0;
    return RES_OK;
}

/* The connection failed in I/O: drops it and fails cx with hiredis' error
 * (or fallback), prefixed with what was being done. */
static res_t
rds_lost(struct ctx *cx, const char *what, const char *fallback)
{
    char msg[160];
    snprintf(msg, sizeof(msg), "%s%s", what,
             rds_ctx->errstr[0] ? rds_ctx->errstr : fallback);
    rds_drop(msg);
    return rds_down(cx, msg);
}

/* Reads one reply from the wire; drops the connection on I/O error. */
static res_t
rds_read_one(struct ctx *cx, redisReply **out)
{
    void *r = NULL;
    if (rds_unsent) {
        g_met_rds_rt++;
        rds_unsent = 0;
    }
    rds_reply_arena = cx->arena;
    if (redisGetReply(rds_ctx, &r) != REDIS_OK || r == NULL)
        return rds_lost(cx, "", "no reply");
    *out = r;
    return RES_OK;
}

/* Reads and drops the replies owed for fired commands. */
static res_t
rds_settle(struct ctx *cx)
{
    while (rds_owed > 0) {
        redisReply *r;
        res_t rc = rds_read_one(cx, &r);
        if (rc != RES_OK)
            return rc;
        rds_owed--;
        if (r->type == REDIS_REPLY_ERROR) {
            metrics_inc(MET_RDS_ERRORS);
            log_warn("redis: fired command failed: %s", r->str);
        }
    }
    return RES_OK;
}

/* One pipeline reply was read: after the last, the replies of commands
 * fired meanwhile are next on the wire. */
static void
rds_pending_read(void)
{
    if (--rds_pending == 0) {
        rds_owed += rds_late;
        rds_late = 0;
    }
}

static res_t
rds_take(struct ctx *cx, redisReply *r, redisReply **out)
{
    if (out)
        *out = r;
    if (r->type == REDIS_REPLY_ERROR) {
        metrics_inc(MET_RDS_ERRORS);
        return ctx_fail(cx, RES_INTERNAL, "redis error: %s", r->str);
    }
    return RES_OK;
}

static res_t
rds_finish_cmd(struct ctx *cx, int appended, redisReply **out)
{
    if (appended != REDIS_OK) {
        rds_drop("append failed");
        return rds_down(cx, "append failed");
    }
    res_t rc = rds_settle(cx);
    if (rc != RES_OK)
        return rc;
    /* replies of an abandoned pipeline come before ours */
    while (rds_pending > 0) {
        redisReply *r;
        if ((rc = rds_read_one(cx, &r)) != RES_OK)
            return rc;
        rds_pending_read();
    }
    if ((rc = rds_settle(cx)) != RES_OK) /* fired meanwhile */
        return rc;
    redisReply *r;
    if ((rc = rds_read_one(cx, &r)) != RES_OK)
        return rc;
    return rds_take(cx, r, out);
}

res_t
rds_cmd(struct ctx *cx, redisReply **out, const char *fmt, ...)
{
    res_t rc = rds_connect(cx);
    if (rc != RES_OK)
        return rc;
    va_list ap;
    va_start(ap, fmt);
    int a = RDS_APPENDED(redisvAppendCommand(rds_ctx, fmt, ap));
    va_end(ap);
    return rds_finish_cmd(cx, a, out);
}

res_t
rds_cmdv(struct ctx *cx, redisReply **out, int argc, const char **argv,
         const size_t *argvlen)
{
    res_t rc = rds_connect(cx);
    if (rc != RES_OK)
        return rc;
    int a = RDS_APPENDED(redisAppendCommandArgv(rds_ctx, argc, argv, argvlen));
    return rds_finish_cmd(cx, a, out);
}

res_t
rds_append(struct ctx *cx, const char *fmt, ...)
{
    res_t rc = rds_connect(cx);
    if (rc != RES_OK)
        return rc;
    va_list ap;
    va_start(ap, fmt);
    int a = RDS_APPENDED(redisvAppendCommand(rds_ctx, fmt, ap));
    va_end(ap);
    if (a != REDIS_OK) {
        rds_drop("append failed");
        return rds_down(cx, "append failed");
    }
    rds_pending++;
    return RES_OK;
}

res_t
rds_appendv(struct ctx *cx, int argc, const char **argv, const size_t *argvlen)
{
    res_t rc = rds_connect(cx);
    if (rc != RES_OK)
        return rc;
    if (RDS_APPENDED(redisAppendCommandArgv(rds_ctx, argc, argv, argvlen)) !=
        REDIS_OK) {
        rds_drop("append failed");
        return rds_down(cx, "append failed");
    }
    rds_pending++;
    return RES_OK;
}

/* Reads the next reply of the open pipeline (after those owed for fired
 * commands); who names the caller in the misuse error. */
static res_t
rds_next_pipelined(struct ctx *cx, redisReply **out, const char *who)
{
    if (rds_ctx == NULL)
        return rds_down(cx, "connection lost mid-pipeline");
    if (rds_pending <= 0)
        return ctx_fail(cx, RES_INTERNAL, "%s without a command", who);
    res_t rc = rds_settle(cx);
    if (rc != RES_OK || (rc = rds_read_one(cx, out)) != RES_OK)
        return rc;
    rds_pending_read();
    return RES_OK;
}

res_t
rds_reply(struct ctx *cx, redisReply **out)
{
    redisReply *r;
    res_t rc = rds_next_pipelined(cx, &r, "rds_reply");
    if (rc != RES_OK)
        return rc;
    *out = r;
    if (r->type == REDIS_REPLY_ERROR)
        return ctx_fail(cx, RES_INTERNAL, "redis error in pipeline: %s",
                        r->str);
    return RES_OK;
}

res_t
rds_send(struct ctx *cx)
{
    if (rds_ctx == NULL)
        return rds_down(cx, "connection lost before send");
    int done = 0;
    while (!done)
        if (redisBufferWrite(rds_ctx, &done) != REDIS_OK)
            return rds_lost(cx, "send: ", "failed");
    return RES_OK;
}

/* Connects for a fired command; a fired command never fails a request,
 * so a connect failure leaves the request's status as it was. */
static int
rds_fire_connect(struct ctx *cx)
{
    struct ctx_mark m = ctx_mark(cx);
    if (rds_connect(cx) != RES_OK) {
        ctx_restore(cx, m);
        return -1;
    }
    return 0;
}

/* Counts a fired command appended with status a. */
static void
rds_fire_queued(int a)
{
    if (a != REDIS_OK) {
        rds_drop("append failed");
        return;
    }
    /* inside an open pipeline the reply comes after the pipeline's */
    if (rds_pending > 0)
        rds_late++;
    else
        rds_owed++;
}

void
rds_fire(struct ctx *cx, const char *fmt, ...)
{
    if (rds_fire_connect(cx) != 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    int a = RDS_APPENDED(redisvAppendCommand(rds_ctx, fmt, ap));
    va_end(ap);
    rds_fire_queued(a);
}

void
rds_firev(struct ctx *cx, int argc, const char **argv, const size_t *argvlen)
{
    if (rds_fire_connect(cx) != 0)
        return;
    rds_fire_queued(
        RDS_APPENDED(redisAppendCommandArgv(rds_ctx, argc, argv, argvlen)));
}

void
rds_flush(struct ctx *cx)
{
    (void)cx;
    if (rds_ctx == NULL)
        return;
    int done = 0;
    while (!done)
        if (redisBufferWrite(rds_ctx, &done) != REDIS_OK) {
            rds_drop("flush failed");
            return;
        }
}

void
rds_request_end(struct ctx *cx)
{
    if (rds_ctx == NULL)
        return;
    if (rds_pending > 0) {
        rds_drop("request ended with unread pipeline replies");
        return;
    }
    /* send what was fired; the replies are read with the next command */
    rds_flush(cx);
    /* scripts a pipeline had to send with their source: loaded now, after
     * the reply, so the next request sends only the SHA */
    while (rds_ctx && rds_ndeferred > 0) {
        const struct rds_script *s = rds_deferred[--rds_ndeferred];
        const char *sha;
        struct ctx_mark m = ctx_mark(cx);
        if (rds_sha_of(s) == NULL && rds_load_script(cx, s, &sha) != RES_OK)
            ctx_drop(cx, m, "script load");
    }
}

void
rds_request_begin(void)
{
    rds_checked = 0; /* checked lazily, by the request's first command */
}

/* Collects replies to fired commands that have arrived, and notices a
 * connection the server closed while we were idle (a restarted Redis), so
 * the request reconnects instead of failing. */
static void
rds_check_alive(struct ctx *cx)
{
    if (rds_ctx == NULL)
        return;
    /* replies to fired commands, or EOF from a restarted server, or both:
     * a server that answered our fired commands and was then stopped left
     * the replies and then the EOF, and one read returns only the
     * replies. So read until nothing more is waiting (a bounded number of
     * times: the server does not talk unasked), or the EOF shows. */
    for (int i = 0; i < 8; i++) {
        struct pollfd p = {rds_ctx->fd, POLLIN, 0};
        if (poll(&p, 1, 0) <= 0)
            break; /* nothing (more) arrived: alive as far as we can tell */
        if (redisBufferRead(rds_ctx) != REDIS_OK) {
            rds_drop("connection closed by server");
            return;
        }
    }
    rds_reply_arena = cx->arena;
    while (rds_owed > 0) {
        void *r = NULL;
        if (redisGetReplyFromReader(rds_ctx, &r) != REDIS_OK) {
            rds_drop("protocol error");
            return;
        }
        if (r == NULL)
            break; /* its rest is read by this unit's first command */
        rds_owed--;
    }
}

/* ---------------- scripts ---------------- */

static const char *
rds_sha_of(const struct rds_script *s)
{
    for (int i = 0; i < rds_nshas; i++)
        if (rds_shas[i].s == s)
            return rds_shas[i].sha;
    return NULL;
}

static res_t
rds_load_script(struct ctx *cx, const struct rds_script *s, const char **sha)
{
    redisReply *r;
    res_t rc = rds_cmd(cx, &r, "SCRIPT LOAD %s", s->src);
    if (rc != RES_OK)
        return rc;
    if (r->type != REDIS_REPLY_STRING || r->len != 40)
        return ctx_fail(cx, RES_INTERNAL, "SCRIPT LOAD %s: bad reply", s->name);
    if (rds_nshas < RDS_MAX_SCRIPTS) {
        rds_shas[rds_nshas].s = s;
        memcpy(rds_shas[rds_nshas].sha, r->str, 40);
        rds_shas[rds_nshas].sha[40] = '\0';
        *sha = rds_shas[rds_nshas++].sha;
    } else {
        *sha = arena_strndup(cx->arena, r->str, 40);
    }
    return RES_OK;
}

/* The EVALSHA argv of s (EVAL with the source when the connection has
 * no SHA for it). */
static const char **
rds_eval_argv(struct ctx *cx, const struct rds_script *s, int nkeys,
              const char *const *keys, int nargs, const char *const *args,
              int *argc)
{
    const char *sha = rds_sha_of(s);
    *argc = 3 + nkeys + nargs;
    const char **argv = arena_alloc(cx->arena, (size_t)*argc * sizeof(*argv));
    argv[0] = sha ? "EVALSHA" : "EVAL";
    argv[1] = sha ? sha : s->src;
    argv[2] = arena_printf(cx->arena, "%d", nkeys);
    for (int i = 0; i < nkeys; i++)
        argv[3 + i] = keys[i];
    for (int i = 0; i < nargs; i++)
        argv[3 + nkeys + i] = args[i];
    return argv;
}

/* r answered argv: on NOSCRIPT (the server lost its script cache:
 * restart, SCRIPT FLUSH) the script runs again with EVAL. */
static res_t
rds_eval_done(struct ctx *cx, const struct rds_script *s, const char **argv,
              int argc, redisReply *r, redisReply **out)
{
    if (r->type == REDIS_REPLY_ERROR && strncmp(r->str, "NOSCRIPT", 8) == 0) {
        argv[0] = "EVAL";
        argv[1] = s->src;
        rds_nshas = 0;
        return rds_cmdv(cx, out, argc, argv, NULL);
    }
    return rds_take(cx, r, out);
}

res_t
rds_eval(struct ctx *cx, const struct rds_script *s, redisReply **out,
         int nkeys, const char *const *keys, int nargs, const char *const *args)
{
    res_t rc = rds_script_ready(cx, s);
    if (rc != RES_OK)
        return rc;
    int argc;
    const char **argv = rds_eval_argv(cx, s, nkeys, keys, nargs, args, &argc);
    int a = RDS_APPENDED(redisAppendCommandArgv(rds_ctx, argc, argv, NULL));
    if (a != REDIS_OK) {
        rds_drop("append failed");
        return rds_down(cx, "append failed");
    }
    if ((rc = rds_settle(cx)) != RES_OK)
        return rc;
    redisReply *r;
    if ((rc = rds_read_one(cx, &r)) != RES_OK)
        return rc;
    return rds_eval_done(cx, s, argv, argc, r, out);
}

void
rds_eval_fire(struct ctx *cx, const struct rds_script *s, int nkeys,
              const char *const *keys, int nargs, const char *const *args)
{
    if (rds_fire_connect(cx) != 0)
        return;
    int argc = 3 + nkeys + nargs;
    const char **argv = arena_alloc(cx->arena, (size_t)argc * sizeof(*argv));
    argv[0] = "EVAL";
    argv[1] = s->src;
    argv[2] = arena_printf(cx->arena, "%d", nkeys);
    for (int i = 0; i < nkeys; i++)
        argv[3 + i] = keys[i];
    for (int i = 0; i < nargs; i++)
        argv[3 + nkeys + i] = args[i];
    rds_fire_queued(
        RDS_APPENDED(redisAppendCommandArgv(rds_ctx, argc, argv, NULL)));
}

res_t
rds_script_ready(struct ctx *cx, const struct rds_script *s)
{
    res_t rc = rds_connect(cx);
    if (rc != RES_OK)
        return rc;
    const char *sha;
    if (rds_sha_of(s) == NULL && (rc = rds_load_script(cx, s, &sha)) != RES_OK)
        return rc;
    return RES_OK;
}

res_t
rds_eval_append(struct ctx *cx, struct rds_eval_q *q,
                const struct rds_script *s, int nkeys, const char *const *keys,
                int nargs, const char *const *args)
{
    res_t rc = rds_connect(cx);
    if (rc != RES_OK)
        return rc;
    if (rds_sha_of(s) == NULL) {
        if (rds_pending == 0) {
            if ((rc = rds_script_ready(cx, s)) != RES_OK)
                return rc;
        } else {
            int known = 0;
            for (int i = 0; i < rds_ndeferred; i++)
                known |= rds_deferred[i] == s;
            if (!known && rds_ndeferred < RDS_MAX_SCRIPTS)
                rds_deferred[rds_ndeferred++] = s;
        }
    }
    q->s = s;
    q->argv = rds_eval_argv(cx, s, nkeys, keys, nargs, args, &q->argc);
    return rds_appendv(cx, q->argc, q->argv, NULL);
}

res_t
rds_eval_reply(struct ctx *cx, struct rds_eval_q *q, redisReply **out)
{
    redisReply *r;
    res_t rc = rds_next_pipelined(cx, &r, "rds_eval_reply");
    if (rc != RES_OK)
        return rc;
    return rds_eval_done(cx, q->s, q->argv, q->argc, r, out);
}

long long
rds_int(const redisReply *r)
{
    if (r == NULL)
        return 0;
    if (r->type == REDIS_REPLY_INTEGER)
        return r->integer;
    if (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS)
        return strtoll(r->str, NULL, 10);
    return 0;
}

const char *
rds_str(struct ctx *cx, const redisReply *r)
{
    if (r == NULL ||
        (r->type != REDIS_REPLY_STRING && r->type != REDIS_REPLY_STATUS))
        return NULL;
    return arena_strndup(cx->arena, r->str, r->len);
}
