/*
 * test_shop.c: shops and shop types against the running stack: the JSON
 * shape, the cache's defences (null markers, the max-id bound, one
 * rebuild under a stampede, jittered TTLs), admin-only writes that
 * invalidate the cache and move GEO entries, search by name with LIKE
 * wildcards escaped, and the by-type lists with and without distance.
 */
#include "h.h"
#include "h_multi.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TX "120.149993"
#define TY "30.334229"

static struct json_object *
jget(struct json_object *o, const char *k)
{
    struct json_object *v = NULL;
    if (o)
        json_object_object_get_ex(o, k, &v);
    return v;
}

static const char *
jstr(struct json_object *o, const char *k)
{
    struct json_object *v = jget(o, k);
    return v ? json_object_get_string(v) : NULL;
}

static int64_t
jint(struct json_object *o, const char *k)
{
    struct json_object *v = jget(o, k);
    return v ? json_object_get_int64(v) : -1;
}

static char admin_hdr[256];

static const char *
admin(void)
{
    snprintf(admin_hdr, sizeof(admin_hdr), "X-Admin-Token: %s",
             h_admin_token());
    return admin_hdr;
}

static int
admin_json(const char *method, const char *path, const char *json,
           struct resp *r)
{
    return h_http(method, path, NULL, admin(), "application/json;charset=utf-8",
                  json, strlen(json), r);
}

/* Percent-encodes s (UTF-8 bytes and anything but unreserved). */
static void
urlenc(const char *s, char *out, size_t cap)
{
    size_t w = 0;
    for (; *s && w + 4 < cap; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
            (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '~')
            out[w++] = (char)c;
        else
            w += (size_t)snprintf(out + w, cap - w, "%%%02X", c);
    }
    out[w] = '\0';
}

static unsigned
tag(void)
{
    static unsigned n;
    return ((unsigned)getpid() * 1000u + n++) % 100000000u;
}

/* Creates a shop through the API; returns its id or -1. */
static int64_t
create_shop(const char *name, int type, double x, double y)
{
    char body[1024];
    snprintf(body, sizeof(body),
             "{\"name\":\"%s\",\"typeId\":%d,\"images\":\"https://a/1.jpg\","
             "\"area\":\"测试区\",\"address\":\"测试路1号\",\"x\":%.6f,"
             "\"y\":%.6f,\"avgPrice\":66,\"sold\":12,\"comments\":34,"
             "\"score\":45,\"openHours\":\"10:00-22:00\"}",
             name, type, x, y);
    struct resp r;
    if (admin_json("POST", "/shop", body, &r) != 0)
        return -1;
    int64_t id = -1;
    if (r.status == 200 && h_success(&r) && h_data(&r))
        id = json_object_get_int64(h_data(&r));
    else
        printf("  create_shop: %ld %s\n", r.status, r.body);
    h_free(&r);
    return id;
}

static void
test_types(void)
{
    struct resp r;
    h_redis_int("DEL cache:type");
    CHECK(h_get("/shop-type/list", NULL, &r) == 0);
    CHECK(r.status == 200 && h_success(&r));
    struct json_object *d = h_data(&r);
    CHECK(d && json_object_is_type(d, json_type_array));
    size_t n = d ? json_object_array_length(d) : 0;
    CHECK(n >= 10);
    int64_t last = -1;
    for (size_t i = 0; i < n; i++) {
        struct json_object *t = json_object_array_get_idx(d, i);
        CHECK(jint(t, "id") > 0 && jstr(t, "name") && jstr(t, "icon"));
        CHECK(jint(t, "sort") >= last);
        last = jint(t, "sort");
        CHECK(jget(t, "createTime") == NULL);
    }
    if (n > 0) /* 美食 has sort 1 */
        CHECK_STR(jstr(json_object_array_get_idx(d, 0), "icon"),
                  "/types/ms.png");
    CHECK(h_redis_int("LLEN cache:type") == (long long)n);
    h_free(&r);
    /* served from the list now, same answer */
    CHECK(h_get("/shop-type/list", NULL, &r) == 0);
    CHECK(h_success(&r) && h_data(&r) &&
          json_object_array_length(h_data(&r)) == n);
    CHECK(h_redis_int("LLEN cache:type") == (long long)n);
    h_free(&r);
}

