/*
 * blog_comment.c: comments: pages, one comment, post, delete.
 */
#include "blog_private.h"

#include "../core/cfg.h"
#include "../core/log.h"
#include "../core/util.h"
#include "../store/keys.h"
#include "../store/rds.h"
#include "../store/sql.h"

#include <string.h>

#define COMMENT_COLS                                                           \
    "id, blog_id, user_id, parent_id, answer_id, content, IFNULL(liked, 0), "  \
    "IFNULL(status, 0), create_time, update_time"

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

static res_t
blog_comment_insert_once(struct req *rq, const struct blog_comment *c,
                         int64_t *id, int64_t *author,
                         enum blog_comment_post *outcome)
{
    res_t rc = sql_begin(&rq->cx);
    if (rc != RES_OK)
        return rc;
    struct sql_rows t;
    /* the blog row's lock orders this against a delete of the blog */
    if ((rc = sql_query(&rq->cx, &t,
                        "SELECT id, user_id FROM tb_blog WHERE id = ? FOR "
                        "UPDATE",
                        "l", c->blog_id)) != RES_OK)
        goto rollback;
    if (t.nrows == 0) {
        *outcome = BLOG_COMMENT_NO_BLOG;
        sql_rollback(&rq->cx);
        return RES_OK;
    }
    *author = sql_i64(&t, 0, 1);
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

/* blog_comment_insert_once, again while it loses a lock conflict
 * (sql_tx_retry). */
res_t
blog_comment_insert(struct req *rq, const struct blog_comment *c, int64_t *id,
                    int64_t *author, enum blog_comment_post *outcome)
{
    int attempt = 0;
    res_t rc;
    do
        rc = blog_comment_insert_once(rq, c, id, author, outcome);
    while (rc != RES_OK && sql_tx_retry(&rq->cx, &attempt));
    return rc;
}

static res_t
blog_comment_remove_once(struct req *rq, int64_t id, int64_t uid,
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

/* blog_comment_remove_once, again while it loses a lock conflict
 * (sql_tx_retry). */
res_t
blog_comment_remove(struct req *rq, int64_t id, int64_t uid,
                    enum blog_del *outcome)
{
    int attempt = 0;
    res_t rc;
    do
        rc = blog_comment_remove_once(rq, id, uid, outcome);
    while (rc != RES_OK && sql_tx_retry(&rq->cx, &attempt));
    return rc;
}
