/*
 * test_core.c: router matching, query and JSON parsing edge cases, the
 * envelope, config lines, arena, and the dispatch pipeline's gates.
 */
#include "../../app/core/arena.h"
#include "../../app/core/cfg.h"
#include "../../app/core/dispatch.h"
#include "../../app/core/event.h"
#include "../../app/core/reply.h"
#include "../../app/core/req.h"
#include "../../app/core/route.h"
#include "../../app/core/util.h"
#include "t.h"

#include <json-c/json.h>
#include <stdint.h>
#include <stdlib.h>

static struct arena *A;

static void
req_setup(struct req *rq, enum http_method m, const char *path,
          const char *query)
{
    memset(rq, 0, sizeof(*rq));
    rq->cx.arena = A;
    rq->method = m;
    rq->method_str = m == HTTP_GET ? "GET" : m == HTTP_POST ? "POST" : "PUT";
    rq->path = path;
    rq->query = query;
    rq->content_type = "";
}

static res_t
h_one(struct req *rq)
{
    (void)rq;
    return RES_OK;
}
static res_t
h_two(struct req *rq)
{
    (void)rq;
    return RES_OK;
}
static res_t
h_three(struct req *rq)
{
    (void)rq;
    return RES_OK;
}

static const struct route tbl_a[] = {
    {HTTP_GET, "/blog/{id}", h_one, 0},
    {HTTP_GET, "/blog/hot", h_two, 0},
    {HTTP_PUT, "/follow/{id}/{isFollow}", h_three, ROUTE_AUTH},
    {HTTP_GET | HTTP_POST, "/user/me", h_two, ROUTE_AUTH},
    {0, NULL, NULL, 0},
};
static int late_runs;
static res_t
h_late(struct req *rq)
{
    (void)rq;
    late_runs++;
    return RES_OK;
}

static const struct route tbl_b[] = {
    {HTTP_DELETE, "/blog/{id}", h_three, ROUTE_AUTH},
    {HTTP_GET, "/late", h_late, ROUTE_AUTH | ROUTE_AUTH_LATE},
    {HTTP_POST, "/shop", h_one, ROUTE_ADMIN},
    {HTTP_POST, "/chat", h_one, ROUTE_AUTH | ROUTE_REDIS_OPTIONAL},
    {0, NULL, NULL, 0},
};
static const struct route *const tables[] = {tbl_a, tbl_b, NULL};

static void
test_route_literal_beats_param(void)
{
    struct req rq;
    const struct route *r = NULL;
    req_setup(&rq, HTTP_GET, "/blog/hot", "");
    CHECK(route_match(tables, &rq, &r) == RES_OK);
    CHECK(r && r->fn == h_two);
    req_setup(&rq, HTTP_GET, "/blog/42", "");
    CHECK(route_match(tables, &rq, &r) == RES_OK);
    CHECK(r && r->fn == h_one);
    CHECK(rq.nparams == 1);
    CHECK_STR(req_path_str(&rq, "id"), "42");
    arena_reset(A);
}

static void
test_route_params_and_methods(void)
{
    struct req rq;
    const struct route *r = NULL;
    req_setup(&rq, HTTP_PUT, "/follow/7/true", "");
    CHECK(route_match(tables, &rq, &r) == RES_OK);
    CHECK_STR(req_path_str(&rq, "id"), "7");
    CHECK_STR(req_path_str(&rq, "isFollow"), "true");
    req_setup(&rq, HTTP_DELETE, "/blog/9", "");
    CHECK(route_match(tables, &rq, &r) == RES_OK && r->fn == h_three);
    req_setup(&rq, HTTP_PUT, "/blog/9", "");
    CHECK(route_match(tables, &rq, &r) == RES_METHOD);
    req_setup(&rq, HTTP_GET, "/nope", "");
    CHECK(route_match(tables, &rq, &r) == RES_NOT_FOUND);
    req_setup(&rq, HTTP_GET, "/blog/", "");
    CHECK(route_match(tables, &rq, &r) == RES_NOT_FOUND);
    req_setup(&rq, HTTP_GET, "/blog//x", "");
    CHECK(route_match(tables, &rq, &r) == RES_NOT_FOUND);
    req_setup(&rq, HTTP_GET, "/user/me/", "");
    CHECK(route_match(tables, &rq, &r) == RES_NOT_FOUND);
    req_setup(&rq, HTTP_GET, "", "");
    CHECK(route_match(tables, &rq, &r) == RES_NOT_FOUND);
    req_setup(&rq, HTTP_POST, "/user/me", "");
    CHECK(route_match(tables, &rq, &r) == RES_OK);
    arena_reset(A);
}