static void
test_get_seed_shop(void)
{
    struct resp r;
    h_redis_int("DEL cache:shop:1");
    CHECK(h_get("/shop/1", NULL, &r) == 0);
    CHECK(r.status == 200 && h_success(&r));
    struct json_object *s = h_data(&r);
    CHECK_STR(jstr(s, "name"), "103茶餐厅");
    CHECK(jint(s, "id") == 1 && jint(s, "typeId") == 1);
    /* ZEROFILL columns come out as plain integers */
    CHECK(json_object_is_type(jget(s, "sold"), json_type_int));
    CHECK(jint(s, "sold") == 4215 && jint(s, "comments") == 3035);
    CHECK(jint(s, "score") == 37 && jint(s, "avgPrice") == 80);
    CHECK(fabs(json_object_get_double(jget(s, "x")) - 120.149192) < 1e-6);
    CHECK(fabs(json_object_get_double(jget(s, "y")) - 30.316078) < 1e-6);
    CHECK_STR(jstr(s, "openHours"), "10:00-22:00");
    CHECK_STR(jstr(s, "area"), "大关");
    CHECK(jstr(s, "createTime") && strlen(jstr(s, "createTime")) == 19 &&
          jstr(s, "createTime")[10] == 'T');
    CHECK(jget(s, "distance") == NULL);
    h_free(&r);
    /* cached with 30 min + up to 5 min jitter */
    long long ttl = h_redis_int("TTL cache:shop:1");
    CHECK(ttl > 1790 && ttl <= 2100);
    /* a cache hit answers the same */
    CHECK(h_get("/shop/1", NULL, &r) == 0);
    CHECK(h_success(&r) && jint(h_data(&r), "sold") == 4215);
    h_free(&r);
}

/* The cache hit passes the stored text through: the same bytes as the
 * miss path, also for a value an older build stored with "\/" escapes,
 * and a broken value is still a miss. */
static void
test_cache_hit_bytes(void)
{
    struct resp r;
    h_redis_int("DEL cache:shop:1");
    CHECK(h_get("/shop/1", NULL, &r) == 0 && h_success(&r));
    char *miss = strdup(r.body);
    h_free(&r);
    /* images are URLs: the slashes must not come out escaped */
    CHECK(strstr(miss, "\\/") == NULL && strstr(miss, "https://") != NULL);
    CHECK(h_get("/shop/1", NULL, &r) == 0 && h_success(&r));
    CHECK_STR(r.body, miss);
    h_free(&r);

    /* a value with escaped slashes (json-c's default form) */
    redisReply *x = redisCommand(h_redis(), "GET cache:shop:1");
    CHECK(x && x->type == REDIS_REPLY_STRING);
    if (x && x->type == REDIS_REPLY_STRING) {
        struct json_object *o = json_tokener_parse(x->str);
        CHECK(o != NULL);
        const char *esc =
            json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
        CHECK(strstr(esc, "\\/") != NULL);
        freeReplyObject(
            redisCommand(h_redis(), "SET cache:shop:1 %s EX 600", esc));
        json_object_put(o);
        CHECK(h_get("/shop/1", NULL, &r) == 0 && h_success(&r));
        CHECK_STR(r.body, miss);
        h_free(&r);
    }
    freeReplyObject(x);

    /* garbage is a miss, rebuilt from MySQL */
    freeReplyObject(
        redisCommand(h_redis(), "SET cache:shop:1 %s EX 600", "{\"id\":1,"));
    CHECK(h_get("/shop/1", NULL, &r) == 0 && h_success(&r));
    CHECK_STR(r.body, miss);
    h_free(&r);
    h_redis_int("DEL cache:shop:1");
    free(miss);
}

