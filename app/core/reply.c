/*
 * reply.c: the only place that maps res_t to an HTTP status and builds the
 * envelope {success, errorMsg?, data?}. Nulls are omitted as the Java
 * original does; `total` is never sent.
 */
#include "reply.h"

#include "jsonv.h"

#include <json-c/printbuf.h>
#include <stdio.h>
#include <string.h>

struct json_object *
reply_obj(struct req *rq)
{
    struct json_object *o = json_object_new_object();
    jsonv_adopt(rq->cx.arena, o);
    return o;
}

struct json_object *
reply_arr(struct req *rq)
{
    struct json_object *o = json_object_new_array();
    jsonv_adopt(rq->cx.arena, o);
    return o;
}

struct reply_raw_text {
    const char *p;
    size_t n;
};

static int
reply_raw_write(struct json_object *o, struct printbuf *pb, int level,
                int flags)
{
    (void)level;
    (void)flags;
    const struct reply_raw_text *t = json_object_get_userdata(o);
    return printbuf_memappend(pb, t->p, (int)t->n) < 0 ? -1 : 0;
}

/* The text of a value made by reply_raw, or NULL for any other value
 * (only reply_raw gives a json-c value userdata in this app). */
static const struct reply_raw_text *
reply_raw_of(struct json_object *o)
{
    if (o == NULL || !json_object_is_type(o, json_type_boolean))
        return NULL;
    return json_object_get_userdata(o);
}

struct json_object *
reply_raw(struct req *rq, const char *json, size_t n)
{
    struct reply_raw_text *t = arena_alloc(rq->cx.arena, sizeof(*t));
    t->p = json;
    t->n = n;
    /* the base type does not matter: the serializer replaces its text;
     * the text belongs to the arena, so there is no user_delete */
    struct json_object *o = json_object_new_boolean(0);
    json_object_set_serializer(o, reply_raw_write, t, NULL);
    jsonv_adopt(rq->cx.arena, o);
    return o;
}

res_t
reply_ok(struct req *rq, struct json_object *o)
{
    if (o) {
        json_object_get(o);
        jsonv_adopt(rq->cx.arena, o);
    }
    rq->data = o;
    return RES_OK;
}

res_t
reply_take(struct req *rq, struct json_object *o)
{
    if (o)
        jsonv_adopt(rq->cx.arena, o);
    rq->data = o;
    return RES_OK;
}

void
reply_add_i64(struct json_object *o, const char *k, int64_t v)
{
    json_object_object_add(o, k, json_object_new_int64(v));
}

void
reply_add_str(struct json_object *o, const char *k, const char *v)
{
    if (v)
        json_object_object_add(o, k, json_object_new_string(v));
}

void
reply_add_bool(struct json_object *o, const char *k, int v)
{
    json_object_object_add(o, k, json_object_new_boolean(v != 0));
}

void
reply_add_dbl(struct json_object *o, const char *k, double v)
{
    json_object_object_add(o, k, json_object_new_double(v));
}

void
reply_add_time(struct json_object *o, const char *k, const char *sqlts)
{
    if (sqlts == NULL)
        return;
    char buf[32];
    size_t n = strlen(sqlts);
    if (n >= sizeof(buf))
        n = sizeof(buf) - 1;
    memcpy(buf, sqlts, n);
    buf[n] = '\0';
    if (n > 10 && buf[10] == ' ')
        buf[10] = 'T';
    json_object_object_add(o, k, json_object_new_string(buf));
}

int
reply_final_status(const struct req *rq)
{
    return rq->cx.rc == RES_OK && rq->raw ? rq->raw_status
                                          : reply_status(rq->cx.rc);
}

int
reply_status(res_t rc)
{
    switch (rc) {
    case RES_OK:
    case RES_REFUSED:
        return 200;
    case RES_BAD_INPUT:
        return 400;
    case RES_UNAUTH:
        return 401;
    case RES_FORBIDDEN:
        return 403;
    case RES_NOT_FOUND:
        return 404;
    case RES_METHOD:
        return 405;
    case RES_CONFLICT:
        return 409;
    case RES_TOO_LARGE:
        return 413;
    case RES_DEP_DOWN:
        return 503;
    case RES_INTERNAL:
        return 500;
    }
    return 500;
}

const char *
reply_status_text(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 409:
        return "Conflict";
    case 413:
        return "Payload Too Large";
    case 503:
        return "Service Unavailable";
    default:
        return "Internal Server Error";
    }
}

/* s with every byte that does not start a valid UTF-8 sequence replaced
 * by '?': messages may quote request data (a path with %FF in it), and
 * JSON text must be UTF-8. s itself when it is valid. */
static const char *
reply_utf8_clean(struct arena *a, const char *s)
{
    size_t n = strlen(s);
    if (str_utf8_len(s, n) >= 0)
        return s;
    char *out = arena_alloc(a, n + 1), *o = out;
    for (size_t i = 0; i < n;) {
        size_t k = 1;
        while (k <= 4 && i + k <= n && str_utf8_len(s + i, k) != 1)
            k++;
        if (k <= 4 && i + k <= n) {
            memcpy(o, s + i, k);
            o += k;
            i += k;
        } else {
            *o++ = '?';
            i++;
        }
    }
    *o = '\0';
    return out;
}

res_t
reply_text(struct req *rq, int status, const char *ctype, const char *body,
           size_t n)
{
    rq->raw_status = status;
    rq->raw = body;
    rq->raw_len = n;
    rq->raw_ctype = ctype;
    return RES_OK;
}

