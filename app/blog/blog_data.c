/*
 * blog_data.c: the blog module's SQL and Redis.
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
 *
 * Delete ("mark, then sweep"). The blog row and its comments go in one
 * transaction, so the blog disappears at once and completely. What lives
 * outside MySQL (the like ZSETs, the followers' feed entries, the
 * uploaded image files) is listed first in a cleanup record
 * `blog:gone:{id}` written inside that transaction, before the DELETEs.
 * The sweep then removes each piece, idempotently, and drops the record
 * last. If the sweep fails part-way (Redis down, say), the request fails;
 * repeating DELETE /blog/{id} finds no row but the author's record, and
 * finishes the sweep.
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

#include "../core/cfg.h"
#include "../core/log.h"
#include "../core/util.h"
#include "../feed/feed.h"
#include "../store/keys.h"
#include "../store/rds.h"
#include "../store/sql.h"
#include "../upload/upload.h"
#include "../user/user.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define BLOG_COLS                                                              \
    "id, shop_id, user_id, title, images, content, IFNULL(liked, 0), "         \
    "IFNULL(comments, 0), create_time, update_time"
/* BLOG_COLS of tb_blog b, then the author's id, nick_name, icon */
#define BLOG_AUTHOR_COLS                                                       \
    "b.id, b.shop_id, b.user_id, b.title, b.images, b.content, "               \
    "IFNULL(b.liked, 0), IFNULL(b.comments, 0), b.create_time, "               \
    "b.update_time, u.id, u.nick_name, u.icon"
#define COMMENT_COLS                                                           \
    "id, blog_id, user_id, parent_id, answer_id, content, IFNULL(liked, 0), "  \
    "IFNULL(status, 0), create_time, update_time"

static void blog_cache_invalidate_soft(struct req *rq, int64_t id, int hot);

static void
blog_row(const struct sql_rows *t, unsigned r, struct blog *b)
{
    b->id = sql_i64(t, r, 0);
    b->shop_id = sql_i64(t, r, 1);
    b->user_id = sql_i64(t, r, 2);
    b->title = sql_str(t, r, 3);
    b->images = sql_str(t, r, 4);
    b->content = sql_str(t, r, 5);
    b->liked = sql_i64(t, r, 6);
    b->comments = sql_i64(t, r, 7);
    b->create_time = sql_str(t, r, 8);
    b->update_time = sql_str(t, r, 9);
}

res_t
blog_insert(struct req *rq, const struct blog *b, int64_t *id)
{
    res_t rc = sql_exec(
        &rq->cx, NULL,
        "INSERT INTO tb_blog (shop_id, user_id, title, images, "
        "content, liked, comments) VALUES (?, ?, ?, ?, ?, 0, 0)",
        "llsss", b->shop_id, b->user_id, b->title, b->images, b->content);
    if (rc != RES_OK)
        return rc;
    *id = (int64_t)sql_insert_id();
    /* a new blog joins the hot order */
    blog_cache_invalidate_soft(rq, 0, 1);
    return RES_OK;
}

res_t
blog_list(struct req *rq, enum blog_list_kind kind, int64_t user_id,
          int64_t offset, struct blog **out, unsigned *n)
{
    struct sql_rows t;
    res_t rc;
    int64_t size = g_cfg.page_size;
    if (kind == BLOG_LIST_HOT)
        rc = sql_query(&rq->cx, &t,
                       "SELECT " BLOG_COLS " FROM tb_blog ORDER BY liked DESC, "
                       "id DESC LIMIT ? OFFSET ?",
                       "ll", size, offset);
    else
        rc = sql_query(&rq->cx, &t,
                       "SELECT " BLOG_COLS " FROM tb_blog WHERE user_id = ? "
                       "ORDER BY id DESC LIMIT ? OFFSET ?",
                       "lll", user_id, size, offset);
    if (rc != RES_OK)
        return rc;
    struct blog *b = arena_calloc(rq->cx.arena, (t.nrows + 1) * sizeof(*b));
    for (unsigned i = 0; i < t.nrows; i++)
        blog_row(&t, i, &b[i]);
    *out = b;
    *n = t.nrows;
    return RES_OK;
}

/* ---------------- read cache ---------------- */

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

/* KEYS: hot hash, hot version; ARGV: version read, field, page
 * (blog_page_render), TTL. */
