/*
 * fuzz_sse_http.c: libFuzzer harness for the SSE gateway's request-head
 * parser (app/sse/http_parse.c). The input is fed twice, whole and in
 * pieces whose sizes come from the input's first byte, and both runs
 * must agree on the verdict and on everything parsed: the parser is
 * resumable, so where the reads split must not matter. It then checks
 * the parser's contracts (strings terminated and within bounds, the head
 * limit) and runs the query, id and token helpers over what it parsed.
 *
 * Build and run: make fuzz (FUZZ_SECONDS per harness).
 */
#include "../../app/sse/http_parse.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static enum sse_http_rc
fz_feed(struct sse_http *h, const uint8_t *d, size_t n, size_t step,
        size_t *consumed)
{
    enum sse_http_rc rc = SSE_HTTP_MORE;
    size_t off = 0, used;
    sse_http_init(h);
    while (off < n && rc == SSE_HTTP_MORE) {
        size_t k = n - off < step ? n - off : step;
        rc = sse_http_feed(h, (const char *)d + off, k, &used);
        if (used > k)
            abort();
        off += used;
    }
    *consumed = off;
    return rc;
}

static void
fz_check_value(const struct sse_http_value *v)
{
    if (v->n > SSE_HTTP_VALUE_MAX || v->s[v->n] != '\0' ||
        strlen(v->s) != v->n || (v->too_long && v->n != 0))
        abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct sse_http a, b;
    size_t step = size ? (size_t)data[0] % 17 + 1 : 1, na, nb;
    enum sse_http_rc ra = fz_feed(&a, data, size, size ? size : 1, &na);
    enum sse_http_rc rb = fz_feed(&b, data, size, step, &nb);
    if (ra != rb)
        abort();
    if (ra == SSE_HTTP_DONE && na != nb)
        abort();
    if (a.total > SSE_HTTP_HEAD_MAX)
        abort();
    if (ra != SSE_HTTP_DONE)
        return 0;
    if (strcmp(a.target, b.target) || strcmp(a.method, b.method) ||
        strcmp(a.authorization.s, b.authorization.s) ||
        strcmp(a.last_event_id.s, b.last_event_id.s) ||
        a.authorization.seen != b.authorization.seen ||
        a.last_event_id.too_long != b.last_event_id.too_long)
        abort();
    if (a.target[0] != '/' || strlen(a.target) != a.target_n ||
        a.target_n > SSE_HTTP_TARGET_MAX || strlen(a.method) == 0 ||
        strncmp(a.version, "HTTP/1.", 7) != 0)
        abort();
    fz_check_value(&a.authorization);
    fz_check_value(&a.last_event_id);

    char out[SSE_HTTP_VALUE_MAX + 1];
    int q = sse_http_query(a.target, "token", out, sizeof(out));
    if (q == 1 && strlen(out) >= sizeof(out))
        abort();
    (void)sse_token_shape_ok(q == 1 ? out : a.authorization.s);
    struct sse_id id;
    char buf[SSE_ID_BUF];
    if (sse_id_parse(a.last_event_id.s, a.last_event_id.n, &id) == 0) {
        /* what parses formats back to itself, less any leading zeros */
        size_t n = sse_id_fmt(&id, buf);
        struct sse_id back;
        if (sse_id_parse(buf, n, &back) < 0 || sse_id_cmp(&id, &back) != 0)
            abort();
    }
    return 0;
}
