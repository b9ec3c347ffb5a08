#!/usr/bin/env bash
# role.sh: what one container of docker/compose.yml runs, in the
# foreground (PID 1 after exec), with the same conf/ files and commands as
# conf/stack.sh uses for `make run`:
#
#   role.sh mysql            mariadbd; schema + demo data on first start
#   role.sh redis            redis-server, AOF (appendfsync always) + RDB
#   role.sh fcgi             spawn-fcgi + the worker pool on :9000
#   role.sh daemon NAME      one daemon (hmdp-voucher-consumer, hmdp-sse)
#   role.sh nginx            nginx from conf/nginx.conf.in on :8080
#   role.sh nginx-conf       only write DATA/nginx.conf (tests/integ/
#                            test_compose.c runs nginx -t on it)
#   role.sh health-fcgi      health check of the pool: FastCGI GET /health
#   role.sh health-daemon N  health check of daemon N: its own heartbeat
#                            (the one GET /api/health reads) is fresh
#   role.sh all              everything in one container (conf/stack.sh)
#
# Addresses come from the environment (HMDP_REDIS_HOST, HMDP_MYSQL_HOST,
# HMDP_FCGI_ADDR, HMDP_SSE_ADDR), as conf/hmdp.conf documents.
#
# Logs: the app's processes and nginx write to the container's output
# (one JSON object per line, see README: Operations), which Docker's log
# driver keeps and rotates (compose.yml: max-size); no file to rotate.
set -euo pipefail
cd "$(dirname -- "$0")/.." # /opt/hmdp in the image
ROOT=$PWD
PATH=$PATH:/usr/sbin:/sbin
DATA=${HMDP_DATA:-/data}
BIN=$ROOT/build/rel
LOGS=$DATA/logs
mkdir -p "$LOGS"

# the supervision conf/stack.sh uses: multiwatch with retries that never
# run out, conf/respawn.sh adding the back-off (SIGTERM stops the children
# cleanly)
supervise() { # N PROGRAM
    # multiwatch does not search PATH: absolute paths only
    exec multiwatch -f "$1" -r 1000000000 -t 10000 -- "$(command -v bash)" \
        "$ROOT/conf/respawn.sh" "$DATA/$(basename "$2").state" "$1" "$2"
}

role=${1:-all}
case $role in
mysql)
    sock=/run/mysqld/mysqld.sock
    mkdir -p /run/mysqld
    if [[ ! -d $DATA/db/mysql ]]; then
        mariadb-install-db --no-defaults --datadir="$DATA/db" \
            --auth-root-authentication-method=normal --skip-test-db \
            --user=root >"$LOGS/mysql-install.log" 2>&1
        # first start: schema and demo data, over the socket only, then
        # the server proper
        mariadbd --no-defaults --datadir="$DATA/db" --socket="$sock" \
            --skip-networking --user=root --skip-log-bin &
        pid=$!
        for _ in $(seq 100); do
            mariadb-admin --no-defaults -S "$sock" -uroot ping >/dev/null 2>&1 && break
            sleep 0.2
        done
        mariadb --no-defaults -S "$sock" -uroot -e \
            "CREATE DATABASE IF NOT EXISTS hmdp CHARACTER SET utf8mb4;
             CREATE USER IF NOT EXISTS 'hmdp'@'%' IDENTIFIED BY '${HMDP_MYSQL_PASSWORD:-hmdp}';
             GRANT ALL ON hmdp.* TO 'hmdp'@'%';"
        mariadb --no-defaults -S "$sock" -uroot hmdp <sql/schema.sql
        mariadb --no-defaults -S "$sock" -uroot hmdp <sql/seed.sql
        kill "$pid"
        wait "$pid" || true
    fi
    exec mariadbd --no-defaults --datadir="$DATA/db" --socket="$sock" \
        --port=3306 --bind-address=0.0.0.0 --user=root --skip-log-bin \
        --character-set-server=utf8mb4
    ;;
redis)
    mkdir -p "$DATA/redis"
    exec redis-server --port 6379 --bind 0.0.0.0 --protected-mode no \
        --dir "$DATA/redis" --appendonly yes --appendfsync always \
        --save 900 1 --save 60 1000
    ;;
