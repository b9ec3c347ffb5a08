/*
 * blog_hot.c: the hot pages (GET /blog/hot), cached rendered in Redis
 * and copied by each worker; see blog_cache.c for the fragments and the
 * versions that keep a page from going stale.
 */
#include "blog_private.h"

#include "../core/cfg.h"
#include "../core/log.h"
#include "../core/util.h"
#include "../store/keys.h"
#include "../store/rds.h"
#include "../store/sql.h"
#include "../user/user.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

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
    int64_t until;   /* util_mono_ms() at which the Redis copy expires */
    int64_t *ids;
    const char **frag;
    size_t *flen;
    unsigned n;
};

static struct blog_hot_copy blog_hot_copies[BLOG_HOT_LOCAL + 1];

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
    c->until = util_mono_ms() + pttl;
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
    if (c && c->a && util_mono_ms() >= c->until)
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
