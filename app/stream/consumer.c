/*
 * consumer.c: the consumer runtime (see consumer.h for the guarantees).
 *
 * One loop, one job per turn. A turn does exactly one of, in this order:
 *   1. hand the batch kept after a store failure to the handler again;
 *   2. take over entries (every claim_idle/2): first those of consumers on
 *      this host whose process is gone (at once), then XAUTOCLAIM of
 *      entries idle for claim_idle in any pending list; remove consumers
 *      that hold nothing and were idle longer than claim_idle;
 *   3. retry due entries of our own pending list (XPENDING gives each
 *      entry's delivery count and idle time; an entry is due when its idle
 *      time passed the back-off of its count);
 *   4. the retention pass (every stream_trim_interval_ms, one process);
 *   5. read new entries, blocking until the next of 2-4 is due.
 *
 * Delivery counts are Redis's (XPENDING): a read, a claim and a retry each
 * count one. A batch the handler could not handle at all (a store down)
 * stays in this process and is handed again with back-off, WITHOUT a new
 * delivery: a ten-second MySQL outage must not send entries to the DLQ.
 * An entry whose count passed max_deliveries is dead-lettered instead of
 * handled, with the last error this process saw for it (or a note that
 * it was never answered: its consumer died on it).
 */
#include "consumer.h"

#include "../core/cfg.h"
#include "../core/log.h"
#include "../core/metrics.h"
#include "../core/util.h"
#include "../store/health.h"
#include "../store/job.h"
#include "../store/keys.h"
#include "../store/rds.h"
#include "../store/sql.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SC_LASTERR      64   /* last errors remembered (by entry id) */
#define SC_BACKOFF_MAX  1000 /* ms, between turns while a store is down */
#define SC_IO_MARGIN_MS 3000 /* socket timeout beyond the longest BLOCK */
#define SC_ARENA_KEEP   (32u << 20) /* bytes a turn arena keeps at reset */

static volatile sig_atomic_t sc_stop;

static void
sc_on_signal(int sig)
{
    (void)sig;
    sc_stop = 1;
}

static char sc_self[320];

const char *
stream_consumer_self(void)
{
    return sc_self;
}

struct sc {
    const struct stream_consumer *c;
    struct stream_consumer_stats *st;
    char host[256];
    long batch, block_ms, claim_idle, max_del, retry_base, retry_max;
    long trim_interval;
    int need_group;
    int own_pending; /* our pending list may hold entries to retry */
    int64_t next_claim, next_retry, next_trim;
    char cursor[64]; /* XAUTOCLAIM's */

    /* the batch kept after the handler failed as a whole */
    struct arena *held_arena;
    struct stream_entry *held;
    long long *held_del;
    size_t nheld;

    /* pipelined consumers (sc_handle): the batch read ahead, in arena
     * keep (the next turn runs in the other), and the acknowledgements
     * deferred to the next turn (ids copied into ack_arena) */
    struct arena *keep;
    struct stream_entry *pre;
    size_t npre;
    struct arena *ack_arena;
    const char **dack;
    size_t ndack, capdack;

    struct {
        char id[48];
        char *err;
    } lasterr[SC_LASTERR];
    unsigned lasterr_next;
};

static void
sc_sleep_ms(long ms)
{
    /* short naps so a stop signal is noticed quickly */
    for (long left = ms; left > 0 && !sc_stop; left -= 50) {
        struct timespec ts = {0, (left < 50 ? left : 50) * 1000000L};
        nanosleep(&ts, NULL);
    }
}

/* ------------------------------------------------------ last errors */

static void
sc_err_set(struct sc *s, const char *id, const char *err)
{
    unsigned k = SC_LASTERR;
    for (unsigned i = 0; i < SC_LASTERR; i++)
        if (strcmp(s->lasterr[i].id, id) == 0)
            k = i;
    if (k == SC_LASTERR)
        k = s->lasterr_next++ % SC_LASTERR;
    free(s->lasterr[k].err);
    snprintf(s->lasterr[k].id, sizeof(s->lasterr[k].id), "%s", id);
    s->lasterr[k].err = strdup(err ? err : "retry");
    if (s->lasterr[k].err == NULL)
        abort();
}

static const char *
sc_err_get(struct sc *s, const char *id)
{
    for (unsigned i = 0; i < SC_LASTERR; i++)
        if (s->lasterr[i].err && strcmp(s->lasterr[i].id, id) == 0)
            return s->lasterr[i].err;
    return NULL;
}

