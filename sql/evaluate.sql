-- anomaly_evaluate and anomaly_histogram, checked against hand-computed values.
SET client_min_messages = warning;

-- a one-feature zscore model: the score grows with |x|
CREATE TABLE ev_train AS SELECT (i % 100) - 49.5 AS x FROM generate_series(1, 1000) i;
SELECT anomaly_train('ev', 'ev_train', algorithm => 'zscore', contamination => 0.05) > 0 AS trained;

-- ranked by score: 500+ 400- 300+ 200+ 3- 2+ 1- 0-; the first four are flagged
CREATE TABLE ev (x float8, y bool, z int);
INSERT INTO ev VALUES (0, false, 0), (1, false, 0), (2, true, 1), (3, false, 0),
  (500, true, 1), (400, false, 0), (300, true, 1), (200, true, 1), (7, NULL, NULL);
-- by hand: tp 3, fp 1, fn 1, tn 3; precision = recall = F1 = 3/4;
-- ROC AUC = (4 + 3 + 3 + 2) / 16 = 0.75; precision@4 = 3/4;
-- AP = (1 + 2/3 + 3/4 + 4/6) / 4 = 0.7708333
SELECT rows, anomalies, roc_auc, round(average_precision::numeric, 7) AS average_precision,
       precision, recall, f1, precision_at_n, tp, fp, tn, fn
  FROM anomaly_evaluate('ev', 'ev', 'y');
-- an integer 0/1 label gives the same; so does a query source and the id form
SELECT (SELECT row(e.*)::text FROM anomaly_evaluate('ev', 'ev', 'y') e) =
       (SELECT row(e.*)::text FROM anomaly_evaluate('ev', 'ev', 'z') e) AS int_label_same,
       (SELECT row(e.*)::text FROM anomaly_evaluate('ev', 'ev', 'y') e) =
       (SELECT row(e.*)::text FROM anomaly_evaluate((SELECT max(id) FROM anomaly_models WHERE name = 'ev'),
                                                    'SELECT * FROM ev WHERE x >= 0', 'y') e) AS query_same;
-- one class only: ROC AUC and AP are NULL
SELECT rows, anomalies, roc_auc, average_precision, precision_at_n
  FROM anomaly_evaluate('ev', 'SELECT * FROM ev WHERE NOT y', 'y');

-- anomaly_train(label => ...) stores the same metrics
SELECT anomaly_train('ev_lab', 'ev', ARRAY['x'], 'zscore', 0.05, label => 'y') > 0 AS trained;
SELECT metrics->'tp' AS tp, metrics->'fp' AS fp, metrics->'rows' AS rows
  FROM anomaly_models WHERE name = 'ev_lab';

-- errors
SELECT * FROM anomaly_evaluate('ev', 'ev', 'nope');
SELECT * FROM anomaly_evaluate('ev', 'ev', 'x');
SELECT * FROM anomaly_evaluate('ev', 'SELECT x, 2 AS y FROM ev', 'y');
SELECT * FROM anomaly_evaluate('ev', 'SELECT * FROM ev WHERE y IS NULL', 'y');
SELECT * FROM anomaly_evaluate('ev', 'no_such_table', 'y');
SELECT * FROM anomaly_evaluate('no_such_model', 'ev', 'y');
SELECT * FROM anomaly_evaluate('ev', 'ev', NULL);

-- the histogram: 4 bins over the score range, the flagged rows and the threshold's bin
SELECT bin, round(bin_low::numeric, 3) AS bin_low, round(bin_high::numeric, 3) AS bin_high,
       rows, flagged, holds_threshold
  FROM anomaly_histogram('ev', 'ev', 4);
-- counts add up on the training data; exactly one bin holds the threshold
SELECT sum(rows) AS rows, sum(flagged) AS flagged,
       count(*) FILTER (WHERE holds_threshold) AS threshold_bins
  FROM anomaly_histogram('ev', 'ev_train');
SELECT count(*) AS flagged_by_anomaly_flag FROM ev_train t WHERE anomaly_flag('ev', t);
-- an empty source gives no bins; bad bin counts are refused
SELECT count(*) FROM anomaly_histogram('ev', 'SELECT * FROM ev WHERE false');
SELECT * FROM anomaly_histogram('ev', 'ev', 0);
