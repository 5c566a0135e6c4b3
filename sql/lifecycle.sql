-- A model's life after training: each name scores with its deployed
-- version; anomaly_train deploys always, never or if better; anomaly_deploy
-- and anomaly_rollback move the pointer; every move is in the history;
-- dropping the deployed version falls back; anomaly_prune_models keeps the
-- newest, the deployed and the pinned versions; deployments follow the
-- models' owners.
\set VERBOSITY default
\set SHOW_CONTEXT never
CREATE TABLE life_rows AS SELECT * FROM tx ORDER BY transaction_id LIMIT 200;
-- scores of name and of an id agree on every row
CREATE FUNCTION life_scores_as(name text, id bigint) RETURNS bool LANGUAGE sql AS $$
    SELECT bool_and(float8send(anomaly_score(name, t)) = float8send(anomaly_score(id, t))) FROM life_rows t
$$;

-- version 1, deployed as trained (deploy => 'always', the default)
SELECT anomaly_train('life', 'tx', ARRAY['amount', 'hour_of_day', 'payment_method'], 'iforest',
                     options => '{"seed": 1}') AS v1 \gset
SELECT name, version, deployed, deployed_at IS NOT NULL AS since FROM anomaly_model_list
 WHERE name = 'life' ORDER BY version;
-- version 2 is stored, not deployed: the name still scores with version 1
SELECT anomaly_train('life', 'tx', ARRAY['amount', 'hour_of_day', 'payment_method'], 'iforest',
                     options => '{"seed": 2}', deploy => 'never') AS v2 \gset
SELECT life_scores_as('life', :v1) AS scores_as_v1, NOT life_scores_as('life', :v2) AS not_as_v2;
SELECT name, version, deployed FROM anomaly_model_list WHERE name = 'life' ORDER BY version;

-- anomaly_deploy: the name scores with version 2 from the next statement on
SELECT name, version, model_id = :v2 AS is_v2, deployed_by = current_user AS by_me
  FROM anomaly_deploy('life', 2);
SELECT life_scores_as('life', :v2) AS scores_as_v2;
-- deploying the deployed version changes nothing and records nothing
SELECT version FROM anomaly_deploy('life', 2);
-- anomaly_rollback: back to version 1, and no further
SELECT version FROM anomaly_rollback('life');
SELECT life_scores_as('life', :v1) AS scores_as_v1;
SELECT anomaly_rollback('life');
SELECT anomaly_deploy('life', 9);
SELECT anomaly_deploy('no_such_model', 1);

-- the history: who, when, from, to
SELECT action, from_version, to_version, changed_by = current_user AS by_me, at IS NOT NULL AS at
  FROM anomaly_deployment_history WHERE name = 'life' ORDER BY id;

-- deploy => 'if_better' compares ROC AUC on the training source and its label
SELECT anomaly_train('life', 'tx', ARRAY['day_of_week'], 'hbos', label => 'is_anomaly',
                     deploy => 'if_better') AS v3 \gset
SELECT version, metrics->'deployment'->>'decision' AS decision, metrics->'deployment'->>'metric' AS metric,
       (metrics->'deployment'->>'new')::float8 = (metrics->>'roc_auc')::float8 AS new_is_its_auc,
       (metrics->'deployment'->>'deployed')::float8 > (metrics->'deployment'->>'new')::float8 AS deployed_better,
       metrics->'deployment'->>'deployed_version' AS against
  FROM anomaly_model_list WHERE id = :v3;
SELECT version FROM anomaly_model_list WHERE name = 'life' AND deployed;
SELECT anomaly_train('life', 'tx', ARRAY['amount', 'hour_of_day'], 'ecod', label => 'is_anomaly',
                     deploy => 'if_better:average_precision') AS v4 \gset
SELECT version, metrics->'deployment'->>'decision' AS decision, metrics->'deployment'->>'metric' AS metric
  FROM anomaly_model_list WHERE id = :v4;
