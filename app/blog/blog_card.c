/*
 * blog_card.c: the Blog JSON shape (API.md §6), the one place that knows
 * it. A card is a blog with its author's name/icon and the caller's
 * isLike. Cards travel as text: the read cache holds each blog as a
 * fragment (blog_frag_render: the JSON minus its closing brace), and a
 * card is the fragment with isLike spliced in, byte for byte what
 * blog_json would serialise. The detail page, the hot list and the follow
 * feed (through blog.h) all answer with these cards.
 */
#include "blog_private.h"

#include "../core/reply.h"
#include "../core/req.h"

#include <json-c/json.h>
#include <string.h>

struct json_object *
blog_json(const struct blog *b, const struct user_dto *author, int is_like)
{
    struct json_object *o = json_object_new_object();
    reply_add_i64(o, "id", b->id);
    reply_add_i64(o, "shopId", b->shop_id);
    reply_add_i64(o, "userId", b->user_id);
    reply_add_str(o, "title", b->title);
    reply_add_str(o, "images", b->images);
    reply_add_str(o, "content", b->content);
    reply_add_i64(o, "liked", b->liked);
    reply_add_i64(o, "comments", b->comments);
    reply_add_time(o, "createTime", b->create_time);
    reply_add_time(o, "updateTime", b->update_time);
    if (author) {
        reply_add_str(o, "name", author->nick_name ? author->nick_name : "");
        reply_add_str(o, "icon", author->icon ? author->icon : "");
    }
    if (is_like >= 0)
        reply_add_bool(o, "isLike", is_like);
    return o;
}

char *
blog_frag_render(struct arena *a, const struct blog *b,
                 const struct user_dto *author, size_t *len)
{
    struct json_object *o = blog_json(b, author, -1);
    size_t n;
    /* the flags of reply_render, so the bytes are the envelope's */
    const char *s = json_object_to_json_string_length(
        o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &n);
    /* an object with at least "id": ends with '}' */
    char *f = arena_strndup(a, s, n - 1);
    json_object_put(o);
    *len = n - 1;
    return f;
}

static const char blog_is_like_true[] = ",\"isLike\":true}";
static const char blog_is_like_false[] = ",\"isLike\":false}";

/* Writes frag + isLike + "}" at dst; returns the bytes written. */
static size_t
blog_card_put(char *dst, const char *frag, size_t n, int is_like)
{
    const char *t = is_like ? blog_is_like_true : blog_is_like_false;
    size_t tn = is_like ? sizeof(blog_is_like_true) - 1
                        : sizeof(blog_is_like_false) - 1;
    memcpy(dst, frag, n);
    memcpy(dst + n, t, tn);
    return n + tn;
}

char *
blog_card_text(struct arena *a, const char *frag, size_t n, int is_like,
               size_t *len)
{
    char *out = arena_alloc(a, n + sizeof(blog_is_like_false));
    *len = blog_card_put(out, frag, n, is_like);
    out[*len] = '\0';
    return out;
}

char *
blog_cards_array(struct arena *a, const char *const *frag, const size_t *flen,
                 const int *likes, unsigned n, size_t *len)
{
    size_t cap = 3;
    for (unsigned i = 0; i < n; i++)
        if (frag[i])
            cap += flen[i] + sizeof(blog_is_like_false);
    char *out = arena_alloc(a, cap), *o = out;
    *o++ = '[';
    for (unsigned i = 0; i < n; i++) {
        if (frag[i] == NULL)
            continue;
        if (o > out + 1)
            *o++ = ',';
        o += blog_card_put(o, frag[i], flen[i], likes[i]);
    }
    *o++ = ']';
    *o = '\0';
    *len = (size_t)(o - out);
    return out;
}

/* ---------------- cards for a reply ---------------- */

/* Appends the cards of the fragments that exist. */
static unsigned
blog_cards_add(struct req *rq, const char *const *frag, const size_t *flen,
               const int *likes, unsigned n, struct json_object *arr)
{
    unsigned live = 0;
    for (unsigned i = 0; i < n; i++) {
        if (frag[i] == NULL)
            continue;
        size_t len;
        char *t =
            blog_card_text(rq->cx.arena, frag[i], flen[i], likes[i], &len);
        json_object_array_add(arr, json_object_get(reply_raw(rq, t, len)));
        live++;
    }
    return live;
}

res_t
blog_cards_append(struct req *rq, const int64_t *ids, unsigned n,
                  struct json_object *arr, unsigned *live)
{
    const char **frag;
    size_t *flen;
    int *likes;
    *live = 0;
    res_t rc = blog_frags_load(rq, ids, n, req_uid(rq), &frag, &flen, &likes);
    if (rc != RES_OK)
        return rc;
    *live = blog_cards_add(rq, frag, flen, likes, n, arr);
    return RES_OK;
}

res_t
blog_cards_append_fetched(struct req *rq, const int64_t *ids, unsigned n,
                          const char **frag, size_t *flen, const int *likes,
                          struct json_object *arr, unsigned *live)
{
    *live = 0;
    res_t rc = blog_frags_complete(rq, ids, n, frag, flen);
    if (rc != RES_OK)
        return rc;
    *live = blog_cards_add(rq, frag, flen, likes, n, arr);
    return RES_OK;
}
