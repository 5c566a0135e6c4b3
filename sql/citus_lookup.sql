-- A model looked up by id or name inside a task of a Citus distributed
-- query (its connections carry application_name 'citus_internal gpid=...')
-- is read from the replica anomaly_model_replicas, a Citus reference table;
-- on a node where the replica is none (here: no Citus at all) the lookup is
-- refused with the way round it.
SET application_name = 'citus_internal gpid=10000000001';
SELECT anomaly_score(424242::bigint, t) FROM (SELECT amount FROM tx LIMIT 1) t;
SELECT anomaly_flag('no_such_model', t) FROM (SELECT amount FROM tx LIMIT 1) t;
-- elsewhere a missing model is what it always was
RESET application_name;
SELECT anomaly_score(424242::bigint, t) FROM (SELECT amount FROM tx LIMIT 1) t;
SELECT anomaly_flag('no_such_model', t) FROM (SELECT amount FROM tx LIMIT 1) t;
-- without Citus the replica stays empty: training, deploying, granting and
-- dropping write nothing to it, and anomaly_citus_replicate is refused
SELECT anomaly_train('replica_probe', 'tx', columns => ARRAY['amount'], algorithm => 'hbos') > 0 AS trained;
SELECT anomaly_grant('replica_probe', 'public');
SELECT anomaly_drop('replica_probe');
SELECT count(*) AS replicated FROM anomaly_model_replicas;
SELECT anomaly_citus_replicate();
-- the replica's trigger runs with the extension owner's rights: attached
-- to another table (only a superuser can), it refuses to run
CREATE TABLE not_the_catalog (name text, model_id bigint);
CREATE TRIGGER copy AFTER INSERT ON not_the_catalog FOR EACH ROW EXECUTE FUNCTION anomaly_replicate();
INSERT INTO not_the_catalog VALUES ('fraud', 1);
DROP TABLE not_the_catalog;
