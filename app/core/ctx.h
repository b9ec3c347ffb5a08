/*
 * ctx.h: the context of one unit of work, an HTTP request or a job (a
 * consumer batch, an admin command). It carries what store/ and stream/
 * need and nothing about HTTP: the arena that owns everything the unit
 * allocates, and the sticky error.
 *
 * Error protocol: the function that detects a failure calls ctx_fail(),
 * which records the first code and message and returns the code; every
 * caller above it just returns rc. A caller that handles a failure itself
 * (a best-effort cache write after a commit) brackets the call with
 * ctx_mark() and ctx_drop()/ctx_restore(), never by writing rc/errmsg.
 *
 * A job's begin and end (the store connections' unit) are in store/job.h.
 */
#ifndef HMDP_CTX_H
#define HMDP_CTX_H

#include "arena.h"
#include "res.h"

#include <stdarg.h>

struct ctx {
    struct arena *arena; /* owns everything the unit allocates */
    res_t rc;            /* first failure, RES_OK until then */
    char *errmsg;        /* its message (user-facing for 4xx/refusals) */
    /* for log lines: "<kind> <name> <op> <target>: message"; a request
     * is "req <request id> <method> <path>", a job "job <name> ..." */
    const char *kind;
    const char *name;
    const char *op;
    const char *target;
    /* A request logs one line, after its reply (core/fcgi.c): with
     * log_later set, the detail of a 5xx is kept here for that line
     * instead of being logged on its own. A job logs it at once. */
    int log_later;
    const char *detail;
};

/* Records rc and a message (first failure wins) and returns rc. For
 * RES_DEP_DOWN/RES_INTERNAL the message goes to the log and errmsg gets
 * a generic text for the client. rc == RES_OK records nothing. */
res_t ctx_fail(struct ctx *cx, res_t rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* ctx_fail with a va_list (for wrappers such as req_fail). */
res_t ctx_vfail(struct ctx *cx, res_t rc, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

/* The error state at one point, to return to after a failure the caller
 * handles itself. */
struct ctx_mark {
    res_t rc;
    char *errmsg;
    const char *detail;
};

static inline struct ctx_mark
ctx_mark(const struct ctx *cx)
{
    struct ctx_mark m = {cx->rc, cx->errmsg, cx->detail};
    return m;
}

/* Returns to the state of m without a word (the caller has dealt with
 * whatever failed since). */
static inline void
ctx_restore(struct ctx *cx, struct ctx_mark m)
{
    cx->rc = m.rc;
    cx->errmsg = m.errmsg;
    cx->detail = m.detail;
}

/* Drops a failure recorded since m: it is logged as a warning naming
 * what failed ("blog cache fill") and the state of m comes back. Returns
 * 1 when there was one, 0 otherwise. For steps that must not fail the
 * unit: a cache write-back, an invalidation after a commit. */
int ctx_drop(struct ctx *cx, struct ctx_mark m, const char *what);

/* Forgets any failure: the context is clean again (a retry). */
static inline void
ctx_clear(struct ctx *cx)
{
    cx->rc = RES_OK;
    cx->errmsg = NULL;
    cx->detail = NULL;
}

#endif
