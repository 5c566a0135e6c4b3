#!/usr/bin/env bash
# test/bench/bench.sh - how fast training and scoring are on 1,000,000 rows
# of 8 float8 columns, next to a plain scan of the same table.  A benchmark,
# not a test: it prints numbers and whether the targets are met, and exits 0.
#
#   bash test/bench/bench.sh            # 5 timed runs of each operation
#   BENCH_REPEAT=9 bash test/bench/bench.sh
#
# Every operation runs once untimed (warm-up: buffers, model cache, JIT)
# and then BENCH_REPEAT times in one session; the median is reported.
# Times are psql's \timing of a statement whose result is one row (or none,
# for CREATE TABLE AS), so they are server time plus one round trip on a
# unix socket, never the transfer of a million rows.
source "$(dirname "$0")/../lib.sh"

R=${BENCH_REPEAT:-5}
ROWS=${BENCH_ROWS:-1000000}
SEED=0.42
TARGET_TRAIN_MS=500         # training on 1M rows <= 0.5 s
TARGET_SCORE_NS=2500        # scoring <= 2.5 us per row, serial

case "$R" in '' | *[!0-9]* | 0) echo "BENCH_REPEAT must be a positive integer" >&2; exit 2 ;; esac

ensure_packages
build_install
start_cluster

WORK=$(mktemp -d /tmp/anomaly-bench.XXXXXX)
trap 'stop_cluster; rm -rf "$WORK"' EXIT

SERIAL="SET max_parallel_workers_per_gather = 0;"
PARALLEL="SET max_parallel_workers_per_gather = 2;"
FORCED="SET max_parallel_workers_per_gather = 2; SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0; SET min_parallel_table_scan_size = 0;"
SCORE_SQL="SELECT sum(anomaly_score('bench', t)) FROM t t;"
CTAS_SQL="CREATE TABLE s AS SELECT anomaly_score('bench', t) AS score FROM t t;"
TRAIN_SQL="SELECT anomaly_train('bench', 't', algorithm => 'iforest');"

load() { cut -d' ' -f1-3 /proc/loadavg; }

# ------------------------------------------------------------------ data
step "creating t: $ROWS rows x 8 float8 (setseed($SEED), 1% outliers), VACUUM ANALYZE"
psql_q <<SQL
SET client_min_messages = warning;
SET max_parallel_workers_per_gather = 0;
CREATE EXTENSION anomaly;
SELECT setseed($SEED) \\g /dev/null
-- one statement, serial, so random() is drawn in a fixed order
CREATE TABLE t AS
SELECT random() + o AS c1, random() + o AS c2, random() + o AS c3, random() + o AS c4,
       random() + o AS c5, random() + o AS c6, random() + o AS c7, random() + o AS c8
FROM (SELECT i, CASE WHEN i % 100 = 0 THEN 3.0 ELSE 0.0 END AS o
      FROM generate_series(1, $ROWS) i) g
