/*
 * cfg.c: defaults < conf file < environment. Unknown keys in the file are
 * reported and ignored so an older binary can run with a newer file.
 */
#include "cfg.h"

#include "log.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cfg g_cfg;

enum cfg_kind { CFG_STR, CFG_INT, CFG_LONG, CFG_MODE };

struct cfg_key {
    const char *name;
    enum cfg_kind kind;
    void *dst;
    const char *def;
};

static const struct cfg_key cfg_keys[] = {
    {"redis_host", CFG_STR, &g_cfg.redis_host, "127.0.0.1"},
    {"redis_port", CFG_INT, &g_cfg.redis_port, "6379"},
    {"redis_socket", CFG_STR, &g_cfg.redis_socket, ""},
    {"mysql_host", CFG_STR, &g_cfg.mysql_host, "127.0.0.1"},
    {"mysql_port", CFG_INT, &g_cfg.mysql_port, "3306"},
    {"mysql_socket", CFG_STR, &g_cfg.mysql_socket, ""},
    {"mysql_user", CFG_STR, &g_cfg.mysql_user, "root"},
    {"mysql_password", CFG_STR, &g_cfg.mysql_password, ""},
    {"mysql_db", CFG_STR, &g_cfg.mysql_db, "hmdp"},
    {"upload_dir", CFG_STR, &g_cfg.upload_dir, "run/imgs"},
    {"admin_token_file", CFG_STR, &g_cfg.admin_token_file, "run/admin_token"},
    {"mode", CFG_MODE, &g_cfg.dev_mode, "dev"},
    {"sms_hook", CFG_STR, &g_cfg.sms_hook, ""},
    {"body_limit", CFG_LONG, &g_cfg.body_limit, "65536"},
    {"upload_limit", CFG_LONG, &g_cfg.upload_limit, "10485760"},
    {"page_size", CFG_INT, &g_cfg.page_size, "10"},
    {"feed_push_threshold", CFG_LONG, &g_cfg.feed_push_threshold, "5000"},
    {"feed_cap", CFG_LONG, &g_cfg.feed_cap, "1000"},
    {"log_file", CFG_STR, &g_cfg.log_file, ""},
    {"sse_addr", CFG_STR, &g_cfg.sse_addr, "127.0.0.1:8084"},
    {"sse_ping_ms", CFG_INT, &g_cfg.sse_ping_ms, "14000"},
    {"sse_buffer_limit", CFG_LONG, &g_cfg.sse_buffer_limit, "262144"},
    {"workers", CFG_INT, &g_cfg.workers, "4"}, /* read by conf/stack.sh */
    {"fcgi_keepalive", CFG_STR, &g_cfg.fcgi_keepalive, "on"}, /* stack.sh */
    {"message_spool_dir", CFG_STR, &g_cfg.message_spool_dir, "run/spool"},
    {"session_cache_file", CFG_STR, &g_cfg.session_cache_file,
     "run/session.cache"},
    {"message_notify", CFG_INT, &g_cfg.message_notify, "1"},
    {"chat_high_water", CFG_LONG, &g_cfg.chat_high_water, "100000"},
    {"chat_rate", CFG_INT, &g_cfg.chat_rate, "10"},
    {"chat_sync_batch", CFG_INT, &g_cfg.chat_sync_batch, "1000"},
    {"metrics_file", CFG_STR, &g_cfg.metrics_file, ""},
    {"health_expect", CFG_STR, &g_cfg.health_expect, ""},
    {"metrics_allow", CFG_STR, &g_cfg.metrics_allow, ""}, /* stack.sh */
    {"stream_block_ms", CFG_LONG, &g_cfg.stream_block_ms, "2000"},
    {"stream_batch", CFG_LONG, &g_cfg.stream_batch, "100"},
    {"stream_claim_idle_ms", CFG_LONG, &g_cfg.stream_claim_idle_ms, "10000"},
    {"stream_max_deliveries", CFG_LONG, &g_cfg.stream_max_deliveries, "5"},
    {"stream_retry_base_ms", CFG_LONG, &g_cfg.stream_retry_base_ms, "200"},
    {"stream_trim_interval_ms", CFG_LONG, &g_cfg.stream_trim_interval_ms,
     "60000"},
    {"stream_retention", CFG_STR, &g_cfg.stream_retention, ""},
    /* instances of each consumer process, read by conf/stack.sh */
    {"voucher_consumers", CFG_INT, &g_cfg.voucher_consumers, "1"},
    {"credits_consumers", CFG_INT, &g_cfg.credits_consumers, "1"},
};

