/*
 * test_streams.c: the stream consumer runtime against the real Redis and
 * MariaDB, through a test-only consumer (build/test/stream-fixture, see
 * stream_fixture.c) on streams of its own, and the order consumers (g1,
 * credits) of the running stack:
 *   - two consumers of one group split the work and never both process an
 *     entry; a second group sees every entry too;
 *   - a retry is retried by the same live consumer, no restart;
 *   - a poison entry reaches the DLQ after N deliveries (or at once when
 *     the handler says poison) while the rest keep flowing; requeue from
 *     the DLQ works;
 *   - kill -9 of a consumer mid-batch: another instance of its group takes
 *     its pending entries over; every entry's effect exactly once; the dead
 *     consumer is removed from the group later;
 *   - stop signals end a consumer with status 0;
 *   - trimming with a stalled group removes nothing that group needs;
 *   - MySQL stopped ~10 s while orders flow: nothing lost, orders and
 *     credits all written once after.
 */
#include "h.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char fx_stream[64];

static void
fx_tables(void)
{
    CHECK(h_sql_exec("CREATE TABLE IF NOT EXISTS fx_log (id BIGINT "
                     "AUTO_INCREMENT PRIMARY KEY, grp VARCHAR(32), k "
                     "VARCHAR(64), consumer VARCHAR(300))") == 0);
    CHECK(h_sql_exec("CREATE TABLE IF NOT EXISTS fx_effect (grp VARCHAR(32), "
                     "k VARCHAR(64), PRIMARY KEY (grp, k))") == 0);
}

/* A new stream name per test. */
static const char *
fx_new_stream(const char *what)
{
    snprintf(fx_stream, sizeof(fx_stream), "fx.%s.%ld.%d", what, (long)getpid(),
             rand() % 100000);
    return fx_stream;
}

/* Starts a fixture consumer; env is "NAME=value" strings (NULL-ended). */
static pid_t
fx_start(const char *stream, const char *group, const char *const *env)
{
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    char logf[1024];
    snprintf(logf, sizeof(logf), "%s/logs/stream-fixture.log",
             h_env("HMDP_RUN_DIR"));
    FILE *f = freopen(logf, "a", stderr);
    (void)f;
    dup2(2, 1);
    setenv("FX_STREAM", stream, 1);
    setenv("FX_GROUP", group, 1);
    setenv("HMDP_STREAM_CLAIM_IDLE_MS", "1500", 1);
    setenv("HMDP_STREAM_MAX_DELIVERIES", "3", 1);
    setenv("HMDP_STREAM_RETRY_BASE_MS", "50", 1);
    setenv("HMDP_STREAM_BLOCK_MS", "300", 1);
    setenv("HMDP_STREAM_BATCH", "10", 1);
    setenv("HMDP_STREAM_TRIM_INTERVAL_MS", "0", 1);
    for (int i = 0; env && env[i]; i++)
        putenv((char *)(uintptr_t)env[i]);
    char bin[1024];
    snprintf(bin, sizeof(bin), "%s/build/test/stream-fixture",
             h_env("HMDP_REPO"));
    execl(bin, bin, (char *)NULL);
    _exit(127);
}

/* SIGTERM and wait; returns the exit status (-1 if it did not exit
 * normally within 10 s). */
