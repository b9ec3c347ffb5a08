/*
 * relay.c: the gateway's two Redis connections, both hiredis async
 * contexts on the gateway's libevent loop, so nothing here blocks.
 *
 *   wake   XREAD BLOCK on the doorbell stream message.wake, from the id
 *          it last saw. Each doorbell entry names a user (field u); the
 *          gateway reads that user's stream if it has clients of it. The
 *          only connection that ever blocks, and the only one that does.
 *   query  everything else, pipelined: the session lookup (HGETALL
 *          login:token:{t}, with its PTTL for the lazy slide), XINFO STREAM for
 * a new client's start, and XRANGE of a user's stream.
 *
 * So a gateway uses two Redis connections whatever its client count, and
 * the clients of one user share one XRANGE: it starts after the lowest
 * cursor among them, and each client takes only the entries above its
 * own cursor. A read applies to a client only if the client's cursor was
 * already at or past the read's start (a client that joined with an
 * older cursor meanwhile gets the next read), so no entry is skipped;
 * and nothing is sent twice because cursors only grow.
 *
 * A doorbell may carry its entry whole (fields i, p, m, f; see
 * app/message/message_data.c): the entry's id, the id of the entry before
 * it in the user's stream, and the entry's m and u. Then every client
 * whose cursor is exactly p gets the entry at once (nothing can lie
 * between p and i), with no XRANGE: one Redis round trip less between the
 * producer's script and the client. Clients at other cursors (joined or
 * resumed meanwhile, behind on a range read) are left to the range read
 * as before, and a client already past i skips it; cursors only grow, so
 * the two paths never send an entry twice or skip one.
 *
 * Doorbells are only hints. Whenever either connection comes back after
 * an outage (Redis restarted, network), every user with clients is read
 * again from its clients' cursors, so a doorbell lost in between costs
 * nothing. Both connections reconnect by themselves, with back-off from
 * 100 ms doubling to 2 s; while the query connection is down new clients
 * get 503 and streaming clients keep their connections.
 */
#include "../core/arena.h"
#include "../core/cfg.h"
#include "../core/log.h"
#include "../core/metrics.h"
#include "../core/util.h"
#include "../store/keys.h"
#include "sse_private.h"

#include <hiredis/adapters/libevent.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RELAY_WAKE_STREAM   "message.wake"
#define RELAY_WAKE_BLOCK_MS "5000"
#define RELAY_WAKE_COUNT    "1000"
#define RELAY_RANGE_COUNT   256
#define RELAY_BACKOFF_MIN   100
#define RELAY_BACKOFF_MAX   2000

struct relay_conn {
    const char *name;
    redisAsyncContext *ac; /* NULL while down */
    int up;                /* connected */
    int backoff_ms;
    struct event *retry;
};

static struct relay_conn relay_wake = {"doorbell", NULL, 0, 0, NULL};
static struct relay_conn relay_query = {"query", NULL, 0, 0, NULL};
static char relay_wake_last[SSE_ID_BUF];
/* after an error reply on the doorbell: wait, then start over */
static struct event *relay_wake_pause;

static void relay_connect(struct relay_conn *rc);
static const redisReply *relay_field(const redisReply *f, const char *name);
static void relay_wake_next(void);
static void relay_wake_start(void);
static void relay_on_wake_pause(evutil_socket_t fd, short what, void *arg);

/* ------------------------------------------------------- connections */

static void
relay_schedule(struct relay_conn *rc)
{
    if (g_sse.stopping)
        return;
    rc->backoff_ms = rc->backoff_ms ? rc->backoff_ms * 2 : RELAY_BACKOFF_MIN;
    if (rc->backoff_ms > RELAY_BACKOFF_MAX)
        rc->backoff_ms = RELAY_BACKOFF_MAX;
    struct timeval tv = {rc->backoff_ms / 1000, (rc->backoff_ms % 1000) * 1000};
    event_add(rc->retry, &tv);
}

static struct relay_conn *
relay_conn_of(const redisAsyncContext *ac)
{
    if (ac == relay_wake.ac)
        return &relay_wake;
    if (ac == relay_query.ac)
        return &relay_query;
    return NULL;
}

