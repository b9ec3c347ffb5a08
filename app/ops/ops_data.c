/*
 * ops_data.c: the stream gauges of /metrics, read from Redis at scrape
 * time (XINFO STREAM, XINFO GROUPS, XPENDING per group): a handful of
 * round trips per scrape, none on the request path.
 */
#include "ops_private.h"

#include "../store/keys.h"
#include "../store/rds.h"

#include <stdlib.h>
#include <string.h>

/* The streams the app writes (store/keys.h). */
static const char *const ops_streams[] = {KEY_STREAM_ORDERS, NULL};

/* Field name of a flat RESP2 map reply, or NULL. */
static const redisReply *
ops_field(const redisReply *r, const char *name)
{
    if (r == NULL || r->type != REDIS_REPLY_ARRAY)
        return NULL;
    for (size_t i = 0; i + 1 < r->elements; i += 2)
        if (r->element[i]->type == REDIS_REPLY_STRING &&
            strcmp(r->element[i]->str, name) == 0)
            return r->element[i + 1];
    return NULL;
}

static long long
ops_int(const redisReply *r)
{
    if (r == NULL)
        return -1;
    if (r->type == REDIS_REPLY_INTEGER)
        return r->integer;
    if (r->type == REDIS_REPLY_STRING)
        return strtoll(r->str, NULL, 10);
    return -1;
}

res_t
ops_stream_gauges(struct ctx *cx, FILE *f)
{
    fprintf(f, "# HELP hmdp_stream_length Entries in the stream (XLEN).\n"
               "# TYPE hmdp_stream_length gauge\n"
               "# HELP hmdp_stream_group_consumers Consumers of a group.\n"
               "# TYPE hmdp_stream_group_consumers gauge\n"
               "# HELP hmdp_stream_group_pending Entries delivered to the "
               "group and not yet acknowledged.\n"
               "# TYPE hmdp_stream_group_pending gauge\n"
               "# HELP hmdp_stream_group_lag Entries not yet delivered to "
               "the group (-1 when Redis cannot tell).\n"
               "# TYPE hmdp_stream_group_lag gauge\n"
               "# HELP hmdp_stream_group_oldest_pending_seconds Age of the "
               "group's oldest unacknowledged entry (0 when none).\n"
               "# TYPE hmdp_stream_group_oldest_pending_seconds gauge\n");
    res_t rc;
    for (int s = 0; ops_streams[s]; s++) {
        const char *name = ops_streams[s];
        redisReply *type, *len, *groups;
        /* no stream yet (XINFO would answer an error) */
        if ((rc = rds_cmd(cx, &type, "TYPE %s", name)) != RES_OK)
            return rc;
        if (type->type != REDIS_REPLY_STATUS || strcmp(type->str, "stream")) {
            fprintf(f, "hmdp_stream_length{stream=\"%s\"} 0\n", name);
            continue;
        }
        if ((rc = rds_cmd(cx, &len, "XLEN %s", name)) != RES_OK ||
            (rc = rds_cmd(cx, &groups, "XINFO GROUPS %s", name)) != RES_OK)
            return rc;
        fprintf(f, "hmdp_stream_length{stream=\"%s\"} %lld\n", name,
                rds_int(len));
        for (size_t g = 0;
             groups->type == REDIS_REPLY_ARRAY && g < groups->elements; g++) {
            const redisReply *gr = groups->element[g];
            const redisReply *gn = ops_field(gr, "name");
            if (gn == NULL || gn->type != REDIS_REPLY_STRING)
                continue;
            const redisReply *lag = ops_field(gr, "lag");
            long long pending = ops_int(ops_field(gr, "pending"));
            fprintf(f,
                    "hmdp_stream_group_consumers{stream=\"%s\",group=\"%s\"} "
                    "%lld\n"
                    "hmdp_stream_group_pending{stream=\"%s\",group=\"%s\"} "
                    "%lld\n"
                    "hmdp_stream_group_lag{stream=\"%s\",group=\"%s\"} %lld\n",
                    name, gn->str, ops_int(ops_field(gr, "consumers")), name,
                    gn->str, pending, name, gn->str,
                    lag && lag->type == REDIS_REPLY_INTEGER ? lag->integer
                                                            : -1LL);
            double age = 0;
            if (pending > 0) {
                redisReply *p;
                if ((rc = rds_cmd(cx, &p, "XPENDING %s %s", name, gn->str)) !=
                    RES_OK)
                    return rc;
                /* [count, smallest id, greatest id, consumers]: an id is
                 * "<ms>-<seq>" */
                if (p->type == REDIS_REPLY_ARRAY && p->elements >= 2 &&
                    p->element[1]->type == REDIS_REPLY_STRING) {
                    long long ms = strtoll(p->element[1]->str, NULL, 10);
                    redisReply *t;
                    if ((rc = rds_cmd(cx, &t, "TIME")) != RES_OK)
                        return rc;
                    if (t->type == REDIS_REPLY_ARRAY && t->elements == 2) {
                        long long now =
                            strtoll(t->element[0]->str, NULL, 10) * 1000 +
                            strtoll(t->element[1]->str, NULL, 10) / 1000;
                        age = now > ms ? (double)(now - ms) / 1000.0 : 0;
                    }
                }
            }
            fprintf(f,
                    "hmdp_stream_group_oldest_pending_seconds{stream=\"%s\","
                    "group=\"%s\"} %.3f\n",
                    name, gn->str, age);
        }
    }
    return RES_OK;
}
