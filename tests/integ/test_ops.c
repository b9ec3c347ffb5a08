/*
 * test_ops.c: operations (issue 13) through nginx on the test stack:
 * GET /api/health (shape, the per-worker cache, a stopped consumer named
 * in the 503), GET /metrics (N requests sent over several workers = N
 * counted; internal location only), the JSON request line with nginx's
 * request id in the worker log and the access log, and log reopening on
 * conf/stack.sh reopen (what logrotate runs).
 */
#include "h.h"
#include "h_multi.h"

#include <curl/curl.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

/* ---- helpers ---- */

/* GET url (full), from source address src (NULL = any); status, body. */
static long
raw_get(const char *url, const char *src, char **body)
{
    CURL *c = curl_easy_init();
    size_t len = 0;
    *body = NULL;
    struct h_sink b = {body, &len};
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, h_curl_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
    if (src)
        curl_easy_setopt(c, CURLOPT_INTERFACE, src);
    long status = 0;
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    if (*body == NULL)
        *body = strdup("");
    return status;
}

static char *
scrape(void)
{
    char url[512], *body;
    snprintf(url, sizeof(url), "%s/metrics", h_env("HMDP_URL"));
    long st = raw_get(url, NULL, &body);
    if (st != 200)
        printf("  /metrics answered %ld\n", st);
    return body;
}

/* Value of the sample whose line starts with series + ' ', -1 if none. */
static double
sample(const char *text, const char *series)
{
    size_t n = strlen(series);
    for (const char *p = text; p && *p;) {
        if (strncmp(p, series, n) == 0 && p[n] == ' ')
            return strtod(p + n + 1, NULL);
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    return -1;
}

/* Whole file into a malloc'd string ("" when missing). */
static char *
slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return strdup("");
    char *buf = NULL;
    size_t len = 0, cap = 0, k;
    char tmp[65536];
    while ((k = fread(tmp, 1, sizeof(tmp), f)) > 0) {
        if (len + k + 1 > cap) {
            cap = (len + k + 1) * 2;
            buf = realloc(buf, cap);
            if (buf == NULL)
                abort();
        }
        memcpy(buf + len, tmp, k);
        len += k;
    }
    fclose(f);
    if (buf == NULL)
        return strdup("");
    buf[len] = '\0';
    return buf;
}

static char *
log_path(const char *name)
{
    static char p[1024];
    snprintf(p, sizeof(p), "%s/logs/%s", h_env("HMDP_RUN_DIR"), name);
    return p;
}

/* The JSON object of the line of file that contains needle (the last
 * one), waiting up to 2 s for the worker to flush it; NULL if none. */
static struct json_object *
log_line_with(const char *file, const char *needle)
{
    for (int i = 0; i < 40; i++) {
        char *t = slurp(log_path(file));
        char *hit = NULL;
        for (char *p = strstr(t, needle); p; p = strstr(p + 1, needle))
            hit = p;
        if (hit) {
            while (hit > t && hit[-1] != '\n')
                hit--;
            char *e = strchr(hit, '\n');
            if (e)
                *e = '\0';
            struct json_object *o = json_tokener_parse(hit);
            free(t);
            return o;
        }
        free(t);
        h_sleep_ms(50);
    }
    return NULL;
}

static const char *
jstr(struct json_object *o, const char *k)
{
    struct json_object *v;
    return o && json_object_object_get_ex(o, k, &v) ? json_object_get_string(v)
                                                    : NULL;
}

static int64_t
jint(struct json_object *o, const char *k)
{
    struct json_object *v;
    return o && json_object_object_get_ex(o, k, &v) ? json_object_get_int64(v)
                                                    : -1;
}

/* ---- health ---- */

static void
test_health_ok(void)
{
    struct resp r;
    CHECK(h_get("/health", NULL, &r) == 0 && r.status == 200);
    CHECK(h_success(&r));
    struct json_object *d = h_data(&r), *cons, *v;
    CHECK_STR(jstr(d, "redis"), "ok");
    CHECK_STR(jstr(d, "mysql"), "ok");
    /* the test stack runs the gateway and both consumers: each beats */
    CHECK_STR(jstr(d, "sse"), "ok");
    CHECK(d && json_object_object_get_ex(d, "consumers", &cons) &&
          json_object_object_get_ex(cons, "voucher-consumer", &v) &&
          strcmp(json_object_get_string(v), "ok") == 0);
    CHECK(cons && json_object_object_get_ex(cons, "credits-consumer", &v) &&
          strcmp(json_object_get_string(v), "ok") == 0);
    CHECK(strlen(r.rid) == 32);
    h_free(&r);
}

