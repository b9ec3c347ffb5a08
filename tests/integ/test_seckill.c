/*
 * test_seckill.c: vouchers and the flash sale against the running stack,
 * including hmdp-voucher-consumer: admin-only creation with validation,
 * the voucher list, every refusal message, 1000 distinct buyers against
 * stock 200 (exactly 200 orders reach MySQL, no user twice, Redis stock
 * 0), one user hammering 50 times (one order), and the consumer killed
 * with SIGKILL while orders are pending (its supervisor restarts it and
 * MySQL still ends with exactly 200 rows, including one that was already
 * committed but never acknowledged).
 */
#include "h.h"
#include "h_multi.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define ORDER_EPOCH 1640995200LL

static int64_t
new_shop(void)
{
    return h_admin_post_id("/shop",
                           "{\"name\":\"秒杀测试店\",\"typeId\":3,"
                           "\"images\":\"https://a/1.jpg\",\"address\":"
                           "\"测试路\",\"x\":120.15,\"y\":30.33}");
}

static int64_t
new_seckill(int64_t shop, long stock, long begin_off, long end_off)
{
    char b[32], e[32], body[512];
    h_ltime(begin_off, b);
    h_ltime(end_off, e);
    snprintf(body, sizeof(body),
             "{\"shopId\":%lld,\"title\":\"100元代金券\",\"subTitle\":"
             "\"周一至周日可用\",\"rules\":\"全场通用\\\\n无需预约\","
             "\"payValue\":8000,\"actualValue\":10000,\"type\":1,"
             "\"stock\":%ld,\"beginTime\":\"%s\",\"endTime\":\"%s\"}",
             (long long)shop, stock, b, e);
    return h_admin_post_id("/voucher/seckill", body);
}

static long long
orders_of(int64_t vid)
{
    return h_sql_int("SELECT COUNT(*) FROM tb_voucher_order WHERE "
                     "voucher_id = %lld",
                     (long long)vid);
}

/* Waits until MySQL holds want orders for vid; returns the seconds it
 * took, or -1 after max_s. */
static double
wait_orders(int64_t vid, long long want, int max_s)
{
    int64_t t0 = h_now_ms();
    while (h_now_ms() - t0 < max_s * 1000LL) {
        if (orders_of(vid) >= want)
            return (double)(h_now_ms() - t0) / 1000.0;
        h_sleep_ms(20);
    }
    printf("  only %lld of %lld orders for voucher %lld after %d s\n",
           orders_of(vid), want, (long long)vid, max_s);
    return -1;
}

static void
seckill_req(struct hm_req *q, int64_t vid, const char *token)
{
    q->method = "POST";
    snprintf(q->path, sizeof(q->path), "/voucher-order/seckill/%lld",
             (long long)vid);
    q->token = token;
}

