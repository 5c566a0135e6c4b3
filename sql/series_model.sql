-- Stored series models: anomaly_ts_train (one state per series, the
-- anomalies inside the training data counted) and anomaly_ts_update.
CREATE TABLE metrics AS
  SELECT host, timestamptz '2026-01-01' + i * interval '1 hour' AS ts,
         100 + 20 * sin(2 * pi() * i / 24) + 2 * sin(i * 1.7) * cos(i * 0.31)
           + CASE WHEN host = 'web-1' AND i = 300 THEN 30 ELSE 0 END AS value
    FROM generate_series(0, 399) i, (VALUES ('web-1'), ('web-2')) v(host);

SELECT anomaly_ts_train('latency', 'metrics', 'ts', 'value', ARRAY['host'],
                        '{"learning": 100}') > 0 AS trained;
SELECT name, version, algorithm, train_rows, metrics, threshold,
       params - 'series' AS params, params->'series' AS series
  FROM anomaly_models WHERE name = 'latency';
SELECT series, last_ts, points, octet_length(state) > 0 AS has_state
  FROM anomaly_ts_state s JOIN anomaly_models m ON m.id = s.model_id
 WHERE m.name = 'latency' ORDER BY series;

-- the stored state continues exactly as the window function would have:
-- feed 10 more points to web-2 and compare with scoring all 410 in a window
CREATE TABLE more AS
  SELECT 'web-2'::text AS host, timestamptz '2026-01-01' + i * interval '1 hour' AS ts,
         100 + 20 * sin(2 * pi() * i / 24) + 2 * sin(i * 1.7) * cos(i * 0.31)
           + CASE WHEN i = 405 THEN -40 ELSE 0 END AS value
    FROM generate_series(400, 409) i;
-- (LATERAL calls the function once a row; (f(...)).* would call it per column)
CREATE TABLE live AS
  SELECT m.ts, p.* FROM (SELECT * FROM more ORDER BY ts) m,
         LATERAL anomaly_ts_update('latency', m.host, m.ts, m.value) p;
SELECT count(*) AS points,
       count(*) FILTER (WHERE l.score IS DISTINCT FROM (w.d).score
                           OR l.expected IS DISTINCT FROM (w.d).expected) AS differ,
       string_agg(CASE WHEN l.is_anomaly THEN to_char(l.ts, 'HH24') || ' ' || l.direction END, ',') AS flagged
  FROM live l
  JOIN (SELECT ts, anomaly_ts_detect(value, '{"learning": 100}') OVER (ORDER BY ts) AS d
          FROM (SELECT ts, value FROM metrics WHERE host = 'web-2' UNION ALL
                SELECT ts, value FROM more) a) w USING (ts);

-- late and duplicate points are not scored and leave the state alone
SELECT anomaly_ts_update('latency', 'web-2', '2026-01-01', 100) IS NULL AS late;
SELECT (anomaly_ts_update('latency', 'web-2', '2026-01-17 17:00+00', 100)) IS NULL AS duplicate;
-- NULL and NaN values move the clock, not the state
SELECT (p).score, (p).expected IS NOT NULL AS has_expected
  FROM (SELECT anomaly_ts_update('latency', 'web-2', '2026-01-17 18:00+00', NULL) AS p) x;
SELECT (p).score FROM (SELECT anomaly_ts_update('latency', 'web-2', '2026-01-17 19:00+00', 'NaN') AS p) x;
-- a new series starts fresh and learns
SELECT (p).learning, (p).score, (p).expected
  FROM (SELECT anomaly_ts_update('latency', 'web-3', now(), 5) AS p) x;
SELECT series, points FROM anomaly_ts_state s JOIN anomaly_models m ON m.id = s.model_id
 WHERE m.name = 'latency' ORDER BY series;

-- from a row trigger
CREATE TABLE ts_incoming (host text, ts timestamptz, value float8, score float8);
CREATE FUNCTION score_ts_incoming() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.score := (anomaly_ts_update('latency', NEW.host, NEW.ts, NEW.value)).score;
    RETURN NEW;
END $$;
CREATE TRIGGER score_ts_incoming BEFORE INSERT ON ts_incoming FOR EACH ROW EXECUTE FUNCTION score_ts_incoming();
INSERT INTO ts_incoming VALUES ('web-1', '2026-01-17 16:00', 83), ('web-1', '2026-01-17 17:00', 400);
SELECT host, ts, value, round(score::numeric, 3) AS score FROM ts_incoming ORDER BY ts;

-- a second training is a new version; dropping the model drops its states
SELECT anomaly_ts_train('latency', 'metrics', 'ts', 'value') > 0 AS trained_again;
SELECT version, metrics->'series' AS series FROM anomaly_models WHERE name = 'latency' ORDER BY version;
CREATE TEMP TABLE latency_ids AS SELECT id FROM anomaly_models WHERE name = 'latency';
SELECT count(*) AS states_before FROM anomaly_ts_state WHERE model_id IN (SELECT id FROM latency_ids);
SELECT anomaly_drop('latency');
SELECT count(*) AS states_left FROM anomaly_ts_state WHERE model_id IN (SELECT id FROM latency_ids);

-- the gap rule: the next point of web-2 comes 12 hours after its last one;
-- "fill" fills the 11 missing hours and keeps the season's phase, the default
-- "step" takes the gap as one step and is out of phase
SELECT g, anomaly_ts_train('gaps_' || g, 'metrics', 'ts', 'value', ARRAY['host'],
                           jsonb_build_object('learning', 100, 'gap', g)) > 0 AS trained
  FROM (VALUES ('fill'), ('step')) v(g);