static void
sc_err_clear(struct sc *s)
{
    for (unsigned i = 0; i < SC_LASTERR; i++) {
        free(s->lasterr[i].err);
        s->lasterr[i].err = NULL;
        s->lasterr[i].id[0] = '\0';
    }
}

/* ------------------------------------------------------- one batch */

static struct stream_entry *
sc_copy_entries(struct arena *a, const struct stream_entry *e, size_t n)
{
    struct stream_entry *d = arena_calloc(a, (n ? n : 1) * sizeof(*d));
    for (size_t i = 0; i < n; i++) {
        d[i].id = arena_strdup(a, e[i].id);
        d[i].nfields = e[i].nfields;
        size_t nf = e[i].nfields ? e[i].nfields : 1;
        d[i].fields = arena_alloc(a, nf * sizeof(char *));
        d[i].values = arena_alloc(a, nf * sizeof(char *));
        for (size_t k = 0; k < e[i].nfields; k++) {
            d[i].fields[k] = arena_strdup(a, e[i].fields[k]);
            d[i].values[k] = arena_strdup(a, e[i].values[k]);
        }
    }
    return d;
}

static res_t
sc_dead_letter(struct ctx *cx, struct sc *s, const char *id, const char *err,
               long long deliveries)
{
    int moved = 0;
    res_t rc = stream_dlq_move(cx, s->c->stream, s->c->group, id, err, sc_self,
                               deliveries, &moved);
    if (rc == RES_OK && moved) {
        s->st->dead++;
        metrics_inc(MET_CONS_DEAD);
        log_warn("%s: entry %s of %s moved to %s:dlq after %lld "
                 "deliveries: %s",
                 s->c->prog, id, s->c->stream, s->c->stream, deliveries, err);
    }
    return rc;
}

/* Adds ids to the acknowledgements deferred to the next turn (copies:
 * an entry's id may live in the arena of the turn that read it). */
static void
sc_defer_acks(struct sc *s, const char *const *ids, size_t n)
{
    if (s->ndack + n > s->capdack) {
        size_t cap = s->capdack ? s->capdack : 1024;
        while (cap < s->ndack + n)
            cap *= 2;
        const char **d = realloc(s->dack, cap * sizeof(*d));
        if (d == NULL)
            abort();
        s->dack = d;
        s->capdack = cap;
    }
    for (size_t i = 0; i < n; i++)
        s->dack[s->ndack++] = arena_strdup(s->ack_arena, ids[i]);
}

/* The deferred acknowledgements were handed to a command (appended: the
 * ids are no longer needed) or dropped. */
static void
sc_acks_sent(struct sc *s)
{
    s->ndack = 0;
    arena_reset(s->ack_arena);
}

/* Sends the acknowledgements deferred by the last pipelined turn. They
 * are forgotten whatever happens: an entry whose XACK did not arrive is
 * still pending, is handed again, and its handler is idempotent. */
static res_t
sc_flush_acks(struct ctx *cx, struct sc *s)
{
    if (s->ndack == 0)
        return RES_OK;
    long long acked = 0;
    res_t rc =
        stream_ack(cx, s->c->stream, s->c->group, s->dack, s->ndack, &acked);
    sc_acks_sent(s);
    if (rc == RES_OK)
        s->st->acked += (unsigned long)acked;
    return rc;
}

/* Runs the handler on e[0..n) (all with bodies, all allowed another
 * delivery) and settles each entry. A failure of the handler as a whole
 * keeps the batch in s->held.
 *
 * pipelined (a consumer whose handler uses no Redis, not stopping): the
 * next batch is read while the handler runs, together with the XACK of
 * what the last turn committed (stream_read_start/finish: one round trip
 * and, with appendfsync always, one AOF fsync for both, overlapping the
 * handler's COMMIT); the batch read ahead waits in s->pre (in this
 * turn's arena, which the next turn therefore leaves alone: s->keep), and
 * this batch's acknowledgements wait in s->dack for the next turn's first
 * command. An entry is still acknowledged only after its COMMIT. */
