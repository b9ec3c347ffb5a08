/*
 * test_blog.c: blogs, likes and comments through nginx: publishing with
 * validation and escaping, reading (seed data, authors, isLike), paging,
 * like toggles under concurrency, the top-5 likers, deletion (ownership,
 * everything that hangs on a blog, resuming a failed sweep) and comments.
 */
#include "h.h"

#include <curl/curl.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static struct json_object *
jget(struct json_object *o, const char *k)
{
    struct json_object *v = NULL;
    if (o && json_object_object_get_ex(o, k, &v))
        return v;
    return NULL;
}

static int64_t
jint(struct json_object *o, const char *k)
{
    struct json_object *v = jget(o, k);
    return v ? json_object_get_int64(v) : -1;
}

static const char *
jstr(struct json_object *o, const char *k)
{
    struct json_object *v = jget(o, k);
    return v && json_object_is_type(v, json_type_string)
               ? json_object_get_string(v)
               : NULL;
}

static int
jbool(struct json_object *o, const char *k)
{
    struct json_object *v = jget(o, k);
    if (v == NULL || !json_object_is_type(v, json_type_boolean))
        return -1;
    return json_object_get_boolean(v);
}

/* Publishes a blog of tok on shop 1; returns its id or -1. */
static int64_t
mk_blog(const char *tok, const char *title, const char *images)
{
    char body[1024];
    snprintf(body, sizeof(body),
             "{\"title\":\"%s\",\"content\":\"c\",\"images\":\"%s\","
             "\"shopId\":1}",
             title, images);
    struct resp r;
    if (h_post_json("/blog", tok, body, &r) != 0)
        return -1;
    int64_t id = -1;
    if (r.status == 200 && h_success(&r) && h_data(&r))
        id = json_object_get_int64(h_data(&r));
    else
        printf("  mk_blog: %ld %s\n", r.status, r.body);
    h_free(&r);
    return id;
}

static void
test_seed_blogs_authors(void)
{
    struct {
        int id;
        int uid;
        const char *name;
    } seed[] = {{4, 2, "可可今天不吃肉"},
                {5, 2, "可可今天不吃肉"},
                {6, 1, "小鱼同学"},
                {7, 1, "小鱼同学"}};
    for (int i = 0; i < 4; i++) {
        char p[64];
        snprintf(p, sizeof(p), "/blog/%d", seed[i].id);
        struct resp r;
        CHECK(h_get(p, NULL, &r) == 0);
        CHECK(r.status == 200 && h_success(&r));
        struct json_object *d = h_data(&r);
        CHECK(jint(d, "id") == seed[i].id);
        CHECK(jint(d, "userId") == seed[i].uid);
        CHECK_STR(jstr(d, "name"), seed[i].name);
        CHECK(jstr(d, "icon") != NULL);
        CHECK(jbool(d, "isLike") == 0); /* anonymous */
        CHECK(jstr(d, "images") &&
              strncmp(jstr(d, "images"), "/imgs/blogs/", 12) == 0);
        CHECK(jint(d, "shopId") > 0);
        CHECK(jstr(d, "content") != NULL);
        const char *ct = jstr(d, "createTime");
        CHECK(ct && strlen(ct) == 19 && ct[10] == 'T');
        h_free(&r);
    }
    struct resp r;
    CHECK(h_get("/blog/4", NULL, &r) == 0);
    CHECK_STR(jstr(h_data(&r), "createTime"), "2021-12-28T19:50:01");
    h_free(&r);
}

static void
test_publish_and_read(void)
{
    int64_t me;
    char *tok = h_login(&me);
    CHECK(tok != NULL);
    struct resp r;
    const char *body =
        "{\"title\":\"<script>alert(1)</script>T\",\"content\":\"a\\nb&c\","
        "\"images\":\"/imgs/blogs/blog1.jpg\",\"shopId\":2,\"id\":1,"
        "\"userId\":1,\"liked\":999,\"comments\":77,"
        "\"createTime\":\"2000-01-01T00:00:00\"}";
    CHECK(h_post_json("/blog", tok, body, &r) == 0);
    CHECK(r.status == 200 && h_success(&r));
    int64_t id = h_data(&r) ? json_object_get_int64(h_data(&r)) : 0;
    CHECK(id > 7);
    h_free(&r);

    char p[64];
    snprintf(p, sizeof(p), "/blog/%lld", (long long)id);
    CHECK(h_get(p, tok, &r) == 0);
    struct json_object *d = h_data(&r);
    CHECK(h_success(&r));
    CHECK(jint(d, "id") == id);
    CHECK(jint(d, "userId") == me);
    CHECK(jint(d, "shopId") == 2);
    CHECK(jint(d, "liked") == 0);
    CHECK(jint(d, "comments") == 0);
    CHECK_STR(jstr(d, "title"), "&lt;script&gt;alert(1)&lt;/script&gt;T");
    CHECK_STR(jstr(d, "content"), "a<br/>b&amp;c");
    CHECK_STR(jstr(d, "images"), "/imgs/blogs/blog1.jpg");
    CHECK(jbool(d, "isLike") == 0);
    CHECK(jstr(d, "name") && strncmp(jstr(d, "name"), "user_", 5) == 0);
    CHECK(jstr(d, "createTime") && strncmp(jstr(d, "createTime"), "2000", 4));
    h_free(&r);
    CHECK(h_sql_int("SELECT user_id FROM tb_blog WHERE id = %lld",
                    (long long)id) == me);
    free(tok);
}

static void
expect_status(const char *tok, const char *body, long status, int success)
{
    struct resp r;
    CHECK(h_post_json("/blog", tok, body, &r) == 0);
    if (r.status != status || h_success(&r) != success)
        printf("  body %s -> %ld %s\n", body, r.status, r.body);
    CHECK(r.status == status);
    CHECK(h_success(&r) == success);
    CHECK(r.json != NULL);
    h_free(&r);
}

static void
test_publish_validation(void)
{
    char *tok = h_login(NULL);
    long long before = h_sql_int("SELECT COUNT(*) FROM tb_blog");
    expect_status(NULL, "{\"title\":\"t\",\"shopId\":1}", 401, 0);
    expect_status(tok, "{\"shopId\":1}", 400, 0);
    expect_status(tok, "{\"title\":\"  \",\"shopId\":1}", 400, 0);
    expect_status(tok, "{\"title\":\"t\"}", 400, 0);
    expect_status(tok, "{\"title\":\"t\",\"shopId\":0}", 400, 0);
    expect_status(tok, "{\"title\":1,\"shopId\":1}", 400, 0);
    expect_status(tok, "not json", 400, 0);
    expect_status(tok, "[1]", 400, 0);
    expect_status(tok,
                  "{\"title\":\"t\",\"shopId\":1,\"images\":"
                  "\"/imgs/blogs/../../etc/passwd\"}",
                  400, 0);
    expect_status(tok,
                  "{\"title\":\"t\",\"shopId\":1,\"images\":"
                  "\"http://x/imgs/blogs/a.jpg\"}",
                  400, 0);
    char body[2048];
    strcpy(body, "{\"title\":\"t\",\"shopId\":1,\"images\":\"");
    for (int i = 0; i < 10; i++)
        sprintf(body + strlen(body), "%s/imgs/blogs/%d.jpg", i ? "," : "", i);
    strcat(body, "\"}");
    expect_status(tok, body, 400, 0);
    /* 255 '&' is within the input limit but not once escaped */
    strcpy(body, "{\"shopId\":1,\"title\":\"");
    memset(body + strlen(body), '&', 255);
    body[21 + 255] = '\0';
    strcat(body, "\"}");
    expect_status(tok, body, 400, 0);
    /* unknown shop: a business outcome */
    struct resp r;
    CHECK(h_post_json("/blog", tok, "{\"title\":\"t\",\"shopId\":999999999}",
                      &r) == 0);
    CHECK(r.status == 200 && !h_success(&r));
    CHECK_STR(h_errmsg(&r), "店铺不存在");
    h_free(&r);
    CHECK(h_sql_int("SELECT COUNT(*) FROM tb_blog") == before);
    free(tok);
}

