/*
 * health.h: liveness of the processes behind the API. Every daemon (a
 * stream consumer, the SSE gateway) beats: it records the time in the
 * sorted set key_heartbeat(component), member host:pid, at most once per
 * HB_EVERY_MS; GET /health counts, per expected component, the members
 * that beat within HB_WINDOW_MS. Takes a ctx (core/ctx.h).
 */
#ifndef HMDP_HEALTH_H
#define HMDP_HEALTH_H

#include "../core/ctx.h"

#include <stddef.h>

/* Beats for component when HB_EVERY_MS has passed since this process's
 * last beat for it (up to four components per process). Fired (store/rds.h
 * rds_fire): no round trip of its own, the replies ride along with the next
 * command; failures are only logged. component must be the same string on every
 * call. */
void health_beat(struct ctx *cx, const char *component);

/* Live processes of each of the n components into alive[] (one pipeline).
 * RES_OK, or the store failure on cx. */
res_t health_count(struct ctx *cx, const char *const *components, size_t n,
                   long long *alive);

/* One round trip to each store: PING, SELECT 1. */
res_t health_ping_redis(struct ctx *cx);
res_t health_ping_mysql(struct ctx *cx);

#endif