static void
relay_read_all_one(struct sse_user *u)
{
    sse_relay_read(u);
}

static void
relay_wake_start_cb(redisAsyncContext *ac, void *reply, void *priv)
{
    redisReply *r = reply;
    (void)ac;
    (void)priv;
    if (r == NULL || g_sse.stopping)
        return; /* the disconnect callback reconnects */
    strcpy(relay_wake_last, "0-0");
    if (r->type == REDIS_REPLY_ARRAY && r->elements > 0 &&
        r->element[0]->type == REDIS_REPLY_ARRAY &&
        r->element[0]->elements > 0 &&
        r->element[0]->element[0]->type == REDIS_REPLY_STRING &&
        r->element[0]->element[0]->len < sizeof(relay_wake_last))
        memcpy(relay_wake_last, r->element[0]->element[0]->str,
               r->element[0]->element[0]->len + 1);
    else if (r->type == REDIS_REPLY_ERROR) {
        log_warn("sse: XREVRANGE %s: %s; retrying in 1 s", RELAY_WAKE_STREAM,
                 r->str);
        struct timeval tv = {1, 0};
        event_add(relay_wake_pause, &tv);
        return;
    }
    /* doorbells rung while we were away are gone: read every user */
    sse_user_foreach(relay_read_all_one);
    relay_wake_next();
}

static void
relay_on_connect(const redisAsyncContext *ac, int status)
{
    struct relay_conn *rc = relay_conn_of(ac);
    if (rc == NULL)
        return;
    if (status != REDIS_OK) {
        /* hiredis frees the context after this callback */
        log_warn("sse: redis %s connection failed: %s", rc->name,
                 ac->errstr[0] ? ac->errstr : "error");
        rc->ac = NULL;
        rc->up = 0;
        relay_schedule(rc);
        return;
    }
    log_info("sse: redis %s connection up", rc->name);
    rc->up = 1;
    rc->backoff_ms = 0;
    /* named, so CLIENT LIST shows what the gateways hold (the benchmark
     * counts them) */
    redisAsyncCommand(rc->ac, NULL, NULL, "CLIENT SETNAME hmdp-sse-%s",
                      rc == &relay_wake ? "doorbell" : "query");
    if (rc == &relay_wake) {
        relay_wake_start();
    } else {
        sse_user_foreach(relay_read_all_one);
    }
}

static void
relay_on_disconnect(const redisAsyncContext *ac, int status)
{
    struct relay_conn *rc = relay_conn_of(ac);
    if (rc == NULL)
        return;
    if (!g_sse.stopping)
        log_warn("sse: redis %s connection lost%s%s", rc->name,
                 status == REDIS_OK ? "" : ": ",
                 status == REDIS_OK ? "" : ac->errstr);
    rc->ac = NULL;
    rc->up = 0;
    relay_schedule(rc);
}

static void
relay_connect(struct relay_conn *rc)
{
    redisAsyncContext *ac;
    if (g_cfg.redis_socket[0])
        ac = redisAsyncConnectUnix(g_cfg.redis_socket);
    else
        ac = redisAsyncConnect(g_cfg.redis_host, g_cfg.redis_port);
    if (ac == NULL)
        abort();
    if (ac->err) {
        log_warn("sse: redis %s connection failed: %s", rc->name, ac->errstr);
        redisAsyncFree(ac);
        relay_schedule(rc);
        return;
    }
    rc->ac = ac;
    redisLibeventAttach(ac, g_sse.base);
    redisAsyncSetConnectCallback(ac, relay_on_connect);
    redisAsyncSetDisconnectCallback(ac, relay_on_disconnect);
}

static void
relay_on_retry(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    relay_connect(arg);
}

/* ---- heartbeat: GET /health's liveness of the gateway ---- */

static struct event *relay_beat_ev;
static char *relay_beat_key, relay_beat_member[96];

/* Every second: ZADD hb:sse <now> <host:pid>, sweep members older than a
 * minute, PEXPIRE (store/health.c does the same for the consumers). Fire
 * and forget on the query connection; nothing when Redis is down, which
 * is what makes /health say so. */
