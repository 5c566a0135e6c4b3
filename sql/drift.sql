-- anomaly_drift: a fresh sample from the training distribution has not
-- drifted; a shifted or re-mixed copy has.
SET client_min_messages = warning;
SELECT anomaly_train('drifty', 'tx', ARRAY['amount', 'hour_of_day', 'payment_method'],
                     'iforest') > 0 AS trained;
-- the same distribution, another seed: nothing drifted
SELECT feature, round(psi::numeric, 3) AS psi, round(ks::numeric, 3) AS ks,
       round(train_mean::numeric, 2) AS train_mean, round(current_mean::numeric, 2) AS current_mean,
       drifted, rows
  FROM anomaly_drift('drifty', 'SELECT * FROM anomaly_sample(''ecommerce'', 2000, 0.05, 43)');
-- amounts 50 % higher: amount drifted, the other features did not
SELECT feature, psi > 0.1 AS psi_up, ks > ks_critical AS ks_beyond_critical, drifted
  FROM anomaly_drift('drifty',
                     'SELECT amount * 1.5 AS amount, hour_of_day, payment_method FROM tx');
-- payments re-mixed to mostly cash, and NULL hours
SELECT feature, drifted, round(current_null_share::numeric, 2) AS current_null_share
  FROM anomaly_drift('drifty',
                     $$SELECT amount, CASE WHEN hour_of_day > 15 THEN NULL ELSE hour_of_day END AS hour_of_day,
                              CASE WHEN hour_of_day % 3 = 0 THEN payment_method ELSE 'cash' END AS payment_method
                         FROM tx$$);
-- by id, and on an empty source (nothing to compare: not drifted)
SELECT count(*) AS features FROM anomaly_drift((SELECT max(id) FROM anomaly_models WHERE name = 'drifty'), 'tx');
SELECT feature, rows, drifted FROM anomaly_drift('drifty', 'SELECT * FROM tx WHERE false');
-- errors
SELECT * FROM anomaly_drift('drifty', 'SELECT amount FROM tx');
SELECT * FROM anomaly_drift('drifty', 'no_such_table');
SELECT * FROM anomaly_drift('no_such_model', 'tx');
SELECT * FROM anomaly_drift('drifty', NULL);
