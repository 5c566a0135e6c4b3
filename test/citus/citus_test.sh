#!/usr/bin/env bash
# The README's "Scale-out: partitions and Citus" recipe on a real cluster:
# Citus (built from ../shared/citus beside the repository) and the extension
# installed into a private copy of PostgreSQL, a coordinator and two workers
# on 127.0.0.1 run as the unprivileged user, 200,000 rows of anomaly_sample
# distributed by customer_id, and every step of the recipe checked: its
# result, its plan, and that the cluster's figures equal those of the same
# model on a plain copy of the rows on the coordinator.  Then the models on
# the workers (anomaly_citus_replicate): scoring by name and id, row-level
# security, versions under retraining, deploys reaching the workers, parallel
# plans, and what anomaly_monitor does on a distributed table.
#
#   bash test/citus/citus_test.sh
#   CITUS_ROWS=1000000 bash test/citus/citus_test.sh   (more rows)
source "$(dirname "$0")/../lib.sh"

case "$PG_MAJOR" in
    15 | 16 | 17) ;;
    *) echo "skipped: Citus 13.2.2 supports PostgreSQL 15 to 17, not $PG_MAJOR"; exit 0 ;;
esac
ROWS=${CITUS_ROWS:-200000}
CITUS_SRC=$REPO/../shared/citus
CITUS_TREE=${CITUS_TREE:-/var/tmp/anomaly-citus-$(printf '%s' "$REPO" | md5sum | cut -c1-8)}
passed=0 failed=0

# Three free TCP ports in a row on 127.0.0.1: the coordinator's, then the workers'.
free_ports() {
    local base
    for base in $(seq 40100 10 40990); do
        if ! ss -ltn | grep -qE "127.0.0.1:($base|$((base + 1))|$((base + 2))) "; then
            echo "$base"
            return 0
        fi
    done
    echo "no three free ports in 40100..40992" >&2
    return 1
}

# Start node $1 (coord, w1, w2) on port $2 with Citus preloaded.
start_node() {
    local node=$1 port=$2
    as_user "$PG_BIN/initdb" -D "$CLTMP/$node" -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
    as_user "$PG_BIN/pg_ctl" -D "$CLTMP/$node" -l "$CLTMP/$node.log" -w -o \
        "-c listen_addresses=127.0.0.1 -k $CLTMP -p $port -c shared_preload_libraries=citus,anomaly -c max_worker_processes=16 -c max_connections=60 -c shared_buffers=64MB" \
        start >/dev/null
    as_user "$PG_BIN/psql" -X -q -h "$CLTMP" -p "$port" -d postgres -c "CREATE EXTENSION citus" >/dev/null
}

# Stop every node and remove the cluster's directory.
stop_nodes() {
    local node
    [ -n "${CLTMP:-}" ] || return 0
    for node in coord w1 w2; do
        [ -d "$CLTMP/$node" ] && as_user "$PG_BIN/pg_ctl" -D "$CLTMP/$node" -m fast -w stop >/dev/null 2>&1
    done
    rm -rf "$CLTMP"
}

# psql on the coordinator (or on the port in $NODE_PORT), tuples only, stopping at the first error.
sql() {
    as_user "$PG_BIN/psql" -X -q -At -v ON_ERROR_STOP=1 -h "$CLTMP" -p "${NODE_PORT:-$COORD}" -d postgres "$@"
}

# Check that running SQL $2 on the coordinator prints $3 exactly; $1 says what is checked.
expect() {
    local what=$1 query=$2 want=$3 got t0=$SECONDS
    if got=$(sql -c "SET client_min_messages = warning" -c "$query" 2>&1) && [ "$got" = "$want" ]; then
        echo "ok - $what ($((SECONDS - t0)) s)"
        passed=$((passed + 1))
    else
        echo "not ok - $what"
        echo "   query: $query"
        echo "   want:  $want"
        echo "   got:   $got" | head -20
        failed=$((failed + 1))
    fi
}

