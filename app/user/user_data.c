/*
 * user_data.c: the user module's SQL and Redis. Code sending and checking
 * are Lua scripts so that the rate limits and the attempt counter are
 * decided in one step however many requests race.
 */
#include "user_private.h"

#include "../core/reply.h"
#include "../core/util.h"
#include "../store/keys.h"
#include "../store/rds.h"
#include "../store/sql.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* KEYS: gap, day counter, code, fail counter
 * ARGV: code, code ttl, gap ttl, max per day, day ttl
 * Returns {status, retry seconds}. */
static const struct rds_script user_lua_send = {
    "user_send_code", "if redis.call('EXISTS', KEYS[1]) == 1 then\n"
                      "  return {1, redis.call('TTL', KEYS[1])}\n"
                      "end\n"
                      "local d = tonumber(redis.call('GET', KEYS[2]) or '0')\n"
                      "if d >= tonumber(ARGV[4]) then\n"
                      "  return {2, redis.call('TTL', KEYS[2])}\n"
                      "end\n"
                      "redis.call('SET', KEYS[3], ARGV[1], 'EX', ARGV[2])\n"
                      "redis.call('SET', KEYS[1], '1', 'EX', ARGV[3])\n"
                      "redis.call('INCR', KEYS[2])\n"
                      "redis.call('EXPIRE', KEYS[2], ARGV[5])\n"
                      "redis.call('DEL', KEYS[4])\n"
                      "return {0, 0}\n"};

/* KEYS: code, fail counter; ARGV: code, max attempts, code ttl
 * Returns 1 ok (code consumed), 0 wrong/missing, -1 locked (code gone). */
static const struct rds_script user_lua_check = {
    "user_check_code", "local c = redis.call('GET', KEYS[1])\n"
                       "if not c then return 0 end\n"
                       "if c == ARGV[1] then\n"
                       "  redis.call('DEL', KEYS[1], KEYS[2])\n"
                       "  return 1\n"
                       "end\n"
                       "local n = redis.call('INCR', KEYS[2])\n"
                       "redis.call('EXPIRE', KEYS[2], ARGV[3])\n"
                       "if n >= tonumber(ARGV[2]) then\n"
                       "  redis.call('DEL', KEYS[1], KEYS[2])\n"
                       "  return -1\n"
                       "end\n"
                       "return 0\n"};

res_t
user_code_store(struct req *rq, const char *phone, const char *code,
                int *status, long *retry_s)
{
    char ymd[16];
    util_date_ymd(time(NULL), ymd);
    struct arena *a = rq->cx.arena;
    const char *keys[4] = {
        key_login_code_gap(a, phone), key_login_code_day(a, phone, ymd),
        key_login_code(a, phone), key_login_code_fail(a, phone)};
    const char *args[5] = {code, arena_printf(a, "%d", TTL_LOGIN_CODE),
                           arena_printf(a, "%d", TTL_CODE_GAP),
                           arena_printf(a, "%d", MAX_CODES_PER_DAY),
                           arena_printf(a, "%d", TTL_CODE_DAY)};
    redisReply *r;
    res_t rc = rds_eval(&rq->cx, &user_lua_send, &r, 4, keys, 5, args);
    if (rc != RES_OK)
        return rc;
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 2)
        return req_fail(rq, RES_INTERNAL, "send-code script: bad reply");
    *status = (int)rds_int(r->element[0]);
    *retry_s = (long)rds_int(r->element[1]);
    return RES_OK;
}

res_t
user_code_check(struct req *rq, const char *phone, const char *code,
                int *result)
{
    struct arena *a = rq->cx.arena;
    const char *keys[2] = {key_login_code(a, phone),
                           key_login_code_fail(a, phone)};
    const char *args[3] = {code, arena_printf(a, "%d", MAX_CODE_ATTEMPTS),
                           arena_printf(a, "%d", TTL_LOGIN_CODE)};
    redisReply *r;
    res_t rc = rds_eval(&rq->cx, &user_lua_check, &r, 2, keys, 3, args);
    if (rc != RES_OK)
        return rc;
    if (r->type != REDIS_REPLY_INTEGER)
        return req_fail(rq, RES_INTERNAL, "check-code script: bad reply");
    *result = (int)r->integer;
    return RES_OK;
}

