/*
 * credits_data.c: the SQL of the credits consumer (see credits.h).
 * Idempotence is the tb_credit_log primary key, inserted in the same
 * transaction as the credits: a replayed order (crash between COMMIT and
 * XACK, a take-over, a DLQ requeue) finds its row and adds nothing.
 */
#include "credits.h"

#include "../store/sql.h"

#include <errno.h>
#include <stdlib.h>

int
credits_parse_id(const char *s, int64_t *out)
{
    if (s == NULL || *s < '1' || *s > '9')
        return -1;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end || v <= 0)
        return -1;
    *out = v;
    return 0;
}

res_t
credits_grant(struct ctx *cx, const struct credits_order *o, size_t n,
              size_t *granted)
{
    size_t g = 0;
    res_t rc = sql_begin(cx);
    if (rc != RES_OK)
        return rc;
    for (size_t i = 0; i < n; i++) {
        int dup = 0;
        rc = sql_exec_dup(cx, NULL, &dup,
                          "INSERT INTO tb_credit_log (order_id, user_id, "
                          "credits) VALUES (?, ?, ?)",
                          "lll", o[i].order_id, o[i].user_id,
                          (int64_t)CREDITS_PER_ORDER);
        if (rc != RES_OK)
            goto rollback;
        if (dup)
            continue; /* granted before */
        rc = sql_exec(cx, NULL,
                      "INSERT INTO tb_user_info (user_id, credits) VALUES "
                      "(?, ?) ON DUPLICATE KEY UPDATE credits = credits + "
                      "VALUES(credits)",
                      "ll", o[i].user_id, (int64_t)CREDITS_PER_ORDER);
        if (rc != RES_OK)
            goto rollback;
        g++;
    }
    if ((rc = sql_commit(cx)) != RES_OK)
        return rc;
    if (granted)
        *granted = g;
    return RES_OK;

rollback:
    sql_rollback(cx);
    return rc;
}
