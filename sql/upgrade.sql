-- 0.1.0 -> 0.2.0 -> 0.3.0: models trained under 0.1.0 keep their bytes,
-- owners and scores through each ALTER EXTENSION UPDATE, and the catalog
-- gains row-level security (0.2.0) and deployments (0.3.0).  Runs last: it
-- reinstalls the extension.
SET client_min_messages = warning;
DROP EXTENSION anomaly CASCADE;
CREATE EXTENSION anomaly VERSION '0.1.0';
SELECT extversion FROM pg_extension WHERE extname = 'anomaly';
SELECT count(*) AS readers_column FROM pg_attribute
 WHERE attrelid = 'anomaly_models'::regclass AND attname = 'readers';
-- one model of every algorithm, trained under 0.1.0
SELECT a AS algorithm, anomaly_train('up_' || a, 'tx', ARRAY['amount', 'hour_of_day', 'payment_method'], a,
                                     options => '{"seed": 7}') > 0 AS trained
  FROM unnest(ARRAY['iforest', 'hbos', 'ecod', 'copod', 'zscore', 'mahalanobis', 'knn', 'lof',
                    'ocsvm', 'ensemble', 'auto']) a;
CREATE TABLE scores_before AS
SELECT m.name, m.id, t.transaction_id, float8send(anomaly_score(m.name, t)) AS by_name,
       float8send(anomaly_score(m.id, t)) AS by_id, anomaly_reason(m.name, t) AS reason
  FROM anomaly_models m, (SELECT * FROM tx ORDER BY transaction_id LIMIT 100) t;
CREATE TABLE models_before AS SELECT id, name, version, owner, md5(model) AS bytes FROM anomaly_models;

ALTER EXTENSION anomaly UPDATE TO '0.2.0';
SELECT extversion FROM pg_extension WHERE extname = 'anomaly';
-- the same bytes, owners and versions; every score and reason identical
SELECT count(*) AS models, count(*) FILTER (WHERE md5(m.model) = b.bytes AND m.owner = b.owner
                                              AND m.version = b.version AND m.readers = '{}') AS unchanged
  FROM models_before b JOIN anomaly_models m USING (id);
SELECT count(*) AS scores,
       count(*) FILTER (WHERE float8send(anomaly_score(b.name, t)) = b.by_name
                          AND float8send(anomaly_score(b.id, t)) = b.by_id
                          AND anomaly_reason(b.name, t) = b.reason) AS identical
  FROM scores_before b JOIN tx t USING (transaction_id);
-- 0.2.0's catalog: row-level security, grants, a new version keeps its owner
SELECT relname, relrowsecurity FROM pg_class
 WHERE relname IN ('anomaly_models', 'anomaly_events', 'anomaly_batches') ORDER BY 1;
SELECT anomaly_train('up_iforest', 'tx', ARRAY['amount', 'hour_of_day', 'payment_method'], 'iforest') > 0 AS retrained;
SELECT version, owner = current_user AS own FROM anomaly_model_list WHERE name = 'up_iforest' ORDER BY version;
-- a new install is the update path itself: 0.1.0's script, then the update
SELECT path FROM pg_extension_update_paths('anomaly') WHERE source = '0.1.0' AND target = '0.2.0';
-- a monitor set up under 0.2.0 writes with this library before the update
CREATE TABLE up_watched (LIKE tx);
CREATE TRIGGER up_watch AFTER INSERT ON up_watched REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION anomaly_monitor('up_hbos', 'log=all');
INSERT INTO up_watched SELECT * FROM tx ORDER BY transaction_id LIMIT 10;
-- 0.2.0 -> 0.3.0: the same bytes and scores again
ALTER EXTENSION anomaly UPDATE;
-- the monitor keeps working after the update; a plain model's rows have no segment
INSERT INTO up_watched SELECT * FROM tx ORDER BY transaction_id LIMIT 10;
SELECT count(*) AS batches, sum(rows) AS rows, count(segment) AS with_segment FROM anomaly_batches
 WHERE relation = 'public.up_watched';
SELECT count(*) AS events, count(segment) AS with_segment FROM anomaly_events
 WHERE relation = 'public.up_watched';
DROP TABLE up_watched;
SELECT extversion FROM pg_extension WHERE extname = 'anomaly';
SELECT count(*) AS models, count(*) FILTER (WHERE md5(m.model) = b.bytes AND m.owner = b.owner
                                              AND m.version = b.version) AS unchanged
  FROM models_before b JOIN anomaly_models m USING (id);
SELECT count(*) AS scores,
       count(*) FILTER (WHERE float8send(anomaly_score(b.id, t)) = b.by_id
                          AND anomaly_reason(b.id, t) = b.reason) AS identical_by_id,
       -- up_iforest's name now means its version 2
       count(*) FILTER (WHERE b.name <> 'up_iforest' AND float8send(anomaly_score(b.name, t)) = b.by_name)
           AS identical_by_name
  FROM scores_before b JOIN tx t USING (transaction_id);
-- 0.3.0's deployments: each name's latest version is its deployed one, since
-- it was trained, and the update is the first change in each name's history
SELECT count(DISTINCT m.name) AS names, count(d.name) AS deployed,
       count(*) FILTER (WHERE d.version = (SELECT max(version) FROM anomaly_models l WHERE l.name = m.name)
                          AND d.model_id = m.id AND d.deployed_at = m.created_at
                          AND d.owner = m.owner) AS latest
  FROM anomaly_models m LEFT JOIN anomaly_deployments d ON d.model_id = m.id;
SELECT version FROM anomaly_model_list WHERE name = 'up_iforest' AND deployed;
SELECT action, count(*), count(*) FILTER (WHERE from_id IS NULL) AS from_nothing
  FROM anomaly_deployment_history GROUP BY 1;
SELECT path FROM pg_extension_update_paths('anomaly') WHERE source = '0.1.0' AND target = '0.3.0';
DROP TABLE scores_before, models_before;