/* KEYS: the phone's password failure counter; ARGV: max attempts, ttl.
 * An attempt is taken before the hash is checked (Argon2id takes tens of
 * milliseconds), so however many requests race, at most max of them are
 * checked per window. Returns 1 when this one may be checked, 0 when the
 * phone is locked. The window runs from the last checked attempt. */
static const struct rds_script user_lua_pw_take = {
    "user_pw_take", "local n = redis.call('INCR', KEYS[1])\n"
                    "if n > tonumber(ARGV[1]) then return 0 end\n"
                    "redis.call('EXPIRE', KEYS[1], ARGV[2])\n"
                    "return 1\n"};

/* KEYS: the failure counter. Gives back an attempt that was right (never
 * below zero, never a counter without its TTL). */
static const struct rds_script user_lua_pw_give = {
    "user_pw_give", "local n = tonumber(redis.call('GET', KEYS[1]) or '0')\n"
                    "if n > 0 then redis.call('DECR', KEYS[1]) end\n"
                    "return 0\n"};

res_t
user_pw_attempt_take(struct req *rq, const char *phone, int *allowed)
{
    struct arena *a = rq->cx.arena;
    const char *keys[1] = {key_login_pw_fail(a, phone)};
    const char *args[2] = {arena_printf(a, "%d", MAX_PW_ATTEMPTS),
                           arena_printf(a, "%d", TTL_PW_FAIL)};
    redisReply *r;
    res_t rc = rds_eval(&rq->cx, &user_lua_pw_take, &r, 1, keys, 2, args);
    if (rc != RES_OK)
        return rc;
    if (r->type != REDIS_REPLY_INTEGER)
        return req_fail(rq, RES_INTERNAL, "pw-take script: bad reply");
    *allowed = r->integer == 1;
    return RES_OK;
}

void
user_pw_attempt_give(struct req *rq, const char *phone)
{
    const char *keys[1] = {key_login_pw_fail(rq->cx.arena, phone)};
    struct ctx_mark m = ctx_mark(&rq->cx);
    if (rds_eval(&rq->cx, &user_lua_pw_give, NULL, 1, keys, 0, NULL) != RES_OK)
        ctx_drop(&rq->cx, m, "password attempt give-back");
}

/* ---------------- tb_user ---------------- */

static void
user_row_fill(struct user_row *u, const struct sql_rows *t)
{
    u->id = sql_i64(t, 0, 0);
    u->phone = sql_str(t, 0, 1);
    u->password = sql_str(t, 0, 2);
    u->nick_name = sql_str(t, 0, 3);
    u->icon = sql_str(t, 0, 4);
}

/* The answer rc of a query of at most one user row in t: *found and *u. */
static res_t
user_row_take(struct sql_rows *t, res_t rc, struct user_row *u, int *found)
{
    if (rc != RES_OK)
        return rc;
    *found = t->nrows > 0;
    if (*found)
        user_row_fill(u, t);
    return RES_OK;
}

res_t
user_find_by_phone(struct req *rq, const char *phone, struct user_row *u,
                   int *found)
{
    struct sql_rows t;
    return user_row_take(&t,
                         sql_query(&rq->cx, &t,
                                   "SELECT id, phone, password, nick_name, "
                                   "icon FROM tb_user WHERE phone = ?",
                                   "s", phone),
                         u, found);
}

res_t
user_create(struct req *rq, const char *phone, struct user_row *u)
{
    char nick[16] = "user_";
    util_rand_chars(nick + 5, 10, "abcdefghijklmnopqrstuvwxyz0123456789");
    int dup;
    res_t rc = sql_exec_dup(&rq->cx, NULL, &dup,
                            "INSERT INTO tb_user (phone, password, nick_name, "
                            "icon) VALUES (?, '', ?, '')",
                            "ss", phone, nick);
    if (rc != RES_OK)
        return rc;
    /* dup: a concurrent login created the same phone first */
    int found = 0;
    if ((rc = user_find_by_phone(rq, phone, u, &found)) != RES_OK)
        return rc;
    if (!found)
        return req_fail(rq, RES_INTERNAL, "user %s vanished after insert",
                        phone);
    return RES_OK;
}

res_t
user_find_by_id(struct req *rq, int64_t id, struct user_row *u, int *found)
{
    struct sql_rows t;
    return user_row_take(&t,
                         sql_query(&rq->cx, &t,
                                   "SELECT id, phone, password, nick_name, "
                                   "icon FROM tb_user WHERE id = ?",
                                   "l", id),
                         u, found);
}

