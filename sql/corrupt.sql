-- Damaged models give ERRCODE_DATA_CORRUPTED (XX001), never a crash.
-- the server's start time, compared at the end: no damaged model restarted it
CREATE TEMP TABLE server_start AS SELECT pg_postmaster_start_time() AS started;
SELECT anomaly_train('c', 'tx', columns => ARRAY['amount', 'hour_of_day'],
                     algorithm => 'iforest', options => '{"n_trees": 3}') AS cid \gset
CREATE TABLE good AS SELECT model FROM anomaly_models WHERE id = :cid;
CREATE FUNCTION try_score(b bytea) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  PERFORM anomaly_score(b, ARRAY[20, 12]::float8[]);
  RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE;
END $$;
SELECT try_score(model) FROM good;
-- flip every byte in turn: each damaged copy is refused as corrupt
SELECT try_score(set_byte(model, off, get_byte(model, off) # 255)) AS outcome, count(*)
  FROM good, generate_series(0, octet_length(model) - 1) off
 GROUP BY 1 ORDER BY 1;
-- every truncation is refused as corrupt
SELECT try_score(substr(model, 1, len)) AS outcome, count(*)
  FROM good, generate_series(0, octet_length(model) - 1) len
 GROUP BY 1 ORDER BY 1;
-- messages say what is wrong and how to fix it
SELECT anomaly_score('\x00'::bytea, ARRAY[1, 2]::float8[]);
SELECT anomaly_score(set_byte(model, 100, 7), ARRAY[1, 2]::float8[]) FROM good;
SELECT anomaly_score(substr(model, 1, 40), ARRAY[1, 2]::float8[]) FROM good;
SELECT anomaly_score(set_byte(model, 8, 9), ARRAY[1, 2]::float8[]) FROM good;
-- a model damaged inside the catalog
UPDATE anomaly_models SET model = set_byte(model, 200, get_byte(model, 200) # 1) WHERE id = :cid;
SELECT anomaly_score('c', ARRAY[1, 2]::float8[]);
SELECT anomaly_score(:cid::bigint, ARRAY[1, 2]::float8[]);

-- Every algorithm: a small model with every byte flipped, scored through SQL.
SET client_min_messages = warning;
CREATE TABLE small_source AS
  SELECT amount, hour_of_day::float8 AS hour FROM anomaly_sample(rows => 24, seed => 3);
CREATE TABLE small_models AS
  SELECT algorithm, ord, anomaly_fit(t, algorithm, options::jsonb) AS model
    FROM (VALUES ('iforest', 1, '{"n_trees": 2, "sample_size": 16}'), ('lof', 2, '{"k": 3}'),
                 ('knn', 3, '{"k": 3}'), ('ocsvm', 4, '{"max_train": 16}'), ('hbos', 5, '{"n_bins": 4}'),
                 ('ecod', 6, '{}'), ('copod', 7, '{}'), ('zscore', 8, '{}'), ('mahalanobis', 9, '{}'),
                 ('ensemble', 10, '{"iforest": 0, "knn": 0, "zscore": 1}'), ('auto', 11, '{}')) v(algorithm, ord, options),
         small_source t
   GROUP BY algorithm, ord, options;
-- flip_outcomes: the outcome ('ok' or the SQLSTATE) of scoring row x with
-- model after byte offs[i] is XORed with masks[i], for each i in turn.  The
-- call site never sees the sound bytes (a site reuses the model it read last
-- when the length and CRC field match).  A generic plan, or the planner would
-- fold each immutable call into a constant.
CREATE FUNCTION flip_outcomes(model bytea, offs int[], masks int[], x float8[]) RETURNS SETOF text
LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
DECLARE
    b bytea := model || '\x'::bytea;  -- decompressed once, not at every flip
BEGIN
    FOR i IN 1 .. cardinality(offs) LOOP
        BEGIN
            PERFORM anomaly_score(set_byte(b, offs[i], get_byte(b, offs[i]) # masks[i]), x);
            RETURN NEXT 'ok';
        EXCEPTION WHEN OTHERS THEN
            RETURN NEXT SQLSTATE;
        END;
    END LOOP;
END
$$;
-- every_byte: the offsets 0, stride, 2 stride, ... of model
CREATE FUNCTION every_byte(model bytea, stride int) RETURNS int[] LANGUAGE sql AS
  'SELECT array_agg(o ORDER BY o) FROM generate_series(0, octet_length(model) - 1, stride) o';
-- each model is sound (XOR 0 damages nothing), and small (auto's holds 100 trees)
SELECT algorithm, flip_outcomes(model, ARRAY[0], ARRAY[0], ARRAY[20, 12]) AS sound,
       octet_length(model) < 100000 AS small
  FROM small_models ORDER BY ord;
-- every byte XOR 0xFF, and XOR 0x01 (every byte; every 7th of the models over 20 kB)
SELECT algorithm, mask, outcome, count(*) AS flips,
       count(*) = (bytes + stride - 1) / stride AS every_position
  FROM (SELECT algorithm, ord, model, octet_length(model) AS bytes FROM small_models) s,
       LATERAL (VALUES (255, 1), (1, CASE WHEN bytes > 20000 THEN 7 ELSE 1 END)) m(mask, stride),
       LATERAL flip_outcomes(model, every_byte(model, stride),
                             array_fill(mask, ARRAY[(bytes + stride - 1) / stride]), ARRAY[20, 12]) outcome
 GROUP BY algorithm, ord, bytes, mask, stride, outcome ORDER BY ord, mask DESC, outcome;

-- A large model: 10,000 random flips (random positions, random XOR masks).
SELECT anomaly_train('big', 'tx', columns => ARRAY['amount', 'hour_of_day', 'day_of_week'],
                     algorithm => 'iforest', options => '{"n_trees": 200}') > 0 AS trained;
CREATE TABLE big AS SELECT model FROM anomaly_models WHERE name = 'big';
SELECT octet_length(model) > 300000 AS large FROM big;
SELECT setseed(0.42);
CREATE TABLE big_flips AS
  SELECT i, floor(random() * octet_length(model))::int AS off, 1 + floor(random() * 255)::int AS mask
    FROM big, generate_series(1, 10000) i;
SELECT flip_outcomes(model, ARRAY[0], ARRAY[0], ARRAY[20, 12, 3]) AS sound FROM big;
SELECT count(DISTINCT off) > 9000 AS spread FROM big_flips;
SELECT outcome, count(*)
  FROM big, LATERAL flip_outcomes(model, (SELECT array_agg(off ORDER BY i) FROM big_flips),
                                  (SELECT array_agg(mask ORDER BY i) FROM big_flips), ARRAY[20, 12, 3]) outcome
 GROUP BY outcome;

-- A model damaged in the catalog, scored by name and by id: each damaged
-- version reaches the backend's model cache and is refused.
SELECT anomaly_train('small_cat', 'small_source', algorithm => 'iforest',
                     options => '{"n_trees": 2, "sample_size": 16}') AS small_cat_id \gset
-- catalog_flip_outcomes: the outcome of scoring model_id by name (or by id)
-- after each stride-th byte of its catalog row is XORed with 0xFF
CREATE FUNCTION catalog_flip_outcomes(model_id bigint, by_name bool, stride int) RETURNS SETOF text
LANGUAGE plpgsql AS $$
DECLARE
    sound bytea := (SELECT model FROM anomaly_models WHERE id = model_id);
    model_name text := (SELECT name FROM anomaly_models WHERE id = model_id);
BEGIN
    FOR off IN 0 .. octet_length(sound) - 1 BY stride LOOP
        UPDATE anomaly_models SET model = set_byte(sound, off, get_byte(sound, off) # 255) WHERE id = model_id;
        BEGIN
            IF by_name THEN
                PERFORM anomaly_score(model_name, ARRAY[20, 12]::float8[]);
            ELSE
                PERFORM anomaly_score(model_id, ARRAY[20, 12]::float8[]);
            END IF;
            RETURN NEXT 'ok';
        EXCEPTION WHEN OTHERS THEN
            RETURN NEXT SQLSTATE;
        END;
    END LOOP;
    UPDATE anomaly_models SET model = sound WHERE id = model_id;
END
$$;
SELECT anomaly_score('small_cat', ARRAY[20, 12]::float8[]) > 0 AS sound_by_name;
SELECT 'by name' AS path, outcome, count(*) FROM catalog_flip_outcomes(:small_cat_id, true, 1) outcome GROUP BY outcome;
SELECT 'by id' AS path, outcome, count(*) FROM catalog_flip_outcomes(:small_cat_id, false, 3) outcome GROUP BY outcome;
-- restored, the model scores again through the same cache
SELECT anomaly_score('small_cat', ARRAY[20, 12]::float8[]) > 0 AS sound_by_name,
       anomaly_score(:small_cat_id::bigint, ARRAY[20, 12]::float8[]) > 0 AS sound_by_id;

DROP FUNCTION flip_outcomes, every_byte, catalog_flip_outcomes;
DROP TABLE small_source, small_models, big, big_flips;
SELECT anomaly_drop('big') + anomaly_drop('small_cat') AS dropped;
-- the same server ran every damaged model: it never restarted
SELECT started = pg_postmaster_start_time() AS same_server FROM server_start;
