/*
 * blog_delete.c: deleting a blog.
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
 */
#include "blog_private.h"

#include "../core/event.h"
#include "../core/log.h"
#include "../store/keys.h"
#include "../store/rds.h"
#include "../store/sql.h"
#include "../upload/upload.h"

#include <string.h>

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
        str_parse_i64(cids[i], &cid);
        keys[i + 1] = key_comment_liked(rq->cx.arena, cid);
    }
    const char *mine;
    res_t rc;
    /* first: likes stop taking the author from the cache (keys.h) */
    if ((rc = rds_cmd(&rq->cx, NULL, "SET %s 0 EX %d",
                      key_blog_owner(rq->cx.arena, id), TTL_BLOG_OWNER)) !=
            RES_OK ||
        (rc = blog_del_keys(rq, keys, nc + 1)) != RES_OK ||
        (rc = blog_images_unshared(rq, author, images, &mine)) != RES_OK ||
        (rc = upload_release(rq, author, mine)) != RES_OK ||
        (rc = rds_cmd(&rq->cx, NULL, "DEL %s",
                      key_blog_gone(rq->cx.arena, id))) != RES_OK)
        return rc;
    /* gone for good: the modules that react (the feed drops it from the
     * inboxes) hear it once the sweep is complete; their failures are
     * logged, not returned */
    struct event ev = {.kind = EVENT_BLOG_DELETED};
    ev.u.blog_deleted.author = author;
    ev.u.blog_deleted.blog_id = id;
    event_emit(&rq->cx, &ev);
    return RES_OK;
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
    if (user == NULL || str_parse_i64(user, &author) < 0)
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

static res_t
blog_remove_once(struct req *rq, int64_t id, int64_t uid,
                 enum blog_del *outcome)
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

/* blog_remove_once, again while it loses a lock conflict (sql_tx_retry). */
res_t
blog_remove(struct req *rq, int64_t id, int64_t uid, enum blog_del *outcome)
{
    int attempt = 0;
    res_t rc;
    do
        rc = blog_remove_once(rq, id, uid, outcome);
    while (rc != RES_OK && sql_tx_retry(&rq->cx, &attempt));
    return rc;
}