static int
fx_stop(pid_t pid)
{
    kill(pid, SIGTERM);
    for (int i = 0; i < 200; i++) {
        int st;
        pid_t w = waitpid(pid, &st, WNOHANG);
        if (w == pid)
            return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
        h_sleep_ms(50);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    return -1;
}

static void
fx_add(const char *stream, const char *k, const char *extra_f,
       const char *extra_v)
{
    redisReply *r;
    if (extra_f)
        r = redisCommand(h_redis(), "XADD %s * k %s %s %s", stream, k, extra_f,
                         extra_v);
    else
        r = redisCommand(h_redis(), "XADD %s * k %s", stream, k);
    CHECK(r && r->type == REDIS_REPLY_STRING);
    if (r)
        freeReplyObject(r);
}

static long long
fx_effects(const char *group, const char *prefix)
{
    return h_sql_int("SELECT COUNT(*) FROM fx_effect WHERE grp = '%s' AND k "
                     "LIKE '%s%%'",
                     group, prefix);
}

static int
fx_wait_effects(const char *group, const char *prefix, long long want,
                int max_ms)
{
    int64_t t0 = h_now_ms();
    while (h_now_ms() - t0 < max_ms) {
        if (fx_effects(group, prefix) >= want)
            return 1;
        h_sleep_ms(50);
    }
    printf("  group %s: %lld of %lld effects for %s after %d ms\n", group,
           fx_effects(group, prefix), want, prefix, max_ms);
    return 0;
}

static long long
fx_pending(const char *stream, const char *group)
{
    redisReply *r = redisCommand(h_redis(), "XPENDING %s %s", stream, group);
    long long n = (r && r->type == REDIS_REPLY_ARRAY && r->elements >= 1)
                      ? r->element[0]->integer
                      : -1;
    if (r)
        freeReplyObject(r);
    return n;
}

static int
fx_wait_pending(const char *stream, const char *group, long long want,
                int max_ms)
{
    int64_t t0 = h_now_ms();
    while (h_now_ms() - t0 < max_ms) {
        if (fx_pending(stream, group) == want)
            return 1;
        h_sleep_ms(50);
    }
    return 0;
}

/* Processings of entries with key prefix in group (the fx_log rows). */
static long long
fx_log_rows(const char *group, const char *prefix)
{
    return h_sql_int("SELECT COUNT(*) FROM fx_log WHERE grp = '%s' AND k "
                     "LIKE '%s%%'",
                     group, prefix);
}

static void
test_groups_split_and_see_all(void)
{
    fx_tables();
    const char *s = fx_new_stream("split");
    static const char *slow[] = {"FX_SLEEP_MS=30", NULL};
    pid_t a1 = fx_start(s, "ga", slow), a2 = fx_start(s, "ga", slow);
    pid_t b1 = fx_start(s, "gb", NULL);
    h_sleep_ms(500); /* groups created, consumers blocked */
    char k[64];
    for (int i = 0; i < 200; i++) {
        snprintf(k, sizeof(k), "%s-%03d", s, i);
        fx_add(s, k, NULL, NULL);
        if (i % 20 == 19)
            h_sleep_ms(40);
    }
    CHECK(fx_wait_effects("ga", s, 200, 30000));
    CHECK(fx_wait_effects("gb", s, 200, 30000));
    h_sleep_ms(300);
    /* each entry processed once per group: never by both consumers */
    CHECK(fx_log_rows("ga", s) == 200);
    CHECK(fx_log_rows("gb", s) == 200);
    /* the work was split between the two consumers of ga */
    long long consumers =
        h_sql_int("SELECT COUNT(DISTINCT consumer) FROM fx_log WHERE grp = "
                  "'ga' AND k LIKE '%s%%'",
                  s);
    CHECK(consumers == 2);
    CHECK(fx_pending(s, "ga") == 0 && fx_pending(s, "gb") == 0);
    CHECK(fx_stop(a1) == 0);
    CHECK(fx_stop(a2) == 0);
    CHECK(fx_stop(b1) == 0);
}

static void
test_retry_without_restart(void)
{
    const char *s = fx_new_stream("retry");
    pid_t p = fx_start(s, "gr", NULL);
    h_sleep_ms(300);
    char k[64];
    snprintf(k, sizeof(k), "%s-r", s);
    fx_add(s, k, "retry", "1");
    CHECK(fx_wait_effects("gr", k, 1, 10000));
    CHECK(h_redis_int("GET fx:attempt:%s", k) == 2);
    CHECK(kill(p, 0) == 0); /* the same process did it */
    CHECK(fx_wait_pending(s, "gr", 0, 5000));
    CHECK(h_redis_int("XLEN %s:dlq", s) == 0);
    CHECK(fx_stop(p) == 0);
}

static void
test_poison_and_requeue(void)
{
    const char *s = fx_new_stream("poison");
    pid_t p = fx_start(s, "gp", NULL);
    h_sleep_ms(300);
    char k[64], gated[64], now[64];
    snprintf(gated, sizeof(gated), "%s-gated", s);
    snprintf(now, sizeof(now), "%s-now", s);
    h_redis_int("SET fx:gate:%s 1", gated);
    fx_add(s, gated, "gate", "1");
    fx_add(s, now, "poison", "now");
    for (int i = 0; i < 30; i++) {
        snprintf(k, sizeof(k), "%s-ok-%02d", s, i);
        fx_add(s, k, NULL, NULL);
    }
    /* the rest flows */
    char okp[64];
    snprintf(okp, sizeof(okp), "%s-ok-", s);
    CHECK(fx_wait_effects("gp", okp, 30, 10000));
    /* both bad entries end in the DLQ, nothing stays pending */
    CHECK(fx_wait_pending(s, "gp", 0, 15000));
    CHECK(h_redis_int("XLEN %s:dlq", s) == 2);
    CHECK(fx_effects("gp", gated) == 0 && fx_effects("gp", now) == 0);
    redisReply *r = redisCommand(h_redis(), "XRANGE %s:dlq - + COUNT 10", s);
    int seen_gated = 0, seen_now = 0;
    for (size_t i = 0; r && r->type == REDIS_REPLY_ARRAY && i < r->elements;
         i++) {
        redisReply *f = r->element[i]->element[1];
        const char *key = NULL, *err = NULL, *del = NULL, *grp = NULL;
        for (size_t j = 0; j + 1 < f->elements; j += 2) {
            if (strcmp(f->element[j]->str, "k") == 0)
                key = f->element[j + 1]->str;
            else if (strcmp(f->element[j]->str, "dlq-error") == 0)
                err = f->element[j + 1]->str;
            else if (strcmp(f->element[j]->str, "dlq-deliveries") == 0)
                del = f->element[j + 1]->str;
            else if (strcmp(f->element[j]->str, "dlq-group") == 0)
                grp = f->element[j + 1]->str;
        }
        CHECK(key && err && del && grp && strcmp(grp, "gp") == 0);
        if (key && strcmp(key, gated) == 0) {
            seen_gated = 1;
            /* N = 3 deliveries, then the DLQ instead of a 4th */
            CHECK(del && strcmp(del, "3") == 0);
            CHECK(err && strstr(err, "gate closed") != NULL);
        } else if (key && strcmp(key, now) == 0) {
            seen_now = 1;
            CHECK(del && strcmp(del, "1") == 0);
            CHECK(err && strstr(err, "poison") != NULL);
        }
    }
    if (r)
        freeReplyObject(r);
    CHECK(seen_gated && seen_now);

    /* open the gate and requeue everything from the DLQ over HTTP */
    h_redis_int("DEL fx:gate:%s", gated);
    char hdr[256], body[256];
    snprintf(hdr, sizeof(hdr), "X-Admin-Token: %s", h_admin_token());
    snprintf(body, sizeof(body), "{\"stream\":\"%s\"}", s);
    struct resp rs;
    CHECK(h_http("POST", "/admin/streams/dlq/requeue", NULL, hdr,
                 "application/json", body, strlen(body), &rs) == 0);
    CHECK(rs.status == 200 && h_success(&rs));
    CHECK(h_data(&rs) && json_object_get_int64(h_data(&rs)) == 2);
    h_free(&rs);
    CHECK(fx_wait_effects("gp", gated, 1, 10000));
    /* the poison=now one comes back to the DLQ; the gated one is done */
    CHECK(fx_wait_pending(s, "gp", 0, 10000));
    CHECK(h_redis_int("XLEN %s:dlq", s) == 1);
    /* drop it by id */
    r = redisCommand(h_redis(), "XRANGE %s:dlq - +", s);
    CHECK(r && r->type == REDIS_REPLY_ARRAY && r->elements == 1);
    if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 1) {
        snprintf(body, sizeof(body), "{\"stream\":\"%s\",\"ids\":[\"%s\"]}", s,
                 r->element[0]->element[0]->str);
        CHECK(h_http("POST", "/admin/streams/dlq/drop", NULL, hdr,
                     "application/json", body, strlen(body), &rs) == 0);
        CHECK(rs.status == 200 && h_data(&rs) &&
              json_object_get_int64(h_data(&rs)) == 1);
        h_free(&rs);
    }
    if (r)
        freeReplyObject(r);
    CHECK(h_redis_int("XLEN %s:dlq", s) == 0);
    CHECK(fx_stop(p) == 0);
}

