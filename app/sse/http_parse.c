/*
 * http_parse.c: the request-head parser of the SSE gateway, after nginx's
 * ngx_http_parse_request_line: a state machine whose whole state lives in
 * struct sse_http, so a head split across any number of reads (down to
 * one byte each) parses exactly as if it came in one piece. It keeps only
 * what the gateway needs (method, target, version, the Authorization and
 * Last-Event-ID values); every other header is checked for shape and
 * dropped. It refuses what a proxy should never send: line folding,
 * control characters, a header without a colon, a duplicated header the
 * gateway reads (which value would win is a classic smuggling question).
 *
 * Also here, because they are the same kind of pure byte-checking: the
 * query-string lookup, stream entry ids and the token's shape.
 */
#include "http_parse.h"
#include "../core/str.h"

#include <string.h>

enum {
    S_METHOD = 0,
    S_TARGET,
    S_VERSION,
    S_LINE_LF,
    S_NAME_START,
    S_NAME,
    S_VALUE_START,
    S_VALUE,
    S_VALUE_LF,
    S_END_LF,
    S_DONE,
    S_BAD,
    S_TOO_LONG
};

void
sse_http_init(struct sse_http *h)
{
    memset(h, 0, sizeof(*h));
    h->state = S_METHOD;
}

/* RFC 9110 tchar */
static int
sse_http_tchar(unsigned char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
        (c >= '0' && c <= '9'))
        return 1;
    return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* The header whose value we keep, from its lower-cased name; NULL for
 * the rest. A name cut at the buffer's size matches nothing. */
static struct sse_http_value *
sse_http_pick(struct sse_http *h)
{
    if (h->name_n >= sizeof(h->name))
        return NULL;
    h->name[h->name_n] = '\0';
    if (strcmp(h->name, "authorization") == 0)
        return &h->authorization;
    if (strcmp(h->name, "last-event-id") == 0)
        return &h->last_event_id;
    return NULL;
}

static void
sse_http_value_end(struct sse_http *h)
{
    struct sse_http_value *v = h->cur;
    if (v != NULL && !v->too_long) {
        while (v->n > 0 && (v->s[v->n - 1] == ' ' || v->s[v->n - 1] == '\t'))
            v->n--;
        v->s[v->n] = '\0';
    }
    h->cur = NULL;
}

/* 1 for "HTTP/1.<digit>" */
static int
sse_http_version_ok(const struct sse_http *h)
{
    return h->version_n == 8 && memcmp(h->version, "HTTP/1.", 7) == 0 &&
           h->version[7] >= '0' && h->version[7] <= '9';
}

