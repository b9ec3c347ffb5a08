/*
 * blog_private.h: what blog_http.c needs from blog_data.c.
 */
#ifndef HMDP_BLOG_PRIVATE_H
#define HMDP_BLOG_PRIVATE_H

#include "blog.h"

#include "../core/req.h"
#include "../user/user.h"

struct blog {
    int64_t id, shop_id, user_id, liked, comments;
    const char *title, *images, *content, *create_time, *update_time;
};

struct blog_comment {
    int64_t id, blog_id, user_id, parent_id, answer_id, liked, status;
    const char *content, *create_time, *update_time;
};

enum blog_list_kind { BLOG_LIST_HOT, BLOG_LIST_USER };

/* ---- blog_card.c: the Blog JSON shape (API.md §6) ---- */

/* Blog JSON as a new json-c object (caller owns it). author NULL: no
 * name/icon; is_like < 0: no isLike. */
struct json_object *blog_json(const struct blog *b,
                              const struct user_dto *author, int is_like);
/* The cached form of a blog: blog_json(b, author, -1) as the envelope
 * prints it (plain, slashes unescaped) minus the closing brace, so that
 * isLike can be spliced in. Arena string of *len bytes. */
char *blog_frag_render(struct arena *a, const struct blog *b,
                       const struct user_dto *author, size_t *len);
/* A fragment completed with isLike: the same bytes as blog_json(b,
 * author, is_like) serialised. Arena string of *len bytes. */
char *blog_card_text(struct arena *a, const char *frag, size_t n, int is_like,
                     size_t *len);
/* "[" cards "]" of the n fragments that are not NULL, in order. */
char *blog_cards_array(struct arena *a, const char *const *frag,
                       const size_t *flen, const int *likes, unsigned n,
                       size_t *len);

/* The cached form of a hot page (a value of cache:blog:hot): the ids of
 * the blogs whose frag is not NULL, comma-joined, then each of their
 * fragments after a line break (a fragment, being JSON, has none). An
 * empty page is "". Arena string of *len bytes. */
char *blog_page_render(struct arena *a, const int64_t *ids,
                       const char *const *frag, const size_t *flen, unsigned n,
                       size_t *len);
/* Splits a blog_page_render text of len bytes into arena arrays of ids
 * and fragments (pointing into s). Returns the count, or -1 when s is not
 * such a text (an id list without its fragments, say). */
int blog_page_parse(struct arena *a, const char *s, size_t len, int64_t **ids,
                    const char ***frag, size_t **flen);

/* ---- shared by the module's data files ---- */
struct sql_rows;
/* Row r of a SELECT of BLOG_COLS (blog_data.c) into *b. */
void blog_row(const struct sql_rows *t, unsigned r, struct blog *b);
/* blog_cache_invalidate after a committed like or comment: a failure is
 * logged, and the TTLs bound the staleness (blog_cache.c). */
void blog_cache_invalidate_soft(struct req *rq, int64_t id, int hot);
/* The same, fired (rds_eval_fire): the request does not wait for Redis'
 * fsync of it. It travels with the request's next Redis command; a
 * request that has none sends it with rds_flush before it replies, so the
 * client's next read cannot overtake it. A failure is logged. */
void blog_cache_invalidate_fire(struct req *rq, int64_t id, int hot);

/* ---- blogs ---- */
res_t blog_insert(struct req *rq, const struct blog *b, int64_t *id);
/* The cached fragments (blog_frag_render) of the blogs ids[0..n) and
 * uid's isLike flags, as arena arrays of n: (*frag)[i] NULL when blog
 * ids[i] does not exist. Warm, one Redis round trip (fragments and
 * ZSCOREs); misses cost a second one (their versions), one MySQL query
 * (blogs joined with their authors) and the write-back. Fragments may
 * point into Redis replies: they live as long as rq. */
res_t blog_frags_load(struct req *rq, const int64_t *ids, unsigned n,
                      int64_t uid, const char ***frag, size_t **flen,
                      int **likes);
