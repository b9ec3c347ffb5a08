/*
 * test_user.c: the login flow and the user endpoints through nginx, plus
 * the core's HTTP behaviour (envelope, 401/404/405/413/400).
 */
#include "h.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *
code_of(const char *phone)
{
    redisReply *r = redisCommand(h_redis(), "GET login:code:%s", phone);
    char *c = NULL;
    if (r && r->type == REDIS_REPLY_STRING)
        c = strdup(r->str);
    if (r)
        freeReplyObject(r);
    return c;
}

static int
send_code(const char *phone, struct resp *r)
{
    char path[96];
    snprintf(path, sizeof(path), "/user/code?phone=%s", phone);
    return h_http("POST", path, NULL, NULL, NULL, NULL, 0, r);
}

static int
login_with(const char *phone, const char *code, struct resp *r)
{
    char body[160];
    snprintf(body, sizeof(body), "{\"phone\":\"%s\",\"code\":\"%s\"}", phone,
             code);
    return h_post_json("/user/login", NULL, body, r);
}

static void
test_login_flow(void)
{
    char phone[16];
    snprintf(phone, sizeof(phone), "%s", h_phone());
    struct resp r;
    CHECK(send_code(phone, &r) == 0 && r.status == 200 && h_success(&r));
    CHECK(strcmp(r.body, "{\"success\":true}") == 0);
    CHECK(r.ctype && strstr(r.ctype, "application/json"));
    h_free(&r);
    char *code = code_of(phone);
    CHECK(code && strlen(code) == 6);
    long long ttl = h_redis_int("TTL login:code:%s", phone);
    CHECK(ttl > 100 && ttl <= 120);
    CHECK(login_with(phone, code, &r) == 0 && h_success(&r));
    struct json_object *d = h_data(&r);
    CHECK(d && json_object_is_type(d, json_type_string) &&
          strlen(json_object_get_string(d)) == 32);
    char *token = d ? strdup(json_object_get_string(d)) : strdup("");
    h_free(&r);
    /* the code is single use */
    CHECK(login_with(phone, code, &r) == 0 && !h_success(&r));
    CHECK(h_errmsg(&r) && strcmp(h_errmsg(&r), "验证码错误") == 0);
    h_free(&r);

    CHECK(h_redis_int("EXISTS login:token:%s", token) == 1);
    long long tttl = h_redis_int("TTL login:token:%s", token);
    CHECK(tttl > 1700 && tttl <= 1800);

    CHECK(h_get("/user/me", token, &r) == 0 && r.status == 200);
    d = h_data(&r);
    struct json_object *v;
    CHECK(d && json_object_object_get_ex(d, "id", &v) &&
          json_object_get_int64(v) >= 1010);
    CHECK(d && json_object_object_get_ex(d, "nickName", &v) &&
          strncmp(json_object_get_string(v), "user_", 5) == 0 &&
          strlen(json_object_get_string(v)) == 15);
    CHECK(d && json_object_object_get_ex(d, "icon", &v));
    CHECK(d && !json_object_object_get_ex(d, "phone", &v));
    h_free(&r);
    CHECK(h_sql_int("SELECT COUNT(*) FROM tb_user WHERE phone='%s'", phone) ==
          1);

    /* a second login of the same phone is the same user, new token */
    int64_t uid1 = 0, uid2 = 0;
    h_redis_int("DEL login:code:gap:%s", phone);
    char *t1 = h_login_phone(phone, &uid1);
    CHECK(t1 != NULL);
    h_redis_int("DEL login:code:gap:%s", phone);
    char *t2 = h_login_phone(phone, &uid2);
    CHECK(t2 && t1 && strcmp(t1, t2) != 0 && uid1 == uid2 && uid1 > 0);
    free(t1);
    free(t2);
    free(token);
    free(code);
}

/* The code reaches the delivery hook (tests/integ/sms_hook.sh records
 * it in the run dir) and no log. */