static void
test_bad_ids(void)
{
    struct resp r;
    const char *bad[] = {"/shop/0", "/shop/-3", "/shop/abc", "/shop/1.5",
                         "/shop/99999999999999999999"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        CHECK(h_get(bad[i], NULL, &r) == 0);
        CHECK(r.status == 400 && !h_success(&r) && h_errmsg(&r));
        h_free(&r);
    }
    /* far above the highest id: not found, no MySQL, no marker */
    CHECK(h_get("/shop/900000000000", NULL, &r) == 0);
    CHECK(r.status == 200 && !h_success(&r));
    CHECK_STR(h_errmsg(&r), "店铺不存在");
    h_free(&r);
    CHECK(h_redis_int("EXISTS cache:shop:900000000000") == 0);
    CHECK(h_redis_int("GET cache:shop:maxid") >= 14);
}

static void
test_admin_only(void)
{
    struct resp r;
    const char *body = "{\"name\":\"x\",\"typeId\":3,\"images\":\"i\","
                       "\"address\":\"a\",\"x\":120.1,\"y\":30.3}";
    const char *paths[][2] = {{"POST", "/shop"},
                              {"PUT", "/shop"},
                              {"POST", "/voucher"},
                              {"POST", "/voucher/seckill"}};
    for (int i = 0; i < 4; i++) {
        CHECK(h_http(paths[i][0], paths[i][1], NULL, NULL, "application/json",
                     body, strlen(body), &r) == 0);
        CHECK(r.status == 403 && !h_success(&r));
        h_free(&r);
        CHECK(h_http(paths[i][0], paths[i][1], NULL,
                     "X-Admin-Token: wrongwrongwrong", "application/json", body,
                     strlen(body), &r) == 0);
        CHECK(r.status == 403);
        h_free(&r);
    }
    /* a login token is not an admin token */
    char *tok = h_login(NULL);
    CHECK(h_post_json("/shop", tok, body, &r) == 0);
    CHECK(r.status == 403);
    h_free(&r);
    free(tok);
}

static void
test_create_update(void)
{
    char name[64];
    snprintf(name, sizeof(name), "新店%u", tag());
    int64_t id = create_shop(name, 3, 120.15, 30.33);
    CHECK(id > 14);
    struct resp r;
    char path[64], body[512];
    snprintf(path, sizeof(path), "/shop/%lld", (long long)id);
    CHECK(h_get(path, NULL, &r) == 0);
    CHECK(h_success(&r) && jstr(h_data(&r), "name") &&
          strcmp(jstr(h_data(&r), "name"), name) == 0);
    CHECK(jint(h_data(&r), "score") == 45 && jint(h_data(&r), "sold") == 12);
    h_free(&r);
    /* in the GEO set of its type at once */
    CHECK(h_redis_int("EXISTS shop:geo:3") == 1);
    CHECK(h_redis_int("ZSCORE shop:geo:3 %lld", (long long)id) > 0);
    CHECK(h_redis_int("GET cache:shop:maxid") >= id);

    /* update: MySQL first, then the cache entry is dropped */
    CHECK(h_redis_int("EXISTS cache:shop:%lld", (long long)id) == 1);
    snprintf(body, sizeof(body), "{\"id\":%lld,\"name\":\"%s改\",\"score\":33}",
             (long long)id, name);
    CHECK(admin_json("PUT", "/shop", body, &r) == 0);
    CHECK(r.status == 200 && h_success(&r));
    h_free(&r);
    CHECK(h_redis_int("EXISTS cache:shop:%lld", (long long)id) == 0);
    CHECK(h_get(path, NULL, &r) == 0);
    CHECK(h_success(&r));
    char want[80];
    snprintf(want, sizeof(want), "%s改", name);
    CHECK_STR(jstr(h_data(&r), "name"), want);
    CHECK(jint(h_data(&r), "score") == 33);
    CHECK(jint(h_data(&r), "sold") == 12); /* untouched fields stay */
    CHECK_STR(jstr(h_data(&r), "address"), "测试路1号");
    h_free(&r);

    /* a type change moves the GEO member */
    snprintf(body, sizeof(body), "{\"id\":%lld,\"typeId\":4,\"x\":120.16}",
             (long long)id);
    CHECK(admin_json("PUT", "/shop", body, &r) == 0);
    CHECK(h_success(&r));
    h_free(&r);
    CHECK(h_redis_int("ZSCORE shop:geo:3 %lld", (long long)id) == -1);
    CHECK(h_redis_int("ZSCORE shop:geo:4 %lld", (long long)id) > 0);
    CHECK(h_get(path, NULL, &r) == 0);
    CHECK(jint(h_data(&r), "typeId") == 4);
    CHECK(fabs(json_object_get_double(jget(h_data(&r), "x")) - 120.16) < 1e-9);
    h_free(&r);

    /* refusals */
    struct {
        const char *m, *body;
        long status;
        const char *msg;
    } bad[] = {
        {"PUT", "{\"name\":\"x\"}", 400, "id不能为空"},
        {"PUT", "{\"id\":900000000,\"name\":\"x\"}", 200, "店铺不存在"},
        {"PUT", "{\"id\":1,\"typeId\":99999}", 400, NULL},
        {"PUT", "{\"id\":1,\"score\":51}", 400, NULL},
        {"PUT", "{\"id\":1,\"name\":\"\"}", 400, NULL},
        {"POST",
         "{\"typeId\":3,\"images\":\"i\",\"address\":\"a\","
         "\"x\":120.1,\"y\":30.3}",
         400, NULL},
        {"POST",
         "{\"name\":\"n\",\"typeId\":3,\"images\":\"i\","
         "\"address\":\"a\",\"x\":200,\"y\":30.3}",
         400, NULL},
        {"POST",
         "{\"name\":\"n\",\"typeId\":3,\"images\":\"i\","
         "\"address\":\"a\",\"x\":120,\"y\":-1}",
         400, NULL},
        {"POST", "not json", 400, NULL},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        CHECK(admin_json(bad[i].m, "/shop", bad[i].body, &r) == 0);
        if (r.status != bad[i].status || h_success(&r))
            printf("  case %zu: %ld %s\n", i, r.status, r.body);
        CHECK(r.status == bad[i].status && !h_success(&r));
        if (bad[i].msg)
            CHECK_STR(h_errmsg(&r), bad[i].msg);
        h_free(&r);
    }
    /* the seed shop 1 was not changed by the refused updates */
    CHECK(h_get("/shop/1", NULL, &r) == 0);
    CHECK(jint(h_data(&r), "typeId") == 1 && jint(h_data(&r), "score") == 37);
    h_free(&r);
}

