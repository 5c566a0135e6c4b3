-- Segmented models: anomaly_train(..., segment_by) trains a sub-model per
-- segment plus a global one, stored as one version; scoring routes rows.
SET client_min_messages = notice;

-- three shops of very different amounts, a small shop, and a NULL shop
CREATE TABLE shop_tx AS
  SELECT i AS tx_id,
         CASE WHEN i % 10 < 4 THEN 'north' WHEN i % 10 < 8 THEN 'south'
              WHEN i % 10 < 9 THEN NULL ELSE 'east' END AS shop,
         (i % 2 = 0) AS online,
         round(((CASE WHEN i % 10 < 4 THEN 10 WHEN i % 10 < 8 THEN 1000
                      WHEN i % 10 < 9 THEN -500 ELSE 50 END)
                * (1 + 0.1 * sin(i * 1.7)))::numeric, 2)::float8 AS amount,
         (i * 7) % 24 AS hour,
         (ARRAY['card', 'cash', 'card'])[1 + i % 3] AS method
    FROM generate_series(1, 2000) i
   WHERE i % 10 <> 9 OR i <= 300;

SELECT shop, count(*) FROM shop_tx GROUP BY 1 ORDER BY 1;

-- east has 30 rows: below min_segment_rows 50, it is scored by the global model
SELECT anomaly_train('shops', 'shop_tx', columns => ARRAY['amount', 'hour', 'method'],
                     algorithm => 'hbos', segment_by => ARRAY['shop']) > 0 AS trained;
SELECT name, version, features, segment_by, segments, train_rows,
       params->>'min_segment_rows' AS min_segment_rows
  FROM anomaly_model_list WHERE name = 'shops';

-- routing: 1,000 is normal for south and absurd for north; NULL is its own segment
CREATE TABLE probe AS
  SELECT * FROM (VALUES (1, 'north', 1000.0::float8, 5, 'card'),
                        (2, 'south', 1000.0, 5, 'card'),
                        (3, 'north', 10.0, 5, 'card'),
                        (4, NULL, -500.0, 5, 'card'),
                        (5, NULL, 10.0, 5, 'card'),
                        (6, 'east', 50.0, 5, 'card'),
                        (7, 'west', 1000.0, 5, 'card'))
       AS v(tx_id, shop, amount, hour, method);
SELECT tx_id, shop, anomaly_flag('shops', p) AS flag,
       round(anomaly_severity('shops', p)::numeric, 0) > 90 AS severe
  FROM probe p ORDER BY tx_id;
-- by id and as a bytea value, the same scores
SELECT count(*) AS rows, count(*) FILTER (WHERE
         anomaly_score('shops', p) = anomaly_score((SELECT id FROM anomaly_models WHERE name = 'shops'), p)
     AND anomaly_score('shops', p) = anomaly_score((SELECT model FROM anomaly_models WHERE name = 'shops'), p))
       AS same
  FROM probe p;
-- anomaly_explain says which model scored the row
SELECT p.tx_id, e.scored_by FROM probe p, anomaly_explain('shops', p) e
 WHERE e.feature = 'amount' ORDER BY p.tx_id;
SELECT anomaly_reason('shops', p) <> '' AS has_reason, anomaly_out_of_range('shops', p)
  FROM probe p WHERE tx_id = 1;
-- a plain model says "model"
SELECT anomaly_train('plain', 'shop_tx', columns => ARRAY['amount', 'hour'], algorithm => 'hbos') > 0;
SELECT DISTINCT e.scored_by FROM probe p, anomaly_explain('plain', p) e;
SELECT segment_by, segments FROM anomaly_model_list WHERE name = 'plain';

-- a segment column among the rows is the only requirement: extra columns are ignored
SELECT round(anomaly_score('shops', r)::numeric, 6) = round(anomaly_score('shops', p)::numeric, 6) AS same
  FROM probe p, LATERAL (SELECT p.method, p.hour, p.amount, p.shop) r WHERE p.tx_id = 1;

