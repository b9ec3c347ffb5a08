/*
 * client.c: one SSE connection, from accept to close (after kore's SSE
 * example: one struct per client and one close function that undoes
 * everything).
 *
 * A client reads its request head (http_parse.c), is checked against
 * Redis by relay.c, then streams. Output goes straight to the socket
 * while the socket takes it; only the rest is buffered, so an idle or
 * keeping-up client holds no output buffer at all. A client whose backlog
 * passes buffer_limit is dropped (as Redis drops slow Pub/Sub clients):
 * it reconnects with Last-Event-ID and loses nothing. While streaming,
 * anything the peer sends is read and discarded, so its close is seen.
 *
 * Invariants: a client is in g_sse.clients from accept to close; it is in
 * its user's list exactly while CL_STREAM; c->last only grows once
 * streaming, and an event is sent to c only if its id is above c->last,
 * which is what makes every delivery at most once and in order.
 */
#include "../core/log.h"
#include "../core/metrics.h"
#include "sse_private.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void sse_client_on_read(evutil_socket_t fd, short what, void *arg);
static void sse_client_on_write(evutil_socket_t fd, short what, void *arg);

static void
sse_client_link(struct sse_client *c)
{
    c->prev = NULL;
    c->next = g_sse.clients;
    if (g_sse.clients)
        g_sse.clients->prev = c;
    g_sse.clients = c;
    g_sse.nclients++;
}

static void
sse_client_unlink(struct sse_client *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        g_sse.clients = c->next;
    if (c->next)
        c->next->prev = c->prev;
    c->next = c->prev = NULL;
    g_sse.nclients--;
}

static void
sse_client_user_unlink(struct sse_client *c)
{
    struct sse_user *u = c->user;
    if (u == NULL)
        return;
    if (c->uprev)
        c->uprev->unext = c->unext;
    else
        u->clients = c->unext;
    if (c->unext)
        c->unext->uprev = c->uprev;
    c->unext = c->uprev = NULL;
    c->user = NULL;
    u->nclients--;
    sse_user_maybe_free(u);
}

void
sse_client_accept(int fd)
{
    struct sse_client *c = calloc(1, sizeof(*c));
    if (c == NULL)
        abort();
    c->fd = fd;
    c->state = CL_HEAD;
    c->born_ms = sse_loop_now_ms();
    c->head = malloc(sizeof(*c->head));
    if (c->head == NULL)
        abort();
    sse_http_init(c->head);
    event_assign(&c->rev, g_sse.base, fd, EV_READ | EV_PERSIST,
                 sse_client_on_read, c);
    event_assign(&c->wev, g_sse.base, fd, EV_WRITE | EV_PERSIST,
                 sse_client_on_write, c);
    event_add(&c->rev, NULL);
    sse_client_link(c);
}

static void
sse_client_free(struct sse_client *c)
{
    free(c->head);
    sse_buf_free(&c->out);
    free(c);
}

void
sse_client_close(struct sse_client *c, const char *why)
{
    if (c->state == CL_DEAD)
        return;
    if (c->state == CL_STREAM)
        g_met->ctr[MET_SSE_OPEN]--; /* core/metrics.h: a gauge */
    if (why != NULL)
        log_info("sse: closing client of user %lld: %s", (long long)c->uid,
                 why);
    event_del(&c->rev);
    event_del(&c->wev);
    close(c->fd);
    c->fd = -1;
    sse_client_user_unlink(c);
    sse_client_unlink(c);
    free(c->head);
    c->head = NULL;
    sse_buf_free(&c->out);
    c->state = CL_DEAD;
    if (c->inflight == 0)
        sse_client_free(c);
}

int
sse_client_release(struct sse_client *c)
{
    c->inflight--;
    if (c->state != CL_DEAD)
        return 1;
    if (c->inflight == 0)
        sse_client_free(c);
    return 0;
}

/* Writes what the socket takes from p[0..n); returns bytes written, or
 * -1 on a hard error. */
static ssize_t
sse_client_write(struct sse_client *c, const char *p, size_t n)
{
    size_t done = 0;
    while (done < n) {
        ssize_t w = send(c->fd, p + done, n - done, MSG_NOSIGNAL);
        if (w > 0) {
            done += (size_t)w;
            continue;
        }
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        return -1;
    }
    return (ssize_t)done;
}

int
sse_client_send(struct sse_client *c, const char *p, size_t n)
{
    if (c->state == CL_DEAD)
        return -1;
    size_t pending = c->out.n - c->out_off;
    if (pending == 0) {
        ssize_t w = sse_client_write(c, p, n);
        if (w < 0) {
            sse_client_close(c, NULL); /* the peer went away */
            return -1;
        }
        p += w;
        n -= (size_t)w;
        if (n == 0)
            return 0;
        event_add(&c->wev, NULL);
    }
    if (pending + n > g_sse.buffer_limit) {
        log_warn("sse: client of user %lld is %zu bytes behind (limit %zu): "
                 "dropped, it resumes with its cursor",
                 (long long)c->uid, pending + n, g_sse.buffer_limit);
        metrics_inc(MET_SSE_DROPS);
        sse_client_close(c, NULL);
        return -1;
    }
    if (c->out_off > 0 && c->out_off >= c->out.n / 2) {
        /* compact before growing: the buffer holds only what is unsent */
        memmove(c->out.p, c->out.p + c->out_off, pending);
        c->out.n = pending;
        c->out_off = 0;
    }
    sse_buf_add(&c->out, p, n);
    return 0;
}

