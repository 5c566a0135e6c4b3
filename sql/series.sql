-- Time series: the causal window functions anomaly_ts_score and
-- anomaly_ts_detect over two seeded series with a season of 24 points.
CREATE TABLE readings AS
  SELECT s AS sensor, timestamptz '2026-01-01' + i * interval '1 hour' AS ts,
         100 + 20 * sin(2 * pi() * i / 24) + 2 * sin(i * 1.7) * cos(i * 0.31)
           + CASE WHEN s = 'a' AND i = 400 THEN 25 ELSE 0 END
           + CASE WHEN s = 'b' AND i >= 450 THEN 15 ELSE 0 END AS value
    FROM generate_series(0, 599) i, (VALUES ('a'), ('b')) v(s);

-- scores are in [0, 1], learning rows score 0, the spike and the shift lead
SELECT sensor, count(*) AS n, min(score) >= 0 AND max(score) <= 1 AS in_range,
       count(*) FILTER (WHERE ts < '2026-01-01'::timestamptz + interval '100 hours' AND score > 0) AS scored_in_learning
  FROM (SELECT sensor, ts, anomaly_ts_score(value) OVER (PARTITION BY sensor ORDER BY ts) AS score
          FROM readings) r
 GROUP BY sensor ORDER BY sensor;

-- what detect says about the flagged rows: the spike at 400 in a, the level
-- shift from 450 in b (the season of 24 is found at the end of learning);
-- within the shift's quiet period a score is halved, except a value above
-- every earlier one (458, 460: the novelty rule is never halved).  The
-- score is the mean of the likelihood's and the sequence part's, so a
-- level that followed none of the runs of levels before it in the short
-- learning period (202 in both) scores just above 0.5
-- although it lies near the expected value
SELECT sensor, (extract(epoch FROM ts - '2026-01-01') / 3600)::int AS i, round(value::numeric, 2) AS value,
       round((d).expected::numeric, 2) AS expected, round((d).lower::numeric, 2) AS lower,
       round((d).upper::numeric, 2) AS upper, round((d).score::numeric, 3) AS score,
       (d).severity, (d).direction, (d).season
  FROM (SELECT sensor, ts, value, anomaly_ts_detect(value) OVER (PARTITION BY sensor ORDER BY ts) AS d
          FROM readings) r
 WHERE (d).is_anomaly
 ORDER BY sensor, ts LIMIT 12;

-- causal: scoring a prefix gives the same scores as scoring everything, and
-- a frame clause changes nothing
SELECT count(*) AS rows_compared,
       count(*) FILTER (WHERE p.score IS DISTINCT FROM f.score) AS differ,
       count(*) FILTER (WHERE f.score IS DISTINCT FROM g.score) AS differ_framed
  FROM (SELECT sensor, ts, anomaly_ts_score(value) OVER w AS score
          FROM readings WHERE ts < '2026-01-01'::timestamptz + interval '420 hours'
        WINDOW w AS (PARTITION BY sensor ORDER BY ts)) p
  JOIN (SELECT sensor, ts, anomaly_ts_score(value) OVER w AS score
          FROM readings WINDOW w AS (PARTITION BY sensor ORDER BY ts)) f USING (sensor, ts)
  JOIN (SELECT sensor, ts, anomaly_ts_score(value) OVER w AS score
          FROM readings WINDOW w AS (PARTITION BY sensor ORDER BY ts
                                     ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING)) g
       USING (sensor, ts);

-- each method and option: how many rows each flags in each series
SELECT o.options, r.sensor, count(*) FILTER (WHERE (d).is_anomaly) AS flagged,
       max((d).season) AS season
  FROM (VALUES ('{}'), ('{"method": "band"}'), ('{"method": "mad", "window": 30}'),
               ('{"season": "none"}'), ('{"season": 24, "learning": 48}'),
               ('{"sensitivity": 0.9}'), ('{"suppress_k": 3, "suppress_n": 5}'),
               ('{"method": "band", "margin": 100}')) o(options),
       LATERAL (SELECT sensor, anomaly_ts_detect(value, o.options::jsonb)
                       OVER (PARTITION BY sensor ORDER BY ts) AS d FROM readings) r
 GROUP BY o.options, r.sensor ORDER BY o.options, r.sensor;

-- bad values: NULL, NaN and infinities get no score and leave the state
-- alone; the expectation is still given
SELECT i, v, anomaly_ts_score(v, '{"learning": 2}') OVER w AS score,
       (anomaly_ts_detect(v, '{"learning": 2}') OVER w).expected,
       (anomaly_ts_detect(v, '{"learning": 2}') OVER w).is_anomaly
  FROM (VALUES (1, 5.0::float8), (2, NULL), (3, 'NaN'), (4, 5.0), (5, 'Infinity'),
               (6, '-Infinity'), (7, 5.0), (8, 5.0), (9, 6.0)) t(i, v)
WINDOW w AS (ORDER BY i);

-- one point, and a constant series
SELECT anomaly_ts_score(1.0) OVER ();
SELECT count(*) AS n, max(score) AS max_score
  FROM (SELECT anomaly_ts_score(7.0, '{"learning": 10}') OVER (ORDER BY i) AS score
          FROM generate_series(1, 500) i) c;

-- bad options
SELECT anomaly_ts_score(1.0, '{"method": "arima"}') OVER ();
SELECT anomaly_ts_score(1.0, '{"season": 1}') OVER ();
SELECT anomaly_ts_score(1.0, '{"season": "weekly"}') OVER ();
SELECT anomaly_ts_score(1.0, '{"learning": 1.5}') OVER ();
SELECT anomaly_ts_score(1.0, '{"sensitivity": 2}') OVER ();
SELECT anomaly_ts_score(1.0, '{"suppress_k": 4, "suppress_n": 3}') OVER ();
SELECT anomaly_ts_score(1.0, '{"windw": 3}') OVER ();
SELECT anomaly_ts_score(1.0, '[1]') OVER ();
SELECT anomaly_ts_score(1.0, '{"band": true}') OVER ();
-- a window function only
SELECT anomaly_ts_score(1.0);
DROP TABLE readings;
