/*
 * blog_http.c: handlers of the blog module: publish, read, delete, likes
 * (API.md §4.4) and comments (§4.7, as DECISIONS.md adopts them).
 *
 * Blogs with authors and isLike (detail, hot, the follow feed's cards)
 * come from the read cache of blog_data.c as JSON text (reply_raw);
 * misses cost one query for all the blogs with their authors.
 * "Blog not found" is a business outcome (200, success:false, 博客不存在).
 */
#include "blog_private.h"

#include "../core/cfg.h"
#include "../core/event.h"
#include "../core/log.h"
#include "../core/reply.h"
#include "../core/util.h"
#include "../shop/shop.h"
#include "../upload/upload.h"
#include "../user/user.h"

#include <json-c/json.h>
#include <string.h>

/* Offset of the page `current` (default 1, 1..BLOG_PAGE_MAX, else 400). */
static res_t
blog_page_offset(struct req *rq, int64_t *offset)
{
    int64_t cur;
    res_t rc = req_query_i64(rq, "current", 1, 1, BLOG_PAGE_MAX, &cur);
    if (rc != RES_OK)
        return rc;
    *offset = (cur - 1) * (int64_t)g_cfg.page_size;
    return RES_OK;
}

/* Plain blog rows (of/me, of/user). */
static res_t
blog_reply_rows(struct req *rq, const struct blog *b, unsigned n)
{
    struct json_object *arr = reply_arr(rq);
    for (unsigned i = 0; i < n; i++)
        json_object_array_add(arr, blog_json(&b[i], NULL, -1));
    return reply_ok(rq, arr);
}

/* POST /blog {title, content, images, shopId}: publishes a blog of the
 * caller and returns its id. Other fields are ignored. */
static res_t
blog_http_publish(struct req *rq)
{
    struct json_object *body;
    const char *title = NULL, *content = "", *images = "";
    int64_t shop_id = 0;
    res_t rc;
    if ((rc = req_json(rq, &body)) != RES_OK ||
        (rc = req_json_str(rq, body, "title", BLOG_TITLE_MAX, 1, &title)) !=
            RES_OK ||
        (rc = req_json_str(rq, body, "content", BLOG_CONTENT_MAX, 0,
                           &content)) != RES_OK ||
        (rc = req_json_str(rq, body, "images", BLOG_IMAGES_MAX, 0, &images)) !=
            RES_OK ||
        (rc = req_json_i64(rq, body, "shopId", 1, INT64_MAX, 1, &shop_id)) !=
            RES_OK)
        return rc;
    if (blog_blank(title))
        return req_fail(rq, RES_BAD_INPUT, "标题不能为空");
    if (!blog_images_valid(images))
        return req_fail(rq, RES_BAD_INPUT,
                        "图片列表无效（最多%d张，须为上传的图片）",
                        BLOG_IMAGES_COUNT);
    struct blog b;
    memset(&b, 0, sizeof(b));
    b.title = blog_text_store(rq->cx.arena, title, 0);
    b.content = blog_text_store(rq->cx.arena, content, 1);
    b.images = images;
    b.shop_id = shop_id;
    b.user_id = rq->user.id;
    /* escaping lengthens text; the columns bound the stored form */
    if (str_utf8_len(b.title, strlen(b.title)) > BLOG_TITLE_MAX)
        return req_fail(rq, RES_BAD_INPUT, "标题过长");
    if (str_utf8_len(b.content, strlen(b.content)) > BLOG_CONTENT_MAX)
        return req_fail(rq, RES_BAD_INPUT, "内容过长");

    int found;
    if ((rc = shop_exists(rq, shop_id, &found)) != RES_OK)
        return rc;
    if (!found)
        return req_fail(rq, RES_REFUSED, "店铺不存在");
    int64_t id;
    if ((rc = blog_insert(rq, &b, &id)) != RES_OK)
        return rc;
    /* the blog is published from here on: a failed image claim or
     * subscriber (the feed's fan-out) is logged, not returned */
    struct ctx_mark m = ctx_mark(&rq->cx);
    if (upload_claim(rq, b.user_id, b.images) != RES_OK)
        ctx_drop(&rq->cx, m, "blog image claim after publish");
    struct event ev = {.kind = EVENT_BLOG_PUBLISHED};
    ev.u.blog_published.author = b.user_id;
    ev.u.blog_published.blog_id = id;
    ev.u.blog_published.published_ms = util_now_ms();
    event_emit(&rq->cx, &ev);
    return reply_take(rq, json_object_new_int64(id));
}