static void
test_qs_parse(void)
{
    struct qs_pair *p;
    size_t n;
    CHECK(req_qs_parse(A, "&typeId=1&&current=2&x=120.1&name=a+b%E7%BE%8E", &p,
                       &n) == 0);
    CHECK(n == 4);
    CHECK_STR(p[0].key, "typeId");
    CHECK_STR(p[0].val, "1");
    CHECK_STR(p[1].key, "current");
    CHECK_STR(p[3].val, "a b\xE7\xBE\x8E");
    CHECK(req_qs_parse(A, "", &p, &n) == 0 && n == 0);
    CHECK(req_qs_parse(A, "flag&=x&k=", &p, &n) == 0 && n == 2);
    CHECK_STR(p[0].key, "flag");
    CHECK_STR(p[0].val, "");
    CHECK_STR(p[1].val, "");
    /* invalid escapes are kept literally; NUL is refused */
    CHECK(req_qs_parse(A, "a=%zz%4&b=100%", &p, &n) == 0 && n == 2);
    CHECK_STR(p[0].val, "%zz%4");
    CHECK_STR(p[1].val, "100%");
    CHECK(req_qs_parse(A, "a=x%00y", &p, &n) == -1);
    arena_reset(A);
}

static void
test_query_numbers(void)
{
    struct req rq;
    int64_t v = 0;
    req_setup(&rq, HTTP_GET, "/x",
              "&current=3&bad=3x&neg=-1&big=99999999999999999999");
    CHECK(req_query_i64(&rq, "current", 1, 1, 1000, &v) == RES_OK && v == 3);
    CHECK(req_query_i64(&rq, "missing", 1, 1, 1000, &v) == RES_OK && v == 1);
    CHECK(req_query_i64(&rq, "bad", 1, 1, 1000, &v) == RES_BAD_INPUT);
    rq.cx.rc = RES_OK;
    CHECK(req_query_i64(&rq, "neg", 1, 1, 1000, &v) == RES_BAD_INPUT);
    rq.cx.rc = RES_OK;
    CHECK(req_query_i64(&rq, "big", 1, 1, INT64_MAX, &v) == RES_BAD_INPUT);
    rq.cx.rc = RES_OK;
    CHECK(req_query_i64_req(&rq, "missing", 1, 10, &v) == RES_BAD_INPUT);
    CHECK(rq.cx.errmsg && strstr(rq.cx.errmsg, "missing"));
    double d;
    int present;
    req_setup(&rq, HTTP_GET, "/x", "x=120.149993&y=abc&z=nan");
    CHECK(req_query_dbl(&rq, "x", -180, 180, &d, &present) == RES_OK &&
          present && d > 120.14 && d < 120.15);
    CHECK(req_query_dbl(&rq, "w", -180, 180, &d, &present) == RES_OK &&
          !present);
    CHECK(req_query_dbl(&rq, "y", -90, 90, &d, &present) == RES_BAD_INPUT);
    rq.cx.rc = RES_OK;
    CHECK(req_query_dbl(&rq, "z", -90, 90, &d, &present) == RES_BAD_INPUT);
    arena_reset(A);
}

static void
test_path_ids(void)
{
    struct req rq;
    int64_t v;
    const char *bad[] = {"0",  "-1", "abc", "1e3", "", "9223372036854775808",
                         " 1", "1 ", "+1",  "0x10"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        req_setup(&rq, HTTP_GET, "/x", "");
        rq.nparams = 1;
        rq.params[0].name = "id";
        rq.params[0].val = bad[i];
        CHECK(req_path_i64(&rq, "id", &v) == RES_BAD_INPUT);
    }
    req_setup(&rq, HTTP_GET, "/x", "");
    rq.nparams = 1;
    rq.params[0].name = "id";
    rq.params[0].val = "9223372036854775807";
    CHECK(req_path_i64(&rq, "id", &v) == RES_OK && v == INT64_MAX);
    arena_reset(A);
}

