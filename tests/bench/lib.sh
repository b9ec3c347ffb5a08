# lib.sh: shared by the benchmark scripts (sourced, not run).
# bench_stack WORKERS [extra env...]: builds the release binaries, starts a
# private stack in a temp dir on free ports (stopped and removed on exit,
# kept with TEST_KEEP=1) and exports its env (HMDP_URL, ports, ...).
# BENCH_REUSE=DIR: use the stack dir DIR of an earlier run (kept with
# TEST_KEEP=1) instead of a new one: its stack is started again on its
# own ports with its MySQL and Redis data as they were left (a running
# one is left running), and stopped at exit; DIR itself is kept.
# bench_login PHONE: prints a session token for a new or existing user.
# bench_session PHONE: a live session of that user if one is left (a
# reused stack: a code per phone per minute only), else bench_login's.

bench_stack() {
    local workers=$1
    shift
    make --no-print-directory rel >/dev/null
    local base
    if [ -n "${BENCH_REUSE:-}" ]; then
        BENCH_DIR=$(cd "$BENCH_REUSE" && pwd -P)
        base=$(sed -n 's/^export HMDP_NGINX_PORT=//p' "$BENCH_DIR/env" 2>/dev/null)
        [[ $base =~ ^[0-9]+$ ]] || { echo "BENCH_REUSE: no stack env in $BENCH_DIR"; exit 1; }
    else
        BENCH_DIR=$(mktemp -d /tmp/hmdp-bench.XXXXXX)
        base=$((24000 + (RANDOM % 300) * 10))
    fi
    trap bench_cleanup EXIT
    env "$@" HMDP_BIN="$PWD/build/rel" HMDP_PORT_BASE=$base HMDP_WORKERS="$workers" \
        HMDP_MODE=prod bash conf/stack.sh start "$BENCH_DIR" >"$BENCH_DIR/start.log" 2>&1 ||
        { cat "$BENCH_DIR/start.log"; exit 1; }
    set -a
    # shellcheck disable=SC1091
    . "$BENCH_DIR/env"
    set +a
}

# bench_stop_group PIDFILE: stops the multiwatch whose pid PIDFILE holds
# and its children. It was started under setsid, so it leads its own
# process group: SIGTERM to multiwatch (its children get SIGUSR1), and if
# the group is not gone within 5 s, SIGKILL to the group (a child that took
# the SIGUSR1 between two polls never sees it and would keep multiwatch
# waiting for ever). Only a pid whose command line still names multiwatch
# is signalled, so a recycled pid is left alone.
bench_stop_group() {
    local f=$1 pid i
    [ -s "$f" ] || return 0
    pid=$(cat "$f")
    rm -f "$f"
    [[ $pid =~ ^[0-9]+$ ]] || return 0
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q multiwatch || return 0
    kill -TERM "$pid" 2>/dev/null || return 0
    for ((i = 0; i < 50; i++)); do
        kill -0 -- "-$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    kill -KILL -- "-$pid" 2>/dev/null || true
    for ((i = 0; i < 20; i++)); do
        kill -0 -- "-$pid" 2>/dev/null || return 0
        sleep 0.1
    done
}

# bench_noop_start BODYFILE WORKERS: starts the floor (build/rel/noop-fcgi
# answering BODYFILE's bytes) under multiwatch, listening like the pool
# (conf/stack.sh start_fcgi): the same kind of socket, the same backlog,
# WORKERS processes. Its pid file is BENCH_DIR/noop.pid.
bench_noop_start() {
    local listen=(-s "$HMDP_NOOP_SOCKET" -b "$HMDP_FCGI_BACKLOG" -M 0600)
    [ "$(id -u)" = 0 ] && listen+=(-U nobody)
    [ "$HMDP_FCGI_LISTEN" = tcp ] &&
        listen=(-a 127.0.0.1 -p "${HMDP_NOOP_ADDR##*:}" -b "$HMDP_FCGI_BACKLOG")
    rm -f "$HMDP_NOOP_SOCKET"
    setsid spawn-fcgi -n "${listen[@]}" -- \
        "$(command -v multiwatch)" -f "$2" -- "$PWD/build/rel/noop-fcgi" "$1" \
        >"$BENCH_DIR/logs/noop.log" 2>&1 &
    echo $! >"$BENCH_DIR/noop.pid"
    for _ in $(seq 1 50); do
        [ -S "$HMDP_NOOP_SOCKET" ] && return 0
        [ "$HMDP_FCGI_LISTEN" = tcp ] &&
            (exec 3<>"/dev/tcp/127.0.0.1/${HMDP_NOOP_ADDR##*:}") 2>/dev/null && return 0
        sleep 0.1
    done
    echo "noop responder did not start"
    exit 1
}

