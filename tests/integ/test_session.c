/*
 * test_session.c: passwords and sessions under attack. The password
 * lockout holds under concurrency (30 parallel wrong passwords: at most
 * the limit are evaluated, the attempt is taken before hashing); changing
 * a password needs the current one (or a fresh login code) and ends every
 * other session of the user; POST /user/logout/all ends all of them.
 */
#include "h.h"
#include "h_multi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PW_ATTEMPTS 5 /* app/store/keys.h */

/* PUT /user/password with body; returns the response (caller frees). */
static int
set_password(const char *tok, const char *body, struct resp *r)
{
    return h_put("/user/password", tok, body, r);
}

/* POST /user/login {phone, password}: malloc'd token or NULL; the error
 * message (if any) is copied to msg. */
static char *
pw_login(const char *phone, const char *pw, char *msg, size_t cap)
{
    char body[256];
    snprintf(body, sizeof(body), "{\"phone\":\"%s\",\"password\":\"%s\"}",
             phone, pw);
    struct resp r;
    if (msg && cap)
        msg[0] = '\0';
    if (h_post_json("/user/login", NULL, body, &r) != 0)
        return NULL;
    char *tok = NULL;
    if (r.status == 200 && h_success(&r) && h_data(&r))
        tok = strdup(json_object_get_string(h_data(&r)));
    else if (msg && cap && h_errmsg(&r))
        snprintf(msg, cap, "%s", h_errmsg(&r));
    h_free(&r);
    return tok;
}

/* GET /user/me: the HTTP status. */
static long
me_status(const char *tok)
{
    struct resp r;
    long st = h_get("/user/me", tok, &r) == 0 ? r.status : -1;
    h_free(&r);
    return st;
}

/* A user with a password: returns the code-login token; phone copied. */
static char *
user_with_password(char *phone, size_t cap, const char *pw)
{
    snprintf(phone, cap, "%s", h_phone());
    char *tok = h_login_phone(phone, NULL);
    CHECK(tok != NULL);
    if (tok == NULL)
        return NULL;
    char body[128];
    snprintf(body, sizeof(body), "{\"password\":\"%s\"}", pw);
    struct resp r;
    /* no password yet: the session alone may set the first one */
    CHECK(set_password(tok, body, &r) == 0 && r.status == 200 && h_success(&r));
    h_free(&r);
    return tok;
}

static void
test_lockout_under_concurrency(void)
{
    char phone[32];
    char *tok = user_with_password(phone, sizeof(phone), "right-pass-1");
    if (tok == NULL)
        return;
    enum { N = 30 };
    static char bodies[N][128];
    const char *body[N];
    struct hm_req q[N];
    struct hm_res res[N];
    memset(q, 0, sizeof(q));
    for (int i = 0; i < N; i++) {
        snprintf(bodies[i], sizeof(bodies[i]),
                 "{\"phone\":\"%s\",\"password\":\"wrong-%d\"}", phone, i);
        body[i] = bodies[i];
        q[i].method = "POST";
        snprintf(q[i].path, sizeof(q[i].path), "/user/login");
    }
    hm_run_json(q, body, res, N, N);
    int evaluated = 0, locked = 0, other = 0;
    for (int i = 0; i < N; i++) {
        const char *m = hm_errmsg(&res[i]);
        if (res[i].status == 200 && m && strcmp(m, "手机号或密码错误") == 0)
            evaluated++;
        else if (res[i].status == 200 && m && strstr(m, "错误次数过多"))
            locked++;
        else if (other++ < 3)
            printf("  attempt %d: %ld %s\n", i, res[i].status,
                   res[i].body ? res[i].body : "(none)");
    }
    hm_free(res, N);
    printf("  %d parallel wrong passwords: %d evaluated, %d locked out\n", N,
           evaluated, locked);
    CHECK(evaluated >= 1 && evaluated <= MAX_PW_ATTEMPTS);
    CHECK(evaluated + locked == N);
    /* locked: even the right password is not evaluated now */
    char msg[128];
    char *t = pw_login(phone, "right-pass-1", msg, sizeof(msg));
    CHECK(t == NULL && strstr(msg, "错误次数过多") != NULL);
    free(t);
    free(tok);
}

