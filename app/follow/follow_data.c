/*
 * follow_data.c: the follow module's SQL and Redis.
 *
 * tb_follow is the truth; follows:{id} is a mirror that may be missing
 * (Redis flushed, a database loaded from a dump). A set that exists always
 * holds the sentinel member, so "follows nobody" ({sentinel}) and "not
 * built" (no sentinel) differ.
 *
 * Keeping the mirror exact under concurrency: every writer of follows:{u}
 * holds a lock on the tb_user row of u while it changes MySQL and the set:
 * follow/unfollow takes it FOR UPDATE and updates the set before COMMIT, a
 * rebuild takes it LOCK IN SHARE MODE around its read of tb_follow and its
 * write of the set. So the set changes in the order the rows change, and a
 * rebuild never writes a snapshot older than a change already applied.
 * The update script only touches a set that exists; the rebuild script
 * only writes a set that does not.
 */
#include "follow_private.h"

#include "../store/keys.h"
#include "../store/rds.h"
#include "../store/sql.h"

#include <string.h>

/* KEYS: follows:{me}; ARGV: sentinel, "1" add / "0" remove, target.
 * Returns 1 when applied, 0 when the set is not built (left to a
 * rebuild, which reads the committed row). */
static const struct rds_script follow_lua_apply = {
    "follow_apply",
    "if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 0 then return 0 end\n"
    "if ARGV[2] == '1' then\n"
    "  redis.call('SADD', KEYS[1], ARGV[3])\n"
    "else\n"
    "  redis.call('SREM', KEYS[1], ARGV[3])\n"
    "end\n"
    "return 1\n"};

/* KEYS: follows:{u}; ARGV: sentinel, followed ids...
 * Replaces a set without sentinel by sentinel + ids. Returns 1 when
 * written, 0 when a built set was already there. */
static const struct rds_script follow_lua_rebuild = {
    "follow_rebuild",
    "if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 1 then return 0 end\n"
    "redis.call('DEL', KEYS[1])\n"
    "for i = 1, #ARGV, 1000 do\n"
    "  redis.call('SADD', KEYS[1], unpack(ARGV, i, math.min(i + 999, "
    "#ARGV)))\n"
    "end\n"
    "return 1\n"};

/* ---------------- counts ---------------- */

/* Moves one of u's counters by delta (+1/-1), creating the tb_user_info
 * row when missing; never below 0 (the columns are unsigned and may be
 * NULL in a dump). */
static res_t
follow_count(struct req *rq, int64_t u, int fans, int delta)
{
    static const char *const sql[2][2] = {
        {"INSERT INTO tb_user_info (user_id, followee) VALUES (?, 0) ON "
         "DUPLICATE KEY UPDATE followee = GREATEST(COALESCE(followee, 0), "
         "1) - 1",
         "INSERT INTO tb_user_info (user_id, followee) VALUES (?, 1) ON "
         "DUPLICATE KEY UPDATE followee = COALESCE(followee, 0) + 1"},
        {"INSERT INTO tb_user_info (user_id, fans) VALUES (?, 0) ON "
         "DUPLICATE KEY UPDATE fans = GREATEST(COALESCE(fans, 0), 1) - 1",
         "INSERT INTO tb_user_info (user_id, fans) VALUES (?, 1) ON "
         "DUPLICATE KEY UPDATE fans = COALESCE(fans, 0) + 1"},
    };
    return sql_exec(&rq->cx, NULL, sql[fans ? 1 : 0][delta > 0 ? 1 : 0], "l",
                    u);
}

/* followee of me and fans of target, locking the two tb_user_info rows
 * in id order so that A following B and B following A cannot deadlock. */
static res_t
follow_counts(struct req *rq, int64_t me, int64_t target, int delta)
{
    res_t rc;
    if (me < target) {
        if ((rc = follow_count(rq, me, 0, delta)) != RES_OK)
            return rc;
        return follow_count(rq, target, 1, delta);
    }
    if ((rc = follow_count(rq, target, 1, delta)) != RES_OK)
        return rc;
    return follow_count(rq, me, 0, delta);
}

