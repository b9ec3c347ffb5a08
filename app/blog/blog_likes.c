/*
 * blog_likes.c: like toggles of blogs and comments, and the likers.
 *
 * Likes. `blog:liked:{id}` (member userId, score ms) and tb_blog.liked
 * must agree however clicks race. One Lua script decides the toggle
 * (ZSCORE, then ZADD or ZREM; it returns the delta), and the delta is
 * applied in SQL as one arithmetic UPDATE (autocommit: one round trip,
 * one commit). No MySQL lock is held across the Redis call: deltas of
 * different users commute, so MySQL may apply them in any order. Only
 * one user's own toggles of one item must reach MySQL in the order the
 * script decided them: a -1 applied before the +1 it undoes would hit
 * the zero clamp and leave the counter one too high. So the script that
 * decides a toggle also sets that user's pending mark
 * (`blog:liking:{id}:{uid}`), refuses to decide another while the mark
 * is set (the request retries for a while: a double click waits for the
 * first click's UPDATE), and the mark is cleared once MySQL has the
 * delta. Then each user's applied contributions alternate +1, -1 from
 * 0, their sum never goes below zero, and the clamp never bites. The
 * marks of one item are a ZSET (`blog:liking:{id}`: user -> the deadline
 * past which the toggle counts as lost).
 *
 * If the UPDATE fails, or finds the row gone (a delete committed since
 * the existence check), the script's change is undone (and the mark
 * cleared) before the request answers, so the stores never disagree. A
 * delete that races a like is ordered by the delete's own sweep: either
 * the sweep removes the ZSET after the like's change, or the like's
 * UPDATE finds no row and undoes it.
 *
 * Lost toggles. A worker killed between the script and the UPDATE leaves
 * the ZSET changed without the count (as a lock held across the script
 * could not prevent either: MySQL rolls back, the ZSET keeps its change),
 * and its mark stays past its deadline (TTL_LIKE_PENDING_MS). Such an
 * item is reconciled: under the row's lock, once no toggle of it is
 * pending, the count is set to the ZSET's size (blog_like_reconcile). The
 * next toggle of the item does that first; for an item nobody toggles
 * again, every script also looks at a few entries of `like:pending` (the
 * items with toggles, scored by their last deadline) whose deadline
 * passed: it forgets those with no mark left and hands the first with a
 * lost one to its request, which reconciles it after its own UPDATE. So
 * the liker set and the count agree again after any crash, as soon as
 * any like is clicked.
 *
 * Round trips of a warm like (blog_like_fast): the script and the
 * UPDATE. The session is the one the worker last saw the token open
 * (user_auth_guess_dto) and the author comes from the worker's map (else
 * a SELECT: a read, no commit); the script checks both in Redis before it
 * decides (blog_lua_toggle_auth) and writes nothing when either does not
 * hold, and the like then takes the full path: the session together with
 * the blog's author (`blog:owner:{id}`, see keys.h; on a miss a SELECT,
 * whose answer is written back), the script, the UPDATE. The author never
 * changes, so the cached id needs no invalidation; the delete's sweep replaces
 * it with "0" (gone), which a fill (SET NX) never overwrites. A like that takes
 * the author from the cache leaves the row's existence to the UPDATE, as a like
 * racing a delete always did (below: no row, undone). The like notice
 * (EVENT_BLOG_LIKED's pipelined subscriber) rides in the script's round trip,
 * guarded in Redis by the like's score, so it is written only if the toggle
 * added the like, with the same fsync; should the UPDATE then fail, the like is
 * taken back and the notice stays, as after a like and an unlike. The
 * cache invalidation and the mark's ZREM are fired after the UPDATE and
 * sent before the reply (rds_flush): nobody waits for their fsync.
 * A row lock (SELECT ... FOR UPDATE around the script, the UPDATE and a
 * COMMIT) cost two round trips more and held the lock across Redis'
 * fsync: every like of a popular blog waited for all the others.
 * Comments' likes work the same on tb_blog_comments with
 * `comment:liked:{id}` (no notice).
 */
