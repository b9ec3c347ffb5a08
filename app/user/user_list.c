/*
 * user_list.c: lists of users as JSON text (the likers of a blog, common
 * follows), served from a cache of each user's rendered object.
 *
 * cache:user:{id} holds the user's {id, nickName, icon} exactly as
 * user_dto_json serialises it in the envelope (plain, slashes
 * unescaped), so a list is its members' texts joined, byte for byte what
 * a json-c array of user_dto_json objects would print, with no MySQL,
 * no json-c objects and no escaping on a warm read. Misses are read with
 * one query per chunk of at most USER_LIST_CHUNK ids, padded to a power
 * of two so that a handful of statement texts cover every list length
 * (each distinct text is a prepared statement a worker keeps), and
 * written back for TTL_CACHE_USER (plus jitter).
 *
 * A user that does not exist is left out and nothing is cached for it: a
 * marker could outlive the id's later creation. nick_name and icon have
 * no write path in this app (no route changes them; a new user gets a
 * new id), so the cache is never stale through the API; an edit made
 * directly in MySQL shows after TTL_CACHE_USER at most, as in the blog
 * cache (cache:blog:{id} embeds the author's name and icon the same way).
 */
#include "user_private.h"

#include "../core/reply.h"
#include "../core/util.h"
#include "../store/keys.h"
#include "../store/rds.h"
#include "../store/sql.h"

#include <stdlib.h>
#include <string.h>

#define USER_LIST_CHUNK 512 /* ids per IN (...) list, a power of two */
#define USER_LIST_MIN   8   /* the shortest IN (...) list */

/* KEYS: cache:user keys; ARGV: TTL, then one value per key. */
static const struct rds_script user_lua_fill = {
    "user_cache_fill", "for i = 1, #KEYS do\n"
                       "  redis.call('SET', KEYS[i], ARGV[i + 1], 'EX', "
                       "ARGV[1])\n"
                       "end\n"
                       "return 0\n"};

static int
user_list_cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* A value of cache:user (a JSON object) rather than a miss. */
static int
user_list_is_frag(const char *f, size_t n)
{
    return f != NULL && n >= 2 && f[0] == '{' && f[n - 1] == '}';
}

/* One user row rendered as its cache value (arena). */
static char *
user_list_render(struct arena *a, int64_t id, const char *nick,
                 const char *icon, size_t *len)
{
    struct user_dto u = {id, nick, icon};
    struct json_object *o = user_dto_json(&u);
    size_t n;
    const char *s = json_object_to_json_string_length(
        o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &n);
    char *f = arena_strndup(a, s, n);
    json_object_put(o);
    *len = n;
    return f;
}

/* Reads the users uniq[0..m) (ascending, distinct) from MySQL, sets the
 * fragment of every miss i (ids[i]) whose user exists, and writes those
 * back to the cache (best effort). */