static void
test_json_body(void)
{
    struct req rq;
    struct json_object *o;
    const char *s = NULL;
    int64_t i = 0;
    req_setup(&rq, HTTP_POST, "/x", "");
    rq.body = "{\"phone\":\"13800000000\",\"n\":\"12\",\"m\":1.5,\"t\":true}";
    rq.body_len = strlen(rq.body);
    CHECK(req_json(&rq, &o) == RES_OK);
    CHECK(req_json_str(&rq, o, "phone", 11, 1, &s) == RES_OK);
    CHECK_STR(s, "13800000000");
    CHECK(req_json_i64(&rq, o, "n", 0, 100, 1, &i) == RES_OK && i == 12);
    CHECK(req_json_i64(&rq, o, "m", 0, 100, 1, &i) == RES_BAD_INPUT);
    rq.cx.rc = RES_OK;
    CHECK(req_json_str(&rq, o, "phone", 5, 1, &s) == RES_BAD_INPUT);
    rq.cx.rc = RES_OK;
    CHECK(req_json_str(&rq, o, "t", 5, 1, &s) == RES_BAD_INPUT);
    rq.cx.rc = RES_OK;
    CHECK(req_json_str(&rq, o, "absent", 5, 0, &s) == RES_OK);
    CHECK(req_json_str(&rq, o, "absent", 5, 1, &s) == RES_BAD_INPUT);

    const char *bad[] = {"",
                         "{",
                         "[1,2]",
                         "{\"a\":1} x",
                         "nul",
                         "\"str\"",
                         "{\"a\":1}{\"b\":2}"};
    for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
        req_setup(&rq, HTTP_POST, "/x", "");
        rq.body = bad[k];
        rq.body_len = strlen(bad[k]);
        CHECK(req_json(&rq, &o) == RES_BAD_INPUT);
    }
    /* what json-c's tokener lets through even in strict mode: refused
     * (found by tests/integ/test_hostile.c) */
    const char *lenient[] = {"{'a':1}",           "{\"a\":1,}",
                             "/* x */{\"a\":1}",  "{\"a\":NaN}",
                             "{\"a\":Infinity}",  "{\"a\":1.}",
                             "{\"a\":\"x\ty\"}",  "\xEF\xBB\xBF{}",
                             "{\"a\":01}",        "{\"a\":\"\\x\"}",
                             "{\"a\":[1,]}",      "{\"a\" 1}",
                             "{\"a\":-}",         "{\"a\":1e}",
                             "{\"a\":.5}",        "{a:1}",
                             "{\"a\":\"\\u12\"}", "{\"a\":tru}",
                             "{\"a\":\"\xFF\"}",  "{\"a\":1}\x0b",
                             "{\"a\":[}"};
    for (size_t k = 0; k < sizeof(lenient) / sizeof(lenient[0]); k++) {
        req_setup(&rq, HTTP_POST, "/x", "");
        rq.body = lenient[k];
        rq.body_len = strlen(lenient[k]);
        CHECK(req_json(&rq, &o) == RES_BAD_INPUT);
    }
    const char *strict_ok[] = {
        " {\"a\":[1,2,{\"b\":null}],\"c\":-0.5e+3,\"d\":\"\\u4e2d\\n\"} \r\n",
        "{\"\":true,\"x\":false,\"y\":[[]],\"z\":{}}", "{\"a\":0,\"b\":1E9}"};
    for (size_t k = 0; k < sizeof(strict_ok) / sizeof(strict_ok[0]); k++) {
        req_setup(&rq, HTTP_POST, "/x", "");
        rq.body = strict_ok[k];
        rq.body_len = strlen(strict_ok[k]);
        CHECK(req_json(&rq, &o) == RES_OK);
    }
    /* nesting: 32 levels are fine, 33 and 10000 are not */
    char deep[20002];
    for (int levels = 31; levels <= 33; levels += 2) {
        int k = 0;
        deep[k++] = '{';
        deep[k++] = '"';
        deep[k++] = 'a';
        deep[k++] = '"';
        deep[k++] = ':';
        for (int d = 1; d < levels; d++)
            deep[k++] = '[';
        for (int d = 1; d < levels; d++)
            deep[k++] = ']';
        deep[k++] = '}';
        deep[k] = '\0';
        req_setup(&rq, HTTP_POST, "/x", "");
        rq.body = deep;
        rq.body_len = (size_t)k;
        CHECK(req_json(&rq, &o) == (levels <= 32 ? RES_OK : RES_BAD_INPUT));
    }
    memset(deep, '[', 10000);
    memset(deep + 10000, ']', 10000);
    req_setup(&rq, HTTP_POST, "/x", "");
    rq.body = deep;
    rq.body_len = 20000;
    CHECK(req_json(&rq, &o) == RES_BAD_INPUT);
    arena_reset(A);
    /* embedded NUL in the body: rejected, not truncated */
    req_setup(&rq, HTTP_POST, "/x", "");
    rq.body = "{\"a\":1}\0{";
    rq.body_len = 9;
    CHECK(req_json(&rq, &o) == RES_BAD_INPUT);
    /* out-of-range integer literal */
    req_setup(&rq, HTTP_POST, "/x", "");
    rq.body = "{\"n\":123456789012345678901234567890}";
    rq.body_len = strlen(rq.body);
    CHECK(req_json(&rq, &o) == RES_OK);
    CHECK(req_json_i64(&rq, o, "n", 0, INT64_MAX, 1, &i) == RES_BAD_INPUT);
    arena_reset(A);
}

static void
test_u64_and_entry_ids(void)
{
    uint64_t v, ms, seq;
    CHECK(str_parse_u64n("0", 1, &v) == 0 && v == 0);
    CHECK(str_parse_u64n("18446744073709551615", 20, &v) == 0 &&
          v == UINT64_MAX);
    CHECK(str_parse_u64n("18446744073709551616", 20, &v) < 0); /* 2^64 */
    CHECK(str_parse_u64n("", 0, &v) < 0);
    CHECK(str_parse_u64n("12x", 3, &v) < 0);
    CHECK(str_parse_u64n("12x", 2, &v) == 0 && v == 12); /* only n bytes */
    CHECK(str_parse_u64n("-1", 2, &v) < 0);
    CHECK(str_parse_entry_id("1764583200000-7", 15, &ms, &seq) == 0 &&
          ms == 1764583200000ULL && seq == 7);
    CHECK(str_parse_entry_id("5", 1, &ms, &seq) < 0);
    CHECK(str_parse_entry_id("-5", 2, &ms, &seq) < 0);
    CHECK(str_parse_entry_id("5-", 2, &ms, &seq) < 0);
    CHECK(str_parse_entry_id("5-1-2", 5, &ms, &seq) < 0);
    CHECK(str_parse_entry_id("5-1 ", 4, &ms, &seq) < 0);
}

