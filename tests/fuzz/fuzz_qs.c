/*
 * fuzz_qs.c: libFuzzer harness for the query-string and path-id helpers
 * of core/req.c. The input is a query string as nginx would pass it
 * (QUERY_STRING, NUL-terminated, any bytes but NUL); the harness parses it
 * with req_qs_parse, then reads it through a fake struct req the way handlers
 * do (req_query, req_query_i64/_req, req_query_dbl), and feeds the same
 * bytes to the path-id, number and UTF-8 helpers. It checks the helpers'
 * contracts, not just that they do not crash: a value that passed
 * validation lies in its range, decoded pairs never contain a NUL, and
 * failures leave a message on the request.
 *
 * Build and run: make fuzz (FUZZ_SECONDS per harness).
 */
#include "../../app/core/arena.h"
#include "../../app/core/req.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct arena *fz_arena;

static void
fz_req(struct req *rq, const char *query)
{
    memset(rq, 0, sizeof(*rq));
    rq->cx.arena = fz_arena;
    rq->method = HTTP_GET;
    rq->method_str = "GET";
    rq->path = "/fuzz";
    rq->query = query;
    rq->content_type = "";
}

/* A failed validator must have left its code and a message. */
static void
fz_check_fail(const struct req *rq, res_t rc)
{
    if (rc != RES_OK && (rq->cx.rc != rc || rq->cx.errmsg == NULL))
        abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (fz_arena == NULL)
        fz_arena = arena_new();
    char *s = arena_strndup(fz_arena, (const char *)data, size);
    /* a NUL in the input ends the string, as it would in a CGI param */

    struct qs_pair *pairs;
    size_t n;
    if (req_qs_parse(fz_arena, s, &pairs, &n) == 0) {
        for (size_t i = 0; i < n; i++) {
            if (pairs[i].key == NULL || pairs[i].val == NULL ||
                pairs[i].key[0] == '\0')
                abort();
            /* decoding only shrinks */
            if (strlen(pairs[i].key) > strlen(s) ||
                strlen(pairs[i].val) > strlen(s))
                abort();
        }
    }

    struct req rq;
    int64_t v;
    res_t rc;
    fz_req(&rq, s);
    (void)req_query(&rq, "current");
    rc = req_query_i64(&rq, "current", 1, 1, 100000, &v);
    fz_check_fail(&rq, rc);
    if (rc == RES_OK && (v < 1 || v > 100000))
        abort();
    fz_req(&rq, s);
    rc = req_query_i64_req(&rq, "id", 1, INT64_MAX, &v);
    fz_check_fail(&rq, rc);
    if (rc == RES_OK && v < 1)
        abort();
    fz_req(&rq, s);
    double d = 0;
    int present = 0;
    rc = req_query_dbl(&rq, "x", -180, 180, &d, &present);
    fz_check_fail(&rq, rc);
    if (rc == RES_OK && present && (!isfinite(d) || d < -180 || d > 180))
        abort();
    fz_req(&rq, s);
    const char *name = req_query(&rq, "name");
    if (name && rq.qs_state != 1)
        abort();

    /* the same bytes as a path parameter and as a bare number */
    fz_req(&rq, "");
    rq.nparams = 1;
    rq.params[0].name = "id";
    rq.params[0].val = s;
    rc = req_path_i64(&rq, "id", &v);
    fz_check_fail(&rq, rc);
    if (rc == RES_OK && v <= 0)
        abort();
    if (str_parse_i64(s, &v) == 0) {
        /* strict: an optional '-' and digits only, and no overflow */
        if (s[strspn(s, "-0123456789")] != '\0' || strchr(s + 1, '-') != NULL ||
            strtoll(s, NULL, 10) != v)
            abort();
    }
    (void)str_utf8_len((const char *)data, size);
    (void)str_html_escape(fz_arena, s);

    arena_reset(fz_arena);
    return 0;
}
