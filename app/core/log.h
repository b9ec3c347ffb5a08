/*
 * log.h: one line per event on stderr (which cfg may point at a file).
 */
#ifndef HMDP_LOG_H
#define HMDP_LOG_H

void log_msg(const char *level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define log_info(...)  log_msg("info", __VA_ARGS__)
#define log_warn(...)  log_msg("warn", __VA_ARGS__)
#define log_error(...) log_msg("error", __VA_ARGS__)

/* One line per request, buffered until log_flush() (the worker calls it
 * before it waits for the next request) or until the buffer fills. */
void log_request(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_flush(void);

/* Reopens stderr onto path (append). Returns 0, or -1 with errno set. */
int log_open_file(const char *path);

#endif