/* The request id if it is safe in a header (nginx's is 32 hex digits, a
 * local one pid-seq), else NULL. */
static const char *
reply_rid(const struct req *rq)
{
    const char *s = rq->request_id;
    if (s == NULL || *s == '\0' || strlen(s) > 64)
        return NULL;
    for (const char *p = s; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') ||
              (*p >= 'A' && *p <= 'Z') || *p == '-'))
            return NULL;
    return s;
}

char *
reply_render(struct req *rq, size_t *len)
{
    int status = reply_status(rq->cx.rc);
    const char *rid = reply_rid(rq);
    if (rq->cx.rc == RES_OK && rq->raw) {
        char head[320];
        int hn = snprintf(head, sizeof(head),
                          "Status: %d %s\r\n"
                          "Content-Type: %s\r\n"
                          "Cache-Control: no-store\r\n"
                          "%s%s%s"
                          "Content-Length: %zu\r\n\r\n",
                          rq->raw_status, reply_status_text(rq->raw_status),
                          rq->raw_ctype, rid ? "X-Request-Id: " : "",
                          rid ? rid : "", rid ? "\r\n" : "", rq->raw_len);
        size_t bn = rq->method == HTTP_HEAD ? 0 : rq->raw_len;
        char *out = arena_alloc(rq->cx.arena, (size_t)hn + bn + 1);
        memcpy(out, head, (size_t)hn);
        memcpy(out + hn, rq->raw, bn);
        out[(size_t)hn + bn] = '\0';
        *len = (size_t)hn + bn;
        return out;
    }
    const struct reply_raw_text *raw =
        rq->cx.rc == RES_OK ? reply_raw_of(rq->data) : NULL;
    if (raw) {
        struct reply_parts rp;
        reply_render_parts(rq, &rp);
        size_t total = 0;
        for (int i = 0; i < rp.count; i++)
            total += rp.n[i];
        char *out = arena_alloc(rq->cx.arena, total + 1), *o = out;
        for (int i = 0; i < rp.count; i++) {
            memcpy(o, rp.p[i], rp.n[i]);
            o += rp.n[i];
        }
        *o = '\0';
        *len = total;
        return out;
    }
    struct json_object *env = json_object_new_object();
    json_object_object_add(env, "success",
                           json_object_new_boolean(rq->cx.rc == RES_OK));
    if (rq->cx.rc != RES_OK) {
        const char *msg = rq->cx.errmsg;
        if (msg == NULL)
            msg = rq->cx.rc == RES_NOT_FOUND ? "资源不存在" : "服务器异常";
        msg = reply_utf8_clean(rq->cx.arena, msg);
        json_object_object_add(env, "errorMsg", json_object_new_string(msg));
    } else if (rq->data) {
        json_object_object_add(env, "data", json_object_get(rq->data));
    }
    size_t blen;
    const char *body = json_object_to_json_string_length(
        env, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &blen);
    char head[320];
    int hn = snprintf(
        head, sizeof(head),
        "Status: %d %s\r\n"
        "Content-Type: application/json;charset=UTF-8\r\n"
        "Cache-Control: no-store\r\n"
        "%s%s%s%s"
        "Content-Length: %zu\r\n\r\n",
        status, reply_status_text(status),
        rq->cx.rc == RES_METHOD ? "Allow: GET, POST, PUT, DELETE\r\n" : "",
        rid ? "X-Request-Id: " : "", rid ? rid : "", rid ? "\r\n" : "",
        rq->method == HTTP_HEAD ? (size_t)0 : blen);
    size_t total = (size_t)hn + (rq->method == HTTP_HEAD ? 0 : blen);
    char *out = arena_alloc(rq->cx.arena, total + 1);
    memcpy(out, head, (size_t)hn);
    if (rq->method != HTTP_HEAD)
        memcpy(out + hn, body, blen);
    out[total] = '\0';
    json_object_put(env);
    *len = total;
    return out;
}

void
reply_render_parts(struct req *rq, struct reply_parts *out)
{
    const struct reply_raw_text *raw =
        rq->cx.rc == RES_OK && !rq->raw ? reply_raw_of(rq->data) : NULL;
    memset(out, 0, sizeof(*out));
    if (raw == NULL) {
        size_t len;
        out->p[0] = reply_render(rq, &len);
        out->n[0] = len;
        out->count = 1;
        return;
    }
    /* data given as text (a big list, say): the envelope around it is
     * written here, as json-c would print it, and the text itself is not
     * copied at all */
    static const char pre[] = "{\"success\":true,\"data\":";
    int status = reply_status(rq->cx.rc);
    const char *rid = reply_rid(rq);
    size_t blen = sizeof(pre) - 1 + raw->n + 1;
    int head = rq->method != HTTP_HEAD;
    char *h = arena_printf(rq->cx.arena,
                           "Status: %d %s\r\n"
                           "Content-Type: application/json;charset=UTF-8\r\n"
                           "Cache-Control: no-store\r\n"
                           "%s%s%s"
                           "Content-Length: %zu\r\n\r\n%s",
                           status, reply_status_text(status),
                           rid ? "X-Request-Id: " : "", rid ? rid : "",
                           rid ? "\r\n" : "", head ? blen : (size_t)0,
                           head ? pre : "");
    out->p[0] = h;
    out->n[0] = strlen(h);
    out->count = 1;
    if (head) {
        out->p[1] = raw->p;
        out->n[1] = raw->n;
        out->p[2] = "}";
        out->n[2] = 1;
        out->count = 3;
    }
}