/* GET /blog/hot?current=: by liked DESC, id DESC, with authors/isLike.
 * Warm: one Redis round trip in all (the session lookup, then the script
 * giving the caller's likes and, when the worker's copy is stale, the
 * rendered page), no MySQL. ROUTE_AUTH_LATE: the session is looked up by
 * blog_hot_page, so a bad `current` is answered without it. */
static res_t
blog_http_hot(struct req *rq)
{
    int64_t cur;
    unsigned n;
    const char **frag;
    size_t *flen, len;
    int *likes;
    res_t rc;
    if ((rc = req_query_i64(rq, "current", 1, 1, BLOG_PAGE_MAX, &cur)) !=
            RES_OK ||
        (rc = blog_hot_page(rq, cur, &frag, &flen, &likes, &n)) != RES_OK)
        return rc;
    char *t = blog_cards_array(rq->cx.arena, frag, flen, likes, n, &len);
    return reply_ok(rq, reply_raw(rq, t, len));
}

/* GET /blog/of/me?current=: the caller's blogs, newest first. */
static res_t
blog_http_of_me(struct req *rq)
{
    int64_t offset;
    struct blog *b;
    unsigned n;
    res_t rc;
    if ((rc = blog_page_offset(rq, &offset)) != RES_OK ||
        (rc = blog_list(rq, BLOG_LIST_USER, rq->user.id, offset, &b, &n)) !=
            RES_OK)
        return rc;
    return blog_reply_rows(rq, b, n);
}

/* GET /blog/of/user?id=&current=: a user's blogs, newest first. */
static res_t
blog_http_of_user(struct req *rq)
{
    int64_t uid, offset;
    struct blog *b;
    unsigned n;
    res_t rc;
    if ((rc = req_query_i64_req(rq, "id", 1, INT64_MAX, &uid)) != RES_OK ||
        (rc = blog_page_offset(rq, &offset)) != RES_OK ||
        (rc = blog_list(rq, BLOG_LIST_USER, uid, offset, &b, &n)) != RES_OK)
        return rc;
    return blog_reply_rows(rq, b, n);
}

/* GET /blog/{id}: one blog with author and the caller's isLike. Warm:
 * one Redis round trip, no MySQL: the session lookup, the blog's fragment
 * and the like check of the user this worker last saw the token belong
 * to (user_auth_guess) travel together, and the lookup's answer confirms
 * the guess; a token the worker has not seen yet costs a second round
 * trip for the like check. ROUTE_AUTH_LATE: a bad id is answered without
 * the lookup. */
static res_t
blog_http_get(struct req *rq)
{
    int64_t id;
    const char *session, **frag;
    size_t *flen, len;
    int *like;
    res_t rc;
    if ((rc = req_path_i64(rq, "id", &id)) != RES_OK ||
        (rc = user_auth_send(rq, &session)) != RES_OK)
        return rc;
    int64_t guess = session ? user_auth_guess(rq) : 0;
    if ((rc = blog_frags_send(rq, &id, 1, guess)) != RES_OK ||
        (rc = user_auth_recv(rq, session)) != RES_OK ||
        (rc = blog_frags_recv(rq, &id, 1, guess, req_uid(rq), &frag, &flen,
                              &like)) != RES_OK)
        return rc;
    if (frag[0] == NULL)
        return req_fail(rq, RES_REFUSED, "博客不存在");
    char *t = blog_card_text(rq->cx.arena, frag[0], flen[0], like[0], &len);
    return reply_ok(rq, reply_raw(rq, t, len));
}

/* PUT /blog/like/{id}: toggles the caller's like. ROUTE_AUTH_LATE: the
 * session is looked up with the blog's author (blog_like_toggle). */
static res_t
blog_http_like(struct req *rq)
{
    int64_t id, author;
    int delta, found;
    res_t rc;
    if ((rc = req_path_i64(rq, "id", &id)) != RES_OK)
        return user_auth_late_refuse(rq, rc);
    if ((rc = blog_like_toggle(rq, id, &delta, &found, &author)) != RES_OK)
        return rc;
    if (!found)
        return req_fail(rq, RES_REFUSED, "博客不存在");
    return reply_ok(rq, NULL);
}