static void
test_get_missing_and_bad_ids(void)
{
    struct resp r;
    CHECK(h_get("/blog/999999999", NULL, &r) == 0);
    CHECK(r.status == 200 && !h_success(&r));
    CHECK_STR(h_errmsg(&r), "博客不存在");
    h_free(&r);
    const char *bad[] = {"/blog/0", "/blog/-1", "/blog/abc",
                         "/blog/99999999999999999999", "/blog/1e3"};
    for (int i = 0; i < 5; i++) {
        CHECK(h_get(bad[i], NULL, &r) == 0);
        CHECK(r.status == 400 && !h_success(&r));
        h_free(&r);
    }
}

static int64_t
blog_liked(int64_t id)
{
    return h_sql_int("SELECT liked FROM tb_blog WHERE id = %lld",
                     (long long)id);
}

static void
test_like_toggle(void)
{
    int64_t me;
    char *tok = h_login(&me);
    int64_t id = mk_blog(tok, "like me", "");
    char p[64], dp[64];
    snprintf(p, sizeof(p), "/blog/like/%lld", (long long)id);
    snprintf(dp, sizeof(dp), "/blog/%lld", (long long)id);
    struct resp r;
    CHECK(h_put(p, NULL, NULL, &r) == 0);
    CHECK(r.status == 401);
    h_free(&r);

    CHECK(h_put(p, tok, NULL, &r) == 0);
    CHECK(r.status == 200 && h_success(&r));
    h_free(&r);
    CHECK(blog_liked(id) == 1);
    CHECK(h_redis_int("ZCARD blog:liked:%lld", (long long)id) == 1);
    /* the author (me) is cached for the next likes, with a TTL */
    CHECK(h_redis_int("GET blog:owner:%lld", (long long)id) == me);
    CHECK(h_redis_int("TTL blog:owner:%lld", (long long)id) > 0);
    int64_t score = h_redis_int("ZSCORE blog:liked:%lld %lld", (long long)id,
                                (long long)me);
    CHECK(score > h_now_ms() - 60000 && score <= h_now_ms() + 1000);
    CHECK(h_get(dp, tok, &r) == 0);
    CHECK(jbool(h_data(&r), "isLike") == 1);
    CHECK(jint(h_data(&r), "liked") == 1);
    h_free(&r);
    CHECK(h_get(dp, NULL, &r) == 0);
    CHECK(jbool(h_data(&r), "isLike") == 0);
    h_free(&r);

    CHECK(h_put(p, tok, NULL, &r) == 0);
    CHECK(h_success(&r));
    h_free(&r);
    CHECK(blog_liked(id) == 0);
    CHECK(h_redis_int("ZCARD blog:liked:%lld", (long long)id) == 0);
    CHECK(h_get(dp, tok, &r) == 0);
    CHECK(jbool(h_data(&r), "isLike") == 0);
    h_free(&r);

    CHECK(h_put("/blog/like/999999999", tok, NULL, &r) == 0);
    CHECK(r.status == 200 && !h_success(&r));
    CHECK_STR(h_errmsg(&r), "博客不存在");
    h_free(&r);
    CHECK(h_redis_int("EXISTS blog:liked:999999999") == 0);
    CHECK(h_put("/blog/like/0", tok, NULL, &r) == 0);
    CHECK(r.status == 400);
    h_free(&r);
    /* ROUTE_AUTH_LATE: without a session 401 still comes before 400 */
    CHECK(h_put("/blog/like/0", NULL, NULL, &r) == 0);
    CHECK(r.status == 401);
    h_free(&r);
    CHECK(h_put("/blog/like/abc", "0123456789abcdef0123456789abcdef", NULL,
                &r) == 0);
    CHECK(r.status == 401);
    h_free(&r);
    /* a cached author of a row that is not there (a delete whose sweep has
     * not run yet): the UPDATE finds no row, the toggle is undone */
    redisReply *x =
        redisCommand(h_redis(), "SET blog:owner:999999998 %lld", (long long)me);
    CHECK(x && x->type == REDIS_REPLY_STATUS);
    if (x)
        freeReplyObject(x);
    CHECK(h_put("/blog/like/999999998", tok, NULL, &r) == 0);
    CHECK(r.status == 200 && !h_success(&r));
    CHECK_STR(h_errmsg(&r), "博客不存在");
    h_free(&r);
    CHECK(h_redis_int("EXISTS blog:liked:999999998") == 0);
    CHECK(h_redis_int("ZSCORE blog:liking:999999998 %lld", (long long)me) < 0);
    free(tok);
}

/* n children each PUT path with their token; returns how many failed. */
static int
run_parallel(int n, char **toks, const char *path)
{
    pid_t *pids = calloc((size_t)n, sizeof(*pids));
    for (int i = 0; i < n; i++) {
        pids[i] = fork();
        if (pids[i] == 0) {
            h_init();
            struct resp r;
            int ok = h_put(path, toks[i], NULL, &r) == 0 && r.status == 200 &&
                     h_success(&r);
            _exit(ok ? 0 : 1);
        }
    }
    int failed = 0;
    for (int i = 0; i < n; i++) {
        int st = 0;
        if (pids[i] < 0 || waitpid(pids[i], &st, 0) < 0 || !WIFEXITED(st) ||
            WEXITSTATUS(st) != 0)
            failed++;
    }
    free(pids);
    return failed;
}

/* 1 once blog id has no pending mark of uid (waits up to 2 s: the mark's
 * DEL is sent before the answer, on another connection than ours). */
static int
like_mark_gone(int64_t id, int64_t uid)
{
    for (int i = 0; i < 40; i++) {
        if (h_redis_int("ZSCORE blog:liking:%lld %lld", (long long)id,
                        (long long)uid) < 0)
            return 1;
        h_sleep_ms(50);
    }
    return 0;
}

static void
test_like_concurrent_same_user(void)
{
    int64_t uid;
    char *tok = h_login(&uid);
    int64_t id = mk_blog(tok, "race", "");
    char p[64];
    snprintf(p, sizeof(p), "/blog/like/%lld", (long long)id);
    char *toks[51];
    for (int i = 0; i < 51; i++)
        toks[i] = tok;
    /* 50 toggles: however they interleave, they cancel out */
    CHECK(run_parallel(50, toks, p) == 0);
    long long card = h_redis_int("ZCARD blog:liked:%lld", (long long)id);
    CHECK(card == 0);
    CHECK(blog_liked(id) == card);
    /* 51 toggles: one like remains */
    CHECK(run_parallel(51, toks, p) == 0);
    card = h_redis_int("ZCARD blog:liked:%lld", (long long)id);
    CHECK(card == 1);
    CHECK(blog_liked(id) == card);
    /* each toggle's pending mark went with it */
    CHECK(like_mark_gone(id, uid));
    free(tok);
}

/* The same user's toggles of one blog reach MySQL in the order Redis
 * decided them: a toggle whose user has one pending (its mark) waits for
 * it. A mark that stays (a worker killed between the script and the
 * UPDATE) ends the wait in a conflict that changed nothing. */
static void
test_like_pending_mark(void)
{
    int64_t uid;
    char *tok = h_login(&uid);
    int64_t id = mk_blog(tok, "pending", "");
    char p[64];
    snprintf(p, sizeof(p), "/blog/like/%lld", (long long)id);
    /* a toggle of uid pending for 400 ms more, then lost: the like
     * waits for the deadline, reconciles the count (the ZSET is empty,
     * the count 0) and goes through */
    CHECK(h_redis_int("ZADD blog:liking:%lld %lld %lld", (long long)id,
                      (long long)(h_now_ms() + 400), (long long)uid) == 1);
    int64_t t0 = h_now_ms();
    struct resp r;
    CHECK(h_put(p, tok, NULL, &r) == 0 && r.status == 200 && h_success(&r));
    h_free(&r);
    CHECK(h_now_ms() - t0 >= 300); /* decided once the mark was gone */
    CHECK(h_redis_int("ZCARD blog:liked:%lld", (long long)id) == 1);
    CHECK(blog_liked(id) == 1);
    CHECK(like_mark_gone(id, uid));

    CHECK(h_redis_int("ZADD blog:liking:%lld %lld %lld", (long long)id,
                      (long long)(h_now_ms() + 20000), (long long)uid) == 1);
    t0 = h_now_ms();
    CHECK(h_put(p, tok, NULL, &r) == 0 && r.status == 200 && !h_success(&r));
    CHECK_STR(h_errmsg(&r), "操作冲突，请稍后重试");
    h_free(&r);
    CHECK(h_now_ms() - t0 >= 2500);
    CHECK(h_redis_int("ZCARD blog:liked:%lld", (long long)id) == 1);
    CHECK(blog_liked(id) == 1);
    /* the mark gone, the unlike goes through */
    CHECK(h_redis_int("ZREM blog:liking:%lld %lld", (long long)id,
                      (long long)uid) == 1);
    CHECK(h_put(p, tok, NULL, &r) == 0 && h_success(&r));
    h_free(&r);
    CHECK(h_redis_int("ZCARD blog:liked:%lld", (long long)id) == 0);
    CHECK(blog_liked(id) == 0);
    CHECK(like_mark_gone(id, uid));
    free(tok);
}