#include "blog_private.h"

#include "../core/event.h"
#include "../core/log.h"
#include "../core/util.h"
#include "../store/keys.h"
#include "../store/rds.h"
#include "../store/sql.h"
#include "../user/user.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* How long a toggle waits for the same user's previous toggle of the same
 * item (its pending mark) before it answers a conflict. */
#define BLOG_LIKE_WAIT_US 3000000
/* Items whose last deadline passed that one toggle looks at (and forgets
 * when no lost toggle is left in them). */
#define BLOG_LIKE_SWEEP "8"
/* How long a swept item with a lost toggle is left to the toggle that
 * found it before another toggle may take it (ms). */
#define BLOG_LIKE_SWEEP_HOLD "2000"

/* KEYS[1] like ZSET, KEYS[2] the item's pending marks (ZSET uid ->
 * deadline ms), KEYS[3] KEY_LIKE_PENDING; ARGV member, now (ms: the
 * like's score, and the clock the deadlines are read with), mark TTL (ms), the
 * item's KEY_LIKE_PENDING member, the blogs' and the comments' mark key
 * prefixes. Returns {2, '', ''} when a lost toggle of the item is to be
 * reconciled first, {0, '', ''} while the user's mark is set (nothing written),
 * else {delta, previous score or '', swept}: +1 after ZADD, -1 after ZREM, with
 * the mark set; swept is '' or another item with a lost toggle, left to this
 * request. */
#define BLOG_LUA_TOGGLE_BODY                                                   \
    "local now = tonumber(ARGV[2])\n"                                          \
    "if redis.call('ZCOUNT', KEYS[2], '-inf', now) > 0 then\n"                 \
    "  return {2, '', ''}\n"                                                   \
    "end\n"                                                                    \
    "if redis.call('ZSCORE', KEYS[2], ARGV[1]) then return {0, '', ''} end\n"  \
    "local swept = ''\n"                                                       \
    "local due = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now, 'LIMIT', "  \
    "0, " BLOG_LIKE_SWEEP ")\n"                                                \
    "for i = 1, #due do\n"                                                     \
    "  local pre = ARGV[5]\n"                                                  \
    "  if string.sub(due[i], 1, 1) == 'c' then pre = ARGV[6] end\n"            \
    "  if redis.call('EXISTS', pre .. string.sub(due[i], 3)) == 0 then\n"      \
    "    redis.call('ZREM', KEYS[3], due[i])\n"                                \
    "  elseif swept == '' then\n"                                              \
    "    redis.call('ZADD', KEYS[3], now + " BLOG_LIKE_SWEEP_HOLD              \
    ", due[i])\n"                                                              \
    "    swept = due[i]\n"                                                     \
    "  end\n"                                                                  \
    "end\n"                                                                    \
    "local deadline = now + tonumber(ARGV[3])\n"                               \
    "redis.call('ZADD', KEYS[2], deadline, ARGV[1])\n"                         \
    "redis.call('ZADD', KEYS[3], 'GT', deadline, ARGV[4])\n"                   \
    "local old = redis.call('ZSCORE', KEYS[1], ARGV[1])\n"                     \
    "if old then\n"                                                            \
    "  redis.call('ZREM', KEYS[1], ARGV[1])\n"                                 \
    "  return {-1, old, swept}\n"                                              \
    "end\n"                                                                    \
    "redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])\n"                          \
    "return {1, '', swept}\n"
static const struct rds_script blog_lua_toggle = {"blog_like_toggle",
                                                  BLOG_LUA_TOGGLE_BODY};

