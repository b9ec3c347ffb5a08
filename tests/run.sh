#!/usr/bin/env bash
# Test runner: `tests/run.sh unit` runs the unit tests; `tests/run.sh all`
# also starts a private stack (MariaDB, Redis, nginx, the sanitizer build
# of the workers and daemons) in a temp dir on free ports, runs every
# integration test against it, checks the logs for sanitizer reports and
# tears everything down. The last line is "N passed, N failed".
# TEST_KEEP=1 keeps the temp dir; TEST_ONLY="name ..." runs only those
# integration tests.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
mode=${1:-all}
pass=0
fail=0

# Adds the counts of a test binary's closing line to the totals.
tally() { # name output-file exit-code
    local line p f
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$2" | tail -n1)
    if [ -z "$line" ]; then
        echo "!! $1 printed no closing line (exit $3): counted as 1 failure"
        tail -n 20 "$2"
        fail=$((fail + 1))
        return
    fi
    p=${line%% passed*}
    f=${line#*passed, }
    f=${f%% failed*}
    pass=$((pass + p))
    fail=$((fail + f))
    if [ "$3" -ne 0 ] && [ "$f" -eq 0 ]; then
        echo "!! $1 exited $3 with no failed test: counted as 1 failure"
        fail=$((fail + 1))
    fi
}

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

echo "== unit tests"
for t in build/test/unit/test_*; do
    [ -x "$t" ] || continue
    out=$(mktemp)
    timeout 60 "$t" >"$out" 2>&1
    rc=$?
    grep -E '^(not ok|  FAIL)' "$out" || true
    echo "$(basename "$t"): $(grep -E '^[0-9]+ passed' "$out" | tail -n1)"
    tally "$(basename "$t")" "$out" "$rc"
    rm -f "$out"
done

# the import graph: layers one way, no feature cycles (tests/deps_graph.sh)
out=$(mktemp)
bash tests/deps_graph.sh >"$out" 2>&1
rc=$?
grep -E '^(not ok|  (cycle|wrong|feature uses))' "$out" || true
echo "deps_graph: $(grep -E '^[0-9]+ passed' "$out" | tail -n1)"
tally deps_graph "$out" "$rc"
rm -f "$out"

if [ "$mode" = all ]; then
    port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
    base=""
    for _ in $(seq 1 50); do
        b=$((21000 + (RANDOM % 400) * 10))
        ok=1
        for k in 0 1 2 3 4 5; do port_free $((b + k)) || ok=0; done
        if [ $ok = 1 ]; then base=$b; break; fi
    done
    [ -n "$base" ] || { echo "no free ports"; echo "0 passed, 1 failed"; exit 1; }
    T=$(mktemp -d /tmp/hmdp-test.XXXXXX)
    cleanup() {
        HMDP_BIN=$PWD/build/test bash conf/stack.sh stop "$T" >/dev/null 2>&1
        if [ "${TEST_KEEP:-0}" = 1 ]; then echo "kept $T"; else rm -rf "$T"; fi
    }
    trap cleanup EXIT
    echo "== starting test stack in $T (ports $base..$((base + 5)))"
    # login codes are "delivered" by a script that records them
    if ! HMDP_SMS_HOOK=$PWD/tests/integ/sms_hook.sh \
         HMDP_BIN=$PWD/build/test HMDP_PORT_BASE=$base HMDP_WORKERS=${HMDP_WORKERS:-4} \
         HMDP_MODE=dev bash conf/stack.sh start "$T" >"$T/start.log" 2>&1; then
        cat "$T/start.log"
        echo "0 passed, 1 failed"
        exit 1
    fi
    set -a
    # shellcheck disable=SC1091
    . "$T/env"
    set +a
    # Serve the original dump: load ../shared/reference/hmdp.sql (when this
    # checkout sits beside shared/, as in CI) over our schema, then bring it
    # up to date with migrate.sql and the seed; every test below then runs
    # against the original tables and data.
    dump=${HMDP_REFERENCE_DUMP:-../shared/reference/hmdp.sql}
    if [ -f "$dump" ]; then
        my=(mariadb --no-defaults -S "$HMDP_MYSQL_SOCKET" -uroot hmdp)
        if "${my[@]}" <"$dump" && "${my[@]}" <sql/migrate.sql && "${my[@]}" <sql/seed.sql; then
            echo "== loaded the reference dump $dump (+ migrate.sql, seed.sql)"
        else
            echo "!! loading the reference dump failed"
            fail=$((fail + 1))
        fi
    fi
    export HMDP_REPO=$PWD
    echo "== integration tests"
    for t in build/test/integ/test_*; do
        [ -x "$t" ] || continue
        name=$(basename "$t")
        if [ -n "${TEST_ONLY:-}" ]; then
            case " $TEST_ONLY " in *" $name "*) ;; *) continue ;; esac
        fi
        out=$(mktemp)
        timeout 600 "$t" >"$out" 2>&1
        rc=$?
        grep -E '^(not ok|  )' "$out" | head -n 40 || true
        echo "$name: $(grep -E '^[0-9]+ passed' "$out" | tail -n1)"
        tally "$name" "$out" "$rc"
        rm -f "$out"
    done
    # stop the daemons first so LeakSanitizer reports land in the logs
    HMDP_BIN=$PWD/build/test bash conf/stack.sh stop "$T" >/dev/null 2>&1
    if grep -lE 'Sanitizer|runtime error:' "$T"/logs/*.log >/dev/null 2>&1; then
        echo "!! sanitizer reports in the logs:"
        grep -hE -B2 -A30 'Sanitizer|runtime error:' "$T"/logs/*.log | head -n 80
        fail=$((fail + 1))
    fi
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
