/*
 * test_zz_durable.c: what a client was told succeeded survives a Redis
 * restart, clean (SHUTDOWN) and hard (SIGKILL), because the stack runs
 * Redis with appendonly yes + appendfsync always (conf/stack.sh). For each
 * kind of data whose only or first home is Redis -- a like, a sign-in, a
 * follow and the feed inbox it fills, the UV count, an order still pending
 * in the stream (consumer stopped), seckill stock and the one-per-user set,
 * and the session itself -- it writes through the API, restarts Redis with
 * the stack's own redis.conf, and reads back through the API. Then a
 * seckill stampede with Redis SIGKILLed mid-burst: every buyer told
 * success has exactly one order in MySQL, nobody has two, and Redis'
 * stock agrees with MySQL's. Last, a lost volume (FLUSHALL stands in):
 * what MySQL knows is rebuilt -- a listed seckill voucher still sells its
 * remaining stock once per user, an upload's owner can still delete it
 * (and nobody else can), follows still hold.
 * Runs late (zz): it takes Redis away under the other tests' feet.
 */
#include "h.h"
#include "h_multi.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------ Redis */

static int
redis_up(void)
{
    return h_redis_int("DBSIZE") >= 0;
}

/* Stops Redis (hard: SIGKILL, else SHUTDOWN, which also writes the RDB)
 * and waits until the process is gone. */
static void
redis_stop(int hard)
{
    long pid = h_run_pid("redis.pid");
    CHECK(pid > 0);
    if (hard)
        CHECK(pid > 0 && kill((pid_t)pid, SIGKILL) == 0);
    else
        h_sh("redis-cli -p %s shutdown >/dev/null 2>&1",
             h_env("HMDP_REDIS_PORT"));
    for (int i = 0; i < 100 && pid > 0 && kill((pid_t)pid, 0) == 0; i++)
        h_sleep_ms(50);
    CHECK(pid > 0 && kill((pid_t)pid, 0) != 0);
}

/* Starts Redis again from the stack's redis.conf (same AOF) and waits
 * until it answers (it answers LOADING while it replays). */
static void
redis_start(void)
{
    CHECK(h_sh("redis-server %s/redis.conf", h_env("HMDP_RUN_DIR")) == 0);
    int up = 0;
    for (int i = 0; i < 100 && !up; i++) {
        h_sleep_ms(100);
        up = redis_up();
    }
    CHECK(up);
}

static void
redis_restart(int hard)
{
    redis_stop(hard);
    redis_start();
}

/* ------------------------------------------------------------ API */

static char admin_hdr[256];

static int64_t
new_seckill(long stock)
{
    int64_t shop = h_admin_post_id(
        "/shop", "{\"name\":\"持久化测试店\",\"typeId\":3,\"images\":"
                 "\"https://a/1.jpg\",\"address\":\"测试路\",\"x\":120.15,"
                 "\"y\":30.33}");
    char b[32], e[32], body[512];
    h_ltime(-60, b);
    h_ltime(3600, e);
    snprintf(body, sizeof(body),
             "{\"shopId\":%lld,\"title\":\"持久化券\",\"subTitle\":\"s\","
             "\"rules\":\"r\",\"payValue\":8000,\"actualValue\":10000,"
             "\"type\":1,\"stock\":%ld,\"beginTime\":\"%s\",\"endTime\":"
             "\"%s\"}",
             (long long)shop, stock, b, e);
    return shop > 0 ? h_admin_post_id("/voucher/seckill", body) : -1;
}

/* POST /voucher-order/seckill/{vid}: 1 success, 0 refused with msg
 * (copied to msg), -1 anything else. */
