#!/usr/bin/env bash
# test/bench/monitor_row_bench.sh - what a BEFORE ROW anomaly_monitor trigger
# on an ordinary model (hbos, 4 float8 features, log=none, score_column)
# costs a row above a plain insert: BENCH_ROWS one-row INSERT statements in
# one transaction (a DO loop), the plain table and the monitored one in turn,
# BENCH_REPEAT times after a warm-up; medians.  Run it on two checkouts to
# compare their builds (each builds into its own private tree).
# A benchmark, not a test: it prints the figures and exits 0.
#
#   BENCH_REPEAT=7 bash test/bench/monitor_row_bench.sh
source "$(dirname "$0")/../lib.sh"

R=${BENCH_REPEAT:-7}
ROWS=${BENCH_ROWS:-20000}
case "$R" in '' | *[!0-9]* | 0) echo "BENCH_REPEAT must be a positive integer" >&2; exit 2 ;; esac

PG_BIN=$(private_tree "$DEV_TREE")
build_install
start_cluster
SERIAL="SET client_min_messages = warning;"
source "$(dirname "$0")/bench_lib.sh"

psql_q <<SQL
SET client_min_messages = warning;
CREATE EXTENSION anomaly;
CREATE TABLE src AS
  SELECT sin(i) AS c1, cos(i * 1.3) AS c2, sin(i * 0.7) AS c3, cos(i * 2.1) AS c4
    FROM generate_series(1, 5000) i;
SELECT anomaly_train('rowmon', 'src', algorithm => 'hbos') \\g /dev/null
CREATE TABLE plain (LIKE src, score float8);
CREATE TABLE watched (LIKE plain);
CREATE TRIGGER watch BEFORE INSERT ON watched FOR EACH ROW
    EXECUTE FUNCTION anomaly_monitor('rowmon', 'log=none', 'score_column=score');
SQL

loop_into() {
    echo "TRUNCATE $1; DO \$\$ BEGIN FOR i IN 1..$ROWS LOOP INSERT INTO $1 (c1, c2, c3, c4) VALUES (sin(i), cos(i), sin(i * 0.5), cos(i * 0.5)); END LOOP; END \$\$;"
}
PLAIN_TIMES="" MON_TIMES=""
for ((i = 1; i <= R; i++)); do
    PLAIN_TIMES+="$(R=1 timed plain "$(loop_into plain)")"$'\n'
    MON_TIMES+="$(R=1 timed watched "$(loop_into watched)")"$'\n'
done
PLAIN=$(printf '%s' "$PLAIN_TIMES" | awk '{ print $1 * 1000 }' | median_ms)
MON=$(printf '%s' "$MON_TIMES" | awk '{ print $1 * 1000 }' | median_ms)
echo "== $ROWS one-row inserts in one transaction, medians of $R"
echo "  plain $PLAIN ms; with the row monitor $MON ms; $(awk "BEGIN { printf \"%.2f\", ($MON - $PLAIN) * 1000 / $ROWS }") us a row above a plain insert"
echo "  scored rows of the last run: $(psql_q -At -c "SELECT count(score) || ' / ' || count(*) FROM watched")"