/* Which fixture holds entries of group g right now: -1 none, else index
 * into pids (matched by the pid in the consumer name). */
static int
fx_holder(const char *s, const char *g, pid_t *pids, int n)
{
    redisReply *r = redisCommand(h_redis(), "XINFO CONSUMERS %s %s", s, g);
    int who = -1;
    for (size_t i = 0; r && r->type == REDIS_REPLY_ARRAY && i < r->elements;
         i++) {
        redisReply *c = r->element[i];
        const char *name = c->element[1]->str;
        long long pend = c->element[3]->integer;
        const char *colon = strrchr(name, ':');
        long pid = colon ? atol(colon + 1) : 0;
        for (int k = 0; k < n; k++)
            if (pid == pids[k] && pend > 0)
                who = k;
    }
    if (r)
        freeReplyObject(r);
    return who;
}

static void
test_kill9_takeover(void)
{
    const char *s = fx_new_stream("kill");
    static const char *slow[] = {"FX_SLEEP_MS=400", NULL};
    pid_t p[2] = {fx_start(s, "gk", slow), fx_start(s, "gk", slow)};
    h_sleep_ms(400);
    char k[64];
    for (int i = 0; i < 100; i++) {
        snprintf(k, sizeof(k), "%s-%03d", s, i);
        fx_add(s, k, NULL, NULL);
    }
    /* kill -9 one that is in the middle of a batch */
    int who = -1;
    for (int i = 0; i < 100 && who < 0; i++) {
        who = fx_holder(s, "gk", p, 2);
        if (who < 0)
            h_sleep_ms(20);
    }
    CHECK(who >= 0);
    if (who < 0)
        who = 0;
    CHECK(kill(p[who], SIGKILL) == 0);
    waitpid(p[who], NULL, 0);
    CHECK(fx_wait_effects("gk", s, 100, 60000));
    CHECK(fx_wait_pending(s, "gk", 0, 10000));
    h_sleep_ms(500);
    /* every entry's effect exactly once */
    CHECK(fx_effects("gk", s) == 100);
    CHECK(h_sql_int("SELECT COUNT(*) FROM (SELECT k FROM fx_effect WHERE grp "
                    "= 'gk' AND k LIKE '%s%%' GROUP BY k HAVING COUNT(*) > "
                    "1) x",
                    s) == 0);
    /* the survivor took some over from the dead one */
    long long by_survivor =
        h_sql_int("SELECT COUNT(*) FROM fx_log WHERE grp = 'gk' AND k LIKE "
                  "'%s%%' AND consumer LIKE '%%:%ld'",
                  s, (long)p[1 - who]);
    CHECK(by_survivor > 0);
    /* the dead consumer, idle past the claim time and holding nothing, is
     * removed from the group */
    int gone = 0;
    for (int i = 0; i < 100 && !gone; i++) {
        h_sleep_ms(100);
        redisReply *r = redisCommand(h_redis(), "XINFO CONSUMERS %s gk", s);
        gone = r && r->type == REDIS_REPLY_ARRAY && r->elements == 1;
        if (r)
            freeReplyObject(r);
    }
    CHECK(gone);
    CHECK(fx_stop(p[1 - who]) == 0);
}

