# test/lib.sh - shared set-up for the README's two commands: install what is
# missing, build and install the extension, and run a private PostgreSQL
# instance as an unprivileged user on a unix socket in a temporary directory.
# Sourced by test/demo.sh and test/run_all.sh.

set -euo pipefail

# The PostgreSQL major: the one PG_CONFIG names, else the one this Debian
# release ships (12 "bookworm": 15, 13 "trixie": 17, unstable "sid": 18).
debian_pg_major() {
    local id
    id=$(. /etc/os-release 2>/dev/null && echo "${VERSION_ID:-}")
    case "$id" in
        12) echo 15 ;;
        13) echo 17 ;;
        *) echo 18 ;;
    esac
}
if [ -n "${PG_CONFIG:-}" ] && [ -x "$(command -v "$PG_CONFIG")" ]; then
    PG_MAJOR=$("$PG_CONFIG" --version | sed -E 's/^PostgreSQL ([0-9]+).*/\1/')
else
    PG_MAJOR=$(debian_pg_major)
fi
SYSTEM_PG_BIN=/usr/lib/postgresql/$PG_MAJOR/bin
# PG_BIN may name a private copy made by private_tree.
PG_BIN=${PG_BIN:-$SYSTEM_PG_BIN}
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# What a server of this major, the build and the TAP tests need; then the
# tools of the core's checks (sanitizers, valgrind, libFuzzer).
SERVER_PACKAGES="postgresql-$PG_MAJOR postgresql-server-dev-$PG_MAJOR postgresql-client-$PG_MAJOR
    build-essential libipc-run-perl"
# ANOMALY_SERVER_ONLY=1 (the matrix's roots) installs only the first.
PACKAGES=$SERVER_PACKAGES
[ "${ANOMALY_SERVER_ONLY:-0}" = 1 ] || PACKAGES="$PACKAGES clang libclang-rt-dev valgrind"

# Print a step heading.
step() { printf '\n== %s\n' "$*"; }

# Install the Debian packages that are missing (needs root, or sudo).
ensure_packages() {
    local missing="" p
    for p in $PACKAGES "$@"; do
        dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
    done
    [ -z "$missing" ] && return 0
    step "installing:$missing"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo=sudo
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq -o DPkg::Lock::Timeout=600
    # the server package must not start a cluster of its own
    $sudo mkdir -p /etc/postgresql-common/createcluster.d
    echo "create_main_cluster = false" | $sudo tee /etc/postgresql-common/createcluster.d/anomaly.conf >/dev/null
    $sudo apt-get install -y -qq -o DPkg::Lock::Timeout=600 --no-install-recommends $missing >/dev/null
}

# Build and install the extension.
build_install() {
    step "building and installing the extension"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo=sudo
    make -C "$REPO" -s -j2 PG_CONFIG=$PG_BIN/../bin/pg_config >/dev/null
    $sudo make -C "$REPO" -s install PG_CONFIG=$PG_BIN/../bin/pg_config >/dev/null
}

# Copy the system's PostgreSQL binaries and share files under DEST, and link
# its headers, for an extension build (say an instrumented one) that must not
# replace the system's: PostgreSQL finds its libdir, sharedir and includedir
# relative to its own binaries, so the copy's pg_config installs into the
# copy.  Prints the copy's bin directory, to use as PG_BIN.
private_tree() {
    local dest=$1
    # a copy of another build of the server (the system's was upgraded) is made anew
    if ! cmp -s "$SYSTEM_PG_BIN/postgres" "$dest/usr/lib/postgresql/$PG_MAJOR/bin/postgres"; then
        rm -rf "$dest/usr/lib/postgresql/$PG_MAJOR" "$dest/usr/share/postgresql/$PG_MAJOR"
        mkdir -p "$dest/usr/lib/postgresql" "$dest/usr/share/postgresql"
        cp -a "$(dirname "$SYSTEM_PG_BIN")" "$dest/usr/lib/postgresql/"
        cp -a "/usr/share/postgresql/$PG_MAJOR" "$dest/usr/share/postgresql/"
    fi
    # the copy's pg_config names its headers relative to the copy too
    mkdir -p "$dest/usr/include"
    [ -e "$dest/usr/include/postgresql" ] || ln -s /usr/include/postgresql "$dest/usr/include/postgresql"
    chmod -R a+rX "$dest"
    echo "$dest/usr/lib/postgresql/$PG_MAJOR/bin"
}

# This checkout's private copy for private_tree (dev_regress.sh and the
# benchmarks build into it, never into the system's PostgreSQL): one per
# checkout path, or DEV_TREE.
DEV_TREE=${DEV_TREE:-/var/tmp/anomaly-dev-$(printf '%s' "$REPO" | md5sum | cut -c1-8)}

# The unprivileged user that runs the server: postgres when we are root.
RUN_USER=$(id -un)
[ "$(id -u)" -eq 0 ] && RUN_USER=postgres

# Run a command as RUN_USER.
as_user() {
    if [ "$(id -un)" = "$RUN_USER" ]; then
        "$@"
    elif runuser -u "$RUN_USER" -- test -x "$PWD"; then
        runuser -u "$RUN_USER" -- "$@"
    else
        # from / when the user cannot enter the current directory (a checkout
        # under /root), where initdb and psql warn that they cannot return to it
        (cd / && runuser -u "$RUN_USER" -- "$@")
    fi
}

# Start a private server in a fresh temporary directory; stopped on exit.
start_cluster() {
    PGTMP=$(mktemp -d /tmp/anomaly-pg.XXXXXX)
    chown "$RUN_USER" "$PGTMP"
    chmod 755 "$PGTMP"
    export PGHOST=$PGTMP PGPORT=5432 PGUSER=$RUN_USER PGDATABASE=postgres
    trap stop_cluster EXIT
    step "starting a private PostgreSQL $PG_MAJOR in $PGTMP"
    as_user $PG_BIN/initdb -D "$PGTMP/data" -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
    as_user $PG_BIN/pg_ctl -D "$PGTMP/data" -l "$PGTMP/server.log" -w \
        -o "-c listen_addresses='' -k $PGTMP -p $PGPORT -c max_worker_processes=8" start >/dev/null
}

# Stop the private server and remove its directory.
stop_cluster() {
    if [ -n "${PGTMP:-}" ] && [ -d "$PGTMP/data" ]; then
        as_user $PG_BIN/pg_ctl -D "$PGTMP/data" -m fast -w stop >/dev/null 2>&1 || true
        rm -rf "$PGTMP"
    fi
}

# psql against the private server, quiet and stopping at the first error.
psql_q() {
    as_user $PG_BIN/psql -X -q -v ON_ERROR_STOP=1 "$@"
}

# pg_regress over sql/ and expected/, printing the diffs on failure.
regress() {
    if make -C "$REPO" -s installcheck PG_CONFIG=$PG_BIN/pg_config; then
        return 0
    fi
    cat "$REPO/regression.diffs" 2>/dev/null | head -200
    return 1
}

# The private server's log shows no crashed process: a backend killed by a
# signal or exiting abnormally makes the postmaster log it and restart all.
no_crash_in_log() {
    ! grep -E "terminated by signal|server process \(PID [0-9]+\) (was terminated|exited)|terminating any other active server processes|all server processes terminated" \
        "$PGTMP/server.log"
}
