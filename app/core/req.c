/*
 * req.c: input validation for handlers. Every helper either fills its
 * output or calls req_fail() with a message the user can act on; nothing
 * here touches a store, so all of it runs in the unit tests.
 */
#include "req.h"

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
    if (rq->cx.rc != RES_OK || rc == RES_OK)
        return rc; /* the first failure is the one reported */
    va_list ap;
    va_start(ap, fmt);
    char *msg = arena_vprintf(rq->cx.arena, fmt, ap);
    va_end(ap);
    return ctx_fail(&rq->cx, rc, "%s", msg);
}

/* ================= numbers and strings ================= */

int
parse_i64(const char *s, int64_t *out)
{
    if (s == NULL || *s == '\0')
        return -1;
    const char *p = s;
    if (*p == '-')
        p++;
    if (*p == '\0')
        return -1;
    for (const char *q = p; *q; q++)
        if (*q < '0' || *q > '9')
            return -1;
    if (strlen(p) > 19)
        return -1;
    errno = 0;
    char *end;
    long long v = strtoll(s, &end, 10);
    if (errno || *end)
        return -1;
    *out = (int64_t)v;
    return 0;
}

long
utf8_len(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s, *e = p + n;
    long count = 0;
    while (p < e) {
        unsigned c = *p;
        int extra;
        if (c == 0)
            return -1;
        if (c < 0x80)
            extra = 0;
        else if (c >= 0xC2 && c <= 0xDF)
            extra = 1;
        else if (c >= 0xE0 && c <= 0xEF)
            extra = 2;
        else if (c >= 0xF0 && c <= 0xF4)
            extra = 3;
        else
            return -1;
        if (e - p <= extra)
            return -1;
        for (int i = 1; i <= extra; i++)
            if ((p[i] & 0xC0) != 0x80)
                return -1;
        /* overlongs and surrogates */
        if (c == 0xE0 && p[1] < 0xA0)
            return -1;
        if (c == 0xED && p[1] > 0x9F)
            return -1;
        if (c == 0xF0 && p[1] < 0x90)
            return -1;
        if (c == 0xF4 && p[1] > 0x8F)
            return -1;
        p += extra + 1;
        count++;
    }
    return count;
}

char *
html_escape(struct arena *a, const char *s)
{
    size_t n = 0;
    for (const char *p = s; *p; p++) {
        switch (*p) {
        case '&':
            n += 5;
            break;
        case '<':
        case '>':
            n += 4;
            break;
        case '"':
        case '\'':
            n += 5;
            break;
        default:
            n++;
        }
    }
    char *out = arena_alloc(a, n + 1), *o = out;
    for (const char *p = s; *p; p++) {
        const char *rep = NULL;
        switch (*p) {
        case '&':
            rep = "&amp;";
            break;
        case '<':
            rep = "&lt;";
            break;
        case '>':
            rep = "&gt;";
            break;
        case '"':
            rep = "&#34;";
            break;
        case '\'':
            rep = "&#39;";
            break;
        }
        if (rep) {
            size_t l = strlen(rep);
            memcpy(o, rep, l);
            o += l;
        } else {
            *o++ = *p;
        }
    }
    *o = '\0';
    return out;
}

/* ================= query string ================= */

