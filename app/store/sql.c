/*
 * sql.c: libmysqlclient behind a small API. Owns the connection and the
 * statement cache (an open-addressing table keyed by SQL text). On any
 * client-side error (2000-2999: server gone, lost, cannot connect) the
 * connection and every cached statement are released together.
 *
 * A SELECT that fails because the connection went stale while the worker
 * was idle is retried once on a fresh connection; writes are not retried,
 * since the first attempt may have committed.
 */
#include "sql.h"

#include "../core/cfg.h"
#include "../core/log.h"
#include "../core/metrics.h"
#include "../core/util.h"

#include <errmsg.h>
#include <mysql.h>
#include <mysqld_error.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SQL_CACHE    512 /* power of two */
#define SQL_CELL_MAX (1u << 20)

static MYSQL *sql_conn;
static int sql_in_tx;
/* The last statement of the current transaction lost a lock conflict
 * (deadlock victim, lock-wait timeout): sql_tx_retry() may run it again. */
static int sql_conflict;
static struct {
    char *text;
    MYSQL_STMT *st;
} sql_cache[SQL_CACHE];
static unsigned sql_ncached;

static uint64_t
sql_hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

static void
sql_drop(void)
{
    for (unsigned i = 0; i < SQL_CACHE; i++) {
        if (sql_cache[i].st)
            mysql_stmt_close(sql_cache[i].st);
        free(sql_cache[i].text);
        sql_cache[i].st = NULL;
        sql_cache[i].text = NULL;
    }
    sql_ncached = 0;
    if (sql_conn)
        mysql_close(sql_conn);
    sql_conn = NULL;
    sql_in_tx = 0;
}

void
sql_close(void)
{
    sql_drop();
}

static int sql_checked; /* liveness checked during this request */

void
sql_request_begin(void)
{
    sql_checked = 0; /* checked lazily, by the request's first statement */
}

/* An idle connection has nothing to read unless the server closed it
 * (a restarted MariaDB): then reconnect instead of failing the request. */
static void
sql_check_alive(void)
{
    if (sql_conn == NULL)
        return;
    struct pollfd p = {(int)mysql_get_socket(sql_conn), POLLIN, 0};
    if (poll(&p, 1, 0) > 0) {
        log_warn("mysql: connection closed by server; reconnecting");
        sql_drop();
    }
}

void
sql_request_end(void)
{
    if (sql_in_tx && sql_conn) {
        log_warn("mysql: request ended inside a transaction: rolled back");
        if (mysql_query(sql_conn, "ROLLBACK") != 0)
            sql_drop();
    }
    sql_in_tx = 0;
}

static int
sql_is_conn_error(unsigned e)
{
    return e >= 2000 && e < 3000;
}

static res_t
sql_down(struct ctx *cx, const char *what)
{
    metrics_inc(MET_SQL_ERRORS);
    return ctx_fail(cx, RES_DEP_DOWN, "mysql unavailable: %s", what);
}

/* A lock conflict is not an outage: MySQL is up and the same work will
 * most likely pass a moment later. The caller's transaction is retried by
 * sql_tx_retry(); if it is not (or no longer), the client gets a refusal
 * it can act on ("try again"), never 503. */
static res_t
sql_lock_conflict(struct ctx *cx, const char *msg)
{
    sql_conflict = 1;
    log_warn("mysql lock conflict: %s", msg);
    return ctx_fail(cx, RES_REFUSED, SQL_CONFLICT_MSG);
}

