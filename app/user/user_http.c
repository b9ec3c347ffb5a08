/*
 * user_http.c: handlers of the user module (API.md §4.1, DECISIONS.md
 * Auth). Login codes come from the CSPRNG, are rate-limited per phone,
 * single-use, and die after five wrong guesses.
 */
/* posix_spawn_file_actions_addclosefrom_np (glibc >= 2.34) */
#define _GNU_SOURCE

#include "user_private.h"

#include "../core/cfg.h"
#include "../core/log.h"
#include "../core/reply.h"
#include "../core/util.h"
#include "../store/keys.h"

#include <signal.h>
#include <sodium.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

#define PASSWORD_MIN 8
#define PASSWORD_MAX 64

/* Hands the code to the configured delivery command as `hook PHONE CODE`
 * without a shell, with no descriptor of the worker's but 0-2; children
 * are reaped by SIGCHLD = SIG_IGN (main.c). */
static res_t
user_deliver_code(struct req *rq, const char *phone, const char *code)
{
    /* codes never reach a log, in any mode (issue 13): in dev mode
     * without a hook, read it from Redis (README: Examples) */
    if (g_cfg.sms_hook[0] == '\0') {
        if (g_cfg.dev_mode)
            log_info("dev mode: login code for %s is in Redis (%s)", phone,
                     key_login_code(rq->cx.arena, phone));
        else
            log_warn("no sms_hook configured: code for %s not delivered",
                     phone);
        return RES_OK;
    }
    char *argv[] = {g_cfg.sms_hook, arena_strdup(rq->cx.arena, phone),
                    arena_strdup(rq->cx.arena, code), NULL};
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", 0, 0);
    posix_spawn_file_actions_adddup2(&fa, 2, 1);
    /* the hook gets stdin/stdout/stderr only: not the worker's FastCGI,
     * Redis and MySQL connections (libfcgi opens them without CLOEXEC) */
    posix_spawn_file_actions_addclosefrom_np(&fa, 3);
    pid_t pid;
    int e = posix_spawn(&pid, g_cfg.sms_hook, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (e != 0)
        return req_fail(rq, RES_INTERNAL, "sms hook %s: %s", g_cfg.sms_hook,
                        strerror(e));
    return RES_OK;
}

/* POST /user/code?phone=: issue a login code. */
static res_t
user_http_code(struct req *rq)
{
    const char *phone = req_query(rq, "phone");
    if (phone == NULL && rq->body &&
        strncmp(rq->content_type, "application/x-www-form-urlencoded", 33) ==
            0) {
        struct qs_pair *p;
        size_t n;
        if (req_qs_parse(rq->cx.arena, rq->body, &p, &n) == 0)
            for (size_t i = 0; i < n; i++)
                if (strcmp(p[i].key, "phone") == 0)
                    phone = p[i].val;
    }
    if (!user_phone_valid(phone))
        return req_fail(rq, RES_REFUSED, "手机号格式错误");

    char code[8];
    util_rand_chars(code, 6, "0123456789");
    int status;
    long retry;
    res_t rc = user_code_store(rq, phone, code, &status, &retry);
    if (rc != RES_OK)
        return rc;
    if (status == CODE_TOO_SOON)
        return req_fail(rq, RES_REFUSED, "发送过于频繁，请%ld秒后再试",
                        retry > 0 ? retry : 1);
    if (status == CODE_DAY_LIMIT)
        return req_fail(rq, RES_REFUSED,
                        "今日验证码发送次数已达上限，请明天再试");
    if ((rc = user_deliver_code(rq, phone, code)) != RES_OK)
        return rc;
    return reply_ok(rq, NULL);
}

/* Checks pw against u's stored hash. Seed users have an empty password
 * and legacy salt@md5 is not accepted: both fail like a wrong one. */
static int
user_pw_matches(const struct user_row *u, const char *pw)
{
    return u->password != NULL && strncmp(u->password, "$argon2", 7) == 0 &&
           crypto_pwhash_str_verify(u->password, pw, strlen(pw)) == 0;
}

/* One password attempt for phone, taken before the hash is checked so that
 * the lockout holds however many attempts race. *ok = 1 when pw is u's
 * password; otherwise the refusal is recorded (locked, or wrong_msg). */
static res_t
user_pw_try(struct req *rq, const char *phone, const struct user_row *u,
            int found, const char *pw, const char *wrong_msg)
{
    int allowed;
    res_t rc = user_pw_attempt_take(rq, phone, &allowed);
    if (rc != RES_OK)
        return rc;
    if (!allowed)
        return req_fail(rq, RES_REFUSED, "密码错误次数过多，请15分钟后再试");
    if (!found || !user_pw_matches(u, pw))
        return req_fail(rq, RES_REFUSED, "%s", wrong_msg);
    user_pw_attempt_give(rq, phone);
    return RES_OK;
}

static res_t
user_login_password(struct req *rq, const char *phone, const char *pw,
                    struct user_row *u)
{
    int found;
    res_t rc = user_find_by_phone(rq, phone, u, &found);
    if (rc != RES_OK)
        return rc;
    return user_pw_try(rq, phone, u, found, pw, "手机号或密码错误");
}

/* POST /user/login {phone, code} or {phone, password}: returns a token. */
static res_t
user_http_login(struct req *rq)
{
    struct json_object *body;
    res_t rc = req_json(rq, &body);
    if (rc != RES_OK)
        return rc;
    const char *phone = NULL, *code = NULL, *pw = NULL;
    if ((rc = req_json_str(rq, body, "phone", 32, 0, &phone)) != RES_OK ||
        (rc = req_json_str(rq, body, "code", 32, 0, &code)) != RES_OK ||
        (rc = req_json_str(rq, body, "password", PASSWORD_MAX, 0, &pw)) !=
            RES_OK)
        return rc;
    if (!user_phone_valid(phone))
        return req_fail(rq, RES_REFUSED, "手机号格式错误");

    struct user_row u;
    memset(&u, 0, sizeof(u));
    if (code && *code) {
        int result;
        if ((rc = user_code_check(rq, phone, code, &result)) != RES_OK)
            return rc;
        if (result == CHECK_LOCKED)
            return req_fail(rq, RES_REFUSED,
                            "验证码错误次数过多，请重新获取验证码");
        if (result != CHECK_OK)
            return req_fail(rq, RES_REFUSED, "验证码错误");
        int found;
        if ((rc = user_find_by_phone(rq, phone, &u, &found)) != RES_OK)
            return rc;
        if (!found && (rc = user_create(rq, phone, &u)) != RES_OK)
            return rc;
    } else if (pw && *pw) {
        if ((rc = user_login_password(rq, phone, pw, &u)) != RES_OK)
            return rc;
    } else {
        return req_fail(rq, RES_REFUSED, "验证码错误");
    }
    const char *token;
    if ((rc = user_session_open(rq, &u, &token)) != RES_OK)
        return rc;
    return reply_take(rq, json_object_new_string(token));
}

/* PUT /user/password {password, oldPassword?, code?}: set the password
 * for login2.html. A password that exists is changed only with the current
 * one or a fresh login code (a stolen session alone must not take the
 * account over), and the change ends every other session of the user. */
static res_t
user_http_password(struct req *rq)
{
    struct json_object *body;
    const char *pw = NULL, *old = NULL, *code = NULL;
    res_t rc = req_json(rq, &body);
    if (rc != RES_OK ||
        (rc = req_json_str(rq, body, "password", PASSWORD_MAX, 1, &pw)) !=
            RES_OK ||
        (rc = req_json_str(rq, body, "oldPassword", PASSWORD_MAX, 0, &old)) !=
            RES_OK ||
        (rc = req_json_str(rq, body, "code", 32, 0, &code)) != RES_OK)
        return rc;
    if (str_utf8_len(pw, strlen(pw)) < PASSWORD_MIN)
        return req_fail(rq, RES_REFUSED, "密码至少%d位", PASSWORD_MIN);
    struct user_row u;
    int found;
    memset(&u, 0, sizeof(u));
    if ((rc = user_find_by_id(rq, rq->user.id, &u, &found)) != RES_OK)
        return rc;
    if (!found)
        return req_fail(rq, RES_UNAUTH, "用户不存在");
    int has_pw = u.password && strncmp(u.password, "$argon2", 7) == 0;
    if (has_pw && code && *code) {
        int result;
        if ((rc = user_code_check(rq, u.phone, code, &result)) != RES_OK)
            return rc;
        if (result == CHECK_LOCKED)
            return req_fail(rq, RES_REFUSED,
                            "验证码错误次数过多，请重新获取验证码");
        if (result != CHECK_OK)
            return req_fail(rq, RES_REFUSED, "验证码错误");
    } else if (has_pw && old && *old) {
        if ((rc = user_pw_try(rq, u.phone, &u, 1, old, "当前密码错误")) !=
            RES_OK)
            return rc;
    } else if (has_pw) {
        return req_fail(rq, RES_REFUSED, "请输入当前密码或验证码");
    }
    char hash[crypto_pwhash_STRBYTES];
    if (crypto_pwhash_str(hash, pw, strlen(pw),
                          crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
        return req_fail(rq, RES_INTERNAL, "crypto_pwhash_str: out of memory");
    if ((rc = user_set_password(rq, rq->user.id, hash)) != RES_OK ||
        (rc = user_sessions_revoke(rq, rq->user.id, rq->token)) != RES_OK)
        return rc;
    return reply_ok(rq, NULL);
}

/* POST /user/logout: the token stops working at once. */
static res_t
user_http_logout(struct req *rq)
{
    res_t rc = user_session_close(rq, rq->user.id, rq->token);
    if (rc != RES_OK)
        return rc;
    return reply_ok(rq, NULL);
}

/* POST /user/logout/all: every session of the caller ends, this one too
 * (after a lost phone or a shared computer). */
static res_t
user_http_logout_all(struct req *rq)
{
    res_t rc = user_sessions_revoke(rq, rq->user.id, NULL);
    if (rc != RES_OK)
        return rc;
    return reply_ok(rq, NULL);
}

/* GET /user/me: the session's UserDTO. */
static res_t
user_http_me(struct req *rq)
{
    struct user_dto me = {rq->user.id, rq->user.nick_name, rq->user.icon};
    return reply_take(rq, user_dto_json(&me));
}

/* GET /user/{id}: UserDTO, or no data for an unknown user. */
static res_t
user_http_get(struct req *rq)
{
    int64_t id;
    res_t rc = req_path_i64(rq, "id", &id);
    if (rc != RES_OK)
        return rc;
    struct user_dto u;
    int found;
    if ((rc = user_dto_get(rq, id, &u, &found)) != RES_OK)
        return rc;
    if (!found)
        return reply_ok(rq, NULL);
    return reply_take(rq, user_dto_json(&u));
}

/* GET /user/info/{id}: UserInfo, or no data when there is no row. */
static res_t
user_http_info(struct req *rq)
{
    int64_t id;
    res_t rc = req_path_i64(rq, "id", &id);
    if (rc != RES_OK)
        return rc;
    struct json_object *o;
    if ((rc = user_info_get(rq, id, &o)) != RES_OK)
        return rc;
    return reply_ok(rq, o);
}

/* POST /user/sign: today's bit; signing twice is a no-op. */
static res_t
user_http_sign(struct req *rq)
{
    res_t rc = user_sign_today(rq, rq->user.id);
    if (rc != RES_OK)
        return rc;
    return reply_ok(rq, NULL);
}

/* GET /user/sign/count (and M's /user/signCount): consecutive days
 * signed, ending today, within this month. */
static res_t
user_http_sign_count(struct req *rq)
{
    uint64_t bits;
    res_t rc = user_sign_bits(rq, rq->user.id, &bits);
    if (rc != RES_OK)
        return rc;
    return reply_take(rq, json_object_new_int(user_sign_streak(bits)));
}

/* GET /admin/uv?date=YYYYMMDD: distinct visitors of a day (default
 * today), counted with HyperLogLog. */
static res_t
user_http_uv(struct req *rq)
{
    const char *d = req_query(rq, "date");
    char today[16];
    util_date_ymd(time(NULL), today);
    if (d == NULL || *d == '\0')
        d = today;
    int64_t v;
    if (strlen(d) != 8 || str_parse_i64(d, &v) < 0 || v < 19700101 ||
        v > 29991231)
        return req_fail(rq, RES_BAD_INPUT, "date 必须是 YYYYMMDD");
    long long n;
    res_t rc = user_uv_count(rq, d, &n);
    if (rc != RES_OK)
        return rc;
    struct json_object *o = reply_obj(rq);
    reply_add_str(o, "date", d);
    reply_add_i64(o, "uv", n);
    return reply_ok(rq, o);
}

const struct route user_routes[] = {
    {HTTP_POST, "/user/code", user_http_code, 0},
    {HTTP_POST, "/user/login", user_http_login, 0},
    {HTTP_POST, "/user/logout", user_http_logout, ROUTE_AUTH},
    {HTTP_POST, "/user/logout/all", user_http_logout_all, ROUTE_AUTH},
    {HTTP_PUT, "/user/password", user_http_password, ROUTE_AUTH},
    {HTTP_GET, "/user/me", user_http_me, ROUTE_AUTH},
    {HTTP_GET, "/user/info/{id}", user_http_info, 0},
    {HTTP_GET, "/user/{id}", user_http_get, 0},
    {HTTP_POST, "/user/sign", user_http_sign, ROUTE_AUTH},
    {HTTP_GET, "/user/sign/count", user_http_sign_count, ROUTE_AUTH},
    {HTTP_GET, "/user/signCount", user_http_sign_count, ROUTE_AUTH},
    {HTTP_GET, "/admin/uv", user_http_uv, ROUTE_ADMIN},
    {0, NULL, NULL, 0},
};
