-- Bad input of every kind: each case is an ERROR with its SQLSTATE, message
-- and hint, or the defined result that README.md's "Inputs and their limits"
-- states.  errors.sql and corrupt.sql cover the first error of each kind;
-- detectors.sql the one-row and all-constant sources of every algorithm.
SET client_min_messages = warning;

-- outcome: the query's one value as text ('NULL' for NULL), or the error's
-- SQLSTATE, message and hint.
CREATE FUNCTION outcome(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    r text; state text; msg text; hint text;
BEGIN
    EXECUTE q INTO r;
    RETURN coalesce(r, 'NULL');
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, hint = PG_EXCEPTION_HINT;
    RETURN state || ': ' || msg || coalesce(' / ' || nullif(hint, ''), '');
END
$$;

CREATE TABLE bi_algorithms (a text PRIMARY KEY, ord int);
INSERT INTO bi_algorithms VALUES ('iforest', 1), ('lof', 2), ('knn', 3), ('ocsvm', 4),
  ('hbos', 5), ('ecod', 6), ('copod', 7), ('zscore', 8), ('mahalanobis', 9),
  ('ensemble', 10), ('auto', 11);
CREATE TABLE bi AS
  SELECT amount, hour_of_day::float8 AS hour, payment_method
    FROM anomaly_sample(rows => 300, seed => 11);
CREATE TABLE bi_num AS SELECT amount, hour FROM bi;
SELECT a AS algorithm, anomaly_train('bi_' || a, 'bi_num', NULL, a) > 0 AS trained
  FROM bi_algorithms ORDER BY ord;

-- 1. NULL model or NULL row: the functions are STRICT, NULL in gives NULL out
SELECT anomaly_score(NULL::text, ARRAY[1, 2]::float8[]) IS NULL AS null_name,
       anomaly_score(NULL::bigint, ARRAY[1, 2]::float8[]) IS NULL AS null_id,
       anomaly_score(NULL::bytea, ARRAY[1, 2]::float8[]) IS NULL AS null_bytes,
       anomaly_score('bi_iforest', NULL::float8[]) IS NULL AS null_array,
       anomaly_score('bi_iforest', NULL::jsonb) IS NULL AS null_jsonb,
       anomaly_score('bi_iforest', NULL::bi_num) IS NULL AS null_composite,
       anomaly_flag('bi_iforest', NULL::jsonb) IS NULL AS flag,
       anomaly_severity('bi_iforest', NULL::jsonb) IS NULL AS severity,
       anomaly_reason('bi_iforest', NULL::jsonb) IS NULL AS reason,
       anomaly_out_of_range('bi_iforest', NULL::jsonb) IS NULL AS out_of_range,
       (SELECT count(*) FROM anomaly_explain('bi_iforest', NULL::jsonb)) AS explain_rows;

-- a row whose every field is NULL is not a NULL row: every feature is imputed
-- (the training median), the same in every row form; so is NaN, a JSON null
-- and a missing key
SELECT a AS algorithm,
       count(DISTINCT s) AS distinct_scores, bool_and(s = s AND s < 'Infinity') AS finite
  FROM bi_algorithms, LATERAL (VALUES
         (anomaly_score('bi_' || a, ROW(NULL, NULL)::bi_num)),
         (anomaly_score('bi_' || a, ARRAY[NULL, NULL]::float8[])),
         (anomaly_score('bi_' || a, ARRAY['NaN', 'NaN']::float8[])),
         (anomaly_score('bi_' || a, ROW('NaN', 'NaN')::bi_num)),
         (anomaly_score('bi_' || a, '{}'::jsonb)),
         (anomaly_score('bi_' || a, '{"amount": null, "hour": null}'::jsonb)),
         (anomaly_score('bi_' || a, '{"amount": "NaN", "hour": "NaN"}'::jsonb))) v(s)
 GROUP BY a, ord ORDER BY ord;

-- one NULL feature among values: NULL inside a float8[], NaN, a JSON null,
-- a missing key, a NULL field, and to_jsonb of a row holding NaN
SELECT a AS algorithm, count(DISTINCT s) AS distinct_scores
  FROM bi_algorithms, LATERAL (VALUES
         (anomaly_score('bi_' || a, ARRAY[NULL, 3]::float8[])),
         (anomaly_score('bi_' || a, ARRAY['NaN', 3]::float8[])),
         (anomaly_score('bi_' || a, '{"amount": null, "hour": 3}'::jsonb)),
         (anomaly_score('bi_' || a, '{"hour": 3}'::jsonb)),
         (anomaly_score('bi_' || a, ROW(NULL, 3)::bi_num)),
         (anomaly_score('bi_' || a, to_jsonb(ROW('NaN', 3)::bi_num)))) v(s)
 GROUP BY a, ord ORDER BY ord;
SELECT feature, value, direction, out_of_range
  FROM anomaly_explain('bi_iforest', ARRAY[NULL, 3]::float8[]) ORDER BY feature;

-- 2. +Infinity and -Infinity in scoring rows: a finite score, the same from
-- every row form (to_jsonb writes them as the strings "Infinity" and
-- "-Infinity"), and +Infinity scores at least as high as the training maximum
CREATE TABLE extremes AS
  SELECT max(amount) AS max_amount, min(amount) AS min_amount FROM bi_num;
SELECT a AS algorithm,
       count(DISTINCT pinf) AS pinf_scores, count(DISTINCT ninf) AS ninf_scores,
       bool_and(pinf = pinf AND abs(pinf) < 'Infinity' AND ninf = ninf AND abs(ninf) < 'Infinity') AS finite,
       bool_and(pinf >= anomaly_score('bi_' || a, ARRAY[max_amount, 3])) AS pinf_at_least_max
  FROM bi_algorithms, extremes, LATERAL (VALUES
         (anomaly_score('bi_' || a, ARRAY['Infinity', 3]::float8[]),
          anomaly_score('bi_' || a, ARRAY['-Infinity', 3]::float8[])),
         (anomaly_score('bi_' || a, ROW('Infinity', 3)::bi_num),
          anomaly_score('bi_' || a, ROW('-Infinity', 3)::bi_num)),
         (anomaly_score('bi_' || a, to_jsonb(ROW('Infinity', 3)::bi_num)),
          anomaly_score('bi_' || a, to_jsonb(ROW('-Infinity', 3)::bi_num))),
         (anomaly_score('bi_' || a, '{"amount": "Infinity", "hour": 3}'::jsonb),
          anomaly_score('bi_' || a, '{"amount": "-Infinity", "hour": 3}'::jsonb))) v(pinf, ninf)
 GROUP BY a, ord ORDER BY ord;
-- a JSON number beyond float8 counts as infinite
SELECT anomaly_score('bi_iforest', '{"amount": 1e400, "hour": -1e400}'::jsonb)
     = anomaly_score('bi_iforest', ARRAY['Infinity', '-Infinity']::float8[]) AS same;
SELECT anomaly_reason('bi_zscore', ARRAY['Infinity', 3]::float8[]),
       anomaly_out_of_range('bi_zscore', ARRAY['-Infinity', 'Infinity']::float8[]),
       anomaly_severity('bi_zscore', ARRAY['Infinity', 3]::float8[]),
       anomaly_flag('bi_zscore', ARRAY['Infinity', 3]::float8[]);

-- 3. NaN, +Infinity and -Infinity in training data: NaN is NULL (imputed),
-- ±Infinity the column's finite minimum or maximum; thresholds and the
-- training rows' scores stay finite, with or without contamination
CREATE TABLE dirty AS
  SELECT amount, hour FROM bi_num
  UNION ALL VALUES ('NaN'::float8, 3::float8), ('Infinity', 'NaN'), ('-Infinity', 'Infinity'), (5, '-Infinity');
SELECT a AS algorithm,
       (SELECT count(*) FROM (SELECT anomaly_train('dirty_' || a, 'dirty', NULL, a)
                              UNION ALL
                              SELECT anomaly_train('dirty_' || a, 'dirty', NULL, a, contamination => 0.1)) t) AS versions
  FROM bi_algorithms ORDER BY ord;
SELECT m.algorithm, m.version, m.train_rows, jsonb_array_length(m.features) AS features,
       m.threshold = m.threshold AND abs(m.threshold) < 'Infinity' AS finite_threshold,
       bool_and(s = s AND abs(s) < 'Infinity') AS finite_scores
  FROM anomaly_models m JOIN bi_algorithms ON a = m.algorithm, dirty t,
       LATERAL (SELECT anomaly_score(m.id, t) AS s) x
 WHERE m.name LIKE 'dirty\_%'
 GROUP BY m.algorithm, m.version, m.train_rows, m.features, m.threshold, ord ORDER BY ord, m.version;
-- a column with no finite value is left out; with no other column, an error
CREATE TABLE unusable AS
  SELECT (ARRAY['NaN', 'Infinity', '-Infinity'])[i % 3 + 1]::float8 AS bad, i::float8 AS good
    FROM generate_series(1, 50) i;
SELECT anomaly_train('unusable', 'unusable', NULL, 'zscore') > 0 AS trained;
SELECT features FROM anomaly_models WHERE name = 'unusable';
SELECT outcome($$SELECT anomaly_train('unusable', 'SELECT bad FROM unusable', NULL, 'zscore')$$);

-- 4. empty, two-row and all-NULL sources, for every algorithm
CREATE TABLE two_rows AS SELECT * FROM bi_num ORDER BY amount LIMIT 2;
CREATE TABLE all_null AS SELECT NULL::float8 AS amount, NULL::text AS kind FROM generate_series(1, 20);
SELECT a AS algorithm,
       outcome(format('SELECT anomaly_train(%L, %L, NULL, %L)', 'empty', 'SELECT * FROM bi_num WHERE false', a)) AS empty_train,
       (SELECT anomaly_fit(t, a) FROM bi_num t WHERE false) IS NULL AS empty_fit_is_null,
       outcome(format('SELECT anomaly_train(%L, %L, NULL, %L) > 0', 'two', 'two_rows', a)) AS two_rows,
       outcome(format('SELECT anomaly_train(%L, %L, NULL, %L) > 0', 'nulls', 'all_null', a)) AS all_null
  FROM bi_algorithms ORDER BY ord;

-- 5. 1,000 columns: trains and scores; mahalanobis needs more rows than
-- columns, and so do the ensembles that include it
DO $$
BEGIN
    EXECUTE (SELECT format('CREATE TABLE wide AS SELECT %s FROM generate_series(1, 120) i',
                           string_agg(format('((i * 37 + %s) %% 101)::float8 AS c%s', j, j), ', ' ORDER BY j))
               FROM generate_series(1, 1000) j);
END
$$;
SELECT anomaly_train('wide', 'wide', NULL, 'iforest', options => '{"n_trees": 5}') > 0 AS trained;
SELECT jsonb_array_length(features) AS features FROM anomaly_models WHERE name = 'wide';
SELECT anomaly_score('wide', t) > 0 AS scored,
       anomaly_score('wide', t) = anomaly_score('wide', to_jsonb(t)) AS jsonb_form
  FROM wide t LIMIT 1;
SELECT anomaly_score('wide', array_fill(1, ARRAY[1000])::float8[]) > 0 AS array_form;
SELECT outcome($$SELECT anomaly_train('wide', 'wide', NULL, 'mahalanobis')$$);
SELECT outcome($$SELECT anomaly_train('wide', 'wide', NULL, 'ensemble', options => '{"iforest": 0, "knn": 0, "ecod": 0}')$$);

-- 6. a 1 MB categorical value, in training and in scoring
CREATE TABLE long_text AS
  SELECT amount, hour, CASE WHEN row_number() OVER () % 50 = 0 THEN repeat('x', 1048576)
                            ELSE payment_method END AS payment_method
    FROM bi;
SELECT anomaly_train('long_text', 'long_text', NULL, 'iforest', options => '{"n_trees": 10}') > 0 AS trained;
SELECT octet_length(model) < 100000 AS model_stays_small FROM anomaly_models WHERE name = 'long_text';
SELECT anomaly_score('long_text', t) = anomaly_score('long_text', to_jsonb(t)) AS same,
       anomaly_out_of_range('long_text', t) AS out_of_range,
       length(anomaly_reason('long_text', t)) < 200 AS reason_is_short
  FROM (SELECT 5.0::float8 AS amount, 3::float8 AS hour, repeat('y', 1048576) AS payment_method) t;
SELECT feature, length(value) AS value_length, direction
  FROM anomaly_explain('long_text', (SELECT t FROM long_text t WHERE length(payment_method) > 100 LIMIT 1))
 WHERE feature = 'payment_method';

-- 7. arrays of the wrong shape
SELECT outcome($$SELECT anomaly_score('bi_iforest', '{}'::float8[])$$);
SELECT outcome($$SELECT anomaly_score('bi_iforest', ARRAY[1]::float8[])$$);
SELECT outcome($$SELECT anomaly_score('bi_iforest', '{{1, 2}}'::float8[])$$);
SELECT outcome($$SELECT anomaly_score('bi_iforest', '{{1}, {2}}'::float8[])$$);
SELECT outcome($$SELECT anomaly_score('bi_iforest', '[5:6]={1, 2}'::float8[])
                      = anomaly_score('bi_iforest', ARRAY[1, 2]::float8[])$$) AS lower_bound_ignored;

-- 8. jsonb rows: wrong types, missing, extra and differently-cased keys
SELECT anomaly_train('cat', 'bi', NULL, 'hbos') > 0 AS trained;
SELECT j, outcome(format('SELECT anomaly_score(%L, %L::jsonb) IS NOT NULL', 'cat', j))
  FROM (VALUES ('{"amount": {"v": 1}, "hour": 3, "payment_method": "cash"}'),
               ('{"amount": [1], "hour": 3, "payment_method": "cash"}'),
               ('{"amount": "1", "hour": 3, "payment_method": "cash"}'),
               ('{"amount": "nan", "hour": 3, "payment_method": "cash"}'),
               ('{"amount": 1, "hour": 3, "payment_method": true}'),
               ('{"amount": 1, "hour": 3, "payment_method": {"a": 1}}'),
               ('{"amount": 1, "hour": 3, "payment_method": 7}'),
               ('{"amount": true, "hour": false, "payment_method": "NaN"}'),
               ('"cash"'), ('null'), ('3')) v(j);
-- a missing key is NULL, extra keys are ignored, keys are case-sensitive
SELECT anomaly_score('cat', '{"amount": 1, "hour": 3}'::jsonb)
     = anomaly_score('cat', '{"amount": 1, "hour": 3, "payment_method": null}'::jsonb) AS missing_is_null,
       anomaly_score('cat', '{"amount": 1, "hour": 3, "payment_method": "cash", "extra": [1], "x": {}}'::jsonb)
     = anomaly_score('cat', '{"amount": 1, "hour": 3, "payment_method": "cash"}'::jsonb) AS extra_ignored,
       anomaly_score('cat', '{"Amount": 1, "HOUR": 3, "payment_method": "cash"}'::jsonb)
     = anomaly_score('cat', '{"payment_method": "cash"}'::jsonb) AS case_sensitive;

-- 9. hostile options
SELECT o, outcome(format('SELECT anomaly_train(%L, %L, NULL, %L, options => %L) > 0', 'opt', 'bi_num', 'iforest', o))
  FROM (VALUES ('{"n_trees": 1e9}'), ('{"n_trees": 1e400}'), ('{"n_trees": -1e400}'),
               ('{"sample_size": -5}'), ('{"sample_size": 1e12}'), ('{"sample_size": 100000}'),
               ('{"n_trees": true}'), ('{"n_trees": null}'), ('{"n_trees": {"v": 1}}'),
               ('{"n_trees": [10]}'), ('{"": 1}'), ('{"N_TREES": 10}'), ('{"seed": 1e400}'),
               ('{"sample_rows": 15}'), ('null'), ('"n_trees"'), ('42'), ('[]')) v(o);
SELECT outcome($$SELECT anomaly_train('opt', 'bi_num', NULL, 'iforest', options => NULL) > 0$$) AS null_options,
       (SELECT params->'n_trees' FROM anomaly_models WHERE name = 'opt' ORDER BY version DESC LIMIT 1) AS n_trees;
SELECT outcome($$SELECT anomaly_train('opt', 'bi_num', NULL, 'knn', options => '{"method": 1}')$$);
-- a forest that could outgrow a model is refused before it allocates
SELECT outcome($$SELECT anomaly_train('opt', 'SELECT i::float8 AS a, (i * 7919 % 1000)::float8 AS b FROM generate_series(1, 20000) i',
                                      NULL, 'iforest', options => '{"n_trees": 10000, "sample_size": 20000}')$$);
-- a long fit stops soon after a cancel (this one takes seconds)
CREATE FUNCTION cancelled_within(q text, bound interval) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    started timestamptz := clock_timestamp();
BEGIN
    EXECUTE q;
    RETURN 'finished';
EXCEPTION WHEN query_canceled THEN
    RETURN CASE WHEN clock_timestamp() - started < bound THEN 'cancelled in time' ELSE 'cancelled late' END;
END
$$;
SET statement_timeout = '500ms';
SELECT cancelled_within($$SELECT anomaly_train('slow', 'SELECT i::float8 AS a, (i * 7919 % 1000)::float8 AS b FROM generate_series(1, 20000) i',
                                               NULL, 'ocsvm', options => '{"max_train": 20000, "tol": 1e-9}')$$,
                        '3 s');
RESET statement_timeout;

-- 10. contamination
-- (each accepted value is listed below as stored, in the order tried)
SELECT c, outcome(format('SELECT anomaly_train(%L, %L, NULL, %L, contamination => %s) > 0', 'cont', 'bi_num', 'zscore', c))
  FROM (VALUES (1, '-0.1'), (2, '0'), (3, '1e-9'), (4, '0.5'), (5, '0.5000001'), (6, '1'), (7, '''NaN''::float8'),
               (8, '''Infinity''::float8'), (9, '''-Infinity''::float8'), (10, 'NULL')) v(i, c) ORDER BY i;
SELECT o, outcome(format('SELECT anomaly_train(%L, %L, NULL, %L, options => %L) > 0', 'cont', 'bi_num', 'zscore', o))
  FROM (VALUES (1, '{"contamination": null}'), (2, '{"contamination": "NaN"}'), (3, '{"contamination": 0.6}')) v(i, o) ORDER BY i;
-- the argument wins over the option
SELECT anomaly_train('cont', 'bi_num', NULL, 'zscore', contamination => 0.1, options => '{"contamination": 0.2}') > 0 AS trained;
SELECT version, contamination, threshold = threshold AND abs(threshold) < 'Infinity' AS finite_threshold
  FROM anomaly_models WHERE name = 'cont' ORDER BY version;

-- 11. algorithm names: exact and lower case
SELECT a, outcome(format('SELECT anomaly_train(%L, %L, NULL, %s)', 'alg', 'bi_num', a))
  FROM (VALUES ('NULL'), ('''IForest'''), ('''IFOREST'''), (''' iforest'''), ('''iforest '''), (''''''), ('''isolation forest''')) v(a);
SELECT outcome($$SELECT anomaly_fit(t, 'Knn') FROM bi_num t$$);
-- anomaly_fit's NULL algorithm is auto, its NULL options the defaults
SELECT (SELECT anomaly_fit(t, NULL) FROM bi_num t) = (SELECT anomaly_fit(t, 'auto') FROM bi_num t) AS null_is_auto,
       (SELECT anomaly_fit(t, 'iforest', NULL) FROM bi_num t) = (SELECT anomaly_fit(t, 'iforest', '{}') FROM bi_num t) AS null_is_defaults;

-- nothing stored by the failures
SELECT count(*) AS stored_by_failures FROM anomaly_models WHERE name IN ('empty', 'nulls', 'slow', 'alg');

DROP FUNCTION outcome, cancelled_within;
DROP TABLE bi_algorithms, bi, bi_num, extremes, dirty, unusable, two_rows, all_null, wide, long_text;
SELECT count(*) > 0 AS dropped FROM (SELECT anomaly_drop(name) FROM (SELECT DISTINCT name FROM anomaly_models
  WHERE name ~ '^(bi|dirty)_' OR name IN ('unusable', 'two', 'wide', 'long_text', 'cat', 'opt', 'cont')) n) d;
