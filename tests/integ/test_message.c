/*
 * test_message.c: notifications against the real stack (MESSAGES.md §3-4):
 * the order notice from group push (once the order row exists, also when
 * the order writer is late), its entry in message.stream:{buyer} in the
 * format of messages-design.md, persistence into tb_message by group
 * persist, and the routes /message/list, /message/unread/count and
 * /message/read with paging, marking and bad input.
 */
#include "h.h"

#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct user {
    char *token;
    int64_t id;
};

static struct user
login(void)
{
    struct user u = {NULL, 0};
    u.token = h_login_user(&u.id);
    return u;
}

static char admin_hdr[256];

static int64_t
admin_post_id(const char *path, const char *json)
{
    struct resp r;
    snprintf(admin_hdr, sizeof(admin_hdr), "X-Admin-Token: %s",
             h_admin_token());
    if (h_http("POST", path, NULL, admin_hdr, "application/json", json,
               strlen(json), &r) != 0)
        return -1;
    int64_t id = -1;
    if (r.status == 200 && h_success(&r) && h_data(&r))
        id = json_object_get_int64(h_data(&r));
    else
        printf("  POST %s: %ld %s\n", path, r.status, r.body);
    h_free(&r);
    return id;
}

static void
ltime(long off, char *buf, size_t n)
{
    time_t t = time(NULL) + off;
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(buf, n, "%Y-%m-%dT%H:%M:%S", &tm);
}

/* A seckill voucher on shop 1 with some stock, on sale now. */
static int64_t
new_seckill(void)
{
    char b[512], tb[32], te[32];
    ltime(-3600, tb, sizeof(tb));
    ltime(3600, te, sizeof(te));
    snprintf(b, sizeof(b),
             "{\"shopId\":1,\"title\":\"notice\",\"payValue\":100,"
             "\"actualValue\":200,\"type\":1,\"stock\":5,\"beginTime\":"
             "\"%s\",\"endTime\":\"%s\"}",
             tb, te);
    return admin_post_id("/voucher/seckill", b);
}

/* Buys voucher vid as u; the order id or -1. */
static int64_t
buy(const struct user *u, int64_t vid)
{
    char path[128];
    struct resp r;
    snprintf(path, sizeof(path), "/voucher-order/seckill/%lld", (long long)vid);
    if (h_post_json(path, u->token, NULL, &r) != 0)
        return -1;
    int64_t id = -1;
    if (r.status == 200 && h_success(&r) && h_data(&r))
        id = json_object_get_int64(h_data(&r));
    h_free(&r);
    return id;
}

/* The pid of a running program whose command line contains all of
 * words (argv joined by spaces), or -1. */
static long
find_pid(const char *prog, const char *arg)
{
    DIR *d = opendir("/proc");
    struct dirent *e;
    long found = -1;
    while (d && (e = readdir(d)) != NULL && found < 0) {
        long pid = strtol(e->d_name, NULL, 10);
        if (pid <= 0)
            continue;
        char path[64], buf[512];
        snprintf(path, sizeof(path), "/proc/%ld/cmdline", pid);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        size_t n = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        buf[n] = '\0';
        size_t l = strlen(buf);
        if (!strstr(buf, prog) || strstr(buf, "multiwatch"))
            continue;
        if (arg ? (l < n && strcmp(buf + l + 1, arg) == 0) : l + 1 >= n)
            found = pid;
    }
    if (d)
        closedir(d);
    return found;
}

/* The entries of message.stream:{uid} (the reply; caller frees). */
static redisReply *
user_stream(int64_t uid)
{
    return redisCommand(h_redis(), "XRANGE message.stream:%lld - +",
                        (long long)uid);
}

static const char *
field(redisReply *entry, const char *name)
{
    redisReply *f = entry->element[1];
    for (size_t k = 0; f && k + 1 < f->elements; k += 2)
        if (strcmp(f->element[k]->str, name) == 0)
            return f->element[k + 1]->str;
    return NULL;
}

/* GET /message/list?query as me: the data array (caller puts) or NULL
 * with *status. */
static struct json_object *
list(const struct user *me, const char *query, long *status)
{
    char path[256];
    struct resp r;
    snprintf(path, sizeof(path), "/message/list%s%s", query ? "?" : "",
             query ? query : "");
    *status = -1;
    if (h_get(path, me ? me->token : NULL, &r) != 0)
        return NULL;
    *status = r.status;
    struct json_object *d = h_data(&r), *out = NULL;
    if (r.status == 200 && h_success(&r) && d &&
        json_object_is_type(d, json_type_array))
        out = json_object_get(d);
    h_free(&r);
    return out;
}

