/*
 * feed_private.h: what the feed's own files share (feed_data.c provides,
 * feed_fanout.c and feed_http.c use).
 */
#ifndef HMDP_FEED_PRIVATE_H
#define HMDP_FEED_PRIVATE_H

#include "feed.h"

#include "../follow/follow.h"

#include <json-c/json.h>

/* Largest cursor: "from the newest" (2^53 - 1, exact as a double score). */
#define FEED_TOP ((int64_t)9007199254740991LL)

/* Score (feed.h) of blog_id if author wrote it (*found), and author's
 * fans count (0 without a tb_user_info row). */
res_t feed_blog_meta(struct ctx *cx, int64_t author, int64_t blog_id,
                     int64_t *score, long *fans, int *found);
res_t feed_author_fans(struct ctx *cx, int64_t author, long *fans);

/* What a feed read starts from (feed_start). */
struct feed_start {
    struct follow_followee *big; /* followees pulled (arena), by id */
    unsigned nbig;
    /* fetched: the first page (the inbox window, or the window of the
     * inbox merged with the pulled outboxes), read with its cards'
     * cached values (NULL = miss) and like flags (only when nbig == 0) */
    int fetched;
    struct feed_entry *inbox;
    const char **frag;
    size_t *flen;
    int *likes;
    size_t ninbox;
    int64_t *pull_ids; /* fetched: the pulled followees (feed_big_load) */
    unsigned npull;
};

/* Authenticates the caller (the session lookup for a ROUTE_AUTH_LATE
 * route, see user_auth_send) and starts the read. In the common case all
 * in one round trip: a script gives the first page (last_id, offset,
 * limit), its cards' cached values and the caller's like flags
 * (st->fetched): the inbox window, or, with pulled followees whose
 * follow times and outboxes are in Redis, the window of the inbox merged
 * with their outboxes. Otherwise the missing sets are rebuilt, the
 * caller's followees in KEY_FEED_BIG come with their follow times from
 * MySQL (st->big, for feed_page) and their outboxes are built for the
 * next read. Without a session, rq->has_user is left unset and nothing
 * else is done. */
res_t feed_start(struct req *rq, int64_t last_id, int64_t offset, size_t limit,
                 struct feed_start *st);

/* After a fetched start: loads st->big (the pulled followees with their
 * follow times, from MySQL), which feed_page needs for a further page
 * of the same read (the first one held only deleted blogs). */
res_t feed_big_load(struct req *rq, int64_t me, struct feed_start *st);

/* feed_blogs_append for the fetched window of st. */
res_t feed_blogs_append_fetched(struct req *rq, const struct feed_start *st,
                                struct json_object *arr, size_t *live);

/* The page for (last_id, offset) of me's feed, in feed ORDER: the inbox
 * alone, or merged with the blogs pulled from the nbig followees in big
 * (from feed_start). *out is an arena array of *n <= limit
 * entries. */
res_t feed_page(struct req *rq, int64_t me, const struct follow_followee *big,
                unsigned nbig, int64_t last_id, int64_t offset, size_t limit,
                struct feed_entry **out, size_t *n);

/* Appends the Blogs of e[0..n-1] that still exist to arr, in that order,
 * with name, icon and isLike (blog_cards_append: one SQL for blogs, one
 * for authors, one Redis pipeline for likes). *live = how many were appended.
 */
res_t feed_blogs_append(struct req *rq, const struct feed_entry *e, size_t n,
                        struct json_object *arr, size_t *live);

#endif
