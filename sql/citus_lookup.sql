-- A model looked up by id or name inside a task of a Citus distributed
-- query (its connections carry application_name 'citus_internal gpid=...')
-- is refused with the way round it: the models are on the coordinator.
SET application_name = 'citus_internal gpid=10000000001';
SELECT anomaly_score(424242::bigint, t) FROM (SELECT amount FROM tx LIMIT 1) t;
SELECT anomaly_flag('no_such_model', t) FROM (SELECT amount FROM tx LIMIT 1) t;
-- elsewhere a missing model is what it always was
RESET application_name;
SELECT anomaly_score(424242::bigint, t) FROM (SELECT amount FROM tx LIMIT 1) t;
SELECT anomaly_flag('no_such_model', t) FROM (SELECT amount FROM tx LIMIT 1) t;