static res_t
sc_handle(struct ctx *cx, struct sc *s, const struct stream_entry *e,
          const long long *del, size_t n, int pipelined)
{
    if (n == 0)
        return sc_flush_acks(cx, s);
    res_t rc;
    size_t nflushed = 0;
    if (pipelined) {
        nflushed = s->ndack;
        rc = stream_read_start(cx, s->c->stream, s->c->group, sc_self, s->batch,
                               0, s->dack, nflushed);
        sc_acks_sent(s);
        if (rc != RES_OK)
            return rc; /* this batch stays pending: handed again */
    } else if ((rc = sc_flush_acks(cx, s)) != RES_OK) {
        return rc;
    }
    struct stream_result *res = arena_calloc(cx->arena, n * sizeof(*res));
    rc = s->c->handle(cx, s->c->arg, e, n, res);
    metrics_batch(n, rc != RES_OK); /* core/metrics.h: per consumer */
    if (rc != RES_OK && rc != RES_DEP_DOWN) {
        /* not a store outage: something about these entries; each one
         * counts a failed delivery, so a batch that can never pass ends
         * in the DLQ instead of being held forever */
        const char *why =
            arena_printf(cx->arena,
                         "handler failed as a whole (%d): %s; details in the "
                         "consumer log",
                         (int)rc, cx->errmsg ? cx->errmsg : "no message");
        for (size_t i = 0; i < n; i++)
            res[i] = (struct stream_result){STREAM_RETRY, why};
        rc = RES_OK;
    }
    if (rc == RES_OK)
        ctx_clear(cx); /* whatever the handler noted belongs to res */
    res_t rrc = RES_OK;
    if (pipelined) {
        long long acked = 0;
        struct stream_entry *ne;
        size_t nn;
        rrc = stream_read_finish(cx, s->c->stream, nflushed, &acked, &ne, &nn);
        if (rrc == RES_OK) {
            s->st->acked += (unsigned long)acked;
            s->pre = nn ? ne : NULL;
            s->npre = nn;
            s->keep = cx->arena;
        }
    }
    if (rc != RES_OK) {
        if (s->held == NULL) {
            arena_reset(s->held_arena);
            s->held = sc_copy_entries(s->held_arena, e, n);
            s->held_del = arena_alloc(s->held_arena, n * sizeof(long long));
            memcpy(s->held_del, del, n * sizeof(long long));
            s->nheld = n;
        }
        return rc;
    }
    s->held = NULL;
    s->nheld = 0;
    s->st->handled += n;
    const char **ack = arena_alloc(cx->arena, n * sizeof(*ack));
    size_t nack = 0;
    for (size_t i = 0; i < n; i++) {
        switch (res[i].verdict) {
        case STREAM_OK:
            ack[nack++] = e[i].id;
            break;
        case STREAM_RETRY:
            s->st->retried++;
            metrics_inc(MET_CONS_RETRIED);
            s->own_pending = 1;
            sc_err_set(s, e[i].id, res[i].error);
            break;
        case STREAM_POISON:
            if (rrc != RES_OK)
                break; /* no Redis: stays pending, handed again */
            if ((rc = sc_dead_letter(cx, s, e[i].id,
                                     res[i].error ? res[i].error : "poison",
                                     del[i])) != RES_OK)
                return rc;
            break;
        }
    }
    if (pipelined) {
        /* committed: acknowledged with the next turn's first command */
        sc_defer_acks(s, ack, nack);
        return rrc;
    }
    long long acked = 0;
    if ((rc = stream_ack(cx, s->c->stream, s->c->group, ack, nack, &acked)) !=
        RES_OK)
        return rc;
    s->st->acked += (unsigned long)acked;
    return RES_OK;
}

/* Settles a batch as delivered: trimmed bodies are acknowledged, entries
 * past max_deliveries dead-lettered, the rest handled. */
