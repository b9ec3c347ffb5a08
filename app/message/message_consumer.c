/*
 * message_consumer.c: main of hmdp-message-consumer, the message layer's
 * consumers, each one group on the stream consumer runtime
 * (app/stream/consumer.h: pending first, ack after commit, take-over of a
 * dead consumer's entries, dead letters, stop signals):
 *
 *   persist    stream.notify -> tb_message (notices, by mid)
 *   chat-sync  stream.chat   -> tb_chat_message (chat, by chat message id)
 *   push       stream.orders -> the order notice, once the order row
 *              exists in MySQL (retry until it does)
 *
 * `hmdp-message-consumer <group>` runs one of them. Without an argument
 * (how conf/stack.sh starts it, under multiwatch -f 1) the process is a
 * small supervisor: it starts one child per group (itself, exec'd with the
 * group's name, so a child inherits no connection), starts a child again
 * when it dies (a kill -9 of chat-sync mid-batch: the new process takes
 * over the dead one's pending entries), forwards a stop signal and waits
 * for the children, and meanwhile drains the producers' spool directory
 * every second (message_spool.c), including the files of dead workers.
 *
 * chat-sync reads up to chat_sync_batch entries per batch (the runtime's
 * stream_batch, set for that child through its environment): one
 * transaction per batch, multi-row INSERTs, so the backlog after a stall
 * drains in large batches while a lone message is written at once.
 */
#include "message_private.h"

#include "../core/cfg.h"
#include "../core/log.h"
#include "../core/util.h"
#include "../store/job.h"
#include "../store/keys.h"
#include "../store/rds.h"
#include "../store/sql.h"
#include "../stream/consumer.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---------------- the handlers ---------------- */

static res_t
mc_persist(struct ctx *cx, void *arg, const struct stream_entry *e, size_t n,
           struct stream_result *res)
{
    (void)arg;
    unsigned char *bad = arena_calloc(cx->arena, n ? n : 1);
    res_t rc = message_persist_batch(cx, e, n, bad);
    if (rc != RES_OK)
        return rc;
    for (size_t i = 0; i < n; i++)
        if (bad[i])
            res[i] = (struct stream_result){STREAM_POISON, "not a notice"};
    return RES_OK;
}

static res_t
mc_chat_sync(struct ctx *cx, void *arg, const struct stream_entry *e, size_t n,
             struct stream_result *res)
{
    (void)arg;
    unsigned char *bad = arena_calloc(cx->arena, n ? n : 1);
    res_t rc = message_chat_sync_batch(cx, e, n, bad);
    if (rc != RES_OK)
        return rc;
    for (size_t i = 0; i < n; i++)
        if (bad[i])
            res[i] =
                (struct stream_result){STREAM_POISON, "not a chat message"};
    return RES_OK;
}

/* An order entry's id and buyer (fields id and userId). */
static int
mc_order_fields(const struct stream_entry *e, int64_t *id, int64_t *buyer)
{
    const char *s = stream_entry_get(e, "id"),
               *u = stream_entry_get(e, "userId");
    return s && u && str_parse_i64(s, id) == 0 && *id > 0 &&
                   str_parse_i64(u, buyer) == 0 && *buyer > 0
               ? 0
               : -1;
}

/* An order entry older than this whose writer (g1) is not done with it:
 * g1 is behind (stopped, MySQL was down), so the batch is held without
 * counting deliveries instead of retried towards the DLQ. */
#define MC_PUSH_PATIENCE_MS 1000

/* The order notice once the order row exists. Normally g1 commits within
 * milliseconds and the first retry finds the row; while g1 lags the batch
 * is held (RES_DEP_DOWN: handed again, no delivery counted); an order g1
 * is done with that has no row (g1 dead-lettered it) gets no notice. */
static res_t
mc_push(struct ctx *cx, void *arg, const struct stream_entry *e, size_t n,
        struct stream_result *res)
{
    (void)arg;
    size_t cap = n ? n : 1;
    int64_t *ids = arena_calloc(cx->arena, cap * sizeof(*ids));
    int64_t *buyers = arena_calloc(cx->arena, cap * sizeof(*buyers));
    const char **eids = arena_calloc(cx->arena, cap * sizeof(*eids));
    unsigned char *found = arena_calloc(cx->arena, cap);
    unsigned char *done = arena_calloc(cx->arena, cap);
    size_t *at = arena_calloc(cx->arena, cap * sizeof(*at));
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (mc_order_fields(&e[i], &ids[k], &buyers[k]) < 0) {
            res[i] = (struct stream_result){STREAM_POISON, "not an order"};
            continue;
        }
        eids[k] = e[i].id;
        at[k++] = i;
    }
    /* g1's progress first, then the rows: g1 acknowledges after its
     * COMMIT, so an entry it was done with before the query has its row
     * in the query's answer (the other order could take an order
     * committed in between for one that will never come) */
    res_t rc = message_orders_done(cx, eids, k, done);
    if (rc != RES_OK)
        return rc;
    if ((rc = message_orders_exist(cx, ids, k, found)) != RES_OK)
        return rc;
    long long now = (long long)util_now_ms();
    for (size_t j = 0; j < k; j++) {
        if (found[j] || done[j])
            continue;
        if (now - atoll(eids[j]) > MC_PUSH_PATIENCE_MS)
            return ctx_fail(cx, RES_DEP_DOWN,
                            "order %lld (entry %s): the order writer has not "
                            "handled it yet; holding the batch",
                            (long long)ids[j], eids[j]);
    }
    for (size_t j = 0; j < k; j++) {
        if (!found[j]) {
            res[at[j]] =
                done[j] ? (struct stream_result){STREAM_POISON,
                                                 "the order writer is done "
                                                 "with the order and it has "
                                                 "no row: no notice"}
                        : (struct stream_result){STREAM_RETRY,
                                                 "order row not yet in "
                                                 "MySQL"};
            continue;
        }
        /* appended or spooled; the order id is the message id, so a
         * second delivery adds nothing */
        if ((rc = message_notify_order(cx, buyers[j], ids[j])) != RES_OK)
            return rc;
    }
    return RES_OK;
}

