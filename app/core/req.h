/*
 * req.h: one HTTP request as the handlers see it, and the helpers that
 * validate its input. A struct req lives for one request; everything it
 * points to is owned by its arena (or by libfcgi until FCGX_Finish_r).
 *
 * Error protocol: the request's context (rq->cx, core/ctx.h) carries the
 * arena and the sticky error; req_fail() is ctx_fail() on it, and store/
 * and stream/ functions take &rq->cx.
 */
#ifndef HMDP_REQ_H
#define HMDP_REQ_H

#include "arena.h"
#include "ctx.h"
#include "res.h"
#include "str.h"

#include <stddef.h>
#include <stdint.h>

struct json_object;
struct route;

enum http_method {
    HTTP_GET = 1,
    HTTP_POST = 2,
    HTTP_PUT = 4,
    HTTP_DELETE = 8,
    HTTP_HEAD = 16,
    HTTP_OTHER = 32
};

/* Who is asking, as the session names them (set by the authenticate
 * hook; the user module owns the session and the UserDTO shape). */
struct req_user {
    int64_t id;
    const char *nick_name;
    const char *icon;
};

struct qs_pair {
    const char *key, *val; /* percent-decoded, NUL-terminated */
};

#define REQ_MAX_PARAMS 4

struct req {
    struct ctx cx;     /* arena, sticky error; what store/ and stream/ see */
    unsigned long seq; /* per-worker request counter */

    /* what came in (NUL-terminated strings; "" when absent) */
    enum http_method method;
    const char *method_str;
    const char *path; /* /api stripped, no query */
    const char *query;
    const char *content_type;
    const char *body; /* NUL appended; NULL when there is none */
    size_t body_len;
    const char *token;        /* authorization header, NULL if none */
    const char *client_addr;  /* REMOTE_ADDR */
    const char *request_id;   /* nginx $request_id or a local one */
    const char *admin_header; /* X-Admin-Token, NULL if none */
    /* from nginx's internal-only locations (HMDP_SCOPE = internal):
     * routed against the internal tables (/metrics), never the API's */
    int internal;
    const struct route *route; /* the matched row, NULL until matched */

    /* who is asking: set by the auth hook */
    int has_user;
    struct req_user user;

    /* route parameters ({id}) */
    int nparams;
    struct {
        const char *name, *val;
    } params[REQ_MAX_PARAMS];

    /* parsed query, filled on first use */
    int qs_state; /* 0 not parsed, 1 ok, -1 malformed */
    struct qs_pair *qs;
    size_t nqs;

    /* outcome (the status is rq->cx.rc) */
    struct json_object *data; /* owned by the request; NULL = no data */
    /* a body sent as is instead of the envelope (Prometheus text): set by
     * reply_text, owned by the arena */
    const char *raw;
    size_t raw_len;
    int raw_status;
    const char *raw_ctype;
};

/* The message of a 401 (API.md §2.3). */
#define REQ_MSG_LOGIN "请先登录"

/* ctx_fail on the request's context: records rc and a user-facing message
 * (first failure wins) and returns rc. For RES_DEP_DOWN/RES_INTERNAL the
 * message goes to the log and the client gets a generic text. */
res_t req_fail(struct req *rq, res_t rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Path parameter {name} as a positive id (1..2^63-1); 400 otherwise. */
res_t req_path_i64(struct req *rq, const char *name, int64_t *out);
/* Path parameter as a raw string ("" if absent). */
const char *req_path_str(struct req *rq, const char *name);

/* Decoded query value, or NULL when absent. "" when present but empty. */
const char *req_query(struct req *rq, const char *name);
/* Integer query value in [lo, hi]; absent or empty gives def. 400 when
 * not a number or out of range. */
res_t req_query_i64(struct req *rq, const char *name, int64_t def, int64_t lo,
                    int64_t hi, int64_t *out);
/* As above but the parameter is required (400 "缺少参数 name"). */
res_t req_query_i64_req(struct req *rq, const char *name, int64_t lo,
                        int64_t hi, int64_t *out);
/* Finite double in [lo, hi]; *present = 0 and no error when absent. */
res_t req_query_dbl(struct req *rq, const char *name, double lo, double hi,
                    double *out, int *present);

/* The body parsed as a JSON object, owned by the request. 400 when the
 * body is empty, malformed, or not an object. */
res_t req_json(struct req *rq, struct json_object **out);

/* Object field helpers for validated JSON input. A missing field or JSON
 * null leaves *out untouched and is an error only when required. Strings
 * are limited to max characters (UTF-8 code points) and must be valid
 * UTF-8 without NUL. */
res_t req_json_str(struct req *rq, struct json_object *o, const char *key,
                   size_t max, int required, const char **out);
res_t req_json_i64(struct req *rq, struct json_object *o, const char *key,
                   int64_t lo, int64_t hi, int required, int64_t *out);
res_t req_json_dbl(struct req *rq, struct json_object *o, const char *key,
                   double lo, double hi, int required, double *out);

/* Current user id, or 0 when anonymous. */
static inline int64_t
req_uid(const struct req *rq)
{
    return rq->has_user ? rq->user.id : 0;
}

/* ---- pure helpers (unit-tested) ---- */

/* Parses a query string: empty pairs skipped, '+' is a space, %XX decoded
 * (an invalid escape is kept literally). Returns 0, or -1 when a value
 * decodes to a NUL byte. Pairs are allocated from a. */
int req_qs_parse(struct arena *a, const char *qs, struct qs_pair **out,
                 size_t *n);

#endif
