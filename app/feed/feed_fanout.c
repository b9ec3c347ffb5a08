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
 * for the score and the rule. What readers pull from is the author's
 * outbox feed:outbox:{author}, every blog of theirs by score; each
 * publish and delete applies itself to it here, after the row's commit,
 * and bumps its version (see feed_data.c for why a rebuild needs it).
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

/* KEYS: feed:outbox:{author}, feed:outbox:ver:{author}, KEY_FEED_BIG,
 * KEY_FEED_OUTBOX_SEQ; ARGV: author, sentinel, "1" add / "0" remove, blog
 * id, score, version TTL. For an author readers pull (in KEY_FEED_BIG) or
 * with an outbox left from before: the version and the sequence move
 * (what readers merged from the outboxes is stale now), and a built
 * outbox (one with the sentinel) takes the change. Others are not
 * touched: no reader builds an outbox for an author outside
 * KEY_FEED_BIG, and a build that starts after the author joined reads
 * this blog's committed row. */
static const struct rds_script feed_lua_outbox_apply = {
    "feed_outbox_apply",
    "local built = redis.call('ZSCORE', KEYS[1], ARGV[2])\n"
    "if not built and redis.call('EXISTS', KEYS[1]) == 0 and "
    "redis.call('SISMEMBER', KEYS[3], ARGV[1]) == 0 then\n"
    "  return 0\n"
    "end\n"
    "redis.call('INCR', KEYS[2])\n"
    "redis.call('EXPIRE', KEYS[2], ARGV[6])\n"
    "redis.call('INCR', KEYS[4])\n"
    "if not built then\n"
    "  return 0\n"
    "end\n"
    "if ARGV[3] == '1' then\n"
    "  redis.call('ZADD', KEYS[1], ARGV[5], ARGV[4])\n"
    "else\n"
    "  redis.call('ZREM', KEYS[1], ARGV[4])\n"
    "end\n"
    "return 1\n"};

/* Applies the publish (add = 1, with score) or delete of blog_id to
 * author's outbox. */
static res_t
feed_outbox_apply(struct ctx *cx, int64_t author, int64_t blog_id,
                  int64_t score, int add)
{
    struct arena *a = cx->arena;
    const char *keys[4] = {key_feed_outbox(a, author),
                           key_feed_outbox_ver(a, author), KEY_FEED_BIG,
                           KEY_FEED_OUTBOX_SEQ};
    const char *args[6] = {arena_printf(a, "%lld", (long long)author),
                           KEY_FOLLOWS_SENTINEL,
                           add ? "1" : "0",
                           arena_printf(a, "%lld", (long long)blog_id),
                           arena_printf(a, "%lld", (long long)score),
                           arena_printf(a, "%d", TTL_FEED_OUTBOX_VER)};
    return rds_eval(cx, &feed_lua_outbox_apply, NULL, 4, keys, 6, args);
}

/* KEYS: KEY_FEED_BIG, KEY_FEED_OUTBOX_SEQ; ARGV: author. A new member
 * changes what its followers pull: the sequence moves. */
static const struct rds_script feed_lua_big_join = {
    "feed_big_join", "if redis.call('SADD', KEYS[1], ARGV[1]) == 1 then\n"
                     "  redis.call('INCR', KEYS[2])\n"
                     "end\n"
                     "return 0\n"};

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
    int big = fans > g_cfg.feed_push_threshold;
    /* pulled from now on, for good: the author joins before the outbox
     * is told, so a reader that sees the author builds after this row */
    if (big) {
        const char *keys[2] = {KEY_FEED_BIG, KEY_FEED_OUTBOX_SEQ};
        const char *args[1] = {
            arena_printf(cx->arena, "%lld", (long long)author)};
        if ((rc = rds_eval(cx, &feed_lua_big_join, NULL, 2, keys, 1, args)) !=
            RES_OK)
            return rc;
    }
    if ((rc = feed_outbox_apply(cx, author, blog_id, score, 1)) != RES_OK ||
        big)
        return rc;
    return feed_for_followers(cx, author, blog_id, score, 1);
}

res_t
feed_on_delete(struct ctx *cx, int64_t author, int64_t blog_id)
{
    long fans;
    res_t rc = feed_outbox_apply(cx, author, blog_id, 0, 0);
    if (rc != RES_OK || (rc = feed_author_fans(cx, author, &fans)) != RES_OK)
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