bench_cleanup() {
    bench_stop_group "$BENCH_DIR/noop.pid"
    HMDP_BIN=$PWD/build/rel bash conf/stack.sh stop "$BENCH_DIR" >/dev/null 2>&1 || true
    if [ "${TEST_KEEP:-0}" = 1 ] || [ -n "${BENCH_REUSE:-}" ]; then
        echo "kept $BENCH_DIR"
    else
        rm -rf "$BENCH_DIR"
    fi
}

bench_login() {
    local phone=$1 code
    curl -s -XPOST "$HMDP_URL/api/user/code?phone=$phone" >/dev/null
    code=$(redis-cli -p "$HMDP_REDIS_PORT" get "login:code:$phone")
    curl -s -XPOST -H 'Content-Type: application/json' \
        -d "{\"phone\":\"$phone\",\"code\":\"$code\"}" "$HMDP_URL/api/user/login" |
        sed -n 's/.*"data":"\([0-9a-f]*\)".*/\1/p'
}

bench_session() {
    local phone=$1 uid t
    uid=$(mysql -uroot -S "$HMDP_MYSQL_SOCKET" -N hmdp \
        -e "SELECT id FROM tb_user WHERE phone = '$phone'" 2>/dev/null || true)
    if [ -n "$uid" ]; then
        for t in $(redis-cli -p "$HMDP_REDIS_PORT" smembers "login:sessions:$uid"); do
            if [ "$(redis-cli -p "$HMDP_REDIS_PORT" exists "login:token:$t")" = 1 ]; then
                echo "$t"
                return
            fi
        done
    fi
    bench_login "$phone"
}

