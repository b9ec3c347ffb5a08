#!/bin/sh
# Installs the Debian packages hmdp-c needs to build, run and test, when
# some are missing and we are root. As a normal user it only reports.
# chromium is the headless browser of the message page's test
# (tests/browser/message_page.js, driven by playwright-core from npm).
set -e
PKGS="build-essential pkg-config libfcgi-dev spawn-fcgi multiwatch libhiredis-dev
default-libmysqlclient-dev libjson-c-dev libsodium-dev
libcurl4-openssl-dev libevent-dev nginx-light redis-server redis-tools mariadb-server mariadb-client
wrk curl procps util-linux
clang docker-compose logrotate chromium"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ]; then
    echo "installing:$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null
    # keep the distribution's services from starting: we run our own
    # private instances under run/
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
        chmod +x /usr/sbin/policy-rc.d
        trap 'rm -f /usr/sbin/policy-rc.d' EXIT
    fi
    apt-get install -y -q --no-install-recommends $missing >/dev/null
else
    echo "missing Debian packages:$missing" >&2
    echo "install them as root: apt-get install$missing" >&2
    exit 1
fi
