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
            /* the like's score (ms) in blog:liked:{blog_id}: the like
             * stands while that set holds liker with this score (what a
             * pipelined subscriber checks, see below) */
            int64_t liked_ms;
            /* the liker's name and icon as the session has them (NULL:
             * not known; a subscriber then looks them up) */
            const char *liker_nick, *liker_icon;
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

/* Pipelined subscribers. A feature that decides its change in one Redis
 * script can let a subscriber's Redis work ride in that script's round
 * trip (one fsync wait instead of two): it appends its own script
 * (rds_eval_append), calls event_pipe_append, reads its own reply, then
 * calls event_pipe_collect with what its script decided, always, so the
 * replies are read in step. The subscriber's commands run right after the
 * feature's script, before the feature knows the outcome, so they must
 * check in Redis that the change took place (each kind says how: for
 * EVENT_BLOG_LIKED, liked_ms) and write nothing otherwise. The change
 * may still be taken back afterwards (its SQL failed), which such a
 * subscriber accepts. Failures follow event_emit's rules: logged, never
 * the action's. Pipelined subscribers do not run in event_emit.
 * append queues the subscriber's commands (or none) and may leave state
 * for collect (cx's arena); collect reads their replies; happened: 1 the
 * change took place, 0 it did not, -1 unknown (the feature's own reply
 * was lost, and with it the connection). */
typedef res_t (*event_append_fn)(struct ctx *cx, const struct event *ev,
                                 void **state);
typedef res_t (*event_collect_fn)(struct ctx *cx, const struct event *ev,
                                  void *state, int happened);
/* Like event_subscribe, for a pipelined subscriber. */
void event_subscribe_pipelined(enum event_kind kind, const char *name,
                               event_append_fn append,
                               event_collect_fn collect);

/* One event's pipelined subscribers between append and collect (the
 * feature's stack). ev must stay valid until event_pipe_collect. */
struct event_pipe {
    const struct event *ev;
    void *state[EVENT_MAX_SUBSCRIBERS];
    unsigned char appended[EVENT_MAX_SUBSCRIBERS];
};
/* Runs the appends of ev's pipelined subscribers. 1 when any of them may
 * have queued a command (their replies must then be collected), 0 when
 * there is none. */
int event_pipe_append(struct ctx *cx, const struct event *ev,
                      struct event_pipe *p);
/* Runs the collects of what event_pipe_append ran, in the same order. */
void event_pipe_collect(struct ctx *cx, struct event_pipe *p, int happened);

/* Forgets every subscription (tests). */
void event_reset(void);

/* Runs the subscribers of ev->kind. Never fails: a subscriber's failure
 * is logged as "event <name> failed (ignored)" and cx keeps the status
 * it had before the call. */
void event_emit(struct ctx *cx, const struct event *ev);

#endif
