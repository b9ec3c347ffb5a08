/*
 * message.h: notifications and chat (MESSAGES.md; the stream format is
 * /work/notes/messages-design.md, fixed for every producer and the SSE
 * gateway).
 *
 * Every message for user U is one entry of message.stream:{U} with the
 * fields mid (unique message id), m (the message JSON without its id) and
 * u (the sender's {id,nickName,icon}; absent for system messages), added
 * in the same script as a doorbell entry in message.wake and an entry in
 * the internal stream that persists it: stream.notify (group persist,
 * into tb_message) for notifications, stream.chat (group chat-sync, into
 * tb_chat_message) for chat. The producer deduplicates on mid, so a
 * message replayed from the spool (Redis was unreachable when it was
 * accepted) lands once.
 *
 * Producing a notification never fails the action that caused it: the
 * message_on_* functions return nothing, log, and spool what Redis did
 * not take.
 */
#ifndef HMDP_MESSAGE_H
#define HMDP_MESSAGE_H

#include "../core/event.h"
#include "../core/req.h"
#include "../core/route.h"

#include <stddef.h>
#include <stdint.h>

extern const struct route message_routes[];

/* ---- notifications: subscribers of the event seam (app/wire.c) ---- */

/* EVENT_BLOG_LIKED, pipelined (core/event.h): a "like" notice to the
 * author, at most one per liker and blog per 24 h, appended in the like
 * toggle's round trip and only if the toggle added the like, with the
 * liker's name and icon from the event (the session's; without them,
 * from userdto:{id}, else MySQL: round trips more). append queues it
 * (state: cx's arena); collect reads its reply and spools a notice Redis
 * did not take when the like stands. */
res_t message_like_append(struct ctx *cx, const struct event *ev, void **state);
res_t message_like_collect(struct ctx *cx, const struct event *ev, void *state,
                           int happened);
/* EVENT_COMMENT_POSTED: a "comment" notice to the blog's author with the
 * first 50 characters of the comment as stored (escaped). */
res_t message_on_comment_posted(struct ctx *cx, const struct event *ev);
/* EVENT_USER_FOLLOWED: a "follow" notice to the one followed. */
res_t message_on_user_followed(struct ctx *cx, const struct event *ev);
/* None to oneself, none with message_notify = 0. Redis not taking the
 * notice is not a failure: it is spooled (RES_OK); only a notice neither
 * Redis nor the spool took is (then logged by event_emit, the action
 * stands either way). */

/* The order notice (from 0) for buyer's order order_id. The push group's
 * handler calls it once the order row exists. Returns RES_OK when the
 * notice was appended or spooled. */
res_t message_notify_order(struct ctx *cx, int64_t buyer, int64_t order_id);

/* ---- the spool (message_spool.c) ---- */

/* Appends what the spools hold to Redis: this process's own file and the
 * files of dead processes (taken over with flock). Cheap when there is
 * nothing to drain (an in-memory flag, and a directory scan at most once
 * a second). Returns RES_OK when all was drained. */
res_t message_spool_drain(struct ctx *cx);
/* The periodic drainer: every file of the spool directory, including
 * those of dead processes (removed once empty). */
res_t message_spool_drain_all(struct ctx *cx);

/* The admin view (app/stream/stream_admin.c) counts the spool's records
 * from the files and the chat backpressure with stream_unsynced(). */

/* ---- consumers' batch handlers (the runtime calls them) ---- */

struct stream_entry;

/* persist: the notices of e[0..n) (stream.notify) into tb_message, in
 * one transaction of multi-row INSERT IGNOREs (idempotent on mid).
 * bad[i] is set (nothing else written for it) for an entry that is not a
 * notice. A failure means nothing was committed. */
res_t message_persist_batch(struct ctx *cx, const struct stream_entry *e,
                            size_t n, unsigned char *bad);
/* chat-sync: the chat messages of e[0..n) (stream.chat) into
 * tb_chat_message, the same way (idempotent on the chat message id). */
res_t message_chat_sync_batch(struct ctx *cx, const struct stream_entry *e,
                              size_t n, unsigned char *bad);

/* push: found[i] = 1 when order ids[i] has its tb_voucher_order row. */
res_t message_orders_exist(struct ctx *cx, const int64_t *ids, size_t n,
                           unsigned char *found);

/* push: done[i] = 1 when the order writer (group g1 of stream.orders)
 * is done with entry eids[i]: acknowledged after its COMMIT, or moved to
 * the DLQ. An order whose entry g1 is done with and whose row is missing
 * will never have one. */
res_t message_orders_done(struct ctx *cx, const char *const *eids, size_t n,
                          unsigned char *done);

/* ---- pure rules (message.c), unit-tested ---- */

/* A chat message id: 13 digits of ms, 7 of pid, 5 of a per-process
 * sequence: fixed length, so the string order is the send order within a
 * process and the ms order across processes. */
#define MESSAGE_ID_LEN 25

struct message_idgen {
    long long last_ms;
    unsigned seq;
};
/* Writes the next id (MESSAGE_ID_LEN digits + NUL) for now_ms and pid.
 * The ms part never goes backwards, and a sequence that would overflow
 * within one ms borrows the next ms. */
void message_id_next(struct message_idgen *g, long long now_ms, long pid,
                     char out[MESSAGE_ID_LEN + 1]);
/* 1 when s has the shape of a chat message id. */
int message_id_valid(const char *s);

/* Parses a stream entry id "<ms>-<seq>" (decimal, no sign, no spaces).
 * Returns 0, or -1. */
int message_entry_id_parse(const char *s, unsigned long long *ms,
                           unsigned long long *seq);

/* What a message says, before it is rendered. ref_str, when not NULL, is
 * the refId as a JSON string (order, chat); otherwise ref_num. */
struct message {
    int64_t from, to;
    const char *type;
    const char *content;
    int64_t ref_num;
    const char *ref_str;
    const char *time; /* "YYYY-MM-DDTHH:MM:SS" */
};
/* The m field: {"from","to","type","content","refId","time"} in that
 * order, as arena text. */
char *message_m_json(struct arena *a, const struct message *m);
/* The u field: {"id","nickName","icon"}; a NULL name or icon is "". */
char *message_u_json(struct arena *a, int64_t id, const char *nick_name,
                     const char *icon);

/* "评论了你的博客：" and the first 50 characters of the stored comment,
 * never cutting an HTML entity (&amp;) in two. */
char *message_comment_content(struct arena *a, const char *stored);

/* Chat content: trimmed of white space, 1..1000 characters, HTML-escaped.
 * Returns the escaped text, or NULL when empty or too long (*why says
 * which, for the 400). */
char *message_chat_content(struct arena *a, const char *raw, const char **why);

/* The chat rate while Redis is down (its counter is in Redis): a
 * worker-local table of MESSAGE_RATE_SLOTS senders, one slot per sender
 * id (a colliding sender takes the slot over and starts at 0). Returns 1
 * when sender may send one more message in second sec (and counts it),
 * 0 when limit were sent in sec already. Each worker counts alone, so
 * the limit holds per worker, not for the whole service. */
#define MESSAGE_RATE_SLOTS 256
struct message_rate {
    int64_t sender[MESSAGE_RATE_SLOTS];
    long long sec[MESSAGE_RATE_SLOTS];
    int n[MESSAGE_RATE_SLOTS];
};
int message_rate_take(struct message_rate *t, int64_t sender, long long sec,
                      int limit);

/* The time field for t (local time). buf has 20 bytes. */
void message_time(long long t, char buf[20]);

#endif
