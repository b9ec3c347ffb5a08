/*
 * feed_data.c: the read side of the feed: the inbox ZSET, the pulled
 * authors' outboxes, the pull of big followees' blogs from tb_blog, and
 * loading the Blogs of a page without N+1 (one SQL for the blogs, one
 * for their authors, one Redis pipeline for isLike).
 *
 * A read is one script (feed_lua_start) whenever what it needs is in
 * Redis: the inbox, the outboxes feed:outbox:{author} of the reader's
 * pulled followees and their follow times (follows:since:{me}). The long
 * way, taken when something is missing, builds what was missing (the
 * sets, the follow times, the outboxes) and pulls this once from MySQL.
 *
 * Outboxes are versioned like the blog cache: every publish and delete
 * of an author bumps feed:outbox:ver:{author} after its commit and
 * applies itself to a built outbox (feed_fanout.c); a build reads the
 * version before the rows and writes only while it is unchanged and no
 * outbox is built. So a build never writes a snapshot older than a change
 * already applied, and a change never misses a built outbox.
 *
 * The MySQL pull must return, for each big followee, at least the top K
 * of that author's blogs under the cursor in feed ORDER, including every
 * blog that ties with the K-th one: otherwise which of several
 * same-second blogs made the cut would depend on MySQL's row order and
 * pages could repeat or skip. Hence "create_time >= the K-th row's
 * create_time" rather than a LIMIT, which idx_blog_user_time (user_id,
 * create_time) serves with two short range reads per author. (Redis
 * orders equal scores itself, so the script needs no such care.)
 */
#include "feed_private.h"

#include "../blog/blog.h"
#include "../core/cfg.h"
#include "../core/reply.h"
#include "../store/keys.h"
#include "../store/rds.h"
#include "../store/sql.h"
#include "../user/user.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FEED_PULL_CHUNK 32           /* authors per pull statement */
#define FEED_MAX_TS     2147483647LL /* TIMESTAMP's upper end, in seconds */
#define FEED_SADD_CHUNK 1000         /* members per SADD of a rebuild */
/* entries of feed:pulled:{me} (the pages a read serves from it) */
#define FEED_PULLED_KEEP_S "100"
/* the deepest window (offset + limit) the read script merges itself */
#define FEED_SCRIPT_MAX_K_S "1000"

res_t
feed_blog_meta(struct ctx *cx, int64_t author, int64_t blog_id, int64_t *score,
               long *fans, int *found)
{
    struct sql_rows t;
    res_t rc = sql_query(cx, &t,
                         "SELECT UNIX_TIMESTAMP(b.create_time), "
                         "COALESCE(i.fans, 0) FROM tb_blog b LEFT JOIN "
                         "tb_user_info i ON i.user_id = b.user_id WHERE "
                         "b.id = ? AND b.user_id = ?",
                         "ll", blog_id, author);
    if (rc != RES_OK)
        return rc;
    *found = t.nrows > 0;
    if (*found) {
        *score = sql_i64(&t, 0, 0) * 1000;
        *fans = (long)sql_i64(&t, 0, 1);
    }
    return RES_OK;
}

res_t
feed_author_fans(struct ctx *cx, int64_t author, long *fans)
{
    struct sql_rows t;
    res_t rc = sql_query(
        cx, &t, "SELECT COALESCE(fans, 0) FROM tb_user_info WHERE user_id = ?",
        "l", author);
    if (rc != RES_OK)
        return rc;
    *fans = t.nrows ? (long)sql_i64(&t, 0, 0) : 0;
    return RES_OK;
}

/* ---------------- inbox ---------------- */

/* The entries of a ZREVRANGEBYSCORE ... WITHSCORES reply (members that
 * are not blog ids are ignored rather than failing the feed). */
/* Entry i of a ZREVRANGEBYSCORE ... WITHSCORES reply into *e: 1, or 0
 * when its member is not a blog id. */
static int
feed_entry_of(const redisReply *r, size_t i, struct feed_entry *e)
{
    const redisReply *mem = r->element[2 * i], *sc = r->element[2 * i + 1];
    if (mem->type != REDIS_REPLY_STRING || sc->type != REDIS_REPLY_STRING ||
        str_parse_i64(mem->str, &e->id) < 0 || e->id <= 0)
        return 0;
    e->score = (int64_t)strtod(sc->str, NULL);
    return 1;
}