/* Penetration: a missing id is looked up in MySQL once, then answered
 * from the "" marker until it expires. The proof: a row inserted behind
 * the app's back stays invisible while the marker lives. */
static void
test_null_marker(void)
{
    char name[64];
    snprintf(name, sizeof(name), "空洞%u", tag());
    int64_t id = create_shop(name, 3, 120.15, 30.33);
    CHECK(id > 0);
    /* make a hole below the max id: the row disappears from MySQL */
    CHECK(h_sql_exec("DELETE FROM tb_shop WHERE id = %lld", (long long)id) ==
          0);
    struct resp r;
    char path[64];
    snprintf(path, sizeof(path), "/shop/%lld", (long long)id);
    CHECK(h_get(path, NULL, &r) == 0);
    CHECK(r.status == 200 && !h_success(&r));
    CHECK_STR(h_errmsg(&r), "店铺不存在");
    h_free(&r);
    CHECK(h_redis_int("EXISTS cache:shop:%lld", (long long)id) == 1);
    CHECK(h_redis_int("STRLEN cache:shop:%lld", (long long)id) == 0);
    long long ttl = h_redis_int("TTL cache:shop:%lld", (long long)id);
    CHECK(ttl > 100 && ttl <= 120);
    CHECK(h_redis_int("GET cache:rebuilds:shop:%lld", (long long)id) == 1);

    /* the row comes back directly in MySQL */
    CHECK(h_sql_exec("INSERT INTO tb_shop (id, name, type_id, images, "
                     "address, x, y, sold, comments, score) VALUES (%lld, "
                     "'%s', 3, 'i', 'a', 120.15, 30.33, 1, 1, 1)",
                     (long long)id, name) == 0);
    for (int i = 0; i < 3; i++) {
        CHECK(h_get(path, NULL, &r) == 0);
        CHECK(!h_success(&r));
        CHECK_STR(h_errmsg(&r), "店铺不存在");
        h_free(&r);
    }
    /* MySQL was not asked again */
    CHECK(h_redis_int("GET cache:rebuilds:shop:%lld", (long long)id) == 1);
    /* once the marker is gone the row is found */
    h_redis_int("DEL cache:shop:%lld", (long long)id);
    CHECK(h_get(path, NULL, &r) == 0);
    CHECK(h_success(&r));
    CHECK_STR(jstr(h_data(&r), "name"), name);
    h_free(&r);
    CHECK(h_redis_int("GET cache:rebuilds:shop:%lld", (long long)id) == 2);
}

