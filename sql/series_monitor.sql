-- anomaly_monitor on a stored series model: each row is a point of its
-- series, fed as anomaly_ts_update feeds it; every comparison is against a
-- twin model (trained the same way) fed the same points with anomaly_ts_update.
CREATE TABLE sm_hist AS
  SELECT host, timestamptz '2026-03-01 00:00+00' + i * interval '1 hour' AS ts,
         100 + 20 * sin(2 * pi() * i / 24) + 2 * sin(i * 1.3) * cos(i * 0.7) AS value
    FROM generate_series(0, 299) i, (VALUES ('a'), ('b')) v(host);
SELECT anomaly_ts_train(n, 'sm_hist', 'ts', 'value', ARRAY['host'], '{"learning": 100}') > 0 AS trained
  FROM unnest(ARRAY['sm_row', 'sm_row_ref', 'sm_stmt', 'sm_stmt_ref', 'sm_rej']) n;

-- the new points: 20 an hour for each host, a spike on b at 310, then a
-- late point (a at 305 again) and a NULL value (b at 320), then b at 321
CREATE TABLE sm_feed AS
  SELECT (row_number() OVER (ORDER BY i, host))::int AS k, host, ts, value
    FROM (SELECT host, i, timestamptz '2026-03-01 00:00+00' + i * interval '1 hour' AS ts,
                 100 + 20 * sin(2 * pi() * i / 24) + 2 * sin(i * 1.3) * cos(i * 0.7)
                   + CASE WHEN host = 'b' AND i = 310 THEN 60 ELSE 0 END AS value
            FROM generate_series(300, 319) i, (VALUES ('a'), ('b')) v(host)) x;
INSERT INTO sm_feed VALUES (41, 'a', timestamptz '2026-03-01 00:00+00' + 305 * interval '1 hour', 500),
                           (42, 'b', timestamptz '2026-03-01 00:00+00' + 320 * interval '1 hour', NULL),
                           (43, 'b', timestamptz '2026-03-01 00:00+00' + 321 * interval '1 hour', 101);

-- the twins, point by point with anomaly_ts_update
CREATE TABLE sm_ref AS
  SELECT f.k, p.score, p.is_anomaly
    FROM (SELECT * FROM sm_feed ORDER BY k) f, LATERAL anomaly_ts_update('sm_row_ref', f.host, f.ts, f.value) p;
CREATE TABLE sm_stmt_ref AS
  SELECT f.k, p.score, p.is_anomaly
    FROM (SELECT * FROM sm_feed ORDER BY k) f, LATERAL anomaly_ts_update('sm_stmt_ref', f.host, f.ts, f.value) p;

-- BEFORE ROW: the score and flag columns are set; the late point and the
-- NULL value get none
CREATE TABLE sm_live (k int PRIMARY KEY, host text, ts timestamptz, value float8,
                      score float8, flagged boolean);
CREATE TRIGGER sm_tag BEFORE INSERT OR UPDATE ON sm_live FOR EACH ROW
  EXECUTE FUNCTION anomaly_monitor('sm_row', 'score_column=score', 'flag_column=flagged');
INSERT INTO sm_live (k, host, ts, value) SELECT k, host, ts, value FROM sm_feed ORDER BY k;
SELECT count(*) AS rows, count(l.score) AS scored,
       count(*) FILTER (WHERE l.score IS DISTINCT FROM r.score) AS score_differs,
       count(*) FILTER (WHERE l.flagged IS DISTINCT FROM r.is_anomaly) AS flag_differs,
       string_agg(CASE WHEN l.flagged THEN l.k::text END, ',') AS flagged,
       string_agg(CASE WHEN l.score IS NULL THEN l.k::text END, ',') AS unscored
  FROM sm_live l JOIN sm_ref r USING (k);
-- log=anomalies (the default): one event, the spike
SELECT model_name, model_version, relation, row_key, round(score::numeric, 4) AS score,
       round(severity::numeric, 1) AS severity, is_anomaly, reason, segment
  FROM anomaly_events WHERE model_name = 'sm_row' ORDER BY id;
-- the states were moved: the model's series b now ends at 321
SELECT s.series, s.last_ts = timestamptz '2026-03-01 00:00+00' + (CASE s.series WHEN 'a' THEN 319 ELSE 321 END) * interval '1 hour' AS moved
  FROM anomaly_ts_state s JOIN anomaly_models m ON m.id = s.model_id WHERE m.name = 'sm_row' ORDER BY 1;