static void
test_url_decode(void)
{
    char b[8];
    CHECK(str_url_decode("a+b%41", 6, b, sizeof(b), 1) == 4 &&
          strcmp(b, "a bA") == 0);
    CHECK(str_url_decode("%4", 2, b, sizeof(b), 1) < 0);   /* strict */
    CHECK(str_url_decode("%4", 2, b, sizeof(b), 0) == 2 && /* kept */
          strcmp(b, "%4") == 0);
    CHECK(str_url_decode("%zz1", 4, b, sizeof(b), 0) == 4);
    CHECK(str_url_decode("a%00", 4, b, sizeof(b), 0) < 0);     /* NUL */
    CHECK(str_url_decode("12345678", 8, b, sizeof(b), 0) < 0); /* no room */
    CHECK(str_url_decode("%41%42%43%44%45%46%47", 21, b, sizeof(b), 1) == 7);
    CHECK(str_url_decode("", 0, b, 0, 0) < 0);
}

static void
test_utf8_and_escape(void)
{
    CHECK(str_utf8_len("abc", 3) == 3);
    CHECK(str_utf8_len("\xE7\xBE\x8E\xE9\xA3\x9F", 6) == 2);
    CHECK(str_utf8_len("\xF0\x9F\x8D\xB7", 4) == 1);
    CHECK(str_utf8_len("\xC0\xAF", 2) == -1);     /* overlong */
    CHECK(str_utf8_len("\xED\xA0\x80", 3) == -1); /* surrogate */
    CHECK(str_utf8_len("\xE7\xBE", 2) == -1);     /* truncated */
    CHECK(str_utf8_len("a\0b", 3) == -1);
    CHECK_STR(str_html_escape(A, "<b>\"Tom\" & 'Jerry'</b>"),
              "&lt;b&gt;&#34;Tom&#34; &amp; &#39;Jerry&#39;&lt;/b&gt;");
    arena_reset(A);
}

/* reply_raw: text passed through verbatim, nested or as the whole data,
 * and the envelope around it byte for byte. */
static void
test_reply_raw(void)
{
    struct req rq;
    size_t len;
    req_setup(&rq, HTTP_GET, "/x", "");
    const char *card =
        "{\"id\":7,\"path\":\"/a/b\",\"t\":\"\u00e9 \\\"q\\\"\"}";
    struct json_object *o = reply_obj(&rq), *arr = reply_arr(&rq);
    json_object_array_add(arr,
                          json_object_get(reply_raw(&rq, card, strlen(card))));
    json_object_array_add(arr, json_object_new_int(3));
    /* only the first n bytes count */
    json_object_array_add(arr, json_object_get(reply_raw(&rq, "[1,2]xyz", 5)));
    json_object_object_add(o, "list", json_object_get(arr));
    reply_add_i64(o, "offset", 2);
    reply_ok(&rq, o);
    char *out = reply_render(&rq, &len);
    const char *body = strstr(out, "\r\n\r\n") + 4;
    char want[256];
    snprintf(want, sizeof(want),
             "{\"success\":true,\"data\":{\"list\":[%s,3,[1,2]],"
             "\"offset\":2}}",
             card);
    CHECK_STR(body, want);
    CHECK(len == (size_t)(body - out) + strlen(want));
    char cl[64];
    snprintf(cl, sizeof(cl), "Content-Length: %zu\r\n", strlen(want));
    CHECK(strstr(out, cl) != NULL);

    /* the whole data */
    req_setup(&rq, HTTP_GET, "/x", "");
    reply_ok(&rq, reply_raw(&rq, card, strlen(card)));
    out = reply_render(&rq, &len);
    body = strstr(out, "\r\n\r\n") + 4;
    snprintf(want, sizeof(want), "{\"success\":true,\"data\":%s}", card);
    CHECK_STR(body, want);

    /* an empty array as text */
    req_setup(&rq, HTTP_GET, "/x", "");
    reply_ok(&rq, reply_raw(&rq, "[]", 2));
    out = reply_render(&rq, &len);
    CHECK_STR(strstr(out, "\r\n\r\n") + 4, "{\"success\":true,\"data\":[]}");

    /* the whole data as text is rendered without json-c: the same bytes,
     * headers included, as the same value built with json-c */
    req_setup(&rq, HTTP_GET, "/x", "");
    reply_ok(&rq, reply_raw(&rq, "[1,{\"a\":\"b/c\"}]", 15));
    out = reply_render(&rq, &len);
    char *copy = strdup(out);
    size_t copy_len = len;
    req_setup(&rq, HTTP_GET, "/x", "");
    struct json_object *arr2 = reply_arr(&rq), *ob = json_object_new_object();
    json_object_array_add(arr2, json_object_new_int(1));
    reply_add_str(ob, "a", "b/c");
    json_object_array_add(arr2, ob);
    reply_ok(&rq, arr2);
    out = reply_render(&rq, &len);
    CHECK(len == copy_len);
    CHECK_STR(out, copy);
    free(copy);
    /* HEAD: the head json-c's path writes, no body */
    req_setup(&rq, HTTP_HEAD, "/x", "");
    reply_ok(&rq, reply_raw(&rq, "[1,2]", 5));
    out = reply_render(&rq, &len);
    copy = strdup(out);
    req_setup(&rq, HTTP_HEAD, "/x", "");
    arr2 = reply_arr(&rq);
    json_object_array_add(arr2, json_object_new_int(1));
    json_object_array_add(arr2, json_object_new_int(2));
    reply_ok(&rq, arr2);
    out = reply_render(&rq, &len);
    CHECK_STR(out, copy);
    CHECK(len == (size_t)(strstr(out, "\r\n\r\n") + 4 - out));
    free(copy);

    /* the pieces the worker writes are the same bytes, the text itself
     * passed through uncopied: raw data, json-c data, an error, HEAD */
    for (int k = 0; k < 4; k++) {
        static const char text[] = "[{\"id\":1}]";
        req_setup(&rq, k == 3 ? HTTP_HEAD : HTTP_GET, "/x", "");
        if (k == 0 || k == 3)
            reply_ok(&rq, reply_raw(&rq, text, sizeof(text) - 1));
        else if (k == 1)
            reply_ok(&rq, reply_arr(&rq));
        else
            req_fail(&rq, RES_NOT_FOUND, "gone");
        struct reply_parts rp;
        reply_render_parts(&rq, &rp);
        char joined[1024];
        size_t jn = 0;
        int passed_through = 0;
        for (int i = 0; i < rp.count; i++) {
            CHECK(jn + rp.n[i] < sizeof(joined));
            memcpy(joined + jn, rp.p[i], rp.n[i]);
            jn += rp.n[i];
            passed_through |= rp.p[i] == text;
        }
        joined[jn] = '\0';
        out = reply_render(&rq, &len);
        CHECK(jn == len);
        CHECK_STR(joined, out);
        CHECK(passed_through == (k == 0));
    }
    arena_reset(A);
}