static void
test_code_delivery(void)
{
    char phone[16], want[64], line[128];
    snprintf(phone, sizeof(phone), "%s", h_phone());
    struct resp r;
    CHECK(send_code(phone, &r) == 0 && h_success(&r));
    h_free(&r);
    char *code = code_of(phone);
    CHECK(code != NULL);
    if (code == NULL)
        return;
    snprintf(want, sizeof(want), "%s %s", phone, code);
    char path[1024];
    snprintf(path, sizeof(path), "%s/sms.log", h_env("HMDP_RUN_DIR"));
    int delivered = 0, clean = 0;
    for (int i = 0; i < 50 && !delivered; i++) {
        FILE *f = fopen(path, "r");
        while (f && fgets(line, sizeof(line), f))
            if (strncmp(line, want, strlen(want)) == 0) {
                delivered = 1;
                /* none of the worker's connections reached the hook */
                clean = strstr(line, " sockets=0\n") != NULL;
            }
        if (f)
            fclose(f);
        if (!delivered)
            h_sleep_ms(50);
    }
    CHECK(delivered);
    CHECK(clean);
    /* never in a log, not even in dev mode (the test stack's; issue 13):
     * the code as a whole word, not a run of digits inside a longer one */
    char cmd[1200];
    snprintf(cmd, sizeof(cmd),
             "grep -Eq '(^|[^0-9A-Za-z])%s([^0-9A-Za-z]|$)' %s", code,
             h_env("HMDP_LOG_FILE"));
    h_sleep_ms(100); /* the worker writes its lines before it waits */
    CHECK(system(cmd) != 0);
    free(code);
}

static void
test_unauthorized(void)
{
    struct resp r;
    const char *paths[] = {"/user/me", "/user/sign/count", "/blog/of/me",
                           "/follow/or/not/1", "/blog/of/follow?lastId=1"};
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        CHECK(h_get(paths[i], NULL, &r) == 0);
        CHECK(r.status == 401 || r.status == 404); /* 404 until it lands */
        if (r.status == 401) {
            CHECK(!h_success(&r));
            CHECK(h_errmsg(&r) && strcmp(h_errmsg(&r), "请先登录") == 0);
        }
        h_free(&r);
    }
    CHECK(h_get("/user/me", NULL, &r) == 0 && r.status == 401);
    h_free(&r);
    /* a garbage or expired token on a protected path: 401 */
    CHECK(h_get("/user/me", "0123456789abcdef0123456789abcdef", &r) == 0 &&
          r.status == 401);
    h_free(&r);
    CHECK(h_get("/user/me", "not-a-token", &r) == 0 && r.status == 401);
    h_free(&r);
    CHECK(h_http("POST", "/user/logout", NULL, NULL, NULL, NULL, 0, &r) == 0 &&
          r.status == 401);
    h_free(&r);
    /* ... but never on a public path */
    CHECK(h_get("/user/1", "0123456789abcdef0123456789abcdef", &r) == 0 &&
          r.status == 200 && h_success(&r));
    h_free(&r);
}

static void
test_bad_phone_and_code(void)
{
    struct resp r;
    const char *bad[] = {"123", "1368686969a", "23686869696", "", "%00"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        CHECK(send_code(bad[i], &r) == 0 && r.status == 200 && !h_success(&r));
        CHECK(h_errmsg(&r) && strcmp(h_errmsg(&r), "手机号格式错误") == 0);
        h_free(&r);
    }
    CHECK(h_http("POST", "/user/code", NULL, NULL, NULL, NULL, 0, &r) == 0 &&
          r.status == 200 && !h_success(&r));
    h_free(&r);
    CHECK(login_with("123", "123456", &r) == 0 && !h_success(&r));
    CHECK(h_errmsg(&r) && strcmp(h_errmsg(&r), "手机号格式错误") == 0);
    h_free(&r);
    /* no code was ever sent for this phone */
    char phone[16];
    snprintf(phone, sizeof(phone), "%s", h_phone());
    CHECK(login_with(phone, "123456", &r) == 0 && !h_success(&r));
    CHECK(h_errmsg(&r) && strcmp(h_errmsg(&r), "验证码错误") == 0);
    h_free(&r);
    CHECK(h_sql_int("SELECT COUNT(*) FROM tb_user WHERE phone='%s'", phone) ==
          0);
}

static void
test_lockout_after_five(void)
{
    char phone[16];
    snprintf(phone, sizeof(phone), "%s", h_phone());
    struct resp r;
    CHECK(send_code(phone, &r) == 0 && h_success(&r));
    h_free(&r);
    char *code = code_of(phone);
    CHECK(code != NULL);
    char wrong[8];
    snprintf(wrong, sizeof(wrong), "%06d",
             (atoi(code ? code : "0") + 1) % 1000000);
    for (int i = 0; i < 4; i++) {
        CHECK(login_with(phone, wrong, &r) == 0 && !h_success(&r));
        CHECK(h_errmsg(&r) && strcmp(h_errmsg(&r), "验证码错误") == 0);
        h_free(&r);
    }
    /* fifth wrong attempt invalidates the code */
    CHECK(login_with(phone, wrong, &r) == 0 && !h_success(&r));
    CHECK(h_errmsg(&r) && strstr(h_errmsg(&r), "次数过多"));
    h_free(&r);
    CHECK(h_redis_int("EXISTS login:code:%s", phone) == 0);
    /* even the right code no longer works */
    CHECK(login_with(phone, code ? code : "", &r) == 0 && !h_success(&r));
    h_free(&r);
    free(code);
}

