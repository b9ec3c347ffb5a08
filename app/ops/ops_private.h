/*
 * ops_private.h: shared by the ops module's files.
 */
#ifndef HMDP_OPS_PRIVATE_H
#define HMDP_OPS_PRIVATE_H

#include "../core/req.h"
#include "ops.h"

#include <stdio.h>

/* Writes the Redis-side gauges of every stream (length, each group's
 * consumers, pending, lag, oldest pending age) as Prometheus text to f.
 * A store failure is left on cx (the caller drops it and reports
 * hmdp_streams_scrape_ok 0). */
res_t ops_stream_gauges(struct ctx *cx, FILE *f);

/* The component names of health_expect, split on spaces and commas into
 * at most max entries of the arena. Pure. */
size_t ops_split_expect(struct arena *a, const char *s, const char **out,
                        size_t max);

#endif
