#!/usr/bin/env bash
# stack.sh: start, stop or inspect one private hmdp-c stack (MariaDB, Redis,
# the FastCGI worker pool, the optional SSE gateway and stream consumers,
# nginx), everything under one run directory and on loopback ports.
#
#   conf/stack.sh start  DIR
#   conf/stack.sh stop   DIR
#   conf/stack.sh status DIR
#   conf/stack.sh reopen DIR   (after logrotate moved the logs away:
#                               nginx, the workers and daemons reopen)
#
# Environment (inputs):
#   HMDP_BIN        directory of hmdp-worker, hmdp-sse, hmdp-*-consumer
#                   (default: build/rel under the repo root)
#   HMDP_PORT_BASE  nginx = BASE, fcgi = +1, redis = +2, mysql = +3,
#                   sse = +4, noop (benchmark responder) = +5 (default 8080;
#                   the arithmetic lives in set_ports only)
#   HMDP_WORKERS    FastCGI worker processes (default: workers in
#                   conf/hmdp.conf, else 8)
#   HMDP_MODE       dev or prod (default: mode in conf/hmdp.conf, else dev)
#   HMDP_HTML_DIR   static frontend root (default DIR/html, created with a
#                   placeholder index.html)
#   HMDP_SMS_HOOK   passed on to the workers (recorded in DIR/env)
#   HMDP_NGINX_WORKERS nginx worker processes (default 2). One worker
#                   halves the p99 of API requests at 256-1,024 connections
#                   on a 2-core box, but holds every SSE stream's two
#                   descriptors alone: at most (descriptor hard limit) / 2
#                   streams (tests/bench/RESULTS.md, "Session 6 (nginx
#                   workers)"; README, Configuration).
#   HMDP_FCGI_LISTEN unix (default: the pool on DIR/fcgi.sock) or tcp (on
#                   127.0.0.1:BASE+1; kept for benchmark comparisons). Either
#                   way the listen backlog is net.core.somaxconn: requests
#                   wait there, first in first out, while every worker is
#                   busy (tests/bench/RESULTS.md, "Session 3").
# start on a stack of which something still runs (a repair) takes every
# setting it is not given from DIR/env, so the pieces it brings back match
# the ones that kept running.
#
# Files in DIR: env (export lines for the app and tests), nginx.conf,
# redis.conf, admin_token, db/ (MariaDB data), redis/ (Redis AOF + RDB),
# imgs/ (uploads), bench/, html/, logs/*.log, *.pid, *.state (with
# .lock and .fifo, conf/respawn.sh's), mysql.sock, redis.sock,
# nginx-temp/. db/ and redis/ are kept across stop/start.
# Every step of start is idempotent: a service whose pid file names a live
# process is left alone, and one that is missing is started, so start
# repairs a partial stack. stop kills only what the pid files name, and is
# safe when nothing runs.
#
# Durability: Redis runs with appendonly yes + appendfsync always (a write
# is on disk before its reply is sent, so neither a clean stop nor kill -9
# loses an acknowledged write; Redis 7.0 has no WAITAOF) and RDB snapshots
# (save) beside it. To restart Redis by hand, or from a test, run
# `redis-server DIR/redis.conf`: the same files are loaded again.
#
# Process notes (found by testing, Debian bookworm packages):
#   * The worker pool and each daemon (hmdp-sse, hmdp-*-consumer) run under
#     their own multiwatch, which forks N children and restarts any that
#     dies. Left alone it gives up on a slot after its 4th death within
#     10 s ("died to often, not forking again") and restarts without delay,
#     so it runs with -r 1000000000 (never runs out) and each child is
#     conf/respawn.sh, which sleeps with a doubling back-off (up to 5 s)
#     while its slot keeps dying quickly and then execs the program in
#     place. multiwatch's children are thus the workers/daemons themselves
#     (or a shim waiting out its back-off); DIR/NAME.state, written by the
#     shims, says which slot is up or waiting to restart (status shows it).
#     multiwatch does not search PATH: it gets absolute program paths.
#   * spawn-fcgi without -n points the child's stdout/stderr at /dev/null,
#     which would hide sanitizer reports and crashes. So it runs with -n
#     under setsid, exec'ing multiwatch, and this script writes the pid
#     file: DIR/fcgi.pid is multiwatch's pid, its children the workers.
#   * On SIGTERM multiwatch sends its children SIGUSR1 (libfcgi treats that
#     as "finish and exit"; the daemons stop cleanly on it as on SIGTERM,
#     a shim in back-off just exits), does not respawn, and exits once they
#     are gone; a second SIGTERM (stop sends one after 5 s) is passed on as
#     SIGTERM. Its -s option is off by one in 1.0.0 (-s TERM sends
#     SIGQUIT), so it is not used.
#   * As root, nginx workers would run as nobody; see start_nginx.
set -euo pipefail

# mariadbd and nginx live in /usr/sbin, which a normal user's PATH lacks.
PATH=$PATH:/usr/local/sbin:/usr/sbin:/sbin
export PATH

REPO=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)
CONF=$REPO/conf/hmdp.conf

usage() {
    echo "usage: $0 start|stop|status|reopen DIR" >&2
    exit 2
}

die() {
    echo "stack.sh: error: $*" >&2
    exit 1
}

say() {
    echo "stack.sh: $*"
}

# ---------------------------------------------------------------- helpers

# conf_get KEY DEFAULT: the value of KEY in conf/hmdp.conf, else DEFAULT.
conf_get() {
    local v=""
    if [[ -r $CONF ]]; then
        v=$(sed -n "s/^[[:space:]]*$1[[:space:]]*=[[:space:]]*//p" "$CONF" |
            tail -n 1 | sed 's/[[:space:]]*$//')
    fi
    echo "${v:-$2}"
}

# port_open PORT: true if something accepts TCP connections on it.
port_open() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# wait_port PORT [SECONDS]: wait (bounded, default 30 s) until PORT accepts.
wait_port() {
    local port=$1 tenths=$((${2:-30} * 10)) i
    for ((i = 0; i < tenths; i++)); do
        if port_open "$port"; then
            return 0
        fi
        sleep 0.1
    done
    return 1
}

# pid_from FILE: print the pid stored in FILE, fail if there is none.
pid_from() {
    local p=""
    [[ -s $1 ]] || return 1
    read -r p <"$1" || true
    [[ $p =~ ^[0-9]+$ ]] || return 1
    echo "$p"
}