fcgi)
    # the admin token lives in the data volume the pool mounts
    if [[ ! -s $DATA/admin_token ]]; then
        (umask 077 && od -An -tx1 -N16 /dev/urandom | tr -d ' \n' >"$DATA/admin_token")
    fi
    export HMDP_ADMIN_TOKEN_FILE=$DATA/admin_token
    export HMDP_LOG_FILE=
    mkdir -p "${HMDP_UPLOAD_DIR:=$DATA/imgs}"
    export HMDP_UPLOAD_DIR
    # the same connection model as conf/stack.sh (tests/bench/RESULTS.md,
    # "Session 3"): a connection per request, queued first in, first out
    # in a listen backlog as deep as the kernel allows; over TCP here, as
    # the pool and nginx are separate containers
    exec spawn-fcgi -n -a 0.0.0.0 -p 9000 \
        -b "$(cat /proc/sys/net/core/somaxconn 2>/dev/null || echo 4096)" -- \
        "$0" supervise-workers
    ;;
supervise-workers)
    supervise "${HMDP_WORKERS:-8}" "$BIN/hmdp-worker"
    ;;
daemon)
    name=${2:?daemon name}
    [[ -x $BIN/$name ]] || { echo "no $BIN/$name" >&2; exit 2; }
    export HMDP_LOG_FILE=
    supervise 1 "$BIN/$name"
    ;;
health-daemon)
    name=${2:?daemon name}
    pid=$(pgrep -f -n "^$BIN/$name") || exit 1
    score=$(redis-cli -h "${HMDP_REDIS_HOST:-redis}" -p "${HMDP_REDIS_PORT:-6379}" \
        ZSCORE "hb:${name#hmdp-}" "$(hostname):$pid") || exit 1
    [[ $score =~ ^[0-9]+$ ]] || exit 1
    (($(date +%s%3N) - score < 5000))
    ;;
nginx | nginx-conf)
    esc() { printf '%s' "$1" | sed -e 's/[\\|&]/\\&/g'; }
    mkdir -p "$DATA/nginx-temp" "$DATA/html" "$DATA/api-docs" \
        "${HMDP_UPLOAD_DIR:=$DATA/imgs}"
    [[ -e $DATA/html/index.html ]] ||
        echo '<!DOCTYPE html><p>hmdp-c: the API is under /api/</p>' \
            >"$DATA/html/index.html"
    cp conf/openapi.json conf/api-docs/* "$DATA/api-docs/"
    mkdir -p "$DATA/pages"
    cp conf/html/*.html "$DATA/pages/"
    # the access log (JSON lines) and errors to the container's output
    ln -sf /dev/stdout "$LOGS/nginx-access.log"
    ln -sf /dev/stderr "$LOGS/nginx-error.log"
    allow=""
    for net in ${HMDP_METRICS_ALLOW//,/ }; do allow="$allow allow $net;"; done
    sed -e "s|@DIR@|$(esc "$DATA")|g" \
        -e "s|@FCGI_KEEPALIVE@||g" \
        -e "s|@FCGI_KEEP_CONN@|off|g" \
        -e "s|@NGINX_PORT@|8080|g" \
        -e "s|@NGINX_WORKERS@|${HMDP_NGINX_WORKERS:-2}|g" \
        -e "s|@NGINX_CONNECTIONS@|$((32768 / ${HMDP_NGINX_WORKERS:-2}))|g" \
        -e "s|listen 127.0.0.1:8080|listen 8080|" \
        -e "s|@FCGI_ADDR@|${HMDP_FCGI_ADDR:-fcgi:9000}|g" \
        -e "s|@SSE_ADDR@|${HMDP_SSE_ADDR:-sse:8084}|g" \
        -e "s|@NOOP_ADDR@|127.0.0.1:9|g" \
        -e "s|@UPLOAD_DIR@|$(esc "$HMDP_UPLOAD_DIR")|g" \
        -e "s|@HTML_DIR@|$(esc "$DATA/html")|g" \
        -e "s|@METRICS_ALLOW@|$allow|g" \
        conf/nginx.conf.in >"$DATA/nginx.conf"
    [[ $role == nginx ]] || exit 0
    exec nginx -p "$DATA/" -c "$DATA/nginx.conf" -e "$LOGS/nginx-error.log" \
        -g 'daemon off; user root root;'
    ;;
health-fcgi)
    # one FastCGI request straight to the pool, as nginx would send it
    out=$(REQUEST_METHOD=GET SCRIPT_NAME=/health DOCUMENT_URI=/health \
        REQUEST_URI=/api/health QUERY_STRING='' REMOTE_ADDR=127.0.0.1 \
        cgi-fcgi -bind -connect 127.0.0.1:9000 2>/dev/null) || exit 1
    [[ $out == "Status: 200"* ]]
    ;;
all)
    exec docker/entrypoint.sh
    ;;
*)
    echo "usage: $0 mysql|redis|fcgi|daemon NAME|nginx|nginx-conf|health-fcgi|health-daemon NAME|all" >&2
    exit 2
    ;;
esac