/* Breakdown: 200 concurrent requests for a cold key rebuild it once. */
static void
test_stampede(void)
{
    char name[64];
    snprintf(name, sizeof(name), "热店%u", tag());
    int64_t id = create_shop(name, 3, 120.15, 30.33);
    CHECK(id > 0);
    h_redis_int("DEL cache:shop:%lld cache:rebuilds:shop:%lld", (long long)id,
                (long long)id);
    enum { N = 200 };
    static struct hm_req q[N];
    static struct hm_res res[N];
    for (int i = 0; i < N; i++) {
        q[i].method = "GET";
        snprintf(q[i].path, sizeof(q[i].path), "/shop/%lld", (long long)id);
        q[i].token = NULL;
    }
    hm_run(q, res, N, N);
    int ok = 0;
    double worst = 0;
    for (int i = 0; i < N; i++) {
        if (res[i].status == 200 && hm_success(&res[i])) {
            struct json_object *d = jget(res[i].json, "data");
            if (jstr(d, "name") && strcmp(jstr(d, "name"), name) == 0)
                ok++;
        } else if (i < 3 || ok < i - 3) {
            printf("  req %d: %ld %s\n", i, res[i].status,
                   res[i].body ? res[i].body : "");
        }
        if (res[i].secs > worst)
            worst = res[i].secs;
    }
    hm_free(res, N);
    CHECK(ok == N);
    CHECK(h_redis_int("GET cache:rebuilds:shop:%lld", (long long)id) == 1);
    printf("  stampede: %d/%d ok, slowest %.3f s\n", ok, N, worst);
    CHECK(worst < 2.0);
    CHECK(h_redis_int("EXISTS lock:shop:%lld", (long long)id) == 0);
}

/* A rebuild lock whose holder never finishes: readers wait a bounded time
 * (well under the frontend's 2 s), answer from MySQL and leave the cache
 * alone; PUT waits as long, then writes anyway. */
static void
test_stuck_lock(void)
{
    char name[64], path[64], body[256];
    snprintf(name, sizeof(name), "锁店%u", tag());
    int64_t id = create_shop(name, 3, 120.15, 30.33);
    CHECK(id > 0);
    snprintf(path, sizeof(path), "/shop/%lld", (long long)id);
    h_redis_int("SET lock:shop:%lld someone-else EX 10", (long long)id);
    struct resp r;
    int64_t t0 = h_now_ms();
    CHECK(h_get(path, NULL, &r) == 0);
    int64_t ms = h_now_ms() - t0;
    CHECK(r.status == 200 && h_success(&r));
    CHECK_STR(jstr(h_data(&r), "name"), name);
    h_free(&r);
    CHECK(ms >= 900 && ms < 1800);
    CHECK(h_redis_int("EXISTS cache:shop:%lld", (long long)id) == 0);

    snprintf(body, sizeof(body), "{\"id\":%lld,\"score\":11}", (long long)id);
    t0 = h_now_ms();
    CHECK(admin_json("PUT", "/shop", body, &r) == 0);
    CHECK(h_success(&r));
    h_free(&r);
    CHECK(h_now_ms() - t0 >= 900);
    /* the foreign lock is not ours to delete */
    CHECK(h_redis_int("EXISTS lock:shop:%lld", (long long)id) == 1);
    h_redis_int("DEL lock:shop:%lld", (long long)id);
    CHECK(h_get(path, NULL, &r) == 0);
    CHECK(h_success(&r) && jint(h_data(&r), "score") == 11);
    h_free(&r);
    CHECK(h_redis_int("EXISTS cache:shop:%lld", (long long)id) == 1);
}

static int
all_names_contain(struct json_object *arr, const char *needle)
{
    for (size_t i = 0; arr && i < json_object_array_length(arr); i++) {
        const char *n = jstr(json_object_array_get_idx(arr, i), "name");
        if (n == NULL || strstr(n, needle) == NULL)
            return 0;
    }
    return 1;
}