/* blog_frags_load in two halves, so that the commands can travel with
 * the session lookup of a ROUTE_AUTH_LATE route: blog_frags_send queues
 * them, with the ZSCOREs of sent_uid (0: none; a guess, say
 * user_auth_guess), and blog_frags_recv reads their replies, after the
 * replies queued before them, and completes the fragments for uid, the
 * caller as the lookup found it: when that is not sent_uid, the likes
 * sent are dropped and uid's read in a second round trip. The same ids
 * and n for both. */
res_t blog_frags_send(struct req *rq, const int64_t *ids, unsigned n,
                      int64_t sent_uid);
res_t blog_frags_recv(struct req *rq, const int64_t *ids, unsigned n,
                      int64_t sent_uid, int64_t uid, const char ***frag,
                      size_t **flen, int **likes);
/* The second half of blog_frags_load, for fragments fetched elsewhere
 * (frag[i] NULL or not a fragment = a miss): the misses are loaded from
 * MySQL and written back; frag[i] stays NULL for blogs that do not
 * exist. */
res_t blog_frags_complete(struct req *rq, const int64_t *ids, unsigned n,
                          const char **frag, size_t *flen);
/* Hot page `current` (liked DESC, id DESC) as *n fragments with the
 * caller's isLike flags (arena arrays), through the cache:blog:hot hash,
 * which holds each page rendered (blog_page_render), and the worker's
 * copy of it. For a ROUTE_AUTH_LATE route: the session is looked up here
 * (user_auth_send/recv), in the same round trip as the script. Warm: one
 * Redis round trip in all, no MySQL, and the page text crosses only when
 * the worker's copy is stale. */
res_t blog_hot_page(struct req *rq, int64_t current, const char ***frag,
                    size_t **flen, int **likes, unsigned *n);
/* After a committed write: drops blog id's cached fragment (id > 0) and,
 * when hot is set, the hot pages, bumping their versions. RES_DEP_DOWN /
 * RES_INTERNAL (described) when Redis failed. */
res_t blog_cache_invalidate(struct req *rq, int64_t id, int hot);
/* A page of blogs: hot (liked DESC, id DESC) or one user's (id DESC). */
res_t blog_list(struct req *rq, enum blog_list_kind kind, int64_t user_id,
                int64_t offset, struct blog **out, unsigned *n);
/* Toggles the caller's like of blog id. For a ROUTE_AUTH_LATE route: the
 * session is looked up here, with the blog's cached author (one round
 * trip), and RES_UNAUTH (described) when there is none. *delta = +1 or
 * -1; *found = 0 for no such blog, else *author is the blog's author. A
 * like (+1) is announced (EVENT_BLOG_LIKED) once committed; everything
 * the toggle wrote to Redis has been sent when it returns. */
res_t blog_like_toggle(struct req *rq, int64_t id, int *delta, int *found,
                       int64_t *author);
/* The first (at most) 5 likers by like time, with the values of their
 * cache:user keys (frag[i] NULL when missing), in one round trip. */
res_t blog_likers(struct req *rq, int64_t id, int64_t **ids, const char ***frag,
                  size_t **flen, unsigned *n);

enum blog_del { BLOG_DEL_OK, BLOG_DEL_MISSING, BLOG_DEL_NOT_OWNER };
/* Deletes blog id of uid with its comments, likes and uploaded images,
 * then emits EVENT_BLOG_DELETED (the feed drops it from the inboxes);
 * *outcome says which. */
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
/* Writes comment c; *id the new comment, *author the blog's author. */
res_t blog_comment_insert(struct req *rq, const struct blog_comment *c,
                          int64_t *id, int64_t *author,
                          enum blog_comment_post *outcome);
res_t blog_comment_like_toggle(struct req *rq, int64_t id, int64_t uid,
                               int *delta, int *found);
res_t blog_comment_remove(struct req *rq, int64_t id, int64_t uid,
                          enum blog_del *outcome);

#endif
