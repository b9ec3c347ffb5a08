#!/usr/bin/env bash
# deps_graph.sh: the import graph of app/, from its #include "..." lines.
# Checks, each counted as one test:
#   1. layers point one way: core includes only core; store only core and
#      store; stream only core, store and stream
#   2. no feature (app/<f>/ other than core store stream sse admin)
#      includes sse/ or the libfcgi glue (core/fcgi.h)
#   3. no cycle between feature directories (feed -> blog -> feed)
# Prints the feature edges and "N passed, N failed" like a test binary.
# Run: bash tests/deps_graph.sh  (make test runs it)
set -uo pipefail
cd "$(dirname "$0")/.."

# "from_dir to_dir file" for each quoted include between app/ directories
edges=$(
    for f in app/*/*.c app/*/*.h; do
        [ -e "$f" ] || continue
        from=$(basename "$(dirname "$f")")
        sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f" |
            while read -r inc; do
                case "$inc" in
                ../*/*) to=${inc#../}; to=${to%%/*} ;;
                *) to=$from ;;
                esac
                echo "$from $to $f $inc"
            done
    done
)
pass=0
fail=0
check() { # name status
    if [ "$2" -eq 0 ]; then
        pass=$((pass + 1))
    else
        echo "not ok: $1"
        fail=$((fail + 1))
    fi
}

is_base() { case "$1" in core | store | stream | sse | admin) return 0 ;; esac; return 1; }

# 1. layer direction
bad=$(echo "$edges" | awk '
    $1 == "core" && $2 != "core" { print }
    $1 == "store" && $2 != "core" && $2 != "store" { print }
    $1 == "stream" && $2 != "core" && $2 != "store" && $2 != "stream" { print }')
[ -n "$bad" ] && echo "$bad" | sed 's/^/  wrong direction: /'
check "layers point one way (features -> stream -> store -> core)" "$([ -z "$bad" ]; echo $?)"

# 2. features and sse/fcgi
bad=$(echo "$edges" | awk '
    $1 !~ /^(core|store|stream|sse|admin)$/ &&
    ($2 == "sse" || $4 ~ /(^|\/)fcgi\.h$/) { print }')
[ -n "$bad" ] && echo "$bad" | sed 's/^/  feature uses sse or fcgi: /'
check "no feature includes sse/ or core/fcgi.h" "$([ -z "$bad" ]; echo $?)"

# 3. cycles between features
fedges=$(echo "$edges" | awk '
    $1 != $2 && $1 !~ /^(core|store|stream|sse|admin)$/ &&
    $2 !~ /^(core|store|stream|sse|admin)$/ { print $1, $2 }' | sort -u)
echo "feature edges:"
echo "$fedges" | sed '/^$/d; s/^/  /; s/ \([a-z]*\)$/ -> \1/'
cycle=$(echo "$fedges" | awk '
    NF == 2 { adj[$1] = adj[$1] " " $2; nodes[$1]; nodes[$2] }
    function dfs(n, path,   k, i, m, parts) {
        state[n] = 1
        m = split(adj[n], parts, " ")
        for (i = 1; i <= m; i++) {
            k = parts[i]
            if (state[k] == 1) { found = path " -> " k; return 1 }
            if (state[k] == 0 && dfs(k, path " -> " k)) return 1
        }
        state[n] = 2
        return 0
    }
    END {
        for (n in nodes) state[n] = 0
        for (n in nodes) if (state[n] == 0 && dfs(n, n)) { print found; exit }
    }')
[ -n "$cycle" ] && echo "  cycle: $cycle"
check "no cycle between feature directories" "$([ -z "$cycle" ]; echo $?)"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
