#!/usr/bin/env bash
# feed_fanout.sh: times feed_on_publish for one blog by an author with N
# followers (default 100,000; target <= 1 s) on a private stack, using the
# release build. The push threshold is raised for the run so the author
# is pushed, not pulled.
# Usage: tests/bench/feed_fanout.sh [followers]   TEST_KEEP=1 keeps the dir.
set -euo pipefail
cd "$(dirname "$0")/../.."
n=${1:-100000}

. tests/bench/lib.sh
make --no-print-directory build/rel/feed-fanout-bench >/dev/null
bench_stack 1
HMDP_LOG_FILE= HMDP_FEED_PUSH_THRESHOLD=100000000 build/rel/feed-fanout-bench "$n"
