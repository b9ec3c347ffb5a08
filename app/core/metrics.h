/*
 * metrics.h: counters of every hmdp process, aggregated across processes
 * through one shared file (metrics_file, mmap'ed MAP_SHARED): a slot per
 * process, claimed with a write lock on its byte range that the kernel
 * releases when the process dies. A process counts into its own slot with
 * plain increments (no locks, no syscalls); any worker renders the sum of
 * every slot ever used as Prometheus text (GET /metrics, internal only).
 * A slot keeps its counts when a new process takes it over, so totals
 * only go up while the file lives (it is recreated when its layout or the
 * route list changes, which Prometheus sees as a counter reset).
 *
 * Without metrics_file (or when it cannot be opened) counting goes to a
 * private slot: the same cheap code path, nothing shared.
 */
#ifndef HMDP_METRICS_H
#define HMDP_METRICS_H

#include "route.h"

#include <stddef.h>
#include <stdint.h>

/* Plain counters: one per event kind, summed over every slot. */
enum metrics_ctr {
    MET_RDS_ERRORS,     /* Redis failures (connect, I/O, error replies) */
    MET_RDS_RECONNECTS, /* Redis connections opened after the first */
    MET_RDS_RT_SUM,     /* Redis round trips of counted requests */
    MET_SQL_ERRORS,     /* MySQL failures */
    MET_SQL_RECONNECTS, /* MySQL connections opened after the first */
    MET_SQL_RT_SUM,     /* MySQL round trips of counted requests */
    MET_SECKILL_ATTEMPTS,
    MET_SECKILL_ORDERS,
    MET_SECKILL_SOLD_OUT, /* refusals by reason, as voucher_private.h */
    MET_SECKILL_DUPLICATE,
    MET_SECKILL_UNKNOWN,
    MET_SECKILL_NOT_STARTED,
    MET_SECKILL_ENDED,
    MET_CONS_ENTRIES, /* stream entries a consumer handled */
    MET_CONS_BATCHES,
    MET_CONS_BATCH_SUM, /* entries read, over all batches */
    MET_CONS_ERRORS,    /* batches that failed (retried later) */
    MET_CONS_RETRIED,   /* entries handed back for a retry */
    MET_CONS_DEAD,      /* entries moved to the dead-letter stream */
    MET_CONS_CLAIMED,   /* entries taken over from another consumer */
    /* the SSE gateway (app/sse) */
    MET_SSE_OPEN,    /* gauge: streams open now (incremented/decremented) */
    MET_SSE_OPENED,  /* streams opened */
    MET_SSE_EVENTS,  /* events written to clients */
    MET_SSE_DROPS,   /* clients dropped for falling behind */
    MET_SSE_RESUMES, /* streams opened with a cursor (Last-Event-ID) */
    MET_NCTR
};

/* Processes by what they are, for the process gauge and consumer series. */
enum metrics_kind {
    MET_KIND_WORKER = 1,
    MET_KIND_CONSUMER,
    MET_KIND_OTHER,
    MET_KIND_SSE
};

#define MET_PATTERNS      96 /* route patterns, index 0 = no route matched */
#define MET_METHODS       5  /* GET POST PUT DELETE other */
#define MET_LAT_BUCKETS   12
#define MET_RT_BUCKETS    8
#define MET_BATCH_BUCKETS 8

struct metrics_http {
    uint64_t status[5];            /* 1xx..5xx */
    uint64_t lat[MET_LAT_BUCKETS]; /* per bucket, not cumulative */
    uint64_t lat_sum_us;
};

struct metrics_slot {
    int32_t used; /* ever claimed: its counts belong to the totals */
    int32_t kind;
    int32_t pid; /* last owner (informative) */
    int32_t pad;
    char name[48]; /* "worker", "voucher-consumer", ... */
    uint64_t ctr[MET_NCTR];
    uint64_t rds_rt[MET_RT_BUCKETS];   /* Redis round trips per request */
    uint64_t sql_rt[MET_RT_BUCKETS];   /* MySQL round trips per request */
    uint64_t batch[MET_BATCH_BUCKETS]; /* consumer batch sizes */
    struct metrics_http http[MET_PATTERNS][MET_METHODS];
};

/* This process's slot (a private one until metrics_open succeeds). */
extern struct metrics_slot *g_met;

/* Round trips of the unit of work in progress (store/ counts them). */
extern unsigned g_met_rds_rt, g_met_sql_rt;

static inline void
metrics_inc(enum metrics_ctr c)
{
    g_met->ctr[c]++;
}

static inline void
metrics_add(enum metrics_ctr c, uint64_t n)
{
    g_met->ctr[c] += n;
}

/* Opens (creating or re-laying-out when needed) the shared file at path
 * and claims a slot for this process as kind/name. routes is the worker's
 * route tables (NULL for other processes); their patterns get fixed
 * indices in the file. Returns 0, or -1 (logged) with counting left on the
 * private slot. */
int metrics_open(const char *path, enum metrics_kind kind, const char *name,
                 const struct route *const *routes);

/* Counts one request: route r (NULL when none matched), method, status,
 * latency, and the round trips in g_met_*_rt (which it resets). */
void metrics_request(const struct route *r, int method, int status,
                     int64_t latency_us);

/* Counts one consumer batch of n entries (failed: an error). */
void metrics_batch(size_t n, int failed);

/* Writes the Prometheus text of every slot, then extra (may be NULL:
 * gauges the caller gathered, already in the text format), into a buffer
 * from a; *len is its length. */
char *metrics_render(struct arena *a, const char *extra, size_t *len);

/* Pure helpers (unit-tested): the bucket of a latency, a round-trip count
 * and a batch size. */
int metrics_lat_bucket(int64_t us);
int metrics_rt_bucket(unsigned n);
int metrics_batch_bucket(size_t n);

#endif