/* blog_lua_toggle on a guessed session and author (a warm like in one
 * round trip). KEYS as blog_lua_toggle, then KEYS[4] the session
 * (key_login_token), KEYS[5] the blog's cached author (key_blog_owner);
 * ARGV as blog_lua_toggle, then ARGV[7] the guessed user id, ARGV[8] and
 * ARGV[9] user_session_check's stale and set ms, ARGV[10] the author,
 * ARGV[11] '1' when the author was read from MySQL just now (the cache
 * is filled when empty), ARGV[12] the cache's TTL (s). Returns {3, '',
 * ''} when the session is not the guessed user's (or the cached author
 * is another: not to be trusted), {4, '', ''} when the cache says the
 * blog is gone, writing nothing either time; else as blog_lua_toggle. */
static const struct rds_script blog_lua_toggle_auth = {
    "blog_like_toggle_auth", USER_LUA_SESSION_CHECK
    "if not user_session_check(KEYS[4], ARGV[7], ARGV[8], ARGV[9]) then\n"
    "  return {3, '', ''}\n"
    "end\n"
    "local owner = redis.call('GET', KEYS[5])\n"
    "if owner == '0' then return {4, '', ''} end\n"
    "if owner and owner ~= ARGV[10] then return {3, '', ''} end\n"
    "if not owner and ARGV[11] == '1' then\n"
    "  redis.call('SET', KEYS[5], ARGV[10], 'EX', ARGV[12], 'NX')\n"
    "end\n" BLOG_LUA_TOGGLE_BODY};

/* KEYS as blog_lua_toggle (two); ARGV member, the delta to undo, the
 * score to restore (undoing -1). Takes a toggle back and clears the
 * mark. */
static const struct rds_script blog_lua_undo = {
    "blog_like_undo", "if ARGV[2] == '1' then\n"
                      "  redis.call('ZREM', KEYS[1], ARGV[1])\n"
                      "else\n"
                      "  redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])\n"
                      "end\n"
                      "redis.call('ZREM', KEYS[2], ARGV[1])\n"
                      "return 0\n"};

/* KEYS like ZSET, the item's marks; ARGV now (ms). {-1} while a toggle
 * is pending and not lost (its UPDATE is still to come), else {the like
 * ZSET's size}. */
static const struct rds_script blog_lua_count = {
    "blog_like_count",
    "if redis.call('ZCOUNT', KEYS[2], '(' .. ARGV[1], '+inf') > 0 then\n"
    "  return {-1}\n"
    "end\n"
    "return {redis.call('ZCARD', KEYS[1])}\n"};

/* What one kind of like (blogs, comments) toggles. */
struct blog_like_kind {
    char tag;               /* its KEY_LIKE_PENDING members: "<tag>:<id>" */
    const char *find_sql;   /* params: id; columns id, owner */
    const char *update_sql; /* params: delta, id */
    const char *lock_sql;   /* params: id; column liked, the row locked */
    const char *set_sql;    /* params: count, id */
    char *(*liked_key)(struct arena *a, int64_t id);
    char *(*liking_key)(struct arena *a, int64_t id);
};

static const struct blog_like_kind blog_like_blogs = {
    'b',
    "SELECT id, user_id FROM tb_blog WHERE id = ?",
    "UPDATE tb_blog SET liked = GREATEST(CAST(IFNULL(liked, 0) AS SIGNED) + "
    "?, 0) WHERE id = ?",
    "SELECT IFNULL(liked, 0) FROM tb_blog WHERE id = ? FOR UPDATE",
    "UPDATE tb_blog SET liked = ? WHERE id = ?",
    key_blog_liked,
    key_blog_liking};

static const struct blog_like_kind blog_like_comments = {
    'c',
    "SELECT id, user_id FROM tb_blog_comments WHERE id = ?",
    "UPDATE tb_blog_comments SET liked = GREATEST(CAST(IFNULL(liked, 0) AS "
    "SIGNED) + ?, 0) WHERE id = ?",
    "SELECT IFNULL(liked, 0) FROM tb_blog_comments WHERE id = ? FOR UPDATE",
    "UPDATE tb_blog_comments SET liked = ? WHERE id = ?",
    key_comment_liked,
    key_comment_liking};