static void
test_rate_limit(void)
{
    char phone[16];
    snprintf(phone, sizeof(phone), "%s", h_phone());
    struct resp r;
    CHECK(send_code(phone, &r) == 0 && h_success(&r));
    h_free(&r);
    char *first = code_of(phone);
    CHECK(send_code(phone, &r) == 0 && r.status == 200 && !h_success(&r));
    CHECK(h_errmsg(&r) && strstr(h_errmsg(&r), "秒后再试"));
    h_free(&r);
    char *second = code_of(phone);
    CHECK(first && second && strcmp(first, second) == 0); /* not replaced */
    /* daily cap: 10 codes, then refused until tomorrow */
    for (int i = 1; i < 10; i++) {
        h_redis_int("DEL login:code:gap:%s", phone);
        CHECK(send_code(phone, &r) == 0 && h_success(&r));
        h_free(&r);
    }
    h_redis_int("DEL login:code:gap:%s", phone);
    CHECK(send_code(phone, &r) == 0 && r.status == 200 && !h_success(&r));
    CHECK(h_errmsg(&r) && strstr(h_errmsg(&r), "上限"));
    h_free(&r);
    free(first);
    free(second);
}

static void
test_token_refresh_and_logout(void)
{
    int64_t uid;
    char *tok = h_login(&uid);
    CHECK(tok != NULL);
    if (!tok)
        return;
    h_redis_int("EXPIRE login:token:%s 100", tok);
    CHECK(h_redis_int("TTL login:token:%s", tok) <= 100);
    struct resp r;
    /* any request with the token slides it back to 30 minutes, public
     * paths included */
    CHECK(h_get("/user/1", tok, &r) == 0 && r.status == 200);
    h_free(&r);
    h_sleep_ms(50);
    CHECK(h_redis_int("TTL login:token:%s", tok) > 1700);
    CHECK(h_http("POST", "/user/logout", tok, NULL, NULL, NULL, 0, &r) == 0 &&
          r.status == 200 && h_success(&r));
    h_free(&r);
    CHECK(h_redis_int("EXISTS login:token:%s", tok) == 0);
    CHECK(h_get("/user/me", tok, &r) == 0 && r.status == 401);
    h_free(&r);
    free(tok);
}

static void
test_password_login(void)
{
    char phone[16];
    snprintf(phone, sizeof(phone), "%s", h_phone());
    int64_t uid;
    char *tok = h_login_phone(phone, &uid);
    CHECK(tok != NULL);
    if (!tok)
        return;
    struct resp r;
    char body[160];
    snprintf(body, sizeof(body), "{\"phone\":\"%s\",\"password\":\"x\"}",
             phone);
    /* no password set yet */
    CHECK(h_post_json("/user/login", NULL, body, &r) == 0 && !h_success(&r));
    h_free(&r);
    CHECK(h_put("/user/password", tok, "{\"password\":\"short\"}", &r) == 0 &&
          !h_success(&r));
    h_free(&r);
    CHECK(h_put("/user/password", tok, "{\"password\":\"correct horse\"}",
                &r) == 0 &&
          h_success(&r));
    h_free(&r);
    CHECK(h_sql_int("SELECT password LIKE '$argon2id$%%' FROM tb_user WHERE "
                    "id=%lld",
                    (long long)uid) == 1);
    snprintf(body, sizeof(body),
             "{\"phone\":\"%s\",\"password\":\"correct horse\"}", phone);
    CHECK(h_post_json("/user/login", NULL, body, &r) == 0 && h_success(&r));
    struct json_object *d = h_data(&r);
    CHECK(d && strlen(json_object_get_string(d)) == 32);
    h_free(&r);
    snprintf(body, sizeof(body),
             "{\"phone\":\"%s\",\"password\":\"wrong horse\"}", phone);
    CHECK(h_post_json("/user/login", NULL, body, &r) == 0 && !h_success(&r));
    h_free(&r);
    /* seed users have an empty password: never a way in */
    CHECK(h_post_json("/user/login", NULL,
                      "{\"phone\":\"13686869696\",\"password\":\"\"}",
                      &r) == 0 &&
          !h_success(&r));
    h_free(&r);
    free(tok);
}

