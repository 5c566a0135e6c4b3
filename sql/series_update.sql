-- anomaly_ts_update keeps the states a transaction has locked in memory and
-- writes them back at commit: the results and the stored states are those of
-- stepping each state point by point with anomaly_ts_step, with savepoints,
-- exception blocks, two series, late points and a model dropped and retrained
-- inside one transaction.
CREATE TABLE readings AS
  SELECT host, timestamptz '2026-03-01 00:00+00' + i * interval '1 hour' AS ts,
         100 + 20 * sin(2 * pi() * i / 24) + 2 * sin(i * 1.3) * cos(i * 0.7) AS value
    FROM generate_series(0, 299) i, (VALUES ('a'), ('b')) v(host);
SELECT anomaly_ts_train('upd', 'readings', 'ts', 'value', ARRAY['host'], '{"learning": 100}') > 0 AS trained;

-- the states by hand: a copy of the stored ones, stepped with anomaly_ts_step
CREATE TABLE hand (series text PRIMARY KEY, last_ts timestamptz, state bytea);
INSERT INTO hand SELECT s.series, s.last_ts, s.state
  FROM anomaly_ts_state s JOIN anomaly_models m ON m.id = s.model_id WHERE m.name = 'upd';
CREATE TABLE hand_points (k int, score float8, expected float8, lower float8, upper float8, is_anomaly boolean);
-- step_by_hand(k, series, ts, value): what anomaly_ts_update should do (no gap fill: the rule is "step")
CREATE FUNCTION step_by_hand(k int, key text, at timestamptz, v float8) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
    r anomaly_ts_step;
BEGIN
    IF at <= (SELECT last_ts FROM hand WHERE series = key) THEN
        INSERT INTO hand_points VALUES (k, NULL);
        RETURN false;
    END IF;
    r := anomaly_ts_step((SELECT state FROM hand WHERE series = key), v);
    UPDATE hand SET state = r.state, last_ts = at WHERE series = key;
    INSERT INTO hand_points VALUES (k, r.score, r.expected, r.lower, r.upper, r.is_anomaly);
    RETURN true;
END $$;
-- same_as_hand(): the stored states of upd that equal the hand's, byte for byte
CREATE FUNCTION same_as_hand() RETURNS TABLE (series text, points bigint, same boolean)
LANGUAGE sql AS $$
  SELECT s.series, s.points, s.state = h.state AND s.last_ts = h.last_ts
    FROM anomaly_ts_state s JOIN anomaly_models m ON m.id = s.model_id JOIN hand h USING (series)
   WHERE m.name = 'upd' ORDER BY 1 $$;

-- 40 points of two series, interleaved, one with a spike, in one transaction
CREATE TABLE feed AS
  SELECT (row_number() OVER (ORDER BY i, host))::int AS k, host, ts, value
    FROM (SELECT host, i, timestamptz '2026-03-01 00:00+00' + i * interval '1 hour' AS ts,
                 100 + 20 * sin(2 * pi() * i / 24) + 2 * sin(i * 1.3) * cos(i * 0.7)
                   + CASE WHEN host = 'b' AND i = 310 THEN 35 ELSE 0 END AS value
            FROM generate_series(300, 319) i, (VALUES ('a'), ('b')) v(host)) x;
BEGIN;
CREATE TABLE live AS
  SELECT f.k, p.* FROM (SELECT * FROM feed ORDER BY k) f,
         LATERAL anomaly_ts_update('upd', f.host, f.ts, f.value) p;
-- inside the transaction the rows are not written yet
SELECT * FROM same_as_hand();
COMMIT;
SELECT count(*) FILTER (WHERE stepped) AS stepped_by_hand
  FROM (SELECT step_by_hand(k, host, ts, value) AS stepped FROM feed ORDER BY k) x;
SELECT count(*) AS points,
       count(*) FILTER (WHERE l.score IS DISTINCT FROM h.score OR l.expected IS DISTINCT FROM h.expected
                           OR l.lower IS DISTINCT FROM h.lower OR l.upper IS DISTINCT FROM h.upper
                           OR l.is_anomaly IS DISTINCT FROM h.is_anomaly) AS differ,
       string_agg(CASE WHEN l.is_anomaly THEN l.k::text END, ',') AS flagged
  FROM live l JOIN hand_points h USING (k);