static res_t
feed_inbox_parse(struct req *rq, const redisReply *r, struct feed_entry **out,
                 size_t *n)
{
    if (r->type != REDIS_REPLY_ARRAY || r->elements % 2 != 0)
        return req_fail(rq, RES_INTERNAL, "ZREVRANGEBYSCORE: bad reply");
    size_t m = r->elements / 2, k = 0;
    struct feed_entry *e = arena_alloc(rq->cx.arena, (m ? m : 1) * sizeof(*e));
    for (size_t i = 0; i < m; i++)
        k += feed_entry_of(r, i, &e[k]);
    *out = e;
    *n = k;
    return RES_OK;
}

/* ZREVRANGEBYSCORE feed:{me} last_id 0 WITHSCORES LIMIT offset count. */
static res_t
feed_inbox_range(struct req *rq, int64_t me, int64_t last_id, int64_t offset,
                 size_t count, struct feed_entry **out, size_t *n)
{
    redisReply *r;
    res_t rc = rds_cmd(&rq->cx, &r,
                       "ZREVRANGEBYSCORE %s %lld 0 WITHSCORES LIMIT %lld %lld",
                       key_feed(rq->cx.arena, me), (long long)last_id,
                       (long long)offset, (long long)count);
    if (rc != RES_OK)
        return rc;
    return feed_inbox_parse(rq, r, out, n);
}

/* ---------------- who is pulled ---------------- */

/* Rebuilds KEY_FEED_BIG when it lacks its sentinel: the authors with
 * more than T/2 fans, added to whatever publishes added meanwhile (a
 * union, so nothing they wrote is lost). An author who published above T
 * and has since fallen to T/2 or below is not recovered: the set is the
 * record, the rebuild a best effort after Redis lost it. */
static res_t
feed_big_ensure(struct req *rq)
{
    redisReply *r;
    res_t rc = rds_cmd(&rq->cx, &r, "SISMEMBER %s %s", KEY_FEED_BIG,
                       KEY_FOLLOWS_SENTINEL);
    if (rc != RES_OK || rds_int(r) == 1)
        return rc;
    struct sql_rows t;
    if ((rc = sql_query(&rq->cx, &t,
                        "SELECT user_id FROM tb_user_info WHERE fans > ?", "l",
                        (int64_t)(g_cfg.feed_push_threshold / 2))) != RES_OK)
        return rc;
    unsigned i = 0;
    do {
        const char *argv[2 + FEED_SADD_CHUNK];
        int argc = 0;
        argv[argc++] = "SADD";
        argv[argc++] = KEY_FEED_BIG;
        if (i == 0)
            argv[argc++] = KEY_FOLLOWS_SENTINEL;
        for (; i < t.nrows && argc < 2 + FEED_SADD_CHUNK; i++)
            argv[argc++] = sql_str(&t, i, 0);
        if ((rc = rds_cmdv(&rq->cx, NULL, argc, argv, NULL)) != RES_OK)
            return rc;
    } while (i < t.nrows);
    /* what readers merged may miss the members just added */
    return rds_cmd(&rq->cx, NULL, "INCR %s", KEY_FEED_OUTBOX_SEQ);
}

/* The members of a SINTER reply as ids; *sentinel tells whether the
 * sentinel was among them. */
static int64_t *
feed_big_ids(struct req *rq, const redisReply *r, unsigned *n, int *sentinel)
{
    size_t m = r->type == REDIS_REPLY_ARRAY ? r->elements : 0;
    int64_t *ids = arena_alloc(rq->cx.arena, (m ? m : 1) * sizeof(*ids));
    unsigned k = 0;
    *sentinel = 0;
    for (size_t i = 0; i < m; i++) {
        const redisReply *e = r->element[i];
        int64_t id;
        if (e->type != REDIS_REPLY_STRING)
            continue;
        if (strcmp(e->str, KEY_FOLLOWS_SENTINEL) == 0)
            *sentinel = 1;
        else if (str_parse_i64(e->str, &id) == 0 && id > 0)
            ids[k++] = id;
    }
    *n = k;
    return ids;
}

/* The pulled followees of a fetched start: ids joined by ',' (the read
 * script's second element), '' for none. */
static int64_t *
feed_big_csv(struct req *rq, const redisReply *r, unsigned *n)
{
    size_t len = r->type == REDIS_REPLY_STRING ? r->len : 0, m = 1;
    for (size_t i = 0; i < len; i++)
        m += r->str[i] == ',';
    int64_t *ids = arena_alloc(rq->cx.arena, m * sizeof(*ids));
    unsigned k = 0;
    for (size_t i = 0; i < len;) {
        size_t j = i;
        while (j < len && r->str[j] != ',')
            j++;
        uint64_t id;
        if (str_parse_u64n(r->str + i, j - i, &id) == 0 && id > 0 &&
            id <= INT64_MAX)
            ids[k++] = (int64_t)id;
        i = j + 1;
    }
    *n = k;
    return ids;
}

