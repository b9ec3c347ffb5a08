/*
 * stream_parse.c: turns XREAD/XREADGROUP replies into stream_entry arrays.
 * Pure: it sees only a parsed redisReply, so the unit tests feed it canned
 * RESP bytes through hiredis' reader, with no server.
 *
 * Reply shape for one stream (RESP2):
 *   nil                                   BLOCK timed out
 *   [ [ key, [ [id, [f1, v1, ...]], ... ] ] ]
 * A pending entry that was trimmed (XADD MAXLEN) or XDEL'd comes back as
 * [id, nil]: it keeps its id so it can still be acknowledged.
 */
#include "stream.h"

#include <hiredis/hiredis.h>
#include <string.h>

static int
stream_is_str(const redisReply *r)
{
    return r &&
           (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS);
}

static int
stream_parse_entry(struct arena *a, const redisReply *e,
                   struct stream_entry *out)
{
    if (e == NULL || e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
        !stream_is_str(e->element[0]))
        return -1;
    out->id = arena_strndup(a, e->element[0]->str, e->element[0]->len);
    out->nfields = 0;
    out->fields = out->values = NULL;
    const redisReply *f = e->element[1];
    if (f == NULL || f->type == REDIS_REPLY_NIL)
        return 0; /* deleted while pending */
    if (f->type != REDIS_REPLY_ARRAY || f->elements % 2 != 0)
        return -1;
    size_t nf = f->elements / 2;
    out->fields = arena_alloc(a, (nf ? nf : 1) * sizeof(char *));
    out->values = arena_alloc(a, (nf ? nf : 1) * sizeof(char *));
    for (size_t i = 0; i < nf; i++) {
        const redisReply *k = f->element[2 * i], *v = f->element[2 * i + 1];
        if (!stream_is_str(k) || !stream_is_str(v))
            return -1;
        out->fields[i] = arena_strndup(a, k->str, k->len);
        out->values[i] = arena_strndup(a, v->str, v->len);
    }
    out->nfields = nf;
    return 0;
}

int
stream_parse_entries(struct arena *a, const struct redisReply *list,
                     struct stream_entry **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (list == NULL || list->type == REDIS_REPLY_NIL)
        return 0;
    if (list->type != REDIS_REPLY_ARRAY)
        return -1;
    size_t cnt = list->elements;
    struct stream_entry *e = arena_calloc(a, (cnt ? cnt : 1) * sizeof(*e));
    for (size_t i = 0; i < cnt; i++)
        if (stream_parse_entry(a, list->element[i], &e[i]) < 0)
            return -1;
    *out = e;
    *n = cnt;
    return 0;
}

int
stream_parse_read(struct arena *a, const struct redisReply *r,
                  struct stream_entry **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (r == NULL)
        return -1;
    if (r->type == REDIS_REPLY_NIL)
        return 0;
    if (r->type != REDIS_REPLY_ARRAY)
        return -1;
    if (r->elements == 0)
        return 0;
    if (r->elements != 1)
        return -1; /* we read one stream at a time */
    const redisReply *s = r->element[0];
    if (s == NULL || s->type != REDIS_REPLY_ARRAY || s->elements != 2 ||
        !stream_is_str(s->element[0]))
        return -1;
    return stream_parse_entries(a, s->element[1], out, n);
}

static int
stream_is_int(const redisReply *r)
{
    return r && r->type == REDIS_REPLY_INTEGER;
}

int
stream_parse_pending(struct arena *a, const struct redisReply *r,
                     struct stream_pending **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (r == NULL || r->type != REDIS_REPLY_ARRAY)
        return -1;
    size_t cnt = r->elements;
    struct stream_pending *p = arena_calloc(a, (cnt ? cnt : 1) * sizeof(*p));
    for (size_t i = 0; i < cnt; i++) {
        const redisReply *e = r->element[i];
        if (e == NULL || e->type != REDIS_REPLY_ARRAY || e->elements != 4 ||
            !stream_is_str(e->element[0]) || !stream_is_str(e->element[1]) ||
            !stream_is_int(e->element[2]) || !stream_is_int(e->element[3]))
            return -1;
        p[i].id = arena_strndup(a, e->element[0]->str, e->element[0]->len);
        p[i].consumer =
            arena_strndup(a, e->element[1]->str, e->element[1]->len);
        p[i].idle_ms = e->element[2]->integer;
        p[i].deliveries = e->element[3]->integer;
    }
    *out = p;
    *n = cnt;
    return 0;
}