/* Redis PING calls made by the pool. */
static long long
redis_calls(const char *cmd)
{
    redisReply *rr = redisCommand(h_redis(), "INFO commandstats");
    long long n = 0;
    char key[64];
    snprintf(key, sizeof(key), "cmdstat_%s:calls=", cmd);
    if (rr && rr->type == REDIS_REPLY_STRING) {
        const char *p = strstr(rr->str, key);
        if (p)
            n = strtoll(p + strlen(key), NULL, 10);
    }
    if (rr)
        freeReplyObject(rr);
    return n;
}

/* A burst of health checks costs the stores at most one check per worker
 * per second, not one per request. */
static void
test_health_cached(void)
{
    enum { N = 60 };
    long long before = redis_calls("zcount");
    int64_t t0 = h_now_ms();
    struct hm_req q[N];
    struct hm_res out[N];
    for (int i = 0; i < N; i++) {
        q[i].method = "GET";
        snprintf(q[i].path, sizeof(q[i].path), "/health");
        q[i].token = NULL;
    }
    hm_run(q, out, N, 8);
    int ok = 0;
    for (int i = 0; i < N; i++)
        ok += out[i].status == 200;
    hm_free(out, N);
    int64_t secs = (h_now_ms() - t0) / 1000 + 2;
    long long checks = redis_calls("zcount") - before;
    CHECK(ok == N);
    /* one ZCOUNT per expected component per check */
    int workers = atoi(h_env("HMDP_WORKERS")), comps = 0;
    const char *ex = h_env("HMDP_HEALTH_EXPECT");
    for (const char *p = ex; p && *p;) {
        p += strspn(p, " ,");
        if (*p) {
            comps++;
            p += strcspn(p, " ,");
        }
    }
    CHECK(comps >= 1);
    long long bound = (long long)workers * secs * (comps ? comps : 1);
    if (!(checks <= bound))
        printf("  %lld heartbeat reads for %d checks in %llds\n", checks, N,
               (long long)secs);
    CHECK(checks > 0 && checks <= bound);
}

/* The consumer process (child of the supervisor in its pid file). */
static long
consumer_pid(void)
{
    long mw = h_run_pid("hmdp-voucher-consumer.pid"), kids[4];
    if (mw < 0)
        return -1;
    return h_children_of(mw, kids, 4) >= 1 ? kids[0] : -1;
}

/* A consumer that stops beating (SIGSTOP: alive to its supervisor, dead
 * to the stream) turns /health into a 503 that names it; it comes back
 * when the consumer does. */
static void
test_health_consumer_down(void)
{
    long pid = consumer_pid();
    CHECK(pid > 0);
    if (pid <= 0)
        return;
    CHECK(kill((pid_t)pid, SIGSTOP) == 0);
    struct resp r;
    int down = 0;
    for (int i = 0; i < 100 && !down; i++) {
        h_sleep_ms(100);
        CHECK(h_get("/health", NULL, &r) == 0);
        if (r.status == 503) {
            down = 1;
            struct json_object *d = h_data(&r), *cons, *v;
            CHECK(!h_success(&r));
            CHECK(h_errmsg(&r) && strstr(h_errmsg(&r), "voucher-consumer"));
            CHECK_STR(jstr(d, "redis"), "ok");
            CHECK_STR(jstr(d, "mysql"), "ok");
            CHECK(d && json_object_object_get_ex(d, "consumers", &cons) &&
                  json_object_object_get_ex(cons, "voucher-consumer", &v) &&
                  strcmp(json_object_get_string(v), "down") == 0);
        }
        h_free(&r);
    }
    CHECK(down);
    CHECK(kill((pid_t)pid, SIGCONT) == 0);
    int up = 0;
    for (int i = 0; i < 100 && !up; i++) {
        h_sleep_ms(100);
        CHECK(h_get("/health", NULL, &r) == 0);
        up = r.status == 200;
        h_free(&r);
    }
    CHECK(up);
}

