/*
 * voucher_data.c: the voucher module's SQL and Redis.
 *
 * The flash sale is decided in Redis by one Lua script (window, one order
 * per user, stock, then the order appended to stream.orders), so however
 * many requests race, stock never goes below zero and no user gets two
 * orders. MySQL follows asynchronously through hmdp-voucher-consumer,
 * which uses voucher_orders_persist(); the order id (primary key) and
 * UNIQUE(user_id, voucher_id) make a re-delivered order a no-op.
 */
#include "voucher_private.h"

#include "../core/log.h"
#include "../core/reply.h"
#include "../core/util.h"
#include "../store/keys.h"
#include "../store/rds.h"
#include "../store/sql.h"

#include <stdio.h>
#include <string.h>

/* KEYS: stock, buyers set, voucher hash {begin, end}, stream.orders,
 *       the day's order counter icr:order:{yyyyMMdd}
 * ARGV: userId, voucherId, now (epoch s), counter ttl, id epoch
 * The XADD has no MAXLEN: Redis 7.0 would trim entries a group has not
 * acknowledged; stream.orders' retention is the trim pass's (stream.h).
 * Returns {seckill_code} or, on success, {0, order id as decimal text,
 * seq}. The order id is (now - epoch) << 32 | seq, where seq comes from
 * the counter, taken only for a successful order, in the same step. Lua
 * numbers are doubles (exact to 2^53) and the id is larger, so it is
 * written out from two exact parts: 2^32 = 4294 * 10^6 + 967296. */
static const struct rds_script voucher_lua_seckill = {
    "voucher_seckill",
    "local s = redis.call('GET', KEYS[1])\n"
    "if not s then return {3} end\n"
    "local w = redis.call('HMGET', KEYS[3], 'begin', 'end')\n"
    "local now = tonumber(ARGV[3])\n"
    "if w[1] and now < tonumber(w[1]) then return {4} end\n"
    "if w[2] and now > tonumber(w[2]) then return {5} end\n"
    "if redis.call('SISMEMBER', KEYS[2], ARGV[1]) == 1 then return {2} end\n"
    "if tonumber(s) <= 0 then return {1} end\n"
    "local seq = redis.call('INCR', KEYS[5])\n"
    "if seq == 1 then redis.call('EXPIRE', KEYS[5], ARGV[4]) end\n"
    "local t = now - tonumber(ARGV[5])\n"
    "if t < 0 or t > 2147483647 or seq > 4294967295 then\n"
    "  return redis.error_reply('order id out of range')\n"
    "end\n"
    "local lo = t * 967296 + seq\n"
    "local carry = math.floor(lo / 1000000)\n"
    "lo = lo - carry * 1000000\n"
    "local hi = t * 4294 + carry\n"
    "local id\n"
    "if hi > 0 then id = string.format('%d%06d', hi, lo)\n"
    "else id = string.format('%d', lo) end\n"
    "redis.call('DECR', KEYS[1])\n"
    "redis.call('SADD', KEYS[2], ARGV[1])\n"
    "redis.call('XADD', KEYS[4], '*',"
    " 'userId', ARGV[1], 'voucherId', ARGV[2], 'id', id)\n"
    "return {0, id, seq}\n"};

static res_t
voucher_insert(struct req *rq, const struct voucher_in *in, int type,
               int64_t *id)
{
    res_t rc =
        sql_exec(&rq->cx, NULL,
                 "INSERT INTO tb_voucher (shop_id, title, sub_title, "
                 "rules, pay_value, actual_value, type, status) "
                 "VALUES (?, ?, ?, ?, ?, ?, ?, 1)",
                 "lssslll", in->shop_id, in->title, in->sub_title, in->rules,
                 in->pay_value, in->actual_value, (int64_t)type);
    if (rc != RES_OK)
        return rc;
    *id = (int64_t)sql_insert_id();
    return RES_OK;
}

res_t
voucher_create(struct req *rq, const struct voucher_in *in, int64_t *id)
{
    return voucher_insert(rq, in, 0, id);
}

