#!/usr/bin/env bash
# test/bench/monitor_bench.sh - what a statement-level anomaly_monitor
# trigger costs an INSERT: 100,000 rows of 8 float8 columns inserted into a
# table without a trigger and into the same table with an AFTER INSERT ...
# FOR EACH STATEMENT monitoring trigger on an iforest model (100 trees, 256
# samples, contamination 0.05, logging anomalies only: about 5 % of the
# rows become events).  A benchmark, not a test: it prints the medians of
# BENCH_REPEAT alternating runs and their ratio, and exits 0.
#
#   bash test/bench/monitor_bench.sh
#   BENCH_REPEAT=9 BENCH_ROWS=100000 bash test/bench/monitor_bench.sh
source "$(dirname "$0")/../lib.sh"

R=${BENCH_REPEAT:-5}
ROWS=${BENCH_ROWS:-100000}
TARGET_RATIO=2.0            # the monitored insert <= 2x the plain one

case "$R" in '' | *[!0-9]* | 0) echo "BENCH_REPEAT must be a positive integer" >&2; exit 2 ;; esac

ensure_packages
build_install
start_cluster

step "data: src ($ROWS rows x 8 float8, setseed(0.42), 5% shifted), the model, two empty tables"
psql_q <<SQL
SET client_min_messages = warning;
CREATE EXTENSION anomaly;
SELECT setseed(0.42) \\g /dev/null
CREATE TABLE src AS
SELECT i AS id, random() + o AS c1, random() + o AS c2, random() + o AS c3, random() + o AS c4,
       random() + o AS c5, random() + o AS c6, random() + o AS c7, random() + o AS c8
FROM (SELECT i, CASE WHEN i % 20 = 0 THEN 2.0 ELSE 0.0 END AS o
      FROM generate_series(1, $ROWS) i) g ORDER BY i;
SELECT anomaly_train('mon', 'src', algorithm => 'iforest', contamination => 0.05) \\g /dev/null
CREATE TABLE plain (LIKE src);
CREATE TABLE watched (LIKE src);
CREATE TRIGGER watch AFTER INSERT ON watched REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION anomaly_monitor('mon');
-- for the breakdown: the same trigger logging nothing, and a trigger that only
-- receives the transition table
CREATE TABLE quiet (LIKE src);
CREATE TRIGGER watch AFTER INSERT ON quiet REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION anomaly_monitor('mon', 'log=none');
CREATE FUNCTION receive_only() RETURNS trigger LANGUAGE plpgsql AS \$\$ BEGIN RETURN NULL; END \$\$;
CREATE TABLE received (LIKE src);
CREATE TRIGGER receive AFTER INSERT ON received REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION receive_only();
VACUUM ANALYZE src;
SQL

# Time one INSERT ... SELECT into table $1 (emptied first), in ms.
time_insert() {
    psql_q -At <<SQL | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p'
SET client_min_messages = warning;
TRUNCATE $1;
CHECKPOINT;
\\timing on
INSERT INTO $1 SELECT * FROM src;
SQL
}

# The median of the numbers on stdin.
median() { sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

step "warm-up, then $R alternating runs of each insert"
time_insert plain >/dev/null
time_insert watched >/dev/null
plain_ms="" watched_ms="" quiet_ms="" received_ms=""
for i in $(seq "$R"); do
    plain_ms="$plain_ms $(time_insert plain)"
    watched_ms="$watched_ms $(time_insert watched)"
    quiet_ms="$quiet_ms $(time_insert quiet)"
    received_ms="$received_ms $(time_insert received)"
done
P=$(echo $plain_ms | tr ' ' '\n' | median)
W=$(echo $watched_ms | tr ' ' '\n' | median)
Q=$(echo $quiet_ms | tr ' ' '\n' | median)
T=$(echo $received_ms | tr ' ' '\n' | median)
psql_q -At -c "SELECT 'events per monitored insert: ' || count(*) FROM anomaly_events
               WHERE at = (SELECT max(at) FROM anomaly_events)"

step "result (medians of $R runs, $ROWS rows)"
printf '%-40s %10s\n' "insert without trigger" "$P ms"
printf '%-40s %10s\n' "insert with statement monitor (iforest)" "$W ms"
printf '%-40s %10s\n' "  breakdown: same trigger, log=none" "$Q ms"
printf '%-40s %10s\n' "  breakdown: transition table only" "$T ms"
awk -v p="$P" -v w="$W" -v t="$TARGET_RATIO" 'BEGIN {
    r = w / p; printf "%-40s %10.2fx (target <= %.1fx: %s)\n", "ratio", r, t, (r <= t) ? "met" : "missed" }'
echo "runs (ms): plain$plain_ms; watched$watched_ms"
