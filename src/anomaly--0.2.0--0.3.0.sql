-- anomaly 0.2.0 -> 0.3.0: entities and time.
--
-- Segmented models (one sub-model per customer, device or shop inside one
-- version) and the catalog pieces they need.  Model bytes are not touched:
-- every 0.2.0 model scores the same after the update.
\echo Use "ALTER EXTENSION anomaly UPDATE TO '0.3.0'" to load this file. \quit

-- anomaly_train gains segment_by (a sub-model per distinct value of these
-- columns, plus a global one).
DROP FUNCTION anomaly_train(text, text, text[], text, float8, jsonb, text);
CREATE FUNCTION anomaly_train(name text, source text, columns text[] DEFAULT NULL,
                              algorithm text DEFAULT 'auto',
                              contamination float8 DEFAULT NULL,
                              options jsonb DEFAULT '{}', label text DEFAULT NULL,
                              segment_by text[] DEFAULT NULL)
    RETURNS bigint AS 'MODULE_PATHNAME', 'anomaly_train'
    LANGUAGE C VOLATILE PARALLEL UNSAFE
    -- a synchronized scan starts mid-table and would change the sample
    SET synchronize_seqscans = off;

-- == segments ==
-- anomaly_explain says which model scored the row: "model" for a plain
-- model, "global" or "segment col=value, ..." for a segmented one.
DROP FUNCTION anomaly_explain(text, anyelement);
DROP FUNCTION anomaly_explain(bigint, anyelement);
DROP FUNCTION anomaly_explain(bytea, anyelement);
CREATE FUNCTION anomaly_explain(model text, "row" anyelement)
    RETURNS TABLE (feature text, value text, contribution float8, share float8, direction text,
                   train_low float8, train_high float8, out_of_range bool, scored_by text)
    AS 'MODULE_PATHNAME', 'anomaly_explain' LANGUAGE C STABLE STRICT PARALLEL SAFE COST 1000 ROWS 8;
CREATE FUNCTION anomaly_explain(model bigint, "row" anyelement)
    RETURNS TABLE (feature text, value text, contribution float8, share float8, direction text,
                   train_low float8, train_high float8, out_of_range bool, scored_by text)
    AS 'MODULE_PATHNAME', 'anomaly_explain' LANGUAGE C STABLE STRICT PARALLEL SAFE COST 1000 ROWS 8;
CREATE FUNCTION anomaly_explain(model bytea, "row" anyelement)
    RETURNS TABLE (feature text, value text, contribution float8, share float8, direction text,
                   train_low float8, train_high float8, out_of_range bool, scored_by text)
    AS 'MODULE_PATHNAME', 'anomaly_explain' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 1000 ROWS 8;

-- The listing shows a segmented model's segment columns and how many
-- segments have a model of their own (NULL and 0 for a plain model).
CREATE OR REPLACE VIEW anomaly_model_list WITH (security_invoker = true) AS
    SELECT id, name, version, algorithm,
           ARRAY(SELECT f->>'name' FROM jsonb_array_elements(features) f) AS features,
           params, contamination, threshold, source, train_rows, metrics, owner,
           created_at, octet_length(model) AS model_bytes, readers,
           CASE WHEN params ? 'segment_by'
                THEN ARRAY(SELECT jsonb_array_elements_text(params->'segment_by')) END
               AS segment_by,
           COALESCE((params->>'segments')::int, 0) AS segments
    FROM anomaly_models;

-- The aggregate anomaly_train fits each segment with: NULL (the segment is
-- scored by the global model) where its rows cannot train a model.
CREATE FUNCTION anomaly_fit_segment_final(anomaly_fitstate)
    RETURNS bytea AS 'MODULE_PATHNAME', 'anomaly_fit_segment_final'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE AGGREGATE anomaly_fit_segment(anyelement, text, jsonb) (
    SFUNC = anomaly_fit_accum, STYPE = anomaly_fitstate,
    COMBINEFUNC = anomaly_fit_combine, FINALFUNC = anomaly_fit_segment_final,
    PARALLEL = SAFE
);

-- What this backend's model cache holds for the current role (bounded by
-- anomaly.model_cache_size, least recently used models dropped first).
CREATE FUNCTION anomaly_model_cache()
    RETURNS TABLE (id bigint, version int, bytes bigint, segmented bool,
                   segments_loaded bigint, last_used bigint)
    AS 'MODULE_PATHNAME', 'anomaly_model_cache' LANGUAGE C VOLATILE PARALLEL RESTRICTED;

-- == lifecycle ==
-- Deployments: each name scores with its deployed version (anomaly_score
-- by name, triggers, reports); an id still means exactly one version.
-- anomaly_train deploys what it trains unless told otherwise (deploy =>
-- 'never' or 'if_better'); anomaly_deploy and anomaly_rollback move the
-- pointer; every move is a row of anomaly_deployment_history.  Changes take
-- the name's training lock first, so trains and deploys of one name are
-- serialized.  The update makes every name's latest version its deployed one.
CREATE TABLE anomaly_deployments (
    name          text PRIMARY KEY,
    model_id      bigint NOT NULL,
    version       int NOT NULL,
    owner         name NOT NULL,
    deployed_at   timestamptz NOT NULL DEFAULT now(),
    deployed_by   name NOT NULL DEFAULT current_user
);
COMMENT ON TABLE anomaly_deployments IS 'The version each model name scores with';

CREATE TABLE anomaly_deployment_history (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at            timestamptz NOT NULL DEFAULT now(),
    name          text NOT NULL,
    owner         name NOT NULL,
    changed_by    name NOT NULL DEFAULT current_user,
    action        text NOT NULL CHECK (action IN ('train', 'deploy', 'rollback', 'drop', 'update')),
    from_id       bigint,
    from_version  int,
    to_id         bigint,
    to_version    int
);
CREATE INDEX anomaly_deployment_history_name ON anomaly_deployment_history (name, id);
COMMENT ON TABLE anomaly_deployment_history IS 'Every change of a deployed version: who, when, from, to';

SELECT pg_catalog.pg_extension_config_dump('anomaly_deployments', '');
SELECT pg_catalog.pg_extension_config_dump('anomaly_deployment_history', '');
SELECT pg_catalog.pg_extension_config_dump('anomaly_deployment_history_id_seq', '');