static void
test_voucher_create_and_list(void)
{
    int64_t shop = new_shop();
    CHECK(shop > 0);
    struct resp r;
    char path[64], body[512];
    snprintf(path, sizeof(path), "/voucher/list/%lld", (long long)shop);
    CHECK(h_get(path, NULL, &r) == 0);
    CHECK(r.status == 200 && h_success(&r) && h_data(&r) &&
          json_object_array_length(h_data(&r)) == 0);
    h_free(&r);

    snprintf(body, sizeof(body),
             "{\"shopId\":%lld,\"title\":\"50元代金券\",\"subTitle\":\"s\","
             "\"rules\":\"r\",\"payValue\":4750,\"actualValue\":5000,"
             "\"type\":0}",
             (long long)shop);
    int64_t v1 = h_admin_post_id("/voucher", body);
    int64_t v2 = new_seckill(shop, 77, -60, 3600);
    CHECK(v1 > 0 && v2 > v1);

    CHECK(h_get(path, NULL, &r) == 0);
    struct json_object *d = h_data(&r);
    CHECK(d && json_object_array_length(d) == 2);
    if (d && json_object_array_length(d) == 2) {
        struct json_object *a = json_object_array_get_idx(d, 0);
        struct json_object *b = json_object_array_get_idx(d, 1);
        CHECK(h_jint(a, "id") == v1 && h_jint(a, "type") == 0);
        CHECK(h_jint(a, "shopId") == shop && h_jint(a, "payValue") == 4750);
        CHECK(h_jint(a, "actualValue") == 5000);
        CHECK(h_jget(a, "stock") == NULL && h_jget(a, "beginTime") == NULL &&
              h_jget(a, "endTime") == NULL && h_jget(a, "status") == NULL);
        CHECK(h_jint(b, "id") == v2 && h_jint(b, "type") == 1);
        CHECK(h_jint(b, "stock") == 77);
        const char *bt = json_object_get_string(h_jget(b, "beginTime"));
        char want[32];
        h_ltime(-60, want);
        CHECK(bt && strlen(bt) == 19 && bt[10] == 'T');
        CHECK(bt && strncmp(bt, want, 16) == 0);
        CHECK(h_jget(b, "endTime") != NULL);
    }
    h_free(&r);
    /* preloaded into Redis, window as epochs */
    CHECK(h_redis_int("GET seckill:stock:%lld", (long long)v2) == 77);
    long long begin =
        h_redis_int("HGET seckill:voucher:%lld begin", (long long)v2);
    long long end = h_redis_int("HGET seckill:voucher:%lld end", (long long)v2);
    long long now = (long long)time(NULL);
    CHECK(begin >= now - 62 && begin <= now - 58);
    CHECK(end - begin == 3660);
    CHECK(h_sql_int("SELECT stock FROM tb_seckill_voucher WHERE voucher_id "
                    "= %lld",
                    (long long)v2) == 77);
    /* an ordinary voucher has nothing in Redis */
    CHECK(h_redis_int("EXISTS seckill:stock:%lld", (long long)v1) == 0);

    /* refusals */
    char b[32], e[32];
    h_ltime(3600, b);
    h_ltime(60, e);
#define BAD_FMT                                                                \
    "{\"shopId\":%lld,\"title\":\"t\",\"payValue\":1,\"actualValue\":2,"       \
    "\"stock\":%s,\"beginTime\":\"%s\",\"endTime\":\"%s\"}"
    struct {
        const char *stock, *b, *e;
        int64_t shop;
    } bad[] = {
        {"10", b, e, shop},                     /* end before begin */
        {"10", b, b, shop},                     /* end == begin */
        {"0", e, b, shop},                      /* stock 0 */
        {"1000001", e, b, shop},                /* stock too large */
        {"10", "2024/01/01 00:00:00", b, shop}, /* bad format */
        {"10", "2024-02-30T00:00:00", b, shop}, /* no such day */
        {"10", e, b, 900000000},                /* unknown shop */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(body, sizeof(body), BAD_FMT, (long long)bad[i].shop,
                 bad[i].stock, bad[i].b, bad[i].e);
        CHECK(h_admin_post("/voucher/seckill", body, &r) == 0);
        if (r.status != 400)
            printf("  case %zu: %ld %s\n", i, r.status, r.body);
        CHECK(r.status == 400 && !h_success(&r));
        h_free(&r);
    }
    snprintf(body, sizeof(body),
             "{\"shopId\":%lld,\"title\":\"t\",\"payValue\":1,"
             "\"actualValue\":2,\"type\":1}",
             (long long)shop);
    CHECK(h_admin_post("/voucher", body, &r) == 0);
    CHECK(r.status == 400);
    h_free(&r);
    snprintf(body, sizeof(body), "{\"shopId\":%lld,\"payValue\":1}",
             (long long)shop);
    CHECK(h_admin_post("/voucher", body, &r) == 0);
    CHECK(r.status == 400);
    h_free(&r);
    CHECK(h_get("/voucher/list/0", NULL, &r) == 0);
    CHECK(r.status == 400);
    h_free(&r);
    /* nothing was created by the refusals */
    CHECK(h_get(path, NULL, &r) == 0);
    CHECK(h_data(&r) && json_object_array_length(h_data(&r)) == 2);
    h_free(&r);
}

static void
expect_refusal(int64_t vid, const char *token, const char *msg)
{
    struct resp r;
    char path[64];
    snprintf(path, sizeof(path), "/voucher-order/seckill/%lld", (long long)vid);
    CHECK(h_http("POST", path, token, NULL, NULL, NULL, 0, &r) == 0);
    if (r.status != 200 || h_success(&r) || h_errmsg(&r) == NULL ||
        strcmp(h_errmsg(&r), msg) != 0)
        printf("  voucher %lld: want %s, got %ld %s\n", (long long)vid, msg,
               r.status, r.body);
    CHECK(r.status == 200 && !h_success(&r));
    CHECK_STR(h_errmsg(&r), msg);
    h_free(&r);
}

