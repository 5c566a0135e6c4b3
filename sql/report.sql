-- anomaly_report: a self-contained HTML page with the expected sections.
SET client_min_messages = warning;
SELECT anomaly_train('rep', 'tx',
       ARRAY['amount', 'customer_id', 'hour_of_day', 'day_of_week', 'merchant_category', 'payment_method'],
       'iforest', 0.05) > 0 AS trained;
CREATE TABLE rep_tx AS
  SELECT t.*, timestamptz '2026-01-01 00:00+00' + (row_number() OVER (ORDER BY transaction_id)) * interval '1 hour' AS at
    FROM tx t;
CREATE TEMP TABLE page AS SELECT anomaly_report('rep', 'rep_tx', 'is_anomaly', 'at') AS html;
SELECT html LIKE '<!DOCTYPE html>%' AS is_html,
       html LIKE '%</html>%' AS complete,
       html LIKE '%id="summary"%' AS summary,
       html LIKE '%id="histogram"%' AS histogram,
       html LIKE '%id="timeline"%' AS timeline,
       html LIKE '%id="top-anomalies"%' AS top,
       html LIKE '%id="out-of-range"%' AS ranges,
       html LIKE '%id="confusion"%' AS confusion,
       html LIKE '%id="roc"%' AS roc,
       html LIKE '%id="importance"%' AS importance,
       html LIKE '%id="distributions"%' AS distributions,
       html LIKE '%id="scatter"%' AS scatter,
       html NOT ILIKE '%<script%' AS no_script,
       html LIKE '%TXN_00%' AS names_rows
  FROM page;
-- the global importance (issue 15): flagged rows against the others, and
-- with the label the labelled anomalies against the others
SELECT feature, round(flagged_share::numeric, 3) AS flagged_share, round(all_share::numeric, 3) AS all_share,
       leads, round(lead_share::numeric, 3) AS lead_share, flagged_value, normal_value
  FROM anomaly_importance('rep', 'tx');
SELECT feature, leads, flagged_value, normal_value FROM anomaly_importance('rep', 'tx', 'is_anomaly');
SELECT sum(leads) = (SELECT count(*) FROM tx t WHERE anomaly_flag('rep', t)) AS leads_add_up,
       round(sum(all_share)::numeric, 6) AS all_shares_sum
  FROM anomaly_importance('rep', 'tx');
-- 6,000 rows: every flagged row is explained and every 4th other row, each
-- standing for 4; the estimate of the share over all rows stays close to
-- the share computed over every row
CREATE TABLE tx_big AS SELECT * FROM anomaly_sample('ecommerce', 6000, 0.05, 11);
SELECT i.feature, abs(i.all_share - e.exact) < 0.02 AS close, i.leads = e.leads AS same_leads
  FROM anomaly_importance('rep', 'tx_big') i
  JOIN (SELECT x.feature, avg(x.share) AS exact,
               count(*) FILTER (WHERE x.ord = 1 AND anomaly_flag('rep', t)) AS leads
          FROM tx_big t, anomaly_explain('rep', t) WITH ORDINALITY
               x(feature, value, contribution, share, direction, lo, hi, oor, scored_by, ord)
         GROUP BY x.feature) e USING (feature)
 ORDER BY i.feature;
SELECT round(sum(all_share)::numeric, 6) AS all_shares_sum FROM anomaly_importance('rep', 'tx_big');
-- a date, a timestamp and a boolean feature: their means read as such
CREATE TABLE imp_times AS
  SELECT i, date '2024-01-01' + (i % 30) AS day, timestamp '2024-01-01 00:00' + i * interval '1 minute' AS at,
         (i % 4 = 0) AS night, (i % 7)::float8 AS x
    FROM generate_series(1, 300) i;
SELECT anomaly_train('imp_z', 'imp_times', ARRAY['day', 'at', 'night', 'x'], 'zscore', 0.1) > 0 AS trained;
SELECT feature, flagged_value, normal_value FROM anomaly_importance('imp_z', 'imp_times') ORDER BY feature;
SELECT anomaly_importance('rep', 'tx', 'merchant_category');
SELECT anomaly_importance('rep', 'SELECT amount FROM tx');

-- without label and time column, those sections are left out
SELECT html LIKE '%id="histogram"%' AS histogram,
       html NOT LIKE '%id="timeline"%' AS no_timeline,
       html NOT LIKE '%id="confusion"%' AS no_confusion,
       html NOT LIKE '%id="roc"%' AS no_roc
  FROM (SELECT anomaly_report('rep', 'SELECT * FROM tx WHERE amount > 10') AS html) p;
-- hostile values are escaped
CREATE TABLE "rep <b>x</b>" AS SELECT 'a<script>alert(1)</script>' AS id, amount, customer_id,
       hour_of_day, day_of_week, merchant_category, payment_method FROM tx LIMIT 50;
SELECT html NOT ILIKE '%<script%' AS escaped, html LIKE '%&lt;script&gt;%' AS shown_escaped
  FROM (SELECT anomaly_report('rep', '"rep <b>x</b>"') AS html) p;
-- errors
SELECT anomaly_report('rep', 'rep_tx', time_column => 'merchant_category');
SELECT anomaly_report('rep', 'rep_tx', time_column => 'nope');
SELECT anomaly_report('rep', NULL);