static void
test_change_needs_current_and_revokes(void)
{
    char phone[32], msg[128];
    char *t1 = user_with_password(phone, sizeof(phone), "first-pass-1");
    if (t1 == NULL)
        return;
    /* setting the first password ended no session but its own: t1 works */
    CHECK(me_status(t1) == 200);
    char *t2 = pw_login(phone, "first-pass-1", NULL, 0);
    char *t3 = pw_login(phone, "first-pass-1", NULL, 0);
    CHECK(t2 && t3);
    if (!(t2 && t3))
        goto out;
    struct resp r;
    /* a stolen session alone cannot change it: the current one is asked */
    CHECK(set_password(t3, "{\"password\":\"thief-pass-1\"}", &r) == 0 &&
          r.status == 200 && !h_success(&r));
    h_free(&r);
    CHECK(set_password(t3,
                       "{\"password\":\"thief-pass-1\",\"oldPassword\":"
                       "\"guess-pass\"}",
                       &r) == 0 &&
          r.status == 200 && !h_success(&r));
    h_free(&r);
    char *bad = pw_login(phone, "thief-pass-1", NULL, 0);
    CHECK(bad == NULL);
    free(bad);
    /* with the current password: changed, every other session ends */
    CHECK(set_password(t2,
                       "{\"password\":\"second-pass-2\",\"oldPassword\":"
                       "\"first-pass-1\"}",
                       &r) == 0 &&
          r.status == 200 && h_success(&r));
    h_free(&r);
    CHECK(me_status(t2) == 200);
    CHECK(me_status(t1) == 401);
    CHECK(me_status(t3) == 401);
    char *old = pw_login(phone, "first-pass-1", msg, sizeof(msg));
    CHECK(old == NULL);
    free(old);
    char *t4 = pw_login(phone, "second-pass-2", NULL, 0);
    CHECK(t4 != NULL);
    /* or with a fresh login code instead of the current password */
    h_redis_int("DEL login:code:gap:%s", phone);
    char path[64];
    snprintf(path, sizeof(path), "/user/code?phone=%s", phone);
    CHECK(h_http("POST", path, NULL, NULL, NULL, NULL, 0, &r) == 0 &&
          h_success(&r));
    h_free(&r);
    redisReply *code = redisCommand(h_redis(), "GET login:code:%s", phone);
    CHECK(code && code->type == REDIS_REPLY_STRING);
    if (code && code->type == REDIS_REPLY_STRING) {
        char body[160];
        snprintf(body, sizeof(body),
                 "{\"password\":\"third-pass-3\",\"code\":\"000000x\"}");
        CHECK(set_password(t4, body, &r) == 0 && !h_success(&r));
        h_free(&r);
        snprintf(body, sizeof(body),
                 "{\"password\":\"third-pass-3\",\"code\":\"%s\"}", code->str);
        CHECK(set_password(t4, body, &r) == 0 && r.status == 200 &&
              h_success(&r));
        h_free(&r);
        /* the code was used up */
        CHECK(set_password(t4, body, &r) == 0 && !h_success(&r));
        h_free(&r);
    }
    if (code)
        freeReplyObject(code);
    CHECK(me_status(t4) == 200);
    CHECK(me_status(t2) == 401);
    char *t5 = pw_login(phone, "third-pass-3", NULL, 0);
    CHECK(t5 != NULL);
    free(t4);
    free(t5);
out:
    free(t1);
    free(t2);
    free(t3);
}

static void
test_logout_everywhere(void)
{
    char phone[32];
    char *t1 = user_with_password(phone, sizeof(phone), "every-pass-1");
    if (t1 == NULL)
        return;
    char *t2 = pw_login(phone, "every-pass-1", NULL, 0);
    char *t3 = pw_login(phone, "every-pass-1", NULL, 0);
    CHECK(t2 && t3);
    /* someone else's session is not touched */
    int64_t other_id;
    char *other = h_login(&other_id);
    CHECK(other != NULL);
    struct resp r;
    CHECK(h_http("POST", "/user/logout/all", NULL, NULL, NULL, NULL, 0, &r) ==
              0 &&
          r.status == 401);
    h_free(&r);
    CHECK(h_http("POST", "/user/logout/all", t2, NULL, NULL, NULL, 0, &r) ==
              0 &&
          r.status == 200 && h_success(&r));
    h_free(&r);
    CHECK(me_status(t1) == 401);
    CHECK(me_status(t2) == 401);
    CHECK(me_status(t3) == 401);
    CHECK(me_status(other) == 200);
    /* a new login works as before */
    char *t4 = pw_login(phone, "every-pass-1", NULL, 0);
    CHECK(t4 != NULL && me_status(t4) == 200);
    /* a plain logout ends only its own session */
    char *t5 = pw_login(phone, "every-pass-1", NULL, 0);
    CHECK(h_http("POST", "/user/logout", t5, NULL, NULL, NULL, 0, &r) == 0 &&
          h_success(&r));
    h_free(&r);
    CHECK(me_status(t5) == 401);
    CHECK(me_status(t4) == 200);
    free(t1);
    free(t2);
    free(t3);
    free(t4);
    free(t5);
    free(other);
}

int
main(void)
{
    h_init();
    RUN(test_lockout_under_concurrency);
    RUN(test_change_needs_current_and_revokes);
    RUN(test_logout_everywhere);
    T_DONE();
}
