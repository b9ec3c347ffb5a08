/*
 * test_zz_faults.c: store outages and worker crashes. Runs last (it
 * stops Redis and MySQL under the other tests' feet).
 * Supervision never gives up: the same worker slot, and the order
 * consumer, killed 5 times within 2 s come back (multiwatch with retries
 * that never run out, conf/respawn.sh backing off; multiwatch alone gave
 * up); `stack.sh start` on a partial stack brings back a killed multiwatch
 * and ends the orphan it left; and it does not
 * load the demo data again (a deleted seed blog stays deleted). Redis stopped
 * -> 503 with the envelope, and normal service once it is back, with the same
 * workers; the same for MySQL; a worker killed with SIGKILL is replaced.
 * A like whose worker is killed between its Redis script and its UPDATE
 * gets its count reconciled.
 */
#include "h.h"

#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/* GET /health (cached up to a second per worker) turns 503 with the
 * same shape, down naming the store, up the other one. */
static void
health_names(const char *down, const char *up)
{
    int seen = 0;
    for (int i = 0; i < 30 && !seen; i++) {
        struct resp r;
        CHECK(h_get("/health", NULL, &r) == 0);
        struct json_object *d = h_data(&r), *v;
        if (r.status == 503 && d && json_object_object_get_ex(d, down, &v) &&
            strcmp(json_object_get_string(v), "down") == 0) {
            seen = 1;
            CHECK(!h_success(&r));
            CHECK(h_errmsg(&r) && strstr(h_errmsg(&r), down));
            CHECK(json_object_object_get_ex(d, up, &v) &&
                  strcmp(json_object_get_string(v), "ok") == 0);
            CHECK(json_object_object_get_ex(d, "consumers", &v));
        }
        h_free(&r);
        if (!seen)
            h_sleep_ms(100);
    }
    CHECK(seen);
}

/* Waits until GET /user/1 answers 200 (up to ms). */
static int
wait_healthy(int ms)
{
    for (int waited = 0; waited < ms; waited += 100) {
        struct resp r;
        int ok = h_get("/user/1", NULL, &r) == 0 && r.status == 200;
        h_free(&r);
        if (ok)
            return 1;
        h_sleep_ms(100);
    }
    return 0;
}

static void
test_worker_respawn(void)
{
    long mw = h_run_pid("fcgi.pid");
    CHECK(mw > 0);
    long kids[64];
    int n = h_children_of(mw, kids, 64);
    CHECK(n >= 1);
    if (n < 1)
        return;
    CHECK(kill((pid_t)kids[0], SIGKILL) == 0);
    int again = 0;
    long now[64];
    for (int i = 0; i < 50; i++) {
        h_sleep_ms(100);
        again = h_children_of(mw, now, 64);
        int replaced = again == n;
        for (int k = 0; k < again; k++)
            if (now[k] == kids[0])
                replaced = 0;
        if (replaced)
            break;
    }
    CHECK(again == n);
    for (int k = 0; k < again; k++)
        CHECK(now[k] != kids[0]);
    /* every worker answers: more requests than workers */
    for (int i = 0; i < 4 * n; i++) {
        struct resp r;
        CHECK(h_get("/user/2", NULL, &r) == 0 && r.status == 200);
        h_free(&r);
    }
}

/* Waits (up to 10 s) until fcgi's multiwatch has n workers again, none
 * of them in gone[0..ngone). */
static int
workers_replaced(long mw, int n, const long *gone, int ngone)
{
    for (int i = 0; i < 100; i++) {
        long now[64];
        int m = h_children_of(mw, now, 64), fresh = m == n;
        for (int k = 0; k < m; k++)
            for (int j = 0; j < ngone; j++)
                if (now[k] == gone[j])
                    fresh = 0;
        if (fresh)
            return 1;
        h_sleep_ms(100);
    }
    return 0;
}

/* The drill for a like lost mid-way: the blog's row is locked so the
 * like's UPDATE waits after its script changed the ZSET, then every
 * worker is killed (and the UPDATE with it). The count lacks the like; once its
 * mark's deadline has passed, a like of another blog reconciles it, and the
 * liker's next click is an unlike that goes through at once. */