static void
relay_on_beat(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg;
    if (relay_query.ac == NULL || !relay_query.up || g_sse.stopping)
        return;
    char now[24], old[24], keep[24];
    int64_t ms = util_now_ms();
    snprintf(now, sizeof(now), "%lld", (long long)ms);
    snprintf(old, sizeof(old), "%lld", (long long)(ms - HB_KEEP_MS));
    snprintf(keep, sizeof(keep), "%d", HB_KEEP_MS);
    const char *zadd[] = {"ZADD", relay_beat_key, now, relay_beat_member};
    const char *sweep[] = {"ZREMRANGEBYSCORE", relay_beat_key, "-inf", old};
    const char *pexp[] = {"PEXPIRE", relay_beat_key, keep};
    (void)redisAsyncCommandArgv(relay_query.ac, NULL, NULL, 4, zadd, NULL);
    (void)redisAsyncCommandArgv(relay_query.ac, NULL, NULL, 4, sweep, NULL);
    (void)redisAsyncCommandArgv(relay_query.ac, NULL, NULL, 3, pexp, NULL);
}

static void
relay_beat_open(void)
{
    char host[64];
    if (gethostname(host, sizeof(host)) != 0)
        snprintf(host, sizeof(host), "localhost");
    host[sizeof(host) - 1] = '\0';
    snprintf(relay_beat_member, sizeof(relay_beat_member), "%s:%d", host,
             (int)getpid());
    relay_beat_key = strdup(key_heartbeat(g_sse.scratch, "sse"));
    relay_beat_ev = event_new(g_sse.base, -1, EV_PERSIST, relay_on_beat, NULL);
    if (relay_beat_key == NULL || relay_beat_ev == NULL)
        abort();
    struct timeval tv = {HB_EVERY_MS / 1000, (HB_EVERY_MS % 1000) * 1000};
    event_add(relay_beat_ev, &tv);
}

void
sse_relay_open(void)
{
    relay_beat_open();
    relay_wake.retry = evtimer_new(g_sse.base, relay_on_retry, &relay_wake);
    relay_query.retry = evtimer_new(g_sse.base, relay_on_retry, &relay_query);
    relay_wake_pause = evtimer_new(g_sse.base, relay_on_wake_pause, NULL);
    if (relay_wake.retry == NULL || relay_query.retry == NULL ||
        relay_wake_pause == NULL)
        abort();
    relay_connect(&relay_query);
    relay_connect(&relay_wake);
}

void
sse_relay_close(void)
{
    struct relay_conn *all[2] = {&relay_wake, &relay_query};
    for (int i = 0; i < 2; i++) {
        struct relay_conn *rc = all[i];
        if (rc->ac != NULL) {
            redisAsyncContext *ac = rc->ac;
            rc->ac = NULL;
            rc->up = 0;
            redisAsyncFree(ac); /* pending callbacks get NULL replies */
        }
        if (rc->retry)
            event_free(rc->retry);
        rc->retry = NULL;
    }
    if (relay_wake_pause)
        event_free(relay_wake_pause);
    relay_wake_pause = NULL;
    if (relay_beat_ev)
        event_free(relay_beat_ev);
    relay_beat_ev = NULL;
    free(relay_beat_key);
    relay_beat_key = NULL;
}

int
sse_relay_ready(void)
{
    return relay_query.up;
}

/* ---------------------------------------------------------- doorbell */

/* Parses a reply string as a positive user id; 0 when it is not one. */
static int64_t
relay_uid(const redisReply *r)
{
    char *end;
    if (r == NULL || r->type != REDIS_REPLY_STRING || r->len == 0 ||
        r->len > 19)
        return 0;
    long long v = strtoll(r->str, &end, 10);
    return *end == '\0' && v > 0 ? (int64_t)v : 0;
}

/* A doorbell that carries its entry (fields f): sends it to the clients
 * of u whose cursor is the entry before it. 1 when no client of u needs
 * a range read for it (each had it or got it now), else 0. */