-- the models of 0.2.0: each name's latest version is deployed, since it was trained
INSERT INTO anomaly_deployments (name, model_id, version, owner, deployed_at, deployed_by)
    SELECT DISTINCT ON (m.name) m.name, m.id, m.version, m.owner, m.created_at, m.owner
      FROM anomaly_models m ORDER BY m.name, m.version DESC;
INSERT INTO anomaly_deployment_history (at, name, owner, changed_by, action, to_id, to_version)
    SELECT deployed_at, name, owner, current_user, 'update', model_id, version
      FROM anomaly_deployments ORDER BY name;

-- a deployment changes what names score with: the same invalidation as training
CREATE TRIGGER anomaly_deployments_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON anomaly_deployments
    FOR EACH STATEMENT EXECUTE FUNCTION anomaly_models_changed();

-- Deployments are seen by whoever sees the deployed model, history by
-- whoever sees a version of the name; both are changed by the owner's members.
ALTER TABLE anomaly_deployments ENABLE ROW LEVEL SECURITY;
ALTER TABLE anomaly_deployment_history ENABLE ROW LEVEL SECURITY;
CREATE POLICY anomaly_deployments_read ON anomaly_deployments FOR SELECT
    USING (EXISTS (SELECT FROM @extschema@.anomaly_models m WHERE m.id OPERATOR(pg_catalog.=) model_id));
CREATE POLICY anomaly_deployments_write ON anomaly_deployments FOR ALL
    USING (pg_catalog.pg_has_role(pg_catalog.to_regrole(pg_catalog.quote_ident(owner))::pg_catalog.oid, 'MEMBER'))
    WITH CHECK (pg_catalog.pg_has_role(pg_catalog.to_regrole(pg_catalog.quote_ident(owner))::pg_catalog.oid, 'MEMBER'));
CREATE POLICY anomaly_deployment_history_read ON anomaly_deployment_history FOR SELECT
    USING (pg_catalog.pg_has_role(pg_catalog.to_regrole(pg_catalog.quote_ident(owner))::pg_catalog.oid, 'MEMBER')
           OR EXISTS (SELECT FROM @extschema@.anomaly_models m WHERE m.name OPERATOR(pg_catalog.=) anomaly_deployment_history.name));
CREATE POLICY anomaly_deployment_history_log ON anomaly_deployment_history FOR INSERT
    WITH CHECK (pg_catalog.pg_has_role(pg_catalog.to_regrole(pg_catalog.quote_ident(owner))::pg_catalog.oid, 'MEMBER'));
CREATE POLICY anomaly_deployment_history_prune ON anomaly_deployment_history FOR DELETE
    USING (pg_catalog.pg_has_role(pg_catalog.to_regrole(pg_catalog.quote_ident(owner))::pg_catalog.oid, 'MEMBER'));
GRANT SELECT, INSERT, UPDATE, DELETE ON anomaly_deployments TO PUBLIC;
GRANT SELECT, INSERT, DELETE ON anomaly_deployment_history TO PUBLIC;

-- Point name at model id (a version of name) and record the change as
-- action; the caller holds the name's lock.  Returns the deployment.
CREATE FUNCTION anomaly_deployment_set(name text, model_id bigint, action text)
    RETURNS @extschema@.anomaly_deployments
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    target @extschema@.anomaly_models%ROWTYPE;
    was @extschema@.anomaly_deployments%ROWTYPE;
    result @extschema@.anomaly_deployments%ROWTYPE;
BEGIN
    -- the model row is locked before the deployment, as a drop locks them
    SELECT m.* INTO target FROM @extschema@.anomaly_models m
     WHERE m.id = anomaly_deployment_set.model_id AND m.name = anomaly_deployment_set.name
       FOR KEY SHARE;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'undefined_object',
            MESSAGE = format('anomaly model "%s" has no version with id %s', name, model_id),
            HINT = 'SELECT name, version FROM anomaly_model_list shows the models.';
    END IF;
    SELECT d.* INTO was FROM @extschema@.anomaly_deployments d
     WHERE d.name = anomaly_deployment_set.name FOR UPDATE;
    IF FOUND AND was.model_id = target.id THEN
        RETURN was;
    END IF;
    INSERT INTO @extschema@.anomaly_deployments AS d (name, model_id, version, owner)
         VALUES (target.name, target.id, target.version, target.owner)
    ON CONFLICT ON CONSTRAINT anomaly_deployments_pkey DO UPDATE
         SET model_id = excluded.model_id, version = excluded.version, owner = excluded.owner,
             deployed_at = now(), deployed_by = current_user
    RETURNING d.* INTO result;
    INSERT INTO @extschema@.anomaly_deployment_history
           (name, owner, action, from_id, from_version, to_id, to_version)
    VALUES (target.name, target.owner, action, was.model_id, was.version, target.id, target.version);
    RETURN result;
END
$$;

-- Take name's training lock after checking that the caller may change it
-- (the name exists, is seen, and belongs to a role the caller is a member of).
CREATE FUNCTION anomaly_deployment_lock(name text) RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    holder pg_catalog.name;
BEGIN
    SELECT m.owner INTO holder FROM @extschema@.anomaly_models m
     WHERE m.name = anomaly_deployment_lock.name ORDER BY m.version DESC LIMIT 1;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'undefined_object',
            MESSAGE = format('anomaly model "%s" does not exist', name),
            HINT = 'SELECT name, version FROM anomaly_model_list shows the models.';
    END IF;
    IF NOT pg_has_role(to_regrole(quote_ident(holder))::oid, 'MEMBER') THEN
        RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege',
            MESSAGE = format('permission denied to deploy anomaly model "%s"', name),
            HINT = 'Only members of the role that owns a model can deploy it.';
    END IF;
    PERFORM pg_advisory_xact_lock(1634627949, hashtext(name));
END
$$;

-- The version deployed before the current one of name: the source of the
-- latest train, deploy or update that made it current.  NULL if none.
CREATE FUNCTION anomaly_deployment_previous(name text) RETURNS bigint
LANGUAGE sql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
    SELECT h.from_id FROM @extschema@.anomaly_deployment_history h
      JOIN @extschema@.anomaly_deployments d ON d.name = h.name AND d.model_id = h.to_id
     WHERE h.name = anomaly_deployment_previous.name
       AND h.action IN ('train', 'deploy', 'update')
     ORDER BY h.id DESC LIMIT 1
