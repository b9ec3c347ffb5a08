/*
 * dispatch.h: from a parsed request to its handler. core/fcgi.c builds the
 * struct req from libfcgi's params and calls dispatch_run; tests call it
 * directly.
 */
#ifndef HMDP_DISPATCH_H
#define HMDP_DISPATCH_H

#include "route.h"

#include <stddef.h>

struct dispatch_hooks {
    /* Runs before each request is dispatched. */
    void (*begin)(void);
    /* Resolves rq->user from rq->token (and counts the visit). Returns
     * RES_OK also for anonymous requests; RES_DEP_DOWN if it had to ask a
     * store that is down. required says whether the route needs a user. */
    res_t (*authenticate)(struct req *rq, int required);
    /* Runs after the response is handed to nginx, before the arena is
     * reset. */
    void (*finish)(struct req *rq);
    /* The routes of internal-only locations (rq->internal): metrics. */
    const struct route *const *internal_tables;
    /* For a ROUTE_REDIS_OPTIONAL route whose authenticate answered
     * RES_DEP_DOWN: resolves rq->user without the store that is down.
     * RES_OK with rq->user set, or RES_DEP_DOWN (the 503 stands). May be
     * NULL. */
    res_t (*authenticate_cached)(struct req *rq);
};

/* Matches the route (against hooks->internal_tables instead of tables
 * when rq->internal; rq->route is the row), checks the admin token and the body
 * limit (body_declared is CONTENT_LENGTH), authenticates and runs the handler.
 * Reading the body happens between match and handler through read_body
 * (may be NULL). Failures are described on rq. */
res_t dispatch_run(const struct route *const *tables,
                   const struct dispatch_hooks *hooks, struct req *rq,
                   long body_declared,
                   res_t (*read_body)(struct req *rq, size_t n, void *ctx),
                   void *ctx);

#endif
