/*
 * fcgi_conns.h: the FastCGI connections of one process, shared by
 * hmdp-worker (fcgi.c) and the benchmark floor (tests/bench/noop_fcgi.c),
 * so both handle connections the same way.
 *
 * nginx keeps FastCGI connections open (fastcgi_keep_conn) and, having no
 * queue of its own, opens one per request in flight. A process therefore
 * holds many connections (up to FCGI_CONNS_MAX) and serves, one request at
 * a time, whichever has input, watching them and the listen socket (fd 0,
 * from spawn-fcgi) with epoll. The cap must stay well above what nginx
 * opens at peak divided by the number of processes: a connection that no
 * process accepts waits in the listen backlog until nginx closes another
 * one, which under load can take seconds.
 */
#ifndef HMDP_FCGI_CONNS_H
#define HMDP_FCGI_CONNS_H

#include <fcgiapp.h>

#define FCGI_CONNS_MAX 256

struct fcgi_conns;

/* Sets fd 0 non-blocking and prepares the slots. NULL on failure, with
 * errno set. */
struct fcgi_conns *fcgi_conns_open(void);

/* The next request, its params read (FCGX_Accept_r), or NULL when a
 * signal interrupted the wait. before_sleep (may be NULL) runs before the
 * process blocks for lack of work. After serving, the caller ends the
 * request with FCGX_Finish_r. */
FCGX_Request *fcgi_conns_next(struct fcgi_conns *c, void (*before_sleep)(void));

/* Closes every connection and frees c. */
void fcgi_conns_close(struct fcgi_conns *c);

#endif