static res_t
voucher_create_seckill_once(struct req *rq, const struct voucher_in *in,
                            int64_t *id)
{
    struct arena *a = rq->cx.arena;
    char b[24], e[24];
    util_date_sql(in->begin, b);
    util_date_sql(in->end, e);
    res_t rc = sql_begin(&rq->cx);
    if (rc != RES_OK)
        return rc;
    if ((rc = voucher_insert(rq, in, 1, id)) != RES_OK)
        goto rollback;
    rc = sql_exec(&rq->cx, NULL,
                  "INSERT INTO tb_seckill_voucher (voucher_id, stock, "
                  "begin_time, end_time) VALUES (?, ?, ?, ?)",
                  "llss", *id, in->stock, b, e);
    if (rc != RES_OK)
        goto rollback;

    /* Redis inside the transaction: if it cannot take the stock, the
     * voucher is not created. The window hash goes first, so whoever sees
     * the stock key also sees the window. */
    const char *sk = key_seckill_stock(a, *id),
               *hk = key_seckill_voucher(a, *id);
    if ((rc = rds_append(&rq->cx, "HSET %s begin %lld end %lld", hk,
                         (long long)in->begin, (long long)in->end)) != RES_OK ||
        (rc = rds_append(&rq->cx, "SET %s %lld", sk, (long long)in->stock)) !=
            RES_OK)
        goto rollback;
    redisReply *r1, *r2;
    res_t x1 = rds_reply(&rq->cx, &r1), x2 = RES_OK;
    if (x1 != RES_DEP_DOWN)
        x2 = rds_reply(&rq->cx, &r2);
    if (x1 != RES_OK || x2 != RES_OK) {
        rc = x1 != RES_OK ? x1 : x2; /* described by rds_reply */
        goto rollback;
    }
    if ((rc = sql_commit(&rq->cx)) != RES_OK) {
        rds_fire(&rq->cx, "DEL %s %s", sk, hk);
        return rc;
    }
    return RES_OK;

rollback:
    sql_rollback(&rq->cx);
    return rc;
}

/* voucher_create_seckill_once, again while it loses a lock conflict
 * (sql_tx_retry). */
res_t
voucher_create_seckill(struct req *rq, const struct voucher_in *in, int64_t *id)
{
    int attempt = 0;
    res_t rc;
    do
        rc = voucher_create_seckill_once(rq, in, id);
    while (rc != RES_OK && sql_tx_retry(&rq->cx, &attempt));
    return rc;
}

res_t
voucher_list(struct req *rq, int64_t shop_id, struct json_object **out)
{
    struct sql_rows t;
    res_t rc = sql_query(
        &rq->cx, &t,
        "SELECT v.id, v.shop_id, v.title, v.sub_title, v.rules, v.pay_value, "
        "v.actual_value, v.type, sv.stock, sv.begin_time, sv.end_time "
        "FROM tb_voucher v LEFT JOIN tb_seckill_voucher sv "
        "ON sv.voucher_id = v.id WHERE v.shop_id = ? AND v.status = 1 "
        "ORDER BY v.id",
        "l", shop_id);
    if (rc != RES_OK)
        return rc;

    /* the live stock of every seckill voucher in one MGET */
    unsigned nsk = 0;
    for (unsigned i = 0; i < t.nrows; i++)
        nsk += sql_str(&t, i, 8) != NULL;
    redisReply *live = NULL;
    if (nsk > 0) {
        const char **argv =
            arena_alloc(rq->cx.arena, (nsk + 1) * sizeof(*argv));
        argv[0] = "MGET";
        for (unsigned i = 0, k = 1; i < t.nrows; i++)
            if (sql_str(&t, i, 8))
                argv[k++] = key_seckill_stock(rq->cx.arena, sql_i64(&t, i, 0));
        if ((rc = rds_cmdv(&rq->cx, &live, (int)nsk + 1, argv, NULL)) != RES_OK)
            return rc;
        if (live->type != REDIS_REPLY_ARRAY || live->elements != nsk)
            live = NULL;
    }

    struct json_object *arr = reply_arr(rq);
    for (unsigned i = 0, k = 0; i < t.nrows; i++) {
        struct json_object *o = json_object_new_object();
        reply_add_i64(o, "id", sql_i64(&t, i, 0));
        if (sql_str(&t, i, 1))
            reply_add_i64(o, "shopId", sql_i64(&t, i, 1));
        reply_add_str(o, "title", sql_str(&t, i, 2));
        reply_add_str(o, "subTitle", sql_str(&t, i, 3));
        reply_add_str(o, "rules", sql_str(&t, i, 4));
        reply_add_i64(o, "payValue", sql_i64(&t, i, 5));
        reply_add_i64(o, "actualValue", sql_i64(&t, i, 6));
        reply_add_i64(o, "type", sql_i64(&t, i, 7));
        if (sql_str(&t, i, 8)) {
            int64_t stock = sql_i64(&t, i, 8);
            if (live && live->element[k]->type == REDIS_REPLY_STRING)
                stock = rds_int(live->element[k]);
            k++;
            reply_add_i64(o, "stock", stock);
        }
        reply_add_time(o, "beginTime", sql_str(&t, i, 9));
        reply_add_time(o, "endTime", sql_str(&t, i, 10));
        json_object_array_add(arr, o);
    }
    *out = arr;
    return RES_OK;
}

