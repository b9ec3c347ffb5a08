#!/usr/bin/env bash
# Benchmarks through nginx with wrk. For each endpoint, three targets are
# measured in one run, serving the same bytes:
#   static - nginx serving the response body as a file (the ceiling)
#   noop   - tests/bench/noop_fcgi.c, a do-nothing libfcgi responder behind
#            the same nginx, same worker count (the floor of this shape)
#   app    - the real endpoint (nginx -> FastCGI pool -> Redis/MySQL)
# Usage: tests/bench/run.sh [endpoint-name ...]   (default: all)
# The floor and the app are measured in alternating rounds (BENCH_ROUNDS)
# and compared round by round; the median ratio is the figure.
# Env: BENCH_SECONDS (10), BENCH_ROUNDS (3), BENCH_CONNS (64),
# BENCH_WORKERS (4), TEST_KEEP=1.
# shops_near is the small-data twin of demo_shops_near (the seed's shops
# of type 1 near a point of the frontend's map), likers and common those
# of demo_likers and demo_common (five likers of blog 4; two common
# follows, set up by bench_small_likers in lib.sh).
# BENCH_DATA=demo: load the demo data (tests/bench/demo_data.c, SCALE
# BENCH_SCALE, default 1) into the private stack first and measure the
# endpoints at scale instead: a big author's blog, the feed of a user who
# follows 1,000 authors (pulled big ones included), shops of a type near
# a point, the likers of the blog with 100,000 likes, the common follows
# of two users with 10,000 follows each.
# To load the demo data once and measure it several times: a first run
# with TEST_KEEP=1 keeps its stack dir (printed at the end; name no
# endpoint that exists, e.g. `... run.sh none`, to load only), then
# BENCH_REUSE=DIR BENCH_DATA=demo tests/bench/run.sh ... reuses it: the
# stack starts again with the data as left (writes of earlier runs
# included), the load is skipped and the demo users log in again.
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${BENCH_SECONDS:-10}
rounds=${BENCH_ROUNDS:-3}
conns=${BENCH_CONNS:-64}
workers=${BENCH_WORKERS:-4}

. tests/bench/lib.sh
bench_stack "$workers"
T=$BENCH_DIR
api=$HMDP_URL/api
rcli() { redis-cli -p "$HMDP_REDIS_PORT" "$@"; }

# a logged-in user, kept for the whole run
bench_token 13900000001
token=$BENCH_TOKEN
# tokens by the endpoint's auth column: 1 this user, f and c demo users
declare -A tokens=([1]=$token)

# optional per-endpoint data set-up (follows + feed entries)
uid=$(curl -s -H "authorization: $token" "$api/user/me" | sed -n 's/.*"id":\([0-9]*\).*/\1/p')
setup_feed() {
    # follow the two seed authors; their blogs go into the inbox
    curl -s -XPUT -H "authorization: $token" "$api/follow/1/true" >/dev/null || true
    curl -s -XPUT -H "authorization: $token" "$api/follow/2/true" >/dev/null || true
    for b in 4 5 6 7; do rcli zadd "feed:$uid" "$((1700000000000 + b))" "$b" >/dev/null; done
}

# name|path|auth (0 none, else a key of tokens)
BENCH_USER_ME=1 bench_endpoints
if [ "${BENCH_DATA:-}" = demo ]; then
    echo "demo data: SCALE ${BENCH_SCALE:-1}, $DEMO_USERS users, $DEMO_FOLLOWS follows, $DEMO_BLOGS blogs, $DEMO_LIKES likes; big author $DEMO_BIG_AUTHOR_0 ($DEMO_BIG_AUTHOR_0_FANS fans), feed user $DEMO_FEED_USER ($DEMO_FEED_USER_FOLLOWS follows, $DEMO_FEED_USER_PULLED pulled), liked blog $DEMO_LIKED_BLOG ($DEMO_LIKED_BLOG_LIKES likes), common $DEMO_COMMON_A/$DEMO_COMMON_B ($DEMO_COMMON_FOLLOWS follows, $DEMO_COMMON_SHARED shared)"
    echo
fi
want=("$@")

for k in "${!tokens[@]}"; do
    cat >"$T/bench/auth-$k.lua" <<LUA
