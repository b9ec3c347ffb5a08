/*
 * route.h: routes are data. Each feature exports a table terminated by a
 * row with pattern NULL; app/wire.c lists the tables. A pattern is a path
 * whose segments are literals or {name} parameters. When several patterns
 * match, the one with a literal in the leftmost differing segment wins, so
 * /blog/hot beats /blog/{id} whatever the table order.
 */
#ifndef HMDP_ROUTE_H
#define HMDP_ROUTE_H

#include "req.h"

typedef res_t (*route_fn)(struct req *rq);

enum route_flags {
    ROUTE_AUTH = 1,   /* 401 when anonymous */
    ROUTE_ADMIN = 2,  /* X-Admin-Token must equal the configured token */
    ROUTE_UPLOAD = 4, /* body limit is upload_limit instead of body_limit */
    /* the handler authenticates itself, pipelining the session lookup
     * with its first Redis command: the authenticate hook is not called,
     * and with ROUTE_AUTH the handler answers the 401 (before any 400) */
    ROUTE_AUTH_LATE = 8,
    /* the handler can do its work while Redis is down (chat send: it
     * spools), so when the session lookup finds Redis unreachable the
     * dispatcher asks the authenticate_cached hook (a cache of sessions
     * Redis confirmed a moment ago) instead of answering 503 */
    ROUTE_REDIS_OPTIONAL = 16,
};

struct route {
    unsigned methods; /* enum http_method bits */
    const char *pattern;
    route_fn fn;
    unsigned flags;
};

/* Finds the route for method+path and fills rq->params. Returns RES_OK
 * with *out set, RES_NOT_FOUND, or RES_METHOD (the path exists with other
 * methods). tables is NULL-terminated. Does not call req_fail. */
res_t route_match(const struct route *const *tables, struct req *rq,
                  const struct route **out);

#endif
