/*
 * ops_data.c: the stream gauges of /metrics, from the operators' stream
 * view (stream/stream_admin.h, the one GET /admin/streams shows), read at
 * scrape time: a few round trips per stream and scrape, none on the
 * request path. The per-user message streams are left out (the view
 * finds them with a SCAN of the whole keyspace: an admin's question, not
 * a scrape's).
 */
#include "ops_private.h"

#include "../core/jsonv.h"
#include "../store/keys.h"
#include "../stream/stream_admin.h"

#include <json-c/json.h>
#include <string.h>

/* The streams every deployment has (store/keys.h, MESSAGES.md). */
static const char *const ops_streams[] = {KEY_STREAM_ORDERS, "stream.chat"};

static int64_t
ops_i64(struct json_object *o, const char *k, int64_t def)
{
    struct json_object *v;
    if (o && json_object_object_get_ex(o, k, &v) && v)
        return json_object_get_int64(v);
    return def;
}

static struct json_object *
ops_get(struct json_object *o, const char *k)
{
    struct json_object *v;
    return o && json_object_object_get_ex(o, k, &v) ? v : NULL;
}

/* One family: HELP, TYPE, then one sample per stream (or group). */
static void
ops_family(FILE *f, struct json_object *streams, const char *name,
           const char *help, int per_group, const char *key, double div)
{
    fprintf(f, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
    size_t n = json_object_array_length(streams);
    for (size_t i = 0; i < n; i++) {
        struct json_object *s = json_object_array_get_idx(streams, i);
        const char *sn = json_object_get_string(ops_get(s, "stream"));
        if (!per_group) {
            struct json_object *from = s;
            const char *k = key;
            if (strcmp(key, "dlq.length") == 0) {
                from = ops_get(s, "dlq");
                k = "length";
            }
            fprintf(f, "%s{stream=\"%s\"} %lld\n", name, sn,
                    (long long)ops_i64(from, k, 0));
            continue;
        }
        struct json_object *gs = ops_get(s, "groups");
        size_t ng = gs ? json_object_array_length(gs) : 0;
        for (size_t g = 0; g < ng; g++) {
            struct json_object *go = json_object_array_get_idx(gs, g);
            const char *gn = json_object_get_string(ops_get(go, "name"));
            double v;
            if (strcmp(key, "consumers") == 0)
                v = (double)json_object_array_length(ops_get(go, key));
            else
                v = (double)ops_i64(go, key, strcmp(key, "lag") ? 0 : -1) / div;
            fprintf(f, "%s{stream=\"%s\",group=\"%s\"} %.3f\n", name, sn, gn,
                    v);
        }
    }
}

res_t
ops_stream_gauges(struct ctx *cx, FILE *f)
{
    struct json_object *view;
    res_t rc = stream_admin_view(
        cx, ops_streams, sizeof(ops_streams) / sizeof(ops_streams[0]), &view);
    if (rc != RES_OK)
        return rc;
    jsonv_adopt(cx->arena, view);
    struct json_object *streams = ops_get(view, "streams");
    if (streams == NULL)
        return RES_OK;
    ops_family(f, streams, "hmdp_stream_length", "Entries in the stream.", 0,
               "length", 1);
    ops_family(f, streams, "hmdp_stream_dlq_length",
               "Dead letters of the stream (<stream>:dlq).", 0, "dlq.length",
               1);
    ops_family(f, streams, "hmdp_stream_group_consumers",
               "Consumers registered in the group.", 1, "consumers", 1);
    ops_family(f, streams, "hmdp_stream_group_pending",
               "Entries delivered to the group and not yet acknowledged.", 1,
               "pending", 1);
    ops_family(f, streams, "hmdp_stream_group_lag",
               "Entries not yet delivered to the group (-1 when Redis "
               "cannot tell).",
               1, "lag", 1);
    ops_family(f, streams, "hmdp_stream_group_oldest_pending_seconds",
               "Age of the group's oldest unacknowledged entry (0 when "
               "none).",
               1, "oldestPendingAgeMs", 1000);
    fprintf(f,
            "# HELP hmdp_stream_spool_backlog Entries waiting in the "
            "producers' local spool.\n"
            "# TYPE hmdp_stream_spool_backlog gauge\n"
            "hmdp_stream_spool_backlog %lld\n",
            (long long)ops_i64(ops_get(view, "spool"), "backlog", 0));
    struct json_object *sp = ops_get(view, "spool");
    fprintf(f,
            "# HELP hmdp_chat_unsynced Chat messages chat-sync has not "
            "written to MySQL yet.\n"
            "# TYPE hmdp_chat_unsynced gauge\n"
            "hmdp_chat_unsynced %lld\n"
            "# HELP hmdp_chat_backpressure 1 while new chat is refused "
            "(unsynced at or above chat_high_water), else 0.\n"
            "# TYPE hmdp_chat_backpressure gauge\n"
            "hmdp_chat_backpressure %d\n",
            (long long)ops_i64(sp, "chatUnsynced", 0),
            json_object_get_boolean(ops_get(sp, "chatRefusing")) ? 1 : 0);
    return RES_OK;
}
