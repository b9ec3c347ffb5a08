/*
 * keys.h: every Redis key format and TTL in one place. Builders return
 * arena strings. Formats follow API.md §5 (J's names unless noted).
 */
#ifndef HMDP_KEYS_H
#define HMDP_KEYS_H

#include "../core/arena.h"

#include <stdint.h>

/* TTLs in seconds */
#define TTL_LOGIN_CODE        120  /* 2 min */
#define TTL_LOGIN_TOKEN       1800 /* 30 min, sliding (lazily, see below) */
#define TTL_LOGIN_TOKEN_SLACK 300
#define TTL_LOGIN_TOKEN_SET   (TTL_LOGIN_TOKEN + TTL_LOGIN_TOKEN_SLACK)
#define TTL_CODE_GAP          60 /* one code per phone per minute */
#define TTL_CODE_DAY          172800
#define MAX_CODES_PER_DAY     10
#define MAX_CODE_ATTEMPTS     5
#define TTL_PW_FAIL           900
#define MAX_PW_ATTEMPTS       5
#define TTL_CACHE_SHOP        1800 /* plus 0..300 s jitter */
#define TTL_CACHE_JITTER      300
#define TTL_CACHE_NULL        120 /* null marker: 2 min (J used 2 s) */
#define TTL_LOCK_SHOP         10
#define TTL_UV                (60 * 86400)
#define TTL_ICR               (2 * 86400)
#define TTL_UPLOAD_OWNER      86400
#define TTL_LOCK_ORDER        30
#define TTL_BLOG_GONE         (7 * 86400) /* a deleted blog's cleanup record */
#define TTL_SHOP_MAX_ID       300         /* cached MAX(tb_shop.id) */
#define TTL_SHOP_REBUILDS     3600        /* rebuild counter (observability) */
#define TTL_CACHE_BLOG        300 /* a blog's JSON, plus 0..60 s jitter */
#define TTL_CACHE_BLOG_JITTER 60
#define TTL_CACHE_BLOG_HOT    5     /* the rendered hot pages */
#define TTL_CACHE_BLOG_VER    86400 /* a version outlives any reader */
#define TTL_CACHE_USER        300   /* a user's JSON, plus 0..60 s jitter */
#define TTL_CACHE_USER_JITTER 60
#define TTL_FEED_OUTBOX       21600 /* a pulled author's blogs (feed.h) */
#define TTL_FEED_OUTBOX_VER   86400 /* its version outlives any reader */
#define TTL_FEED_PULLED       3600  /* a reader's pulled entries (feed.h) */
/* A like toggle's pending mark (blog_likes.c): set with the ZSET change,
 * cleared once MySQL has the delta. Outlives any request (MySQL's read
 * and write timeouts are 5 s each); only a worker killed mid-toggle
 * leaves one past it (then the count is reconciled). */
#define TTL_LIKE_PENDING_MS 15000
/* blog:owner:{id} (a blog's author, or "0" once it is deleted) */
#define TTL_BLOG_OWNER 86400
/* heartbeats: a process beats every HB_EVERY_MS; a component is alive
 * when one of its processes beat within HB_WINDOW_MS */
#define HB_EVERY_MS  1000
#define HB_WINDOW_MS 5000
#define HB_KEEP_MS   60000 /* older members are swept by the next beat */

char *key_login_code(struct arena *a, const char *phone);
char *key_login_code_fail(struct arena *a, const char *phone);
char *key_login_code_gap(struct arena *a, const char *phone);
char *key_login_code_day(struct arena *a, const char *phone,
                         const char *yyyymmdd);
char *key_login_pw_fail(struct arena *a, const char *phone);
char *key_login_token(struct arena *a, const char *token);
/* Sessions slide lazily: a session is set to TTL_LOGIN_TOKEN_SET
 * (TTL_LOGIN_TOKEN + the slack) and refreshed to it only once its
 * remaining TTL has fallen below TTL_LOGIN_TOKEN. It still lives at least
 * TTL_LOGIN_TOKEN after its last use, and a busy session costs one write
 * per slack period instead of one per request (with appendfsync always,
 * each write is an fsync the request waits for). Returns 1 when a session
 * whose PTTL reply is pttl_ms must be slid: less than TTL_LOGIN_TOKEN
 * left, or no TTL at all; 0 when it is missing (-2) or still fresh. */
int key_login_token_stale(long long pttl_ms);
/* The tokens of one user's sessions (a SET, no TTL: pruned of expired
 * tokens at each login), so a password change or "log out everywhere"
 * can end them. The session scripts build token keys from this prefix. */
#define KEY_LOGIN_TOKEN_PREFIX "login:token:"
char *key_login_sessions(struct arena *a, int64_t uid);