static res_t
sql_connect(struct ctx *cx)
{
    if (sql_conn && !sql_checked) {
        sql_checked = 1;
        sql_check_alive();
    }
    if (sql_conn)
        return RES_OK;
    MYSQL *m = mysql_init(NULL);
    if (m == NULL)
        abort();
    unsigned timeout = 2, io = 5;
    mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
    mysql_options(m, MYSQL_OPT_READ_TIMEOUT, &io);
    mysql_options(m, MYSQL_OPT_WRITE_TIMEOUT, &io);
    mysql_options(m, MYSQL_SET_CHARSET_NAME, "utf8mb4");
    const char *sock = g_cfg.mysql_socket[0] ? g_cfg.mysql_socket : NULL;
    if (!mysql_real_connect(m, sock ? NULL : g_cfg.mysql_host, g_cfg.mysql_user,
                            g_cfg.mysql_password, g_cfg.mysql_db,
                            sock ? 0 : (unsigned)g_cfg.mysql_port, sock, 0)) {
        char msg[256];
        snprintf(msg, sizeof(msg), "connect: %s", mysql_error(m));
        mysql_close(m);
        return sql_down(cx, msg);
    }
    /* one session time zone: this process's local offset, so timestamps
     * read and written agree with the local times in the JSON */
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    long off = tm.tm_gmtoff;
    char set[64];
    snprintf(set, sizeof(set), "SET time_zone = '%c%02ld:%02ld'",
             off < 0 ? '-' : '+', labs(off) / 3600, (labs(off) % 3600) / 60);
    if (mysql_query(m, set) != 0)
        log_warn("mysql: %s failed: %s", set, mysql_error(m));
    sql_conn = m;
    static int opened;
    if (opened++ > 0)
        metrics_inc(MET_SQL_RECONNECTS);
    return RES_OK;
}

/* Returns the cached (or newly prepared) statement for text. */
static res_t
sql_prepare(struct ctx *cx, const char *text, MYSQL_STMT **out, int *cached)
{
    uint64_t h = sql_hash(text);
    unsigned i = (unsigned)h & (SQL_CACHE - 1);
    for (unsigned n = 0; n < SQL_CACHE; n++, i = (i + 1) & (SQL_CACHE - 1)) {
        if (sql_cache[i].text == NULL)
            break;
        if (strcmp(sql_cache[i].text, text) == 0) {
            *out = sql_cache[i].st;
            *cached = 1;
            return RES_OK;
        }
    }
    MYSQL_STMT *st = mysql_stmt_init(sql_conn);
    if (st == NULL)
        abort();
    g_met_sql_rt++;
    if (mysql_stmt_prepare(st, text, strlen(text)) != 0) {
        unsigned e = mysql_stmt_errno(st);
        char msg[512];
        snprintf(msg, sizeof(msg), "prepare [%.200s]: %s", text,
                 mysql_stmt_error(st));
        mysql_stmt_close(st);
        if (sql_is_conn_error(e)) {
            sql_drop();
            return sql_down(cx, msg);
        }
        return ctx_fail(cx, RES_INTERNAL, "%s", msg);
    }
    if (sql_ncached < SQL_CACHE / 2 && sql_cache[i].text == NULL) {
        sql_cache[i].text = strdup(text);
        if (sql_cache[i].text == NULL)
            abort();
        sql_cache[i].st = st;
        sql_ncached++;
        *cached = 1;
    } else {
        *cached = 0; /* cache full: the statement lives for this request */
    }
    *out = st;
    return RES_OK;
}

static void
sql_stmt_close_cb(void *p)
{
    mysql_stmt_close(p);
}

static res_t
sql_bind_params(struct ctx *cx, MYSQL_STMT *st, const struct sql_param *p,
                unsigned np)
{
    if (mysql_stmt_param_count(st) != np)
        return ctx_fail(cx, RES_INTERNAL,
                        "statement wants %lu parameters, got %u",
                        mysql_stmt_param_count(st), np);
    if (np == 0)
        return RES_OK;
    MYSQL_BIND *b = arena_calloc(cx->arena, np * sizeof(*b));
    unsigned long *lens = arena_calloc(cx->arena, np * sizeof(*lens));
    my_bool *nulls = arena_calloc(cx->arena, np * sizeof(*nulls));
    /* libmysqlclient wants mutable buffers; give it a copy */
    struct sql_param *cp = arena_alloc(cx->arena, np * sizeof(*cp));
    memcpy(cp, p, np * sizeof(*cp));
    for (unsigned k = 0; k < np; k++) {
        switch (p[k].type) {
        case 'l':
            b[k].buffer_type = MYSQL_TYPE_LONGLONG;
            b[k].buffer = &cp[k].i;
            break;
        case 'd':
            b[k].buffer_type = MYSQL_TYPE_DOUBLE;
            b[k].buffer = &cp[k].d;
            break;
        case 's':
            b[k].buffer_type = MYSQL_TYPE_STRING;
            if (p[k].s == NULL) {
                nulls[k] = 1;
                b[k].is_null = &nulls[k];
            } else {
                b[k].buffer = (void *)(uintptr_t)p[k].s;
                lens[k] = strlen(p[k].s);
                b[k].buffer_length = lens[k];
                b[k].length = &lens[k];
            }
            break;
        default:
            return ctx_fail(cx, RES_INTERNAL, "bad sql param type '%c'",
                            p[k].type);
        }
    }
    if (mysql_stmt_bind_param(st, b) != 0)
        return ctx_fail(cx, RES_INTERNAL, "bind: %s", mysql_stmt_error(st));
    return RES_OK;
}