#define CFG_NKEYS (sizeof(cfg_keys) / sizeof(cfg_keys[0]))

static int
cfg_set(const struct cfg_key *k, const char *val)
{
    char *end;
    long v;
    switch (k->kind) {
    case CFG_STR:
        free(*(char **)k->dst);
        *(char **)k->dst = strdup(val);
        if (*(char **)k->dst == NULL)
            abort();
        return 0;
    case CFG_INT:
    case CFG_LONG:
        errno = 0;
        v = strtol(val, &end, 10);
        if (errno || end == val || *end || v < 0 ||
            (k->kind == CFG_INT && v > 1000000000L)) {
            log_error("config: %s = '%s' is not a valid number", k->name, val);
            return -1;
        }
        if (k->kind == CFG_INT)
            *(int *)k->dst = (int)v;
        else
            *(long *)k->dst = v;
        return 0;
    case CFG_MODE:
        if (strcmp(val, "dev") && strcmp(val, "prod")) {
            log_error("config: mode must be dev or prod, not '%s'", val);
            return -1;
        }
        *(int *)k->dst = strcmp(val, "dev") == 0;
        return 0;
    }
    return -1;
}

int
cfg_parse_line(char *line, char **key, char **val)
{
    char *p = line;
    while (isspace((unsigned char)*p))
        p++;
    if (*p == '\0' || *p == '#')
        return 0;
    char *eq = strchr(p, '=');
    if (eq == NULL)
        return -1;
    char *ke = eq;
    while (ke > p && isspace((unsigned char)ke[-1]))
        ke--;
    if (ke == p)
        return -1;
    *ke = '\0';
    char *v = eq + 1;
    while (isspace((unsigned char)*v))
        v++;
    char *ve = v + strlen(v);
    while (ve > v && isspace((unsigned char)ve[-1]))
        ve--;
    *ve = '\0';
    *key = p;
    *val = v;
    return 1;
}

static const struct cfg_key *
cfg_find(const char *name)
{
    for (size_t i = 0; i < CFG_NKEYS; i++)
        if (strcmp(cfg_keys[i].name, name) == 0)
            return &cfg_keys[i];
    return NULL;
}

static char *
cfg_strdup(const char *s)
{
    char *d = strdup(s);
    if (d == NULL)
        abort();
    return d;
}

static void
cfg_add_retention(const char *key, const char *val)
{
    size_t n = g_cfg.nretention + 1;
    g_cfg.retention_keys = realloc(g_cfg.retention_keys, n * sizeof(char *));
    g_cfg.retention_vals = realloc(g_cfg.retention_vals, n * sizeof(char *));
    if (g_cfg.retention_keys == NULL || g_cfg.retention_vals == NULL)
        abort();
    g_cfg.retention_keys[n - 1] = cfg_strdup(key);
    g_cfg.retention_vals[n - 1] = cfg_strdup(val);
    g_cfg.nretention = n;
}

static void
cfg_free_retention(void)
{
    for (size_t i = 0; i < g_cfg.nretention; i++) {
        free(g_cfg.retention_keys[i]);
        free(g_cfg.retention_vals[i]);
    }
    free(g_cfg.retention_keys);
    free(g_cfg.retention_vals);
    g_cfg.retention_keys = g_cfg.retention_vals = NULL;
    g_cfg.nretention = 0;
}

/* stream_retention = "pattern=value;pattern=value" */
static int
cfg_split_retention(const char *s)
{
    char *copy = cfg_strdup(s), *save = NULL;
    int rc = 0;
    for (char *t = strtok_r(copy, ";", &save); t;
         t = strtok_r(NULL, ";", &save)) {
        char *eq = strchr(t, '=');
        while (*t == ' ')
            t++;
        if (eq == NULL || eq == t) {
            log_error("config: stream_retention: '%s' is not pattern=value", t);
            rc = -1;
            continue;
        }
        *eq = '\0';
        cfg_add_retention(t, eq + 1);
    }
    free(copy);
    return rc;
}

