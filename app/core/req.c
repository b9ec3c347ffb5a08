/*
 * req.c: input validation for handlers. Every helper either fills its
 * output or calls req_fail() with a message the user can act on; nothing
 * here touches a store, so all of it runs in the unit tests.
 */
#include "req.h"

#include "jsonv.h"
#include "log.h"

#include <ctype.h>
#include <errno.h>
#include <json-c/json.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

res_t
req_fail(struct req *rq, res_t rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    rc = ctx_vfail(&rq->cx, rc, fmt, ap);
    va_end(ap);
    return rc;
}

/* ================= query string ================= */

/* Decodes [s, s+n) into a new string; -1 when it would contain a NUL. */
static int
qs_decode(struct arena *a, const char *s, size_t n, const char **out)
{
    char *d = arena_alloc(a, n + 1);
    if (str_url_decode(s, n, d, n + 1, 0) < 0)
        return -1;
    *out = d;
    return 0;
}

int
req_qs_parse(struct arena *a, const char *qs, struct qs_pair **out, size_t *n)
{
    size_t cap = 1;
    for (const char *p = qs; *p; p++)
        if (*p == '&')
            cap++;
    struct qs_pair *pairs = arena_alloc(a, cap * sizeof(*pairs));
    size_t cnt = 0;
    const char *p = qs;
    while (*p) {
        const char *amp = strchr(p, '&');
        size_t len = amp ? (size_t)(amp - p) : strlen(p);
        if (len > 0) {
            const char *eq = memchr(p, '=', len);
            size_t klen = eq ? (size_t)(eq - p) : len;
            if (klen > 0) {
                if (qs_decode(a, p, klen, &pairs[cnt].key) < 0)
                    return -1;
                if (eq) {
                    if (qs_decode(a, eq + 1, len - klen - 1, &pairs[cnt].val) <
                        0)
                        return -1;
                } else {
                    pairs[cnt].val = "";
                }
                cnt++;
            }
        }
        if (amp == NULL)
            break;
        p = amp + 1;
    }
    *out = pairs;
    *n = cnt;
    return 0;
}

const char *
req_query(struct req *rq, const char *name)
{
    if (rq->qs_state == 0) {
        rq->qs_state = req_qs_parse(rq->cx.arena, rq->query ? rq->query : "",
                                    &rq->qs, &rq->nqs) == 0
                           ? 1
                           : -1;
    }
    if (rq->qs_state < 0)
        return NULL;
    for (size_t i = 0; i < rq->nqs; i++)
        if (strcmp(rq->qs[i].key, name) == 0)
            return rq->qs[i].val;
    return NULL;
}

static res_t
req_query_bad(struct req *rq)
{
    return req_fail(rq, RES_BAD_INPUT, "查询参数格式错误");
}

res_t
req_query_i64(struct req *rq, const char *name, int64_t def, int64_t lo,
              int64_t hi, int64_t *out)
{
    const char *v = req_query(rq, name);
    if (rq->qs_state < 0)
        return req_query_bad(rq);
    if (v == NULL || *v == '\0') {
        *out = def;
        return RES_OK;
    }
    int64_t x;
    if (str_parse_i64(v, &x) < 0 || x < lo || x > hi)
        return req_fail(rq, RES_BAD_INPUT, "参数 %s 无效", name);
    *out = x;
    return RES_OK;
}

res_t
req_query_i64_req(struct req *rq, const char *name, int64_t lo, int64_t hi,
                  int64_t *out)
{
    const char *v = req_query(rq, name);
    if (rq->qs_state < 0)
        return req_query_bad(rq);
    if (v == NULL || *v == '\0')
        return req_fail(rq, RES_BAD_INPUT, "缺少参数 %s", name);
    return req_query_i64(rq, name, 0, lo, hi, out);
}

res_t
req_query_dbl(struct req *rq, const char *name, double lo, double hi,
              double *out, int *present)
{
    const char *v = req_query(rq, name);
    if (rq->qs_state < 0)
        return req_query_bad(rq);
    *present = 0;
    if (v == NULL || *v == '\0')
        return RES_OK;
    char *end;
    errno = 0;
    double d = strtod(v, &end);
    if (errno || *end || end == v || !isfinite(d) || d < lo || d > hi ||
        isspace((unsigned char)*v))
        return req_fail(rq, RES_BAD_INPUT, "参数 %s 无效", name);
    *out = d;
    *present = 1;
    return RES_OK;
}

/* ================= path parameters ================= */

const char *
req_path_str(struct req *rq, const char *name)
{
    for (int i = 0; i < rq->nparams; i++)
        if (strcmp(rq->params[i].name, name) == 0)
            return rq->params[i].val;
    return "";
}

res_t
req_path_i64(struct req *rq, const char *name, int64_t *out)
{
    int64_t v;
    if (str_parse_i64(req_path_str(rq, name), &v) < 0 || v <= 0)
        return req_fail(rq, RES_BAD_INPUT, "无效的id");
    *out = v;
    return RES_OK;
}

