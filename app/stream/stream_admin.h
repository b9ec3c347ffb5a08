/*
 * stream_admin.h: operations on streams for operators (MESSAGES.md §7),
 * used by the admin routes and hmdp-admin. JSON results are json-c
 * objects the caller owns (one reference, to put or hand on).
 */
#ifndef HMDP_STREAM_ADMIN_H
#define HMDP_STREAM_ADMIN_H

#include "stream.h"

struct json_object;

/* 400 (described on cx) unless s is a plain stream name: 1-200 printable
 * ASCII characters without blanks or glob characters, not ending in
 * ":dlq". */
res_t stream_admin_check_name(struct ctx *cx, const char *s);
/* 400 unless id is "<ms>-<seq>". */
res_t stream_admin_check_id(struct ctx *cx, const char *id);

/* The admin view: for each stream (only[0..nonly), or stream.orders,
 * stream.chat and every stream with an exact retention rule when nonly is
 * 0) its length, first and last id, groups (pending, lag, last delivered,
 * age of the oldest pending entry, consumers with pending and idle time),
 * DLQ length, retention and where a trim would cut now (and which group
 * holds it back); the per-user message streams summarised (count, total
 * length, the longest; only when nonly is 0); the spool backlog. */
res_t stream_admin_view(struct ctx *cx, const char *const *only, size_t nonly,
                        struct json_object **out);
/* One stream of the view. */
res_t stream_admin_stream(struct ctx *cx, const char *key,
                          struct json_object **out);

/* Entries waiting in the producers' local spool (the backup producer,
 * issue 10); 0 until that spool exists. */
long long stream_spool_backlog(void);

/* Requeues dead letters of stream (ids, or all when nids is 0): each goes
 * back to the stream as a new entry with its own fields (without the
 * dlq-* ones) and leaves the DLQ in the same atomic step. Every group of
 * the stream sees it again, so handlers must be idempotent on an id in the
 * entry's fields (not on the entry id). *count: entries requeued. */
res_t stream_dlq_requeue(struct ctx *cx, const char *stream,
                         const char *const *ids, size_t nids, long long *count);
/* Deletes dead letters (ids, or all). *count: entries deleted. */
res_t stream_dlq_drop(struct ctx *cx, const char *stream,
                      const char *const *ids, size_t nids, long long *count);
/* The first count dead letters of stream, oldest first. */
res_t stream_dlq_list(struct ctx *cx, const char *stream, long count,
                      struct stream_entry **out, size_t *n);

/* Removes every consumer of every group of stream that holds nothing and
 * was idle for min_idle ms (each checked atomically). */
res_t stream_admin_remove_dead(struct ctx *cx, const char *stream,
                               long min_idle, long long *removed);
/* XGROUP SETID stream group id (id: "<ms>-<seq>", "0" or "$"). 404 when
 * the group does not exist. */
res_t stream_admin_group_reset(struct ctx *cx, const char *stream,
                               const char *group, const char *id);

#endif