static void
test_by_name(void)
{
    char name[64], enc[256], path[400];
    snprintf(name, sizeof(name), "百分%%_店%u", tag());
    int64_t id = create_shop(name, 3, 120.15, 30.33);
    CHECK(id > 0);
    struct resp r;
    urlenc(name, enc, sizeof(enc));
    snprintf(path, sizeof(path), "/shop/of/name?&name=%s&current=1", enc);
    CHECK(h_get(path, NULL, &r) == 0);
    CHECK(r.status == 200 && h_success(&r));
    struct json_object *d = h_data(&r);
    CHECK(d && json_object_array_length(d) == 1);
    CHECK(d && jint(json_object_array_get_idx(d, 0), "id") == id);
    h_free(&r);

    /* "%" and "_" match themselves only */
    CHECK(h_get("/shop/of/name?name=%25", NULL, &r) == 0);
    d = h_data(&r);
    CHECK(h_success(&r) && d && json_object_array_length(d) >= 1);
    CHECK(all_names_contain(d, "%"));
    h_free(&r);
    CHECK(h_get("/shop/of/name?name=_", NULL, &r) == 0);
    CHECK(h_success(&r) && all_names_contain(h_data(&r), "_"));
    h_free(&r);

    /* plain search, empty name = everything, paging */
    CHECK(h_get("/shop/of/name?name=%E8%8C%B6", NULL, &r) == 0); /* 茶 */
    d = h_data(&r);
    CHECK(d && json_object_array_length(d) >= 1 && all_names_contain(d, "茶"));
    h_free(&r);
    CHECK(h_get("/shop/of/name?name=", NULL, &r) == 0);
    CHECK(h_data(&r) && json_object_array_length(h_data(&r)) == 10);
    h_free(&r);
    CHECK(h_get("/shop/of/name?name=no-such-shop-zzz", NULL, &r) == 0);
    CHECK(h_success(&r) && h_data(&r) &&
          json_object_array_length(h_data(&r)) == 0);
    h_free(&r);
    CHECK(h_get("/shop/of/name?name=a&current=0", NULL, &r) == 0);
    CHECK(r.status == 400);
    h_free(&r);
    CHECK(h_get("/shop/of/name?name=a&current=99999999", NULL, &r) == 0);
    CHECK(r.status == 400);
    h_free(&r);
}

static void
test_by_type_plain(void)
{
    struct resp r;
    CHECK(h_get("/shop/of/type?&typeId=1&current=1", NULL, &r) == 0);
    struct json_object *d = h_data(&r);
    CHECK(r.status == 200 && h_success(&r) && d);
    size_t n = d ? json_object_array_length(d) : 0;
    CHECK(n >= 9 && n <= 10);
    for (size_t i = 0; i < n; i++) {
        CHECK(jint(json_object_array_get_idx(d, i), "typeId") == 1);
        CHECK(jget(json_object_array_get_idx(d, i), "distance") == NULL);
    }
    h_free(&r);
    const char *keys[] = {"score", "comments"};
    for (int k = 0; k < 2; k++) {
        char path[128];
        snprintf(path, sizeof(path), "/shop/of/type?typeId=1&sortBy=%s",
                 keys[k]);
        CHECK(h_get(path, NULL, &r) == 0);
        d = h_data(&r);
        CHECK(d && json_object_array_length(d) >= 9);
        for (size_t i = 1; d && i < json_object_array_length(d); i++)
            CHECK(jint(json_object_array_get_idx(d, i - 1), keys[k]) >=
                  jint(json_object_array_get_idx(d, i), keys[k]));
        h_free(&r);
    }
    /* past the end: success without data */
    CHECK(h_get("/shop/of/type?typeId=1&current=500", NULL, &r) == 0);
    CHECK(r.status == 200 && h_success(&r) && h_data(&r) == NULL);
    h_free(&r);
    const char *bad[] = {"/shop/of/type?current=1",
                         "/shop/of/type?typeId=abc",
                         "/shop/of/type?typeId=1&sortBy=name",
                         "/shop/of/type?typeId=1&x=120.1",
                         "/shop/of/type?typeId=1&x=500&y=30",
                         "/shop/of/type?typeId=1&current=-1"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        CHECK(h_get(bad[i], NULL, &r) == 0);
        CHECK(r.status == 400 && !h_success(&r));
        h_free(&r);
    }
}

