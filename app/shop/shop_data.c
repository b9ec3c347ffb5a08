/*
 * shop_data.c: the shop module's SQL and Redis.
 *
 * Shop cache (cache:shop:{id}, a STRING of Shop JSON) is cache-aside and
 * guards against the three classic failures:
 *   penetration  an id above the highest shop id (KEY_SHOP_MAX_ID, only
 *                ever raised) is "not found" without MySQL; a missing id
 *                below it is cached as "" for TTL_CACHE_NULL;
 *   breakdown    on a miss, one request wins SET lock:shop:{id} <random>
 *                NX EX 10 and rebuilds; the others poll the cache (and
 *                retry the lock) every SHOP_POLL_MS for at most
 *                SHOP_WAIT_MS, and if the winner is still not done they
 *                read MySQL themselves without writing the cache. The lock
 *                is released by a Lua compare-and-delete, so a late winner
 *                cannot free a lock that expired and was taken by someone
 *                else. PUT /shop holds the same lock across its UPDATE and
 *                DEL, so a rebuild that read the old row cannot write it
 *                back after the DEL;
 *   avalanche    TTL_CACHE_SHOP plus 0..TTL_CACHE_JITTER s of jitter.
 * Every MySQL rebuild increments cache:rebuilds:shop:{id} (cheap
 * observability; the stampede test reads it).
 *
 * Writes go to MySQL first, then DEL the cache key (a later read rebuilds
 * it) and update the GEO set. Redis side effects after a MySQL commit are
 * best effort: their failure is logged, and the reply still reports the
 * committed write.
 */
#include "shop_private.h"

#include "../core/cfg.h"
#include "../core/jsonv.h"
#include "../core/log.h"
#include "../core/reply.h"
#include "../core/util.h"
#include "../store/keys.h"
#include "../store/rds.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SHOP_POLL_MS 25
#define SHOP_WAIT_MS 1000

/* KEYS: lock; ARGV: owner token. Deletes the lock only if we own it. */
static const struct rds_script shop_lua_unlock = {
    "shop_unlock", "if redis.call('GET', KEYS[1]) == ARGV[1] then\n"
                   "  return redis.call('DEL', KEYS[1])\n"
                   "end\n"
                   "return 0\n"};

/* KEYS: max id; ARGV: candidate, ttl. The cached maximum only grows, so a
 * slow reload cannot hide a shop created meanwhile. Returns the max. */
static const struct rds_script shop_lua_raise_max = {
    "shop_raise_max", "local c = tonumber(redis.call('GET', KEYS[1]) or '-1')\n"
                      "local v = tonumber(ARGV[1])\n"
                      "if v > c then\n"
                      "  redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])\n"
                      "  return v\n"
                      "end\n"
                      "return c\n"};

/* KEYS: cache:type; ARGV: type JSON strings. Fills the list only when it
 * is still empty, so two concurrent rebuilds cannot double it. */
static const struct rds_script shop_lua_types = {
    "shop_types_fill", "if redis.call('EXISTS', KEYS[1]) == 0 then\n"
                       "  redis.call('RPUSH', KEYS[1], unpack(ARGV))\n"
                       "  return 1\n"
                       "end\n"
                       "return 0\n"};

static res_t
shop_not_found(struct req *rq)
{
    return req_fail(rq, RES_REFUSED, "店铺不存在");
}

static void
shop_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* ================= shop by id ================= */

enum shop_peek { PEEK_MISS = 0, PEEK_HIT, PEEK_NULL };

static res_t
shop_parse_cached(struct req *rq, const redisReply *r, int *state,
                  struct json_object **out)
{
    *state = PEEK_MISS;
    if (r->type != REDIS_REPLY_STRING)
        return RES_OK;
    if (r->len == 0) {
        *state = PEEK_NULL;
        return RES_OK;
    }
    /* The hit path passes our own text through (reply_raw): no parse, no
     * re-serialisation. Values are written in the envelope's form (plain,
     * slashes unescaped), so the bytes equal those of the miss path. A
     * value in another form (written by an older build with "\/", or not
     * an object at all) takes the slow path below. */
    if (shop_text_plain(r->str, r->len)) {
        *out = reply_raw(rq, r->str, r->len);
        *state = PEEK_HIT;
        return RES_OK;
    }
    struct json_object *o = json_tokener_parse(r->str);
    if (o == NULL || !json_object_is_type(o, json_type_object)) {
        if (o)
            json_object_put(o);
        log_warn("shop: unparsable cache value, treated as a miss");
        return RES_OK;
    }
    jsonv_adopt(rq->cx.arena, o);
    *out = o;
    *state = PEEK_HIT;
    return RES_OK;
}