/* KEYS: KEY_FEED_BIG, KEY_FEED_OUTBOX_SEQ; ARGV: the caller's session
 * key, sentinel, last_id, offset, limit, the key prefixes of cache:blog:,
 * blog:liked:, follows:, feed:, follows:since:, feed:outbox:,
 * follows:gen: and feed:pulled:, then FEED_PULLED_KEEP, TTL_FEED_PULLED
 * and FEED_SCRIPT_MAX_K.
 *
 * The caller (me) is the session's "id" field: {} without one. Then
 * {me, SINTER of follows:{me} and KEY_FEED_BIG} when those sets are not
 * both built, or a pulled followee's follow time (follows:since:{me}) or
 * outbox is missing and needed: the caller takes the long way. Else {me,
 * the pulled followees (ids joined by ',', '' for none), the page
 * (WITHSCORES), each entry's cached card (false when missing), me's like
 * flags ('1'/'0' per entry)}.
 *
 * The page is the inbox window (last_id, offset, limit) when nobody is
 * pulled. With pulled followees it is the same window of the merge of
 * the inbox with what me pulls: each pulled followee's outbox from the
 * follow time on. Every source is in feed ORDER already
 * (ZREVRANGEBYSCORE: score, then member, descending; Lua compares these
 * digit strings bytewise, as Redis orders equal scores), so merging the
 * heads of each one's first K = offset + limit gives the merged first K
 * exactly; a blog met twice (pushed and pulled) counts once.
 *
 * What me pulls is kept merged in feed:pulled:{me}: its newest
 * FEED_PULLED_KEEP entries, plus a member at -inf naming the token they
 * were computed under, the floor (above it every pulled entry is there;
 * '' when all of them are) and the pulled followees. The token is
 * KEY_FEED_OUTBOX_SEQ (bumped by every outbox change and every new
 * pulled author), follows:gen:{me} (bumped by every follow change of me,
 * so also by any change of a follow time) and the sizes of KEY_FEED_BIG
 * and follows:{me}: the app never removes a pulled author, so a size
 * moves whenever a set changes behind the app's back (a member added or
 * removed by hand, a set lost). While the token holds, who me pulls
 * cannot have changed, so a read that finds it current costs no SINTER
 * and reads the pulled followees from the member: the cost of a read
 * does not grow with the follow count. Built here, in the same atomic
 * step as its inputs are read, whenever the token differs (and dropped
 * when me pulls nobody any more); a page that reaches below the floor
 * merges the outboxes themselves. A window deeper than
 * FEED_SCRIPT_MAX_K entries (an offset that large means as many blogs
 * in one second) takes the long way: Redis runs one script at a time,
 * and merging that much belongs in a worker.
 * Keys are built here from the session and the ids, so this assumes one
 * Redis (not Cluster), like the hot page. */
