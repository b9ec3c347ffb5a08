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
 *
 * Two more things ride on the same writers, so they are exact too:
 *   follows:gen:{u}    a token every write of follows:{u} changes (update,
 *                      drop, rebuild). The rendered common follows of a
 *                      pair are cached under both tokens, read in the same
 *                      script as the sets they were computed from, so an
 *                      answer is never served once either set changed.
 *   follows:since:{u}  follow times of some followees (the feed's pulled
 *                      ones), written under the rebuild's share lock from
 *                      the committed rows; a follow change forgets its
 *                      followee's field in its update script, under its
 *                      exclusive lock, before it commits.
 */
#include "follow_private.h"

#include "../core/util.h"
#include "../store/keys.h"
#include "../store/rds.h"
#include "../store/sql.h"
#include "../user/user.h"

#include <stdlib.h>
#include <string.h>

/* Every script that writes follows:{u} also gives follows:gen:{u} a
 * fresh value of KEY_FOLLOWS_GEN_SEQ (kept FOLLOW_GEN_TTL s, far longer
 * than anything computed under it is cached), so a cached result that
 * names the generations it was computed under is known stale as soon as
 * either set changes (the common follows below). */
#define FOLLOW_GEN_TTL 86400
#define FOLLOW_LUA_BUMP                                                        \
    "local function bump(k)\n"                                                 \
    "  redis.call('SET', k, redis.call('INCR', KEYS[3]), 'EX', ARGV[1])\n"     \
    "end\n"

/* KEYS: follows:{me}, follows:gen:{me}, KEY_FOLLOWS_GEN_SEQ,
 * follows:since:{me}; ARGV: gen TTL, sentinel, "1" add / "0" remove,
 * target. The generation moves and target's follow time is forgotten
 * whether or not the set is built. Returns 1 when the set was changed, 0
 * when it is not built (left to a rebuild, which reads the committed
 * row). */
static const struct rds_script follow_lua_apply = {
    "follow_apply", FOLLOW_LUA_BUMP
    "bump(KEYS[2])\n"
    "redis.call('HDEL', KEYS[4], ARGV[4])\n"
    "if redis.call('SISMEMBER', KEYS[1], ARGV[2]) == 0 then return 0 end\n"
    "if ARGV[3] == '1' then\n"
    "  redis.call('SADD', KEYS[1], ARGV[4])\n"
    "else\n"
    "  redis.call('SREM', KEYS[1], ARGV[4])\n"
    "end\n"
    "return 1\n"};

/* KEYS: follows:{me}, follows:gen:{me}, KEY_FOLLOWS_GEN_SEQ; ARGV: gen
 * TTL. Drops the set (a change it shows did not commit). */
static const struct rds_script follow_lua_drop = {"follow_drop", FOLLOW_LUA_BUMP
                                                  "bump(KEYS[2])\n"
                                                  "redis.call('DEL', KEYS[1])\n"
                                                  "return 1\n"};

/* KEYS: follows:{u}, follows:gen:{u}, KEY_FOLLOWS_GEN_SEQ; ARGV: gen TTL,
 * sentinel, followed ids...
 * Replaces a set without sentinel by sentinel + ids. Returns 1 when
 * written, 0 when a built set was already there. */
static const struct rds_script follow_lua_rebuild = {
    "follow_rebuild", FOLLOW_LUA_BUMP
    "if redis.call('SISMEMBER', KEYS[1], ARGV[2]) == 1 then return 0 end\n"
    "bump(KEYS[2])\n"
    "redis.call('DEL', KEYS[1])\n"
    "for i = 2, #ARGV, 1000 do\n"
    "  redis.call('SADD', KEYS[1], unpack(ARGV, i, math.min(i + 999, "
    "#ARGV)))\n"
    "end\n"
    "return 1\n"};