static int
relay_wake_direct(struct sse_user *u, const redisReply *f)
{
    const redisReply *i = relay_field(f, "i"), *p = relay_field(f, "p");
    const redisReply *m = relay_field(f, "m"), *s = relay_field(f, "f");
    struct sse_id eid, pid;
    if (i == NULL || p == NULL || m == NULL ||
        sse_id_parse(i->str, i->len, &eid) < 0 ||
        sse_id_parse(p->str, p->len, &pid) < 0)
        return 0;
    int framed = 0, need = 0;
    struct sse_client *c, *next;
    for (c = u->clients; c; c = next) {
        next = c->unext; /* sending may close c */
        if (sse_id_cmp(&c->last, &eid) >= 0)
            continue;
        if (sse_id_cmp(&c->last, &pid) != 0) {
            need = 1;
            continue;
        }
        if (!framed) {
            g_sse.frame.n = 0;
            if (sse_frame_event(&g_sse.frame, i->str, i->len, m->str, m->len,
                                s ? s->str : NULL, s ? s->len : 0) < 0)
                return 0; /* the range read logs and skips it */
            framed = 1;
        }
        c->last = eid;
        if (sse_client_send(c, g_sse.frame.p, g_sse.frame.n) == 0)
            metrics_inc(MET_SSE_EVENTS);
    }
    return !need;
}

static void
relay_wake_cb(redisAsyncContext *ac, void *reply, void *priv)
{
    redisReply *r = reply;
    (void)ac;
    (void)priv;
    if (r == NULL || g_sse.stopping)
        return;
    if (r->type == REDIS_REPLY_ERROR) {
        /* e.g. the key became another type: start over from its end, in
         * a second, so a persistent error is not a busy loop */
        log_warn("sse: XREAD %s: %s; retrying in 1 s", RELAY_WAKE_STREAM,
                 r->str);
        struct timeval tv = {1, 0};
        event_add(relay_wake_pause, &tv);
        return;
    }
    /* nil: the block timed out. Else [[stream, [[id, [f, v...]]...]]] */
    if (r->type == REDIS_REPLY_ARRAY && r->elements > 0 &&
        r->element[0]->type == REDIS_REPLY_ARRAY &&
        r->element[0]->elements == 2 &&
        r->element[0]->element[1]->type == REDIS_REPLY_ARRAY) {
        redisReply *es = r->element[0]->element[1];
        for (size_t i = 0; i < es->elements; i++) {
            redisReply *e = es->element[i];
            if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
                e->element[0]->type != REDIS_REPLY_STRING)
                continue;
            if (e->element[0]->len < sizeof(relay_wake_last))
                memcpy(relay_wake_last, e->element[0]->str,
                       e->element[0]->len + 1);
            redisReply *f = e->element[1];
            if (f->type != REDIS_REPLY_ARRAY)
                continue;
            for (size_t k = 0; k + 1 < f->elements; k += 2) {
                if (f->element[k]->type != REDIS_REPLY_STRING ||
                    strcmp(f->element[k]->str, "u") != 0)
                    continue;
                int64_t uid = relay_uid(f->element[k + 1]);
                struct sse_user *u = uid ? sse_user_get(uid, 0) : NULL;
                if (u != NULL && !relay_wake_direct(u, f))
                    sse_relay_read(u);
            }
        }
    }
    relay_wake_next();
}

/* Finds the doorbell's newest id, then blocks from there. A failed
 * send means the connection is going: its disconnect reconnects. */
static void
relay_wake_start(void)
{
    if (relay_wake.ac == NULL || !relay_wake.up || g_sse.stopping)
        return;
    (void)redisAsyncCommand(relay_wake.ac, relay_wake_start_cb, NULL,
                            "XREVRANGE %s + - COUNT 1", RELAY_WAKE_STREAM);
}

static void
relay_on_wake_pause(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg;
    relay_wake_start();
}

static void
relay_wake_next(void)
{
    if (relay_wake.ac == NULL || g_sse.stopping)
        return;
    (void)redisAsyncCommand(relay_wake.ac, relay_wake_cb, NULL,
                            "XREAD COUNT %s BLOCK %s STREAMS %s %s",
                            RELAY_WAKE_COUNT, RELAY_WAKE_BLOCK_MS,
                            RELAY_WAKE_STREAM, relay_wake_last);
}

