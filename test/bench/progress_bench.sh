#!/usr/bin/env bash
# test/bench/progress_bench.sh - what reporting progress costs training:
# anomaly_train of ROWS rows (zscore, serial) with anomaly.progress off
# (rows counted, no NOTICE) against on (a clock read every 1024 rows and a
# NOTICE at each phase); medians of BENCH_REPEAT runs of each, in turn,
# after one warm-up of each, in one session (psql's \timing), on a server
# without preloading.  A benchmark, not a test: it prints the
# figures and exits 0.
#
#   bash test/bench/progress_bench.sh
#   BENCH_REPEAT=5 BENCH_ROWS=2000000 bash test/bench/progress_bench.sh
source "$(dirname "$0")/../lib.sh"

R=${BENCH_REPEAT:-3}
ROWS=${BENCH_ROWS:-1000000}

PG_BIN=$(private_tree "$DEV_TREE")
build_install
start_cluster
SERIAL="SET max_parallel_workers_per_gather = 0; SET client_min_messages = warning;"

# alternating A B: runs A and B in turn R times each after one warm-up of
# each, in one session; prints the median (ms) of A's runs, then of B's.
alternating() {
    local script="$SERIAL"$'\n\\o /dev/null\n'"$1"$'\n'"$2"$'\n\\timing on\n' i
    for ((i = 0; i < R; i++)); do script+="$1"$'\n'"$2"$'\n'; done
    psql_q <<<"$script" | awk '/^Time: /{ print $2 }' | awk '
        function median(a, n,   i, j, t) {
            for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
            return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
        }
        /^[0-9.]+$/ { if (NR % 2) a[++na] = $1; else b[++nb] = $1 }
        END { printf "%.1f %.1f\n", median(a, na), median(b, nb) }'
}
ratio() { awk "BEGIN { printf \"%.3f\", $1 / $2 }"; }

psql_q -c "CREATE EXTENSION anomaly;"
psql_q <<SQL
$SERIAL
SELECT setseed(0.42);
CREATE TABLE t AS SELECT random() AS c1, random() AS c2, random() AS c3, random() AS c4
  FROM generate_series(1, $ROWS);
VACUUM ANALYZE t;
SQL

train="anomaly_train('p', 't', algorithm => 'zscore', deploy => 'never')"
read -r off on < <(alternating "SELECT set_config('anomaly.progress', 'off', false), $train;" \
                               "SELECT set_config('anomaly.progress', 'on', false), $train;")
echo "anomaly_train, $ROWS rows, zscore: progress off $off ms, on $on ms (on/off $(ratio "$on" "$off"))"
