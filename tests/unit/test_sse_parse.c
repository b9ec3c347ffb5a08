/*
 * test_sse_parse.c: the SSE gateway's pure code (app/sse/http_parse.c,
 * app/sse/frame.c): the request-head parser fed whole and one byte at a
 * time (it must give the same result), query lookup, entry ids, token
 * shape and event framing.
 */
#include "../../app/sse/frame.h"
#include "../../app/sse/http_parse.h"
#include "t.h"

#include <stdlib.h>

/* Feeds s in pieces of step bytes (0: all at once); returns the result
 * and leaves the parsed head in *h. */
static enum sse_http_rc
feed(struct sse_http *h, const char *s, size_t step)
{
    size_t n = strlen(s), off = 0, used = 0;
    enum sse_http_rc rc = SSE_HTTP_MORE;
    sse_http_init(h);
    if (step == 0)
        step = n ? n : 1;
    while (off < n && rc == SSE_HTTP_MORE) {
        size_t k = n - off < step ? n - off : step;
        rc = sse_http_feed(h, s + off, k, &used);
        off += used;
    }
    return rc;
}

static const char *good_head =
    "GET /message/sse?token=abc&lastEventId=1-2 HTTP/1.1\r\n"
    "Host: 127.0.0.1:8084\r\n"
    "AUTHORIZATION:   0123456789abcdef0123456789abcdef  \r\n"
    "Last-Event-ID: 1764583200000-7\r\n"
    "X-Other: whatever, with: colons\r\n"
    "\r\n";

static void
test_head_whole_and_bytewise(void)
{
    size_t steps[] = {0, 1, 2, 3, 7, 64};
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        struct sse_http *h = malloc(sizeof(*h));
        CHECK(feed(h, good_head, steps[i]) == SSE_HTTP_DONE);
        CHECK_STR(h->method, "GET");
        CHECK_STR(h->target, "/message/sse?token=abc&lastEventId=1-2");
        CHECK_STR(h->version, "HTTP/1.1");
        CHECK(h->authorization.seen);
        CHECK_STR(h->authorization.s, "0123456789abcdef0123456789abcdef");
        CHECK(h->last_event_id.seen);
        CHECK_STR(h->last_event_id.s, "1764583200000-7");
        CHECK(h->total == strlen(good_head));
        free(h);
    }
}

static void
test_head_stops_at_blank_line(void)
{
    struct sse_http h;
    const char *s = "GET / HTTP/1.0\n\nBODY";
    size_t used = 0;
    sse_http_init(&h);
    CHECK(sse_http_feed(&h, s, strlen(s), &used) == SSE_HTTP_DONE);
    CHECK(used == strlen(s) - 4);
    CHECK(!h.authorization.seen && !h.last_event_id.seen);
    /* leading empty lines are ignored (RFC 9112 2.2) */
    CHECK(feed(&h, "\r\nGET /x HTTP/1.1\r\n\r\n", 1) == SSE_HTTP_DONE);
    CHECK_STR(h.target, "/x");
}

static void
test_head_incomplete(void)
{
    struct sse_http h;
    CHECK(feed(&h, "GET /message/sse HTTP/1.1\r\nHost: x\r\n", 1) ==
          SSE_HTTP_MORE);
    CHECK(feed(&h, "GET /message/sse HTTP/1.1\r\nHost: x\r\n\r", 0) ==
          SSE_HTTP_MORE);
    CHECK(feed(&h, "", 0) == SSE_HTTP_MORE);
}

static void
test_head_bad(void)
{
    static const char *bad[] = {
        " GET / HTTP/1.1\r\n\r\n",            /* space first */
        "GET  / HTTP/1.1\r\n\r\n",            /* empty target */
        "GET http://x/ HTTP/1.1\r\n\r\n",     /* absolute form */
        "GET / HTTP/2.0\r\n\r\n",             /* not 1.x */
        "GET / HTTP/1.1 \r\n\r\n",            /* junk after version */
        "GET / HTTP/1.1\r\nHost x\r\n\r\n",   /* no colon */
        "GET / HTTP/1.1\r\n folded\r\n\r\n",  /* obsolete folding */
        "GET / HTTP/1.1\r\nA: b\x01\r\n\r\n", /* control character */
        "GET / HTTP/1.1\r\nA: b\rc\r\n\r\n",  /* bare CR */
        "G(T / HTTP/1.1\r\n\r\n",             /* bad method char */
        "GET /a\x7f HTTP/1.1\r\n\r\n",        /* DEL in target */
        "GET / HTTP/1.1\r\n: empty\r\n\r\n",  /* empty name */
        "GET / HTTP/1.1\r\n\rX",              /* CR without LF */
        "GET / HTTP/1.1\r\nAuthorization: a\r\nauthorization: b\r\n\r\n",
        "GET / HTTP/1.1\r\nLast-Event-ID: 1-1\r\nLAST-EVENT-ID: 2-2\r\n\r\n",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct sse_http h;
        int whole = feed(&h, bad[i], 0) == SSE_HTTP_BAD;
        int bytes = feed(&h, bad[i], 1) == SSE_HTTP_BAD;
        if (!whole || !bytes)
            printf("  case %zu: \"%s\"\n", i, bad[i]);
        CHECK(whole && bytes);
        /* stuck: more input does not change the verdict */
        CHECK(sse_http_feed(&h, "\r\n\r\n", 4, NULL) == SSE_HTTP_BAD);
    }
}

