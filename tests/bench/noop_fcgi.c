/*
 * noop_fcgi.c: the benchmark floor. A FastCGI responder that does no work:
 * it reads the body file named by argv[1] once at startup and answers every
 * request with "200 OK", a JSON content type and those bytes. Comparing it
 * with the real worker behind the same nginx shows what the app itself costs.
 *
 * Like hmdp-worker it accepts on fd 0, so spawn-fcgi (optionally through
 * multiwatch) starts it:
 *   spawn-fcgi -a 127.0.0.1 -p 8085 -- build/rel/noop-fcgi body.json
 * The request body, if any, is not read; libfcgi discards it when the
 * request ends.
 */
#define _GNU_SOURCE /* ppoll */
#include <fcgiapp.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static volatile sig_atomic_t noop_stop;

static void
noop_on_term(int sig)
{
    (void)sig;
    noop_stop = 1;
}

static const char noop_head[] =
    "Status: 200 OK\r\n"
    "Content-Type: application/json;charset=UTF-8\r\n"
    "\r\n";

/* Reads the whole file into a malloc'd buffer. Returns NULL after printing
 * why. */
static char *
noop_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "noop-fcgi: %s: %s\n", path, strerror(errno));
        return NULL;
    }
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    while (buf != NULL) {
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap)
            break;
        char *grown = realloc(buf, cap * 2);
        if (grown == NULL) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = grown;
        cap *= 2;
    }
    if (buf == NULL || ferror(f)) {
        fprintf(stderr, "noop-fcgi: cannot read %s\n", path);
        free(buf);
        fclose(f);
        return NULL;
    }
    fclose(f);
    *len = n;
    return buf;
}

int
main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s BODY_FILE (FastCGI socket on fd 0)\n",
                argv[0]);
        return 2;
    }
    size_t body_len = 0;
    char *body = noop_read_file(argv[1], &body_len);
    if (body == NULL)
        return 1;
    if (body_len > (size_t)0x7fffffff) {
        fprintf(stderr, "noop-fcgi: %s is too large\n", argv[1]);
        free(body);
        return 1;
    }

    if (FCGX_Init() != 0) {
        fprintf(stderr, "noop-fcgi: FCGX_Init failed\n");
        free(body);
        return 1;
    }
    /* the same connection handling as app/core/fcgi.c: up to 16
     * connections per process, served as their requests arrive (with
     * fastcgi_keep_conn off, the default, only the one being served) */
    enum { NOOP_CONNS = 16 };
    static FCGX_Request slots[NOOP_CONNS];
    for (int i = 0; i < NOOP_CONNS; i++)
        if (FCGX_InitRequest(&slots[i], 0, FCGI_FAIL_ACCEPT_ON_INTR) != 0) {
            fprintf(stderr, "noop-fcgi: FCGX_InitRequest failed\n");
            free(body);
            return 1;
        }
    /* multiwatch stops its children with SIGUSR1. The stop signals are
     * blocked except inside ppoll: one that arrives while a request is
     * served is seen at the next wait instead of being lost (a lost one
     * left the responder, and its multiwatch, running for ever). */
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = noop_on_term;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
    sigset_t stops, waitmask;
    sigemptyset(&stops);
    sigaddset(&stops, SIGTERM);
    sigaddset(&stops, SIGINT);
    sigaddset(&stops, SIGUSR1);
    sigprocmask(SIG_BLOCK, &stops, &waitmask);
    sigdelset(&waitmask, SIGTERM);
    sigdelset(&waitmask, SIGINT);
    sigdelset(&waitmask, SIGUSR1);
    int fl = fcntl(0, F_GETFL);
    if (fl < 0 || fcntl(0, F_SETFL, fl | O_NONBLOCK) < 0) {
        perror("noop-fcgi: listen socket");
        free(body);
        return 1;
    }
    /* as app/core/fcgi.c: with nothing kept, wait for a new connection
     * in an EPOLLEXCLUSIVE epoll set of the listen socket (the kernel
     * wakes one idle process per connection, not all) */
    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event lev = {.events = EPOLLIN | EPOLLEXCLUSIVE};
    if (ep >= 0 && epoll_ctl(ep, EPOLL_CTL_ADD, 0, &lev) != 0) {
        close(ep);
        ep = -1;
    }
    unsigned rr = 0;
    while (!noop_stop) {
        struct pollfd p[NOOP_CONNS + 1];
        int map[NOOP_CONNS + 1], n = 0, free_slot = -1;
        for (int i = 0; i < NOOP_CONNS; i++) {
            if (slots[i].ipcFd >= 0) {
                p[n] = (struct pollfd){slots[i].ipcFd, POLLIN, 0};
                map[n++] = i;
            } else if (free_slot < 0) {
                free_slot = i;
            }
        }
        int s = -1;
        if (n == 0 && free_slot >= 0 && ep >= 0) {
            struct epoll_event ev;
            if (epoll_pwait(ep, &ev, 1, -1, &waitmask) <= 0)
                continue; /* a stop signal ends the loop */
            s = free_slot;
            n = 0;
        } else {
            if (free_slot >= 0) {
                p[n] = (struct pollfd){0, POLLIN, 0};
                map[n++] = free_slot;
            }
            if (ppoll(p, (nfds_t)n, NULL, &waitmask) <= 0)
                continue; /* a stop signal ends the loop */
        }
        for (int k = 0; k < n && s < 0; k++) {
            int j = (int)((rr + (unsigned)k) % (unsigned)n);
            if (p[j].revents) {
                rr = (unsigned)j + 1;
                s = map[j];
            }
        }
        if (s < 0 || FCGX_Accept_r(&slots[s]) < 0)
            continue;
        FCGX_PutStr(noop_head, (int)(sizeof(noop_head) - 1), slots[s].out);
        FCGX_PutStr(body, (int)body_len, slots[s].out);
        /* closed as app/core/fcgi.c's fcgi_finish does: what is left to
         * read is read without waiting, then a plain close (no shutdown
         * and no wait for nginx to close first) */
        if (!slots[s].keepConnection && slots[s].ipcFd >= 0) {
            char sink[512];
            while (recv(slots[s].ipcFd, sink, sizeof(sink), MSG_DONTWAIT) > 0)
                ;
            FCGX_Detach(&slots[s]);
        }
        FCGX_Finish_r(&slots[s]);
    }
    for (int i = 0; i < NOOP_CONNS; i++)
        FCGX_Free(&slots[i], 1);
    if (ep >= 0)
        close(ep);
    free(body);
    return 0;
}