ORDER BY i;
VACUUM ANALYZE t;
SQL
FINGERPRINT=$(psql_q -At -c "SET max_parallel_workers_per_gather = 0;" -c \
    "SELECT md5(string_agg(round(c1::numeric, 9)::text || round(c8::numeric, 9)::text, ',' ORDER BY ctid))
     FROM t WHERE ctid < '(50,0)'")
TABLE_SIZE=$(psql_q -At -c "SELECT pg_size_pretty(pg_table_size('t'))")

# ------------------------------------------------------------------ timing
# bench LABEL SETTINGS SQL [RESET_SQL]: one warm-up, then R timed runs of SQL
# in one session; RESET_SQL runs untimed before each run.  Appends
# "label|median|min|max" to $WORK/results.
bench() {
    local label=$1 settings=$2 sql=$3 reset=${4:-} script i times
    script="SET client_min_messages = warning;
$settings
\\o /dev/null
"
    for ((i = 0; i <= R; i++)); do
        [ -n "$reset" ] && script+="$reset"$'\n'
        ((i > 0)) && script+='\timing on'$'\n'
        script+="$sql"$'\n'
        ((i > 0)) && script+='\timing off'$'\n'
    done
    times=$(psql_q <<<"$script" | awk '/^Time: /{print $2}')
    if [ "$(wc -l <<<"$times")" -ne "$R" ]; then
        echo "bench: expected $R timings for '$label', got: $times" >&2
        exit 1
    fi
    sort -g <<<"$times" | awk -v label="$label" '
        { t[NR] = $1 }
        END {
            m = (NR % 2) ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2
            printf "%s|%.1f|%.1f|%.1f\n", label, m, t[1], t[NR]
        }' >>"$WORK/results"
    printf '  %-44s done (load %s)\n' "$label" "$(load)"
}

step "timing: 1 warm-up + $R runs of each operation, median reported"
LOAD_BEFORE=$(load)
bench "scan: count(*), serial" "$SERIAL" "SELECT count(*) FROM t;"
bench "train: anomaly_train, serial" "$SERIAL" "$TRAIN_SQL"
bench "train: anomaly_train, parallel (2 workers)" "$PARALLEL" "$TRAIN_SQL"

# Score with one model trained serially (the runs above made many versions).
psql_q -At -c "SET client_min_messages = warning;" -c "$SERIAL" \
    -c "SELECT anomaly_drop('bench');" -c "$TRAIN_SQL" >/dev/null

bench "score: sum(anomaly_score), serial" "$SERIAL" "$SCORE_SQL"
# the same without JIT: the compile time that each statement pays up front
bench "score: sum(anomaly_score), serial, jit off" "$SERIAL SET jit = off;" "$SCORE_SQL"
bench "score: sum(anomaly_score), parallel (2 w.)" "$FORCED" "$SCORE_SQL"
bench "score: CREATE TABLE AS, serial" "$SERIAL" "$CTAS_SQL" "DROP TABLE IF EXISTS s;"
bench "score: CREATE TABLE AS, parallel (2 w.)" "$FORCED" "$CTAS_SQL" "DROP TABLE IF EXISTS s;"
LOAD_AFTER=$(load)

# ------------------------------------------------------------------ plans
step "plans: do the parallel runs really use workers?"
# Training: the aggregate query that anomaly_train runs through SPI, as
# auto_explain sees it (one extra, untimed run).
if ! psql_q >/dev/null 2>"$WORK/train_plan.log" <<SQL
SET client_min_messages = warning;
$PARALLEL
LOAD 'auto_explain';
SET auto_explain.log_min_duration = 0;
SET auto_explain.log_nested_statements = on;
SET auto_explain.log_analyze = on;
SET auto_explain.log_timing = off;
SET auto_explain.log_level = warning;
SELECT anomaly_train('bench_plan', 't', algorithm => 'iforest');
SET auto_explain.log_min_duration = -1;
SELECT anomaly_drop('bench_plan');
SQL
then
    cat "$WORK/train_plan.log" >&2
    exit 1
fi
TRAIN_PLAN=$(awk '
    /^[A-Z]+:  duration/ { keep = 0 }
    /Query Text: .*anomaly_fit\(/ { keep = 1; next }
    keep' "$WORK/train_plan.log" | sed -e 's/  (cost=[^)]*)//' -e 's/^/    /')
echo "anomaly_train's training query, max_parallel_workers_per_gather = 2 (auto_explain):"
echo "$TRAIN_PLAN"
SCORE_PLAN=$(psql_q -At -c "$FORCED" \
    -c "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) $SCORE_SQL" | sed 's/^/    /')
echo "$SCORE_SQL with the parallel settings (EXPLAIN ANALYZE):"
echo "$SCORE_PLAN"
CTAS_PLAN=$(psql_q -At -c "$FORCED" -c "DROP TABLE IF EXISTS s;" \
    -c "EXPLAIN (COSTS OFF) $CTAS_SQL" | sed 's/^/    /')
echo "$CTAS_SQL with the parallel settings (EXPLAIN):"
echo "$CTAS_PLAN"

is_parallel() { grep -q 'Gather' <<<"$1" && grep -q 'Partial Aggregate' <<<"$1"; }
launched() { sed -n 's/.*Workers Launched: \([0-9]*\).*/\1/p' <<<"$1" | head -1; }
PAR_TRAIN="no"; is_parallel "$TRAIN_PLAN" && PAR_TRAIN="yes, $(launched "$TRAIN_PLAN") workers launched"
PAR_SCORE="no"; is_parallel "$SCORE_PLAN" && PAR_SCORE="yes, $(launched "$SCORE_PLAN") workers launched"
PAR_CTAS="no"; grep -q 'Gather' <<<"$CTAS_PLAN" && PAR_CTAS="yes"

# Serial and parallel scoring must agree (up to the order of the float sum).
SUMS=$(psql_q -At -F' ' \
    -c "$SERIAL" -c "SELECT round(sum(anomaly_score('bench', t))::numeric, 6) FROM t t;" \
    -c "$FORCED" -c "SELECT round(sum(anomaly_score('bench', t))::numeric, 6) FROM t t;" | paste -sd' ')

# Is training reproducible (fixed seed, same data)?  Two models each way.
model_md5() { # model_md5 SETTINGS
    psql_q -At -c "SET client_min_messages = warning;" -c "$1" \
        -c "SELECT anomaly_train('bench_repro', 't', algorithm => 'iforest');" \
        -c "SELECT md5(model) FROM anomaly_models WHERE name = 'bench_repro';" \
        -c "SELECT anomaly_drop('bench_repro');" | sed -n 2p
}
repro() { # repro SETTINGS
    local a b
    a=$(model_md5 "$1"); b=$(model_md5 "$1")
    if [ "$a" = "$b" ]; then echo "yes (model md5 $a twice)"; else echo "NO (model md5 $a, then $b)"; fi
}
REPRO_SERIAL=$(repro "$SERIAL")
REPRO_PARALLEL=$(repro "$PARALLEL")

# ------------------------------------------------------------------ report
ms_of() { awk -F'|' -v l="$1" '$1 == l { print $2 }' "$WORK/results"; }
SCAN_MS=$(ms_of "scan: count(*), serial")
PG_VERSION=$(psql_q -At -c "SELECT version()")
SETTINGS=$(psql_q -At -F' = ' -c "SELECT name, setting || coalesce(unit, '') FROM pg_settings
    WHERE name IN ('shared_buffers', 'work_mem', 'jit', 'max_worker_processes', 'max_parallel_workers')
    ORDER BY name" | paste -sd, | sed 's/,/, /g')
CPU=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
RAM=$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)

step "anomaly benchmark"
cat <<EOF
date:        $(date -u '+%Y-%m-%d %H:%M UTC')
machine:     $(nproc) CPUs, ${CPU:-unknown CPU}, $RAM RAM, $(uname -sr)
load avg:    $LOAD_BEFORE before timing, $LOAD_AFTER after (1/5/15 min)
PostgreSQL:  $PG_VERSION
settings:    $SETTINGS
data:        t = $ROWS rows x 8 float8 (c1..c8), $TABLE_SIZE, setseed($SEED),
             fingerprint of the first 50 pages $FINGERPRINT
model:       iforest defaults (100 trees, 256 samples per tree), all 8 columns
method:      1 warm-up + $R timed runs per operation, median of psql \\timing;
             serial = max_parallel_workers_per_gather 0; parallel = 2, and
             parallel_setup_cost = parallel_tuple_cost = min_parallel_table_scan_size = 0
             for scoring; jit off = the serial run with jit = off

EOF
printf '%-44s %10s %19s %9s %8s\n' "operation" "median ms" "min..max ms" "ns/row" "x scan"
printf '%-44s %10s %19s %9s %8s\n' "$(printf '%.0s-' {1..44})" "----------" "-------------------" "---------" "--------"
while IFS='|' read -r label med min max; do
    printf '%-44s %10s %19s %9.0f %8.1f\n' "$label" "$med" "$min..$max" \
        "$(awk -v m="$med" -v n="$ROWS" 'BEGIN { print m * 1e6 / n }')" \
        "$(awk -v m="$med" -v s="$SCAN_MS" 'BEGIN { print m / s }')"
done <"$WORK/results"
echo "(ns/row = median / $ROWS rows, training rows included; x scan = median / plain scan median)"

cat <<EOF

parallel plan chosen:
  training (max_parallel_workers_per_gather = 2):  $PAR_TRAIN
  scoring, sum(), with the parallel settings:      $PAR_SCORE
  scoring, CREATE TABLE AS, same settings:         $PAR_CTAS
checks:
  scoring, serial vs parallel sum of scores:       ${SUMS% *} vs ${SUMS#* }
  training reproducible, serial:                   $REPRO_SERIAL
  training reproducible, parallel (2 workers):     $REPRO_PARALLEL

targets (from the issue):
EOF
target() { # target TEXT LABEL LIMIT(ms or ns/row) UNIT
    local v ok
    v=$(ms_of "$2")
    [ "$4" = "ns/row" ] && v=$(awk -v m="$v" -v n="$ROWS" 'BEGIN { printf "%.0f", m * 1e6 / n }')
    ok=$(awk -v v="$v" -v l="$3" 'BEGIN { print (v <= l) ? "MET" : "NOT MET" }')
    printf '  %-46s %-16s measured %6s %-7s %s\n' "$1" "target <= $3" "$v" "$4" "$ok"
}
target "training 1M rows, serial" "train: anomaly_train, serial" "$TARGET_TRAIN_MS" "ms"
target "training 1M rows, parallel" "train: anomaly_train, parallel (2 workers)" "$TARGET_TRAIN_MS" "ms"
target "scoring per row, serial (sum(anomaly_score))" "score: sum(anomaly_score), serial" "$TARGET_SCORE_NS" "ns/row"
[ "$ROWS" -eq 1000000 ] || echo "  (note: the training target is for 1,000,000 rows; this run used $ROWS)"
