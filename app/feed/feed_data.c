/*
 * feed_data.c: the read side of the feed: the inbox ZSET, the pull of big
 * followees' blogs from tb_blog, and loading the Blogs of a page without
 * N+1 (one SQL for the blogs, one for their authors, one Redis pipeline
 * for isLike).
 *
 * The pull must return, for each big followee, at least the top K of that
 * author's blogs under the cursor in feed ORDER, including every blog that
 * ties with the K-th one: otherwise which of several same-second blogs
 * made the cut would depend on MySQL's row order and pages could repeat or
 * skip. Hence "create_time >= the K-th row's create_time" rather than a
 * LIMIT, which idx_blog_user_time (user_id, create_time) serves with two
 * short range reads per author.
 */
#include "feed_private.h"

#include "../blog/blog.h"
#include "../core/reply.h"
#include "../store/keys.h"
#include "../store/rds.h"
#include "../store/sql.h"

#include <stdlib.h>
#include <string.h>

#define FEED_PULL_CHUNK 32           /* authors per pull statement */
#define FEED_MAX_TS     2147483647LL /* TIMESTAMP's upper end, in seconds */

res_t
feed_blog_meta(struct req *rq, int64_t author, int64_t blog_id, int64_t *score,
               long *fans, int *found)
{
    struct sql_rows t;
    res_t rc = sql_query(rq, &t,
                         "SELECT UNIX_TIMESTAMP(b.create_time), "
                         "COALESCE(i.fans, 0) FROM tb_blog b LEFT JOIN "
                         "tb_user_info i ON i.user_id = b.user_id WHERE "
                         "b.id = ? AND b.user_id = ?",
                         "ll", blog_id, author);
    if (rc != RES_OK)
        return rc;
    *found = t.nrows > 0;
    if (*found) {
        *score = sql_i64(&t, 0, 0) * 1000;
        *fans = (long)sql_i64(&t, 0, 1);
    }
    return RES_OK;
}

res_t
feed_author_fans(struct req *rq, int64_t author, long *fans)
{
    struct sql_rows t;
    res_t rc = sql_query(
        rq, &t, "SELECT COALESCE(fans, 0) FROM tb_user_info WHERE user_id = ?",
        "l", author);
    if (rc != RES_OK)
        return rc;
    *fans = t.nrows ? (long)sql_i64(&t, 0, 0) : 0;
    return RES_OK;
}

/* ---------------- inbox ---------------- */

/* ZREVRANGEBYSCORE feed:{me} last_id 0 WITHSCORES LIMIT offset count. */
static res_t
feed_inbox_range(struct req *rq, int64_t me, int64_t last_id, int64_t offset,
                 size_t count, struct feed_entry **out, size_t *n)
{
    redisReply *r;
    res_t rc =
        rds_cmd(rq, &r, "ZREVRANGEBYSCORE %s %lld 0 WITHSCORES LIMIT %lld %lld",
                key_feed(rq->arena, me), (long long)last_id, (long long)offset,
                (long long)count);
    if (rc != RES_OK)
        return rc;
    if (r->type != REDIS_REPLY_ARRAY || r->elements % 2 != 0)
        return req_fail(rq, RES_INTERNAL, "ZREVRANGEBYSCORE: bad reply");
    size_t m = r->elements / 2, k = 0;
    struct feed_entry *e = arena_alloc(rq->arena, (m ? m : 1) * sizeof(*e));
    for (size_t i = 0; i < m; i++) {
        const redisReply *mem = r->element[2 * i], *sc = r->element[2 * i + 1];
        int64_t id;
        if (mem->type != REDIS_REPLY_STRING || sc->type != REDIS_REPLY_STRING ||
            parse_i64(mem->str, &id) < 0 || id <= 0)
            continue; /* not a blog id: ignore rather than fail the feed */
        e[k].id = id;
        e[k].score = (int64_t)strtod(sc->str, NULL);
        k++;
    }
    *out = e;
    *n = k;
    return RES_OK;
}

/* ---------------- pull ---------------- */

