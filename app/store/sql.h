/*
 * sql.h: the worker's one MySQL connection, prepared statements only.
 *
 * A statement is named by its SQL text. The first use on a connection
 * prepares it and keeps the handle (keyed by the text), so each distinct
 * statement is prepared once per connection. Parameters are bound from a
 * type string: 'l' int64_t, 'd' double, 's' const char * (NULL binds SQL
 * NULL). `IN (...)` lists use sql_placeholders() and the array form.
 *
 * Every call takes the context of the unit of work (core/ctx.h: a
 * request's rq->cx or a job's) and describes its failures on it.
 * Result cells are copied into the unit's arena as NUL-terminated text
 * (MySQL's own text rendering of each value); NULL cells are NULL.
 * Connection errors drop the connection and return RES_DEP_DOWN; the next
 * call reconnects.
 */
#ifndef HMDP_SQL_H
#define HMDP_SQL_H

#include "../core/ctx.h"

#include <stdint.h>

struct sql_rows {
    unsigned nrows, ncols;
    char **cells; /* nrows * ncols, row-major */
};

struct sql_param {
    char type; /* 'l', 'd', 's' */
    int64_t i;
    double d;
    const char *s;
};

res_t sql_query(struct ctx *cx, struct sql_rows *out, const char *sql,
                const char *types, ...);
res_t sql_queryv(struct ctx *cx, struct sql_rows *out, const char *sql,
                 const struct sql_param *p, unsigned np);

/* INSERT/UPDATE/DELETE. *affected may be NULL. A duplicate-key error is
 * a failure like any other (RES_INTERNAL, described and logged): the
 * caller did not expect one. */
res_t sql_exec(struct ctx *cx, uint64_t *affected, const char *sql,
               const char *types, ...);
res_t sql_execv(struct ctx *cx, uint64_t *affected, const char *sql,
                const struct sql_param *p, unsigned np);
/* sql_exec for a statement whose duplicate key the caller expects (an
 * idempotent insert): *dup = 1 and RES_OK, nothing recorded on cx. */
res_t sql_exec_dup(struct ctx *cx, uint64_t *affected, int *dup,
                   const char *sql, const char *types, ...);
/* AUTO_INCREMENT id of the last INSERT on this connection. */
uint64_t sql_insert_id(void);

res_t sql_begin(struct ctx *cx);
res_t sql_commit(struct ctx *cx);
void sql_rollback(struct ctx *cx);

/* Lock conflicts. A statement that InnoDB picks as a deadlock victim
 * (1213) or that times out waiting for a lock (1205) fails with
 * RES_REFUSED and SQL_CONFLICT_MSG (HTTP 200, success:false: the page
 * shows the text, and nothing is wrong with the store, so not 503). A
 * function that runs one whole transaction retries it like this:
 *
 *     int attempt = 0;
 *     do
 *         rc = thing_once(rq, ...);   // begin ... commit, or rolls back
 *     while (rc != RES_OK && sql_tx_retry(&rq->cx, &attempt));
 *
 * sql_tx_retry() returns 1 (after a rollback, a cleared cx and a short
 * random pause) when the failure was a lock conflict and fewer than
 * SQL_TX_TRIES attempts were made; 0 otherwise, leaving cx as it is. The
 * transaction must be all of the attempt's side effects, or undo its
 * others itself on failure (blog_toggle takes back its ZSET change). */
#define SQL_TX_TRIES     4
#define SQL_CONFLICT_MSG "操作冲突，请稍后重试"
int sql_tx_retry(struct ctx *cx, int *attempt);

/* "?,?,?" with n placeholders (n >= 1), from the arena. */
char *sql_placeholders(struct ctx *cx, unsigned n);

/* Cell accessors; r/c must be in range. */
static inline const char *
sql_str(const struct sql_rows *t, unsigned r, unsigned c)
{
    return t->cells[r * t->ncols + c];
}
int64_t sql_i64(const struct sql_rows *t, unsigned r, unsigned c);
double sql_dbl(const struct sql_rows *t, unsigned r, unsigned c);

void sql_close(void);
/* Rolls back a transaction a request or job left open. */
void sql_request_end(void);
/* Before each request or job: its first statement will first
 * check that the server has not closed the connection. */
void sql_request_begin(void);

#endif