static const struct rds_script feed_lua_start = {
    "feed_start",
    "local me = redis.call('HGET', ARGV[1], 'id')\n"
    "if not me then\n"
    "  return {}\n"
    "end\n"
    "local off, lim = tonumber(ARGV[4]), tonumber(ARGV[5])\n"
    "local k, maxk = off + lim, tonumber(ARGV[16])\n"
    "local inbox, pk = ARGV[9] .. me, ARGV[13] .. me\n"
    "local function merge(src, skip, n)\n"
    "  local pos, hs, seen, out = {}, {}, {}, {}\n"
    "  for i = 1, #src do\n"
    "    pos[i] = 1\n"
    "    hs[i] = src[i][2] and tonumber(src[i][2])\n"
    "  end\n"
    "  while #out < 2 * n do\n"
    "    local b\n"
    "    for i = 1, #src do\n"
    "      local h = hs[i]\n"
    "      if h and (not b or h > hs[b] or (h == hs[b] and src[i][pos[i]] > "
    "src[b][pos[b]])) then\n"
    "        b = i\n"
    "      end\n"
    "    end\n"
    "    if not b then\n"
    "      break\n"
    "    end\n"
    "    local s, p = src[b], pos[b]\n"
    "    pos[b] = p + 2\n"
    "    hs[b] = s[p + 3] and tonumber(s[p + 3])\n"
    "    if not seen[s[p]] then\n"
    "      seen[s[p]] = true\n"
    "      if skip > 0 then\n"
    "        skip = skip - 1\n"
    "      else\n"
    "        out[#out + 1] = s[p]\n"
    "        out[#out + 1] = s[p + 1]\n"
    "      end\n"
    "    end\n"
    "  end\n"
    "  return out\n"
    "end\n"
    "local function finish(r, pulled)\n"
    "  local keys, vals, likes = {}, {}, {}\n"
    "  for i = 1, #r, 2 do\n"
    "    keys[#keys + 1] = ARGV[6] .. r[i]\n"
    "    likes[#likes + 1] = redis.call('ZSCORE', ARGV[7] .. r[i], me) and '1' "
    "or '0'\n"
    "  end\n"
    "  if #keys > 0 then\n"
    "    vals = redis.call('MGET', unpack(keys))\n"
    "  end\n"
    "  return {me, pulled, r, vals, table.concat(likes)}\n"
    "end\n"
    "local function token()\n"
    "  local v = redis.call('MGET', KEYS[2], ARGV[12] .. me)\n"
    "  return (v[1] or '') .. ':' .. (v[2] or '') .. ':' .. "
    "redis.call('SCARD', KEYS[1]) .. ':' .. redis.call('SCARD', ARGV[8] .. "
    "me)\n"
    "end\n"
    "local tok, stale\n"
    "local function cached()\n"
    "  local meta = redis.call('ZRANGEBYSCORE', pk, '-inf', '-inf', 'LIMIT', "
    "0, 1)[1]\n"
    "  if not meta then\n"
    "    return nil\n"
    "  end\n"
    "  stale = true\n"
    "  local t, floor, csv = string.match(meta, '^#([^|]*)|([^|]*)|(.*)$')\n"
    "  tok = tok or token()\n"
    "  if t ~= tok then\n"
    "    return nil\n"
    "  end\n"
    "  local p = redis.call('ZREVRANGEBYSCORE', pk, ARGV[3], '(' .. (floor == "
    "'' and '-inf' or floor), 'WITHSCORES', 'LIMIT', 0, k)\n"
    "  if floor == '' or #p == 2 * k then\n"
    "    return p, csv\n"
    "  end\n"
    "  return false, csv\n"
    "end\n"
    "local p, csv\n"
    "if k <= maxk then\n"
    "  p, csv = cached()\n"
    "  if p then\n"
    "    return finish(merge({redis.call('ZREVRANGEBYSCORE', inbox, ARGV[3], "
    "0, 'WITHSCORES', 'LIMIT', 0, k), p}, off, lim), csv)\n"
    "  end\n"
    "end\n"
    "local inter = redis.call('SINTER', ARGV[8] .. me, KEYS[1])\n"
    "local authors = {}\n"
    "for i = 1, #inter do\n"
    "  if inter[i] ~= ARGV[2] then\n"
    "    authors[#authors + 1] = inter[i]\n"
    "  end\n"
    "end\n"
    "if #authors == #inter then\n"
    "  return {me, inter}\n"
    "end\n"
    "if #authors == 0 then\n"
    "  if stale then\n"
    "    redis.call('DEL', pk)\n"
    "  end\n"
    "  return finish(redis.call('ZREVRANGEBYSCORE', inbox, ARGV[3], 0, "
    "'WITHSCORES', 'LIMIT', off, lim), '')\n"
    "end\n"
    "if k > maxk then\n"
    "  return {me, inter}\n"
    "end\n"
    "table.sort(authors)\n"
    "csv = table.concat(authors, ',')\n"
    "local obs, since = {}, {}\n"
    "for i = 1, #authors, 1000 do\n"
    "  local j = math.min(i + 999, #authors)\n"
    "  for x = i, j do\n"
    "    obs[x] = ARGV[11] .. authors[x]\n"
    "  end\n"
    "  local v = redis.call('HMGET', ARGV[10] .. me, unpack(authors, i, j))\n"
    "  if redis.call('EXISTS', unpack(obs, i, j)) ~= j - i + 1 then\n"
    "    return {me, inter}\n"
    "  end\n"
    "  for x = 1, #v do\n"
    "    if not v[x] then\n"
    "      return {me, inter}\n"
    "    end\n"
    "    since[i + x - 1] = v[x] .. '000'\n"
    "  end\n"
    "end\n"
    "local function fetch(top, n)\n"
    "  local src = {}\n"
    "  for i = 1, #authors do\n"
    "    src[i] = redis.call('ZREVRANGEBYSCORE', obs[i], top, since[i], "
    "'WITHSCORES', 'LIMIT', 0, n)\n"
    "  end\n"
    "  return src\n"
    "end\n"
    "if p == nil then\n"
    "  local keep = tonumber(ARGV[14])\n"
    "  local all = merge(fetch('+inf', keep + 1), 0, keep + 1)\n"
    "  local floor = ''\n"
    "  if #all > 2 * keep then\n"
    "    floor = all[2 * keep]\n"
    "  end\n"
    "  tok = tok or token()\n"
    "  local z = {'-inf', '#' .. tok .. '|' .. floor .. '|' .. csv}\n"
    "  for i = 1, math.min(#all, 2 * keep), 2 do\n"
    "    z[#z + 1] = all[i + 1]\n"
    "    z[#z + 1] = all[i]\n"
    "  end\n"
    "  redis.call('DEL', pk)\n"
    "  redis.call('ZADD', pk, unpack(z))\n"
    "  redis.call('EXPIRE', pk, ARGV[15])\n"
    "  p = cached()\n"
    "end\n"
    "if not p then\n"
    "  local src = fetch(ARGV[3], k)\n"
    "  src[#src + 1] = redis.call('ZREVRANGEBYSCORE', inbox, ARGV[3], 0, "
    "'WITHSCORES', 'LIMIT', 0, k)\n"
    "  return finish(merge(src, off, lim), csv)\n"
    "end\n"
    "return finish(merge({redis.call('ZREVRANGEBYSCORE', inbox, ARGV[3], 0, "
    "'WITHSCORES', 'LIMIT', 0, k), p}, off, lim), csv)\n"};