static res_t
sc_process(struct ctx *cx, struct sc *s, const struct stream_entry *e,
           const long long *del, size_t n, int pipelined)
{
    struct stream_entry *h = arena_alloc(cx->arena, (n ? n : 1) * sizeof(*h));
    long long *hd = arena_alloc(cx->arena, (n ? n : 1) * sizeof(*hd));
    const char **nil = arena_alloc(cx->arena, (n ? n : 1) * sizeof(*nil));
    size_t nh = 0, nnil = 0;
    res_t rc;
    for (size_t i = 0; i < n; i++) {
        if (e[i].nfields == 0) {
            nil[nnil++] = e[i].id;
        } else if (del[i] > s->max_del) {
            const char *why = sc_err_get(s, e[i].id);
            if (why == NULL)
                why = arena_printf(cx->arena,
                                   "delivered %lld times without an answer "
                                   "(its consumer died or hung on it)",
                                   del[i] - 1);
            if ((rc = sc_dead_letter(cx, s, e[i].id, why, del[i])) != RES_OK)
                return rc;
        } else {
            h[nh] = e[i];
            hd[nh++] = del[i];
        }
    }
    if (nnil > 0) {
        long long acked = 0;
        if ((rc = stream_ack(cx, s->c->stream, s->c->group, nil, nnil,
                             &acked)) != RES_OK)
            return rc;
        s->st->nil += (unsigned long)nnil;
        log_warn("%s: %zu entries of %s had no body (trimmed while "
                 "pending): acknowledged",
                 s->c->prog, nnil, s->c->stream);
    }
    return sc_handle(cx, s, h, hd, nh, pipelined);
}

/* The delivery counts of entries we were just handed by a claim. */
static res_t
sc_counts(struct ctx *cx, struct sc *s, const struct stream_entry *e, size_t n,
          long long **del)
{
    *del = arena_alloc(cx->arena, (n ? n : 1) * sizeof(long long));
    for (size_t i = 0; i < n; i++)
        (*del)[i] = 1;
    if (n == 0)
        return RES_OK;
    struct stream_pending *p;
    size_t np;
    res_t rc =
        stream_pending_list(cx, s->c->stream, s->c->group, -1, e[0].id,
                            e[n - 1].id, (long)n + 100, sc_self, &p, &np);
    if (rc != RES_OK)
        return rc;
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < np; k++)
            if (strcmp(p[k].id, e[i].id) == 0)
                (*del)[i] = p[k].deliveries;
    return RES_OK;
}

/* ------------------------------------------------------------ turns */

static int
sc_pid_gone(const char *name, const char *myhost)
{
    char host[256];
    long pid;
    if (stream_consumer_name_parse(name, host, sizeof(host), &pid) < 0 ||
        strcmp(host, myhost) != 0 || pid == (long)getpid())
        return 0;
    return kill((pid_t)pid, 0) < 0 && errno == ESRCH;
}

/* Turn 2. *more: there may be more to take right away. */
static res_t
sc_claim(struct ctx *cx, struct sc *s, int *more)
{
    *more = 0;
    struct stream_consumer_info *ci;
    size_t nc;
    res_t rc = stream_consumers(cx, s->c->stream, s->c->group, &ci, &nc);
    if (rc != RES_OK)
        return rc;
    for (size_t i = 0; i < nc; i++) {
        if (strcmp(ci[i].name, sc_self) == 0)
            continue;
        if (ci[i].pending > 0 && sc_pid_gone(ci[i].name, s->host)) {
            /* its process is gone: no need to wait for the idle time */
            struct stream_pending *p;
            size_t np;
            if ((rc = stream_pending_list(cx, s->c->stream, s->c->group, -1,
                                          "-", "+", s->batch, ci[i].name, &p,
                                          &np)) != RES_OK)
                return rc;
            const char **ids =
                arena_alloc(cx->arena, (np ? np : 1) * sizeof(*ids));
            for (size_t k = 0; k < np; k++)
                ids[k] = p[k].id;
            struct stream_entry *e;
            size_t n;
            if ((rc = stream_claim(cx, s->c->stream, s->c->group, sc_self, 0,
                                   ids, np, &e, &n)) != RES_OK)
                return rc;
            log_info("%s: took %zu pending entries of %s (process gone)",
                     s->c->prog, n, ci[i].name);
            s->st->claimed += n;
            metrics_add(MET_CONS_CLAIMED, n);
            metrics_add(MET_CONS_CLAIMED, n);
            *more = 1;
            long long *del;
            if ((rc = sc_counts(cx, s, e, n, &del)) != RES_OK)
                return rc;
            return sc_process(cx, s, e, del, n, 0);
        }
        if (ci[i].pending == 0 && ci[i].idle_ms >= s->claim_idle) {
            int removed = 0;
            if ((rc = stream_consumer_remove_idle(cx, s->c->stream, s->c->group,
                                                  ci[i].name, s->claim_idle,
                                                  &removed)) != RES_OK)
                return rc;
            if (removed) {
                s->st->removed++;
                log_info("%s: removed consumer %s (idle %lld ms, nothing "
                         "pending)",
                         s->c->prog, ci[i].name, ci[i].idle_ms);
            }
        }
    }
    const char *next;
    struct stream_entry *e;
    size_t n;
    const char **gone;
    size_t ngone;
    if ((rc = stream_autoclaim(cx, s->c->stream, s->c->group, sc_self,
                               s->claim_idle, s->cursor, s->batch, &next, &e,
                               &n, &gone, &ngone)) != RES_OK)
        return rc;
    snprintf(s->cursor, sizeof(s->cursor), "%s", next);
    *more = strcmp(next, "0-0") != 0;
    if (ngone > 0) {
        /* Redis dropped them from the pending list: nothing to ack */
        s->st->nil += ngone;
        log_warn("%s: %zu pending entries of %s no longer exist (trimmed)",
                 s->c->prog, ngone, s->c->stream);
    }
    if (n == 0)
        return RES_OK;
    log_info("%s: took over %zu entries idle for %ld ms", s->c->prog, n,
             s->claim_idle);
    s->st->claimed += n;
    long long *del;
    if ((rc = sc_counts(cx, s, e, n, &del)) != RES_OK)
        return rc;
    return sc_process(cx, s, e, del, n, 0);
}