/* GET /blog/likes/{id}: the first five likers, in like order. */
static res_t
blog_http_likes(struct req *rq)
{
    int64_t id, *ids;
    const char **frag;
    size_t *flen, len;
    unsigned n;
    char *list;
    res_t rc;
    if ((rc = req_path_i64(rq, "id", &id)) != RES_OK ||
        (rc = blog_likers(rq, id, &ids, &frag, &flen, &n)) != RES_OK ||
        (rc = user_list_json(rq, ids, n, frag, flen, &list, &len)) != RES_OK)
        return rc;
    return reply_ok(rq, reply_raw(rq, list, len));
}

/* DELETE /blog/{id}: the author deletes a blog and all that hangs on it. */
static res_t
blog_http_delete(struct req *rq)
{
    int64_t id;
    enum blog_del outcome;
    res_t rc;
    if ((rc = req_path_i64(rq, "id", &id)) != RES_OK ||
        (rc = blog_remove(rq, id, rq->user.id, &outcome)) != RES_OK)
        return rc;
    if (outcome == BLOG_DEL_MISSING)
        return req_fail(rq, RES_REFUSED, "博客不存在");
    if (outcome == BLOG_DEL_NOT_OWNER)
        return req_fail(rq, RES_FORBIDDEN, "只能删除自己的博客");
    return reply_ok(rq, NULL);
}

/* ================= comments ================= */

static struct json_object *
blog_comment_json(const struct blog_comment *c)
{
    struct json_object *o = json_object_new_object();
    reply_add_i64(o, "id", c->id);
    reply_add_i64(o, "blogId", c->blog_id);
    reply_add_i64(o, "userId", c->user_id);
    reply_add_i64(o, "parentId", c->parent_id);
    reply_add_i64(o, "answerId", c->answer_id);
    reply_add_str(o, "content", c->content);
    reply_add_i64(o, "liked", c->liked);
    reply_add_i64(o, "status", c->status);
    reply_add_time(o, "createTime", c->create_time);
    reply_add_time(o, "updateTime", c->update_time);
    return o;
}

static res_t
blog_comment_reply_list(struct req *rq, int64_t blog_id)
{
    int64_t offset;
    struct blog_comment *c;
    unsigned n;
    res_t rc;
    if ((rc = blog_page_offset(rq, &offset)) != RES_OK ||
        (rc = blog_comment_list(rq, blog_id, offset, &c, &n)) != RES_OK)
        return rc;
    struct json_object *arr = reply_arr(rq);
    for (unsigned i = 0; i < n; i++)
        json_object_array_add(arr, blog_comment_json(&c[i]));
    return reply_ok(rq, arr);
}

/* GET /comment/hot?current=: visible comments by liked DESC, id DESC. */
static res_t
blog_http_comment_hot(struct req *rq)
{
    return blog_comment_reply_list(rq, 0);
}

/* GET /comment/{blogId}?current=: a blog's visible comments, newest
 * first ([] for an unknown blog). */
static res_t
blog_http_comment_of_blog(struct req *rq)
{
    int64_t blog_id;
    res_t rc = req_path_i64(rq, "blogId", &blog_id);
    if (rc != RES_OK)
        return rc;
    return blog_comment_reply_list(rq, blog_id);
}

/* POST /comment/post {blogId, parentId, answerId, content}: returns the
 * new comment; the blog's comment counter goes up in the same
 * transaction. */