static int
buy(int64_t vid, const char *tok, char *msg, size_t cap)
{
    char path[96];
    struct resp r;
    snprintf(path, sizeof(path), "/voucher-order/seckill/%lld", (long long)vid);
    if (msg && cap)
        msg[0] = '\0';
    if (h_http("POST", path, tok, NULL, NULL, NULL, 0, &r) != 0)
        return -1;
    int rc = -1;
    if (r.status == 200 && h_success(&r))
        rc = 1;
    else if (r.status == 200 && h_errmsg(&r)) {
        rc = 0;
        if (msg && cap)
            snprintf(msg, cap, "%s", h_errmsg(&r));
    } else
        printf("  buy %lld: %ld %s\n", (long long)vid, r.status, r.body);
    h_free(&r);
    return rc;
}

static long long
orders_of(int64_t vid)
{
    return h_sql_int("SELECT COUNT(*) FROM tb_voucher_order WHERE "
                     "voucher_id = %lld",
                     (long long)vid);
}

static int64_t
publish(const char *tok, const char *title)
{
    char body[256];
    snprintf(body, sizeof(body),
             "{\"title\":\"%s\",\"content\":\"c\",\"images\":\"\","
             "\"shopId\":1}",
             title);
    struct resp r;
    if (h_post_json("/blog", tok, body, &r) != 0)
        return -1;
    int64_t id = -1;
    if (r.status == 200 && h_success(&r) && h_data(&r))
        id = json_object_get_int64(h_data(&r));
    else
        printf("  POST /blog: %ld %s\n", r.status, r.body);
    h_free(&r);
    return id;
}

static int
put_ok(const char *path, const char *tok)
{
    struct resp r;
    int ok =
        h_put(path, tok, NULL, &r) == 0 && r.status == 200 && h_success(&r);
    if (!ok)
        printf("  PUT %s: %ld %s\n", path, r.status, r.body ? r.body : "");
    h_free(&r);
    return ok;
}

/* GET /blog/{id} as tok: liked count and isLike (-1 when unreadable). */
static void
blog_like_state(int64_t blog, const char *tok, int64_t *liked, int *is_like)
{
    char path[64];
    struct resp r;
    snprintf(path, sizeof(path), "/blog/%lld", (long long)blog);
    *liked = -1;
    *is_like = -1;
    if (h_get(path, tok, &r) == 0 && r.status == 200 && h_success(&r)) {
        *liked = h_jint(h_data(&r), "liked");
        struct json_object *v = h_jget(h_data(&r), "isLike");
        *is_like = v ? json_object_get_boolean(v) : -1;
    }
    h_free(&r);
}

/* 1 when GET /blog/likes/{blog} lists user uid. */
static int
likers_have(int64_t blog, int64_t uid)
{
    char path[64];
    struct resp r;
    snprintf(path, sizeof(path), "/blog/likes/%lld", (long long)blog);
    int found = 0;
    if (h_get(path, NULL, &r) == 0 && r.status == 200 && h_data(&r)) {
        struct json_object *l = h_data(&r);
        for (size_t i = 0; json_object_is_type(l, json_type_array) &&
                           i < json_object_array_length(l);
             i++)
            if (h_jint(json_object_array_get_idx(l, i), "id") == uid)
                found = 1;
    }
    h_free(&r);
    return found;
}

static long long
sign_count(const char *tok)
{
    struct resp r;
    long long n = -1;
    if (h_get("/user/sign/count", tok, &r) == 0 && r.status == 200 &&
        h_data(&r) && json_object_is_type(h_data(&r), json_type_int))
        n = json_object_get_int64(h_data(&r));
    h_free(&r);
    return n;
}

static long long
uv_today(void)
{
    struct resp r;
    long long n = -1;
    snprintf(admin_hdr, sizeof(admin_hdr), "X-Admin-Token: %s",
             h_admin_token());
    if (h_http("GET", "/admin/uv", NULL, admin_hdr, NULL, NULL, 0, &r) == 0 &&
        r.status == 200)
        n = h_jint(h_data(&r), "uv");
    h_free(&r);
    return n;
}