/* Turn 3: our own pending entries whose back-off is over. */
static res_t
sc_retry(struct ctx *cx, struct sc *s)
{
    struct stream_pending *p;
    size_t np;
    res_t rc = stream_pending_list(cx, s->c->stream, s->c->group, -1, "-", "+",
                                   s->batch, sc_self, &p, &np);
    if (rc != RES_OK)
        return rc;
    if (np == 0) {
        s->own_pending = 0;
        return RES_OK;
    }
    const char **due = arena_alloc(cx->arena, np * sizeof(*due));
    size_t ndue = 0;
    for (size_t i = 0; i < np; i++) {
        if (p[i].deliveries >= s->max_del) {
            /* a further delivery would be one too many */
            const char *why = sc_err_get(s, p[i].id);
            if (why == NULL)
                why = arena_printf(cx->arena, "delivered %lld times",
                                   p[i].deliveries);
            if ((rc = sc_dead_letter(cx, s, p[i].id, why, p[i].deliveries)) !=
                RES_OK)
                return rc;
        } else if (p[i].idle_ms >= stream_backoff_ms(p[i].deliveries,
                                                     s->retry_base,
                                                     s->retry_max)) {
            due[ndue++] = p[i].id;
        }
    }
    if (ndue == 0)
        return RES_OK;
    struct stream_entry *e;
    size_t n;
    if ((rc = stream_claim(cx, s->c->stream, s->c->group, sc_self, 0, due, ndue,
                           &e, &n)) != RES_OK)
        return rc;
    long long *del;
    if ((rc = sc_counts(cx, s, e, n, &del)) != RES_OK)
        return rc;
    return sc_process(cx, s, e, del, n, 0);
}

/* Turn 4: the retention pass, by whichever process takes the lock. */
static res_t
sc_trim(struct ctx *cx, struct sc *s)
{
    redisReply *r;
    res_t rc = rds_cmd(cx, &r, "SET %s %s NX PX %ld", KEY_STREAM_TRIM_LOCK,
                       sc_self, s->trim_interval);
    if (rc != RES_OK || r->type == REDIS_REPLY_NIL)
        return rc;
    long long removed = 0;
    if ((rc = stream_trim_all(cx, &removed)) == RES_OK && removed > 0)
        log_info("%s: retention pass removed %lld entries", s->c->prog,
                 removed);
    return rc;
}

static long
sc_min_due(const struct sc *s, int64_t now)
{
    int64_t due = s->next_claim;
    if (s->own_pending && s->next_retry < due)
        due = s->next_retry;
    if (s->trim_interval > 0 && s->next_trim < due)
        due = s->next_trim;
    return (long)(due - now);
}

