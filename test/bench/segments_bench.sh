#!/usr/bin/env bash
# test/bench/segments_bench.sh - segmented models, measured against baselines
# in the same run (medians of BENCH_REPEAT timed runs after one warm-up, in
# one session; psql's \timing, and the backend's CPU time):
#   1. scoring ROWS rows by name with a segmented iforest (SEGMENTS segments,
#      rows interleaved, then in segment order) against one unsegmented
#      iforest on the same rows;
#   2. scoring with the model as a bytea from a subquery against by name;
#   3. training SEGMENTS x SEG_ROWS rows (iforest, 100 trees) with
#      anomaly_train(segment_by) against anomaly_fit ... GROUP BY;
#   4. training BIG_SEGMENTS segments x 20 rows (hbos), with the backend's
#      peak memory growth (VmHWM);
#   5. scoring numeric feature columns against float8 ones;
#   6. scoring the rows joined to a table of per-group bytea models
#      (anomaly_fit ... GROUP BY seg, the same SEGMENTS segments, rows
#      interleaved) against one model by name and the segmented one by name.
# A benchmark, not a test: it prints the figures and exits 0.
# BENCH_ONLY=join runs only what case 6 needs (1 and 6, without training).
#
#   bash test/bench/segments_bench.sh
#   BENCH_REPEAT=3 BENCH_ROWS=200000 bash test/bench/segments_bench.sh
#   BENCH_ONLY=join BENCH_ROWS=200000 bash test/bench/segments_bench.sh
source "$(dirname "$0")/../lib.sh"

R=${BENCH_REPEAT:-3}
ROWS=${BENCH_ROWS:-1000000}
SEGMENTS=${BENCH_SEGMENTS:-1000}
SEG_ROWS=${BENCH_SEGMENT_ROWS:-1000}
BIG_SEGMENTS=${BENCH_BIG_SEGMENTS:-100000}
ONLY=${BENCH_ONLY:-}

PG_BIN=$(private_tree "$DEV_TREE")
build_install
start_cluster
SERIAL="SET max_parallel_workers_per_gather = 0; SET client_min_messages = warning;"

