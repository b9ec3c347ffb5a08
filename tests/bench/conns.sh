#!/usr/bin/env bash
# Load beyond 64 connections, in one run: for each endpoint, the static
# file (nginx alone), the do-nothing responder (tests/bench/noop_fcgi.c,
# the floor, listening like the pool) and the app, each at every count of
# BENCH_CONNS_LIST, in BENCH_ROUNDS alternating rounds (so a slow spell of
# this shared machine hits every count alike). Reports per count the
# medians, the app's rate against its rate at the first count of the same
# round, and every error wrk saw (non-2xx and socket errors: connect,
# read, write, timeout; wrk drops a request after 2 s as a timeout).
# Usage: tests/bench/conns.sh [endpoint ...]   (default: blog_detail
# shop_cached)
# Env: BENCH_CONNS_LIST ("64 256 1024"), BENCH_SECONDS (5), BENCH_ROUNDS
# (2), BENCH_WORKERS (4: issue 12 fixes 4 workers for this benchmark,
# whatever conf/hmdp.conf's default), TEST_KEEP=1; HMDP_FCGI_KEEPALIVE and
# HMDP_FCGI_LISTEN as for conf/stack.sh.
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${BENCH_SECONDS:-5}
rounds=${BENCH_ROUNDS:-2}
workers=${BENCH_WORKERS:-4}
read -r -a levels <<<"${BENCH_CONNS_LIST:-64 256 1024}"

. tests/bench/lib.sh
bench_stack "$workers"
T=$BENCH_DIR
api=$HMDP_URL/api
bench_token 13900000001
token=$BENCH_TOKEN

# name|path|auth (1: logged in)
ENDPOINTS=(
    "blog_detail|/blog/4|1"
    "shop_cached|/shop/1|0"
    "user_me|/user/me|1"
)
want=("$@")
[ ${#want[@]} -gt 0 ] || want=(blog_detail shop_cached)

run_wrk() { # conns url auth -> "rps p99ms errors"
    local extra=()
    [ "$3" != 0 ] && extra=(-s "$T/bench/auth.lua")
    wrk -t2 -c"$1" -d"${secs}s" --latency "${extra[@]}" "$2" >"$T/wrk.out" 2>&1
    awk '
        /Requests\/sec/ { rps = $2 }
        $1 == "99%" { p = $2 }
        /Non-2xx/ { bad += $4 }
        /Socket errors/ { for (i = 3; i <= NF; i++) { gsub(",", "", $i); if ($i ~ /^[0-9]+$/) bad += $i } }
        END {
            v = p
            if (v ~ /us$/) { sub(/us/, "", v); v /= 1000 }
            else if (v ~ /ms$/) { sub(/ms/, "", v) }
            else if (v ~ /s$/) { sub(/s/, "", v); v *= 1000 }
            printf "%s %.2f %d\n", rps, v, bad
        }' "$T/wrk.out"
}
median() { sort -g | awk '{v[NR]=$1} END {if (NR%2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2}'; }
list() { local s; s=$(printf '%s, ' "$@"); echo "${s%, }"; }

printf '| endpoint | conns | static req/s | static p99 | noop req/s | noop p99 | app req/s | app p99 per round | app/noop | app rate vs at %s per round | errors (static/noop/app) |\n' "${levels[0]}"
printf '|---|---|---|---|---|---|---|---|---|---|---|\n'
for e in "${ENDPOINTS[@]}"; do
    IFS='|' read -r name path auth <<<"$e"
    [[ " ${want[*]} " =~ " $name " ]] || continue
    hdr=()
    [ "$auth" != 0 ] && hdr=(-H "authorization: $token")
    curl -s "${hdr[@]}" "$api$path" -o "$T/bench/static.json"
    grep -q '^{"success":true' "$T/bench/static.json" || { echo "| $name | skipped |"; continue; }
    curl -s "${hdr[@]}" "$api$path" -o "$T/bench/static.json"
    bench_noop_start "$T/bench/static.json" "$workers"
    declare -A S SP N NP A AP REL ERR
    for ((k = 0; k < rounds; k++)); do
        for c in "${levels[@]}"; do
            read -r r p b < <(run_wrk "$c" "$HMDP_URL/bench/static.json" 0)
            S[$c]+="$r " SP[$c]+="$p " ERR[$c]+="s$b "
            read -r r p b < <(run_wrk "$c" "$HMDP_URL/bench-noop/" 0)
            N[$c]+="$r " NP[$c]+="$p " ERR[$c]+="n$b "
            read -r r p b < <(run_wrk "$c" "$api$path" "$auth")
            A[$c]+="$r " AP[$c]+="$p " ERR[$c]+="a$b "
            [ "$c" = "${levels[0]}" ] && base=$r
            REL[$c]+="$(awk -v a="$r" -v b="$base" 'BEGIN{printf "%.0f%%", 100*a/b}') "
        done
    done
    bench_stop_group "$T/noop.pid"
    for c in "${levels[@]}"; do
        # shellcheck disable=SC2086 # word lists built above
        {
            s=$(printf '%s\n' ${S[$c]} | median)
            sp=$(printf '%s\n' ${SP[$c]} | median)
            n=$(printf '%s\n' ${N[$c]} | median)
            np=$(printf '%s\n' ${NP[$c]} | median)
            a=$(printf '%s\n' ${A[$c]} | median)
            es=$(printf '%s\n' ${ERR[$c]} | awk '/^s/ {t += substr($0, 2)} END {print t + 0}')
            en=$(printf '%s\n' ${ERR[$c]} | awk '/^n/ {t += substr($0, 2)} END {print t + 0}')
            ea=$(printf '%s\n' ${ERR[$c]} | awk '/^a/ {t += substr($0, 2)} END {print t + 0}')
            printf '| %s | %s | %.0f | %s ms | %.0f | %s ms | %.0f | %s ms | %.0f%% | %s | %s/%s/%s |\n' \
                "$name" "$c" "$s" "$sp" "$n" "$np" "$a" "$(list ${AP[$c]})" \
                "$(awk -v a="$a" -v b="$n" 'BEGIN{print 100*a/b}')" "$(list ${REL[$c]})" "$es" "$en" "$ea"
        }
    done
    unset S SP N NP A AP REL ERR
done
echo
echo "wrk -t2 -d${secs}s at ${levels[*]} connections; $rounds rounds; $workers FastCGI workers; fcgi_keepalive $HMDP_FCGI_KEEPALIVE; $HMDP_FCGI_LISTEN socket, backlog $HMDP_FCGI_BACKLOG; $(nproc) cores"