/* The fast start: the page with its cards' values and like flags (r is
 * feed_lua_start's 5-element reply). */
static res_t
feed_start_fetched(struct req *rq, const redisReply *r, struct feed_start *st)
{
    const redisReply *range = r->element[2], *vals = r->element[3],
                     *likes = r->element[4];
    size_t m = range->type == REDIS_REPLY_ARRAY ? range->elements / 2 : 0;
    if (range->type != REDIS_REPLY_ARRAY || range->elements % 2 != 0 ||
        vals->type != REDIS_REPLY_ARRAY || vals->elements != m ||
        likes->type != REDIS_REPLY_STRING || likes->len != m)
        return req_fail(rq, RES_INTERNAL, "feed_start: bad reply");
    struct arena *a = rq->cx.arena;
    st->inbox = arena_alloc(a, (m ? m : 1) * sizeof(*st->inbox));
    st->frag = arena_calloc(a, (m ? m : 1) * sizeof(*st->frag));
    st->flen = arena_calloc(a, (m ? m : 1) * sizeof(*st->flen));
    st->likes = arena_calloc(a, (m ? m : 1) * sizeof(*st->likes));
    size_t k = 0;
    for (size_t i = 0; i < m; i++) {
        const redisReply *v = vals->element[i];
        if (!feed_entry_of(range, i, &st->inbox[k]))
            continue; /* not a blog id */
        if (v->type == REDIS_REPLY_STRING) {
            st->frag[k] = v->str;
            st->flen[k] = v->len;
        }
        st->likes[k] = likes->str[i] == '1';
        k++;
    }
    st->ninbox = k;
    st->fetched = 1;
    return RES_OK;
}

/* KEYS: feed:outbox:{author}, feed:outbox:ver:{author},
 * KEY_FEED_OUTBOX_SEQ; ARGV: the version read before the rows were,
 * sentinel, TTL, then score and blog id of each row. Writes the outbox
 * (sentinel at -inf, then the rows) only while the version is the one
 * read and no outbox is built, and moves the sequence (an outbox that
 * expired may have missed a change a reader merged without). */
static const struct rds_script feed_lua_outbox_build = {
    "feed_outbox_build",
    "if (redis.call('GET', KEYS[2]) or '') ~= ARGV[1] or "
    "redis.call('ZSCORE', KEYS[1], ARGV[2]) then\n"
    "  return 0\n"
    "end\n"
    "redis.call('DEL', KEYS[1])\n"
    "redis.call('ZADD', KEYS[1], '-inf', ARGV[2])\n"
    "for i = 4, #ARGV, 2000 do\n"
    "  redis.call('ZADD', KEYS[1], unpack(ARGV, i, math.min(i + 1999, "
    "#ARGV)))\n"
    "end\n"
    "redis.call('EXPIRE', KEYS[1], ARGV[3])\n"
    "redis.call('INCR', KEYS[3])\n"
    "return 1\n"};

