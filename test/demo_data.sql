-- The demo's payments (test/demo.sh, test/browser/screenshots.sh): the
-- e-commerce sample with a time for each row.
SET client_min_messages = warning;
CREATE EXTENSION anomaly;
CREATE TABLE tx AS SELECT * FROM anomaly_sample('ecommerce', rows => 1000, anomaly_rate => 0.05, seed => 42);
-- when each happened: four weeks up to 2026-11-22, on its weekday (1 = Monday) and hour
ALTER TABLE tx ADD COLUMN at timestamptz;
UPDATE tx SET at = timestamptz '2026-10-25 00:00+00'
    + (substr(transaction_id, 5)::int / 250) * interval '1 week'
    + day_of_week * interval '1 day' + hour_of_day * interval '1 hour'
    + (substr(transaction_id, 5)::int % 60) * interval '1 minute';
