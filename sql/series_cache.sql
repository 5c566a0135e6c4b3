-- anomaly_ts_update keeps the states this backend committed and takes them
-- again in the next transaction when the locked row is the version it wrote
-- (src/series_cache.c): one point per transaction scores and stores what
-- stepping the states by hand with anomaly_ts_step does, also when the row
-- was changed behind its back, after a rollback, a savepoint, for the
-- context method, and with more series than are kept.
CREATE TABLE readings AS
  SELECT host, timestamptz '2026-03-01 00:00+00' + i * interval '1 hour' AS ts,
         100 + 20 * sin(2 * pi() * i / 24) + 2 * sin(i * 1.3) * cos(i * 0.7) AS value
    FROM generate_series(0, 299) i, (VALUES ('a'), ('b')) v(host);
SELECT anomaly_ts_train('kept', 'readings', 'ts', 'value', ARRAY['host'], '{"learning": 100}') > 0 AS trained;
SELECT anomaly_ts_train('kept_context', 'readings', 'ts', 'value', ARRAY['host'],
                        '{"learning": 100, "method": "context"}') > 0 AS trained;

-- the states by hand: copies of the stored ones, stepped with anomaly_ts_step
CREATE TABLE hand (model text, series text, state bytea, PRIMARY KEY (model, series));
INSERT INTO hand SELECT m.name, s.series, s.state
  FROM anomaly_ts_state s JOIN anomaly_models m ON m.id = s.model_id;
CREATE TABLE live (model text, k int, score float8, expected float8, upper float8);
CREATE TABLE by_hand (model text, k int, score float8, expected float8, upper float8);
-- step_by_hand(model, k, series, value): what anomaly_ts_update should do
CREATE FUNCTION step_by_hand(mod text, k int, key text, v float8) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    r anomaly_ts_step;
BEGIN
    r := anomaly_ts_step((SELECT state FROM hand WHERE model = mod AND series = key), v);
    UPDATE hand SET state = r.state WHERE model = mod AND series = key;
    INSERT INTO by_hand VALUES (mod, k, r.score, r.expected, r.upper);
END $$;
-- compared(): points fed and stepped by hand, and how many differ, per model;
-- the stored states that equal the hand's
CREATE FUNCTION compared() RETURNS TABLE (model text, points bigint, differ bigint, states bigint, same bigint)
LANGUAGE sql AS $$
  SELECT l.model, count(*),
         count(*) FILTER (WHERE l.score IS DISTINCT FROM h.score OR l.expected IS DISTINCT FROM h.expected
                             OR l.upper IS DISTINCT FROM h.upper),
         (SELECT count(*) FROM hand WHERE hand.model = l.model),
         (SELECT count(*) FROM anomaly_ts_state s JOIN anomaly_models m ON m.id = s.model_id
                 JOIN hand ON hand.model = m.name AND hand.series = s.series
           WHERE m.name = l.model AND s.state = hand.state)
    FROM live l JOIN by_hand h USING (model, k) GROUP BY l.model ORDER BY 1 $$;
-- feed_statements(model, first, last): one statement, so one transaction, per point k
-- of first..last (series a and b in turn, hourly after the training data), run
-- by \gexec with ECHO off
CREATE FUNCTION feed_statements(mod text, first int, last int) RETURNS SETOF text LANGUAGE sql AS $$
  SELECT format($f$INSERT INTO live SELECT %L, %s, p.score, p.expected, p.upper
                      FROM anomaly_ts_update(%L, %L, %L, %s) p$f$,
                mod, k, mod, CASE WHEN k % 2 = 0 THEN 'a' ELSE 'b' END,
                timestamptz '2026-03-13 12:00+00' + (k / 2) * interval '1 hour',
                100 + 20 * sin(2 * pi() * (k / 2) / 24) + CASE WHEN k = 41 THEN 30 ELSE 0 END)
    FROM generate_series(first, last) k ORDER BY k $$;
-- hand(model, first, last): the same points stepped by hand
CREATE FUNCTION hand(mod text, first int, last int) RETURNS bigint LANGUAGE sql AS $$
  SELECT count(step_by_hand(mod, k, CASE WHEN k % 2 = 0 THEN 'a' ELSE 'b' END,
                            100 + 20 * sin(2 * pi() * (k / 2) / 24) + CASE WHEN k = 41 THEN 30 ELSE 0 END))
    FROM (SELECT k FROM generate_series(first, last) k ORDER BY k) x $$;