static long long
unread(const struct user *me)
{
    struct resp r;
    long long n = -1;
    if (h_get("/message/unread/count", me->token, &r) == 0 && r.status == 200 &&
        h_success(&r) && h_data(&r))
        n = json_object_get_int64(h_data(&r));
    h_free(&r);
    return n;
}

/* PUT /message/read?query: how many were marked, -status on an error. */
static long long
mark_read(const struct user *me, const char *query)
{
    char path[256];
    struct resp r;
    snprintf(path, sizeof(path), "/message/read%s%s", query ? "?" : "",
             query ? query : "");
    long long n = -1;
    if (h_put(path, me->token, NULL, &r) != 0)
        return -1;
    if (r.status == 200 && h_success(&r) && h_data(&r))
        n = json_object_get_int64(h_data(&r));
    else
        n = -r.status;
    h_free(&r);
    return n;
}

static struct json_object *
jpath(struct json_object *o, const char *a, const char *b)
{
    struct json_object *v = NULL, *w = NULL;
    if (!o || !json_object_object_get_ex(o, a, &v))
        return NULL;
    if (!b)
        return v;
    return json_object_object_get_ex(v, b, &w) ? w : NULL;
}

/* Waits until the user has n persisted notices (up to ms). */
static int
wait_persisted(int64_t uid, long long n, int ms)
{
    for (int w = 0; w <= ms; w += 100) {
        if (h_sql_int("SELECT COUNT(*) FROM tb_message WHERE to_user = %lld",
                      (long long)uid) == n)
            return 1;
        h_sleep_ms(100);
    }
    return 0;
}

/* ---------------- the order notice ---------------- */

static void
test_order_notice(void)
{
    struct user u = login();
    int64_t vid = new_seckill();
    CHECK(vid > 0);
    int64_t oid = buy(&u, vid);
    CHECK(oid > 0);
    CHECK(wait_persisted(u.id, 1, 10000));
    redisReply *r = user_stream(u.id);
    CHECK(r && r->type == REDIS_REPLY_ARRAY && r->elements == 1);
    if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 1) {
        redisReply *e = r->element[0];
        char want[256];
        snprintf(want, sizeof(want),
                 "{\"from\":0,\"to\":%lld,\"type\":\"order\",\"content\":"
                 "\"抢购成功，订单已创建\",\"refId\":\"%lld\",\"time\":\"",
                 (long long)u.id, (long long)oid);
        const char *m = field(e, "m");
        CHECK(m && strncmp(m, want, strlen(want)) == 0);
        CHECK(field(e, "u") == NULL); /* system message: no sender */
        CHECK(field(e, "mid") != NULL);
        /* the list answers the same message under the entry id */
        long st;
        struct json_object *l = list(&u, NULL, &st);
        CHECK(l && json_object_array_length(l) == 1);
        struct json_object *it = l ? json_object_array_get_idx(l, 0) : NULL;
        CHECK(it && jpath(it, "user", NULL) == NULL);
        struct json_object *id = jpath(it, "message", "id");
        CHECK(id &&
              strcmp(json_object_get_string(id), e->element[0]->str) == 0);
        struct json_object *ref = jpath(it, "message", "refId");
        char os[32];
        snprintf(os, sizeof(os), "%lld", (long long)oid);
        CHECK(ref && json_object_is_type(ref, json_type_string) &&
              strcmp(json_object_get_string(ref), os) == 0);
        struct json_object *rd = jpath(it, "read", NULL);
        CHECK(rd && json_object_is_type(rd, json_type_boolean) &&
              !json_object_get_boolean(rd));
        json_object_put(l);
    }
    if (r)
        freeReplyObject(r);
    CHECK(unread(&u) == 1);
    free(u.token);
}

/* The order writer is late (stopped): push retries until the row exists,
 * then sends the notice exactly once. */
