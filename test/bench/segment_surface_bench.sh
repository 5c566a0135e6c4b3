#!/usr/bin/env bash
# test/bench/segment_surface_bench.sh - what evaluation, drift, the report
# and monitoring cost with a segmented model, against the same call with one
# unsegmented model of the same algorithm on the same rows, measured in the
# same run (medians of BENCH_REPEAT timed runs after one warm-up, serial
# plans; psql's \timing).  ROWS rows in SEGMENTS interleaved segments, iforest
# of 100 trees.  A benchmark, not a test: it prints the figures and exits 0.
#
#   bash test/bench/segment_surface_bench.sh
#   BENCH_REPEAT=3 BENCH_ROWS=200000 BENCH_SEGMENTS=1000 bash test/bench/segment_surface_bench.sh
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/bench_lib.sh"

R=${BENCH_REPEAT:-3}
ROWS=${BENCH_ROWS:-200000}
SEGMENTS=${BENCH_SEGMENTS:-1000}

PG_BIN=$(private_tree "$DEV_TREE")
build_install
start_cluster
SERIAL="SET max_parallel_workers_per_gather = 0; SET client_min_messages = warning;"

psql_q -c "CREATE EXTENSION anomaly;"
psql_q <<SQL
$SERIAL
SELECT setseed(0.42);
CREATE TABLE t AS
  SELECT i % $SEGMENTS AS seg, random() + o + (i % $SEGMENTS) AS c1, random() + o AS c2,
         random() AS c3, o > 0 AS odd
    FROM (SELECT i, CASE WHEN i % 100 = 0 THEN 3.0 ELSE 0.0 END AS o
            FROM generate_series(1, $ROWS) i) g;
VACUUM ANALYZE t;
SELECT anomaly_train('one', 't', columns => ARRAY['c1','c2','c3'], algorithm => 'iforest');
SELECT anomaly_train('segd', 't', columns => ARRAY['c1','c2','c3'], algorithm => 'iforest',
                     segment_by => ARRAY['seg']);
CREATE TABLE w_one (LIKE t);
CREATE TABLE w_segd (LIKE t);
CREATE TRIGGER w AFTER INSERT ON w_one REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION anomaly_monitor('one');
CREATE TRIGGER w AFTER INSERT ON w_segd REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION anomaly_monitor('segd');
SQL
echo "== $ROWS rows, $SEGMENTS segments interleaved, iforest 100 trees: segmented against one model"

# row LABEL PLAIN_SQL SEGMENTED_SQL: both medians and their ratio
row() {
    local one segd
    one=$(timed "$1 one" "$2")
    segd=$(timed "$1 segmented" "$3")
    printf '  %-34s one model %9s ms   segmented %9s ms   ratio %s\n' "$1" "$one" "$segd" "$(ratio "$segd" "$one")"
}
row "score by name (interleaved)" "SELECT sum(anomaly_score('one', t)) FROM t;" \
    "SELECT sum(anomaly_score('segd', t)) FROM t;"
row "anomaly_evaluate" "SELECT * FROM anomaly_evaluate('one', 't', 'odd');" \
    "SELECT * FROM anomaly_evaluate('segd', 't', 'odd');"
row "anomaly_evaluate_segments" "SELECT * FROM anomaly_evaluate('one', 't', 'odd');" \
    "SELECT count(*) FROM anomaly_evaluate_segments('segd', 't', 'odd');"
row "anomaly_drift" "SELECT count(*) FROM anomaly_drift('one', 't');" \
    "SELECT count(*) FROM anomaly_drift('segd', 't');"
row "anomaly_report (label)" "SELECT length(anomaly_report('one', 't', 'odd'));" \
    "SELECT length(anomaly_report('segd', 't', 'odd'));"
row "monitor: INSERT, statement trigger" "TRUNCATE w_one; INSERT INTO w_one SELECT * FROM t;" \
    "TRUNCATE w_segd; INSERT INTO w_segd SELECT * FROM t;"
echo "  batches per statement: one model $(psql_q -At -c "SELECT count(*) / $((R + 1)) FROM anomaly_batches WHERE model_name = 'one'"), segmented $(psql_q -At -c "SELECT count(*) / $((R + 1)) FROM anomaly_batches WHERE model_name = 'segd'")"
