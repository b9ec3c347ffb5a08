/*
 * job.c: begin and end of a job (see job.h).
 */
#include "job.h"

#include "rds.h"
#include "sql.h"

#include <string.h>

void
job_begin(struct ctx *cx, struct arena *a, const char *name, const char *op,
          const char *target)
{
    arena_reset(a);
    memset(cx, 0, sizeof(*cx));
    cx->arena = a;
    cx->kind = "job";
    cx->name = name;
    cx->op = op;
    cx->target = target;
    rds_request_begin();
    sql_request_begin();
}

res_t
job_end(struct ctx *cx)
{
    sql_request_end();
    rds_request_end(cx);
    return cx->rc;
}