/* One byte; returns the new state. */
static int
sse_http_step(struct sse_http *h, unsigned char c)
{
    switch (h->state) {
    case S_METHOD:
        if (h->method_n == 0 && (c == '\r' || c == '\n'))
            return S_METHOD; /* RFC 9112 2.2: ignore empty lines first */
        if (c == ' ')
            return h->method_n ? S_TARGET : S_BAD;
        if (!sse_http_tchar(c) || h->method_n + 1 >= sizeof(h->method))
            return S_BAD;
        h->method[h->method_n++] = (char)c;
        return S_METHOD;
    case S_TARGET:
        if (c == ' ')
            return h->target_n ? S_VERSION : S_BAD;
        if (h->target_n == 0 && c != '/')
            return S_BAD; /* origin form only: a proxy sends nothing else */
        if (c <= 0x20 || c == 0x7f)
            return S_BAD;
        if (h->target_n >= SSE_HTTP_TARGET_MAX)
            return S_TOO_LONG;
        h->target[h->target_n++] = (char)c;
        return S_TARGET;
    case S_VERSION:
        if (c == '\r' || c == '\n') {
            if (!sse_http_version_ok(h))
                return S_BAD;
            h->version[h->version_n] = '\0';
            return c == '\r' ? S_LINE_LF : S_NAME_START;
        }
        if (h->version_n >= 8)
            return S_BAD;
        h->version[h->version_n++] = (char)c;
        return S_VERSION;
    case S_LINE_LF:
        return c == '\n' ? S_NAME_START : S_BAD;
    case S_NAME_START:
        if (c == '\r')
            return S_END_LF;
        if (c == '\n')
            return S_DONE;
        if (!sse_http_tchar(c))
            return S_BAD; /* includes obsolete line folding */
        h->name_n = 0;
        /* fall through */
    case S_NAME:
        if (c == ':') {
            h->cur = sse_http_pick(h);
            if (h->cur != NULL) {
                if (h->cur->seen)
                    return S_BAD;
                h->cur->seen = 1;
            }
            return S_VALUE_START;
        }
        if (!sse_http_tchar(c))
            return S_BAD;
        if (h->name_n < sizeof(h->name))
            h->name[h->name_n++] =
                (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
        return S_NAME;
    case S_VALUE_START:
        if (c == ' ' || c == '\t')
            return S_VALUE_START;
        /* fall through */
    case S_VALUE:
        if (c == '\r')
            return S_VALUE_LF;
        if (c == '\n') {
            sse_http_value_end(h);
            return S_NAME_START;
        }
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return S_BAD;
        if (h->cur != NULL && !h->cur->too_long) {
            if (h->cur->n >= SSE_HTTP_VALUE_MAX) {
                h->cur->too_long = 1;
                h->cur->n = 0;
                h->cur->s[0] = '\0';
            } else {
                h->cur->s[h->cur->n++] = (char)c;
            }
        }
        return S_VALUE;
    case S_VALUE_LF:
        if (c != '\n')
            return S_BAD;
        sse_http_value_end(h);
        return S_NAME_START;
    case S_END_LF:
        return c == '\n' ? S_DONE : S_BAD;
    }
    return h->state;
}

enum sse_http_rc
sse_http_feed(struct sse_http *h, const char *buf, size_t n, size_t *used)
{
    size_t i = 0;
    while (i < n && h->state < S_DONE) {
        if (h->total >= SSE_HTTP_HEAD_MAX) {
            h->state = S_TOO_LONG;
            break;
        }
        h->total++;
        h->state = sse_http_step(h, (unsigned char)buf[i++]);
    }
    if (used != NULL)
        *used = i;
    switch (h->state) {
    case S_DONE:
        h->target[h->target_n] = '\0';
        h->method[h->method_n] = '\0';
        return SSE_HTTP_DONE;
    case S_BAD:
        return SSE_HTTP_BAD;
    case S_TOO_LONG:
        return SSE_HTTP_TOO_LONG;
    default:
        return SSE_HTTP_MORE;
    }
}

size_t
sse_http_path_len(const char *target)
{
    return strcspn(target, "?");
}

int
sse_http_query(const char *target, const char *name, char *out, size_t outn)
{
    const char *q = strchr(target, '?');
    size_t nl = strlen(name);
    if (q == NULL || outn == 0)
        return 0;
    for (const char *p = q + 1; *p;) {
        size_t len = strcspn(p, "&");
        const char *eq = memchr(p, '=', len);
        size_t kl = eq ? (size_t)(eq - p) : len;
        /* names are matched undecoded: ours are plain ASCII */
        if (kl == nl && memcmp(p, name, nl) == 0) {
            const char *v = eq ? eq + 1 : p + len;
            return str_url_decode(v, (size_t)(p + len - v), out, outn, 1) < 0
                       ? -1
                       : 1;
        }
        p += len;
        if (*p == '&')
            p++;
    }
    return 0;
}

int
sse_id_parse(const char *s, size_t n, struct sse_id *id)
{
    return str_parse_entry_id(s, n, &id->ms, &id->seq);
}

int
sse_id_cmp(const struct sse_id *a, const struct sse_id *b)
{
    if (a->ms != b->ms)
        return a->ms < b->ms ? -1 : 1;
    if (a->seq != b->seq)
        return a->seq < b->seq ? -1 : 1;
    return 0;
}

/* Writes v in decimal at p; returns the number of digits. */
static size_t
sse_id_u64(uint64_t v, char *p)
{
    char tmp[21];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (size_t i = 0; i < n; i++)
        p[i] = tmp[n - 1 - i];
    return n;
}

size_t
sse_id_fmt(const struct sse_id *id, char *buf)
{
    size_t n = sse_id_u64(id->ms, buf);
    buf[n++] = '-';
    n += sse_id_u64(id->seq, buf + n);
    buf[n] = '\0';
    return n;
}

int
sse_token_shape_ok(const char *t)
{
    size_t i;
    for (i = 0; t[i]; i++)
        if (i >= 32 ||
            !((t[i] >= '0' && t[i] <= '9') || (t[i] >= 'a' && t[i] <= 'f')))
            return 0;
    return i == 32;
}
