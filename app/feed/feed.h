/*
 * feed.h: the follow feed (API.md §4.5): push into per-follower inboxes
 * `feed:{follower}` (ZSET blogId -> score), with a pull path for big
 * authors, read with scroll pagination by GET /blog/of/follow.
 *
 * SCORE: a blog's score is UNIX_TIMESTAMP(tb_blog.create_time) * 1000,
 * i.e. its create_time in whole seconds, expressed in milliseconds. Push
 * and pull both use it, so one blog has one score wherever it comes from.
 * Many blogs share a score (one second); the pagination cursor handles
 * ties (see feed_cursor_next).
 *
 * ORDER: newest first; among equal scores, blog ids in descending
 * lexicographic order of their decimal strings ("9" before "10"), which is
 * the order ZREVRANGEBYSCORE gives equal-score members. The merged
 * (inbox + pulled) feed uses exactly the same order.
 *
 * PUSH OR PULL: an author whose tb_user_info.fans is greater than
 * g_cfg.feed_push_threshold (T) when publishing is not pushed; instead
 * the author joins the Redis set KEY_FEED_BIG, and readers pull the blogs
 * of their followees in that set from tb_blog and merge them with the
 * inbox. Membership is never withdrawn, so a blog published unpushed stays
 * visible whatever its author's fans do later (an author back under T is
 * pushed again and also pulled; the merge drops the duplicate). Readers
 * learn their pulled followees with one SINTER (or from what their last
 * read kept, while nothing it depends on moved), so a feed without any
 * costs no MySQL. If the set is lost it is rebuilt from the authors with
 * more than T/2 fans. Pulled blogs are limited to those created since the
 * follow, as a push would be.
 *
 * WHAT READERS PULL FROM: each pulled author's outbox feed:outbox:{id},
 * every blog of theirs by score, built from tb_blog on first need and kept
 * by every publish and delete (feed_fanout.c, feed_data.c), and the follow
 * times the follow module keeps in follows:since:{me}. A read merges the
 * inbox with the outboxes in one script, and keeps the merged pulled
 * entries of the reader in feed:pulled:{me} under a token that every
 * outbox change, every new pulled author and every follow change of the
 * reader moves; MySQL serves only a read that finds something missing.
 *
 * The feed reacts to the events "blog published" and "blog deleted"
 * (core/event.h; app/wire.c subscribes feed_on_blog_published and
 * feed_on_blog_deleted), and reads blog cards through blog.h.
 */
#ifndef HMDP_FEED_H
#define HMDP_FEED_H

#include "../core/event.h"
#include "../core/req.h"
#include "../core/route.h"

#include <stddef.h>
#include <stdint.h>

extern const struct route feed_routes[];

/* Pushes blog_id into the inbox of every follower of author (pipelined,
 * one round trip per batch of followers), trimming each inbox to the
 * newest g_cfg.feed_cap entries. Call after the blog row is written (it
 * may be inside the caller's transaction: the same connection sees it).
 * published_ms must be UNIX_TIMESTAMP(create_time)*1000 of the row; the
 * row's create_time is read again and wins, so the score always matches
 * the pull side. A big author is not pushed but joins KEY_FEED_BIG; the
 * author's outbox (if readers pull them) takes the blog either way. Does
 * nothing for a missing row. Errors are described on cx; the blog itself
 * is not affected. */
res_t feed_on_publish(struct ctx *cx, int64_t author, int64_t blog_id,
                      int64_t published_ms);

/* Removes blog_id from the author's outbox and from the inboxes of
 * author's followers (skipped for a big author: readers drop ids whose
 * blog no longer exists anyway). */
res_t feed_on_delete(struct ctx *cx, int64_t author, int64_t blog_id);

/* The event subscribers (core/event.h) around the two above. */
res_t feed_on_blog_published(struct ctx *cx, const struct event *ev);
res_t feed_on_blog_deleted(struct ctx *cx, const struct event *ev);

/* ---- pure pagination (feed.c), unit-tested ---- */

struct feed_entry {
    int64_t id;    /* blog id */
    int64_t score; /* ms, see SCORE above */
};

/* < 0 when a comes before b in the feed ORDER above, 0 when equal. */
int feed_entry_cmp(const struct feed_entry *a, const struct feed_entry *b);

/* Sorts e into feed ORDER. */
void feed_sort(struct feed_entry *e, size_t n);

/* The page of a sorted sequence for the cursor (last_id, offset): the
 * entries with score <= last_id, skipping the first offset of them, at
 * most limit. This is ZREVRANGEBYSCORE key last_id 0 LIMIT offset limit.
 * Copies into out (room for limit) and returns the count. */
size_t feed_window(const struct feed_entry *e, size_t n, int64_t last_id,
                   int64_t offset, size_t limit, struct feed_entry *out);

/* Merges the inbox entries with the pulled ones into out (room for
 * ni + np): union by blog id (the inbox's score is kept for an id in
 * both), sorted into feed ORDER. Returns the count. */
size_t feed_merge(const struct feed_entry *inbox, size_t ni,
                  const struct feed_entry *pulled, size_t np,
                  struct feed_entry *out);

/* The cursor after a page e[0..n-1] (n >= 1, in feed ORDER) fetched with
 * (last_id, offset): *min_time = the last entry's score, *next_offset =
 * the number of trailing entries with that score, plus offset when
 * min_time == last_id (the whole page shares the previous cursor's score,
 * so those already skipped must stay skipped). */
void feed_cursor_next(const struct feed_entry *e, size_t n, int64_t last_id,
                      int64_t offset, int64_t *min_time, int64_t *next_offset);

#endif