static void
sse_client_on_write(evutil_socket_t fd, short what, void *arg)
{
    struct sse_client *c = arg;
    (void)fd;
    (void)what;
    ssize_t w =
        sse_client_write(c, c->out.p + c->out_off, c->out.n - c->out_off);
    if (w < 0) {
        sse_client_close(c, NULL);
        return;
    }
    c->out_off += (size_t)w;
    if (c->out_off < c->out.n)
        return;
    /* all out: an idle client keeps no buffer */
    sse_buf_free(&c->out);
    c->out_off = 0;
    event_del(&c->wev);
    if (c->state == CL_CLOSING)
        sse_client_close(c, NULL);
}

void
sse_client_fail(struct sse_client *c, int status, const char *msg)
{
    struct sse_buf b = {0};
    sse_frame_error(&b, status, msg);
    c->state = CL_CLOSING;
    int rc = sse_client_send(c, b.p, b.n);
    sse_buf_free(&b);
    if (rc == 0 && c->out.n == c->out_off)
        sse_client_close(c, NULL);
}

void
sse_client_start(struct sse_client *c, int reset)
{
    struct sse_user *u = sse_user_get(c->uid, 1);
    struct sse_buf b = {0};
    sse_frame_open(&b);
    if (reset)
        sse_frame_reset(&b);
    c->state = CL_STREAM;
    metrics_inc(MET_SSE_OPEN);
    metrics_inc(MET_SSE_OPENED);
    if (c->has_cursor)
        metrics_inc(MET_SSE_RESUMES);
    c->user = u;
    c->uprev = NULL;
    c->unext = u->clients;
    if (u->clients)
        u->clients->uprev = c;
    u->clients = c;
    u->nclients++;
    int rc = sse_client_send(c, b.p, b.n);
    sse_buf_free(&b);
    if (rc == 0)
        sse_relay_read(u); /* catch up from c->last */
}

/* The head is complete: validate it and hand the client to the relay.
 * Everything that needs no Redis is refused here. */
static void
sse_client_on_head(struct sse_client *c)
{
    struct sse_http *h = c->head;
    size_t plen = sse_http_path_len(h->target);
    char token[SSE_HTTP_VALUE_MAX + 1];
    char cur[SSE_HTTP_VALUE_MAX + 1];
    int n;

    if ((plen != 12 || memcmp(h->target, "/message/sse", 12) != 0) &&
        (plen != 16 || memcmp(h->target, "/api/message/sse", 16) != 0)) {
        sse_client_fail(c, 404, "资源不存在");
        return;
    }
    if (strcmp(h->method, "GET") != 0) {
        sse_client_fail(c, 405, "不支持的请求方法");
        return;
    }
    /* the token: the header, else (EventSource cannot set headers) the
     * query. Never logged. */
    token[0] = '\0';
    if (h->authorization.seen &&
        (h->authorization.n > 0 || h->authorization.too_long)) {
        if (!h->authorization.too_long)
            memcpy(token, h->authorization.s, h->authorization.n + 1);
    } else if (sse_http_query(h->target, "token", token, sizeof(token)) < 0) {
        token[0] = '\0';
    }
    if (token[0] == '\0' || !sse_token_shape_ok(token)) {
        sse_client_fail(c, 401, "请先登录");
        return;
    }
    /* the cursor: Last-Event-ID, else lastEventId; empty means none */
    cur[0] = '\0';
    if (h->last_event_id.seen &&
        (h->last_event_id.n > 0 || h->last_event_id.too_long)) {
        if (h->last_event_id.too_long) {
            sse_client_fail(c, 400, "lastEventId格式错误");
            return;
        }
        memcpy(cur, h->last_event_id.s, h->last_event_id.n + 1);
    } else if ((n = sse_http_query(h->target, "lastEventId", cur,
                                   sizeof(cur))) < 0) {
        sse_client_fail(c, 400, "lastEventId格式错误");
        return;
    }
    if (cur[0] != '\0') {
        if (sse_id_parse(cur, strlen(cur), &c->last) < 0) {
            sse_client_fail(c, 400, "lastEventId格式错误");
            return;
        }
        c->has_cursor = 1;
    }
    if (!sse_relay_ready()) {
        sse_client_fail(c, 503, "服务暂不可用，请稍后再试");
        return;
    }
    free(c->head);
    c->head = NULL;
    c->state = CL_AUTH;
    sse_relay_auth(c, token);
    memset(token, 0, sizeof(token));
}

static void
sse_client_on_read(evutil_socket_t fd, short what, void *arg)
{
    struct sse_client *c = arg;
    char buf[4096];
    (void)what;
    for (;;) {
        ssize_t r = recv(fd, buf, sizeof(buf), 0);
        if (r == 0) {
            sse_client_close(c, NULL);
            return;
        }
        if (r < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                sse_client_close(c, NULL);
            return;
        }
        if (c->state != CL_HEAD)
            continue; /* after the head: read only to see the close */
        size_t used;
        enum sse_http_rc rc = sse_http_feed(c->head, buf, (size_t)r, &used);
        if (rc == SSE_HTTP_MORE)
            continue;
        if (rc == SSE_HTTP_DONE) {
            sse_client_on_head(c);
        } else {
            sse_client_fail(c, 400, "请求格式错误");
        }
        return;
    }
}