res_t
user_set_password(struct req *rq, int64_t uid, const char *hash)
{
    return sql_exec(&rq->cx, NULL,
                    "UPDATE tb_user SET password = ? WHERE id = ?", "sl", hash,
                    uid);
}

/* ---------------- sessions ---------------- */

/* KEYS: token key, the user's session set
 * ARGV: token, id, nickName, icon, ttl, token key prefix
 * Opens the session and files its token under the user, dropping tokens
 * of sessions that have expired since (the set has no TTL of its own: a
 * sliding session can outlive any fixed one). */
static const struct rds_script user_lua_open = {
    "user_session_open",
    "redis.call('HSET', KEYS[1], 'id', ARGV[2], 'nickName', ARGV[3],"
    " 'icon', ARGV[4])\n"
    "redis.call('EXPIRE', KEYS[1], ARGV[5])\n"
    "for _, t in ipairs(redis.call('SMEMBERS', KEYS[2])) do\n"
    "  if redis.call('EXISTS', ARGV[6] .. t) == 0 then\n"
    "    redis.call('SREM', KEYS[2], t)\n"
    "  end\n"
    "end\n"
    "redis.call('SADD', KEYS[2], ARGV[1])\n"
    "return 0\n"};

/* KEYS: the user's session set; ARGV: token to keep ('' = none), token
 * key prefix. Ends every other session; returns how many. */
static const struct rds_script user_lua_revoke = {
    "user_session_revoke",
    "local n = 0\n"
    "for _, t in ipairs(redis.call('SMEMBERS', KEYS[1])) do\n"
    "  if t ~= ARGV[1] then\n"
    "    redis.call('DEL', ARGV[2] .. t)\n"
    "    redis.call('SREM', KEYS[1], t)\n"
    "    n = n + 1\n"
    "  end\n"
    "end\n"
    "return n\n"};

res_t
user_session_open(struct req *rq, const struct user_row *u, const char **token)
{
    struct arena *a = rq->cx.arena;
    const char *t = util_rand_hex(a, 16);
    const char *keys[2] = {key_login_token(a, t), key_login_sessions(a, u->id)};
    const char *args[6] = {t,
                           arena_printf(a, "%lld", (long long)u->id),
                           u->nick_name ? u->nick_name : "",
                           u->icon ? u->icon : "",
                           arena_printf(a, "%d", TTL_LOGIN_TOKEN_SET),
                           KEY_LOGIN_TOKEN_PREFIX};
    res_t rc = rds_eval(&rq->cx, &user_lua_open, NULL, 2, keys, 6, args);
    if (rc != RES_OK)
        return rc;
    *token = t;
    return RES_OK;
}

res_t
user_session_close(struct req *rq, int64_t uid, const char *token)
{
    struct arena *a = rq->cx.arena;
    res_t rc;
    /* the workers' session cache first: should the DEL fail, a cached
     * session that Redis still has costs one lookup, never a logout */
    user_cache_forget(token);
    if ((rc = rds_append(&rq->cx, "DEL %s", key_login_token(a, token))) !=
            RES_OK ||
        (rc = rds_append(&rq->cx, "SREM %s %s", key_login_sessions(a, uid),
                         token)) != RES_OK)
        return rc;
    redisReply *r;
    if ((rc = rds_reply(&rq->cx, &r)) != RES_OK ||
        (rc = rds_reply(&rq->cx, &r)) != RES_OK)
        return rc;
    return RES_OK;
}

res_t
user_sessions_revoke(struct req *rq, int64_t uid, const char *keep)
{
    const char *keys[1] = {key_login_sessions(rq->cx.arena, uid)};
    const char *args[2] = {keep ? keep : "", KEY_LOGIN_TOKEN_PREFIX};
    user_cache_forget_user(uid, keep);
    return rds_eval(&rq->cx, &user_lua_revoke, NULL, 1, keys, 2, args);
}

/* UV: each worker remembers the visitors it has already counted today, so
 * a returning visitor costs no PFADD. The table is process-level (like the
 * connections), bounded, and starts over when the day changes or it fills. */
#define UV_SEEN 4096
static char uv_day[16];
static uint64_t uv_seen[UV_SEEN];
static unsigned uv_nseen;

static uint64_t
uv_hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h | 1; /* 0 marks an empty slot */
}