static void
test_messages(void)
{
    int64_t shop = new_shop();
    int64_t uid_a, uid_b;
    char *ta = h_login(&uid_a), *tb = h_login(&uid_b);
    CHECK(ta && tb);
    struct resp r;

    int64_t open1 = new_seckill(shop, 1, -60, 3600);
    int64_t later = new_seckill(shop, 5, 3600, 7200);
    int64_t over = new_seckill(shop, 5, -7200, -3600);
    char body[256];
    snprintf(body, sizeof(body),
             "{\"shopId\":%lld,\"title\":\"普通券\",\"payValue\":1,"
             "\"actualValue\":2}",
             (long long)shop);
    int64_t plain = h_admin_post_id("/voucher", body);
    CHECK(open1 > 0 && later > 0 && over > 0 && plain > 0);

    /* login required */
    char path[64];
    snprintf(path, sizeof(path), "/voucher-order/seckill/%lld",
             (long long)open1);
    CHECK(h_http("POST", path, NULL, NULL, NULL, NULL, 0, &r) == 0);
    CHECK(r.status == 401);
    h_free(&r);

    expect_refusal(900000000, ta, "优惠券不存在");
    expect_refusal(plain, ta, "优惠券不存在");
    expect_refusal(later, ta, "秒杀尚未开始");
    expect_refusal(over, ta, "秒杀已经结束");

    /* the one unit of stock */
    CHECK(h_http("POST", path, ta, NULL, NULL, NULL, 0, &r) == 0);
    CHECK(r.status == 200 && h_success(&r));
    struct json_object *d = h_data(&r);
    CHECK(d && json_object_is_type(d, json_type_string));
    long long oid = d ? strtoll(json_object_get_string(d), NULL, 10) : 0;
    h_free(&r);
    long long secs = (long long)((unsigned long long)oid >> 32) + ORDER_EPOCH;
    CHECK(llabs(secs - (long long)time(NULL)) <= 5); /* real UTC seconds */
    CHECK((oid & 0xffffffffLL) >= 1);

    expect_refusal(open1, ta, "禁止重复下单");
    expect_refusal(open1, tb, "库存不足");
    CHECK(h_redis_int("GET seckill:stock:%lld", (long long)open1) == 0);
    CHECK(h_redis_int("SISMEMBER seckill:order:%lld %lld", (long long)open1,
                      (long long)uid_a) == 1);
    /* the day's counter expires (about 2 days) */
    char ymd[16];
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    strftime(ymd, sizeof(ymd), "%Y%m%d", &tm);
    long long ttl = h_redis_int("TTL icr:order:%s", ymd);
    CHECK(ttl > 86400 && ttl <= 172800);

    /* the consumer persists it with the same id */
    CHECK(wait_orders(open1, 1, 15) >= 0);
    CHECK(h_sql_int("SELECT user_id FROM tb_voucher_order WHERE id = %lld",
                    oid) == uid_a);
    CHECK(h_sql_int("SELECT stock FROM tb_seckill_voucher WHERE voucher_id "
                    "= %lld",
                    (long long)open1) == 0);
    /* nothing was written for the refused attempts */
    CHECK(orders_of(open1) == 1);
    CHECK(orders_of(later) == 0 && orders_of(over) == 0);
    free(ta);
    free(tb);
}

/* Runs one attempt per token (inflight at a time); returns the number of
 * successes and prints timing. Order ids go to ids (successes only). */
static int
burst(int64_t vid, char (*tokens)[33], int n, int inflight, long long *ids,
      int *refused_sold_out, double *secs)
{
    struct hm_req *q = calloc((size_t)n, sizeof(*q));
    struct hm_res *res = calloc((size_t)n, sizeof(*res));
    for (int i = 0; i < n; i++)
        seckill_req(&q[i], vid, tokens[i]);
    int64_t t0 = h_now_ms();
    hm_run(q, res, n, inflight);
    int retried = hm_count_502(res, n);
    CHECK(retried == 0); /* no POST may be lost to a 502 */
    *secs = (double)(h_now_ms() - t0) / 1000.0;
    if (retried)
        printf("  %d attempts answered 502\n", retried);
    int ok = 0, sold = 0, other = 0;
    for (int i = 0; i < n; i++) {
        if (res[i].status == 200 && hm_success(&res[i])) {
            struct json_object *d = h_jget(res[i].json, "data");
            ids[ok++] = d ? strtoll(json_object_get_string(d), NULL, 10) : 0;
        } else if (res[i].status == 200 && hm_errmsg(&res[i]) &&
                   strcmp(hm_errmsg(&res[i]), "库存不足") == 0) {
            sold++;
        } else if (other++ < 5) {
            printf("  attempt %d: %ld %s\n", i, res[i].status,
                   res[i].body ? res[i].body : "(none)");
        }
    }
    hm_free(res, n);
    free(q);
    free(res);
    *refused_sold_out = sold;
    return ok;
}

static int
cmp_ll(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;
    return x < y ? -1 : x > y;
}