static void
test_envelope(void)
{
    struct req rq;
    size_t len;
    req_setup(&rq, HTTP_GET, "/x", "");
    reply_ok(&rq, NULL);
    char *out = reply_render(&rq, &len);
    CHECK(strncmp(out, "Status: 200 OK\r\n", 16) == 0);
    CHECK(strstr(out, "Content-Type: application/json;charset=UTF-8\r\n"));
    CHECK(strstr(out, "\r\n\r\n{\"success\":true}"));
    CHECK(strstr(out, "total") == NULL);

    req_setup(&rq, HTTP_GET, "/x", "");
    struct json_object *o = reply_obj(&rq);
    reply_add_i64(o, "id", 5);
    reply_add_str(o, "icon", NULL); /* omitted */
    reply_add_str(o, "path", "/imgs/a.jpg");
    reply_add_time(o, "createTime", "2021-12-28 19:50:01");
    reply_ok(&rq, o);
    out = reply_render(&rq, &len);
    CHECK(strstr(out, "{\"success\":true,\"data\":{\"id\":5,\"path\":\"/imgs/"
                      "a.jpg\",\"createTime\":\"2021-12-28T19:50:01\"}}"));

    req_setup(&rq, HTTP_GET, "/x", "");
    reply_take(&rq, json_object_new_string("tok"));
    out = reply_render(&rq, &len);
    CHECK(strstr(out, "{\"success\":true,\"data\":\"tok\"}"));

    req_setup(&rq, HTTP_GET, "/x", "");
    CHECK(req_fail(&rq, RES_REFUSED, "库存不足") == RES_REFUSED);
    req_fail(&rq, RES_BAD_INPUT, "second failure is ignored");
    out = reply_render(&rq, &len);
    CHECK(strncmp(out, "Status: 200", 11) == 0);
    CHECK(strstr(out, "{\"success\":false,\"errorMsg\":\"库存不足\"}"));

    struct {
        res_t rc;
        int status;
    } map[] = {{RES_BAD_INPUT, 400}, {RES_UNAUTH, 401},  {RES_FORBIDDEN, 403},
               {RES_NOT_FOUND, 404}, {RES_METHOD, 405},  {RES_TOO_LARGE, 413},
               {RES_DEP_DOWN, 503},  {RES_INTERNAL, 500}};
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
        req_setup(&rq, HTTP_GET, "/x", "");
        req_fail(&rq, map[i].rc, "detail");
        out = reply_render(&rq, &len);
        char want[32];
        snprintf(want, sizeof(want), "Status: %d ", map[i].status);
        CHECK(strncmp(out, want, strlen(want)) == 0);
        CHECK(strstr(out, "\"success\":false"));
        CHECK(strstr(out, "\"errorMsg\":\""));
        /* internal details never reach the client */
        if (map[i].rc == RES_DEP_DOWN || map[i].rc == RES_INTERNAL)
            CHECK(strstr(out, "detail") == NULL);
    }

    /* a message quoting request bytes that are not UTF-8 (a path with
     * %FF) still renders as UTF-8 JSON (found by test_hostile.c) */
    req_setup(&rq, HTTP_GET, "/x", "");
    req_fail(&rq, RES_NOT_FOUND, "接口不存在: %s",
             "/\xFF\xFE/\xC0\xAF/\xE4\xB8");
    out = reply_render(&rq, &len);
    CHECK(str_utf8_len(out, len) >= 0);
    CHECK(strstr(out, "\"接口不存在: /?\?/?\?/?\?\""));
    req_setup(&rq, HTTP_GET, "/x", "");
    req_fail(&rq, RES_NOT_FOUND, "接口不存在: %s", "/中");
    out = reply_render(&rq, &len);
    CHECK(strstr(out, "\"接口不存在: /中\""));
    arena_reset(A);
}