/* A toggle on a guessed session (blog_like_fast): what
 * blog_lua_toggle_auth checks, and what it found. */
struct blog_like_auth {
    struct user_dto guess;  /* the user the session is taken to be */
    const char *owner_fill; /* "1": the author was read from MySQL */
    int outcome;            /* out: 0 decided, 3 not trusted, 4 gone */
};

/* ---------------- lost toggles ---------------- */

/* One attempt of blog_like_reconcile. Under the row's lock (every
 * toggle's UPDATE waits for it), the like ZSET and the marks are read in
 * one step: with no toggle pending but lost ones, every toggle decided
 * before that step has its UPDATE committed or never will (its worker is
 * gone), and every later one applies its delta after this COMMIT, so the
 * row takes the ZSET's size. *later: a toggle is still pending (its
 * UPDATE may be waiting for this very lock): nothing done. */
static res_t
blog_like_reconcile_once(struct req *rq, const struct blog_like_kind *k,
                         int64_t id, const char *now, int *later)
{
    struct arena *a = rq->cx.arena;
    const char *keys[2] = {k->liked_key(a, id), k->liking_key(a, id)};
    struct sql_rows t;
    redisReply *r;
    *later = 0;
    res_t rc = sql_begin(&rq->cx);
    if (rc != RES_OK)
        return rc;
    if ((rc = sql_query(&rq->cx, &t, k->lock_sql, "l", id)) != RES_OK)
        goto rollback;
    if (t.nrows == 0) { /* gone: its delete swept the likes */
        sql_rollback(&rq->cx);
        rds_fire(&rq->cx, "DEL %s", keys[1]);
        return RES_OK;
    }
    int64_t was = sql_i64(&t, 0, 0);
    const char *args[1] = {now};
    if ((rc = rds_eval(&rq->cx, &blog_lua_count, &r, 2, keys, 1, args)) !=
        RES_OK)
        goto rollback;
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 1) {
        rc = req_fail(rq, RES_INTERNAL, "like count script: bad reply");
        goto rollback;
    }
    long long count = rds_int(r->element[0]);
    if (count < 0) {
        *later = 1;
        sql_rollback(&rq->cx);
        return RES_OK;
    }
    uint64_t changed;
    if ((rc = sql_exec(&rq->cx, &changed, k->set_sql, "ll", (int64_t)count,
                       id)) != RES_OK ||
        (rc = sql_commit(&rq->cx)) != RES_OK)
        goto rollback;
    /* the lost marks go once the row has the count (a worker killed
     * before this leaves them for the next reconciliation) */
    rds_fire(&rq->cx, "ZREMRANGEBYSCORE %s -inf %s", keys[1], now);
    if (k->tag == 'b')
        blog_cache_invalidate_fire(rq, id, 1);
    if (was != count)
        log_warn("like count of %c:%lld reconciled after a lost toggle: "
                 "%lld -> %lld",
                 k->tag, (long long)id, (long long)was, count);
    return RES_OK;

rollback:
    sql_rollback(&rq->cx);
    return rc;
}

/* Sets the count of item id of kind k to its like ZSET's size after a
 * toggle was lost (its pending mark outlived TTL_LIKE_PENDING_MS: the
 * worker died between the script and the UPDATE, or after the UPDATE and
 * before clearing the mark). *later as blog_like_reconcile_once. */
static res_t
blog_like_reconcile(struct req *rq, const struct blog_like_kind *k, int64_t id,
                    int *later)
{
    const char *now =
        arena_printf(rq->cx.arena, "%lld", (long long)util_now_ms());
    int attempt = 0;
    res_t rc;
    do
        rc = blog_like_reconcile_once(rq, k, id, now, later);
    while (rc != RES_OK && sql_tx_retry(&rq->cx, &attempt));
    return rc;
}