SELECT version FROM anomaly_model_list WHERE name = 'life' AND deployed;
-- bad deploy arguments
SELECT anomaly_train('life', 'tx', ARRAY['amount'], 'zscore', deploy => 'if_better');
SELECT anomaly_train('life', 'tx', ARRAY['amount'], 'zscore', deploy => 'sometimes');
SELECT anomaly_train('life', 'tx', ARRAY['amount'], 'zscore', label => 'is_anomaly', deploy => 'if_better:speed');
SELECT anomaly_train('life', 'tx', ARRAY['amount'], 'zscore', deploy => NULL);

-- one statement scores with one version even when a deployment moves in it
SELECT count(*) FILTER (WHERE s) AS rows_as_v4, count(*) AS rows FROM (
    SELECT CASE WHEN t.transaction_id = (SELECT min(transaction_id) FROM life_rows)
                THEN (SELECT version FROM anomaly_deploy('life', 1)) END AS moved,
           anomaly_score('life', t) = anomaly_score(:v4::bigint, t) AS s
      FROM life_rows t) q;
SELECT version FROM anomaly_model_list WHERE name = 'life' AND deployed;
SELECT version FROM anomaly_deploy('life', 4);

-- dropping the deployed version falls back to the one deployed before it
SELECT anomaly_drop('life', 4);
SELECT version FROM anomaly_model_list WHERE name = 'life' AND deployed;
SELECT life_scores_as('life', :v1) AS scores_as_v1;
SELECT action, from_version, to_version FROM anomaly_deployment_history
 WHERE name = 'life' ORDER BY id DESC LIMIT 2;

-- a name trained with deploy => 'never' only does not score by name
SELECT anomaly_train('shelf', 'tx', ARRAY['amount'], 'zscore', deploy => 'never') AS shelf_id \gset
SELECT anomaly_score('shelf', t) FROM life_rows t LIMIT 1;
SELECT anomaly_score(:shelf_id::bigint, t) IS NOT NULL AS by_id FROM life_rows t LIMIT 1;
SELECT version FROM anomaly_deploy('shelf', 1);
SELECT anomaly_score('shelf', t) IS NOT NULL AS by_name FROM life_rows t LIMIT 1;

-- retention: versions 1..8 of prune_me, version 3 deployed, version 2 pinned by a trigger
SELECT count(anomaly_train('prune_me', 'tx', ARRAY['amount', 'hour_of_day'], 'zscore')) AS trained
  FROM generate_series(1, 8);
SELECT version FROM anomaly_deploy('prune_me', 3);
SELECT id AS pinned_id FROM anomaly_models WHERE name = 'prune_me' AND version = 2 \gset
CREATE TABLE life_watch (LIKE tx);
CREATE TRIGGER life_pinned AFTER INSERT ON life_watch REFERENCING NEW TABLE AS batch
    FOR EACH STATEMENT EXECUTE FUNCTION anomaly_monitor(:'pinned_id');
SELECT model_name, model_version FROM anomaly_prune_models('prune_me', keep => 4, older_than => interval '1 day');
SELECT model_name, model_version, model_bytes > 0 AS bytes FROM anomaly_prune_models('prune_me', keep => 4)
 ORDER BY model_version;
SELECT string_agg(version || CASE WHEN deployed THEN '*' ELSE '' END, ' ' ORDER BY version) AS left_over
  FROM anomaly_model_list WHERE name = 'prune_me';
-- the pinned trigger scores with version 2 whatever is deployed
INSERT INTO life_watch SELECT * FROM tx ORDER BY transaction_id LIMIT 50;
SELECT model_version, rows FROM anomaly_batches WHERE relation = 'public.life_watch';
SELECT model_name, model_version FROM anomaly_prune_models('prune_me', keep => 0) ORDER BY model_version DESC;
DROP TABLE life_watch;
SELECT model_version FROM anomaly_prune_models('prune_me', keep => 0);
SELECT anomaly_prune_models('prune_me', keep => -1);
SELECT anomaly_prune_models('prune_me', older_than => interval '-1 day');
SELECT anomaly_prune_models('no_such_model');