-- an UPDATE feeds the new row's point: here late, so its tags are NULL;
-- a row without a timestamp is no point
UPDATE sm_live SET value = 400 WHERE k = 40;
INSERT INTO sm_live (k, host, ts, value) VALUES (44, 'a', NULL, 400);
SELECT k, value, score, flagged FROM sm_live WHERE k IN (40, 44) ORDER BY k;
SELECT count(*) AS events FROM anomaly_events WHERE model_name = 'sm_row';

-- a statement trigger: the rows come in reverse order and are fed in
-- timestamp order per series; one batch row
CREATE TABLE sm_batch (k int PRIMARY KEY, host text, ts timestamptz, value float8);
CREATE TRIGGER sm_stmt AFTER INSERT ON sm_batch REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION anomaly_monitor('sm_stmt', 'log=all');
INSERT INTO sm_batch SELECT k, host, ts, value FROM sm_feed WHERE k <= 40 ORDER BY k DESC;
INSERT INTO sm_batch SELECT k, host, ts, value FROM sm_feed WHERE k > 40 ORDER BY k DESC;
SELECT count(*) AS events, count(*) FILTER (WHERE e.score IS DISTINCT FROM r.score) AS score_differs,
       count(*) FILTER (WHERE e.is_anomaly IS DISTINCT FROM r.is_anomaly) AS flag_differs,
       count(*) FILTER (WHERE e.segment IS DISTINCT FROM b.host) AS segment_differs,
       string_agg(CASE WHEN e.is_anomaly THEN r.k::text END, ',') AS flagged
  FROM anomaly_events e JOIN sm_stmt_ref r ON r.k = (e.row_key->>'k')::int JOIN sm_batch b ON b.k = r.k
 WHERE e.model_name = 'sm_stmt';
-- the two statements: 40 points, then the late one, the NULL and 321
SELECT rows, anomalies, round(share::numeric, 3) AS share, min_score >= 0 AND max_score <= 1 AS in_range,
       out_of_range, segment
  FROM anomaly_batches WHERE model_name = 'sm_stmt' ORDER BY id;

-- AFTER ROW, log=all, two series columns (the key is ARRAY[site, host]::text),
-- a table without a primary key (events keyed by ctid), a date and an int
CREATE TABLE sm_sites AS
  SELECT site, host, date '2025-01-01' + i AS day, (50 + 10 * sin(2 * pi() * i / 7) + 3 * sin(i * 1.9))::int AS hits
    FROM generate_series(0, 199) i, (VALUES ('x', 'a'), ('x', 'b'), ('y', 'a')) v(site, host);
SELECT anomaly_ts_train(n, 'sm_sites', 'day', 'hits', ARRAY['site', 'host'], '{"learning": 60}') > 0 AS trained
  FROM unnest(ARRAY['sm_multi', 'sm_multi_ref']) n;
CREATE TABLE sm_site_live (LIKE sm_sites);
CREATE TRIGGER sm_multi AFTER INSERT ON sm_site_live FOR EACH ROW
  EXECUTE FUNCTION anomaly_monitor('sm_multi', 'log=all');
CREATE TABLE sm_site_feed AS
  SELECT (row_number() OVER (ORDER BY i, site, host))::int AS k, site, host, date '2025-01-01' + i AS day,
         (50 + 10 * sin(2 * pi() * i / 7) + 3 * sin(i * 1.9) + CASE WHEN i = 205 AND host = 'b' THEN 40 ELSE 0 END)::int AS hits
    FROM generate_series(200, 209) i, (VALUES ('x', 'a'), ('x', 'b'), ('y', 'a')) v(site, host);
INSERT INTO sm_site_live SELECT site, host, day, hits FROM sm_site_feed ORDER BY k;
CREATE TABLE sm_site_ref AS
  SELECT f.k, f.site, f.host, p.score
    FROM (SELECT * FROM sm_site_feed ORDER BY k) f,
         LATERAL anomaly_ts_update('sm_multi_ref', ARRAY[f.site, f.host]::text, f.day, f.hits) p;
SELECT count(*) AS events, count(DISTINCT e.row_key->>'ctid') AS ctids,
       count(*) FILTER (WHERE e.score IS DISTINCT FROM r.score) AS score_differs,
       array_agg(DISTINCT e.segment) AS segments,
       string_agg(CASE WHEN e.is_anomaly THEN e.segment || ' ' || round(e.score::numeric, 3) END, ',') AS flagged
  FROM (SELECT *, row_number() OVER (ORDER BY id)::int AS k FROM anomaly_events WHERE model_name = 'sm_multi') e
  JOIN sm_site_ref r USING (k);
