/*
 * blog_cache.c: the read cache of blogs.
 *
 * Read cache. GET /blog/{id}, /blog/hot and the follow feed serve a blog
 * from `cache:blog:{id}`: its JSON with the author's name and icon,
 * without isLike and the closing brace (blog_frag_render), so a warm read
 * is one Redis round trip (the fragments and the caller's ZSCOREs
 * pipelined) and no MySQL, and the text is passed through (reply_raw)
 * rather than rebuilt and re-escaped. Misses are loaded with one query
 * (blogs LEFT JOIN their authors). The hot pages live rendered in the
 * hash `cache:blog:hot` (field = page, value = the page's ids and their
 * fragments, blog_page_render) for TTL_CACHE_BLOG_HOT s, and each worker
 * keeps a copy of the pages it served (see blog_hot_page): a warm hot
 * page is one script, pipelined with the session lookup, that returns the
 * caller's like flags (and the page only when the worker's copy is
 * stale), and no MySQL; isLike is spliced in per request.
 *
 * Every write that changes what a fragment shows (like toggle: liked;
 * comment post/delete: comments; blog delete) or the hot order (likes,
 * publish, delete) invalidates after its MySQL commit, before it replies:
 * one script bumps the version key and DELs the value
 * (blog_cache_invalidate), for the blog and, since a rendered hot page
 * holds fragments, for the hot hash too. A plain DEL would leave a race:
 * a reader that loaded the old row before the commit could SET it after
 * the DEL and keep it for a whole TTL. So a reader that misses reads the
 * version (a second round trip, misses only) before its MySQL read, and
 * writes back only through a script that compares the version first.
 * Either its compare runs after the bump (no write), or before it, and
 * then the writer's DEL, which follows the bump, removes what it wrote.
 * A hot page is built the same way under the hot version, which is read
 * before the page's ids and fragments are (from MySQL or from the
 * fragment cache): a fragment read before a write's invalidation was read
 * before that write's hot bump too. The version keys outlive any reader
 * (TTL_CACHE_BLOG_VER). Should the invalidation itself fail (Redis gone
 * right after the commit), a delete fails and is finished by its retry,
 * as its sweep is; after a like or a comment the TTLs bound the
 * staleness. Author names and icons have no write path in this app; an
 * edit made directly in MySQL shows after TTL_CACHE_BLOG (on a hot page,
 * after at most TTL_CACHE_BLOG + TTL_CACHE_BLOG_HOT).
 */
#include "blog_private.h"

#include "../core/log.h"
#include "../core/util.h"
#include "../store/keys.h"
#include "../store/rds.h"
#include "../store/sql.h"
#include "../user/user.h"

#include <stdio.h>
#include <string.h>

/* BLOG_COLS of tb_blog b, then the author's id, nick_name, icon */
#define BLOG_AUTHOR_COLS                                                       \
    "b.id, b.shop_id, b.user_id, b.title, b.images, b.content, "               \
    "IFNULL(b.liked, 0), IFNULL(b.comments, 0), b.create_time, "               \
    "b.update_time, u.id, u.nick_name, u.icon"

/* KEYS: pairs (value key, version key); ARGV: for each pair the version
 * read before the MySQL read ("" = none), the value, its TTL. Writes a
 * value only while its version is unchanged (see the top of the file). */
static const struct rds_script blog_lua_fill = {
    "blog_cache_fill", "for i = 1, #KEYS, 2 do\n"
                       "  local j = (i - 1) / 2 * 3\n"
                       "  if (redis.call('GET', KEYS[i + 1]) or '') == "
                       "ARGV[j + 1] then\n"
                       "    redis.call('SET', KEYS[i], ARGV[j + 2], 'EX', "
                       "ARGV[j + 3])\n"
                       "  end\n"
                       "end\n"
                       "return 0\n"};

/* KEYS: pairs (value key, version key); ARGV: version TTL. */
static const struct rds_script blog_lua_invalidate = {
    "blog_cache_invalidate", "for i = 1, #KEYS, 2 do\n"
                             "  redis.call('INCR', KEYS[i + 1])\n"
                             "  redis.call('EXPIRE', KEYS[i + 1], ARGV[1])\n"
                             "  redis.call('DEL', KEYS[i])\n"
                             "end\n"
                             "return 0\n"};

/* The keys of blog_lua_invalidate for blog id (> 0) and, with hot, the
 * hot pages; returns how many (0: nothing to do). */
static int
blog_cache_inval_keys(struct req *rq, int64_t id, int hot, const char **keys)
{
    int nk = 0;
    if (hot) {
        keys[nk++] = KEY_CACHE_BLOG_HOT;
        keys[nk++] = KEY_CACHE_BLOG_HOT_VER;
    }
    if (id > 0) {
        keys[nk++] = key_cache_blog(rq->cx.arena, id);
        keys[nk++] = key_cache_blog_ver(rq->cx.arena, id);
    }
    return nk;
}

