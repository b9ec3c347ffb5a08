/*
 * frame.c: bytes the SSE gateway sends (see frame.h). Everything here is
 * pure: the relay hands in a stream entry's fields and gets the event
 * text, once per entry, which it then copies to every connection of the
 * entry's user.
 */
#include "frame.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
sse_buf_add(struct sse_buf *b, const char *s, size_t n)
{
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->n + n)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (p == NULL)
            abort();
        b->p = p;
        b->cap = cap;
    }
    if (n)
        memcpy(b->p + b->n, s, n);
    b->n += n;
}

void
sse_buf_adds(struct sse_buf *b, const char *s)
{
    sse_buf_add(b, s, strlen(s));
}

void
sse_buf_free(struct sse_buf *b)
{
    free(b->p);
    b->p = NULL;
    b->n = b->cap = 0;
}

void
sse_frame_open(struct sse_buf *b)
{
    /* No Content-Length and no chunking: the body ends when the
     * connection does. nginx (proxy_http_version 1.1) re-chunks it for
     * its client and, since X-Accel-Buffering is no, passes every write
     * on at once. */
    sse_buf_adds(b, "HTTP/1.1 200 OK\r\n"
                    "Content-Type: text/event-stream\r\n"
                    "Cache-Control: no-cache\r\n"
                    "X-Accel-Buffering: no\r\n"
                    "Connection: close\r\n"
                    "\r\n"
                    "retry: 3000\n\n");
}

/* Appends s[0..n) with CR and LF turned into spaces. */
static void
sse_frame_oneline(struct sse_buf *b, const char *s, size_t n)
{
    size_t from = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\r' || s[i] == '\n') {
            sse_buf_add(b, s + from, i - from);
            sse_buf_add(b, " ", 1);
            from = i + 1;
        }
    }
    sse_buf_add(b, s + from, n - from);
}

static int
sse_frame_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int
sse_frame_event(struct sse_buf *b, const char *id, size_t idn, const char *m,
                size_t mn, const char *u, size_t un)
{
    /* m must be one object: trim, then '{' ... '}' */
    while (mn > 0 && sse_frame_space(m[0])) {
        m++;
        mn--;
    }
    while (mn > 0 && sse_frame_space(m[mn - 1]))
        mn--;
    if (mn < 2 || m[0] != '{' || m[mn - 1] != '}')
        return -1;
    m++;
    mn--; /* m is now the members and the closing brace */
    size_t k = 0;
    while (k < mn && sse_frame_space(m[k]))
        k++;
    int empty = m[k] == '}';

    sse_buf_add(b, "id: ", 4);
    sse_buf_add(b, id, idn);
    sse_buf_adds(b, "\nevent: message\ndata: {");
    while (un > 0 && sse_frame_space(u[0])) {
        u++;
        un--;
    }
    if (u != NULL && un > 0) {
        sse_buf_adds(b, "\"user\":");
        sse_frame_oneline(b, u, un);
        sse_buf_add(b, ",", 1);
    }
    sse_buf_adds(b, "\"message\":{\"id\":\"");
    sse_buf_add(b, id, idn);
    sse_buf_add(b, empty ? "\"" : "\",", empty ? 1 : 2);
    sse_frame_oneline(b, m, mn);
    sse_buf_add(b, "}\n\n", 3);
    return 0;
}

void
sse_frame_reset(struct sse_buf *b)
{
    sse_buf_adds(b, "event: reset\ndata: {\"reason\":\"gap\"}\n\n");
}

static const char *
sse_frame_status_text(int status)
{
    switch (status) {
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 503:
        return "Service Unavailable";
    default:
        return "Internal Server Error";
    }
}

void
sse_frame_error(struct sse_buf *b, int status, const char *msg)
{
    char body[512], head[256];
    int bn = snprintf(body, sizeof(body),
                      "{\"success\":false,\"errorMsg\":\"%s\"}", msg);
    if (bn < 0 || (size_t)bn >= sizeof(body))
        bn = snprintf(body, sizeof(body), "{\"success\":false}");
    int hn = snprintf(head, sizeof(head),
                      "HTTP/1.1 %d %s\r\n"
                      "Content-Type: application/json;charset=UTF-8\r\n"
                      "Cache-Control: no-store\r\n"
                      "Content-Length: %d\r\n"
                      "Connection: close\r\n"
                      "\r\n",
                      status, sse_frame_status_text(status), bn);
    sse_buf_add(b, head, (size_t)hn);
    sse_buf_add(b, body, (size_t)bn);
}
