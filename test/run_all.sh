#!/usr/bin/env bash
# Every test: core unit tests (under ASan and UBSan, then valgrind), pg_regress
# on a private server (and again against an ASan and UBSan build of the
# extension), the demo and its report in headless Chromium, the TAP tests on
# servers of their own, scheduled retraining with pg_cron, the README's
# Citus recipe on a live three-node cluster, the accuracy test
# on the ADBench datasets, a short libFuzzer run of the readers, and the
# matrix: the pg_regress, TAP and pg_cron suites on the other supported majors in
# Debian roots of their own, and models moved across majors with pg_dump.
source "$(dirname "$0")/lib.sh"

ensure_packages
build_install
suites_passed=0 suites_failed=0

# Run one suite, counting it as passed or failed, and print its time.
suite() {
    local name=$1 start=$SECONDS; shift
    step "$name"
    if "$@"; then
        suites_passed=$((suites_passed + 1))
    else
        echo "FAILED: $name"
        suites_failed=$((suites_failed + 1))
    fi
    echo "time: $name: $((SECONDS - start)) s"
}

# The README's demo, then its HTML report rendered and checked in Chromium.
demo_report() {
    bash "$REPO/test/demo.sh" >/dev/null &&
        EXPECT="timeline confusion roc" bash "$REPO/test/browser/browser_test.sh" \
            "$REPO/anomaly-report.html" "$REPO/test/browser/out"
}

suite "core unit tests" make -C "$REPO" -s unitcheck
suite "core unit tests under valgrind" make -C "$REPO" -s valgrindcheck
start_cluster
suite "pg_regress" regress
suite "no server crash during pg_regress" no_crash_in_log
suite "pg_regress under ASan and UBSan" make -C "$REPO" -s asancheck
suite "the demo, and its report in a real browser" demo_report
suite "TAP: dumps, crashes, replicas, concurrency" env PG_BIN="$PG_BIN" bash "$REPO/test/tap.sh"
suite "scheduled retraining with pg_cron" bash "$REPO/test/cron/cron_test.sh"
suite "scale-out on a live Citus cluster (coordinator and two workers)" bash "$REPO/test/citus/citus_test.sh"
suite "accuracy (iforest on ADBench datasets)" env PSQL=$PG_BIN/psql bash "$REPO/test/accuracy/accuracy.sh"
suite "fuzzing the model and state readers" make -C "$REPO" -s fuzzcheck
suite "the other PostgreSQL majors, and models across them (matrix)" bash "$REPO/test/matrix/matrix.sh"

step "summary"
echo "time: make test: $SECONDS s"
echo "$suites_passed passed, $suites_failed failed"
[ "$suites_failed" -eq 0 ]
