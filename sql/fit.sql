-- The anomaly_fit aggregate: a model as a value, one per group.
CREATE TABLE m AS
  SELECT anomaly_fit(t) AS model
    FROM (SELECT amount, customer_id, hour_of_day, payment_method FROM tx) t;
SELECT octet_length(model) > 1000 AS has_bytes, substr(model, 1, 8) AS magic FROM m;
-- a model value scores rows directly
SELECT round(avg(anomaly_score(m.model, t))::numeric, 3) AS avg_score,
       count(*) FILTER (WHERE anomaly_flag(m.model, t)) AS flagged_at_auto_threshold
  FROM m, tx t;
-- the anomalies score higher than the normal rows
SELECT is_anomaly, round(avg(anomaly_score(m.model, t))::numeric, 2) AS avg_score
  FROM m, tx t GROUP BY is_anomaly ORDER BY is_anomaly;
-- algorithm and options
SELECT octet_length(anomaly_fit(t, 'iforest', '{"n_trees": 10, "seed": 7}')) < octet_length((SELECT model FROM m)) AS smaller
  FROM (SELECT amount, hour_of_day FROM tx) t;
-- training is reproducible
SELECT anomaly_fit(t) = (SELECT anomaly_fit(t2) FROM (SELECT amount, customer_id, hour_of_day, payment_method FROM tx) t2) AS reproducible
  FROM (SELECT amount, customer_id, hour_of_day, payment_method FROM tx) t;
-- GROUP BY gives one model per group
SELECT merchant_category, octet_length(anomaly_fit(t)) > 0 AS has_model
  FROM (SELECT merchant_category, amount, hour_of_day FROM tx) t
 GROUP BY 1 ORDER BY 1;
-- constant and all-NULL columns are left out with a NOTICE
SELECT octet_length(anomaly_fit(t)) > 0
  FROM (SELECT amount, 1 AS constant, NULL::float8 AS nothing FROM tx) t;
-- unsupported types are ignored with a NOTICE
SELECT octet_length(anomaly_fit(t)) > 0
  FROM (SELECT amount, ARRAY[1, 2] AS arr FROM tx) t;
-- no rows: NULL, like other aggregates
SELECT anomaly_fit(t) IS NULL AS is_null FROM (SELECT amount FROM tx WHERE false) t;
-- the state type round-trips through its text form (as Citus moves it)
CREATE AGGREGATE fit_state_only(anyelement) (SFUNC = anomaly_fit_accum, STYPE = anomaly_fitstate);
CREATE TABLE st AS
  SELECT fit_state_only(t)::text AS state
    FROM (SELECT amount, hour_of_day, payment_method FROM tx) t;
SELECT length(state) > 1000 AS long_text FROM st;
SELECT anomaly_fit_final(state::anomaly_fitstate) =
       (SELECT anomaly_fit(t) FROM (SELECT amount, hour_of_day, payment_method FROM tx) t) AS same_model
  FROM st;
-- the text form is untrusted input: damaged states are refused
SELECT 'zz'::anomaly_fitstate;
SELECT '00'::anomaly_fitstate;
SELECT overlay(state placing 'ff' from 9 for 2)::anomaly_fitstate FROM st;
SELECT substr(state, 1, length(state) - 16)::anomaly_fitstate FROM st;
-- the transition function refuses to run outside an aggregate
SELECT anomaly_fit_accum(NULL::anomaly_fitstate, 1);
DROP AGGREGATE fit_state_only(anyelement);
