#!/usr/bin/env bash
# Accuracy test: Isolation Forest on four ADBench datasets, trained and scored
# in the database (fit on all rows, score all rows, labels only for the
# metric).  Each ROC AUC must be at least ADBench's IForest value minus 0.02.
# Needs a running server (PGHOST/PGPORT) with the extension installed; the
# datasets are in ../shared/datasets beside the repository.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/../.." && pwd)
DATA=${ANOMALY_DATASETS:-$REPO/../shared/datasets}
PSQL=${PSQL:-psql}
passed=0 failed=0

[ -d "$DATA" ] || { echo "datasets not found in $DATA (set ANOMALY_DATASETS)"; exit 1; }
PGOPTIONS="-c client_min_messages=warning" $PSQL -X -q -c "CREATE EXTENSION IF NOT EXISTS anomaly"

# dataset and ADBench's IForest ROC AUC (Han et al. 2022, Table D4)
for pair in cardio:0.932 thyroid:0.983 shuttle:0.996 satimage-2:0.992; do
    name=${pair%%:*} adbench=${pair##*:}
    table=acc_${name//-/_}
    cols=$(head -1 "$DATA/$name.csv" | tr -d '\r' | sed 's/,is_anomaly$//; s/,/ float8, /g; s/$/ float8/')
    $PSQL -X -q -v ON_ERROR_STOP=1 -c "SET client_min_messages = warning" -c "DROP TABLE IF EXISTS $table" -c "CREATE TABLE $table ($cols, is_anomaly int)" >/dev/null
    $PSQL -X -q -v ON_ERROR_STOP=1 -c "\\copy $table FROM STDIN WITH (FORMAT csv, HEADER true)" < "$DATA/$name.csv"
    id=$(PGOPTIONS="-c client_min_messages=warning" $PSQL -X -At -v ON_ERROR_STOP=1 \
        -c "SELECT anomaly_train('$table', '$table', algorithm => 'iforest', label => 'is_anomaly')")
    auc=$($PSQL -X -At -v ON_ERROR_STOP=1 \
        -c "SELECT round((metrics->>'roc_auc')::numeric, 4) FROM anomaly_models WHERE id = $id")
    floor=$(awk -v a="$adbench" 'BEGIN { printf "%.3f", a - 0.02 }')
    if [[ "$auc" =~ ^[0-9.]+$ ]] && awk -v x="$auc" -v f="$floor" 'BEGIN { exit !(x + 0 >= f + 0) }'; then
        echo "ok - iforest $name ROC AUC $auc >= $floor (ADBench $adbench - 0.02)"
        passed=$((passed + 1))
    else
        echo "not ok - iforest $name ROC AUC $auc < $floor (ADBench $adbench - 0.02)"
        failed=$((failed + 1))
    fi
    $PSQL -X -q -c "SELECT anomaly_drop('$table'); DROP TABLE $table" >/dev/null
done
echo "accuracy: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