static void
test_like_lost_with_worker(void)
{
    int64_t a, b;
    char *ta = h_login(&a), *tb = h_login(&b);
    struct resp r;
    CHECK(h_post_json("/blog", ta,
                      "{\"title\":\"drill\",\"content\":\"c\",\"images\":\"\","
                      "\"shopId\":1}",
                      &r) == 0 &&
          h_success(&r));
    int64_t id = h_data(&r) ? json_object_get_int64(h_data(&r)) : -1;
    h_free(&r);
    CHECK(h_post_json("/blog", ta,
                      "{\"title\":\"drill2\",\"content\":\"c\",\"images\":\"\","
                      "\"shopId\":1}",
                      &r) == 0 &&
          h_success(&r));
    int64_t other = h_data(&r) ? json_object_get_int64(h_data(&r)) : -1;
    h_free(&r);
    CHECK(id > 0 && other > 0);
    char p[64], po[64];
    snprintf(p, sizeof(p), "/blog/like/%lld", (long long)id);
    snprintf(po, sizeof(po), "/blog/like/%lld", (long long)other);

    CHECK(h_sql_exec("BEGIN") == 0);
    CHECK(h_sql_int("SELECT id FROM tb_blog WHERE id = %lld FOR UPDATE",
                    (long long)id) == id);
    pid_t kid = fork();
    if (kid == 0) {
        h_init();
        struct resp x;
        h_put(p, tb, NULL, &x); /* its worker dies: 502 */
        _exit(0);
    }
    /* the script ran: b is in the ZSET; the UPDATE waits for our lock */
    int decided = 0;
    for (int i = 0; i < 100 && !decided; i++) {
        decided = h_redis_int("ZSCORE blog:liking:%lld %lld", (long long)id,
                              (long long)b) > 0;
        if (!decided)
            h_sleep_ms(50);
    }
    CHECK(decided);
    long mw = h_run_pid("fcgi.pid"), kids[64];
    int n = h_children_of(mw, kids, 64);
    CHECK(n >= 1);
    for (int i = 0; i < n; i++)
        CHECK(kill((pid_t)kids[i], SIGKILL) == 0);
    /* MySQL would still run the dead worker's waiting UPDATE once the lock
     * goes (the delta applied, only its mark lost): end it as if the
     * worker had died before sending it */
    long long waiting = h_sql_int(
        "SELECT ID FROM information_schema.PROCESSLIST WHERE INFO LIKE "
        "'UPDATE tb_blog SET liked%%' AND ID <> CONNECTION_ID() LIMIT 1");
    CHECK(waiting > 0);
    CHECK(h_sql_exec("KILL %lld", waiting) == 0);
    CHECK(h_sql_exec("ROLLBACK") == 0);
    int st;
    CHECK(waitpid(kid, &st, 0) == kid);
    CHECK(workers_replaced(mw, n, kids, n));
    /* lost: the ZSET has the like, the count does not */
    CHECK(h_redis_int("ZSCORE blog:liked:%lld %lld", (long long)id,
                      (long long)b) > 0);
    CHECK(h_sql_int("SELECT liked FROM tb_blog WHERE id = %lld",
                    (long long)id) == 0);
    long long deadline = h_redis_int("ZSCORE blog:liking:%lld %lld",
                                     (long long)id, (long long)b);
    CHECK(deadline > 0);
    while (deadline > 0 && h_now_ms() <= deadline)
        h_sleep_ms(200);
    int tries = 0;
    while (h_sql_int("SELECT liked FROM tb_blog WHERE id = %lld",
                     (long long)id) != 1 &&
           tries++ < 20) {
        CHECK(h_put(po, ta, NULL, &r) == 0 && h_success(&r));
        h_free(&r);
    }
    CHECK(h_sql_int("SELECT liked FROM tb_blog WHERE id = %lld",
                    (long long)id) == 1);
    int64_t t0 = h_now_ms();
    CHECK(h_put(p, tb, NULL, &r) == 0 && h_success(&r));
    h_free(&r);
    CHECK(h_now_ms() - t0 < 2000);
    CHECK(h_redis_int("ZCARD blog:liked:%lld", (long long)id) == 0);
    CHECK(h_sql_int("SELECT liked FROM tb_blog WHERE id = %lld",
                    (long long)id) == 0);
    free(ta);
    free(tb);
}

