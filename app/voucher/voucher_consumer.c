/*
 * voucher_consumer.c: main of hmdp-voucher-consumer, the process that
 * persists flash-sale orders. It reads stream.orders as consumer c1 of
 * group g1 (created at startup, BUSYGROUP ignored), writes each batch of
 * up to VC_BATCH orders to MySQL in one transaction and acknowledges the
 * entries only after COMMIT. At startup and after any error it first
 * replays its own pending entries (XREADGROUP ... 0), so an order survives
 * a crash between COMMIT and XACK; the order id (primary key) and
 * UNIQUE(user_id, voucher_id) turn such a replay into a no-op: a batch
 * that hits a duplicate is rolled back and redone one order at a time,
 * and a duplicate single order counts as persisted.
 *
 * Redis and MySQL restarts need nothing special: store/ reopens its
 * connections on the next call; the loop backs off (up to 1 s) while a
 * store is down and re-creates the group, which a Redis without
 * persistence loses on restart.
 *
 * SIGTERM, SIGINT and SIGUSR1 (what multiwatch sends) stop the loop after
 * the batch in hand is committed and acknowledged; the process then frees
 * everything and exits 0, so LeakSanitizer can check it.
 *
 * Logging: $HMDP_CONSUMER_LOG if set, else stderr (conf/stack.sh points
 * stderr at logs/hmdp-voucher-consumer.log). The workers' log_file is
 * deliberately not used. SIGUSR2 reopens the file (logrotate).
 *
 * Operations: each loop turn beats as component "voucher-consumer"
 * (store/health.h, read by GET /health), and batches are counted in the
 * shared metrics file (core/metrics.h) under that name.
 */
#include "voucher_private.h"

#include "../core/cfg.h"
#include "../core/log.h"
#include "../core/metrics.h"
#include "../core/util.h"
#include "../store/health.h"
#include "../store/job.h"
#include "../store/keys.h"
#include "../store/rds.h"
#include "../store/sql.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define VC_BATCH          100
#define VC_BLOCK_MS       2000
#define VC_IO_TIMEOUT_MS  5000 /* > VC_BLOCK_MS */
#define VC_BACKOFF_MAX_MS 1000
#define VC_COMPONENT      "voucher-consumer" /* heartbeat, metrics */

static volatile sig_atomic_t vc_stop;

static void
vc_on_signal(int sig)
{
    (void)sig;
    vc_stop = 1;
}

static void
vc_sleep_ms(int ms)
{
    /* short naps so a stop signal is noticed quickly */
    for (int left = ms; left > 0 && !vc_stop; left -= 50) {
        struct timespec ts = {0, (long)(left < 50 ? left : 50) * 1000000L};
        nanosleep(&ts, NULL);
    }
}

/* Persists and acknowledges one batch. Entries that cannot be decoded
 * (or were trimmed while pending) are acknowledged and dropped. */
static res_t
vc_handle(struct ctx *cx, const struct stream_entry *e, size_t n)
{
    struct voucher_order *o = arena_alloc(cx->arena, n * sizeof(*o));
    const char **ids = arena_alloc(cx->arena, n * sizeof(*ids));
    size_t no = 0;
    for (size_t i = 0; i < n; i++) {
        ids[i] = e[i].id;
        if (voucher_order_parse(&e[i], &o[no]) == 0)
            no++;
        else
            log_warn("stream entry %s is not an order (%zu fields): "
                     "acknowledged and dropped",
                     e[i].id, e[i].nfields);
    }
    int dup = 0;
    res_t rc = RES_OK;
    if (no > 0 && (rc = voucher_orders_persist(cx, o, no, &dup)) != RES_OK)
        return rc;
    if (dup) {
        /* some order is already in MySQL (a replay after a crash) */
        for (size_t i = 0; i < no; i++) {
            int d1;
            if ((rc = voucher_orders_persist(cx, &o[i], 1, &d1)) != RES_OK)
                return rc;
            if (d1)
                log_info("order %lld already persisted", (long long)o[i].id);
        }
    }
    long long acked;
    return stream_ack(cx, KEY_STREAM_ORDERS, KEY_ORDERS_GROUP, ids, n, &acked);
}

static res_t
vc_ensure_group(struct ctx *cx)
{
    return stream_group_ensure(cx, KEY_STREAM_ORDERS, KEY_ORDERS_GROUP, "0");
}

int
main(void)
{
    if (cfg_load() < 0) {
        log_error("invalid configuration; refusing to start");
        return 2;
    }
    const char *logf = getenv("HMDP_CONSUMER_LOG");
    if (logf && *logf && log_open_file(logf) < 0)
        log_warn("cannot open log file %s; logging to stderr", logf);
    if (!(logf && *logf))
        log_adopt_stderr();
    log_reopen_on(SIGUSR2);
    if (g_cfg.metrics_file[0])
        metrics_open(g_cfg.metrics_file, MET_KIND_CONSUMER, VC_COMPONENT, NULL);
    if (util_rand_init() < 0) {
        log_error("libsodium initialisation failed");
        return 2;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = vc_on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    rds_set_io_timeout(VC_IO_TIMEOUT_MS);

    struct arena *a = arena_new();
    struct ctx cx;
    int pending = 1, need_group = 1, backoff = 0;
    unsigned long persisted = 0;
    log_info("voucher consumer %s started on %s/%s", VOUCHER_CONSUMER,
             KEY_STREAM_ORDERS, KEY_ORDERS_GROUP);

    while (!vc_stop) {
        job_begin(&cx, a, "voucher-consumer", pending ? "pending" : "read",
                  KEY_STREAM_ORDERS);
        res_t rc = RES_OK;
        struct stream_entry *e = NULL;
        size_t n = 0;
        health_beat(&cx, VC_COMPONENT);

        if (need_group && (rc = vc_ensure_group(&cx)) == RES_OK)
            need_group = 0;
        if (rc == RES_OK) {
            if (pending)
                rc = stream_read_pending(&cx, KEY_STREAM_ORDERS,
                                         KEY_ORDERS_GROUP, VOUCHER_CONSUMER,
                                         VC_BATCH, &e, &n);
            else
                rc = stream_read(&cx, KEY_STREAM_ORDERS, KEY_ORDERS_GROUP,
                                 VOUCHER_CONSUMER, VC_BATCH, VC_BLOCK_MS, &e,
                                 &n);
        }
        if (rc == RES_OK && n > 0) {
            rc = vc_handle(&cx, e, n);
            metrics_batch(n, rc != RES_OK);
        }
        job_end(&cx);

        if (rc != RES_OK) {
            /* logged by ctx_fail; replay our pending entries once the
             * stores answer again */
            pending = 1;
            need_group = 1;
            backoff = backoff ? backoff * 2 : 50;
            if (backoff > VC_BACKOFF_MAX_MS)
                backoff = VC_BACKOFF_MAX_MS;
            vc_sleep_ms(backoff);
            continue;
        }
        if (backoff) {
            log_info("voucher consumer: stores reachable again");
            backoff = 0;
        }
        persisted += n;
        if (pending && n == 0)
            pending = 0; /* replay done: on to new entries */
    }

    log_info("voucher consumer stopping (%lu entries handled)", persisted);
    arena_free(a); /* runs the last job's cleanups */
    rds_close();
    sql_close();
    cfg_free();
    return 0;
}