# Check that SQL $2 prints a line matching the extended regular expression $3.
expect_match() {
    local what=$1 query=$2 pattern=$3 got t0=$SECONDS
    got=$(sql -c "SET client_min_messages = warning" -c "$query" 2>&1) || true
    if grep -qE "$pattern" <<<"$got"; then
        echo "ok - $what ($((SECONDS - t0)) s)"
        passed=$((passed + 1))
    else
        echo "not ok - $what"
        echo "   query: $query"
        echo "   want a line matching: $pattern"
        echo "$got" | head -20 | sed 's/^/   got:   /'
        failed=$((failed + 1))
    fi
}

ensure_packages iproute2
step "Citus and the extension in a private PostgreSQL ($CITUS_TREE)"
PG_BIN=$(private_tree "$CITUS_TREE")
[ -f "$CITUS_SRC/build.sh" ] || { echo "no Citus source at $CITUS_SRC (shared/citus beside the repository)"; exit 1; }
# the build tree is configured for one PostgreSQL and installs into it: one per private copy
CITUS_BUILD_DIR=${CITUS_BUILD_DIR:-$CITUS_TREE/citus-build} bash "$CITUS_SRC/build.sh" "$PG_BIN/pg_config"
build_install

started=$SECONDS
step "a coordinator and two workers on 127.0.0.1"
CLTMP=$(mktemp -d /tmp/anomaly-citus.XXXXXX)
chown "$RUN_USER" "$CLTMP"
chmod 755 "$CLTMP"
# CITUS_KEEP=1 leaves the cluster running for a look at it afterwards
[ "${CITUS_KEEP:-0}" = 1 ] || trap stop_nodes EXIT
base=$(free_ports)
COORD=$base W1=$((base + 1)) W2=$((base + 2))
start_node coord "$COORD"
start_node w1 "$W1"
start_node w2 "$W2"
sql <<SQL >/dev/null
SELECT citus_set_coordinator_host('127.0.0.1', $COORD);
SELECT citus_add_node('127.0.0.1', $W1);
SELECT citus_add_node('127.0.0.1', $W2);
SQL
echo "coordinator on port $COORD, workers on $W1 and $W2"

step "the README's recipe, step by step"
FEATURES="ARRAY['amount', 'hour_of_day', 'payment_method']"
sql -c "CREATE EXTENSION anomaly" >/dev/null
expect "CREATE EXTENSION anomaly on the coordinator reaches both workers" \
    "SELECT string_agg(result, ',') FROM run_command_on_workers(\$\$SELECT extversion FROM pg_extension WHERE extname = 'anomaly'\$\$)" \
    "0.3.0,0.3.0"
expect "$ROWS rows of anomaly_sample distributed by customer_id, and a plain copy" \
    "CREATE TABLE tx AS SELECT * FROM anomaly_sample('ecommerce', $ROWS, 0.02, 7);
     CREATE TABLE tx_local AS SELECT * FROM tx;
     SELECT create_distributed_table('tx', 'customer_id', shard_count => 32);
     SELECT count(*) FROM tx" \
    "
$ROWS"
expect_match "training pushes partial aggregation to all 32 shards and combines on the coordinator" \
    "EXPLAIN (VERBOSE, COSTS OFF) SELECT anomaly_fit(s, 'iforest', '{}', $FEATURES)
       FROM (SELECT amount, hour_of_day, payment_method FROM tx) s" \
    "coord_combine_agg"
