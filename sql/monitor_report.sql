-- anomaly_monitor_report: the monitoring page of what anomaly_monitor
-- recorded (issue 15): batches against the expected rate, the range check
-- per feature and batch, the latest batches, every logged row's score, and
-- drift when a source is given; an empty history says so.
SET client_min_messages = warning;
SELECT anomaly_train('mrep', 'tx', ARRAY['amount', 'hour_of_day', 'payment_method'],
                     'iforest', 0.05) > 0 AS trained;

-- no history yet: a page that says so
SELECT html LIKE '<!DOCTYPE html>%' AS is_html, html LIKE '%</html>%' AS complete,
       html LIKE '%No monitoring history in this period%' AS says_empty,
       html LIKE '%id="batches"%' AND html LIKE '%id="range-grid"%' AND html LIKE '%id="latest"%'
         AND html LIKE '%id="events"%' AS sections,
       html NOT LIKE '%id="drift"%' AS no_drift, html NOT LIKE '%<svg%' AS no_chart
  FROM (SELECT anomaly_monitor_report('mrep') AS html) p;

-- five batches, every row logged; the fourth holds 40 % anomalies
CREATE TABLE mwatched (LIKE tx);
CREATE TRIGGER watch AFTER INSERT ON mwatched REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION anomaly_monitor('mrep', 'log=all');
INSERT INTO mwatched SELECT * FROM anomaly_sample('ecommerce', 200, 0.02, 1);
INSERT INTO mwatched SELECT * FROM anomaly_sample('ecommerce', 200, 0.02, 2);
INSERT INTO mwatched SELECT * FROM anomaly_sample('ecommerce', 200, 0.02, 3);
INSERT INTO mwatched SELECT * FROM anomaly_sample('ecommerce', 200, 0.4, 4);
INSERT INTO mwatched SELECT * FROM anomaly_sample('ecommerce', 200, 0.02, 5);
SELECT rows, anomalies, anomalies > 200 * 0.05 + 3 * sqrt(200 * 0.05 * 0.95) AS over
  FROM anomaly_batches WHERE model_name = 'mrep' ORDER BY id;
CREATE TEMP TABLE page AS SELECT anomaly_monitor_report('mrep', now() - interval '1 hour', 'mwatched') AS html;
SELECT html NOT LIKE '%No monitoring history%' AS has_history,
       html LIKE '%id="batches"%' AS batches, html LIKE '%id="range-grid"%' AS range_grid,
       html LIKE '%id="latest"%' AS latest, html LIKE '%id="events"%' AS events,
       html LIKE '%id="drift"%' AS drift,
       html LIKE '%<title>mrep v1 (iforest) &middot; anomaly monitoring</title>%' AS titled,
       html NOT ILIKE '%<script%' AS no_script
  FROM page;
-- one mark per batch, red where the anomalies exceed the contamination's
-- rate by three binomial standard deviations
SELECT (length(html) - length(replace(html, 'class="mark bad"', ''))) / length('class="mark bad"') AS red,
       (length(html) - length(replace(html, 'class="mark ok"', ''))) / length('class="mark ok"') AS green,
       html LIKE '%the model&#39;s contamination%' AS expected_from
  FROM page;
-- the grid has a row per feature and a cell per batch; every logged row is a point
SELECT (length(html) - length(replace(html, '<td class="cell"', ''))) / length('<td class="cell"') AS cells,
       (length(html) - length(replace(html, '<circle cx=', ''))) / length('<circle cx=') AS points,
       (SELECT count(*) FROM anomaly_events WHERE model_name = 'mrep') AS logged
  FROM page;
-- a history that starts later is empty
SELECT html LIKE '%No monitoring history in this period%' AS says_empty
  FROM (SELECT anomaly_monitor_report('mrep', now() + interval '1 day') AS html) p;
-- errors
SELECT anomaly_monitor_report('no_such_model');
SELECT anomaly_monitor_report('mrep', NULL);
SELECT anomaly_monitor_report('mrep', now(), 'no_such_table');
