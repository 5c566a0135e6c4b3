-- Training and scoring with parallel workers: a Partial Aggregate, and a
-- model as good as the serial one.
CREATE TABLE big AS SELECT * FROM anomaly_sample('ecommerce', 50000, 0.02, 11);
ANALYZE big;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF)
SELECT anomaly_fit(t) FROM (SELECT amount, customer_id, hour_of_day, payment_method FROM big) t;
SELECT anomaly_train('par', 'big', columns => ARRAY['amount', 'customer_id', 'hour_of_day', 'payment_method'],
                     contamination => 0.02, label => 'is_anomaly') AS par \gset
EXPLAIN (COSTS OFF)
SELECT sum(anomaly_score('par', t)) FROM big t;
SELECT round(sum(anomaly_score('par', t))::numeric, 6) AS parallel_sum FROM big t \gset
SET max_parallel_workers_per_gather = 0;
SELECT round(sum(anomaly_score('par', t))::numeric, 6) = :parallel_sum AS same_scores_serially FROM big t;
SELECT anomaly_train('ser', 'big', columns => ARRAY['amount', 'customer_id', 'hour_of_day', 'payment_method'],
                     contamination => 0.02, label => 'is_anomaly') AS ser \gset
SELECT (p.metrics->>'roc_auc')::float8 > 0.8 AS parallel_good,
       (s.metrics->>'roc_auc')::float8 > 0.8 AS serial_good,
       abs((p.metrics->>'roc_auc')::float8 - (s.metrics->>'roc_auc')::float8) < 0.03 AS as_good,
       p.train_rows = s.train_rows AS same_rows
  FROM anomaly_models p, anomaly_models s WHERE p.id = :par AND s.id = :ser;
RESET ALL;