/* Reconciles the item a toggle's sweep found ("b:<id>" or "c:<id>"), best
 * effort: a failure is logged (the item stays in KEY_LIKE_PENDING and
 * the next sweep takes it again). */
static void
blog_like_reconcile_swept(struct req *rq, const char *item)
{
    int64_t id;
    if (item == NULL || (item[0] != 'b' && item[0] != 'c') || item[1] != ':' ||
        str_parse_i64(item + 2, &id) < 0 || id <= 0)
        return;
    int later;
    struct ctx_mark m = ctx_mark(&rq->cx);
    if (blog_like_reconcile(
            rq, item[0] == 'b' ? &blog_like_blogs : &blog_like_comments, id,
            &later) != RES_OK)
        ctx_drop(&rq->cx, m, "like count reconciliation");
}

/* ---------------- toggles ---------------- */

/* Runs the toggle script of item id of kind k, waiting (bounded) while
 * the user's previous toggle of the item is pending, and reconciling the
 * item first when a toggle of it was lost. ev (or NULL): an event whose
 * pipelined subscribers ride in the script's round trip (their writes
 * hold only if the toggle added the like). *swept: an item the script's
 * sweep left to this request, or NULL. */
static res_t
blog_toggle_decide(struct req *rq, const struct blog_like_kind *k, int64_t id,
                   const char *const *keys, const char **args, struct event *ev,
                   struct blog_like_auth *auth, int *delta, const char **old,
                   const char **swept)
{
    int64_t deadline = util_mono_us() + BLOG_LIKE_WAIT_US;
    const struct rds_script *script = &blog_lua_toggle;
    int nkeys = 3, nargs = 6;
    if (auth) { /* keys and args have room for the session's */
        script = &blog_lua_toggle_auth;
        nkeys = 5;
        nargs = 12;
    }
    for (int attempt = 1;; attempt++) {
        /* now: the like's score, and what the marks' deadlines are
         * compared with (a mark may have passed its own meanwhile) */
        int64_t now = util_now_ms();
        args[1] = arena_printf(rq->cx.arena, "%lld", (long long)now);
        if (ev)
            ev->u.blog_liked.liked_ms = now;
        struct rds_eval_q q;
        struct event_pipe pipe;
        redisReply *r = NULL;
        res_t rc =
            rds_eval_append(&rq->cx, &q, script, nkeys, keys, nargs, args);
        int piped = rc == RES_OK && ev && event_pipe_append(&rq->cx, ev, &pipe);
        if (rc == RES_OK)
            rc = rds_eval_reply(&rq->cx, &q, &r);
        long long d = 0;
        if (rc == RES_OK && (r->type != REDIS_REPLY_ARRAY || r->elements != 3))
            rc = req_fail(rq, RES_INTERNAL, "like script: bad reply");
        if (rc == RES_OK)
            d = rds_int(r->element[0]);
        if (piped)
            event_pipe_collect(&rq->cx, &pipe, rc != RES_OK ? -1 : d == 1);
        if (rc != RES_OK)
            return rc;
        /* the first answer but 3 confirms the session (once: a retry
         * checks it again, but the request has its user already) */
        if (auth && attempt == 1 && d != 3)
            user_auth_confirmed(rq, &auth->guess);
        if (auth && (d == 3 || d == 4)) {
            auth->outcome = (int)d; /* nothing written */
            return RES_OK;
        }
        if (d == 1 || d == -1) {
            *delta = (int)d;
            *old = rds_str(&rq->cx, r->element[1]);
            *swept = r->element[2]->type == REDIS_REPLY_STRING &&
                             r->element[2]->len > 0
                         ? rds_str(&rq->cx, r->element[2])
                         : NULL;
            return RES_OK;
        }
        int later = 1;
        if (d == 2 && (rc = blog_like_reconcile(rq, k, id, &later)) != RES_OK)
            return rc;
        if (!later)
            continue; /* reconciled: decide now */
        if (util_mono_us() >= deadline)
            return req_fail(rq, RES_REFUSED, SQL_CONFLICT_MSG);
        /* the other toggle needs an UPDATE more: 1..3 ms, growing */
        long us =
            (long)(1000 + util_rand_below(2000)) * (attempt < 4 ? attempt : 4);
        struct timespec ts = {0, us * 1000L};
        nanosleep(&ts, NULL);
    }
}

