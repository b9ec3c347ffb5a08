#!/usr/bin/env bash
# feed_fanout.sh: times feed_on_publish for one blog by an author with N
# followers (default 100,000; target <= 1 s) on a private stack, using the
# release build. The push threshold is raised for the run so the author
# is pushed, not pulled.
# Usage: tests/bench/feed_fanout.sh [followers]   TEST_KEEP=1 keeps the dir.
set -euo pipefail
cd "$(dirname "$0")/../.."
n=${1:-100000}

make --no-print-directory rel >/dev/null
PKGS="hiredis json-c mysqlclient fcgi libsodium"
objs=$(find build/rel/app -name '*.o' ! -path build/rel/app/main.o ! -name '*_consumer.o' ! -path 'build/rel/app/sse/*' | sort)
# shellcheck disable=SC2046,SC2086
cc -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -O2 -g -Wall -Wextra -Werror \
    $(pkg-config --cflags $PKGS) tests/bench/feed_fanout.c $objs \
    $(pkg-config --libs $PKGS) -lm -o build/rel/feed-fanout-bench

T=$(mktemp -d /tmp/hmdp-fanout.XXXXXX)
base=$((25000 + (RANDOM % 300) * 10))
cleanup() {
    HMDP_BIN=$PWD/build/rel bash conf/stack.sh stop "$T" >/dev/null 2>&1 || true
    if [ "${TEST_KEEP:-0}" = 1 ]; then echo "kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT
HMDP_BIN=$PWD/build/rel HMDP_PORT_BASE=$base HMDP_WORKERS=1 HMDP_MODE=prod \
    bash conf/stack.sh start "$T" >"$T/start.log" 2>&1 || { cat "$T/start.log"; exit 1; }
set -a
# shellcheck disable=SC1091
. "$T/env"
set +a
HMDP_LOG_FILE= HMDP_FEED_PUSH_THRESHOLD=100000000 build/rel/feed-fanout-bench "$n"
