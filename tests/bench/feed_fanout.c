/*
 * feed_fanout.c: measures feed_on_publish for an author with N followers
 * (default 100,000) against a running stack (the environment of its env
 * file: HMDP_REDIS_PORT, HMDP_MYSQL_SOCKET, ...). Linked with the release
 * objects of the app; a struct req with its own arena stands in for a
 * request. Run by tests/bench/feed_fanout.sh.
 *
 * Steps: create the author and N follower rows in bulk (one INSERT ...
 * SELECT over MariaDB's sequence engine), insert a blog, time the fan-out,
 * check that every follower's inbox holds the blog with the right score,
 * time feed_on_delete, then remove everything it created.
 *
 * Usage: feed-fanout-bench [followers]   (exit 0 when every check passed)
 */
#include "../../app/core/arena.h"
#include "../../app/core/cfg.h"
#include "../../app/core/req.h"
#include "../../app/feed/feed.h"
#include "../../app/store/keys.h"
#include "../../app/store/rds.h"
#include "../../app/store/sql.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FAKE_BASE 900000000LL /* follower ids: FAKE_BASE + 1 .. + N */

static double
bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
bench_req(struct req *rq, struct arena *a)
{
    arena_reset(a);
    memset(rq, 0, sizeof(*rq));
    rq->cx.arena = a;
}

static int
bench_ok(struct req *rq, res_t rc, const char *what)
{
    if (rc == RES_OK)
        return 1;
    fprintf(stderr, "%s failed: rc %d: %s\n", what, (int)rc,
            rq->cx.errmsg ? rq->cx.errmsg : "");
    return 0;
}

/* Counts followers whose inbox holds blog with score, pipelined. */
static long
bench_verify(struct req *rq, long n, int64_t blog, int64_t score)
{
    long good = 0;
    for (long from = 1; from <= n; from += 1000) {
        long to = from + 999 < n ? from + 999 : n;
        for (long i = from; i <= to; i++)
            if (rds_append(&rq->cx, "ZSCORE %s %lld",
                           key_feed(rq->cx.arena, FAKE_BASE + i),
                           (long long)blog) != RES_OK)
                return -1;
        for (long i = from; i <= to; i++) {
            redisReply *r;
            if (rds_reply(&rq->cx, &r) != RES_OK)
                return -1;
            if (r->type == REDIS_REPLY_STRING &&
                strtoll(r->str, NULL, 10) == score)
                good++;
        }
    }
    return good;
}

/* Removes the fake inboxes. */
static void
bench_unlink(struct req *rq, long n)
{
    for (long from = 1; from <= n; from += 1000) {
        long to = from + 999 < n ? from + 999 : n;
        for (long i = from; i <= to; i++)
            rds_append(&rq->cx, "UNLINK %s",
                       key_feed(rq->cx.arena, FAKE_BASE + i));
        for (long i = from; i <= to; i++) {
            redisReply *r;
            if (rds_reply(&rq->cx, &r) == RES_DEP_DOWN)
                return;
        }
    }
}

int
main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 100000;
    if (n < 1 || n > 10000000 || cfg_load() < 0)
        return 2;
    struct arena *a = arena_new();
    struct req rq;
    int fails = 0;

    /* setup: author, followers, blog */
    bench_req(&rq, a);
    char phone[16];
    snprintf(phone, sizeof(phone), "199%08ld", (long)(time(NULL) % 100000000));
    if (!bench_ok(&rq,
                  sql_exec(&rq.cx, NULL,
                           "INSERT INTO tb_user (phone, nick_name) VALUES "
                           "(?, 'fanout bench')",
                           "s", phone),
                  "insert author"))
        return 1;
    int64_t author = (int64_t)sql_insert_id();
    double t0 = bench_now();
    if (!bench_ok(&rq,
                  sql_exec(&rq.cx, NULL,
                           "INSERT INTO tb_follow (user_id, follow_user_id) "
                           "SELECT ? + seq, ? FROM seq_1_to_10000000 WHERE "
                           "seq <= ?",
                           "lll", (int64_t)FAKE_BASE, author, (int64_t)n),
                  "insert followers"))
        return 1;
    double t_rows = bench_now() - t0;
    if (!bench_ok(&rq,
                  sql_exec(&rq.cx, NULL,
                           "INSERT INTO tb_blog (shop_id, user_id, title, "
                           "images, content) VALUES (1, ?, 'fanout', '', "
                           "'bench')",
                           "l", author),
                  "insert blog"))
        return 1;
    int64_t blog = (int64_t)sql_insert_id();
    struct sql_rows t;
    if (!bench_ok(&rq,
                  sql_query(&rq.cx, &t,
                            "SELECT UNIX_TIMESTAMP(create_time) FROM tb_blog "
                            "WHERE id = ?",
                            "l", blog),
                  "read blog") ||
        t.nrows != 1)
        return 1;
    int64_t score = sql_i64(&t, 0, 0) * 1000;
    printf("author %lld, %ld follower rows inserted in %.2f s, blog %lld\n",
           (long long)author, n, t_rows, (long long)blog);
    printf("feed_push_threshold %ld, feed_cap %ld\n", g_cfg.feed_push_threshold,
           g_cfg.feed_cap);

    /* the measurement */
    bench_req(&rq, a);
    t0 = bench_now();
    res_t rc = feed_on_publish(&rq.cx, author, blog, score);
    double t_pub = bench_now() - t0;
    if (!bench_ok(&rq, rc, "feed_on_publish"))
        fails++;
    printf("feed_on_publish: %ld inboxes in %.3f s (%.0f inboxes/s)\n", n,
           t_pub, (double)n / t_pub);

    bench_req(&rq, a);
    long good = bench_verify(&rq, n, blog, score);
    printf("verify: %ld of %ld inboxes hold blog %lld with score %lld\n", good,
           n, (long long)blog, (long long)score);
    if (good != n)
        fails++;

    bench_req(&rq, a);
    t0 = bench_now();
    rc = feed_on_delete(&rq.cx, author, blog);
    double t_del = bench_now() - t0;
    if (!bench_ok(&rq, rc, "feed_on_delete"))
        fails++;
    bench_req(&rq, a);
    good = bench_verify(&rq, n, blog, score);
    printf("feed_on_delete: %ld inboxes in %.3f s; %ld still hold it\n", n,
           t_del, good);
    if (good != 0)
        fails++;

    /* clean up */
    bench_req(&rq, a);
    bench_unlink(&rq, n);
    bench_req(&rq, a);
    sql_exec(&rq.cx, NULL, "DELETE FROM tb_follow WHERE follow_user_id = ?",
             "l", author);
    sql_exec(&rq.cx, NULL, "DELETE FROM tb_blog WHERE id = ?", "l", blog);
    sql_exec(&rq.cx, NULL, "DELETE FROM tb_user WHERE id = ?", "l", author);
    arena_reset(a);
    arena_free(a);
    rds_close();
    sql_close();
    cfg_free();
    printf("%s\n", fails ? "FAILED" : "ok");
    return fails ? 1 : 0;
}