/* Takes a decided toggle back (its SQL did not happen). Its own failure
 * cannot be reported better than the first one: logged. */
static void
blog_toggle_undo(struct req *rq, const char *const *keys, const char *member,
                 int delta, const char *old, const char *score)
{
    const char *args[3] = {member, delta > 0 ? "1" : "-1",
                           old && *old ? old : score};
    struct ctx_mark m = ctx_mark(&rq->cx);
    if (rds_eval(&rq->cx, &blog_lua_undo, NULL, 2, keys, 3, args) != RES_OK)
        ctx_drop(&rq->cx, m, "like undo");
}

/* 1 when the row id of kind exists (read after an UPDATE changed no row:
 * gone, or a clamped no-op). */
static res_t
blog_toggle_exists(struct req *rq, const struct blog_like_kind *k, int64_t id,
                   int *found)
{
    struct sql_rows t;
    res_t rc = sql_query(&rq->cx, &t, k->find_sql, "l", id);
    if (rc == RES_OK)
        *found = t.nrows > 0;
    return rc;
}

/* One toggle of uid's like of row id of kind k. *found = 0 (and nothing
 * changed) when the row does not exist, else *owner is its user_id.
 * owner_known: *owner is given (the row is not read first; a row gone is
 * found by the UPDATE). */
static res_t
blog_toggle(struct req *rq, const struct blog_like_kind *k, int64_t id,
            int64_t uid, struct event *ev, int *delta, int *found,
            int64_t *owner, int owner_known, struct blog_like_auth *auth)
{
    struct arena *a = rq->cx.arena;
    res_t rc;
    if (!owner_known) {
        struct sql_rows t;
        if ((rc = sql_query(&rq->cx, &t, k->find_sql, "l", id)) != RES_OK)
            return rc;
        *found = t.nrows > 0;
        if (!*found)
            return RES_OK;
        *owner = sql_i64(&t, 0, 1);
    }
    *found = 1;

    char member[24];
    snprintf(member, sizeof(member), "%lld", (long long)uid);
    const char *keys[5] = {k->liked_key(a, id), k->liking_key(a, id),
                           KEY_LIKE_PENDING};
    const char *args[12] = {member,
                            NULL, /* now: set by blog_toggle_decide */
                            arena_printf(a, "%d", TTL_LIKE_PENDING_MS),
                            arena_printf(a, "%c:%lld", k->tag, (long long)id),
                            KEY_BLOG_LIKING_PREFIX,
                            KEY_COMMENT_LIKING_PREFIX};
    if (auth) {
        user_session_check_args(rq, &keys[3], &args[7], &args[8]);
        keys[4] = key_blog_owner(a, id);
        args[6] = arena_printf(a, "%lld", (long long)auth->guess.id);
        args[9] = arena_printf(a, "%lld", (long long)*owner);
        args[10] = auth->owner_fill;
        args[11] = arena_printf(a, "%d", TTL_BLOG_OWNER);
    }
    const char *old = NULL, *swept = NULL;
    if (ev) { /* a like of a blog: its notice rides with the toggle */
        ev->u.blog_liked.liker = uid;
        ev->u.blog_liked.blog_id = id;
        ev->u.blog_liked.author = *owner;
    }
    if ((rc = blog_toggle_decide(rq, k, id, keys, args, ev, auth, delta, &old,
                                 &swept)) != RES_OK)
        return rc;
    if (auth && auth->outcome != 0) {
        *found = auth->outcome != 4;
        return RES_OK;
    }

    uint64_t changed = 0;
    int attempt = 0;
    do
        rc = sql_exec(&rq->cx, &changed, k->update_sql, "ll", (int64_t)*delta,
                      id);
    while (rc != RES_OK && sql_tx_retry(&rq->cx, &attempt));
    if (rc == RES_OK && changed == 0 &&
        (rc = blog_toggle_exists(rq, k, id, found)) == RES_OK && !*found) {
        /* deleted since the SELECT: as if it had not been there */
        blog_toggle_undo(rq, keys, member, *delta, old, args[1]);
        return RES_OK;
    }
    if (rc != RES_OK) {
        /* MySQL did not take the delta: take it back from the ZSET */
        blog_toggle_undo(rq, keys, member, *delta, old, args[1]);
        return rc;
    }
    /* MySQL has it: the next toggle may be decided. Fired: it rides with
     * the request's next command or its flush (a lost one is reconciled
     * once past its deadline) */
    rds_fire(&rq->cx, "ZREM %s %s", keys[1], member);
    if (swept)
        blog_like_reconcile_swept(rq, swept);
    return RES_OK;
}

