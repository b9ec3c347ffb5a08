/*
 * blog.h: blogs, likes and comments (API.md §4.4, §4.7, §6; DECISIONS.md).
 * The routes table covers /blog/... (except /blog/of/follow, which is the
 * feed's) and /comment/....
 */
#ifndef HMDP_BLOG_H
#define HMDP_BLOG_H

#include "../core/arena.h"
#include "../core/route.h"

#include <stdint.h>

extern const struct route blog_routes[];

struct json_object;

/* Appends to arr (a json-c array) the blogs with the given ids, in that
 * order, as Blog JSON with the author's name/icon and the caller's
 * isLike; ids that no longer have a blog are skipped. One query for the
 * blogs, one for the authors, one Redis pipeline for the likes. *live =
 * how many were appended. Used by the follow feed. */
res_t blog_cards_append(struct req *rq, const int64_t *ids, unsigned n,
                        struct json_object *arr, unsigned *live);

/* blog_cards_append for a caller that read the Redis side itself (in a
 * script of its own, see the feed): frag[i]/flen[i] the value of
 * cache:blog:{ids[i]} (NULL or "" when missing; the arrays are updated
 * in place), likes[i] the caller's isLike. Misses are loaded as
 * blog_cards_append loads them. */
res_t blog_cards_append_fetched(struct req *rq, const int64_t *ids, unsigned n,
                                const char **frag, size_t *flen,
                                const int *likes, struct json_object *arr,
                                unsigned *live);

/* Column limits of tb_blog / tb_blog_comments, in characters, applied to
 * the stored (escaped) text. */
#define BLOG_TITLE_MAX    255
#define BLOG_CONTENT_MAX  2048
#define BLOG_IMAGES_MAX   2048
#define BLOG_IMAGES_COUNT 9
#define BLOG_IMAGE_LEN    255
#define BLOG_COMMENT_MAX  255
/* Largest accepted `current`: beyond it a page is certainly empty. */
#define BLOG_PAGE_MAX 100000

/* ---- pure rules (blog.c), unit-tested ---- */

/* 1 when images is "" or a comma-joined list of at most BLOG_IMAGES_COUNT
 * paths, each starting with /imgs/blogs/, made only of [A-Za-z0-9._/-],
 * without "..", "//" or an empty entry, each at most BLOG_IMAGE_LEN. */
int blog_images_valid(const char *images);

/* Text as stored: HTML-escaped (core str_html_escape), then, when br is set,
 * each line break (CRLF, LF or CR) becomes "<br/>". Arena string. */
char *blog_text_store(struct arena *a, const char *s, int br);

/* 1 when s is empty or only ASCII white space. */
int blog_blank(const char *s);

/* The entries of the comma-joined list csv as an arena array; returns
 * the count (0 for ""). */
unsigned blog_split_csv(struct arena *a, const char *csv, const char ***out);

#endif