$$;

-- anomaly_deploy: make version of name the one it scores with.
CREATE FUNCTION anomaly_deploy(name text, version int)
    RETURNS @extschema@.anomaly_deployments
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    target bigint;
BEGIN
    PERFORM @extschema@.anomaly_deployment_lock(name);
    SELECT m.id INTO target FROM @extschema@.anomaly_models m
     WHERE m.name = anomaly_deploy.name AND m.version = anomaly_deploy.version;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'undefined_object',
            MESSAGE = format('anomaly model "%s" version %s does not exist', name, coalesce(version::text, 'NULL')),
            HINT = format('SELECT version FROM anomaly_model_list WHERE name = %L shows its versions.', name);
    END IF;
    RETURN @extschema@.anomaly_deployment_set(name, target, 'deploy');
END
$$;

-- anomaly_rollback: deploy again the version deployed before the current one.
CREATE FUNCTION anomaly_rollback(name text)
    RETURNS @extschema@.anomaly_deployments
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    target bigint;
    target_version int;
BEGIN
    PERFORM @extschema@.anomaly_deployment_lock(name);
    target := @extschema@.anomaly_deployment_previous(name);
    IF target IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'object_not_in_prerequisite_state',
            MESSAGE = format('anomaly model "%s" has no earlier deployment to roll back to', name),
            HINT = format('SELECT * FROM anomaly_deployment_history WHERE name = %L shows its deployments; anomaly_deploy(%L, version) deploys any version.', name, name);
    END IF;
    SELECT h.from_version INTO target_version FROM @extschema@.anomaly_deployment_history h
     WHERE h.name = anomaly_rollback.name AND h.from_id = target LIMIT 1;
    IF NOT EXISTS (SELECT FROM @extschema@.anomaly_models m WHERE m.id = target) THEN
        RAISE EXCEPTION USING ERRCODE = 'object_not_in_prerequisite_state',
            MESSAGE = format('anomaly model "%s" version %s, deployed before, has been dropped', name, target_version),
            HINT = format('anomaly_deploy(%L, version) deploys a version that is still stored.', name);
    END IF;
    RETURN @extschema@.anomaly_deployment_set(name, target, 'rollback');
END
$$;

-- When the deployed version of a name is dropped, the name falls back to the
-- version deployed before it if it is still stored, else to its latest one;
-- when no version is left, the deployment goes (the history stays).
CREATE FUNCTION anomaly_models_dropped() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    fallback bigint;
BEGIN
    IF NOT EXISTS (SELECT FROM @extschema@.anomaly_deployments d WHERE d.model_id = OLD.id) THEN
        RETURN NULL;
    END IF;
    fallback := @extschema@.anomaly_deployment_previous(OLD.name);
    IF fallback IS NULL OR NOT EXISTS (SELECT FROM @extschema@.anomaly_models m WHERE m.id = fallback) THEN
        SELECT m.id INTO fallback FROM @extschema@.anomaly_models m
         WHERE m.name = OLD.name ORDER BY m.version DESC LIMIT 1;
    END IF;
    IF fallback IS NOT NULL THEN
        PERFORM @extschema@.anomaly_deployment_set(OLD.name, fallback, 'drop');
        RETURN NULL;
    END IF;
    DELETE FROM @extschema@.anomaly_deployments d WHERE d.name = OLD.name;
    INSERT INTO @extschema@.anomaly_deployment_history
           (name, owner, action, from_id, from_version)
    VALUES (OLD.name, OLD.owner, 'drop', OLD.id, OLD.version);
    RETURN NULL;
END
$$;
CREATE TRIGGER anomaly_models_dropped AFTER DELETE ON anomaly_models
    FOR EACH ROW EXECUTE FUNCTION anomaly_models_dropped();

-- anomaly_prune_models: retention.  Drops the versions of name (every name
-- the caller owns when NULL) beyond its keep newest that are older than
-- older_than (any age when NULL), but never a deployed version nor one a
-- trigger pins by id (anomaly_monitor('42')); returns what it dropped.
CREATE FUNCTION anomaly_prune_models(name text DEFAULT NULL, keep int DEFAULT 10,
                                     older_than interval DEFAULT NULL)
    RETURNS TABLE (model_name text, model_version int, model_id bigint, created_at timestamptz,
                   model_bytes int)
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF keep IS NULL OR keep < 0 THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('keep must be a non-negative number of versions, not %s', coalesce(keep::text, 'NULL')),
            HINT = 'For example anomaly_prune_models(''fraud'', keep => 5).';
    END IF;
    IF older_than < interval '0' THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('older_than must be a non-negative interval, not %s', older_than),
            HINT = 'For example anomaly_prune_models(older_than => interval ''90 days'').';
    END IF;
    IF anomaly_prune_models.name IS NOT NULL
       AND NOT EXISTS (SELECT FROM @extschema@.anomaly_models m WHERE m.name = anomaly_prune_models.name) THEN
        RAISE EXCEPTION USING ERRCODE = 'undefined_object',
            MESSAGE = format('anomaly model "%s" does not exist', anomaly_prune_models.name),
            HINT = 'SELECT name, version FROM anomaly_model_list shows the models.';
    END IF;
    RETURN QUERY
    WITH pinned AS (
        SELECT split_part(encode(t.tgargs, 'escape'), E'\\000', 1)::bigint AS id
          FROM pg_trigger t
         WHERE t.tgfoid = '@extschema@.anomaly_monitor'::regproc
           AND split_part(encode(t.tgargs, 'escape'), E'\\000', 1) ~ '^[0-9]{1,18}$'
    ), ranked AS (
        SELECT m.id, m.name, m.version, m.created_at, octet_length(m.model) AS bytes,
               row_number() OVER (PARTITION BY m.name ORDER BY m.version DESC) AS newest
          FROM @extschema@.anomaly_models m
         WHERE (anomaly_prune_models.name IS NULL OR m.name = anomaly_prune_models.name)
           AND pg_has_role(to_regrole(quote_ident(m.owner))::oid, 'MEMBER')
    ), doomed AS (
        SELECT r.* FROM ranked r
         WHERE r.newest > keep
           AND (older_than IS NULL OR r.created_at < now() - older_than)
           AND NOT EXISTS (SELECT FROM @extschema@.anomaly_deployments d WHERE d.model_id = r.id)
           AND NOT EXISTS (SELECT FROM pinned p WHERE p.id = r.id)
    )
    DELETE FROM @extschema@.anomaly_models m USING doomed
     WHERE m.id = doomed.id
    RETURNING m.name, m.version, m.id, m.created_at, doomed.bytes;