# alive PIDFILE PATTERN: true if the pid file names a live process whose
# command line contains PATTERN (guards against a recycled pid).
alive() {
    local p
    p=$(pid_from "$1") || return 1
    kill -0 "$p" 2>/dev/null || return 1
    if [[ -r /proc/$p/cmdline ]]; then
        tr '\0' ' ' <"/proc/$p/cmdline" | grep -qF -- "$2" || return 1
    fi
    return 0
}

# wait_gone PID SECONDS: wait until PID has exited.
wait_gone() {
    local pid=$1 tenths=$(($2 * 10)) i
    for ((i = 0; i < tenths; i++)); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    return 1
}

# need_free_port PORT NAME: fail unless PORT is free (our own process for
# NAME is known not to be running when this is called).
need_free_port() {
    if port_open "$1"; then
        die "port $1 for $2 is already in use by another process" \
            "(set HMDP_PORT_BASE)"
    fi
}

log_tail() {
    if [[ -s $1 ]]; then
        echo "--- last lines of $1:" >&2
        tail -n 15 "$1" >&2
    fi
}

# detach PIDFILE LOG CMD...: run CMD in its own session, stdin /dev/null,
# output appended to LOG, its pid (after exec) written to PIDFILE.
detach() {
    local pidfile=$1 logf=$2
    shift 2
    # shellcheck disable=SC2016 # $$ and $@ belong to the inner bash
    setsid bash -c 'echo $$ >"$0"; exec "$@"' "$pidfile" "$@" \
        </dev/null >>"$logf" 2>&1 &
}

mysql_cli() {
    mariadb --no-defaults -S "$DIR/mysql.sock" -uroot "$@"
}

# ---------------------------------------------------------------- settings

[[ $# -eq 2 ]] || usage
CMD=$1
case $CMD in start | stop | status | reopen) ;; *) usage ;; esac
[[ -n $2 ]] || usage
if [[ $CMD == start ]]; then
    mkdir -p -- "$2"
elif [[ ! -e $2 ]]; then
    say "$2 does not exist: nothing runs there"
    [[ $CMD == stop ]] && exit 0
    exit 1
fi
[[ -d $2 ]] || die "$2 is not a directory"
DIR=$(cd -- "$2" && pwd -P)

# env_get NAME: the value DIR/env (written by an earlier start) records
# for NAME, empty when none. The values were written with printf %q.
env_get() {
    local line v=""
    [[ -r $DIR/env ]] || return 0
    line=$(grep -m1 "^export $1=" "$DIR/env" 2>/dev/null) || return 0
    eval "v=${line#export "$1"=}"
    printf '%s' "$v"
}

# set_ports BASE: every port of the stack, from its base. The only place
# that knows the offsets (stop and status recompute them from DIR/env's
# HMDP_NGINX_PORT through here too).
set_ports() {
    NGINX_PORT=$1
    FCGI_PORT=$(($1 + 1))
    REDIS_PORT=$(($1 + 2))
    MYSQL_PORT=$(($1 + 3))
    SSE_PORT=$(($1 + 4))
    NOOP_PORT=$(($1 + 5))
}

# Settings of the stack that runs in DIR: stop and status always use them
# (so they need not be given the same HMDP_PORT_BASE); start uses them for
# what it is not told while any part of that stack is still up.
OLD_BASE=$(env_get HMDP_NGINX_PORT)
[[ $OLD_BASE =~ ^[0-9]+$ ]] || OLD_BASE=""
INHERIT=0
if [[ -n $OLD_BASE ]]; then
    if [[ $CMD != start ]]; then
        INHERIT=1
    else
        for f in mysqld redis fcgi nginx hmdp-sse hmdp-*-consumer; do
            for g in "$DIR"/$f.pid; do
                if [[ -s $g ]] && kill -0 "$(head -c 20 "$g" | tr -dc 0-9)" 2>/dev/null; then
                    INHERIT=1
                fi
            done
        done
    fi
fi
if ((INHERIT)); then
    if [[ $CMD == start && -n ${HMDP_PORT_BASE:-} && $HMDP_PORT_BASE != "$OLD_BASE" ]]; then
        die "the stack in $DIR runs with HMDP_PORT_BASE=$OLD_BASE; stop it first"
    fi
    HMDP_PORT_BASE=$OLD_BASE
    for v in HMDP_BIN HMDP_WORKERS HMDP_NGINX_WORKERS HMDP_MODE HMDP_FCGI_KEEPALIVE HMDP_FCGI_LISTEN HMDP_HTML_DIR HMDP_SMS_HOOK; do
        if [[ -z ${!v:-} ]]; then
            old=$(env_get "$v")
            [[ -n $old ]] && printf -v "$v" '%s' "$old"
        fi
    done
fi

BASE=${HMDP_PORT_BASE:-8080}
if ! [[ $BASE =~ ^[0-9]+$ ]] || ((BASE < 1024 || BASE > 65530)); then
    die "HMDP_PORT_BASE must be a number from 1024 to 65530"
fi
set_ports "$BASE"
FCGI_SOCK=$DIR/fcgi.sock
FCGI_BACKLOG=$(cat /proc/sys/net/core/somaxconn 2>/dev/null || echo 4096)
HMDP_FCGI_LISTEN=${HMDP_FCGI_LISTEN:-unix}
[[ $HMDP_FCGI_LISTEN == unix || $HMDP_FCGI_LISTEN == tcp ]] ||
    die "HMDP_FCGI_LISTEN must be unix or tcp"