/* ---- metrics ---- */

/* N requests over several connections (so several workers) = N counted,
 * in the requests counter, the latency histogram and the round trips. */
static void
test_metrics_add_up(void)
{
    enum { N = 80 };
    const char *ser = "hmdp_http_requests_total{route=\"/shop-type/list\","
                      "method=\"GET\",code=\"2xx\"}";
    const char *lat = "hmdp_http_request_duration_seconds_count{route=\"/"
                      "shop-type/list\",method=\"GET\"}";
    const char *rt =
        "hmdp_store_round_trips_per_request_count{store=\"redis\"}";
    char *m0 = scrape();
    double c0 = sample(m0, ser), l0 = sample(m0, lat), r0 = sample(m0, rt);
    free(m0);
    struct hm_req q[N];
    struct hm_res out[N];
    for (int i = 0; i < N; i++) {
        q[i].method = "GET";
        snprintf(q[i].path, sizeof(q[i].path), "/shop-type/list");
        q[i].token = NULL;
    }
    hm_run(q, out, N, 8);
    int ok = 0;
    for (int i = 0; i < N; i++)
        ok += out[i].status == 200;
    hm_free(out, N);
    CHECK(ok == N);
    char *m1 = scrape();
    double c1 = sample(m1, ser), l1 = sample(m1, lat), r1 = sample(m1, rt);
    if (c0 < 0)
        c0 = 0;
    if (l0 < 0)
        l0 = 0;
    if (c1 - c0 != N)
        printf("  counted %.0f of %d requests\n", c1 - c0, N);
    CHECK(c1 - c0 == N);
    CHECK(l1 - l0 == N);
    /* N requests plus the first scrape itself at least */
    CHECK(r1 - r0 >= N);
    /* every worker has its slot, all alive */
    char w[64];
    snprintf(w, sizeof(w), "%s", h_env("HMDP_WORKERS"));
    CHECK(sample(m1, "hmdp_processes{kind=\"worker\",name=\"worker\"}") ==
          atof(w));
    CHECK(sample(m1, "hmdp_processes{kind=\"consumer\",name=\"voucher-"
                     "consumer\"}") == 1);
    CHECK(sample(m1, "hmdp_streams_scrape_ok") == 1);
    /* the chat producer's state (test_chat drives it to refusing) */
    CHECK(sample(m1, "hmdp_chat_backpressure") == 0);
    CHECK(sample(m1, "hmdp_chat_unsynced") >= 0);
    CHECK(sample(m1, "hmdp_stream_length{stream=\"stream.orders\"}") >= 0);
    free(m1);
    /* served by more than one worker: distinct pids on the lines */
    h_sleep_ms(200);
    char *t = slurp(log_path("worker.log"));
    long pids[16];
    int np = 0;
    for (char *p = strstr(t, "\"route\":\"/shop-type/list\""); p;
         p = strstr(p + 1, "\"route\":\"/shop-type/list\"")) {
        char *b = p;
        while (b > t && b[-1] != '\n')
            b--;
        char *pp = strstr(b, "\"pid\":");
        if (pp == NULL || pp > p)
            continue;
        long pid = strtol(pp + 6, NULL, 10);
        int seen = 0;
        for (int k = 0; k < np; k++)
            seen |= pids[k] == pid;
        if (!seen && np < 16)
            pids[np++] = pid;
    }
    free(t);
    CHECK(np >= 2);
}

/* Flash-sale outcomes are counted by reason. */
static void
test_metrics_seckill(void)
{
    int64_t uid;
    char *tok = h_login(&uid);
    CHECK(tok != NULL);
    char *m0 = scrape();
    double a0 = sample(m0, "hmdp_seckill_attempts_total");
    double u0 = sample(m0, "hmdp_seckill_refusals_total{reason=\""
                           "unknown_voucher\"}");
    free(m0);
    struct resp r;
    CHECK(h_post_json("/voucher-order/seckill/987654321", tok, NULL, &r) == 0 &&
          r.status == 200 && !h_success(&r));
    h_free(&r);
    char *m1 = scrape();
    CHECK(sample(m1, "hmdp_seckill_attempts_total") == a0 + 1);
    CHECK(sample(m1, "hmdp_seckill_refusals_total{reason=\""
                     "unknown_voucher\"}") == u0 + 1);
    free(m1);
    free(tok);
}

