/*
 * test_sign.c: daily sign-in and UV (implemented in app/user) against the
 * running stack. Signing twice on one day is a no-op; the count is the
 * run of days ending today within this month; /admin/uv needs the admin
 * token and counts distinct visitors (HyperLogLog uv:{yyyyMMdd}).
 */
#include "h.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* sign:{uid}:{yyyyMM} of today, and today's day of the month. */
static int
sign_key(int64_t uid, char *key, size_t cap)
{
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    char ym[8];
    strftime(ym, sizeof(ym), "%Y%m", &tm);
    snprintf(key, cap, "sign:%lld:%s", (long long)uid, ym);
    return tm.tm_mday;
}

static long long
sign_count(const char *token)
{
    struct resp r;
    long long n = -1;
    if (h_get("/user/sign/count", token, &r) == 0) {
        struct json_object *d = h_data(&r);
        if (r.status == 200 && h_success(&r) && d &&
            json_object_is_type(d, json_type_int))
            n = json_object_get_int64(d);
        h_free(&r);
    }
    return n;
}

static void
test_sign_twice(void)
{
    int64_t uid;
    char *tok = h_login(&uid);
    CHECK(tok != NULL);
    char key[64];
    int mday = sign_key(uid, key, sizeof(key));
    CHECK(sign_count(tok) == 0);
    struct resp r;
    for (int i = 0; i < 2; i++) {
        CHECK(h_http("POST", "/user/sign", tok, NULL, NULL, NULL, 0, &r) == 0);
        CHECK(r.status == 200 && h_success(&r));
        h_free(&r);
        CHECK(h_redis_int("BITCOUNT %s", key) == 1);
    }
    CHECK(h_redis_int("GETBIT %s %d", key, mday - 1) == 1);
    CHECK(sign_count(tok) == 1);
    /* M's alias */
    CHECK(h_get("/user/signCount", tok, &r) == 0);
    CHECK(h_success(&r) && h_data(&r) &&
          json_object_get_int64(h_data(&r)) == 1);
    h_free(&r);
    /* anonymous: 401 */
    CHECK(h_http("POST", "/user/sign", NULL, NULL, NULL, NULL, 0, &r) == 0);
    CHECK(r.status == 401);
    h_free(&r);
    CHECK(h_get("/user/sign/count", NULL, &r) == 0);
    CHECK(r.status == 401);
    h_free(&r);
    free(tok);
}

static void
test_sign_streak(void)
{
    int64_t uid;
    char *tok = h_login(&uid);
    char key[64];
    int mday = sign_key(uid, key, sizeof(key));
    struct resp r;
    /* yesterday and the day before (when they are in this month) */
    for (int d = 2; d <= 3 && d <= mday; d++)
        h_redis_int("SETBIT %s %d 1", key, mday - d);
    int prior = mday >= 3 ? 2 : mday - 1;
    /* not signed today yet: no streak */
    CHECK(sign_count(tok) == 0);
    CHECK(h_http("POST", "/user/sign", tok, NULL, NULL, NULL, 0, &r) == 0);
    CHECK(h_success(&r));
    h_free(&r);
    CHECK(sign_count(tok) == 1 + prior);

    /* a gap: only today and three days ago */
    int64_t uid2;
    char *tok2 = h_login(&uid2);
    char key2[64];
    sign_key(uid2, key2, sizeof(key2));
    if (mday >= 4)
        h_redis_int("SETBIT %s %d 1", key2, mday - 4);
    CHECK(h_http("POST", "/user/sign", tok2, NULL, NULL, NULL, 0, &r) == 0);
    h_free(&r);
    CHECK(sign_count(tok2) == 1);
    /* last month's key does not count */
    h_redis_int("SET sign:%lld:190001 x", (long long)uid2);
    CHECK(sign_count(tok2) == 1);
    free(tok);
    free(tok2);
}

static long long
uv_now(const char *date)
{
    struct resp r;
    char hdr[256], path[64];
    snprintf(hdr, sizeof(hdr), "X-Admin-Token: %s", h_admin_token());
    snprintf(path, sizeof(path), "/admin/uv%s%s", date ? "?date=" : "",
             date ? date : "");
    long long n = -1;
    if (h_http("GET", path, NULL, hdr, NULL, NULL, 0, &r) == 0) {
        struct json_object *d = h_data(&r), *v;
        if (r.status == 200 && d && json_object_object_get_ex(d, "uv", &v))
            n = json_object_get_int64(v);
        h_free(&r);
    }
    return n;
}

