-- Models belong to their owner: row-level security on the catalog, grants,
-- events that follow their model, training with the caller's rights, and
-- no SECURITY DEFINER anywhere.
SET client_min_messages = warning;
\set VERBOSITY default
\set SHOW_CONTEXT never
CREATE ROLE regress_anomaly_alice;
CREATE ROLE regress_anomaly_bob;
CREATE ROLE regress_anomaly_carol;
GRANT SELECT ON tx TO regress_anomaly_alice, regress_anomaly_bob, regress_anomaly_carol;
CREATE TABLE alice_secret AS SELECT amount, hour_of_day FROM tx;
ALTER TABLE alice_secret OWNER TO regress_anomaly_alice;
GRANT CREATE ON SCHEMA public TO regress_anomaly_alice;

-- alice trains; the model is hers
SET ROLE regress_anomaly_alice;
SELECT anomaly_train('alice_fraud', 'tx', ARRAY['amount', 'hour_of_day'], 'iforest') > 0 AS trained;
SELECT name, version, owner, readers FROM anomaly_model_list WHERE name = 'alice_fraud';
SELECT id AS alice_id FROM anomaly_models WHERE name = 'alice_fraud' \gset
SELECT round(anomaly_score('alice_fraud', ARRAY[20, 12]::float8[])::numeric, 6) AS alice_score \gset

-- bob can neither see it, score with it, read it, drop it, grant it nor take its name
SET ROLE regress_anomaly_bob;
SELECT count(*) AS bob_sees FROM anomaly_model_list WHERE name = 'alice_fraud';
SELECT count(*) AS bob_reads FROM anomaly_models WHERE id = :alice_id;
SELECT anomaly_score('alice_fraud', ARRAY[20, 12]::float8[]);
\set VERBOSITY sqlstate
SELECT anomaly_score(:alice_id::bigint, ARRAY[20, 12]::float8[]);
\set VERBOSITY default
SELECT anomaly_explain('alice_fraud', ARRAY[20, 12]::float8[]);
SELECT anomaly_drop('alice_fraud');
SELECT anomaly_grant('alice_fraud', 'regress_anomaly_bob');
SELECT anomaly_train('alice_fraud', 'tx', ARRAY['amount']);
UPDATE anomaly_models SET readers = '{regress_anomaly_bob}' WHERE name = 'alice_fraud';
UPDATE anomaly_models SET threshold = 0 WHERE name = 'alice_fraud';
INSERT INTO anomaly_models (name, version, algorithm, features, params, threshold, train_rows, owner, model)
  VALUES ('forged', 1, 'iforest', '[]', '{}', 0, 1, 'regress_anomaly_alice', '\x00');
-- training from a query runs with bob's rights, not the extension's
SELECT anomaly_train('bob_model', 'alice_secret');
SELECT anomaly_train('bob_model', 'SELECT amount FROM alice_secret');
SELECT anomaly_fit(s) FROM alice_secret s;

-- granted, bob scores with it and sees the same score, but still cannot drop or regrant it
SET ROLE regress_anomaly_alice;
SELECT anomaly_grant('alice_fraud', 'regress_anomaly_bob');
SELECT anomaly_grant('alice_fraud', 'regress_anomaly_nobody');
SET ROLE regress_anomaly_bob;
SELECT round(anomaly_score('alice_fraud', ARRAY[20, 12]::float8[])::numeric, 6) = :alice_score AS bob_same_score;
SELECT name, owner, readers FROM anomaly_model_list WHERE name = 'alice_fraud';
SELECT anomaly_drop('alice_fraud');
SELECT anomaly_grant('alice_fraud', 'regress_anomaly_carol');
SELECT anomaly_train('alice_fraud', 'tx', ARRAY['amount']);
-- the cache is per role: carol, in the same session, still cannot use what bob loaded
SET ROLE regress_anomaly_carol;
SELECT anomaly_score('alice_fraud', ARRAY[20, 12]::float8[]);
-- a membership change reaches the cache at once
RESET ROLE;
GRANT regress_anomaly_alice TO regress_anomaly_carol;
SET ROLE regress_anomaly_carol;
SELECT round(anomaly_score('alice_fraud', ARRAY[20, 12]::float8[])::numeric, 6) = :alice_score AS carol_as_member;
-- a member of the owner retrains: the new version keeps the owner and the readers
SELECT anomaly_train('alice_fraud', 'tx', ARRAY['amount', 'hour_of_day'], 'hbos') > 0 AS retrained;
SELECT version, algorithm, owner, readers FROM anomaly_model_list WHERE name = 'alice_fraud' ORDER BY version;
RESET ROLE;
REVOKE regress_anomaly_alice FROM regress_anomaly_carol;
SET ROLE regress_anomaly_carol;
SELECT anomaly_score('alice_fraud', ARRAY[20, 12]::float8[]);
-- revoked, bob loses it in his open session too
SET ROLE regress_anomaly_bob;
SELECT anomaly_score('alice_fraud', ARRAY[20, 12]::float8[]) IS NOT NULL AS bob_scores;
SET ROLE regress_anomaly_alice;
SELECT anomaly_revoke('alice_fraud', 'regress_anomaly_bob');
SET ROLE regress_anomaly_bob;
SELECT anomaly_score('alice_fraud', ARRAY[20, 12]::float8[]);
-- granted to public, every role sees it
SET ROLE regress_anomaly_alice;
SELECT anomaly_grant('alice_fraud', 'public');
SET ROLE regress_anomaly_carol;
SELECT count(*) AS carol_sees_versions FROM anomaly_model_list WHERE name = 'alice_fraud';
SET ROLE regress_anomaly_alice;
SELECT anomaly_revoke('alice_fraud', 'public');

