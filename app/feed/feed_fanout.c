/*
 * feed_fanout.c: the push side. On publish the blog id goes into every
 * follower's inbox ZSET `feed:{follower}`. Followers are read from MySQL
 * (the source of truth) FEED_SQL_PAGE at a time along the followee index,
 * and each FEED_BATCH of them is one Redis pipeline: ZADD plus a trim to
 * the newest feed_cap entries per inbox. 100,000 followers cost 10 SQL
 * pages and 100 round trips, not 100,000.
 *
 * Big authors (fans > feed_push_threshold) are not pushed at all: they
 * join KEY_FEED_BIG and their followers pull (feed_data.c). See feed.h
 * for the score and the rule.
 */
#include "feed.h"
#include "feed_private.h"

#include "../core/cfg.h"
#include "../follow/follow.h"
#include "../store/keys.h"
#include "../store/rds.h"
#include "../store/sql.h"

#include <stdio.h>

#define FEED_SQL_PAGE 10000
#define FEED_BATCH    1000

/* Sends the queued commands of one batch and checks every reply. */
static res_t
feed_collect(struct ctx *cx, unsigned queued)
{
    res_t first = RES_OK;
    for (unsigned i = 0; i < queued; i++) {
        redisReply *r;
        res_t rc = rds_reply(cx, &r);
        if (rc == RES_DEP_DOWN)
            return rc;
        if (rc != RES_OK && first == RES_OK)
            first = rc; /* described by rds_reply; the rest stay in step */
    }
    return first;
}

/* For each follower of author: ZADD blog_id with score ms and trim
 * (add = 1), or ZREM blog_id (add = 0). */
static res_t
feed_for_followers(struct ctx *cx, int64_t author, int64_t blog_id, int64_t ms,
                   int add)
{
    int64_t cursor = 0;
    char idbuf[24];
    snprintf(idbuf, sizeof(idbuf), "%lld", (long long)blog_id);
    long keep = g_cfg.feed_cap > 0 ? g_cfg.feed_cap : 1;
    for (;;) {
        int64_t *users;
        unsigned n;
        res_t rc =
            follow_fans_page(cx, author, &cursor, FEED_SQL_PAGE, &users, &n);
        if (rc != RES_OK)
            return rc;
        for (unsigned i = 0; i < n;) {
            unsigned queued = 0;
            for (unsigned j = 0; j < FEED_BATCH && i < n; j++, i++) {
                const char *k = key_feed(cx->arena, users[i]);
                if (add) {
                    if ((rc = rds_append(cx, "ZADD %s %lld %s", k,
                                         (long long)ms, idbuf)) != RES_OK)
                        return rc;
                    queued++;
                    /* newest `keep` survive; a no-op below the cap */
                    if ((rc = rds_append(cx, "ZREMRANGEBYRANK %s 0 %ld", k,
                                         -(keep + 1))) != RES_OK)
                        return rc;
                    queued++;
                } else {
                    if ((rc = rds_append(cx, "ZREM %s %s", k, idbuf)) != RES_OK)
                        return rc;
                    queued++;
                }
            }
            if ((rc = feed_collect(cx, queued)) != RES_OK)
                return rc;
        }
        if (n < FEED_SQL_PAGE)
            return RES_OK;
    }
}

res_t
feed_on_publish(struct ctx *cx, int64_t author, int64_t blog_id,
                int64_t published_ms)
{
    (void)published_ms; /* the row's create_time is the score (feed.h) */
    int64_t score;
    long fans;
    int found;
    res_t rc = feed_blog_meta(cx, author, blog_id, &score, &fans, &found);
    if (rc != RES_OK)
        return rc;
    if (!found)
        return RES_OK;
    if (fans > g_cfg.feed_push_threshold) /* pulled from now on, for good */
        return rds_cmd(cx, NULL, "SADD %s %lld", KEY_FEED_BIG,
                       (long long)author);
    return feed_for_followers(cx, author, blog_id, score, 1);
}

res_t
feed_on_delete(struct ctx *cx, int64_t author, int64_t blog_id)
{
    long fans;
    res_t rc = feed_author_fans(cx, author, &fans);
    if (rc != RES_OK)
        return rc;
    if (fans > g_cfg.feed_push_threshold)
        return RES_OK;
    return feed_for_followers(cx, author, blog_id, 0, 0);
}

res_t
feed_on_blog_published(struct ctx *cx, const struct event *ev)
{
    return feed_on_publish(cx, ev->u.blog_published.author,
                           ev->u.blog_published.blog_id,
                           ev->u.blog_published.published_ms);
}

res_t
feed_on_blog_deleted(struct ctx *cx, const struct event *ev)
{
    return feed_on_delete(cx, ev->u.blog_deleted.author,
                          ev->u.blog_deleted.blog_id);
}