static res_t
blog_http_comment_post(struct req *rq)
{
    struct json_object *body;
    struct blog_comment c;
    memset(&c, 0, sizeof(c));
    const char *content = NULL;
    res_t rc;
    if ((rc = req_json(rq, &body)) != RES_OK ||
        (rc = req_json_i64(rq, body, "blogId", 1, INT64_MAX, 1, &c.blog_id)) !=
            RES_OK ||
        (rc = req_json_i64(rq, body, "parentId", 0, INT64_MAX, 0,
                           &c.parent_id)) != RES_OK ||
        (rc = req_json_i64(rq, body, "answerId", 0, INT64_MAX, 0,
                           &c.answer_id)) != RES_OK ||
        (rc = req_json_str(rq, body, "content", BLOG_COMMENT_MAX, 1,
                           &content)) != RES_OK)
        return rc;
    if (blog_blank(content))
        return req_fail(rq, RES_BAD_INPUT, "评论内容不能为空");
    /* a reply names its thread (parentId); answerId defaults to it */
    if (c.parent_id == 0 && c.answer_id != 0)
        return req_fail(rq, RES_BAD_INPUT, "回复评论须指定 parentId");
    if (c.parent_id != 0 && c.answer_id == 0)
        c.answer_id = c.parent_id;
    c.content = blog_text_store(rq->cx.arena, content, 0);
    if (str_utf8_len(c.content, strlen(c.content)) > BLOG_COMMENT_MAX)
        return req_fail(rq, RES_BAD_INPUT, "评论内容过长");
    c.user_id = rq->user.id;

    int64_t id, author;
    enum blog_comment_post outcome;
    if ((rc = blog_comment_insert(rq, &c, &id, &author, &outcome)) != RES_OK)
        return rc;
    if (outcome == BLOG_COMMENT_NO_BLOG)
        return req_fail(rq, RES_REFUSED, "博客不存在");
    if (outcome == BLOG_COMMENT_NO_PARENT)
        return req_fail(rq, RES_REFUSED, "回复的评论不存在");
    struct event ev = {.kind = EVENT_COMMENT_POSTED};
    ev.u.comment_posted.commenter = c.user_id;
    ev.u.comment_posted.blog_id = c.blog_id;
    ev.u.comment_posted.author = author;
    ev.u.comment_posted.comment_id = id;
    ev.u.comment_posted.content = c.content;
    event_emit(&rq->cx, &ev);
    struct blog_comment saved;
    int found;
    if ((rc = blog_comment_load(rq, id, &saved, &found)) != RES_OK)
        return rc;
    if (!found)
        return req_fail(rq, RES_REFUSED, "评论不存在");
    return reply_take(rq, blog_comment_json(&saved));
}

/* PUT /comment/like/{id}: toggles the caller's like -> {isLiked}. */
static res_t
blog_http_comment_like(struct req *rq)
{
    int64_t id;
    int delta, found;
    res_t rc;
    if ((rc = req_path_i64(rq, "id", &id)) != RES_OK ||
        (rc = blog_comment_like_toggle(rq, id, rq->user.id, &delta, &found)) !=
            RES_OK)
        return rc;
    if (!found)
        return req_fail(rq, RES_REFUSED, "评论不存在");
    struct json_object *o = reply_obj(rq);
    reply_add_bool(o, "isLiked", delta > 0);
    return reply_ok(rq, o);
}

/* DELETE /comment/{id}: by its writer or the blog's author; a top-level
 * comment takes its replies along. */
static res_t
blog_http_comment_delete(struct req *rq)
{
    int64_t id;
    enum blog_del outcome;
    res_t rc;
    if ((rc = req_path_i64(rq, "id", &id)) != RES_OK ||
        (rc = blog_comment_remove(rq, id, rq->user.id, &outcome)) != RES_OK)
        return rc;
    if (outcome == BLOG_DEL_MISSING)
        return req_fail(rq, RES_REFUSED, "评论不存在");
    if (outcome == BLOG_DEL_NOT_OWNER)
        return req_fail(rq, RES_FORBIDDEN, "无权删除该评论");
    return reply_ok(rq, NULL);
}

const struct route blog_routes[] = {
    {HTTP_POST, "/blog", blog_http_publish, ROUTE_AUTH},
    {HTTP_GET, "/blog/hot", blog_http_hot, ROUTE_AUTH_LATE},
    {HTTP_GET, "/blog/of/me", blog_http_of_me, ROUTE_AUTH},
    {HTTP_GET, "/blog/of/user", blog_http_of_user, 0},
    {HTTP_GET, "/blog/likes/{id}", blog_http_likes, 0},
    {HTTP_PUT, "/blog/like/{id}", blog_http_like, ROUTE_AUTH | ROUTE_AUTH_LATE},
    {HTTP_GET, "/blog/{id}", blog_http_get, ROUTE_AUTH_LATE},
    {HTTP_DELETE, "/blog/{id}", blog_http_delete, ROUTE_AUTH},
    {HTTP_GET, "/comment/hot", blog_http_comment_hot, 0},
    {HTTP_GET, "/comment/{blogId}", blog_http_comment_of_blog, 0},
    {HTTP_POST, "/comment/post", blog_http_comment_post, ROUTE_AUTH},
    {HTTP_PUT, "/comment/like/{id}", blog_http_comment_like, ROUTE_AUTH},
    {HTTP_DELETE, "/comment/{id}", blog_http_comment_delete, ROUTE_AUTH},
    {0, NULL, NULL, 0},
};