/* A lost toggle (its worker killed between the script and the UPDATE)
 * left a liker in the ZSET that the count lacks, and its mark past the
 * deadline. A like of another blog sweeps like:pending and reconciles the
 * count to the ZSET; the next toggle of the item itself does that first. */
static void
test_like_lost_toggle(void)
{
    int64_t a, b, c;
    char *ta = h_login(&a), *tb = h_login(&b), *tc = h_login(&c);
    int64_t id = mk_blog(ta, "lost", ""), other = mk_blog(ta, "other", "");
    char p[64], po[64];
    snprintf(p, sizeof(p), "/blog/like/%lld", (long long)id);
    snprintf(po, sizeof(po), "/blog/like/%lld", (long long)other);
    struct resp r;
    CHECK(h_put(p, tb, NULL, &r) == 0 && h_success(&r));
    h_free(&r);
    CHECK(blog_liked(id) == 1);
    CHECK(like_mark_gone(id, b));
    /* the phantom: c's like in the ZSET, its mark lost 1 s ago */
    int64_t now = h_now_ms();
    CHECK(h_redis_int("ZADD blog:liked:%lld %lld %lld", (long long)id,
                      (long long)now - 2000, (long long)c) == 1);
    CHECK(h_redis_int("ZADD blog:liking:%lld %lld %lld", (long long)id,
                      (long long)now - 1000, (long long)c) == 1);
    CHECK(h_redis_int("ZADD like:pending %lld b:%lld", (long long)now - 1000,
                      (long long)id) >= 0);
    CHECK(blog_liked(id) == 1);
    /* likes of another blog sweep it (a few items per like, oldest
     * first: other tests' may come before it) */
    int tries = 0;
    while (blog_liked(id) != 2 && tries++ < 20) {
        CHECK(h_put(po, tb, NULL, &r) == 0 && h_success(&r));
        h_free(&r);
    }
    CHECK(blog_liked(id) == 2);
    CHECK(h_redis_int("ZCARD blog:liking:%lld", (long long)id) == 0);
    /* the detail shows the reconciled count; c's click is an unlike */
    char pd[64];
    snprintf(pd, sizeof(pd), "/blog/%lld", (long long)id);
    CHECK(h_get(pd, tc, &r) == 0 && h_success(&r) &&
          h_jint(h_data(&r), "liked") == 2);
    h_free(&r);
    CHECK(h_put(p, tc, NULL, &r) == 0 && h_success(&r));
    h_free(&r);
    CHECK(blog_liked(id) == 1);
    CHECK(h_redis_int("ZCARD blog:liked:%lld", (long long)id) == 1);

    /* lost again, now on the item itself: its next toggle reconciles
     * first (no 3 s wait for a mark that will never clear) */
    now = h_now_ms();
    CHECK(h_redis_int("ZADD blog:liked:%lld %lld %lld", (long long)id,
                      (long long)now - 2000, (long long)c) == 1);
    CHECK(h_redis_int("ZADD blog:liking:%lld %lld %lld", (long long)id,
                      (long long)now - 1, (long long)c) == 1);
    int64_t t0 = h_now_ms();
    CHECK(h_put(p, tc, NULL, &r) == 0 && h_success(&r)); /* c unlikes */
    h_free(&r);
    CHECK(h_now_ms() - t0 < 2000);
    CHECK(h_redis_int("ZCARD blog:liked:%lld", (long long)id) == 1);
    CHECK(blog_liked(id) == 1);
    CHECK(like_mark_gone(id, c));
    free(ta);
    free(tb);
    free(tc);
}

/* Sum of the store round trips per request so far, as /metrics says:
 * *redis and *sql. */
static void
rt_sums(double *redis, double *sql)
{
    char url[512], *body = NULL;
    size_t len = 0;
    struct h_sink b = {&body, &len};
    snprintf(url, sizeof(url), "%s/metrics", h_env("HMDP_URL"));
    CURL *c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, h_curl_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
    CHECK(curl_easy_perform(c) == CURLE_OK);
    curl_easy_cleanup(c);
    *redis = *sql = -1;
    const char *pre = "hmdp_store_round_trips_per_request_sum{store=\"";
    for (const char *q = body; q && *q;) {
        if (strncmp(q, pre, strlen(pre)) == 0) {
            const char *v = strchr(q, ' ');
            if (v && strncmp(q + strlen(pre), "redis", 5) == 0)
                *redis = strtod(v + 1, NULL);
            if (v && strncmp(q + strlen(pre), "mysql", 5) == 0)
                *sql = strtod(v + 1, NULL);
        }
        q = strchr(q, '\n');
        if (q)
            q++;
    }
    free(body);
    CHECK(*redis >= 0 && *sql >= 0);
}

/* A warm like costs one Redis round trip (the toggle script checks the
 * session the worker saw the token open, with the notice riding along)
 * and one MySQL one (the count), an unlike the same: no lock, no
 * separate session, notice or cache round trip. A worker's first like of
 * a blog reads its author (a SELECT, no commit): at most one MySQL round
 * trip more. */
static void
test_like_round_trips(void)
{
    enum { N = 12 };
    char *author = h_login(NULL), *fan = h_login(NULL);
    int64_t ids[N];
    char p[64];
    for (int i = 0; i < N; i++)
        ids[i] = mk_blog(author, "round trips", "");
    /* every worker that serves the likes below has looked the token up */
    for (int i = 0; i < 8 * N; i++) {
        struct resp r;
        CHECK(h_get("/user/me", fan, &r) == 0 && h_success(&r));
        h_free(&r);
    }
    /* the fan's userdto gets cached, the workers load their scripts */
    for (int i = 0; i < N; i++) {
        snprintf(p, sizeof(p), "/blog/like/%lld", (long long)ids[i]);
        struct resp r;
        CHECK(h_put(p, fan, NULL, &r) == 0 && h_success(&r));
        h_free(&r);
        CHECK(h_put(p, fan, NULL, &r) == 0 && h_success(&r));
        h_free(&r);
    }
    /* a scrape's own round trips show in the next one: measured twice */
    double r0, s0, r1, s1, r2, s2, r3, s3;
    rt_sums(&r0, &s0);
    rt_sums(&r1, &s1);
    /* N likes again, then N unlikes (the 24 h rule lets no second notice
     * out, but its script still rides along) */
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < N; i++) {
            snprintf(p, sizeof(p), "/blog/like/%lld", (long long)ids[i]);
            struct resp r;
            CHECK(h_put(p, fan, NULL, &r) == 0 && h_success(&r));
            h_free(&r);
        }
    rt_sums(&r2, &s2);
    rt_sums(&r3, &s3);
    double scrape_r = (r1 - r0) > (r3 - r2) ? r1 - r0 : r3 - r2;
    double scrape_s = (s1 - s0) > (s3 - s2) ? s1 - s0 : s3 - s2;
    double per_r = (r2 - r1 - scrape_r) / (2 * N);
    double per_s = (s2 - s1 - scrape_s) / (2 * N);
    printf("  per toggle: %.2f Redis, %.2f MySQL round trips\n", per_r, per_s);
    CHECK(per_r >= 0.75 && per_r <= 1.25);
    CHECK(per_s >= 0.75 && per_s <= 2.05);
    free(author);
    free(fan);
}

/* A like on a guessed session (the worker's last lookup of the token) is
 * decided only once Redis confirms the guess: a session ended since is a
 * 401 that likes nothing, a token that now opens another user's session
 * likes as that user, a deleted blog is not found, and a session near
 * its end slides as on any other request. */