static int64_t
admin_post(const char *path, const char *json)
{
    char hdr[256];
    snprintf(hdr, sizeof(hdr), "X-Admin-Token: %s", h_admin_token());
    struct resp r;
    if (h_http("POST", path, NULL, hdr, "application/json;charset=utf-8", json,
               strlen(json), &r) != 0)
        return -1;
    int64_t id = r.status == 200 && h_success(&r) && h_data(&r)
                     ? json_object_get_int64(h_data(&r))
                     : -1;
    h_free(&r);
    return id;
}

/* One order crosses three processes: the worker counts the attempt and
 * the order, the voucher consumer and the credits consumer each count the
 * entry they handled, in their own slots of the same file. */
static void
test_metrics_consumers(void)
{
    const char *ve = "hmdp_consumer_entries_total{consumer=\"voucher-"
                     "consumer\"}";
    const char *ce = "hmdp_consumer_entries_total{consumer=\"credits-"
                     "consumer\"}";
    char *m0 = scrape();
    double o0 = sample(m0, "hmdp_seckill_orders_total");
    double v0 = sample(m0, ve), c0 = sample(m0, ce);
    free(m0);
    int64_t shop = admin_post("/shop", "{\"name\":\"指标测试店\",\"typeId\":3,"
                                       "\"images\":\"https://a/1.jpg\","
                                       "\"address\":\"测试路\",\"x\":120.15,"
                                       "\"y\":30.33}");
    CHECK(shop > 0);
    char b[32], e[32], body[512];
    time_t t = time(NULL) - 60;
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(b, sizeof(b), "%Y-%m-%dT%H:%M:%S", &tm);
    t += 7200;
    localtime_r(&t, &tm);
    strftime(e, sizeof(e), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(body, sizeof(body),
             "{\"shopId\":%lld,\"title\":\"t\",\"payValue\":1,"
             "\"actualValue\":2,\"type\":1,\"stock\":5,\"beginTime\":"
             "\"%s\",\"endTime\":\"%s\"}",
             (long long)shop, b, e);
    int64_t vid = admin_post("/voucher/seckill", body);
    CHECK(vid > 0);
    int64_t uid;
    char *tok = h_login(&uid);
    char path[64];
    snprintf(path, sizeof(path), "/voucher-order/seckill/%lld", (long long)vid);
    struct resp r;
    CHECK(h_post_json(path, tok, NULL, &r) == 0 && h_success(&r));
    h_free(&r);
    int done = 0;
    char *m1 = NULL;
    for (int i = 0; i < 100 && !done; i++) {
        h_sleep_ms(100);
        free(m1);
        m1 = scrape();
        done = sample(m1, ve) >= (v0 < 0 ? 0 : v0) + 1 &&
               sample(m1, ce) >= (c0 < 0 ? 0 : c0) + 1;
    }
    CHECK(done);
    CHECK(sample(m1, "hmdp_seckill_orders_total") == o0 + 1);
    CHECK(sample(m1, "hmdp_processes{kind=\"consumer\",name=\"credits-"
                     "consumer\"}") >= 1);
    CHECK(sample(m1, "hmdp_consumer_batch_size_count{consumer=\"voucher-"
                     "consumer\"}") >= 1);
    free(m1);
    free(tok);
}

/* An SSE stream through nginx is counted by the gateway, in the same
 * file. */
static void
test_metrics_sse(void)
{
    int64_t uid;
    char *tok = h_login(&uid);
    CHECK(tok != NULL);
    char *m0 = scrape();
    double s0 = sample(m0, "hmdp_sse_streams_total");
    CHECK(sample(m0, "hmdp_processes{kind=\"sse\",name=\"sse\"}") == 1);
    free(m0);
    char url[512], *body;
    snprintf(url, sizeof(url), "%s/api/message/sse?token=%s", h_env("HMDP_URL"),
             tok);
    CURL *c = curl_easy_init();
    size_t len = 0;
    body = NULL;
    struct h_sink sk = {&body, &len};
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, h_curl_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &sk);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 1000L);
    (void)curl_easy_perform(c); /* a stream: ends by the timeout */
    curl_easy_cleanup(c);
    CHECK(body && strstr(body, "retry:") != NULL);
    free(body);
    char *m1 = scrape();
    CHECK(sample(m1, "hmdp_sse_streams_total") >= s0 + 1);
    CHECK(sample(m1, "hmdp_sse_open_streams") >= 0);
    free(m1);
    free(tok);
}