static void
user_count_visit(struct req *rq, const char *visitor)
{
    char ymd[16];
    util_date_ymd(time(NULL), ymd);
    int new_day = strcmp(ymd, uv_day) != 0;
    if (new_day || uv_nseen >= UV_SEEN / 2) {
        memset(uv_seen, 0, sizeof(uv_seen));
        uv_nseen = 0;
        memcpy(uv_day, ymd, sizeof(uv_day));
    }
    uint64_t h = uv_hash(visitor);
    unsigned i = (unsigned)h & (UV_SEEN - 1);
    while (uv_seen[i] != 0) {
        if (uv_seen[i] == h)
            return; /* already counted by this worker today */
        i = (i + 1) & (UV_SEEN - 1);
    }
    uv_seen[i] = h;
    uv_nseen++;
    const char *k = key_uv(rq->cx.arena, ymd);
    rds_fire(&rq->cx, "PFADD %s %s", k, visitor);
    if (new_day || uv_nseen == 1)
        rds_fire(&rq->cx, "EXPIRE %s %d NX", k, TTL_UV);
}

/* The user each recent token belonged to, per worker. A token names one
 * user for its whole life (a login makes a new one), so what a worker
 * learnt from Redis about a token stays true for as long as the session
 * lives: a handler may send a command that needs the caller's id in the
 * same round trip as the session lookup, on this guess, and check it
 * against what the lookup answers (user_auth_guess). Direct-mapped on the
 * token's first hex digits (random); a colliding token evicts. Process
 * memory, like the connections: nothing to share or lock. */
#define USER_GUESS_SLOTS 1024 /* a power of two */
static struct user_guess {
    char token[33];
    int64_t uid;
    /* the session's name and icon (""-terminated; has_dto 0 when they
     * did not fit: user_auth_guess_dto then does not guess) */
    int has_dto;
    char nick[132]; /* nick_name is varchar(32) utf8mb4, + NUL */
    char icon[260];
} user_guesses[USER_GUESS_SLOTS];

static struct user_guess *
user_guess_slot(const char *token)
{
    unsigned h = 0;
    for (int i = 0; i < 4; i++) /* shape-checked: 32 lower-case hex digits */
        h = h * 16 +
            (unsigned)(token[i] <= '9' ? token[i] - '0' : token[i] - 'a' + 10);
    return &user_guesses[h & (USER_GUESS_SLOTS - 1)];
}

int64_t
user_auth_guess(const struct req *rq)
{
    if (rq->token == NULL || !user_token_shape_ok(rq->token))
        return 0;
    const struct user_guess *g = user_guess_slot(rq->token);
    return memcmp(g->token, rq->token, 32) == 0 ? g->uid : 0;
}

int
user_auth_guess_dto(struct req *rq, struct user_dto *u)
{
    if (rq->token == NULL || !user_token_shape_ok(rq->token))
        return 0;
    const struct user_guess *g = user_guess_slot(rq->token);
    if (g->uid <= 0 || !g->has_dto || memcmp(g->token, rq->token, 32) != 0)
        return 0;
    u->id = g->uid;
    u->nick_name = arena_strdup(rq->cx.arena, g->nick);
    u->icon = arena_strdup(rq->cx.arena, g->icon);
    return 1;
}

void
user_session_check_args(struct req *rq, const char **key, const char **stale_ms,
                        const char **set_ms)
{
    *key = key_login_token(rq->cx.arena, rq->token);
    *stale_ms = arena_printf(rq->cx.arena, "%lld", TTL_LOGIN_TOKEN * 1000LL);
    *set_ms = arena_printf(rq->cx.arena, "%lld", TTL_LOGIN_TOKEN_SET * 1000LL);
}

void
user_auth_confirmed(struct req *rq, const struct user_dto *u)
{
    rq->has_user = 1;
    rq->user.id = u->id;
    rq->user.nick_name = u->nick_name;
    rq->user.icon = u->icon;
    user_cache_fill(rq->token, u->id, u->nick_name, u->icon);
    user_count_visit(rq, arena_printf(rq->cx.arena, "%lld", (long long)u->id));
}

res_t
user_auth_late_refuse(struct req *rq, res_t rc)
{
    struct ctx_mark m = ctx_mark(&rq->cx);
    ctx_clear(&rq->cx);
    res_t ar = user_authenticate(rq, 1);
    if (ar != RES_OK)
        return ar;
    if (!rq->has_user)
        return req_fail(rq, RES_UNAUTH, REQ_MSG_LOGIN);
    ctx_restore(&rq->cx, m);
    return rc;
}