/* The session (ROUTE_AUTH_LATE) and blog id's cached author in one round
 * trip. *known: 1 with *author set, 0 when the cache has no answer; *found
 * = 0 when it says the blog is gone. */
static res_t
blog_like_start(struct req *rq, int64_t id, int *known, int *found,
                int64_t *author)
{
    const char *session;
    const char *get[2] = {"GET", key_blog_owner(rq->cx.arena, id)};
    redisReply *r;
    res_t rc;
    *known = 0;
    *found = 1;
    if ((rc = user_auth_send(rq, &session)) != RES_OK ||
        (rc = rds_appendv(&rq->cx, 2, get, NULL)) != RES_OK ||
        (rc = user_auth_recv(rq, session)) != RES_OK ||
        (rc = rds_reply(&rq->cx, &r)) != RES_OK)
        return rc;
    int64_t v;
    if (r->type == REDIS_REPLY_STRING && str_parse_i64(r->str, &v) == 0 &&
        v >= 0) {
        *known = v > 0;
        *found = v > 0;
        *author = v;
    }
    return RES_OK;
}

/* The authors of blogs this worker has liked lately (a blog's author
 * never changes), so that a warm like needs no look-up before its one
 * round trip. Direct-mapped on the id; a colliding blog evicts. An entry
 * was learnt while its blog existed (from a SELECT, or from
 * key_blog_owner, which holds an id only for a blog that exists); a
 * delete since then has set that key to "0" for TTL_BLOG_OWNER, which the
 * toggle script checks, so an entry is trusted for less than that. */
#define BLOG_OWNER_SLOTS    4096 /* a power of two */
#define BLOG_OWNER_TRUST_MS (TTL_BLOG_OWNER * 1000LL / 2)
static struct blog_owner_slot {
    int64_t id, author, at_ms;
} blog_owners[BLOG_OWNER_SLOTS];

static int
blog_owner_known(int64_t id, int64_t *author)
{
    const struct blog_owner_slot *o =
        &blog_owners[(uint64_t)id & (BLOG_OWNER_SLOTS - 1)];
    int64_t age = util_now_ms() - o->at_ms;
    if (o->id != id || o->author <= 0 || age < 0 || age > BLOG_OWNER_TRUST_MS)
        return 0;
    *author = o->author;
    return 1;
}

static void
blog_owner_learn(int64_t id, int64_t author)
{
    struct blog_owner_slot *o =
        &blog_owners[(uint64_t)id & (BLOG_OWNER_SLOTS - 1)];
    o->id = id;
    o->author = author;
    o->at_ms = util_now_ms();
}

