/*
 * job.h: a unit of work that is not an HTTP request (a consumer batch, an
 * admin command), run the way the worker runs a request: its own arena
 * and context, and the store connections' begin/end around it. It lives
 * in store/ because it drives rds.c and sql.c; core/ctx.h is the context
 * itself, which needs no store.
 */
#ifndef HMDP_JOB_H
#define HMDP_JOB_H

#include "../core/ctx.h"

/* Starts a job: resets arena a (running its cleanups), points a clean
 * context at it, named for log lines ("job voucher-consumer batch
 * stream.orders: ..."), and opens the store connections' unit (the first
 * command checks the server has not closed an idle connection). */
void job_begin(struct ctx *cx, struct arena *a, const char *name,
               const char *op, const char *target);
/* Ends a job: rolls back a transaction it left open and sends or drops
 * what is left of a Redis pipeline. Returns the job's status (cx->rc).
 * The arena is reset by the next job_begin (or freed by the caller). */
res_t job_end(struct ctx *cx);

#endif