static void
test_head_limits(void)
{
    struct sse_http *h = malloc(sizeof(*h));
    size_t n = SSE_HTTP_TARGET_MAX + 64;
    char *s = malloc(n + 32);
    memcpy(s, "GET /", 5);
    memset(s + 5, 'a', n);
    strcpy(s + 5 + n, " HTTP/1.1\r\n\r\n");
    CHECK(feed(h, s, 1) == SSE_HTTP_TOO_LONG);
    /* a head over SSE_HTTP_HEAD_MAX through many short headers */
    size_t m = SSE_HTTP_HEAD_MAX + 100;
    char *big = malloc(m + 64);
    strcpy(big, "GET / HTTP/1.1\r\n");
    size_t k = strlen(big);
    while (k < m) {
        memcpy(big + k, "X-A: b\r\n", 8);
        k += 8;
    }
    strcpy(big + k, "\r\n");
    CHECK(feed(h, big, 0) == SSE_HTTP_TOO_LONG);
    CHECK(feed(h, big, 1) == SSE_HTTP_TOO_LONG);
    /* an over-long value of a kept header is marked, not an error */
    char *lv = malloc(SSE_HTTP_VALUE_MAX + 128);
    strcpy(lv, "GET / HTTP/1.1\r\nAuthorization: ");
    k = strlen(lv);
    memset(lv + k, 'f', SSE_HTTP_VALUE_MAX + 1);
    strcpy(lv + k + SSE_HTTP_VALUE_MAX + 1, "\r\n\r\n");
    CHECK(feed(h, lv, 1) == SSE_HTTP_DONE);
    CHECK(h->authorization.seen && h->authorization.too_long);
    CHECK(h->authorization.n == 0);
    /* a long name that starts like a kept one matches nothing */
    CHECK(feed(h,
               "GET / HTTP/1.1\r\nAuthorization-And-Then-Much-More: x\r\n\r\n",
               1) == SSE_HTTP_DONE);
    CHECK(!h->authorization.seen);
    free(lv);
    free(big);
    free(s);
    free(h);
}

static void
test_query(void)
{
    char out[16];
    const char *t = "/message/sse?a=1&token=ab%2Fc+d&empty=&bare&x=%zz";
    CHECK(sse_http_query(t, "token", out, sizeof(out)) == 1);
    CHECK_STR(out, "ab/c d");
    CHECK(sse_http_query(t, "a", out, sizeof(out)) == 1);
    CHECK_STR(out, "1");
    CHECK(sse_http_query(t, "empty", out, sizeof(out)) == 1);
    CHECK_STR(out, "");
    CHECK(sse_http_query(t, "bare", out, sizeof(out)) == 1);
    CHECK_STR(out, "");
    CHECK(sse_http_query(t, "x", out, sizeof(out)) == -1);
    CHECK(sse_http_query(t, "tok", out, sizeof(out)) == 0);
    CHECK(sse_http_query("/p", "a", out, sizeof(out)) == 0);
    CHECK(sse_http_query("/p?a=%00", "a", out, sizeof(out)) == -1);
    CHECK(sse_http_query("/p?a=%4", "a", out, sizeof(out)) == -1);
    CHECK(sse_http_query("/p?a=0123456789abcdef", "a", out, sizeof(out)) == -1);
    CHECK(sse_http_path_len("/message/sse?x") == 12);
    CHECK(sse_http_path_len("/message/sse") == 12);
}

