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

#include "../core/reply.h"
#include "../store/keys.h"
#include "../store/rds.h"
#include "../store/sql.h"
#include "../user/user.h"

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

enum {
    FB_ID,
    FB_SHOP,
    FB_USER,
    FB_TITLE,
    FB_IMAGES,
    FB_CONTENT,
    FB_LIKED,
    FB_COMMENTS,
    FB_CTIME,
    FB_UTIME,
};

res_t
feed_blogs_append(struct req *rq, int64_t me, const struct feed_entry *e,
                  size_t n, struct json_object *arr, size_t *live)
{
    *live = 0;
    if (n == 0)
        return RES_OK;
    struct sql_param *p = arena_calloc(rq->arena, n * sizeof(*p));
    for (size_t i = 0; i < n; i++) {
        p[i].type = 'l';
        p[i].i = e[i].id;
    }
    char *sql = arena_printf(rq->arena,
                             "SELECT id, shop_id, user_id, title, images, "
                             "content, liked, comments, create_time, "
                             "update_time FROM tb_blog WHERE id IN (%s)",
                             sql_placeholders(rq, (unsigned)n));
    struct sql_rows t;
    res_t rc = sql_queryv(rq, &t, sql, p, (unsigned)n);
    if (rc != RES_OK)
        return rc;

    /* row of each entry, in page order; -1 for a deleted blog */
    int *row = arena_alloc(rq->arena, n * sizeof(*row));
    int64_t *authors = arena_alloc(rq->arena, n * sizeof(*authors));
    unsigned na = 0;
    for (size_t i = 0; i < n; i++) {
        row[i] = -1;
        for (unsigned r = 0; r < t.nrows; r++)
            if (sql_i64(&t, r, FB_ID) == e[i].id)
                row[i] = (int)r;
        if (row[i] < 0)
            continue;
        int64_t a = sql_i64(&t, (unsigned)row[i], FB_USER);
        unsigned j = 0;
        while (j < na && authors[j] != a)
            j++;
        if (j == na)
            authors[na++] = a;
    }
    if (na == 0)
        return RES_OK;
    struct user_dto *u;
    if ((rc = user_dtos_load(rq, authors, na, &u)) != RES_OK)
        return rc;

    /* isLike: one pipeline of ZSCOREs */
    for (size_t i = 0; i < n; i++) {
        if (row[i] < 0)
            continue;
        if ((rc = rds_append(rq, "ZSCORE %s %lld",
                             key_blog_liked(rq->arena, e[i].id),
                             (long long)me)) != RES_OK)
            return rc;
    }
    int *liked = arena_calloc(rq->arena, n * sizeof(*liked));
    res_t bad = RES_OK;
    for (size_t i = 0; i < n; i++) {
        if (row[i] < 0)
            continue;
        redisReply *r;
        rc = rds_reply(rq, &r);
        if (rc == RES_DEP_DOWN)
            return rc;
        if (rc != RES_OK)
            bad = rc; /* keep reading so the connection stays in step */
        else
            liked[i] = r->type == REDIS_REPLY_STRING; /* nil: not liked */
    }
    if (bad != RES_OK)
        return req_fail(rq, bad, "feed: ZSCORE failed");

    for (size_t i = 0; i < n; i++) {
        if (row[i] < 0)
            continue;
        unsigned r = (unsigned)row[i];
        int64_t a = sql_i64(&t, r, FB_USER);
        const struct user_dto *au = NULL;
        for (unsigned j = 0; j < na; j++)
            if (u[j].id == a)
                au = &u[j];
        struct json_object *o = json_object_new_object();
        reply_add_i64(o, "id", sql_i64(&t, r, FB_ID));
        reply_add_i64(o, "shopId", sql_i64(&t, r, FB_SHOP));
        reply_add_i64(o, "userId", a);
        reply_add_str(o, "title", sql_str(&t, r, FB_TITLE));
        reply_add_str(o, "images", sql_str(&t, r, FB_IMAGES));
        reply_add_str(o, "content", sql_str(&t, r, FB_CONTENT));
        reply_add_i64(o, "liked", sql_i64(&t, r, FB_LIKED));
        reply_add_i64(o, "comments", sql_i64(&t, r, FB_COMMENTS));
        reply_add_time(o, "createTime", sql_str(&t, r, FB_CTIME));
        reply_add_time(o, "updateTime", sql_str(&t, r, FB_UTIME));
        if (au) {
            reply_add_str(o, "name", au->nick_name ? au->nick_name : "");
            reply_add_str(o, "icon", au->icon ? au->icon : "");
        }
        reply_add_bool(o, "isLike", liked[i]);
        json_object_array_add(arr, o);
        (*live)++;
    }
    return RES_OK;
}