SELECT series, points FROM anomaly_ts_state s JOIN anomaly_models m ON m.id = s.model_id
 WHERE m.name = 'sm_multi' ORDER BY 1;

-- a trigger named before its model exists fails; once a series model of
-- that name is trained it feeds it (the remembered "no series model" is
-- forgotten when anomaly_models changes); one boolean series column is keyed
-- by its ::text, 'true' or 'false', as in training
CREATE TABLE sm_flags (on_call boolean, ts timestamptz, value float8);
CREATE TRIGGER sm_flags AFTER INSERT ON sm_flags FOR EACH ROW EXECUTE FUNCTION anomaly_monitor('sm_later', 'log=all');
INSERT INTO sm_flags VALUES (true, now(), 1);
SELECT anomaly_ts_train('sm_later', 'SELECT host = ''a'' AS on_call, ts, value FROM sm_hist', 'ts', 'value',
                        ARRAY['on_call'], '{"learning": 100}') > 0 AS trained;
INSERT INTO sm_flags SELECT host = 'a', ts, value FROM sm_feed WHERE k <= 4;
SELECT segment, count(*) AS events, count(score) AS scored FROM anomaly_events
 WHERE model_name = 'sm_later' GROUP BY segment ORDER BY segment;
SELECT series, points FROM anomaly_ts_state s JOIN anomaly_models m ON m.id = s.model_id
 WHERE m.name = 'sm_later' ORDER BY 1;

-- reject: the anomalous row is refused (23514) and the series does not move
CREATE TABLE sm_guard (k int PRIMARY KEY, host text, ts timestamptz, value float8);
CREATE TRIGGER sm_guard BEFORE INSERT ON sm_guard FOR EACH ROW
  EXECUTE FUNCTION anomaly_monitor('sm_rej', 'reject');
INSERT INTO sm_guard SELECT k, host, ts, value FROM sm_feed WHERE k < 21 ORDER BY k;
\set VERBOSITY default
INSERT INTO sm_guard SELECT k, host, ts, value FROM sm_feed WHERE k >= 21 AND k <= 40 ORDER BY k;
\set VERBOSITY terse
SELECT count(*) AS kept FROM sm_guard;
SELECT s.series, s.last_ts = timestamptz '2026-03-01 00:00+00' + 309 * interval '1 hour' AS at_309
  FROM anomaly_ts_state s JOIN anomaly_models m ON m.id = s.model_id WHERE m.name = 'sm_rej' ORDER BY 1;

-- errors: a pinned id, a table without the model's columns, a value column
-- of another type
SELECT id AS sm_row_id FROM anomaly_models WHERE name = 'sm_row' \gset
CREATE TABLE sm_pinned (host text, ts timestamptz, value float8);
CREATE TRIGGER sm_pinned AFTER INSERT ON sm_pinned FOR EACH ROW EXECUTE FUNCTION anomaly_monitor(:'sm_row_id');
\set VERBOSITY default
INSERT INTO sm_pinned VALUES ('a', now(), 1);
CREATE TABLE sm_other (host text, at timestamptz, value float8);
CREATE TRIGGER sm_other AFTER INSERT ON sm_other FOR EACH ROW EXECUTE FUNCTION anomaly_monitor('sm_row');
INSERT INTO sm_other VALUES ('a', now(), 1);
CREATE TABLE sm_text (host text, ts timestamptz, value text);
CREATE TRIGGER sm_text AFTER INSERT ON sm_text FOR EACH ROW EXECUTE FUNCTION anomaly_monitor('sm_row');
INSERT INTO sm_text VALUES ('a', now(), '1');
\set VERBOSITY terse

DROP TABLE sm_hist, sm_feed, sm_ref, sm_stmt_ref, sm_live, sm_batch, sm_sites, sm_site_live,
  sm_site_feed, sm_site_ref, sm_flags, sm_guard, sm_pinned, sm_other, sm_text;
DELETE FROM anomaly_events WHERE model_name LIKE 'sm\_%';
DELETE FROM anomaly_batches WHERE model_name LIKE 'sm\_%';
DELETE FROM anomaly_models WHERE name LIKE 'sm\_%';
