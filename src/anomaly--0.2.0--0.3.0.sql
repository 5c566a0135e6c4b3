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

-- Stored series models: anomaly_ts_train stores a version in anomaly_models
-- (algorithm 'series'; its model bytes are a fresh, checked state holding the
-- options) and the state each series reached in anomaly_ts_state, a table
-- (so the states survive restarts, are dumped and reach replicas);
-- anomaly_ts_update moves one series forward under that series' row lock,
-- so concurrent writers of a series take turns (src/series_state.c).
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

-- Train a series model (source: a table or view): one state per series (the ::text of the series
-- column, or of the array of several; '' when there is none), fed in ts order.
-- Besides the detector's options, "gap": "step" (a gap is one step) or
-- "fill" (anomaly_ts_update fills the steps of the series' median interval
-- that a gap misses with what the baseline expected).
CREATE FUNCTION anomaly_ts_train(name text, source regclass, ts text, value text,
                                 series text[] DEFAULT NULL, options jsonb DEFAULT '{}')
    RETURNS bigint LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    rel regclass;
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
    rel := source;
    SELECT a.atttypid::regtype INTO col_type FROM pg_catalog.pg_attribute a
     WHERE a.attrelid = rel AND a.attname = ts AND a.attnum > 0 AND NOT a.attisdropped;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'column "%" does not exist in %', ts, rel USING ERRCODE = 'undefined_column';
    END IF;
    IF col_type NOT IN ('timestamptz'::regtype, 'timestamp'::regtype, 'date'::regtype) THEN
        RAISE EXCEPTION 'timestamp column "%" is of type %', ts, col_type
            USING ERRCODE = 'datatype_mismatch', HINT = 'Use a column of type timestamptz, timestamp or date.';
    END IF;
    SELECT a.atttypid::regtype INTO col_type FROM pg_catalog.pg_attribute a
     WHERE a.attrelid = rel AND a.attname = value AND a.attnum > 0 AND NOT a.attisdropped;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'column "%" does not exist in %', value, rel USING ERRCODE = 'undefined_column';
    END IF;
    IF col_type NOT IN ('float8'::regtype, 'float4'::regtype, 'numeric'::regtype,
                        'int2'::regtype, 'int4'::regtype, 'int8'::regtype) THEN
        RAISE EXCEPTION 'value column "%" is of type %', value, col_type
            USING ERRCODE = 'datatype_mismatch', HINT = 'Use a numeric column.';
    END IF;
    IF cardinality(series) > 0 THEN
        IF EXISTS (SELECT FROM unnest(series) c WHERE NOT EXISTS (
                     SELECT FROM pg_catalog.pg_attribute a WHERE a.attrelid = rel
                        AND a.attname = c AND a.attnum > 0 AND NOT a.attisdropped)) THEN
            RAISE EXCEPTION 'a series column of % does not exist in %', series, rel
                USING ERRCODE = 'undefined_column';
        END IF;
        SELECT CASE WHEN count(*) = 1 THEN min(format('%I::text', c))
                    ELSE 'ARRAY[' || string_agg(format('%I::text', c), ', ' ORDER BY o) || ']::text' END
          INTO key_expr FROM unnest(series) WITH ORDINALITY u(c, o);
    END IF;
    rows_sql := format('SELECT %s AS k, %I::timestamptz AS t, %I::float8 AS v FROM %s',
                       key_expr, ts, value, rel);
    -- the training rows, each scored causally: the anomalies inside them
    EXECUTE format('SELECT count(*), count(*) FILTER (WHERE (d).is_anomaly) FROM (
                      SELECT @extschema@.anomaly_ts_detect(v, $1) OVER (PARTITION BY k ORDER BY t, v) AS d
                        FROM (%s) s WHERE k IS NOT NULL AND t IS NOT NULL) r', rows_sql)
        USING options INTO n_rows, n_flagged;
    IF n_rows = 0 THEN
        RAISE EXCEPTION 'source % has no row with a timestamp and a series key', rel
            USING ERRCODE = 'data_exception';
    END IF;
    SELECT coalesce(max(m.version), 0) + 1 INTO next_version
      FROM @extschema@.anomaly_models m WHERE m.name = anomaly_ts_train.name;
    EXECUTE format('SELECT count(DISTINCT k) FROM (%s) s WHERE k IS NOT NULL AND t IS NOT NULL', rows_sql)
        INTO n_series;
    INSERT INTO @extschema@.anomaly_models (name, version, algorithm, features, params, threshold,
                                            source, train_rows, metrics, model)
    VALUES (anomaly_ts_train.name, next_version, 'series',
            jsonb_build_array(jsonb_build_object('name', anomaly_ts_train.value, 'kind', 'numeric')),
            options || jsonb_build_object('ts', anomaly_ts_train.ts, 'value', anomaly_ts_train.value,
                                          'series', to_jsonb(anomaly_ts_train.series), 'gap', gap),
            1 - coalesce((options->>'sensitivity')::float8, 0.5), rel::text, n_rows,
            jsonb_build_object('series', n_series, 'flagged', n_flagged),
            @extschema@.anomaly_ts_new(options))
    RETURNING id INTO new_id;
    EXECUTE format('INSERT INTO @extschema@.anomaly_ts_state (model_id, series, last_ts, step, points, state)
                    SELECT $1, k, max(t), percentile_cont(0.5) WITHIN GROUP (ORDER BY dt), count(*),
                           @extschema@.anomaly_ts_fit(v, $2 ORDER BY t, v)
                      FROM (SELECT k, t, v, t - lag(t) OVER (PARTITION BY k ORDER BY t, v) AS dt
                              FROM (%s) s WHERE k IS NOT NULL AND t IS NOT NULL) s2
                     GROUP BY k', rows_sql)
        USING new_id, options;
    RETURN new_id;
END
$fn$;

-- Score one new point of a series of a stored series model (its newest
-- version) and move the series' state forward.  A point at or before the
-- series' last timestamp is late: NULL, and the state stays as it was.  A
-- series the model has not seen starts from a fresh state.
CREATE FUNCTION anomaly_ts_update(model text, series text, ts timestamptz, value float8)
    RETURNS anomaly_ts_point LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    m_id bigint;
    fresh bytea;
    fill boolean;
    missing int := 0;
    key text := coalesce(series, '');
    cur record;
    r @extschema@.anomaly_ts_step;
BEGIN
    IF ts IS NULL THEN
        RAISE EXCEPTION 'anomaly_ts_update needs a timestamp' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    SELECT m.id, m.model, m.params->>'gap' = 'fill' INTO m_id, fresh, fill FROM @extschema@.anomaly_models m
     WHERE m.name = anomaly_ts_update.model AND m.algorithm = 'series'
     ORDER BY m.version DESC LIMIT 1;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'series model "%" does not exist', model
            USING ERRCODE = 'undefined_object', HINT = 'Train it with anomaly_ts_train.';
    END IF;
    SELECT s.last_ts, s.step, s.state INTO cur FROM @extschema@.anomaly_ts_state s
     WHERE s.model_id = m_id AND s.series = key FOR UPDATE;
    IF NOT FOUND THEN
        INSERT INTO @extschema@.anomaly_ts_state (model_id, series, state)
        VALUES (m_id, key, fresh) ON CONFLICT DO NOTHING;
        SELECT s.last_ts, s.step, s.state INTO cur FROM @extschema@.anomaly_ts_state s
         WHERE s.model_id = m_id AND s.series = key FOR UPDATE;
    END IF;
    IF cur.last_ts IS NOT NULL AND ts <= cur.last_ts THEN
        RETURN NULL;
    END IF;
    -- the gap rule fill: the steps of the series' median interval missed
    -- since its last point are filled with what the baseline expected
    IF fill AND cur.step > interval '0' AND cur.last_ts IS NOT NULL THEN
        missing := least(round(extract(epoch FROM ts - cur.last_ts) / extract(epoch FROM cur.step)) - 1,
                         2048)::int;
    END IF;
    r := @extschema@.anomaly_ts_step(cur.state, value, greatest(missing, 0));
    UPDATE @extschema@.anomaly_ts_state s SET state = r.state, last_ts = ts, points = s.points + 1
     WHERE s.model_id = m_id AND s.series = key;
    RETURN ROW(r.expected, r.lower, r.upper, r.score, r.severity, r.is_anomaly, r.direction,
               r.learning, r.season)::@extschema@.anomaly_ts_point;
END
$fn$;