END
$$;

-- The listing says which version of each name is deployed, and since when.
CREATE OR REPLACE VIEW anomaly_model_list WITH (security_invoker = true) AS
    SELECT m.id, m.name, m.version, m.algorithm,
           ARRAY(SELECT f->>'name' FROM jsonb_array_elements(m.features) f) AS features,
           m.params, m.contamination, m.threshold, m.source, m.train_rows, m.metrics, m.owner,
           m.created_at, octet_length(m.model) AS model_bytes, m.readers,
           CASE WHEN m.params ? 'segment_by'
                THEN ARRAY(SELECT jsonb_array_elements_text(m.params->'segment_by')) END
               AS segment_by,
           COALESCE((m.params->>'segments')::int, 0) AS segments,
           d.model_id IS NOT NULL AS deployed, d.deployed_at
    FROM anomaly_models m
    LEFT JOIN anomaly_deployments d ON d.model_id = m.id;

-- anomaly_train gains deploy: 'always' (the default), 'never', or
-- 'if_better' (with a label: only when the new version's ROC AUC on the
-- source is at least the deployed one's; 'if_better:average_precision'
-- and the like choose another metric).
DROP FUNCTION anomaly_train(text, text, text[], text, float8, jsonb, text, text[]);
CREATE FUNCTION anomaly_train(name text, source text, columns text[] DEFAULT NULL,
                              algorithm text DEFAULT 'auto',
                              contamination float8 DEFAULT NULL,
                              options jsonb DEFAULT '{}', label text DEFAULT NULL,
                              segment_by text[] DEFAULT NULL, deploy text DEFAULT 'always')
    RETURNS bigint AS 'MODULE_PATHNAME', 'anomaly_train'
    LANGUAGE C VOLATILE PARALLEL UNSAFE
    SET synchronize_seqscans = off;

-- Progress of long trainings: phase, rows read, the planner's estimate of
-- the source's rows and the time left in reading, for every training the
-- caller may see (its roles', or all with pg_read_all_stats).  Filled only
-- when the library is preloaded (shared_preload_libraries = 'anomaly');
-- anomaly.progress = on reports the same as NOTICEs without preloading.
CREATE FUNCTION anomaly_training_progress()
    RETURNS TABLE (pid int, model text, phase text, rows_read bigint, rows_estimate bigint,
                   percent_read float8, started timestamptz, phase_started timestamptz,
                   reading_left interval)
    AS 'MODULE_PATHNAME', 'anomaly_training_progress' LANGUAGE C VOLATILE PARALLEL RESTRICTED;
CREATE VIEW anomaly_progress WITH (security_invoker = true) AS
    SELECT p.pid, a.usename, p.model, p.phase, p.rows_read, p.rows_estimate, p.percent_read,
           p.started, p.phase_started, p.reading_left, a.query
      FROM anomaly_training_progress() p
      LEFT JOIN pg_catalog.pg_stat_activity a ON a.pid OPERATOR(pg_catalog.=) p.pid;
GRANT SELECT ON anomaly_progress TO PUBLIC;

-- == model storage ==
-- New model values are compressed with lz4 when the server was built with it
-- (PostgreSQL lists lz4 among default_toast_compression's values then): pglz
-- took about 45 % of anomaly_train's time on a 344 MB segmented model (1,000
-- iforests; stored in 161 MB), lz4 stores it in 182 MB for about a quarter
-- of pglz's CPU time and reads it back faster.  Values stored before keep
-- their pglz compression and read as they did; the bytes are the same.
DO $$
BEGIN
    IF 'lz4' = ANY ((SELECT enumvals FROM pg_catalog.pg_settings
                      WHERE name = 'default_toast_compression')::text[]) THEN
        ALTER TABLE anomaly_models ALTER COLUMN model SET COMPRESSION lz4;
    END IF;
END
$$;

-- == segmented evaluation, drift and monitoring ==
-- anomaly_evaluate_segments: a segmented model's figures overall (segment
-- NULL) and per segment of the source, with the model that scored it.
CREATE FUNCTION anomaly_evaluate_segments(model text, source text, label text)
    RETURNS TABLE (segment text, scored_by text, flagged bigint, threshold float8,
                   rows bigint, anomalies bigint, roc_auc float8, average_precision float8,
                   "precision" float8, recall float8, f1 float8, precision_at_n float8,
                   tp bigint, fp bigint, tn bigint, fn bigint)
    AS 'MODULE_PATHNAME', 'anomaly_evaluate_segments' LANGUAGE C STABLE PARALLEL UNSAFE ROWS 100;
CREATE FUNCTION anomaly_evaluate_segments(model bigint, source text, label text)
    RETURNS TABLE (segment text, scored_by text, flagged bigint, threshold float8,
                   rows bigint, anomalies bigint, roc_auc float8, average_precision float8,
                   "precision" float8, recall float8, f1 float8, precision_at_n float8,
                   tp bigint, fp bigint, tn bigint, fn bigint)
    AS 'MODULE_PATHNAME', 'anomaly_evaluate_segments' LANGUAGE C STABLE PARALLEL UNSAFE ROWS 100;

-- anomaly_drift gains segment and scored_by: for a segmented model, rows
-- per segment of the source against the sketch of the model that scores it
-- ('segment' or 'global'); the rows with a NULL segment are every row
-- against the global model, as for a plain model.
DROP FUNCTION anomaly_drift(text, text);
DROP FUNCTION anomaly_drift(bigint, text);
CREATE FUNCTION anomaly_drift(model text, source text)
    RETURNS TABLE (feature text, psi float8, ks float8, train_mean float8, current_mean float8,
                   drifted bool, rows bigint, ks_critical float8, train_null_share float8,
                   current_null_share float8, segment text, scored_by text)
    AS 'MODULE_PATHNAME', 'anomaly_drift' LANGUAGE C STABLE PARALLEL UNSAFE ROWS 10;
