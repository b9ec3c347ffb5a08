/*
 * rds.h: the worker's one Redis connection. It opens lazily, and after any
 * I/O error it is dropped and reopened by the next call, so a Redis restart
 * costs the requests made while it is down (503) and nothing else.
 *
 * Every call takes the context of the unit of work (core/ctx.h: an HTTP
 * request's rq->cx, or a job's, store/job.h) and describes its failures
 * on it. Replies returned through `out` are owned by that unit: their
 * freeReplyObject is deferred on cx's arena. Pass user data as %s/%b
 * arguments, never inside the format string.
 */
#ifndef HMDP_RDS_H
#define HMDP_RDS_H

#include "../core/ctx.h"

#include <hiredis/hiredis.h>
#include <stddef.h>

/* Runs one command. RES_DEP_DOWN when Redis is unreachable; RES_INTERNAL
 * for an error reply (logged). out may be NULL. */
res_t rds_cmd(struct ctx *cx, redisReply **out, const char *fmt, ...);
res_t rds_cmdv(struct ctx *cx, redisReply **out, int argc, const char **argv,
               const size_t *argvlen);

/* Pipelining: queue commands with rds_append, then collect each reply in
 * order with rds_reply. An error reply is a failure rds_reply describes
 * (RES_INTERNAL, logged), with *out still set, so later replies stay in
 * step. */
res_t rds_append(struct ctx *cx, const char *fmt, ...);
res_t rds_appendv(struct ctx *cx, int argc, const char **argv,
                  const size_t *argvlen);
res_t rds_reply(struct ctx *cx, redisReply **out);
/* Writes what is queued (rds_append, rds_fire) to the socket now, without
 * waiting for a reply: the server works on a pipeline while the caller
 * does something else, and rds_reply collects it later (in the same
 * request or job). */
res_t rds_send(struct ctx *cx);

/* Queues a command whose reply nobody waits for; it travels with the next
 * command (or is collected by rds_request_end). Errors are only logged. */
void rds_fire(struct ctx *cx, const char *fmt, ...);
/* rds_fire with argv (argvlen NULL: strlen of each). Cheaper than the
 * format string on hot paths: hiredis builds a format-string command
 * piece by piece, an argv one in a single allocation. */
void rds_firev(struct ctx *cx, int argc, const char **argv,
               const size_t *argvlen);

/* A Lua script loaded once per connection and run with EVALSHA (falling
 * back to EVAL on NOSCRIPT). Define as static const with the source. */
struct rds_script {
    const char *name;
    const char *src;
};
/* keys and args are NUL-terminated strings. */
res_t rds_eval(struct ctx *cx, const struct rds_script *s, redisReply **out,
               int nkeys, const char *const *keys, int nargs,
               const char *const *args);
/* Fires s (rds_fire: nobody waits for the reply, a failure is only
 * logged). Sent as EVAL with the source, so a server that lost its
 * script cache runs it all the same. */
void rds_eval_fire(struct ctx *cx, const struct rds_script *s, int nkeys,
                   const char *const *keys, int nargs, const char *const *args);

/* Sends the fired commands now, without waiting for their replies (read
 * with the next command, as always). For a request whose answer must not
 * overtake what it fired (a cache invalidation the client's next read
 * must see): call it before replying. A failed write drops the
 * connection (logged); the fired commands are then lost, as fired
 * commands may be. */
void rds_flush(struct ctx *cx);

/* After each request or job: sends fired commands (their replies are read
 * later) and drops a connection left mid-pipeline. */
void rds_request_end(struct ctx *cx);
/* Before each request or job: its first command will first check
 * that the server has not closed the connection, so a restarted Redis
 * costs no request. */
void rds_request_begin(void);

/* Socket read/write timeout of the connection (default 2000 ms), applied
 * now and on every reconnect. A process that issues blocking commands
 * (XREADGROUP BLOCK) sets it above the longest block. */
void rds_set_io_timeout(int ms);

/* Closes the connection (tests; orderly shutdown). */
void rds_close(void);

/* A script pipelined with other commands: rds_eval_append in the
 * pipeline and rds_eval_reply in its turn among the rds_reply calls. A
 * script this connection has not loaded yet is loaded by rds_eval_append
 * when no pipeline is open (a round trip of its own: rds_script_ready
 * does it ahead), and otherwise sent as EVAL with its source and loaded
 * by rds_request_end, after the reply. q carries the command to rerun
 * with EVAL should the server answer NOSCRIPT. */
struct rds_eval_q {
    const struct rds_script *s;
    const char **argv;
    int argc;
};
res_t rds_script_ready(struct ctx *cx, const struct rds_script *s);
res_t rds_eval_append(struct ctx *cx, struct rds_eval_q *q,
                      const struct rds_script *s, int nkeys,
                      const char *const *keys, int nargs,
                      const char *const *args);
res_t rds_eval_reply(struct ctx *cx, struct rds_eval_q *q, redisReply **out);

/* Reply helpers: integer value of an INTEGER or numeric STRING reply,
 * 0 otherwise; string of a STRING/STATUS reply as an arena copy. */
long long rds_int(const redisReply *r);
const char *rds_str(struct ctx *cx, const redisReply *r);

#endif
