#!/usr/bin/env bash
# The checks of one PostgreSQL major, run where that major is installed (the
# host, or a Debian root made by test/matrix/matrix.sh):
#   version_check.sh suite        pg_regress (and a crash check of the log), the TAP tests, pg_cron
#   version_check.sh dump FILE    train one model of every algorithm, keep 100 rows' scores by name
#                                 and by id as float8 bytes in a table, and pg_dump the database
#   version_check.sh restore FILE restore such a dump and compare every score, byte for byte
# Each part prints its time; the summary line counts the parts.
# the roots need no sanitizers, valgrind or clang (their checks run on the host)
export ANOMALY_SERVER_ONLY=1
source "$(dirname "$0")/../lib.sh"

ALGORITHMS="'iforest', 'hbos', 'ecod', 'copod', 'zscore', 'mahalanobis', 'knn', 'lof', 'ocsvm', 'ensemble', 'auto'"
passed=0 failed=0

# Run one part, timing it and counting it as passed or failed.
part() {
    local name=$1 start=$SECONDS; shift
    step "PostgreSQL $PG_MAJOR: $name"
    if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAILED: $name"; fi
    echo "time: $name on $PG_MAJOR: $((SECONDS - start)) s"
}

# The database of the cross-major test: the sample, a model of every
# algorithm and the scores they give, computed on this major.
make_dump() {
    local file=$1
    psql_q <<SQL
SET client_min_messages = warning;
CREATE EXTENSION anomaly;
CREATE TABLE tx AS SELECT * FROM anomaly_sample('ecommerce', rows => 1000, anomaly_rate => 0.05, seed => 42);
SELECT count(anomaly_train('x_' || a, 'tx', ARRAY['amount', 'hour_of_day', 'payment_method'], a,
                           options => '{"seed": 7}')) FROM unnest(ARRAY[$ALGORITHMS]) a;
CREATE TABLE scores_at_dump AS
SELECT current_setting('server_version_num')::int / 10000 AS major, m.name, m.id, t.transaction_id,
       float8send(anomaly_score(m.name, t)) AS by_name, float8send(anomaly_score(m.id, t)) AS by_id
  FROM anomaly_models m, (SELECT * FROM tx ORDER BY transaction_id LIMIT 100) t;
SQL
    as_user "$PG_BIN/pg_dump" -f "$file" postgres && echo "dumped $(wc -c <"$file") bytes from PostgreSQL $PG_MAJOR"
}

# Restore a dump made on another major and compare every score by name and by id.
restore_dump() {
    local file=$1 result
    # a newer pg_dump writes settings an older server does not know: those lines fail alone
    as_user $PG_BIN/psql -X -q -f "$file" postgres >"$PGTMP/restore.log" 2>&1 || true
    grep -E "ERROR" "$PGTMP/restore.log" | sort | uniq -c | head -5
    result=$(psql_q -At -c "
        SELECT (SELECT max(major) FROM scores_at_dump) || ' ' || count(*) || ' ' ||
               count(*) FILTER (WHERE float8send(anomaly_score(s.name, t)) = s.by_name
                                  AND float8send(anomaly_score(s.id, t)) = s.by_id)
          FROM scores_at_dump s JOIN tx t USING (transaction_id)") || return 1
    set -- $result
    echo "models from PostgreSQL $1 restored on $PG_MAJOR: $3 of $2 scores identical as float8 bytes, by name and by id"
    [ "$2" -eq 1100 ] && [ "$3" -eq "$2" ]
}

case "${1:-}" in
    suite)
        ensure_packages "postgresql-$PG_MAJOR-cron"
        build_install
        start_cluster
        part "pg_regress" regress
        part "no server crash during pg_regress" no_crash_in_log
        stop_cluster
        part "TAP tests" env PG_BIN="$PG_BIN" bash "$REPO/test/tap.sh"
        part "scheduled retraining with pg_cron" bash "$REPO/test/cron/cron_test.sh"
        ;;
    dump)
        build_install
        start_cluster
        part "train and dump" make_dump "$2"
        ;;
    restore)
        build_install
        start_cluster
        part "restore and compare scores" restore_dump "$2"
        ;;
    *)
        echo "usage: $0 suite | dump FILE | restore FILE" >&2
        exit 2
        ;;
esac
echo "PostgreSQL $PG_MAJOR: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