char *key_cache_shop(struct arena *a, int64_t id);
/* cache:shop:{id} is this prefix and the id (a Lua script builds it) */
#define KEY_CACHE_SHOP_PREFIX "cache:shop:"
char *key_lock_shop(struct arena *a, int64_t id);
#define KEY_CACHE_TYPE "cache:type"
char *key_shop_geo(struct arena *a, int64_t type_id);
/* Set once shop:geo:{typeId} was loaded from MySQL (a GEO key cannot
 * exist empty, so "loaded" needs its own marker). */
char *key_shop_geo_loaded(struct arena *a, int64_t type_id);
/* Highest shop id known: GET /shop/{id} above it is "not found" without
 * touching MySQL or writing a null marker. */
#define KEY_SHOP_MAX_ID "cache:shop:maxid"
/* Counts MySQL rebuilds of cache:shop:{id} (one per lock won). */
char *key_shop_rebuilds(struct arena *a, int64_t id);

char *key_seckill_stock(struct arena *a, int64_t voucher_id);
char *key_seckill_order(struct arena *a, int64_t voucher_id);
char *key_seckill_voucher(struct arena *a, int64_t voucher_id);
#define KEY_STREAM_ORDERS "stream.orders"
#define KEY_ORDERS_GROUP  "g1"
/* group of the credits consumer: +10 credits per order (MESSAGES.md §5) */
#define KEY_CREDITS_GROUP "credits"
/* <stream>:dlq: the dead letters of a stream (stream/stream.h) */
char *key_stream_dlq(struct arena *a, const char *stream);
#define KEY_STREAM_DLQ_SUFFIX ":dlq"
/* held by the process running the periodic trim pass (SET NX PX) */
#define KEY_STREAM_TRIM_LOCK "stream.trim:lock"
/* ZSET safe point id -> ms when first seen, for after-ack retention */
char *key_stream_trim_hist(struct arena *a, const char *stream);
/* prefix of the per-user message streams, for SCAN and the admin view */
#define KEY_MESSAGE_STREAM_PREFIX "message.stream:"
char *key_icr(struct arena *a, const char *prefix, const char *yyyymmdd);

char *key_blog_liked(struct arena *a, int64_t blog_id);
/* blog:liked:{id} is this prefix and the id (a Lua script builds it) */
#define KEY_BLOG_LIKED_PREFIX "blog:liked:"
char *key_comment_liked(struct arena *a, int64_t comment_id);
/* blog:liking:{id}, comment:liking:{id}: ZSET of the users whose toggle
 * of that like set is decided in Redis and not yet in MySQL, scored by
 * the time (ms) past which the toggle counts as lost (TTL_LIKE_PENDING_MS
 * after it was decided) */
#define KEY_BLOG_LIKING_PREFIX    "blog:liking:"
#define KEY_COMMENT_LIKING_PREFIX "comment:liking:"
char *key_blog_liking(struct arena *a, int64_t blog_id);
char *key_comment_liking(struct arena *a, int64_t comment_id);
/* ZSET of the like sets that had a toggle pending ("b:{id}" a blog's,
 * "c:{id}" a comment's), scored by the latest such deadline: where a lost
 * toggle may have left the set and its count apart (blog_likes.c) */
#define KEY_LIKE_PENDING "like:pending"
/* blog:owner:{id}: the blog's author id, which never changes, so a like
 * needs no MySQL read to know whom to notify; "0" (written by the
 * delete's sweep, never overwritten by a fill: SET NX) says the blog is
 * gone. TTL_BLOG_OWNER. */
char *key_blog_owner(struct arena *a, int64_t blog_id);
/* HASH user, images, comments: what is left to clean up after a blog's
 * row was deleted (see blog_data.c) */
char *key_blog_gone(struct arena *a, int64_t blog_id);
/* cache:blog:{id}: the blog's JSON with author name/icon, without isLike
 * and without the closing brace; cache:blog:ver:{id}: its version,
 * bumped by every write (see blog_data.c for the protocol). */
char *key_cache_blog(struct arena *a, int64_t blog_id);
#define KEY_CACHE_BLOG_PREFIX "cache:blog:"
char *key_cache_blog_ver(struct arena *a, int64_t blog_id);
/* HASH page number -> that hot page rendered: its comma-joined blog ids,
 * then each blog's cache:blog fragment after a line break; dropped as a
 * whole (with a version bump) by likes, comments, publishes and deletes. */
#define KEY_CACHE_BLOG_HOT     "cache:blog:hot"
#define KEY_CACHE_BLOG_HOT_VER "cache:blog:hot:ver"
char *key_feed(struct arena *a, int64_t user_id);
#define KEY_FEED_PREFIX "feed:"
/* ZSET blogId -> score (feed.h) of every blog of an author in
 * KEY_FEED_BIG, plus the member KEY_FOLLOWS_SENTINEL (score -inf)
 * whenever it was built from MySQL; feed:outbox:ver:{id} is bumped by
 * every publish and delete of that author (feed_data.c). */
