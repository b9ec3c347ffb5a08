/*
 * fuzz_route.c: libFuzzer harness for route_match over the worker's real
 * route tables: app/wire.c's wire_tables, including routes added later.
 *
 * Input: first byte picks the method, the rest is the path as nginx passes
 * DOCUMENT_URI (any bytes up to a NUL). Checks: a match fills parameters
 * that are non-empty, contain no '/', and are exactly as many as the
 * pattern has; RES_NOT_FOUND / RES_METHOD otherwise; nothing else.
 *
 * Build and run: make fuzz (FUZZ_SECONDS per harness).
 */
#include "../../app/wire.h"

#include "../../app/core/arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct arena *fz_arena;

static int
fz_count_params(const char *pat)
{
    int n = 0;
    for (const char *p = pat; *p; p++)
        if (*p == '{')
            n++;
    return n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const enum http_method methods[] = {
        HTTP_GET, HTTP_POST, HTTP_PUT, HTTP_DELETE, HTTP_HEAD, HTTP_OTHER};
    if (size == 0)
        return 0;
    if (fz_arena == NULL)
        fz_arena = arena_new();
    struct req rq;
    memset(&rq, 0, sizeof(rq));
    rq.cx.arena = fz_arena;
    rq.method = methods[data[0] % 6];
    rq.method_str = "X";
    rq.path = arena_strndup(fz_arena, (const char *)data + 1, size - 1);
    rq.query = "";
    rq.content_type = "";

    const struct route *r = NULL;
    res_t rc = route_match(wire_tables, &rq, &r);
    if (rc == RES_OK) {
        if (r == NULL || r->fn == NULL || r->pattern == NULL)
            abort();
        unsigned m = rq.method == HTTP_HEAD ? HTTP_GET : rq.method;
        if (!(r->methods & m))
            abort();
        int want = fz_count_params(r->pattern);
        if (want > REQ_MAX_PARAMS)
            want = REQ_MAX_PARAMS;
        if (rq.nparams != want)
            abort();
        for (int i = 0; i < rq.nparams; i++) {
            const char *v = rq.params[i].val;
            if (v == NULL || v[0] == '\0' || strchr(v, '/'))
                abort();
            /* the parameter is a piece of the path */
            if (strstr(rq.path, v) == NULL)
                abort();
            int64_t id;
            rq.cx.rc = RES_OK;
            (void)req_path_i64(&rq, rq.params[i].name, &id);
        }
    } else if (rc != RES_NOT_FOUND && rc != RES_METHOD) {
        abort();
    }
    arena_reset(fz_arena);
    return 0;
}
