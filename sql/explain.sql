-- Explanations: anomaly_explain, anomaly_reason and anomaly_out_of_range
-- for every algorithm and every row form.
SET client_min_messages = warning;

-- planted data: the anomalies differ from the inliers in feature c only;
-- the models are trained on the inliers and explain the anomalies as new rows
CREATE TABLE planted AS
  SELECT i AS id,
         round((sin(i * 1.3) + 0.5 * cos(i * 0.7))::numeric, 3)::float8 AS a,
         round((cos(i * 1.1) + 0.3 * sin(i * 2.9) + 3)::numeric, 3)::float8 AS b,
         round((sin(i * 0.9) * cos(i * 1.7) + 6
                + CASE WHEN i % 50 = 0 THEN 8 ELSE 0 END)::numeric, 3)::float8 AS c,
         round((cos(i * 2.3) + 9)::numeric, 3)::float8 AS d,
         (ARRAY['red', 'red', 'blue'])[1 + i % 3] AS color,
         i % 50 = 0 AS is_anomaly
    FROM generate_series(1, 1000) i;
CREATE TABLE algorithms (algo text PRIMARY KEY, ord int);
INSERT INTO algorithms VALUES ('iforest', 1), ('lof', 2), ('knn', 3), ('ocsvm', 4),
  ('hbos', 5), ('ecod', 6), ('copod', 7), ('zscore', 8), ('mahalanobis', 9),
  ('ensemble', 10), ('auto', 11);
SELECT count(*) AS trained FROM algorithms,
  LATERAL anomaly_train('expl_' || algo, 'SELECT * FROM planted WHERE NOT is_anomaly',
                        ARRAY['a', 'b', 'c', 'd', 'color'], algo);
SELECT anomaly_train('expl_num', 'SELECT * FROM planted WHERE NOT is_anomaly',
                     ARRAY['a', 'b', 'c', 'd'], 'mahalanobis') > 0 AS trained_numeric;

-- every algorithm blames feature c most, in the high direction, for every anomaly
SELECT algo AS algorithm,
       count(*) FILTER (WHERE e.feature = 'c' AND e.direction = 'high') AS blamed_c,
       count(*) AS anomalies,
       round(avg(e.share)::numeric, 1) >= 0.4 AS big_share
  FROM algorithms, planted p,
       LATERAL (SELECT * FROM anomaly_explain('expl_' || algo, p) LIMIT 1) e
 WHERE p.is_anomaly
 GROUP BY algo, ord ORDER BY ord;

-- shares sum to 1, contributions are non-negative, one row per feature
SELECT algo AS algorithm, bool_and(ok) AS shares_sum_to_1
  FROM algorithms, planted p,
       LATERAL (SELECT abs(sum(share) - 1) < 1e-9 AND min(contribution) >= 0
                       AND count(*) = 5 AS ok
                  FROM anomaly_explain('expl_' || algo, p)) e
 WHERE p.id % 97 = 0 OR p.is_anomaly
 GROUP BY algo, ord ORDER BY ord;

-- the columns: value as text, direction, training range, out-of-range check
SELECT feature, value, round(share::numeric, 2) > 0 AS has_share, direction,
       round(train_low::numeric, 2) AS train_low, round(train_high::numeric, 2) AS train_high,
       out_of_range
  FROM anomaly_explain('expl_hbos', (SELECT p FROM planted p WHERE id = 50))
 ORDER BY feature;

-- values outside the training range, unseen categories and NULLs
SELECT feature, value, direction, out_of_range
  FROM anomaly_explain('expl_iforest',
                       '{"a": 100, "b": null, "c": 6, "d": 9, "color": "green"}'::jsonb)
 ORDER BY feature;
SELECT anomaly_out_of_range('expl_iforest',
                            '{"a": 100, "b": null, "c": 6, "d": 9, "color": "green"}'::jsonb);
SELECT anomaly_out_of_range('expl_iforest', p) FROM planted p WHERE id = 7;

-- the reason line names the blamed feature with its direction and share
SELECT id, anomaly_reason('expl_hbos', p) ~ '^c=[0-9.]+ high, out of range \(\d+%\)' AS names_c
  FROM planted p WHERE is_anomaly ORDER BY id LIMIT 3;
SELECT anomaly_reason('expl_zscore', '{"a": 0, "b": 3, "c": 60, "d": 9, "color": "red"}'::jsonb);
SELECT anomaly_reason('expl_zscore', '{"a": 0, "b": 3, "c": 6, "d": 9, "color": "red"}'::jsonb) IS NOT NULL AS inlier_has_reason;

-- every model form and row form
SELECT count(*) FROM anomaly_explain((SELECT id FROM anomaly_models WHERE name = 'expl_knn'),
                                     (SELECT p FROM planted p WHERE id = 50));