static res_t
shop_cache_read(struct req *rq, const char *ck, int *state,
                struct json_object **out)
{
    redisReply *r;
    res_t rc = rds_cmd(&rq->cx, &r, "GET %s", ck);
    if (rc != RES_OK)
        return rc;
    return shop_parse_cached(rq, r, state, out);
}

/* The highest shop id, from the cache or MySQL (then cached). */
static res_t
shop_max_id_reload(struct req *rq, long long *max)
{
    struct sql_rows t;
    res_t rc =
        sql_query(&rq->cx, &t, "SELECT COALESCE(MAX(id), 0) FROM tb_shop", "");
    if (rc != RES_OK)
        return rc;
    const char *keys[1] = {KEY_SHOP_MAX_ID};
    const char *args[2] = {
        arena_printf(rq->cx.arena, "%lld", (long long)sql_i64(&t, 0, 0)),
        arena_printf(rq->cx.arena, "%d", TTL_SHOP_MAX_ID)};
    redisReply *r;
    if ((rc = rds_eval(&rq->cx, &shop_lua_raise_max, &r, 1, keys, 2, args)) !=
        RES_OK)
        return rc;
    *max = rds_int(r);
    return RES_OK;
}

static res_t
shop_db_row(struct req *rq, int64_t id, struct json_object **out)
{
    struct sql_rows t;
    res_t rc = sql_query(
        &rq->cx, &t, "SELECT " SHOP_COLS " FROM tb_shop WHERE id = ?", "l", id);
    if (rc != RES_OK)
        return rc;
    *out = NULL;
    if (t.nrows > 0) {
        *out = shop_row_json(&t, 0);
        jsonv_adopt(rq->cx.arena, *out);
    }
    return RES_OK;
}

/* SET lock NX EX: *won = 1 when we now own it. */
static res_t
shop_lock(struct req *rq, const char *lk, const char *owner, int *won)
{
    redisReply *r;
    res_t rc =
        rds_cmd(&rq->cx, &r, "SET %s %s NX EX %d", lk, owner, TTL_LOCK_SHOP);
    if (rc != RES_OK)
        return rc;
    *won = r->type == REDIS_REPLY_STATUS;
    return RES_OK;
}

/* Compare-and-delete; a failure only means the lock lives out its TTL. */
static void
shop_unlock(struct req *rq, const char *lk, const char *owner)
{
    const char *keys[1] = {lk};
    const char *args[1] = {owner};
    struct ctx_mark m = ctx_mark(&rq->cx);
    if (rds_eval(&rq->cx, &shop_lua_unlock, NULL, 1, keys, 1, args) != RES_OK)
        ctx_drop(&rq->cx, m, "shop unlock");
}

/* We hold the lock: rebuild cache:shop:{id} from MySQL. */
static res_t
shop_rebuild(struct req *rq, int64_t id, const char *ck,
             struct json_object **out)
{
    int state;
    /* someone may have rebuilt between our miss and our lock */
    res_t rc = shop_cache_read(rq, ck, &state, out);
    if (rc != RES_OK)
        return rc;
    if (state == PEEK_HIT)
        return RES_OK;
    if (state == PEEK_NULL)
        return shop_not_found(rq);