/* Fetches every row of st's result into out (arena copies). */
static res_t
sql_fetch_all(struct ctx *cx, MYSQL_STMT *st, struct sql_rows *out)
{
    MYSQL_RES *meta = mysql_stmt_result_metadata(st);
    out->nrows = out->ncols = 0;
    out->cells = NULL;
    if (meta == NULL)
        return RES_OK;
    unsigned nc = mysql_num_fields(meta);
    MYSQL_FIELD *f = mysql_fetch_fields(meta);
    MYSQL_BIND *b = arena_calloc(cx->arena, nc * sizeof(*b));
    unsigned long *lens = arena_calloc(cx->arena, nc * sizeof(*lens));
    my_bool *nulls = arena_calloc(cx->arena, nc * sizeof(*nulls));
    my_bool *errs = arena_calloc(cx->arena, nc * sizeof(*errs));
    for (unsigned c = 0; c < nc; c++) {
        unsigned long cap = f[c].length + 1;
        if (cap < 64)
            cap = 64;
        if (cap > 65536)
            cap = 65536;
        b[c].buffer_type = MYSQL_TYPE_STRING;
        b[c].buffer = arena_alloc(cx->arena, cap);
        b[c].buffer_length = cap;
        b[c].length = &lens[c];
        b[c].is_null = &nulls[c];
        b[c].error = &errs[c];
    }
    mysql_free_result(meta);
    if (mysql_stmt_bind_result(st, b) != 0)
        return ctx_fail(cx, RES_INTERNAL, "bind result: %s",
                        mysql_stmt_error(st));
    unsigned cap_rows = 16, nr = 0;
    char **cells = arena_alloc(cx->arena, cap_rows * nc * sizeof(*cells));
    for (;;) {
        int fr = mysql_stmt_fetch(st);
        if (fr == MYSQL_NO_DATA)
            break;
        if (fr == 1) {
            unsigned e = mysql_stmt_errno(st);
            char msg[256];
            snprintf(msg, sizeof(msg), "fetch: %s", mysql_stmt_error(st));
            if (sql_is_conn_error(e)) {
                sql_drop();
                return sql_down(cx, msg);
            }
            mysql_stmt_free_result(st);
            return ctx_fail(cx, RES_INTERNAL, "%s", msg);
        }
        if (nr == cap_rows) {
            char **nc2 =
                arena_alloc(cx->arena, cap_rows * 2 * nc * sizeof(*cells));
            memcpy(nc2, cells, cap_rows * nc * sizeof(*cells));
            cells = nc2;
            cap_rows *= 2;
        }
        for (unsigned c = 0; c < nc; c++) {
            char **cell = &cells[nr * nc + c];
            if (nulls[c]) {
                *cell = NULL;
                continue;
            }
            if (lens[c] > b[c].buffer_length) {
                /* truncated: fetch the whole value */
                unsigned long n =
                    lens[c] > SQL_CELL_MAX ? SQL_CELL_MAX : lens[c];
                char *big = arena_alloc(cx->arena, n + 1);
                MYSQL_BIND one;
                memset(&one, 0, sizeof(one));
                unsigned long l2 = 0;
                one.buffer_type = MYSQL_TYPE_STRING;
                one.buffer = big;
                one.buffer_length = n;
                one.length = &l2;
                if (mysql_stmt_fetch_column(st, &one, c, 0) != 0) {
                    mysql_stmt_free_result(st);
                    return ctx_fail(cx, RES_INTERNAL, "fetch column: %s",
                                    mysql_stmt_error(st));
                }
                big[n] = '\0';
                *cell = big;
            } else {
                *cell = arena_strndup(cx->arena, b[c].buffer, lens[c]);
            }
        }
        nr++;
    }
    mysql_stmt_free_result(st);
    out->nrows = nr;
    out->ncols = nc;
    out->cells = cells;
    return RES_OK;
}

