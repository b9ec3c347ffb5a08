/*
 * cfg.h: process configuration, read once at startup from conf/hmdp.conf
 * (path from $HMDP_CONF) with $HMDP_<KEY> environment overrides.
 * The one struct is global and read-only after cfg_load().
 */
#ifndef HMDP_CFG_H
#define HMDP_CFG_H

#include <stddef.h>

struct cfg {
    char *redis_host;
    int redis_port;
    char *redis_socket; /* "" = TCP */
    char *mysql_host;
    int mysql_port;
    char *mysql_socket; /* "" = TCP */
    char *mysql_user;
    char *mysql_password;
    char *mysql_db;
    char *upload_dir;
    char *admin_token_file;
    char *admin_token; /* read from admin_token_file; "" = admin disabled */
    int dev_mode;      /* mode = dev: codes are logged */
    char *sms_hook;    /* "" = none */
    long body_limit;
    long upload_limit;
    int page_size;
    long feed_push_threshold;
    long feed_cap;
    char *log_file;
    char *sse_addr;
    int sse_ping_ms;       /* ": ping" to every SSE stream this often */
    long sse_buffer_limit; /* unsent bytes per SSE client before a drop */
    int workers;
    char *fcgi_keepalive; /* nginx side only (conf/stack.sh) */
    /* the message layer (app/message/) */
    char *message_spool_dir;  /* the producers' fsync'd spool files */
    char *session_cache_file; /* the workers' shared session cache */
    int message_notify;       /* 0: likes, comments, follows send none */
    long chat_high_water;     /* unsynced stream.chat entries: refuse above */
    int chat_rate;            /* chat messages per sender per second */
    int chat_sync_batch;      /* rows per chat-sync transaction (at most) */
    char *metrics_file;       /* shared counters (core/metrics.h); "" = off */
    /* components GET /health expects a live heartbeat from ("voucher
     * credits sse"), separated by spaces or commas; "" = none */
    char *health_expect;
    char *metrics_allow; /* nginx side only (conf/stack.sh) */

    /* stream consumers (app/stream/consumer.c) */
    long stream_block_ms;         /* longest XREADGROUP BLOCK */
    long stream_batch;            /* entries per read / handler call */
    long stream_claim_idle_ms;    /* take over entries idle this long */
    long stream_max_deliveries;   /* then the entry goes to <stream>:dlq */
    long stream_retry_base_ms;    /* first back-off of a retried entry */
    long stream_trim_interval_ms; /* periodic trim pass */
    /* retention rules: "retention.<stream> = v" lines of the file, in
     * order, then the "pattern=v;pattern=v" pairs of stream_retention
     * (the environment's way in); parsed by stream/ */
    char *stream_retention;
    int voucher_consumers, credits_consumers; /* conf/stack.sh */
    size_t nretention;
    char **retention_keys, **retention_vals;
};

extern struct cfg g_cfg;

/* Loads defaults, then the file, then the environment. Returns 0 or -1
 * after logging why (unreadable file given explicitly, bad number). */
int cfg_load(void);
void cfg_free(void);

/* Pure helper, unit-tested: parses one "key = value" line into key/val
 * (pointers into line, which is modified). Returns 1 for a pair, 0 for a
 * blank or comment line, -1 for a malformed line. */
int cfg_parse_line(char *line, char **key, char **val);

#endif
