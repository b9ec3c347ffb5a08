/*
 * feed_fanout.c: push model. On publish the blog id goes into every
 * follower's inbox ZSET `feed:{follower}`; followers are read from MySQL
 * (the source of truth) in pages, and each page is one Redis pipeline.
 * Each inbox is trimmed to the newest feed_cap entries as it grows.
 */
#include "feed.h"

#include "../core/cfg.h"
#include "../store/keys.h"
#include "../store/rds.h"
#include "../store/sql.h"

#define FEED_BATCH 1000

/* Runs fn over author's followers, FEED_BATCH at a time, pipelining the
 * commands each call queues. */
static res_t
feed_for_followers(struct req *rq, int64_t author, int64_t blog_id,
                   int64_t ms, int add)
{
    int64_t after = 0;
    for (;;) {
        struct sql_rows t;
        res_t rc = sql_query(rq, &t,
                             "SELECT user_id FROM tb_follow WHERE "
                             "follow_user_id = ? AND user_id > ? ORDER BY "
                             "user_id LIMIT 1000",
                             "ll", author, after);
        if (rc != RES_OK)
            return rc;
        if (t.nrows == 0)
            return RES_OK;
        unsigned queued = 0;
        for (unsigned i = 0; i < t.nrows; i++) {
            const char *k = key_feed(rq->arena, sql_i64(&t, i, 0));
            if (add) {
                rc = rds_append(rq, "ZADD %s %lld %lld", k, (long long)ms,
                                (long long)blog_id);
                if (rc == RES_OK) {
                    queued++;
                    rc = rds_append(rq, "ZREMRANGEBYRANK %s 0 %ld", k,
                                    -(g_cfg.feed_cap + 1));
                }
            } else {
                rc = rds_append(rq, "ZREM %s %lld", k, (long long)blog_id);
            }
            if (rc != RES_OK)
                return rc;
            queued++;
        }
        for (unsigned i = 0; i < queued; i++) {
            redisReply *r;
            rc = rds_reply(rq, &r);
            if (rc == RES_DEP_DOWN)
                return rc;
            if (rc != RES_OK)
                return req_fail(rq, rc, "feed fan-out: %s",
                                r && r->str ? r->str : "redis error");
        }
        after = sql_i64(&t, t.nrows - 1, 0);
        if (t.nrows < FEED_BATCH)
            return RES_OK;
    }
}

res_t
feed_on_publish(struct req *rq, int64_t author, int64_t blog_id,
                int64_t published_ms)
{
    return feed_for_followers(rq, author, blog_id, published_ms, 1);
}

res_t
feed_on_delete(struct req *rq, int64_t author, int64_t blog_id)
{
    return feed_for_followers(rq, author, blog_id, 0, 0);
}