/* 1 when the first page of tok's feed holds blog. */
static int
feed_has(const char *tok, int64_t blog)
{
    struct resp r;
    int found = 0;
    if (h_get("/blog/of/follow?lastId=9999999999999", tok, &r) == 0 &&
        r.status == 200) {
        struct json_object *l = h_jget(h_data(&r), "list");
        for (size_t i = 0; l && json_object_is_type(l, json_type_array) &&
                           i < json_object_array_length(l);
             i++)
            if (h_jint(json_object_array_get_idx(l, i), "id") == blog)
                found = 1;
    }
    h_free(&r);
    return found;
}

static int
is_following(const char *tok, int64_t who)
{
    char path[64];
    struct resp r;
    snprintf(path, sizeof(path), "/follow/or/not/%lld", (long long)who);
    int yes = -1;
    if (h_get(path, tok, &r) == 0 && r.status == 200 && h_data(&r))
        yes = json_object_get_boolean(h_data(&r));
    h_free(&r);
    return yes;
}

/* The voucher consumer: the one child of its supervisor. */
static long
consumer_pid(void)
{
    long sup = h_run_pid("hmdp-voucher-consumer.pid");
    long kids[4];
    return sup > 0 && h_children_of(sup, kids, 4) == 1 ? kids[0] : -1;
}

/* ------------------------------------------------------------ tests */

/* One round: write every kind of data, restart Redis (hard or clean),
 * read everything back through the API. */
