#!/usr/bin/env bash
# The pg_regress suite against the extension built with AddressSanitizer and
# UndefinedBehaviorSanitizer, in a private copy of PostgreSQL (the system's
# install is untouched) whose postmaster runs with the ASan runtime
# preloaded.  Fails if the suite fails, if any sanitizer report was written,
# or if the runtime was not really active (the installed module does not
# link it, or the server's backends did not have it).
#
# The sources are copied and built apart, so the repository's own objects
# stay uninstrumented.  PostgreSQL itself is not instrumented: ASan sees our
# code's stack and global objects and each malloc'd block, but not overruns
# inside a block of a PostgreSQL memory context (a small palloc).
#
#   ASAN_KEEP=1   keep the temporary directory (build, tree, reports)
source "$(dirname "$0")/../lib.sh"

WORK=$(mktemp -d /tmp/anomaly-asan.XXXXXX)
chmod 755 "$WORK"
BUILD=$WORK/build
REPORTS=$WORK/reports
SANITIZE="-fsanitize=address,undefined -fno-omit-frame-pointer"
LIBASAN=$(gcc -print-file-name=libasan.so)
# Reports go to files named after the process; leaks are not checked, since
# most of what the server allocates is PostgreSQL's, not ours.
SERVER_ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:log_path=$REPORTS/asan"
SERVER_UBSAN_OPTIONS="print_stacktrace=1:log_path=$REPORTS/ubsan"

# Stop the server, then remove the temporary directory unless kept.
cleanup() {
    stop_cluster
    if [ "${ASAN_KEEP:-0}" = 1 ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

# Print a failure and exit non-zero.
fail() {
    echo "not ok - $*"
    exit 1
}

# Copy the extension's sources (no objects) to BUILD and build them there
# with the sanitizers, into the private tree.
build_instrumented() {
    step "building the extension with $SANITIZE in a copy"
    mkdir -p "$BUILD"
    (cd "$REPO" && tar -cf - Makefile anomaly.control src sql expected) | tar -C "$BUILD" -xf -
    make -C "$BUILD" -s clean PG_CONFIG="$PG_BIN/pg_config" >/dev/null
    make -C "$BUILD" -s -j1 PG_CONFIG="$PG_BIN/pg_config" COPT="$SANITIZE" >/dev/null
    make -C "$BUILD" -s install PG_CONFIG="$PG_BIN/pg_config" >/dev/null
}

# The installed module must need the ASan runtime and call its checks.
check_module_instrumented() {
    local module needed symbols
    module="$("$PG_BIN/pg_config" --pkglibdir)/anomaly.so"
    needed=$(readelf -d "$module")
    symbols=$(readelf -Ws "$module")
    grep -q 'NEEDED.*libasan' <<<"$needed" || fail "$module does not link libasan"
    grep -q '__asan_report_load' <<<"$symbols" || fail "$module has no ASan checks"
    grep -q '__ubsan_handle' <<<"$symbols" || fail "$module has no UBSan checks"
    echo "ok - $module links libasan and calls the ASan and UBSan checks"
}

# Restart the server (same options) with the ASan runtime preloaded, and
# JIT off, so that none of our code runs from uninstrumented bitcode.  The
# runtime needs test/asan/no_swift_demangle.c preloaded too (see there).
restart_with_asan() {
    step "restarting the server with $LIBASAN preloaded"
    psql_q -c "ALTER SYSTEM SET jit = off"
    gcc -shared -fPIC -O1 -Wall -Wextra -Werror -o "$WORK/no_swift_demangle.so" \
        "$REPO/test/asan/no_swift_demangle.c"
    mkdir -p "$REPORTS"
    chown "$RUN_USER" "$REPORTS"
    as_user env LD_PRELOAD="$LIBASAN $WORK/no_swift_demangle.so" \
        ASAN_OPTIONS="$SERVER_ASAN_OPTIONS" UBSAN_OPTIONS="$SERVER_UBSAN_OPTIONS" \
        "$PG_BIN/pg_ctl" -D "$PGTMP/data" -l "$PGTMP/server.log" -w restart >/dev/null
}

# The postmaster must have the ASan runtime mapped, and a backend both it and
# this tree's module.
check_server_instrumented() {
    local maps module postmaster
    module="$("$PG_BIN/pg_config" --pkglibdir)/anomaly.so"
    postmaster=$(head -1 "$PGTMP/data/postmaster.pid")
    grep -q "$(basename "$LIBASAN")" "/proc/$postmaster/maps" ||
        fail "the postmaster ($postmaster) has no ASan runtime"
    maps=$(psql_q -At -c "LOAD 'anomaly'" -c "SELECT pg_read_file('/proc/self/maps')")
    grep -q "$(basename "$LIBASAN")" <<<"$maps" || fail "a backend has no ASan runtime"
    grep -qF "$module" <<<"$maps" || fail "a backend did not load $module"
    echo "ok - the postmaster has the ASan runtime, and a backend runs $module with it"
}

# pg_regress with the instrumented module.
run_regress() {
    step "pg_regress"
    if ! make -C "$BUILD" -s installcheck PG_CONFIG="$PG_BIN/pg_config"; then
        head -200 "$BUILD/regression.diffs" 2>/dev/null
        return 1
    fi
}

# Fail on any report file, or any report in the server log.
check_no_reports() {
    local found=0 f
    for f in "$REPORTS"/*; do
        [ -e "$f" ] || continue
        echo "--- $f"
        head -60 "$f"
        found=1
    done
    if grep -E 'ERROR: AddressSanitizer|runtime error:' "$PGTMP/server.log"; then
        found=1
    fi
    [ "$found" -eq 0 ] || fail "sanitizer reports"
    echo "ok - no sanitizer report"
}

ensure_packages
PG_BIN=$(private_tree "$WORK/tree")
build_instrumented
check_module_instrumented
start_cluster
trap cleanup EXIT
restart_with_asan
check_server_instrumented
regress_status=0
run_regress || regress_status=1
check_no_reports
[ "$regress_status" -eq 0 ] || fail "pg_regress"
echo "ok - pg_regress passed under ASan and UBSan"
