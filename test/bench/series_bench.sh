#!/usr/bin/env bash
# test/bench/series_bench.sh - the cost of the series detectors, against
# baselines measured in the same run (medians of BENCH_REPEAT timed runs after
# one warm-up, in one session; psql's \timing):
#   1. anomaly_ts_score over SERIES series x POINTS points against the same
#      window query with avg(value) OVER (...), per point; and over the same
#      series made to climb (a new maximum at every point), per point;
#   2. a row trigger calling anomaly_ts_update on a stored series model
#      against a plain insert, per row (TRIGGER_ROWS rows, one series each
#      of TRIGGER_SERIES), all rows in one transaction;
#   3. the same when each row is its own transaction (a psql script of
#      TRIGGER_ROWS one-row INSERT statements in autocommit, timed whole);
#   4. anomaly_monitor on the same model as a BEFORE ROW trigger (log=none,
#      score_column) against 2.'s PL/pgSQL trigger and a plain insert, all
#      rows in one transaction, the three in turn.
# BENCH_OPTIONS (a jsonb object, default {}) is given to anomaly_ts_score and
# to the model's anomaly_ts_train, e.g. BENCH_OPTIONS='{"method": "context"}'.
# A benchmark, not a test: it prints the figures and exits 0.
#
#   bash test/bench/series_bench.sh
#   BENCH_OPTIONS='{"method": "context"}' bash test/bench/series_bench.sh
source "$(dirname "$0")/../lib.sh"

R=${BENCH_REPEAT:-3}
SERIES=${BENCH_SERIES:-1000}
POINTS=${BENCH_POINTS:-1000}
TRIGGER_ROWS=${BENCH_TRIGGER_ROWS:-5000}
TRIGGER_SERIES=${BENCH_TRIGGER_SERIES:-10}
OPTS=${BENCH_OPTIONS:-\{\}}

PG_BIN=$(private_tree "$DEV_TREE")
build_install
start_cluster
SERIAL="SET max_parallel_workers_per_gather = 0; SET client_min_messages = warning; SET work_mem = '256MB';"
source "$(dirname "$0")/bench_lib.sh"

per() { awk "BEGIN { printf \"%.2f\", ($1 - $2) * 1000 / $3 }"; }

psql_q -c "CREATE EXTENSION anomaly;"
psql_q <<SQL
$SERIAL
CREATE TABLE pts AS
  SELECT s, i, 100 + 20 * sin(2 * pi() * i / 24) + sin(i * 1.7 + s) AS value
    FROM generate_series(1, $SERIES) s, generate_series(1, $POINTS) i;
VACUUM ANALYZE pts;
CREATE TABLE hist AS
  SELECT 'h' || (i % $TRIGGER_SERIES) AS host, timestamptz '2026-01-01' + (i / $TRIGGER_SERIES) * interval '1 minute' AS ts,
         100 + 20 * sin(2 * pi() * (i / $TRIGGER_SERIES) / 60) + sin(i * 1.7) AS value
    FROM generate_series(0, 200 * $TRIGGER_SERIES - 1) i;
SELECT anomaly_ts_train('bench', 'hist', 'ts', 'value', ARRAY['host'], '$OPTS');
CREATE TABLE plain (host text, ts timestamptz, value float8, score float8);
CREATE TABLE scored (LIKE plain);
CREATE FUNCTION score_row() RETURNS trigger LANGUAGE plpgsql AS \$\$
BEGIN
    NEW.score := (anomaly_ts_update('bench', NEW.host, NEW.ts, NEW.value)).score;
    RETURN NEW;
END \$\$;
CREATE TRIGGER score_row BEFORE INSERT ON scored FOR EACH ROW EXECUTE FUNCTION score_row();
CREATE TABLE monitored (LIKE plain);
CREATE TRIGGER monitor BEFORE INSERT ON monitored FOR EACH ROW
    EXECUTE FUNCTION anomaly_monitor('bench', 'log=none', 'score_column=score');
SQL

N=$((SERIES * POINTS))
echo "== $SERIES series x $POINTS points: anomaly_ts_score (options $OPTS) against avg() OVER the same window"
AVG=$(timed avg "SELECT sum(a) FROM (SELECT avg(value) OVER (PARTITION BY s ORDER BY i) AS a FROM pts) q;")
TS=$(timed score "SELECT sum(a) FROM (SELECT anomaly_ts_score(value, '$OPTS') OVER (PARTITION BY s ORDER BY i) AS a FROM pts) q;")
echo "  avg() OVER $AVG ms; anomaly_ts_score $TS ms; $(per "$TS" "$AVG" "$N") us a point above avg (target <= 1)"
# 1b. climbing series, every point a new maximum: auto's sequence part widens its range (and moves what
# it learnt) at every point, its worst case
CLIMB=$(timed climb "SELECT sum(a) FROM (SELECT anomaly_ts_score(100 * i + value, '$OPTS') OVER (PARTITION BY s ORDER BY i) AS a FROM pts) q;")
echo "  climbing (100 * i + value, a new maximum at every point): anomaly_ts_score $CLIMB ms; $(per "$CLIMB" "$AVG" "$N") us a point above avg"