static const char *
follow_gen_ttl(struct arena *a)
{
    return arena_printf(a, "%d", FOLLOW_GEN_TTL);
}

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
    const char *keys[4] = {
        key_follows(rq->cx.arena, me), key_follows_gen(rq->cx.arena, me),
        KEY_FOLLOWS_GEN_SEQ, key_follows_since(rq->cx.arena, me)};
    const char *args[4] = {
        follow_gen_ttl(rq->cx.arena), KEY_FOLLOWS_SENTINEL, add ? "1" : "0",
        arena_printf(rq->cx.arena, "%lld", (long long)target)};
    redis_touched = 1;
    if ((rc = rds_eval(&rq->cx, &follow_lua_apply, NULL, 4, keys, 4, args)) !=
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
    if (redis_touched) {
        const char *dkeys[3] = {key_follows(rq->cx.arena, me),
                                key_follows_gen(rq->cx.arena, me),
                                KEY_FOLLOWS_GEN_SEQ};
        const char *dargs[1] = {follow_gen_ttl(rq->cx.arena)};
        rds_eval(&rq->cx, &follow_lua_drop, NULL, 3, dkeys, 1, dargs);
    }
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
        arena_alloc(rq->cx.arena, (t.nrows + 2) * sizeof(*args));
    int64_t *v = arena_alloc(rq->cx.arena, (t.nrows + 1) * sizeof(*v));
    args[0] = follow_gen_ttl(rq->cx.arena);
    args[1] = KEY_FOLLOWS_SENTINEL;
    for (unsigned i = 0; i < t.nrows; i++) {
        args[i + 2] = sql_str(&t, i, 0);
        v[i] = sql_i64(&t, i, 0);
    }
    const char *keys[3] = {key_follows(rq->cx.arena, u),
                           key_follows_gen(rq->cx.arena, u),
                           KEY_FOLLOWS_GEN_SEQ};
    rc = rds_eval(&rq->cx, &follow_lua_rebuild, NULL, 3, keys, (int)t.nrows + 2,
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

/* ---------------- common follows ---------------- */

/* The answer for a pair is cached rendered in Redis under the pair's
 * generations, and each worker keeps a copy of the last few it served
 * (FOLLOW_COMMON_LOCAL): a request names the generations of its copy, and
 * while they are current and Redis still holds the answer under them,
 * the script says so and the answer does not travel again. The copy is
 * never used past the Redis value's expiry, so the names in it are never
 * older than those in Redis (TTL_CACHE_USER + FOLLOW_COMMON_TTL after an
 * edit made outside the app, see user_list.c). */
#define FOLLOW_COMMON_TTL   60 /* s */
#define FOLLOW_COMMON_LOCAL 4

/* KEYS: follows:{lo}, follows:{hi}, follows:gen:{lo}, follows:gen:{hi},
 * the pair's cache key; ARGV: sentinel, the cache:user key prefix, the
 * token of the caller's copy ("" = none), "1" to answer even when a set
 * is not built (its user does not exist: rebuilt already, in vain).
 * tok = "<gen lo>:<gen hi>" (a missing generation is ""). Returns {3,
 * PTTL} when the caller's copy has tok and Redis still holds the answer
 * under it; {1, cached value, PTTL} when Redis holds the answer under tok
 * (the value is tok, a line break, then the answer); {0} when a set is
 * not built; else {2, tok, SINTER, the cache:user values of its members}
 * ({4, "", ...} for a set not built: not to be cached): the generations
 * are read in the same step as the sets, so tok names exactly the state
 * the ids come from. */
static const struct rds_script follow_lua_common = {
    "follow_common",
    "local tok = (redis.call('GET', KEYS[3]) or '') .. ':' .. "
    "(redis.call('GET', KEYS[4]) or '')\n"
    "local head = redis.call('GETRANGE', KEYS[5], 0, #tok)\n"
    "if head == tok .. '\\n' then\n"
    "  if ARGV[3] == tok then\n"
    "    return {3, redis.call('PTTL', KEYS[5])}\n"
    "  end\n"
    "  return {1, redis.call('GET', KEYS[5]), redis.call('PTTL', KEYS[5])}\n"
    "end\n"
    "local kind = 2\n"
    "if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 0 or "
    "redis.call('SISMEMBER', KEYS[2], ARGV[1]) == 0 then\n"
    "  if ARGV[4] ~= '1' then\n"
    "    return {0}\n"
    "  end\n"
    "  kind = 4\n"
    "end\n"
    "local ids = redis.call('SINTER', KEYS[1], KEYS[2])\n"
    "local keys, vals = {}, {}\n"
    "for i = 1, #ids do\n"
    "  keys[i] = ARGV[2] .. ids[i]\n"
    "end\n"
    "for i = 1, #keys, 1000 do\n"
    "  local v = redis.call('MGET', unpack(keys, i, math.min(i + 999, "
    "#keys)))\n"
    "  for j = 1, #v do\n"
    "    vals[#vals + 1] = v[j]\n"
    "  end\n"
    "end\n"
    "return {kind, tok, ids, vals}\n"};

/* KEYS: follows:gen:{lo}, follows:gen:{hi}, the pair's cache key; ARGV:
 * tok, the value, its TTL. Writes only while the generations are still
 * tok's (a reader checks them anyway; this saves a dead write). */
static const struct rds_script follow_lua_common_fill = {
    "follow_common_fill",
    "local tok = (redis.call('GET', KEYS[1]) or '') .. ':' .. "
    "(redis.call('GET', KEYS[2]) or '')\n"
    "if tok ~= ARGV[1] then\n"
    "  return 0\n"
    "end\n"
    "redis.call('SET', KEYS[3], ARGV[2], 'EX', ARGV[3])\n"
    "return 1\n"};

struct follow_common_copy {
    struct arena *a; /* holds tok and text; NULL: an empty slot */
    int64_t lo, hi;
    const char *tok;
    const char *text;
    size_t len;
    int64_t until; /* util_mono_ms() past which it is not used */
    uint64_t used; /* for the choice of a slot to reuse */
};

static struct follow_common_copy follow_common_copies[FOLLOW_COMMON_LOCAL];
static uint64_t follow_common_clock;

/* The copy of (lo, hi), or NULL. */
static struct follow_common_copy *
follow_common_copy_find(int64_t lo, int64_t hi)
{
    for (int i = 0; i < FOLLOW_COMMON_LOCAL; i++) {
        struct follow_common_copy *c = &follow_common_copies[i];
        if (c->a && c->lo == lo && c->hi == hi) {
            if (util_mono_ms() < c->until)
                return c;
            arena_free(c->a);
            memset(c, 0, sizeof(*c));
        }
    }
    return NULL;
}

/* Keeps text (len bytes) as the copy of (lo, hi) under tok, for ttl_ms
 * at most, in the slot of (lo, hi) or the least recently used one. */
static void
follow_common_copy_keep(int64_t lo, int64_t hi, const char *tok, size_t tok_len,
                        const char *text, size_t len, long long ttl_ms)
{
    if (ttl_ms <= 0)
        return;
    if (ttl_ms > FOLLOW_COMMON_TTL * 1000LL)
        ttl_ms = FOLLOW_COMMON_TTL * 1000LL;
    /* the pair's own slot, else an empty one, else the least recent */
    struct follow_common_copy *c = NULL, *empty = NULL, *old = NULL;
    for (int i = 0; i < FOLLOW_COMMON_LOCAL; i++) {
        struct follow_common_copy *s = &follow_common_copies[i];
        if (s->a && s->lo == lo && s->hi == hi)
            c = s;
        else if (s->a == NULL)
            empty = s;
        else if (old == NULL || s->used < old->used)
            old = s;
    }
    if (c == NULL)
        c = empty ? empty : old;
    if (c->a)
        arena_free(c->a);
    c->a = arena_new();
    c->lo = lo;
    c->hi = hi;
    c->tok = arena_strndup(c->a, tok, tok_len);
    c->text = arena_strndup(c->a, text, len);
    c->len = len;
    c->until = util_mono_ms() + ttl_ms;
    c->used = ++follow_common_clock;
}

struct follow_member {
    int64_t id;
    const char *frag; /* cache:user value, or NULL */
    size_t flen;
};

static int
follow_member_cmp(const void *a, const void *b)
{
    const struct follow_member *x = a, *y = b;
    return (x->id > y->id) - (x->id < y->id);
}

/* The members of the script's SINTER (ids) with their cache values
 * (vals), without the sentinel and junk, ascending by id, distinct. */
static struct follow_member *
follow_members(struct req *rq, const redisReply *ids, const redisReply *vals,
               unsigned *n)
{
    struct follow_member *m =
        arena_alloc(rq->cx.arena, (ids->elements + 1) * sizeof(*m));
    size_t k = 0;
    for (size_t i = 0; i < ids->elements; i++) {
        const redisReply *e = ids->element[i], *v = vals->element[i];
        int64_t id;
        if (e->type != REDIS_REPLY_STRING || str_parse_i64(e->str, &id) < 0 ||
            id <= 0)
            continue; /* the sentinel */
        m[k].id = id;
        m[k].frag = v->type == REDIS_REPLY_STRING ? v->str : NULL;
        m[k].flen = v->type == REDIS_REPLY_STRING ? v->len : 0;
        k++;
    }
    if (k > 1)
        qsort(m, k, sizeof(*m), follow_member_cmp);
    size_t d = 0;
    for (size_t i = 0; i < k; i++)
        if (d == 0 || m[i].id != m[d - 1].id)
            m[d++] = m[i];
    *n = (unsigned)d;
    return m;
}

/* Renders the answer from the script's {2, tok, ids, vals} reply and
 * caches it under tok, in Redis and as this worker's copy (not when
 * cache is 0). */
static res_t
follow_common_render(struct req *rq, const redisReply *r, const char **keys,
                     int64_t lo, int64_t hi, int cache, const char **out,
                     size_t *len)
{
    const redisReply *tok = r->element[1], *ids = r->element[2],
                     *vals = r->element[3];
    if (tok->type != REDIS_REPLY_STRING || ids->type != REDIS_REPLY_ARRAY ||
        vals->type != REDIS_REPLY_ARRAY || vals->elements != ids->elements)
        return req_fail(rq, RES_INTERNAL, "common follows: bad reply");
    unsigned n;
    struct follow_member *m = follow_members(rq, ids, vals, &n);
    int64_t *v = arena_alloc(rq->cx.arena, (n + 1) * sizeof(*v));
    const char **frag = arena_alloc(rq->cx.arena, (n + 1) * sizeof(*frag));
    size_t *flen = arena_alloc(rq->cx.arena, (n + 1) * sizeof(*flen));
    for (unsigned i = 0; i < n; i++) {
        v[i] = m[i].id;
        frag[i] = m[i].frag;
        flen[i] = m[i].flen;
    }
    char *text;
    res_t rc = user_list_json(rq, v, n, frag, flen, &text, len);
    if (rc != RES_OK)
        return rc;
    *out = text;
    if (!cache)
        return RES_OK;
    const char *fkeys[3] = {keys[2], keys[3], keys[4]};
    const char *args[3] = {
        arena_strndup(rq->cx.arena, tok->str, tok->len),
        arena_printf(rq->cx.arena, "%.*s\n%s", (int)tok->len, tok->str, text),
        arena_printf(rq->cx.arena, "%d", FOLLOW_COMMON_TTL)};
    struct ctx_mark mk = ctx_mark(&rq->cx);
    redisReply *w;
    if (rds_eval(&rq->cx, &follow_lua_common_fill, &w, 3, fkeys, 3, args) !=
        RES_OK)
        ctx_drop(&rq->cx, mk, "common follows cache fill");
    else if (rds_int(w) == 1)
        follow_common_copy_keep(lo, hi, tok->str, tok->len, text, *len,
                                FOLLOW_COMMON_TTL * 1000LL);
    return RES_OK;
}

res_t
follow_common_json(struct req *rq, int64_t a, int64_t b, const char **out,
                   size_t *len)
{
    struct arena *ar = rq->cx.arena;
    int64_t lo = a < b ? a : b, hi = a < b ? b : a;
    /* (a, b) and (b, a) share one answer, keyed in (lo, hi) order */
    const char *keys[5] = {key_follows(ar, lo), key_follows(ar, hi),
                           key_follows_gen(ar, lo), key_follows_gen(ar, hi),
                           key_cache_follow_common(ar, lo, hi)};
    for (int pass = 0;; pass++) {
        struct follow_common_copy *c = follow_common_copy_find(lo, hi);
        const char *args[4] = {KEY_FOLLOWS_SENTINEL, KEY_CACHE_USER_PREFIX,
                               c ? c->tok : "", pass > 0 ? "1" : "0"};
        redisReply *r;
        res_t rc = rds_eval(&rq->cx, &follow_lua_common, &r, 5, keys, 4, args);
        if (rc != RES_OK)
            return rc;
        if (r->type != REDIS_REPLY_ARRAY || r->elements < 1)
            return req_fail(rq, RES_INTERNAL, "common follows: bad reply");
        long long kind = rds_int(r->element[0]);
        if (kind == 3 && c && r->elements == 2) { /* the copy is current */
            /* the copy outlives the request: nothing replaces it before
             * the reply is written */
            *out = c->text;
            *len = c->len;
            return RES_OK;
        }
        if (kind == 1 && r->elements == 3 &&
            r->element[1]->type == REDIS_REPLY_STRING) {
            const char *v = r->element[1]->str,
                       *nl = memchr(v, '\n', r->element[1]->len);
            if (nl == NULL)
                return req_fail(rq, RES_INTERNAL, "common follows: bad cache");
            *out = nl + 1; /* the reply lives as long as rq */
            *len = r->element[1]->len - (size_t)(nl + 1 - v);
            follow_common_copy_keep(lo, hi, v, (size_t)(nl - v), *out, *len,
                                    rds_int(r->element[2]));
            return RES_OK;
        }
        if ((kind == 2 || kind == 4) && r->elements == 4)
            return follow_common_render(rq, r, keys, lo, hi, kind == 2, out,
                                        len);
        if (kind != 0 || r->elements != 1 || pass > 0)
            return req_fail(rq, RES_INTERNAL, "common follows: bad reply");
        /* a set is not built: rebuild what is missing, then ask again */
        if ((rc = follow_set_ensure(rq, lo)) != RES_OK ||
            (hi != lo && (rc = follow_set_ensure(rq, hi)) != RES_OK))
            return rc;
    }
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

/* KEYS: follows:since:{me}; ARGV: followee, UNIX seconds, ... */
static const struct rds_script follow_lua_since_fill = {
    "follow_since_fill", "redis.call('HSET', KEYS[1], unpack(ARGV))\n"
                         "return 0\n"};

/* One attempt of follow_followees_since: under the share lock of
 * tb_user(me) that every follow change of me waits for (and takes FOR
 * UPDATE before it forgets the followee's time in Redis), so the times
 * written here are those of the committed rows, and a change that
 * commits later forgets them after this write. */
static res_t
follow_followees_since_once(struct req *rq, int64_t me, const int64_t *ids,
                            unsigned n, struct follow_followee *out,
                            unsigned *nout)
{
    struct arena *a = rq->cx.arena;
    struct sql_rows t;
    *nout = 0;
    res_t rc = sql_begin(&rq->cx);
    if (rc != RES_OK)
        return rc;
    if ((rc = sql_query(&rq->cx, &t,
                        "SELECT id FROM tb_user WHERE id = ? LOCK IN SHARE "
                        "MODE",
                        "l", me)) != RES_OK)
        goto rollback;
    struct sql_param *p = arena_calloc(a, (n + 1) * sizeof(*p));
    p[0].type = 'l';
    p[0].i = me;
    for (unsigned i = 0; i < n; i++) {
        p[i + 1].type = 'l';
        p[i + 1].i = ids[i];
    }
    char *sql = arena_printf(a,
                             "SELECT follow_user_id, "
                             "UNIX_TIMESTAMP(create_time) FROM tb_follow "
                             "WHERE user_id = ? AND follow_user_id IN (%s) "
                             "ORDER BY follow_user_id",
                             sql_placeholders(&rq->cx, n));
    if ((rc = sql_queryv(&rq->cx, &t, sql, p, n + 1)) != RES_OK)
        goto rollback;
    unsigned k = t.nrows < n ? t.nrows : n;
    const char **args = arena_alloc(a, (2 * k + 1) * sizeof(*args));
    for (unsigned i = 0; i < k; i++) {
        out[i].user_id = sql_i64(&t, i, 0);
        out[i].since_s = sql_i64(&t, i, 1);
        args[2 * i] = sql_str(&t, i, 0);
        args[2 * i + 1] = sql_str(&t, i, 1);
    }
    if (k > 0) {
        const char *keys[1] = {key_follows_since(a, me)};
        if ((rc = rds_eval(&rq->cx, &follow_lua_since_fill, NULL, 1, keys,
                           (int)(2 * k), args)) != RES_OK)
            goto rollback;
    }
    if ((rc = sql_commit(&rq->cx)) != RES_OK)
        return rc;
    *nout = k;
    return RES_OK;

rollback:
    sql_rollback(&rq->cx);
    return rc;
}

res_t
follow_followees_since(struct req *rq, int64_t me, const int64_t *ids,
                       unsigned n, struct follow_followee **out, unsigned *nout)
{
    *out = arena_alloc(rq->cx.arena, (n ? n : 1) * sizeof(**out));
    *nout = 0;
    if (n == 0)
        return RES_OK;
    int attempt = 0;
    res_t rc;
    do
        rc = follow_followees_since_once(rq, me, ids, n, *out, nout);
    while (rc != RES_OK && sql_tx_retry(&rq->cx, &attempt));
    return rc;
}