-- 60 points, each its own transaction, for both models
\set ECHO none
SELECT feed_statements('kept', 0, 59) UNION ALL SELECT feed_statements('kept_context', 0, 59) \gexec
\set ECHO all
SELECT hand('kept', 0, 59) + hand('kept_context', 0, 59) AS stepped_by_hand;
SELECT * FROM compared();
SELECT count(*) FILTER (WHERE score > 0.9) AS spikes_flagged FROM live WHERE k = 41;

-- the row changed behind the backend's back (another session would write a
-- new version): series a is put back 10 points by a direct UPDATE with the
-- same points count, and the next points continue from that state, not from
-- the one kept
CREATE TABLE older AS SELECT state FROM anomaly_ts_state s JOIN anomaly_models m ON m.id = s.model_id
  WHERE m.name = 'kept' AND s.series = 'a';
\set ECHO none
SELECT feed_statements('kept', 60, 79) \gexec
\set ECHO all
SELECT hand('kept', 60, 79) AS stepped_by_hand;
UPDATE anomaly_ts_state s SET state = o.state FROM older o, anomaly_models m
 WHERE m.id = s.model_id AND m.name = 'kept' AND s.series = 'a';
UPDATE hand SET state = (SELECT state FROM older) WHERE model = 'kept' AND series = 'a';
\set ECHO none
SELECT feed_statements('kept', 80, 89) \gexec
\set ECHO all
SELECT hand('kept', 80, 89) AS stepped_by_hand;
SELECT * FROM compared() WHERE model = 'kept';

-- a transaction rolled back, a savepoint rolled back and one kept: the next
-- points continue from what was committed
BEGIN;
SELECT (anomaly_ts_update('kept', 'a', '2026-03-20 00:00+00', 500)).score IS NOT NULL AS scored_then_rolled_back;
ROLLBACK;
BEGIN;
SAVEPOINT s1;
SELECT (anomaly_ts_update('kept', 'b', '2026-03-20 00:00+00', 500)).score IS NOT NULL AS scored_then_rolled_back;
ROLLBACK TO SAVEPOINT s1;
COMMIT;
\set ECHO none
SELECT feed_statements('kept', 90, 99) \gexec
\set ECHO all
SELECT hand('kept', 90, 99) AS stepped_by_hand;
BEGIN;
SAVEPOINT s2;
\set ECHO none
SELECT feed_statements('kept', 100, 101) \gexec
\set ECHO all
RELEASE SAVEPOINT s2;
COMMIT;
SELECT hand('kept', 100, 101) AS stepped_by_hand;
\set ECHO none
SELECT feed_statements('kept', 102, 109) \gexec
\set ECHO all
SELECT hand('kept', 102, 109) AS stepped_by_hand;
SELECT * FROM compared() WHERE model = 'kept';

-- more series than a backend keeps (128): 200 series fed in turn, one point
-- per transaction, three rounds; each state as stepped by hand
CREATE TABLE many_live (g int, r int, score float8);
\set ECHO none
SELECT format('INSERT INTO many_live SELECT %s, %s, p.score FROM anomaly_ts_update(%L, %L, %L, %s) p',
              g, r, 'kept', 'many' || g, timestamptz '2026-04-01 00:00+00' + r * interval '1 hour', g + r * 0.5)
  FROM generate_series(1, 3) r, generate_series(1, 200) g ORDER BY r, g \gexec
\set ECHO all
SELECT count(*) AS series, sum(s.points) AS points, count(*) FILTER (WHERE s.state = h.state) AS same_as_hand
  FROM anomaly_ts_state s JOIN anomaly_models m ON m.id = s.model_id
  JOIN (SELECT 'many' || g AS series,
               (anomaly_ts_step((anomaly_ts_step((anomaly_ts_step(
                   (SELECT model FROM anomaly_models WHERE name = 'kept'), g + 0.5)).state, g + 1.0)).state, g + 1.5)).state AS state
          FROM generate_series(1, 200) g) h USING (series)
 WHERE m.name = 'kept';
SELECT count(*) AS points, count(score) AS scored FROM many_live;

SELECT anomaly_drop('kept') + anomaly_drop('kept_context') AS dropped;
DROP TABLE readings, hand, live, by_hand, older, many_live;
DROP FUNCTION step_by_hand(text, int, text, float8), compared(), feed_statements(text, int, int),
              hand(text, int, int);