static void
test_uv(void)
{
    struct resp r;
    CHECK(h_get("/admin/uv", NULL, &r) == 0);
    CHECK(r.status == 403 && !h_success(&r));
    h_free(&r);
    CHECK(h_http("GET", "/admin/uv", NULL, "X-Admin-Token: nope", NULL, NULL, 0,
                 &r) == 0);
    CHECK(r.status == 403);
    h_free(&r);
    char hdr[256];
    snprintf(hdr, sizeof(hdr), "X-Admin-Token: %s", h_admin_token());
    CHECK(h_http("GET", "/admin/uv?date=2024-01-01", NULL, hdr, NULL, NULL, 0,
                 &r) == 0);
    CHECK(r.status == 400);
    h_free(&r);

    char today[16];
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    strftime(today, sizeof(today), "%Y%m%d", &tm);
    /* a day nobody visited */
    CHECK(uv_now("20000101") == 0);

    enum { N = 5 };
    char *tok[N];
    int64_t old[N];
    for (int i = 0; i < N; i++)
        tok[i] = h_login(&old[i]); /* its /user/me makes it a visitor */
    h_sleep_ms(100);
    long long u0 = uv_now(NULL);
    CHECK(u0 >= 1);
    /* fresh visitors are counted... */
    int64_t fresh[N];
    char *ftok[N];
    for (int i = 0; i < N; i++) {
        ftok[i] = h_login(&fresh[i]);
        CHECK(h_get("/user/me", ftok[i], &r) == 0);
        h_free(&r);
    }
    h_sleep_ms(100); /* the PFADD travels after the response */
    long long u1 = uv_now(NULL);
    CHECK(u1 > u0 && u1 <= u0 + N + 2);
    CHECK(u1 == h_redis_int("PFCOUNT uv:%s", today));
    /* ...once: the same visitors again change nothing */
    for (int k = 0; k < 3; k++)
        for (int i = 0; i < N; i++) {
            CHECK(h_get("/user/me", ftok[i], &r) == 0);
            h_free(&r);
            CHECK(h_get("/user/me", tok[i], &r) == 0);
            h_free(&r);
        }
    h_sleep_ms(100);
    CHECK(uv_now(NULL) == u1);
    CHECK(uv_now(today) == u1);
    /* each of them is in today's HLL (PFADD adds nothing new) */
    for (int i = 0; i < N; i++)
        CHECK(h_redis_int("PFADD uv:%s %lld", today, (long long)fresh[i]) == 0);
    for (int i = 0; i < N; i++) {
        free(tok[i]);
        free(ftok[i]);
    }
}

/* A visitor whose only request is the hot list is counted too: that
 * route looks the session up late, in the same round trip as its page
 * script, and the count is sent after the script's reply. */
static void
test_uv_hot_only(void)
{
    char phone[16], today[16];
    snprintf(phone, sizeof(phone), "%s", h_phone());
    char *tok = h_login_phone(phone, NULL); /* no /user/me */
    CHECK(tok != NULL);
    if (tok == NULL)
        return;
    long long id =
        h_sql_int("SELECT id FROM tb_user WHERE phone = '%s'", phone);
    CHECK(id > 0);
    struct resp r;
    CHECK(h_get("/blog/hot?current=1", tok, &r) == 0 && r.status == 200 &&
          h_success(&r));
    h_free(&r);
    h_sleep_ms(100); /* the PFADD travels after the response */
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    strftime(today, sizeof(today), "%Y%m%d", &tm);
    CHECK(h_redis_int("PFADD uv:%s %lld", today, id) == 0);
    /* and the worker's Redis connection is in step: later requests on
     * every worker still answer */
    for (int i = 0; i < 8; i++) {
        CHECK(h_get("/blog/hot?current=1", tok, &r) == 0 && h_success(&r));
        h_free(&r);
        CHECK(h_get("/user/me", tok, &r) == 0 && h_success(&r));
        h_free(&r);
    }
    free(tok);
}

int
main(void)
{
    h_init();
    RUN(test_sign_twice);
    RUN(test_sign_streak);
    RUN(test_uv);
    RUN(test_uv_hot_only);
    T_DONE();
}
