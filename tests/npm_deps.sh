#!/bin/sh
# npm_deps.sh: installs the npm packages of tests/npm/package-lock.json
# (Swagger UI for the API page at /api-docs/, ajv for
# tests/apidoc/validate.js, playwright-core for the browser test of
# message.html, tests/browser/message_page.js) into build/npm/node_modules.
# playwright-core only drives a browser: the browser is Debian's chromium
# (tests/deps.sh); nothing here downloads one (never `playwright
# install`). `make deps` (and so `make run` and `make test`) calls it.
#
# Offline after the first install: a stamp records the lock file it
# installed, and while the stamp matches nothing is fetched. With a
# changed lock, or no node_modules, it runs `npm ci` (from npm's cache
# when it can), and on any failure it says what is missing and exits 1.
#
# Environment: HMDP_NPM_DIR (default build/npm under the repo).
set -eu
REPO=$(cd -- "$(dirname -- "$0")/.." && pwd -P)
SRC=$REPO/tests/npm
DST=${HMDP_NPM_DIR:-$REPO/build/npm}
STAMP=$DST/.installed-lock

fail() {
    echo "npm_deps.sh: error: $*" >&2
    exit 1
}

if [ -f "$STAMP" ] && [ -d "$DST/node_modules" ] &&
    cmp -s "$STAMP" "$SRC/package-lock.json"; then
    exit 0
fi

# Node.js and npm: Debian's packages when missing and we are root (a
# machine may already have a newer Node.js of its own: keep it).
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "npm_deps.sh: installing Debian's nodejs and npm"
        apt-get update -q >/dev/null &&
            DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
                --no-install-recommends nodejs npm >/dev/null ||
            fail "apt-get install nodejs npm failed"
    else
        fail "node and npm are needed for the API page and its tests;" \
            "install them as root: apt-get install nodejs npm"
    fi
fi

mkdir -p "$DST"
cp "$SRC/package.json" "$SRC/package-lock.json" "$DST/"
echo "npm_deps.sh: installing $(tr -d '\n ' <"$SRC/package.json" |
    sed -n 's/.*"dependencies":{\([^}]*\)}.*/\1/p') into $DST"
# --ignore-scripts: nothing runs at install time (swagger-ui-dist pulls
# in a package whose install script only reports usage).
if ! (cd "$DST" && npm ci --ignore-scripts --no-audit --no-fund \
    --prefer-offline --loglevel=error); then
    rm -f "$STAMP"
    fail "npm ci in $DST failed: the npm registry must be reachable" \
        "for the first install (after that it works offline)"
fi
for f in swagger-ui-dist/swagger-ui-bundle.js swagger-ui-dist/swagger-ui.css \
    ajv/dist/2020.js playwright-core/index.js; do
    [ -f "$DST/node_modules/$f" ] || fail "npm ci did not install $f"
done
cp "$SRC/package-lock.json" "$STAMP"