CREATE FUNCTION anomaly_drift(model bigint, source text)
    RETURNS TABLE (feature text, psi float8, ks float8, train_mean float8, current_mean float8,
                   drifted bool, rows bigint, ks_critical float8, train_null_share float8,
                   current_null_share float8, segment text, scored_by text)
    AS 'MODULE_PATHNAME', 'anomaly_drift' LANGUAGE C STABLE PARALLEL UNSAFE ROWS 10;

-- anomaly_monitor with a segmented model: an event carries the segment of
-- its row ("col=value, ..."); a statement writes one batch row per model
-- that scored some of its rows, segment naming the segment whose own model
-- it is (NULL: the global model, or a plain model).  Existing monitors go
-- on writing NULL.
ALTER TABLE anomaly_events ADD COLUMN segment text;
ALTER TABLE anomaly_batches ADD COLUMN segment text;
COMMENT ON COLUMN anomaly_events.segment IS 'The row''s segment (col=value, ...) under a segmented model; NULL for a plain model';
COMMENT ON COLUMN anomaly_batches.segment IS 'The segment whose own model scored these rows; NULL for the global or a plain model';

-- == explain ==
-- Global importance: per feature, its mean share of the explanations of the
-- flagged rows (or, with a label, of the labelled anomalies) and of all
-- rows, how many of those rows it leads, and their typical value against
-- the other rows'.  anomaly_report gains the same table, each feature's
-- distribution and a scatter of the two leading features.
CREATE FUNCTION anomaly_importance(model text, source text, label text DEFAULT NULL)
    RETURNS TABLE (feature text, flagged_share float8, all_share float8, leads bigint,
                   lead_share float8, flagged_value text, normal_value text)
    AS 'MODULE_PATHNAME', 'anomaly_importance' LANGUAGE C STABLE PARALLEL UNSAFE;
CREATE FUNCTION anomaly_importance(model bigint, source text, label text DEFAULT NULL)
    RETURNS TABLE (feature text, flagged_share float8, all_share float8, leads bigint,
                   lead_share float8, flagged_value text, normal_value text)
    AS 'MODULE_PATHNAME', 'anomaly_importance' LANGUAGE C STABLE PARALLEL UNSAFE;
-- The monitoring page: what anomaly_monitor recorded for a model since a
-- time (anomaly_batches, anomaly_events) as one self-contained HTML page,
-- with drift per feature against source when one is given.
CREATE FUNCTION anomaly_monitor_report(model text,
                                       since timestamptz DEFAULT now() - interval '7 days',
                                       source text DEFAULT NULL) RETURNS text
    AS 'MODULE_PATHNAME', 'anomaly_monitor_report' LANGUAGE C STABLE PARALLEL UNSAFE;

-- == time series ==
-- Causal window functions over ordered rows: a detector per partition moves
-- forward row by row (src/series_window.c, src/core/series*.c).
CREATE TYPE anomaly_ts_point AS (
    expected float8, lower float8, upper float8, score float8, severity int,
    is_anomaly boolean, direction text, learning boolean, season int
);
CREATE FUNCTION anomaly_ts_score(value float8)
    RETURNS float8 AS 'MODULE_PATHNAME', 'anomaly_ts_score'
    LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION anomaly_ts_score(value float8, options jsonb)
    RETURNS float8 AS 'MODULE_PATHNAME', 'anomaly_ts_score'
    LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION anomaly_ts_detect(value float8)
    RETURNS anomaly_ts_point AS 'MODULE_PATHNAME', 'anomaly_ts_detect'
    LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION anomaly_ts_detect(value float8, options jsonb)
    RETURNS anomaly_ts_point AS 'MODULE_PATHNAME', 'anomaly_ts_detect'
    LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;

-- Stored series models: anomaly_ts_train stores a version in anomaly_models
-- (algorithm 'series'; its model bytes are a fresh, checked state holding the
-- options) and the state each series reached in anomaly_ts_state, a table
-- (so the states survive restarts, are dumped and reach replicas);
-- anomaly_ts_update moves one series forward under that series' row lock,
-- held to the end of the transaction, so concurrent writers of a series take
-- turns (src/series_update.c).
CREATE TYPE anomaly_ts_step AS (
    state bytea, expected float8, lower float8, upper float8, score float8, severity int,
    is_anomaly boolean, direction text, learning boolean, season int
);
CREATE FUNCTION anomaly_ts_new(options jsonb)
    RETURNS bytea AS 'MODULE_PATHNAME', 'anomaly_ts_new'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION anomaly_ts_step(state bytea, value float8, missing int DEFAULT 0)
    RETURNS anomaly_ts_step AS 'MODULE_PATHNAME', 'anomaly_ts_step'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION anomaly_ts_fit_accum(internal, float8, jsonb)
    RETURNS internal AS 'MODULE_PATHNAME', 'anomaly_ts_fit_accum'
    LANGUAGE C IMMUTABLE;
CREATE FUNCTION anomaly_ts_fit_final(internal)
    RETURNS bytea AS 'MODULE_PATHNAME', 'anomaly_ts_fit_final'
    LANGUAGE C IMMUTABLE;
-- anomaly_ts_fit(value, options ORDER BY ts): the state after a series
CREATE AGGREGATE anomaly_ts_fit(float8, jsonb) (
    SFUNC = anomaly_ts_fit_accum, STYPE = internal, FINALFUNC = anomaly_ts_fit_final
);

CREATE TABLE anomaly_ts_state (
    model_id bigint NOT NULL REFERENCES anomaly_models (id) ON DELETE CASCADE,
    series   text NOT NULL,
    last_ts  timestamptz,
    step     interval,             -- the series' median interval in training
    points   bigint NOT NULL DEFAULT 0,
    state    bytea NOT NULL,
    PRIMARY KEY (model_id, series)
);
COMMENT ON TABLE anomaly_ts_state IS 'The state each series of a stored series model has reached';
-- states are rewritten at every point and barely compress: no compression try
ALTER TABLE anomaly_ts_state ALTER COLUMN state SET STORAGE EXTERNAL;
SELECT pg_catalog.pg_extension_config_dump('anomaly_ts_state', '');
ALTER TABLE anomaly_ts_state ENABLE ROW LEVEL SECURITY;
-- whoever sees the model may feed its series
CREATE POLICY anomaly_ts_state_model ON anomaly_ts_state
    USING (EXISTS (SELECT FROM @extschema@.anomaly_models m WHERE m.id OPERATOR(pg_catalog.=) model_id));
