/*
 * follow.h: follows (API.md §4.5). MySQL's tb_follow is the source of
 * truth; the Redis set follows:{id} (with a sentinel member, see keys.h)
 * mirrors it for common follows and is-followed, and is rebuilt from MySQL
 * whenever it is missing. tb_user_info.fans/followee are kept in the same
 * transaction as the row.
 *
 * The feed module reads followers, the mirror and follow times through
 * this header.
 */
#ifndef HMDP_FOLLOW_H
#define HMDP_FOLLOW_H

#include "../core/req.h"
#include "../core/route.h"

#include <stddef.h>
#include <stdint.h>

extern const struct route follow_routes[];

/* One page of author's followers in tb_follow.id order: the rows with
 * id > *cursor, at most limit of them. users[] (arena, *n entries) gets
 * the follower ids and *cursor advances to the last row's id; *n == 0
 * means the end. */
res_t follow_fans_page(struct ctx *cx, int64_t author, int64_t *cursor,
                       unsigned limit, int64_t **users, unsigned *n);

/* A followee of someone, with the time the follow was made. */
struct follow_followee {
    int64_t user_id;
    int64_t since_s; /* UNIX seconds of tb_follow.create_time */
};

/* The follow times of the users among ids[0..n) that me follows, in
 * one query, also written to follows:since:{me} (keys.h), which stays
 * exact: every follow change of me forgets its followee there (see
 * follow_data.c). *out is an arena array of *nout entries, ordered by
 * id; ids me does not follow are left out. */
res_t follow_followees_since(struct req *rq, int64_t me, const int64_t *ids,
                             unsigned n, struct follow_followee **out,
                             unsigned *nout);

/* Makes sure the mirror follows:{u} is built: rebuilt from tb_follow when
 * it lacks its sentinel (keys.h). */
res_t follow_set_ensure(struct req *rq, int64_t u);

/* ---- pure rules (follow.c), unit-tested ---- */

/* Parses the {isFollow} path segment: "true" -> 1, "false" -> 0.
 * Returns 0, or -1 for anything else. */
int follow_parse_flag(const char *s, int *out);

/* Turns the members of a follows set into ids: the sentinel and anything
 * that is not a positive decimal id are dropped, the rest sorted ascending
 * and de-duplicated in place. Returns the number kept. */
size_t follow_ids_clean(int64_t *ids, size_t n);

#endif