/* Pid of slot's program in the state file DIR/name.state that
 * conf/respawn.sh keeps ("SLOT STATE PID ..."), 0 while the slot waits to
 * restart, -1 when unreadable. */
static long
slot_pid(const char *name, int slot)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s.state", h_env("HMDP_RUN_DIR"), name);
    FILE *f = fopen(path, "r");
    long pid = -1;
    int s;
    char state[32];
    long p;
    while (f && fscanf(f, "%d %31s %ld %*[^\n]", &s, state, &p) == 3)
        if (s == slot)
            pid = p;
    if (f)
        fclose(f);
    return pid;
}

/* Kills slot 0 of the named service `times` times, each time as soon as
 * its replacement is up, all within about 2 s (the back-off between
 * quick deaths is 0, 0.1, 0.2, 0.4 s). Returns the kills done. */
static int
kill_slot_repeatedly(const char *name, int times)
{
    int done = 0;
    long last = -1;
    int64_t t0 = h_now_ms();
    while (done < times && h_now_ms() - t0 < 4000) {
        long pid = slot_pid(name, 0);
        if (pid > 0 && pid != last && kill((pid_t)pid, SIGKILL) == 0) {
            last = pid;
            done++;
        }
        h_sleep_ms(20);
    }
    printf("  %s: %d kills of slot 0 in %lld ms\n", name, done,
           (long long)(h_now_ms() - t0));
    return done;
}

/* Children of the multiwatch named by name.pid that run the program: a
 * child waiting out its back-off is still conf/respawn.sh, so only those
 * that name.state lists as an "up" slot count. */
static int
programs_up(const char *name)
{
    char pidfile[128], path[1024];
    snprintf(pidfile, sizeof(pidfile), "%s.pid", name);
    long kids[64];
    int nk = h_children_of(h_run_pid(pidfile), kids, 64);
    snprintf(path, sizeof(path), "%s/%s.state", h_env("HMDP_RUN_DIR"), name);
    FILE *f = fopen(path, "r");
    int s, n = 0;
    char state[32];
    long p;
    while (f && fscanf(f, "%d %31s %ld %*[^\n]", &s, state, &p) == 3)
        for (int k = 0; k < nk; k++)
            n += strcmp(state, "up") == 0 && kids[k] == p;
    if (f)
        fclose(f);
    return n;
}

/* Waits until the multiwatch named by name.pid runs want copies of its
 * program (up to ms). Returns the count seen last. */
static int
wait_children(const char *name, int want, int ms)
{
    int n = -1;
    for (int waited = 0; waited < ms; waited += 100) {
        n = programs_up(name);
        if (n == want)
            return n;
        h_sleep_ms(100);
    }
    return n;
}

/* conf/stack.sh CMD on the running stack; its settings come from its env
 * file. Returns the exit status. */