/* KEYS: stock, buyers set, voucher hash {begin, end}
 * ARGV: MySQL's stock, MySQL's order count, begin, end (epoch s)
 * Puts back a seckill voucher Redis no longer has (a lost volume), from
 * MySQL, unless the stock key exists again (another worker was first, and
 * sales may have followed). The buyers with an order in MySQL are in the
 * set already (added before this script). Members of the set that MySQL
 * does not count yet are orders still in flight in the stream: MySQL's
 * stock does not reflect them, so they are taken off it. Returns 1 when
 * it rebuilt, 0 when there was nothing to do. */
static const struct rds_script voucher_lua_rebuild = {
    "voucher_rebuild",
    "if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end\n"
    "local pending = redis.call('SCARD', KEYS[2]) - tonumber(ARGV[2])\n"
    "if pending < 0 then pending = 0 end\n"
    "local s = tonumber(ARGV[1]) - pending\n"
    "if s < 0 then s = 0 end\n"
    "redis.call('HSET', KEYS[3], 'begin', ARGV[3], 'end', ARGV[4])\n"
    "redis.call('SET', KEYS[1], s)\n"
    "return 1\n"};

#define VOUCHER_REBUILD_CHUNK 1000 /* buyers per SADD */

/* Rebuilds voucher_id's Redis state from MySQL (see voucher_lua_rebuild).
 * *listed = 0 when MySQL has no such live seckill voucher. The reads share
 * one snapshot, so the stock, the order count and the buyers agree. */
static res_t
voucher_seckill_rebuild(struct req *rq, int64_t voucher_id, int *listed)
{
    struct arena *a = rq->cx.arena;
    struct sql_rows t, b;
    *listed = 0;
    res_t rc = sql_begin(&rq->cx);
    if (rc != RES_OK)
        return rc;
    if ((rc = sql_query(&rq->cx, &t,
                        "SELECT sv.stock, UNIX_TIMESTAMP(sv.begin_time), "
                        "UNIX_TIMESTAMP(sv.end_time), (SELECT COUNT(*) FROM "
                        "tb_voucher_order o WHERE o.voucher_id = "
                        "sv.voucher_id) FROM tb_seckill_voucher sv JOIN "
                        "tb_voucher v ON v.id = sv.voucher_id WHERE "
                        "sv.voucher_id = ? AND v.status = 1",
                        "l", voucher_id)) != RES_OK ||
        (t.nrows > 0 &&
         (rc = sql_query(&rq->cx, &b,
                         "SELECT user_id FROM tb_voucher_order WHERE "
                         "voucher_id = ?",
                         "l", voucher_id)) != RES_OK)) {
        sql_rollback(&rq->cx);
        return rc;
    }
    if ((rc = sql_commit(&rq->cx)) != RES_OK || t.nrows == 0)
        return rc;
    *listed = 1;
    const char *sk = key_seckill_stock(a, voucher_id),
               *ok = key_seckill_order(a, voucher_id);
    for (unsigned i = 0; i < b.nrows; i += VOUCHER_REBUILD_CHUNK) {
        unsigned n = b.nrows - i < VOUCHER_REBUILD_CHUNK
                         ? b.nrows - i
                         : VOUCHER_REBUILD_CHUNK;
        const char **argv = arena_alloc(a, (n + 2) * sizeof(*argv));
        argv[0] = "SADD";
        argv[1] = ok;
        for (unsigned k = 0; k < n; k++)
            argv[k + 2] = sql_str(&b, i + k, 0);
        if ((rc = rds_cmdv(&rq->cx, NULL, (int)n + 2, argv, NULL)) != RES_OK)
            return rc;
    }
    const char *keys[3] = {sk, ok, key_seckill_voucher(a, voucher_id)};
    /* ARGV stock, count, begin, end = columns 0, 3, 1, 2 */
    static const unsigned col[4] = {0, 3, 1, 2};
    const char *args[4];
    for (unsigned c = 0; c < 4; c++)
        args[c] = sql_str(&t, 0, col[c]) ? sql_str(&t, 0, col[c]) : "0";
    redisReply *r;
    if ((rc = rds_eval(&rq->cx, &voucher_lua_rebuild, &r, 3, keys, 4, args)) !=
        RES_OK)
        return rc;
    if (r->type == REDIS_REPLY_INTEGER && r->integer == 1)
        log_info("seckill voucher %lld rebuilt from MySQL (stock %s, %u "
                 "orders)",
                 (long long)voucher_id, args[0], b.nrows);
    return RES_OK;
}

