#!/usr/bin/env bash
# Scheduled retraining with real pg_cron: a private PostgreSQL that preloads
# pg_cron, a model trained on the e-commerce sample, a job that retrains it
# every minute, and checks that a run succeeded and stored a new version
# beside the old one.  Beside it, the README's nightly "retrain, deploy if
# better, prune" as two jobs every minute: both runs succeed, the retrained
# version carries its deployment decision, and the deployed version is
# kept.  Jobs run in background workers (no libpq login), so the
# socket-only, trust-auth private server needs no cron.host.
source "$(dirname "$0")/../lib.sh"

JOB=retrain-nightly
TRAIN="SELECT anomaly_train('nightly', 'tx', columns => ARRAY['amount','hour_of_day','payment_method'], algorithm => 'iforest')"
BETTER="SELECT anomaly_train('guarded', 'tx', columns => ARRAY['amount','hour_of_day'], algorithm => 'ecod', label => 'is_anomaly', deploy => 'if_better')"
PRUNE="SELECT count(*) FROM anomaly_prune_models('guarded', keep => 1)"
WAIT_SECONDS=150
passed=0

# Preload pg_cron in the private server and restart it (same options).
preload_pg_cron() {
    step "preloading pg_cron"
    cat >> "$PGTMP/data/postgresql.conf" <<CONF
shared_preload_libraries = 'pg_cron'
cron.database_name = 'postgres'
cron.use_background_workers = on
CONF
    # with no -o, pg_ctl restart reuses the options in postmaster.opts
    as_user "$PG_BIN/pg_ctl" -D "$PGTMP/data" -l "$PGTMP/server.log" -w restart >/dev/null
}

# One query's value, unaligned and without headers.
value() {
    psql_q -At -c "$1"
}

# Print the job's runs and the server log's tail, then fail.
fail() {
    echo "not ok - $*"
    echo "--- cron.job_run_details"
    psql_q -P footer=off -c "SELECT jobid, runid, status, return_message, start_time, end_time FROM cron.job_run_details ORDER BY runid" || true
    echo "--- server log (tail)"
    tail -n 40 "$PGTMP/server.log" || true
    echo "cron: $passed passed, 1 failed"
    exit 1
}

# Count the check described by $1 as passed if the rest, a command, holds; else fail.
check() {
    local what=$1; shift
    if "$@" 2>/dev/null; then
        echo "ok - $what"
        passed=$((passed + 1))
    else
        fail "$what"
    fi
}

ensure_packages "postgresql-$PG_MAJOR-cron"
start_cluster
preload_pg_cron
started=$SECONDS

step "training version 1 on anomaly_sample('ecommerce')"
psql_q -P footer=off <<SQL
SET client_min_messages = warning;
CREATE EXTENSION pg_cron;
CREATE EXTENSION anomaly;
CREATE TABLE tx AS SELECT * FROM anomaly_sample('ecommerce', 1000, 0.05, 42);
$TRAIN;
SELECT anomaly_train('guarded', 'tx', columns => ARRAY['amount','hour_of_day'], algorithm => 'iforest');
SQL
[ "$(value "SELECT count(*) FROM anomaly_models WHERE name = 'nightly'")" = 1 ] ||
    fail "version 1 of 'nightly' is not the only one before the job is scheduled"

step "scheduling '$JOB' every minute"
jobid=$(value "SELECT cron.schedule('$JOB', '* * * * *', \$\$$TRAIN\$\$)")
echo "job $jobid: $(value "SELECT schedule || '  ' || command FROM cron.job WHERE jobid = $jobid")"
better=$(value "SELECT cron.schedule('retrain-if-better', '* * * * *', \$\$$BETTER\$\$)")
prune=$(value "SELECT cron.schedule('prune-models', '* * * * *', \$\$$PRUNE\$\$)")

step "waiting for a finished run of job $jobid (at most ${WAIT_SECONDS}s)"
status=""
for ((i = 0; i < WAIT_SECONDS / 2; i++)); do
    status=$(value "SELECT status FROM cron.job_run_details WHERE jobid = $jobid AND status IN ('succeeded', 'failed') ORDER BY runid LIMIT 1") ||
        fail "could not read cron.job_run_details"
    [ -n "$status" ] && break
    sleep 2
done
[ -n "$status" ] || fail "no finished run of job $jobid after ${WAIT_SECONDS}s"
echo "a run finished $((SECONDS - started))s after the server started"

step "checks"
check "the first finished run of '$JOB' has status '$status' (want succeeded)" [ "$status" = succeeded ]
max=$(value "SELECT max(version) FROM anomaly_models WHERE name = 'nightly'") || true
check "the job stored a new version of 'nightly': max(version) = $max (want >= 2)" [ "$max" -ge 2 ]
count=$(value "SELECT count(*) FROM anomaly_models WHERE name = 'nightly'") || true
check "the old version is still there: $count versions of 'nightly' (want >= 2)" [ "$count" -ge 2 ]
psql_q -P footer=off -c "SELECT version, algorithm, train_rows, owner, created_at FROM anomaly_model_list WHERE name = 'nightly' ORDER BY version"

step "waiting for runs of 'retrain-if-better' and 'prune-models' (at most ${WAIT_SECONDS}s)"
for ((i = 0; i < WAIT_SECONDS / 2; i++)); do
    done_jobs=$(value "SELECT count(DISTINCT jobid) FROM cron.job_run_details WHERE jobid IN ($better, $prune) AND status IN ('succeeded', 'failed')") ||
        fail "could not read cron.job_run_details"
    [ "$done_jobs" = 2 ] && break
    sleep 2
done
failed_runs=$(value "SELECT count(*) FROM cron.job_run_details WHERE jobid IN ($better, $prune) AND status = 'failed'") || true
check "'retrain-if-better' and 'prune-models' ran ($done_jobs of 2), none failed ($failed_runs)" \
    [ "$done_jobs" = 2 -a "$failed_runs" = 0 ]
decided=$(value "SELECT count(*) FROM anomaly_models WHERE name = 'guarded' AND metrics ? 'deployment'") || true
check "a retrained version of 'guarded' carries its deployment decision ($decided)" [ "$decided" -ge 1 ]
kept=$(value "SELECT count(*) FROM anomaly_deployments d JOIN anomaly_models m ON m.id = d.model_id WHERE d.name = 'guarded'") || true
check "the deployed version of 'guarded' is still stored ($kept)" [ "$kept" = 1 ]
psql_q -P footer=off -c "SELECT version, algorithm, deployed, metrics->'deployment' AS deployment FROM anomaly_model_list WHERE name = 'guarded' ORDER BY version"

unscheduled=$(value "SELECT cron.unschedule('$JOB') AND cron.unschedule('retrain-if-better') AND cron.unschedule('prune-models')")
check "unscheduled the jobs" [ "$unscheduled" = t ]
echo "cron: $passed passed, 0 failed"
