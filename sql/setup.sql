-- Install the extension and check its objects and options.
CREATE EXTENSION anomaly;
SELECT extversion, extrelocatable FROM pg_extension WHERE extname = 'anomaly';
-- every object is named anomaly_*
SELECT count(*) AS objects_not_prefixed FROM pg_depend d
  JOIN pg_extension e ON d.refobjid = e.oid AND e.extname = 'anomaly'
  LEFT JOIN pg_proc p ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid
  LEFT JOIN pg_class c ON d.classid = 'pg_class'::regclass AND d.objid = c.oid
  LEFT JOIN pg_type t ON d.classid = 'pg_type'::regclass AND d.objid = t.oid
 WHERE d.deptype = 'e'
   AND coalesce(p.proname, c.relname, t.typname, 'anomaly_') NOT LIKE 'anomaly\_%'
   AND coalesce(t.typname, '') NOT LIKE '\_anomaly\_%';
-- scoring functions are parallel safe and costly enough for parallel plans
SELECT proname, pg_get_function_identity_arguments(oid) AS args, provolatile, proparallel, procost
  FROM pg_proc WHERE proname IN ('anomaly_score', 'anomaly_flag', 'anomaly_severity')
 ORDER BY 1, 2;
-- the catalog is kept by pg_dump
SELECT unnest(extconfig)::regclass FROM pg_extension WHERE extname = 'anomaly';
-- the data the other tests share
CREATE TABLE tx AS SELECT * FROM anomaly_sample('ecommerce', 1000, 0.05, 42);
ALTER TABLE tx ADD PRIMARY KEY (transaction_id);
