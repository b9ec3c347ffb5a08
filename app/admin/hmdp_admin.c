/*
 * hmdp_admin.c: main of hmdp-admin, the operator's command line for the
 * streams (MESSAGES.md §7). It links core, store and stream only (no
 * libfcgi) and reads the same configuration as the other processes
 * (conf/hmdp.conf, $HMDP_*).
 *
 *   hmdp-admin streams [stream...]          the admin view as JSON
 *   hmdp-admin dlq list <stream> [count]    dead letters, oldest first
 *   hmdp-admin dlq requeue <stream> [id...] back to the stream (all: no id)
 *   hmdp-admin dlq drop <stream> [id...]    delete (all: no id)
 *   hmdp-admin consumers [stream]           groups and consumers
 *   hmdp-admin consumers remove-dead <stream> [idle-ms]
 *                                           remove consumers holding
 *                                           nothing, idle that long
 *                                           (default stream_claim_idle_ms)
 *   hmdp-admin group reset <stream> <group> <id|0|$>
 *   hmdp-admin trim [stream]                a retention pass now
 *
 * Exit status: 0 done, 1 Redis unreachable or failing, 2 bad usage or
 * input (the reason on stderr).
 */
#include "../core/cfg.h"
#include "../core/log.h"
#include "../store/job.h"
#include "../store/keys.h"
#include "../store/rds.h"
#include "../stream/stream_admin.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
admin_usage(void)
{
    fputs("usage: hmdp-admin streams [stream...]\n"
          "       hmdp-admin dlq list|requeue|drop <stream> [id...|count]\n"
          "       hmdp-admin consumers [stream]\n"
          "       hmdp-admin consumers remove-dead <stream> [idle-ms]\n"
          "       hmdp-admin group reset <stream> <group> <id|0|$>\n"
          "       hmdp-admin trim [stream]\n",
          stderr);
}

static void
admin_print(struct json_object *o)
{
    puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
                                               JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(o);
}

static int
admin_parse_long(const char *s, long *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*s == '\0' || *end || v < 0)
        return -1;
    *out = v;
    return 0;
}

static res_t
admin_check_ids(struct ctx *cx, char **ids, int n)
{
    res_t rc = RES_OK;
    for (int i = 0; i < n && rc == RES_OK; i++)
        rc = stream_admin_check_id(cx, ids[i]);
    return rc;
}

static res_t
admin_dlq(struct ctx *cx, int argc, char **argv)
{
    if (argc < 2)
        return ctx_fail(cx, RES_BAD_INPUT,
                        "dlq needs list|requeue|drop and "
                        "a stream");
    const char *op = argv[0], *stream = argv[1];
    res_t rc = stream_admin_check_name(cx, stream);
    if (rc != RES_OK)
        return rc;
    long long n = 0;
    if (strcmp(op, "list") == 0) {
        long count = 100;
        if (argc > 3 || (argc == 3 && (admin_parse_long(argv[2], &count) < 0 ||
                                       count < 1 || count > 100000)))
            return ctx_fail(cx, RES_BAD_INPUT, "count must be 1..100000");
        struct stream_entry *e;
        size_t ne;
        if ((rc = stream_dlq_list(cx, stream, count, &e, &ne)) != RES_OK)
            return rc;
        struct json_object *a = json_object_new_array();
        for (size_t i = 0; i < ne; i++) {
            struct json_object *o = json_object_new_object();
            json_object_object_add(o, "id", json_object_new_string(e[i].id));
            for (size_t k = 0; k < e[i].nfields; k++)
                json_object_object_add(o, e[i].fields[k],
                                       json_object_new_string(e[i].values[k]));
            json_object_array_add(a, o);
        }
        admin_print(a);
        return RES_OK;
    }
    char **ids = argv + 2;
    int nids = argc - 2;
    if ((rc = admin_check_ids(cx, ids, nids)) != RES_OK)
        return rc;
    if (strcmp(op, "requeue") == 0)
        rc = stream_dlq_requeue(cx, stream, (const char *const *)ids,
                                (size_t)nids, &n);
    else if (strcmp(op, "drop") == 0)
        rc = stream_dlq_drop(cx, stream, (const char *const *)ids, (size_t)nids,
                             &n);
    else
        return ctx_fail(cx, RES_BAD_INPUT, "dlq: unknown operation %s", op);
    if (rc == RES_OK)
        printf("%lld\n", n);
    return rc;
}

