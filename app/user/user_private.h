/*
 * user_private.h: what user_http.c needs from user_data.c.
 */
#ifndef HMDP_USER_PRIVATE_H
#define HMDP_USER_PRIVATE_H

#include "user.h"

struct user_row {
    int64_t id;
    const char *phone, *password, *nick_name, *icon;
};

enum user_code_status { CODE_SENT = 0, CODE_TOO_SOON = 1, CODE_DAY_LIMIT = 2 };
enum user_check { CHECK_WRONG = 0, CHECK_OK = 1, CHECK_LOCKED = -1 };

res_t user_code_store(struct req *rq, const char *phone, const char *code,
                      int *status, long *retry_s);
res_t user_code_check(struct req *rq, const char *phone, const char *code,
                      int *result);
/* Password attempts: take one before checking a hash (*allowed = 0: the
 * phone is locked); give it back when the password was right. */
res_t user_pw_attempt_take(struct req *rq, const char *phone, int *allowed);
void user_pw_attempt_give(struct req *rq, const char *phone);

res_t user_find_by_phone(struct req *rq, const char *phone, struct user_row *u,
                         int *found);
res_t user_create(struct req *rq, const char *phone, struct user_row *u);
res_t user_find_by_id(struct req *rq, int64_t id, struct user_row *u,
                      int *found);
res_t user_set_password(struct req *rq, int64_t uid, const char *hash);

res_t user_session_open(struct req *rq, const struct user_row *u,
                        const char **token);
res_t user_session_close(struct req *rq, int64_t uid, const char *token);
/* Ends every session of uid except the one with token keep (NULL: all). */
res_t user_sessions_revoke(struct req *rq, int64_t uid, const char *keep);

res_t user_dto_get(struct req *rq, int64_t id, struct user_dto *u, int *found);
res_t user_info_get(struct req *rq, int64_t id, struct json_object **out);

res_t user_sign_today(struct req *rq, int64_t uid);
res_t user_sign_bits(struct req *rq, int64_t uid, uint64_t *bits);
res_t user_uv_count(struct req *rq, const char *yyyymmdd, long long *n);

/* The shared session cache (user_cache.c). fill: Redis just confirmed
 * token's session (token well-formed); forget: the session of token is
 * gone; forget_user: every session of uid is gone except keep's (NULL:
 * all); find: sets rq->user (nick and icon copied to the arena) and
 * returns 1 when Redis confirmed rq->token within the last minute. */
void user_cache_fill(const char *token, int64_t uid, const char *nick,
                     const char *icon);
void user_cache_forget(const char *token);
void user_cache_forget_user(int64_t uid, const char *keep);
int user_cache_find(struct req *rq);

#endif
