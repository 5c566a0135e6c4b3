-- anomaly 0.2.0 -> 0.3.0: entities and time.
--
-- Segmented models (one sub-model per customer, device or shop inside one
-- version), series models and window functions, deployments with history and
-- retention, and the catalog pieces they need.  Model bytes are not touched:
-- every 0.2.0 model scores the same after the update.
\echo Use "ALTER EXTENSION anomaly UPDATE TO '0.3.0'" to load this file. \quit

-- anomaly_train gains segment_by (a sub-model per distinct value of these
-- columns, plus a global one) and deploy (whether the new version becomes
-- the one its name scores with).
DROP FUNCTION anomaly_train(text, text, text[], text, float8, jsonb, text);
CREATE FUNCTION anomaly_train(name text, source text, columns text[] DEFAULT NULL,
                              algorithm text DEFAULT 'auto',
                              contamination float8 DEFAULT NULL,
                              options jsonb DEFAULT '{}', label text DEFAULT NULL,
                              segment_by text[] DEFAULT NULL, deploy text DEFAULT 'always')
    RETURNS bigint AS 'MODULE_PATHNAME', 'anomaly_train'
    LANGUAGE C VOLATILE PARALLEL UNSAFE
    -- a synchronized scan starts mid-table and would change the sample
    SET synchronize_seqscans = off;
