/*
 * h.h: helpers for integration tests. They talk HTTP to nginx (HMDP_URL)
 * with libcurl, and look at the stores directly (HMDP_REDIS_PORT,
 * HMDP_MYSQL_SOCKET) to check what the app wrote. Every test makes its own
 * data (fresh phone numbers), so tests are order-independent.
 *
 * Use with tests/unit/t.h's CHECK/RUN/T_DONE.
 */
#ifndef HMDP_H_H
#define HMDP_H_H

#include "../unit/t.h"

#include <hiredis/hiredis.h>
#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

struct resp {
    long status;
    char *body; /* NUL-terminated, malloc'd */
    size_t len;
    struct json_object *json; /* parsed body or NULL */
    char *ctype;
    char rid[80]; /* X-Request-Id of the answer, "" when none */
};

/* Where h_curl_write appends a response body: *body (malloc'd, grown
 * with realloc, NUL-terminated) of *len bytes. */
struct h_sink {
    char **body;
    size_t *len;
};
/* The one curl write callback of the tests: CURLOPT_WRITEFUNCTION, with a
 * struct h_sink * as CURLOPT_WRITEDATA. */
size_t h_curl_write(char *data, size_t sz, size_t nm, void *ud);

/* Sets up curl and connections; call first in main. */
void h_init(void);

/* method path (with /api prefix added; query allowed), optional token
 * (NULL = none), optional extra header ("X-Admin-Token: ...", NULL),
 * optional body with content type. Returns 0 when a response arrived. */
int h_http(const char *method, const char *path, const char *token,
           const char *header, const char *ctype, const char *body, size_t blen,
           struct resp *out);
/* Shorthands for JSON bodies. */
int h_get(const char *path, const char *token, struct resp *out);
int h_post_json(const char *path, const char *token, const char *json,
                struct resp *out);
int h_put(const char *path, const char *token, const char *json,
          struct resp *out);
int h_del(const char *path, const char *token, struct resp *out);
void h_free(struct resp *r);

/* Envelope accessors: success flag, data member (NULL when absent),
 * errorMsg (NULL when absent). */
int h_success(const struct resp *r);
struct json_object *h_data(const struct resp *r);
const char *h_errmsg(const struct resp *r);

/* A fresh valid phone number, unique within this run. */
const char *h_phone(void);
/* Logs a new user in through /user/code + the code read from Redis +
 * /user/login; returns a malloc'd token (NULL on failure) and the id. */
char *h_login(int64_t *uid);
/* h_login that also needs the id: says so when either is missing. */
char *h_login_user(int64_t *uid);
char *h_login_phone(const char *phone, int64_t *uid);
/* n users made directly, many at a time: tb_user rows (phones phone2 and
 * nine digits of the id, nickName tag and the id) and login:token hashes
 * the way a login leaves them; tokens[i] is 32 hex characters. */
void h_make_users(int n, int64_t *uids, char (*tokens)[33], const char *phone2,
                  const char *tag);

/* Redis connection of the stack under test (one per process). */
redisContext *h_redis(void);
/* Runs a Redis command and returns its integer (or numeric string)
 * value, -1 on nil/error. */
long long h_redis_int(const char *fmt, ...);

/* First column of the first row of an SQL query, as an integer (-1 when
 * no row or NULL). The query text is a fixed string built by the test. */
long long h_sql_int(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Runs a statement; returns 0 on success. */
int h_sql_exec(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The pid in the stack's pid file $HMDP_RUN_DIR/name (e.g. fcgi.pid, the
 * workers' multiwatch), -1 when missing. */
long h_run_pid(const char *name);
/* A daemon of the stack stopped for a drill: h_daemon_stop remembers its
 * command line (from /proc), sends SIGTERM and waits up to 10 s for it to
 * go (0 when it went); h_daemon_start runs the command line again in the
 * run dir, in the background (0 when started). */
struct h_daemon {
    long pid;
    char cmd[4096];
};
int h_daemon_stop(const char *pidfile, struct h_daemon *d);
int h_daemon_start(const struct h_daemon *d);
/* Runs a shell command built from fmt; its exit status. */
int h_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Live children of process pid (from /proc; zombies excluded): stores
 * up to max pids in out and returns how many. */
int h_children_of(long pid, long *out, int max);
/* The pid of this stack's daemon process: a child of the multiwatch in
 * $HMDP_RUN_DIR/<daemon>.pid (arg NULL), or a child of that child whose
 * argv[1] is arg (the groups of hmdp-message-consumer); -1 when none.
 * Only this stack's processes: other stacks may run on the machine. */
long h_stack_pid(const char *daemon, const char *arg);

/* Records a secret the tests used (a login token, a code, a password)
 * in $HMDP_RUN_DIR/test-secrets, one a line, for test_zzz_logs, which
 * checks that none reached a log. h_http records the 32-hex tokens it
 * sends and the codes and passwords of JSON bodies by itself. */
void h_secret(const char *s);

/* Admin token of the stack under test. */
const char *h_admin_token(void);
/* POST json to an admin route (with the admin token): h_http's answer;
 * h_admin_post_id: the id in data, -1 (said) otherwise. */
int h_admin_post(const char *path, const char *json, struct resp *r);
int64_t h_admin_post_id(const char *path, const char *json);
/* Member k of object o (NULL when o or k is missing); as an int, -1. */
struct json_object *h_jget(struct json_object *o, const char *k);
int64_t h_jint(struct json_object *o, const char *k);
/* Local "YYYY-MM-DDTHH:MM:SS" of now + off seconds. */
void h_ltime(long off, char buf[20]);
/* Value of an environment variable of the stack (run dir env). */
const char *h_env(const char *name);
/* Milliseconds since the epoch. */
int64_t h_now_ms(void);
/* Sleeps ms milliseconds. */
void h_sleep_ms(int ms);

#endif
