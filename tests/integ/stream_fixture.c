/*
 * stream_fixture.c: a test-only consumer on the stream runtime
 * (build/test/stream-fixture), so test_streams.c can test the runtime
 * apart from orders. Stream and group come from $FX_STREAM / $FX_GROUP.
 *
 * Each entry carries k (a key). The handler, in one MySQL transaction per
 * entry, logs every processing in fx_log (no unique key: two rows for one
 * (group, k) mean it was processed twice) and records the effect in
 * fx_effect (primary key (group, k): the idempotent write a real consumer
 * makes). Fields steer it:
 *   poison=now   the handler answers poison (straight to the DLQ)
 *   gate=1       retry while the Redis key fx:gate:<k> exists
 *   retry=1      retry on the first attempt only (fx:attempt:<k> counts)
 * $FX_SLEEP_MS: the handler sleeps this long per batch (a slow batch to
 * kill mid-way).
 * $FX_PIPELINED=1: the consumer is pipelined (consumer.h: the next batch
 * is read while the handler runs). The handler must then leave the
 * runtime's Redis connection alone, so its gate and attempt checks use a
 * connection of their own.
 */
#include "../../app/core/cfg.h"
#include "../../app/core/log.h"
#include "../../app/store/rds.h"
#include "../../app/store/sql.h"
#include "../../app/stream/consumer.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static int fx_pipelined;
static redisContext *fx_own; /* pipelined: the handler's connection */

/* One command of the handler with one string argument: on the runtime's
 * connection, or (pipelined) on its own. *r is owned by cx either way. */
static void
fx_free_reply(void *p)
{
    freeReplyObject(p);
}

static res_t
fx_cmd(struct ctx *cx, redisReply **r, const char *fmt, const char *k)
{
    if (!fx_pipelined)
        return rds_cmd(cx, r, fmt, k);
    if (fx_own == NULL) {
        fx_own = g_cfg.redis_socket[0]
                     ? redisConnectUnix(g_cfg.redis_socket)
                     : redisConnect(g_cfg.redis_host, g_cfg.redis_port);
        if (fx_own == NULL)
            abort();
    }
    if (fx_own->err) {
        res_t rc =
            ctx_fail(cx, RES_DEP_DOWN, "fixture redis: %s", fx_own->errstr);
        redisFree(fx_own);
        fx_own = NULL;
        return rc;
    }
    *r = redisCommand(fx_own, fmt, k);
    if (*r == NULL)
        return ctx_fail(cx, RES_DEP_DOWN, "fixture redis: %s", fx_own->errstr);
    arena_defer(cx->arena, fx_free_reply, *r);
    return RES_OK;
}

static res_t
fx_handle(struct ctx *cx, void *arg, const struct stream_entry *e, size_t n,
          struct stream_result *res)
{
    const struct stream_consumer *c = arg;
    const char *sl = getenv("FX_SLEEP_MS");
    if (sl && atol(sl) > 0) {
        struct timespec ts = {atol(sl) / 1000, (atol(sl) % 1000) * 1000000L};
        nanosleep(&ts, NULL);
    }
    res_t rc;
    for (size_t i = 0; i < n; i++) {
        const char *k = stream_entry_get(&e[i], "k");
        const char *p = stream_entry_get(&e[i], "poison");
        const char *gate = stream_entry_get(&e[i], "gate");
        const char *retry = stream_entry_get(&e[i], "retry");
        redisReply *r;
        if (k == NULL) {
            res[i] = (struct stream_result){STREAM_POISON, "fixture: no k"};
            continue;
        }
        if (p && strcmp(p, "now") == 0) {
            res[i] = (struct stream_result){STREAM_POISON, "fixture: poison"};
            continue;
        }
        if (gate) {
            if ((rc = fx_cmd(cx, &r, "EXISTS fx:gate:%s", k)) != RES_OK)
                return rc;
            if (rds_int(r)) {
                res[i] = (struct stream_result){STREAM_RETRY,
                                                "fixture: gate closed"};
                continue;
            }
        }
        if (retry) {
            if ((rc = fx_cmd(cx, &r, "INCR fx:attempt:%s", k)) != RES_OK)
                return rc;
            if (rds_int(r) == 1) {
                res[i] = (struct stream_result){STREAM_RETRY,
                                                "fixture: first attempt"};
                continue;
            }
        }
        if ((rc = sql_begin(cx)) != RES_OK)
            return rc;
        rc = sql_exec(cx, NULL,
                      "INSERT INTO fx_log (grp, k, consumer) VALUES (?, ?, ?)",
                      "sss", c->group, k, stream_consumer_self());
        int dup = 0;
        if (rc == RES_OK)
            rc = sql_exec_dup(cx, NULL, &dup,
                              "INSERT INTO fx_effect (grp, k) VALUES (?, ?)",
                              "ss", c->group, k);
        if (rc == RES_OK)
            rc = sql_commit(cx);
        else
            sql_rollback(cx);
        if (rc != RES_OK)
            return rc;
    }
    return RES_OK;
}

int
main(void)
{
    static struct stream_consumer c;
    c.prog = "stream-fixture";
    c.stream = getenv("FX_STREAM");
    c.group = getenv("FX_GROUP");
    c.handle = fx_handle;
    c.arg = &c;
    if (c.stream == NULL || c.group == NULL) {
        log_error("stream-fixture: set FX_STREAM and FX_GROUP");
        return 2;
    }
    const char *pl = getenv("FX_PIPELINED");
    c.pipelined = fx_pipelined = pl && strcmp(pl, "1") == 0;
    int code = stream_consumer_main(&c);
    if (fx_own)
        redisFree(fx_own);
    return code;
}
