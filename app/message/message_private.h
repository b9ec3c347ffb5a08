/*
 * message_private.h: what the message module's own files share.
 */
#ifndef HMDP_MESSAGE_PRIVATE_H
#define HMDP_MESSAGE_PRIVATE_H

#include "message.h"

/* One message to append (message_data.c). */
struct message_out {
    int chat;         /* 1: chat (stream.chat), 0: notice (stream.notify) */
    int64_t to;       /* recipient */
    int64_t from;     /* sender, 0 for a system message */
    const char *mid;  /* unique message id (the chat message id for chat) */
    const char *m;    /* the m field (message_m_json) */
    const char *u;    /* the u field; NULL: none for a system message,
                       * else the sender's, from userdto:{from} or MySQL */
    const char *once; /* notices: a key SET NX for the once-per-window rule
                       * (NULL: none) */
    const char *conv; /* chat: "lo:hi", the conversation */
    /* notices: appended only while the ZSET guard_key holds guard_member
     * with score guard_score (the change the notice announces took place;
     * see message_like_append). NULL: unconditional. Not spooled: a
     * notice is spooled only once its change is known to stand. */
    const char *guard_key, *guard_member, *guard_score;
};

enum message_add {
    MESSAGE_ADDED = 0,       /* appended now; *eid is its entry id */
    MESSAGE_REPLAY = 1,      /* mid was appended before; *eid is that entry */
    MESSAGE_RATE = 2,        /* chat: the sender is over chat_rate per second */
    MESSAGE_BUSY = 3,        /* chat: stream.chat above chat_high_water */
    MESSAGE_NO_USER = 4,     /* chat: the recipient is not known to Redis */
    MESSAGE_ONCE = 5,        /* notice: one was sent in the once window */
    MESSAGE_NEED_SENDER = 6, /* (internal) the sender's u is not cached */
    MESSAGE_GUARDED = 7,     /* notice: its guard does not hold: nothing */
};

/* Appends mo in one script (one round trip, two when the sender's u is
 * not cached): the dedup on mid, for chat with checks the recipient,
 * backpressure and rate checks, the entry in message.stream:{to}, the
 * doorbell and the entry of the internal stream. A spooled message is
 * replayed without checks (it was accepted already). RES_DEP_DOWN when
 * Redis is unreachable, RES_INTERNAL for an error reply (the caller
 * spools either). */
res_t message_append(struct ctx *cx, const struct message_out *mo, int checks,
                     enum message_add *res, const char **eid);

/* Marks user id as existing for the chat check (after MySQL said so). */
res_t message_user_mark(struct ctx *cx, int64_t id);

/* Appends mo, and spools it when Redis did not take it. *spooled = 1
 * then. For notices only (chat runs its own checks first). */
res_t message_send_notice(struct ctx *cx, const struct message_out *mo,
                          int *spooled);

/* The spool (message_spool.c): appends mo to this process's spool file
 * with O_APPEND and fsync before returning. RES_INTERNAL (logged) when
 * the file cannot be written: then the message is lost and the caller
 * must not answer success. */
res_t message_spool_put(struct ctx *cx, const struct message_out *mo);

/* A new unique message id (chat ids and notice ids alike). */
void message_new_id(char out[MESSAGE_ID_LEN + 1]);

/* ---- reads (message_data.c) ---- */

struct sql_rows;

/* Notices of me before the entry id (ms, seq), newest first: columns
 * sid_ms, sid_seq, m, u (NULL for system), is_read. */
res_t message_list(struct ctx *cx, int64_t me, unsigned long long before_ms,
                   unsigned long long before_seq, int64_t size,
                   struct sql_rows *t);
res_t message_unread(struct ctx *cx, int64_t me, int64_t *n);
/* Marks me's notices up to and including (ms, seq) read; *n how many. */
res_t message_mark_read(struct ctx *cx, int64_t me, unsigned long long up_ms,
                        unsigned long long up_seq, uint64_t *n);

/* One chat message as the conversation route shows it. */
struct message_chat {
    const char *id;
    int64_t from, to;
    const char *content, *time; /* time "YYYY-MM-DDTHH:MM:SS" */
};
/* The conversation of me and other before the chat id before (NULL:
 * newest), at most size, newest first: MySQL merged with the part of
 * stream.chat chat-sync has not written (no duplicates, no gaps). */
res_t message_chat_read(struct ctx *cx, int64_t me, int64_t other,
                        const char *before, int64_t size,
                        struct message_chat **out, size_t *n);

#endif