static void
round_trip(int hard)
{
    int64_t author_id, fan_id, liker_id, buyer_id, b2_id, b3_id, b4_id;
    char *author = h_login_user(&author_id);
    char *fan = h_login_user(&fan_id);
    char *liker = h_login_user(&liker_id);
    char *buyer = h_login_user(&buyer_id);
    char *b2 = h_login_user(&b2_id);
    char *b3 = h_login_user(&b3_id);
    char *b4 = h_login_user(&b4_id);
    CHECK(author && fan && liker && buyer && b2 && b3 && b4);
    if (!(author && fan && liker && buyer && b2 && b3 && b4))
        goto out;
    char path[96], msg[128];

    /* like */
    int64_t blog = publish(author, "durable like");
    CHECK(blog > 0);
    snprintf(path, sizeof(path), "/blog/like/%lld", (long long)blog);
    CHECK(put_ok(path, liker));
    /* sign-in */
    struct resp r;
    CHECK(h_http("POST", "/user/sign", liker, NULL, NULL, NULL, 0, &r) == 0 &&
          h_success(&r));
    h_free(&r);
    CHECK(sign_count(liker) == 1);
    /* follow, then the author publishes: the fan's inbox gets it */
    snprintf(path, sizeof(path), "/follow/%lld/true", (long long)author_id);
    CHECK(put_ok(path, fan));
    int64_t post = publish(author, "durable feed");
    CHECK(post > 0);
    int in_feed = 0;
    for (int i = 0; i < 50 && !(in_feed = feed_has(fan, post)); i++)
        h_sleep_ms(100);
    CHECK(in_feed);
    /* seckill: stock 3, one bought */
    int64_t vid = new_seckill(3);
    CHECK(vid > 0);
    CHECK(buy(vid, buyer, NULL, 0) == 1);
    /* a pending stream entry: the consumer is stopped, b2's order is
     * acknowledged to b2 but only in the stream */
    long cons = consumer_pid();
    CHECK(cons > 0);
    if (cons > 0)
        CHECK(kill((pid_t)cons, SIGSTOP) == 0);
    /* the first order may still be on its way: let it land first */
    for (int i = 0; i < 100 && orders_of(vid) < 1 && cons > 0; i++) {
        kill((pid_t)cons, SIGCONT);
        h_sleep_ms(50);
        kill((pid_t)cons, SIGSTOP);
    }
    CHECK(buy(vid, b2, NULL, 0) == 1);
    h_sleep_ms(200);
    CHECK(orders_of(vid) == 1);
    /* UV after all of the above (every request counted its user) */
    long long uv = uv_today();
    CHECK(uv >= 7);

    redis_restart(hard);

    /* UV first, before this round's users make new requests */
    CHECK(uv_today() >= uv);
    /* the session itself survived: the old tokens still work */
    CHECK(h_get("/user/me", liker, &r) == 0 && r.status == 200 &&
          h_jint(h_data(&r), "id") == liker_id);
    h_free(&r);
    /* like: the liker set and the count agree, and a second PUT unlikes
     * (a lost set would count the same user twice) */
    int64_t liked;
    int is_like;
    blog_like_state(blog, liker, &liked, &is_like);
    CHECK(liked == 1 && is_like == 1);
    CHECK(likers_have(blog, liker_id));
    snprintf(path, sizeof(path), "/blog/like/%lld", (long long)blog);
    CHECK(put_ok(path, liker));
    blog_like_state(blog, liker, &liked, &is_like);
    CHECK(liked == 0 && is_like == 0);
    CHECK(h_sql_int("SELECT liked FROM tb_blog WHERE id = %lld",
                    (long long)blog) == 0);
    /* sign-in */
    CHECK(sign_count(liker) == 1);
    /* follow and inbox */
    CHECK(is_following(fan, author_id) == 1);
    CHECK(feed_has(fan, post));
    /* the pending order reaches MySQL once the consumer runs again */
    if (cons > 0)
        CHECK(kill((pid_t)cons, SIGCONT) == 0);
    int landed = 0;
    for (int i = 0; i < 150 && !landed; i++) {
        landed = orders_of(vid) == 2;
        if (!landed)
            h_sleep_ms(100);
    }
    CHECK(landed);
    CHECK(h_sql_int("SELECT COUNT(*) FROM tb_voucher_order WHERE voucher_id "
                    "= %lld AND user_id IN (%lld, %lld)",
                    (long long)vid, (long long)buyer_id,
                    (long long)b2_id) == 2);
    /* seckill: the buyers set and the stock (3 - 2 = 1) came back */
    CHECK(buy(vid, buyer, msg, sizeof(msg)) == 0 &&
          strcmp(msg, "禁止重复下单") == 0);
    CHECK(buy(vid, b2, msg, sizeof(msg)) == 0 &&
          strcmp(msg, "禁止重复下单") == 0);
    CHECK(buy(vid, b3, NULL, 0) == 1);
    CHECK(buy(vid, b4, msg, sizeof(msg)) == 0 && strcmp(msg, "库存不足") == 0);
    landed = 0;
    for (int i = 0; i < 100 && !landed; i++) {
        landed = orders_of(vid) == 3;
        if (!landed)
            h_sleep_ms(100);
    }
    CHECK(landed);
    CHECK(h_sql_int("SELECT stock FROM tb_seckill_voucher WHERE voucher_id = "
                    "%lld",
                    (long long)vid) == 0);
out:
    free(author);
    free(fan);
    free(liker);
    free(buyer);
    free(b2);
    free(b3);
    free(b4);
}

static void
test_clean_restart(void)
{
    round_trip(0);
}

static void
test_sigkill_restart(void)
{
    round_trip(1);
}

enum { SK_USERS = 800, SK_STOCK = 300 };
static int64_t sk_uids[SK_USERS];
static char sk_tokens[SK_USERS][33];

struct killer {
    int64_t vid;
    int after;   /* kill once Redis has recorded this many buyers */
    int down_ms; /* then keep it down this long */
    int64_t at_ms;
};

/* Kills Redis with SIGKILL once `after` buyers are in (mid-burst, however
 * fast the machine), keeps it down for down_ms, starts it again from its
 * config. Polls on its own connection. */