res_t
user_auth_send(struct req *rq, const char **key)
{
    *key = NULL;
    if (rq->token == NULL || !user_token_shape_ok(rq->token))
        return RES_OK;
    const char *k = key_login_token(rq->cx.arena, rq->token);
    size_t kn = strlen(k);
    /* Read only: the remaining TTL rides with the lookup, and
     * user_auth_recv slides the session only when it has run below
     * TTL_LOGIN_TOKEN (keys.h), so a GET writes nothing to Redis (with
     * appendfsync always a write is an fsync the request waits for).
     * argv commands: this runs on every authenticated request, and
     * hiredis' format-string path costs several times more. */
    const char *pttl[2] = {"PTTL", k};
    const size_t pttl_len[2] = {4, kn};
    const char *hgetall[2] = {"HGETALL", k};
    const size_t hgetall_len[2] = {7, kn};
    res_t rc;
    if ((rc = rds_appendv(&rq->cx, 2, pttl, pttl_len)) != RES_OK ||
        (rc = rds_appendv(&rq->cx, 2, hgetall, hgetall_len)) != RES_OK)
        return rc;
    *key = k;
    return RES_OK;
}

/* Slides a live session that has run below TTL_LOGIN_TOKEN back to
 * TTL_LOGIN_TOKEN_SET: at most one write per TTL_LOGIN_TOKEN_SLACK s per
 * session. Fired: the request does not wait for it. A logout between the
 * PTTL and this leaves nothing to do (PEXPIRE of a missing key is a
 * no-op). */
static void
user_session_slide(struct req *rq, const char *key, long long pttl_ms)
{
    if (!key_login_token_stale(pttl_ms))
        return;
    char ms[24];
    int n = snprintf(ms, sizeof(ms), "%lld", TTL_LOGIN_TOKEN_SET * 1000LL);
    const char *pexpire[3] = {"PEXPIRE", key, ms};
    const size_t pexpire_len[3] = {7, strlen(key), (size_t)n};
    rds_firev(&rq->cx, 3, pexpire, pexpire_len);
}

res_t
user_auth_recv(struct req *rq, const char *key)
{
    if (key == NULL) {
        user_count_visit(rq, rq->client_addr);
        return RES_OK;
    }
    redisReply *pr, *r;
    res_t rc;
    if ((rc = rds_reply(&rq->cx, &pr)) != RES_OK ||
        (rc = rds_reply(&rq->cx, &r)) != RES_OK)
        return rc;
    const char *id = NULL, *nick = "", *icon = "";
    if (r->type == REDIS_REPLY_ARRAY) {
        for (size_t i = 0; i + 1 < r->elements; i += 2) {
            const char *f = r->element[i]->str;
            const char *v = rds_str(&rq->cx, r->element[i + 1]);
            if (f == NULL || v == NULL)
                continue;
            if (strcmp(f, "id") == 0)
                id = v;
            else if (strcmp(f, "nickName") == 0)
                nick = v;
            else if (strcmp(f, "icon") == 0)
                icon = v;
        }
    }
    int64_t uid;
    if (id && str_parse_i64(id, &uid) == 0 && uid > 0) {
        rq->has_user = 1;
        rq->user.id = uid;
        rq->user.nick_name = nick;
        rq->user.icon = icon;
        user_cache_fill(rq->token, uid, nick, icon);
        struct user_guess *g = user_guess_slot(rq->token);
        memcpy(g->token, rq->token, 33);
        g->uid = uid;
        size_t nn = strlen(nick), in = strlen(icon);
        g->has_dto = nn < sizeof(g->nick) && in < sizeof(g->icon);
        if (g->has_dto) {
            memcpy(g->nick, nick, nn + 1);
            memcpy(g->icon, icon, in + 1);
        }
        if (pr->type == REDIS_REPLY_INTEGER)
            user_session_slide(rq, key, pr->integer);
        user_count_visit(rq, id);
    } else {
        if (r->type == REDIS_REPLY_ARRAY) { /* Redis says: no such session */
            user_cache_forget(rq->token);
            struct user_guess *g = user_guess_slot(rq->token);
            if (memcmp(g->token, rq->token, 32) == 0)
                memset(g, 0, sizeof(*g));
        }
        user_count_visit(rq, rq->client_addr);
    }
    return RES_OK;
}