/* /metrics: loopback only (403 in the envelope from elsewhere), text
 * format; /api/metrics is not a way in. */
static void
test_metrics_internal(void)
{
    char url[512], *body;
    snprintf(url, sizeof(url), "%s/metrics", h_env("HMDP_URL"));
    CHECK(raw_get(url, "127.0.0.1", &body) == 200);
    CHECK(strstr(body, "# TYPE hmdp_http_requests_total counter") != NULL);
    free(body);
    /* another loopback address is not 127.0.0.1: as a foreign host */
    long st = raw_get(url, "127.0.0.2", &body);
    CHECK(st == 403);
    CHECK(strstr(body, "\"success\":false") != NULL);
    CHECK(strstr(body, "hmdp_") == NULL);
    free(body);
    struct resp r;
    CHECK(h_get("/metrics", NULL, &r) == 0 && r.status == 404);
    CHECK(strstr(r.body, "hmdp_http") == NULL);
    h_free(&r);
}

/* ---- logs ---- */

/* One JSON line per request with nginx's id, which the client gets as
 * X-Request-Id and nginx's access log carries too. */
static void
test_request_line(void)
{
    int64_t uid;
    char *tok = h_login(&uid);
    CHECK(tok != NULL);
    struct resp r;
    CHECK(h_get("/shop/1", tok, &r) == 0 && r.status == 200);
    CHECK(strlen(r.rid) == 32);
    char needle[128];
    snprintf(needle, sizeof(needle), "\"rid\":\"%s\"", r.rid);
    struct json_object *o = log_line_with("worker.log", needle);
    CHECK(o != NULL);
    CHECK_STR(jstr(o, "event"), "request");
    CHECK_STR(jstr(o, "method"), "GET");
    CHECK_STR(jstr(o, "route"), "/shop/{id}");
    CHECK_STR(jstr(o, "path"), "/shop/1");
    CHECK(jint(o, "status") == 200);
    CHECK(jint(o, "uid") == uid);
    CHECK(jint(o, "bytes") > (int64_t)r.len);
    struct json_object *v;
    CHECK(o && json_object_object_get_ex(o, "latency_ms", &v) &&
          json_object_is_type(v, json_type_double) &&
          json_object_get_double(v) > 0);
    CHECK(jstr(o, "time") && strlen(jstr(o, "time")) == 24);
    json_object_put(o);
    struct json_object *a = log_line_with("nginx-access.log", needle);
    CHECK(a != NULL);
    CHECK(jint(a, "status") == 200);
    CHECK_STR(jstr(a, "path"), "/api/shop/1");
    CHECK_STR(jstr(a, "method"), "GET");
    json_object_put(a);
    h_free(&r);
    free(tok);
}

/* An error nginx answers itself (a body over client_max_body_size) has
 * the id too, and the access log has the line. */
static void
test_nginx_error_id(void)
{
    size_t n = 2 * 1024 * 1024;
    char *big = malloc(n);
    memset(big, 'x', n);
    struct resp r;
    CHECK(h_http("POST", "/user/login", NULL, NULL, "application/json", big, n,
                 &r) == 0);
    CHECK(r.status == 413);
    CHECK(strlen(r.rid) == 32);
    char needle[128];
    snprintf(needle, sizeof(needle), "\"rid\":\"%s\"", r.rid);
    struct json_object *a = log_line_with("nginx-access.log", needle);
    CHECK(jint(a, "status") == 413);
    json_object_put(a);
    h_free(&r);
    free(big);
}

/* A refused request (404) is one line too, with no route. */
static void
test_unrouted_line(void)
{
    struct resp r;
    CHECK(h_get("/no/such/thing", NULL, &r) == 0 && r.status == 404);
    char needle[128];
    snprintf(needle, sizeof(needle), "\"rid\":\"%s\"", r.rid);
    struct json_object *o = log_line_with("worker.log", needle);
    CHECK_STR(jstr(o, "route"), "(none)");
    CHECK(jint(o, "status") == 404);
    json_object_put(o);
    h_free(&r);
}