static void
test_stop_signals(void)
{
    const char *s = fx_new_stream("stop");
    int sigs[3] = {SIGTERM, SIGINT, SIGUSR1};
    for (int i = 0; i < 3; i++) {
        pid_t p = fx_start(s, "gs", NULL);
        /* signal it once it says it started (its handlers are set by
         * then): a fixed sleep raced a slow start under the sanitizers on
         * a busy machine */
        int reading = 0;
        for (int w = 0; w < 500 && !reading; w++) {
            reading = h_sh("grep -q ':%ld started on %s ' "
                           "%s/logs/stream-fixture.log",
                           (long)p, s, h_env("HMDP_RUN_DIR")) == 0;
            if (!reading)
                h_sleep_ms(20);
        }
        CHECK(reading);
        h_sleep_ms(100);
        kill(p, sigs[i]);
        int st = -1, done = 0;
        for (int w = 0; w < 100 && !done; w++) {
            if (waitpid(p, &st, WNOHANG) == p)
                done = 1;
            else
                h_sleep_ms(20);
        }
        CHECK(done && WIFEXITED(st) && WEXITSTATUS(st) == 0);
        if (!done) {
            kill(p, SIGKILL);
            waitpid(p, NULL, 0);
        }
    }
}

/* hmdp-admin with arguments and extra environment; returns its status
 * and its stdout in out (up to size). */
