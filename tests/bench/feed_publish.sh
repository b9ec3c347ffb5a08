#!/usr/bin/env bash
# feed_publish.sh: POST /blog on the demo data (issue 12 part 4), through
# nginx and the worker pool like any client, by two authors:
#   pushed  the demo's third big author (100,000 fans at SCALE=1), under a
#           push threshold raised above its fans: the answer comes after
#           the blog id is in every follower's inbox (feed_on_publish runs
#           before the reply), and the script then checks every inbox;
#   pulled  an author given 1,000,000 fans (at SCALE=1; follow rows from
#           user ids 900,000,001 on, which have no tb_user row: a pulled
#           author's publish reads only tb_user_info.fans), above the
#           threshold: not pushed, the blog goes to the author's outbox
#           for the readers who pull it.
# Fan counts scale with BENCH_SCALE (0.1: 10,000 and 100,000); the push
# threshold of the workers is halfway between the two. Each publish is
# timed by the client (curl: request sent -> answer read) and by the
# worker (its latency_ms log field). For the pushed author the time until
# the fan-out finished is the time until every follower's inbox was seen
# holding the blog (polled from the answer on; "at the answer" when the
# first look found them all: the push is synchronous). Every blog
# published here is deleted again at the end (its DELETE timed too).
#
# Usage: tests/bench/feed_publish.sh
# Env: BENCH_SCALE (1), PUBLISH_ROUNDS (3 publishes per author),
#      TEST_KEEP=1 (keep the stack dir), BENCH_REUSE=DIR (a stack dir kept
#      from an earlier run of this script or of `BENCH_DATA=demo
#      tests/bench/run.sh`, stopped: its demo data is reused, not loaded;
#      see tests/bench/lib.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
scale=${BENCH_SCALE:-1}
rounds=${PUBLISH_ROUNDS:-3}
n_pull=$(awk -v s="$scale" 'BEGIN {printf "%d", 1000000 * s}')
[ "$n_pull" -ge 2 ] || { echo "BENCH_SCALE too small"; exit 1; }
pull_base=900000000

. tests/bench/lib.sh
make --no-print-directory build/rel/demo-data >/dev/null

# the threshold the demo data is loaded under (conf/hmdp.conf's), and
# the one the workers run with: known once the pushed author's fans are
T_load=$(sed -n 's/^feed_push_threshold *= *\([0-9]*\).*/\1/p' conf/hmdp.conf)
# the demo's third big author has 100,000 * SCALE fans (at least
# T_load + 1); the workers' threshold sits above it and below n_pull
n_push_plan=$(awk -v s="$scale" -v t="$T_load" \
    'BEGIN {n = int(100000 * s); if (n <= t) n = t + 1; printf "%d", n}')
T_run=$(((n_push_plan + n_pull) / 2))
if [ "$T_run" -le "$n_push_plan" ] || [ "$T_run" -ge "$n_pull" ]; then
    echo "no threshold between $n_push_plan and $n_pull fans"
    exit 1
fi
bench_stack 2 HMDP_FEED_PUSH_THRESHOLD="$T_run"
T=$BENCH_DIR
api=$HMDP_URL/api
rcli() { redis-cli -p "$HMDP_REDIS_PORT" "$@"; }
sql() { mysql -uroot -S "$HMDP_MYSQL_SOCKET" -N hmdp -e "$1"; }

if [ ! -s "$T/demo.env" ]; then
    HMDP_FEED_PUSH_THRESHOLD=$T_load build/rel/demo-data "$scale" "$T/demo.env" ||
        { echo "demo-data failed"; exit 1; }
fi
# shellcheck disable=SC1091
. "$T/demo.env"
[ "$DEMO_SCALE" = "$scale" ] ||
    echo "note: the reused data was loaded at SCALE $DEMO_SCALE, not $scale"

# the pushed author: its fans as the app counts them
pushed=$DEMO_BIG_AUTHOR_2
n_push=$(sql "SELECT COALESCE(fans, 0) FROM tb_user_info WHERE user_id = $pushed")
[ "$n_push" -le "$T_run" ] ||
    { echo "author $pushed has $n_push fans, above the threshold $T_run"; exit 1; }
push_phone=$(sql "SELECT phone FROM tb_user WHERE id = $pushed")
push_tok=$(bench_session "$push_phone")

# the pulled author: a user of its own with n_pull follow rows (made once)
pull_tok=$(bench_session 17799990001)
pulled=$(curl -s -H "authorization: $pull_tok" "$api/user/me" |
    sed -n 's/.*"id":\([0-9]*\).*/\1/p')
[ -n "$pulled" ] || { echo "login of the pulled author failed"; exit 1; }
have=$(sql "SELECT COUNT(*) FROM tb_follow WHERE follow_user_id = $pulled")
if [ "$have" -lt "$n_pull" ]; then
    echo "giving author $pulled $n_pull fans (follow rows from user $((pull_base + 1)))..."
    s0=$(date +%s.%N)
    sql "INSERT IGNORE INTO tb_follow (user_id, follow_user_id)
         SELECT $pull_base + seq, $pulled FROM seq_1_to_$n_pull"
    sql "INSERT INTO tb_user_info (user_id, fans) VALUES ($pulled, $n_pull)
         ON DUPLICATE KEY UPDATE fans = $n_pull"
    echo "  done in $(awk -v a="$s0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}') s"