-- monitoring events follow their model's visibility
CREATE TABLE alice_watched (LIKE tx);
CREATE TRIGGER alice_watch AFTER INSERT ON alice_watched
  FOR EACH ROW EXECUTE FUNCTION anomaly_monitor('alice_fraud', 'log=all');
INSERT INTO alice_watched SELECT * FROM tx LIMIT 20;
SELECT count(*) AS alice_events FROM anomaly_events WHERE model_name = 'alice_fraud';
SET ROLE regress_anomaly_bob;
SELECT count(*) AS bob_events FROM anomaly_events WHERE model_name = 'alice_fraud';
SELECT count(*) AS bob_annotations FROM anomaly_event_annotations WHERE text LIKE 'alice_fraud%';
INSERT INTO anomaly_events (model_id, model_name, model_version, relation, row_key, score, severity, is_anomaly)
  VALUES (:alice_id, 'alice_fraud', 1, 'x', '{}', 1, 100, true);
SET ROLE regress_anomaly_alice;
SELECT anomaly_grant('alice_fraud', 'regress_anomaly_bob');
SET ROLE regress_anomaly_bob;
SELECT count(*) AS bob_events_granted FROM anomaly_events WHERE model_name = 'alice_fraud';
-- a reader cannot prune the owner's events
SELECT anomaly_prune_events(interval '0');
SET ROLE regress_anomaly_alice;
SELECT count(*) AS alice_events_kept FROM anomaly_events WHERE model_name = 'alice_fraud';
-- the owner can
SELECT anomaly_prune_events(interval '0') AS alice_pruned;
RESET ROLE;

-- nothing in the extension runs with its owner's rights but anomaly_replicate,
-- the trigger that copies a catalog change into the Citus replica, which no
-- other role may execute; and every SQL function pins search_path but
-- anomaly_ts_train, which passes the caller's on (its one call is qualified)
SELECT p.proname AS security_definer, has_function_privilege('regress_anomaly_alice', p.oid, 'EXECUTE') AS alice_executes
  FROM pg_proc p
  JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
  JOIN pg_extension e ON d.refobjid = e.oid AND e.extname = 'anomaly'
 WHERE p.prosecdef;
-- nor can a role attach it to a table of its own
SET ROLE regress_anomaly_alice;
CREATE TABLE alice_names (name text, model_id bigint);
CREATE TRIGGER steal AFTER INSERT ON alice_names FOR EACH ROW EXECUTE FUNCTION anomaly_replicate();
DROP TABLE alice_names;
RESET ROLE;
SELECT p.proname, p.proconfig FROM pg_proc p
  JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
  JOIN pg_extension e ON d.refobjid = e.oid AND e.extname = 'anomaly'
 WHERE p.prokind = 'f' AND p.prolang <> (SELECT oid FROM pg_language WHERE lanname = 'c')
 ORDER BY 1;
SELECT c.relname, c.relrowsecurity FROM pg_class c
 WHERE c.relname IN ('anomaly_models', 'anomaly_events', 'anomaly_batches') ORDER BY 1;
SELECT c.relname, c.reloptions FROM pg_class c
 WHERE c.relname IN ('anomaly_model_list', 'anomaly_event_annotations', 'anomaly_rate') ORDER BY 1;

DROP TABLE alice_watched, alice_secret;
SELECT anomaly_drop('alice_fraud') AS dropped;
REVOKE CREATE ON SCHEMA public FROM regress_anomaly_alice;
REVOKE SELECT ON tx FROM regress_anomaly_alice, regress_anomaly_bob, regress_anomaly_carol;
DROP ROLE regress_anomaly_alice, regress_anomaly_bob, regress_anomaly_carol;