static int
stack(const char *cmd)
{
    const char *dir = h_env("HMDP_RUN_DIR");
    int rc = h_sh("bash %s/conf/stack.sh %s %s >>%s/logs/stack-test.log 2>&1",
                  h_env("HMDP_REPO"), cmd, dir, dir);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static void
test_supervision_never_gives_up(void)
{
    long kids[64];
    int workers = h_children_of(h_run_pid("fcgi.pid"), kids, 64);
    CHECK(workers >= 1);
    /* multiwatch stopped forking a slot after its 4th quick death */
    CHECK(kill_slot_repeatedly("fcgi", 5) == 5);
    CHECK(wait_children("fcgi", workers, 10000) == workers);
    CHECK(slot_pid("fcgi", 0) > 0);
    for (int i = 0; i < 4 * workers; i++) {
        struct resp r;
        CHECK(h_get("/user/2", NULL, &r) == 0 && r.status == 200);
        h_free(&r);
    }
    /* the order consumer: multiwatch -f 1 exited after the same drill */
    long sup = h_run_pid("hmdp-voucher-consumer.pid");
    CHECK(sup > 0);
    CHECK(kill_slot_repeatedly("hmdp-voucher-consumer", 5) == 5);
    CHECK(wait_children("hmdp-voucher-consumer", 1, 10000) == 1);
    CHECK(h_run_pid("hmdp-voucher-consumer.pid") == sup &&
          kill((pid_t)sup, 0) == 0);
    CHECK(stack("status") == 0);
}

static void
test_start_repairs_partial_stack(void)
{
    long sup = h_run_pid("hmdp-voucher-consumer.pid");
    long kids[4];
    CHECK(sup > 0 && h_children_of(sup, kids, 4) == 1);
    long orphan = kids[0];
    /* its multiwatch dies hard: the consumer is left behind */
    CHECK(kill((pid_t)sup, SIGKILL) == 0);
    for (int i = 0; i < 50 && kill((pid_t)sup, 0) == 0; i++)
        h_sleep_ms(50);
    CHECK(stack("status") != 0);
    CHECK(stack("start") == 0);
    long sup2 = h_run_pid("hmdp-voucher-consumer.pid");
    CHECK(sup2 > 0 && sup2 != sup);
    CHECK(wait_children("hmdp-voucher-consumer", 1, 5000) == 1);
    /* the orphan was ended, not left to compete with the new one */
    for (int i = 0; i < 50 && kill((pid_t)orphan, 0) == 0; i++)
        h_sleep_ms(100);
    CHECK(kill((pid_t)orphan, 0) != 0);
    CHECK(stack("status") == 0);
    /* the rest was left alone: same workers answer */
    struct resp r;
    CHECK(h_get("/user/2", NULL, &r) == 0 && r.status == 200);
    h_free(&r);
}

/* A seed blog its owner deleted stays deleted across `stack.sh start`
 * (which used to reload sql/seed.sql with INSERT IGNORE every time). */
static void
test_start_keeps_deleted_seed_blog(void)
{
    CHECK(h_sql_int("SELECT COUNT(*) FROM tb_blog WHERE id = 7") == 1);
    int64_t uid;
    char *tok = h_login_phone("13686869696", &uid); /* seed user 1 */
    CHECK(tok != NULL && uid == 1);
    struct resp r;
    CHECK(h_del("/blog/7", tok, &r) == 0 && r.status == 200 && h_success(&r));
    h_free(&r);
    CHECK(h_sql_int("SELECT COUNT(*) FROM tb_blog WHERE id = 7") == 0);
    CHECK(stack("start") == 0);
    CHECK(h_sql_int("SELECT COUNT(*) FROM tb_blog WHERE id = 7") == 0);
    CHECK(h_get("/blog/7", NULL, &r) == 0 && r.status == 200 &&
          !h_success(&r) && h_errmsg(&r) &&
          strcmp(h_errmsg(&r), "博客不存在") == 0);
    h_free(&r);
    free(tok);
}

/* Every worker answers the session, the hot list and the feed (the
 * latter two pipeline the session lookup with a script). */
static void
reads_ok(const char *tok)
{
    static const char *const paths[] = {"/user/me", "/blog/hot?current=1",
                                        "/blog/of/follow"};
    for (int i = 0; i < 8 && tok; i++)
        for (int k = 0; k < 3; k++) {
            struct resp r;
            CHECK(h_get(paths[k], tok, &r) == 0 && r.status == 200 &&
                  h_success(&r) && (k != 1 || h_data(&r) != NULL));
            h_free(&r);
        }
}

static void
test_redis_outage(void)
{
    int64_t uid;
    char *tok = h_login(&uid);
    CHECK(tok != NULL);
    const char *port = h_env("HMDP_REDIS_PORT");
    const char *dir = h_env("HMDP_RUN_DIR");
    CHECK(h_sh("redis-cli -p %s shutdown nosave >/dev/null 2>&1; sleep 0.3",
               port) == 0 ||
          1);
    struct resp r;
    /* token lookup needs Redis: 503 with the envelope, for every worker */
    char rid[80] = "";
    for (int i = 0; i < 8; i++) {
        CHECK(h_get("/user/me", tok, &r) == 0 && r.status == 503);
        CHECK(r.json && !h_success(&r) && h_errmsg(&r));
        snprintf(rid, sizeof(rid), "%s", r.rid);
        h_free(&r);
    }
    /* each 503 is one log line: the request line, with the store's
     * failure in its "error" (issue 13: it used to be two) */
    CHECK(strlen(rid) == 32);
    h_sleep_ms(300);
    CHECK(h_sh("test $(grep '%s' %s | grep -c '\"level\":\"error\"') -eq 1",
               rid, h_env("HMDP_LOG_FILE")) == 0);
    CHECK(h_sh("grep '%s' %s | grep -q '\"status\":503,.*\"error\":\"redis'",
               rid, h_env("HMDP_LOG_FILE")) == 0);
    /* the pool's health names Redis (the heartbeats are unknown then) */
    health_names("redis", "mysql");
    /* so do the routes that pipeline the lookup with their own script */
    for (int i = 0; i < 8; i++) {
        CHECK(h_get("/blog/hot?current=1", tok, &r) == 0 && r.status == 503);
        CHECK(r.json && !h_success(&r) && h_errmsg(&r));
        h_free(&r);
        CHECK(h_get("/blog/of/follow", tok, &r) == 0 && r.status == 503);
        CHECK(r.json && !h_success(&r) && h_errmsg(&r));
        h_free(&r);
    }
    CHECK(h_http("POST", "/user/code?phone=13812345678", NULL, NULL, NULL, NULL,
                 0, &r) == 0 &&
          r.status == 503 && !h_success(&r));
    h_free(&r);
    /* the stack's own config: same port, socket and AOF directory */
    CHECK(h_sh("redis-server %s/redis.conf", dir) == 0);
    int up = 0;
    for (int i = 0; i < 50 && !up; i++) {
        h_sleep_ms(100);
        up = h_redis_int("PING") != -1 || h_redis_int("DBSIZE") >= 0;
    }
    CHECK(up);
    /* the restarted Redis reloaded its AOF (test_zz_durable checks what
     * survives); log in again anyway: every worker serves without a
     * restart, from the first request on */
    free(tok);
    tok = h_login(&uid);
    CHECK(tok != NULL);
    /* scripts load again on the new connections; the hot page and the
     * feed rebuild from MySQL */
    reads_ok(tok);
    /* a server that forgets its scripts (SCRIPT FLUSH) on a live
     * connection: EVALSHA gets NOSCRIPT and the script runs with EVAL,
     * also where it is pipelined with the session lookup */
    h_redis_int("SCRIPT FLUSH");
    reads_ok(tok);
    free(tok);
}

static void
test_mysql_outage(void)
{
    struct h_daemon db;
    CHECK(h_daemon_stop("mysqld.pid", &db) == 0);
    if (db.pid <= 0)
        return;
    struct resp r;
    for (int i = 0; i < 6; i++) {
        CHECK(h_get("/user/2", NULL, &r) == 0 && r.status == 503);
        CHECK(r.json && !h_success(&r));
        h_free(&r);
    }
    health_names("mysql", "redis");
    CHECK(h_daemon_start(&db) == 0);
    CHECK(wait_healthy(30000));
    for (int i = 0; i < 8; i++) {
        CHECK(h_get("/user/2", NULL, &r) == 0 && r.status == 200);
        h_free(&r);
    }
}

int
main(void)
{
    h_init();
    RUN(test_worker_respawn);
    RUN(test_like_lost_with_worker);
    RUN(test_supervision_never_gives_up);
    RUN(test_start_repairs_partial_stack);
    RUN(test_start_keeps_deleted_seed_blog);
    RUN(test_redis_outage);
    RUN(test_mysql_outage);
    T_DONE();
}
