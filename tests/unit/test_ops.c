/*
 * test_ops.c: the pure and file-level parts of operations: log lines are
 * one valid JSON object each (whatever they quote) and reopen on the
 * signal; the metrics file adds up slots of several processes, frees a
 * dead process's slot for the next one and keeps its counts; buckets;
 * health_expect parsing.
 */
#include "../../app/core/log.h"
#include "../../app/core/metrics.h"
#include "../../app/ops/ops_private.h"
#include "../../app/wire.h"
#include "t.h"

#include <fcntl.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char tmpdir[] = "/tmp/hmdp-unit-ops.XXXXXX";

static char *
slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return strdup("");
    char *buf = calloc(1, 1 << 20);
    size_t n = fread(buf, 1, (1 << 20) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

/* Runs fn with stderr pointed at a file; returns what it wrote. */
static char *
capture(void (*fn)(void))
{
    char path[256];
    snprintf(path, sizeof(path), "%s/cap.log", tmpdir);
    unlink(path);
    int saved = dup(2);
    log_open_file(path);
    fn();
    log_flush();
    dup2(saved, 2);
    close(saved);
    return slurp(path);
}

static char long_path[10000];

static void
emit_hostile(void)
{
    log_set_rid("abc123");
    log_warn("quote \" backslash \\ newline \n tab \t bad utf8 \xff\xfe end "
             "中文");
    struct log_req r = {"GET", "/shop/{id}", "/shop/1\nforged", 503, 12345,
                        7,     99,           "redis down"};
    log_request(&r);
    /* a path longer than a line: cut, and the line still closes */
    memset(long_path, '1', sizeof(long_path) - 1);
    struct log_req r2 = {"GET", "/user/{id}", long_path, 404, 1, 0, 0, NULL};
    log_request(&r2);
    log_warn("%s", long_path);
    log_set_rid(NULL);
}

static void
test_log_lines_are_json(void)
{
    char *t = capture(emit_hostile);
    int lines = 0;
    for (char *line = strtok(t, "\n"); line; line = strtok(NULL, "\n")) {
        lines++;
        struct json_object *o = json_tokener_parse(line), *v;
        CHECK(o != NULL);
        CHECK(o && json_object_object_get_ex(o, "rid", &v) &&
              strcmp(json_object_get_string(v), "abc123") == 0);
        if (lines >= 3) {
            CHECK(o &&
                  (json_object_object_get_ex(o, "path", &v) ||
                   json_object_object_get_ex(o, "msg", &v)) &&
                  strstr(json_object_get_string(v), "1111...") != NULL);
        } else if (lines == 1) {
            CHECK(json_object_object_get_ex(o, "msg", &v));
            const char *m = json_object_get_string(v);
            CHECK(strstr(m, "quote \" backslash \\ newline \n tab") != NULL);
            CHECK(strstr(m, "utf8 ?? end 中文") != NULL);
        } else {
            CHECK(json_object_object_get_ex(o, "latency_ms", &v) &&
                  json_object_get_double(v) == 12.345);
            CHECK(json_object_object_get_ex(o, "level", &v) &&
                  strcmp(json_object_get_string(v), "error") == 0);
            CHECK(json_object_object_get_ex(o, "error", &v) &&
                  strcmp(json_object_get_string(v), "redis down") == 0);
            CHECK(json_object_object_get_ex(o, "route", &v) &&
                  strcmp(json_object_get_string(v), "/shop/{id}") == 0);
            CHECK(json_object_object_get_ex(o, "path", &v) &&
                  strcmp(json_object_get_string(v), "/shop/1\nforged") == 0);
        }
        json_object_put(o);
    }
    CHECK(lines == 4);
    free(t);
}

/* SIGUSR2 after the file was moved: the next line goes to a new file. */
static void
test_log_reopen(void)
{
    char path[256], moved[256];
    snprintf(path, sizeof(path), "%s/r.log", tmpdir);
    snprintf(moved, sizeof(moved), "%s/r.log.1", tmpdir);
    int saved = dup(2);
    CHECK(log_open_file(path) == 0);
    log_reopen_on(SIGUSR2);
    log_info("before");
    CHECK(rename(path, moved) == 0);
    raise(SIGUSR2);
    log_info("after");
    dup2(saved, 2);
    close(saved);
    signal(SIGUSR2, SIG_DFL);
    char *a = slurp(moved), *b = slurp(path);
    CHECK(strstr(a, "before") && !strstr(a, "after"));
    CHECK(strstr(b, "after") && !strstr(b, "before"));
    free(a);
    free(b);
}

static void
test_buckets(void)
{
    CHECK(metrics_lat_bucket(0) == 0);
    CHECK(metrics_lat_bucket(500) == 0);
    CHECK(metrics_lat_bucket(501) == 1);
    CHECK(metrics_lat_bucket(1000000) == MET_LAT_BUCKETS - 2);
    CHECK(metrics_lat_bucket(1000001) == MET_LAT_BUCKETS - 1);
    CHECK(metrics_rt_bucket(0) == 0);
    CHECK(metrics_rt_bucket(1) == 1);
    CHECK(metrics_rt_bucket(5) == 5);
    CHECK(metrics_rt_bucket(11) == MET_RT_BUCKETS - 1);
    CHECK(metrics_batch_bucket(1) == 0);
    CHECK(metrics_batch_bucket(100) == MET_BATCH_BUCKETS - 2);
    CHECK(metrics_batch_bucket(101) == MET_BATCH_BUCKETS - 1);
}

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

/* A child process counts into its own slot; after it died the parent's
 * render still adds its counts, and a new process with its name takes
 * its slot over (counts kept). */
static void
test_metrics_file(void)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/metrics.shm", tmpdir);
    const struct route *shop = NULL;
    for (const struct route *r = wire_all_tables[0]; r->pattern; r++)
        shop = r; /* any row of the first table */
    for (int k = 0; k < 2; k++) {
        pid_t p = fork();
        if (p == 0) {
            if (metrics_open(path, MET_KIND_CONSUMER, "c1", NULL) != 0)
                _exit(1);
            metrics_batch(7, 0);
            metrics_batch(3, 1);
            _exit(0);
        }
        int st;
        waitpid(p, &st, 0);
        CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    }
    pid_t p = fork();
    if (p == 0) {
        if (metrics_open(path, MET_KIND_WORKER, "worker", wire_all_tables))
            _exit(1);
        for (int i = 0; i < 5; i++)
            metrics_request(shop, HTTP_GET, 200, 1500);
        metrics_request(NULL, HTTP_POST, 404, 100);
        metrics_inc(MET_SECKILL_ORDERS);
        _exit(0);
    }
    int st;
    waitpid(p, &st, 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    CHECK(metrics_open(path, MET_KIND_WORKER, "worker", wire_all_tables) == 0);
    metrics_request(shop, HTTP_GET, 503, 2000000);
    struct arena *a = arena_new();
    size_t n;
    char *t = metrics_render(a, "# extra\n", &n);
    CHECK(strlen(t) == n);
    char s[256];
    snprintf(s, sizeof(s),
             "hmdp_http_requests_total{route=\"%s\",method=\"GET\","
             "code=\"2xx\"}",
             shop->pattern);
    CHECK(sample(t, s) == 5);
    snprintf(s, sizeof(s),
             "hmdp_http_requests_total{route=\"%s\",method=\"GET\","
             "code=\"5xx\"}",
             shop->pattern);
    CHECK(sample(t, s) == 1);
    CHECK(sample(t, "hmdp_http_requests_total{route=\"(none)\",method="
                    "\"POST\",code=\"4xx\"}") == 1);
    snprintf(s, sizeof(s),
             "hmdp_http_request_duration_seconds_bucket{route=\"%s\","
             "method=\"GET\",le=\"0.0025\"}",
             shop->pattern);
    CHECK(sample(t, s) == 5);
    snprintf(s, sizeof(s),
             "hmdp_http_request_duration_seconds_count{route=\"%s\","
             "method=\"GET\"}",
             shop->pattern);
    CHECK(sample(t, s) == 6);
    CHECK(sample(t, "hmdp_seckill_orders_total") == 1);
    /* the two consumer runs shared one slot: their counts add up */
    CHECK(sample(t, "hmdp_consumer_entries_total{consumer=\"c1\"}") == 14);
    CHECK(sample(t, "hmdp_consumer_errors_total{consumer=\"c1\"}") == 2);
    CHECK(sample(t, "hmdp_consumer_batch_size_sum{consumer=\"c1\"}") == 20);
    CHECK(sample(t, "hmdp_consumer_batch_size_bucket{consumer=\"c1\","
                    "le=\"5\"}") == 2);
    CHECK(sample(t, "hmdp_consumer_batch_size_count{consumer=\"c1\"}") == 4);
    /* dead processes are not counted as live; this one is */
    CHECK(sample(t, "hmdp_processes{kind=\"consumer\",name=\"c1\"}") == 0);
    CHECK(sample(t, "hmdp_processes{kind=\"worker\",name=\"worker\"}") == 1);
    CHECK(strstr(t, "# extra\n") != NULL);
    /* every family is one group: a TYPE line is never repeated */
    int types = 0, dup = 0;
    for (char *l = strstr(t, "# TYPE "); l; l = strstr(l + 1, "# TYPE ")) {
        types++;
        char name[128];
        sscanf(l + 7, "%127s", name);
        char *again = strstr(l + 1, "# TYPE ");
        while (again) {
            char n2[128];
            sscanf(again + 7, "%127s", n2);
            dup |= strcmp(name, n2) == 0;
            again = strstr(again + 1, "# TYPE ");
        }
    }
    CHECK(types >= 10);
    CHECK(!dup);
    arena_free(a);
}

static void
test_split_expect(void)
{
    struct arena *a = arena_new();
    const char *out[4];
    CHECK(ops_split_expect(a, "", out, 4) == 0);
    CHECK(ops_split_expect(a, "  , ", out, 4) == 0);
    size_t n = ops_split_expect(a, " voucher-consumer, sse ,x", out, 4);
    CHECK(n == 3);
    CHECK_STR(out[0], "voucher-consumer");
    CHECK_STR(out[1], "sse");
    CHECK_STR(out[2], "x");
    CHECK(ops_split_expect(a, "a b c d e", out, 4) == 4);
    arena_free(a);
}

int
main(void)
{
    if (mkdtemp(tmpdir) == NULL)
        return 1;
    RUN(test_log_lines_are_json);
    RUN(test_log_reopen);
    RUN(test_buckets);
    RUN(test_metrics_file);
    RUN(test_split_expect);
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
    if (system(cmd) != 0)
        return 1;
    T_DONE();
}