echo "== $TRIGGER_ROWS rows inserted one statement each: a trigger calling anomaly_ts_update against a plain insert"
INS="SELECT 'h' || (i % $TRIGGER_SERIES), timestamptz '2026-01-02' + (i / $TRIGGER_SERIES) * interval '1 minute', 100 + sin(i)"
# each run inserts later timestamps than the last, so no point is late
PLAIN=$(timed plain "TRUNCATE plain; DO \$\$ BEGIN FOR i IN 1..$TRIGGER_ROWS LOOP INSERT INTO plain (host, ts, value) $INS; END LOOP; END \$\$;")
psql_q -c "TRUNCATE scored"
TRIG=$(timed trigger "DO \$\$ DECLARE base int := (SELECT coalesce(max(points), 0) FROM anomaly_ts_state) * $TRIGGER_SERIES; BEGIN FOR j IN 1..$TRIGGER_ROWS LOOP INSERT INTO scored (host, ts, value) SELECT 'h' || (i % $TRIGGER_SERIES), timestamptz '2026-01-02' + (i / $TRIGGER_SERIES) * interval '1 minute', 100 + sin(i) FROM (SELECT base + j AS i) x; END LOOP; END \$\$;")
echo "  plain $PLAIN ms; with the trigger $TRIG ms; $(per "$TRIG" "$PLAIN" "$TRIGGER_ROWS") us a row above a plain insert (target <= 20)"

echo "== $TRIGGER_ROWS rows inserted one transaction each (autocommit): the trigger against a plain insert"
# the script of one-row INSERTs into table $1 for points $2 .. $2 + TRIGGER_ROWS - 1
insert_script() {
    awk -v table="$1" -v first="$2" -v n="$TRIGGER_ROWS" -v s="$TRIGGER_SERIES" 'BEGIN {
        for (i = first; i < first + n; i++)
            printf "INSERT INTO %s (host, ts, value) VALUES (\047h%d\047, timestamptz \0472026-02-01\047 + %d * interval \0471 minute\047, %.6f);\n",
                table, i % s, int(i / s), 100 + sin(i)
    }'
}
# timed_script TABLE FIRST: the time (us) of the script feeding points FIRST..
# into TABLE, started without a checkpoint's writes pending (every commit
# waits for its WAL flush)
timed_script() {
    local script start end
    script=$(mktemp /tmp/series_bench.XXXXXX.sql)
    chmod 644 "$script"
    insert_script "$1" "$2" >"$script"
    psql_q -c CHECKPOINT
    start=$(date +%s%N)
    psql_q -f "$script"
    end=$(date +%s%N)
    rm -f "$script"
    echo $(((end - start) / 1000))
}
# R timed runs of each after one warm-up, plain and trigger in turn so that
# both see the same drift of the shared disk; each run feeds later points
PLAIN_TIMES="" TRIG_TIMES=""
for ((i = 0; i <= R; i++)); do
    p=$(timed_script plain $((i * TRIGGER_ROWS)))
    t=$(timed_script scored $((i * TRIGGER_ROWS)))
    ((i > 0)) && PLAIN_TIMES+="$p"$'\n' && TRIG_TIMES+="$t"$'\n'
done
PLAIN1=$(printf '%s' "$PLAIN_TIMES" | median_ms)
TRIG1=$(printf '%s' "$TRIG_TIMES" | median_ms)
echo "  plain $PLAIN1 ms; with the trigger $TRIG1 ms; $(per "$TRIG1" "$PLAIN1" "$TRIGGER_ROWS") us a row above a plain insert (target <= 20)"

echo "== $TRIGGER_ROWS rows inserted one statement each in one transaction: anomaly_monitor on the series model against the PL/pgSQL trigger and a plain insert"
# rows_into TABLE: a DO block inserting TRIGGER_ROWS rows into TABLE, one
# statement each, later than every point the model's series have taken
rows_into() {
    echo "DO \$\$ DECLARE base int := (SELECT coalesce(max(points), 0) FROM anomaly_ts_state) * $TRIGGER_SERIES; BEGIN FOR j IN 1..$TRIGGER_ROWS LOOP INSERT INTO $1 (host, ts, value) SELECT 'h' || (i % $TRIGGER_SERIES), timestamptz '2026-03-01' + (i / $TRIGGER_SERIES) * interval '1 minute', 100 + sin(i) FROM (SELECT base + j AS i) x; END LOOP; END \$\$;"
}
PLAIN_TIMES="" TRIG_TIMES="" MON_TIMES=""
# each timed is one warm-up and one timed run; R of them in turn
for ((i = 1; i <= R; i++)); do
    p=$(R=1 timed plain "TRUNCATE plain; $(rows_into plain)")
    t=$(R=1 timed trigger "TRUNCATE scored; $(rows_into scored)")
    m=$(R=1 timed monitor "TRUNCATE monitored; $(rows_into monitored)")
    PLAIN_TIMES+="$p"$'\n' && TRIG_TIMES+="$t"$'\n' && MON_TIMES+="$m"$'\n'
done
PLAIN4=$(printf '%s' "$PLAIN_TIMES" | awk '{ print $1 * 1000 }' | median_ms)
TRIG4=$(printf '%s' "$TRIG_TIMES" | awk '{ print $1 * 1000 }' | median_ms)
MON4=$(printf '%s' "$MON_TIMES" | awk '{ print $1 * 1000 }' | median_ms)
echo "  plain $PLAIN4 ms; PL/pgSQL trigger $TRIG4 ms ($(per "$TRIG4" "$PLAIN4" "$TRIGGER_ROWS") us a row above plain); anomaly_monitor $MON4 ms ($(per "$MON4" "$PLAIN4" "$TRIGGER_ROWS") us a row above plain, $(ratio "$MON4" "$TRIG4") x the PL/pgSQL trigger's time)"
# the last run's rows were all scored (no point late): scored rows / rows of each trigger's table
echo "  scored rows of the last run: PL/pgSQL trigger $(psql_q -At -c "SELECT count(score) || ' / ' || count(*) FROM scored"), anomaly_monitor $(psql_q -At -c "SELECT count(score) || ' / ' || count(*) FROM monitored")"
