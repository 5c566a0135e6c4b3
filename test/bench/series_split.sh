#!/usr/bin/env bash
# test/bench/series_split.sh - where a stored series model's update spends its
# time, part by part, on the states of series_bench.sh's model (10 series,
# states of about 1.4 kB, as it prints; 9 kB before the likelihood's window became two
# moments); medians of BENCH_REPEAT timed runs after one warm-up:
#   1. CALLS calls of each part in one DO block (one transaction): the loop
#      alone, anomaly_ts_step over a stored state, the model lookup, the row
#      lock, an UPDATE writing the state, and anomaly_ts_update;
#   2. ROWS statements each its own transaction with synchronous_commit off
#      (so the commit's WAL flush is left out): a plain insert, the row lock,
#      the UPDATE of the state, the UPDATE of a 320-byte value (what a
#      state small enough to stay in its row costs to write), and an
#      insert through the scoring trigger;
#   3. ROWS one-row inserts each its own transaction, plain and through the
#      trigger in turn, R times: the WAL each writes (pg_current_wal_insert_lsn),
#      the backend's time on a CPU (/proc/self/schedstat, Linux) and the wall
#      time with synchronous_commit off and on; what the commit's WAL flush
#      adds is the difference of the last two.
# A benchmark, not a test: it prints the figures and exits 0.
#
#   bash test/bench/series_split.sh
source "$(dirname "$0")/../lib.sh"

R=${BENCH_REPEAT:-3}
CALLS=${BENCH_CALLS:-5000}
ROWS=${BENCH_ROWS:-1000}

PG_BIN=$(private_tree "$DEV_TREE")
build_install
start_cluster
SERIAL="SET client_min_messages = warning;"
source "$(dirname "$0")/bench_lib.sh"
per() { awk "BEGIN { printf \"%.1f\", ($1 - $2) * 1000 / $3 }"; }

series_trigger_model
psql_q <<'SQL'
CREATE TABLE one_state AS SELECT state FROM anomaly_ts_state LIMIT 1;
CREATE TABLE blob (id int PRIMARY KEY, b bytea);
ALTER TABLE blob ALTER COLUMN b SET STORAGE EXTERNAL;
INSERT INTO blob SELECT 1, state FROM one_state;
CREATE TABLE small (id int PRIMARY KEY, n bigint, b bytea);
INSERT INTO small VALUES (1, 0, NULL);
SQL
echo "  state: $(psql_q -At -c "SELECT octet_length(state) FROM one_state") bytes"

echo "== $CALLS calls of each part in one transaction, us a call"
loop() { echo "DO \$\$ DECLARE s bytea := (SELECT state FROM one_state); BEGIN FOR i IN 1..$CALLS LOOP $1; END LOOP; END \$\$;"; }
LOOP=$(timed loop "$(loop "PERFORM 1")")
part() { echo "  $1: $(per "$(timed "$1" "$(loop "$2")")" "$LOOP" "$CALLS")"; }
part "anomaly_ts_step over the state" "s := (anomaly_ts_step(s, 100 + sin(i))).state"
part "the model lookup" "PERFORM m.id FROM anomaly_models m WHERE m.name = 'bench' AND m.algorithm = 'series' ORDER BY m.version DESC LIMIT 1"
part "the row lock" "PERFORM t.state FROM anomaly_ts_state t JOIN anomaly_models m ON m.id = t.model_id WHERE t.series = 'h' || (i % 10) FOR UPDATE OF t"
part "an UPDATE writing the state" "UPDATE blob SET b = s WHERE id = 1"
# later points at each run, so that none is late
part "anomaly_ts_update" "PERFORM anomaly_ts_update('bench', 'h' || (i % 10), clock_timestamp(), 100 + sin(i))"