static void
test_like_stale_guess(void)
{
    enum { N = 16 };
    int64_t a, b;
    char *ta = h_login(&a), *tb = h_login(&b);
    int64_t id = mk_blog(tb, "guess", "");
    char p[64];
    snprintf(p, sizeof(p), "/blog/like/%lld", (long long)id);
    struct resp r;
    /* every worker learns ta -> a, then likes on it once (the fast path:
     * the workers know the blog's author too) */
    for (int i = 0; i < N; i++) {
        CHECK(h_get("/user/me", ta, &r) == 0 && h_success(&r));
        h_free(&r);
    }
    for (int i = 0; i < 2 * N; i++) {
        CHECK(h_put(p, ta, NULL, &r) == 0 && r.status == 200 && h_success(&r));
        h_free(&r);
    }
    CHECK(h_redis_int("ZCARD blog:liked:%lld", (long long)id) == 0);
    CHECK(blog_liked(id) == 0);

    /* a session at the end of its lazy slide is slid by a like */
    CHECK(h_redis_int("EXPIRE login:token:%s 60", ta) == 1);
    CHECK(h_put(p, ta, NULL, &r) == 0 && h_success(&r));
    h_free(&r);
    CHECK(h_redis_int("TTL login:token:%s", ta) > 1800);
    CHECK(h_put(p, ta, NULL, &r) == 0 && h_success(&r)); /* unlike */
    h_free(&r);

    /* the token now opens b's session (a token names one user for its
     * life; Redis is rewritten here to see the check bite) */
    CHECK(h_redis_int("HSET login:token:%s id %lld", ta, (long long)b) == 0);
    CHECK(h_put(p, ta, NULL, &r) == 0 && r.status == 200 && h_success(&r));
    h_free(&r);
    CHECK(h_redis_int("ZSCORE blog:liked:%lld %lld", (long long)id,
                      (long long)a) < 0); /* nil */
    CHECK(h_redis_int("ZCARD blog:liked:%lld", (long long)id) == 1);
    CHECK(h_redis_int("ZSCORE blog:liked:%lld %lld", (long long)id,
                      (long long)b) > 0);
    CHECK(blog_liked(id) == 1);
    CHECK(h_redis_int("HSET login:token:%s id %lld", ta, (long long)a) == 0);
    for (int i = 0; i < N; i++) { /* the workers learn ta -> a again */
        CHECK(h_get("/user/me", ta, &r) == 0 && h_success(&r));
        h_free(&r);
    }

    /* the session ends; the workers still hold the guess */
    CHECK(h_redis_int("DEL login:token:%s", ta) == 1);
    for (int i = 0; i < N; i++) {
        CHECK(h_put(p, ta, NULL, &r) == 0 && r.status == 401);
        h_free(&r);
    }
    CHECK(h_redis_int("ZCARD blog:liked:%lld", (long long)id) == 1);
    CHECK(blog_liked(id) == 1);
    CHECK(like_mark_gone(id, a));

    /* the blog is deleted: the workers know its author, the cache says
     * it is gone */
    char pd[64];
    snprintf(pd, sizeof(pd), "/blog/%lld", (long long)id);
    CHECK(h_http("DELETE", pd, tb, NULL, NULL, NULL, 0, &r) == 0);
    CHECK(r.status == 200 && h_success(&r));
    h_free(&r);
    for (int i = 0; i < N; i++) {
        CHECK(h_put(p, tb, NULL, &r) == 0 && r.status == 200 && !h_success(&r));
        CHECK_STR(h_errmsg(&r), "博客不存在");
        h_free(&r);
    }
    CHECK(h_redis_int("EXISTS blog:liked:%lld", (long long)id) == 0);
    free(ta);
    free(tb);
}

/* A warm read of one blog, logged in, is one Redis round trip and no
 * MySQL: the session lookup travels with the fragment and the like check
 * of the user the worker saw the token belong to before (the guess). A
 * guess that no longer holds (the session ended) is not trusted: the
 * read is anonymous. */
static void
test_detail_round_trips(void)
{
    enum { N = 24 };
    int64_t me;
    char *tok = h_login(&me);
    int64_t id = mk_blog(tok, "one round trip", "");
    char dp[64], lp[64];
    snprintf(dp, sizeof(dp), "/blog/%lld", (long long)id);
    snprintf(lp, sizeof(lp), "/blog/like/%lld", (long long)id);
    struct resp r;
    CHECK(h_put(lp, tok, NULL, &r) == 0 && h_success(&r));
    h_free(&r);
    /* every worker that serves the reads below sees the token first (the
     * cache, the UV mark and the guess) */
    for (int i = 0; i < 4 * N; i++) {
        CHECK(h_get(dp, tok, &r) == 0 && h_success(&r));
        CHECK(jbool(h_data(&r), "isLike") == 1);
        h_free(&r);
    }
    double r0, s0, r1, s1, r2, s2, r3, s3;
    rt_sums(&r0, &s0);
    rt_sums(&r1, &s1);
    for (int i = 0; i < N; i++) {
        CHECK(h_get(dp, tok, &r) == 0 && h_success(&r));
        CHECK(jbool(h_data(&r), "isLike") == 1);
        CHECK(jint(h_data(&r), "liked") == 1);
        h_free(&r);
    }
    rt_sums(&r2, &s2);
    rt_sums(&r3, &s3);
    double scrape_r = (r1 - r0) > (r3 - r2) ? r1 - r0 : r3 - r2;
    double scrape_s = (s1 - s0) > (s3 - s2) ? s1 - s0 : s3 - s2;
    double per_r = (r2 - r1 - scrape_r) / N;
    double per_s = (s2 - s1 - scrape_s) / N;
    printf("  per warm read: %.2f Redis, %.2f MySQL round trips\n", per_r,
           per_s);
    CHECK(per_r >= 0.75 && per_r <= 1.25);
    CHECK(per_s <= 0.25);

    /* the session ends; the workers still hold the guess */
    CHECK(h_http("POST", "/user/logout", tok, NULL, NULL, NULL, 0, &r) == 0);
    CHECK(r.status == 200 && h_success(&r));
    h_free(&r);
    for (int i = 0; i < N; i++) {
        CHECK(h_get(dp, tok, &r) == 0 && h_success(&r));
        CHECK(jbool(h_data(&r), "isLike") == 0);
        CHECK(jint(h_data(&r), "liked") == 1);
        h_free(&r);
    }
    free(tok);
}

static void
test_like_concurrent_many_users(void)
{
    char *tok = h_login(NULL);
    int64_t id = mk_blog(tok, "popular", "");
    char p[64];
    snprintf(p, sizeof(p), "/blog/like/%lld", (long long)id);
    char *toks[20];
    for (int i = 0; i < 20; i++)
        toks[i] = h_login(NULL);
    CHECK(run_parallel(20, toks, p) == 0);
    CHECK(h_redis_int("ZCARD blog:liked:%lld", (long long)id) == 20);
    CHECK(blog_liked(id) == 20);
    for (int i = 0; i < 20; i++)
        free(toks[i]);
    free(tok);
}

static void
test_likes_top5(void)
{
    char *tok = h_login(NULL);
    int64_t id = mk_blog(tok, "top5", "");
    char p[64], lp[64];
    snprintf(p, sizeof(p), "/blog/like/%lld", (long long)id);
    snprintf(lp, sizeof(lp), "/blog/likes/%lld", (long long)id);
    struct resp r;
    CHECK(h_get(lp, NULL, &r) == 0);
    CHECK(h_success(&r) && h_data(&r) &&
          json_object_is_type(h_data(&r), json_type_array) &&
          json_object_array_length(h_data(&r)) == 0);
    h_free(&r);

    int64_t uids[7];
    char *toks[7];
    for (int i = 0; i < 7; i++) {
        toks[i] = h_login(&uids[i]);
        CHECK(h_put(p, toks[i], NULL, &r) == 0 && h_success(&r));
        h_free(&r);
        h_sleep_ms(3); /* distinct millisecond scores */
    }
    CHECK(h_get(lp, NULL, &r) == 0);
    struct json_object *d = h_data(&r);
    CHECK(d && json_object_array_length(d) == 5);
    for (size_t i = 0; d && i < json_object_array_length(d) && i < 5; i++) {
        struct json_object *u = json_object_array_get_idx(d, i);
        CHECK(jint(u, "id") == uids[i]);
        CHECK(jstr(u, "nickName") != NULL);
        CHECK(jstr(u, "icon") != NULL);
        CHECK(jget(u, "phone") == NULL && jget(u, "password") == NULL);
    }
    h_free(&r);

    /* the list is not kept: an unlike shows at once (each user's own text
     * is cached, cache:user:{id}, for TTL_CACHE_USER) */
    CHECK(h_redis_int("EXISTS cache:user:%lld", (long long)uids[1]) == 1);
    CHECK(h_put(p, toks[0], NULL, &r) == 0 && h_success(&r));
    h_free(&r);
    for (int t = 0; t < 4; t++) {
        CHECK(h_get(lp, NULL, &r) == 0);
        d = h_data(&r);
        CHECK(d && json_object_array_length(d) == 5);
        for (size_t i = 0; d && i < json_object_array_length(d) && i < 5; i++)
            CHECK(jint(json_object_array_get_idx(d, i), "id") == uids[i + 1]);
        h_free(&r);
    }
    /* a name changed behind the app's back shows once that user's text
     * is gone from the cache (its TTL ran out; dropped here) */
    h_sql_exec("UPDATE tb_user SET nick_name = 'renamed_%lld' WHERE id = %lld",
               (long long)uids[2] % 100000, (long long)uids[2]);
    h_redis_int("DEL cache:user:%lld", (long long)uids[2]);
    CHECK(h_get(lp, NULL, &r) == 0);
    d = h_data(&r);
    char nn[48];
    snprintf(nn, sizeof(nn), "renamed_%lld", (long long)uids[2] % 100000);
    CHECK(d && jstr(json_object_array_get_idx(d, 1), "nickName") &&
          strcmp(jstr(json_object_array_get_idx(d, 1), "nickName"), nn) == 0);
    h_free(&r);
    for (int i = 0; i < 7; i++)
        free(toks[i]);
    CHECK(h_get("/blog/likes/abc", NULL, &r) == 0 && r.status == 400);
    h_free(&r);
    free(tok);
}

