/*
 * main.c: wires the SSE gateway (hmdp-sse): config -> log -> listener ->
 * Redis relay -> one libevent loop until SIGTERM, SIGINT or SIGUSR1
 * (multiwatch's "finish and exit"), then closes every client and frees
 * everything, so LeakSanitizer sees a clean exit.
 *
 * Links no libfcgi and no blocking store: core's cfg, log and arena,
 * store/keys.c, and this directory. conf/stack.sh runs it under its own
 * multiwatch -f 1, which restarts it if it dies; clients then reconnect
 * (EventSource retries after 3 s) with their cursor and miss nothing.
 */
#include "../core/arena.h"
#include "../core/cfg.h"
#include "../core/log.h"
#include "../core/metrics.h"
#include "sse_private.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>

struct sse_gw g_sse;

static void
sse_main_on_signal(evutil_socket_t sig, short what, void *arg)
{
    (void)what;
    (void)arg;
    log_info("sse: signal %d: closing %zu clients and exiting", (int)sig,
             g_sse.nclients);
    g_sse.stopping = 1;
    event_base_loopbreak(g_sse.base);
}

/* Each client is a descriptor: take the hard limit as the soft one. */
static void
sse_main_raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
            log_warn("sse: cannot raise the descriptor limit");
    }
}

static void
sse_main_free_users(void)
{
    /* every client is closed and every read has been answered (with no
     * reply, by sse_relay_close), so normally nothing is left here */
    for (size_t i = 0; i < g_sse.nbuckets; i++) {
        struct sse_user *u = g_sse.buckets[i], *next;
        for (; u; u = next) {
            next = u->hnext;
            free(u);
        }
    }
    free(g_sse.buckets);
    g_sse.buckets = NULL;
    g_sse.nbuckets = g_sse.nusers = 0;
}

int
main(void)
{
    static const int sigs[3] = {SIGTERM, SIGINT, SIGUSR1};
    int rc = 1;

    if (cfg_load() < 0) {
        log_error("invalid configuration; refusing to start");
        return 2;
    }
    if (g_cfg.log_file[0] && log_open_file(g_cfg.log_file) < 0)
        log_warn("cannot open log file %s; logging to stderr", g_cfg.log_file);
    if (!g_cfg.log_file[0])
        log_adopt_stderr();
    log_reopen_on(SIGUSR2); /* logrotate (conf/logrotate.conf.in) */
    if (g_cfg.metrics_file[0])
        metrics_open(g_cfg.metrics_file, MET_KIND_SSE, "sse", NULL);
    signal(SIGPIPE, SIG_IGN);
    sse_main_raise_nofile();

    g_sse.lfd = -1;
    g_sse.ping_ms = g_cfg.sse_ping_ms;
    g_sse.buffer_limit = (size_t)g_cfg.sse_buffer_limit;
    g_sse.scratch = arena_new();
    g_sse.base = event_base_new();
    if (g_sse.base == NULL) {
        log_error("sse: event_base_new failed");
        goto out;
    }
    if (sse_loop_open(g_cfg.sse_addr) < 0)
        goto out;
    for (int i = 0; i < 3; i++) {
        g_sse.sig_ev[i] =
            evsignal_new(g_sse.base, sigs[i], sse_main_on_signal, NULL);
        if (g_sse.sig_ev[i] == NULL)
            abort();
        event_add(g_sse.sig_ev[i], NULL);
    }
    sse_relay_open();
    log_info("sse: listening on %s (ping every %d ms, buffer limit %zu "
             "bytes, %s backend)",
             g_cfg.sse_addr, g_sse.ping_ms, g_sse.buffer_limit,
             event_base_get_method(g_sse.base));
    event_base_dispatch(g_sse.base);
    rc = g_sse.stopping ? 0 : 1;

out:
    g_sse.stopping = 1;
    sse_loop_close();
    sse_relay_close();
    sse_main_free_users();
    for (int i = 0; i < 3; i++)
        if (g_sse.sig_ev[i])
            event_free(g_sse.sig_ev[i]);
    if (g_sse.base)
        event_base_free(g_sse.base);
    libevent_global_shutdown();
    sse_buf_free(&g_sse.frame);
    arena_free(g_sse.scratch);
    cfg_free();
    return rc;
}