HMDP_BIN=${HMDP_BIN:-$REPO/build/rel}
[[ $HMDP_BIN == /* ]] || HMDP_BIN=$PWD/$HMDP_BIN
HMDP_WORKERS=${HMDP_WORKERS:-$(conf_get workers 8)}
if ! [[ $HMDP_WORKERS =~ ^[0-9]+$ ]] || ((HMDP_WORKERS < 1 || HMDP_WORKERS > 256)); then
    die "HMDP_WORKERS must be a number from 1 to 256"
fi
HMDP_NGINX_WORKERS=${HMDP_NGINX_WORKERS:-2}
if ! [[ $HMDP_NGINX_WORKERS =~ ^[0-9]+$ ]] || ((HMDP_NGINX_WORKERS < 1 || HMDP_NGINX_WORKERS > 64)); then
    die "HMDP_NGINX_WORKERS must be a number from 1 to 64"
fi
HMDP_MODE=${HMDP_MODE:-$(conf_get mode dev)}
HMDP_FCGI_KEEPALIVE=${HMDP_FCGI_KEEPALIVE:-$(conf_get fcgi_keepalive off)}
[[ $HMDP_FCGI_KEEPALIVE == on || $HMDP_FCGI_KEEPALIVE == off ]] ||
    die "HMDP_FCGI_KEEPALIVE must be on or off"
[[ $HMDP_MODE == dev || $HMDP_MODE == prod ]] ||
    die "HMDP_MODE must be dev or prod"
HTML_DIR=${HMDP_HTML_DIR:-$DIR/html}
[[ $HTML_DIR == /* ]] || HTML_DIR=$PWD/$HTML_DIR
UPLOAD_DIR=$DIR/imgs
LOGS=$DIR/logs

IS_ROOT=0
if [[ $(id -u) -eq 0 ]]; then
    IS_ROOT=1
fi
RUN_USER=$(id -un)

# The optional daemons, each under its own multiwatch: the SSE gateway and every stream consumer (the Makefile builds each
# app/<f>/<f>_consumer.c as hmdp-<f>-consumer). Consumers are found in
# HMDP_BIN, and by their pid files so stop finds what start started.
DAEMONS=(hmdp-sse)
for f in "$HMDP_BIN"/hmdp-*-consumer "$DIR"/hmdp-*-consumer.pid; do
    n=$(basename -- "$f" .pid)
    if [[ -e $f && " ${DAEMONS[*]} " != *" $n "* ]]; then
        DAEMONS+=("$n")
    fi
done

# Every service, in start order; start, stop and status walk this one list
# (stop takes nginx first, then the rest at once). svc_kind maps a name to
# its start_/stop_/status_ functions.
SERVICES=(mariadb redis fcgi "${DAEMONS[@]}" nginx)
svc_kind() {
    case $1 in
    mariadb | redis | fcgi | nginx) echo "$1" ;;
    *) echo daemon ;;
    esac
}

RESPAWN=$REPO/conf/respawn.sh
# -r: quick deaths multiwatch allows a slot; the shim's back-off (>= 5 s
# per death after the 8th) makes this one last for centuries
MW_RETRY=1000000000

# supervised NAME PROGRAM SLOTS: sets MW_ARGV, the command (after
# spawn-fcgi's --, or detach's log file) that keeps SLOTS copies of
# PROGRAM running, with their state in DIR/NAME.state.
supervised() {
    MW_ARGV=("$(command -v multiwatch)" -f "$3" -r "$MW_RETRY" -t 10000 --
        "$(command -v bash)" "$RESPAWN" "$DIR/$1.state" "$3" "$2")
    [[ -n ${MW_ARGV[0]} ]] || die "multiwatch not found (tests/deps.sh installs it)"
}

NGINX_ARGS=(-p "$DIR/" -c "$DIR/nginx.conf" -e "$LOGS/nginx-error.log")

# ---------------------------------------------------------------- start

start_mysql() {
    local pidf=$DIR/mysqld.pid sock=$DIR/mysql.sock mpid i
    if alive "$pidf" "--datadir=$DIR/db"; then
        say "mariadb already running (pid $(pid_from "$pidf"))"
    else
        # The socket path must fit in sockaddr_un.sun_path.
        ((${#sock} < 100)) || die "run dir path too long for a socket: $sock"
        need_free_port "$MYSQL_PORT" mariadb
        if [[ ! -d $DIR/db ]]; then
            say "initialising MariaDB in $DIR/db"
            if ! mariadb-install-db --no-defaults --datadir="$DIR/db" \
                --auth-root-authentication-method=normal --skip-test-db \
                --user="$RUN_USER" >"$LOGS/mysql-install.log" 2>&1; then
                log_tail "$LOGS/mysql-install.log"
                rm -rf -- "$DIR/db"
                die "mariadb-install-db failed"
            fi
        fi
        local -a args=(--no-defaults --datadir="$DIR/db" --socket="$sock"
            --port="$MYSQL_PORT" --bind-address=127.0.0.1 --skip-log-bin
            --pid-file="$pidf" --log-error="$LOGS/mysqld.log")
        if ((IS_ROOT)); then
            args+=(--user=root)
        fi
        rm -f -- "$pidf"
        detach "$DIR/mysqld.launch" "$LOGS/mysqld.log" \
            "$(command -v mariadbd)" "${args[@]}"
        for ((i = 0; i < 300; i++)); do
            if mariadb-admin --no-defaults -S "$sock" -uroot \
                --connect-timeout=1 ping >/dev/null 2>&1; then
                break
            fi
            mpid=$(pid_from "$DIR/mysqld.launch" 2>/dev/null) || mpid=""
            if [[ -n $mpid ]] && ! kill -0 "$mpid" 2>/dev/null; then
                log_tail "$LOGS/mysqld.log"
                die "mariadbd exited during startup"
            fi
            sleep 0.1
        done
        ((i < 300)) || {
            log_tail "$LOGS/mysqld.log"
            die "mariadbd did not answer within 30 s"
        }
        # mariadbd writes its own pid file; it is the pid we launched.
        rm -f -- "$DIR/mysqld.launch"
        say "mariadb up on 127.0.0.1:$MYSQL_PORT (socket $sock)"
    fi
    mysql_cli -e "CREATE DATABASE IF NOT EXISTS hmdp
                  CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci"
    local f
    for f in schema migrate; do
        mysql_cli hmdp <"$REPO/sql/$f.sql" ||
            die "loading sql/$f.sql failed"
    done
    seed_once
}

# seed_once: the demo data goes into an empty database only. Once anything
# is there, it is the users' data: reloading the seed on every start (as
# INSERT IGNORE did) would bring back a blog its owner deleted.
seed_once() {
    local rows
    rows=$(mysql_cli -N -B hmdp -e "SELECT
        (SELECT COUNT(*) FROM tb_user) + (SELECT COUNT(*) FROM tb_shop) +
        (SELECT COUNT(*) FROM tb_shop_type) + (SELECT COUNT(*) FROM tb_blog) +
        (SELECT COUNT(*) FROM tb_voucher)") || die "counting rows failed"
    if [[ $rows == 0 ]]; then
        mysql_cli hmdp <"$REPO/sql/seed.sql" || die "loading sql/seed.sql failed"
        say "demo data loaded (sql/seed.sql) into the empty database"
    fi
}

# write_redis_conf: DIR/redis.conf, the one description of this stack's
# Redis; a restart by hand or by a test (`redis-server DIR/redis.conf`)
# reuses it and so loads the same AOF.
write_redis_conf() {
    local f=$DIR/redis.conf
    mkdir -p -- "$DIR/redis"
    {
        echo "# written by conf/stack.sh start; restart with: redis-server $f"
        echo "port $REDIS_PORT"
        echo "bind 127.0.0.1"
        # the workers use the Unix socket (cheaper than TCP on loopback);
        # the port serves redis-cli and the tests
        echo "unixsocket \"$DIR/redis.sock\""
        echo "unixsocketperm 700"
        echo "daemonize yes"
        echo "pidfile \"$DIR/redis.pid\""
        echo "logfile \"$LOGS/redis.log\""
        echo "dir \"$DIR/redis\""
        # Every write is in the AOF and fsync'd before its reply leaves:
        # a client told "ok" keeps its data through kill -9 and power loss.
        # (HMDP_REDIS_APPENDFSYNC=everysec exists only for the benchmarks
        # that measure what this costs; tests/bench/RESULTS.md)
        echo "appendonly yes"
        case ${HMDP_REDIS_APPENDFSYNC:-always} in
        always | everysec | no) echo "appendfsync ${HMDP_REDIS_APPENDFSYNC:-always}" ;;
        *) die "HMDP_REDIS_APPENDFSYNC must be always, everysec or no" ;;
        esac
        # the AOF's base file is an RDB image (rewritten as the log grows),
        # so a restart loads a snapshot plus a short tail
        echo "aof-use-rdb-preamble yes"
        # plus plain RDB snapshots (dump.rdb): a point-in-time copy for
        # backups; on start Redis loads the AOF, which is never older
        echo "save 3600 1 300 100 60 10000"
        echo "dbfilename dump.rdb"
    } >"$f.tmp"
    mv -f -- "$f.tmp" "$f"
}

start_redis() {
    local pidf=$DIR/redis.pid i
    if alive "$pidf" redis-server; then
        say "redis already running (pid $(pid_from "$pidf"))"
        return
    fi
    need_free_port "$REDIS_PORT" redis
    rm -f -- "$pidf"
    ((${#DIR} < 90)) || die "run dir path too long for a socket: $DIR"
    [[ $DIR != *'"'* ]] || die "path with a double quote not supported: $DIR"
    write_redis_conf
    redis-server "$DIR/redis.conf" </dev/null >>"$LOGS/redis.log" 2>&1 ||
        die "redis-server failed to start"
    # loading a large AOF takes a while: LOADING answers are not PONG
    for ((i = 0; i < 600; i++)); do
        if [[ $(redis-cli -p "$REDIS_PORT" ping 2>/dev/null) == PONG ]]; then
            say "redis up on 127.0.0.1:$REDIS_PORT (AOF, fsync always, in $DIR/redis)"
            return
        fi
        sleep 0.1
    done
    log_tail "$LOGS/redis.log"
    die "redis did not answer within 60 s"
}

make_admin_token() {
    local f=$DIR/admin_token
    [[ -s $f ]] && return
    (
        umask 077
        od -An -tx1 -N16 /dev/urandom | tr -d ' \n' >"$f.tmp"
        echo >>"$f.tmp"
        mv -f -- "$f.tmp" "$f"
    )
    chmod 600 -- "$f"
    say "admin token written to $f"
}

make_dirs() {
    mkdir -p -- "$LOGS" "$UPLOAD_DIR" "$DIR/bench" "$DIR/nginx-temp" "$DIR/spool"
    if [[ ! -d $HTML_DIR || $HTML_DIR == "$DIR/html" ]]; then
        mkdir -p -- "$HTML_DIR"
        if [[ ! -e $HTML_DIR/index.html ]]; then
            cat >"$HTML_DIR/index.html" <<'EOF'
<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>hmdp</title></head>
<body><p>hmdp-c is running. The API is under <code>/api/</code>;
install the frontend here (or set HMDP_HTML_DIR) to use the app.</p></body>
</html>
EOF
        fi
    fi
}

# health_expect: the components GET /health requires a heartbeat from:
# every daemon this stack runs (hmdp-voucher-consumer -> voucher-consumer,
# hmdp-sse -> sse), unless HMDP_HEALTH_EXPECT says otherwise.
health_expect() {
    local n out=""
    if [[ -n ${HMDP_HEALTH_EXPECT+x} ]]; then
        echo "$HMDP_HEALTH_EXPECT"
        return
    fi
    for n in "${DAEMONS[@]}"; do
        [[ -x $HMDP_BIN/$n ]] && out="$out ${n#hmdp-}"
    done
    echo "${out# }"
}

# metrics_allow_lines: "allow NET;" for each network of metrics_allow
# (HMDP_METRICS_ALLOW or conf/hmdp.conf), checked to be an address or CIDR.
metrics_allow_lines() {
    local nets net out=""
    nets=${HMDP_METRICS_ALLOW:-$(conf_get metrics_allow "")}
    for net in ${nets//,/ }; do
        [[ $net =~ ^[0-9A-Fa-f:.]+(/[0-9]+)?$ ]] ||
            die "metrics_allow: '$net' is not an address or network"
        out="$out allow $net;"
    done
    echo "$out"
}

write_env() {
    local f=$DIR/env
    {
        echo "# written by conf/stack.sh start; source it to reach this stack"
        printf 'export HMDP_URL=%q\n' "http://127.0.0.1:$NGINX_PORT"
        printf 'export HMDP_NGINX_PORT=%q\n' "$NGINX_PORT"
        if [[ $HMDP_FCGI_LISTEN == tcp ]]; then
            printf 'export HMDP_FCGI_ADDR=%q\n' "127.0.0.1:$FCGI_PORT"
        else
            printf 'export HMDP_FCGI_ADDR=%q\n' "unix:$FCGI_SOCK"
        fi
        printf 'export HMDP_REDIS_HOST=%q\n' 127.0.0.1
        printf 'export HMDP_REDIS_PORT=%q\n' "$REDIS_PORT"
        printf 'export HMDP_REDIS_SOCKET=%q\n' "$DIR/redis.sock"
        printf 'export HMDP_MYSQL_HOST=%q\n' 127.0.0.1
        printf 'export HMDP_MYSQL_PORT=%q\n' "$MYSQL_PORT"
        printf 'export HMDP_MYSQL_SOCKET=%q\n' "$DIR/mysql.sock"
        printf 'export HMDP_MYSQL_USER=%q\n' root
        printf 'export HMDP_MYSQL_DB=%q\n' hmdp
        printf 'export HMDP_UPLOAD_DIR=%q\n' "$UPLOAD_DIR"
        printf 'export HMDP_MESSAGE_SPOOL_DIR=%q\n' "$DIR/spool"
        printf 'export HMDP_SESSION_CACHE_FILE=%q\n' "$DIR/session.cache"
        printf 'export HMDP_ADMIN_TOKEN_FILE=%q\n' "$DIR/admin_token"
        printf 'export HMDP_SSE_ADDR=%q\n' "127.0.0.1:$SSE_PORT"
        printf 'export HMDP_NOOP_ADDR=%q\n' "127.0.0.1:$NOOP_PORT"
        printf 'export HMDP_FCGI_SOCKET=%q\n' "$FCGI_SOCK"
        printf 'export HMDP_NOOP_SOCKET=%q\n' "$DIR/noop.sock"
        printf 'export HMDP_FCGI_LISTEN=%q\n' "$HMDP_FCGI_LISTEN"
        printf 'export HMDP_FCGI_BACKLOG=%q\n' "$FCGI_BACKLOG"
        printf 'export HMDP_MODE=%q\n' "$HMDP_MODE"
        printf 'export HMDP_WORKERS=%q\n' "$HMDP_WORKERS"
        printf 'export HMDP_NGINX_WORKERS=%q\n' "$HMDP_NGINX_WORKERS"
        printf 'export HMDP_FCGI_KEEPALIVE=%q\n' "$HMDP_FCGI_KEEPALIVE"
        printf 'export HMDP_CONF=%q\n' "$CONF"
        printf 'export HMDP_LOG_FILE=%q\n' "$LOGS/worker.log"
        printf 'export HMDP_RUN_DIR=%q\n' "$DIR"
        printf 'export HMDP_BIN=%q\n' "$HMDP_BIN"
        printf 'export HMDP_HTML_DIR=%q\n' "$HTML_DIR"
        printf 'export HMDP_METRICS_FILE=%q\n' "$DIR/metrics.shm"
        printf 'export HMDP_HEALTH_EXPECT=%q\n' "$(health_expect)"
        if [[ -n ${HMDP_SMS_HOOK:-} ]]; then
            printf 'export HMDP_SMS_HOOK=%q\n' "$HMDP_SMS_HOOK"
        fi
    } >"$f.tmp"
    mv -f -- "$f.tmp" "$f"
}

# reap_orphans NAME PROGRAM: a multiwatch that was killed (SIGKILL, OOM)
# leaves its children running, still holding the FastCGI socket or the
# consumer group name (or about to exec PROGRAM after a back-off). Before
# a new multiwatch starts, end each holder of a slot in DIR/NAME.state
# that is still PROGRAM (or its respawn.sh shim, whose argv names it).
reap_orphans() {
    local st=$DIR/$1.state slot state p r q due pid rest
    [[ -s $st ]] || return 0
    while read -r slot state p r q due pid rest; do
        [[ -n $pid ]] || pid=$p # a line without a HOLDER field
        if ! [[ $pid =~ ^[0-9]+$ ]] || ((pid == 0)); then
            continue
        fi
        if [[ -r /proc/$pid/cmdline ]] &&
            tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$2"; then
            say "ending $1 pid $pid left behind by a dead multiwatch"
            kill -TERM "$pid" 2>/dev/null || true
            wait_gone "$pid" 5 || kill -KILL "$pid" 2>/dev/null || true
        fi
    done <"$st"
    : >"$st"
}

# supervised_ok NAME PIDFILE SLOTS: multiwatch is alive and every slot of
# the state file is up (each shim has exec'd its program).
supervised_ok() {
    alive "$2" "$DIR/$1.state" || return 1
    [[ -r $DIR/$1.state ]] || return 1
    (($(grep -c '^[0-9]* up ' "$DIR/$1.state") == $3))
}

start_fcgi() {
    local pidf=$DIR/fcgi.pid worker=$HMDP_BIN/hmdp-worker i
    if [[ ! -x $worker ]]; then
        say "no $worker: FastCGI pool not started"
        return
    fi
    if alive "$pidf" "$DIR/fcgi.state"; then
        say "fcgi pool already running (multiwatch pid $(pid_from "$pidf"))"
        return
    fi
    reap_orphans fcgi "$worker"
    # The socket is nginx's only way in (mode 600; as root, owned by
    # nobody, nginx's workers' user).
    local -a listen=(-s "$FCGI_SOCK" -b "$FCGI_BACKLOG" -M 0600)
    rm -f -- "$FCGI_SOCK"
    if [[ $HMDP_FCGI_LISTEN == tcp ]]; then
        need_free_port "$FCGI_PORT" "the fcgi pool"
        listen=(-a 127.0.0.1 -p "$FCGI_PORT" -b "$FCGI_BACKLOG")
    else
        ((${#FCGI_SOCK} < 100)) || die "run dir path too long for a Unix socket: $FCGI_SOCK"
        ((IS_ROOT)) && listen+=(-U nobody)
    fi
    rm -f -- "$pidf" "$DIR/fcgi.state"
    supervised fcgi "$worker" "$HMDP_WORKERS"
    # -n: spawn-fcgi binds the socket to fd 0 and execs multiwatch in place
    # (so the pid is multiwatch's and stderr reaches spawn.log).
    (
        # shellcheck disable=SC1091
        . "$DIR/env"
        detach "$pidf" "$LOGS/spawn.log" "$(command -v spawn-fcgi)" -n \
            "${listen[@]}" -d "$REPO" -- "${MW_ARGV[@]}"
    )
    for ((i = 0; i < 100; i++)); do
        [[ -S $FCGI_SOCK ]] && break
        [[ $HMDP_FCGI_LISTEN == tcp ]] && port_open "$FCGI_PORT" && break
        sleep 0.1
    done
    if ((i == 100)); then
        log_tail "$LOGS/spawn.log"
        die "the fcgi pool did not open ${listen[1]}"
    fi
    for ((i = 0; i < 30; i++)); do
        supervised_ok fcgi "$pidf" "$HMDP_WORKERS" && break
        sleep 0.1
    done
    sleep 0.3
    alive "$pidf" "$DIR/fcgi.state" || {
        log_tail "$LOGS/spawn.log"
        die "the fcgi pool exited right after starting"
    }
    say "fcgi pool up on ${listen[1]} ($HMDP_WORKERS x $worker, backlog $FCGI_BACKLOG)"
}

# daemon_instances NAME: how many processes of NAME multiwatch keeps:
# hmdp-<f>-consumer runs <f>_consumers of them (HMDP_<F>_CONSUMERS, else
# conf/hmdp.conf, else 1), each a consumer of its group; others run one.
daemon_instances() {
    local f n var
    if [[ $1 =~ ^hmdp-([a-z0-9]+)-consumer$ ]]; then
        f=${BASH_REMATCH[1]}
        var=HMDP_${f^^}_CONSUMERS
        n=${!var:-$(conf_get "${f}_consumers" 1)}
        if [[ $n =~ ^[0-9]+$ ]] && ((n >= 1 && n <= 64)); then
            echo "$n"
            return
        fi
        die "${f}_consumers must be a number from 1 to 64"
    fi
    echo 1
}

start_daemon() {
    local name=$1 bin=$HMDP_BIN/$1 pidf=$DIR/$1.pid i n
    if [[ ! -x $bin ]]; then
        say "no $bin: $name not started"
        return
    fi
    if alive "$pidf" "$DIR/$name.state"; then
        say "$name already running (multiwatch pid $(pid_from "$pidf"))"
        return
    fi
    reap_orphans "$name" "$bin"
    if [[ $name == hmdp-sse ]]; then
        need_free_port "$SSE_PORT" hmdp-sse
    fi
    rm -f -- "$pidf" "$DIR/$name.state"
    n=$(daemon_instances "$name")
    supervised "$name" "$bin" "$n"
    (
        # shellcheck disable=SC1091
        . "$DIR/env"
        export HMDP_LOG_FILE=$LOGS/$name.log
        cd -- "$REPO"
        detach "$pidf" "$LOGS/$name.log" "${MW_ARGV[@]}"
    )
    if [[ $name == hmdp-sse ]] && ! wait_port "$SSE_PORT" 10; then
        say "warning: hmdp-sse does not answer on port $SSE_PORT yet"
    fi
    for ((i = 0; i < 30; i++)); do
        supervised_ok "$name" "$pidf" "$n" && break
        sleep 0.1
    done
    sleep 0.3
    alive "$pidf" "$DIR/$name.state" || {
        log_tail "$LOGS/$name.log"
        die "$name exited right after starting"
    }
    say "$name up (multiwatch pid $(pid_from "$pidf"))"
}

# The API page served at /api-docs/: conf/openapi.json, conf/api-docs/
# (index.html and its init script) and Swagger UI's bundle from
# tests/npm_deps.sh's install (HMDP_NPM_DIR, default build/npm), copied
# into DIR/api-docs so nginx reads nothing outside DIR. Without the
# bundle the JSON is still served, and the page says what to run.
make_apidoc() {
    local out=$DIR/api-docs f
    local ui=${HMDP_NPM_DIR:-$REPO/build/npm}/node_modules/swagger-ui-dist
    mkdir -p -- "$out"
    cp -- "$REPO/conf/openapi.json" "$REPO"/conf/api-docs/* "$out/"
    for f in swagger-ui-bundle.js swagger-ui.css; do
        if [[ -f $ui/$f ]]; then
            cp -- "$ui/$f" "$out/"
        else
            rm -f -- "$out/$f"
            say "warning: no $ui/$f (run tests/npm_deps.sh):" \
                "/api-docs/ serves only openapi.json"
        fi
    done
    chmod -R a+rX -- "$out"
}

# The project's own pages (conf/html/: message.html), copied into
# DIR/pages; nginx serves each at /<name> beside the copied frontend.
make_pages() {
    mkdir -p -- "$DIR/pages"
    cp -- "$REPO"/conf/html/*.html "$DIR/pages/"
    chmod -R a+rX -- "$DIR/pages"
}

# sed_escape STRING: STRING made safe as a sed replacement (delimiter |).
sed_escape() {
    printf '%s' "$1" | sed -e 's/[\\|&]/\\&/g'
}

start_nginx() {
    local pidf=$DIR/nginx.pid conf=$DIR/nginx.conf
    if alive "$pidf" nginx; then
        say "nginx already running (pid $(pid_from "$pidf"))"
        return
    fi
    need_free_port "$NGINX_PORT" nginx
    local d
    for d in "$DIR" "$UPLOAD_DIR" "$HTML_DIR"; do
        [[ $d != *'"'* ]] || die "path with a double quote not supported: $d"
    done
    # fcgi_keepalive = off: a new FastCGI connection per request.
    # Each worker holds up to 16 connections (app/core/fcgi.c), so nginx
    # may cache 2 per worker in each of its 2 processes and every worker
    # still has free slots for new connections.
    local FCGI_UPSTREAM="unix:$(sed_escape "$FCGI_SOCK")"
    local NOOP_UPSTREAM="unix:$(sed_escape "$DIR/noop.sock")"
    if [[ $HMDP_FCGI_LISTEN == tcp ]]; then
        FCGI_UPSTREAM=127.0.0.1:$FCGI_PORT
        NOOP_UPSTREAM=127.0.0.1:$NOOP_PORT
    fi
    local keep=$((2 * HMDP_WORKERS)) keepline="" keepconn=off
    if [ "$HMDP_FCGI_KEEPALIVE" = on ]; then
        keepconn=on
        keepline="keepalive $keep;"
    fi
    sed -e "s|@DIR@|$(sed_escape "$DIR")|g" \
        -e "s|@FCGI_KEEPALIVE@|$keepline|g" \
        -e "s|@FCGI_KEEP_CONN@|$keepconn|g" \
        -e "s|@NGINX_PORT@|$NGINX_PORT|g" \
        -e "s|@NGINX_WORKERS@|$HMDP_NGINX_WORKERS|g" \
        -e "s|@NGINX_CONNECTIONS@|$((32768 / HMDP_NGINX_WORKERS))|g" \
        -e "s|@FCGI_ADDR@|$FCGI_UPSTREAM|g" \
        -e "s|@SSE_ADDR@|127.0.0.1:$SSE_PORT|g" \
        -e "s|@NOOP_ADDR@|$NOOP_UPSTREAM|g" \
        -e "s|@UPLOAD_DIR@|$(sed_escape "$UPLOAD_DIR")|g" \
        -e "s|@HTML_DIR@|$(sed_escape "$HTML_DIR")|g" \
        -e "s|@METRICS_ALLOW@|$(metrics_allow_lines)|g" \
        "$REPO/conf/nginx.conf.in" >"$conf.tmp"
    mv -f -- "$conf.tmp" "$conf"

    # Root: nginx's workers switch to an unprivileged user (nobody), which
    # must be able to read the html and upload dirs and to write the temp
    # dirs (the master chowns those). We open up the dirs we own; if a
    # parent directory still shuts nobody out (a run dir under /root, or
    # mktemp -d's mode 700 parent), the workers stay root instead, with a
    # warning: this is a loopback-only development stack, and serving every
    # static file as 403 would be worse.
    local -a args=("${NGINX_ARGS[@]}")
    if ((IS_ROOT)); then
        local nuser=nobody ngroup
        ngroup=$(id -gn "$nuser" 2>/dev/null) || ngroup=nogroup
        chmod a+rx -- "$DIR" "$UPLOAD_DIR" "$DIR/bench" "$DIR/nginx-temp"
        if [[ $HTML_DIR == "$DIR/html" ]]; then
            chmod a+rx -- "$HTML_DIR"
            chmod a+r -- "$HTML_DIR/index.html" 2>/dev/null || true
        fi
        if command -v setpriv >/dev/null &&
            setpriv --reuid="$nuser" --regid="$ngroup" --clear-groups \
                test -x "$UPLOAD_DIR" -a -x "$HTML_DIR" -a -x "$DIR/nginx-temp" \
                2>/dev/null; then
            args+=(-g "user $nuser $ngroup;")
        else
            say "warning: user $nuser cannot reach $DIR or $HTML_DIR;" \
                "nginx workers run as root"
            args+=(-g "user root root;")
        fi
    fi
    # SSE streams hold two descriptors each in nginx (worker_connections)
    ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
    if ! nginx "${args[@]}" -t -q 2>>"$LOGS/nginx-error.log"; then
        log_tail "$LOGS/nginx-error.log"
        die "nginx rejected $conf"
    fi
    rm -f -- "$pidf"
    nginx "${args[@]}" </dev/null >>"$LOGS/nginx-error.log" 2>&1 || {
        log_tail "$LOGS/nginx-error.log"
        die "nginx failed to start"
    }
    wait_port "$NGINX_PORT" 10 || {
        log_tail "$LOGS/nginx-error.log"
        die "nginx did not open port $NGINX_PORT"
    }
    say "nginx up on 127.0.0.1:$NGINX_PORT"
}

start_mariadb() { start_mysql; }

do_start() {
    local n
    make_dirs
    write_env
    make_admin_token
    make_apidoc
    make_pages
    make_logrotate
    for n in "${SERVICES[@]}"; do
        case $(svc_kind "$n") in
        daemon) start_daemon "$n" ;;
        *) "start_$n" ;;
        esac
    done
    echo "hmdp is up at http://127.0.0.1:$NGINX_PORT/ (API under /api)"
}

# ---------------------------------------------------------------- stop

# proc_id PID: "PID:STARTTIME", which names one process even if PID is
# later reused (field 22 of /proc/PID/stat, counted after the ")").
proc_id() {
    local st f
    st=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    read -r -a f <<<"${st##*) }" # f[0] is field 3 (state)
    echo "$1:${f[19]}"
}

# kids_of PID: proc_id of each child of PID.
kids_of() {
    local k
    for k in $(pgrep -P "$1" 2>/dev/null); do
        proc_id "$k" || true
    done
}

# stop_pid NAME PIDFILE PATTERN SIGNAL SECONDS: signal the process the pid
# file names, wait for it, then SIGKILL it (and, for a multiwatch, its
# remaining children) if it is still there. A multiwatch gets SIGNAL again
# after 5 s, which it passes on to children that ignored its SIGUSR1.
stop_pid() {
    local name=$1 pidf=$2 pat=$3 sig=$4 secs=$5 pid kids
    if ! alive "$pidf" "$pat"; then
        rm -f -- "$pidf"
        return
    fi
    pid=$(pid_from "$pidf")
    kids=$(kids_of "$pid")
    kill "-$sig" "$pid" 2>/dev/null || true
    if [[ $pat == *.state ]] && ((secs > 5)) && ! wait_gone "$pid" 5; then
        say "$name (pid $pid) still running after 5s: $sig again"
        kill "-$sig" "$pid" 2>/dev/null || true
        secs=$((secs - 5))
    fi
    if ! wait_gone "$pid" "$secs"; then
        say "$name (pid $pid) still running after ${secs}s: SIGKILL"
        kids="$kids $(kids_of "$pid")"
        kill -KILL "$pid" 2>/dev/null || true
        wait_gone "$pid" 5 || true
    fi
    # A multiwatch killed this way, or one that lost a race, can leave
    # children behind: they were ours, so end each one that is still the
    # same process (same pid and start time).
    local k
    for k in $kids; do
        if [[ $(proc_id "${k%%:*}" 2>/dev/null) == "$k" ]]; then
            kill -TERM "${k%%:*}" 2>/dev/null || true
            wait_gone "${k%%:*}" 5 || kill -KILL "${k%%:*}" 2>/dev/null || true
        fi
    done
    rm -f -- "$pidf"
    say "$name stopped"
}

# ---------------------------------------------------------------- reopen

# Log rotation (DIR/logrotate.conf, from conf/logrotate.conf.in): nginx
# reopens on USR1, the workers and daemons (children of the multiwatch
# the pid files name) on USR2 (app/core/log.c).
do_reopen() {
    local n p k
    if alive "$DIR/nginx.pid" nginx; then
        kill -USR1 "$(pid_from "$DIR/nginx.pid")" 2>/dev/null || true
    fi
    for n in fcgi "${DAEMONS[@]}"; do
        alive "$DIR/$n.pid" "$DIR/$n.state" || continue
        p=$(pid_from "$DIR/$n.pid")
        # every descendant (a program may run its own children, as the
        # message consumer does), but the programs only: a respawn.sh shim
        # waiting out a back-off is bash, which USR2 would end. Every hmdp
        # program must handle USR2 (log_reopen_on in app/core/log.h).
        local -a todo=("$p")
        while ((${#todo[@]})); do
            k=${todo[0]}
            todo=("${todo[@]:1}")
            # shellcheck disable=SC2207 # pids: no spaces
            todo+=($(pgrep -P "$k" 2>/dev/null || true))
            [[ $k != "$p" ]] || continue
            [[ $(cat "/proc/$k/comm" 2>/dev/null) == hmdp-* ]] || continue
            kill -USR2 "$k" 2>/dev/null || true
        done
    done
}

make_logrotate() {
    sed -e "s|@DIR@|$(sed_escape "$DIR")|g" \
        -e "s|@REPO@|$(sed_escape "$REPO")|g" \
        "$REPO/conf/logrotate.conf.in" >"$DIR/logrotate.conf.tmp"
    mv -f -- "$DIR/logrotate.conf.tmp" "$DIR/logrotate.conf"
}

# svc_pidfile NAME / svc_pattern NAME: the pid file of a service and a
# string its command line contains (guards against a recycled pid).
svc_pidfile() {
    case $1 in
    mariadb) echo "$DIR/mysqld.pid" ;;
    *) echo "$DIR/$1.pid" ;;
    esac
}
svc_pattern() {
    case $(svc_kind "$1") in
    mariadb) echo mariadbd ;;
    redis) echo redis-server ;;
    nginx) echo nginx ;;
    *) echo "$DIR/$1.state" ;; # in multiwatch's argv (respawn.sh's)
    esac
}

do_stop() {
    local pid n secs
    # nginx first (no new requests), graceful quit bounded by
    # worker_shutdown_timeout, then TERM if it still hangs on.
    if alive "$DIR/nginx.pid" nginx; then
        pid=$(pid_from "$DIR/nginx.pid")
        kill -QUIT "$pid" 2>/dev/null || true
        if wait_gone "$pid" 10; then
            rm -f -- "$DIR/nginx.pid"
            say "nginx stopped"
        fi
    fi
    stop_pid nginx "$DIR/nginx.pid" nginx TERM 5
    # Then everything else in parallel (multiwatches and redis each take a
    # second or two to exit; the app copes with its stores going away).
    for n in "${SERVICES[@]}"; do
        [[ $n == nginx ]] && continue
        secs=10
        [[ $n == mariadb ]] && secs=60
        stop_pid "$n" "$(svc_pidfile "$n")" "$(svc_pattern "$n")" TERM "$secs" &
    done
    wait
    # children of a multiwatch that had died before this stop
    for n in "${SERVICES[@]}"; do
        case $(svc_kind "$n") in
        fcgi) reap_orphans fcgi "$HMDP_BIN/hmdp-worker" ;;
        daemon) reap_orphans "$n" "$HMDP_BIN/$n" ;;
        esac
    done
    rm -f -- "$DIR/mysqld.launch"
}

# ---------------------------------------------------------------- status

# child_of PID PARENT: PID is a live (not zombie) child of PARENT.
child_of() {
    local st
    st=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    read -r -a st <<<"${st##*) }" # st[0] state, st[1] ppid
    [[ ${st[0]} != Z && ${st[1]} == "$2" ]]
}

# supervised_status NAME SLOTS WHAT: one line for a service kept by
# multiwatch: its live children against SLOTS, and from the state file
# (conf/respawn.sh's) each slot that is not up: waiting out its back-off
# (when, after how many quick deaths), or dead and not yet respawned.
# State up (every slot runs its program), restarting, or down (no
# multiwatch). Returns 1 unless up.
supervised_status() {
    local name=$1 slots=$2 what=$3 pidf st pid nup=0 nkids=0 restarts=0 \
        slot state cpid r q due holder now k detail="" seen=" "
    pidf=$(svc_pidfile "$name")
    if ! alive "$pidf" "$(svc_pattern "$name")"; then
        printf '%-22s %-10s %s\n' "$name" down ""
        return 1
    fi
    pid=$(pid_from "$pidf")
    for k in $(pgrep -P "$pid"); do
        child_of "$k" "$pid" && nkids=$((nkids + 1))
    done
    st=$DIR/$name.state
    now=$(($(date +%s%N) / 1000000))
    if [[ -r $st ]]; then
        while read -r slot state cpid r q due holder _; do
            [[ $slot =~ ^[0-9]+$ ]] || continue
            seen+="$slot "
            restarts=$((restarts + r))
            if [[ $state == up ]] && child_of "$cpid" "$pid"; then
                nup=$((nup + 1))
            elif [[ $state == backoff ]] && child_of "$holder" "$pid"; then
                detail+="; slot $slot restarting in $((due > now ? due - now : 0)) ms ($q quick deaths in a row)"
            else
                detail+="; slot $slot down (pid $holder gone, not respawned yet)"
            fi
        done <"$st"
    fi
    for ((slot = 0; slot < slots; slot++)); do
        [[ $seen == *" $slot "* ]] || detail+="; slot $slot not started"
    done
    state=up
    ((nup < slots)) && state=restarting
    printf '%-22s %-10s %s\n' "$name" "$state" \
        "multiwatch pid $pid, $nup/$slots $what up, $nkids/$slots children, $restarts restarts$detail"
    [[ $state == up ]]
}

do_status() {
    local rc=0 n pidf
    line() { printf '%-22s %-10s %s\n' "$1" "$2" "$3"; }
    for n in "${SERVICES[@]}"; do
        pidf=$(svc_pidfile "$n")
        case $(svc_kind "$n") in
        fcgi)
            if [[ -x $HMDP_BIN/hmdp-worker ]] || alive "$pidf" "$(svc_pattern fcgi)"; then
                supervised_status fcgi "$HMDP_WORKERS" "workers ($(env_get HMDP_FCGI_ADDR))" || rc=1
            fi
            ;;
        daemon)
            if [[ -x $HMDP_BIN/$n ]] || alive "$pidf" "$(svc_pattern "$n")"; then
                supervised_status "$n" "$(daemon_instances "$n")" processes || rc=1
            fi
            ;;
        *)
            if alive "$pidf" "$(svc_pattern "$n")"; then
                local port=$MYSQL_PORT
                [[ $n == redis ]] && port=$REDIS_PORT
                [[ $n == nginx ]] && port="$NGINX_PORT (http://127.0.0.1:$NGINX_PORT/)"
                line "$n" up "pid $(pid_from "$pidf"), port $port"
            else
                line "$n" down ""
                rc=1
            fi
            ;;
        esac
    done
    return $rc
}

case $CMD in
start) do_start ;;
stop) do_stop ;;
status) do_status ;;
reopen) do_reopen ;;
esac