expect_match "... with worker_partial_agg on the workers" \
    "EXPLAIN (VERBOSE, COSTS OFF) SELECT anomaly_fit(s, 'iforest', '{}', $FEATURES)
       FROM (SELECT amount, hour_of_day, payment_method FROM tx) s" \
    "Task Count: 32|worker_partial_agg\(.*ROW\(ROW\(amount, hour_of_day, payment_method\)"
expect "anomaly_train('fraud', 'tx') trains on every row with the features' names" \
    "SELECT anomaly_train('fraud', 'tx', columns => $FEATURES, algorithm => 'iforest',
                          options => '{\"seed\": 1}', label => 'is_anomaly') > 0;
     SELECT train_rows, array_to_string(features, ',') FROM anomaly_model_list WHERE name = 'fraud'" \
    "t
$ROWS|amount,hour_of_day,payment_method"
FLAGGED=$(sql -c "SELECT count(*) FROM tx_local t WHERE anomaly_flag('fraud', t)")
expect "... and it is as good as the same training on the plain copy (ROC AUC within 0.03)" \
    "SELECT anomaly_train('fraud_local', 'tx_local', columns => $FEATURES, algorithm => 'iforest',
                          options => '{\"seed\": 1}', label => 'is_anomaly') > 0;
     SELECT abs((c.metrics->>'roc_auc')::float8 - (l.metrics->>'roc_auc')::float8) < 0.03,
            (c.metrics->>'roc_auc')::float8 > 0.65
       FROM anomaly_models c, anomaly_models l WHERE c.name = 'fraud' AND l.name = 'fraud_local'" \
    "t
t|t"
expect_match "the one-argument anomaly_fit(t) on a distributed source is refused by Citus's type check" \
    "SELECT anomaly_fit(t) FROM (SELECT amount, hour_of_day FROM tx) t" \
    "ERROR:  worker_partial_agg_sfunc could not confirm type correctness"
expect "scoring on the workers with the model's bytes gives the scores of the plain copy, row for row" \
    "WITH m AS MATERIALIZED (SELECT model FROM anomaly_models WHERE name = 'fraud'),
          c AS (SELECT md5(string_agg(float8send(anomaly_score(m.model, t))::text, ',' ORDER BY t.transaction_id)) AS h
                  FROM tx t, m),
          l AS (SELECT md5(string_agg(float8send(anomaly_score(m.model, t))::text, ',' ORDER BY t.transaction_id)) AS h
                  FROM tx_local t, m)
     SELECT c.h = l.h FROM c, l" \
    "t"
expect "the README's scoring query (the deployed version's bytes) flags on the workers what it flags on the plain copy" \
    "WITH m AS MATERIALIZED (SELECT model FROM anomaly_models
                            WHERE id = (SELECT model_id FROM anomaly_deployments WHERE name = 'fraud'))
     SELECT count(*) FROM tx t, m WHERE anomaly_flag(m.model, t);
     WITH m AS MATERIALIZED (SELECT model FROM anomaly_models
                            WHERE id = (SELECT model_id FROM anomaly_deployments WHERE name = 'fraud'))
     SELECT count(*) FROM tx_local t, m WHERE anomaly_flag(m.model, t)" \
    "$FLAGGED
$FLAGGED"
expect "anomaly_evaluate, _histogram and _drift on the distributed source equal the plain copy's; _report runs" \
    "SELECT (SELECT row(e.*)::text FROM anomaly_evaluate('fraud', 'tx', 'is_anomaly') e)
          = (SELECT row(e.*)::text FROM anomaly_evaluate('fraud', 'tx_local', 'is_anomaly') e),
            (SELECT array_agg(h ORDER BY h.bin)::text FROM anomaly_histogram('fraud', 'tx') h)
          = (SELECT array_agg(h ORDER BY h.bin)::text FROM anomaly_histogram('fraud', 'tx_local') h),
            (SELECT array_agg(d.drifted ORDER BY feature)::text || array_agg(d.rows ORDER BY feature)::text FROM anomaly_drift('fraud', 'tx') d)
          = (SELECT array_agg(d.drifted ORDER BY feature)::text || array_agg(d.rows ORDER BY feature)::text FROM anomaly_drift('fraud', 'tx_local') d),
            length(anomaly_report('fraud', 'tx', label => 'is_anomaly')) > 1000" \
    "t|t|t|t"
