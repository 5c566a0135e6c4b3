#!/usr/bin/env bash
# A developer's quick loop: build and install the extension into a private
# copy of PostgreSQL kept for this checkout (the system's install is not
# touched, so several checkouts can be tested side by side), start a private
# server, and run the named pg_regress tests (all of them when none is named).
#
#   bash test/dev_regress.sh setup train score
#   DEV_TREE=/var/tmp/mytree bash test/dev_regress.sh
source "$(dirname "$0")/lib.sh"

ensure_packages
PG_BIN=$(private_tree "$DEV_TREE")
build_install
start_cluster
tests=${*:-}
if [ -n "$tests" ]; then
    make -C "$REPO" -s installcheck PG_CONFIG="$PG_BIN/pg_config" REGRESS="$tests" ||
        { cat "$REPO/regression.diffs" 2>/dev/null | head -200; exit 1; }
else
    make -C "$REPO" -s installcheck PG_CONFIG="$PG_BIN/pg_config" ||
        { cat "$REPO/regression.diffs" 2>/dev/null | head -200; exit 1; }
fi
