/*
 * fcgi_conns.c: the connection set of fcgi_conns.h.
 *
 * Each slot is one libfcgi request object bound to one connection (libfcgi
 * reads a kept connection's next request through the same object). The
 * epoll set holds every open connection, tagged with its slot and file
 * descriptor, and the listen socket while a slot is free. Events from one
 * epoll_wait are served in turn before the next wait, so no ready
 * connection waits behind another twice. An event whose descriptor no
 * longer matches its slot (that connection closed meanwhile) is dropped;
 * a closed descriptor leaves the epoll set by itself.
 */
#include "fcgi_conns.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

#define FCGI_EVENTS     64
#define FCGI_TAG_LISTEN UINT32_MAX

struct fcgi_conns {
    int ep;
    int listening; /* fd 0 is in the epoll set */
    int nev, next; /* events of the last wait; the next one to serve */
    int ninit;     /* slots initialised */
    struct epoll_event ev[FCGI_EVENTS];
    FCGX_Request slots[FCGI_CONNS_MAX];
};

static int
fcgi_conns_watch(struct fcgi_conns *c, int fd, uint32_t tag)
{
    struct epoll_event e = {.events = EPOLLIN};
    e.data.u64 = (uint64_t)(uint32_t)fd << 32 | tag;
    if (epoll_ctl(c->ep, EPOLL_CTL_ADD, fd, &e) == 0 || errno == EEXIST)
        return 0;
    return -1;
}

static int
fcgi_conns_free_slot(const struct fcgi_conns *c)
{
    for (int i = 0; i < FCGI_CONNS_MAX; i++)
        if (c->slots[i].ipcFd < 0)
            return i;
    return -1;
}

struct fcgi_conns *
fcgi_conns_open(void)
{
    int fl = fcntl(0, F_GETFL);
    if (fl < 0 || fcntl(0, F_SETFL, fl | O_NONBLOCK) < 0)
        return NULL;
    struct fcgi_conns *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return NULL;
    c->ep = epoll_create1(EPOLL_CLOEXEC);
    if (c->ep < 0) {
        free(c);
        return NULL;
    }
    for (; c->ninit < FCGI_CONNS_MAX; c->ninit++)
        if (FCGX_InitRequest(&c->slots[c->ninit], 0,
                             FCGI_FAIL_ACCEPT_ON_INTR) != 0) {
            fcgi_conns_close(c);
            errno = ENOMEM;
            return NULL;
        }
    if (fcgi_conns_watch(c, 0, FCGI_TAG_LISTEN) < 0) {
        fcgi_conns_close(c);
        return NULL;
    }
    c->listening = 1;
    return c;
}

/* Serves event e: reads the request of its connection, or accepts a new
 * connection into a free slot. The request, or NULL when there was none
 * (connection closed by nginx, taken by another process, stale event). */
static FCGX_Request *
fcgi_conns_take(struct fcgi_conns *c, const struct epoll_event *e)
{
    uint32_t tag = (uint32_t)e->data.u64;
    int fd = (int)(e->data.u64 >> 32), s;
    if (tag == FCGI_TAG_LISTEN) {
        if ((s = fcgi_conns_free_slot(c)) < 0) {
            /* full: stop watching the listen socket until a slot frees */
            epoll_ctl(c->ep, EPOLL_CTL_DEL, 0, NULL);
            c->listening = 0;
            return NULL;
        }
    } else {
        s = (int)tag;
        if (s >= FCGI_CONNS_MAX || c->slots[s].ipcFd != fd)
            return NULL;
    }
    FCGX_Request *fr = &c->slots[s];
    int rc = FCGX_Accept_r(fr);
    /* a kept connection that failed may have been replaced, within the
     * same call, by a new one under the same number: watch it again */
    if (fr->ipcFd >= 0 && fcgi_conns_watch(c, fr->ipcFd, (uint32_t)s) < 0) {
        FCGX_Free(fr, 1); /* an unwatched connection would never be read */
        return NULL;
    }
    return rc >= 0 ? fr : NULL;
}

FCGX_Request *
fcgi_conns_next(struct fcgi_conns *c, void (*before_sleep)(void))
{
    for (;;) {
        while (c->next < c->nev) {
            FCGX_Request *fr = fcgi_conns_take(c, &c->ev[c->next++]);
            if (fr)
                return fr;
        }
        if (!c->listening && fcgi_conns_free_slot(c) >= 0 &&
            fcgi_conns_watch(c, 0, FCGI_TAG_LISTEN) == 0)
            c->listening = 1;
        c->nev = c->next = 0;
        int n = epoll_wait(c->ep, c->ev, FCGI_EVENTS, 0);
        if (n == 0) {
            if (before_sleep)
                before_sleep();
            n = epoll_wait(c->ep, c->ev, FCGI_EVENTS, -1);
        }
        if (n < 0)
            return NULL; /* EINTR: the caller checks why */
        c->nev = n;
    }
}

void
fcgi_conns_close(struct fcgi_conns *c)
{
    if (c == NULL)
        return;
    for (int i = 0; i < c->ninit; i++)
        FCGX_Free(&c->slots[i], 1);
    if (c->ep >= 0)
        close(c->ep);
    free(c);
}
