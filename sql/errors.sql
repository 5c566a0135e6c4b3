-- Every error path: an errcode, a message naming the thing, a hint with the fix.
\set VERBOSITY default
SELECT anomaly_train('e', 'tx', columns => ARRAY['amount']) AS eid \gset
-- unknown model
SELECT anomaly_score('no_such_model', t) FROM tx t LIMIT 1;
SELECT anomaly_score(999999::bigint, t) FROM tx t LIMIT 1;
-- missing column, wrong type, wrong row form
SELECT anomaly_score('e', t) FROM (SELECT hour_of_day FROM tx) t LIMIT 1;
SELECT anomaly_score('e', t) FROM (SELECT 'x'::text AS amount) t;
SELECT anomaly_score('e', 42);
SELECT anomaly_score('e', '{1,2}'::int[]);
SELECT anomaly_score('e', ARRAY[1, 2, 3]::float8[]);
SELECT anomaly_score('e', '[1, 2]'::jsonb);
SELECT anomaly_score('e', '{"amount": "high"}'::jsonb);
SELECT anomaly_train('e_cat', 'tx', columns => ARRAY['amount', 'hour_of_day', 'payment_method']) AS ecid \gset
SELECT anomaly_score('e_cat', ARRAY[1, 2, 3]::float8[]);
-- bad sources
SELECT anomaly_train('e', 'no_such_table');
SELECT anomaly_train('e', 'SELECT amount FROM tx WHERE false');
SELECT anomaly_train('e', 'SELECT 1 AS one FROM tx');
SELECT anomaly_train('e', 'SELECT amount FROM tx LIMIT 1');
SELECT anomaly_train('e', 'tx', columns => ARRAY['nope']);
SELECT anomaly_train('e', 'tx', columns => ARRAY[]::text[]);
SELECT anomaly_train('e', 'tx', columns => ARRAY['amount'], label => 'nope');
SELECT anomaly_train('e', 'tx', columns => ARRAY['amount'], label => 'merchant_category');
SELECT anomaly_train('e', 'tx', columns => ARRAY['is_anomaly'], label => 'is_anomaly');
SELECT anomaly_train('e', 'SELECT amount, ARRAY[1] AS a FROM tx', columns => ARRAY['a']);
SELECT anomaly_train('', 'tx');
SELECT anomaly_train(NULL, 'tx');
SELECT anomaly_train('e', 'SELECT t.id FROM tx');
-- bad algorithm and options, with the allowed range in the hint
SELECT anomaly_train('e', 'tx', algorithm => 'magic');
SELECT anomaly_train('e', 'tx', columns => ARRAY['amount'], contamination => 0);
SELECT anomaly_train('e', 'tx', columns => ARRAY['amount'], contamination => 0.9);
SELECT anomaly_train('e', 'tx', columns => ARRAY['amount'], algorithm => 'iforest', options => '{"n_trees": 0}');
SELECT anomaly_train('e', 'tx', columns => ARRAY['amount'], algorithm => 'iforest', options => '{"n_trees": 1.5}');
SELECT anomaly_train('e', 'tx', columns => ARRAY['amount'], options => '{"sample_size": 1}');
SELECT anomaly_train('e', 'tx', columns => ARRAY['amount'], algorithm => 'iforest', options => '{"max_depth": 65}');
SELECT anomaly_train('e', 'tx', columns => ARRAY['amount'], options => '{"sample_rows": 2}');
SELECT anomaly_train('e', 'tx', columns => ARRAY['amount'], algorithm => 'iforest', options => '{"trees": 10}');
SELECT anomaly_train('e', 'tx', columns => ARRAY['amount'], algorithm => 'iforest', options => '{"n_trees": "many"}');
SELECT anomaly_train('e', 'tx', columns => ARRAY['amount'], options => '[1]');
SELECT anomaly_fit(t, 'iforest', '{"seed": -1}') FROM (SELECT amount FROM tx) t;
SELECT anomaly_fit(amount) FROM tx;
-- constant and one-row sources
SELECT anomaly_fit(t) FROM (SELECT 1 AS a, 'x'::text AS b FROM tx) t;
SELECT anomaly_fit(t) FROM (SELECT amount FROM tx LIMIT 1) t;
-- nothing was stored by the failures
SELECT count(*) FROM anomaly_models WHERE name = 'e';
