/*
 * sse_private.h: what the files of the SSE gateway (hmdp-sse) share.
 *
 * One process, one thread, one libevent loop. Three kinds of state:
 *   - struct sse_gw: the one gateway (listener, ping timer, the client
 *     list, the user table, settings), owned by main.c;
 *   - struct sse_client: one HTTP connection, from its first byte to its
 *     close (client.c);
 *   - struct sse_user: the clients of one user id that are streaming,
 *     and the one range read (XRANGE) they share (loop.c keeps the table,
 *     relay.c does the reads).
 * Ownership: a client is freed by sse_client_close(), unless Redis
 * replies for it are still to come (inflight > 0): then it stays, marked
 * CL_DEAD, until the last of them releases it. A user is freed when its
 * last client leaves and no read of its stream is being applied.
 */
#ifndef HMDP_SSE_PRIVATE_H
#define HMDP_SSE_PRIVATE_H

#include "frame.h"
#include "http_parse.h"

#include <event2/event.h>
#include <event2/event_struct.h>
#include <stddef.h>
#include <stdint.h>

enum sse_client_state {
    CL_HEAD,    /* reading the request head */
    CL_AUTH,    /* waiting for Redis: session, then stream info */
    CL_STREAM,  /* streaming: linked into its user */
    CL_CLOSING, /* an error response is being flushed, then close */
    CL_DEAD     /* closed; kept only until its Redis replies are in */
};

struct sse_user;

struct sse_client {
    struct sse_client *next, *prev;   /* g_sse.clients (not CL_DEAD) */
    struct sse_client *unext, *uprev; /* user->clients (CL_STREAM) */
    struct sse_user *user;
    int fd;
    enum sse_client_state state;
    int inflight;       /* Redis replies still to come for this client */
    int has_cursor;     /* the request named a cursor */
    struct sse_id last; /* the cursor, then the id of the last event sent */
    int64_t uid;
    int64_t born_ms;
    struct sse_http *head; /* CL_HEAD only */
    struct sse_buf out;    /* unsent bytes from out_off; freed when empty */
    size_t out_off;
    struct event rev, wev;
};

struct sse_user {
    struct sse_user *hnext; /* hash chain */
    int64_t uid;
    struct sse_client *clients;
    size_t nclients;
    int reading;              /* an XRANGE is in flight or being applied */
    int dirty;                /* read again when it completes */
    struct sse_id read_start; /* exclusive start of the read in flight */
};

struct sse_gw {
    struct event_base *base;
    int lfd;
    struct event *accept_ev, *accept_retry, *ping_ev;
    struct event *sig_ev[3];
    struct sse_client *clients;
    size_t nclients;
    struct sse_user **buckets;
    size_t nbuckets, nusers;
    int ping_ms;
    size_t buffer_limit;
    int stopping;
    struct arena *scratch; /* key strings; reset after each use */
    struct sse_buf frame;  /* one event's text while it is copied out */
};

extern struct sse_gw g_sse;

/* ------------------------------------------------------------ loop.c */

/* Opens the listening socket on addr ("host:port", SO_REUSEPORT so two
 * gateways can share it) and starts the accept and ping events. Returns
 * 0, or -1 after logging why. */
int sse_loop_open(const char *addr);
/* Closes every client and the listener, frees the user table. */
void sse_loop_close(void);
/* Milliseconds of the loop's cached clock. */
int64_t sse_loop_now_ms(void);

/* The user for uid: NULL when there is none and create is 0. */
struct sse_user *sse_user_get(int64_t uid, int create);
/* Frees u when it has no clients and no read is being applied. */
void sse_user_maybe_free(struct sse_user *u);
/* Calls fn(u) for every user (fn must not free users). */
void sse_user_foreach(void (*fn)(struct sse_user *u));

/* ---------------------------------------------------------- client.c */

/* Takes over an accepted, non-blocking fd. */
void sse_client_accept(int fd);
/* Queues bytes for c, writing at once what the socket takes. Returns 0,
 * or -1 when c was closed (write error, or its backlog passed
 * buffer_limit: a slow client is dropped and resumes with its cursor). */
int sse_client_send(struct sse_client *c, const char *p, size_t n);
/* Sends an error response (JSON envelope) and closes c after it. */
void sse_client_fail(struct sse_client *c, int status, const char *msg);
/* The session and the stream are known: sends the stream head (and a
 * reset event when reset), links c into its user and reads the user's
 * stream after c->last. */
void sse_client_start(struct sse_client *c, int reset);
/* Closes c: events, fd, buffers, links. Frees it unless inflight. */
void sse_client_close(struct sse_client *c, const char *why);
/* One Redis reply for c arrived: frees a CL_DEAD client with none left.
 * Returns 1 when c is still usable (not CL_DEAD). */
int sse_client_release(struct sse_client *c);

/* ----------------------------------------------------------- relay.c */

/* Starts connecting the two Redis connections (doorbell and queries);
 * they reconnect by themselves with back-off. */
void sse_relay_open(void);
/* Frees both connections; pending callbacks run with no reply. */
void sse_relay_close(void);
/* 1 when the query connection is up (new clients can be served). */
int sse_relay_ready(void);
/* Looks up c's session (token: a well-formed token) and its stream,
 * then calls sse_client_start or sse_client_fail. */
void sse_relay_auth(struct sse_client *c, const char *token);
/* Reads u's stream after its clients' cursors and sends each client
 * what it has not had; coalesces with a read in flight. */
void sse_relay_read(struct sse_user *u);

#endif
