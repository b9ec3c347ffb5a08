/*
 * stream_policy.c: the pure rules behind trimming, retries and consumer
 * names (see stream_policy.h). The trim point is the heart of it: Redis
 * 7.0's XTRIM and XADD MAXLEN remove entries whether or not a group still
 * needs them, so the stream layer never trims by length alone; it asks
 * this file for the oldest id that every floor and every group allows,
 * and trims with MINID below it.
 */
#include "stream_policy.h"

#include "../core/str.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- ids */

int
stream_id_parse(const char *s, struct stream_id *out)
{
    if (s == NULL)
        return -1;
    size_t n = strlen(s);
    struct stream_id id = {0, 0};
    int bad = memchr(s, '-', n) == NULL
                  ? str_parse_u64n(s, n, &id.ms) /* "ms" alone: seq 0 */
                  : str_parse_entry_id(s, n, &id.ms, &id.seq);
    if (bad)
        return -1;
    *out = id;
    return 0;
}

int
stream_id_cmp(struct stream_id a, struct stream_id b)
{
    if (a.ms != b.ms)
        return a.ms < b.ms ? -1 : 1;
    if (a.seq != b.seq)
        return a.seq < b.seq ? -1 : 1;
    return 0;
}

struct stream_id
stream_id_next(struct stream_id a)
{
    if (a.seq == UINT64_MAX) {
        a.ms++;
        a.seq = 0;
    } else {
        a.seq++;
    }
    return a;
}

char *
stream_id_str(struct arena *a, struct stream_id id)
{
    return arena_printf(a, "%llu-%llu", (unsigned long long)id.ms,
                        (unsigned long long)id.seq);
}

/* ---------------------------------------------------------- retention */

static int
stream_long_word(const char **p, long *out)
{
    const char *s = *p;
    while (*s == ' ' || *s == '\t')
        s++;
    if (!isdigit((unsigned char)*s))
        return -1;
    errno = 0;
    char *end;
    long v = strtol(s, &end, 10);
    if (errno || v < 0 || (*end && *end != ' ' && *end != '\t'))
        return -1;
    *out = v;
    *p = end;
    return 0;
}

int
stream_retention_parse(const char *val, struct stream_retention *r)
{
    const char *p = val;
    long age, count, prio;
    if (stream_long_word(&p, &age) < 0 || stream_long_word(&p, &count) < 0 ||
        stream_long_word(&p, &prio) < 0 || prio > 1000)
        return -1;
    while (*p == ' ' || *p == '\t')
        p++;
    int after_ack = 0;
    if (*p) {
        size_t n = strcspn(p, " \t");
        if (n != 9 || strncmp(p, "after-ack", 9) != 0)
            return -1;
        after_ack = 1;
        p += n;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p)
            return -1;
    }
    r->age_s = age;
    r->count = count;
    r->priority = (int)prio;
    r->after_ack = after_ack;
    return 0;
}

const struct stream_retention *
stream_retention_find(const struct stream_retention *rules, size_t n,
                      const char *key)
{
    const struct stream_retention *best = NULL;
    size_t best_len = 0;
    for (size_t i = 0; i < n; i++) {
        const char *p = rules[i].pattern;
        size_t pl = strlen(p);
        if (pl > 0 && p[pl - 1] == '*') {
            if (strncmp(key, p, pl - 1) == 0 &&
                (best == NULL || pl - 1 > best_len)) {
                best = &rules[i];
                best_len = pl - 1;
            }
        } else if (strcmp(key, p) == 0) {
            return &rules[i];
        }
    }
    return best;
}

/* ------------------------------------------------------- trim point */

struct stream_id
stream_group_need(const struct stream_group_state *g)
{
    struct stream_id next = stream_id_next(g->last_delivered);
    if (g->has_pending && stream_id_cmp(g->pending_min, next) < 0)
        return g->pending_min;
    return next;
}

int
stream_trim_point(const struct stream_trim_in *in, struct stream_id *minid,
                  const char **held_by)
{
    if (held_by)
        *held_by = NULL;
    const struct stream_retention *r = in->ret;
    if (r == NULL || in->len <= 0)
        return 0;
    /* the count floor: only entries older than the count-th newest */
    if (r->count > 0 && !in->has_count_bound)
        return 0;
    struct stream_id p;
    if (r->count > 0)
        p = in->count_bound;
    else
        p = (struct stream_id){UINT64_MAX, UINT64_MAX};
    /* the age floor */
    struct stream_id age;
    if (r->after_ack) {
        if (!in->has_acked_bound)
            return 0; /* no record of what was done age_s ago yet */
        age = in->acked_bound;
    } else {
        int64_t t = in->now_ms - (int64_t)r->age_s * 1000;
        if (t <= 0)
            return 0;
        age = (struct stream_id){(uint64_t)t, 0};
    }
    if (stream_id_cmp(age, p) < 0)
        p = age;
    /* every group's need */
    for (size_t i = 0; i < in->ngroups; i++) {
        struct stream_id need = stream_group_need(&in->groups[i]);
        if (stream_id_cmp(need, p) < 0) {
            p = need;
            if (held_by)
                *held_by = in->groups[i].name;
        }
    }
    if (p.ms == 0 && p.seq <= 1)
        return 0; /* MINID 0-1 removes nothing any stream can hold */
    *minid = p;
    return 1;
}

/* -------------------------------------------------------- consumers */

long
stream_backoff_ms(long deliveries, long base_ms, long max_ms)
{
    if (deliveries < 1)
        deliveries = 1;
    long b = base_ms > 0 ? base_ms : 1;
    for (long i = 1; i < deliveries && b < max_ms; i++)
        b *= 2;
    return b < max_ms ? b : max_ms;
}

char *
stream_consumer_name(char *buf, size_t size, const char *host, long pid)
{
    snprintf(buf, size, "%s:%ld", host, pid);
    return buf;
}

int
stream_consumer_name_parse(const char *name, char *hostbuf, size_t hostsize,
                           long *pid)
{
    const char *colon = strrchr(name, ':');
    if (colon == NULL || colon == name || (size_t)(colon - name) >= hostsize)
        return -1;
    uint64_t v;
    if (str_parse_u64n(colon + 1, strlen(colon + 1), &v) < 0 || v == 0 ||
        v > 0x7fffffff)
        return -1;
    memcpy(hostbuf, name, (size_t)(colon - name));
    hostbuf[colon - name] = '\0';
    *pid = (long)v;
    return 0;
}
