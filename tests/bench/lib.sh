# lib.sh: shared by the benchmark scripts (sourced, not run).
# bench_stack WORKERS [extra env...]: builds the release binaries, starts a
# private stack in a temp dir on free ports (stopped and removed on exit,
# kept with TEST_KEEP=1) and exports its env (HMDP_URL, ports, ...).
# bench_login PHONE: prints a session token for a new or existing user.

bench_stack() {
    local workers=$1
    shift
    make --no-print-directory rel >/dev/null
    BENCH_DIR=$(mktemp -d /tmp/hmdp-bench.XXXXXX)
    local base=$((24000 + (RANDOM % 300) * 10))
    trap bench_cleanup EXIT
    env "$@" HMDP_BIN="$PWD/build/rel" HMDP_PORT_BASE=$base HMDP_WORKERS="$workers" \
        HMDP_MODE=prod bash conf/stack.sh start "$BENCH_DIR" >"$BENCH_DIR/start.log" 2>&1 ||
        { cat "$BENCH_DIR/start.log"; exit 1; }
    set -a
    # shellcheck disable=SC1091
    . "$BENCH_DIR/env"
    set +a
}

bench_cleanup() {
    [ -f "$BENCH_DIR/noop.pid" ] && kill "$(cat "$BENCH_DIR/noop.pid")" 2>/dev/null
    HMDP_BIN=$PWD/build/rel bash conf/stack.sh stop "$BENCH_DIR" >/dev/null 2>&1 || true
    if [ "${TEST_KEEP:-0}" = 1 ]; then echo "kept $BENCH_DIR"; else rm -rf "$BENCH_DIR"; fi
}

bench_login() {
    local phone=$1 code
    curl -s -XPOST "$HMDP_URL/api/user/code?phone=$phone" >/dev/null
    code=$(redis-cli -p "$HMDP_REDIS_PORT" get "login:code:$phone")
    curl -s -XPOST -H 'Content-Type: application/json' \
        -d "{\"phone\":\"$phone\",\"code\":\"$code\"}" "$HMDP_URL/api/user/login" |
        sed -n 's/.*"data":"\([0-9a-f]*\)".*/\1/p'
}