echo "== $ROWS statements each its own transaction, synchronous_commit off, us a statement above a plain insert"
# statements KIND: ROWS statements of one kind, each later than the last run's
statements() {
    awk -v kind="$1" -v n="$ROWS" 'BEGIN {
        print "SET synchronous_commit = off;"
        for (i = 0; i < n; i++) {
            if (kind == "plain" || kind == "scored")
                printf "INSERT INTO %s VALUES (\047h%d\047, clock_timestamp(), %.6f);\n", kind, i % 10, 100 + sin(i)
            else if (kind == "lock")
                printf "SELECT FROM anomaly_ts_state WHERE series = \047h%d\047 FOR UPDATE;\n", i % 10
            else if (kind == "small")
                printf "UPDATE small SET n = n + 1, b = decode(repeat(lpad(to_hex(n + 1), 8, \0470\047), 80), \047hex\047) WHERE id = 1;\n"
            else
                printf "UPDATE blob SET b = b || \047\\x00\047::bytea WHERE id = 1;\n"
        }
    }'
}
# statements_ms KIND: the median (ms) of R timed runs of the script after one warm-up
statements_ms() {
    local script i start end times=""
    script=$(mktemp /tmp/series_split.XXXXXX.sql)
    chmod 644 "$script"
    statements "$1" >"$script"
    for ((i = 0; i <= R; i++)); do
        start=$(date +%s%N)
        psql_q -o /dev/null -f "$script"
        end=$(date +%s%N)
        ((i > 0)) && times+="$(((end - start) / 1000))"$'\n'
    done
    rm -f "$script"
    printf '%s' "$times" | median_ms
}
PLAIN=$(statements_ms plain)
echo "  plain insert: $PLAIN ms for $ROWS"
for kind in lock blob small scored; do
    echo "  $kind: $(per "$(statements_ms $kind)" "$PLAIN" "$ROWS")"
done

echo "== $ROWS one-row inserts each its own transaction, per statement (medians of $R runs in turn): WAL bytes, backend CPU us, wall us with synchronous_commit off and on"
# measured KIND SYNC: "wal cpu wall" per statement of one run of ROWS inserts
# into KIND with synchronous_commit SYNC, later points than the last run's
measured() {
    local script start end
    script=$(mktemp /tmp/series_split.XXXXXX.sql)
    chmod 644 "$script"
    {
        echo "SET synchronous_commit = $2;"
        echo "SELECT pg_current_wal_insert_lsn() AS w0, split_part(pg_read_file('/proc/self/schedstat'), ' ', 1) AS c0 \\gset"
        statements "$1" | grep -v '^SET'
        echo "SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), :'w0') / $ROWS AS wal,"
        echo "       (split_part(pg_read_file('/proc/self/schedstat'), ' ', 1)::bigint - :c0) / 1000.0 / $ROWS AS cpu \\gset"
        echo "\\echo :wal :cpu"
    } >"$script"
    start=$(date +%s%N)
    local out
    out=$(psql_q -At -f "$script")
    end=$(date +%s%N)
    rm -f "$script"
    echo "$out $(((end - start) / 1000 / ROWS))"
}
# column C (1-based) of lines on stdin: their median
median_col() { awk -v c="$1" '{ print $c }' | sort -g | awk '{ v[NR] = $1 } END { printf "%.0f", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
declare -A RUNS
for ((i = 0; i <= R; i++)); do
    for kind in plain scored; do
        for sync in off on; do
            m=$(measured $kind $sync)
            ((i > 0)) && RUNS[$kind.$sync]+="$m"$'\n'
        done
    done
done
for kind in plain scored; do
    wal=$(printf '%s' "${RUNS[$kind.off]}" | median_col 1)
    cpu=$(printf '%s' "${RUNS[$kind.off]}" | median_col 2)
    off=$(printf '%s' "${RUNS[$kind.off]}" | median_col 3)
    on=$(printf '%s' "${RUNS[$kind.on]}" | median_col 3)
    echo "  $kind: WAL $wal bytes, backend CPU $cpu us, wall $off us with synchronous_commit off, $on us on (the flush: $((on - off)) us)"
done