/* ---------------- follow / unfollow ---------------- */

static res_t
follow_change_once(struct req *rq, int64_t me, int64_t target, int add,
                   int *changed)
{
    struct sql_rows t;
    uint64_t affected = 0;
    int redis_touched = 0;
    res_t rc;

    *changed = 0;
    if ((rc = sql_begin(&rq->cx)) != RES_OK)
        return rc;
    rc = sql_query(&rq->cx, &t,
                   "SELECT id FROM tb_user WHERE id = ? FOR UPDATE", "l", me);
    if (rc != RES_OK)
        goto rollback;
    if (t.nrows == 0) {
        rc = req_fail(rq, RES_NOT_FOUND, "用户不存在");
        goto rollback;
    }
    if (add) {
        int dup;
        rc = sql_exec_dup(&rq->cx, &affected, &dup,
                          "INSERT INTO tb_follow (user_id, follow_user_id) "
                          "VALUES (?, ?)",
                          "ll", me, target);
        if (dup) /* already following: a no-op */
            affected = 0;
    } else {
        rc = sql_exec(&rq->cx, &affected,
                      "DELETE FROM tb_follow WHERE user_id = ? AND "
                      "follow_user_id = ?",
                      "ll", me, target);
    }
    if (rc != RES_OK)
        goto rollback;
    if (affected == 0)
        return sql_commit(&rq->cx);

    if ((rc = follow_counts(rq, me, target, add ? 1 : -1)) != RES_OK)
        goto rollback;
    const char *keys[1] = {key_follows(rq->cx.arena, me)};
    const char *args[3] = {
        KEY_FOLLOWS_SENTINEL, add ? "1" : "0",
        arena_printf(rq->cx.arena, "%lld", (long long)target)};
    redis_touched = 1;
    if ((rc = rds_eval(&rq->cx, &follow_lua_apply, NULL, 1, keys, 3, args)) !=
        RES_OK)
        goto rollback;
    if ((rc = sql_commit(&rq->cx)) != RES_OK)
        goto unmirror;
    *changed = 1;
    return RES_OK;

rollback:
    sql_rollback(&rq->cx);
unmirror:
    /* the set may be ahead of MySQL now: drop it, the next read rebuilds
     * it from the committed rows (best effort: Redis may be what failed) */
    if (redis_touched)
        rds_cmd(&rq->cx, NULL, "DEL %s", key_follows(rq->cx.arena, me));
    return rc;
}

/* follow_change_once, again while it loses a lock conflict (sql_tx_retry). */
res_t
follow_change(struct req *rq, int64_t me, int64_t target, int add, int *changed)
{
    int attempt = 0;
    res_t rc;
    do
        rc = follow_change_once(rq, me, target, add, changed);
    while (rc != RES_OK && sql_tx_retry(&rq->cx, &attempt));
    return rc;
}

/* ---------------- the mirror ---------------- */

/* Parses set members into ids (0 for the sentinel and junk). */
static int64_t *
follow_members_ids(struct req *rq, const redisReply *r, size_t *n)
{
    size_t m = r->type == REDIS_REPLY_ARRAY ? r->elements : 0;
    int64_t *ids = arena_alloc(rq->cx.arena, (m ? m : 1) * sizeof(*ids));
    for (size_t i = 0; i < m; i++) {
        const redisReply *e = r->element[i];
        ids[i] = 0;
        if (e->type == REDIS_REPLY_STRING && str_parse_i64(e->str, &ids[i]) < 0)
            ids[i] = 0;
    }
    *n = follow_ids_clean(ids, m);
    return ids;
}

/* Rebuilds follows:{u} from tb_follow and returns its ids (ascending).
 * An unknown user gets an empty list and no key. */