static void
test_hot_list(void)
{
    int64_t liker;
    char *author = h_login(NULL), *tok = h_login(&liker);
    int64_t id = mk_blog(author, "hot one", "/imgs/blogs/blog1.jpg");
    char p[64];
    snprintf(p, sizeof(p), "/blog/like/%lld", (long long)id);
    struct resp r;
    CHECK(h_put(p, tok, NULL, &r) == 0 && h_success(&r));
    h_free(&r);

    int seen = 0, seen_anon = 0;
    int64_t prev_liked = -1, prev_id = -1;
    for (int page = 1; page <= 200 && !seen; page++) {
        char q[64];
        snprintf(q, sizeof(q), "/blog/hot?current=%d", page);
        CHECK(h_get(q, tok, &r) == 0);
        CHECK(r.status == 200 && h_success(&r));
        struct json_object *d = h_data(&r);
        size_t n = d ? json_object_array_length(d) : 0;
        CHECK(n <= 10);
        for (size_t i = 0; i < n; i++) {
            struct json_object *b = json_object_array_get_idx(d, i);
            int64_t l = jint(b, "liked"), bid = jint(b, "id");
            /* liked DESC, id DESC */
            if (prev_id >= 0)
                CHECK(l < prev_liked || (l == prev_liked && bid < prev_id));
            prev_liked = l;
            prev_id = bid;
            CHECK(jstr(b, "name") != NULL && jstr(b, "icon") != NULL);
            CHECK(jstr(b, "images") != NULL);
            CHECK(jbool(b, "isLike") >= 0);
            if (bid == id) {
                seen = 1;
                CHECK(jbool(b, "isLike") == 1);
                CHECK(jint(b, "liked") == 1);
            }
        }
        h_free(&r);
        if (n == 0)
            break;
        if (seen) {
            CHECK(h_get(q, NULL, &r) == 0);
            struct json_object *d2 = h_data(&r);
            for (size_t i = 0; d2 && i < json_object_array_length(d2); i++) {
                struct json_object *b = json_object_array_get_idx(d2, i);
                CHECK(jbool(b, "isLike") == 0);
                if (jint(b, "id") == id)
                    seen_anon = 1;
            }
            h_free(&r);
        }
    }
    CHECK(seen);
    CHECK(seen_anon);

    const char *bad[] = {
        "/blog/hot?current=0", "/blog/hot?current=-1", "/blog/hot?current=abc",
        "/blog/hot?current=99999999999999", "/blog/hot?current=1.5"};
    for (int i = 0; i < 5; i++) {
        CHECK(h_get(bad[i], NULL, &r) == 0);
        CHECK(r.status == 400 && r.json != NULL);
        h_free(&r);
    }
    CHECK(h_get("/blog/hot?current=100000", NULL, &r) == 0);
    CHECK(r.status == 200 && h_success(&r) && h_data(&r) &&
          json_object_array_length(h_data(&r)) == 0);
    h_free(&r);
    CHECK(h_get("/blog/hot?&current=", NULL, &r) == 0); /* page default */
    CHECK(r.status == 200 && h_success(&r));
    h_free(&r);
    free(author);
    free(tok);
}

static void
test_of_me_and_user(void)
{
    int64_t me;
    char *tok = h_login(&me);
    int64_t a = mk_blog(tok, "first", ""), b = mk_blog(tok, "second", "");
    struct resp r;
    CHECK(h_get("/blog/of/me?current=1", tok, &r) == 0);
    struct json_object *d = h_data(&r);
    CHECK(h_success(&r) && d && json_object_array_length(d) == 2);
    CHECK(jint(json_object_array_get_idx(d, 0), "id") == b);
    CHECK(jint(json_object_array_get_idx(d, 1), "id") == a);
    CHECK(jint(json_object_array_get_idx(d, 0), "comments") == 0);
    h_free(&r);
    CHECK(h_get("/blog/of/me", NULL, &r) == 0 && r.status == 401);
    h_free(&r);

    char q[96];
    snprintf(q, sizeof(q), "/blog/of/user?&id=%lld&current=1", (long long)me);
    CHECK(h_get(q, NULL, &r) == 0);
    d = h_data(&r);
    CHECK(h_success(&r) && d && json_object_array_length(d) == 2);
    CHECK(jint(json_object_array_get_idx(d, 0), "id") == b);
    CHECK_STR(jstr(json_object_array_get_idx(d, 0), "title"), "second");
    h_free(&r);
    snprintf(q, sizeof(q), "/blog/of/user?id=%lld&current=2", (long long)me);
    CHECK(h_get(q, NULL, &r) == 0);
    CHECK(h_success(&r) && h_data(&r) &&
          json_object_array_length(h_data(&r)) == 0);
    h_free(&r);
    CHECK(h_get("/blog/of/user?current=1", NULL, &r) == 0 && r.status == 400);
    h_free(&r);
    CHECK(h_get("/blog/of/user?id=2", NULL, &r) == 0);
    CHECK(h_success(&r) && h_data(&r) &&
          json_object_array_length(h_data(&r)) >= 2);
    h_free(&r);
    free(tok);
}

/* Posts a comment; returns its id or -1. */
static int64_t
mk_comment(const char *tok, int64_t blog, int64_t parent, const char *text)
{
    char body[512];
    snprintf(body, sizeof(body),
             "{\"blogId\":%lld,\"parentId\":%lld,\"answerId\":%lld,"
             "\"content\":\"%s\"}",
             (long long)blog, (long long)parent, (long long)parent, text);
    struct resp r;
    if (h_post_json("/comment/post", tok, body, &r) != 0)
        return -1;
    int64_t id = h_success(&r) ? jint(h_data(&r), "id") : -1;
    if (id < 0)
        printf("  mk_comment: %ld %s\n", r.status, r.body);
    h_free(&r);
    return id;
}

