#!/usr/bin/env bash
# make matrixcheck: the extension on every other supported PostgreSQL major.
# For each of MATRIX_VERSIONS (by default the supported majors but the host's:
# 15 from Debian 12 "bookworm", 17 from Debian 13 "trixie", 18 from unstable
# "sid") a minimal Debian root made with debootstrap --variant=minbase from
# the mirror this machine's apt uses, cached in MATRIX_CACHE (outside the
# clone) and made anew when missing or incomplete.  In it, from a clean copy
# of the repository's files: that major's server and headers, the build, the
# pg_regress suite, the TAP tests and the pg_cron test (test/matrix/
# version_check.sh suite).  Then models move across majors: one of every
# algorithm trained on this machine's PostgreSQL, dumped with pg_dump and
# restored on each major, every score compared as float8 bytes; and the
# reverse, from each major's pg_dump into this machine's server.
#
# Not run in the roots, since they do not depend on the server's major: the
# core's unit tests (under sanitizers and valgrind), pg_regress under ASan,
# the demo and its report in Chromium, the accuracy test and fuzzing.  They
# run on the host's PostgreSQL in make test.
source "$(dirname "$0")/../lib.sh"

# every supported major but the host's own, each with the Debian suite that ships it
if [ -z "${MATRIX_VERSIONS:-}" ]; then
    MATRIX_VERSIONS=""
    for entry in 15:bookworm 17:trixie 18:sid; do
        [ "${entry%%:*}" = "$PG_MAJOR" ] || MATRIX_VERSIONS="$MATRIX_VERSIONS $entry"
    done
fi
MATRIX_CACHE=${MATRIX_CACHE:-/var/cache/anomaly-matrix}
MIRROR=${MATRIX_MIRROR:-$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null ||
    true)}
[ -n "$MIRROR" ] || MIRROR=$(awk '/^deb / {print $2; exit}' /etc/apt/sources.list)
mounted=()
passed=0 failed=0

# Unmount what was mounted in the roots.
unmount_all() {
    local m
    for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount -l "${mounted[$i]}" 2>/dev/null || true; done
}
trap unmount_all EXIT

# Count a part as passed or failed, with its time.
part() {
    local name=$1 start=$SECONDS; shift
    step "$name"
    local status=0
    "$@" || status=$?
    if [ "$status" -eq 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAILED: $name"; fi
    echo "time: $name: $((SECONDS - start)) s"
    return "$status"
}

# Make the root of a suite (cached), with that major's server, headers and
# build tools, and mount /proc, /sys and /dev in it.
make_root() {
    local suite=$1 major=$2 root=$MATRIX_CACHE/$1
    if [ ! -f "$root/.anomaly-ready-$major" ]; then
        rm -rf "$root" "$root.new"
        mkdir -p "$MATRIX_CACHE"
        echo "debootstrap --variant=minbase $suite from $MIRROR"
        debootstrap --variant=minbase "$suite" "$root.new" "$MIRROR" >"$MATRIX_CACHE/$suite.log" 2>&1 ||
            { tail -n 20 "$MATRIX_CACHE/$suite.log"; return 1; }
        # no service starts inside the root
        printf '#!/bin/sh\nexit 101\n' >"$root.new/usr/sbin/policy-rc.d"
        chmod 755 "$root.new/usr/sbin/policy-rc.d"
        mv "$root.new" "$root"
    fi
    # a mirror that serves a dated snapshot has Release files past their
    # Valid-Until date (sid's especially); their signatures are still checked
    echo 'Acquire::Check-Valid-Until "false";' >"$root/etc/apt/apt.conf.d/99anomaly-snapshot"
    local m
    for m in proc sys dev dev/pts; do
        mountpoint -q "$root/$m" || { mount --bind "/$m" "$root/$m" && mounted+=("$root/$m"); }
    done
    if [ ! -f "$root/.anomaly-ready-$major" ]; then
        # the packages lib.sh needs for this major, cached in the root
        in_root "$suite" bash -c 'export ANOMALY_SERVER_ONLY=1; source test/lib.sh; ensure_packages "postgresql-$PG_MAJOR-cron" make' &&
            touch "$root/.anomaly-ready-$major"
    fi
}

# Run a command in a root, in a fresh copy of the repository's files.
in_root() {
    local suite=$1 root=$MATRIX_CACHE/$1; shift
    rm -rf "$root/build/anomaly"
    mkdir -p "$root/build/anomaly"
    if git -C "$REPO" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
        (cd "$REPO" && git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf -) |
            tar -C "$root/build/anomaly" -xf -
    else
        (cd "$REPO" && tar -cf - Makefile anomaly.control src sql expected test) | tar -C "$root/build/anomaly" -xf -
    fi
    chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
        bash -c 'cd /build/anomaly && "$@"' bash "$@"
}

# The cross-major directory shared with the roots: dumps written by the
# server's user there.
xmajor_dir() {
    local d=$1/build/xmajor
    mkdir -p "$d" && chmod 777 "$d" && echo "$d"
}

ensure_packages debootstrap
host_dir=$(mktemp -d /tmp/anomaly-matrix.XXXXXX)
chmod 777 "$host_dir"
build_install >/dev/null
part "PostgreSQL $PG_MAJOR (this machine): train every algorithm and pg_dump" \
    bash "$REPO/test/matrix/version_check.sh" dump "$host_dir/from-$PG_MAJOR.sql" || true

for entry in $MATRIX_VERSIONS; do
    major=${entry%%:*} suite=${entry#*:}
    root=$MATRIX_CACHE/$suite
    if ! part "a Debian $suite root with PostgreSQL $major (cached in $MATRIX_CACHE)" make_root "$suite" "$major"; then
        echo "NOT RUN on PostgreSQL $major: its suite and the cross-major restores (no root)"
        continue
    fi
    echo "not run on PostgreSQL $major (they do not depend on the server's major; run on this machine's"
    echo "PostgreSQL $PG_MAJOR above): the core's unit tests, valgrind, pg_regress under ASan, the demo and its"
    echo "browser check, the accuracy test, fuzzing"
    part "PostgreSQL $major: pg_regress, TAP and pg_cron" in_root "$suite" bash test/matrix/version_check.sh suite || true
    dir=$(xmajor_dir "$root")
    cp "$host_dir/from-$PG_MAJOR.sql" "$dir/" && chmod 644 "$dir/from-$PG_MAJOR.sql"
    part "models from PostgreSQL $PG_MAJOR restored on $major" \
        in_root "$suite" bash test/matrix/version_check.sh restore "/build/xmajor/from-$PG_MAJOR.sql" || true
    rm -f "$dir/from-$major.sql"
    part "PostgreSQL $major: train every algorithm and pg_dump" \
        in_root "$suite" bash test/matrix/version_check.sh dump "/build/xmajor/from-$major.sql" || true
    cp "$dir/from-$major.sql" "$host_dir/" 2>/dev/null && chmod 644 "$host_dir/from-$major.sql"
    part "models from PostgreSQL $major restored on $PG_MAJOR (this machine)" \
        bash "$REPO/test/matrix/version_check.sh" restore "$host_dir/from-$major.sql" || true
done
rm -rf "$host_dir"
step "matrix summary"
echo "matrix: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