/* Builds author's outbox from tb_blog. Every publish and delete of the
 * author bumps the version after its commit (feed_fanout.c), and the
 * version is read before the rows: either a change's bump comes after
 * the build's compare (and it finds the outbox built and applies
 * itself), or the build sees a moved version and writes nothing. */
static res_t
feed_outbox_build(struct req *rq, int64_t author)
{
    struct arena *a = rq->cx.arena;
    const char *vk = key_feed_outbox_ver(a, author);
    redisReply *v;
    res_t rc = rds_cmd(&rq->cx, &v, "GET %s", vk);
    if (rc != RES_OK)
        return rc;
    const char *ver = v->type == REDIS_REPLY_STRING ? rds_str(&rq->cx, v) : "";
    struct sql_rows t;
    if ((rc = sql_query(&rq->cx, &t,
                        "SELECT id, UNIX_TIMESTAMP(create_time) * 1000 FROM "
                        "tb_blog WHERE user_id = ?",
                        "l", author)) != RES_OK)
        return rc;
    const char **args = arena_alloc(a, (2 * t.nrows + 3) * sizeof(*args));
    args[0] = ver;
    args[1] = KEY_FOLLOWS_SENTINEL;
    args[2] = arena_printf(a, "%d", TTL_FEED_OUTBOX);
    for (unsigned i = 0; i < t.nrows; i++) {
        args[3 + 2 * i] = sql_str(&t, i, 1);
        args[4 + 2 * i] = sql_str(&t, i, 0);
    }
    const char *keys[3] = {key_feed_outbox(a, author), vk, KEY_FEED_OUTBOX_SEQ};
    return rds_eval(&rq->cx, &feed_lua_outbox_build, NULL, 3, keys,
                    (int)(2 * t.nrows + 3), args);
}

/* Builds the outboxes of the authors ids[0..n) that lack one. */
static res_t
feed_outboxes_ensure(struct req *rq, const int64_t *ids, unsigned n)
{
    res_t rc;
    for (unsigned i = 0; i < n; i++)
        if ((rc = rds_append(&rq->cx, "ZSCORE %s %s",
                             key_feed_outbox(rq->cx.arena, ids[i]),
                             KEY_FOLLOWS_SENTINEL)) != RES_OK)
            return rc;
    int *built = arena_calloc(rq->cx.arena, (n + 1) * sizeof(*built));
    res_t first = RES_OK;
    for (unsigned i = 0; i < n; i++) {
        redisReply *r;
        if ((rc = rds_reply(&rq->cx, &r)) == RES_DEP_DOWN)
            return rc;
        if (rc != RES_OK && first == RES_OK)
            first = rc; /* described; the rest stay in step */
        built[i] = rc == RES_OK && r->type != REDIS_REPLY_NIL;
    }
    if (first != RES_OK)
        return first;
    for (unsigned i = 0; i < n; i++)
        if (!built[i] && (rc = feed_outbox_build(rq, ids[i])) != RES_OK)
            return rc;
    return RES_OK;
}

/* The long way: the sets rebuilt if missing, the pulled followees with
 * their follow times (which also go to follows:since:{me}) and their
 * outboxes built, so the next read takes the short way. inter: a SINTER
 * reply for me, or NULL. */
static res_t
feed_start_slow(struct req *rq, int64_t me, const redisReply *inter,
                struct feed_start *st)
{
    const char *follows = key_follows(rq->cx.arena, me);
    redisReply *again;
    res_t rc;
    int sentinel = 0;
    unsigned n = 0;
    int64_t *ids = NULL;
    if (inter)
        ids = feed_big_ids(rq, inter, &n, &sentinel);
    if (!sentinel) { /* a set is missing: build it, then ask again */
        if ((rc = follow_set_ensure(rq, me)) != RES_OK ||
            (rc = feed_big_ensure(rq)) != RES_OK ||
            (rc = rds_cmd(&rq->cx, &again, "SINTER %s %s", follows,
                          KEY_FEED_BIG)) != RES_OK)
            return rc;
        ids = feed_big_ids(rq, again, &n, &sentinel);
    }
    if (n == 0)
        return RES_OK;
    if ((rc = follow_followees_since(rq, me, ids, n, &st->big, &st->nbig)) !=
        RES_OK)
        return rc;
    /* this read pulls from MySQL; what it builds serves the next ones */
    return feed_outboxes_ensure(rq, ids, n);
}