/* ------------------------------------------------------- range reads */

/* The entry's field named name, or NULL. */
static const redisReply *
relay_field(const redisReply *f, const char *name)
{
    for (size_t k = 0; k + 1 < f->elements; k += 2)
        if (f->element[k]->type == REDIS_REPLY_STRING &&
            strcmp(f->element[k]->str, name) == 0 &&
            f->element[k + 1]->type == REDIS_REPLY_STRING)
            return f->element[k + 1];
    return NULL;
}

/* Sends entry e (id eid) to every client of u that the read covered and
 * has not had it. */
static void
relay_deliver(struct sse_user *u, const redisReply *e, const struct sse_id *eid)
{
    const redisReply *id = e->element[0];
    const redisReply *f = e->element[1];
    const redisReply *m =
        f->type == REDIS_REPLY_ARRAY ? relay_field(f, "m") : NULL;
    const redisReply *s =
        f->type == REDIS_REPLY_ARRAY ? relay_field(f, "u") : NULL;
    int framed = 0, bad = 0;
    struct sse_client *c, *next;

    g_sse.frame.n = 0;
    for (c = u->clients; c; c = next) {
        next = c->unext; /* sending may close c */
        if (sse_id_cmp(&c->last, &u->read_start) < 0) {
            u->dirty = 1; /* joined with an older cursor: next read */
            continue;
        }
        if (sse_id_cmp(eid, &c->last) <= 0)
            continue;
        c->last = *eid;
        if (!framed && !bad) {
            if (m == NULL ||
                sse_frame_event(&g_sse.frame, id->str, id->len, m->str, m->len,
                                s ? s->str : NULL, s ? s->len : 0) < 0) {
                log_warn("sse: entry %s of user %lld has no valid m: skipped",
                         id->str, (long long)u->uid);
                bad = 1;
            }
            framed = 1;
        }
        if (!bad && sse_client_send(c, g_sse.frame.p, g_sse.frame.n) == 0)
            metrics_inc(MET_SSE_EVENTS);
    }
}

static void
relay_read_cb(redisAsyncContext *ac, void *reply, void *priv)
{
    struct sse_user *u = priv;
    redisReply *r = reply;
    (void)ac;
    if (r == NULL) {
        /* connection lost (or shutdown): read again once it is back */
        u->reading = 0;
        u->dirty = 1;
        sse_user_maybe_free(u);
        return;
    }
    if (r->type != REDIS_REPLY_ARRAY) {
        log_warn("sse: XRANGE of user %lld: %s", (long long)u->uid,
                 r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply");
        u->reading = 0;
        sse_user_maybe_free(u);
        return;
    }
    /* u->reading stays set while delivering, so u outlives the loop even
     * if its last client is dropped on the way */
    for (size_t i = 0; i < r->elements; i++) {
        const redisReply *e = r->element[i];
        struct sse_id eid;
        if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
            e->element[0]->type != REDIS_REPLY_STRING ||
            sse_id_parse(e->element[0]->str, e->element[0]->len, &eid) < 0)
            continue;
        relay_deliver(u, e, &eid);
    }
    if (r->elements >= RELAY_RANGE_COUNT)
        u->dirty = 1; /* a full page: there may be more */
    u->reading = 0;
    if (u->nclients == 0) {
        sse_user_maybe_free(u);
        return;
    }
    if (u->dirty)
        sse_relay_read(u);
}

void
sse_relay_read(struct sse_user *u)
{
    if (u->nclients == 0)
        return;
    if (u->reading || !relay_query.up) {
        u->dirty = 1;
        return;
    }
    struct sse_id min = u->clients->last;
    for (struct sse_client *c = u->clients->unext; c; c = c->unext)
        if (sse_id_cmp(&c->last, &min) < 0)
            min = c->last;
    char start[SSE_ID_BUF + 1];
    start[0] = '(';
    sse_id_fmt(&min, start + 1);
    char count[24];
    snprintf(count, sizeof(count), "%d", RELAY_RANGE_COUNT);
    const char *key = key_message_stream(g_sse.scratch, u->uid);
    const char *argv[6] = {"XRANGE", key, start, "+", "COUNT", count};
    u->reading = 1;
    u->dirty = 0;
    u->read_start = min;
    if (redisAsyncCommandArgv(relay_query.ac, relay_read_cb, u, 6, argv,
                              NULL) != REDIS_OK) {
        /* the connection is going down: read again when it is back */
        u->reading = 0;
        u->dirty = 1;
    }
    arena_reset(g_sse.scratch);
}