GRANT SELECT, INSERT, UPDATE ON anomaly_ts_state TO PUBLIC;

-- anomaly_ts_train's work; caller_path is the search_path the source is read with.
CREATE FUNCTION anomaly_ts_train_from(name text, source text, caller_path text, ts text, value text,
                                      series text[], options jsonb)
    RETURNS bigint LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    own_path CONSTANT text := 'pg_catalog, pg_temp';
    rel regclass;
    from_sql text;          -- the source in a FROM clause
    stored text;            -- the source as anomaly_models keeps it
    label text;             -- the source in messages
    col text;
    col_type regtype;
    key_expr text := '''''';
    rows_sql text;
    new_id bigint;
    next_version int;
    n_rows bigint;
    n_flagged bigint;
    n_series bigint;
    gap text;
BEGIN
    IF name IS NULL OR source IS NULL OR ts IS NULL OR value IS NULL THEN
        RAISE EXCEPTION 'anomaly_ts_train needs a name, a source, a timestamp column and a value column'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    options := coalesce(options, '{}');
    gap := coalesce(options->>'gap', 'step');
    IF gap NOT IN ('step', 'fill') THEN
        RAISE EXCEPTION 'unknown gap rule "%"', gap
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Use "step" (a gap is one step) or "fill".';
    END IF;
    options := options - 'gap';
    PERFORM @extschema@.anomaly_ts_new(options);
    -- a query as anomaly_train takes one (it starts with SELECT, WITH, VALUES
    -- or TABLE), or a table or view resolved with the caller's search_path
    PERFORM set_config('search_path', caller_path, true);
    IF source ~* '^\s*(select|with|values|table)(\s|\(|$)' THEN
        stored := regexp_replace(source, '[\s;]+$', '');
        from_sql := '(' || stored || ')';
        label := 'the source query';
    ELSE
        rel := source::regclass;
        SELECT format('%I.%I', n.nspname, c.relname) INTO stored
          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = rel;
        from_sql := stored;
        label := stored;
    END IF;
    -- each named column's type, read from one row of NULLs (a source of no
    -- rows, right-joined to one row) so that a query is described, not run
    FOREACH col IN ARRAY ARRAY[ts, value] || coalesce(series, '{}') LOOP
        BEGIN
            EXECUTE format('SELECT pg_typeof(s.%I)::regtype FROM (SELECT * FROM %s s LIMIT 0) s RIGHT JOIN (SELECT) one ON true',
                           col, from_sql) INTO col_type;
        EXCEPTION WHEN undefined_column THEN
            IF col = ts OR col = value THEN
                RAISE EXCEPTION 'column "%" does not exist in %', col, label USING ERRCODE = 'undefined_column';
            END IF;
            RAISE EXCEPTION 'a series column of % does not exist in %', series, label
                USING ERRCODE = 'undefined_column';
        END;
        IF col = ts AND col_type NOT IN ('timestamptz'::regtype, 'timestamp'::regtype, 'date'::regtype) THEN
            RAISE EXCEPTION 'timestamp column "%" is of type %', ts, col_type
                USING ERRCODE = 'datatype_mismatch', HINT = 'Use a column of type timestamptz, timestamp or date.';
        ELSIF col = value AND col <> ts AND col_type NOT IN ('float8'::regtype, 'float4'::regtype, 'numeric'::regtype,
                                             'int2'::regtype, 'int4'::regtype, 'int8'::regtype) THEN
            RAISE EXCEPTION 'value column "%" is of type %', value, col_type
                USING ERRCODE = 'datatype_mismatch', HINT = 'Use a numeric column.';
        END IF;
    END LOOP;
    IF cardinality(series) > 0 THEN
        SELECT CASE WHEN count(*) = 1 THEN min(format('%I::text', c))
                    ELSE 'ARRAY[' || string_agg(format('%I::text', c), ', ' ORDER BY o) || ']::text' END
          INTO key_expr FROM unnest(series) WITH ORDINALITY u(c, o);
    END IF;
    rows_sql := format('SELECT %s AS k, %I::timestamptz AS t, %I::float8 AS v FROM %s src',
                       key_expr, ts, value, from_sql);
    -- the training rows, each scored causally: the anomalies inside them, and the series
    EXECUTE format('SELECT count(*), count(*) FILTER (WHERE (d).is_anomaly), count(DISTINCT k) FROM (
                      SELECT k, @extschema@.anomaly_ts_detect(v, $1) OVER (PARTITION BY k ORDER BY t, v) AS d
                        FROM (%s) s WHERE k IS NOT NULL AND t IS NOT NULL) r', rows_sql)
        USING options INTO n_rows, n_flagged, n_series;
    IF n_rows = 0 THEN
        RAISE EXCEPTION '% has no row with a timestamp and a series key',
                        CASE WHEN rel IS NULL THEN label ELSE 'source ' || label END
            USING ERRCODE = 'data_exception';
    END IF;
    PERFORM set_config('search_path', own_path, true);
    SELECT coalesce(max(m.version), 0) + 1 INTO next_version
      FROM @extschema@.anomaly_models m WHERE m.name = anomaly_ts_train_from.name;
    INSERT INTO @extschema@.anomaly_models (name, version, algorithm, features, params, threshold,
                                            source, train_rows, metrics, model)
    VALUES (anomaly_ts_train_from.name, next_version, 'series',
            jsonb_build_array(jsonb_build_object('name', anomaly_ts_train_from.value, 'kind', 'numeric')),
            options || jsonb_build_object('ts', anomaly_ts_train_from.ts, 'value', anomaly_ts_train_from.value,
                                          'series', to_jsonb(anomaly_ts_train_from.series), 'gap', gap),
            1 - coalesce((options->>'sensitivity')::float8, 0.5), stored, n_rows,
            jsonb_build_object('series', n_series, 'flagged', n_flagged),
            @extschema@.anomaly_ts_new(options))
    RETURNING id INTO new_id;
    PERFORM set_config('search_path', caller_path, true);
    EXECUTE format('INSERT INTO @extschema@.anomaly_ts_state (model_id, series, last_ts, step, points, state)
                    SELECT $1, k, max(t), percentile_cont(0.5) WITHIN GROUP (ORDER BY dt), count(*),
                           @extschema@.anomaly_ts_fit(v, $2 ORDER BY t, v)
                      FROM (SELECT k, t, v, t - lag(t) OVER (PARTITION BY k ORDER BY t, v) AS dt
                              FROM (%s) s WHERE k IS NOT NULL AND t IS NOT NULL) s2
                     GROUP BY k', rows_sql)
        USING new_id, options;
    PERFORM set_config('search_path', own_path, true);
    RETURN new_id;
END
$fn$;

-- Train a series model (source: a table, a view or a query): one state per
-- series (the ::text of the series column, or of the array of several; ''
-- when there is none), fed in ts order.  Besides the detector's options,
-- "gap": "step" (a gap is one step) or "fill" (anomaly_ts_update fills the
-- steps of the series' median interval that a gap misses with what the
-- baseline expected).  The source is read with the caller's search_path,
-- which the SET clause of anomaly_ts_train_from would hide: it is passed on.
CREATE FUNCTION anomaly_ts_train(name text, source text, ts text, value text,
                                 series text[] DEFAULT NULL, options jsonb DEFAULT '{}')
    RETURNS bigint LANGUAGE sql
    RETURN @extschema@.anomaly_ts_train_from(name, source, pg_catalog.current_setting('search_path'),
                                             ts, value, series, options);

-- Score one new point of a series of a stored series model (its newest
-- version) and move the series' state forward.  A point at or before the
-- series' last timestamp is late: NULL, and the state stays as it was.  A
-- series the model has not seen starts from a fresh state.
-- In C (src/series_update.c, src/series_pending.c): a series' row of
-- anomaly_ts_state is locked at the first point of a transaction, its state
-- kept decoded in backend memory for the later points, and written back
-- once, at commit.
CREATE FUNCTION anomaly_ts_update(model text, series text, ts timestamptz, value float8)
    RETURNS anomaly_ts_point AS 'MODULE_PATHNAME', 'anomaly_ts_update'
    LANGUAGE C VOLATILE;

-- == citus ==
-- anomaly_fit(row, algorithm, options, features): the named form.  Its row is
-- a record, not anyelement, so Citus pushes partial aggregation of it to the
-- workers (worker_partial_agg checks the declared argument types against the
-- actual ones); features names the row's columns in order, since Citus sends
-- a whole-row reference to the workers as an anonymous ROW(...) whose
-- columns are f1, f2, ...  NULL keeps the row's own names.
CREATE FUNCTION anomaly_fit_accum_named(anomaly_fitstate, record, text, jsonb, text[])
    RETURNS anomaly_fitstate AS 'MODULE_PATHNAME', 'anomaly_fit_accum_named'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE AGGREGATE anomaly_fit(record, text, jsonb, text[]) (
    SFUNC = anomaly_fit_accum_named, STYPE = anomaly_fitstate,
    COMBINEFUNC = anomaly_fit_combine, FINALFUNC = anomaly_fit_final,
    PARALLEL = SAFE
);

-- == series timestamps ==
-- The window functions with the rows' times first, as anomaly_ts_update
-- takes them: a row at or before the last one's time (or with a NULL time)
-- is late, NULL and not fed; options also take the gap rule, "gap": "step"
-- or "fill", and "interval", the fill rule's step (learnt from the learning
-- period when not given).
CREATE FUNCTION anomaly_ts_score(ts timestamptz, value float8)
    RETURNS float8 AS 'MODULE_PATHNAME', 'anomaly_ts_score'
    LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION anomaly_ts_score(ts timestamptz, value float8, options jsonb)
    RETURNS float8 AS 'MODULE_PATHNAME', 'anomaly_ts_score'
    LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION anomaly_ts_detect(ts timestamptz, value float8)
    RETURNS anomaly_ts_point AS 'MODULE_PATHNAME', 'anomaly_ts_detect'
    LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION anomaly_ts_detect(ts timestamptz, value float8, options jsonb)
    RETURNS anomaly_ts_point AS 'MODULE_PATHNAME', 'anomaly_ts_detect'
    LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;

