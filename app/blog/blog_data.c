/*
 * blog_data.c: a blog's rows: insert and the pages of blogs (hot, one
 * user's). The rest of the module's SQL and Redis is split by job:
 * blog_cache.c (the read cache of fragments), blog_hot.c (hot pages and
 * the worker's copies), blog_likes.c (like toggles), blog_delete.c (mark,
 * then sweep) and blog_comment.c (comments).
 */
#include "blog_private.h"

#include "../core/cfg.h"
#include "../core/log.h"
#include "../core/util.h"
#include "../store/sql.h"

#include <string.h>

#define BLOG_COLS                                                              \
    "id, shop_id, user_id, title, images, content, IFNULL(liked, 0), "         \
    "IFNULL(comments, 0), create_time, update_time"

void
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