-- owners: another role sees neither deployments nor history of a model it
-- does not see, and cannot deploy, roll back or prune what it only reads
SET client_min_messages = warning;
CREATE ROLE regress_anomaly_dana;
CREATE ROLE regress_anomaly_eve;
RESET client_min_messages;
GRANT SELECT ON tx TO regress_anomaly_dana, regress_anomaly_eve;
SET ROLE regress_anomaly_dana;
SELECT count(anomaly_train('dana_model', 'tx', ARRAY['amount'], 'zscore')) AS trained
  FROM generate_series(1, 3);
SELECT version FROM anomaly_rollback('dana_model');
SET ROLE regress_anomaly_eve;
SELECT count(*) AS deployments, (SELECT count(*) FROM anomaly_deployment_history WHERE name = 'dana_model') AS history
  FROM anomaly_deployments WHERE name = 'dana_model';
SELECT anomaly_deploy('dana_model', 2);
SET ROLE regress_anomaly_dana;
SELECT anomaly_grant('dana_model', 'regress_anomaly_eve');
SET ROLE regress_anomaly_eve;
SELECT version, owner FROM anomaly_deployments WHERE name = 'dana_model';
SELECT count(*) AS history FROM anomaly_deployment_history WHERE name = 'dana_model';
SELECT anomaly_deploy('dana_model', 2);
SELECT anomaly_rollback('dana_model');
UPDATE anomaly_deployments SET version = 3 WHERE name = 'dana_model';
SELECT version FROM anomaly_deployments WHERE name = 'dana_model';
SELECT count(*) AS pruned FROM anomaly_prune_models('dana_model', keep => 0);
SELECT count(*) AS pruned FROM anomaly_prune_models(keep => 0);
-- without a name, every name the caller owns
SET ROLE regress_anomaly_dana;
SELECT model_name, model_version FROM anomaly_prune_models(keep => 1);
RESET ROLE;
SELECT version FROM anomaly_model_list WHERE name = 'dana_model' ORDER BY version;
SELECT anomaly_drop('dana_model');
SELECT count(*) AS deployments FROM anomaly_deployments WHERE name = 'dana_model';
SELECT action, from_version, to_version, changed_by = 'regress_anomaly_dana' AS by_dana
  FROM anomaly_deployment_history
 WHERE name = 'dana_model' ORDER BY id;
REVOKE SELECT ON tx FROM regress_anomaly_dana, regress_anomaly_eve;
DROP ROLE regress_anomaly_dana, regress_anomaly_eve;

SELECT anomaly_drop('life'), anomaly_drop('shelf'), anomaly_drop('prune_me');
SELECT count(*) AS deployments_left FROM anomaly_deployments WHERE name IN ('life', 'shelf', 'prune_me');
DROP FUNCTION life_scores_as(text, bigint);
DROP TABLE life_rows;

-- progress: with anomaly.progress = on, a NOTICE at each phase of training
-- (the times are in the details, left out here); the view anomaly_progress,
-- filled when the library is preloaded, is tested in test/t/012_progress.pl
CREATE TABLE life_progress AS SELECT * FROM tx ORDER BY transaction_id LIMIT 600;
ANALYZE life_progress;
SET max_parallel_workers_per_gather = 0;
SET anomaly.progress = on;
\set VERBOSITY terse
SELECT anomaly_train('progress', 'life_progress', ARRAY['amount', 'hour_of_day'], 'zscore',
                     label => 'is_anomaly') > 0 AS trained;
SELECT anomaly_train('progress', 'SELECT * FROM life_progress WHERE hour_of_day < 12',
                     ARRAY['amount', 'hour_of_day'], 'hbos', segment_by => ARRAY['payment_method'],
                     options => '{"min_segment_rows": 10}', deploy => 'never') > 0 AS trained;
RESET anomaly.progress;
RESET max_parallel_workers_per_gather;
\set VERBOSITY default
SELECT anomaly_drop('progress');
DROP TABLE life_progress;
