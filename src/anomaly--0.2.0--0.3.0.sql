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
