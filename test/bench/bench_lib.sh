# test/bench/bench_lib.sh - what the SQL benchmarks share: the median time of
# repeated runs of a statement in one session, and ratios.  Source it after
# test/lib.sh has started a cluster; R is the number of timed runs and SERIAL
# the settings each session starts with.

# timed LABEL SQL: the median (ms) of R timed runs of SQL after one warm-up.
timed() {
    local script="$SERIAL"$'\n\\o /dev/null\n' i
    for ((i = 0; i <= R; i++)); do
        ((i > 0)) && script+='\timing on'$'\n'
        script+="$2"$'\n'
        ((i > 0)) && script+='\timing off'$'\n'
    done
    psql_q <<<"$script" | awk '/^Time: /{ print $2 }' | sort -g |
        awk '{ v[NR] = $1 } END { printf "%.1f\n", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# median_ms: the median of the figures on stdin (microseconds, one a line), in ms.
median_ms() {
    sort -g | awk '{ v[NR] = $1 / 1000 } END { printf "%.1f\n", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# ratio A B: A / B with two decimals.
ratio() { awk "BEGIN { printf \"%.2f\", $1 / $2 }"; }

# series_trigger_model: the extension, a series model 'bench' (10 hosts of 200
# points of an hourly wave), and the tables plain and scored (host, ts,
# value, score), scored through a PL/pgSQL trigger calling anomaly_ts_update.
series_trigger_model() {
    psql_q -c "CREATE EXTENSION anomaly;"
    psql_q <<'SQL'
SET client_min_messages = warning;
CREATE TABLE hist AS
  SELECT 'h' || (i % 10) AS host, timestamptz '2026-01-01' + (i / 10) * interval '1 minute' AS ts,
         100 + 20 * sin(2 * pi() * (i / 10) / 60) + sin(i * 1.7) AS value
    FROM generate_series(0, 1999) i;
SELECT anomaly_ts_train('bench', 'hist', 'ts', 'value', ARRAY['host']) > 0 AS trained;
CREATE TABLE plain (host text, ts timestamptz, value float8, score float8);
CREATE TABLE scored (LIKE plain);
CREATE FUNCTION score_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.score := (anomaly_ts_update('bench', NEW.host, NEW.ts, NEW.value)).score;
    RETURN NEW;
END $$;
CREATE TRIGGER score_row BEFORE INSERT ON scored FOR EACH ROW EXECUTE FUNCTION score_row();
SQL
}