res_t
voucher_seckill(struct req *rq, int64_t uid, int64_t voucher_id, int *code,
                int64_t *order_id)
{
    struct arena *a = rq->cx.arena;
    time_t now = time(NULL);
    char ymd[16];
    util_date_ymd(now, ymd);
    const char *keys[5] = {
        key_seckill_stock(a, voucher_id), key_seckill_order(a, voucher_id),
        key_seckill_voucher(a, voucher_id), KEY_STREAM_ORDERS,
        key_icr(a, VOUCHER_ICR_PREFIX, ymd)};
    const char *args[5] = {
        arena_printf(a, "%lld", (long long)uid),
        arena_printf(a, "%lld", (long long)voucher_id),
        arena_printf(a, "%lld", (long long)now), arena_printf(a, "%d", TTL_ICR),
        arena_printf(a, "%lld", (long long)VOUCHER_ID_EPOCH)};
    redisReply *r;
    res_t rc;
    for (int pass = 0;; pass++) {
        if ((rc = rds_eval(&rq->cx, &voucher_lua_seckill, &r, 5, keys, 5,
                           args)) != RES_OK)
            return rc;
        if (r->type != REDIS_REPLY_ARRAY || r->elements < 1 ||
            r->element[0]->type != REDIS_REPLY_INTEGER)
            return req_fail(rq, RES_INTERNAL, "seckill script: bad reply");
        *code = (int)r->element[0]->integer;
        if (*code != SECKILL_UNKNOWN || pass > 0)
            break;
        /* Redis does not know the voucher: MySQL may (Redis lost its
         * data); then it is rebuilt and the sale decided again */
        int listed;
        if ((rc = voucher_seckill_rebuild(rq, voucher_id, &listed)) != RES_OK)
            return rc;
        if (!listed)
            break;
    }
    if (*code != SECKILL_OK)
        return RES_OK;
    /* the script's decimal id must be the one C composes from its parts */
    int64_t id, want;
    if (r->elements != 3 || r->element[1]->type != REDIS_REPLY_STRING ||
        str_parse_i64(r->element[1]->str, &id) < 0 ||
        voucher_order_id((int64_t)now, rds_int(r->element[2]), &want) < 0 ||
        id != want)
        return req_fail(rq, RES_INTERNAL, "seckill script: bad order id");
    *order_id = id;
    return RES_OK;
}

static res_t
voucher_orders_persist_once(struct ctx *cx, const struct voucher_order *o,
                            size_t n, int *dup)
{
    *dup = 0;
    res_t rc = sql_begin(cx);
    if (rc != RES_OK)
        return rc;
    for (size_t i = 0; i < n; i++) {
        uint64_t hit = 0;
        rc = sql_exec(cx, &hit,
                      "UPDATE tb_seckill_voucher SET stock = stock - 1 "
                      "WHERE voucher_id = ? AND stock > 0",
                      "l", o[i].voucher_id);
        if (rc != RES_OK)
            goto rollback;
        if (hit == 0) {
            /* no MySQL stock left (or no such voucher): Redis sold more
             * than MySQL holds, which only a hand-edited row can cause */
            log_warn("order %lld (user %lld, voucher %lld): no stock row "
                     "to take from; skipped",
                     (long long)o[i].id, (long long)o[i].user_id,
                     (long long)o[i].voucher_id);
            continue;
        }
        rc = sql_exec_dup(cx, NULL, dup,
                          "INSERT INTO tb_voucher_order (id, user_id, "
                          "voucher_id) VALUES (?, ?, ?)",
                          "lll", o[i].id, o[i].user_id, o[i].voucher_id);
        if (rc == RES_OK && *dup) {
            sql_rollback(cx);
            return RES_OK;
        }
        if (rc != RES_OK)
            goto rollback;
    }
    return sql_commit(cx);

rollback:
    sql_rollback(cx);
    return rc;
}

/* voucher_orders_persist_once, again while it loses a lock conflict
 * (sql_tx_retry). */
res_t
voucher_orders_persist(struct ctx *cx, const struct voucher_order *o, size_t n,
                       int *dup)
{
    int attempt = 0;
    res_t rc;
    do
        rc = voucher_orders_persist_once(cx, o, n, dup);
    while (rc != RES_OK && sql_tx_retry(cx, &attempt));
    return rc;
}
