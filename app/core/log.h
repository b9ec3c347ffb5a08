/*
 * log.h: one JSON object per line on stderr (which cfg may point at a
 * file): {"time","level","pid","rid"?,"msg"} for events, and one request
 * line per request (log_request). Tokens, login codes and passwords are
 * never passed here.
 */
#ifndef HMDP_LOG_H
#define HMDP_LOG_H

#include <stddef.h>
#include <stdint.h>

void log_msg(const char *level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define log_info(...)  log_msg("info", __VA_ARGS__)
#define log_warn(...)  log_msg("warn", __VA_ARGS__)
#define log_error(...) log_msg("error", __VA_ARGS__)

/* What the request line says. Strings are borrowed for the call. */
struct log_req {
    const char *method;
    const char *route; /* the matched pattern ("/shop/{id}") */
    const char *path;  /* the path as routed (decoded, no query: a query
                        * may carry a token) */
    int status;
    int64_t latency_us;
    int64_t uid;       /* 0 = anonymous */
    size_t bytes;      /* response bytes handed to nginx, head included */
    const char *error; /* the detail of a 5xx (NULL = none) */
};

/* {"event":"request",...}: buffered until log_flush() (the worker calls it
 * before it waits for the next request) or until the buffer fills. */
void log_request(const struct log_req *r);
void log_flush(void);

/* Every line from now on carries "rid": rid (NULL = none). rid must stay
 * valid until the next call. */
void log_set_rid(const char *rid);

/* Reopens stderr onto path (append) and remembers path for
 * log_reopen_on. Returns 0, or -1 with errno set. */
int log_open_file(const char *path);
/* Remembers the file stderr already points at (when it is a regular
 * file), for log_reopen_on. Returns 0, or -1 when it is not a file. */
int log_adopt_stderr(void);
/* From now on, signal sig makes the process reopen its log file (the path
 * of log_open_file) before its next line or flush, or at
 * log_reopen_check(). */
void log_reopen_on(int sig);
void log_reopen_check(void);

#endif