static res_t
follow_set_rebuild_once(struct req *rq, int64_t u, int64_t **ids, size_t *n)
{
    struct sql_rows t;
    res_t rc;

    *n = 0;
    *ids = arena_alloc(rq->cx.arena, sizeof(**ids));
    if ((rc = sql_begin(&rq->cx)) != RES_OK)
        return rc;
    rc = sql_query(&rq->cx, &t,
                   "SELECT id FROM tb_user WHERE id = ? LOCK IN SHARE MODE",
                   "l", u);
    if (rc != RES_OK)
        goto rollback;
    if (t.nrows == 0)
        return sql_commit(&rq->cx);
    rc = sql_query(&rq->cx, &t,
                   "SELECT follow_user_id FROM tb_follow WHERE user_id = ? "
                   "ORDER BY follow_user_id",
                   "l", u);
    if (rc != RES_OK)
        goto rollback;
    const char **args =
        arena_alloc(rq->cx.arena, (t.nrows + 1) * sizeof(*args));
    int64_t *v = arena_alloc(rq->cx.arena, (t.nrows + 1) * sizeof(*v));
    args[0] = KEY_FOLLOWS_SENTINEL;
    for (unsigned i = 0; i < t.nrows; i++) {
        args[i + 1] = sql_str(&t, i, 0);
        v[i] = sql_i64(&t, i, 0);
    }
    const char *keys[1] = {key_follows(rq->cx.arena, u)};
    rc = rds_eval(&rq->cx, &follow_lua_rebuild, NULL, 1, keys, (int)t.nrows + 1,
                  args);
    if (rc != RES_OK)
        goto rollback;
    if ((rc = sql_commit(&rq->cx)) != RES_OK)
        return rc;
    *n = follow_ids_clean(v, t.nrows);
    *ids = v;
    return RES_OK;

rollback:
    sql_rollback(&rq->cx);
    return rc;
}

/* follow_set_rebuild_once, again while it loses a lock conflict (sql_tx_retry).
 */
static res_t
follow_set_rebuild(struct req *rq, int64_t u, int64_t **ids, size_t *n)
{
    int attempt = 0;
    res_t rc;
    do
        rc = follow_set_rebuild_once(rq, u, ids, n);
    while (rc != RES_OK && sql_tx_retry(&rq->cx, &attempt));
    return rc;
}

res_t
follow_set_ensure(struct req *rq, int64_t u)
{
    redisReply *r;
    res_t rc = rds_cmd(&rq->cx, &r, "SISMEMBER %s %s",
                       key_follows(rq->cx.arena, u), KEY_FOLLOWS_SENTINEL);
    if (rc != RES_OK || rds_int(r) == 1)
        return rc;
    int64_t *ids;
    size_t n;
    return follow_set_rebuild(rq, u, &ids, &n);
}

res_t
follow_is_following(struct req *rq, int64_t me, int64_t target, int *yes)
{
    redisReply *r;
    res_t rc = rds_cmd(&rq->cx, &r, "SMISMEMBER %s %s %lld",
                       key_follows(rq->cx.arena, me), KEY_FOLLOWS_SENTINEL,
                       (long long)target);
    if (rc != RES_OK)
        return rc;
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 2)
        return req_fail(rq, RES_INTERNAL, "SMISMEMBER: unexpected reply");
    if (rds_int(r->element[0]) == 1) {
        *yes = rds_int(r->element[1]) == 1;
        return RES_OK;
    }
    int64_t *ids;
    size_t n;
    if ((rc = follow_set_rebuild(rq, me, &ids, &n)) != RES_OK)
        return rc;
    *yes = 0;
    for (size_t i = 0; i < n; i++)
        if (ids[i] == target)
            *yes = 1;
    return RES_OK;
}

