/*
 * fcgi.c: one process, one request at a time (spawn-fcgi + multiwatch run
 * N of these). The loop is libfcgi's: accept, build a struct req from the
 * params, dispatch (core/dispatch.c), write the rendered reply,
 * FCGX_Finish_r, arena_reset. Only libfcgi glue lives here.
 *
 * By default (fcgi_keepalive = off) every request is its own connection,
 * closed by FCGX_Finish_r: the worker accepts the oldest connection of the
 * listen queue when it is free, serves it and holds nothing else, so the
 * kernel's FIFO accept queue is the pool's only queue. With
 * fastcgi_keep_conn on, a worker holds several kept connections and
 * serves whichever has a request, so an idle kept connection never keeps
 * it from the others.
 */
#include "fcgi.h"

#include "cfg.h"
#include "dispatch.h"
#include "log.h"
#include "metrics.h"
#include "reply.h"
#include "util.h"

#include <errno.h>
#include <fcgiapp.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t fcgi_stop;

static void
fcgi_on_term(int sig)
{
    (void)sig;
    fcgi_stop = 1;
}

static enum http_method
fcgi_method(const char *m)
{
    if (strcmp(m, "GET") == 0)
        return HTTP_GET;
    if (strcmp(m, "POST") == 0)
        return HTTP_POST;
    if (strcmp(m, "PUT") == 0)
        return HTTP_PUT;
    if (strcmp(m, "DELETE") == 0)
        return HTTP_DELETE;
    if (strcmp(m, "HEAD") == 0)
        return HTTP_HEAD;
    return HTTP_OTHER;
}

/* Params die at FCGX_Finish_r, and the request is logged after it: every
 * value is copied into the request's arena. */
static struct arena *fcgi_arena;

static const char *
fcgi_param(FCGX_Request *fr, const char *name)
{
    const char *v = FCGX_GetParam(name, fr->envp);
    return v ? arena_strdup(fcgi_arena, v) : "";
}

static res_t
fcgi_read_body(struct req *rq, size_t n, void *ctx)
{
    FCGX_Request *fr = ctx;
    char *buf = arena_alloc(rq->cx.arena, n + 1);
    size_t got = 0;
    while (got < n) {
        int k = FCGX_GetStr(buf + got, (int)(n - got), fr->in);
        if (k <= 0)
            break;
        got += (size_t)k;
    }
    if (got != n)
        return req_fail(rq, RES_BAD_INPUT, "请求体不完整");
    buf[n] = '\0';
    rq->body = buf;
    rq->body_len = n;
    return RES_OK;
}

/* Path as routed: DOCUMENT_URI (nginx's $uri after the /api rewrite), else
 * REQUEST_URI without the query and a leading /api. */
static const char *
fcgi_path(struct req *rq, FCGX_Request *fr)
{
    const char *p = fcgi_param(fr, "DOCUMENT_URI");
    if (*p == '\0') {
        p = fcgi_param(fr, "REQUEST_URI");
        size_t n = strcspn(p, "?");
        p = arena_strndup(rq->cx.arena, p, n);
    }
    if (strncmp(p, "/api/", 5) == 0)
        p += 4;
    return p;
}

/* A worker holds up to FCGI_CONNS FastCGI connections at once when nginx
 * keeps connections open (fastcgi_keep_conn on): an idle kept connection
 * must not stop the worker from serving another one. Requests are still
 * served one at a time; the worker waits in poll() on its kept
 * connections and, while it has a free slot, on the listen socket. With
 * fastcgi_keep_conn off each connection closes after its request, so only
 * the one being served is ever held. */
#define FCGI_CONNS 16

/* The listen socket alone in an epoll set with EPOLLEXCLUSIVE (-1: none).
 * A worker that holds no kept connection (always, with fcgi_keepalive =
 * off) waits for a new one in epoll_wait on it, and the kernel wakes one
 * of the idle workers per connection instead of all of them: with poll()
 * every idle worker woke, and all but one found accept() empty. A
 * context switch is dear on this kind of virtual machine: with 16
 * workers those wasted wakeups cost a read request a third more worker
 * CPU than with 4. */
static int fcgi_ep = -1;

static void
fcgi_ep_open(void)
{
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0) {
        log_warn("epoll_create1: %s (waiting in poll)", strerror(errno));
        return;
    }
    struct epoll_event ev = {.events = EPOLLIN | EPOLLEXCLUSIVE};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, 0, &ev) != 0) {
        log_warn("epoll_ctl: %s (waiting in poll)", strerror(errno));
        close(ep);
        return;
    }
    fcgi_ep = ep;
}