static int
sql_is_select(const char *text)
{
    while (*text == ' ' || *text == '\n' || *text == '(')
        text++;
    return strncasecmp(text, "SELECT", 6) == 0;
}

/* Prepares, binds, executes; fills out for a result set. */
static res_t
sql_run(struct ctx *cx, struct sql_rows *out, uint64_t *affected, int *dup,
        const char *text, const struct sql_param *p, unsigned np)
{
    for (int attempt = 0;; attempt++) {
        int was_open = sql_conn != NULL;
        res_t rc = sql_connect(cx);
        if (rc != RES_OK)
            return rc;
        MYSQL_STMT *st = NULL;
        int in_tx = sql_in_tx, cached = 0;
        if ((rc = sql_prepare(cx, text, &st, &cached)) != RES_OK) {
            if (rc == RES_DEP_DOWN && was_open && !in_tx && attempt == 0) {
                ctx_clear(cx); /* stale idle connection: try once more */
                continue;
            }
            return rc;
        }
        if (!cached)
            arena_defer(cx->arena, sql_stmt_close_cb, st);
        if ((rc = sql_bind_params(cx, st, p, np)) != RES_OK)
            return rc;
        g_met_sql_rt++;
        if (mysql_stmt_execute(st) != 0) {
            unsigned e = mysql_stmt_errno(st);
            if (!sql_is_conn_error(e) && e != ER_DUP_ENTRY)
                metrics_inc(MET_SQL_ERRORS); /* sql_down counts the rest */
            char msg[512];
            snprintf(msg, sizeof(msg), "execute [%.200s]: %s", text,
                     mysql_stmt_error(st));
            if (e == ER_DUP_ENTRY) {
                if (dup) { /* the caller expects it: no failure */
                    *dup = 1;
                    return RES_OK;
                }
                return ctx_fail(cx, RES_INTERNAL,
                                "unexpected duplicate key: %s", msg);
            }
            if (sql_is_conn_error(e)) {
                sql_drop();
                if (was_open && !in_tx && attempt == 0 && sql_is_select(text))
                    continue;
                return sql_down(cx, msg);
            }
            if (e == ER_LOCK_DEADLOCK || e == ER_LOCK_WAIT_TIMEOUT)
                return sql_lock_conflict(cx, msg);
            return ctx_fail(cx, RES_INTERNAL, "%s", msg);
        }
        if (affected)
            *affected = mysql_stmt_affected_rows(st);
        if (out)
            return sql_fetch_all(cx, st, out);
        /* a statement with a result set that the caller ignores */
        mysql_stmt_free_result(st);
        return RES_OK;
    }
}

static unsigned
sql_collect(struct ctx *cx, const char *types, va_list ap,
            struct sql_param **out)
{
    unsigned n = (unsigned)strlen(types);
    struct sql_param *p = arena_calloc(cx->arena, (n ? n : 1) * sizeof(*p));
    for (unsigned k = 0; k < n; k++) {
        p[k].type = types[k];
        switch (types[k]) {
        case 'l':
            p[k].i = va_arg(ap, int64_t);
            break;
        case 'd':
            p[k].d = va_arg(ap, double);
            break;
        case 's':
            p[k].s = va_arg(ap, const char *);
            break;
        default:
            break; /* rejected by sql_bind_params */
        }
    }
    *out = p;
    return n;
}

res_t
sql_queryv(struct ctx *cx, struct sql_rows *out, const char *sql,
           const struct sql_param *p, unsigned np)
{
    return sql_run(cx, out, NULL, NULL, sql, p, np);
}

res_t
sql_query(struct ctx *cx, struct sql_rows *out, const char *sql,
          const char *types, ...)
{
    va_list ap;
    va_start(ap, types);
    struct sql_param *p;
    unsigned n = sql_collect(cx, types, ap, &p);
    va_end(ap);
    return sql_queryv(cx, out, sql, p, n);
}