static void *
killer_main(void *arg)
{
    struct killer *k = arg;
    redisContext *c = redisConnect("127.0.0.1", atoi(h_env("HMDP_REDIS_PORT")));
    int64_t t0 = h_now_ms();
    while (c && !c->err && h_now_ms() - t0 < 20000) {
        redisReply *r =
            redisCommand(c, "SCARD seckill:order:%lld", (long long)k->vid);
        long long n = r && r->type == REDIS_REPLY_INTEGER ? r->integer : 0;
        if (r)
            freeReplyObject(r);
        if (n >= k->after)
            break;
        h_sleep_ms(1);
    }
    if (c)
        redisFree(c);
    k->at_ms = h_now_ms() - t0;
    long pid = h_run_pid("redis.pid");
    if (pid > 0)
        kill((pid_t)pid, SIGKILL);
    h_sleep_ms(k->down_ms);
    char cmd[1200];
    snprintf(cmd, sizeof(cmd), "redis-server %s/redis.conf",
             h_env("HMDP_RUN_DIR"));
    if (system(cmd) != 0)
        printf("  restarting redis failed\n");
    return NULL;
}

static void
test_stampede_sigkill(void)
{
    int64_t vid = new_seckill(SK_STOCK);
    CHECK(vid > 0);
    if (vid <= 0)
        return;
    h_make_users(SK_USERS, sk_uids, sk_tokens, "17", "du");
    struct hm_req *q = calloc(SK_USERS, sizeof(*q));
    struct hm_res *res = calloc(SK_USERS, sizeof(*res));
    for (int i = 0; i < SK_USERS; i++) {
        q[i].method = "POST";
        snprintf(q[i].path, sizeof(q[i].path), "/voucher-order/seckill/%lld",
                 (long long)vid);
        q[i].token = sk_tokens[i];
    }
    struct killer k = {vid, 40, 300, 0};
    pthread_t th;
    int64_t t0 = h_now_ms();
    CHECK(pthread_create(&th, NULL, killer_main, &k) == 0);
    hm_run(q, res, SK_USERS, 8);
    int64_t burst_ms = h_now_ms() - t0;
    pthread_join(th, NULL);
    int up = 0;
    for (int i = 0; i < 100 && !(up = redis_up()); i++)
        h_sleep_ms(100);
    CHECK(up);

    /* who was told success, and with which order id */
    int ok = 0, sold = 0, failed = 0;
    long long *ok_uid = calloc(SK_USERS, sizeof(*ok_uid));
    long long *ok_oid = calloc(SK_USERS, sizeof(*ok_oid));
    for (int i = 0; i < SK_USERS; i++) {
        if (res[i].status == 200 && hm_success(&res[i])) {
            struct json_object *d = h_jget(res[i].json, "data");
            long long oid =
                d ? strtoll(json_object_get_string(d), NULL, 10) : 0;
            ok_oid[ok] = oid;
            ok_uid[ok++] = sk_uids[i];
        } else if (res[i].status == 200 && hm_errmsg(&res[i]) &&
                   strcmp(hm_errmsg(&res[i]), "库存不足") == 0) {
            sold++;
        } else {
            failed++;
        }
    }
    printf("  burst of %d in %lld ms, Redis killed at %lld ms for %d ms: %d "
           "successes, %d sold out, %d failed (503 while Redis was down)\n",
           SK_USERS, (long long)burst_ms, (long long)k.at_ms, k.down_ms, ok,
           sold, failed);
    /* the kill landed mid-burst: some succeeded, some met the outage */
    CHECK(ok > 0 && failed > 0);
    CHECK(ok <= SK_STOCK);

    /* the stream drains: MySQL ends with the buyers Redis recorded */
    long long want = h_redis_int("SCARD seckill:order:%lld", (long long)vid);
    CHECK(want >= ok);
    int drained = 0;
    for (int i = 0; i < 300 && !drained; i++) {
        drained = orders_of(vid) == want;
        if (!drained)
            h_sleep_ms(100);
    }
    CHECK(drained);
    h_sleep_ms(300); /* nothing more may arrive */
    long long orders = orders_of(vid);
    CHECK(orders == want);
    /* every success has its order, under its own id (50 ids a query) */
    long long found = 0;
    for (int i = 0; i < ok; i += 50) {
        char in[2048];
        int w = 0;
        for (int j = i; j < i + 50 && j < ok; j++)
            w += snprintf(in + w, sizeof(in) - (size_t)w, "%s%lld",
                          j > i ? "," : "", ok_oid[j]);
        found += h_sql_int("SELECT COUNT(*) FROM tb_voucher_order WHERE "
                           "voucher_id = %lld AND id IN (%s)",
                           (long long)vid, in);
    }
    CHECK(found == ok);
    for (int i = 0; i < ok; i++)
        if (h_sql_int("SELECT COUNT(*) FROM tb_voucher_order WHERE "
                      "voucher_id = %lld AND user_id = %lld",
                      (long long)vid, ok_uid[i]) != 1) {
            printf("  buyer %lld told success has no single order\n",
                   ok_uid[i]);
            CHECK(0);
            break;
        }
    /* nobody twice; the stocks agree */
    CHECK(h_sql_int("SELECT COUNT(*) FROM (SELECT user_id FROM "
                    "tb_voucher_order WHERE voucher_id = %lld GROUP BY "
                    "user_id HAVING COUNT(*) > 1) x",
                    (long long)vid) == 0);
    long long stock = h_sql_int("SELECT stock FROM tb_seckill_voucher WHERE "
                                "voucher_id = %lld",
                                (long long)vid);
    CHECK(stock == SK_STOCK - orders);
    CHECK(h_redis_int("GET seckill:stock:%lld", (long long)vid) == stock);
    free(ok_uid);
    free(ok_oid);
    hm_free(res, SK_USERS);
    free(q);
    free(res);
}

