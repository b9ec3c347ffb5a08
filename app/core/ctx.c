/*
 * ctx.c: the sticky error of a unit of work.
 */
#include "ctx.h"

#include "log.h"

#include <stdarg.h>
#include <string.h>

static const char *
ctx_or_dash(const char *s)
{
    return s ? s : "-";
}

res_t
ctx_fail(struct ctx *cx, res_t rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    rc = ctx_vfail(cx, rc, fmt, ap);
    va_end(ap);
    return rc;
}

res_t
ctx_vfail(struct ctx *cx, res_t rc, const char *fmt, va_list ap)
{
    if (cx->rc != RES_OK || rc == RES_OK)
        return rc; /* the first failure is the one reported */
    char *msg = arena_vprintf(cx->arena, fmt, ap);
    cx->rc = rc;
    if (rc == RES_DEP_DOWN || rc == RES_INTERNAL) {
        if (cx->log_later)
            cx->detail = msg; /* on the request's one line */
        else
            log_error("%s %s %s %s: %s", cx->kind ? cx->kind : "req",
                      ctx_or_dash(cx->name), ctx_or_dash(cx->op),
                      ctx_or_dash(cx->target), msg);
        msg = arena_strdup(cx->arena, rc == RES_DEP_DOWN
                                          ? "服务暂时不可用，请稍后重试"
                                          : "服务器异常");
    }
    cx->errmsg = msg;
    return rc;
}

int
ctx_drop(struct ctx *cx, struct ctx_mark m, const char *what)
{
    if (cx->rc == m.rc && cx->errmsg == m.errmsg)
        return 0;
    log_warn("%s %s: %s failed (ignored): %s", cx->kind ? cx->kind : "req",
             ctx_or_dash(cx->name), what,
             ctx_or_dash(cx->detail != m.detail ? cx->detail : cx->errmsg));
    ctx_restore(cx, m);
    return 1;
}
