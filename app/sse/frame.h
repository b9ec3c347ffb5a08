/*
 * frame.h: what the SSE gateway writes, as pure functions into a growable
 * byte buffer: the stream's response head, one event per stream entry
 * (the shape of MESSAGES.md §2), comments and
 * the JSON-envelope error responses. Unit-tested without sockets.
 */
#ifndef HMDP_SSE_FRAME_H
#define HMDP_SSE_FRAME_H

#include <stddef.h>

/* A malloc'd byte buffer; zero-initialise it. Growth aborts on OOM. */
struct sse_buf {
    char *p;
    size_t n;
    size_t cap;
};

void sse_buf_add(struct sse_buf *b, const char *s, size_t n);
void sse_buf_adds(struct sse_buf *b, const char *s);
/* Frees the storage and zeroes b. */
void sse_buf_free(struct sse_buf *b);

/* The 200 head of an event stream plus the first "retry: 3000" block. */
void sse_frame_open(struct sse_buf *b);

/* Appends the event of stream entry id (idn bytes) with the entry's
 * fields m (the message JSON object without its id) and u (the sender
 * JSON object; NULL or empty: omitted, as for system messages):
 *   id: <id>\nevent: message\ndata: {"user":u,"message":{"id":"<id>",...}}
 * Line breaks inside m and u (JSON whitespace only, since JSON strings
 * cannot hold raw ones) become spaces, so data stays one line. Returns 0,
 * or -1 (b unchanged) when m is not a "{...}" object text. */
int sse_frame_event(struct sse_buf *b, const char *id, size_t idn,
                    const char *m, size_t mn, const char *u, size_t un);

/* "event: reset" with data {"reason":"gap"}. */
void sse_frame_reset(struct sse_buf *b);

/* A complete HTTP/1.1 error response with the JSON envelope
 * {"success":false,"errorMsg":msg} (msg is JSON-safe text: a constant)
 * and Connection: close. */
void sse_frame_error(struct sse_buf *b, int status, const char *msg);

#endif
