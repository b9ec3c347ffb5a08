/*
 * dispatch.c: the rules between a parsed request and its handler (route,
 * admin token, body limit, authentication), with no libfcgi in sight so
 * the unit tests and fuzzers run them as the worker does.
 */
#include "dispatch.h"

#include "cfg.h"

#include <string.h>

/* Constant-time comparison for the admin token. */
static int
dispatch_token_eq(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    unsigned char d = (unsigned char)(la != lb);
    for (size_t i = 0; i < la && i < lb; i++)
        d |= (unsigned char)(a[i] ^ b[i]);
    return d == 0;
}

res_t
dispatch_run(const struct route *const *tables,
             const struct dispatch_hooks *hooks, struct req *rq,
             long body_declared,
             res_t (*read_body)(struct req *rq, size_t n, void *ctx), void *ctx)
{
    const struct route *r = NULL;
    if (rq->internal) {
        static const struct route *const none[] = {NULL};
        tables =
            hooks && hooks->internal_tables ? hooks->internal_tables : none;
    }
    res_t rc = route_match(tables, rq, &r);
    if (rc == RES_NOT_FOUND)
        return req_fail(rq, rc, "接口不存在: %s", rq->path);
    if (rc == RES_METHOD)
        return req_fail(rq, rc, "不支持的请求方法 %s", rq->method_str);
    rq->route = r;

    if (r->flags & ROUTE_ADMIN) {
        if (g_cfg.admin_token == NULL || g_cfg.admin_token[0] == '\0' ||
            rq->admin_header == NULL ||
            !dispatch_token_eq(rq->admin_header, g_cfg.admin_token))
            return req_fail(rq, RES_FORBIDDEN, "需要管理员权限");
    }

    long limit =
        (r->flags & ROUTE_UPLOAD) ? g_cfg.upload_limit : g_cfg.body_limit;
    if (body_declared < 0)
        return req_fail(rq, RES_BAD_INPUT, "Content-Length 无效");
    if (body_declared > limit)
        return req_fail(rq, RES_TOO_LARGE, "请求体过大（上限 %ld 字节）",
                        limit);
    if (body_declared > 0 && read_body) {
        if ((rc = read_body(rq, (size_t)body_declared, ctx)) != RES_OK)
            return rc;
    }

    if (hooks && hooks->authenticate && !(r->flags & ROUTE_AUTH_LATE)) {
        struct ctx_mark mk = ctx_mark(&rq->cx);
        rc = hooks->authenticate(rq, (r->flags & ROUTE_AUTH) != 0);
        if (rc == RES_DEP_DOWN && (r->flags & ROUTE_REDIS_OPTIONAL) &&
            hooks->authenticate_cached && rq->token &&
            hooks->authenticate_cached(rq) == RES_OK) {
            /* the lookup's 503 gives way to the cached session (the hook
             * logged that it was used) */
            ctx_restore(&rq->cx, mk);
            rc = RES_OK;
        }
        if (rc != RES_OK)
            return rc;
    }
    if ((r->flags & ROUTE_AUTH) && !(r->flags & ROUTE_AUTH_LATE) &&
        !rq->has_user)
        return req_fail(rq, RES_UNAUTH, REQ_MSG_LOGIN);
    return r->fn(rq);
}