static void
test_delete(void)
{
    int64_t author_id, follower_id;
    char *author = h_login(&author_id), *other = h_login(NULL);
    char *follower = h_login(&follower_id);
    CHECK(h_sql_exec("INSERT INTO tb_follow (user_id, follow_user_id) "
                     "VALUES (%lld, %lld)",
                     (long long)follower_id, (long long)author_id) == 0);
    int64_t id = mk_blog(author, "doomed", "");
    CHECK(h_redis_int("ZSCORE feed:%lld %lld", (long long)follower_id,
                      (long long)id) > 0);
    char p[64];
    snprintf(p, sizeof(p), "/blog/like/%lld", (long long)id);
    struct resp r;
    CHECK(h_put(p, other, NULL, &r) == 0 && h_success(&r));
    h_free(&r);
    int64_t cid = mk_comment(other, id, 0, "hi");
    CHECK(cid > 0);
    snprintf(p, sizeof(p), "/comment/like/%lld", (long long)cid);
    CHECK(h_put(p, other, NULL, &r) == 0 && h_success(&r));
    h_free(&r);
    CHECK(h_redis_int("EXISTS comment:liked:%lld", (long long)cid) == 1);

    snprintf(p, sizeof(p), "/blog/%lld", (long long)id);
    CHECK(h_del(p, NULL, &r) == 0 && r.status == 401);
    h_free(&r);
    CHECK(h_del(p, other, &r) == 0);
    CHECK(r.status == 403 && !h_success(&r));
    h_free(&r);
    /* nothing removed */
    CHECK(h_sql_int("SELECT COUNT(*) FROM tb_blog WHERE id = %lld",
                    (long long)id) == 1);
    CHECK(h_sql_int("SELECT COUNT(*) FROM tb_blog_comments WHERE blog_id = "
                    "%lld",
                    (long long)id) == 1);
    CHECK(h_redis_int("ZCARD blog:liked:%lld", (long long)id) == 1);
    CHECK(h_redis_int("ZSCORE feed:%lld %lld", (long long)follower_id,
                      (long long)id) > 0);
    CHECK(h_redis_int("EXISTS blog:gone:%lld", (long long)id) == 0);

    CHECK(h_del(p, author, &r) == 0);
    CHECK(r.status == 200 && h_success(&r));
    h_free(&r);
    CHECK(h_sql_int("SELECT COUNT(*) FROM tb_blog WHERE id = %lld",
                    (long long)id) == 0);
    CHECK(h_sql_int("SELECT COUNT(*) FROM tb_blog_comments WHERE blog_id = "
                    "%lld",
                    (long long)id) == 0);
    CHECK(h_redis_int("EXISTS blog:liked:%lld", (long long)id) == 0);
    CHECK(h_redis_int("EXISTS comment:liked:%lld", (long long)cid) == 0);
    CHECK(h_redis_int("ZSCORE feed:%lld %lld", (long long)follower_id,
                      (long long)id) == -1);
    CHECK(h_redis_int("EXISTS blog:gone:%lld", (long long)id) == 0);
    /* the author cached by the like is replaced by "gone" (a fill with
     * NX cannot bring it back), and a like of the gone blog is refused
     * with nothing written */
    CHECK(h_redis_int("GET blog:owner:%lld", (long long)id) == 0);
    (void)h_redis_int("SET blog:owner:%lld %lld EX 60 NX", (long long)id,
                      (long long)author_id);
    CHECK(h_redis_int("GET blog:owner:%lld", (long long)id) == 0);
    snprintf(p, sizeof(p), "/blog/like/%lld", (long long)id);
    CHECK(h_put(p, other, NULL, &r) == 0);
    CHECK(r.status == 200 && !h_success(&r));
    CHECK_STR(h_errmsg(&r), "博客不存在");
    h_free(&r);
    CHECK(h_redis_int("EXISTS blog:liked:%lld", (long long)id) == 0);
    snprintf(p, sizeof(p), "/blog/%lld", (long long)id);
    CHECK(h_get(p, NULL, &r) == 0);
    CHECK(r.status == 200 && !h_success(&r));
    h_free(&r);
    CHECK(h_del(p, author, &r) == 0);
    CHECK(r.status == 200 && !h_success(&r));
    CHECK_STR(h_errmsg(&r), "博客不存在");
    h_free(&r);
    free(author);
    free(other);
    free(follower);
}

static void
test_delete_resumes_sweep(void)
{
    int64_t me;
    char *tok = h_login(&me), *other = h_login(NULL);
    int64_t id = mk_blog(tok, "half", "");
    /* a sweep that died after the rows went: the record and a like set
     * are left behind */
    redisReply *x =
        redisCommand(h_redis(), "ZADD blog:liked:%lld 1 42", (long long)id);
    freeReplyObject(x);
    x = redisCommand(h_redis(),
                     "HSET blog:gone:%lld user %lld images %s comments %s",
                     (long long)id, (long long)me, "", "");
    freeReplyObject(x);
    CHECK(h_sql_exec("DELETE FROM tb_blog WHERE id = %lld", (long long)id) ==
          0);
    char p[64];
    snprintf(p, sizeof(p), "/blog/%lld", (long long)id);
    struct resp r;
    CHECK(h_del(p, other, &r) == 0 && r.status == 403);
    h_free(&r);
    CHECK(h_redis_int("EXISTS blog:liked:%lld", (long long)id) == 1);
    CHECK(h_del(p, tok, &r) == 0);
    CHECK(r.status == 200 && h_success(&r));
    h_free(&r);
    CHECK(h_redis_int("EXISTS blog:liked:%lld", (long long)id) == 0);
    CHECK(h_redis_int("EXISTS blog:gone:%lld", (long long)id) == 0);
    free(tok);
    free(other);
}

static int64_t
blog_comments(int64_t id)
{
    return h_sql_int("SELECT comments FROM tb_blog WHERE id = %lld",
                     (long long)id);
}