/* What follows a blog like's decided toggle on both paths. */
static void
blog_like_finish(struct req *rq, int64_t id, int delta, struct event *ev)
{
    /* liked and the hot order changed. Fired, with the mark's ZREM: the
     * flush below sends them before the reply, so the frontend's GET
     * /blog/{id} right after sees the new count */
    blog_cache_invalidate_fire(rq, id, 1);
    if (delta > 0)
        event_emit(&rq->cx, ev); /* plain subscribers: after the commit */
    rds_flush(&rq->cx);
}

/* A warm like in one Redis round trip. The session is the one this
 * worker last saw the token open (user_auth_guess_dto), the author comes
 * from the worker's map (or a SELECT: a read, no commit), and the toggle
 * script checks both before it decides (blog_lua_toggle_auth), with the
 * like's notice riding along as on the full path. *done = 0: not tried
 * (no guess, no such row), or the guess did not hold and nothing was
 * written: the caller takes the full path, which answers those cases. */
static res_t
blog_like_fast(struct req *rq, int64_t id, int *delta, int *found,
               int64_t *author, int *done)
{
    struct blog_like_auth auth = {.owner_fill = "0"};
    res_t rc;
    *done = 0;
    if (!user_auth_guess_dto(rq, &auth.guess))
        return RES_OK;
    if (!blog_owner_known(id, author)) {
        struct sql_rows t;
        if ((rc = sql_query(&rq->cx, &t, blog_like_blogs.find_sql, "l", id)) !=
            RES_OK)
            return rc;
        if (t.nrows == 0)
            return RES_OK; /* the full path says 401 or not found */
        *author = sql_i64(&t, 0, 1);
        auth.owner_fill = "1";
        blog_owner_learn(id, *author);
    }
    struct event ev = {.kind = EVENT_BLOG_LIKED};
    ev.u.blog_liked.liker_nick = auth.guess.nick_name;
    ev.u.blog_liked.liker_icon = auth.guess.icon;
    if ((rc = blog_toggle(rq, &blog_like_blogs, id, auth.guess.id, &ev, delta,
                          found, author, 1, &auth)) != RES_OK ||
        auth.outcome == 3)
        return rc;
    *done = 1;
    if (*found)
        blog_like_finish(rq, id, *delta, &ev);
    return RES_OK;
}

res_t
blog_like_toggle(struct req *rq, int64_t id, int *delta, int *found,
                 int64_t *author)
{
    int cached, done;
    res_t rc = blog_like_fast(rq, id, delta, found, author, &done);
    if (rc != RES_OK || done)
        return rc;
    if ((rc = blog_like_start(rq, id, &cached, found, author)) != RES_OK)
        return rc;
    if (!rq->has_user)
        return req_fail(rq, RES_UNAUTH, REQ_MSG_LOGIN);
    if (!*found)
        return RES_OK;
    /* not in Redis: the worker's map (e.g. learnt by the fast path's
     * SELECT just now) spares the SELECT */
    int known = cached || blog_owner_known(id, author);
    int64_t uid = rq->user.id;
    struct event ev = {.kind = EVENT_BLOG_LIKED};
    ev.u.blog_liked.liker_nick = rq->user.nick_name;
    ev.u.blog_liked.liker_icon = rq->user.icon;
    rc = blog_toggle(rq, &blog_like_blogs, id, uid, &ev, delta, found, author,
                     known, NULL);
    if (rc != RES_OK || !*found)
        return rc;
    if (!cached) /* NX: a delete's "0" stays */
        rds_fire(&rq->cx, "SET %s %lld EX %d NX",
                 key_blog_owner(rq->cx.arena, id), (long long)*author,
                 TTL_BLOG_OWNER);
    blog_owner_learn(id, *author);
    blog_like_finish(rq, id, *delta, &ev);
    return RES_OK;
}

res_t
blog_comment_like_toggle(struct req *rq, int64_t id, int64_t uid, int *delta,
                         int *found)
{
    int64_t owner;
    res_t rc = blog_toggle(rq, &blog_like_comments, id, uid, NULL, delta, found,
                           &owner, 0, NULL);
    rds_flush(&rq->cx);
    return rc;
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