expect "a model segmented by the distribution column trains the same segments as on the plain copy, and its label pass scores as well" \
    "SELECT anomaly_train('seg', 'tx', columns => ARRAY['amount', 'hour_of_day'], algorithm => 'iforest',
                          options => '{\"seed\": 1, \"min_segment_rows\": 100}', segment_by => ARRAY['customer_id'],
                          label => 'is_anomaly') > 0,
            anomaly_train('seg_local', 'tx_local', columns => ARRAY['amount', 'hour_of_day'], algorithm => 'iforest',
                          options => '{\"seed\": 1, \"min_segment_rows\": 100}', segment_by => ARRAY['customer_id'],
                          label => 'is_anomaly') > 0;
     SELECT c.params->'segments' = l.params->'segments', c.train_rows = l.train_rows,
            abs((c.metrics->>'roc_auc')::float8 - (l.metrics->>'roc_auc')::float8) < 0.03
       FROM anomaly_models c, anomaly_models l WHERE c.name = 'seg' AND l.name = 'seg_local'" \
    "t|t
t|t|t"
expect_match "... and its segment query runs whole on the workers: each shard's task trains its customers' segments" \
    "SET citus.log_remote_commands = on; SET client_min_messages = log;
     SELECT anomaly_train('seg_pushed', 'tx', columns => ARRAY['amount', 'hour_of_day'], algorithm => 'iforest',
                          options => '{\"seed\": 1, \"min_segment_rows\": 100}', segment_by => ARRAY['customer_id'])" \
    'issuing .*anomaly_fit_segment\(ROW\(.*public\.tx_[0-9]+'

# its models (45 MB each) are dropped before the replica is made: copying
# them to every node is measured in the README, not each time here
sql -c "SELECT anomaly_drop('seg'), anomaly_drop('seg_local'), anomaly_drop('seg_pushed')" >/dev/null

expect_match "before anomaly_citus_replicate() a lookup on the workers is refused with the way round it" \
    "SELECT count(*) FROM tx t WHERE anomaly_flag('fraud', t)" \
    'HINT:  Run SELECT anomaly_citus_replicate\(\) once on the coordinator, or pass the model.s bytes'

step "models where the shards are: anomaly_citus_replicate()"
expect "anomaly_citus_replicate() makes anomaly_model_replicas a reference table on every node and copies the models" \
    "SELECT anomaly_citus_replicate();
     SELECT partmethod, repmodel FROM pg_dist_partition WHERE logicalrelid = 'anomaly_model_replicas'::regclass;
     SELECT count(DISTINCT nodeport) FROM pg_dist_shard_placement p JOIN pg_dist_shard s USING (shardid)
      WHERE s.logicalrelid = 'anomaly_model_replicas'::regclass" \
    "2
n|t
3"
# the md5 of a scoring's scores in transaction_id order: $1 the table, $2 the model argument
scores_md5() {
    echo "SELECT md5(string_agg(float8send(anomaly_score($2, t))::text, ',' ORDER BY t.transaction_id)) FROM $1 t"
}
BYTES="(SELECT model FROM anomaly_models WHERE name = 'fraud' AND version = 1)"
expect "scoring by name and by id on the workers gives the scores of the model's bytes on the plain copy, row for row" \
    "SELECT ($(scores_md5 tx "'fraud'")) = ($(scores_md5 tx_local "$BYTES")),
            ($(scores_md5 tx "(SELECT id FROM anomaly_models WHERE name = 'fraud')")) = ($(scores_md5 tx_local "$BYTES"))" \
    "t|t"
sql -c "CREATE ROLE analyst LOGIN" -c "GRANT SELECT ON tx TO analyst" >/dev/null
FRAUD1=$(sql -c "SELECT id FROM anomaly_models WHERE name = 'fraud'")
expect_match "a role the model is not granted to cannot score with it on the workers by name (row-level security on the replica)" \
    "SET ROLE analyst; SELECT count(*) FROM tx t WHERE anomaly_flag('fraud', t)" \
    "^ERROR:  anomaly model \"fraud\" does not exist"