res_t
user_authenticate(struct req *rq, int required)
{
    (void)required;
    const char *key;
    res_t rc = user_auth_send(rq, &key);
    if (rc != RES_OK)
        return rc;
    return user_auth_recv(rq, key);
}

/* ---------------- profiles ---------------- */

res_t
user_dto_get(struct req *rq, int64_t id, struct user_dto *u, int *found)
{
    struct sql_rows t;
    res_t rc = sql_query(&rq->cx, &t,
                         "SELECT id, nick_name, icon FROM tb_user WHERE id = ?",
                         "l", id);
    if (rc != RES_OK)
        return rc;
    *found = t.nrows > 0;
    if (*found) {
        u->id = sql_i64(&t, 0, 0);
        u->nick_name = sql_str(&t, 0, 1);
        u->icon = sql_str(&t, 0, 2);
    }
    return RES_OK;
}

res_t
user_exists(struct req *rq, int64_t id, int *found)
{
    struct sql_rows t;
    res_t rc =
        sql_query(&rq->cx, &t, "SELECT 1 FROM tb_user WHERE id = ?", "l", id);
    if (rc != RES_OK)
        return rc;
    *found = t.nrows > 0;
    return RES_OK;
}

struct json_object *
user_dto_json(const struct user_dto *u)
{
    struct json_object *o = json_object_new_object();
    reply_add_i64(o, "id", u->id);
    reply_add_str(o, "nickName", u->nick_name ? u->nick_name : "");
    reply_add_str(o, "icon", u->icon ? u->icon : "");
    return o;
}

res_t
user_info_get(struct req *rq, int64_t id, struct json_object **out)
{
    struct sql_rows t;
    res_t rc = sql_query(&rq->cx, &t,
                         "SELECT user_id, city, introduce, fans, followee, "
                         "gender, DATE_FORMAT(birthday, '%Y-%m-%d'), "
                         "credits, level FROM tb_user_info WHERE user_id = ?",
                         "l", id);
    if (rc != RES_OK)
        return rc;
    *out = NULL;
    if (t.nrows == 0)
        return RES_OK;
    struct json_object *o = reply_obj(rq);
    reply_add_i64(o, "userId", sql_i64(&t, 0, 0));
    reply_add_str(o, "city", sql_str(&t, 0, 1));
    reply_add_str(o, "introduce", sql_str(&t, 0, 2));
    reply_add_i64(o, "fans", sql_i64(&t, 0, 3));
    reply_add_i64(o, "followee", sql_i64(&t, 0, 4));
    /* tinyint(1) columns are booleans in the Java original */
    if (sql_str(&t, 0, 5))
        reply_add_bool(o, "gender", sql_i64(&t, 0, 5) != 0);
    reply_add_str(o, "birthday", sql_str(&t, 0, 6));
    reply_add_i64(o, "credits", sql_i64(&t, 0, 7));
    if (sql_str(&t, 0, 8))
        reply_add_bool(o, "level", sql_i64(&t, 0, 8) != 0);
    *out = o;
    return RES_OK;
}

/* ---------------- sign-in and UV ---------------- */

res_t
user_sign_today(struct req *rq, int64_t uid)
{
    time_t now = time(NULL);
    char ym[8];
    util_date_ym(now, ym);
    return rds_cmd(&rq->cx, NULL, "SETBIT %s %d 1",
                   key_sign(rq->cx.arena, uid, ym), util_date_mday(now) - 1);
}

res_t
user_sign_bits(struct req *rq, int64_t uid, uint64_t *bits)
{
    time_t now = time(NULL);
    char ym[8];
    util_date_ym(now, ym);
    redisReply *r;
    res_t rc = rds_cmd(&rq->cx, &r, "BITFIELD %s GET u%d 0",
                       key_sign(rq->cx.arena, uid, ym), util_date_mday(now));
    if (rc != RES_OK)
        return rc;
    *bits = 0;
    if (r->type == REDIS_REPLY_ARRAY && r->elements == 1 &&
        r->element[0]->type == REDIS_REPLY_INTEGER)
        *bits = (uint64_t)r->element[0]->integer;
    return RES_OK;
}

res_t
user_uv_count(struct req *rq, const char *yyyymmdd, long long *n)
{
    redisReply *r;
    res_t rc =
        rds_cmd(&rq->cx, &r, "PFCOUNT %s", key_uv(rq->cx.arena, yyyymmdd));
    if (rc != RES_OK)
        return rc;
    *n = rds_int(r);
    return RES_OK;
}