-- two segment columns; one segment only; all too small
SELECT anomaly_train('two', 'shop_tx', columns => ARRAY['amount', 'hour'], algorithm => 'hbos',
                     segment_by => ARRAY['shop', 'online']) > 0;
SELECT segments FROM anomaly_model_list WHERE name = 'two';
SELECT tx_id, e.scored_by FROM (SELECT p.*, true AS online FROM probe p) p,
       anomaly_explain('two', p) e WHERE e.feature = 'amount' AND tx_id IN (1, 4) ORDER BY tx_id;
SELECT anomaly_train('one', 'SELECT 1 AS k, amount, hour FROM shop_tx', algorithm => 'hbos',
                     segment_by => ARRAY['k']) > 0;
SELECT segments FROM anomaly_model_list WHERE name = 'one';
-- a segment whose columns are all constant cannot train: the global model scores it
SELECT anomaly_train('flat', 'SELECT shop, CASE WHEN shop = ''north'' THEN 1 ELSE amount END AS amount FROM shop_tx',
                     algorithm => 'hbos', segment_by => ARRAY['shop']) > 0;
SELECT segments FROM anomaly_model_list WHERE name = 'flat';
SELECT anomaly_train('tiny', 'shop_tx', columns => ARRAY['amount', 'hour'], algorithm => 'hbos',
                     options => '{"min_segment_rows": 100000}', segment_by => ARRAY['shop']) > 0;
SELECT segments, params->>'min_segment_rows' FROM anomaly_model_list WHERE name = 'tiny';
SELECT DISTINCT e.scored_by FROM probe p, anomaly_explain('tiny', p) e;
-- iforest, with the automatic feature choice: the segment column is left out
SELECT anomaly_train('auto', 'shop_tx', algorithm => 'iforest', options => '{"n_trees": 10}',
                     segment_by => ARRAY['shop']) > 0;
SELECT features, segments FROM anomaly_model_list WHERE name = 'auto';
-- with a label, the metrics come from routed scores
ALTER TABLE shop_tx ADD COLUMN is_odd bool;
UPDATE shop_tx SET is_odd = amount > 1050 OR (shop = 'north' AND amount > 10.5);
SELECT anomaly_train('labelled', 'shop_tx', columns => ARRAY['amount'], algorithm => 'hbos',
                     label => 'is_odd', segment_by => ARRAY['shop']) > 0;
SELECT metrics ? 'roc_auc' AS has_auc FROM anomaly_model_list WHERE name = 'labelled';

-- anomaly_evaluate: every row flagged against the threshold of the model that
-- scored it (the flags agree with anomaly_flag), ranked by severity
CREATE TABLE shop_eval AS
  SELECT shop, amount, hour, false AS is_odd FROM shop_tx
  UNION ALL SELECT s, a, 5, true
    FROM (VALUES ('north', 1000.0::float8), ('north', 500.0), ('south', 10.0), ('south', 3000.0),
                 (NULL, 500.0), ('east', 1000.0)) v(s, a)
  UNION ALL SELECT 'west', 40 + i % 5, 5, false FROM generate_series(1, 70) i
  UNION ALL SELECT 'west', 4000, 5, true;
SELECT rows, anomalies, tp + fp AS flagged, round(roc_auc::numeric, 3) AS roc_auc, tp, fp, tn, fn
  FROM anomaly_evaluate('labelled', 'shop_eval', 'is_odd');
SELECT count(*) AS anomaly_flag_count FROM shop_eval e WHERE anomaly_flag('labelled', e);
-- per segment: the segment's own model or the global one (west is unseen, east too small)
SELECT segment, scored_by, rows, anomalies, flagged, round(threshold::numeric, 4) AS threshold,
       round(roc_auc::numeric, 3) AS roc_auc, tp, fp, tn, fn
  FROM anomaly_evaluate_segments('labelled', 'shop_eval', 'is_odd') ORDER BY segment NULLS FIRST;