static int
cfg_read_file(const char *path, int must_exist)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        if (must_exist) {
            log_error("config: cannot open %s: %s", path, strerror(errno));
            return -1;
        }
        return 0;
    }
    char line[1024];
    int lineno = 0, rc = 0;
    while (fgets(line, sizeof(line), f)) {
        char *k, *v;
        lineno++;
        line[strcspn(line, "\r\n")] = '\0';
        int r = cfg_parse_line(line, &k, &v);
        if (r < 0) {
            log_error("config: %s:%d: expected key = value", path, lineno);
            rc = -1;
            continue;
        }
        if (r == 0)
            continue;
        if (strncmp(k, "retention.", 10) == 0 && k[10]) {
            cfg_add_retention(k + 10, v);
            continue;
        }
        const struct cfg_key *ck = cfg_find(k);
        if (ck == NULL) {
            log_warn("config: %s:%d: unknown key '%s' ignored", path, lineno,
                     k);
            continue;
        }
        if (cfg_set(ck, v) < 0)
            rc = -1;
    }
    fclose(f);
    return rc;
}

static void
cfg_read_admin_token(void)
{
    g_cfg.admin_token = strdup("");
    if (g_cfg.admin_token == NULL)
        abort();
    if (g_cfg.admin_token_file[0] == '\0')
        return;
    FILE *f = fopen(g_cfg.admin_token_file, "r");
    if (f == NULL) {
        log_warn("config: admin token file %s unreadable: admin routes "
                 "disabled",
                 g_cfg.admin_token_file);
        return;
    }
    char buf[256];
    if (fgets(buf, sizeof(buf), f)) {
        buf[strcspn(buf, "\r\n \t")] = '\0';
        free(g_cfg.admin_token);
        g_cfg.admin_token = strdup(buf);
        if (g_cfg.admin_token == NULL)
            abort();
    }
    fclose(f);
    if (strlen(g_cfg.admin_token) < 16) {
        log_warn("config: admin token shorter than 16 characters: admin "
                 "routes disabled");
        g_cfg.admin_token[0] = '\0';
    }
}

int
cfg_load(void)
{
    int rc = 0;
    cfg_free_retention();
    for (size_t i = 0; i < CFG_NKEYS; i++)
        if (cfg_set(&cfg_keys[i], cfg_keys[i].def) < 0)
            rc = -1;
    const char *path = getenv("HMDP_CONF");
    if (cfg_read_file(path ? path : "conf/hmdp.conf", path != NULL) < 0)
        rc = -1;
    for (size_t i = 0; i < CFG_NKEYS; i++) {
        char env[64] = "HMDP_";
        size_t j = 5;
        for (const char *s = cfg_keys[i].name; *s && j < sizeof(env) - 1; s++)
            env[j++] = (char)toupper((unsigned char)*s);
        env[j] = '\0';
        const char *v = getenv(env);
        if (v && cfg_set(&cfg_keys[i], v) < 0)
            rc = -1;
    }
    if (g_cfg.page_size < 1 || g_cfg.page_size > 100) {
        log_error("config: page_size must be 1..100");
        rc = -1;
    }
    if (g_cfg.chat_sync_batch < 1 || g_cfg.chat_sync_batch > 10000) {
        log_error("config: chat_sync_batch must be 1..10000");
        rc = -1;
    }
    if (g_cfg.stream_retention[0] &&
        cfg_split_retention(g_cfg.stream_retention) < 0)
        rc = -1;
    if (g_cfg.stream_batch < 1 || g_cfg.stream_batch > 10000 ||
        g_cfg.stream_max_deliveries < 1 || g_cfg.stream_block_ms < 1) {
        log_error("config: stream_batch must be 1..10000, "
                  "stream_max_deliveries and stream_block_ms at least 1");
        rc = -1;
    }
    if (g_cfg.sse_ping_ms < 100 || g_cfg.sse_ping_ms > 15000) {
        log_error("config: sse_ping_ms must be 100..15000");
        rc = -1;
    }
    if (g_cfg.sse_buffer_limit < 4096) {
        log_error("config: sse_buffer_limit must be at least 4096");
        rc = -1;
    }
    cfg_read_admin_token();
    return rc;
}

void
cfg_free(void)
{
    for (size_t i = 0; i < CFG_NKEYS; i++)
        if (cfg_keys[i].kind == CFG_STR) {
            free(*(char **)cfg_keys[i].dst);
            *(char **)cfg_keys[i].dst = NULL;
        }
    free(g_cfg.admin_token);
    g_cfg.admin_token = NULL;
    cfg_free_retention();
}