static const struct rds_script blog_lua_hot_fill = {
    "blog_hot_fill", "if (redis.call('GET', KEYS[2]) or '') ~= ARGV[1] then\n"
                     "  return 0\n"
                     "end\n"
                     "redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])\n"
                     "if redis.call('TTL', KEYS[1]) < 0 then\n"
                     "  redis.call('EXPIRE', KEYS[1], ARGV[4])\n"
                     "end\n"
                     "return 1\n"};

/* KEYS: pairs (value key, version key); ARGV: version TTL. */
static const struct rds_script blog_lua_invalidate = {
    "blog_cache_invalidate", "for i = 1, #KEYS, 2 do\n"
                             "  redis.call('INCR', KEYS[i + 1])\n"
                             "  redis.call('EXPIRE', KEYS[i + 1], ARGV[1])\n"
                             "  redis.call('DEL', KEYS[i])\n"
                             "end\n"
                             "return 0\n"};

res_t
blog_cache_invalidate(struct req *rq, int64_t id, int hot)
{
    const char *keys[4];
    int nk = 0;
    if (hot) {
        keys[nk++] = KEY_CACHE_BLOG_HOT;
        keys[nk++] = KEY_CACHE_BLOG_HOT_VER;
    }
    if (id > 0) {
        keys[nk++] = key_cache_blog(rq->cx.arena, id);
        keys[nk++] = key_cache_blog_ver(rq->cx.arena, id);
    }
    if (nk == 0)
        return RES_OK;
    const char *args[1] = {
        arena_printf(rq->cx.arena, "%d", TTL_CACHE_BLOG_VER)};
    return rds_eval(&rq->cx, &blog_lua_invalidate, NULL, nk, keys, 1, args);
}

/* blog_cache_invalidate after a committed like or comment: a failure is
 * logged, and the TTLs bound the staleness. */
