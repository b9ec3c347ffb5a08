/*
 * http_parse.h: the pure half of the SSE gateway. A resumable parser for
 * an HTTP/1.x request head, query-string lookup, stream entry ids
 * ("<ms>-<seq>") and the token's shape. No I/O and no allocation: the
 * parser copies what the gateway needs into its own fixed-size struct, so
 * it can be fed one byte at a time (tests/unit/test_sse_parse.c) and
 * fuzzed (tests/fuzz/fuzz_sse_http.c).
 */
#ifndef HMDP_SSE_HTTP_PARSE_H
#define HMDP_SSE_HTTP_PARSE_H

#include <stddef.h>
#include <stdint.h>

/* Longest request target kept, longest kept header value, longest head. */
#define SSE_HTTP_TARGET_MAX 4096
#define SSE_HTTP_VALUE_MAX  128
#define SSE_HTTP_HEAD_MAX   16384

enum sse_http_rc {
    SSE_HTTP_MORE = 0, /* head not complete: feed more bytes */
    SSE_HTTP_DONE,     /* head complete (at the blank line) */
    SSE_HTTP_BAD,      /* not an HTTP/1.x request head: answer 400 */
    SSE_HTTP_TOO_LONG  /* target or head over its limit: answer 400 */
};

/* The two headers the gateway reads. A value longer than
 * SSE_HTTP_VALUE_MAX is marked too_long and its text dropped. */
struct sse_http_value {
    char s[SSE_HTTP_VALUE_MAX + 1]; /* NUL-terminated, trailing space cut */
    size_t n;
    int seen;
    int too_long;
};

/* Parser state and result; sse_http_init() before the first feed. All
 * fields are valid once sse_http_feed() returned SSE_HTTP_DONE. */
struct sse_http {
    int state;
    size_t total; /* bytes consumed so far */
    char method[16];
    size_t method_n;
    char target[SSE_HTTP_TARGET_MAX + 1]; /* path and query, NUL-terminated */
    size_t target_n;
    char version[9]; /* "HTTP/1.1" */
    size_t version_n;
    char name[24]; /* current header name, lower case, may be cut */
    size_t name_n;
    struct sse_http_value *cur; /* value being read, NULL: ignored */
    struct sse_http_value authorization;
    struct sse_http_value last_event_id;
};

void sse_http_init(struct sse_http *h);

/* Consumes bytes of buf[0..n) up to and including the end of the head.
 * Returns MORE (all n used), DONE (*used = bytes up to the head's end;
 * anything after it is not part of the head), BAD or TOO_LONG (the
 * parser is then stuck in that result). */
enum sse_http_rc sse_http_feed(struct sse_http *h, const char *buf, size_t n,
                               size_t *used);

/* The path of a target: its length up to '?' (or all of it). */
size_t sse_http_path_len(const char *target);

/* Looks up name in the query of target (after '?'), percent-decoding the
 * value ('+' is a space) into out (outn bytes, NUL-terminated). Returns
 * 1 found, 0 absent, -1 present but undecodable or longer than outn-1. */
int sse_http_query(const char *target, const char *name, char *out,
                   size_t outn);

/* A stream entry id. */
struct sse_id {
    uint64_t ms;
    uint64_t seq;
};

/* Parses exactly "<ms>-<seq>" (decimal digits, each part fitting in 64
 * bits) from s[0..n). Returns 0 and fills *id, or -1. */
int sse_id_parse(const char *s, size_t n, struct sse_id *id);
/* -1, 0, 1 as a is before, equal to or after b. */
int sse_id_cmp(const struct sse_id *a, const struct sse_id *b);
/* Writes "<ms>-<seq>" and a NUL into buf (>= SSE_ID_BUF); returns length. */
#define SSE_ID_BUF 44
size_t sse_id_fmt(const struct sse_id *id, char *buf);

/* 1 when t has the shape of a login token (32 lowercase hex digits, as
 * user/login issues them), else 0: anything else is 401 without a
 * Redis round trip. */
int sse_token_shape_ok(const char *t);

#endif