SELECT m.name, m.params->>'gap' AS gap, s.series, s.step
  FROM anomaly_ts_state s JOIN anomaly_models m ON m.id = s.model_id
 WHERE m.name LIKE 'gaps\_%' ORDER BY 1, 3;
SELECT g, round((p).expected::numeric, 2) AS expected, round((p).score::numeric, 3) AS score,
       (p).is_anomaly
  FROM (VALUES ('fill'), ('step')) v(g),
       LATERAL (SELECT anomaly_ts_update('gaps_' || g, 'web-2',
                                         timestamptz '2026-01-01' + 411 * interval '1 hour',
                                         100 + 20 * sin(2 * pi() * 411 / 24)
                                           + 2 * sin(411 * 1.7) * cos(411 * 0.31)) AS p) u
 ORDER BY g;
-- a query is a source too (as anomaly_train takes one): the same rows as a
-- query train the same states as the table
SELECT anomaly_ts_train('latency_q', 'SELECT host AS h, ts AS t, value AS v FROM metrics;',
                        't', 'v', ARRAY['h'], '{"learning": 100}') > 0 AS trained;
SELECT m.source, m.train_rows, m.metrics FROM anomaly_models m WHERE m.name = 'latency_q';
SELECT anomaly_ts_train('latency_t', 'metrics', 'ts', 'value', ARRAY['host'],
                        '{"learning": 100}') > 0 AS trained;
SELECT count(*) AS states, count(*) FILTER (WHERE q.state = t.state AND q.last_ts = t.last_ts) AS equal
  FROM anomaly_ts_state q JOIN anomaly_models mq ON mq.id = q.model_id AND mq.name = 'latency_q'
  JOIN anomaly_ts_state t ON t.series = q.series
  JOIN anomaly_models mt ON mt.id = t.model_id AND mt.name = 'latency_t';
SELECT anomaly_drop('latency_q') + anomaly_drop('latency_t') AS dropped;
-- a name or a query is read with the caller's search_path, which stays as it was
CREATE SCHEMA ts_elsewhere;
CREATE TABLE ts_elsewhere.readings AS SELECT * FROM metrics WHERE host = 'web-1';
SET search_path = ts_elsewhere, public;
SELECT anomaly_ts_train('elsewhere', 'readings', 'ts', 'value') > 0 AS by_name,
       anomaly_ts_train('elsewhere', 'TABLE readings', 'ts', 'value') > 0 AS by_query;
SHOW search_path;
RESET search_path;
SELECT version, source, train_rows FROM anomaly_models WHERE name = 'elsewhere' ORDER BY version;
SELECT anomaly_drop('elsewhere');
DROP SCHEMA ts_elsewhere CASCADE;
SELECT anomaly_drop('gaps_fill') + anomaly_drop('gaps_step') AS dropped;

-- errors
SELECT anomaly_ts_train('bad', 'metrics', 'ts', 'value', NULL, '{"gap": "interpolate"}');
SELECT anomaly_ts_score(1.0, '{"gap": "fill"}') OVER ();
SELECT anomaly_ts_step(anomaly_ts_new('{}'), 1, -1);
SELECT anomaly_ts_train('bad', 'no_such_table', 'ts', 'value');
SELECT anomaly_ts_train('bad', 'metrics', 'host', 'value');
SELECT anomaly_ts_train('bad', 'metrics', 'ts', 'host');
SELECT anomaly_ts_train('bad', 'metrics', 'ts', 'value', ARRAY['nope']);
SELECT anomaly_ts_train('bad', 'metrics', 'ts', 'value', NULL, '{"season": 1}');
SELECT anomaly_ts_train('bad', 'metrics', NULL, 'value');
SELECT anomaly_ts_train('bad', NULL, 'ts', 'value');
SELECT anomaly_ts_train('bad', 'SELECT host AS t, value FROM metrics', 't', 'value');
SELECT anomaly_ts_train('bad', 'WITH x AS (SELECT * FROM metrics) SELECT * FROM x', 'time', 'value');
SELECT anomaly_ts_train('bad', 'SELECT * FROM metrics', 'ts', 'value', ARRAY['host', 'nope']);
SELECT anomaly_ts_train('bad', 'SELECT FROM no_such_table', 'ts', 'value');
SELECT anomaly_ts_train('bad', 'SELECT * FROM metrics WHERE false', 'ts', 'value');
CREATE TABLE empty_metrics (ts timestamptz, value float8);
SELECT anomaly_ts_train('bad', 'empty_metrics', 'ts', 'value');
SELECT anomaly_ts_update('no_such_model', 'x', now(), 1);
SELECT anomaly_ts_update('latency', 'x', NULL, 1);
-- a damaged state is refused, never used
SELECT anomaly_ts_step(decode('00', 'hex'), 1);
SELECT anomaly_ts_step(NULL, 1);
SELECT (anomaly_ts_step(set_byte(s, 40, get_byte(s, 40) # 1), 1)).score
  FROM (SELECT anomaly_ts_new('{}') AS s) x;
SELECT octet_length(s) AS bytes, (anomaly_ts_step(s, 1)).expected
  FROM (SELECT anomaly_ts_new('{}') AS s) x;
DROP TABLE metrics, more, live, ts_incoming, empty_metrics;
DROP FUNCTION score_ts_incoming();