static void
test_user_reads(void)
{
    struct resp r;
    struct json_object *d, *v;
    /* seed user 2 of the original dump */
    CHECK(h_get("/user/2", NULL, &r) == 0 && h_success(&r));
    d = h_data(&r);
    CHECK(d && json_object_object_get_ex(d, "nickName", &v) &&
          strcmp(json_object_get_string(v), "可可今天不吃肉") == 0);
    CHECK(d && json_object_object_get_ex(d, "icon", &v) &&
          strcmp(json_object_get_string(v), "/imgs/icons/kkjtbcr.jpg") == 0);
    CHECK(d && !json_object_object_get_ex(d, "phone", &v));
    h_free(&r);
    /* unknown user: success with no data */
    CHECK(h_get("/user/999999999", NULL, &r) == 0 && r.status == 200 &&
          h_success(&r) && h_data(&r) == NULL);
    h_free(&r);
    CHECK(h_get("/user/abc", NULL, &r) == 0 && r.status == 400 &&
          !h_success(&r));
    h_free(&r);
    CHECK(h_get("/user/-5", NULL, &r) == 0 && r.status == 400);
    h_free(&r);
    CHECK(h_get("/user/99999999999999999999999", NULL, &r) == 0 &&
          r.status == 400);
    h_free(&r);
    /* user info */
    h_sql_exec("INSERT IGNORE INTO tb_user_info (user_id, city, introduce, "
               "fans, followee, gender, birthday, credits, level) VALUES "
               "(5, '杭州', 'hi', 3, 4, 1, '2000-02-29', 7, 2)");
    CHECK(h_get("/user/info/5", NULL, &r) == 0 && h_success(&r));
    d = h_data(&r);
    CHECK(d && json_object_object_get_ex(d, "userId", &v) &&
          json_object_get_int64(v) == 5);
    CHECK(d && json_object_object_get_ex(d, "birthday", &v) &&
          strcmp(json_object_get_string(v), "2000-02-29") == 0);
    CHECK(d && json_object_object_get_ex(d, "gender", &v) &&
          json_object_is_type(v, json_type_boolean));
    CHECK(d && !json_object_object_get_ex(d, "createTime", &v));
    h_free(&r);
    CHECK(h_get("/user/info/999999999", NULL, &r) == 0 && h_success(&r) &&
          h_data(&r) == NULL);
    h_free(&r);
}

static void
test_http_errors(void)
{
    struct resp r;
    CHECK(h_get("/no/such/route", NULL, &r) == 0 && r.status == 404);
    CHECK(!h_success(&r) && h_errmsg(&r));
    h_free(&r);
    CHECK(h_http("DELETE", "/user/me", NULL, NULL, NULL, NULL, 0, &r) == 0 &&
          r.status == 405 && !h_success(&r));
    h_free(&r);
    const char *bad[] = {"{", "[]", "{\"phone\":13800000000}", "null",
                         "{\"phone\":\"138\\u0000\"}"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        CHECK(h_post_json("/user/login", NULL, bad[i], &r) == 0);
        CHECK(r.status == 400 || (r.status == 200 && !h_success(&r)));
        CHECK(r.json != NULL && !h_success(&r));
        h_free(&r);
    }
    CHECK(h_post_json("/user/login", NULL, "{", &r) == 0 && r.status == 400);
    h_free(&r);
    /* a body over the app's limit (64 KiB) but under nginx's: 413 */
    size_t n = 100 * 1024;
    char *big = malloc(n + 1);
    memset(big, ' ', n);
    big[0] = '{';
    big[n - 1] = '}';
    big[n] = '\0';
    CHECK(h_post_json("/user/login", NULL, big, &r) == 0 && r.status == 413);
    CHECK(r.json != NULL && !h_success(&r));
    h_free(&r);
    free(big);
    /* the service keeps answering after all that */
    CHECK(h_get("/user/1", NULL, &r) == 0 && r.status == 200);
    h_free(&r);
}

int
main(void)
{
    h_init();
    RUN(test_login_flow);
    RUN(test_code_delivery);
    RUN(test_unauthorized);
    RUN(test_bad_phone_and_code);
    RUN(test_lockout_after_five);
    RUN(test_rate_limit);
    RUN(test_token_refresh_and_logout);
    RUN(test_password_login);
    RUN(test_user_reads);
    RUN(test_http_errors);
    T_DONE();
}