static int auth_calls;
static res_t
fake_auth(struct req *rq, int required)
{
    (void)required;
    auth_calls++;
    if (rq->token && strcmp(rq->token, "good") == 0) {
        rq->has_user = 1;
        rq->user.id = 1;
    }
    return RES_OK;
}

static void
test_dispatch_gates(void)
{
    static const struct dispatch_hooks hooks = {NULL, fake_auth, NULL, NULL,
                                                NULL};
    struct req rq;
    g_cfg.body_limit = 100;
    g_cfg.upload_limit = 1000;
    char admin[] = "0123456789abcdef0123";
    g_cfg.admin_token = admin;

    req_setup(&rq, HTTP_GET, "/user/me", "");
    CHECK(dispatch_run(tables, &hooks, &rq, 0, NULL, NULL) == RES_UNAUTH);
    req_setup(&rq, HTTP_GET, "/user/me", "");
    rq.token = "good";
    CHECK(dispatch_run(tables, &hooks, &rq, 0, NULL, NULL) == RES_OK);
    req_setup(&rq, HTTP_GET, "/blog/hot", "");
    rq.token = "expired";
    CHECK(dispatch_run(tables, &hooks, &rq, 0, NULL, NULL) == RES_OK);
    req_setup(&rq, HTTP_POST, "/shop", "");
    CHECK(dispatch_run(tables, &hooks, &rq, 0, NULL, NULL) == RES_FORBIDDEN);
    req_setup(&rq, HTTP_POST, "/shop", "");
    rq.admin_header = "0123456789abcdef012";
    CHECK(dispatch_run(tables, &hooks, &rq, 0, NULL, NULL) == RES_FORBIDDEN);
    req_setup(&rq, HTTP_POST, "/shop", "");
    rq.admin_header = "0123456789abcdef0123";
    CHECK(dispatch_run(tables, &hooks, &rq, 0, NULL, NULL) == RES_OK);
    req_setup(&rq, HTTP_POST, "/user/me", "");
    rq.token = "good";
    CHECK(dispatch_run(tables, &hooks, &rq, 101, NULL, NULL) == RES_TOO_LARGE);
    req_setup(&rq, HTTP_POST, "/user/me", "");
    CHECK(dispatch_run(tables, &hooks, &rq, -1, NULL, NULL) == RES_BAD_INPUT);
    /* ROUTE_AUTH_LATE: no hook, no 401 from dispatch; the handler runs
     * (and answers the 401 itself) */
    int calls = auth_calls;
    req_setup(&rq, HTTP_GET, "/late", "");
    CHECK(dispatch_run(tables, &hooks, &rq, 0, NULL, NULL) == RES_OK);
    CHECK(late_runs == 1 && auth_calls == calls && !rq.has_user);
    req_setup(&rq, HTTP_GET, "/user/me", "");
    rq.token = "good";
    CHECK(dispatch_run(tables, &hooks, &rq, 0, NULL, NULL) == RES_OK);
    CHECK(auth_calls == calls + 1);
    req_setup(&rq, HTTP_GET, "/nothing", "");
    CHECK(dispatch_run(tables, &hooks, &rq, 0, NULL, NULL) == RES_NOT_FOUND);
    CHECK(rq.cx.errmsg != NULL);
    g_cfg.admin_token = NULL;
    arena_reset(A);
}

/* The session store is down: the lookup answers 503. */
static res_t
down_auth(struct req *rq, int required)
{
    (void)required;
    return req_fail(rq, RES_DEP_DOWN, "store down");
}

/* The cache knows the token "cached" only. */
static res_t
cached_auth(struct req *rq)
{
    if (strcmp(rq->token, "cached") != 0)
        return RES_DEP_DOWN;
    rq->has_user = 1;
    rq->user.id = 9;
    return RES_OK;
}

/* ROUTE_REDIS_OPTIONAL: only such a route, only after the lookup found
 * the store down, asks the cached hook; its success clears the 503. */
static void
test_dispatch_redis_optional(void)
{
    static const struct dispatch_hooks hooks = {NULL, down_auth, NULL, NULL,
                                                cached_auth};
    struct req rq;
    g_cfg.body_limit = 100;
    req_setup(&rq, HTTP_POST, "/chat", "");
    rq.token = "cached";
    CHECK(dispatch_run(tables, &hooks, &rq, 0, NULL, NULL) == RES_OK);
    CHECK(rq.cx.rc == RES_OK && rq.has_user && rq.user.id == 9);
    req_setup(&rq, HTTP_POST, "/chat", "");
    rq.token = "unknown";
    CHECK(dispatch_run(tables, &hooks, &rq, 0, NULL, NULL) == RES_DEP_DOWN);
    CHECK(rq.cx.rc == RES_DEP_DOWN && !rq.has_user);
    req_setup(&rq, HTTP_POST, "/chat", "");
    CHECK(dispatch_run(tables, &hooks, &rq, 0, NULL, NULL) == RES_DEP_DOWN);
    /* a route without the flag: the 503 stands, cache or not */
    req_setup(&rq, HTTP_GET, "/user/me", "");
    rq.token = "cached";
    CHECK(dispatch_run(tables, &hooks, &rq, 0, NULL, NULL) == RES_DEP_DOWN);
    CHECK(!rq.has_user);
    arena_reset(A);
}