static void
test_comments(void)
{
    int64_t aid, cid_user;
    char *author = h_login(&aid), *c1 = h_login(&cid_user);
    char *stranger = h_login(NULL);
    int64_t blog = mk_blog(author, "talk", "");
    struct resp r;
    char body[512];

    snprintf(body, sizeof(body),
             "{\"blogId\":%lld,\"content\":\"<b>hi</b>\",\"id\":5,"
             "\"userId\":1,\"liked\":9}",
             (long long)blog);
    CHECK(h_post_json("/comment/post", c1, body, &r) == 0);
    CHECK(r.status == 200 && h_success(&r));
    struct json_object *d = h_data(&r);
    int64_t top = jint(d, "id");
    CHECK(top > 0);
    CHECK(jint(d, "blogId") == blog);
    CHECK(jint(d, "userId") == cid_user);
    CHECK(jint(d, "parentId") == 0 && jint(d, "answerId") == 0);
    CHECK_STR(jstr(d, "content"), "&lt;b&gt;hi&lt;/b&gt;");
    CHECK(jint(d, "liked") == 0 && jint(d, "status") == 0);
    CHECK(jstr(d, "createTime") && jstr(d, "updateTime"));
    h_free(&r);
    CHECK(blog_comments(blog) == 1);

    int64_t reply = mk_comment(author, blog, top, "thanks");
    CHECK(reply > 0);
    CHECK(blog_comments(blog) == 2);

    /* refusals and bad input; the counter does not move */
    snprintf(body, sizeof(body),
             "{\"blogId\":%lld,\"parentId\":%lld,\"content\":\"x\"}",
             (long long)blog, (long long)reply); /* reply is not top-level */
    CHECK(h_post_json("/comment/post", c1, body, &r) == 0);
    CHECK(r.status == 200 && !h_success(&r));
    h_free(&r);
    CHECK(h_post_json("/comment/post", c1,
                      "{\"blogId\":999999999,\"content\":\"x\"}", &r) == 0);
    CHECK(r.status == 200 && !h_success(&r));
    CHECK_STR(h_errmsg(&r), "博客不存在");
    h_free(&r);
    char longc[600];
    snprintf(longc, sizeof(longc), "{\"blogId\":%lld,\"content\":\"",
             (long long)blog);
    size_t k = strlen(longc);
    memset(longc + k, 'x', 256);
    strcpy(longc + k + 256, "\"}");
    CHECK(h_post_json("/comment/post", c1, longc, &r) == 0 && r.status == 400);
    h_free(&r);
    snprintf(body, sizeof(body), "{\"blogId\":%lld,\"content\":\"  \"}",
             (long long)blog);
    CHECK(h_post_json("/comment/post", c1, body, &r) == 0 && r.status == 400);
    h_free(&r);
    snprintf(body, sizeof(body), "{\"blogId\":%lld,\"content\":\"x\"}",
             (long long)blog);
    CHECK(h_post_json("/comment/post", NULL, body, &r) == 0 && r.status == 401);
    h_free(&r);
    CHECK(blog_comments(blog) == 2);

    /* list: newest first */
    char p[96];
    snprintf(p, sizeof(p), "/comment/%lld?current=1", (long long)blog);
    CHECK(h_get(p, NULL, &r) == 0);
    d = h_data(&r);
    CHECK(h_success(&r) && d && json_object_array_length(d) == 2);
    CHECK(jint(json_object_array_get_idx(d, 0), "id") == reply);
    CHECK(jint(json_object_array_get_idx(d, 0), "parentId") == top);
    CHECK(jint(json_object_array_get_idx(d, 1), "id") == top);
    h_free(&r);
    CHECK(h_get("/comment/hot?current=1", NULL, &r) == 0);
    CHECK(r.status == 200 && h_success(&r) && h_data(&r) &&
          json_object_is_type(h_data(&r), json_type_array));
    h_free(&r);
    CHECK(h_get("/comment/hot?current=0", NULL, &r) == 0 && r.status == 400);
    h_free(&r);

    /* a reply to a reply names the thread and the answered comment */
    snprintf(body, sizeof(body),
             "{\"blogId\":%lld,\"parentId\":%lld,\"answerId\":%lld,"
             "\"content\":\"nested\"}",
             (long long)blog, (long long)top, (long long)reply);
    CHECK(h_post_json("/comment/post", stranger, body, &r) == 0);
    CHECK(h_success(&r) && jint(h_data(&r), "answerId") == reply &&
          jint(h_data(&r), "parentId") == top);
    h_free(&r);
    CHECK(blog_comments(blog) == 3);
    snprintf(body, sizeof(body),
             "{\"blogId\":%lld,\"parentId\":%lld,\"answerId\":999999999,"
             "\"content\":\"lost\"}",
             (long long)blog, (long long)top);
    CHECK(h_post_json("/comment/post", stranger, body, &r) == 0);
    CHECK(r.status == 200 && !h_success(&r));
    h_free(&r);
    snprintf(body, sizeof(body),
             "{\"blogId\":%lld,\"answerId\":%lld,\"content\":\"x\"}",
             (long long)blog, (long long)top);
    CHECK(h_post_json("/comment/post", stranger, body, &r) == 0);
    CHECK(r.status == 400);
    h_free(&r);
    CHECK(blog_comments(blog) == 3);

    /* like toggle */
    snprintf(p, sizeof(p), "/comment/like/%lld", (long long)top);
    CHECK(h_put(p, stranger, NULL, &r) == 0);
    CHECK(h_success(&r) && jbool(h_data(&r), "isLiked") == 1);
    h_free(&r);
    CHECK(h_sql_int("SELECT liked FROM tb_blog_comments WHERE id = %lld",
                    (long long)top) == 1);
    CHECK(h_redis_int("ZCARD comment:liked:%lld", (long long)top) == 1);
    CHECK(h_put(p, stranger, NULL, &r) == 0);
    CHECK(h_success(&r) && jbool(h_data(&r), "isLiked") == 0);
    h_free(&r);
    CHECK(h_sql_int("SELECT liked FROM tb_blog_comments WHERE id = %lld",
                    (long long)top) == 0);
    CHECK(h_put("/comment/like/999999999", stranger, NULL, &r) == 0);
    CHECK(r.status == 200 && !h_success(&r));
    h_free(&r);

    /* delete: a stranger may not; the blog's author may delete the
     * commenter's top-level comment, which takes the reply along */
    snprintf(p, sizeof(p), "/comment/%lld", (long long)top);
    CHECK(h_del(p, stranger, &r) == 0 && r.status == 403);
    h_free(&r);
    CHECK(blog_comments(blog) == 3);
    CHECK(h_del(p, author, &r) == 0);
    CHECK(r.status == 200 && h_success(&r));
    h_free(&r);
    CHECK(blog_comments(blog) == 0);
    CHECK(h_sql_int("SELECT COUNT(*) FROM tb_blog_comments WHERE blog_id = "
                    "%lld",
                    (long long)blog) == 0);
    CHECK(h_del(p, author, &r) == 0);
    CHECK(r.status == 200 && !h_success(&r));
    h_free(&r);

    /* the writer deletes their own; the counter never goes below 0 */
    int64_t c2 = mk_comment(c1, blog, 0, "again");
    CHECK(blog_comments(blog) == 1);
    CHECK(h_sql_exec("UPDATE tb_blog SET comments = 0 WHERE id = %lld",
                     (long long)blog) == 0);
    snprintf(p, sizeof(p), "/comment/%lld", (long long)c2);
    CHECK(h_del(p, c1, &r) == 0 && h_success(&r));
    h_free(&r);
    CHECK(blog_comments(blog) == 0);
    free(author);
    free(c1);
    free(stranger);
}

/* GET path with tok; returns the malloc'd body, NULL unless 200. */
static char *
get_body(const char *path, const char *tok)
{
    struct resp r;
    if (h_get(path, tok, &r) != 0)
        return NULL;
    char *b = r.status == 200 ? strdup(r.body) : NULL;
    h_free(&r);
    return b;
}

/* The read cache: a miss and a hit give the same bytes, and every write
 * that changes a blog shows at once (the frontend reads `liked` right
 * after its PUT). */
static void
test_cache_detail(void)
{
    int64_t me;
    char *tok = h_login(&me), *other = h_login(NULL);
    int64_t id =
        mk_blog(tok, "cached <b>\\\"q\\\"</b> /x", "/imgs/blogs/c1.jpg");
    char dp[64], lp[64];
    snprintf(dp, sizeof(dp), "/blog/%lld", (long long)id);
    snprintf(lp, sizeof(lp), "/blog/like/%lld", (long long)id);

    /* miss, then hit: identical bytes, logged in and anonymous */
    h_redis_int("DEL cache:blog:%lld", (long long)id);
    char *miss = get_body(dp, tok);
    CHECK(h_redis_int("EXISTS cache:blog:%lld", (long long)id) == 1);
    long long ttl = h_redis_int("TTL cache:blog:%lld", (long long)id);
    CHECK(ttl > 0 && ttl <= 360);
    char *hit = get_body(dp, tok);
    CHECK(miss && hit && strcmp(miss, hit) == 0);
    CHECK(miss && strstr(miss, "\"title\":\"cached &lt;b&gt;") != NULL);
    CHECK(miss && strstr(miss, "\"images\":\"/imgs/blogs/c1.jpg\"") != NULL);
    CHECK(miss && strstr(miss, ",\"isLike\":false}}") != NULL);
    free(miss);
    free(hit);

    /* like: the next read shows the new count and isLike */
    struct resp r;
    CHECK(h_put(lp, tok, NULL, &r) == 0 && h_success(&r));
    h_free(&r);
    CHECK(h_get(dp, tok, &r) == 0 && h_success(&r));
    CHECK(jint(h_data(&r), "liked") == 1);
    CHECK(jbool(h_data(&r), "isLike") == 1);
    h_free(&r);
    CHECK(h_get(dp, other, &r) == 0 && h_success(&r));
    CHECK(jint(h_data(&r), "liked") == 1);
    CHECK(jbool(h_data(&r), "isLike") == 0);
    h_free(&r);
    CHECK(h_put(lp, tok, NULL, &r) == 0 && h_success(&r));
    h_free(&r);
    CHECK(h_get(dp, tok, &r) == 0 && h_success(&r));
    CHECK(jint(h_data(&r), "liked") == 0);
    CHECK(jbool(h_data(&r), "isLike") == 0);
    h_free(&r);

    /* comment post and delete: the counter follows */
    int64_t c = mk_comment(other, id, 0, "hello");
    CHECK(c > 0);
    CHECK(h_get(dp, tok, &r) == 0 && h_success(&r));
    CHECK(jint(h_data(&r), "comments") == 1);
    h_free(&r);
    char cp[64];
    snprintf(cp, sizeof(cp), "/comment/%lld", (long long)c);
    CHECK(h_del(cp, other, &r) == 0 && h_success(&r));
    h_free(&r);
    CHECK(h_get(dp, tok, &r) == 0 && h_success(&r));
    CHECK(jint(h_data(&r), "comments") == 0);
    h_free(&r);

    /* every invalidation bumped the version a racing reader's write-back
     * is compared with, and the version outlives any reader */
    long long v = h_redis_int("GET cache:blog:ver:%lld", (long long)id);
    CHECK(v >= 4); /* two likes, a comment post and a delete */
    CHECK(h_redis_int("TTL cache:blog:ver:%lld", (long long)id) > 3600);

    /* delete: the cached blog goes with it */
    CHECK(h_get(dp, tok, &r) == 0 && h_success(&r));
    h_free(&r);
    CHECK(h_del(dp, tok, &r) == 0 && h_success(&r));
    h_free(&r);
    CHECK(h_redis_int("EXISTS cache:blog:%lld", (long long)id) == 0);
    CHECK(h_get(dp, tok, &r) == 0);
    CHECK(r.status == 200 && !h_success(&r));
    CHECK_STR(h_errmsg(&r), "博客不存在");
    h_free(&r);
    free(tok);
    free(other);
}

/* The liked count and isLike of blog id on hot page 1, as seen by tok;
 * -1 when the blog is not on the page. */