static res_t
admin_consumers(struct ctx *cx, int argc, char **argv)
{
    res_t rc;
    if (argc >= 1 && strcmp(argv[0], "remove-dead") == 0) {
        long idle = g_cfg.stream_claim_idle_ms;
        if (argc < 2 || argc > 3 ||
            (argc == 3 && admin_parse_long(argv[2], &idle) < 0))
            return ctx_fail(cx, RES_BAD_INPUT,
                            "consumers remove-dead <stream> [idle-ms]");
        if ((rc = stream_admin_check_name(cx, argv[1])) != RES_OK)
            return rc;
        long long removed;
        if ((rc = stream_admin_remove_dead(cx, argv[1], idle, &removed)) ==
            RES_OK)
            printf("%lld\n", removed);
        return rc;
    }
    if (argc > 1)
        return ctx_fail(cx, RES_BAD_INPUT, "consumers [stream]");
    if (argc == 1 && (rc = stream_admin_check_name(cx, argv[0])) != RES_OK)
        return rc;
    struct json_object *o;
    if ((rc = stream_admin_view(cx, (const char *const *)argv, (size_t)argc,
                                &o)) != RES_OK)
        return rc;
    /* only the groups part of the view */
    struct json_object *streams, *a = json_object_new_array();
    json_object_object_get_ex(o, "streams", &streams);
    for (size_t i = 0; streams && i < json_object_array_length(streams); i++) {
        struct json_object *s = json_object_array_get_idx(streams, i), *v;
        struct json_object *row = json_object_new_object();
        json_object_object_get_ex(s, "stream", &v);
        json_object_object_add(row, "stream", json_object_get(v));
        json_object_object_get_ex(s, "groups", &v);
        json_object_object_add(row, "groups", json_object_get(v));
        json_object_array_add(a, row);
    }
    json_object_put(o);
    admin_print(a);
    return RES_OK;
}

static res_t
admin_run(struct ctx *cx, int argc, char **argv)
{
    const char *cmd = argv[0];
    res_t rc;
    if (strcmp(cmd, "streams") == 0) {
        for (int i = 1; i < argc; i++)
            if ((rc = stream_admin_check_name(cx, argv[i])) != RES_OK)
                return rc;
        struct json_object *o;
        if ((rc = stream_admin_view(cx, (const char *const *)argv + 1,
                                    (size_t)argc - 1, &o)) == RES_OK)
            admin_print(o);
        return rc;
    }
    if (strcmp(cmd, "dlq") == 0)
        return admin_dlq(cx, argc - 1, argv + 1);
    if (strcmp(cmd, "consumers") == 0)
        return admin_consumers(cx, argc - 1, argv + 1);
    if (strcmp(cmd, "group") == 0) {
        if (argc != 5 || strcmp(argv[1], "reset") != 0)
            return ctx_fail(cx, RES_BAD_INPUT,
                            "group reset <stream> <group> <id|0|$>");
        if ((rc = stream_admin_check_name(cx, argv[2])) != RES_OK)
            return rc;
        if ((rc = stream_admin_group_reset(cx, argv[2], argv[3], argv[4])) ==
            RES_OK)
            puts("OK");
        return rc;
    }
    if (strcmp(cmd, "trim") == 0) {
        long long removed = 0;
        if (argc > 2)
            return ctx_fail(cx, RES_BAD_INPUT, "trim [stream]");
        if (argc == 2 && (rc = stream_admin_check_name(cx, argv[1])) != RES_OK)
            return rc;
        rc = argc == 2 ? stream_trim(cx, argv[1], &removed)
                       : stream_trim_all(cx, &removed);
        if (rc == RES_OK)
            printf("%lld\n", removed);
        return rc;
    }
    return ctx_fail(cx, RES_BAD_INPUT, "unknown command %s", cmd);
}

int
main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "--help") == 0) {
        admin_usage();
        return 2;
    }
    if (cfg_load() < 0) {
        fputs("hmdp-admin: invalid configuration\n", stderr);
        cfg_free();
        return 2;
    }
    struct arena *a = arena_new();
    struct ctx cx;
    job_begin(&cx, a, "hmdp-admin", argv[1], argc > 2 ? argv[2] : "-");
    res_t rc = admin_run(&cx, argc - 1, argv + 1);
    job_end(&cx);
    int code = 0;
    if (rc != RES_OK) {
        fprintf(stderr, "hmdp-admin: %s\n", cx.errmsg ? cx.errmsg : "failed");
        if (rc == RES_BAD_INPUT || rc == RES_NOT_FOUND) {
            if (rc == RES_BAD_INPUT)
                admin_usage();
            code = 2;
        } else {
            code = 1;
        }
    }
    arena_free(a);
    rds_close();
    cfg_free();
    return code;
}