/* ------------------------------------------------------ new clients */

/* XINFO STREAM's field name (a status or string reply), or NULL. */
static const redisReply *
relay_info_field(const redisReply *r, const char *name)
{
    for (size_t k = 0; k + 1 < r->elements; k += 2)
        if ((r->element[k]->type == REDIS_REPLY_STRING ||
             r->element[k]->type == REDIS_REPLY_STATUS) &&
            strcmp(r->element[k]->str, name) == 0)
            return r->element[k + 1];
    return NULL;
}

static int
relay_info_id(const redisReply *v, struct sse_id *id)
{
    if (v == NULL ||
        (v->type != REDIS_REPLY_STRING && v->type != REDIS_REPLY_STATUS))
        return -1;
    return sse_id_parse(v->str, v->len, id);
}

static long long
relay_info_int(const redisReply *v)
{
    return v != NULL && v->type == REDIS_REPLY_INTEGER ? v->integer : -1;
}

/* Decides where a new client starts from its stream's XINFO STREAM:
 * returns 1 when its cursor is older than what is retained (a gap: the
 * client gets "reset", then live events), else 0; sets c->last.
 *
 * The design note's test is max-deleted-entry-id > cursor. Redis 7.0
 * updates that field on XDEL only, not when XTRIM or XADD MAXLEN/MINID
 * trim the head (checked on 7.0.15), and trimming is how the producers
 * apply retention. So trimming is checked too: it removes only entries
 * below the first retained one (first), so when entries were removed
 * (entries-added > length) and the cursor is below first, entries after
 * the cursor may be gone, and it is a gap. For an emptied stream this is
 * exact (a gap iff last-generated-id > cursor); for a cursor below first
 * it is cautious: a cursor pointing at exactly the newest trimmed entry
 * gets a reset it did not strictly need (the page reloads its history). */
static int
relay_info_start(struct sse_client *c, const redisReply *r)
{
    struct sse_id last = {0, 0}, maxdel = {0, 0}, first = {0, 0};
    if (relay_info_id(relay_info_field(r, "last-generated-id"), &last) < 0)
        return -1;
    /* before Redis 7.0 there is no max-deleted-entry-id */
    (void)relay_info_id(relay_info_field(r, "max-deleted-entry-id"), &maxdel);
    long long length = relay_info_int(relay_info_field(r, "length"));
    long long added = relay_info_int(relay_info_field(r, "entries-added"));
    const redisReply *fe = relay_info_field(r, "first-entry");
    int have_first = fe != NULL && fe->type == REDIS_REPLY_ARRAY &&
                     fe->elements > 0 &&
                     relay_info_id(fe->element[0], &first) == 0;

    if (!c->has_cursor) {
        c->last = last; /* live only */
        return 0;
    }
    int gap = sse_id_cmp(&maxdel, &c->last) > 0;
    if (!gap && added > length && length >= 0) {
        if (length == 0)
            gap = sse_id_cmp(&last, &c->last) > 0;
        else
            gap = have_first && sse_id_cmp(&first, &c->last) > 0;
    }
    if (gap)
        c->last = last;
    return gap;
}

static void
relay_info_cb(redisAsyncContext *ac, void *reply, void *priv)
{
    struct sse_client *c = priv;
    redisReply *r = reply;
    int reset = 0;
    (void)ac;
    if (!sse_client_release(c))
        return;
    if (r == NULL) {
        sse_client_fail(c, 503, "服务暂不可用，请稍后再试");
        return;
    }
    if (r->type == REDIS_REPLY_ERROR) {
        if (strstr(r->str, "no such key") == NULL) {
            log_warn("sse: XINFO STREAM of user %lld: %s", (long long)c->uid,
                     r->str);
            sse_client_fail(c, 503, "服务暂不可用，请稍后再试");
            return;
        }
        /* no stream yet: nothing retained, nothing deleted */
        if (!c->has_cursor)
            c->last = (struct sse_id){0, 0};
    } else if (r->type != REDIS_REPLY_ARRAY ||
               (reset = relay_info_start(c, r)) < 0) {
        log_warn("sse: XINFO STREAM of user %lld: unexpected reply",
                 (long long)c->uid);
        sse_client_fail(c, 503, "服务暂不可用，请稍后再试");
        return;
    }
    sse_client_start(c, reset);
}