static void
test_by_type_geo(void)
{
    struct resp r;
    /* loaded lazily from MySQL */
    h_redis_int("DEL shop:geo:2 shop:geo:loaded:2");
    CHECK(h_get("/shop/of/type?&typeId=2&current=1&x=" TX "&y=" TY, NULL, &r) ==
          0);
    struct json_object *d = h_data(&r);
    CHECK(r.status == 200 && h_success(&r) && d);
    size_t n = d ? json_object_array_length(d) : 0;
    CHECK(n == 5); /* seed shops 10..14, all within 5 km */
    double last = -1;
    for (size_t i = 0; i < n; i++) {
        struct json_object *s = json_object_array_get_idx(d, i);
        struct json_object *dist = jget(s, "distance");
        CHECK(dist && json_object_is_type(dist, json_type_double));
        double m = dist ? json_object_get_double(dist) : -1;
        CHECK(m >= last && m <= 5000);
        last = m;
        CHECK(jint(s, "typeId") == 2 && jstr(s, "name"));
        CHECK(jint(s, "sold") > 0);
    }
    h_free(&r);
    CHECK(h_redis_int("ZCARD shop:geo:2") == 5);
    CHECK(h_redis_int("EXISTS shop:geo:loaded:2") == 1);
    /* exactly `from` results: page 2 has no data (no empty IN) */
    CHECK(h_get("/shop/of/type?typeId=2&current=2&x=" TX "&y=" TY, NULL, &r) ==
          0);
    CHECK(r.status == 200 && h_success(&r) && h_data(&r) == NULL);
    h_free(&r);

    /* type 1: nearest first, with the seed's 103茶餐厅 about 2 km away */
    CHECK(h_get("/shop/of/type?typeId=1&current=1&sortBy=score&x=" TX "&y=" TY,
                NULL, &r) == 0);
    d = h_data(&r);
    CHECK(d && json_object_array_length(d) >= 9);
    int found = 0;
    for (size_t i = 0; d && i < json_object_array_length(d); i++) {
        struct json_object *s = json_object_array_get_idx(d, i);
        CHECK(jint(s, "typeId") == 1);
        if (jint(s, "id") == 1) {
            double m = json_object_get_double(jget(s, "distance"));
            CHECK(m > 1800 && m < 2300);
            found = 1;
        }
        if (i > 0)
            CHECK(json_object_get_double(jget(s, "distance")) >=
                  json_object_get_double(
                      jget(json_object_array_get_idx(d, i - 1), "distance")));
    }
    CHECK(found);
    h_free(&r);

    /* far away: nothing within 5 km */
    CHECK(h_get("/shop/of/type?typeId=1&x=0.5&y=0.5", NULL, &r) == 0);
    CHECK(h_success(&r) && h_data(&r) == NULL);
    h_free(&r);

    /* a type without shops: no data, and marked loaded all the same */
    h_redis_int("DEL shop:geo:7 shop:geo:loaded:7");
    CHECK(h_get("/shop/of/type?typeId=7&x=" TX "&y=" TY, NULL, &r) == 0);
    CHECK(r.status == 200 && h_success(&r) && h_data(&r) == NULL);
    h_free(&r);
    CHECK(h_redis_int("EXISTS shop:geo:loaded:7") == 1);
}

/* The near page of type `type` around (121.5, 31.2) (far from the seed
 * shops): its body (caller frees), NULL on failure. */
static char *
near_body(int type)
{
    char path[128];
    struct resp r;
    snprintf(path, sizeof(path),
             "/shop/of/type?typeId=%d&current=1&x=121.5&y=31.2", type);
    if (h_get(path, NULL, &r) != 0)
        return NULL;
    char *b = r.status == 200 && h_success(&r) ? strdup(r.body) : NULL;
    h_free(&r);
    return b;
}