/* Picks the slot whose next request to serve: a kept connection with
 * input, or a free slot when a new connection waits. Round robin over the
 * ready ones, so no connection starves. Returns -1 when interrupted.
 * Writes the buffered request log lines before it sleeps. */
static int
fcgi_next(FCGX_Request *slots, unsigned *rr)
{
    struct pollfd p[FCGI_CONNS + 1];
    int map[FCGI_CONNS + 1], n = 0, free_slot = -1;
    for (int i = 0; i < FCGI_CONNS; i++) {
        if (slots[i].ipcFd >= 0) {
            p[n] = (struct pollfd){slots[i].ipcFd, POLLIN, 0};
            map[n++] = i;
        } else if (free_slot < 0) {
            free_slot = i;
        }
    }
    if (n == 0 && free_slot >= 0 && fcgi_ep >= 0) {
        /* nothing kept: wait for a connection, woken alone (fcgi_ep) */
        struct epoll_event ev;
        int r = epoll_wait(fcgi_ep, &ev, 1, 0);
        if (r == 0) {
            log_flush(); /* about to sleep */
            r = epoll_wait(fcgi_ep, &ev, 1, -1);
        }
        return r > 0 ? free_slot : -1;
    }
    if (free_slot >= 0) {
        p[n] = (struct pollfd){0, POLLIN, 0}; /* spawn-fcgi's socket */
        map[n++] = free_slot;
    }
    int r = poll(p, (nfds_t)n, 0);
    if (r == 0) {
        log_flush(); /* about to sleep */
        r = poll(p, (nfds_t)n, -1);
    }
    if (r <= 0)
        return -1;
    for (int k = 0; k < n; k++) {
        int j = (int)((*rr + (unsigned)k) % (unsigned)n);
        if (p[j].revents) {
            *rr = (unsigned)j + 1;
            return map[j];
        }
    }
    return -1;
}

/* Ends the request; without a kept connection, closes it at once.
 * libfcgi's own close (FCGX_Finish_r of an attached request) shuts the
 * write side down and then waits, up to 2 s, until the peer has closed
 * its end too, reading whatever still comes: over TCP that keeps a late
 * segment from drawing a reset. But it left every worker idle after each
 * answer until nginx had read it and closed, a wait that grows with
 * nginx's load (with 4 workers, closing at once took the floor from 7.1k
 * to 8.5-10.7k req/s at 64 connections; with its one-round-trip read,
 * GET /blog/{id} went from 4.9k to 6.7-8.6k: tests/bench/RESULTS.md,
 * "Session 5"). nginx has sent the whole request before it reads an
 * answer (request buffering) and
 * sends nothing after it (without kept connections it closes, it never
 * aborts a request with a record), and the input stream has been read to
 * its end (fcgi_serve). So what the socket may still hold is read without
 * waiting, and the descriptor closed plainly (FCGX_Detach: no shutdown,
 * no wait): with an empty receive queue the close is a clean end of
 * stream on a Unix socket and a FIN over TCP, and the answer stays
 * readable in nginx's queue after it. */
static void
fcgi_finish(FCGX_Request *fr)
{
    if (!fr->keepConnection && fr->ipcFd >= 0) {
        char sink[512];
        while (recv(fr->ipcFd, sink, sizeof(sink), MSG_DONTWAIT) > 0)
            ;
        FCGX_Detach(fr);
    }
    FCGX_Finish_r(fr);
}