-- written at commit: each state as stepped by hand, 20 more points each
SELECT * FROM same_as_hand();

-- late and duplicate points inside a transaction are NULL and move nothing
BEGIN;
SELECT (anomaly_ts_update('upd', 'a', '2026-03-15 01:00+00', 101)).score IS NOT NULL AS scored;
SELECT anomaly_ts_update('upd', 'a', '2026-03-15 00:00+00', 101) IS NULL AS late,
       anomaly_ts_update('upd', 'a', '2026-03-15 01:00+00', 101) IS NULL AS duplicate;
COMMIT;
SELECT step_by_hand(0, 'a', '2026-03-15 01:00+00', 101);
SELECT * FROM same_as_hand();

-- a savepoint rolled back undoes its steps; a released one keeps them;
-- a new series first locked inside a rolled-back savepoint is forgotten
BEGIN;
SELECT (anomaly_ts_update('upd', 'a', '2026-03-15 02:00+00', 102)).score IS NOT NULL AS scored;
SAVEPOINT one;
SELECT (anomaly_ts_update('upd', 'a', '2026-03-15 03:00+00', 500)).is_anomaly AS spike;
SELECT (anomaly_ts_update('upd', 'b', '2026-03-15 03:00+00', 500)).is_anomaly AS spike;
SELECT (anomaly_ts_update('upd', 'b', '2026-03-15 03:00+00', 500)) IS NULL AS duplicate;
SELECT (anomaly_ts_update('upd', 'c', '2026-03-15 03:00+00', 500)).learning AS new_series;
SAVEPOINT two;
SELECT (anomaly_ts_update('upd', 'a', '2026-03-15 04:00+00', 600)).is_anomaly AS spike;
RELEASE SAVEPOINT two;
ROLLBACK TO SAVEPOINT one;
-- 03:00 is not late: the point taken there was rolled back
SELECT (anomaly_ts_update('upd', 'a', '2026-03-15 03:00+00', 103)).score IS NOT NULL AS scored;
SAVEPOINT three;
SELECT (anomaly_ts_update('upd', 'b', '2026-03-15 03:00+00', 104)).score IS NOT NULL AS scored;
RELEASE SAVEPOINT three;
COMMIT;
SELECT step_by_hand(0, 'a', '2026-03-15 02:00+00', 102);
SELECT step_by_hand(0, 'a', '2026-03-15 03:00+00', 103);
SELECT step_by_hand(0, 'b', '2026-03-15 03:00+00', 104);
SELECT * FROM same_as_hand();
SELECT count(*) AS series_c FROM anomaly_ts_state WHERE series = 'c';

-- exception blocks: a block that fails undoes its steps, one that ends well
-- keeps them (each iteration of the loop is a subtransaction)
DO $$
BEGIN
    FOR i IN 1..3 LOOP
        BEGIN
            PERFORM anomaly_ts_update('upd', 'a', timestamptz '2026-03-16 00:00+00' + i * interval '1 hour', 100 + i);
            IF i = 2 THEN
                PERFORM anomaly_ts_update('upd', 'b', '2026-03-16 02:00+00', 900);
                RAISE EXCEPTION 'undo point %', i;
            END IF;
        EXCEPTION WHEN raise_exception THEN
            RAISE NOTICE 'caught: %', SQLERRM;
        END;
    END LOOP;
END $$;
SELECT step_by_hand(0, 'a', '2026-03-16 01:00+00', 101);
SELECT step_by_hand(0, 'a', '2026-03-16 03:00+00', 103);
SELECT * FROM same_as_hand();

-- a model dropped and retrained inside one transaction: the new version's
-- states are used, not the old version's cached one
SELECT anomaly_ts_train('again', 'readings', 'ts', 'value', ARRAY['host'], '{"learning": 100}') > 0 AS trained;
BEGIN;
CREATE TABLE first_point AS SELECT p.* FROM anomaly_ts_update('again', 'a', '2026-03-13 12:00+00', 140) p;
SELECT anomaly_drop('again');
SELECT anomaly_ts_train('again', 'readings', 'ts', 'value', ARRAY['host'], '{"learning": 100}') > 0 AS trained;
-- not late for the new version, and scored as the first point was
SELECT p.score = f.score AND p.expected = f.expected AS same_as_first
  FROM anomaly_ts_update('again', 'a', '2026-03-13 12:00+00', 140) p, first_point f;
