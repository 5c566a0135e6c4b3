#!/usr/bin/env bash
# The TAP tests of test/t (PostgreSQL::Test::Cluster: dump and restore, a
# crash during training, a streaming replica, restarts, concurrent training,
# cancellation) on the servers of PG_BIN.  They run as RUN_USER (root cannot
# run PostgreSQL) from a copy in a temporary directory that also takes their
# logs, shown when a test fails.  TAP_TESTS names some of them (file names),
# PROVE_FLAGS adds prove options such as -v.
source "$(dirname "$0")/lib.sh"

pgxs_src=$("$PG_BIN/pg_config" --pkglibdir)/pgxs/src
work=$(mktemp -d /tmp/anomaly-tap.XXXXXX)
trap 'rm -rf "$work"' EXIT
cp -r "$REPO/test/t" "$work/t"
chown -R "$RUN_USER" "$work"
cd "$work"

tests=()
for t in ${TAP_TESTS:-}; do tests+=("t/$(basename "$t")"); done
[ ${#tests[@]} -gt 0 ] || tests=(t/*.pl)

status=0
as_user env PATH="$PG_BIN:$PATH" PERL5LIB="$pgxs_src/test/perl" \
    PG_REGRESS="$pgxs_src/test/regress/pg_regress" TESTDIR="$work" \
    prove ${PROVE_FLAGS:-} "${tests[@]}" || status=$?
if [ "$status" -ne 0 ]; then
    for log in "$work"/tmp_check/log/regress_log_*; do
        [ -f "$log" ] && { echo "== tail of $(basename "$log")"; tail -n 60 "$log"; }
    done
fi
echo "TAP tests: ${SECONDS} s"
exit "$status"
