/*
 * stream_policy.h: the pure rules of the stream layer, unit-tested without
 * a server: entry ids, the retention table (conf/hmdp.conf), the safe trim
 * point, the retry back-off and consumer names.
 *
 * Nothing here does I/O; strings it returns come from the caller's arena.
 */
#ifndef HMDP_STREAM_POLICY_H
#define HMDP_STREAM_POLICY_H

#include "../core/arena.h"

#include <stddef.h>
#include <stdint.h>

/* ---- entry ids ---- */

/* A stream entry id "<ms>-<seq>". */
struct stream_id {
    uint64_t ms, seq;
};

/* Parses "<ms>-<seq>" or "<ms>" (seq 0). Returns 0, or -1 for anything
 * else (signs, spaces, overflow, "-" alone). */
int stream_id_parse(const char *s, struct stream_id *out);
/* <0, 0, >0 as a is older than, equal to, newer than b. */
int stream_id_cmp(struct stream_id a, struct stream_id b);
/* The smallest id greater than a. */
struct stream_id stream_id_next(struct stream_id a);
/* "<ms>-<seq>" in a. */
char *stream_id_str(struct arena *a, struct stream_id id);

/* ---- retention ---- */

/* How long a stream keeps its entries: trimming removes an entry only when
 * it is older than age_s AND outside the newest count entries AND every
 * group has delivered and acknowledged it. after_ack: age_s counts from
 * the time the groups were done with the entry (chat: "24 h after sync"),
 * not from the entry's id. priority: 1 is visited first by a trim pass
 * (a pass with little time left leaves the high numbers for the next). */
struct stream_retention {
    const char *pattern; /* exact stream name, or a prefix ending in '*' */
    long age_s;
    long count;
    int priority;
    int after_ack;
};

/* Parses "<age_s> <count> <priority> [after-ack]" into r (pattern left
 * as is). Returns 0, or -1 when a number is missing, negative or not a
 * number, or an unknown word follows. */
int stream_retention_parse(const char *val, struct stream_retention *r);

/* The rule for stream key among rules[0..n): an exact pattern wins over a
 * prefix, the longest prefix over shorter ones. NULL when none applies
 * (such a stream is never trimmed by age/count). */
const struct stream_retention *
stream_retention_find(const struct stream_retention *rules, size_t n,
                      const char *key);

/* ---- the safe trim point ---- */

/* What one consumer group still needs: it has been handed every entry up
 * to last_delivered, and the oldest it has not acknowledged is
 * pending_min (when has_pending). */
struct stream_group_state {
    const char *name;
    struct stream_id last_delivered;
    int has_pending;
    struct stream_id pending_min;
};

struct stream_trim_in {
    int64_t now_ms;
    long len;                           /* XLEN */
    const struct stream_retention *ret; /* NULL: no age/count rule */
    int has_count_bound;                /* len > ret->count */
    struct stream_id count_bound;       /* the ret->count-th newest id */
    int has_acked_bound;                /* after_ack rules only */
    struct stream_id acked_bound;       /* the safe point age_s ago */
    size_t ngroups;
    const struct stream_group_state *groups;
};

/* The MINID a trim may use: every entry with a smaller id is past both
 * floors and delivered + acknowledged by every group. Returns 1 with
 * *minid set, or 0 when nothing may go. *held_by (may be NULL) names the
 * group that holds the point lowest, when a group is what limits it
 * (NULL otherwise): the stalled group an operator should look at. */
int stream_trim_point(const struct stream_trim_in *in, struct stream_id *minid,
                      const char **held_by);

/* The oldest entry a group still needs: pending_min, else the id after
 * last_delivered. */
struct stream_id stream_group_need(const struct stream_group_state *g);

/* ---- consumers ---- */

/* Back-off before the (deliveries+1)-th attempt of an entry that asked
 * for a retry: base_ms * 2^(deliveries-1), at most max_ms. */
long stream_backoff_ms(long deliveries, long base_ms, long max_ms);

/* "<host>:<pid>" into buf. Returns buf. */
char *stream_consumer_name(char *buf, size_t size, const char *host, long pid);
/* Splits a consumer name made by stream_consumer_name. Returns 0 with
 * host (NUL-terminated copy into hostbuf) and *pid, or -1 for another
 * shape (such consumers are only taken over after the idle time). */
int stream_consumer_name_parse(const char *name, char *hostbuf, size_t hostsize,
                               long *pid);

#endif