static res_t
sc_turn(struct ctx *cx, struct sc *s)
{
    res_t rc;
    if (s->held)
        return sc_handle(cx, s, s->held, s->held_del, s->nheld, 0);
    if (s->pre) {
        /* read ahead during the last turn: handled now (while the next
         * batch is read), before anything else, so it does not sit in
         * the pending list long enough to be taken over */
        struct stream_entry *e = s->pre;
        size_t n = s->npre;
        s->pre = NULL;
        s->npre = 0;
        long long *del = arena_alloc(cx->arena, n * sizeof(*del));
        for (size_t i = 0; i < n; i++)
            del[i] = 1;
        return sc_process(cx, s, e, del, n, !sc_stop);
    }
    if (sc_stop) /* the last turn: what was committed is acknowledged */
        return sc_flush_acks(cx, s);
    if (s->need_group) {
        if ((rc = stream_group_ensure(cx, s->c->stream, s->c->group, "0")) !=
            RES_OK)
            return rc;
        s->need_group = 0;
    }
    int64_t now = util_now_ms();
    if (now >= s->next_claim) {
        if ((rc = sc_flush_acks(cx, s)) != RES_OK)
            return rc;
        int more = 0;
        rc = sc_claim(cx, s, &more);
        if (rc == RES_OK)
            s->next_claim = more ? now : now + s->claim_idle / 2;
        return rc;
    }
    if (s->own_pending && now >= s->next_retry) {
        if ((rc = sc_flush_acks(cx, s)) != RES_OK)
            return rc;
        s->next_retry = now + (s->retry_base / 2 > 0 ? s->retry_base / 2 : 1);
        return sc_retry(cx, s);
    }
    if (s->trim_interval > 0 && now >= s->next_trim) {
        if ((rc = sc_flush_acks(cx, s)) != RES_OK)
            return rc;
        s->next_trim = now + s->trim_interval;
        return sc_trim(cx, s);
    }
    long block = sc_min_due(s, now);
    if (block > s->block_ms)
        block = s->block_ms;
    if (block < 1)
        block = 1;
    struct stream_entry *e;
    size_t n;
    if (s->c->pipelined) {
        /* the deferred XACK travels with the read (one round trip) */
        size_t na = s->ndack;
        long long acked = 0;
        rc = stream_read_start(cx, s->c->stream, s->c->group, sc_self, s->batch,
                               block, s->dack, na);
        sc_acks_sent(s);
        if (rc != RES_OK || (rc = stream_read_finish(cx, s->c->stream, na,
                                                     &acked, &e, &n)) != RES_OK)
            return rc;
        s->st->acked += (unsigned long)acked;
    } else if ((rc = stream_read(cx, s->c->stream, s->c->group, sc_self,
                                 s->batch, block, &e, &n)) != RES_OK) {
        return rc;
    }
    long long *del = arena_alloc(cx->arena, (n ? n : 1) * sizeof(*del));
    for (size_t i = 0; i < n; i++)
        del[i] = 1;
    return sc_process(cx, s, e, del, n, s->c->pipelined);
}

/* The program's component ("hmdp-message-consumer" -> "message-
 * consumer"): a program that runs several groups (one process each) also
 * beats under its own name, which is what conf/stack.sh expects of every
 * daemon it starts; health_expect may name the groups (c->prog) too. */
static char sc_program[64];

static void
sc_program_name(void)
{
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n <= 0)
        return;
    exe[n] = '\0';
    const char *b = strrchr(exe, '/');
    b = b ? b + 1 : exe;
    if (strncmp(b, "hmdp-", 5) == 0)
        b += 5;
    size_t k = strlen(b);
    if (k < sizeof(sc_program))
        memcpy(sc_program, b, k + 1);
}

int
stream_consumer_run(const struct stream_consumer *c,
                    struct stream_consumer_stats *st)
{
    struct sc *s = calloc(1, sizeof(*s));
    if (s == NULL)
        abort();
    s->c = c;
    s->st = st;
    memset(st, 0, sizeof(*st));
    if (gethostname(s->host, sizeof(s->host) - 1) < 0 || s->host[0] == '\0')
        snprintf(s->host, sizeof(s->host), "localhost");
    stream_consumer_name(sc_self, sizeof(sc_self), s->host, (long)getpid());
    s->batch = g_cfg.stream_batch;
    s->block_ms = g_cfg.stream_block_ms;
    s->claim_idle =
        g_cfg.stream_claim_idle_ms > 0 ? g_cfg.stream_claim_idle_ms : 1;
    s->max_del = g_cfg.stream_max_deliveries;
    s->retry_base =
        g_cfg.stream_retry_base_ms > 0 ? g_cfg.stream_retry_base_ms : 1;
    /* a backed-off entry is retried before anyone may take it over */
    s->retry_max = s->claim_idle / 2 > 0 ? s->claim_idle / 2 : 1;
    s->trim_interval = g_cfg.stream_trim_interval_ms;
    s->need_group = 1;
    s->own_pending = 1; /* a recycled pid may find entries under its name */
    snprintf(s->cursor, sizeof(s->cursor), "0-0");
    s->held_arena = arena_new();
    s->ack_arena = arena_new();
    int64_t now = util_now_ms();
    s->next_claim = now;
    s->next_retry = now;
    s->next_trim = now + s->trim_interval;
    rds_set_io_timeout((int)(s->block_ms + SC_IO_MARGIN_MS));