    const char *cnt = key_shop_rebuilds(rq->cx.arena, id);
    rds_fire(&rq->cx, "INCR %s", cnt);
    rds_fire(&rq->cx, "EXPIRE %s %d", cnt, TTL_SHOP_REBUILDS);
    if ((rc = shop_db_row(rq, id, out)) != RES_OK)
        return rc;
    if (*out == NULL) {
        if ((rc = rds_cmd(&rq->cx, NULL, "SET %s %s EX %d", ck, "",
                          TTL_CACHE_NULL)) != RES_OK)
            return rc;
        return shop_not_found(rq);
    }
    const char *js = json_object_to_json_string_ext(
        *out, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
    return rds_cmd(&rq->cx, NULL, "SET %s %s EX %d", ck, js,
                   shop_cache_ttl(util_rand_below(UINT32_MAX)));
}

res_t
shop_get(struct req *rq, int64_t id, struct json_object **out)
{
    struct arena *a = rq->cx.arena;
    const char *ck = key_cache_shop(a, id);
    res_t rc;

    /* the cache and the max id in one round trip (argv: no format
     * parsing on the hot path) */
    const char *get_cache[2] = {"GET", ck};
    const char *get_max[2] = {"GET", KEY_SHOP_MAX_ID};
    if ((rc = rds_appendv(&rq->cx, 2, get_cache, NULL)) != RES_OK ||
        (rc = rds_appendv(&rq->cx, 2, get_max, NULL)) != RES_OK)
        return rc;
    redisReply *rv, *rm;
    res_t r1 = rds_reply(&rq->cx, &rv), r2 = RES_OK;
    if (r1 != RES_DEP_DOWN)
        r2 = rds_reply(&rq->cx, &rm);
    if (r1 != RES_OK || r2 != RES_OK)
        return r1 != RES_OK ? r1 : r2; /* described by rds_reply */
    int state;
    if ((rc = shop_parse_cached(rq, rv, &state, out)) != RES_OK)
        return rc;
    if (state == PEEK_HIT)
        return RES_OK;
    if (state == PEEK_NULL)
        return shop_not_found(rq);

    long long max = rm->type == REDIS_REPLY_STRING ? rds_int(rm) : -1;
    if (max < 0 && (rc = shop_max_id_reload(rq, &max)) != RES_OK)
        return rc;
    if (id > max)
        return shop_not_found(rq); /* no MySQL, no marker */

    const char *lk = key_lock_shop(a, id);
    const char *owner = util_rand_hex(a, 16);
    for (int waited = 0;; waited += SHOP_POLL_MS) {
        int won;
        if ((rc = shop_lock(rq, lk, owner, &won)) != RES_OK)
            return rc;
        if (won) {
            rc = shop_rebuild(rq, id, ck, out);
            shop_unlock(rq, lk, owner);
            return rc;
        }
        if (waited >= SHOP_WAIT_MS)
            break;
        /* someone else is rebuilding (or PUT /shop is writing): wait for
         * the value, and take over if the lock goes away without one */
        shop_sleep_ms(SHOP_POLL_MS);
        if ((rc = shop_cache_read(rq, ck, &state, out)) != RES_OK)
            return rc;
        if (state == PEEK_HIT)
            return RES_OK;
        if (state == PEEK_NULL)
            return shop_not_found(rq);
    }
    /* the rebuild is slow or died: answer from MySQL, leave the cache to
     * the lock holder */
    log_warn("shop %lld: cache rebuild still running after %d ms",
             (long long)id, SHOP_WAIT_MS);
    if ((rc = shop_db_row(rq, id, out)) != RES_OK)
        return rc;
    return *out ? RES_OK : shop_not_found(rq);
}

/* ================= shop types ================= */

res_t
shop_types(struct req *rq, struct json_object **out)
{
    redisReply *r;
    res_t rc = rds_cmd(&rq->cx, &r, "LRANGE %s 0 -1", KEY_CACHE_TYPE);
    if (rc != RES_OK)
        return rc;
    struct json_object *arr = reply_arr(rq);
    *out = arr;
    if (r->type == REDIS_REPLY_ARRAY && r->elements > 0) {
        int ok = 1;
        for (size_t i = 0; i < r->elements && ok; i++) {
            struct json_object *o = r->element[i]->type == REDIS_REPLY_STRING
                                        ? json_tokener_parse(r->element[i]->str)
                                        : NULL;
            if (o == NULL)
                ok = 0;
            else
                json_object_array_add(arr, o);
        }
        if (ok)
            return RES_OK;
        log_warn("shop: bad %s entry; rebuilding the list", KEY_CACHE_TYPE);
        rds_fire(&rq->cx, "DEL %s", KEY_CACHE_TYPE);
        arr = reply_arr(rq);
        *out = arr;
    }

    struct sql_rows t;
    if ((rc = sql_query(&rq->cx, &t,
                        "SELECT id, name, icon, sort FROM tb_shop_type "
                        "ORDER BY sort ASC, id ASC",
                        "")) != RES_OK)
        return rc;
    if (t.nrows == 0)
        return RES_OK;
    const char **args = arena_alloc(rq->cx.arena, t.nrows * sizeof(*args));
    for (unsigned i = 0; i < t.nrows; i++) {
        struct json_object *o = json_object_new_object();
        reply_add_i64(o, "id", sql_i64(&t, i, 0));
        reply_add_str(o, "name", sql_str(&t, i, 1));
        reply_add_str(o, "icon", sql_str(&t, i, 2));
        if (sql_str(&t, i, 3))
            reply_add_i64(o, "sort", sql_i64(&t, i, 3));
        args[i] = arena_strdup(rq->cx.arena, json_object_to_json_string_ext(
                                                 o, JSON_C_TO_STRING_PLAIN));
        json_object_array_add(arr, o);
    }
    const char *keys[1] = {KEY_CACHE_TYPE};
    return rds_eval(&rq->cx, &shop_lua_types, NULL, 1, keys, (int)t.nrows,
                    args);
}

/* ================= lists ================= */

static struct json_object *
shop_rows_array(struct req *rq, const struct sql_rows *t)
{
    struct json_object *arr = reply_arr(rq);
    for (unsigned i = 0; i < t->nrows; i++)
        json_object_array_add(arr, shop_row_json(t, i));
    return arr;
}

res_t
shop_page_by_name(struct req *rq, const char *name, int64_t current,
                  struct json_object **out)
{
    int64_t size = g_cfg.page_size, off = (current - 1) * size;
    struct sql_rows t;
    res_t rc;
    if (name == NULL || *name == '\0')
        rc = sql_query(&rq->cx, &t,
                       "SELECT " SHOP_COLS
                       " FROM tb_shop ORDER BY id LIMIT ? OFFSET ?",
                       "ll", size, off);
    else
        rc = sql_query(&rq->cx, &t,
                       "SELECT " SHOP_COLS
                       " FROM tb_shop WHERE name LIKE ? ESCAPE '!' "
                       "ORDER BY id LIMIT ? OFFSET ?",
                       "sll", shop_like_pattern(rq->cx.arena, name), size, off);
    if (rc != RES_OK)
        return rc;
    *out = shop_rows_array(rq, &t);
    return RES_OK;
}

res_t
shop_page_by_type(struct req *rq, int64_t type_id, int64_t current,
                  enum shop_sort sort, struct json_object **out)
{
    static const char *const sql[] = {
        [SHOP_SORT_ID] = "SELECT " SHOP_COLS " FROM tb_shop WHERE type_id = ?"
                         " ORDER BY id LIMIT ? OFFSET ?",
        [SHOP_SORT_COMMENTS] =
            "SELECT " SHOP_COLS " FROM tb_shop WHERE type_id = ?"
            " ORDER BY comments DESC, id LIMIT ? OFFSET ?",
        [SHOP_SORT_SCORE] =
            "SELECT " SHOP_COLS " FROM tb_shop WHERE type_id = ?"
            " ORDER BY score DESC, id LIMIT ? OFFSET ?",
    };
    int64_t size = g_cfg.page_size, off = (current - 1) * size;
    struct sql_rows t;
    res_t rc = sql_query(&rq->cx, &t, sql[sort], "lll", type_id, size, off);
    if (rc != RES_OK)
        return rc;
    *out = t.nrows ? shop_rows_array(rq, &t) : NULL;
    return RES_OK;
}

/* Loads shop:geo:{typeId} from MySQL unless it is marked loaded. Loading
 * twice concurrently is harmless (GEOADD is idempotent). */
static res_t
shop_geo_ensure(struct req *rq, int64_t type_id, const char *gk)
{
    const char *mk = key_shop_geo_loaded(rq->cx.arena, type_id);
    redisReply *r;
    res_t rc = rds_cmd(&rq->cx, &r, "EXISTS %s", mk);
    if (rc != RES_OK)
        return rc;
    if (rds_int(r) == 1)
        return RES_OK;
    struct sql_rows t;
    if ((rc = sql_query(&rq->cx, &t,
                        "SELECT id, x, y FROM tb_shop WHERE "
                        "type_id = ?",
                        "l", type_id)) != RES_OK)
        return rc;
    if (t.nrows > 0) {
        int argc = 2 + 3 * (int)t.nrows;
        const char **argv = arena_alloc(rq->cx.arena, argc * sizeof(*argv));
        argv[0] = "GEOADD";
        argv[1] = gk;
        for (unsigned i = 0; i < t.nrows; i++) {
            argv[2 + 3 * i] = sql_str(&t, i, 1);
            argv[3 + 3 * i] = sql_str(&t, i, 2);
            argv[4 + 3 * i] = sql_str(&t, i, 0);
        }
        if ((rc = rds_cmdv(&rq->cx, NULL, argc, argv, NULL)) != RES_OK)
            return rc;
    }
    /* marked even when the type has no shop, so empty types cost one
     * EXISTS and no SQL */
    return rds_cmd(&rq->cx, NULL, "SET %s 1", mk);
}

/* KEYS: shop:geo:{type}, its loaded marker; ARGV: x, y, radius (m),
 * count, from, the cache:shop key prefix. {0} when the GEO set is not
 * loaded; else {1, the GEOSEARCH reply (nearest first, count at most,
 * WITHDIST), the cache:shop values of its entries from `from` on}. */
static const struct rds_script shop_lua_near = {
    "shop_near",
    "if redis.call('EXISTS', KEYS[2]) == 0 then\n"
    "  return {0}\n"
    "end\n"
    "local r = redis.call('GEOSEARCH', KEYS[1], 'FROMLONLAT', ARGV[1], "
    "ARGV[2], 'BYRADIUS', ARGV[3], 'm', 'ASC', 'COUNT', ARGV[4], "
    "'WITHDIST')\n"
    "local keys, vals = {}, {}\n"
    "for i = tonumber(ARGV[5]) + 1, #r do\n"
    "  keys[#keys + 1] = ARGV[6] .. r[i][1]\n"
    "end\n"
    "if #keys > 0 then\n"
    "  vals = redis.call('MGET', unpack(keys))\n"
    "end\n"
    "return {1, r, vals}\n"};

/* KEYS: lock:shop keys; ARGV: owner, lock TTL. Takes every lock that is
 * free; returns a 1/0 per key (taken or not). */
static const struct rds_script shop_lua_lock_many = {
    "shop_lock_many", "local won = {}\n"
                      "for i = 1, #KEYS do\n"
                      "  won[i] = redis.call('SET', KEYS[i], ARGV[1], 'NX', "
                      "'EX', ARGV[2]) and 1 or 0\n"
                      "end\n"
                      "return won\n"};

/* KEYS: pairs (cache:shop key, its lock); ARGV: owner, then a value
 * ("" = none) and a TTL per pair. For each lock owner still holds:
 * writes the value, if any, and releases the lock. */
static const struct rds_script shop_lua_fill_unlock = {
    "shop_fill_unlock",
    "for i = 1, #KEYS, 2 do\n"
    "  if redis.call('GET', KEYS[i + 1]) == ARGV[1] then\n"
    "    if ARGV[i + 1] ~= '' then\n"
    "      redis.call('SET', KEYS[i], ARGV[i + 1], 'EX', ARGV[i + 2])\n"
    "    end\n"
    "    redis.call('DEL', KEYS[i + 1])\n"
    "  end\n"
    "end\n"
    "return 0\n"};

/* The shops of the near page that the cache did not give (miss[0..m)
 * index ids), from MySQL (type_id again: a GEO member left behind by a
 * type change is skipped), as items with their distances (dtext); the
 * rows are cached under the rebuild locks shop_get uses, for the shops
 * whose lock was free, so a PUT /shop in progress is never undone. */
static res_t
shop_near_misses(struct req *rq, int64_t type_id, const int64_t *ids,
                 const char *const *dtext, const unsigned *miss, unsigned m,
                 const char **item, size_t *ilen)
{
    struct arena *a = rq->cx.arena;
    const char *owner = util_rand_hex(a, 16);
    const char **lkeys = arena_alloc(a, m * sizeof(*lkeys));
    for (unsigned i = 0; i < m; i++)
        lkeys[i] = key_lock_shop(a, ids[miss[i]]);
    const char *largs[2] = {owner, arena_printf(a, "%d", TTL_LOCK_SHOP)};
    redisReply *won;
    res_t rc =
        rds_eval(&rq->cx, &shop_lua_lock_many, &won, (int)m, lkeys, 2, largs);
    if (rc != RES_OK)
        return rc;
    if (won->type != REDIS_REPLY_ARRAY || won->elements != m)
        return req_fail(rq, RES_INTERNAL, "shop_lock_many: bad reply");

    struct sql_param *p = arena_calloc(a, (m + 1) * sizeof(*p));
    for (unsigned i = 0; i < m; i++) {
        p[i].type = 'l';
        p[i].i = ids[miss[i]];
    }
    p[m].type = 'l';
    p[m].i = type_id;
    char *sql = arena_printf(a,
                             "SELECT " SHOP_COLS " FROM tb_shop WHERE "
                             "id IN (%s) AND type_id = ?",
                             sql_placeholders(&rq->cx, m));
    struct sql_rows t;
    rc = sql_queryv(&rq->cx, &t, sql, p, m + 1);

    /* fill what we locked and found; release every lock we took */
    const char **fkeys = arena_alloc(a, 2 * m * sizeof(*fkeys));
    const char **fargs = arena_alloc(a, (2 * m + 1) * sizeof(*fargs));
    int nk = 0, na = 0;
    fargs[na++] = owner;
    for (unsigned i = 0; i < m; i++) {
        if (rds_int(won->element[i]) != 1)
            continue;
        const char *js = "";
        for (unsigned k = 0; rc == RES_OK && k < t.nrows; k++) {
            if (sql_i64(&t, k, 0) != ids[miss[i]])
                continue;
            struct json_object *o = shop_row_json(&t, k);
            js = arena_strdup(a, json_object_to_json_string_ext(
                                     o, JSON_C_TO_STRING_PLAIN |
                                            JSON_C_TO_STRING_NOSLASHESCAPE));
            json_object_put(o);
            size_t il;
            item[miss[i]] =
                shop_near_item(a, js, strlen(js), type_id, dtext[miss[i]], &il);
            ilen[miss[i]] = il;
            rds_fire(&rq->cx, "INCR %s", key_shop_rebuilds(a, ids[miss[i]]));
            rds_fire(&rq->cx, "EXPIRE %s %d",
                     key_shop_rebuilds(a, ids[miss[i]]), TTL_SHOP_REBUILDS);
            break;
        }
        /* not found (another type, or gone): no value, only the unlock */
        fkeys[nk++] = key_cache_shop(a, ids[miss[i]]);
        fkeys[nk++] = lkeys[i];
        fargs[na++] = js;
        fargs[na++] =
            *js ? arena_printf(a, "%d",
                               shop_cache_ttl(util_rand_below(UINT32_MAX)))
                : "";
    }
    if (nk > 0) {
        /* "" values are not written: the script only releases their lock */
        struct ctx_mark mk = ctx_mark(&rq->cx);
        if (rds_eval(&rq->cx, &shop_lua_fill_unlock, NULL, nk, fkeys, na,
                     fargs) != RES_OK)
            ctx_drop(&rq->cx, mk, "shop cache fill (near)");
    }
    if (rc != RES_OK)
        return rc;
    /* the misses whose lock someone else held: from the rows alone */
    for (unsigned i = 0; i < m; i++) {
        if (item[miss[i]])
            continue;
        for (unsigned k = 0; k < t.nrows; k++) {
            if (sql_i64(&t, k, 0) != ids[miss[i]])
                continue;
            struct json_object *o = shop_row_json(&t, k);
            const char *js = json_object_to_json_string_ext(
                o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
            size_t il;
            item[miss[i]] =
                shop_near_item(a, js, strlen(js), type_id, dtext[miss[i]], &il);
            ilen[miss[i]] = il;
            json_object_put(o);
            break;
        }
    }
    return RES_OK;
}

/* A distance as json-c prints it in the envelope (reply_add_dbl). */
static const char *
shop_dist_text(struct arena *a, double d)
{
    struct json_object *o = json_object_new_double(d);
    const char *s = arena_strdup(
        a, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
    json_object_put(o);
    return s;
}

res_t
shop_page_near(struct req *rq, int64_t type_id, double x, double y,
               int64_t current, const char **out, size_t *len)
{
    struct arena *a = rq->cx.arena;
    const char *gk = key_shop_geo(a, type_id);
    int64_t size = g_cfg.page_size;
    int64_t from = (current - 1) * size, end = current * size;
    *out = NULL;
    *len = 0;
    const char *keys[2] = {gk, key_shop_geo_loaded(a, type_id)};
    const char *args[6] = {arena_printf(a, "%.10f", x),
                           arena_printf(a, "%.10f", y),
                           arena_printf(a, "%d", SHOP_GEO_RADIUS_M),
                           arena_printf(a, "%lld", (long long)end),
                           arena_printf(a, "%lld", (long long)from),
                           KEY_CACHE_SHOP_PREFIX};
    redisReply *r;
    res_t rc;
    for (int pass = 0;; pass++) {
        if ((rc = rds_eval(&rq->cx, &shop_lua_near, &r, 2, keys, 6, args)) !=
            RES_OK)
            return rc;
        if (r->type != REDIS_REPLY_ARRAY || r->elements < 1)
            return req_fail(rq, RES_INTERNAL, "shop_near: bad reply");
        if (rds_int(r->element[0]) == 1 || pass > 0)
            break;
        if ((rc = shop_geo_ensure(rq, type_id, gk)) != RES_OK)
            return rc;
    }
    if (r->elements != 3 || r->element[1]->type != REDIS_REPLY_ARRAY ||
        r->element[2]->type != REDIS_REPLY_ARRAY)
        return req_fail(rq, RES_INTERNAL, "shop_near: bad reply");
    const redisReply *geo = r->element[1], *vals = r->element[2];
    if ((int64_t)geo->elements <= from)
        return RES_OK; /* past the end: no data */
    unsigned n = (unsigned)((int64_t)geo->elements - from);
    if (vals->elements != n)
        return req_fail(rq, RES_INTERNAL, "shop_near: bad reply");

    int64_t *ids = arena_alloc(a, n * sizeof(*ids));
    const char **dtext = arena_alloc(a, n * sizeof(*dtext));
    const char **item = arena_calloc(a, n * sizeof(*item));
    size_t *ilen = arena_calloc(a, n * sizeof(*ilen));
    unsigned *miss = arena_alloc(a, n * sizeof(*miss)), m = 0;
    for (unsigned i = 0; i < n; i++) {
        const redisReply *e = geo->element[from + i], *v = vals->element[i];
        if (e->type != REDIS_REPLY_ARRAY || e->elements < 2 ||
            e->element[0]->type != REDIS_REPLY_STRING ||
            e->element[1]->type != REDIS_REPLY_STRING ||
            str_parse_i64(e->element[0]->str, &ids[i]) < 0)
            return req_fail(rq, RES_INTERNAL, "GEOSEARCH: bad member");
        dtext[i] = shop_dist_text(a, strtod(e->element[1]->str, NULL));
        if (v->type == REDIS_REPLY_STRING)
            item[i] =
                shop_near_item(a, v->str, v->len, type_id, dtext[i], &ilen[i]);
        if (item[i] == NULL)
            miss[m++] = i;
    }
    if (m > 0 && (rc = shop_near_misses(rq, type_id, ids, dtext, miss, m, item,
                                        ilen)) != RES_OK)
        return rc;
    size_t total = 2;
    for (unsigned i = 0; i < n; i++)
        total += item[i] ? ilen[i] + 1 : 0;
    char *s = arena_alloc(a, total + 1), *o = s;
    *o++ = '[';
    for (unsigned i = 0; i < n; i++) {
        if (item[i] == NULL)
            continue; /* gone, or of another type now */
        if (o > s + 1)
            *o++ = ',';
        memcpy(o, item[i], ilen[i]);
        o += ilen[i];
    }
    *o++ = ']';
    *o = '\0';
    *out = s;
    *len = (size_t)(o - s);
    return RES_OK;
}

/* ================= writes ================= */

res_t
shop_type_exists(struct req *rq, int64_t type_id, int *found)
{
    struct sql_rows t;
    res_t rc = sql_query(&rq->cx, &t, "SELECT 1 FROM tb_shop_type WHERE id = ?",
                         "l", type_id);
    if (rc != RES_OK)
        return rc;
    *found = t.nrows > 0;
    return RES_OK;
}

static const char *
shop_num(struct req *rq, int has, int64_t v)
{
    return has ? arena_printf(rq->cx.arena, "%lld", (long long)v) : NULL;
}

static const char *
shop_dbl(struct req *rq, int has, double v)
{
    return has ? arena_printf(rq->cx.arena, "%.17g", v) : NULL;
}

static void
shop_geo_put(struct req *rq, int64_t type_id, double x, double y, int64_t id)
{
    struct ctx_mark m = ctx_mark(&rq->cx);
    if (rds_cmd(&rq->cx, NULL, "GEOADD %s %s %s %lld",
                key_shop_geo(rq->cx.arena, type_id), shop_dbl(rq, 1, x),
                shop_dbl(rq, 1, y), (long long)id) != RES_OK)
        ctx_drop(&rq->cx, m, "shop GEOADD");
}

res_t
shop_insert(struct req *rq, const struct shop_in *in, int64_t *id)
{
    res_t rc = sql_exec(
        &rq->cx, NULL,
        "INSERT INTO tb_shop (name, type_id, images, area, address, x, y, "
        "avg_price, sold, comments, score, open_hours) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        "slsssddsllls", in->name, in->type_id, in->images, in->area,
        in->address, in->x, in->y,
        shop_num(rq, in->has_avg_price, in->avg_price),
        in->has_sold ? in->sold : 0, in->has_comments ? in->comments : 0,
        in->has_score ? in->score : 0, in->open_hours);
    if (rc != RES_OK)
        return rc;
    *id = (int64_t)sql_insert_id();

    /* MySQL is the truth from here on; Redis follows, best effort */
    shop_geo_put(rq, in->type_id, in->x, in->y, *id);
    const char *keys[1] = {KEY_SHOP_MAX_ID};
    const char *args[2] = {arena_printf(rq->cx.arena, "%lld", (long long)*id),
                           arena_printf(rq->cx.arena, "%d", TTL_SHOP_MAX_ID)};
    struct ctx_mark m = ctx_mark(&rq->cx);
    if (rds_eval(&rq->cx, &shop_lua_raise_max, NULL, 1, keys, 2, args) !=
        RES_OK)
        ctx_drop(&rq->cx, m, "shop raising the max id");
    /* a null marker written before the row existed */
    rds_fire(&rq->cx, "DEL %s", key_cache_shop(rq->cx.arena, *id));
    return RES_OK;
}

res_t
shop_update(struct req *rq, const struct shop_in *in, int *found)
{
    struct sql_rows t;
    res_t rc =
        sql_query(&rq->cx, &t, "SELECT type_id, x, y FROM tb_shop WHERE id = ?",
                  "l", in->id);
    if (rc != RES_OK)
        return rc;
    *found = t.nrows > 0;
    if (!*found)
        return RES_OK;
    int64_t old_type = sql_i64(&t, 0, 0);
    double old_x = sql_dbl(&t, 0, 1), old_y = sql_dbl(&t, 0, 2);

    /* Hold the rebuild lock across UPDATE + DEL, so that no rebuild that
     * read the old row can write it back after our DEL. If a holder does
     * not let go within SHOP_WAIT_MS, write anyway. */
    const char *lk = key_lock_shop(rq->cx.arena, in->id);
    const char *owner = util_rand_hex(rq->cx.arena, 16);
    int won = 0;
    for (int waited = 0;; waited += SHOP_POLL_MS) {
        if ((rc = shop_lock(rq, lk, owner, &won)) != RES_OK)
            return rc;
        if (won || waited >= SHOP_WAIT_MS)
            break;
        shop_sleep_ms(SHOP_POLL_MS);
    }

    /* one statement text for every subset of fields: an absent field
     * binds NULL and COALESCE keeps the column */
    rc = sql_exec(
        &rq->cx, NULL,
        "UPDATE tb_shop SET name = COALESCE(?, name), "
        "type_id = COALESCE(?, type_id), images = COALESCE(?, images), "
        "area = COALESCE(?, area), address = COALESCE(?, address), "
        "x = COALESCE(?, x), y = COALESCE(?, y), "
        "avg_price = COALESCE(?, avg_price), sold = COALESCE(?, sold), "
        "comments = COALESCE(?, comments), score = COALESCE(?, score), "
        "open_hours = COALESCE(?, open_hours) WHERE id = ?",
        "ssssssssssssl", in->name, shop_num(rq, in->has_type_id, in->type_id),
        in->images, in->area, in->address, shop_dbl(rq, in->has_x, in->x),
        shop_dbl(rq, in->has_y, in->y),
        shop_num(rq, in->has_avg_price, in->avg_price),
        shop_num(rq, in->has_sold, in->sold),
        shop_num(rq, in->has_comments, in->comments),
        shop_num(rq, in->has_score, in->score), in->open_hours, in->id);
    if (rc != RES_OK) {
        if (won)
            shop_unlock(rq, lk, owner);
        return rc;
    }

    struct ctx_mark m = ctx_mark(&rq->cx);
    if (rds_cmd(&rq->cx, NULL, "DEL %s",
                key_cache_shop(rq->cx.arena, in->id)) != RES_OK)
        ctx_drop(&rq->cx, m, "shop cache invalidation");
    if (won)
        shop_unlock(rq, lk, owner);
    int64_t new_type = in->has_type_id ? in->type_id : old_type;
    double nx = in->has_x ? in->x : old_x, ny = in->has_y ? in->y : old_y;
    if (new_type != old_type) {
        rds_fire(&rq->cx, "ZREM %s %lld", key_shop_geo(rq->cx.arena, old_type),
                 (long long)in->id);
        shop_geo_put(rq, new_type, nx, ny, in->id);
    } else if (in->has_x || in->has_y) {
        shop_geo_put(rq, new_type, nx, ny, in->id);
    }
    return RES_OK;
}

res_t
shop_exists(struct req *rq, int64_t id, int *found)
{
    struct sql_rows t;
    res_t rc =
        sql_query(&rq->cx, &t, "SELECT 1 FROM tb_shop WHERE id = ?", "l", id);
    if (rc != RES_OK)
        return rc;
    *found = t.nrows > 0;
    return RES_OK;
}
