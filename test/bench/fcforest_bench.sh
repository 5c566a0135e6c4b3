#!/usr/bin/env bash
# test/bench/fcforest_bench.sh - fcforest against iforest in SQL, in one run
# on the same rows: BENCH_ROWS x 8 float8 (setseed(0.42), every 100th row
# shifted by 3), training time (anomaly_train, serial) and the serial cost
# of scoring every row by name, sum(anomaly_score('m', t)), less a plain
# scan; medians of BENCH_REPEAT runs after a warm-up, and their ratios.
# A benchmark, not a test: it prints the figures and exits 0.
#
#   BENCH_REPEAT=7 bash test/bench/fcforest_bench.sh
source "$(dirname "$0")/../lib.sh"

R=${BENCH_REPEAT:-5}
ROWS=${BENCH_ROWS:-100000}
for v in R ROWS; do
    case "${!v}" in '' | *[!0-9]* | 0) echo "$v must be a positive integer" >&2; exit 2 ;; esac
done

PG_BIN=$(private_tree "$DEV_TREE")
build_install
start_cluster
SERIAL="SET client_min_messages = warning; SET max_parallel_workers_per_gather = 0;"
source "$(dirname "$0")/bench_lib.sh"

psql_q <<SQL
SET client_min_messages = warning;
SET max_parallel_workers_per_gather = 0;
CREATE EXTENSION anomaly;
SELECT setseed(0.42) \\g /dev/null
CREATE TABLE t AS
SELECT random() + o AS c1, random() + o AS c2, random() + o AS c3, random() + o AS c4,
       random() + o AS c5, random() + o AS c6, random() + o AS c7, random() + o AS c8
  FROM (SELECT i, CASE WHEN i % 100 = 0 THEN 3.0 ELSE 0.0 END AS o
          FROM generate_series(1, $ROWS) i) g
 ORDER BY i;
VACUUM ANALYZE t;
SQL

SCAN=$(timed scan "SELECT count(*) FROM t;")
echo "== $ROWS rows x 8 float8, serial, medians of $R (ms); scan $SCAN ms"
printf '%-10s %12s %12s %14s\n' algorithm "train ms" "score ms" "score ns/row"
declare -A TRAIN SCORE NS
for a in iforest fcforest; do
    TRAIN[$a]=$(timed "train $a" "DELETE FROM anomaly_models WHERE name = 'm_$a'; SELECT anomaly_train('m_$a', 't', algorithm => '$a');")
    SCORE[$a]=$(timed "score $a" "SELECT sum(anomaly_score('m_$a', t)) FROM t t;")
    NS[$a]=$(awk "BEGIN { printf \"%.0f\", (${SCORE[$a]} - $SCAN) * 1e6 / $ROWS }")
    printf '%-10s %12s %12s %14s\n' "$a" "${TRAIN[$a]}" "${SCORE[$a]}" "${NS[$a]}"
done
echo "fcforest / iforest: training $(ratio "${TRAIN[fcforest]}" "${TRAIN[iforest]}")x, scoring a row $(ratio "${NS[fcforest]}" "${NS[iforest]}")x"
