/*
 * main.c: wires a worker: config -> log -> randomness -> accept loop over
 * the route tables of app/wire.c. spawn-fcgi passes the listening socket
 * as fd 0 and multiwatch runs N copies and restarts any that die.
 */
#include "core/cfg.h"
#include "core/fcgi.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/util.h"
#include "store/rds.h"
#include "store/sql.h"
#include "wire.h"

#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

int
main(void)
{
    if (cfg_load() < 0) {
        log_error("invalid configuration; refusing to start");
        return 2;
    }
    if (g_cfg.log_file[0] && log_open_file(g_cfg.log_file) < 0)
        log_warn("cannot open log file %s; logging to stderr", g_cfg.log_file);
    log_reopen_on(SIGUSR2); /* logrotate: conf/logrotate.conf.in */
    if (g_cfg.metrics_file[0])
        metrics_open(g_cfg.metrics_file, MET_KIND_WORKER, "worker",
                     wire_all_tables);
    if (util_rand_init() < 0) {
        log_error("libsodium initialisation failed");
        return 2;
    }
    /* doubles as %.15g: 120.149192, not 120.14919199999999 */
    json_c_set_serialization_double_format("%.15g", JSON_C_OPTION_GLOBAL);
    signal(SIGCHLD, SIG_IGN); /* sms hook children reap themselves */

    wire_events();
    int rc = fcgi_serve(wire_tables, &wire_hooks);
    rds_close();
    sql_close();
    cfg_free();
    return rc == 0 ? 0 : 1;
}