res_t
blog_cache_invalidate(struct req *rq, int64_t id, int hot)
{
    const char *keys[4];
    int nk = blog_cache_inval_keys(rq, id, hot, keys);
    if (nk == 0)
        return RES_OK;
    const char *args[1] = {
        arena_printf(rq->cx.arena, "%d", TTL_CACHE_BLOG_VER)};
    return rds_eval(&rq->cx, &blog_lua_invalidate, NULL, nk, keys, 1, args);
}

/* blog_cache_invalidate after a committed like or comment: a failure is
 * logged, and the TTLs bound the staleness. */
void
blog_cache_invalidate_soft(struct req *rq, int64_t id, int hot)
{
    struct ctx_mark m = ctx_mark(&rq->cx);
    if (blog_cache_invalidate(rq, id, hot) != RES_OK)
        ctx_drop(&rq->cx, m, "blog cache invalidation");
}

void
blog_cache_invalidate_fire(struct req *rq, int64_t id, int hot)
{
    const char *keys[4];
    int nk = blog_cache_inval_keys(rq, id, hot, keys);
    if (nk == 0)
        return;
    const char *args[1] = {
        arena_printf(rq->cx.arena, "%d", TTL_CACHE_BLOG_VER)};
    rds_eval_fire(&rq->cx, &blog_lua_invalidate, nk, keys, 1, args);
}

/* The string of an MGET element, or NULL (nil, empty, other types). */
static const char *
blog_elem(const redisReply *r, size_t i, size_t *len)
{
    if (r->type != REDIS_REPLY_ARRAY || i >= r->elements)
        return NULL;
    const redisReply *e = r->element[i];
    if (e->type != REDIS_REPLY_STRING || e->len == 0)
        return NULL;
    *len = e->len;
    return e->str;
}

/* Loads the fragments of the misses (miss[0..m) index ids) with one
 * query and writes them back under their versions (vers, an MGET reply
 * in the order of miss). Fragments of blogs that exist are set in
 * frag/flen. */
static res_t
blog_frags_fill(struct req *rq, const int64_t *ids, const unsigned *miss,
                unsigned m, const redisReply *vers, const char **frag,
                size_t *flen)
{
    struct sql_param *p = arena_calloc(rq->cx.arena, m * sizeof(*p));
    for (unsigned i = 0; i < m; i++) {
        p[i].type = 'l';
        p[i].i = ids[miss[i]];
    }
    char *sql = arena_printf(rq->cx.arena,
                             "SELECT " BLOG_AUTHOR_COLS " FROM tb_blog b "
                             "LEFT JOIN tb_user u ON u.id = b.user_id "
                             "WHERE b.id IN (%s)",
                             sql_placeholders(&rq->cx, m));
    struct sql_rows t;
    res_t rc = sql_queryv(&rq->cx, &t, sql, p, m);
    if (rc != RES_OK || t.nrows == 0)
        return rc;
    const char **keys = arena_alloc(rq->cx.arena, 2 * t.nrows * sizeof(*keys));
    const char **args = arena_alloc(rq->cx.arena, 3 * t.nrows * sizeof(*args));
    unsigned w = 0;
    for (unsigned r = 0; r < t.nrows; r++) {
        struct blog b;
        struct user_dto u = {0, NULL, NULL};
        blog_row(&t, r, &b);
        if (sql_str(&t, r, 10)) {
            u.id = sql_i64(&t, r, 10);
            u.nick_name = sql_str(&t, r, 11);
            u.icon = sql_str(&t, r, 12);
        }
        size_t fl;
        char *f = blog_frag_render(rq->cx.arena, &b, &u, &fl);
        int first = 1;
        for (unsigned i = 0; i < m; i++) {
            if (ids[miss[i]] != b.id)
                continue;
            frag[miss[i]] = f;
            flen[miss[i]] = fl;
            if (!first)
                continue; /* the same id twice: written once */
            first = 0;
            size_t vl;
            const char *v = blog_elem(vers, i, &vl);
            keys[2 * w] = key_cache_blog(rq->cx.arena, b.id);
            keys[2 * w + 1] = key_cache_blog_ver(rq->cx.arena, b.id);
            args[3 * w] = v ? arena_strndup(rq->cx.arena, v, vl) : "";
            args[3 * w + 1] = f;
            args[3 * w + 2] =
                arena_printf(rq->cx.arena, "%d",
                             TTL_CACHE_BLOG + (int)util_rand_below(
                                                  TTL_CACHE_BLOG_JITTER + 1));
            w++;
        }
    }
    struct ctx_mark mk = ctx_mark(&rq->cx);
    if (w > 0 && rds_eval(&rq->cx, &blog_lua_fill, NULL, (int)(2 * w), keys,
                          (int)(3 * w), args) != RES_OK)
        ctx_drop(&rq->cx, mk, "blog cache fill");
    return RES_OK;
}

/* The misses of blog_frags_load: their versions first (a second round
 * trip, only on a miss), then MySQL and the write-back. */