-- retrained again without a drop: version 2 moves, version 1 stays
SELECT anomaly_ts_train('again', 'readings', 'ts', 'value', ARRAY['host'], '{"learning": 100}') > 0 AS trained;
SELECT (anomaly_ts_update('again', 'a', '2026-03-13 13:00+00', 100)).score IS NOT NULL AS scored;
COMMIT;
SELECT m.version, s.series, s.points, s.last_ts
  FROM anomaly_ts_state s JOIN anomaly_models m ON m.id = s.model_id
 WHERE m.name = 'again' ORDER BY 1, 2;

-- more series in one transaction than are kept in memory (1,000): the first
-- 1,000 are written back early and read again when touched again
CREATE TABLE many_feed AS
  SELECT r, g, timestamptz '2026-04-01 00:00+00' + r * interval '1 hour' AS ts, g + r * 0.5 AS value
    FROM generate_series(1, 3) r, generate_series(1, 1200) g;
SELECT count(p.score) AS scored
  FROM (SELECT * FROM many_feed WHERE r = 1 ORDER BY g) f,
       LATERAL anomaly_ts_update('upd', 'many' || f.g, f.ts, f.value) p;
SELECT count(p.score) AS scored
  FROM (SELECT * FROM many_feed WHERE r > 1 ORDER BY r, g) f,
       LATERAL anomaly_ts_update('upd', 'many' || f.g, f.ts, f.value) p;
SELECT count(*) AS series, sum(s.points) AS points, count(*) FILTER (WHERE s.state = h.state) AS same_as_hand
  FROM anomaly_ts_state s JOIN anomaly_models m ON m.id = s.model_id
  JOIN (SELECT 'many' || g AS series,
               (anomaly_ts_step((anomaly_ts_step((anomaly_ts_step(
                   (SELECT model FROM anomaly_models WHERE name = 'upd'), v[1])).state, v[2])).state, v[3])).state AS state
          FROM (SELECT g, array_agg(value ORDER BY r) AS v FROM many_feed GROUP BY g) x) h USING (series)
 WHERE m.name = 'upd';
SELECT anomaly_drop('again') + anomaly_drop('upd') AS dropped;

-- row-level security as before: a role that cannot see the model cannot feed
-- or see its series; a SECURITY DEFINER function feeding it for another role
-- has the state written back, at commit, as the role that locked the row
CREATE ROLE regress_ts_owner;
CREATE ROLE regress_ts_other;
GRANT SELECT ON readings TO regress_ts_owner;
GRANT CREATE ON SCHEMA public TO regress_ts_owner;
SET ROLE regress_ts_owner;
SELECT anomaly_ts_train('owned', 'readings', 'ts', 'value', ARRAY['host'], '{"learning": 100}') > 0 AS trained;
CREATE FUNCTION feed_owned(at timestamptz, v float8) RETURNS float8 LANGUAGE sql SECURITY DEFINER
    SET search_path = public AS $$ SELECT (anomaly_ts_update('owned', 'a', at, v)).score $$;
SET ROLE regress_ts_other;
SELECT anomaly_ts_update('owned', 'a', '2026-03-20 00:00+00', 100);
SELECT count(*) AS states_seen FROM anomaly_ts_state;
BEGIN;
SELECT feed_owned('2026-03-20 00:00+00', 100) IS NOT NULL AS scored;
SELECT feed_owned('2026-03-20 01:00+00', 101) IS NOT NULL AS scored;
COMMIT;
SET ROLE regress_ts_owner;
SELECT series, points, last_ts FROM anomaly_ts_state ORDER BY series;
SELECT anomaly_drop('owned');
DROP FUNCTION feed_owned(timestamptz, float8);
RESET ROLE;
REVOKE CREATE ON SCHEMA public FROM regress_ts_owner;
REVOKE SELECT ON readings FROM regress_ts_owner;
DROP ROLE regress_ts_owner, regress_ts_other;

-- errors
SELECT anomaly_ts_update(NULL, 'a', now(), 1);
DROP TABLE readings, hand, hand_points, feed, live, first_point, many_feed;
DROP FUNCTION step_by_hand(int, text, timestamptz, float8), same_as_hand();
