/*
 * blog_likes.c: like toggles of blogs and comments, and the likers.
 *
 * Likes. `blog:liked:{id}` (member userId, score ms) and tb_blog.liked
 * must agree however clicks race. One Lua script decides the toggle
 * (ZSCORE, then ZADD or ZREM; it returns the delta), and the delta is
 * applied in SQL as one arithmetic UPDATE. Both run while the request
 * holds the blog row's lock (SELECT ... FOR UPDATE), so the toggles of
 * one blog reach MySQL in the order the script decided them: without
 * that, a -1 could be applied before the +1 it undoes, hit the zero clamp
 * and leave the counter one too high. The same lock orders likes against
 * a concurrent delete. If the UPDATE or the COMMIT fails after the script
 * ran, the ZSET change is reverted (the lock still keeps everyone else
 * out), so the two stores never disagree. Comments' likes work the same
 * on tb_blog_comments with `comment:liked:{id}`.
 */
#include "blog_private.h"

#include "../core/log.h"
#include "../core/util.h"
#include "../store/keys.h"
#include "../store/rds.h"
#include "../store/sql.h"

#include <stdio.h>
#include <string.h>

/* KEYS[1] like ZSET; ARGV member, score (ms).
 * Returns {delta, previous score or ""}: +1 after ZADD, -1 after ZREM. */
static const struct rds_script blog_lua_toggle = {
    "blog_like_toggle", "local old = redis.call('ZSCORE', KEYS[1], ARGV[1])\n"
                        "if old then\n"
                        "  redis.call('ZREM', KEYS[1], ARGV[1])\n"
                        "  return {-1, old}\n"
                        "end\n"
                        "redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])\n"
                        "return {1, ''}\n"};

/* One toggle under the row lock of lock_sql (which selects the row FOR
 * UPDATE), applying the delta with update_sql (params: delta, id). */
static res_t
blog_toggle_once(struct req *rq, const char *lock_sql, const char *update_sql,
                 const char *key, int64_t id, int64_t uid, int *delta,
                 int *found, int64_t *owner)
{
    res_t rc = sql_begin(&rq->cx);
    if (rc != RES_OK)
        return rc;
    struct sql_rows t;
    if ((rc = sql_query(&rq->cx, &t, lock_sql, "l", id)) != RES_OK)
        goto rollback;
    *found = t.nrows > 0;
    if (!*found) {
        sql_rollback(&rq->cx);
        return RES_OK;
    }
    *owner = sql_i64(&t, 0, 1);
    char member[24];
    snprintf(member, sizeof(member), "%lld", (long long)uid);
    const char *keys[1] = {key};
    const char *args[2] = {
        member, arena_printf(rq->cx.arena, "%lld", (long long)util_now_ms())};
    redisReply *r;
    if ((rc = rds_eval(&rq->cx, &blog_lua_toggle, &r, 1, keys, 2, args)) !=
        RES_OK)
        goto rollback;
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
        rc = req_fail(rq, RES_INTERNAL, "like script: bad reply");
        goto rollback;
    }
    *delta = rds_int(r->element[0]) > 0 ? 1 : -1;
    const char *old = rds_str(&rq->cx, r->element[1]);

    if ((rc = sql_exec(&rq->cx, NULL, update_sql, "ll", (int64_t)*delta, id)) !=
            RES_OK ||
        (rc = sql_commit(&rq->cx)) != RES_OK) {
        /* MySQL did not take the change: take it back from the ZSET now,
         * before the rollback lets the next toggle of this row in. Its
         * own failure cannot be reported better than the first one. */
        if (*delta > 0)
            rds_cmd(&rq->cx, NULL, "ZREM %s %s", key, member);
        else
            rds_cmd(&rq->cx, NULL, "ZADD %s %s %s", key, old ? old : args[1],
                    member);
        goto rollback;
    }
    return RES_OK;

rollback:
    sql_rollback(&rq->cx);
    return rc;
}

