/*
 * event.c: the subscriber table of core/event.h.
 */
#include "event.h"

#include "log.h"

#include <stdlib.h>

static struct {
    const char *name;
    event_fn fn;
} event_subs[EVENT_KINDS][EVENT_MAX_SUBSCRIBERS];
static int event_nsubs[EVENT_KINDS];

void
event_subscribe(enum event_kind kind, const char *name, event_fn fn)
{
    if ((unsigned)kind >= EVENT_KINDS ||
        event_nsubs[kind] >= EVENT_MAX_SUBSCRIBERS) {
        log_error("event_subscribe: no room for %s on kind %d", name,
                  (int)kind);
        abort(); /* a wiring mistake, found at startup */
    }
    int i = event_nsubs[kind]++;
    event_subs[kind][i].name = name;
    event_subs[kind][i].fn = fn;
}

void
event_reset(void)
{
    for (int k = 0; k < EVENT_KINDS; k++)
        event_nsubs[k] = 0;
}

void
event_emit(struct ctx *cx, const struct event *ev)
{
    if ((unsigned)ev->kind >= EVENT_KINDS)
        return;
    for (int i = 0; i < event_nsubs[ev->kind]; i++) {
        struct ctx_mark m = ctx_mark(cx);
        res_t rc = event_subs[ev->kind][i].fn(cx, ev);
        if (rc != RES_OK) {
            if (!ctx_drop(cx, m, event_subs[ev->kind][i].name))
                /* nothing recorded: cx had failed before, or the
                 * subscriber did not describe its failure */
                log_warn("%s failed (ignored): rc %d",
                         event_subs[ev->kind][i].name, (int)rc);
        } else
            ctx_restore(cx, m); /* a subscriber never changes the status */
    }
}
