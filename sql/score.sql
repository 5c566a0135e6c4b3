-- Scoring in place: every model form with every row form.
SELECT anomaly_train('s', 'tx', columns => ARRAY['amount', 'hour_of_day', 'payment_method'],
                     contamination => 0.05) AS sid \gset
SELECT model AS sbytes FROM anomaly_models WHERE id = :sid \gset
-- by name, by id and by bytea value: the same scores
SELECT count(*) AS rows,
       count(*) FILTER (WHERE anomaly_score('s', t) = anomaly_score(:sid::bigint, t)) AS same_by_id,
       count(*) FILTER (WHERE anomaly_score('s', t) = anomaly_score(:'sbytes'::bytea, t)) AS same_by_bytes
  FROM tx t;
-- a composite (extra columns ignored) and a jsonb object give the same score
SELECT round(anomaly_score('s', t)::numeric, 6) AS composite,
       round(anomaly_score('s', jsonb_build_object('amount', amount, 'hour_of_day', hour_of_day,
                                                    'payment_method', payment_method))::numeric, 6) AS jsonb
  FROM tx t WHERE transaction_id IN ('TXN_00004', 'TXN_00010') ORDER BY transaction_id;
-- float8[] rows for a numeric-only model
SELECT anomaly_train('num', 'tx', columns => ARRAY['amount', 'hour_of_day']) AS nid \gset
SELECT count(*) FILTER (WHERE anomaly_score('num', t) = anomaly_score('num', ARRAY[amount, hour_of_day]::float8[])) AS same
  FROM tx t;
-- an anonymous record matches by name too
SELECT anomaly_score('num', t) = anomaly_score('num', (SELECT r FROM (SELECT t.hour_of_day, t.amount) r)) AS by_name
  FROM tx t WHERE transaction_id = 'TXN_00004';
-- flag = score >= threshold; severity is the training percentile
SELECT count(*) FILTER (WHERE anomaly_flag('s', t) = (anomaly_score('s', t) >= threshold)) AS consistent
  FROM tx t, anomaly_models m WHERE m.id = :sid;
SELECT min(anomaly_severity('s', t)) >= 0 AS lo, max(anomaly_severity('s', t)) <= 100 AS hi,
       round(avg(anomaly_severity('s', t))::numeric, 0) AS mean_severity
  FROM tx t;
-- severity ranks rows the same way as the score
SELECT count(*) AS discordant FROM tx a, tx b
 WHERE a.transaction_id < b.transaction_id AND a.transaction_id < 'TXN_00100' AND b.transaction_id < 'TXN_00100'
   AND anomaly_score('s', a) > anomaly_score('s', b) AND anomaly_severity('s', a) < anomaly_severity('s', b);
-- the known anomalies rank at the top
SELECT is_anomaly, count(*) FROM (
  SELECT is_anomaly FROM tx t ORDER BY anomaly_score('s', t) DESC, transaction_id LIMIT 20) top
 GROUP BY 1 ORDER BY 1;
-- NULL, NaN and infinities never break a score
SELECT round(anomaly_score('num', ARRAY[NULL, 12]::float8[])::numeric, 4) AS null_imputed,
       round(anomaly_score('num', ARRAY['NaN', 12]::float8[])::numeric, 4) AS nan_imputed,
       anomaly_score('num', ARRAY['Infinity', 12]::float8[]) >= anomaly_score('num', ARRAY[1e6, 12]::float8[]) AS inf_is_extreme,
       round(anomaly_score('num', '{"hour_of_day": 12}'::jsonb)::numeric, 4) AS missing_key_imputed;
-- an unseen category scores as rare
SELECT anomaly_score('s', '{"amount": 20, "hour_of_day": 12, "payment_method": "bitcoin"}'::jsonb)
     > anomaly_score('s', '{"amount": 20, "hour_of_day": 12, "payment_method": "credit"}'::jsonb) AS unseen_is_rarer;
-- a new version is picked up at once by name (the cache is invalidated)
SELECT round(anomaly_score('num', ARRAY[20, 12]::float8[])::numeric, 4) AS before;
SELECT anomaly_train('num', 'SELECT amount * 100 AS amount, hour_of_day FROM tx') > 0 AS retrained;
SELECT round(anomaly_score('num', ARRAY[20, 12]::float8[])::numeric, 4) AS after;
-- while the old version stays reachable by id
SELECT round(anomaly_score(:nid::bigint, ARRAY[20, 12]::float8[])::numeric, 4) AS old_by_id;
-- in a trigger: flag rows as they arrive
CREATE TABLE incoming (amount float8, hour_of_day int, flagged bool);
CREATE FUNCTION flag_incoming() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN NEW.flagged := anomaly_flag('s', jsonb_build_object('amount', NEW.amount, 'hour_of_day', NEW.hour_of_day)); RETURN NEW; END $$;
CREATE TRIGGER flag_incoming BEFORE INSERT ON incoming FOR EACH ROW EXECUTE FUNCTION flag_incoming();
INSERT INTO incoming (amount, hour_of_day) VALUES (25, 14), (9999, 3);
SELECT * FROM incoming ORDER BY amount;
-- NULL model or row gives NULL
SELECT anomaly_score(NULL::text, t) IS NULL AS null_model FROM tx t LIMIT 1;