static const unsigned char PNG[] = {0x89, 'P',  'N', 'G', '\r', '\n',
                                    0x1a, '\n', 0,   0,   0,    '\r',
                                    '\n', '-',  '-', 'x', 0,    0xff};

/* POST /upload/blog with a tiny PNG: the malloc'd "/blogs/..." name. */
static char *
upload_png(const char *tok)
{
    const char *b = "----hmdpDurableBoundary";
    char body[1024];
    size_t k = (size_t)snprintf(body, sizeof(body),
                                "--%s\r\nContent-Disposition: form-data; "
                                "name=\"file\"; filename=\"a.png\"\r\n"
                                "Content-Type: image/png\r\n\r\n",
                                b);
    memcpy(body + k, PNG, sizeof(PNG));
    k += sizeof(PNG);
    k += (size_t)snprintf(body + k, sizeof(body) - k, "\r\n--%s--\r\n", b);
    char ct[128];
    snprintf(ct, sizeof(ct), "multipart/form-data; boundary=%s", b);
    struct resp r;
    char *name = NULL;
    if (h_http("POST", "/upload/blog", tok, NULL, ct, body, k, &r) == 0 &&
        r.status == 200 && h_success(&r) && h_data(&r))
        name = strdup(json_object_get_string(h_data(&r)));
    else
        printf("  upload: %ld %s\n", r.status, r.body ? r.body : "");
    h_free(&r);
    return name;
}

static long
delete_upload(const char *tok, const char *name)
{
    char path[512];
    struct resp r;
    snprintf(path, sizeof(path), "/upload/blog/delete?name=%s", name);
    long st = h_get(path, tok, &r) == 0 ? r.status : -1;
    if (st == 200 && !h_success(&r))
        st = 299; /* refused */
    h_free(&r);
    return st;
}

static int
file_exists(const char *name)
{
    char p[1024];
    snprintf(p, sizeof(p), "%s%s", h_env("HMDP_UPLOAD_DIR"), name);
    return access(p, F_OK) == 0;
}