res_t
sql_execv(struct ctx *cx, uint64_t *affected, const char *sql,
          const struct sql_param *p, unsigned np)
{
    return sql_run(cx, NULL, affected, NULL, sql, p, np);
}

res_t
sql_exec(struct ctx *cx, uint64_t *affected, const char *sql, const char *types,
         ...)
{
    va_list ap;
    va_start(ap, types);
    struct sql_param *p;
    unsigned n = sql_collect(cx, types, ap, &p);
    va_end(ap);
    return sql_execv(cx, affected, sql, p, n);
}

res_t
sql_exec_dup(struct ctx *cx, uint64_t *affected, int *dup, const char *sql,
             const char *types, ...)
{
    va_list ap;
    va_start(ap, types);
    struct sql_param *p;
    unsigned n = sql_collect(cx, types, ap, &p);
    va_end(ap);
    *dup = 0;
    return sql_run(cx, NULL, affected, dup, sql, p, n);
}

uint64_t
sql_insert_id(void)
{
    return sql_conn ? mysql_insert_id(sql_conn) : 0;
}

static res_t
sql_simple(struct ctx *cx, const char *q)
{
    res_t rc = sql_connect(cx);
    if (rc != RES_OK)
        return rc;
    g_met_sql_rt++;
    if (mysql_query(sql_conn, q) != 0) {
        unsigned e = mysql_errno(sql_conn);
        if (!sql_is_conn_error(e))
            metrics_inc(MET_SQL_ERRORS);
        char msg[256];
        snprintf(msg, sizeof(msg), "%s: %s", q, mysql_error(sql_conn));
        if (sql_is_conn_error(e)) {
            sql_drop();
            return sql_down(cx, msg);
        }
        if (e == ER_LOCK_DEADLOCK || e == ER_LOCK_WAIT_TIMEOUT)
            return sql_lock_conflict(cx, msg);
        return ctx_fail(cx, RES_INTERNAL, "%s", msg);
    }
    return RES_OK;
}

res_t
sql_begin(struct ctx *cx)
{
    sql_conflict = 0;
    res_t rc = sql_simple(cx, "START TRANSACTION");
    if (rc == RES_OK)
        sql_in_tx = 1;
    return rc;
}

res_t
sql_commit(struct ctx *cx)
{
    res_t rc = sql_simple(cx, "COMMIT");
    sql_in_tx = 0;
    return rc;
}

void
sql_rollback(struct ctx *cx)
{
    if (sql_conn == NULL) {
        sql_in_tx = 0;
        return;
    }
    if (mysql_query(sql_conn, "ROLLBACK") != 0) {
        log_warn("mysql: rollback failed: %s", mysql_error(sql_conn));
        sql_drop();
    }
    (void)cx;
    sql_in_tx = 0;
}

int
sql_tx_retry(struct ctx *cx, int *attempt)
{
    if (!sql_conflict)
        return 0;
    sql_conflict = 0;
    if (sql_in_tx)
        sql_rollback(cx);
    if (++*attempt >= SQL_TX_TRIES)
        return 0; /* cx keeps the refusal */
    ctx_clear(cx);
    /* the other transaction usually needs well under a millisecond more:
     * wait a random 1..4 ms times the attempt, so the two losers of a
     * three-way deadlock do not meet again at once */
    long us = (long)(1000 + util_rand_below(3000)) * *attempt;
    struct timespec ts = {0, us * 1000L};
    nanosleep(&ts, NULL);
    return 1;
}

char *
sql_placeholders(struct ctx *cx, unsigned n)
{
    if (n == 0)
        n = 1;
    char *s = arena_alloc(cx->arena, n * 2);
    for (unsigned i = 0; i < n; i++) {
        s[2 * i] = '?';
        s[2 * i + 1] = ',';
    }
    s[n * 2 - 1] = '\0';
    return s;
}

int64_t
sql_i64(const struct sql_rows *t, unsigned r, unsigned c)
{
    const char *s = sql_str(t, r, c);
    return s ? strtoll(s, NULL, 10) : 0;
}

double
sql_dbl(const struct sql_rows *t, unsigned r, unsigned c)
{
    const char *s = sql_str(t, r, c);
    return s ? strtod(s, NULL) : 0.0;
}