int
fcgi_serve(const struct route *const *tables,
           const struct dispatch_hooks *hooks)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = fcgi_on_term;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    if (FCGX_Init() != 0) {
        log_error("FCGX_Init failed");
        return -1;
    }
    /* multiwatch stops its children with SIGUSR1; libfcgi's own handler
     * would only make every later accept fail, so take it over */
    sigaction(SIGUSR1, &sa, NULL);
    static FCGX_Request slots[FCGI_CONNS];
    for (int i = 0; i < FCGI_CONNS; i++)
        if (FCGX_InitRequest(&slots[i], 0, FCGI_FAIL_ACCEPT_ON_INTR) != 0) {
            log_error("FCGX_InitRequest failed");
            return -1;
        }
    /* accept only when poll says a connection waits; another worker may
     * take it first, and then accept must fail instead of blocking */
    int fl = fcntl(0, F_GETFL);
    if (fl < 0 || fcntl(0, F_SETFL, fl | O_NONBLOCK) < 0) {
        log_error("listen socket: %s", strerror(errno));
        return -1;
    }
    fcgi_ep_open();
    unsigned rr = 0;
    struct arena *a = arena_new();
    fcgi_arena = a;
    unsigned long seq = 0;
    log_info("worker ready");

    while (!fcgi_stop) {
        int s = fcgi_next(slots, &rr);
        if (s < 0) {
            log_reopen_check(); /* SIGUSR2 from logrotate */
            continue; /* interrupted: fcgi_stop says whether to go on */
        }
        FCGX_Request *fr = &slots[s];
        /* a kept connection that nginx closed, or a connection another
         * worker accepted first: nothing to serve, the slot is free */
        if (FCGX_Accept_r(fr) < 0)
            continue;
        int64_t t0 = util_mono_us();
        if (hooks && hooks->begin)
            hooks->begin();
        struct req rq;
        memset(&rq, 0, sizeof(rq));
        rq.cx.arena = a;
        rq.seq = ++seq;
        rq.method_str = fcgi_param(fr, "REQUEST_METHOD");
        rq.method = fcgi_method(rq.method_str);
        rq.path = fcgi_path(&rq, fr);
        rq.query = fcgi_param(fr, "QUERY_STRING");
        rq.content_type = fcgi_param(fr, "CONTENT_TYPE");
        rq.client_addr = fcgi_param(fr, "REMOTE_ADDR");
        rq.request_id = fcgi_param(fr, "REQUEST_ID");
        if (*rq.request_id == '\0')
            rq.request_id = arena_printf(a, "%d-%lu", (int)getpid(), rq.seq);
        rq.internal = strcmp(fcgi_param(fr, "HMDP_SCOPE"), "internal") == 0;
        rq.cx.log_later = 1; /* 5xx details go on the request line */
        log_set_rid(rq.request_id);
        rq.cx.kind = "req";
        rq.cx.name = rq.request_id;
        rq.cx.op = rq.method_str;
        rq.cx.target = rq.path;
        const char *tok = fcgi_param(fr, "HTTP_AUTHORIZATION");
        rq.token = *tok ? tok : NULL;
        const char *adm = fcgi_param(fr, "HTTP_X_ADMIN_TOKEN");
        rq.admin_header = *adm ? adm : NULL;

        const char *cl = fcgi_param(fr, "CONTENT_LENGTH");
        long declared = 0;
        if (*cl) {
            int64_t v;
            declared = str_parse_i64(cl, &v) == 0 && v >= 0 && v < (1L << 40)
                           ? (long)v
                           : -1;
        }
        res_t rc =
            dispatch_run(tables, hooks, &rq, declared, fcgi_read_body, fr);
        if (rc != RES_OK && rq.cx.rc == RES_OK)
            req_fail(&rq, rc, "unreported failure %d", (int)rc);

        if (declared > 0) {
            /* unread input would be taken for the next request's records
             * on a kept connection, and without one the input must be
             * read to its end before fcgi_finish closes: drain it (after
             * a body that was read, only the stream's closing record) */
            char sink[8192];
            while (FCGX_GetStr(sink, sizeof(sink), fr->in) > 0)
                ;
        }

        struct reply_parts out;
        size_t len = 0;
        reply_render_parts(&rq, &out);
        for (int i = 0; i < out.count; i++) {
            FCGX_PutStr(out.p[i], (int)out.n[i], fr->out);
            len += out.n[i];
        }
        fcgi_finish(fr);
        int status = reply_final_status(&rq);
        int64_t us = util_mono_us() - t0;
        /* the request's store work ends in finish (fired commands are
         * flushed there): count and log after it */
        if (hooks && hooks->finish)
            hooks->finish(&rq);
        metrics_request(rq.route, (int)rq.method, status, us);
        struct log_req lr = {
            .method = rq.method_str,
            .route = rq.route ? rq.route->pattern : "(none)",
            .path = rq.path,
            .status = status,
            .latency_us = us,
            .uid = req_uid(&rq),
            .bytes = len,
            .error = rq.cx.detail,
        };
        log_request(&lr);
        log_set_rid(NULL);
        arena_reset(a);
    }
    log_flush();
    log_info("worker stopping");
    for (int i = 0; i < FCGI_CONNS; i++)
        FCGX_Free(&slots[i], 1);
    if (fcgi_ep >= 0)
        close(fcgi_ep);
    fcgi_ep = -1;
    arena_free(a);
    return 0;
}