-- == citus segments ==
-- anomaly_fit_segment's named form, which anomaly_train's segment query
-- runs (as its global fit runs anomaly_fit's): the row is a record and the
-- features' names travel as an argument, so a segment query grouped by a
-- Citus distribution column runs whole on the workers with the names kept.
CREATE AGGREGATE anomaly_fit_segment(record, text, jsonb, text[]) (
    SFUNC = anomaly_fit_accum_named, STYPE = anomaly_fitstate,
    COMBINEFUNC = anomaly_fit_combine, FINALFUNC = anomaly_fit_segment_final,
    PARALLEL = SAFE
);
-- == citus models ==
-- On a Citus cluster the workers score by model name and id from a replica
-- of what a lookup needs, kept in a reference table: anomaly_models stays a
-- local table of the coordinator (its triggers, policies, sequence, dumps
-- and upgrades as on one node), and every change of it or of
-- anomaly_deployments on the coordinator is written to the replica by row
-- triggers in the same transaction, so Citus's two-phase commit keeps the
-- two consistent.  anomaly_citus_replicate(), run once on the coordinator by
-- an administrator, makes the replica a reference table and fills it; until
-- then (and on one node) the triggers do nothing.  Workers read its shard.
CREATE TABLE anomaly_model_replicas (
    id        bigint PRIMARY KEY,
    name      text NOT NULL,
    version   int NOT NULL,
    owner     name NOT NULL,
    readers   name[] NOT NULL,
    deployed  boolean NOT NULL,
    model     bytea NOT NULL
);
COMMENT ON TABLE anomaly_model_replicas IS 'What Citus workers read to score by model name and id (written by triggers on the coordinator)';

-- Whether the current role may read a model of owner granted to readers:
-- anomaly_models_read's rule as a function, since Citus refuses subqueries
-- in the policies of a distributed table.
CREATE FUNCTION anomaly_may_read(owner name, readers name[]) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
    SELECT pg_catalog.pg_has_role(pg_catalog.to_regrole(pg_catalog.quote_ident(owner))::pg_catalog.oid, 'MEMBER')
        OR 'public' OPERATOR(pg_catalog.=) ANY (readers)
        OR EXISTS (SELECT FROM pg_catalog.unnest(readers) r
                    WHERE pg_catalog.pg_has_role(pg_catalog.to_regrole(pg_catalog.quote_ident(r))::pg_catalog.oid,
                                                 'MEMBER'))
$$;

ALTER TABLE anomaly_model_replicas ENABLE ROW LEVEL SECURITY;
CREATE POLICY anomaly_model_replicas_read ON anomaly_model_replicas FOR SELECT
    USING (@extschema@.anomaly_may_read(owner, readers));
GRANT SELECT ON anomaly_model_replicas TO PUBLIC;

-- Whether this node is a Citus coordinator whose replica is a reference table.
CREATE FUNCTION anomaly_citus_replicating() RETURNS boolean
LANGUAGE plpgsql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF to_regclass('pg_catalog.pg_dist_partition') IS NULL THEN
        RETURN false;
    END IF;
    RETURN (SELECT citus_is_coordinator())
       AND EXISTS (SELECT FROM pg_dist_partition p
                    WHERE p.logicalrelid = '@extschema@.anomaly_model_replicas'::regclass);
END
$$;

-- Row trigger on anomaly_models and anomaly_deployments: the same change in
-- the replica.  The one function of the extension that runs with its
-- owner's rights: the owner alone writes the replica (a role that could
-- would be able to point a name at a model of its own), and the trigger
-- copies what the caller's own change, under the catalog's policies, did.
-- Nobody else may attach it to a table (EXECUTE is revoked), and it refuses
-- any table but the two.
CREATE FUNCTION anomaly_replicate() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    is_deployed boolean;
BEGIN
    IF TG_RELID NOT IN ('@extschema@.anomaly_models'::regclass, '@extschema@.anomaly_deployments'::regclass) THEN
        RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege',
            MESSAGE = format('anomaly_replicate is the trigger of anomaly_models and anomaly_deployments, not of %s',
                             TG_RELID::regclass);
    END IF;
    IF NOT @extschema@.anomaly_citus_replicating() THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'TRUNCATE' THEN
        IF TG_RELID = '@extschema@.anomaly_models'::regclass THEN
            DELETE FROM @extschema@.anomaly_model_replicas;
        ELSE
            UPDATE @extschema@.anomaly_model_replicas SET deployed = false WHERE deployed;
        END IF;
    ELSIF TG_RELID = '@extschema@.anomaly_models'::regclass THEN
        IF TG_OP = 'DELETE' THEN
            DELETE FROM @extschema@.anomaly_model_replicas r WHERE r.id = OLD.id;
        ELSIF TG_OP = 'UPDATE' THEN
            -- roles change readers only (anomaly_grant): the bytes travel when they change
            UPDATE @extschema@.anomaly_model_replicas r
               SET id = NEW.id, name = NEW.name, version = NEW.version, owner = NEW.owner, readers = NEW.readers
             WHERE r.id = OLD.id;
            IF NEW.model IS DISTINCT FROM OLD.model THEN
                UPDATE @extschema@.anomaly_model_replicas r SET model = NEW.model WHERE r.id = NEW.id;
            END IF;
        ELSE
            -- Citus plans no subquery inside a modification of a reference table
            is_deployed := EXISTS (SELECT FROM @extschema@.anomaly_deployments d WHERE d.model_id = NEW.id);
            INSERT INTO @extschema@.anomaly_model_replicas (id, name, version, owner, readers, deployed, model)
            VALUES (NEW.id, NEW.name, NEW.version, NEW.owner, NEW.readers, is_deployed, NEW.model);
        END IF;
    ELSE
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
            UPDATE @extschema@.anomaly_model_replicas r SET deployed = false
             WHERE r.name = OLD.name AND r.deployed;
        END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') THEN
            UPDATE @extschema@.anomaly_model_replicas r SET deployed = true WHERE r.id = NEW.model_id;
        END IF;
    END IF;
    RETURN NULL;