static long long
hot_liked(const char *tok, int64_t id, int *is_like)
{
    struct resp r;
    long long v = -1;
    if (h_get("/blog/hot?current=1", tok, &r) != 0)
        return -1;
    struct json_object *d = h_data(&r);
    for (size_t i = 0; d && i < json_object_array_length(d); i++) {
        struct json_object *b = json_object_array_get_idx(d, i);
        if (jint(b, "id") == id) {
            v = jint(b, "liked");
            *is_like = jbool(b, "isLike");
        }
    }
    h_free(&r);
    return v;
}

/* Every worker keeps a copy of the hot pages it served: after a like,
 * no worker serves its old copy, and the next request of each shows the
 * new count and the caller's flag at once. */
static void
test_cache_hot_worker_copies(void)
{
    char *author = h_login(NULL), *tok = h_login(NULL);
    int64_t id = mk_blog(author, "copies", "/imgs/blogs/h2.jpg");
    int64_t top = h_sql_int("SELECT MAX(liked) FROM tb_blog");
    CHECK(h_sql_exec("UPDATE tb_blog SET liked = %lld WHERE id = %lld",
                     (long long)top + 5, (long long)id) == 0);
    h_redis_int("DEL cache:blog:%lld", (long long)id);
    h_redis_int("INCR cache:blog:hot:ver");
    h_redis_int("DEL cache:blog:hot");
    int like = -1;
    for (int i = 0; i < 16; i++) /* every worker gets its copy */
        CHECK(hot_liked(tok, id, &like) == top + 5 && like == 0);
    char lp[64];
    snprintf(lp, sizeof(lp), "/blog/like/%lld", (long long)id);
    struct resp r;
    for (int round = 0; round < 2; round++) {
        CHECK(h_put(lp, tok, NULL, &r) == 0 && h_success(&r));
        h_free(&r);
        long long want = round == 0 ? top + 6 : top + 5;
        for (int i = 0; i < 16; i++) {
            CHECK(hot_liked(tok, id, &like) == want);
            CHECK(like == (round == 0));
            CHECK(hot_liked(NULL, id, &like) == want && like == 0);
        }
    }
    snprintf(lp, sizeof(lp), "/blog/%lld", (long long)id);
    CHECK(h_del(lp, author, &r) == 0 && h_success(&r));
    h_free(&r);
    for (int i = 0; i < 8; i++)
        CHECK(hot_liked(tok, id, &like) == -1);
    free(author);
    free(tok);
}

/* The hot pages are cached rendered, briefly, and dropped by a like, a
 * comment and a delete: the liked blog moves up at once, counts are
 * fresh, a deleted blog never shows, and a warm page equals a cold one. */
static void
test_cache_hot(void)
{
    char *author = h_login(NULL), *tok = h_login(NULL);
    int64_t id = mk_blog(author, "climber", "/imgs/blogs/h1.jpg");
    struct resp r;
    CHECK(h_get("/blog/hot?current=1", tok, &r) == 0 && h_success(&r));
    h_free(&r);
    CHECK(h_redis_int("HEXISTS cache:blog:hot 1") == 1);
    long long ttl = h_redis_int("TTL cache:blog:hot");
    CHECK(ttl > 0 && ttl <= 5);
    /* warm equals cold, byte for byte */
    char *warm = get_body("/blog/hot?current=1", tok);
    h_redis_int("DEL cache:blog:hot");
    char *cold = get_body("/blog/hot?current=1", tok);
    CHECK(warm && cold && strcmp(warm, cold) == 0);
    free(warm);
    free(cold);

    /* top it (the row directly, which nothing invalidates), then like it
     * through the API, which does */
    int64_t top = h_sql_int("SELECT MAX(liked) FROM tb_blog");
    CHECK(h_sql_exec("UPDATE tb_blog SET liked = %lld WHERE id = %lld",
                     (long long)top + 1, (long long)id) == 0);
    char lp[64];
    snprintf(lp, sizeof(lp), "/blog/like/%lld", (long long)id);
    CHECK(h_put(lp, tok, NULL, &r) == 0 && h_success(&r));
    h_free(&r);
    CHECK(h_get("/blog/hot?current=1", tok, &r) == 0 && h_success(&r));
    struct json_object *d = h_data(&r);
    CHECK(d && json_object_array_length(d) > 0);
    if (d && json_object_array_length(d) > 0) {
        struct json_object *b = json_object_array_get_idx(d, 0);
        CHECK(jint(b, "id") == id);
        CHECK(jint(b, "liked") == top + 2);
        CHECK(jbool(b, "isLike") == 1);
        CHECK_STR(jstr(b, "title"), "climber");
    }
    h_free(&r);

    /* comments: a warm page shows the new count at once */
    CHECK(h_get("/blog/hot?current=1", tok, &r) == 0 && h_success(&r));
    h_free(&r);
    CHECK(h_redis_int("HEXISTS cache:blog:hot 1") == 1);
    int64_t c = mk_comment(tok, id, 0, "fresh");
    CHECK(c > 0);
    CHECK(h_get("/blog/hot?current=1", tok, &r) == 0 && h_success(&r));
    d = h_data(&r);
    CHECK(d && json_object_array_length(d) > 0);
    if (d && json_object_array_length(d) > 0) {
        struct json_object *b = json_object_array_get_idx(d, 0);
        CHECK(jint(b, "id") == id);
        CHECK(jint(b, "comments") == 1);
        CHECK(jbool(b, "isLike") == 1);
    }
    h_free(&r);
    char cp[64];
    snprintf(cp, sizeof(cp), "/comment/%lld", (long long)c);
    CHECK(h_del(cp, tok, &r) == 0 && h_success(&r));
    h_free(&r);
    CHECK(h_get("/blog/hot?current=1", NULL, &r) == 0 && h_success(&r));
    d = h_data(&r);
    CHECK(d && json_object_array_length(d) > 0);
    if (d && json_object_array_length(d) > 0) {
        struct json_object *b = json_object_array_get_idx(d, 0);
        CHECK(jint(b, "id") == id);
        CHECK(jint(b, "comments") == 0);
        CHECK(jbool(b, "isLike") == 0); /* anonymous */
    }
    h_free(&r);

    /* a page value that is not a rendered page (an id list of an older
     * build) is a miss: rebuilt, not trusted */
    h_redis_int("HSET cache:blog:hot 1 %lld", (long long)id);
    char *rebuilt = get_body("/blog/hot?current=1", tok);
    h_redis_int("DEL cache:blog:hot");
    char *cold2 = get_body("/blog/hot?current=1", tok);
    CHECK(rebuilt && cold2 && strcmp(rebuilt, cold2) == 0);
    CHECK(rebuilt && strstr(rebuilt, "\"title\":\"climber\"") != NULL);
    free(rebuilt);
    free(cold2);

    /* deleted: never shown, even from a warm page */
    CHECK(h_get("/blog/hot?current=1", NULL, &r) == 0 && h_success(&r));
    h_free(&r);
    char dp[64];
    snprintf(dp, sizeof(dp), "/blog/%lld", (long long)id);
    CHECK(h_del(dp, author, &r) == 0 && h_success(&r));
    h_free(&r);
    CHECK(h_get("/blog/hot?current=1", NULL, &r) == 0 && h_success(&r));
    d = h_data(&r);
    for (size_t i = 0; d && i < json_object_array_length(d); i++)
        CHECK(jint(json_object_array_get_idx(d, i), "id") != id);
    h_free(&r);
    free(author);
    free(tok);
}

int
main(void)
{
    h_init();
    RUN(test_seed_blogs_authors);
    RUN(test_publish_and_read);
    RUN(test_publish_validation);
    RUN(test_get_missing_and_bad_ids);
    RUN(test_like_toggle);
    RUN(test_like_concurrent_same_user);
    RUN(test_like_concurrent_many_users);
    RUN(test_like_pending_mark);
    RUN(test_like_lost_toggle);
    RUN(test_like_round_trips);
    RUN(test_like_stale_guess);
    RUN(test_detail_round_trips);
    RUN(test_likes_top5);
    RUN(test_hot_list);
    RUN(test_of_me_and_user);
    RUN(test_delete);
    RUN(test_delete_resumes_sweep);
    RUN(test_comments);
    RUN(test_cache_detail);
    RUN(test_cache_hot);
    RUN(test_cache_hot_worker_copies);
    T_DONE();
}