char *key_feed_outbox(struct arena *a, int64_t author);
#define KEY_FEED_OUTBOX_PREFIX "feed:outbox:"
char *key_feed_outbox_ver(struct arena *a, int64_t author);
/* Bumped by every change of an outbox and of KEY_FEED_BIG's members: the
 * token a reader's pulled entries are kept under (feed_data.c). */
#define KEY_FEED_OUTBOX_SEQ "feed:outbox:seq"
/* feed:pulled:{id}: ZSET, the newest entries the reader {id} pulls (the
 * outboxes of their pulled followees merged) and one member at -inf
 * saying what they were computed under; built by the feed's read script
 * (feed_data.c). */
#define KEY_FEED_PULLED_PREFIX "feed:pulled:"
/* follows:{id} holds the ids followed by {id} plus the sentinel member
 * KEY_FOLLOWS_SENTINEL, present whenever the set was built from MySQL: a
 * set without it is "missing" (flushed, or never built) and is rebuilt,
 * while {sentinel} alone means "follows nobody". */
char *key_follows(struct arena *a, int64_t user_id);
#define KEY_FOLLOWS_PREFIX   "follows:"
#define KEY_FOLLOWS_SENTINEL "0"
/* follows:gen:{id}: a token that changes with every write of
 * follows:{id} (a fresh value of the counter KEY_FOLLOWS_GEN_SEQ), so a
 * result computed from the set can name the state it was computed from. */
char *key_follows_gen(struct arena *a, int64_t user_id);
#define KEY_FOLLOWS_GEN_PREFIX "follows:gen:"
#define KEY_FOLLOWS_GEN_SEQ    "follows:gen-seq"
/* HASH followee -> UNIX seconds of the follow, for some of the users
 * {id} follows (a partial copy of tb_follow.create_time, see
 * follow_data.c): a field present is right. */
char *key_follows_since(struct arena *a, int64_t user_id);
#define KEY_FOLLOWS_SINCE_PREFIX "follows:since:"
/* The rendered common follows of users lo < hi (or lo == hi), with the
 * follows:gen tokens of both it was computed under (follow_data.c). */
char *key_cache_follow_common(struct arena *a, int64_t lo, int64_t hi);
/* SET of the authors whose blogs followers pull (feed.h), plus the
 * sentinel KEY_FOLLOWS_SENTINEL whenever it was built (a set without it
 * is rebuilt from tb_user_info). */
#define KEY_FEED_BIG "feed:big-authors"

char *key_sign(struct arena *a, int64_t user_id, const char *yyyymm);
char *key_uv(struct arena *a, const char *yyyymmdd);
char *key_upload_owner(struct arena *a, const char *path);

/* The per-user message stream (notes/messages-design.md), for the
 * message module and the SSE gateway. */
char *key_message_stream(struct arena *a, int64_t user_id);
#define KEY_MESSAGE_GROUP "stream.group:1"
/* The message layer (app/message/, MESSAGES.md, messages-design.md). */
#define KEY_MESSAGE_WAKE  "message.wake"  /* the SSE gateway's doorbell */
#define KEY_STREAM_NOTIFY "stream.notify" /* notifications to persist */
#define KEY_NOTIFY_GROUP  "persist"
#define KEY_STREAM_CHAT   "stream.chat"
#define KEY_CHAT_GROUP    "chat-sync"
#define KEY_ORDERS_PUSH   "push"      /* stream.orders group: order notices */
#define TTL_MESSAGE_MID   (7 * 86400) /* dedup window of a message id */
#define TTL_MESSAGE_LIKE  86400       /* one like notice per liker+blog */
#define TTL_MESSAGE_USER  86400       /* "this user exists" */
#define TTL_USERDTO       300 /* userdto:{id}, a sender's {id,nickName,icon} */
/* STRING: the entry id a message id was appended as (dedup at append) */
char *key_message_mid(struct arena *a, const char *mid);
/* STRING NX: a like notice was sent for liker+blog in the last 24 h */
char *key_message_like_once(struct arena *a, int64_t liker, int64_t blog);
/* STRING: a chat sender's messages in one second (rate limit) */
char *key_message_chat_rate(struct arena *a, int64_t user_id, long sec);
/* STRING "1": the user exists (chat recipients, checked in the script) */
char *key_message_user(struct arena *a, int64_t user_id);
char *key_userdto(struct arena *a, int64_t user_id);
/* cache:user:{id}: the user's {id,nickName,icon} JSON text (user.h,
 * user_list_json) for TTL_CACHE_USER. */
char *key_cache_user(struct arena *a, int64_t user_id);
#define KEY_CACHE_USER_PREFIX "cache:user:"

/* Heartbeats of one component ("voucher-consumer", "sse"): a sorted
 * set, member = process (host:pid), score = its last beat in ms. */
char *key_heartbeat(struct arena *a, const char *component);

#endif
