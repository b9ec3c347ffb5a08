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
    const redisReply *list = s->element[1];
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

const char *
stream_entry_get(const struct stream_entry *e, const char *name)
{
    for (size_t i = 0; i < e->nfields; i++)
        if (strcmp(e->fields[i], name) == 0)
            return e->values[i];
    return NULL;
}