/* logrotate moves the files away and runs conf/stack.sh reopen: the
 * workers and nginx write to new files at once. */
static void
test_log_reopen(void)
{
    char from[1024], to[1100], cmd[2048];
    const char *logs[] = {"worker.log", "nginx-access.log"};
    for (int i = 0; i < 2; i++) {
        snprintf(from, sizeof(from), "%s", log_path(logs[i]));
        snprintf(to, sizeof(to), "%s.rotated.log", from);
        CHECK(rename(from, to) == 0);
    }
    snprintf(cmd, sizeof(cmd), "bash %s/conf/stack.sh reopen %s >/dev/null",
             h_env("HMDP_REPO"), h_env("HMDP_RUN_DIR"));
    CHECK(system(cmd) == 0);
    h_sleep_ms(300);
    struct resp r;
    /* several requests, so every worker serves one (and flushes) */
    char rid[80] = "";
    for (int i = 0; i < 8; i++) {
        CHECK(h_get("/shop-type/list", NULL, &r) == 0 && r.status == 200);
        snprintf(rid, sizeof(rid), "%s", r.rid);
        h_free(&r);
    }
    char needle[128];
    snprintf(needle, sizeof(needle), "\"rid\":\"%s\"", rid);
    struct json_object *o = log_line_with("worker.log", needle);
    CHECK(o != NULL);
    json_object_put(o);
    o = log_line_with("nginx-access.log", needle);
    CHECK(o != NULL);
    json_object_put(o);
    /* the rotation config stack.sh wrote is one logrotate accepts */
    snprintf(cmd, sizeof(cmd),
             "logrotate -d -s %s/logrotate.check %s/logrotate.conf "
             ">/dev/null 2>&1",
             h_env("HMDP_RUN_DIR"), h_env("HMDP_RUN_DIR"));
    CHECK(system(cmd) == 0);
    /* and the old file did not get it */
    snprintf(from, sizeof(from), "%s.rotated.log", log_path("worker.log"));
    char *t = slurp(from);
    CHECK(strstr(t, needle) == NULL);
    free(t);
}

/* nginx's worker processes come from HMDP_NGINX_WORKERS (default 2),
 * with worker_connections 32768 split over them; a bad value is refused
 * before anything starts. */
static void
test_nginx_workers(void)
{
    char path[1024], cmd[2048];
    snprintf(path, sizeof(path), "%s/nginx.conf", h_env("HMDP_RUN_DIR"));
    char *t = slurp(path);
    CHECK(strstr(t, "\nworker_processes 2;\n") != NULL);
    CHECK(strstr(t, "worker_connections 16384;") != NULL);
    CHECK(strstr(t, "@NGINX_") == NULL);
    free(t);
    char dir[] = "/tmp/hmdp-nginx-workers.XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    snprintf(cmd, sizeof(cmd),
             "HMDP_NGINX_WORKERS=0 bash %s/conf/stack.sh start %s "
             ">%s/out 2>&1",
             h_env("HMDP_REPO"), dir, dir);
    CHECK(system(cmd) != 0);
    snprintf(path, sizeof(path), "%s/out", dir);
    t = slurp(path);
    CHECK(strstr(t, "HMDP_NGINX_WORKERS must be a number from 1 to 64") !=
          NULL);
    free(t);
    snprintf(path, sizeof(path), "%s/nginx.pid", dir);
    CHECK(access(path, F_OK) != 0);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    CHECK(system(cmd) == 0);
}

int
main(void)
{
    h_init();
    RUN(test_health_ok);
    RUN(test_health_cached);
    RUN(test_health_consumer_down);
    RUN(test_metrics_add_up);
    RUN(test_metrics_seckill);
    RUN(test_metrics_consumers);
    RUN(test_metrics_sse);
    RUN(test_metrics_internal);
    RUN(test_request_line);
    RUN(test_unrouted_line);
    RUN(test_nginx_error_id);
    RUN(test_log_reopen);
    RUN(test_nginx_workers);
    T_DONE();
}