static int
admin_cmd(const char *env, const char *args, char *out, size_t size)
{
    char cmd[2048];
    snprintf(cmd, sizeof(cmd),
             "%s %s/build/test/hmdp-admin %s 2>>%s/logs/"
             "hmdp-admin.log",
             env ? env : "", h_env("HMDP_REPO"), args, h_env("HMDP_RUN_DIR"));
    FILE *f = popen(cmd, "r");
    if (f == NULL)
        return -1;
    size_t n = fread(out, 1, size - 1, f);
    out[n] = '\0';
    int st = pclose(f);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void
fx_ack_all(const char *s, const char *g)
{
    redisReply *r = redisCommand(
        h_redis(), "EVAL %s 1 %s %s",
        "local p = redis.call('XPENDING', KEYS[1], ARGV[1], '-', '+', 1000) "
        "for _, e in ipairs(p) do redis.call('XACK', KEYS[1], ARGV[1], e[1]) "
        "end return #p",
        s, g);
    CHECK(r && r->type == REDIS_REPLY_INTEGER);
    if (r)
        freeReplyObject(r);
}

static void
test_trim_stalled_group(void)
{
    const char *s = fx_new_stream("trim");
    /* group gt consumes everything; gstall reads 5 entries and stops */
    h_redis_int("XGROUP CREATE %s gstall 0 MKSTREAM", s);
    pid_t p = fx_start(s, "gt", NULL);
    h_sleep_ms(300);
    char k[64], first[64] = "";
    for (int i = 0; i < 50; i++) {
        snprintf(k, sizeof(k), "%s-%02d", s, i);
        redisReply *r = redisCommand(h_redis(), "XADD %s * k %s", s, k);
        if (i == 0 && r && r->type == REDIS_REPLY_STRING)
            snprintf(first, sizeof(first), "%s", r->str);
        if (r)
            freeReplyObject(r);
    }
    CHECK(fx_wait_effects("gt", s, 50, 10000));
    CHECK(fx_wait_pending(s, "gt", 0, 5000));
    redisReply *r = redisCommand(h_redis(),
                                 "XREADGROUP GROUP gstall c COUNT 5 STREAMS "
                                 "%s >",
                                 s);
    if (r)
        freeReplyObject(r);
    CHECK(fx_pending(s, "gstall") == 5);

    /* retention: no age, 5 entries: only gstall's need holds it back */
    char env[256], out[8192], args[256];
    snprintf(env, sizeof(env), "HMDP_STREAM_RETENTION='fx.trim.*=0 5 1'");
    snprintf(args, sizeof(args), "trim %s", s);
    CHECK(admin_cmd(env, args, out, sizeof(out)) == 0);
    CHECK(h_redis_int("XLEN %s", s) == 50);
    r = redisCommand(h_redis(), "XRANGE %s - + COUNT 1", s);
    CHECK(r && r->type == REDIS_REPLY_ARRAY && r->elements == 1 &&
          strcmp(r->element[0]->element[0]->str, first) == 0);
    if (r)
        freeReplyObject(r);
    /* the admin view names the group that holds the stream */
    snprintf(args, sizeof(args), "streams %s", s);
    CHECK(admin_cmd(env, args, out, sizeof(out)) == 0);
    CHECK(strstr(out, "\"heldByGroup\": \"gstall\"") != NULL ||
          strstr(out, "\"heldByGroup\":\"gstall\"") != NULL);
    snprintf(args, sizeof(args), "trim %s", s);

    /* gstall acknowledges its 5: trimming reaches its next undelivered */
    fx_ack_all(s, "gstall");
    CHECK(admin_cmd(env, args, out, sizeof(out)) == 0);
    CHECK(h_redis_int("XLEN %s", s) == 45);
    /* gstall catches up: down to the count floor */
    r = redisCommand(h_redis(),
                     "XREADGROUP GROUP gstall c COUNT 100 STREAMS %s >", s);
    if (r)
        freeReplyObject(r);
    fx_ack_all(s, "gstall");
    CHECK(admin_cmd(env, args, out, sizeof(out)) == 0);
    CHECK(h_redis_int("XLEN %s", s) == 5);
    CHECK(fx_stop(p) == 0);
}

/* A seckill voucher made directly in MySQL with stock. */
static long long
mk_voucher(int stock)
{
    CHECK(h_sql_exec("INSERT INTO tb_voucher (shop_id, title, pay_value, "
                     "actual_value, type, status) VALUES (1, 'fx', 1, 2, 1, "
                     "1)") == 0);
    long long vid = h_sql_int("SELECT MAX(id) FROM tb_voucher");
    CHECK(h_sql_exec("INSERT INTO tb_seckill_voucher (voucher_id, stock, "
                     "begin_time, end_time) VALUES (%lld, %d, NOW(), NOW() + "
                     "INTERVAL 1 DAY)",
                     vid, stock) == 0);
    return vid;
}

static void
test_mysql_down_orders(void)
{
    enum { N = 60 };
    long long vid = mk_voucher(N);
    long long base =
        900000000000000000LL + (long long)(rand() % 100000) * 1000000LL;
    long long ubase = 800000000LL + (long long)(rand() % 100000) * 1000;
    /* one buyer already has a tb_user_info row with 5 credits */
    CHECK(h_sql_exec("INSERT INTO tb_user_info (user_id, credits) VALUES "
                     "(%lld, 5)",
                     ubase) == 0);

    struct h_daemon db = {.pid = 0};
    for (int i = 0; i < N; i++) {
        if (i == N / 3)
            CHECK(h_daemon_stop("mysqld.pid", &db) == 0);
        redisReply *r = redisCommand(
            h_redis(),
            "XADD stream.orders * userId %lld voucherId %lld id %lld",
            ubase + i, vid, base + i);
        CHECK(r && r->type == REDIS_REPLY_STRING);
        if (r)
            freeReplyObject(r);
        h_sleep_ms(10000 / N);
    }
    CHECK(h_daemon_start(&db) == 0);
    long long orders = -1, credits = -1;
    int64_t t0 = h_now_ms();
    while (h_now_ms() - t0 < 60000) {
        orders = h_sql_int("SELECT COUNT(*) FROM tb_voucher_order WHERE "
                           "voucher_id = %lld",
                           vid);
        credits = h_sql_int("SELECT COUNT(*) FROM tb_credit_log WHERE "
                            "order_id BETWEEN %lld AND %lld",
                            base, base + N - 1);
        if (orders == N && credits == N)
            break;
        h_sleep_ms(200);
    }
    printf("  MySQL down ~10 s: %lld orders, %lld credit grants after %.1f s\n",
           orders, credits, (double)(h_now_ms() - t0) / 1000.0);
    CHECK(orders == N && credits == N);
    /* +10 per order, once; the buyer who had a row kept its 5 */
    long long sum = h_sql_int("SELECT SUM(credits) FROM tb_user_info WHERE "
                              "user_id BETWEEN %lld AND %lld",
                              ubase, ubase + N - 1);
    CHECK(h_sql_int("SELECT credits FROM tb_user_info WHERE user_id = %lld",
                    ubase) == 15);
    CHECK(sum == 5 + 10LL * N);
    CHECK(h_sql_int("SELECT stock FROM tb_seckill_voucher WHERE voucher_id = "
                    "%lld",
                    vid) == 0);
    CHECK(h_redis_int("XLEN stream.orders:dlq") == 0);
}

static long
admin_http(const char *method, const char *path, const char *token,
           const char *body)
{
    char hdr[256];
    snprintf(hdr, sizeof(hdr), "X-Admin-Token: %s", token ? token : "");
    struct resp r;
    if (h_http(method, path, NULL, token ? hdr : NULL, "application/json", body,
               body ? strlen(body) : 0, &r) != 0)
        return -1;
    long st = r.status;
    if (st != 200 && st != 400 && st != 403)
        printf("  %s %s: %ld %s\n", method, path, st, r.body);
    if (st == 400)
        CHECK(r.json && !h_success(&r));
    h_free(&r);
    return st;
}

static void
test_admin_bad_inputs(void)
{
    const char *tok = h_admin_token();
    CHECK(admin_http("GET", "/admin/streams", NULL, NULL) == 403);
    CHECK(admin_http("GET", "/admin/streams", "wrong-token-0123456789", NULL) ==
          403);
    struct resp r;
    char hdr[256];
    snprintf(hdr, sizeof(hdr), "X-Admin-Token: %s", tok);
    CHECK(h_http("GET", "/admin/streams", NULL, hdr, NULL, NULL, 0, &r) == 0);
    CHECK(r.status == 200 && h_success(&r));
    struct json_object *d = h_data(&r), *v = NULL;
    CHECK(d && json_object_object_get_ex(d, "streams", &v) &&
          json_object_array_length(v) >= 2);
    CHECK(d && json_object_object_get_ex(d, "messageStreams", &v));
    CHECK(d && json_object_object_get_ex(d, "spool", &v));
    h_free(&r);
    CHECK(admin_http("GET", "/admin/streams?stream=a%20b", tok, NULL) == 400);
    CHECK(admin_http("GET", "/admin/streams?stream=x:dlq", tok, NULL) == 400);
    CHECK(admin_http("GET", "/admin/streams?stream=%C0%AF", tok, NULL) == 400);
    CHECK(admin_http("GET", "/admin/streams?stream=stream.orders", tok, NULL) ==
          200);
    const char *bad[] = {
        "",
        "{",
        "[]",
        "{\"stream\":\"\"}",
        "{\"stream\":1}",
        "{\"stream\":\"s:dlq\"}",
        "{\"stream\":\"a*\"}",
        "{\"stream\":\"s\",\"ids\":\"1-1\"}",
        "{\"stream\":\"s\",\"ids\":[1]}",
        "{\"stream\":\"s\",\"ids\":[\"abc\"]}",
        "{\"stream\":\"s\",\"ids\":[\"1-\"]}",
        "{\"stream\":\"s\",\"ids\":[]}",
        "{\"ids\":[\"1-1\"]}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        CHECK(admin_http("POST", "/admin/streams/dlq/requeue", tok, bad[i]) ==
              400);
        CHECK(admin_http("POST", "/admin/streams/dlq/drop", tok, bad[i]) ==
              400);
    }
    CHECK(admin_http("POST", "/admin/streams/dlq/drop", NULL,
                     "{\"stream\":\"s\"}") == 403);
    CHECK(admin_http("POST", "/admin/streams/dlq/requeue", "nope",
                     "{\"stream\":\"s\"}") == 403);
    /* a stream without dead letters: nothing to do, no error */
    CHECK(admin_http("POST", "/admin/streams/dlq/requeue", tok,
                     "{\"stream\":\"fx.none\"}") == 200);

    /* the command line refuses the same, with status 2 */
    char out[16384];
    CHECK(admin_cmd(NULL, "", out, sizeof(out)) == 2);
    CHECK(admin_cmd(NULL, "bogus", out, sizeof(out)) == 2);
    CHECK(admin_cmd(NULL, "dlq list", out, sizeof(out)) == 2);
    CHECK(admin_cmd(NULL, "dlq list 'a b'", out, sizeof(out)) == 2);
    CHECK(admin_cmd(NULL, "dlq list s 0", out, sizeof(out)) == 2);
    CHECK(admin_cmd(NULL, "dlq requeue s bad-id", out, sizeof(out)) == 2);
    CHECK(admin_cmd(NULL, "dlq frob s", out, sizeof(out)) == 2);
    CHECK(admin_cmd(NULL, "group reset stream.orders nosuchgroup 0", out,
                    sizeof(out)) == 2);
    CHECK(admin_cmd(NULL, "group reset stream.orders g1 x-y", out,
                    sizeof(out)) == 2);
    CHECK(admin_cmd(NULL, "consumers remove-dead", out, sizeof(out)) == 2);
    CHECK(admin_cmd(NULL, "trim a b", out, sizeof(out)) == 2);
    CHECK(admin_cmd(NULL, "streams", out, sizeof(out)) == 0);
    CHECK(strstr(out, "stream.orders") && strstr(out, "messageStreams"));
    CHECK(admin_cmd(NULL, "consumers stream.orders", out, sizeof(out)) == 0);
    CHECK(strstr(out, "\"g1\"") != NULL);
    CHECK(admin_cmd(NULL, "dlq list stream.orders", out, sizeof(out)) == 0);
    CHECK(admin_cmd(NULL, "consumers remove-dead stream.orders 600000", out,
                    sizeof(out)) == 0);
}

int
main(void)
{
    h_init();
    srand((unsigned)(time(NULL) ^ getpid()));
    RUN(test_groups_split_and_see_all);
    RUN(test_retry_without_restart);
    RUN(test_poison_and_requeue);
    RUN(test_kill9_takeover);
    RUN(test_stop_signals);
    RUN(test_trim_stalled_group);
    RUN(test_admin_bad_inputs);
    RUN(test_mysql_down_orders);
    T_DONE();
}
