-- anomaly_monitor: row and statement triggers, log / reject / tag, COPY,
-- UPDATE, a dropped model, retention and the BI views.
SET client_min_messages = warning;
SELECT anomaly_train('watch', 'tx', ARRAY['amount', 'hour_of_day', 'payment_method'],
                     'iforest', 0.05) > 0 AS trained;

-- a statement trigger scores the whole batch and writes one batch row
CREATE TABLE watched (LIKE tx);
ALTER TABLE watched ADD PRIMARY KEY (transaction_id);
CREATE TRIGGER watch_batch AFTER INSERT ON watched REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION anomaly_monitor('watch');
INSERT INTO watched SELECT * FROM anomaly_sample('ecommerce', 200, 0.05, 7);
SELECT model_name, model_version, relation, rows, anomalies, share > 0 AS some_flagged,
       min_score <= mean_score AND mean_score <= max_score AS ordered, out_of_range
  FROM anomaly_batches ORDER BY id;
-- events: the anomalies only, keyed by primary key, with severity and reason
SELECT count(*) AS events, bool_and(is_anomaly) AS all_anomalies,
       bool_and(row_key ? 'transaction_id') AS keyed, bool_and(reason <> '') AS reasons,
       bool_and(severity BETWEEN 0 AND 100) AS severities
  FROM anomaly_events;
-- the events agree with anomaly_flag on the same rows
SELECT count(*) AS disagreements FROM watched t
  FULL JOIN anomaly_events e ON e.row_key->>'transaction_id' = t.transaction_id
 WHERE anomaly_flag('watch', t) IS DISTINCT FROM (e.id IS NOT NULL);
SELECT row_key, round(score::numeric, 4) AS score, reason
  FROM anomaly_events ORDER BY score DESC LIMIT 3;

-- COPY gives one batch row
COPY watched FROM STDIN WITH (FORMAT csv);
C1,12.5,7,grocery,10,2,credit,f
C2,4999.0,8,online,3,6,cash,t
C3,25.0,9,retail,14,3,debit,f
\.
SELECT rows, anomalies FROM anomaly_batches ORDER BY id DESC LIMIT 1;
SELECT row_key, reason FROM anomaly_events WHERE row_key->>'transaction_id' LIKE 'C%';

-- UPDATE is monitored too
CREATE TRIGGER watch_update AFTER UPDATE ON watched REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION anomaly_monitor('watch');
UPDATE watched SET amount = 9999 WHERE transaction_id = 'C1';
SELECT rows, anomalies FROM anomaly_batches ORDER BY id DESC LIMIT 1;
SELECT row_key, reason FROM anomaly_events ORDER BY id DESC LIMIT 1;

-- a row trigger with log=all records every row; without a key the ctid names it
CREATE TABLE no_key (amount float8, hour_of_day int, payment_method text);
CREATE TRIGGER watch_rows AFTER INSERT ON no_key
  FOR EACH ROW EXECUTE FUNCTION anomaly_monitor('watch', 'log=all');
INSERT INTO no_key VALUES (20, 12, 'credit'), (8000, 2, 'cash');
SELECT row_key, is_anomaly, reason IS NOT NULL AS has_reason
  FROM anomaly_events WHERE relation = 'public.no_key' ORDER BY id;

-- tag: a BEFORE ROW trigger sets a score and a flag column, logging nothing
CREATE TABLE tagged (amount float8, hour_of_day int, payment_method text,
                     score float8, flagged bool);
CREATE TRIGGER tag BEFORE INSERT OR UPDATE ON tagged FOR EACH ROW
  EXECUTE FUNCTION anomaly_monitor('watch', 'log=none', 'score_column=score', 'flag_column=flagged');
INSERT INTO tagged (amount, hour_of_day, payment_method) VALUES (20, 12, 'credit'), (8000, 2, 'cash');
UPDATE tagged SET amount = 9000 WHERE amount = 20;
SELECT amount, round(score::numeric, 4) = round(anomaly_score('watch', t)::numeric, 4) AS score_matches,
       flagged FROM tagged t ORDER BY amount;
