-- Damaged models give ERRCODE_DATA_CORRUPTED (XX001), never a crash.
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