fi
n_pulled=$(sql "SELECT COALESCE(fans, 0) FROM tb_user_info WHERE user_id = $pulled")
[ "$n_pulled" -gt "$T_run" ] ||
    { echo "author $pulled has $n_pulled fans, not above $T_run"; exit 1; }

# the pushed author's followers, for the inbox check
sql "SELECT user_id FROM tb_follow WHERE follow_user_id = $pushed" >"$T/fans.txt"
n_fans=$(wc -l <"$T/fans.txt")
inbox_lua="local n = 0
for i = 1, #ARGV - 1 do
  if redis.call('ZSCORE', 'feed:' .. ARGV[i + 1], ARGV[1]) then n = n + 1 end
end
return n"
inboxes_holding() { # blog -> how many of the followers' inboxes hold it
    xargs -n 5000 redis-cli -p "$HMDP_REDIS_PORT" EVAL "$inbox_lua" 0 "$1" \
        <"$T/fans.txt" | awk '{s += $1} END {print s + 0}'
}

now() { date +%s.%N; }
ms() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.1f", (b - a) * 1000}'; }
worker_ms() { # request id -> its latency_ms in the worker log ("?" if none)
    local i v
    for ((i = 0; i < 20; i++)); do # logged just after the answer
        v=$(grep -F "\"rid\":\"$1\"" "$HMDP_LOG_FILE" | grep '"event":"request"' |
            sed -n 's/.*"latency_ms":\([0-9.]*\).*/\1/p' | tail -1)
        [ -n "$v" ] && { echo "$v"; return; }
        sleep 0.05
    done
    echo "?"
}
published=()
publish() { # token author-kind round -> "blog answer_ms worker_ms start"
    local body id t0 t1 rid
    body="{\"title\":\"publish bench $2 $3\",\"content\":\"c\",\"images\":\"\",\"shopId\":$DEMO_FIRST_SHOP}"
    t0=$(now)
    id=$(curl -s -D "$T/head.txt" -XPOST -H "authorization: $1" \
        -H 'Content-Type: application/json' -d "$body" "$api/blog" |
        sed -n 's/.*"data":\([0-9]*\).*/\1/p')
    t1=$(now)
    rid=$(sed -n 's/^[Xx]-[Rr]equest-[Ii]d: *\([0-9a-f]*\).*/\1/p' "$T/head.txt")
    echo "${id:-none} $(ms "$t0" "$t1") $(worker_ms "${rid:-none}") $t0"
}

echo "demo data: SCALE $DEMO_SCALE ($DEMO_USERS users, $DEMO_FOLLOWS follows); workers' feed_push_threshold $T_run"
echo "pushed author $pushed: $n_push fans ($n_fans follow rows); pulled author $pulled: $n_pulled fans"
echo
printf '| author | round | answer (client) | answer (worker) | fan-out finished | inboxes holding it |\n'
printf '|---|---|---|---|---|---|\n'
push_ms=() pull_ms=()
for ((r = 1; r <= rounds; r++)); do
    read -r id a_ms w_ms t0 < <(publish "$push_tok" pushed "$r")
    [ "$id" != none ] || { echo "publish by the pushed author failed"; exit 1; }
    published+=("$push_tok $id")
    # poll until every follower's inbox holds it
    first=1 done_at="" held=0
    while :; do
        held=$(inboxes_holding "$id")
        if [ "$held" -ge "$n_fans" ]; then
            if ((first)); then done_at="at the answer (<= $a_ms ms)"; else done_at="$(ms "$t0" "$(now)") ms (polled)"; fi
            break
        fi
        first=0
        [ "$(ms "$t0" "$(now)" | cut -d. -f1)" -lt 60000 ] || { done_at="not within 60 s"; break; }
    done
    printf '| pushed (%s fans) | %d | %s ms | %s ms | %s | %s / %s |\n' \
        "$n_push" "$r" "$a_ms" "$w_ms" "$done_at" "$held" "$n_fans"
    push_ms+=("$a_ms")

    read -r id a_ms w_ms t0 < <(publish "$pull_tok" pulled "$r")
    [ "$id" != none ] || { echo "publish by the pulled author failed"; exit 1; }
    published+=("$pull_tok $id")
    inbox=$(rcli zscore "feed:$((pull_base + 1))" "$id")
    outbox=$(rcli sismember feed:big-authors "$pulled")
    printf '| pulled (%s fans) | %d | %s ms | %s ms | not pushed%s | in feed:big-authors: %s |\n' \
        "$n_pulled" "$r" "$a_ms" "$w_ms" "${inbox:+ (but an inbox holds it!)}" "$outbox"
    pull_ms+=("$a_ms")
done
median() { sort -g | awk '{v[NR] = $1} END {if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
echo
echo "median answer: pushed $(printf '%s\n' "${push_ms[@]}" | median) ms, pulled $(printf '%s\n' "${pull_ms[@]}" | median) ms ($rounds per author)"

# clean up: the blogs go again (timed: a pushed blog's delete is a fan-out too)
del=()
for p in "${published[@]}"; do
    read -r tok id <<<"$p"
    t0=$(now)
    curl -s -o /dev/null -XDELETE -H "authorization: $tok" "$api/blog/$id"
    del+=("$id:$(ms "$t0" "$(now)")ms")
done
echo "deleted again: ${del[*]}"