static void
test_cfg_line(void)
{
    char l1[] = "  redis_port = 6380  ";
    char l2[] = "# comment";
    char l3[] = "novalue";
    char l4[] = "empty =";
    char *k, *v;
    CHECK(cfg_parse_line(l1, &k, &v) == 1);
    CHECK_STR(k, "redis_port");
    CHECK_STR(v, "6380");
    CHECK(cfg_parse_line(l2, &k, &v) == 0);
    CHECK(cfg_parse_line(l3, &k, &v) == -1);
    CHECK(cfg_parse_line(l4, &k, &v) == 1);
    CHECK_STR(v, "");
}

static void
test_arena_defer_order(void)
{
    struct arena *a = arena_new();
    arena_defer(a, (arena_cleanup_fn)free, malloc(10));
    char *s = arena_printf(a, "%s-%d", "x", 42);
    CHECK_STR(s, "x-42");
    char *big = arena_alloc(a, 100000);
    memset(big, 1, 100000);
    CHECK(arena_used(a) >= 100000);
    arena_reset(a);
    CHECK(arena_used(a) == 0);
    arena_free(a);
}

static void
test_dates(void)
{
    time_t t;
    CHECK(util_date_parse_local("2026-01-31T10:00:00", &t) == 0);
    char buf[32];
    util_date_sql(t, buf);
    CHECK_STR(buf, "2026-01-31 10:00:00");
    CHECK(util_date_parse_local("2026-02-31T10:00:00", &t) == -1);
    CHECK(util_date_parse_local("2026-01-31 10:00:00", &t) == 0);
    CHECK(util_date_parse_local("2026-01-31T10:00", &t) == -1);
    CHECK(util_date_parse_local("2026-01-31T25:00:00", &t) == -1);
    CHECK(util_date_parse_local(NULL, &t) == -1);
    util_date_ymd(t, buf);
    CHECK_STR(buf, "20260131");
    util_date_ym(t, buf);
    CHECK_STR(buf, "202601");
    CHECK(util_date_mday(t) == 31);
}

/* ---- ctx and events ---- */

static int ev_calls[3];

static res_t
ev_fails(struct ctx *cx, const struct event *ev)
{
    ev_calls[0]++;
    return ctx_fail(cx, RES_DEP_DOWN, "subscriber down (blog %lld)",
                    (long long)ev->u.blog_liked.blog_id);
}

static res_t
ev_refuses(struct ctx *cx, const struct event *ev)
{
    (void)ev;
    ev_calls[1]++;
    return ctx_fail(cx, RES_REFUSED, "no");
}

static res_t
ev_ok(struct ctx *cx, const struct event *ev)
{
    (void)cx;
    ev_calls[2] += (int)ev->u.blog_liked.liker;
    return RES_OK;
}

static void
test_ctx_and_events(void)
{
    struct ctx cx;
    memset(&cx, 0, sizeof(cx));
    cx.arena = A;
    /* first failure wins; a mark and drop forgets only what came after */
    struct ctx_mark m = ctx_mark(&cx);
    CHECK(ctx_fail(&cx, RES_NOT_FOUND, "a %d", 1) == RES_NOT_FOUND);
    CHECK(ctx_fail(&cx, RES_INTERNAL, "b") == RES_INTERNAL);
    CHECK(cx.rc == RES_NOT_FOUND);
    CHECK_STR(cx.errmsg, "a 1");
    CHECK(ctx_drop(&cx, m, "test step") == 1);
    CHECK(cx.rc == RES_OK && cx.errmsg == NULL);
    CHECK(ctx_drop(&cx, m, "nothing") == 0);
    /* 5xx details stay in the log */
    CHECK(ctx_fail(&cx, RES_DEP_DOWN, "redis gone") == RES_DEP_DOWN);
    CHECK(cx.errmsg && strstr(cx.errmsg, "redis") == NULL);
    ctx_clear(&cx);
    CHECK(cx.rc == RES_OK);

    /* every subscriber runs, in order; failures never reach the emitter */
    event_reset();
    memset(ev_calls, 0, sizeof(ev_calls));
    event_subscribe(EVENT_BLOG_LIKED, "fails", ev_fails);
    event_subscribe(EVENT_BLOG_LIKED, "refuses", ev_refuses);
    event_subscribe(EVENT_BLOG_LIKED, "ok", ev_ok);
    struct event ev = {.kind = EVENT_BLOG_LIKED};
    ev.u.blog_liked.liker = 7;
    ev.u.blog_liked.blog_id = 3;
    event_emit(&cx, &ev);
    CHECK(ev_calls[0] == 1 && ev_calls[1] == 1 && ev_calls[2] == 7);
    CHECK(cx.rc == RES_OK && cx.errmsg == NULL);
    /* other kinds reach nobody; an earlier failure of the unit survives */
    ctx_fail(&cx, RES_BAD_INPUT, "earlier");
    ev.kind = EVENT_USER_FOLLOWED;
    event_emit(&cx, &ev);
    ev.kind = EVENT_BLOG_LIKED;
    event_emit(&cx, &ev);
    CHECK(ev_calls[0] == 2 && ev_calls[2] == 14);
    CHECK(cx.rc == RES_BAD_INPUT);
    CHECK_STR(cx.errmsg, "earlier");
    event_reset();
}

