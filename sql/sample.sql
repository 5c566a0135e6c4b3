-- The built-in e-commerce sample: shape, proportions, determinism.
SELECT * FROM anomaly_sample() ORDER BY transaction_id LIMIT 5;
SELECT count(*), count(*) FILTER (WHERE is_anomaly) AS anomalies
  FROM anomaly_sample('ecommerce', 1000, 0.05, 42);
-- anomalies: 40 % high amounts at night, 30 % tiny amounts, 30 % new customers
SELECT count(*) FILTER (WHERE amount > 200 AND hour_of_day < 6) AS high_at_night,
       count(*) FILTER (WHERE amount <= 1 AND hour_of_day >= 6) AS tiny,
       count(*) FILTER (WHERE customer_id >= 9000) AS new_customers
  FROM anomaly_sample('ecommerce', 1000, 0.05, 42) WHERE is_anomaly;
-- normal rows: customers 1-199, hours 6-22, payment about 60/30/10
SELECT min(customer_id), max(customer_id), min(hour_of_day), max(hour_of_day),
       min(day_of_week), max(day_of_week),
       round(avg((payment_method = 'credit')::int), 1) AS credit_share
  FROM anomaly_sample('ecommerce', 10000, 0.05, 7) WHERE NOT is_anomaly;
SELECT array_agg(DISTINCT merchant_category ORDER BY merchant_category) FROM anomaly_sample();
-- the same seed gives the same rows; another seed does not
SELECT md5(string_agg(s::text, ',' ORDER BY transaction_id)) = md5(
       (SELECT string_agg(s2::text, ',' ORDER BY transaction_id) FROM anomaly_sample(seed => 42) s2)) AS same
  FROM anomaly_sample(seed => 42) s;
SELECT md5(string_agg(s::text, ',' ORDER BY transaction_id)) AS fingerprint
  FROM anomaly_sample(seed => 42) s;
SELECT (SELECT sum(amount) FROM anomaly_sample(seed => 1)) <> (SELECT sum(amount) FROM anomaly_sample(seed => 2)) AS differs;
SELECT count(*) FROM anomaly_sample(rows => 0);
-- errors
SELECT * FROM anomaly_sample('banking');
SELECT * FROM anomaly_sample(rows => -1);
SELECT * FROM anomaly_sample(anomaly_rate => 1.5);