/* The pull statement for n authors (8 parameters each). */
static char *
feed_pull_sql(struct req *rq, unsigned n)
{
    static const char one[] =
        "(SELECT id, UNIX_TIMESTAMP(create_time) FROM tb_blog WHERE "
        "user_id = ? AND create_time BETWEEN FROM_UNIXTIME(?) AND "
        "FROM_UNIXTIME(?) AND create_time >= COALESCE((SELECT create_time "
        "FROM tb_blog WHERE user_id = ? AND create_time BETWEEN "
        "FROM_UNIXTIME(?) AND FROM_UNIXTIME(?) ORDER BY create_time DESC "
        "LIMIT 1 OFFSET ?), FROM_UNIXTIME(?)))";
    size_t len = n * (sizeof(one) + 11) + 1;
    char *s = arena_alloc(rq->arena, len), *p = s;
    for (unsigned i = 0; i < n; i++) {
        if (i) {
            memcpy(p, " UNION ALL ", 11);
            p += 11;
        }
        memcpy(p, one, sizeof(one) - 1);
        p += sizeof(one) - 1;
    }
    *p = '\0';
    return s;
}

/* For each big followee, the blogs created since the follow with score
 * <= last_id: at least the newest k of them and every tie of the k-th. */
static res_t
feed_pull(struct req *rq, const struct follow_followee *big, unsigned nbig,
          int64_t last_id, int64_t k, struct feed_entry **out, size_t *n)
{
    int64_t upto = last_id / 1000;
    if (upto > FEED_MAX_TS)
        upto = FEED_MAX_TS;
    size_t cap = 16, cnt = 0;
    struct feed_entry *e = arena_alloc(rq->arena, cap * sizeof(*e));
    for (unsigned from = 0; from < nbig; from += FEED_PULL_CHUNK) {
        unsigned m = 0;
        struct sql_param *p =
            arena_calloc(rq->arena, 8 * FEED_PULL_CHUNK * sizeof(*p));
        for (unsigned i = from; i < nbig && i < from + FEED_PULL_CHUNK; i++) {
            int64_t since = big[i].since_s;
            if (since > upto)
                continue; /* followed after the cursor's time */
            int64_t v[8] = {big[i].user_id, since, upto,  big[i].user_id,
                            since,          upto,  k - 1, since};
            for (int j = 0; j < 8; j++) {
                p[8 * m + j].type = 'l';
                p[8 * m + j].i = v[j];
            }
            m++;
        }
        if (m == 0)
            continue;
        struct sql_rows t;
        res_t rc = sql_queryv(rq, &t, feed_pull_sql(rq, m), p, 8 * m);
        if (rc != RES_OK)
            return rc;
        if (cnt + t.nrows > cap) {
            while (cnt + t.nrows > cap)
                cap *= 2;
            struct feed_entry *ne = arena_alloc(rq->arena, cap * sizeof(*ne));
            memcpy(ne, e, cnt * sizeof(*e));
            e = ne;
        }
        for (unsigned r = 0; r < t.nrows; r++) {
            e[cnt].id = sql_i64(&t, r, 0);
            e[cnt].score = sql_i64(&t, r, 1) * 1000;
            cnt++;
        }
    }
    *out = e;
    *n = cnt;
    return RES_OK;
}

res_t
feed_page(struct req *rq, int64_t me, const struct follow_followee *big,
          unsigned nbig, int64_t last_id, int64_t offset, size_t limit,
          struct feed_entry **out, size_t *n)
{
    if (nbig == 0) /* push only: the inbox is the whole feed */
        return feed_inbox_range(rq, me, last_id, offset, limit, out, n);

    /* hybrid: each source's top K (K = offset + limit) contains every
     * entry of the merged top K, so merge those and take the window */
    int64_t k = offset + (int64_t)limit;
    struct feed_entry *inbox, *pulled;
    size_t ni, np;
    res_t rc = feed_inbox_range(rq, me, last_id, 0, (size_t)k, &inbox, &ni);
    if (rc != RES_OK)
        return rc;
    if ((rc = feed_pull(rq, big, nbig, last_id, k, &pulled, &np)) != RES_OK)
        return rc;
    struct feed_entry *all =
        arena_alloc(rq->arena, (ni + np ? ni + np : 1) * sizeof(*all));
    size_t na = feed_merge(inbox, ni, pulled, np, all);
    struct feed_entry *page =
        arena_alloc(rq->arena, (limit ? limit : 1) * sizeof(*page));
    *n = feed_window(all, na, last_id, offset, limit, page);
    *out = page;
    return RES_OK;
}

/* ---------------- blogs ---------------- */

res_t
feed_blogs_append(struct req *rq, const struct feed_entry *e, size_t n,
                  struct json_object *arr, size_t *live)
{
    int64_t *ids = arena_alloc(rq->arena, (n ? n : 1) * sizeof(*ids));
    for (size_t i = 0; i < n; i++)
        ids[i] = e[i].id;
    unsigned got = 0;
    res_t rc = blog_cards_append(rq, ids, (unsigned)n, arr, &got);
    *live = got;
    return rc;
}
