/*
 * health.c: heartbeats and store pings (see health.h). A beat is three
 * fired commands: ZADD the member, sweep members older than HB_KEEP_MS
 * (processes that died), and PEXPIRE the key so a component that is gone
 * for good leaves nothing behind.
 */
#include "health.h"

#include "../core/util.h"
#include "keys.h"
#include "rds.h"
#include "sql.h"

#include <stdio.h>
#include <unistd.h>

void
health_beat(struct ctx *cx, const char *component)
{
    /* the last beat of each component this process beats for (a
     * process may beat for its group and for its program) */
    static struct {
        const char *component;
        int64_t last;
    } beats[4];
    static char member[96];
    int64_t now = util_now_ms();
    size_t i = 0;
    while (i < 4 && beats[i].component && beats[i].component != component)
        i++;
    if (i == 4)
        i = 3; /* more than four: they share the last entry */
    if (beats[i].component == component && beats[i].last &&
        now - beats[i].last < HB_EVERY_MS)
        return;
    beats[i].component = component;
    beats[i].last = now;
    if (member[0] == '\0') {
        char host[64];
        if (gethostname(host, sizeof(host)) != 0)
            snprintf(host, sizeof(host), "localhost");
        host[sizeof(host) - 1] = '\0';
        snprintf(member, sizeof(member), "%s:%d", host, (int)getpid());
    }
    const char *key = key_heartbeat(cx->arena, component);
    char score[24], old[24], keep[24];
    snprintf(score, sizeof(score), "%lld", (long long)now);
    snprintf(old, sizeof(old), "%lld", (long long)(now - HB_KEEP_MS));
    snprintf(keep, sizeof(keep), "%d", HB_KEEP_MS);
    const char *zadd[] = {"ZADD", key, score, member};
    const char *sweep[] = {"ZREMRANGEBYSCORE", key, "-inf", old};
    const char *pexp[] = {"PEXPIRE", key, keep};
    rds_firev(cx, 4, zadd, NULL);
    rds_firev(cx, 4, sweep, NULL);
    rds_firev(cx, 3, pexp, NULL);
}

res_t
health_count(struct ctx *cx, const char *const *components, size_t n,
             long long *alive)
{
    char from[24];
    snprintf(from, sizeof(from), "%lld",
             (long long)(util_now_ms() - HB_WINDOW_MS));
    res_t rc;
    for (size_t i = 0; i < n; i++) {
        const char *argv[] = {"ZCOUNT", key_heartbeat(cx->arena, components[i]),
                              from, "+inf"};
        if ((rc = rds_appendv(cx, 4, argv, NULL)) != RES_OK)
            return rc;
    }
    for (size_t i = 0; i < n; i++) {
        redisReply *r;
        if ((rc = rds_reply(cx, &r)) != RES_OK)
            return rc;
        alive[i] = rds_int(r);
    }
    return RES_OK;
}

res_t
health_ping_redis(struct ctx *cx)
{
    return rds_cmd(cx, NULL, "PING");
}

res_t
health_ping_mysql(struct ctx *cx)
{
    struct sql_rows t;
    return sql_query(cx, &t, "SELECT 1", "");
}