res_t
feed_start(struct req *rq, int64_t last_id, int64_t offset, size_t limit,
           struct feed_start *st)
{
    char a_last[24], a_off[24], a_lim[24], a_ttl[24];
    snprintf(a_last, sizeof(a_last), "%lld", (long long)last_id);
    snprintf(a_off, sizeof(a_off), "%lld", (long long)offset);
    snprintf(a_lim, sizeof(a_lim), "%zu", limit);
    snprintf(a_ttl, sizeof(a_ttl), "%d", TTL_FEED_PULLED);
    const char *session;
    struct rds_eval_q q;
    redisReply *r;
    res_t rc;
    memset(st, 0, sizeof(*st));
    /* one round trip: the session lookup, then the script */
    if ((rc = rds_script_ready(&rq->cx, &feed_lua_start)) != RES_OK ||
        (rc = user_auth_send(rq, &session)) != RES_OK)
        return rc;
    if (session == NULL) /* no usable token: nothing to look up */
        return user_auth_recv(rq, NULL);
    const char *keys[2] = {KEY_FEED_BIG, KEY_FEED_OUTBOX_SEQ};
    const char *args[16] = {session,
                            KEY_FOLLOWS_SENTINEL,
                            a_last,
                            a_off,
                            a_lim,
                            KEY_CACHE_BLOG_PREFIX,
                            KEY_BLOG_LIKED_PREFIX,
                            KEY_FOLLOWS_PREFIX,
                            KEY_FEED_PREFIX,
                            KEY_FOLLOWS_SINCE_PREFIX,
                            KEY_FEED_OUTBOX_PREFIX,
                            KEY_FOLLOWS_GEN_PREFIX,
                            KEY_FEED_PULLED_PREFIX,
                            FEED_PULLED_KEEP_S,
                            a_ttl,
                            FEED_SCRIPT_MAX_K_S};
    if ((rc = rds_eval_append(&rq->cx, &q, &feed_lua_start, 2, keys, 16,
                              args)) != RES_OK ||
        (rc = user_auth_recv(rq, session)) != RES_OK ||
        (rc = rds_eval_reply(&rq->cx, &q, &r)) != RES_OK)
        return rc;
    if (!rq->has_user)
        return RES_OK; /* the caller answers 401 */
    int64_t me = rq->user.id, who;
    if (r->type != REDIS_REPLY_ARRAY ||
        (r->elements != 0 && r->elements != 2 && r->elements != 5))
        return req_fail(rq, RES_INTERNAL, "feed_start: bad reply");
    /* the script read the session after the lookup did: should they
     * differ (a logout in between), the long way is right anyway */
    if (r->elements == 0 || r->element[0]->type != REDIS_REPLY_STRING ||
        str_parse_i64(r->element[0]->str, &who) < 0 || who != me)
        return feed_start_slow(rq, me, NULL, st);
    if (r->elements == 5) { /* everything at hand */
        st->pull_ids = feed_big_csv(rq, r->element[1], &st->npull);
        return feed_start_fetched(rq, r, st);
    }
    return feed_start_slow(rq, me, r->element[1], st);
}

res_t
feed_big_load(struct req *rq, int64_t me, struct feed_start *st)
{
    if (st->nbig > 0 || st->npull == 0)
        return RES_OK;
    return follow_followees_since(rq, me, st->pull_ids, st->npull, &st->big,
                                  &st->nbig);
}

/* ---------------- pull ---------------- */

/* The pull statement for n authors (8 parameters each). */
static char *
feed_pull_sql(struct req *rq, unsigned n)
{
    static const char one[] =
        "(SELECT id, UNIX_TIMESTAMP(create_time) FROM tb_blog WHERE "
        "user_id = ? AND create_time BETWEEN FROM_UNIXTIME(?) AND "
        "FROM_UNIXTIME(?) AND create_time >= COALESCE((SELECT create_time "
        "FROM tb_blog WHERE user_id = ? AND create_time BETWEEN "
        "FROM_UNIXTIME(?) AND FROM_UNIXTIME(?) ORDER BY create_time DESC "
        "LIMIT 1 OFFSET ?), FROM_UNIXTIME(?)))";
    size_t len = n * (sizeof(one) + 11) + 1;
    char *s = arena_alloc(rq->cx.arena, len), *p = s;
    for (unsigned i = 0; i < n; i++) {
        if (i) {
            memcpy(p, " UNION ALL ", 11);
            p += 11;
        }
        memcpy(p, one, sizeof(one) - 1);
        p += sizeof(one) - 1;
    }
    *p = '\0';
    return s;
}

/* For each big followee, the blogs created since the follow with score
 * <= last_id: at least the newest k of them and every tie of the k-th. */