END
$$;
REVOKE EXECUTE ON FUNCTION anomaly_replicate() FROM PUBLIC;
CREATE TRIGGER anomaly_models_replicate AFTER INSERT OR UPDATE OR DELETE ON anomaly_models
    FOR EACH ROW EXECUTE FUNCTION anomaly_replicate();
CREATE TRIGGER anomaly_models_replicate_truncate AFTER TRUNCATE ON anomaly_models
    FOR EACH STATEMENT EXECUTE FUNCTION anomaly_replicate();
CREATE TRIGGER anomaly_deployments_replicate AFTER INSERT OR UPDATE OR DELETE ON anomaly_deployments
    FOR EACH ROW EXECUTE FUNCTION anomaly_replicate();
CREATE TRIGGER anomaly_deployments_replicate_truncate AFTER TRUNCATE ON anomaly_deployments
    FOR EACH STATEMENT EXECUTE FUNCTION anomaly_replicate();

-- anomaly_citus_replicate(): on a Citus coordinator, make the replica a
-- reference table (the first time) and fill it with every model; returns
-- how many.  For the extension's owner (who sees every model and owns the
-- replica) or a superuser: once after CREATE EXTENSION or an upgrade on a
-- cluster, and after a restore.
CREATE FUNCTION anomaly_citus_replicate() RETURNS bigint
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    copied bigint;
BEGIN
    IF to_regclass('pg_catalog.pg_dist_partition') IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'feature_not_supported',
            MESSAGE = 'anomaly_citus_replicate needs Citus',
            HINT = 'On one node the models need no replica; on a cluster, CREATE EXTENSION citus first.';
    END IF;
    IF NOT citus_is_coordinator() THEN
        RAISE EXCEPTION USING ERRCODE = 'feature_not_supported',
            MESSAGE = 'anomaly_citus_replicate runs on the Citus coordinator',
            HINT = 'Connect to the coordinator, where anomaly_models is written.';
    END IF;
    IF NOT @extschema@.anomaly_citus_replicating() THEN
        PERFORM create_reference_table('@extschema@.anomaly_model_replicas');
    END IF;
    DELETE FROM @extschema@.anomaly_model_replicas;
    INSERT INTO @extschema@.anomaly_model_replicas (id, name, version, owner, readers, deployed, model)
    SELECT m.id, m.name, m.version, m.owner, m.readers,
           EXISTS (SELECT FROM @extschema@.anomaly_deployments d WHERE d.model_id = m.id), m.model
      FROM @extschema@.anomaly_models m;
    GET DIAGNOSTICS copied = ROW_COUNT;
    RETURN copied;
END
$$;
REVOKE EXECUTE ON FUNCTION anomaly_citus_replicate() FROM PUBLIC;
