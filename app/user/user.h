/*
 * user.h: SMS-code and password login, sessions, profiles, sign-in, UV.
 * Other features use user_dtos_load() to turn ids into {id,nickName,icon}.
 */
#ifndef HMDP_USER_H
#define HMDP_USER_H

#include "../core/req.h"
#include "../core/route.h"

#include <json-c/json.h>
#include <stdint.h>

extern const struct route user_routes[];

/* UserDTO (API.md): {id, nickName, icon}. */
struct user_dto {
    int64_t id;
    const char *nick_name;
    const char *icon;
};

/* The authenticate hook (core/dispatch.h): resolves the token, slides its TTL
 * and counts the visitor for UV. */
res_t user_authenticate(struct req *rq, int required);

/* The fallback hook (core/dispatch.h, authenticate_cached): for a route
 * flagged ROUTE_REDIS_OPTIONAL whose session lookup found Redis down,
 * sets rq->user from the workers' shared cache of sessions Redis
 * confirmed within the last minute (user_cache.c) and returns RES_OK;
 * RES_DEP_DOWN when the cache does not know the token. */
res_t user_authenticate_cached(struct req *rq);

/* user_authenticate in two halves, for a handler of a ROUTE_AUTH_LATE
 * route that pipelines the session lookup with its own first command:
 * user_auth_send queues the lookup and sets *key to the session's Redis
 * key (NULL, with nothing queued, without a well-formed token); the
 * caller appends its commands; user_auth_recv(key) reads the lookup,
 * before the caller's replies, and sets rq->user. Always call both. */
res_t user_auth_send(struct req *rq, const char **key);
res_t user_auth_recv(struct req *rq, const char *key);
/* The id of the user rq->token belonged to when this worker last looked
 * it up (user_auth_recv), 0 when it does not know. A hint only, for a
 * command sent with the lookup ahead of its answer: after
 * user_auth_recv, req_uid(rq) says who the caller is, and a reply sent
 * for another id (a session ended since: 0) must be thrown away. */
int64_t user_auth_guess(const struct req *rq);
/* The session this worker last saw rq->token open, whole: *u is the
 * user with the name and icon the session holds (a session's values
 * never change: a login makes a new token), copied into rq's arena. 0
 * when the worker does not know the token. Only a hint, like
 * user_auth_guess: a Redis script that acts on it checks the session
 * first with USER_LUA_SESSION_CHECK, and the caller then makes it the
 * request's user with user_auth_confirmed. */
int user_auth_guess_dto(struct req *rq, struct user_dto *u);
/* A Lua fragment for a script that runs on a guessed session: defines
 * user_session_check(key, uid, stale_ms, set_ms), true when the session
 * key (key_login_token) belongs to user uid (a string), in which case it
 * also slides the session the way user_auth_recv does (to set_ms once
 * its remaining TTL is below stale_ms: pass user_session_check_args'). A
 * false writes nothing. */
#define USER_LUA_SESSION_CHECK                                                 \
    "local function user_session_check(key, uid, stale_ms, set_ms)\n"          \
    "  if redis.call('HGET', key, 'id') ~= uid then return false end\n"        \
    "  local t = redis.call('PTTL', key)\n"                                    \
    "  if t == -1 or (t >= 0 and t < tonumber(stale_ms)) then\n"               \
    "    redis.call('PEXPIRE', key, set_ms)\n"                                 \
    "  end\n"                                                                  \
    "  return true\n"                                                          \
    "end\n"
/* The session key of rq->token and the stale_ms and set_ms arguments
 * of user_session_check (arena strings). */
void user_session_check_args(struct req *rq, const char **key,
                             const char **stale_ms, const char **set_ms);
/* A script confirmed the guess u (user_auth_guess_dto) with
 * user_session_check: u becomes the request's user, with what
 * user_auth_recv does besides (the workers' session cache, the UV
 * count). */
void user_auth_confirmed(struct req *rq, const struct user_dto *u);
/* A request of a login-only ROUTE_AUTH_LATE route refused (rc) before
 * its session lookup: 401 comes before 400, so the session is looked up
 * now, and without one the refusal becomes a 401; else rc, as it was. */
res_t user_auth_late_refuse(struct req *rq, res_t rc);

/* *found = whether user id exists (one indexed lookup). */
res_t user_exists(struct req *rq, int64_t id, int *found);

/* The users ids[0..n) as the text of a JSON array of {id, nickName,
 * icon} (user_dto_json's bytes), in the order of ids, users that do not
 * exist left out; *out (*len bytes, NUL-terminated) is in the arena.
 * Served from cache:user:{id} (user_list.c); the misses come from MySQL
 * and are written back. frag/flen: the values of those keys when the
 * caller already read them (in a script of its own; NULL or "" for a
 * miss), or NULL to have them read here (one MGET). */
res_t user_list_json(struct req *rq, const int64_t *ids, unsigned n,
                     const char **frag, const size_t *flen, char **out,
                     size_t *len);
/* {id, nickName, icon} as a new json-c object (caller owns it). */
struct json_object *user_dto_json(const struct user_dto *u);

/* ---- pure rules (user.c), unit-tested ---- */

/* 1 when p is a mainland mobile number the contract accepts. */
int user_phone_valid(const char *p);
/* Number of consecutive 1 bits from the least significant bit. */
int user_sign_streak(uint64_t bits);
/* 1 when the token has the shape we issue (32 lowercase hex). */
int user_token_shape_ok(const char *t);

#endif