static res_t
feed_pull(struct req *rq, const struct follow_followee *big, unsigned nbig,
          int64_t last_id, int64_t k, struct feed_entry **out, size_t *n)
{
    int64_t upto = last_id / 1000;
    if (upto > FEED_MAX_TS)
        upto = FEED_MAX_TS;
    size_t cap = 16, cnt = 0;
    struct feed_entry *e = arena_alloc(rq->cx.arena, cap * sizeof(*e));
    for (unsigned from = 0; from < nbig; from += FEED_PULL_CHUNK) {
        unsigned m = 0;
        struct sql_param *p =
            arena_calloc(rq->cx.arena, 8 * FEED_PULL_CHUNK * sizeof(*p));
        for (unsigned i = from; i < nbig && i < from + FEED_PULL_CHUNK; i++) {
            int64_t since = big[i].since_s;
            if (since > upto)
                continue; /* followed after the cursor's time */
            int64_t v[8] = {big[i].user_id, since, upto,  big[i].user_id,
                            since,          upto,  k - 1, since};
            for (int j = 0; j < 8; j++) {
                p[8 * m + j].type = 'l';
                p[8 * m + j].i = v[j];
            }
            m++;
        }
        if (m == 0)
            continue;
        struct sql_rows t;
        res_t rc = sql_queryv(&rq->cx, &t, feed_pull_sql(rq, m), p, 8 * m);
        if (rc != RES_OK)
            return rc;
        if (cnt + t.nrows > cap) {
            while (cnt + t.nrows > cap)
                cap *= 2;
            struct feed_entry *ne =
                arena_alloc(rq->cx.arena, cap * sizeof(*ne));
            memcpy(ne, e, cnt * sizeof(*e));
            e = ne;
        }
        for (unsigned r = 0; r < t.nrows; r++) {
            e[cnt].id = sql_i64(&t, r, 0);
            e[cnt].score = sql_i64(&t, r, 1) * 1000;
            cnt++;
        }
    }
    *out = e;
    *n = cnt;
    return RES_OK;
}

res_t
feed_page(struct req *rq, int64_t me, const struct follow_followee *big,
          unsigned nbig, int64_t last_id, int64_t offset, size_t limit,
          struct feed_entry **out, size_t *n)
{
    if (nbig == 0) /* push only: the inbox is the whole feed */
        return feed_inbox_range(rq, me, last_id, offset, limit, out, n);

    /* hybrid: each source's top K (K = offset + limit) contains every
     * entry of the merged top K, so merge those and take the window */
    int64_t k = offset + (int64_t)limit;
    struct feed_entry *inbox, *pulled;
    size_t ni, np;
    res_t rc = feed_inbox_range(rq, me, last_id, 0, (size_t)k, &inbox, &ni);
    if (rc != RES_OK)
        return rc;
    if ((rc = feed_pull(rq, big, nbig, last_id, k, &pulled, &np)) != RES_OK)
        return rc;
    struct feed_entry *all =
        arena_alloc(rq->cx.arena, (ni + np ? ni + np : 1) * sizeof(*all));
    size_t na = feed_merge(inbox, ni, pulled, np, all);
    struct feed_entry *page =
        arena_alloc(rq->cx.arena, (limit ? limit : 1) * sizeof(*page));
    *n = feed_window(all, na, last_id, offset, limit, page);
    *out = page;
    return RES_OK;
}

/* ---------------- blogs ---------------- */

res_t
feed_blogs_append_fetched(struct req *rq, const struct feed_start *st,
                          struct json_object *arr, size_t *live)
{
    size_t n = st->ninbox;
    int64_t *ids = arena_alloc(rq->cx.arena, (n ? n : 1) * sizeof(*ids));
    for (size_t i = 0; i < n; i++)
        ids[i] = st->inbox[i].id;
    unsigned got = 0;
    res_t rc = blog_cards_append_fetched(rq, ids, (unsigned)n, st->frag,
                                         st->flen, st->likes, arr, &got);
    *live = got;
    return rc;
}

res_t
feed_blogs_append(struct req *rq, const struct feed_entry *e, size_t n,
                  struct json_object *arr, size_t *live)
{
    int64_t *ids = arena_alloc(rq->cx.arena, (n ? n : 1) * sizeof(*ids));
    for (size_t i = 0; i < n; i++)
        ids[i] = e[i].id;
    unsigned got = 0;
    res_t rc = blog_cards_append(rq, ids, (unsigned)n, arr, &got);
    *live = got;
    return rc;
}