expect_match "... nor by id" \
    "SET ROLE analyst; SELECT count(*) FROM tx t WHERE anomaly_flag($FRAUD1::bigint, t)" \
    "^ERROR:  anomaly model with id $FRAUD1 does not exist"
sql -c "SELECT anomaly_grant('fraud', 'analyst')" >/dev/null
expect "after anomaly_grant it can, on every worker" \
    "SET ROLE analyst; SELECT count(*) FROM tx t WHERE anomaly_flag('fraud', t)" \
    "$FLAGGED"
sql -c "SELECT anomaly_revoke('fraud', 'analyst')" >/dev/null
expect_match "after anomaly_revoke it cannot again: the workers' cached models follow the replica" \
    "SET ROLE analyst; SELECT count(*) FROM tx t WHERE anomaly_flag('fraud', t)" \
    "^ERROR:  anomaly model \"fraud\" does not exist"
sql -c "SELECT anomaly_train('fraud', 'tx', columns => ARRAY['amount', 'hour_of_day'], algorithm => 'hbos')" >/dev/null
V2=$(sql -c "SELECT id FROM anomaly_models WHERE name = 'fraud' AND version = 2")
FLAGGED2=$(sql -c "SELECT count(*) FROM tx_local t WHERE anomaly_flag($V2::bigint, t)")
expect "retraining numbers the new version 2 and deploys it, in the catalog and in the replica" \
    "SELECT string_agg(m.version || ':' || (d.model_id IS NOT NULL), ',' ORDER BY m.version)
       FROM anomaly_models m LEFT JOIN anomaly_deployments d ON d.model_id = m.id WHERE m.name = 'fraud';
     SELECT string_agg(version || ':' || deployed, ',' ORDER BY version) FROM anomaly_model_replicas WHERE name = 'fraud'" \
    "1:false,2:true
1:false,2:true"
expect "... and every worker scores by name with version 2 in the next statement ($FLAGGED2 flags; version 1: $FLAGGED)" \
    "SELECT count(*) FROM tx t WHERE anomaly_flag('fraud', t)" \
    "$FLAGGED2"
expect "... row for row as version 2 by id on the plain copy" \
    "SELECT ($(scores_md5 tx "'fraud'")) = ($(scores_md5 tx_local "$V2::bigint"))" \
    "t"
sql -c "SELECT anomaly_rollback('fraud')" >/dev/null
expect "anomaly_rollback reaches the workers; a version resolved on the coordinator by a subquery is the same" \
    "SELECT count(*) FROM tx t WHERE anomaly_flag('fraud', t)
     UNION ALL
     SELECT count(*) FROM tx t WHERE anomaly_flag((SELECT model_id FROM anomaly_deployments WHERE name = 'fraud'), t)" \
    "$FLAGGED
$FLAGGED"
expect_match "... that subquery runs once on the coordinator (a distributed subplan): one version for the whole statement" \
    "EXPLAIN (COSTS OFF) SELECT count(*) FROM tx t WHERE anomaly_flag((SELECT model_id FROM anomaly_deployments WHERE name = 'fraud'), t)" \
    "Distributed Subplan"
sql -c "SELECT anomaly_deploy('fraud', 2)" >/dev/null
# inside one transaction block on the coordinator, whose worker connections
# stay open: a deploy committed by another session in between is seen by
# the next statement's tasks, as a statement on one node would see it
OTHER_SESSION="\\! $PG_BIN/psql -X -q -At -h $CLTMP -p $COORD -d postgres -c \"SELECT (anomaly_deploy('fraud', 1)).version\""
got=$(sql -c BEGIN -c "SELECT count(*) FROM tx t WHERE anomaly_flag('fraud', t)" -c "$OTHER_SESSION" \
          -c "SELECT count(*) FROM tx t WHERE anomaly_flag('fraud', t)" -c COMMIT 2>&1)