/* 1 when GET /voucher/list/{shop} lists voucher vid. */
static int
voucher_listed(int64_t shop, int64_t vid)
{
    char path[64];
    struct resp r;
    snprintf(path, sizeof(path), "/voucher/list/%lld", (long long)shop);
    int found = 0;
    if (h_get(path, NULL, &r) == 0 && r.status == 200 && h_data(&r)) {
        struct json_object *l = h_data(&r);
        for (size_t i = 0; json_object_is_type(l, json_type_array) &&
                           i < json_object_array_length(l);
             i++)
            if (h_jint(json_object_array_get_idx(l, i), "id") == vid)
                found = 1;
    }
    h_free(&r);
    return found;
}

static void
test_lost_volume(void)
{
    char phone[6][16];
    char *tok[6];
    int64_t uid[6];
    for (int i = 0; i < 6; i++) {
        snprintf(phone[i], sizeof(phone[i]), "%s", h_phone());
        tok[i] = h_login_phone(phone[i], &uid[i]);
        CHECK(tok[i] != NULL);
        if (tok[i] == NULL)
            return;
    }
    /* 0 buys before the loss; 1..3 after; 4 uploads; 5 is a stranger */
    int64_t vid = new_seckill(3);
    CHECK(vid > 0);
    long long shop = h_sql_int("SELECT shop_id FROM tb_voucher WHERE id = %lld",
                               (long long)vid);
    CHECK(buy(vid, tok[0], NULL, 0) == 1);
    int landed = 0;
    for (int i = 0; i < 100 && !(landed = orders_of(vid) == 1); i++)
        h_sleep_ms(100);
    CHECK(landed);
    char *img = upload_png(tok[4]);
    CHECK(img != NULL);
    char path[96];
    snprintf(path, sizeof(path), "/follow/%lld/true", (long long)uid[4]);
    CHECK(put_ok(path, tok[0]));

    CHECK(h_redis_int("FLUSHALL") == -1 || 1); /* "OK" is not a number */
    /* not DBSIZE == 0: the daemons' heartbeats (hb:*) come back within a
     * second of the flush */
    CHECK(h_redis_int("EXISTS seckill:stock:%lld", (long long)vid) == 0);
    CHECK(h_redis_int("EXISTS follows:%lld", (long long)uid[0]) == 0);

    /* sessions lived in Redis only: everybody logs in again */
    for (int i = 0; i < 6; i++) {
        free(tok[i]);
        tok[i] = h_login_phone(phone[i], NULL);
        CHECK(tok[i] != NULL);
        if (tok[i] == NULL)
            return;
    }
    /* the voucher is still listed and sells what MySQL says is left,
     * once per user (0's order is in tb_voucher_order) */
    CHECK(voucher_listed(shop, vid));
    char msg[128];
    CHECK(buy(vid, tok[0], msg, sizeof(msg)) == 0 &&
          strcmp(msg, "禁止重复下单") == 0);
    CHECK(buy(vid, tok[1], NULL, 0) == 1);
    CHECK(buy(vid, tok[2], NULL, 0) == 1);
    CHECK(buy(vid, tok[3], msg, sizeof(msg)) == 0 &&
          strcmp(msg, "库存不足") == 0);
    landed = 0;
    for (int i = 0; i < 150 && !(landed = orders_of(vid) == 3); i++)
        h_sleep_ms(100);
    CHECK(landed);
    CHECK(h_sql_int("SELECT stock FROM tb_seckill_voucher WHERE voucher_id = "
                    "%lld",
                    (long long)vid) == 0);
    /* follows come back from MySQL */
    CHECK(is_following(tok[0], uid[4]) == 1);
    /* the upload: a stranger still may not delete it, its owner may */
    if (img) {
        CHECK(file_exists(img));
        long st = delete_upload(tok[5], img);
        CHECK(st == 403);
        CHECK(file_exists(img));
        CHECK(delete_upload(tok[4], img) == 200);
        CHECK(!file_exists(img));
    }
    free(img);
    for (int i = 0; i < 6; i++)
        free(tok[i]);
}

int
main(void)
{
    h_init();
    RUN(test_clean_restart);
    RUN(test_sigkill_restart);
    RUN(test_stampede_sigkill);
    RUN(test_lost_volume);
    T_DONE();
}
