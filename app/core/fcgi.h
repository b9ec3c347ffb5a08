/*
 * fcgi.h: the worker's accept loop. The only module that sees libfcgi.
 */
#ifndef HMDP_FCGI_H
#define HMDP_FCGI_H

#include "route.h"

struct fcgi_hooks {
    /* Runs before each request is dispatched. */
    void (*begin)(void);
    /* Resolves rq->user from rq->token (and counts the visit). Returns
     * RES_OK also for anonymous requests; RES_DEP_DOWN if it had to ask a
     * store that is down. required says whether the route needs a user. */
    res_t (*authenticate)(struct req *rq, int required);
    /* Runs after the response is handed to nginx, before the arena is
     * reset. */
    void (*finish)(struct req *rq);
};

/* Serves requests on the listening socket at fd 0 (as spawn-fcgi passes
 * it) until SIGTERM/SIGINT. Returns 0 on orderly stop, -1 on setup error. */
int fcgi_serve(const struct route *const *tables,
               const struct fcgi_hooks *hooks);

/* The dispatch pipeline without libfcgi, for tests: matches the route,
 * checks the admin token and the body limit (body_declared is
 * CONTENT_LENGTH), authenticates and runs the handler. Reading the body
 * happens between match and handler through read_body (may be NULL). */
res_t fcgi_dispatch(const struct route *const *tables,
                    const struct fcgi_hooks *hooks, struct req *rq,
                    long body_declared,
                    res_t (*read_body)(struct req *rq, size_t n, void *ctx),
                    void *ctx);

#endif
