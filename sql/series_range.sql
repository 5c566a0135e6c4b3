-- The series option "range" of the methods context and auto: the value
-- range their quantizer uses (auto's sequence part), given instead of learnt
-- from the learning period.  Two
-- seeded series with a season of 24 points whose troughs, after the learning
-- period, reach a little below the learning period's lowest value; a spike
-- at 400 in a.
CREATE TABLE rng_readings AS
  SELECT s AS sensor, timestamptz '2026-01-01' + i * interval '1 hour' AS ts,
         i,
         100 + 20 * sin(2 * pi() * i / 24) + 2 * sin(i * 1.7) * cos(i * 0.31)
           + CASE WHEN s = 'a' AND i = 400 THEN 25 ELSE 0 END AS value
    FROM generate_series(0, 599) i, (VALUES ('a'), ('b')) v(s);

-- the learning period's range and the whole series' range differ
SELECT sensor, round(min(value) FILTER (WHERE i < 150)::numeric, 3) AS learnt_lo,
       round(max(value) FILTER (WHERE i < 150)::numeric, 3) AS learnt_hi,
       round(min(value)::numeric, 3) AS lo, round(max(value)::numeric, 3) AS hi
  FROM rng_readings GROUP BY sensor ORDER BY sensor;

-- the rows scoring 0.75 or more: with the learnt range the troughs below it
-- score high; with the range [70, 130] given (wider than any value) they
-- are levels the contexts know, and only the spike scores high
SELECT sensor, 'learnt' AS range_from,
       array_agg(i ORDER BY i) FILTER (WHERE score >= 0.75) AS high
  FROM (SELECT sensor, i, anomaly_ts_score(value, '{"method": "context", "learning": 150}')
                            OVER (PARTITION BY sensor ORDER BY ts) AS score
          FROM rng_readings) r GROUP BY sensor
UNION ALL
SELECT sensor, 'given [70, 130]',
       array_agg(i ORDER BY i) FILTER (WHERE score >= 0.75)
  FROM (SELECT sensor, i,
               anomaly_ts_score(value, '{"method": "context", "learning": 150, "range": [70, 130]}')
                 OVER (PARTITION BY sensor ORDER BY ts) AS score
          FROM rng_readings) r GROUP BY sensor
 ORDER BY 1, 2;

-- given exactly the range the learning period learns, every row scores as
-- with the learnt range (the same levels, of CAD OSE's width (hi - lo) / 7,
-- from the first row on); given another range, the scores differ
WITH learnt AS (
  SELECT sensor, min(value) AS lo, max(value) AS hi FROM rng_readings WHERE i < 150 GROUP BY sensor),
moved AS (
  SELECT d.sensor, d.ts, d.value - l.lo AS value, l.hi - l.lo AS hi
    FROM rng_readings d JOIN learnt l USING (sensor))
SELECT r.sensor, count(*) AS n,
       count(*) FILTER (WHERE r.learnt_score IS DISTINCT FROM r.same_score) AS differ_same,
       count(*) FILTER (WHERE r.learnt_score IS DISTINCT FROM r.wide_score) AS differ_wide
  FROM (SELECT sensor,
               anomaly_ts_score(value, '{"method": "context", "learning": 150}') OVER w AS learnt_score,
               anomaly_ts_score(value, jsonb_build_object('method', 'context', 'learning', 150,
                                                          'range', jsonb_build_array(0, hi))) OVER w AS same_score,
               anomaly_ts_score(value, '{"method": "context", "learning": 150, "range": [-30, 30]}') OVER w AS wide_score
          FROM moved WINDOW w AS (PARTITION BY sensor ORDER BY ts)) r
 GROUP BY r.sensor ORDER BY r.sensor;

-- the timed form takes it too, and scores as the untimed one without gaps
SELECT count(*) FILTER (WHERE a IS DISTINCT FROM b) AS differ
  FROM (SELECT anomaly_ts_score(value, '{"method": "context", "range": [70, 130]}') OVER w AS a,
               anomaly_ts_score(ts, value, '{"method": "context", "range": [70, 130]}') OVER w AS b
          FROM rng_readings WINDOW w AS (PARTITION BY sensor ORDER BY ts)) r;

-- a stored model keeps the range: trained on the first 500 points of each
-- series, its state carried on by anomaly_ts_update over the last 100
-- scores each as the window function does over all 600
CREATE TABLE rng_train AS SELECT * FROM rng_readings WHERE i < 500;
SELECT anomaly_ts_train('rng_model', 'rng_train', 'ts', 'value', ARRAY['sensor'],
                        '{"method": "context", "learning": 150, "range": [70, 130]}') > 0 AS trained;
SELECT params->'range' AS range, metrics FROM anomaly_models WHERE name = 'rng_model';
CREATE TABLE rng_live AS
  SELECT m.sensor, m.ts, p.* FROM (SELECT * FROM rng_readings WHERE i >= 500 ORDER BY sensor, ts) m,
         LATERAL anomaly_ts_update('rng_model', m.sensor, m.ts, m.value) p;
SELECT l.sensor, count(*) AS points,
       count(*) FILTER (WHERE l.score IS DISTINCT FROM (w.d).score
                           OR l.expected IS DISTINCT FROM (w.d).expected) AS differ
  FROM rng_live l
  JOIN (SELECT sensor, ts,
               anomaly_ts_detect(value, '{"method": "context", "learning": 150, "range": [70, 130]}')
                 OVER (PARTITION BY sensor ORDER BY ts) AS d FROM rng_readings) w USING (sensor, ts)
 GROUP BY l.sensor ORDER BY l.sensor;

-- the state bytes: format 2 (bytes 9 and 10, little-endian) with a range,
-- format 1 without, as every state written before the option
SELECT get_byte(anomaly_ts_new('{"method": "context", "range": [0, 100]}'), 8) AS with_range,
       get_byte(anomaly_ts_new('{"method": "context"}'), 8) AS without_range,
       get_byte(anomaly_ts_new('{}'), 8) AS auto_default;
SELECT get_byte(state, 8) AS stored_format, count(*)
  FROM anomaly_ts_state s JOIN anomaly_models m ON m.id = s.model_id
 WHERE m.name = 'rng_model' GROUP BY 1;

-- auto: given exactly the range the learning period learns, every row
-- scores as with the learnt range (the learning values are quantized over
-- it at the end of learning, as over the learnt one); given another
-- range, the scores differ; the spike still scores highest in a
WITH learnt AS (
  SELECT sensor, min(value) AS lo, max(value) AS hi FROM rng_readings WHERE i < 150 GROUP BY sensor),
moved AS (
  SELECT d.sensor, d.ts, d.i, d.value - l.lo AS value, l.hi - l.lo AS hi
    FROM rng_readings d JOIN learnt l USING (sensor))
SELECT r.sensor, count(*) AS n,
       count(*) FILTER (WHERE r.learnt_score IS DISTINCT FROM r.same_score) AS differ_same,
       count(*) FILTER (WHERE r.learnt_score IS DISTINCT FROM r.wide_score) AS differ_wide,
       (array_agg(i ORDER BY wide_score DESC, i))[1] AS highest_given_wide
  FROM (SELECT sensor, i,
               anomaly_ts_score(value, '{"learning": 150}') OVER w AS learnt_score,
               anomaly_ts_score(value, jsonb_build_object('learning', 150,
                                                          'range', jsonb_build_array(0, hi))) OVER w AS same_score,
               anomaly_ts_score(value, '{"learning": 150, "range": [-30, 60]}') OVER w AS wide_score
          FROM moved WINDOW w AS (PARTITION BY sensor ORDER BY ts)) r
 GROUP BY r.sensor ORDER BY r.sensor;

-- an auto model keeps its range through its stored state (format 2), and
-- carries on as the window function scores
SELECT anomaly_ts_train('rng_auto', 'rng_train', 'ts', 'value', ARRAY['sensor'],
                        '{"learning": 150, "range": [70, 130]}') > 0 AS trained;
SELECT get_byte(state, 8) AS stored_format, count(*)
  FROM anomaly_ts_state s JOIN anomaly_models m ON m.id = s.model_id
 WHERE m.name = 'rng_auto' GROUP BY 1;
SELECT count(*) AS points,
       count(*) FILTER (WHERE l.score IS DISTINCT FROM (w.d).score) AS differ
  FROM (SELECT m.sensor, m.ts, p.* FROM (SELECT * FROM rng_readings WHERE i >= 500 ORDER BY sensor, ts) m,
               LATERAL anomaly_ts_update('rng_auto', m.sensor, m.ts, m.value) p) l
  JOIN (SELECT sensor, ts,
               anomaly_ts_detect(value, '{"learning": 150, "range": [70, 130]}')
                 OVER (PARTITION BY sensor ORDER BY ts) AS d FROM rng_readings) w USING (sensor, ts);
SELECT anomaly_drop('rng_auto');

-- every bad form is an error with a hint
SELECT anomaly_ts_score(1.0, '{"method": "band", "range": [0, 100]}') OVER ();
SELECT anomaly_ts_score(1.0, '{"method": "mad", "range": [0, 100]}') OVER ();
SELECT anomaly_ts_score(1.0, '{"method": "context", "range": "0..100"}') OVER ();
SELECT anomaly_ts_score(1.0, '{"method": "context", "range": 100}') OVER ();
SELECT anomaly_ts_score(1.0, '{"method": "context", "range": {"lo": 0, "hi": 100}}') OVER ();
SELECT anomaly_ts_score(1.0, '{"method": "context", "range": [100]}') OVER ();
SELECT anomaly_ts_score(1.0, '{"method": "context", "range": [0, 50, 100]}') OVER ();
SELECT anomaly_ts_score(1.0, '{"method": "context", "range": ["0", 100]}') OVER ();
SELECT anomaly_ts_score(1.0, '{"method": "context", "range": [0, null]}') OVER ();
SELECT anomaly_ts_score(1.0, '{"method": "context", "range": [100, 0]}') OVER ();
SELECT anomaly_ts_score(1.0, '{"method": "context", "range": [5, 5]}') OVER ();
SELECT anomaly_ts_score(1.0, '{"method": "context", "range": [0, 1e400]}') OVER ();
SELECT anomaly_ts_score(1.0, '{"method": "context", "range": [-1e400, 0]}') OVER ();
SELECT anomaly_ts_score(1.0, '{"method": "context", "range": [0, 5e-324]}') OVER ();
SELECT anomaly_ts_score(1.0, '{"method": "context", "range": null}') OVER ();
SELECT anomaly_ts_new('{"method": "band", "range": [0, 100]}');
SELECT anomaly_ts_train('rng_bad', 'rng_train', 'ts', 'value', ARRAY['sensor'],
                        '{"method": "context", "range": [100, 0]}');
SELECT count(*) AS bad_versions FROM anomaly_models WHERE name = 'rng_bad';
