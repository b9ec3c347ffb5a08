/*
 * loop.c: the gateway's listener, its one ping timer and the user table.
 *
 * The listening socket has SO_REUSEPORT, so a second gateway started on
 * the same address shares the port (the kernel spreads new connections
 * over both), and a gateway restarted by multiwatch binds again at once.
 * One timer pings every streaming client each ping_ms (": ping"), which
 * keeps nginx's read timeout and any middlebox from closing an idle
 * stream; the same tick closes clients stuck in their request head. The
 * pings are spread over SSE_PING_SLICES ticks per interval (a client's
 * slice is its descriptor modulo the slice count), so 10,000 streams do
 * not get their 10,000 writes in one burst that would hold up the events
 * behind it (p99 of delivery 189 ms at 10,000 streams with one burst).
 * Users are a chained hash table keyed by user id, grown by doubling.
 */
#define _GNU_SOURCE /* accept4 */
#include "../core/log.h"
#include "sse_private.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* a client that has not sent its whole head by then is closed */
#define SSE_HEAD_TIMEOUT_MS 10000
/* ticks of the ping timer per ping interval */
#define SSE_PING_SLICES 16

int64_t
sse_loop_now_ms(void)
{
    struct timeval tv;
    event_base_gettimeofday_cached(g_sse.base, &tv);
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

/* ------------------------------------------------------------ users */

static size_t
sse_user_slot(int64_t uid, size_t nbuckets)
{
    uint64_t h = (uint64_t)uid * 0x9E3779B97F4A7C15ull;
    return (size_t)(h >> 32) & (nbuckets - 1);
}

static void
sse_user_grow(void)
{
    size_t nb = g_sse.nbuckets ? g_sse.nbuckets * 2 : 64;
    struct sse_user **b = calloc(nb, sizeof(*b));
    if (b == NULL)
        abort();
    for (size_t i = 0; i < g_sse.nbuckets; i++) {
        struct sse_user *u = g_sse.buckets[i], *next;
        for (; u; u = next) {
            next = u->hnext;
            size_t s = sse_user_slot(u->uid, nb);
            u->hnext = b[s];
            b[s] = u;
        }
    }
    free(g_sse.buckets);
    g_sse.buckets = b;
    g_sse.nbuckets = nb;
}

struct sse_user *
sse_user_get(int64_t uid, int create)
{
    if (g_sse.nbuckets) {
        struct sse_user *u = g_sse.buckets[sse_user_slot(uid, g_sse.nbuckets)];
        for (; u; u = u->hnext)
            if (u->uid == uid)
                return u;
    }
    if (!create)
        return NULL;
    if (g_sse.nusers >= g_sse.nbuckets)
        sse_user_grow();
    struct sse_user *u = calloc(1, sizeof(*u));
    if (u == NULL)
        abort();
    u->uid = uid;
    size_t s = sse_user_slot(uid, g_sse.nbuckets);
    u->hnext = g_sse.buckets[s];
    g_sse.buckets[s] = u;
    g_sse.nusers++;
    return u;
}

void
sse_user_maybe_free(struct sse_user *u)
{
    if (u->nclients > 0 || u->reading)
        return;
    struct sse_user **pp =
        &g_sse.buckets[sse_user_slot(u->uid, g_sse.nbuckets)];
    while (*pp && *pp != u)
        pp = &(*pp)->hnext;
    if (*pp)
        *pp = u->hnext;
    g_sse.nusers--;
    free(u);
}

void
sse_user_foreach(void (*fn)(struct sse_user *u))
{
    for (size_t i = 0; i < g_sse.nbuckets; i++)
        for (struct sse_user *u = g_sse.buckets[i]; u; u = u->hnext)
            fn(u);
}

/* --------------------------------------------------------- listener */

static void
sse_loop_on_accept(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    (void)arg;
    /* bounded, so a connection storm cannot starve the Redis events */
    for (int i = 0; i < 256; i++) {
        int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (cfd >= 0) {
            sse_client_accept(cfd);
            continue;
        }
        if (errno == EINTR || errno == ECONNABORTED)
            continue;
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
            errno == ENOMEM) {
            /* out of descriptors: pause accepting for a moment instead
             * of spinning on a listener that stays readable */
            log_warn("sse: accept: %s; pausing for 100 ms", strerror(errno));
            event_del(g_sse.accept_ev);
            struct timeval tv = {0, 100000};
            event_add(g_sse.accept_retry, &tv);
        }
        return;
    }
}

