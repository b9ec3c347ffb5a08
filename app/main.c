/*
 * main.c: wires a worker: config -> log -> randomness -> route tables ->
 * accept loop. spawn-fcgi passes the listening socket as fd 0 and
 * multiwatch runs N copies and restarts any that die. The only file that
 * knows every feature.
 */
#include "admin/admin.h"
#include "blog/blog.h"
#include "core/cfg.h"
#include "core/fcgi.h"
#include "core/log.h"
#include "core/util.h"
#include "feed/feed.h"
#include "follow/follow.h"
#include "message/message.h"
#include "shop/shop.h"
#include "store/rds.h"
#include "store/sql.h"
#include "upload/upload.h"
#include "user/user.h"
#include "voucher/voucher.h"

#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

static const struct route *const main_tables[] = {
    user_routes, blog_routes,    upload_routes, follow_routes,  feed_routes,
    shop_routes, voucher_routes, admin_routes,  message_routes, NULL,
};

static void
main_begin(void)
{
    rds_request_begin();
    sql_request_begin();
}

static void
main_finish(struct req *rq)
{
    rds_request_end(&rq->cx);
    sql_request_end();
}

int
main(void)
{
    if (cfg_load() < 0) {
        log_error("invalid configuration; refusing to start");
        return 2;
    }
    if (g_cfg.log_file[0] && log_open_file(g_cfg.log_file) < 0)
        log_warn("cannot open log file %s; logging to stderr", g_cfg.log_file);
    if (rand_init() < 0) {
        log_error("libsodium initialisation failed");
        return 2;
    }
    /* doubles as %.15g: 120.149192, not 120.14919199999999 */
    json_c_set_serialization_double_format("%.15g", JSON_C_OPTION_GLOBAL);
    signal(SIGCHLD, SIG_IGN); /* sms hook children reap themselves */

    static const struct fcgi_hooks hooks = {main_begin, user_authenticate,
                                            main_finish};
    int rc = fcgi_serve(main_tables, &hooks);
    rds_close();
    sql_close();
    cfg_free();
    return rc == 0 ? 0 : 1;
}
