-- The window functions with timestamps: anomaly_ts_score(ts, value [, options])
-- and anomaly_ts_detect(ts, value [, options]) feed a partition as
-- anomaly_ts_update feeds a stored model's series.
CREATE TABLE hourly AS
SELECT h AS host, timestamptz '2026-01-01' + i * interval '1 hour' AS ts,
       100 + 20 * sin(2 * pi() * i / 24) + 2 * sin(i * 1.7 + length(h)) * cos(i * 0.31)
         + CASE WHEN i IN (300, 440) THEN 60 ELSE 0 END AS value
  FROM generate_series(0, 479) i, (VALUES ('web-1'), ('web-2')) v(h);

-- without gaps, the times change nothing: every row equals the window without them
SELECT count(*) AS rows,
       count(*) FILTER (WHERE a IS NOT DISTINCT FROM b) AS equal,
       count(*) FILTER (WHERE (a).is_anomaly) AS flagged
  FROM (SELECT anomaly_ts_detect(ts, value, '{"learning": 100}') OVER w AS a,
               anomaly_ts_detect(value, '{"learning": 100}') OVER w AS b
          FROM hourly WINDOW w AS (PARTITION BY host ORDER BY ts)) r;
SELECT count(*) FILTER (WHERE a IS NOT DISTINCT FROM b) AS equal
  FROM (SELECT anomaly_ts_score(ts, value) OVER w AS a, anomaly_ts_score(value) OVER w AS b
          FROM hourly WINDOW w AS (PARTITION BY host ORDER BY ts)) r;

-- a row at or before the last one's time, or with no time, is late: NULL,
-- and not fed (the rows after it score as if it were not there)
CREATE TABLE shuffled AS
SELECT host, ts, value, row_number() OVER (PARTITION BY host ORDER BY ts) AS arrival FROM hourly
UNION ALL SELECT host, ts - interval '5 hours', -500, 1000 + i FROM hourly, generate_series(1, 2) i
 WHERE ts IN (timestamptz '2026-01-05', timestamptz '2026-01-10')
UNION ALL SELECT host, NULL, 7, 2000 FROM hourly WHERE ts = timestamptz '2026-01-08';
UPDATE shuffled SET arrival = (SELECT arrival FROM shuffled s WHERE s.host = shuffled.host AND s.ts = shuffled.ts + interval '5 hours' AND s.arrival < 1000) + 0.5
 WHERE arrival BETWEEN 1000 AND 1999;
UPDATE shuffled SET arrival = 200.5 WHERE arrival = 2000;
SELECT count(*) AS rows, count(*) FILTER (WHERE d IS NULL) AS late,
       count(*) FILTER (WHERE d IS NOT NULL AND d IS NOT DISTINCT FROM o) AS equal_to_in_order
  FROM (SELECT s.arrival, s.value, anomaly_ts_detect(s.ts, s.value) OVER (PARTITION BY s.host ORDER BY s.arrival) AS d,
               h.o
          FROM shuffled s
          LEFT JOIN (SELECT host, ts, anomaly_ts_detect(value) OVER (PARTITION BY host ORDER BY ts) AS o
                       FROM hourly) h ON h.host = s.host AND h.ts = s.ts AND s.arrival < 1000) r;

-- the fill rule: 12 hours of web-2 are missing; "fill" (the step learnt from
-- the learning period, or given) keeps the season's phase, "step" does not
DELETE FROM hourly WHERE host = 'web-2' AND ts > timestamptz '2026-01-01' + 399 * interval '1 hour'
                                     AND ts < timestamptz '2026-01-01' + 411 * interval '1 hour';
SELECT g, round((d).expected::numeric, 2) AS expected, round((d).score::numeric, 3) AS score, (d).is_anomaly
  FROM (SELECT g, ts, anomaly_ts_detect(ts, value, jsonb_build_object('learning', 100, 'gap', g))
                        OVER (PARTITION BY host, g ORDER BY ts) AS d
          FROM hourly, (VALUES ('fill'), ('step')) v(g) WHERE host = 'web-2') r
 WHERE ts = timestamptz '2026-01-01' + 411 * interval '1 hour' ORDER BY g;
SELECT count(*) FILTER (WHERE a IS NOT DISTINCT FROM b) AS learnt_equals_given, count(*) AS rows
  FROM (SELECT anomaly_ts_detect(ts, value, '{"learning": 100, "gap": "fill"}') OVER w AS a,
               anomaly_ts_detect(ts, value, '{"learning": 100, "gap": "fill", "interval": "1 hour"}') OVER w AS b
          FROM hourly WINDOW w AS (PARTITION BY host ORDER BY ts)) r;

-- a backfill equals the live feed: a stored model trained on the first 350
-- hours (no gap there), then fed the rest point by point with
-- anomaly_ts_update, gives each later point what the window gives it
SELECT anomaly_ts_train('hourly_fill', 'SELECT * FROM hourly WHERE ts < timestamptz ''2026-01-01'' + 350 * interval ''1 hour''',
                        'ts', 'value', ARRAY['host'], '{"learning": 100, "gap": "fill"}') > 0 AS trained;
SELECT count(*) AS live_points,
       count(*) FILTER (WHERE l IS NOT DISTINCT FROM w) AS equal_to_backfill,
       count(*) FILTER (WHERE (l).is_anomaly) AS flagged
  FROM (SELECT r.host, r.ts, r.w,
               anomaly_ts_update('hourly_fill', r.host, r.ts, r.value) AS l
          FROM (SELECT host, ts, value,
                       anomaly_ts_detect(ts, value, '{"learning": 100, "gap": "fill"}')
                         OVER (PARTITION BY host ORDER BY ts) AS w
                  FROM hourly) r
         WHERE r.ts >= timestamptz '2026-01-01' + 350 * interval '1 hour'
         ORDER BY r.host, r.ts) f;
SELECT anomaly_drop('hourly_fill');

-- errors
SELECT anomaly_ts_score(ts, value, '{"interval": "1 hour"}') OVER (ORDER BY ts) FROM hourly LIMIT 1;
SELECT anomaly_ts_score(ts, value, '{"gap": "interpolate"}') OVER (ORDER BY ts) FROM hourly LIMIT 1;
SELECT anomaly_ts_score(ts, value, '{"gap": "fill", "interval": "-1 hour"}') OVER (ORDER BY ts) FROM hourly LIMIT 1;
SELECT anomaly_ts_score(ts, value, '{"gap": "fill", "interval": 3600}') OVER (ORDER BY ts) FROM hourly LIMIT 1;
SELECT anomaly_ts_score(ts, value, '{"gap": "fill", "interval": "soon"}') OVER (ORDER BY ts) FROM hourly LIMIT 1;
SELECT anomaly_ts_score(ts, value, '{"gap": 1}') OVER (ORDER BY ts) FROM hourly LIMIT 1;
SELECT anomaly_ts_score(value, '{"interval": "1 hour"}') OVER (ORDER BY ts) FROM hourly LIMIT 1;
-- a timestamp without time zone and a date are taken as timestamptz
SELECT count(s) AS scored FROM (SELECT anomaly_ts_score(ts::timestamp, value) OVER (ORDER BY ts) AS s
                                   FROM hourly WHERE host = 'web-1') r;
-- (a date: the rows of one day after its first are late)
SELECT count(s) AS scored_first_of_each_day FROM (SELECT anomaly_ts_score(ts::date, value) OVER (ORDER BY ts) AS s
                                                    FROM hourly WHERE host = 'web-1') r;
DROP TABLE hourly, shuffled;