/* blog_toggle_once, again while it loses a lock conflict (sql_tx_retry). */
static res_t
blog_toggle(struct req *rq, const char *lock_sql, const char *update_sql,
            const char *key, int64_t id, int64_t uid, int *delta, int *found,
            int64_t *owner)
{
    int attempt = 0;
    res_t rc;
    do
        rc = blog_toggle_once(rq, lock_sql, update_sql, key, id, uid, delta,
                              found, owner);
    while (rc != RES_OK && sql_tx_retry(&rq->cx, &attempt));
    return rc;
}

res_t
blog_like_toggle(struct req *rq, int64_t id, int64_t uid, int *delta,
                 int *found, int64_t *author)
{
    res_t rc = blog_toggle(
        rq, "SELECT id, user_id FROM tb_blog WHERE id = ? FOR UPDATE",
        "UPDATE tb_blog SET liked = GREATEST(CAST(IFNULL(liked, 0) AS SIGNED) "
        "+ ?, 0) WHERE id = ?",
        key_blog_liked(rq->cx.arena, id), id, uid, delta, found, author);
    /* liked and the hot order changed: before the reply, so the
     * frontend's GET /blog/{id} right after sees the new count */
    if (rc == RES_OK && *found)
        blog_cache_invalidate_soft(rq, id, 1);
    return rc;
}

res_t
blog_comment_like_toggle(struct req *rq, int64_t id, int64_t uid, int *delta,
                         int *found)
{
    int64_t owner;
    return blog_toggle(
        rq, "SELECT id, user_id FROM tb_blog_comments WHERE id = ? FOR UPDATE",
        "UPDATE tb_blog_comments SET liked = GREATEST(CAST(IFNULL(liked, 0) "
        "AS SIGNED) + ?, 0) WHERE id = ?",
        key_comment_liked(rq->cx.arena, id), id, uid, delta, found, &owner);
}

/* KEYS: the like ZSET; ARGV: the cache:user key prefix.
 * {the first five members, the values of their cache:user keys}. */
static const struct rds_script blog_lua_likers = {
    "blog_likers", "local ids = redis.call('ZRANGE', KEYS[1], 0, 4)\n"
                   "if #ids == 0 then\n"
                   "  return {ids, {}}\n"
                   "end\n"
                   "local keys = {}\n"
                   "for i = 1, #ids do\n"
                   "  keys[i] = ARGV[1] .. ids[i]\n"
                   "end\n"
                   "return {ids, redis.call('MGET', unpack(keys))}\n"};

res_t
blog_likers(struct req *rq, int64_t id, int64_t **ids, const char ***frag,
            size_t **flen, unsigned *n)
{
    const char *keys[1] = {key_blog_liked(rq->cx.arena, id)};
    const char *args[1] = {KEY_CACHE_USER_PREFIX};
    redisReply *r;
    res_t rc = rds_eval(&rq->cx, &blog_lua_likers, &r, 1, keys, 1, args);
    if (rc != RES_OK)
        return rc;
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
        r->element[0]->type != REDIS_REPLY_ARRAY ||
        r->element[1]->type != REDIS_REPLY_ARRAY ||
        (r->element[1]->elements != r->element[0]->elements &&
         r->element[0]->elements != 0))
        return req_fail(rq, RES_INTERNAL, "likers script: bad reply");
    const redisReply *m = r->element[0], *v = r->element[1];
    unsigned cnt = 0;
    *ids = arena_calloc(rq->cx.arena, 6 * sizeof(**ids));
    *frag = arena_calloc(rq->cx.arena, 6 * sizeof(**frag));
    *flen = arena_calloc(rq->cx.arena, 6 * sizeof(**flen));
    for (size_t i = 0; i < m->elements && cnt < 5; i++) {
        int64_t x;
        if (m->element[i]->type != REDIS_REPLY_STRING ||
            str_parse_i64(m->element[i]->str, &x) < 0 || x <= 0)
            continue;
        (*ids)[cnt] = x;
        if (v->element[i]->type == REDIS_REPLY_STRING) {
            (*frag)[cnt] = v->element[i]->str;
            (*flen)[cnt] = v->element[i]->len;
        }
        cnt++;
    }
    *n = cnt;
    return RES_OK;
}