static void
test_ids(void)
{
    struct sse_id a, b;
    char buf[SSE_ID_BUF];
    CHECK(sse_id_parse("1764583200000-0", 15, &a) == 0);
    CHECK(a.ms == 1764583200000ull && a.seq == 0);
    CHECK(sse_id_parse("18446744073709551615-18446744073709551615", 41, &b) ==
          0);
    CHECK(sse_id_fmt(&b, buf) == 41);
    CHECK_STR(buf, "18446744073709551615-18446744073709551615");
    CHECK(sse_id_cmp(&a, &b) < 0 && sse_id_cmp(&b, &a) > 0);
    CHECK(sse_id_cmp(&a, &a) == 0);
    sse_id_fmt(&a, buf);
    CHECK_STR(buf, "1764583200000-0");
    static const char *bad[] = {
        "",    "1",    "-1",   "1-",   "1--1",  "a-1",
        "1-b", " 1-1", "1-1 ", "+1-1", "1-1-1", "18446744073709551616-0"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        CHECK(sse_id_parse(bad[i], strlen(bad[i]), &a) < 0);
    /* length-bounded: a trailing NUL or byte outside n does not count */
    CHECK(sse_id_parse("5-6xyz", 3, &a) == 0 && a.ms == 5 && a.seq == 6);
    b.ms = 5;
    b.seq = 7;
    CHECK(sse_id_cmp(&a, &b) < 0);
}

static void
test_token_shape(void)
{
    CHECK(sse_token_shape_ok("0123456789abcdef0123456789abcdef"));
    CHECK(!sse_token_shape_ok("0123456789ABCDEF0123456789abcdef"));
    CHECK(!sse_token_shape_ok("0123456789abcdef0123456789abcde"));
    CHECK(!sse_token_shape_ok("0123456789abcdef0123456789abcdef0"));
    CHECK(!sse_token_shape_ok(""));
    CHECK(!sse_token_shape_ok("0123456789abcdef0123456789abcde*"));
}

static char *
bufstr(struct sse_buf *b)
{
    sse_buf_add(b, "", 1);
    return b->p;
}

static void
test_frame_event(void)
{
    struct sse_buf b = {0};
    const char *m = "{\"from\":5,\"to\":2,\"type\":\"like\",\"content\":"
                    "\"点赞了你的博客\",\"refId\":4,\"time\":"
                    "\"2026-12-01T10:00:00\"}";
    const char *u = "{\"id\":5,\"nickName\":\"小鱼\",\"icon\":\"/imgs/x.jpg\"}";
    CHECK(sse_frame_event(&b, "1764583200000-0", 15, m, strlen(m), u,
                          strlen(u)) == 0);
    CHECK_STR(bufstr(&b),
              "id: 1764583200000-0\nevent: message\ndata: "
              "{\"user\":{\"id\":5,\"nickName\":\"小鱼\",\"icon\":\"/imgs/"
              "x.jpg\"},\"message\":{\"id\":\"1764583200000-0\",\"from\":5,"
              "\"to\":2,\"type\":\"like\",\"content\":\"点赞了你的博客\","
              "\"refId\":4,\"time\":\"2026-12-01T10:00:00\"}}\n\n");
    sse_buf_free(&b);

    /* system message: no u */
    const char *mo = "{\"from\":0,\"to\":2,\"type\":\"order\",\"refId\":\"9\"}";
    CHECK(sse_frame_event(&b, "1-1", 3, mo, strlen(mo), NULL, 0) == 0);
    CHECK_STR(bufstr(&b), "id: 1-1\nevent: message\ndata: {\"message\":{\"id\":"
                          "\"1-1\",\"from\":0,\"to\":2,\"type\":\"order\","
                          "\"refId\":\"9\"}}\n\n");
    sse_buf_free(&b);

    /* line breaks (JSON whitespace) never split the data line; an empty
     * object gets no dangling comma */
    CHECK(sse_frame_event(&b, "2-0", 3, " {\n}\r\n", 6, "{\"id\":1,\n\"x\":2}",
                          15) == 0);
    CHECK_STR(bufstr(&b), "id: 2-0\nevent: message\ndata: {\"user\":{\"id\":1, "
                          "\"x\":2},\"message\":{\"id\":\"2-0\" }}\n\n");
    sse_buf_free(&b);

    /* not an object: refused, nothing written */
    CHECK(sse_frame_event(&b, "3-0", 3, "[1]", 3, NULL, 0) < 0);
    CHECK(sse_frame_event(&b, "3-0", 3, "{", 1, NULL, 0) < 0);
    CHECK(sse_frame_event(&b, "3-0", 3, "", 0, NULL, 0) < 0);
    CHECK(b.n == 0);
    sse_buf_free(&b);
}

static void
test_frame_other(void)
{
    struct sse_buf b = {0};
    sse_frame_open(&b);
    char *s = bufstr(&b);
    CHECK(strstr(s, "HTTP/1.1 200 OK\r\n") == s);
    CHECK(strstr(s, "\r\nContent-Type: text/event-stream\r\n") != NULL);
    CHECK(strstr(s, "\r\nCache-Control: no-cache\r\n") != NULL);
    CHECK(strstr(s, "\r\nX-Accel-Buffering: no\r\n") != NULL);
    CHECK(strlen(s) > 17 &&
          strcmp(s + strlen(s) - 17, "\r\n\r\nretry: 3000\n\n") == 0);
    sse_buf_free(&b);
    sse_frame_reset(&b);
    CHECK_STR(bufstr(&b), "event: reset\ndata: {\"reason\":\"gap\"}\n\n");
    sse_buf_free(&b);
    sse_frame_error(&b, 401, "请先登录");
    s = bufstr(&b);
    CHECK(strstr(s, "HTTP/1.1 401 Unauthorized\r\n") == s);
    CHECK(strstr(s, "Content-Length: 43\r\n") != NULL);
    const char *body = strstr(s, "\r\n\r\n");
    CHECK(body && strcmp(body + 4,
                         "{\"success\":false,\"errorMsg\":\"请先登录\"}") == 0);
    sse_buf_free(&b);
}

int
main(void)
{
    RUN(test_head_whole_and_bytewise);
    RUN(test_head_stops_at_blank_line);
    RUN(test_head_incomplete);
    RUN(test_head_bad);
    RUN(test_head_limits);
    RUN(test_query);
    RUN(test_ids);
    RUN(test_token_shape);
    RUN(test_frame_event);
    RUN(test_frame_other);
    T_DONE();
}
