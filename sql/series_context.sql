-- The series method "context" (the contextual anomaly detector, after CAD
-- OSE): window functions and a stored series model, over two seeded series
-- with a season of 24 points, a spike at 400 in a and a level shift from 450
-- in b.
CREATE TABLE ctx_readings AS
  SELECT s AS sensor, timestamptz '2026-01-01' + i * interval '1 hour' AS ts,
         100 + 20 * sin(2 * pi() * i / 24) + 2 * sin(i * 1.7) * cos(i * 0.31)
           + CASE WHEN s = 'a' AND i = 400 THEN 25 ELSE 0 END
           + CASE WHEN s = 'b' AND i >= 450 THEN 15 ELSE 0 END AS value
    FROM generate_series(0, 599) i, (VALUES ('a'), ('b')) v(s);

-- scores in [0, 1], 0 while learning; the rows scoring 0.75 or more
SELECT sensor, count(*) AS n, min(score) >= 0 AND max(score) <= 1 AS in_range,
       count(*) FILTER (WHERE i < 150 AND score > 0) AS scored_in_learning,
       array_agg(i ORDER BY i) FILTER (WHERE score >= 0.75) AS high
  FROM (SELECT sensor, (extract(epoch FROM ts - '2026-01-01') / 3600)::int AS i,
               anomaly_ts_score(value, '{"method": "context", "learning": 150}')
                 OVER (PARTITION BY sensor ORDER BY ts) AS score
          FROM ctx_readings) r
 GROUP BY sensor ORDER BY sensor;

-- detect: the band comes from the seasonal baseline, the score from the
-- contexts; the flagged rows (at 0.75): the spike's return (401), the shift
-- (453), and troughs a little below the learning period's range (162, 306,
-- ...), each a level the contexts never saw; and the shifted wave's first
-- peaks above every value before them (458, 460: the novelty rule, 0.995)
SELECT sensor, (extract(epoch FROM ts - '2026-01-01') / 3600)::int AS i, round(value::numeric, 2) AS value,
       round((d).expected::numeric, 2) AS expected, round((d).score::numeric, 3) AS score,
       (d).severity, (d).direction, (d).season
  FROM (SELECT sensor, ts, value,
               anomaly_ts_detect(value, '{"method": "context", "learning": 150}')
                 OVER (PARTITION BY sensor ORDER BY ts) AS d
          FROM ctx_readings) r
 WHERE (d).is_anomaly
 ORDER BY sensor, ts LIMIT 12;

-- causal: a prefix scores as the whole does
SELECT count(*) AS rows_compared, count(*) FILTER (WHERE p.score IS DISTINCT FROM f.score) AS differ
  FROM (SELECT sensor, ts, anomaly_ts_score(value, '{"method": "context"}') OVER w AS score
          FROM ctx_readings WHERE ts < '2026-01-01'::timestamptz + interval '420 hours'
        WINDOW w AS (PARTITION BY sensor ORDER BY ts)) p
  JOIN (SELECT sensor, ts, anomaly_ts_score(value, '{"method": "context"}') OVER w AS score
          FROM ctx_readings WINDOW w AS (PARTITION BY sensor ORDER BY ts)) f USING (sensor, ts);

-- a stored model of the method: trained on the first 500 points of each
-- series; its state, carried on by anomaly_ts_update over the last 100,
-- gives the window function's scores (the contexts' bytes round-trip)
CREATE TABLE ctx_train AS SELECT * FROM ctx_readings WHERE ts < '2026-01-01'::timestamptz + interval '500 hours';
SELECT anomaly_ts_train('ctx_model', 'ctx_train', 'ts', 'value', ARRAY['sensor'],
                        '{"method": "context", "learning": 150}') > 0 AS trained;
SELECT metrics FROM anomaly_models WHERE name = 'ctx_model';
CREATE TABLE ctx_live AS
  SELECT m.sensor, m.ts, p.* FROM (SELECT * FROM ctx_readings
                                    WHERE ts >= '2026-01-01'::timestamptz + interval '500 hours'
                                    ORDER BY sensor, ts) m,
         LATERAL anomaly_ts_update('ctx_model', m.sensor, m.ts, m.value) p;
SELECT l.sensor, count(*) AS points,
       count(*) FILTER (WHERE l.score IS DISTINCT FROM w.score) AS differ
  FROM ctx_live l
  JOIN (SELECT sensor, ts, anomaly_ts_score(value, '{"method": "context", "learning": 150}')
                 OVER (PARTITION BY sensor ORDER BY ts) AS score FROM ctx_readings) w USING (sensor, ts)
 GROUP BY l.sensor ORDER BY l.sensor;

-- a bad method name says which exist
SELECT anomaly_ts_score(1.0, '{"method": "cad"}') OVER ();
