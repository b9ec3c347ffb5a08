/*
 * reply.h: building the JSON payload, and turning a finished request into
 * the HTTP response. Objects from reply_obj()/reply_arr() are owned by the
 * request (json_object_put deferred on its arena); fields added to them
 * are owned by their parent as usual in json-c.
 */
#ifndef HMDP_REPLY_H
#define HMDP_REPLY_H

#include "req.h"

#include <json-c/json.h>
#include <stdint.h>

struct json_object *reply_obj(struct req *rq);
struct json_object *reply_arr(struct req *rq);

/* Sets data (may be NULL for a bare success) and returns RES_OK. The
 * request takes its own reference, so o may come from reply_obj(). */
res_t reply_ok(struct req *rq, struct json_object *o);
/* As reply_ok, but takes over the caller's reference: for a fresh value
 * such as json_object_new_string(token). */
res_t reply_take(struct req *rq, struct json_object *o);

/* A value that serialises as exactly the n bytes of json (a fragment of
 * JSON text: an object, array, string, number, ...). It is inserted
 * verbatim whatever the output flags, so the caller guarantees it is
 * valid JSON in the form the envelope uses (plain, no slash escapes).
 * Usable as the whole data (reply_ok) or inside arrays and objects: as
 * with reply_obj, the request owns this reference, so take your own
 * (json_object_get) when adding it to a parent. json is not copied: it
 * must live as long as the request (an arena string, a redisReply owned
 * by the request). Cheap: no parsing and no escaping. */
struct json_object *reply_raw(struct req *rq, const char *json, size_t n);

/* Field setters. A NULL string is omitted (the contract omits nulls). */
void reply_add_i64(struct json_object *o, const char *k, int64_t v);
void reply_add_str(struct json_object *o, const char *k, const char *v);
void reply_add_bool(struct json_object *o, const char *k, int v);
void reply_add_dbl(struct json_object *o, const char *k, double v);
/* "YYYY-MM-DD HH:MM:SS" (MySQL) -> "YYYY-MM-DDTHH:MM:SS"; NULL omitted. */
void reply_add_time(struct json_object *o, const char *k, const char *sqlts);

/* HTTP status for a result code. */
int reply_status(res_t rc);
const char *reply_status_text(int status);

/* Serialises the whole response (CGI headers + envelope body) for a
 * finished request into an arena buffer. Pure; unit-tested. */
char *reply_render(struct req *rq, size_t *len);

/* The same bytes as reply_render, as up to REPLY_PARTS pieces to write
 * in order, so that data given as text (reply_raw) is written from where
 * it lies instead of being copied after the head (a list of 5,000 users
 * is 250 KB). The pieces live as long as the request. */
#define REPLY_PARTS 3
struct reply_parts {
    const char *p[REPLY_PARTS];
    size_t n[REPLY_PARTS];
    int count;
};
void reply_render_parts(struct req *rq, struct reply_parts *out);

/* Answers with body as is (ctype, HTTP status) instead of the envelope:
 * Prometheus text, or the health answer whose 503 carries data. body
 * belongs to the arena. Returns RES_OK. */
res_t reply_text(struct req *rq, int status, const char *ctype,
                 const char *body, size_t n);
/* The HTTP status the rendered reply carries. */
int reply_final_status(const struct req *rq);

#endif
