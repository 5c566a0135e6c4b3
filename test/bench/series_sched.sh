#!/usr/bin/env bash
# test/bench/series_sched.sh - where the wall time of one-row autocommit
# inserts goes, plain and through series_bench.sh's two scoring triggers
# (its PL/pgSQL trigger calling anomaly_ts_update, and anomaly_monitor), as the
# kernel's scheduler saw the backend (perf sched, Linux, as root): its time
# on a CPU, its time asleep (the WAL flush, waiting for the client) and its
# time runnable but not running, per row.  ROUNDS rounds of ROWS inserts,
# the three in turn, each in a session of its own; the server runs
# with the defaults (synchronous_commit on).
# A benchmark, not a test: it prints the figures and exits 0.
#
#   bash test/bench/series_sched.sh
source "$(dirname "$0")/../lib.sh"

ROUNDS=${BENCH_REPEAT:-3}
ROWS=${BENCH_ROWS:-1000}

ensure_packages linux-perf
PG_BIN=$(private_tree "$DEV_TREE")
build_install
start_cluster
WORK=$(mktemp -d /tmp/series_sched.XXXXXX)
chmod 777 "$WORK"
trap 'rm -rf "$WORK"; stop_cluster' EXIT

source "$(dirname "$0")/bench_lib.sh"
series_trigger_model
psql_q <<'SQL'
CREATE TABLE monitored (LIKE plain);
CREATE TRIGGER monitor BEFORE INSERT ON monitored FOR EACH ROW
    EXECUTE FUNCTION anomaly_monitor('bench', 'log=none', 'score_column=score');
SQL

# script KIND: the session's pid into $WORK/pid, a pause of 2 s for the
# recorder to start, then ROWS one-row inserts into KIND (later points than the last run's)
script() {
    awk -v kind="$1" -v n="$ROWS" -v pidfile="$WORK/pid" 'BEGIN {
        print "\\pset tuples_only on"
        print "\\pset format unaligned"
        print "SELECT pg_backend_pid() \\g " pidfile
        print "SELECT pg_sleep(2);"
        for (i = 0; i < n; i++)
            printf "INSERT INTO %s VALUES (\047h%d\047, clock_timestamp(), %.6f);\n", kind, i % 10, 100 + sin(i)
    }'
}

# measured KIND: "wall run wait delay" in us a row for one session of
# inserts into KIND, from the scheduler's events of its backend after the
# pause (the first, its waking from the pause, starts the count; perf's wait
# time runs from a sched-out to the next sched-in, so it holds the delay)
measured() {
    local pid psql perf
    script "$1" >"$WORK/run.sql"
    chmod 644 "$WORK/run.sql"
    rm -f "$WORK/pid"
    psql_q -o /dev/null -f "$WORK/run.sql" &
    psql=$!
    while [ ! -s "$WORK/pid" ]; do sleep 0.05; done
    pid=$(cat "$WORK/pid")
    perf sched record -a -o "$WORK/sched.data" >/dev/null 2>&1 &
    perf=$!
    wait $psql
    kill -INT $perf 2>/dev/null || true
    wait $perf 2>/dev/null || true
    perf sched timehist -i "$WORK/sched.data" -p "$pid" 2>/dev/null |
        awk -v rows="$ROWS" '
            $3 ~ /^postgres/ {
                if (n++ == 0) { first = $1; next }
                last = $1; wait += $4; delay += $5; run += $6
            }
            END { printf "%.0f %.0f %.0f %.0f\n", (last - first) * 1e6 / rows, run * 1000 / rows,
                  (wait - delay) * 1000 / rows, delay * 1000 / rows }'
}

echo "== $ROWS one-row inserts each its own transaction, us a row: wall, and the backend on a CPU, asleep (the flush, the client), runnable"
for ((i = 1; i <= ROUNDS; i++)); do
    for kind in plain scored monitored; do
        read -r wall run wait delay <<<"$(measured $kind)"
        printf '  round %d, %-10s wall %s, on a CPU %s, asleep %s, runnable %s\n' "$i" "$kind:" "$wall" "$run" "$wait" "$delay"
    done
done