    sc_program_name();
    log_info("%s: consumer %s started on %s group %s", c->prog, sc_self,
             c->stream, c->group);
    /* two arenas, one per turn: a pipelined turn leaves the batch it read
     * ahead in its own (s->keep), and the next turn runs in the other */
    struct arena *ar[2] = {arena_new(), arena_new()};
    for (int i = 0; i < 2; i++) /* a batch's memory is reused (warm) */
        arena_keep(ar[i], SC_ARENA_KEEP);
    struct ctx cx;
    long backoff = 0;
    /* after a stop signal: the batch read ahead is still handled and what
     * was committed acknowledged, then the loop ends */
    while (!sc_stop || s->pre || s->ndack) {
        struct arena *a = s->keep == ar[0] ? ar[1] : ar[0];
        job_begin(&cx, a, c->prog, s->held ? "retry-batch" : "turn", c->stream);
        /* GET /health's liveness of this component (store/health.h):
         * fired, rides along with the turn's first command */
        health_beat(&cx, c->prog);
        if (sc_program[0] && strcmp(sc_program, c->prog) != 0)
            health_beat(&cx, sc_program);
        res_t rc = sc_turn(&cx, s);
        if (rc == RES_OK)
            rc = job_end(&cx);
        else
            job_end(&cx);
        if (s->pre == NULL)
            s->keep = NULL;
        if (rc != RES_OK && sc_stop)
            break; /* what is left is pending: taken over or handed again */
        if (rc != RES_OK) {
            /* logged where it was detected; the group may be gone (a
             * restarted Redis) and what we were handed is pending */
            s->need_group = 1;
            s->own_pending = 1;
            backoff = backoff ? backoff * 2 : 50;
            if (backoff > SC_BACKOFF_MAX)
                backoff = SC_BACKOFF_MAX;
            sc_sleep_ms(backoff);
            continue;
        }
        if (backoff) {
            log_info("%s: stores reachable again", c->prog);
            backoff = 0;
        }
    }
    log_info("%s: consumer %s stopping: %lu handled, %lu acknowledged, "
             "%lu retried, %lu dead-lettered, %lu without body, %lu taken "
             "over, %lu consumers removed",
             c->prog, sc_self, st->handled, st->acked, st->retried, st->dead,
             st->nil, st->claimed, st->removed);
    arena_free(ar[0]);
    arena_free(ar[1]);
    arena_free(s->held_arena);
    arena_free(s->ack_arena);
    sc_err_clear(s);
    free(s->dack);
    free(s);
    return 0;
}

int
stream_consumer_main(const struct stream_consumer *c)
{
    if (cfg_load() < 0) {
        log_error("invalid configuration; refusing to start");
        cfg_free();
        return 2;
    }
    const char *logf = getenv("HMDP_CONSUMER_LOG");
    if (logf && *logf && log_open_file(logf) < 0)
        log_warn("cannot open log file %s; logging to stderr", logf);
    if (!(logf && *logf))
        log_adopt_stderr(); /* conf/stack.sh: logs/<prog>.log */
    log_reopen_on(SIGUSR2); /* logrotate (conf/logrotate.conf.in) */
    if (g_cfg.metrics_file[0])
        metrics_open(g_cfg.metrics_file, MET_KIND_CONSUMER, c->prog, NULL);
    if (util_rand_init() < 0) {
        log_error("libsodium initialisation failed");
        cfg_free();
        return 2;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = sc_on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    struct stream_consumer_stats st;
    int code = stream_consumer_run(c, &st);
    rds_close();
    sql_close();
    cfg_free();
    return code;
}