-- the segments add up to the overall row, which is anomaly_evaluate's
SELECT sum(rows) FILTER (WHERE segment IS NOT NULL) = max(rows) FILTER (WHERE segment IS NULL) AS rows_add_up,
       sum(flagged) FILTER (WHERE segment IS NOT NULL) = max(flagged) FILTER (WHERE segment IS NULL) AS flags_add_up,
       sum(tp) FILTER (WHERE segment IS NOT NULL) = max(tp) FILTER (WHERE segment IS NULL) AS tp_add_up
  FROM anomaly_evaluate_segments('labelled', 'shop_eval', 'is_odd');
SELECT (SELECT row(rows, anomalies, roc_auc, average_precision, precision, recall, f1, precision_at_n, tp, fp, tn, fn)::text
          FROM anomaly_evaluate_segments((SELECT max(id) FROM anomaly_models WHERE name = 'labelled'), 'shop_eval', 'is_odd')
         WHERE segment IS NULL) =
       (SELECT row(e.*)::text FROM anomaly_evaluate('labelled', 'shop_eval', 'is_odd') e) AS overall_same;
-- a segment's flags are those of its model on its rows
SELECT s.tp = e.tp AND s.fp = e.fp AND s.tn = e.tn AND s.fn = e.fn AS north_same
  FROM anomaly_evaluate_segments('labelled', 'shop_eval', 'is_odd') s,
       anomaly_evaluate('labelled', $$SELECT * FROM shop_eval WHERE shop = 'north'$$, 'is_odd') e
 WHERE s.segment = 'shop=north';

-- anomaly_histogram: the routed scores, flags against each row's own model
SELECT sum(rows) AS rows, sum(flagged) AS flagged, count(*) AS bins
  FROM anomaly_histogram('labelled', 'shop_eval', 10);
SELECT sum(rows) AS rows FROM anomaly_histogram('labelled', 'SELECT * FROM shop_eval WHERE false', 10);

-- anomaly_drift per segment: north's amounts doubled drift against north's
-- own model; the overall rows (segment NULL) compare every row with the global model
SELECT segment, scored_by, feature, drifted, rows
  FROM anomaly_drift('labelled', $$SELECT shop, CASE WHEN shop = 'north' THEN amount * 2 ELSE amount END AS amount
                                    FROM shop_eval$$)
 ORDER BY segment NULLS FIRST, feature;
-- a plain model's drift has no segment
SELECT DISTINCT segment, scored_by FROM anomaly_drift('plain', 'shop_tx');

