/*
 * event.c: the subscriber table of core/event.h.
 */
#include "event.h"

#include "log.h"

#include <stdlib.h>
#include <string.h>

static struct {
    const char *name;
    event_fn fn;
} event_subs[EVENT_KINDS][EVENT_MAX_SUBSCRIBERS];
static int event_nsubs[EVENT_KINDS];
static struct {
    const char *name;
    event_append_fn append;
    event_collect_fn collect;
} event_pipes[EVENT_KINDS][EVENT_MAX_SUBSCRIBERS];
static int event_npipes[EVENT_KINDS];

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
event_subscribe_pipelined(enum event_kind kind, const char *name,
                          event_append_fn append, event_collect_fn collect)
{
    if ((unsigned)kind >= EVENT_KINDS ||
        event_npipes[kind] >= EVENT_MAX_SUBSCRIBERS) {
        log_error("event_subscribe_pipelined: no room for %s on kind %d", name,
                  (int)kind);
        abort(); /* a wiring mistake, found at startup */
    }
    int i = event_npipes[kind]++;
    event_pipes[kind][i].name = name;
    event_pipes[kind][i].append = append;
    event_pipes[kind][i].collect = collect;
}

void
event_reset(void)
{
    for (int k = 0; k < EVENT_KINDS; k++)
        event_nsubs[k] = event_npipes[k] = 0;
}

/* Logs a subscriber's failure and gives cx back its status. */
static void
event_failed(struct ctx *cx, struct ctx_mark m, res_t rc, const char *name)
{
    if (rc != RES_OK) {
        if (!ctx_drop(cx, m, name))
            log_warn("%s failed (ignored): rc %d", name, (int)rc);
    } else
        ctx_restore(cx, m); /* a subscriber never changes the status */
}

int
event_pipe_append(struct ctx *cx, const struct event *ev, struct event_pipe *p)
{
    memset(p, 0, sizeof(*p));
    p->ev = ev;
    if ((unsigned)ev->kind >= EVENT_KINDS)
        return 0;
    for (int i = 0; i < event_npipes[ev->kind]; i++) {
        struct ctx_mark m = ctx_mark(cx);
        res_t rc = event_pipes[ev->kind][i].append(cx, ev, &p->state[i]);
        p->appended[i] = 1; /* even a failed append may have queued */
        event_failed(cx, m, rc, event_pipes[ev->kind][i].name);
    }
    return event_npipes[ev->kind] > 0;
}

void
event_pipe_collect(struct ctx *cx, struct event_pipe *p, int happened)
{
    const struct event *ev = p->ev;
    if (ev == NULL || (unsigned)ev->kind >= EVENT_KINDS)
        return;
    for (int i = 0; i < event_npipes[ev->kind]; i++) {
        if (!p->appended[i])
            continue;
        struct ctx_mark m = ctx_mark(cx);
        res_t rc =
            event_pipes[ev->kind][i].collect(cx, ev, p->state[i], happened);
        event_failed(cx, m, rc, event_pipes[ev->kind][i].name);
    }
    p->ev = NULL;
}

void
event_emit(struct ctx *cx, const struct event *ev)
{
    if ((unsigned)ev->kind >= EVENT_KINDS)
        return;
    for (int i = 0; i < event_nsubs[ev->kind]; i++) {
        struct ctx_mark m = ctx_mark(cx);
        res_t rc = event_subs[ev->kind][i].fn(cx, ev);
        /* nothing recorded on a failure: cx had failed before, or the
         * subscriber did not describe it (logged with its code) */
        event_failed(cx, m, rc, event_subs[ev->kind][i].name);
    }
}