static res_t
blog_frags_miss(struct req *rq, const int64_t *ids, const unsigned *miss,
                unsigned m, const char **frag, size_t *flen)
{
    const char **argv = arena_alloc(rq->cx.arena, (m + 1) * sizeof(*argv));
    argv[0] = "MGET";
    for (unsigned i = 0; i < m; i++)
        argv[i + 1] = key_cache_blog_ver(rq->cx.arena, ids[miss[i]]);
    redisReply *vers;
    res_t rc = rds_cmdv(&rq->cx, &vers, (int)m + 1, argv, NULL);
    if (rc != RES_OK)
        return rc;
    return blog_frags_fill(rq, ids, miss, m, vers, frag, flen);
}

/* Queues the ZSCOREs of member (a user id) in the like sets of
 * ids[0..n); blog_likes_collect reads their replies. */
static res_t
blog_likes_append(struct req *rq, const int64_t *ids, unsigned n,
                  const char *member)
{
    size_t ml = strlen(member);
    for (unsigned i = 0; i < n; i++) {
        const char *key = key_blog_liked(rq->cx.arena, ids[i]);
        const char *argv[3] = {"ZSCORE", key, member};
        const size_t argvlen[3] = {6, strlen(key), ml};
        res_t rc = rds_appendv(&rq->cx, 3, argv, argvlen);
        if (rc != RES_OK)
            return rc;
    }
    return RES_OK;
}

static res_t
blog_likes_collect(struct req *rq, unsigned n, int *likes)
{
    for (unsigned i = 0; i < n; i++) {
        redisReply *r;
        res_t rc = rds_reply(&rq->cx, &r);
        if (rc != RES_OK)
            return rc;
        likes[i] = r->type != REDIS_REPLY_NIL;
    }
    return RES_OK;
}

res_t
blog_frags_send(struct req *rq, const int64_t *ids, unsigned n, int64_t uid)
{
    if (n == 0)
        return RES_OK;
    /* one pipeline: MGET of the values, then the ZSCOREs; the versions
     * are read only for the misses */
    struct arena *a = rq->cx.arena;
    const char **kv = arena_alloc(a, (n + 1) * sizeof(*kv));
    kv[0] = "MGET";
    for (unsigned i = 0; i < n; i++)
        kv[i + 1] = key_cache_blog(a, ids[i]);
    char member[24];
    snprintf(member, sizeof(member), "%lld", (long long)uid);
    res_t rc;
    if ((rc = rds_appendv(&rq->cx, (int)n + 1, kv, NULL)) != RES_OK ||
        (uid != 0 && (rc = blog_likes_append(rq, ids, n, member)) != RES_OK))
        return rc;
    return RES_OK;
}

res_t
blog_frags_recv(struct req *rq, const int64_t *ids, unsigned n,
                int64_t sent_uid, int64_t uid, const char ***frag,
                size_t **flen, int **likes)
{
    struct arena *a = rq->cx.arena;
    *frag = arena_calloc(a, (n + 1) * sizeof(**frag));
    *flen = arena_calloc(a, (n + 1) * sizeof(**flen));
    *likes = arena_calloc(a, (n + 1) * sizeof(**likes));
    if (n == 0)
        return RES_OK;
    redisReply *vals;
    res_t rc;
    if ((rc = rds_reply(&rq->cx, &vals)) != RES_OK)
        return rc;
    if (sent_uid != 0) {
        /* sent for a guess that proved wrong (a session that ended, say):
         * read and dropped, so the replies stay in step */
        int *got =
            sent_uid == uid ? *likes : arena_calloc(a, (n + 1) * sizeof(*got));
        if ((rc = blog_likes_collect(rq, n, got)) != RES_OK)
            return rc;
    }
    if (uid != 0 && uid != sent_uid) {
        char member[24];
        snprintf(member, sizeof(member), "%lld", (long long)uid);
        if ((rc = blog_likes_append(rq, ids, n, member)) != RES_OK ||
            (rc = blog_likes_collect(rq, n, *likes)) != RES_OK)
            return rc;
    }
    for (unsigned i = 0; i < n; i++)
        (*frag)[i] = blog_elem(vals, i, &(*flen)[i]);
    return blog_frags_complete(rq, ids, n, *frag, *flen);
}

res_t
blog_frags_load(struct req *rq, const int64_t *ids, unsigned n, int64_t uid,
                const char ***frag, size_t **flen, int **likes)
{
    res_t rc = blog_frags_send(rq, ids, n, uid);
    if (rc != RES_OK)
        return rc;
    return blog_frags_recv(rq, ids, n, uid, uid, frag, flen, likes);
}

res_t
blog_frags_complete(struct req *rq, const int64_t *ids, unsigned n,
                    const char **frag, size_t *flen)
{
    unsigned *miss = arena_alloc(rq->cx.arena, (n + 1) * sizeof(*miss)), m = 0;
    for (unsigned i = 0; i < n; i++) {
        if (frag[i] == NULL || flen[i] == 0 || frag[i][0] != '{') {
            frag[i] = NULL; /* a miss (or not a fragment): loaded */
            miss[m++] = i;
        }
    }
    if (m == 0)
        return RES_OK;
    return blog_frags_miss(rq, ids, miss, m, frag, flen);
}