wrk.headers["authorization"] = "${tokens[$k]}"
LUA
done
noop_start() { # body-file
    bench_noop_start "$1" "$workers"
}
noop_stop() {
    bench_stop_group "$T/noop.pid"
}
run_wrk() { # url auth -> "rps p99ms"
    local extra=()
    [ "$2" != 0 ] && extra=(-s "$T/bench/auth-$2.lua")
    wrk -t2 -c"$conns" -d"${secs}s" --latency "${extra[@]}" "$1" >"$T/wrk.out" 2>&1
    local rps p99 non2xx
    rps=$(awk '/Requests\/sec/ {print $2}' "$T/wrk.out")
    p99=$(awk '$1=="99%" {print $2}' "$T/wrk.out")
    non2xx=$(awk '/Non-2xx/ {print $4}' "$T/wrk.out")
    # wrk prints latency with its unit (us, ms, s): convert to ms
    p99=$(echo "$p99" | awk '{v=$1; if (v ~ /us$/) {sub(/us/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v*=1000}; printf "%.2f", v}')
    echo "$rps $p99 ${non2xx:-0}"
}

median() { sort -g | awk '{v[NR]=$1} END {if (NR%2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2}'; }

# The floor and the app alternate, BENCH_ROUNDS times each, so a slow
# spell of this shared machine hits both alike; the ratio of each round
# and their median are reported. The do-nothing responder idles (no
# CPU) while the app is measured.
printf '| endpoint | static req/s | noop req/s (median) | app req/s (median) | app/noop per round | app/noop median | app/static | p99 static | p99 noop (median) | p99 app per round | p99 app median | non-2xx app |\n'
printf '|---|---|---|---|---|---|---|---|---|---|---|---|\n'
for e in "${ENDPOINTS[@]}"; do
    IFS='|' read -r name path auth <<<"$e"
    if [ ${#want[@]} -gt 0 ] && [[ ! " ${want[*]} " =~ " $name " ]]; then continue; fi
    [ "$name" = feed ] && setup_feed
    hdr=()
    [ "$auth" != 0 ] && hdr=(-H "authorization: ${tokens[$auth]}")
    body=$(curl -s "${hdr[@]}" "$api$path")
    case "$body" in
    '{"success":true'*) ;;
    *) echo "| $name | skipped: $path answered ${body:0:80} |"; continue ;;
    esac
    # warm the app (cache fill) before copying the bytes
    curl -s "${hdr[@]}" "$api$path" -o "$T/bench/static.json"
    noop_start "$T/bench/static.json"
    read -r s_rps s_p99 _ < <(run_wrk "$HMDP_URL/bench/static.json" 0)
    n_all=() a_all=() np_all=() ap_all=() ratios=() bad=0
    for ((k = 0; k < rounds; k++)); do
        read -r n_rps n_p99 _ < <(run_wrk "$HMDP_URL/bench-noop/" 0)
        read -r a_rps a_p99 a_bad < <(run_wrk "$api$path" "$auth")
        n_all+=("$n_rps") a_all+=("$a_rps") np_all+=("$n_p99") ap_all+=("$a_p99")
        ratios+=("$(awk -v a="$a_rps" -v b="$n_rps" 'BEGIN{printf "%.0f", 100*a/b}')")
        bad=$((bad + a_bad))
    done
    noop_stop
    n_med=$(printf '%s\n' "${n_all[@]}" | median)
    a_med=$(printf '%s\n' "${a_all[@]}" | median)
    r_med=$(printf '%s\n' "${ratios[@]}" | median)
    np_med=$(printf '%s\n' "${np_all[@]}" | median)
    ap_med=$(printf '%s\n' "${ap_all[@]}" | median)
    r_static=$(awk -v a="$a_med" -v b="$s_rps" 'BEGIN{printf "%.0f%%", 100*a/b}')
    per_round=$(printf '%s%%, ' "${ratios[@]}")
    p99_round=$(printf '%s, ' "${ap_all[@]}")
    printf '| %s `%s` | %.0f | %.0f | %.0f | %s | **%.0f%%** | %s | %s ms | %s ms | %s ms | **%s ms** | %s |\n' \
        "$name" "$path" "$s_rps" "$n_med" "$a_med" "${per_round%, }" "$r_med" "$r_static" \
        "$s_p99" "$np_med" "${p99_round%, }" "$ap_med" "$bad"
done
echo
last_bytes=$(wc -c <"$T/bench/static.json" 2>/dev/null || echo none)
echo "bytes per response: $last_bytes (last endpoint); wrk -t2 -c$conns -d${secs}s; $rounds rounds of noop/app; $workers FastCGI workers; fcgi_keepalive $HMDP_FCGI_KEEPALIVE; $HMDP_FCGI_LISTEN socket, backlog $HMDP_FCGI_BACKLOG; $(nproc) cores"
