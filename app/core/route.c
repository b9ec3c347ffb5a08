/*
 * route.c: path matching. Linear over the tables (about fifty rows); each
 * candidate is compared segment by segment without allocating, and only the
 * winner's parameters are copied into the request.
 */
#include "route.h"

#include <string.h>

/* Compares pattern with path. Returns -1 for no match, otherwise a score
 * whose bits mark literal segments, leftmost segment highest. Every
 * request scores every row, and most rows fail in their first segment:
 * one pass over the characters, without strchr/strlen per segment, so a
 * mismatch costs a few compares. */
static long
route_score(const char *pat, const char *path)
{
    long score = 0;
    int seg = 0;
    const char *p = pat, *q = path;
    for (;;) {
        if (*p != '/' || *q != '/')
            return -1;
        p++;
        q++;
        if (*q == '/' || *q == '\0')
            return -1; /* empty segment: // or trailing / */
        const char *pe = p;
        if (*p == '{')
            while (*pe != '/' && *pe != '\0')
                pe++;
        if (pe - p >= 2 && pe[-1] == '}') {
            /* parameter: any non-empty segment */
            p = pe;
            while (*q != '/' && *q != '\0')
                q++;
        } else {
            while (*p == *q && *p != '/' && *p != '\0') {
                p++;
                q++;
            }
            if ((*p != '/' && *p != '\0') || (*q != '/' && *q != '\0'))
                return -1;
            if (seg < 30)
                score |= 1L << (30 - seg);
        }
        seg++;
        if (*p == '\0' && *q == '\0')
            return score;
        if (*p == '\0' || *q == '\0')
            return -1;
    }
}

static void
route_fill_params(const char *pat, struct req *rq)
{
    rq->nparams = 0;
    const char *p = pat, *q = rq->path;
    while (*p == '/' && *q == '/') {
        p++;
        q++;
        const char *pe = strchr(p, '/'), *qe = strchr(q, '/');
        size_t pl = pe ? (size_t)(pe - p) : strlen(p);
        size_t ql = qe ? (size_t)(qe - q) : strlen(q);
        if (pl >= 2 && p[0] == '{' && p[pl - 1] == '}' &&
            rq->nparams < REQ_MAX_PARAMS) {
            rq->params[rq->nparams].name =
                arena_strndup(rq->cx.arena, p + 1, pl - 2);
            rq->params[rq->nparams].val = arena_strndup(rq->cx.arena, q, ql);
            rq->nparams++;
        }
        p += pl;
        q += ql;
    }
}

res_t
route_match(const struct route *const *tables, struct req *rq,
            const struct route **out)
{
    const struct route *best = NULL;
    long best_score = -1;
    int path_seen = 0;
    for (size_t t = 0; tables[t]; t++) {
        for (const struct route *r = tables[t]; r->pattern; r++) {
            long s = route_score(r->pattern, rq->path);
            if (s < 0)
                continue;
            path_seen = 1;
            unsigned m = rq->method == HTTP_HEAD ? HTTP_GET : rq->method;
            if (!(r->methods & m))
                continue;
            if (s > best_score) {
                best_score = s;
                best = r;
            }
        }
    }
    if (best == NULL)
        return path_seen ? RES_METHOD : RES_NOT_FOUND;
    route_fill_params(best->pattern, rq);
    *out = best;
    return RES_OK;
}
