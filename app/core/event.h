/*
 * event.h: the seam between a feature that acts and the features that
 * react. The acting feature emits a typed event after its change is
 * committed; the modules that react subscribe to its kind. app/wire.c is
 * the one place that subscribes anything, so no feature calls another to
 * tell it what happened (blog does not call feed; feed reads blog cards).
 *
 * A subscriber's failure never fails or undoes the action: event_emit
 * logs it (ctx_drop) and leaves the context as it found it. Subscribers
 * run in subscription order, synchronously, on the emitter's context and
 * connections. Pointers in an event are valid during event_emit only.
 */
#ifndef HMDP_EVENT_H
#define HMDP_EVENT_H

#include "ctx.h"

#include <stdint.h>

enum event_kind {
    EVENT_BLOG_PUBLISHED, /* a blog was written (its row committed) */
    EVENT_BLOG_DELETED,   /* a blog's row and its traces are gone */
    EVENT_BLOG_LIKED,     /* a like was added (not on unlike) */
    EVENT_COMMENT_POSTED, /* a comment was written */
    EVENT_USER_FOLLOWED,  /* a follow was added (not on unfollow) */
    EVENT_KINDS
};

struct event {
    enum event_kind kind;
    union {
        struct {
            int64_t author, blog_id, published_ms;
        } blog_published;
        struct {
            int64_t author, blog_id;
        } blog_deleted;
        struct {
            int64_t liker, blog_id, author;
        } blog_liked;
        struct {
            int64_t commenter, blog_id, author, comment_id;
            const char *content; /* as stored (HTML-escaped) */
        } comment_posted;
        struct {
            int64_t follower, followee;
        } user_followed;
    } u;
};

/* A subscriber: describes its own failures on cx (ctx_fail) and returns
 * the code; event_emit logs and drops them. */
typedef res_t (*event_fn)(struct ctx *cx, const struct event *ev);

#define EVENT_MAX_SUBSCRIBERS 4 /* per kind */

/* Adds fn to the subscribers of kind; name is for log lines. At startup
 * only (app/wire.c). Aborts when a kind has too many subscribers. */
void event_subscribe(enum event_kind kind, const char *name, event_fn fn);

/* Forgets every subscription (tests). */
void event_reset(void);

/* Runs the subscribers of ev->kind. Never fails: a subscriber's failure
 * is logged as "event <name> failed (ignored)" and cx keeps the status
 * it had before the call. */
void event_emit(struct ctx *cx, const struct event *ev);

#endif