# median: the median of the numbers on stdin, one a line.
median() {
    sort -g | awk '{ v[NR] = $1 } END { printf "%.1f\n", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# timed LABEL SQL: "WALL CPU", the medians (ms) of R timed runs of SQL after
# one warm-up: the elapsed time, and the backend's CPU time (the first field
# of /proc/PID/schedstat, in ns), which other work on the machine disturbs
# far less than the elapsed time.
timed() {
    local script="$SERIAL"$'\n' i out
    script+='SELECT pg_backend_pid() AS pid \gset'$'\n''\setenv BACKEND :pid'$'\n''\o /dev/null'$'\n'
    for ((i = 0; i <= R; i++)); do
        ((i > 0)) && script+='\! awk "{ print \"cpu_before\", \$1 }" /proc/$BACKEND/schedstat'$'\n''\timing on'$'\n'
        script+="$2"$'\n'
        ((i > 0)) && script+='\timing off'$'\n''\! awk "{ print \"cpu_after\", \$1 }" /proc/$BACKEND/schedstat'$'\n'
    done
    out=$(psql_q <<<"$script")
    echo "$(awk '/^Time: /{ print $2 }' <<<"$out" | median)" \
         "$(awk '/^cpu_before /{ b = $2 } /^cpu_after /{ print ($2 - b) / 1e6 }' <<<"$out" | median)"
}
ratio() { awk "BEGIN { printf \"%.2f\", $1 / $2 }"; }
# wall and cpu: the first and the second of timed's two figures.
wall() { echo "${1% *}"; }
cpu() { echo "${1#* }"; }
# both NEW BASE: NEW's two figures and their ratios to BASE's.
both() {
    echo "wall $(wall "$1") ms, cpu $(cpu "$1") ms;" \
         "ratio wall $(ratio "$(wall "$1")" "$(wall "$2")"), cpu $(ratio "$(cpu "$1")" "$(cpu "$2")")"
}

psql_q -c "CREATE EXTENSION anomaly;"
psql_q <<SQL
$SERIAL
SELECT setseed(0.42);
CREATE TABLE t AS
  SELECT i % $SEGMENTS AS seg, random() + o AS c1, random() + o AS c2, random() + o AS c3,
         random() + o AS c4
    FROM (SELECT i, CASE WHEN i % 100 = 0 THEN 3.0 ELSE 0.0 END AS o
            FROM generate_series(1, $ROWS) i) g;
CREATE TABLE tn AS SELECT seg, c1::numeric(12,6) AS c1, c2::numeric(12,6) AS c2,
                          c3::numeric(12,6) AS c3, c4::numeric(12,6) AS c4 FROM t;
CREATE TABLE train_t AS
  SELECT i % $SEGMENTS AS seg, random() + (i % $SEGMENTS) AS c1, random() AS c2,
         random() AS c3, random() AS c4
    FROM generate_series(1, $SEGMENTS * $SEG_ROWS) i;
CREATE TABLE t_by_seg AS SELECT * FROM t ORDER BY seg;
VACUUM ANALYZE t; VACUUM ANALYZE tn; VACUUM ANALYZE train_t; VACUUM ANALYZE t_by_seg;
SQL

if [ "$ONLY" != join ]; then
echo "== training $SEGMENTS segments x $SEG_ROWS rows, iforest 100 trees"
TRAIN_SEG=$(timed train "SELECT anomaly_train('seg_train', 'train_t', columns => ARRAY['c1','c2','c3','c4'], algorithm => 'iforest', segment_by => ARRAY['seg']);")
TRAIN_GB=$(timed groupby "SELECT count(m) FROM (SELECT seg, anomaly_fit(s, 'iforest') AS m FROM (SELECT seg, c1, c2, c3, c4 FROM train_t) s0, LATERAL (SELECT s0.c1, s0.c2, s0.c3, s0.c4) s GROUP BY seg) g;")
SEG_BYTES=$(psql_q -At -c "SELECT pg_size_pretty(octet_length(model)::bigint) || ', stored in ' || pg_size_pretty(pg_column_size(model)::bigint) FROM anomaly_models WHERE name = 'seg_train' ORDER BY version DESC LIMIT 1")
echo "  anomaly_fit GROUP BY: wall $(wall "$TRAIN_GB") ms, cpu $(cpu "$TRAIN_GB") ms"
echo "  anomaly_train(segment_by): $(both "$TRAIN_SEG" "$TRAIN_GB"); one version of $SEG_BYTES"
fi

echo "== scoring $ROWS rows by name: $SEGMENTS-segment iforest vs one iforest"
psql_q -c "$SERIAL" -c "SELECT anomaly_train('one', 't', columns => ARRAY['c1','c2','c3','c4'], algorithm => 'iforest');" \
       -c "SELECT anomaly_train('segd', 't', columns => ARRAY['c1','c2','c3','c4'], algorithm => 'iforest', segment_by => ARRAY['seg']);" >/dev/null
SCAN=$(timed scan "SELECT count(*) FROM t WHERE c1 IS NOT NULL;")
ONE=$(timed one "SELECT sum(anomaly_score('one', t)) FROM t;")
SEGD=$(timed segd "SELECT sum(anomaly_score('segd', t)) FROM t;")
SORTED=$(timed sorted "SELECT sum(anomaly_score('segd', t)) FROM t_by_seg t;")
echo "  scan: wall $(wall "$SCAN") ms, cpu $(cpu "$SCAN") ms; one model: wall $(wall "$ONE") ms, cpu $(cpu "$ONE") ms"
echo "  segmented, rows interleaved: $(both "$SEGD" "$ONE") (target <= 1.3)"
echo "  segmented, rows in segment order: $(both "$SORTED" "$ONE")"

echo "== $ROWS rows joined to $SEGMENTS per-group bytea models (anomaly_fit ... GROUP BY seg), rows interleaved"
# the per-group models must fit the bytea form's share of the memory bound, or
# rows interleaved over them read a model again on every row (LRU on a cycle)
psql_q <<SQL
$SERIAL
CREATE TABLE grp_models AS
  SELECT seg, anomaly_fit(s, 'iforest') AS model
    FROM (SELECT seg, c1, c2, c3, c4 FROM t) s0, LATERAL (SELECT s0.c1, s0.c2, s0.c3, s0.c4) s
   GROUP BY seg;
VACUUM ANALYZE grp_models;
SQL
GRP_BYTES=$(psql_q -At -c "SELECT count(*) || ' models, ' || pg_size_pretty(sum(octet_length(model))) || ', stored in ' || pg_size_pretty(sum(pg_column_size(model))) FROM grp_models")
JOIN_CACHE=${BENCH_JOIN_CACHE_MB:-1024}
# (set with the session's settings: \timing times each statement of a line)
JOIN=$(SERIAL="$SERIAL SET anomaly.model_cache_size = '${JOIN_CACHE}MB';" \
       timed join "SELECT sum(anomaly_score(g.model, t)) FROM t JOIN grp_models g USING (seg);")
echo "  $GRP_BYTES; anomaly.model_cache_size = ${JOIN_CACHE}MB"
echo "  join to per-group bytea models vs one model by name: $(both "$JOIN" "$ONE") (target <= 2)"
echo "  join to per-group bytea models vs the segmented model by name: $(both "$JOIN" "$SEGD")"

[ "$ONLY" = join ] && exit 0

echo "== the bytea form from a subquery vs by name (one model)"
BYTEA=$(timed bytea "SELECT sum(anomaly_score((SELECT model FROM anomaly_models WHERE name = 'one'), t)) FROM t;")
echo "  bytea from a subquery: $(both "$BYTEA" "$ONE") (target <= 1.2)"

echo "== numeric vs float8 features (one model)"
NUM=$(timed numeric "SELECT sum(anomaly_score('one', t)) FROM tn t;")
echo "  numeric: $(both "$NUM" "$ONE") (target <= 1.2)"

echo "== training $BIG_SEGMENTS segments x 20 rows, hbos, min_segment_rows 20"
psql_q <<SQL
$SERIAL
CREATE TABLE big_t AS SELECT i % $BIG_SEGMENTS AS seg, random() AS c1, random() AS c2
  FROM generate_series(1, $BIG_SEGMENTS * 20) i;
VACUUM ANALYZE big_t;
SQL
BIG=$(psql_q -At <<SQL
$SERIAL
SELECT pg_backend_pid() AS pid \gset
\setenv BACKEND :pid
\! grep VmHWM /proc/\$BACKEND/status | awk '{ print "before", \$2 }'
\timing on
SELECT anomaly_train('big', 'big_t', columns => ARRAY['c1','c2'], algorithm => 'hbos',
                     options => '{"min_segment_rows": 20}', segment_by => ARRAY['seg']) > 0;
\timing off
\! grep VmHWM /proc/\$BACKEND/status | awk '{ print "after", \$2 }'
SELECT 'bytes ' || octet_length(model) FROM anomaly_models WHERE name = 'big';
SQL
)
echo "$BIG" | sed 's/^/  /'
echo "  segments: $(psql_q -At -c "SELECT segments FROM anomaly_model_list WHERE name = 'big'")"