static void
relay_auth_cb(redisAsyncContext *ac, void *reply, void *priv)
{
    struct sse_client *c = priv;
    redisReply *r = reply;
    int64_t uid = 0;
    (void)ac;
    if (!sse_client_release(c))
        return;
    if (r == NULL || r->type == REDIS_REPLY_ERROR) {
        if (r != NULL)
            log_warn("sse: session lookup: %s", r->str);
        sse_client_fail(c, 503, "服务暂不可用，请稍后再试");
        return;
    }
    if (r->type == REDIS_REPLY_ARRAY)
        for (size_t k = 0; k + 1 < r->elements; k += 2)
            if (r->element[k]->type == REDIS_REPLY_STRING &&
                strcmp(r->element[k]->str, "id") == 0)
                uid = relay_uid(r->element[k + 1]);
    if (uid <= 0) {
        sse_client_fail(c, 401, "请先登录");
        return;
    }
    if (!relay_query.up) {
        sse_client_fail(c, 503, "服务暂不可用，请稍后再试");
        return;
    }
    c->uid = uid;
    const char *key = key_message_stream(g_sse.scratch, uid);
    const char *argv[3] = {"XINFO", "STREAM", key};
    c->inflight++;
    int rc =
        redisAsyncCommandArgv(relay_query.ac, relay_info_cb, c, 3, argv, NULL);
    arena_reset(g_sse.scratch);
    if (rc != REDIS_OK) {
        c->inflight--;
        sse_client_fail(c, 503, "服务暂不可用，请稍后再试");
    }
}

/* The PTTL of a session, then the lazy slide (keys.h): PEXPIRE only when
 * it has run below TTL_LOGIN_TOKEN, so an SSE connect writes nothing in
 * the common case. priv is the key (malloc'd, freed here; hiredis calls
 * this with NULL when the connection goes away). The PEXPIRE is queued
 * before the XINFO that relay_auth_cb sends, so it is applied before
 * the stream's head goes out. */
static void
relay_pttl_cb(redisAsyncContext *ac, void *reply, void *priv)
{
    redisReply *r = reply;
    char *key = priv;
    if (r != NULL && r->type == REDIS_REPLY_INTEGER &&
        key_login_token_stale(r->integer)) {
        char ms[24];
        snprintf(ms, sizeof(ms), "%lld", TTL_LOGIN_TOKEN_SET * 1000LL);
        const char *pexpire[3] = {"PEXPIRE", key, ms};
        (void)redisAsyncCommandArgv(ac, NULL, NULL, 3, pexpire, NULL);
    }
    free(key);
}

void
sse_relay_auth(struct sse_client *c, const char *token)
{
    const char *key = key_login_token(g_sse.scratch, token);
    /* read only, as the workers do it: the remaining TTL, then the
     * session; relay_pttl_cb slides it only when it needs it */
    const char *pttl[2] = {"PTTL", key};
    const char *hgetall[2] = {"HGETALL", key};
    char *kcopy = strdup(key);
    if (kcopy == NULL)
        abort(); /* out of memory aborts (STYLE.md) */
    if (redisAsyncCommandArgv(relay_query.ac, relay_pttl_cb, kcopy, 2, pttl,
                              NULL) != REDIS_OK)
        free(kcopy);
    c->inflight++;
    int rc = redisAsyncCommandArgv(relay_query.ac, relay_auth_cb, c, 2, hgetall,
                                   NULL);
    arena_reset(g_sse.scratch);
    if (rc != REDIS_OK) {
        c->inflight--;
        sse_client_fail(c, 503, "服务暂不可用，请稍后再试");
    }
}