static void
check_orders(int64_t vid, long long want)
{
    CHECK(orders_of(vid) == want);
    CHECK(h_sql_int("SELECT COUNT(DISTINCT user_id) FROM tb_voucher_order "
                    "WHERE voucher_id = %lld",
                    (long long)vid) == want);
    CHECK(h_sql_int("SELECT COUNT(*) FROM (SELECT user_id FROM "
                    "tb_voucher_order WHERE voucher_id = %lld GROUP BY "
                    "user_id HAVING COUNT(*) > 1) x",
                    (long long)vid) == 0);
    CHECK(h_sql_int("SELECT stock FROM tb_seckill_voucher WHERE voucher_id "
                    "= %lld",
                    (long long)vid) == 200 - want);
}

enum { USERS = 1000, STOCK = 200 };
static int64_t uids[USERS];
static char tokens[USERS][33];
static long long ids[USERS];

static void
test_burst_1000(void)
{
    int64_t shop = new_shop();
    int64_t vid = new_seckill(shop, STOCK, -60, 3600);
    CHECK(vid > 0);
    h_make_users(USERS, uids, tokens, "19", "sk");
    int sold = 0;
    double secs;
    int ok = burst(vid, tokens, USERS, 100, ids, &sold, &secs);
    CHECK(ok == STOCK);
    CHECK(sold == USERS - STOCK);
    /* every order id distinct */
    qsort(ids, (size_t)ok, sizeof(ids[0]), cmp_ll);
    int distinct = 1;
    for (int i = 1; i < ok; i++)
        if (ids[i] == ids[i - 1])
            distinct = 0;
    CHECK(distinct);
    CHECK(h_redis_int("GET seckill:stock:%lld", (long long)vid) == 0);
    CHECK(h_redis_int("SCARD seckill:order:%lld", (long long)vid) == STOCK);
    double drain = wait_orders(vid, STOCK, 30);
    CHECK(drain >= 0);
    printf("  burst: %d attempts in %.2f s (%.0f/s), %d orders; all in MySQL "
           "%.2f s after the burst\n",
           USERS, secs, USERS / secs, ok, drain);
    h_sleep_ms(300); /* nothing more may arrive */
    check_orders(vid, STOCK);
    /* the ids in MySQL are the ids the buyers were given */
    for (int i = 0; i < ok; i += 50) {
        char q[2048];
        int w = snprintf(q, sizeof(q),
                         "SELECT COUNT(*) FROM tb_voucher_order WHERE "
                         "voucher_id = %lld AND id IN (",
                         (long long)vid);
        for (int k = i; k < i + 50 && k < ok; k++)
            w += snprintf(q + w, sizeof(q) - (size_t)w, "%s%lld",
                          k > i ? "," : "", ids[k]);
        snprintf(q + w, sizeof(q) - (size_t)w, ")");
        CHECK(h_sql_int("%s", q) == (ok - i < 50 ? ok - i : 50));
    }
    /* the voucher list shows the live (Redis) stock */
    struct resp r;
    char path[64];
    snprintf(path, sizeof(path), "/voucher/list/%lld", (long long)shop);
    CHECK(h_get(path, NULL, &r) == 0);
    CHECK(h_data(&r) &&
          h_jint(json_object_array_get_idx(h_data(&r), 0), "stock") == 0);
    h_free(&r);
}

static void
test_same_user_hammering(void)
{
    int64_t shop = new_shop();
    int64_t vid = new_seckill(shop, 10, -60, 3600);
    int64_t uid;
    char *tok = h_login(&uid);
    CHECK(tok != NULL);
    enum { N = 50 };
    struct hm_req q[N];
    struct hm_res res[N];
    for (int i = 0; i < N; i++)
        seckill_req(&q[i], vid, tok);
    hm_run(q, res, N, N);
    int retried = hm_count_502(res, N);
    CHECK(retried == 0); /* no POST may be lost to a 502 */
    if (retried)
        printf("  %d attempts answered 502\n", retried);
    int ok = 0, dup = 0;
    for (int i = 0; i < N; i++) {
        if (hm_success(&res[i]))
            ok++;
        else if (hm_errmsg(&res[i]) &&
                 strcmp(hm_errmsg(&res[i]), "禁止重复下单") == 0)
            dup++;
    }
    hm_free(res, N);
    CHECK(ok == 1 && dup == N - 1);
    CHECK(h_redis_int("GET seckill:stock:%lld", (long long)vid) == 9);
    CHECK(wait_orders(vid, 1, 15) >= 0);
    h_sleep_ms(300);
    CHECK(orders_of(vid) == 1);
    CHECK(h_sql_int("SELECT user_id FROM tb_voucher_order WHERE "
                    "voucher_id = %lld",
                    (long long)vid) == uid);
    free(tok);
}