int
stream_parse_autoclaim(struct arena *a, const struct redisReply *r,
                       const char **next, struct stream_entry **out, size_t *n,
                       const char ***gone, size_t *ngone)
{
    *out = NULL;
    *n = 0;
    *gone = NULL;
    *ngone = 0;
    /* Redis 7: [cursor, entries, deleted ids]; 6.2 had no third element */
    if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements < 2 ||
        r->elements > 3 || !stream_is_str(r->element[0]))
        return -1;
    *next = arena_strndup(a, r->element[0]->str, r->element[0]->len);
    if (stream_parse_entries(a, r->element[1], out, n) < 0)
        return -1;
    if (r->elements == 3) {
        const redisReply *d = r->element[2];
        if (d == NULL || d->type != REDIS_REPLY_ARRAY)
            return -1;
        const char **g =
            arena_alloc(a, (d->elements ? d->elements : 1) * sizeof(*g));
        for (size_t i = 0; i < d->elements; i++) {
            if (!stream_is_str(d->element[i]))
                return -1;
            g[i] = arena_strndup(a, d->element[i]->str, d->element[i]->len);
        }
        *gone = g;
        *ngone = d->elements;
    }
    return 0;
}

/* Field name of a RESP2 flat map [k1, v1, k2, v2, ...], or NULL. */
static const redisReply *
stream_map_get(const redisReply *m, const char *name)
{
    for (size_t i = 0; i + 1 < m->elements; i += 2) {
        const redisReply *k = m->element[i];
        if (stream_is_str(k) && strcmp(k->str, name) == 0)
            return m->element[i + 1];
    }
    return NULL;
}

static long long
stream_map_int(const redisReply *m, const char *name, long long def)
{
    const redisReply *v = stream_map_get(m, name);
    return stream_is_int(v) ? v->integer : def;
}

int
stream_parse_groups(struct arena *a, const struct redisReply *r,
                    struct stream_group_info **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (r == NULL || r->type != REDIS_REPLY_ARRAY)
        return -1;
    size_t cnt = r->elements;
    struct stream_group_info *g = arena_calloc(a, (cnt ? cnt : 1) * sizeof(*g));
    for (size_t i = 0; i < cnt; i++) {
        const redisReply *m = r->element[i];
        if (m == NULL || m->type != REDIS_REPLY_ARRAY || m->elements % 2)
            return -1;
        const redisReply *name = stream_map_get(m, "name");
        const redisReply *last = stream_map_get(m, "last-delivered-id");
        if (!stream_is_str(name) || !stream_is_str(last))
            return -1;
        g[i].name = arena_strndup(a, name->str, name->len);
        g[i].last_delivered = arena_strndup(a, last->str, last->len);
        g[i].consumers = stream_map_int(m, "consumers", 0);
        g[i].pending = stream_map_int(m, "pending", 0);
        g[i].lag = stream_map_int(m, "lag", -1); /* nil when unknown */
        g[i].pending_min = NULL;
    }
    *out = g;
    *n = cnt;
    return 0;
}

int
stream_parse_consumers(struct arena *a, const struct redisReply *r,
                       struct stream_consumer_info **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (r == NULL || r->type != REDIS_REPLY_ARRAY)
        return -1;
    size_t cnt = r->elements;
    struct stream_consumer_info *c =
        arena_calloc(a, (cnt ? cnt : 1) * sizeof(*c));
    for (size_t i = 0; i < cnt; i++) {
        const redisReply *m = r->element[i];
        if (m == NULL || m->type != REDIS_REPLY_ARRAY || m->elements % 2)
            return -1;
        const redisReply *name = stream_map_get(m, "name");
        if (!stream_is_str(name))
            return -1;
        c[i].name = arena_strndup(a, name->str, name->len);
        c[i].pending = stream_map_int(m, "pending", 0);
        c[i].idle_ms = stream_map_int(m, "idle", 0);
    }
    *out = c;
    *n = cnt;
    return 0;
}

const char *
stream_entry_get(const struct stream_entry *e, const char *name)
{
    for (size_t i = 0; i < e->nfields; i++)
        if (strcmp(e->fields[i], name) == 0)
            return e->values[i];
    return NULL;
}
