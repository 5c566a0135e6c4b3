-- Partial aggregation per partition, the path Citus takes for a distributed
-- table: with partitionwise aggregation every partition gets its own
-- Partial Aggregate of anomaly_fit, the states are combined, and the model is
-- as good as one trained on the plain table.
SET client_min_messages = warning;
CREATE TABLE parted (LIKE tx) PARTITION BY HASH (transaction_id);
CREATE TABLE parted_0 PARTITION OF parted FOR VALUES WITH (MODULUS 4, REMAINDER 0);
CREATE TABLE parted_1 PARTITION OF parted FOR VALUES WITH (MODULUS 4, REMAINDER 1);
CREATE TABLE parted_2 PARTITION OF parted FOR VALUES WITH (MODULUS 4, REMAINDER 2);
CREATE TABLE parted_3 PARTITION OF parted FOR VALUES WITH (MODULUS 4, REMAINDER 3);
INSERT INTO parted SELECT * FROM anomaly_sample('ecommerce', 20000, 0.02, 12);
ANALYZE parted;
SET enable_partitionwise_aggregate = on;
SET max_parallel_workers_per_gather = 0;
EXPLAIN (COSTS OFF)
SELECT anomaly_fit(t, 'iforest')
  FROM (SELECT amount, customer_id, hour_of_day, payment_method FROM parted) t;
-- the model from partial states, against one from the same rows in one table
CREATE TABLE unparted AS SELECT * FROM parted;
SELECT anomaly_train('parted', 'parted', ARRAY['amount', 'customer_id', 'hour_of_day', 'payment_method'],
                     'iforest', 0.02, label => 'is_anomaly') AS p \gset
SELECT anomaly_train('unparted', 'unparted', ARRAY['amount', 'customer_id', 'hour_of_day', 'payment_method'],
                     'iforest', 0.02, label => 'is_anomaly') AS u \gset
SELECT p.train_rows = u.train_rows AS same_rows,
       (p.metrics->>'roc_auc')::float8 > 0.8 AS partitioned_good,
       abs((p.metrics->>'roc_auc')::float8 - (u.metrics->>'roc_auc')::float8) < 0.03 AS as_good
  FROM anomaly_models p, anomaly_models u WHERE p.id = :p AND u.id = :u;
-- one model per partition key group runs whole inside each partition
EXPLAIN (COSTS OFF)
SELECT transaction_id, anomaly_fit(t)
  FROM (SELECT transaction_id, amount FROM parted) t GROUP BY transaction_id LIMIT 1;
RESET ALL;