-- anomaly_report: a per-segment table (a plain model's page has none), the
-- flagged tile counting each row against its own model's threshold
CREATE TABLE pages AS
  SELECT anomaly_report('labelled', 'shop_eval', 'is_odd') AS segmented,
         anomaly_report('labelled', 'shop_eval') AS unlabelled,
         anomaly_report('plain', 'shop_eval') AS plain;
SELECT segmented LIKE '%<section id="segments"%' AS has_table,
       (SELECT count(*) FROM regexp_matches(segmented, '<tr><td class="key">shop=', 'g')) AS segment_rows,
       segmented LIKE '%<td class="key">shop=west</td><td>global</td><td class="num">71</td><td class="num flag">1</td>%' AS west_row,
       segmented LIKE '%flagged</div><div class="value">6<%' AS flagged_tile,
       segmented LIKE '%<th class="num">ROC AUC</th>%' AS auc_column,
       unlabelled NOT LIKE '%<th class="num">ROC AUC</th>%' AS no_auc_unlabelled,
       plain NOT LIKE '%id="segments"%' AS plain_has_none,
       segmented NOT LIKE '%<script%' AS no_script
  FROM pages;
DROP TABLE pages;

-- grants: a reader routes, evaluates and drifts with a segmented model; revoked, none of it
CREATE ROLE regress_segment_reader;
GRANT SELECT ON shop_eval TO regress_segment_reader;
SELECT anomaly_grant('labelled', 'regress_segment_reader');
SET ROLE regress_segment_reader;
SELECT count(*) AS flagged FROM shop_eval e WHERE anomaly_flag('labelled', e);
SELECT count(*) AS segments FROM anomaly_evaluate_segments('labelled', 'shop_eval', 'is_odd') WHERE segment IS NOT NULL;
SELECT count(*) AS drift_rows FROM anomaly_drift('labelled', 'shop_eval') WHERE segment IS NOT NULL;
RESET ROLE;
SELECT anomaly_revoke('labelled', 'regress_segment_reader');
SET ROLE regress_segment_reader;
\set VERBOSITY terse
SELECT count(*) FROM shop_eval e WHERE anomaly_flag('labelled', e);
SELECT count(*) FROM anomaly_evaluate_segments('labelled', 'shop_eval', 'is_odd');
SELECT count(*) FROM anomaly_drift('labelled', 'shop_eval');
\set VERBOSITY default
RESET ROLE;
REVOKE SELECT ON shop_eval FROM regress_segment_reader;
DROP ROLE regress_segment_reader;

-- anomaly_monitor routes each row: events carry the row's segment, a
-- statement writes one batch per model that scored rows (segment NULL: global)
CREATE TABLE shop_live (LIKE shop_eval);
CREATE TRIGGER shop_watch AFTER INSERT ON shop_live REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION anomaly_monitor('labelled');
INSERT INTO shop_live SELECT * FROM shop_eval;
SELECT segment, rows, anomalies, out_of_range
  FROM anomaly_batches WHERE model_name = 'labelled' ORDER BY segment NULLS FIRST;
SELECT segment, count(*) AS events, bool_and(is_anomaly) AS anomalies, bool_and(reason <> '') AS reasons
  FROM anomaly_events WHERE model_name = 'labelled' GROUP BY 1 ORDER BY 1;
-- the events are the rows anomaly_flag flags, with the same scores
SELECT (SELECT array_agg(score ORDER BY score) FROM anomaly_events WHERE model_name = 'labelled') =
       (SELECT array_agg(anomaly_score('labelled', t) ORDER BY anomaly_score('labelled', t))
          FROM shop_eval t WHERE anomaly_flag('labelled', t)) AS same_scores;
-- a row trigger: 1,000 is normal overall but not for north, whose model flags it;
-- west is unseen and scored by the global model
CREATE TRIGGER shop_watch_rows AFTER INSERT ON shop_live
  FOR EACH ROW EXECUTE FUNCTION anomaly_monitor('labelled', 'log=all');
INSERT INTO shop_live VALUES ('north', 1000, 5, true), ('south', 1099, 5, false), ('west', 1000, 5, false);
SELECT segment, is_anomaly, round(severity::numeric) AS severity FROM anomaly_events
 WHERE model_name = 'labelled' AND row_key ? 'ctid' ORDER BY id;
DROP TABLE shop_live;
DELETE FROM anomaly_events WHERE model_name = 'labelled';
DELETE FROM anomaly_batches WHERE model_name = 'labelled';

-- errors
\set VERBOSITY terse
SELECT anomaly_train('bad', 'shop_tx', segment_by => ARRAY['nope']);
SELECT anomaly_train('bad', 'shop_tx', columns => ARRAY['amount', 'shop'], segment_by => ARRAY['shop']);
SELECT anomaly_train('bad', 'shop_tx', segment_by => ARRAY[]::text[]);
SELECT anomaly_train('bad', 'shop_tx', segment_by => ARRAY['shop', NULL]);
SELECT anomaly_train('bad', 'shop_tx', segment_by => ARRAY['shop', 'shop']);
SELECT anomaly_train('bad', 'shop_tx', options => '{"min_segment_rows": 1}', segment_by => ARRAY['shop']);
SELECT anomaly_train('bad', 'shop_tx', options => '{"min_segment_rows": "many"}', segment_by => ARRAY['shop']);
-- per-segment figures need a segmented model and sources with the segment columns
SELECT * FROM anomaly_evaluate_segments('plain', 'shop_eval', 'is_odd');
SELECT * FROM anomaly_evaluate_segments('labelled', 'shop_eval', NULL);
SELECT * FROM anomaly_evaluate_segments('labelled', 'SELECT amount, is_odd FROM shop_eval', 'is_odd');
SELECT * FROM anomaly_evaluate_segments('labelled', 'SELECT * FROM shop_eval WHERE false', 'is_odd');
SELECT * FROM anomaly_drift('labelled', 'SELECT amount FROM shop_eval');
SELECT anomaly_report('labelled', 'SELECT amount FROM shop_eval');
-- a row without the segment column
SELECT anomaly_score('shops', r) FROM (SELECT 10.0::float8 AS amount, 5 AS hour, 'card' AS method) r;
-- a segmented model needs a composite row
SELECT anomaly_score('shops', '{"amount": 10, "hour": 5, "method": "card"}'::jsonb);
SELECT anomaly_score('shops', ARRAY[1.0, 2.0]);
-- a damaged container is refused
SELECT anomaly_score(overlay(model placing '\xff'::bytea from 200), p)
  FROM anomaly_models m, probe p WHERE m.name = 'shops' AND p.tx_id = 1;
SELECT anomaly_score(substring(model from 1 for 100), p)
  FROM anomaly_models m, probe p WHERE m.name = 'shops' AND p.tx_id = 1;
\set VERBOSITY default

-- the model cache shows what it holds; anomaly.model_cache_size bounds it
-- (read in the statement that scores, after it: between two statements an
-- invalidation, say autovacuum analyzing anomaly_models, may empty the cache;
-- OFFSET 0 keeps the lateral subquery whole, or the planner may flatten it and
-- read the cache before the scoring, which a new plan after such an analyze did)
WITH s AS MATERIALIZED (SELECT count(*) AS scored FROM probe p WHERE anomaly_score('shops', p) IS NOT NULL)
SELECT s.scored, c.segmented, c.segments_loaded, c.bytes > octet_length(m.model) AS holds_bytes
  FROM s, LATERAL (SELECT * FROM anomaly_model_cache() WHERE s.scored > 0 OFFSET 0) c
       JOIN anomaly_models m USING (id) WHERE m.name = 'shops';
CREATE TABLE wide AS SELECT p.*, tx_id % 2 = 0 AS online, 1 AS k FROM probe p;
CREATE TABLE before AS SELECT tx_id, anomaly_score('auto', p) AS a, anomaly_score('shops', p) AS s FROM wide p;
SELECT anomaly_train('forest', 'shop_tx', columns => ARRAY['amount', 'hour'], algorithm => 'iforest',
                     options => '{"n_trees": 200}') > 0 AS trained;
SET anomaly.model_cache_size = 1;
WITH s AS MATERIALIZED (
  SELECT sum(anomaly_score(n, p)) IS NOT NULL AS scored
    FROM wide p, unnest(ARRAY['forest', 'shops', 'plain', 'two', 'one', 'tiny', 'flat', 'auto', 'labelled']) n)
SELECT s.scored, c.*
  FROM s, LATERAL (SELECT count(*) BETWEEN 1 AND 8 AS evicted,
                          sum(bytes) <= 1024 * 1024 OR count(*) = 1 AS within_bound
                     FROM anomaly_model_cache() WHERE s.scored) c;
-- evicted models are read again and score the same
SELECT count(*) FILTER (WHERE b.a = anomaly_score('auto', p) AND b.s = anomaly_score('shops', p)) AS same
  FROM wide p JOIN before b USING (tx_id);
RESET anomaly.model_cache_size;
DROP TABLE before, wide;
SELECT anomaly_drop('shops') + anomaly_drop('plain') + anomaly_drop('two') + anomaly_drop('one')
       + anomaly_drop('tiny') + anomaly_drop('flat') + anomaly_drop('auto') + anomaly_drop('labelled') + anomaly_drop('forest') AS dropped;
-- dropped, a segmented model is gone whole: no version, no score
SELECT count(*) AS left_over FROM anomaly_models WHERE name IN ('shops', 'labelled');
\set VERBOSITY terse
SELECT anomaly_score('labelled', p) FROM probe p LIMIT 1;
\set VERBOSITY default
-- the bytea form keeps the models a call site has read: rows joined to
-- per-group models (anomaly_fit ... GROUP BY), interleaved over the groups,
-- score as each group's model scores them alone; models of several kB are
-- stored out of line (known by their TOAST pointer), small ones inline (by length and CRC)
CREATE TABLE grp_models AS
  SELECT shop, 'iforest' AS algorithm, anomaly_fit(s, 'iforest', '{"n_trees": 150}'::jsonb) AS model
    FROM (SELECT shop, amount, hour FROM shop_tx WHERE shop IN ('north', 'south')) s0,
         LATERAL (SELECT s0.amount, s0.hour) s GROUP BY shop
  UNION ALL
  SELECT shop, 'hbos', anomaly_fit(s, 'hbos')
    FROM (SELECT shop, amount, hour FROM shop_tx WHERE shop IS NOT NULL) s0,
         LATERAL (SELECT s0.amount, s0.hour) s GROUP BY shop;
SELECT algorithm, shop, octet_length(model) > 8192 AS over_8kb FROM grp_models ORDER BY 1, 2;
-- each group's model alone: a statement of its own (a new call site) per model
CREATE FUNCTION alone_scores(alg text, grp text) RETURNS TABLE (tx_id int, score float8, flag bool)
LANGUAGE plpgsql AS $$
BEGIN
  RETURN QUERY SELECT t.tx_id, anomaly_score(g.model, t), anomaly_flag(g.model, t)
    FROM shop_tx t, grp_models g WHERE g.algorithm = alg AND g.shop = grp AND t.shop = grp;
END
$$;
CREATE TABLE alone AS
  SELECT g.algorithm, a.* FROM grp_models g, LATERAL alone_scores(g.algorithm, g.shop) a;
-- interleaved: each row of shop_tx in turn (north, south, east and back), its group's model
CREATE FUNCTION interleaved_scores() RETURNS TABLE (algorithm text, tx_id int, score float8, flag bool)
LANGUAGE sql AS $$
  SELECT g.algorithm, t.tx_id, anomaly_score(g.model, t), anomaly_flag(g.model, t)
    FROM shop_tx t,
         LATERAL (SELECT algorithm, model FROM grp_models g WHERE g.shop = t.shop OFFSET 0) g
$$;
SELECT algorithm, count(*) AS rows, count(*) FILTER (WHERE a.score = i.score AND a.flag = i.flag) AS same
  FROM alone a JOIN interleaved_scores() i USING (algorithm, tx_id) GROUP BY 1 ORDER BY 1;
-- a bound that holds about one of the iforest models: the call site drops the
-- least recently used ones and reads them again, and they score the same
SET anomaly.model_cache_size = 1;
SELECT algorithm, count(*) AS rows, count(*) FILTER (WHERE a.score = i.score AND a.flag = i.flag) AS same
  FROM alone a JOIN interleaved_scores() i USING (algorithm, tx_id) GROUP BY 1 ORDER BY 1;
RESET anomaly.model_cache_size;
DROP FUNCTION interleaved_scores(), alone_scores(text, text);
DROP TABLE grp_models, alone;

-- a segment column of a type without an equality operator (json) is grouped
-- by its text alone, and its segments score their own rows
CREATE TABLE json_shops AS
SELECT json_build_object('shop', i % 2) AS shop, (i % 17 + 10 * (i % 2))::float8 AS x
  FROM generate_series(1, 200) i;
SELECT anomaly_train('json_segments', 'json_shops', algorithm => 'hbos',
                     options => '{"min_segment_rows": 20}', segment_by => ARRAY['shop']) > 0 AS trained;
SELECT params->'segments' AS segments FROM anomaly_models WHERE name = 'json_segments';
SELECT anomaly_train('json_shop_1', 'SELECT x FROM json_shops WHERE shop::text = ''{"shop" : 1}''',
                     algorithm => 'hbos') > 0 AS trained;
SELECT shop::text, count(*) AS rows,
       count(*) FILTER (WHERE anomaly_score('json_segments', j) = anomaly_score('json_shop_1', j)) AS as_shop_1_alone
  FROM json_shops j GROUP BY 1 ORDER BY 1;
SELECT anomaly_drop('json_segments') + anomaly_drop('json_shop_1') AS dropped;
DROP TABLE json_shops;

DROP TABLE shop_tx, probe, shop_eval;
