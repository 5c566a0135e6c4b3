#!/usr/bin/env bash
# The main job on an embedded default: a private PostgreSQL, the e-commerce
# sample, a trained Isolation Forest, the top anomalies with their reasons,
# how good they are beside the default algorithm (auto) trained on the same
# rows, and the visual report written to anomaly-report.html.
source "$(dirname "$0")/lib.sh"

ensure_packages
build_install
start_cluster

step "training on anomaly_sample('ecommerce') and scoring in place"
psql_q <"$REPO/test/demo_data.sql"
psql_q -P footer=off <<'SQL'
SET client_min_messages = warning;
SELECT anomaly_train('fraud', 'tx',
       columns => ARRAY['amount', 'customer_id', 'hour_of_day', 'day_of_week',
                        'merchant_category', 'payment_method'],
       algorithm => 'iforest', contamination => 0.05, label => 'is_anomaly') AS model_id \gset
SELECT anomaly_train('fraud_auto', 'tx',
       columns => ARRAY['amount', 'customer_id', 'hour_of_day', 'day_of_week',
                        'merchant_category', 'payment_method'],
       contamination => 0.05, label => 'is_anomaly') AS auto_id \gset
\echo
\echo Top 10 anomalies
SELECT transaction_id, is_anomaly,
       round(anomaly_score('fraud', t)::numeric, 4) AS score,
       round(anomaly_severity('fraud', t)::numeric, 1) AS severity,
       anomaly_reason('fraud', t) AS reason
FROM tx t ORDER BY anomaly_score('fraud', t) DESC, transaction_id LIMIT 10;
\echo How good: flags (score >= threshold) against the ground truth of the sample, iforest and the default (auto)
SELECT algorithm, round(threshold::numeric, 4) AS threshold,
       metrics->>'tp' AS tp, metrics->>'fp' AS fp, metrics->>'fn' AS fn,
       round((metrics->>'precision')::numeric, 3) AS precision,
       round((metrics->>'recall')::numeric, 3) AS recall,
       round((metrics->>'f1')::numeric, 3) AS f1,
       round((metrics->>'roc_auc')::numeric, 3) AS roc_auc
FROM anomaly_model_list WHERE id IN (:model_id, :auto_id) ORDER BY id;
SQL

step "the visual report"
psql_q -At -c "SELECT anomaly_report('fraud', 'tx', label => 'is_anomaly', time_column => 'at')" \
    > "$REPO/anomaly-report.html"
echo "Open $REPO/anomaly-report.html in a browser: histogram, score over time, top anomalies with reasons, ROC curve."