static void
blog_cache_invalidate_soft(struct req *rq, int64_t id, int hot)
{
    struct ctx_mark m = ctx_mark(&rq->cx);
    if (blog_cache_invalidate(rq, id, hot) != RES_OK)
        ctx_drop(&rq->cx, m, "blog cache invalidation");
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
            args[3 * w + 2] = arena_printf(
                rq->cx.arena, "%d",
                TTL_CACHE_BLOG + (int)rand_below(TTL_CACHE_BLOG_JITTER + 1));
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
blog_frags_load(struct req *rq, const int64_t *ids, unsigned n, int64_t uid,
                const char ***frag, size_t **flen, int **likes)
{
    struct arena *a = rq->cx.arena;
    *frag = arena_calloc(a, (n + 1) * sizeof(**frag));
    *flen = arena_calloc(a, (n + 1) * sizeof(**flen));
    *likes = arena_calloc(a, (n + 1) * sizeof(**likes));
    if (n == 0)
        return RES_OK;
    /* one pipeline: MGET of the values, then the ZSCOREs; the versions
     * are read only for the misses */
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
    redisReply *vals;
    if ((rc = rds_reply(&rq->cx, &vals)) != RES_OK)
        return rc;
    if (uid != 0 && (rc = blog_likes_collect(rq, n, *likes)) != RES_OK)
        return rc;
    for (unsigned i = 0; i < n; i++)
        (*frag)[i] = blog_elem(vals, i, &(*flen)[i]);
    return blog_frags_complete(rq, ids, n, *frag, *flen);
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

/* A hot page that is not cached: the hot version first, then the ids
 * from MySQL, their fragments (cached or loaded) and the page written
 * back through the version compare. Every write that changes a fragment
 * or the order bumps the hot version after its commit, and the
 * fragments are read after the version, so a stale page is never kept
 * (see the top of the file). */
static res_t
blog_hot_fill(struct req *rq, int64_t current, const char *field, int64_t uid,
              const char ***frag, size_t **flen, int **likes, unsigned *n)
{
    const char *gver[2] = {"GET", KEY_CACHE_BLOG_HOT_VER};
    redisReply *ver;
    res_t rc = rds_cmdv(&rq->cx, &ver, 2, gver, NULL);
    if (rc != RES_OK)
        return rc;
    const char *version =
        ver->type == REDIS_REPLY_STRING ? rds_str(&rq->cx, ver) : "";
    struct sql_rows t;
    int64_t size = g_cfg.page_size;
    if ((rc = sql_query(&rq->cx, &t,
                        "SELECT id FROM tb_blog ORDER BY liked DESC, id DESC "
                        "LIMIT ? OFFSET ?",
                        "ll", size, (current - 1) * size)) != RES_OK)
        return rc;
    int64_t *ids = arena_alloc(rq->cx.arena, (t.nrows + 1) * sizeof(*ids));
    for (unsigned i = 0; i < t.nrows; i++)
        ids[i] = sql_i64(&t, i, 0);
    const char **f;
    size_t *fl;
    int *lk;
    if ((rc = blog_frags_load(rq, ids, t.nrows, uid, &f, &fl, &lk)) != RES_OK)
        return rc;
    size_t plen;
    char *page = blog_page_render(rq->cx.arena, ids, f, fl, t.nrows, &plen);
    const char *keys[2] = {KEY_CACHE_BLOG_HOT, KEY_CACHE_BLOG_HOT_VER};
    const char *args[4] = {
        version, field, page,
        arena_printf(rq->cx.arena, "%d", TTL_CACHE_BLOG_HOT)};
    struct ctx_mark m = ctx_mark(&rq->cx);
    if (rds_eval(&rq->cx, &blog_lua_hot_fill, NULL, 2, keys, 4, args) != RES_OK)
        ctx_drop(&rq->cx, m, "blog hot cache fill");
    /* blogs gone since the id query are left out, as in the page */
    unsigned k = 0;
    for (unsigned i = 0; i < t.nrows; i++)
        if (f[i]) {
            f[k] = f[i];
            fl[k] = fl[i];
            lk[k++] = lk[i];
        }
    *frag = f;
    *flen = fl;
    *likes = lk;
    *n = k;
    return RES_OK;
}

/* Each worker keeps the hot pages it served last (pages 1 to
 * BLOG_HOT_LOCAL), parsed, with the hot version they were read under and
 * the time the Redis copy expires. A request names the version it holds;
 * while that is still the current one, the script returns only the
 * caller's like flags, so the page does not travel again. The copy is
 * the Redis page exactly: a page in the hash always belongs to the
 * current version (a fill writes only under the version it read, and an
 * invalidation bumps the version and drops the hash in one script), and
 * the copy is not used past the hash's own expiry. The version cannot
 * come back to an old value within that time (it is only ever bumped,
 * and lives TTL_CACHE_BLOG_VER s). */
#define BLOG_HOT_LOCAL 16

struct blog_hot_copy {
    struct arena *a; /* the text and its parse; NULL: no copy */
    char *ver;       /* "=" + the hot version it was read under */
    int64_t until;   /* mono_ms() at which the Redis copy expires */
    int64_t *ids;
    const char **frag;
    size_t *flen;
    unsigned n;
};

static struct blog_hot_copy blog_hot_copies[BLOG_HOT_LOCAL + 1];

static int64_t
mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
blog_hot_copy_drop(struct blog_hot_copy *c)
{
    if (c->a)
        arena_free(c->a);
    memset(c, 0, sizeof(*c));
}

/* Keeps page (a script reply) as c, read under version ver, for pttl ms
 * at most. */
static void
blog_hot_copy_keep(struct blog_hot_copy *c, const redisReply *page,
                   const redisReply *ver, long long pttl)
{
    blog_hot_copy_drop(c);
    if (pttl <= 0 || ver->type != REDIS_REPLY_STRING)
        return;
    if (pttl > TTL_CACHE_BLOG_HOT * 1000LL)
        pttl = TTL_CACHE_BLOG_HOT * 1000LL;
    struct arena *a = arena_new();
    const char *text = arena_strndup(a, page->str, page->len);
    int k = blog_page_parse(a, text, page->len, &c->ids, &c->frag, &c->flen);
    if (k < 0) {
        arena_free(a);
        memset(c, 0, sizeof(*c));
        return;
    }
    c->a = a;
    c->n = (unsigned)k;
    c->ver = arena_printf(a, "=%.*s", (int)ver->len, ver->str);
    c->until = mono_ms() + pttl;
}

/* KEYS: hot hash, hot version; ARGV: field, like-key prefix, the
 * caller's session key ("" = none; the member is its "id" field), the
 * version of the caller's copy ("=" + version; "" = no copy), the ids of
 * that copy (comma-joined).
 * nil when the page is not cached; {flags} when the caller's copy is
 * current; else {flags, page, version, PTTL of the hash}. flags: per id
 * of the page, '1' or '0', whether member likes that blog ("" for no
 * member). The like keys are built here from their prefix and the
 * session is read here (one Redis, no cluster), so a warm hot page and
 * the session lookup are one round trip. */
static const struct rds_script blog_lua_hot_get = {
    "blog_hot_get",
    "local v = redis.call('GET', KEYS[2]) or ''\n"
    "local p, ids = false, ARGV[5]\n"
    "if ARGV[4] ~= '=' .. v then\n"
    "  p = redis.call('HGET', KEYS[1], ARGV[1])\n"
    "  if not p then\n"
    "    return false\n"
    "  end\n"
    "  ids = string.match(p, '^[^\\n]*')\n"
    "end\n"
    "local f, m = {}, false\n"
    "if ARGV[3] ~= '' then\n"
    "  m = redis.call('HGET', ARGV[3], 'id')\n"
    "end\n"
    "if m then\n"
    "  for id in string.gmatch(ids, '[^,]+') do\n"
    "    local s = redis.call('ZSCORE', ARGV[2] .. id, m)\n"
    "    f[#f + 1] = s and '1' or '0'\n"
    "  end\n"
    "end\n"
    "if not p then\n"
    "  return {table.concat(f)}\n"
    "end\n"
    "return {table.concat(f), p, v, redis.call('PTTL', KEYS[1])}\n"};

/* The comma-joined ids of a copy. */
static char *
blog_hot_copy_ids(struct arena *a, const struct blog_hot_copy *c)
{
    char *s = arena_alloc(a, (size_t)c->n * 21 + 1), *o = s;
    *o = '\0';
    for (unsigned i = 0; i < c->n; i++)
        o += sprintf(o, "%s%lld", i ? "," : "", (long long)c->ids[i]);
    return s;
}

res_t
blog_hot_page(struct req *rq, int64_t current, const char ***frag,
              size_t **flen, int **likes, unsigned *n)
{
    char field[24];
    snprintf(field, sizeof(field), "%lld", (long long)current);
    struct blog_hot_copy *c =
        current <= BLOG_HOT_LOCAL ? &blog_hot_copies[current] : NULL;
    if (c && c->a && mono_ms() >= c->until)
        blog_hot_copy_drop(c);
    int have = c && c->a;
    /* one round trip: the session lookup, then the script */
    const char *session;
    struct rds_eval_q q;
    redisReply *r;
    res_t rc;
    if ((rc = rds_script_ready(&rq->cx, &blog_lua_hot_get)) != RES_OK ||
        (rc = user_auth_send(rq, &session)) != RES_OK)
        return rc;
    const char *keys[2] = {KEY_CACHE_BLOG_HOT, KEY_CACHE_BLOG_HOT_VER};
    const char *args[5] = {field, KEY_BLOG_LIKED_PREFIX, session ? session : "",
                           have ? c->ver : "",
                           have ? blog_hot_copy_ids(rq->cx.arena, c) : ""};
    if ((rc = rds_eval_append(&rq->cx, &q, &blog_lua_hot_get, 2, keys, 5,
                              args)) != RES_OK ||
        (rc = user_auth_recv(rq, session)) != RES_OK ||
        (rc = rds_eval_reply(&rq->cx, &q, &r)) != RES_OK)
        return rc;
    int64_t uid = req_uid(rq);
    const redisReply *flags =
        r->type == REDIS_REPLY_ARRAY && r->elements >= 1 ? r->element[0] : NULL;
    if (flags == NULL || flags->type != REDIS_REPLY_STRING ||
        (r->elements != 1 && r->elements != 4) || (r->elements == 1 && !have)) {
        goto miss;
    }
    int k;
    if (r->elements == 1) { /* the copy is current */
        k = (int)c->n;
        *frag = arena_alloc(rq->cx.arena, (c->n + 1) * sizeof(**frag));
        *flen = arena_alloc(rq->cx.arena, (c->n + 1) * sizeof(**flen));
        memcpy(*frag, c->frag, c->n * sizeof(**frag));
        memcpy(*flen, c->flen, c->n * sizeof(**flen));
    } else {
        const redisReply *page = r->element[1];
        int64_t *ids;
        if (page->type != REDIS_REPLY_STRING ||
            (k = blog_page_parse(rq->cx.arena, page->str, page->len, &ids, frag,
                                 flen)) < 0) {
            goto miss;
        }
        if (c)
            blog_hot_copy_keep(c, page, r->element[2], rds_int(r->element[3]));
    }
    if (flags->len != (uid != 0 ? (size_t)k : 0)) {
        goto miss;
    }
    *n = (unsigned)k;
    *likes = arena_calloc(rq->cx.arena, (*n + 1) * sizeof(**likes));
    for (unsigned i = 0; uid != 0 && i < *n; i++)
        (*likes)[i] = flags->str[i] == '1';
    return RES_OK;

miss: /* not cached, or not in a shape we trust: rebuilt */
    if (c)
        blog_hot_copy_drop(c);
    return blog_hot_fill(rq, current, field, uid, frag, flen, likes, n);
}

/* ---------------- like toggles ---------------- */

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
blog_toggle(struct req *rq, const char *lock_sql, const char *update_sql,
            const char *key, int64_t id, int64_t uid, int *delta, int *found)
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
    char member[24];
    snprintf(member, sizeof(member), "%lld", (long long)uid);
    const char *keys[1] = {key};
    const char *args[2] = {
        member, arena_printf(rq->cx.arena, "%lld", (long long)now_ms())};
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

res_t
blog_like_toggle(struct req *rq, int64_t id, int64_t uid, int *delta,
                 int *found)
{
    res_t rc = blog_toggle(
        rq, "SELECT id FROM tb_blog WHERE id = ? FOR UPDATE",
        "UPDATE tb_blog SET liked = GREATEST(CAST(IFNULL(liked, 0) AS SIGNED) "
        "+ ?, 0) WHERE id = ?",
        key_blog_liked(rq->cx.arena, id), id, uid, delta, found);
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
    return blog_toggle(
        rq, "SELECT id FROM tb_blog_comments WHERE id = ? FOR UPDATE",
        "UPDATE tb_blog_comments SET liked = GREATEST(CAST(IFNULL(liked, 0) "
        "AS SIGNED) + ?, 0) WHERE id = ?",
        key_comment_liked(rq->cx.arena, id), id, uid, delta, found);
}

res_t
blog_likers(struct req *rq, int64_t id, int64_t **ids, unsigned *n)
{
    redisReply *r;
    res_t rc =
        rds_cmd(&rq->cx, &r, "ZRANGE %s 0 4", key_blog_liked(rq->cx.arena, id));
    if (rc != RES_OK)
        return rc;
    unsigned cnt = 0;
    int64_t *v = arena_calloc(rq->cx.arena, 6 * sizeof(*v));
    if (r->type == REDIS_REPLY_ARRAY)
        for (size_t i = 0; i < r->elements && cnt < 5; i++) {
            int64_t x;
            const char *s = rds_str(&rq->cx, r->element[i]);
            if (s && parse_i64(s, &x) == 0 && x > 0)
                v[cnt++] = x;
        }
    *ids = v;
    *n = cnt;
    return RES_OK;
}

/* ---------------- delete ---------------- */

/* Deletes keys (DEL in batches). */
static res_t
blog_del_keys(struct req *rq, const char **keys, unsigned n)
{
    for (unsigned i = 0; i < n; i += 256) {
        unsigned m = n - i < 256 ? n - i : 256;
        const char **argv = arena_alloc(rq->cx.arena, (m + 1) * sizeof(*argv));
        argv[0] = "DEL";
        memcpy(argv + 1, keys + i, m * sizeof(*argv));
        res_t rc = rds_cmdv(&rq->cx, NULL, (int)m + 1, argv, NULL);
        if (rc != RES_OK)
            return rc;
    }
    return RES_OK;
}

/* The images of a deleted blog that no other blog of the author names:
 * only those files may go. One query over the author's blogs. */
static res_t
blog_images_unshared(struct req *rq, int64_t author, const char *images,
                     const char **out)
{
    const char **v;
    unsigned n = blog_split_csv(rq->cx.arena, images, &v);
    *out = "";
    if (n == 0)
        return RES_OK;
    struct sql_param *p = arena_calloc(rq->cx.arena, (n + 1) * sizeof(*p));
    p[0].type = 'l';
    p[0].i = author;
    char *cond = arena_strdup(rq->cx.arena, "");
    for (unsigned i = 0; i < n; i++) {
        p[i + 1].type = 's';
        p[i + 1].s = v[i];
        cond = arena_printf(rq->cx.arena, "%s%sFIND_IN_SET(?, images) > 0",
                            cond, i ? " OR " : "");
    }
    struct sql_rows t;
    res_t rc = sql_queryv(&rq->cx, &t,
                          arena_printf(rq->cx.arena,
                                       "SELECT images FROM tb_blog WHERE "
                                       "user_id = ? AND (%s)",
                                       cond),
                          p, n + 1);
    if (rc != RES_OK)
        return rc;
    char *keep = arena_strdup(rq->cx.arena, "");
    for (unsigned i = 0; i < n; i++) {
        int shared = 0;
        for (unsigned r = 0; r < t.nrows && !shared; r++) {
            const char **w;
            unsigned m = blog_split_csv(rq->cx.arena, sql_str(&t, r, 0), &w);
            for (unsigned j = 0; j < m; j++)
                if (strcmp(w[j], v[i]) == 0)
                    shared = 1;
        }
        if (!shared)
            keep = arena_printf(rq->cx.arena, "%s%s%s", keep, *keep ? "," : "",
                                v[i]);
    }
    *out = keep;
    return RES_OK;
}

/* The sweep: everything outside MySQL that belonged to the blog. Each
 * step is idempotent; the record goes last. */
static res_t
blog_sweep(struct req *rq, int64_t id, int64_t author, const char *images,
           const char *comment_ids)
{
    const char **cids;
    unsigned nc = blog_split_csv(rq->cx.arena, comment_ids, &cids);
    const char **keys = arena_alloc(rq->cx.arena, (nc + 1) * sizeof(*keys));
    keys[0] = key_blog_liked(rq->cx.arena, id);
    for (unsigned i = 0; i < nc; i++) {
        int64_t cid = 0;
        parse_i64(cids[i], &cid);
        keys[i + 1] = key_comment_liked(rq->cx.arena, cid);
    }
    const char *mine;
    res_t rc;
    if ((rc = blog_del_keys(rq, keys, nc + 1)) != RES_OK ||
        (rc = feed_on_delete(rq, author, id)) != RES_OK ||
        (rc = blog_images_unshared(rq, author, images, &mine)) != RES_OK ||
        (rc = upload_release(rq, author, mine)) != RES_OK)
        return rc;
    return rds_cmd(&rq->cx, NULL, "DEL %s", key_blog_gone(rq->cx.arena, id));
}

/* A retry after a failed sweep: the row is gone, the record is not. */
static res_t
blog_resume(struct req *rq, int64_t id, int64_t uid, enum blog_del *outcome)
{
    redisReply *r;
    res_t rc = rds_cmd(&rq->cx, &r, "HMGET %s user images comments",
                       key_blog_gone(rq->cx.arena, id));
    if (rc != RES_OK)
        return rc;
    *outcome = BLOG_DEL_MISSING;
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 3)
        return RES_OK;
    const char *user = rds_str(&rq->cx, r->element[0]);
    const char *images = rds_str(&rq->cx, r->element[1]);
    const char *comments = rds_str(&rq->cx, r->element[2]);
    int64_t author;
    if (user == NULL || parse_i64(user, &author) < 0)
        return RES_OK;
    if (author != uid) {
        *outcome = BLOG_DEL_NOT_OWNER;
        return RES_OK;
    }
    /* the row may have gone some other way: drop what the cache has */
    if ((rc = blog_cache_invalidate(rq, id, 1)) != RES_OK ||
        (rc = blog_sweep(rq, id, author, images ? images : "",
                         comments ? comments : "")) != RES_OK)
        return rc;
    *outcome = BLOG_DEL_OK;
    return RES_OK;
}

res_t
blog_remove(struct req *rq, int64_t id, int64_t uid, enum blog_del *outcome)
{
    res_t rc = sql_begin(&rq->cx);
    if (rc != RES_OK)
        return rc;
    struct sql_rows t, c;
    if ((rc = sql_query(&rq->cx, &t,
                        "SELECT user_id, images FROM tb_blog WHERE id = ? "
                        "FOR UPDATE",
                        "l", id)) != RES_OK)
        goto rollback;
    if (t.nrows == 0) {
        sql_rollback(&rq->cx);
        return blog_resume(rq, id, uid, outcome);
    }
    int64_t author = sql_i64(&t, 0, 0);
    const char *images = sql_str(&t, 0, 1) ? sql_str(&t, 0, 1) : "";
    if (author != uid) {
        sql_rollback(&rq->cx);
        *outcome = BLOG_DEL_NOT_OWNER;
        return RES_OK;
    }
    /* comment posts lock the blog row too, so this list is complete */
    if ((rc = sql_query(&rq->cx, &c,
                        "SELECT id FROM tb_blog_comments WHERE blog_id = ?",
                        "l", id)) != RES_OK)
        goto rollback;
    char *cids = arena_strdup(rq->cx.arena, "");
    for (unsigned i = 0; i < c.nrows; i++)
        cids = arena_printf(rq->cx.arena, "%s%s%s", cids, i ? "," : "",
                            sql_str(&c, i, 0));

    /* the cleanup record, before the row goes */
    const char *gone = key_blog_gone(rq->cx.arena, id);
    if ((rc = rds_append(&rq->cx, "HSET %s user %lld images %s comments %s",
                         gone, (long long)author, images, cids)) != RES_OK ||
        (rc = rds_append(&rq->cx, "EXPIRE %s %d", gone, TTL_BLOG_GONE)) !=
            RES_OK)
        goto rollback;
    for (int i = 0; i < 2; i++) {
        redisReply *r;
        if ((rc = rds_reply(&rq->cx, &r)) != RES_OK) {
            goto rollback;
        }
    }

    if ((rc = sql_exec(&rq->cx, NULL,
                       "DELETE FROM tb_blog_comments WHERE blog_id = ?", "l",
                       id)) != RES_OK ||
        (rc = sql_exec(&rq->cx, NULL, "DELETE FROM tb_blog WHERE id = ?", "l",
                       id)) != RES_OK ||
        (rc = sql_commit(&rq->cx)) != RES_OK)
        goto rollback;

    /* a deleted blog must not show: like a failed sweep, a failed
     * invalidation fails the request, and the retry (blog_resume)
     * invalidates again */
    if ((rc = blog_cache_invalidate(rq, id, 1)) != RES_OK ||
        (rc = blog_sweep(rq, id, author, images, cids)) != RES_OK)
        return rc;
    *outcome = BLOG_DEL_OK;
    return RES_OK;

rollback:
    sql_rollback(&rq->cx);
    return rc;
}

/* ---------------- comments ---------------- */

static void
blog_comment_row(const struct sql_rows *t, unsigned r, struct blog_comment *c)
{
    c->id = sql_i64(t, r, 0);
    c->blog_id = sql_i64(t, r, 1);
    c->user_id = sql_i64(t, r, 2);
    c->parent_id = sql_i64(t, r, 3);
    c->answer_id = sql_i64(t, r, 4);
    c->content = sql_str(t, r, 5);
    c->liked = sql_i64(t, r, 6);
    c->status = sql_i64(t, r, 7);
    c->create_time = sql_str(t, r, 8);
    c->update_time = sql_str(t, r, 9);
}

res_t
blog_comment_list(struct req *rq, int64_t blog_id, int64_t offset,
                  struct blog_comment **out, unsigned *n)
{
    struct sql_rows t;
    res_t rc;
    int64_t size = g_cfg.page_size;
    if (blog_id == 0)
        rc = sql_query(&rq->cx, &t,
                       "SELECT " COMMENT_COLS " FROM tb_blog_comments WHERE "
                       "IFNULL(status, 0) = 0 ORDER BY liked DESC, id DESC "
                       "LIMIT ? OFFSET ?",
                       "ll", size, offset);
    else
        rc = sql_query(&rq->cx, &t,
                       "SELECT " COMMENT_COLS " FROM tb_blog_comments WHERE "
                       "blog_id = ? AND IFNULL(status, 0) = 0 ORDER BY "
                       "create_time DESC, id DESC LIMIT ? OFFSET ?",
                       "lll", blog_id, size, offset);
    if (rc != RES_OK)
        return rc;
    struct blog_comment *c =
        arena_calloc(rq->cx.arena, (t.nrows + 1) * sizeof(*c));
    for (unsigned i = 0; i < t.nrows; i++)
        blog_comment_row(&t, i, &c[i]);
    *out = c;
    *n = t.nrows;
    return RES_OK;
}

res_t
blog_comment_load(struct req *rq, int64_t id, struct blog_comment *c,
                  int *found)
{
    struct sql_rows t;
    res_t rc = sql_query(
        &rq->cx, &t,
        "SELECT " COMMENT_COLS " FROM tb_blog_comments WHERE id = ?", "l", id);
    if (rc != RES_OK)
        return rc;
    *found = t.nrows > 0;
    if (*found)
        blog_comment_row(&t, 0, c);
    return RES_OK;
}

res_t
blog_comment_insert(struct req *rq, const struct blog_comment *c, int64_t *id,
                    enum blog_comment_post *outcome)
{
    res_t rc = sql_begin(&rq->cx);
    if (rc != RES_OK)
        return rc;
    struct sql_rows t;
    /* the blog row's lock orders this against a delete of the blog */
    if ((rc = sql_query(&rq->cx, &t,
                        "SELECT id FROM tb_blog WHERE id = ? FOR UPDATE", "l",
                        c->blog_id)) != RES_OK)
        goto rollback;
    if (t.nrows == 0) {
        *outcome = BLOG_COMMENT_NO_BLOG;
        sql_rollback(&rq->cx);
        return RES_OK;
    }
    if (c->parent_id > 0) {
        /* the parent is a top-level comment of this blog; the answered
         * comment is the parent or one of its replies */
        if ((rc = sql_query(&rq->cx, &t,
                            "SELECT (SELECT COUNT(*) FROM tb_blog_comments "
                            "WHERE id = ? AND blog_id = ? AND parent_id = 0), "
                            "(SELECT COUNT(*) FROM tb_blog_comments WHERE "
                            "id = ? AND blog_id = ? AND parent_id = ?)",
                            "lllll", c->parent_id, c->blog_id, c->answer_id,
                            c->blog_id, c->parent_id)) != RES_OK)
            goto rollback;
        if (sql_i64(&t, 0, 0) != 1 ||
            (c->answer_id != c->parent_id && sql_i64(&t, 0, 1) != 1)) {
            *outcome = BLOG_COMMENT_NO_PARENT;
            sql_rollback(&rq->cx);
            return RES_OK;
        }
    }
    if ((rc = sql_exec(&rq->cx, NULL,
                       "INSERT INTO tb_blog_comments (user_id, blog_id, "
                       "parent_id, answer_id, content, liked, status) VALUES "
                       "(?, ?, ?, ?, ?, 0, 0)",
                       "lllls", c->user_id, c->blog_id, c->parent_id,
                       c->answer_id, c->content)) != RES_OK)
        goto rollback;
    *id = (int64_t)sql_insert_id();
    if ((rc = sql_exec(&rq->cx, NULL,
                       "UPDATE tb_blog SET comments = IFNULL(comments, 0) + 1 "
                       "WHERE id = ?",
                       "l", c->blog_id)) != RES_OK ||
        (rc = sql_commit(&rq->cx)) != RES_OK)
        goto rollback;
    /* comments changed, on the blog and on the hot pages that show it */
    blog_cache_invalidate_soft(rq, c->blog_id, 1);
    *outcome = BLOG_COMMENT_OK;
    return RES_OK;

rollback:
    sql_rollback(&rq->cx);
    return rc;
}

res_t
blog_comment_remove(struct req *rq, int64_t id, int64_t uid,
                    enum blog_del *outcome)
{
    res_t rc = sql_begin(&rq->cx);
    if (rc != RES_OK)
        return rc;
    struct sql_rows t, ids;
    if ((rc = sql_query(&rq->cx, &t,
                        "SELECT c.user_id, c.blog_id, b.user_id FROM "
                        "tb_blog_comments c LEFT JOIN tb_blog b ON b.id = "
                        "c.blog_id WHERE c.id = ? FOR UPDATE",
                        "l", id)) != RES_OK)
        goto rollback;
    if (t.nrows == 0) {
        *outcome = BLOG_DEL_MISSING;
        sql_rollback(&rq->cx);
        return RES_OK;
    }
    int64_t blog_id = sql_i64(&t, 0, 1);
    if (sql_i64(&t, 0, 0) != uid &&
        (sql_str(&t, 0, 2) == NULL || sql_i64(&t, 0, 2) != uid)) {
        *outcome = BLOG_DEL_NOT_OWNER;
        sql_rollback(&rq->cx);
        return RES_OK;
    }
    /* a top-level comment takes its replies with it */
    if ((rc = sql_query(&rq->cx, &ids,
                        "SELECT id FROM tb_blog_comments WHERE id = ? OR "
                        "parent_id = ?",
                        "ll", id, id)) != RES_OK)
        goto rollback;
    uint64_t n = 0;
    if ((rc = sql_exec(&rq->cx, &n,
                       "DELETE FROM tb_blog_comments WHERE id = ? OR "
                       "parent_id = ?",
                       "ll", id, id)) != RES_OK ||
        (rc = sql_exec(&rq->cx, NULL,
                       "UPDATE tb_blog SET comments = GREATEST(CAST(IFNULL("
                       "comments, 0) AS SIGNED) - ?, 0) WHERE id = ?",
                       "ll", (int64_t)n, blog_id)) != RES_OK ||
        (rc = sql_commit(&rq->cx)) != RES_OK)
        goto rollback;
    /* comments changed, on the blog and on the hot pages that show it */
    blog_cache_invalidate_soft(rq, blog_id, 1);
    /* the likes of deleted comments: stale keys are harmless, so a
     * failure here is only logged */
    for (unsigned i = 0; i < ids.nrows; i++)
        rds_fire(&rq->cx, "DEL %s",
                 key_comment_liked(rq->cx.arena, sql_i64(&ids, i, 0)));
    *outcome = BLOG_DEL_OK;
    return RES_OK;

rollback:
    sql_rollback(&rq->cx);
    return rc;
}