SELECT count(*) AS tag_events FROM anomaly_events WHERE relation = 'public.tagged';

-- reject: an anomalous row fails its statement only
CREATE TABLE guarded (amount float8, hour_of_day int, payment_method text);
CREATE TRIGGER guard BEFORE INSERT ON guarded FOR EACH ROW
  EXECUTE FUNCTION anomaly_monitor('watch', 'reject');
INSERT INTO guarded VALUES (20, 12, 'credit');
INSERT INTO guarded VALUES (21, 13, 'credit'), (8000, 2, 'cash');
INSERT INTO guarded VALUES (22, 14, 'debit');
SELECT amount FROM guarded ORDER BY amount;
SELECT count(*) AS rejected_events FROM anomaly_events WHERE relation = 'public.guarded';

-- the BI views: plain scalar columns
SELECT count(*) > 0 AS annotations, bool_and(tags LIKE 'anomaly,watch,%') AS tagged
  FROM anomaly_event_annotations;
SELECT model, sum(rows) AS rows, sum(anomalies) AS anomalies FROM anomaly_rate GROUP BY model;
SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute
 WHERE attrelid IN ('anomaly_event_annotations'::regclass, 'anomaly_rate'::regclass) AND attnum > 0
 ORDER BY attrelid::regclass::text, attnum;

-- bad set-ups: clear errors naming the trigger
CREATE TABLE bad (amount float8, hour_of_day int, payment_method text, score text);
CREATE TRIGGER no_model AFTER INSERT ON bad FOR EACH ROW EXECUTE FUNCTION anomaly_monitor();
INSERT INTO bad VALUES (1, 1, 'credit');
DROP TRIGGER no_model ON bad;
CREATE TRIGGER odd AFTER INSERT ON bad FOR EACH ROW EXECUTE FUNCTION anomaly_monitor('watch', 'loud');
INSERT INTO bad VALUES (1, 1, 'credit');
DROP TRIGGER odd ON bad;
CREATE TRIGGER late_tag AFTER INSERT ON bad FOR EACH ROW
  EXECUTE FUNCTION anomaly_monitor('watch', 'flag_column=score');
INSERT INTO bad VALUES (1, 1, 'credit');
DROP TRIGGER late_tag ON bad;
CREATE TRIGGER text_tag BEFORE INSERT ON bad FOR EACH ROW
  EXECUTE FUNCTION anomaly_monitor('watch', 'score_column=score');
INSERT INTO bad VALUES (1, 1, 'credit');
DROP TRIGGER text_tag ON bad;
CREATE TRIGGER no_table AFTER INSERT ON bad FOR EACH STATEMENT
  EXECUTE FUNCTION anomaly_monitor('watch');
INSERT INTO bad VALUES (1, 1, 'credit');
DROP TRIGGER no_table ON bad;
SELECT anomaly_monitor();

-- a model dropped while a trigger still names it
SELECT anomaly_train('doomed', 'tx', ARRAY['amount'], 'zscore') > 0 AS trained;
CREATE TABLE doomed_t (amount float8);
CREATE TRIGGER doomed_watch AFTER INSERT ON doomed_t REFERENCING NEW TABLE AS n
  FOR EACH STATEMENT EXECUTE FUNCTION anomaly_monitor('doomed');
INSERT INTO doomed_t VALUES (1);
SELECT anomaly_drop('doomed');
INSERT INTO doomed_t VALUES (2);
SELECT count(*) FROM doomed_t;

-- retention
UPDATE anomaly_events SET at = at - interval '40 days' WHERE relation = 'public.no_key';
SELECT anomaly_prune_events(interval '30 days') AS pruned;
SELECT count(*) FROM anomaly_events WHERE relation = 'public.no_key';
SELECT anomaly_prune_events(interval '-1 day');