/* The consumer process: the child of the multiwatch named by the pid
 * file. -1 when not running. */
static long
consumer_pid(void)
{
    long sup = h_run_pid("hmdp-voucher-consumer.pid");
    if (sup <= 0)
        return -1;
    /* multiwatch -f 1 has exactly one child: the consumer */
    long kids[4];
    return h_children_of(sup, kids, 4) == 1 ? kids[0] : -1;
}

static void
test_consumer_killed_mid_drain(void)
{
    long pid = consumer_pid();
    CHECK(pid > 0);
    if (pid <= 0) {
        printf("  hmdp-voucher-consumer is not running\n");
        return;
    }
    int64_t shop = new_shop();
    int64_t vid = new_seckill(shop, STOCK, -60, 3600);
    h_make_users(USERS, uids, tokens, "19", "sk");

    /* freeze the consumer: the orders pile up in the stream */
    CHECK(kill((pid_t)pid, SIGSTOP) == 0);
    int sold;
    double secs;
    int ok = burst(vid, tokens, USERS, 100, ids, &sold, &secs);
    CHECK(ok == STOCK);
    h_sleep_ms(200);
    CHECK(orders_of(vid) == 0);

    /* take 50 entries as consumer c1 (they are now pending for it), and
     * persist the first of ours by hand without an ACK: the state a crash
     * between COMMIT and XACK leaves */
    redisReply *r = redisCommand(h_redis(), "XREADGROUP GROUP g1 c1 COUNT 50 "
                                            "STREAMS stream.orders >");
    long long uid = 0, oid = 0;
    int taken = 0;
    if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 1) {
        redisReply *list = r->element[0]->element[1];
        taken = (int)list->elements;
        for (size_t i = 0; i < list->elements && oid == 0; i++) {
            redisReply *fv = list->element[i]->element[1];
            long long u = 0, v = 0, o = 0;
            for (size_t k = 0; k + 1 < fv->elements; k += 2) {
                long long x = strtoll(fv->element[k + 1]->str, NULL, 10);
                if (strcmp(fv->element[k]->str, "userId") == 0)
                    u = x;
                else if (strcmp(fv->element[k]->str, "voucherId") == 0)
                    v = x;
                else if (strcmp(fv->element[k]->str, "id") == 0)
                    o = x;
            }
            if (v == vid) {
                uid = u;
                oid = o;
            }
        }
    }
    if (r)
        freeReplyObject(r);
    CHECK(taken > 0 && oid > 0);
    CHECK(h_sql_exec("START TRANSACTION") == 0);
    CHECK(h_sql_exec("UPDATE tb_seckill_voucher SET stock = stock - 1 WHERE "
                     "voucher_id = %lld",
                     (long long)vid) == 0);
    CHECK(h_sql_exec("INSERT INTO tb_voucher_order (id, user_id, voucher_id) "
                     "VALUES (%lld, %lld, %lld)",
                     oid, uid, (long long)vid) == 0);
    CHECK(h_sql_exec("COMMIT") == 0);

    /* crash; the supervisor starts a new consumer */
    CHECK(kill((pid_t)pid, SIGKILL) == 0);
    long npid = -1;
    for (int i = 0; i < 100 && (npid <= 0 || npid == pid); i++) {
        h_sleep_ms(100);
        npid = consumer_pid();
    }
    CHECK(npid > 0 && npid != pid);
    double drain = wait_orders(vid, STOCK, 30);
    CHECK(drain >= 0);
    printf("  after SIGKILL: %d pending replayed, all %d orders in MySQL "
           "%.2f s after the restart was seen\n",
           taken, STOCK, drain);
    h_sleep_ms(500);
    check_orders(vid, STOCK);
    /* nothing stays pending */
    int64_t t0 = h_now_ms();
    long long pend = -1;
    while (h_now_ms() - t0 < 5000) {
        redisReply *p = redisCommand(h_redis(), "XPENDING stream.orders g1");
        pend = (p && p->type == REDIS_REPLY_ARRAY && p->elements >= 1)
                   ? p->element[0]->integer
                   : -1;
        if (p)
            freeReplyObject(p);
        if (pend == 0)
            break;
        h_sleep_ms(50);
    }
    CHECK(pend == 0);
}

int
main(void)
{
    h_init();
    srand((unsigned)(time(NULL) ^ getpid()));
    RUN(test_voucher_create_and_list);
    RUN(test_messages);
    RUN(test_burst_1000);
    RUN(test_same_user_hammering);
    RUN(test_consumer_killed_mid_drain);
    T_DONE();
}