res_t
follow_common(struct req *rq, int64_t a, int64_t b, int64_t **ids, size_t *n)
{
    const char *ka = key_follows(rq->cx.arena, a);
    const char *kb = key_follows(rq->cx.arena, b);
    redisReply *ra, *rb;
    res_t rc;
    if ((rc = rds_append(&rq->cx, "SISMEMBER %s %s", ka,
                         KEY_FOLLOWS_SENTINEL)) != RES_OK ||
        (rc = rds_append(&rq->cx, "SISMEMBER %s %s", kb,
                         KEY_FOLLOWS_SENTINEL)) != RES_OK)
        return rc;
    res_t r1 = rds_reply(&rq->cx, &ra);
    res_t r2 = rds_reply(&rq->cx, &rb);
    if (r1 != RES_OK || r2 != RES_OK)
        return r1 != RES_OK ? r1 : r2; /* described by rds_reply */
    int64_t *tmp;
    size_t tn;
    if (rds_int(ra) != 1 &&
        (rc = follow_set_rebuild(rq, a, &tmp, &tn)) != RES_OK)
        return rc;
    if (b != a && rds_int(rb) != 1 &&
        (rc = follow_set_rebuild(rq, b, &tmp, &tn)) != RES_OK)
        return rc;
    redisReply *r;
    if ((rc = rds_cmd(&rq->cx, &r, "SINTER %s %s", ka, kb)) != RES_OK)
        return rc;
    *ids = follow_members_ids(rq, r, n);
    return RES_OK;
}

/* ---------------- for the feed ---------------- */

res_t
follow_fans_page(struct ctx *cx, int64_t author, int64_t *cursor,
                 unsigned limit, int64_t **users, unsigned *n)
{
    struct sql_rows t;
    /* walks idx_follow_followee (follow_user_id, id) in order: each page
     * is a range read, however many followers there are */
    res_t rc = sql_query(cx, &t,
                         "SELECT id, user_id FROM tb_follow WHERE "
                         "follow_user_id = ? AND id > ? ORDER BY id LIMIT ?",
                         "lll", author, *cursor, (int64_t)limit);
    if (rc != RES_OK)
        return rc;
    int64_t *u = arena_alloc(cx->arena, (t.nrows ? t.nrows : 1) * sizeof(*u));
    for (unsigned i = 0; i < t.nrows; i++)
        u[i] = sql_i64(&t, i, 1);
    if (t.nrows)
        *cursor = sql_i64(&t, t.nrows - 1, 0);
    *users = u;
    *n = t.nrows;
    return RES_OK;
}

res_t
follow_followees_since(struct req *rq, int64_t me, const int64_t *ids,
                       unsigned n, struct follow_followee **out, unsigned *nout)
{
    *out = arena_alloc(rq->cx.arena, (n ? n : 1) * sizeof(**out));
    *nout = 0;
    if (n == 0)
        return RES_OK;
    struct sql_param *p = arena_calloc(rq->cx.arena, (n + 1) * sizeof(*p));
    p[0].type = 'l';
    p[0].i = me;
    for (unsigned i = 0; i < n; i++) {
        p[i + 1].type = 'l';
        p[i + 1].i = ids[i];
    }
    char *sql = arena_printf(rq->cx.arena,
                             "SELECT follow_user_id, "
                             "UNIX_TIMESTAMP(create_time) FROM tb_follow "
                             "WHERE user_id = ? AND follow_user_id IN (%s) "
                             "ORDER BY follow_user_id",
                             sql_placeholders(&rq->cx, n));
    struct sql_rows t;
    res_t rc = sql_queryv(&rq->cx, &t, sql, p, n + 1);
    if (rc != RES_OK)
        return rc;
    for (unsigned i = 0; i < t.nrows && i < n; i++) {
        (*out)[i].user_id = sql_i64(&t, i, 0);
        (*out)[i].since_s = sql_i64(&t, i, 1);
    }
    *nout = t.nrows < n ? t.nrows : n;
    return RES_OK;
}