/* The ids of a near page's body, nearest first; returns the count. */
static int
near_ids(const char *body, int64_t *ids, int max)
{
    struct json_object *o = body ? json_tokener_parse(body) : NULL, *d;
    int n = 0;
    if (o && json_object_object_get_ex(o, "data", &d) &&
        json_object_is_type(d, json_type_array))
        for (size_t i = 0; i < json_object_array_length(d) && n < max; i++)
            ids[n++] = jint(json_object_array_get_idx(d, i), "id");
    if (o)
        json_object_put(o);
    return n;
}

/* The near page is made of the shops' cached texts: the same bytes
 * whether read from MySQL or from the cache, filled on the way, and
 * fresh after every update (a rename, a type change), even with a GEO
 * member left behind in the old type's set. */
static void
test_near_from_cache(void)
{
    char n1[64], n2[64];
    unsigned t = tag();
    snprintf(n1, sizeof(n1), "近店甲%u", t);
    snprintf(n2, sizeof(n2), "近店乙%u", t);
    int64_t s1 = create_shop(n1, 6, 121.501, 31.2);
    int64_t s2 = create_shop(n2, 6, 121.503, 31.2);
    CHECK(s1 > 0 && s2 > 0);
    h_redis_int("DEL cache:shop:%lld cache:shop:%lld", (long long)s1,
                (long long)s2);
    char *cold = near_body(6), *warm = near_body(6);
    CHECK(cold && warm && strcmp(cold, warm) == 0);
    CHECK(h_redis_int("EXISTS cache:shop:%lld", (long long)s1) == 1);
    int64_t ids[16];
    int n = near_ids(warm, ids, 16);
    CHECK(n == 2 && ids[0] == s1 && ids[1] == s2);
    CHECK(warm && strstr(warm, n1) && strstr(warm, "\"distance\":"));
    free(cold);
    free(warm);

    /* a rename shows in the next page */
    struct resp r;
    char body[256];
    snprintf(body, sizeof(body), "{\"id\":%lld,\"name\":\"%s新\"}",
             (long long)s1, n1);
    CHECK(admin_json("PUT", "/shop", body, &r) == 0 && h_success(&r));
    h_free(&r);
    char *p = near_body(6);
    char want[80];
    snprintf(want, sizeof(want), "\"name\":\"%s新\"", n1);
    CHECK(p && strstr(p, want));
    free(p);

    /* a type change: gone from type 6, in type 8 */
    snprintf(body, sizeof(body), "{\"id\":%lld,\"typeId\":8}", (long long)s1);
    CHECK(admin_json("PUT", "/shop", body, &r) == 0 && h_success(&r));
    h_free(&r);
    p = near_body(6);
    n = near_ids(p, ids, 16);
    CHECK(n == 1 && ids[0] == s2);
    free(p);
    p = near_body(8);
    n = near_ids(p, ids, 16);
    CHECK(n == 1 && ids[0] == s1);
    free(p);
    /* the old GEO member left behind (a failed ZREM): the cached text
     * says type 8, so type 6 still does not list it */
    CHECK(h_redis_int("EXISTS cache:shop:%lld", (long long)s1) == 1);
    h_redis_int("GEOADD shop:geo:6 121.501 31.2 %lld", (long long)s1);
    p = near_body(6);
    n = near_ids(p, ids, 16);
    CHECK(n == 1 && ids[0] == s2);
    free(p);
    /* ... nor does it with the cache gone (MySQL says type 8) */
    h_redis_int("DEL cache:shop:%lld", (long long)s1);
    p = near_body(6);
    n = near_ids(p, ids, 16);
    CHECK(n == 1 && ids[0] == s2);
    free(p);
    h_redis_int("ZREM shop:geo:6 %lld", (long long)s1);
}

int
main(void)
{
    h_init();
    RUN(test_types);
    RUN(test_get_seed_shop);
    RUN(test_cache_hit_bytes);
    RUN(test_bad_ids);
    RUN(test_admin_only);
    RUN(test_create_update);
    RUN(test_null_marker);
    RUN(test_stampede);
    RUN(test_stuck_lock);
    RUN(test_by_name);
    RUN(test_by_type_plain);
    RUN(test_by_type_geo);
    RUN(test_near_from_cache);
    T_DONE();
}