static const struct stream_consumer mc_groups[] = {
    /* persist and chat-sync write MySQL only: pipelined (consumer.h) */
    {"message-persist", KEY_STREAM_NOTIFY, KEY_NOTIFY_GROUP, mc_persist, NULL,
     1},
    {"message-chat-sync", KEY_STREAM_CHAT, KEY_CHAT_GROUP, mc_chat_sync, NULL,
     1},
    {"message-push", KEY_STREAM_ORDERS, KEY_ORDERS_PUSH, mc_push, NULL, 0},
};
#define MC_NGROUPS (sizeof(mc_groups) / sizeof(mc_groups[0]))

/* ---------------- the supervisor ---------------- */

static volatile sig_atomic_t mc_stop;

static void
mc_on_signal(int sig)
{
    (void)sig;
    mc_stop = 1;
}

static pid_t
mc_spawn(const char *self, size_t g)
{
    pid_t pid = fork();
    if (pid != 0) {
        if (pid < 0)
            log_error("message consumer: fork: %s", strerror(errno));
        return pid;
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    if (mc_groups[g].handle == mc_chat_sync) {
        char b[32];
        snprintf(b, sizeof(b), "%d", g_cfg.chat_sync_batch);
        setenv("HMDP_STREAM_BATCH", b, 1);
    }
    execl(self, self, mc_groups[g].group, (char *)NULL);
    log_error("message consumer: exec %s: %s", self, strerror(errno));
    _exit(127);
}

static void
mc_nap(int ms)
{
    struct timespec ts = {0, (long)ms * 1000000L};
    nanosleep(&ts, NULL);
}

static int
mc_supervise(const char *self)
{
    pid_t kids[MC_NGROUPS] = {0};
    long long spawned[MC_NGROUPS] = {0};
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = mc_on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    log_reopen_on(SIGUSR2); /* logrotate (conf/logrotate.conf.in) */

    struct arena *a = arena_new();
    struct ctx cx;
    long long last_drain = 0;
    while (!mc_stop) {
        long long now = (long long)util_now_ms();
        for (size_t g = 0; g < MC_NGROUPS; g++)
            /* a child that keeps dying is started at most once a second */
            if (kids[g] <= 0 && now - spawned[g] >= 1000) {
                spawned[g] = now;
                kids[g] = mc_spawn(self, g);
            }
        int status;
        pid_t dead;
        while ((dead = waitpid(-1, &status, WNOHANG)) > 0)
            for (size_t g = 0; g < MC_NGROUPS; g++)
                if (kids[g] == dead) {
                    log_warn("message consumer %s (pid %ld) ended (status "
                             "%d): starting it again",
                             mc_groups[g].group, (long)dead, status);
                    kids[g] = 0;
                }
        if (now - last_drain >= 1000) {
            last_drain = now;
            job_begin(&cx, a, "message-spool", "drain", "spool");
            (void)message_spool_drain_all(&cx);
            job_end(&cx);
        }
        mc_nap(100);
    }
    for (size_t g = 0; g < MC_NGROUPS; g++)
        if (kids[g] > 0)
            kill(kids[g], SIGTERM);
    for (size_t g = 0; g < MC_NGROUPS; g++)
        if (kids[g] > 0)
            waitpid(kids[g], NULL, 0);
    arena_free(a);
    rds_close();
    sql_close();
    cfg_free();
    log_info("message consumers stopped");
    return 0;
}

int
main(int argc, char **argv)
{
    if (argc == 2) {
        for (size_t g = 0; g < MC_NGROUPS; g++)
            if (strcmp(argv[1], mc_groups[g].group) == 0)
                return stream_consumer_main(&mc_groups[g]);
        fprintf(stderr, "usage: %s [persist|chat-sync|push]\n", argv[0]);
        return 2;
    }
    if (cfg_load() < 0) {
        log_error("invalid configuration; refusing to start");
        return 2;
    }
    const char *logf = getenv("HMDP_CONSUMER_LOG");
    if (logf && *logf && log_open_file(logf) < 0)
        log_warn("cannot open log file %s; logging to stderr", logf);
    /* the children are this program: exec'd by its own path */
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n <= 0) {
        log_error("message consumer: cannot find its own program");
        return 2;
    }
    self[n] = '\0';
    return mc_supervise(self);
}
