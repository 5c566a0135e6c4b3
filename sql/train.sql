-- anomaly_train: sessions that store immutable, versioned models.
-- default columns: the NOTICE says what is used and what is left out
SELECT anomaly_train('fraud', 'tx', label => 'is_anomaly') AS id1 \gset
SELECT name, version, algorithm, features, contamination, round(threshold::numeric, 3) AS threshold,
       source, train_rows, owner = current_user AS mine, model_bytes > 0 AS has_model
  FROM anomaly_model_list WHERE id = :id1;
SELECT params FROM anomaly_models WHERE id = :id1;
-- metrics against the label (labels are never used for fitting)
SELECT jsonb_object_keys(metrics) AS metric FROM anomaly_models WHERE id = :id1 ORDER BY 1;
SELECT (metrics->>'rows')::int AS rows, (metrics->>'anomalies')::int AS anomalies,
       round((metrics->>'roc_auc')::numeric, 3) AS roc_auc,
       (metrics->>'tp')::int + (metrics->>'fn')::int = 50 AS positives_add_up
  FROM anomaly_models WHERE id = :id1;
-- retraining makes a new version; nothing is clobbered
SELECT anomaly_train('fraud', 'tx', columns => ARRAY['amount', 'hour_of_day', 'payment_method'],
                     contamination => 0.05) AS id2 \gset
SELECT name, version, features, contamination FROM anomaly_model_list WHERE name = 'fraud' ORDER BY version;
-- with contamination, about that fraction of the training rows is flagged
SELECT count(*) FILTER (WHERE anomaly_flag('fraud', t)) BETWEEN 45 AND 55 AS about_5_percent FROM tx t;
-- a query as source, with options
SELECT anomaly_train('night', 'SELECT amount, hour_of_day FROM tx WHERE day_of_week < 6',
                     algorithm => 'iforest', options => '{"n_trees": 50, "sample_size": 128, "seed": 1}') > 0 AS trained;
SELECT params->>'n_trees' AS n_trees, params->>'sample_size' AS sample_size, train_rows
  FROM anomaly_model_list WHERE name = 'night';
-- a view as source
CREATE VIEW tx_view AS SELECT amount, payment_method FROM tx;
SELECT anomaly_train('viewed', 'tx_view') > 0 AS trained;
-- label as 0/1 integer
CREATE TABLE tx01 AS SELECT amount, hour_of_day, is_anomaly::int AS label FROM tx;
SELECT anomaly_train('int_label', 'tx01', label => 'label') > 0 AS trained;
SELECT (metrics->>'anomalies')::int AS anomalies FROM anomaly_model_list WHERE name = 'int_label';
-- dropping one version, then all of them
SELECT anomaly_drop('fraud', 1);
SELECT name, version FROM anomaly_model_list WHERE name = 'fraud';
SELECT anomaly_drop('fraud');
SELECT count(*) FROM anomaly_models WHERE name = 'fraud';
SELECT anomaly_drop('fraud');
-- after every version is dropped, the name starts again at version 1
SELECT anomaly_train('fraud', 'tx', columns => ARRAY['amount']) > 0 AS trained;
SELECT version FROM anomaly_model_list WHERE name = 'fraud';
