/*
 * wire.h: the one place that knows every feature. It lists the worker's
 * route tables and its dispatch hooks, and subscribes the modules that
 * react to events (core/event.h) to them. app/main.c, the tests and the
 * fuzzers use these, so they see exactly the worker's routes.
 */
#ifndef HMDP_WIRE_H
#define HMDP_WIRE_H

#include "core/dispatch.h"

/* Every feature's route table, NULL-terminated. */
extern const struct route *const wire_tables[];
/* The routes of nginx's internal-only locations (/metrics). */
extern const struct route *const wire_internal_tables[];
/* Both, for the metrics' route patterns. */
extern const struct route *const wire_all_tables[];

/* begin/finish: the store connections' unit around each request;
 * authenticate: user/. */
extern const struct dispatch_hooks wire_hooks;

/* Subscribes the modules that react to events (core/event.h): the feed
 * to "blog published" and "blog deleted". Call once at startup, before
 * the first request. */
void wire_events(void);

#endif