SELECT count(*) FROM anomaly_explain((SELECT model FROM anomaly_models WHERE name = 'expl_knn'),
                                     (SELECT p FROM planted p WHERE id = 50));
SELECT feature, value, direction FROM anomaly_explain('expl_num', ARRAY[0, 3, 14, 9]::float8[]);

-- errors
SELECT * FROM anomaly_explain('no_such_model', (SELECT p FROM planted p WHERE id = 1));
SELECT * FROM anomaly_explain('expl_num', ARRAY[1, 2]::float8[]);
SELECT * FROM anomaly_explain('expl_zscore', ARRAY[1, 2, 3, 4]::float8[]);
SELECT * FROM anomaly_explain('expl_zscore', 42);
SELECT anomaly_reason('expl_zscore', '[1, 2]'::jsonb);

-- the anomalies among the training rows (issue 15): 2,000 rows, five
-- correlated features, 40 rows shifted by +6 in f3; every model trained on
-- all of them explains those 40 by f3
CREATE TABLE contaminated AS
SELECT i AS id, i % 50 = 25 AS is_anomaly,
       0.5 * z + 0.8 * e1 AS f1, 0.5 * z + 0.8 * e2 AS f2,
       0.5 * z + 0.8 * e3 + CASE WHEN i % 50 = 25 THEN 6 ELSE 0 END AS f3,
       0.5 * z + 0.8 * e4 AS f4, 0.5 * z + 0.8 * e5 AS f5
FROM (SELECT i, sqrt(-2 * ln(u1)) * cos(2 * pi() * u2) AS z,
             sqrt(-2 * ln(u3)) * cos(2 * pi() * u4) AS e1,
             sqrt(-2 * ln(u3)) * sin(2 * pi() * u4) AS e2,
             sqrt(-2 * ln(u5)) * cos(2 * pi() * u6) AS e3,
             sqrt(-2 * ln(u5)) * sin(2 * pi() * u6) AS e4,
             sqrt(-2 * ln(u1)) * sin(2 * pi() * u2) AS e5
      FROM (SELECT i, ((i * 7919) % 10007 + 0.5) / 10007.0 AS u1, ((i * 104729) % 10009 + 0.5) / 10009.0 AS u2,
                   ((i * 1299709) % 10037 + 0.5) / 10037.0 AS u3, ((i * 15485863) % 10039 + 0.5) / 10039.0 AS u4,
                   ((i * 32452843) % 10061 + 0.5) / 10061.0 AS u5, ((i * 49979687) % 10067 + 0.5) / 10067.0 AS u6
            FROM generate_series(1::bigint, 2000) i) u) g;
SELECT count(*) AS trained FROM unnest(ARRAY['knn', 'lof', 'auto', 'iforest', 'mahalanobis']) a,
  LATERAL anomaly_train('cont_' || a, 'contaminated', ARRAY['f1', 'f2', 'f3', 'f4', 'f5'], a);
SELECT a AS algorithm,
       count(*) FILTER (WHERE (SELECT feature FROM anomaly_explain('cont_' || a, c) LIMIT 1) = 'f3') AS f3_leads,
       count(*) AS anomalies
FROM unnest(ARRAY['knn', 'lof', 'auto', 'iforest', 'mahalanobis']) a, contaminated c
WHERE c.is_anomaly GROUP BY a ORDER BY a;

-- readable values (issue 15): a knn reason on the contaminated rows, a free
-- numeric column, numeric(p, s), float4, a date and a timestamp
SELECT anomaly_reason('cont_knn', c) FROM contaminated c WHERE id = 25;
SELECT e.feature, e.value FROM contaminated c, anomaly_explain('cont_knn', c) e WHERE c.id = 25 ORDER BY 1;
CREATE TABLE readable AS
SELECT i AS id, (i * 1.000000123456789)::numeric AS free_num, (i * 1.25)::numeric(10, 2) AS money,
       (i / 3.0)::float4 AS ratio, date '2024-03-01' + i AS day,
       timestamptz '2024-03-01 00:00:00+00' + i * interval '1 hour 7 seconds' AS at
FROM generate_series(1, 200) i;
SELECT anomaly_train('readable_z', 'readable', ARRAY['free_num', 'money', 'ratio', 'day', 'at'], 'zscore') > 0 AS trained;
SET TIME ZONE 'UTC';
SELECT e.feature, e.value FROM readable r, anomaly_explain('readable_z', r) e WHERE r.id = 7 ORDER BY 1;
SELECT feature, value FROM anomaly_explain('readable_z', '{"free_num": 7.000000864197523, "money": 8.75, "ratio": 2.3333333333333335, "day": 1, "at": 2}'::jsonb) ORDER BY feature;
SELECT anomaly_reason('readable_z', r) FROM readable r WHERE id = 200;
RESET TIME ZONE;