# bench_token PHONE: sets BENCH_TOKEN to a session of PHONE's user (an
# open one reused: bench_session), kept a day so that it outlives the
# run, and writes BENCH_DIR/bench/auth.lua, which sends it with wrk's
# requests; exits when the login fails.
bench_token() {
    BENCH_TOKEN=$(bench_session "$1")
    [ ${#BENCH_TOKEN} = 32 ] || { echo "login of $1 failed"; exit 1; }
    redis-cli -p "$HMDP_REDIS_PORT" expire "login:token:$BENCH_TOKEN" 86400 >/dev/null
    mkdir -p "$BENCH_DIR/bench"
    printf 'wrk.headers["authorization"] = "%s"\n' "$BENCH_TOKEN" >"$BENCH_DIR/bench/auth.lua"
}

# bench_demo_load: the demo data (tests/bench/demo_data.c, SCALE
# BENCH_SCALE, default 1) in the stack of BENCH_DIR: loaded now, or, in a
# reused stack (BENCH_REUSE) that holds it already, read from its
# demo.env, with the demo users logged in again (their sessions may have
# expired). Sets the DEMO_* variables; both demo sessions are kept a day.
bench_demo_load() {
    if [ -s "$BENCH_DIR/demo.env" ]; then
        # shellcheck disable=SC1091
        . "$BENCH_DIR/demo.env"
        DEMO_FEED_TOKEN=$(bench_session "$DEMO_FEED_USER_PHONE")
        DEMO_COMMON_A_TOKEN=$(bench_session "$DEMO_COMMON_A_PHONE")
    else
        make --no-print-directory build/rel/demo-data >/dev/null
        build/rel/demo-data "${BENCH_SCALE:-1}" "$BENCH_DIR/demo.env" ||
            { echo "demo-data failed"; exit 1; }
        # shellcheck disable=SC1091
        . "$BENCH_DIR/demo.env"
    fi
    redis-cli -p "$HMDP_REDIS_PORT" expire "login:token:$DEMO_FEED_TOKEN" 86400 >/dev/null
    redis-cli -p "$HMDP_REDIS_PORT" expire "login:token:$DEMO_COMMON_A_TOKEN" 86400 >/dev/null
}

# bench_small_likers: the seed data's twins of demo_likers and
# demo_common: five users (phones 13900000002-6) like blog 4 (once: a
# rerun on a reused stack does not toggle them off) and follow the seed
# authors 1 and 2, as the bench user (13900000001, tokens[1]) does; the
# first of them is BENCH_COMMON_B, so the bench user's common follows
# with them are those two.
bench_small_likers() {
    local api=$HMDP_URL/api phone t uid
    curl -s -XPUT -H "authorization: ${tokens[1]}" "$api/follow/1/true" >/dev/null
    curl -s -XPUT -H "authorization: ${tokens[1]}" "$api/follow/2/true" >/dev/null
    BENCH_COMMON_B=
    for phone in 13900000002 13900000003 13900000004 13900000005 13900000006; do
        t=$(bench_login "$phone")
        uid=$(redis-cli -p "$HMDP_REDIS_PORT" hget "login:token:$t" id)
        [ -n "$uid" ] || { echo "login of $phone failed"; exit 1; }
        BENCH_COMMON_B=${BENCH_COMMON_B:-$uid}
        [ -n "$(redis-cli -p "$HMDP_REDIS_PORT" zscore blog:liked:4 "$uid")" ] ||
            curl -s -XPUT -H "authorization: $t" "$api/blog/like/4" >/dev/null
        curl -s -XPUT -H "authorization: $t" "$api/follow/1/true" >/dev/null
        curl -s -XPUT -H "authorization: $t" "$api/follow/2/true" >/dev/null
    done
}

# bench_endpoints: sets ENDPOINTS ("name|path|auth": auth 0 none, else a
# key of the caller's associative array tokens) for run.sh and cpu.sh:
# user_me (run.sh only: BENCH_USER_ME=1) and the small-data reads (the
# likers and common follows set up by bench_small_likers), or, with
# BENCH_DATA=demo, the demo data's reads (loaded by bench_demo_load,
# which also adds tokens f and c).
bench_endpoints() {
    ENDPOINTS=()
    [ "${BENCH_USER_ME:-0}" = 1 ] && ENDPOINTS+=("user_me|/user/me|1")
    ENDPOINTS+=(
        "blog_hot|/blog/hot?current=1|1"
        "blog_detail|/blog/4|1"
        "shop_cached|/shop/1|0"
        "feed|/blog/of/follow?lastId=1800000000000|1"
        "shops_near|/shop/of/type?typeId=1&current=1&x=120.149993&y=30.334229|0"
    )
    if [ "${BENCH_DATA:-}" != demo ]; then
        bench_small_likers
        ENDPOINTS+=(
            "likers|/blog/likes/4|0"
            "common|/follow/common/$BENCH_COMMON_B|1"
        )
    fi
    if [ "${BENCH_DATA:-}" = demo ]; then
        bench_demo_load
        tokens[f]=$DEMO_FEED_TOKEN
        tokens[c]=$DEMO_COMMON_A_TOKEN
        ENDPOINTS=(
            "demo_big_blog|/blog/$DEMO_BIG_BLOG|1"
            "demo_feed_1000|/blog/of/follow?lastId=$DEMO_FEED_LAST_ID|f"
            "demo_shops_near|/shop/of/type?typeId=$DEMO_SHOP_TYPE&current=1&x=$DEMO_SHOP_X&y=$DEMO_SHOP_Y|0"
            "demo_likers|/blog/likes/$DEMO_LIKED_BLOG|0"
            "demo_common|/follow/common/$DEMO_COMMON_B|c"
        )
    fi
}

# bench_ticks pids...: their CPU (utime + stime) summed, in clock ticks
bench_ticks() {
    local s=0 p f
    for p in "$@"; do
        f=$(cat "/proc/$p/stat" 2>/dev/null) || continue
        f=${f##*) }
        # shellcheck disable=SC2086
        set -- $f
        s=$((s + ${12} + ${13}))
    done
    echo $s
}