static void
test_order_notice_waits_for_the_row(void)
{
    struct user u = login();
    int64_t vid = new_seckill();
    long g1 = find_pid("hmdp-voucher-consumer", NULL);
    CHECK(g1 > 0);
    if (g1 <= 0)
        return;
    CHECK(kill((pid_t)g1, SIGSTOP) == 0);
    int64_t oid = buy(&u, vid);
    CHECK(oid > 0);
    h_sleep_ms(700);
    CHECK(h_sql_int("SELECT COUNT(*) FROM tb_voucher_order WHERE id = %lld",
                    (long long)oid) == 0);
    CHECK(h_redis_int("XLEN message.stream:%lld", (long long)u.id) <= 0);
    CHECK(kill((pid_t)g1, SIGCONT) == 0);
    CHECK(wait_persisted(u.id, 1, 10000));
    h_sleep_ms(500);
    CHECK(h_redis_int("XLEN message.stream:%lld", (long long)u.id) == 1);
    CHECK(h_sql_int("SELECT COUNT(*) FROM tb_message WHERE to_user = %lld",
                    (long long)u.id) == 1);
    free(u.token);
}

/* ---------------- list, unread, read ---------------- */

static void
test_list_unread_read(void)
{
    struct user u = login();
    int64_t oids[3];
    for (int i = 0; i < 3; i++) {
        int64_t vid = new_seckill();
        oids[i] = buy(&u, vid);
        CHECK(oids[i] > 0);
        /* one at a time, so the entry order is the buying order */
        CHECK(wait_persisted(u.id, i + 1, 10000));
    }
    CHECK(unread(&u) == 3);
    long st;
    struct json_object *l = list(&u, "size=2", &st);
    CHECK(l && json_object_array_length(l) == 2);
    char ids[3][64] = {"", "", ""};
    for (int i = 0; l && i < 2; i++) {
        struct json_object *it = json_object_array_get_idx(l, (size_t)i);
        snprintf(ids[i], sizeof(ids[i]), "%s",
                 json_object_get_string(jpath(it, "message", "id")));
        char os[32];
        snprintf(os, sizeof(os), "%lld", (long long)oids[2 - i]);
        CHECK_STR(json_object_get_string(jpath(it, "message", "refId")), os);
    }
    json_object_put(l);
    char q[128];
    snprintf(q, sizeof(q), "before=%s", ids[1]);
    l = list(&u, q, &st);
    CHECK(l && json_object_array_length(l) == 1);
    if (l && json_object_array_length(l) == 1)
        snprintf(ids[2], sizeof(ids[2]), "%s",
                 json_object_get_string(
                     jpath(json_object_array_get_idx(l, 0), "message", "id")));
    json_object_put(l);
    /* mark up to the middle one: the two oldest */
    snprintf(q, sizeof(q), "upTo=%s", ids[1]);
    CHECK(mark_read(&u, q) == 2);
    CHECK(unread(&u) == 1);
    CHECK(mark_read(&u, q) == 0);
    l = list(&u, NULL, &st);
    CHECK(l && json_object_array_length(l) == 3);
    for (int i = 0; l && i < 3; i++) {
        struct json_object *rd =
            jpath(json_object_array_get_idx(l, (size_t)i), "read", NULL);
        CHECK(rd && json_object_get_boolean(rd) == (i > 0));
    }
    json_object_put(l);
    CHECK(mark_read(&u, NULL) == 1);
    CHECK(unread(&u) == 0);
    /* someone else's notices are not mine */
    struct user v = login();
    CHECK(unread(&v) == 0);
    l = list(&v, NULL, &st);
    CHECK(l && json_object_array_length(l) == 0);
    json_object_put(l);
    free(u.token);
    free(v.token);
}

static void
test_bad_input(void)
{
    struct user u = login();
    static const char *const bad[] = {
        "before=x",     "before=1-",    "before=-1",
        "before=1-2-3", "before=1.5-2", "size=0",
        "size=51",      "size=abc",     "before=99999999999999999999-1"};
    long st;
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        struct json_object *l = list(&u, bad[i], &st);
        CHECK(l == NULL && st == 400);
        json_object_put(l);
    }
    CHECK(mark_read(&u, "upTo=abc") == -400);
    CHECK(mark_read(&u, "upTo=1-x") == -400);
    struct json_object *l = list(NULL, NULL, &st);
    CHECK(l == NULL && st == 401);
    struct resp r;
    CHECK(h_get("/message/unread/count", NULL, &r) == 0 && r.status == 401);
    h_free(&r);
    CHECK(h_put("/message/read", NULL, NULL, &r) == 0 && r.status == 401);
    h_free(&r);
    CHECK(h_http("POST", "/message/read", u.token, NULL, NULL, NULL, 0, &r) ==
              0 &&
          r.status == 405);
    h_free(&r);
    free(u.token);
}

int
main(void)
{
    h_init();
    RUN(test_order_notice);
    RUN(test_order_notice_waits_for_the_row);
    RUN(test_list_unread_read);
    RUN(test_bad_input);
    T_DONE();
}
