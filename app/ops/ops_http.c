/*
 * ops_http.c: GET /health and GET /metrics.
 *
 * /health answers from a copy at most a second old per worker, so a
 * load balancer polling every worker many times a second costs the
 * stores at most one PING, one SELECT 1 and one heartbeat pipeline per
 * worker per second. 200 when Redis, MySQL and every component of
 * health_expect (a live heartbeat, store/health.h) are up; 503 with the
 * same shape, success false and errorMsg naming what is down.
 *
 * /metrics is routed only for nginx's internal location (rq->internal):
 * the pool's counters from the shared file (core/metrics.h) plus the
 * stream gauges read from Redis at scrape time.
 */
#include "ops_private.h"

#include "../core/cfg.h"
#include "../core/jsonv.h"
#include "../core/metrics.h"
#include "../core/reply.h"
#include "../core/util.h"
#include "../store/health.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#define OPS_HEALTH_CACHE_MS 1000
#define OPS_MAX_COMPONENTS  16

/* The worker's last answer (malloc'd; one per process, replaced each
 * second). */
static struct {
    int64_t at;
    int status;
    char *body;
    size_t n;
} ops_health_cache;

static const char *
ops_state(int ok)
{
    return ok ? "ok" : "down";
}

/* Undoes a failure recorded on cx since m (the answer reports it), keeping
 * its detail in *first for the request's one log line. */
static void
ops_absorb(struct ctx *cx, struct ctx_mark m, const char *what,
           const char **first)
{
    if (cx->rc == m.rc && cx->errmsg == m.errmsg)
        return;
    if (*first == NULL)
        *first = arena_printf(cx->arena, "%s: %s", what,
                              cx->detail ? cx->detail : cx->errmsg);
    ctx_restore(cx, m);
}

/* Appends ", what" (or "what") to the list of what is down. */
static void
ops_down_add(char *buf, size_t cap, size_t *n, const char *what)
{
    if (*n >= cap - 1)
        return;
    int k = snprintf(buf + *n, cap - *n, "%s%s", *n ? ", " : "", what);
    if (k > 0)
        *n = *n + (size_t)k < cap - 1 ? *n + (size_t)k : cap - 1;
}

/* Checks everything and renders the answer into the cache. A failure is
 * the answer, not an error of the request: its detail goes on the
 * request's log line (cx->detail), the only line this check writes. */
static void
ops_health_check(struct req *rq)
{
    struct ctx *cx = &rq->cx;
    const char *names[OPS_MAX_COMPONENTS];
    size_t n = ops_split_expect(cx->arena, g_cfg.health_expect, names,
                                OPS_MAX_COMPONENTS);
    long long alive[OPS_MAX_COMPONENTS] = {0};

    const char *first = NULL;
    struct ctx_mark m = ctx_mark(cx);
    int redis_ok = health_ping_redis(cx) == RES_OK;
    ops_absorb(cx, m, "redis ping", &first);
    int mysql_ok = health_ping_mysql(cx) == RES_OK;
    ops_absorb(cx, m, "mysql ping", &first);
    int beats_ok =
        redis_ok && n > 0 && health_count(cx, names, n, alive) == RES_OK;
    ops_absorb(cx, m, "heartbeats", &first);
    if (first)
        cx->detail = first;

    struct json_object *data = json_object_new_object();
    json_object_object_add(data, "redis",
                           json_object_new_string(ops_state(redis_ok)));
    json_object_object_add(data, "mysql",
                           json_object_new_string(ops_state(mysql_ok)));
    struct json_object *cons = json_object_new_object();
    const char *sse = "off";
    char down[512];
    size_t dn = 0;
    down[0] = '\0';
    if (!redis_ok)
        ops_down_add(down, sizeof(down), &dn, "redis");
    if (!mysql_ok)
        ops_down_add(down, sizeof(down), &dn, "mysql");
    for (size_t i = 0; i < n; i++) {
        /* without Redis the heartbeats cannot be read: "unknown" */
        const char *st = !beats_ok ? "unknown" : ops_state(alive[i] > 0);
        if (strcmp(st, "ok") != 0)
            ops_down_add(down, sizeof(down), &dn, names[i]);
        if (strcmp(names[i], "sse") == 0)
            sse = st;
        else
            json_object_object_add(cons, names[i], json_object_new_string(st));
    }
    json_object_object_add(data, "consumers", cons);
    json_object_object_add(data, "sse", json_object_new_string(sse));
    int ok = dn == 0;
    struct json_object *env = json_object_new_object();
    json_object_object_add(env, "success", json_object_new_boolean(ok));
    if (!ok) {
        char *msg = arena_printf(cx->arena, "服务不可用: %s", down);
        json_object_object_add(env, "errorMsg", json_object_new_string(msg));
    }
    json_object_object_add(env, "data", data);
    size_t len;
    const char *s = json_object_to_json_string_length(
        env, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
    free(ops_health_cache.body);
    ops_health_cache.body = malloc(len + 1);
    if (ops_health_cache.body == NULL)
        abort();
    memcpy(ops_health_cache.body, s, len + 1);
    ops_health_cache.n = len;
    ops_health_cache.status = ok ? 200 : 503;
    ops_health_cache.at = util_mono_ms();
    json_object_put(env);
}

/* GET /health (no auth): the pool's view of the stores and daemons;
 * 200 or 503, the same shape either way. */
static res_t
ops_http_health(struct req *rq)
{
    if (ops_health_cache.body == NULL ||
        util_mono_ms() - ops_health_cache.at >= OPS_HEALTH_CACHE_MS)
        ops_health_check(rq);
    char *body = arena_strdup(rq->cx.arena, ops_health_cache.body);
    return reply_text(rq, ops_health_cache.status,
                      "application/json;charset=UTF-8", body,
                      ops_health_cache.n);
}

/* GET /metrics (internal location only): Prometheus text 0.0.4. */
static res_t
ops_http_metrics(struct req *rq)
{
    char *extra = NULL;
    size_t en = 0;
    FILE *f = open_memstream(&extra, &en);
    if (f == NULL)
        abort();
    struct ctx_mark m = ctx_mark(&rq->cx);
    const char *first = NULL;
    int ok = ops_stream_gauges(&rq->cx, f) == RES_OK;
    ops_absorb(&rq->cx, m, "stream gauges", &first);
    if (first)
        rq->cx.detail = first; /* on the request line, scrape still 200 */
    fprintf(f,
            "# HELP hmdp_streams_scrape_ok Whether the stream gauges could be "
            "read from Redis in this scrape.\n"
            "# TYPE hmdp_streams_scrape_ok gauge\n"
            "hmdp_streams_scrape_ok %d\n",
            ok);
    if (fclose(f) != 0)
        abort();
    size_t n;
    char *text = metrics_render(rq->cx.arena, extra, &n);
    free(extra);
    return reply_text(rq, 200, "text/plain; version=0.0.4; charset=utf-8", text,
                      n);
}

const struct route ops_routes[] = {
    {HTTP_GET, "/health", ops_http_health, 0},
    {0, NULL, NULL, 0},
};

const struct route ops_internal_routes[] = {
    {HTTP_GET, "/metrics", ops_http_metrics, 0},
    {0, NULL, NULL, 0},
};