static void
sse_loop_on_accept_retry(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg;
    event_add(g_sse.accept_ev, NULL);
}

static void
sse_loop_on_ping(evutil_socket_t fd, short what, void *arg)
{
    static const char ping[] = ": ping\n\n";
    static unsigned tick;
    int64_t now = sse_loop_now_ms();
    unsigned slice = tick++ % SSE_PING_SLICES;
    struct sse_client *c, *next;
    (void)fd;
    (void)what;
    (void)arg;
    for (c = g_sse.clients; c; c = next) {
        next = c->next; /* sending may close c */
        if (c->state == CL_STREAM) {
            if ((unsigned)c->fd % SSE_PING_SLICES == slice)
                (void)sse_client_send(c, ping, sizeof(ping) - 1);
        } else if (c->state == CL_HEAD &&
                   now - c->born_ms > SSE_HEAD_TIMEOUT_MS) {
            sse_client_close(c, NULL);
        }
    }
}

/* Parses "host:port" (IPv4 dotted or "localhost") into sin. */
static int
sse_loop_addr(const char *addr, struct sockaddr_in *sin)
{
    const char *colon = strrchr(addr, ':');
    char host[64];
    char *end;
    if (colon == NULL || (size_t)(colon - addr) >= sizeof(host))
        return -1;
    memcpy(host, addr, (size_t)(colon - addr));
    host[colon - addr] = '\0';
    long port = strtol(colon + 1, &end, 10);
    if (*end || end == colon + 1 || port < 1 || port > 65535)
        return -1;
    memset(sin, 0, sizeof(*sin));
    sin->sin_family = AF_INET;
    sin->sin_port = htons((uint16_t)port);
    if (strcmp(host, "localhost") == 0)
        strcpy(host, "127.0.0.1");
    if (host[0] == '\0' || strcmp(host, "*") == 0)
        sin->sin_addr.s_addr = htonl(INADDR_ANY);
    else if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
        return -1;
    return 0;
}

int
sse_loop_open(const char *addr)
{
    struct sockaddr_in sin;
    int one = 1;
    if (sse_loop_addr(addr, &sin) < 0) {
        log_error("sse: sse_addr '%s' is not IPv4-address:port", addr);
        return -1;
    }
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        log_error("sse: socket: %s", strerror(errno));
        return -1;
    }
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0)
        log_warn("sse: SO_REUSEPORT: %s", strerror(errno));
    if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
        listen(fd, 4096) < 0) {
        log_error("sse: cannot listen on %s: %s", addr, strerror(errno));
        close(fd);
        return -1;
    }
    g_sse.lfd = fd;
    g_sse.accept_ev = event_new(g_sse.base, fd, EV_READ | EV_PERSIST,
                                sse_loop_on_accept, NULL);
    g_sse.accept_retry =
        evtimer_new(g_sse.base, sse_loop_on_accept_retry, NULL);
    g_sse.ping_ev =
        event_new(g_sse.base, -1, EV_PERSIST, sse_loop_on_ping, NULL);
    if (g_sse.accept_ev == NULL || g_sse.accept_retry == NULL ||
        g_sse.ping_ev == NULL)
        abort();
    int tick_ms = g_sse.ping_ms / SSE_PING_SLICES;
    struct timeval tv = {tick_ms / 1000, (tick_ms % 1000) * 1000};
    event_add(g_sse.accept_ev, NULL);
    event_add(g_sse.ping_ev, &tv);
    return 0;
}

void
sse_loop_close(void)
{
    while (g_sse.clients)
        sse_client_close(g_sse.clients, NULL);
    if (g_sse.accept_ev)
        event_free(g_sse.accept_ev);
    if (g_sse.accept_retry)
        event_free(g_sse.accept_retry);
    if (g_sse.ping_ev)
        event_free(g_sse.ping_ev);
    g_sse.accept_ev = g_sse.accept_retry = g_sse.ping_ev = NULL;
    if (g_sse.lfd >= 0)
        close(g_sse.lfd);
    g_sse.lfd = -1;
}