/* pipelined subscribers: a trace of the calls, in order */
static char pipe_trace[64];
static int pipe_state; /* what a's append leaves for its collect */

static void
pipe_note(const char *what)
{
    size_t n = strlen(pipe_trace);
    snprintf(pipe_trace + n, sizeof(pipe_trace) - n, "%s ", what);
}

static res_t
pipe_a_append(struct ctx *cx, const struct event *ev, void **state)
{
    (void)cx;
    pipe_note("a+");
    pipe_state = (int)ev->u.blog_liked.liked_ms;
    *state = &pipe_state;
    return RES_OK;
}

static res_t
pipe_a_collect(struct ctx *cx, const struct event *ev, void *state,
               int happened)
{
    (void)cx;
    pipe_note(happened == 1 ? "a1" : happened == 0 ? "a0" : "a?");
    /* the state append left, and the same event */
    CHECK(state == &pipe_state && ev->u.blog_liked.liked_ms == 1234);
    return RES_OK;
}

static res_t
pipe_b_append(struct ctx *cx, const struct event *ev, void **state)
{
    (void)ev;
    pipe_note("b+");
    *state = NULL;
    return ctx_fail(cx, RES_DEP_DOWN, "append failed");
}

static res_t
pipe_b_collect(struct ctx *cx, const struct event *ev, void *state,
               int happened)
{
    (void)ev;
    (void)happened;
    pipe_note("b-");
    CHECK(state == NULL);
    return ctx_fail(cx, RES_INTERNAL, "collect failed");
}

static void
test_pipelined_events(void)
{
    struct ctx cx;
    memset(&cx, 0, sizeof(cx));
    cx.arena = A;
    event_reset();
    memset(ev_calls, 0, sizeof(ev_calls));
    struct event ev = {.kind = EVENT_BLOG_LIKED};
    ev.u.blog_liked.liker = 7;
    ev.u.blog_liked.liked_ms = 1234;
    struct event_pipe p;
    /* nobody subscribed: nothing to collect */
    CHECK(event_pipe_append(&cx, &ev, &p) == 0);
    event_subscribe(EVENT_BLOG_LIKED, "plain", ev_ok);
    event_subscribe_pipelined(EVENT_BLOG_LIKED, "a", pipe_a_append,
                              pipe_a_collect);
    event_subscribe_pipelined(EVENT_BLOG_LIKED, "b", pipe_b_append,
                              pipe_b_collect);
    pipe_trace[0] = '\0';
    CHECK(event_pipe_append(&cx, &ev, &p) == 1);
    event_pipe_collect(&cx, &p, 1);
    /* in subscription order; a failed append is still collected (it may
     * have queued); failures never reach the feature; plain subscribers
     * run only in event_emit */
    CHECK_STR(pipe_trace, "a+ b+ a1 b- ");
    CHECK(cx.rc == RES_OK && cx.errmsg == NULL);
    CHECK(ev_calls[2] == 0);
    pipe_trace[0] = '\0';
    event_pipe_append(&cx, &ev, &p);
    event_pipe_collect(&cx, &p, 0);
    event_pipe_collect(&cx, &p, 0); /* twice: the second is a no-op */
    CHECK_STR(pipe_trace, "a+ b+ a0 b- ");
    pipe_trace[0] = '\0';
    event_emit(&cx, &ev);
    CHECK(pipe_trace[0] == '\0' && ev_calls[2] == 7);
    /* other kinds reach nobody */
    ev.kind = EVENT_USER_FOLLOWED;
    CHECK(event_pipe_append(&cx, &ev, &p) == 0);
    event_pipe_collect(&cx, &p, -1);
    CHECK(pipe_trace[0] == '\0');
    event_reset();
}

int
main(void)
{
    A = arena_new();
    util_rand_init();
    RUN(test_route_literal_beats_param);
    RUN(test_route_params_and_methods);
    RUN(test_qs_parse);
    RUN(test_query_numbers);
    RUN(test_path_ids);
    RUN(test_json_body);
    RUN(test_u64_and_entry_ids);
    RUN(test_url_decode);
    RUN(test_utf8_and_escape);
    RUN(test_envelope);
    RUN(test_dispatch_gates);
    RUN(test_dispatch_redis_optional);
    RUN(test_reply_raw);
    RUN(test_cfg_line);
    RUN(test_arena_defer_order);
    RUN(test_dates);
    RUN(test_ctx_and_events);
    RUN(test_pipelined_events);
    arena_free(A);
    T_DONE();
}