static int
qs_hex(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decodes [s, s+n) into a new string; -1 when it would contain a NUL. */
static int
qs_decode(struct arena *a, const char *s, size_t n, const char **out)
{
    char *d = arena_alloc(a, n + 1), *o = d;
    for (size_t i = 0; i < n; i++) {
        int h, l;
        if (s[i] == '+') {
            *o++ = ' ';
        } else if (s[i] == '%' && i + 2 < n && (h = qs_hex(s[i + 1])) >= 0 &&
                   (l = qs_hex(s[i + 2])) >= 0) {
            char c = (char)(h << 4 | l);
            if (c == '\0')
                return -1;
            *o++ = c;
            i += 2;
        } else {
            *o++ = s[i];
        }
    }
    *o = '\0';
    *out = d;
    return 0;
}

int
qs_parse(struct arena *a, const char *qs, struct qs_pair **out, size_t *n)
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
        rq->qs_state = qs_parse(rq->cx.arena, rq->query ? rq->query : "",
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
    if (parse_i64(v, &x) < 0 || x < lo || x > hi)
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
    if (parse_i64(req_path_str(rq, name), &v) < 0 || v <= 0)
        return req_fail(rq, RES_BAD_INPUT, "无效的id");
    *out = v;
    return RES_OK;
}

/* ================= JSON body ================= */

static void
req_json_put(void *p)
{
    json_object_put(p);
}

#define REQ_JSON_DEPTH 32

static size_t
req_json_ws(const char *s, size_t n, size_t i)
{
    while (i < n &&
           (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
        i++;
    return i;
}

/* A string at s[*i] == '"': no raw control characters, only the escapes
 * RFC 8259 lists. Advances *i past the closing quote. */
static int
req_json_string(const char *s, size_t n, size_t *i)
{
    for (size_t j = *i + 1; j < n; j++) {
        unsigned char c = (unsigned char)s[j];
        if (c == '"') {
            *i = j + 1;
            return 0;
        }
        if (c < 0x20)
            return -1;
        if (c != '\\')
            continue;
        if (++j >= n)
            return -1;
        if (s[j] == 'u') {
            for (int k = 1; k <= 4; k++)
                if (j + (size_t)k >= n ||
                    !isxdigit((unsigned char)s[j + (size_t)k]))
                    return -1;
            j += 4;
        } else if (strchr("\"\\/bfnrt", s[j]) == NULL || s[j] == '\0') {
            return -1;
        }
    }
    return -1;
}

/* -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? at s[*i]. */
static int
req_json_number(const char *s, size_t n, size_t *i)
{
    size_t j = *i;
#define REQ_DIGIT(k) ((k) < n && s[k] >= '0' && s[k] <= '9')
    if (j < n && s[j] == '-')
        j++;
    if (j < n && s[j] == '0')
        j++;
    else if (REQ_DIGIT(j))
        while (REQ_DIGIT(j))
            j++;
    else
        return -1;
    if (j < n && s[j] == '.') {
        if (!REQ_DIGIT(j + 1))
            return -1;
        for (j++; REQ_DIGIT(j); j++)
            ;
    }
    if (j < n && (s[j] == 'e' || s[j] == 'E')) {
        j++;
        if (j < n && (s[j] == '+' || s[j] == '-'))
            j++;
        if (!REQ_DIGIT(j))
            return -1;
        while (REQ_DIGIT(j))
            j++;
    }
#undef REQ_DIGIT
    *i = j;
    return 0;
}

/* Strict RFC 8259 syntax of a whole body: one value with optional white
 * space around it, nesting at most REQ_JSON_DEPTH. json-c alone is
 * lenient even with JSON_TOKENER_STRICT (single quotes, NaN, Infinity,
 * "1.", raw control characters in strings), so bodies are checked here
 * first. Iterative: no recursion on hostile nesting. */
static int
req_json_syntax(const char *s, size_t n)
{
    char stack[REQ_JSON_DEPTH];
    int depth = 0;
    size_t i = 0;
    for (;;) {
        /* a value */
        i = req_json_ws(s, n, i);
        if (i >= n)
            return -1;
        char c = s[i];
        if (c == '{' || c == '[') {
            if (depth == REQ_JSON_DEPTH)
                return -1;
            stack[depth++] = c;
            i = req_json_ws(s, n, i + 1);
            if (i < n && s[i] == (c == '{' ? '}' : ']')) {
                depth--;
                i++;
                goto after_value;
            }
            if (c == '[')
                continue;
            goto key;
        }
        if (c == '"') {
            if (req_json_string(s, n, &i) < 0)
                return -1;
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            if (req_json_number(s, n, &i) < 0)
                return -1;
        } else if (n - i >= 4 && memcmp(s + i, "true", 4) == 0) {
            i += 4;
        } else if (n - i >= 5 && memcmp(s + i, "false", 5) == 0) {
            i += 5;
        } else if (n - i >= 4 && memcmp(s + i, "null", 4) == 0) {
            i += 4;
        } else {
            return -1;
        }
    after_value:
        i = req_json_ws(s, n, i);
        if (depth == 0)
            return i == n ? 0 : -1;
        if (i >= n)
            return -1;
        if (s[i] == (stack[depth - 1] == '{' ? '}' : ']')) {
            depth--;
            i++;
            goto after_value;
        }
        if (s[i] != ',')
            return -1;
        i = req_json_ws(s, n, i + 1);
        if (stack[depth - 1] == '[')
            continue;
    key:
        /* at a member: "key" ws ':' */
        if (i >= n || s[i] != '"' || req_json_string(s, n, &i) < 0)
            return -1;
        i = req_json_ws(s, n, i);
        if (i >= n || s[i] != ':')
            return -1;
        i++;
    }
}

res_t
req_json(struct req *rq, struct json_object **out)
{
    if (rq->body == NULL || rq->body_len == 0)
        return req_fail(rq, RES_BAD_INPUT, "请求体不能为空");
    if (req_json_syntax(rq->body, rq->body_len) < 0)
        return req_fail(rq, RES_BAD_INPUT, "JSON格式错误");
    struct json_tokener *tok = json_tokener_new_ex(REQ_JSON_DEPTH + 1);
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
    arena_defer(rq->cx.arena, req_json_put, o);
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
    long cps = utf8_len(s, n);
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
        if (parse_i64(json_object_get_string(v), &x) < 0)
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