static res_t
user_list_fill(struct req *rq, const int64_t *ids, unsigned n,
               const int64_t *uniq, unsigned m, const char **frag, size_t *flen)
{
    struct arena *a = rq->cx.arena;
    /* the rendered rows, by position in uniq */
    const char **rf = arena_calloc(a, m * sizeof(*rf));
    size_t *rl = arena_calloc(a, m * sizeof(*rl));
    for (unsigned from = 0; from < m; from += USER_LIST_CHUNK) {
        unsigned k = m - from < USER_LIST_CHUNK ? m - from : USER_LIST_CHUNK;
        unsigned slots = USER_LIST_MIN;
        while (slots < k)
            slots *= 2;
        struct sql_param *p = arena_calloc(a, slots * sizeof(*p));
        for (unsigned i = 0; i < slots; i++) {
            p[i].type = 'l';
            p[i].i = uniq[from + (i < k ? i : 0)]; /* padding repeats */
        }
        char *sql = arena_printf(
            a, "SELECT id, nick_name, icon FROM tb_user WHERE id IN (%s)",
            sql_placeholders(&rq->cx, slots));
        struct sql_rows t;
        res_t rc = sql_queryv(&rq->cx, &t, sql, p, slots);
        if (rc != RES_OK)
            return rc;
        for (unsigned r = 0; r < t.nrows; r++) {
            int64_t id = sql_i64(&t, r, 0);
            const int64_t *at =
                bsearch(&id, uniq + from, k, sizeof(*uniq), user_list_cmp_i64);
            if (at == NULL)
                continue;
            size_t j = (size_t)(at - uniq);
            rf[j] = user_list_render(a, id, sql_str(&t, r, 1),
                                     sql_str(&t, r, 2), &rl[j]);
        }
    }
    for (unsigned i = 0; i < n; i++) {
        if (user_list_is_frag(frag[i], flen[i]))
            continue;
        const int64_t *at =
            bsearch(&ids[i], uniq, m, sizeof(*uniq), user_list_cmp_i64);
        frag[i] = at ? rf[at - uniq] : NULL;
        flen[i] = at ? rl[at - uniq] : 0;
    }
    const char **keys = arena_alloc(a, (m + 1) * sizeof(*keys));
    const char **args = arena_alloc(a, (m + 2) * sizeof(*args));
    unsigned w = 0;
    args[0] = arena_printf(a, "%d",
                           TTL_CACHE_USER +
                               (int)util_rand_below(TTL_CACHE_USER_JITTER + 1));
    for (unsigned j = 0; j < m; j++)
        if (rf[j]) {
            keys[w] = key_cache_user(a, uniq[j]);
            args[++w] = rf[j];
        }
    struct ctx_mark mk = ctx_mark(&rq->cx);
    if (w > 0 && rds_eval(&rq->cx, &user_lua_fill, NULL, (int)w, keys,
                          (int)w + 1, args) != RES_OK)
        ctx_drop(&rq->cx, mk, "user cache fill");
    return RES_OK;
}

res_t
user_list_json(struct req *rq, const int64_t *ids, unsigned n,
               const char **frag_in, const size_t *flen_in, char **out,
               size_t *len)
{
    struct arena *a = rq->cx.arena;
    const char **frag = arena_calloc(a, (n + 1) * sizeof(*frag));
    size_t *flen = arena_calloc(a, (n + 1) * sizeof(*flen));
    res_t rc;
    if (frag_in) {
        memcpy(frag, frag_in, n * sizeof(*frag));
        memcpy(flen, flen_in, n * sizeof(*flen));
    } else if (n > 0) {
        const char **argv = arena_alloc(a, (n + 1) * sizeof(*argv));
        argv[0] = "MGET";
        for (unsigned i = 0; i < n; i++)
            argv[i + 1] = key_cache_user(a, ids[i]);
        redisReply *r;
        if ((rc = rds_cmdv(&rq->cx, &r, (int)n + 1, argv, NULL)) != RES_OK)
            return rc;
        if (r->type != REDIS_REPLY_ARRAY || r->elements != n)
            return req_fail(rq, RES_INTERNAL, "MGET: unexpected reply");
        for (unsigned i = 0; i < n; i++)
            if (r->element[i]->type == REDIS_REPLY_STRING) {
                frag[i] = r->element[i]->str;
                flen[i] = r->element[i]->len;
            }
    }
    /* the misses, as a sorted set of ids */
    int64_t *uniq = arena_alloc(a, (n + 1) * sizeof(*uniq));
    unsigned m = 0;
    for (unsigned i = 0; i < n; i++)
        if (!user_list_is_frag(frag[i], flen[i]))
            uniq[m++] = ids[i];
    if (m > 0) {
        qsort(uniq, m, sizeof(*uniq), user_list_cmp_i64);
        unsigned k = 0;
        for (unsigned i = 0; i < m; i++)
            if (k == 0 || uniq[i] != uniq[k - 1])
                uniq[k++] = uniq[i];
        if ((rc = user_list_fill(rq, ids, n, uniq, k, frag, flen)) != RES_OK)
            return rc;
    }
    size_t total = 2;
    for (unsigned i = 0; i < n; i++)
        if (frag[i])
            total += flen[i] + 1;
    char *s = arena_alloc(a, total + 1), *o = s;
    *o++ = '[';
    for (unsigned i = 0; i < n; i++) {
        if (frag[i] == NULL)
            continue; /* no such user */
        if (o > s + 1)
            *o++ = ',';
        memcpy(o, frag[i], flen[i]);
        o += flen[i];
    }
    *o++ = ']';
    *o = '\0';
    *out = s;
    *len = (size_t)(o - s);
    return RES_OK;
}
