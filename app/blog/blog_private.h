/*
 * blog_private.h: what blog_http.c needs from blog_data.c.
 */
#ifndef HMDP_BLOG_PRIVATE_H
#define HMDP_BLOG_PRIVATE_H

#include "blog.h"

#include "../core/req.h"

struct blog {
    int64_t id, shop_id, user_id, liked, comments;
    const char *title, *images, *content, *create_time, *update_time;
};

struct blog_comment {
    int64_t id, blog_id, user_id, parent_id, answer_id, liked, status;
    const char *content, *create_time, *update_time;
};

enum blog_list_kind { BLOG_LIST_HOT, BLOG_LIST_USER };

/* ---- blogs ---- */
res_t blog_shop_exists(struct req *rq, int64_t shop_id, int *found);
res_t blog_insert(struct req *rq, const struct blog *b, int64_t *id);
res_t blog_load(struct req *rq, int64_t id, struct blog *b, int *found);
/* A page of blogs: hot (liked DESC, id DESC) or one user's (id DESC). */
res_t blog_list(struct req *rq, enum blog_list_kind kind, int64_t user_id,
                int64_t offset, struct blog **out, unsigned *n);
/* flags[i] = uid likes blogs[i]; one pipeline. All 0 when uid is 0. */
res_t blog_like_flags(struct req *rq, int64_t uid, const struct blog *b,
                      unsigned n, int *flags);
/* Toggles uid's like; *delta = +1 or -1; *found = 0 for no such blog. */
res_t blog_like_toggle(struct req *rq, int64_t id, int64_t uid, int *delta,
                       int *found);
/* The first (at most) 5 likers by like time. */
res_t blog_likers(struct req *rq, int64_t id, int64_t **ids, unsigned *n);

enum blog_del { BLOG_DEL_OK, BLOG_DEL_MISSING, BLOG_DEL_NOT_OWNER };
/* Deletes blog id of uid with its comments, likes, feed entries and
 * uploaded images; *outcome says which. */
res_t blog_remove(struct req *rq, int64_t id, int64_t uid,
                  enum blog_del *outcome);

/* ---- comments ---- */
/* A page of comments: blog_id 0 = hot over all blogs. */
res_t blog_comment_list(struct req *rq, int64_t blog_id, int64_t offset,
                        struct blog_comment **out, unsigned *n);
res_t blog_comment_load(struct req *rq, int64_t id, struct blog_comment *c,
                        int *found);
enum blog_comment_post {
    BLOG_COMMENT_OK,
    BLOG_COMMENT_NO_BLOG,
    BLOG_COMMENT_NO_PARENT
};
res_t blog_comment_insert(struct req *rq, const struct blog_comment *c,
                          int64_t *id, enum blog_comment_post *outcome);
res_t blog_comment_like_toggle(struct req *rq, int64_t id, int64_t uid,
                               int *delta, int *found);
res_t blog_comment_remove(struct req *rq, int64_t id, int64_t uid,
                          enum blog_del *outcome);

#endif