/* ================= JSON body ================= */

res_t
req_json(struct req *rq, struct json_object **out)
{
    if (rq->body == NULL || rq->body_len == 0)
        return req_fail(rq, RES_BAD_INPUT, "请求体不能为空");
    if (jsonv_syntax(rq->body, rq->body_len) < 0)
        return req_fail(rq, RES_BAD_INPUT, "JSON格式错误");
    struct json_tokener *tok = json_tokener_new_ex(JSONV_DEPTH + 1);
    if (tok == NULL)
        abort();
    json_tokener_set_flags(tok,
                           JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    struct json_object *o =
        json_tokener_parse_ex(tok, rq->body, (int)rq->body_len);
    enum json_tokener_error jerr = json_tokener_get_error(tok);
    size_t used = (size_t)json_tokener_get_parse_end(tok);
    json_tokener_free(tok);
    if (o == NULL || jerr != json_tokener_success) {
        if (o)
            json_object_put(o);
        return req_fail(rq, RES_BAD_INPUT, "JSON格式错误");
    }
    arena_defer(rq->cx.arena, jsonv_put, o);
    for (size_t i = used; i < rq->body_len; i++)
        if (!isspace((unsigned char)rq->body[i]))
            return req_fail(rq, RES_BAD_INPUT, "JSON格式错误");
    if (!json_object_is_type(o, json_type_object))
        return req_fail(rq, RES_BAD_INPUT, "请求体必须是JSON对象");
    *out = o;
    return RES_OK;
}

static struct json_object *
req_json_field(struct json_object *o, const char *key)
{
    struct json_object *v = NULL;
    if (!json_object_object_get_ex(o, key, &v))
        return NULL;
    return v; /* NULL for JSON null too */
}

res_t
req_json_str(struct req *rq, struct json_object *o, const char *key, size_t max,
             int required, const char **out)
{
    struct json_object *v = req_json_field(o, key);
    if (v == NULL) {
        if (required)
            return req_fail(rq, RES_BAD_INPUT, "缺少字段 %s", key);
        return RES_OK;
    }
    if (!json_object_is_type(v, json_type_string))
        return req_fail(rq, RES_BAD_INPUT, "字段 %s 必须是字符串", key);
    const char *s = json_object_get_string(v);
    size_t n = (size_t)json_object_get_string_len(v);
    long cps = str_utf8_len(s, n);
    if (cps < 0)
        return req_fail(rq, RES_BAD_INPUT, "字段 %s 不是有效的UTF-8文本", key);
    if ((size_t)cps > max)
        return req_fail(rq, RES_BAD_INPUT, "字段 %s 过长（最多%zu个字符）", key,
                        max);
    *out = s;
    return RES_OK;
}

res_t
req_json_i64(struct req *rq, struct json_object *o, const char *key, int64_t lo,
             int64_t hi, int required, int64_t *out)
{
    struct json_object *v = req_json_field(o, key);
    if (v == NULL) {
        if (required)
            return req_fail(rq, RES_BAD_INPUT, "缺少字段 %s", key);
        return RES_OK;
    }
    int64_t x;
    if (json_object_is_type(v, json_type_int)) {
        x = json_object_get_int64(v);
        /* json-c clamps out-of-range literals to the int64 limits, so the
         * limits themselves are treated as overflow */
        if (x == INT64_MAX || x == INT64_MIN)
            return req_fail(rq, RES_BAD_INPUT, "字段 %s 超出范围", key);
    } else if (json_object_is_type(v, json_type_string)) {
        /* the Java original accepted numeric strings too */
        if (str_parse_i64(json_object_get_string(v), &x) < 0)
            return req_fail(rq, RES_BAD_INPUT, "字段 %s 必须是整数", key);
    } else {
        return req_fail(rq, RES_BAD_INPUT, "字段 %s 必须是整数", key);
    }
    if (x < lo || x > hi)
        return req_fail(rq, RES_BAD_INPUT, "字段 %s 超出范围", key);
    *out = x;
    return RES_OK;
}

res_t
req_json_dbl(struct req *rq, struct json_object *o, const char *key, double lo,
             double hi, int required, double *out)
{
    struct json_object *v = req_json_field(o, key);
    if (v == NULL) {
        if (required)
            return req_fail(rq, RES_BAD_INPUT, "缺少字段 %s", key);
        return RES_OK;
    }
    if (!json_object_is_type(v, json_type_int) &&
        !json_object_is_type(v, json_type_double))
        return req_fail(rq, RES_BAD_INPUT, "字段 %s 必须是数字", key);
    double d = json_object_get_double(v);
    if (!isfinite(d) || d < lo || d > hi)
        return req_fail(rq, RES_BAD_INPUT, "字段 %s 超出范围", key);
    *out = d;
    return RES_OK;
}
