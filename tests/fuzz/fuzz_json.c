/*
 * fuzz_json.c: libFuzzer harness for the JSON body helpers of core/req.c.
 * The input is a request body (any bytes, NULs included; the worker
 * appends a NUL after body_len as fcgi_read_body does). req_json must
 * either return an object or fail with 400 and a message; then every key
 * of the object, plus the field names handlers use, goes through
 * req_json_str, req_json_i64 and req_json_dbl, and whatever they accept
 * must satisfy their contracts (valid UTF-8 without NUL within max code
 * points, integers and doubles finite and in range).
 *
 * Build and run: make fuzz (FUZZ_SECONDS per harness).
 */
#include "../../app/core/arena.h"
#include "../../app/core/req.h"

#include <json-c/json.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct arena *fz_arena;

static void
fz_req(struct req *rq, const char *body, size_t n)
{
    memset(rq, 0, sizeof(*rq));
    rq->cx.arena = fz_arena;
    rq->method = HTTP_POST;
    rq->method_str = "POST";
    rq->path = "/fuzz";
    rq->query = "";
    rq->content_type = "application/json";
    rq->body = body;
    rq->body_len = n;
}

static void
fz_fields(struct req *rq, struct json_object *o, const char *key)
{
    const char *s = NULL;
    int64_t i = 0;
    double d = 0;
    res_t rc;

    rq->cx.rc = RES_OK;
    rq->cx.errmsg = NULL;
    rc = req_json_str(rq, o, key, 16, 0, &s);
    if (rc != RES_OK && (rq->cx.rc != rc || rq->cx.errmsg == NULL))
        abort();
    if (rc == RES_OK && s != NULL) {
        long n = str_utf8_len(s, strlen(s));
        if (n < 0 || n > 16)
            abort();
    }
    rq->cx.rc = RES_OK;
    rq->cx.errmsg = NULL;
    rc = req_json_i64(rq, o, key, 1, INT64_MAX, 1, &i);
    if (rc != RES_OK && (rq->cx.rc != rc || rq->cx.errmsg == NULL))
        abort();
    if (rc == RES_OK && i < 1)
        abort();
    rq->cx.rc = RES_OK;
    rq->cx.errmsg = NULL;
    rc = req_json_dbl(rq, o, key, -90, 90, 0, &d);
    if (rc != RES_OK && (rq->cx.rc != rc || rq->cx.errmsg == NULL))
        abort();
    if (rc == RES_OK && (!isfinite(d) || d < -90 || d > 90))
        abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (fz_arena == NULL)
        fz_arena = arena_new();
    /* the worker's body buffer: len bytes plus a NUL */
    char *body = arena_alloc(fz_arena, size + 1);
    memcpy(body, data, size);
    body[size] = '\0';

    struct req rq;
    struct json_object *o = NULL;
    fz_req(&rq, body, size);
    res_t rc = req_json(&rq, &o);
    if (rc != RES_OK) {
        if (rc != RES_BAD_INPUT || rq.cx.rc != RES_BAD_INPUT ||
            rq.cx.errmsg == NULL)
            abort();
    } else {
        if (o == NULL || !json_object_is_type(o, json_type_object))
            abort();
        static const char *const names[] = {
            "phone", "code", "password", "title", "shopId", "blogId", "x", ""};
        for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++)
            fz_fields(&rq, o, names[k]);
        json_object_object_foreach(o, key, val)
        {
            (void)val;
            fz_fields(&rq, o, key);
        }
    }
    arena_reset(fz_arena);
    return 0;
}