if [ "$got" = "$FLAGGED2
1
$FLAGGED" ]; then
    echo "ok - in a transaction block, the statement after a deploy committed elsewhere scores with the new version on every worker"
    passed=$((passed + 1))
else
    echo "not ok - in a transaction block, the statement after a deploy committed elsewhere scores with the new version on every worker"
    echo "   want: $FLAGGED2 1 $FLAGGED"
    echo "$got" | head -20 | sed 's/^/   got:   /'
    failed=$((failed + 1))
fi
sql -c "SELECT anomaly_deploy('fraud', 2)" >/dev/null
# with the library preloaded on the coordinator, a constant name is resolved
# to the deployed id when the statement is planned: every task scores with
# that one version, even when a deploy commits while the statement runs
expect_match "a model name is resolved on the coordinator when the statement is planned: the tasks score by id" \
    "EXPLAIN (VERBOSE, COSTS OFF) SELECT count(*) FROM tx t WHERE anomaly_flag('fraud', t)" \
    "anomaly_flag\\('$V2'::bigint, t\\.\\*\\)"
got=$(sql -c "PREPARE by_name AS SELECT count(*) FROM tx t WHERE anomaly_flag('fraud', t)" \
          -c "EXECUTE by_name" -c "EXECUTE by_name" -c "EXECUTE by_name" -c "EXECUTE by_name" \
          -c "EXECUTE by_name" -c "EXECUTE by_name" -c "$OTHER_SESSION" -c "EXECUTE by_name" 2>&1 | tr '\n' ' ')
want="$FLAGGED2 $FLAGGED2 $FLAGGED2 $FLAGGED2 $FLAGGED2 $FLAGGED2 1 $FLAGGED "
if [ "$got" = "$want" ]; then
    echo "ok - a prepared statement by name is planned again after a deploy (its plan depends on anomaly_deployments)"
    passed=$((passed + 1))
else
    echo "not ok - a prepared statement by name is planned again after a deploy (its plan depends on anomaly_deployments)"
    echo "   want: $want"
    echo "   got:  $got"
    failed=$((failed + 1))
fi
sql -c "SELECT anomaly_deploy('fraud', 2)" >/dev/null
# one statement whose tasks run one after another (one connection a worker,
# 10 ms a row on about 400 rows): another session deploys version 1 a
# second after it starts, and every task still scores with version 2
SLOW="SELECT count(*) FILTER (WHERE anomaly_flag('fraud', t)) FROM tx t
       WHERE CASE WHEN abs(hashtext(transaction_id)) % 500 = 0 THEN pg_sleep(0.01) IS NOT NULL END"
SUBSET2=$(sql -c "SELECT count(*) FILTER (WHERE anomaly_flag($V2::bigint, t)) FROM tx_local t WHERE abs(hashtext(transaction_id)) % 500 = 0")
( sleep 1; as_user "$PG_BIN/psql" -X -q -At -h "$CLTMP" -p "$COORD" -d postgres \
      -c "SELECT anomaly_deploy('fraud', 1)" >/dev/null ) &
deployer=$!
t0=$SECONDS
expect "a deploy committed while a statement runs does not mix versions in it: all its tasks use version 2 ($SUBSET2 flags)" \
    "SET citus.max_adaptive_executor_pool_size = 1;
     $SLOW" \
    "$SUBSET2"
wait "$deployer"
echo "   (the statement took $((SECONDS - t0)) s; the deploy came after 1 s)"
sql -c "SELECT anomaly_deploy('fraud', 2)" >/dev/null
PARALLEL="SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0; SET min_parallel_table_scan_size = 0; SET max_parallel_workers_per_gather = 2;"
expect_match "scoring the plain copy by id in a parallel plan on the coordinator: the plan ..." \
    "$PARALLEL EXPLAIN (COSTS OFF) SELECT count(*) FROM tx_local t WHERE anomaly_flag($V2::bigint, t)" \
    "Workers Planned: 2"
expect "... and its result, by id and by name" \
    "$PARALLEL SELECT count(*) FROM tx_local t WHERE anomaly_flag($V2::bigint, t)
     UNION ALL SELECT count(*) FROM tx_local t WHERE anomaly_flag('fraud', t)" \
    "$FLAGGED2
$FLAGGED2"
# one statement at a time in one session: with citus.propagate_set_commands
# Citus sends a SET's whole query string to the workers, and a string of
# several statements would run them all there
WORKER_PARALLEL=(-c BEGIN -c "SET LOCAL citus.propagate_set_commands = 'local'" -c "SET LOCAL parallel_setup_cost = 0"
                 -c "SET LOCAL parallel_tuple_cost = 0" -c "SET LOCAL min_parallel_table_scan_size = 0"
                 -c "SET LOCAL force_parallel_mode = on")
got=$(sql "${WORKER_PARALLEL[@]}" -c "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
            SELECT count(*) FROM tx t WHERE anomaly_flag('fraud', t)" \
          -c "SELECT count(*) FROM tx t WHERE anomaly_flag('fraud', t)" -c COMMIT 2>&1)
if grep -qE "Workers Launched: [12]" <<<"$got" && [ "$(tail -1 <<<"$got")" = "$FLAGGED2" ]; then
    echo "ok - scoring by name in parallel plans on the workers (settings sent with citus.propagate_set_commands)"
    passed=$((passed + 1))
else
    echo "not ok - scoring by name in parallel plans on the workers"
    echo "$got" | head -20 | sed 's/^/   got:   /'
    failed=$((failed + 1))
fi

step "monitoring a distributed table"
sql -c "CREATE TABLE tx_in (LIKE tx_local, score float8, flagged boolean)" \
    -c "SELECT create_distributed_table('tx_in', 'customer_id', shard_count => 4)" >/dev/null
TAG="CREATE TRIGGER tag BEFORE INSERT ON tx_in FOR EACH ROW
       EXECUTE FUNCTION anomaly_monitor('fraud', 'log=none', 'score_column=score', 'flag_column=flagged')"
expect_match "Citus refuses a trigger on a distributed table without citus.enable_unsafe_triggers" \
    "$TAG" 'ERROR:  triggers are not supported on distributed tables'
UNSAFE="SET citus.enable_unsafe_triggers = on"
sql -c "$UNSAFE" -c "$TAG" >/dev/null
IN_FLAGGED=$(sql -c "SELECT count(*) FROM tx_local t WHERE transaction_id < 'TXN_02000' AND anomaly_flag($V2::bigint, t)")
expect "with it, a BEFORE ROW trigger with log=none tags every row on the shards with the deployed version's score and flag" \
    "INSERT INTO tx_in SELECT * FROM tx_local WHERE transaction_id < 'TXN_02000';
     SELECT count(*), count(*) FILTER (WHERE flagged), bool_and(score = anomaly_score($V2::bigint, i)) FROM tx_in i" \
    "2000|$IN_FLAGGED|t"
# one row (a router INSERT: an INSERT ... SELECT copies into the shards, and
# Citus then drops the worker's hint)
ONE_ROW="INSERT INTO tx_in (transaction_id, amount, customer_id, hour_of_day, payment_method) VALUES ('TXN_X', 10, 1, 3, 'card')"
sql -c "$UNSAFE" -c "CREATE TRIGGER watch AFTER INSERT ON tx_in FOR EACH ROW EXECUTE FUNCTION anomaly_monitor('fraud')" >/dev/null
expect_match "a trigger that logs events is refused on the workers by anomaly_monitor, with the way round it" \
    "$ONE_ROW" \
    'ERROR:  trigger "watch_[0-9]+" on tx_in_[0-9]+ cannot log anomaly events on a Citus worker'
sql -c "$UNSAFE" -c "DROP TRIGGER watch ON tx_in" \
    -c "CREATE TRIGGER watch AFTER INSERT ON tx_in REFERENCING NEW TABLE AS n FOR EACH STATEMENT
          EXECUTE FUNCTION anomaly_monitor('fraud', 'log=none')" >/dev/null
expect_match "... as is a statement trigger, which writes a batch row" \
    "$ONE_ROW" \
    'HINT:  On a distributed table use a BEFORE INSERT OR UPDATE ... FOR EACH ROW trigger with .log=none.'
sql -c "$UNSAFE" -c "DROP TRIGGER watch ON tx_in" \
    -c "CREATE TRIGGER guard BEFORE INSERT ON tx_in FOR EACH ROW EXECUTE FUNCTION anomaly_monitor('fraud', 'log=none', 'reject')" >/dev/null
expect_match "a reject trigger with log=none rejects an anomalous row on the worker" \
    "INSERT INTO tx_in SELECT * FROM tx_local t WHERE transaction_id > 'TXN_02000' AND anomaly_flag($V2::bigint, t) LIMIT 1" \
    'ERROR:  row .* is anomalous under model "fraud"'
expect "... and lets a normal one in" \
    "INSERT INTO tx_in SELECT * FROM tx_local t WHERE transaction_id > 'TXN_02000' AND NOT anomaly_flag($V2::bigint, t) LIMIT 1;
     SELECT count(*) FROM tx_in" \
    "2001"

expect "one model per customer, grouped by the distribution column, trains whole on the workers and scores by name" \
    "CREATE TABLE per_customer AS
     SELECT customer_id, anomaly_fit(ROW(amount, hour_of_day), 'iforest', '{\"seed\": 1}', ARRAY['amount', 'hour_of_day']) AS m
       FROM tx WHERE customer_id IN (SELECT customer_id FROM tx GROUP BY 1 HAVING count(*) >= 100)
      GROUP BY customer_id;
     SELECT (SELECT count(*) FROM per_customer)
          = (SELECT count(*) FROM (SELECT customer_id FROM tx_local GROUP BY 1 HAVING count(*) >= 100) c),
            (SELECT count(anomaly_score(p.m, l)) FROM per_customer p
               JOIN (SELECT customer_id, amount, hour_of_day FROM tx_local) l USING (customer_id))
          = (SELECT count(*) FROM tx_local WHERE customer_id IN (SELECT customer_id FROM per_customer))" \
    "t|t"

step "figures: $ROWS rows on the cluster (2 workers, 32 shards) and on one node, medians of 3"
# Milliseconds of a query on the coordinator, the median of 3 runs.
median_ms() {
    local i t0 times=()
    for i in 1 2 3; do
        t0=$(date +%s%N)
        sql -c "SET client_min_messages = warning" -c "$1" >/dev/null
        times+=($(( ($(date +%s%N) - t0) / 1000000 )))
    done
    printf '%s\n' "${times[@]}" | sort -n | sed -n 2p
}
for t in tx tx_local; do
    train=$(median_ms "SELECT anomaly_fit(s, 'iforest', '{\"seed\": 1}', $FEATURES) FROM (SELECT amount, hour_of_day, payment_method FROM $t) s")
    score=$(median_ms "SELECT count(*) FROM $t t WHERE anomaly_flag((SELECT model FROM anomaly_models WHERE id = $V2), t)")
    by_name=$(median_ms "SELECT count(*) FROM $t t WHERE anomaly_flag('fraud', t)")
    echo "$t: training $train ms, scoring $score ms with the model's bytes, $by_name ms by name"
done

step "summary"
echo "time: citus cluster steps: $((SECONDS - started)) s"
echo "citus: $passed passed, $failed failed"
[ "${CITUS_KEEP:-0}" = 1 ] && echo "kept running: psql -h $CLTMP -p $COORD -d postgres"
[ "$failed" -eq 0 ]
