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
       html NOT ILIKE '%<script%' AS no_script,
       html LIKE '%TXN_00%' AS names_rows
  FROM page;
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
