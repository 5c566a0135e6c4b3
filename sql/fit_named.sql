-- anomaly_fit's named form, anomaly_fit(row record, algorithm, options,
-- features text[]): the form anomaly_train runs and Citus pushes to its
-- workers.  The names replace the row's own (Citus sends rows to workers as
-- an anonymous ROW(...)), and the model is the one the three-argument form
-- trains on the same rows.
SET client_min_messages = warning;
SELECT anomaly_fit(t, 'iforest', '{"seed": 3}', ARRAY['amount', 'hour_of_day', 'payment_method'])
     = anomaly_fit(t, 'iforest', '{"seed": 3}') AS same_model
  FROM (SELECT amount, hour_of_day, payment_method FROM tx) t;
-- NULL keeps the row's names
SELECT anomaly_fit(t, 'ecod', NULL, NULL) = anomaly_fit(t, 'ecod') AS same_model
  FROM (SELECT amount, hour_of_day FROM tx) t;
-- an anonymous ROW(...) trains features of the given names, which score rows by name
CREATE TABLE named AS
SELECT anomaly_fit(ROW(amount, hour_of_day, payment_method), 'iforest', '{"seed": 3}',
                   ARRAY['amount', 'hour_of_day', 'payment_method']) AS m FROM tx;
SELECT (SELECT m FROM named)
     = (SELECT anomaly_fit(t, 'iforest', '{"seed": 3}')
          FROM (SELECT amount, hour_of_day, payment_method FROM tx) t) AS same_model;
SELECT count(*) FILTER (WHERE anomaly_flag(n.m, t)) AS flagged,
       count(anomaly_score(n.m, t)) AS scored
  FROM named n, (SELECT amount, hour_of_day, payment_method FROM tx) t;
-- without names such a row's features are f1, f2, f3
SELECT anomaly_score(anomaly_fit(ROW(amount, hour_of_day), 'ecod', '{}', NULL) OVER (),
                     jsonb_build_object('f1', 1.0, 'f2', 3)) IS NOT NULL AS named_f1_f2
  FROM tx LIMIT 1;
-- anomaly_train's model is the one the aggregate gives
SELECT anomaly_train('named_train', 'tx', ARRAY['amount', 'hour_of_day', 'payment_method'],
                     'iforest', options => '{"seed": 3}') AS id \gset
SELECT model = (SELECT m FROM named) AS same_model, features->0->>'name' AS first_feature
  FROM anomaly_models WHERE id = :id;
-- a dropped column is not named
CREATE TABLE dropped AS SELECT amount, 1 AS gone, hour_of_day FROM tx;
ALTER TABLE dropped DROP COLUMN gone;
SELECT anomaly_fit(d, 'iforest', '{"seed": 3}', ARRAY['amount', 'hour_of_day'])
     = (SELECT anomaly_fit(t, 'iforest', '{"seed": 3}') FROM (SELECT amount, hour_of_day FROM tx) t) AS same_model
  FROM dropped d;
DROP TABLE dropped;
-- bad names
SELECT anomaly_fit(t, 'ecod', '{}', ARRAY['amount']) FROM (SELECT amount, hour_of_day FROM tx) t;
SELECT anomaly_fit(t, 'ecod', '{}', ARRAY[]::text[]) FROM (SELECT amount FROM tx) t;
SELECT anomaly_fit(t, 'ecod', '{}', ARRAY['amount', NULL]) FROM (SELECT amount, hour_of_day FROM tx) t;
SELECT anomaly_fit(amount, 'ecod', '{}', ARRAY['amount']) FROM tx;
-- partial aggregation: parallel workers combine states of the named form
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF)
SELECT anomaly_fit(t, 'ecod', '{}', ARRAY['amount']) FROM (SELECT amount FROM tx) t;
RESET ALL;
SELECT anomaly_drop('named_train');
DROP TABLE named;
