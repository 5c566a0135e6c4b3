-- The option "approximate" of lof and knn: the (1 + eps)-approximate
-- neighbour search, stored in the model so that scoring uses what training
-- chose (bad values: detectors.sql's error paths).
SET client_min_messages = warning;
SELECT setseed(0.14);
CREATE TABLE nn AS
  SELECT i AS id, random() * 10 AS a, random() * 10 AS b, random() * 10 AS c,
         random() * 10 AS d
    FROM generate_series(1, 6000) i;
CREATE TABLE nn_probe AS
  SELECT i AS id, random() * 12 - 1 AS a, random() * 12 - 1 AS b,
         random() * 12 - 1 AS c, random() * 12 - 1 AS d
    FROM generate_series(1, 500) i;

-- exact (the default, and 0 given), and approximate with eps 0.5 and 2
SELECT alg, eps, anomaly_train('nn_' || alg || '_' || eps, 'nn', ARRAY['a', 'b', 'c', 'd'], alg,
                               options => CASE WHEN eps = 'default' THEN '{}'
                                               ELSE jsonb_build_object('approximate', eps::float8) END) > 0 AS trained
  FROM (VALUES ('knn'), ('lof')) x(alg), (VALUES ('default'), ('0'), ('0.5'), ('2')) e(eps)
 ORDER BY alg, eps;

-- the option is stored with the model's other options
SELECT name, params - 'seed' - 'sample_rows' AS own_options
  FROM anomaly_model_list WHERE name LIKE 'nn\_%' ORDER BY name;

-- approximate 0 scores as the default, to the bit
SELECT alg, bool_and(anomaly_score('nn_' || alg || '_0', p) = anomaly_score('nn_' || alg || '_default', p)) AS same
  FROM nn_probe p, (VALUES ('knn'), ('lof')) x(alg) GROUP BY alg ORDER BY alg;

-- knn's k-th distance: at least the exact one, at most 1 + eps times it,
-- and not always the exact one; by name, id and bytea alike
SELECT eps,
       bool_and(s >= exact AND s <= (1 + eps::float8) * exact * (1 + 1e-12)) AS within_bound,
       count(*) FILTER (WHERE s > exact) > 0 AS some_farther,
       bool_and(s = by_id AND s = by_bytes) AS forms_agree
  FROM (SELECT e.eps, anomaly_score('nn_knn_default', p) AS exact,
               anomaly_score('nn_knn_' || e.eps, p) AS s,
               anomaly_score(m.id, p) AS by_id, anomaly_score(m.model, p) AS by_bytes
          FROM nn_probe p, (VALUES ('0.5'), ('2')) e(eps)
          JOIN anomaly_models m ON m.name = 'nn_knn_' || e.eps) t
 GROUP BY eps ORDER BY eps;

-- lof scores change with eps but stay finite and positive
SELECT eps, bool_and(s > 0 AND s < 'Infinity') AS finite,
       count(*) FILTER (WHERE s <> exact) > 0 AS some_differ
  FROM (SELECT e.eps, anomaly_score('nn_lof_default', p) AS exact,
               anomaly_score('nn_lof_' || e.eps, p) AS s
          FROM nn_probe p, (VALUES ('0.5'), ('2')) e(eps)) t
 GROUP BY eps ORDER BY eps;

-- the aggregate takes the option too, up to its maximum, and its model scores
-- by it: no nearer than the exact model of the same rows, and farther on some
WITH f AS (SELECT anomaly_fit(t, 'knn', '{"approximate": 100, "k": 5}') AS approx,
                  anomaly_fit(t, 'knn', '{"k": 5}') AS exact
             FROM (SELECT a, b, c, d FROM nn) t)
SELECT bool_and(anomaly_score(f.approx, p) >= anomaly_score(f.exact, p)) AS no_nearer,
       count(*) FILTER (WHERE anomaly_score(f.approx, p) > anomaly_score(f.exact, p)) > 0 AS some_farther
  FROM f, (SELECT a, b, c, d FROM nn_probe) p;

-- bad values (negative, beyond 100, a word, true, on an algorithm without
-- it) are refused with the range in the hint: detectors.sql's error paths
SELECT count(*) AS dropped FROM (SELECT anomaly_drop(name) FROM (SELECT DISTINCT name FROM anomaly_models WHERE name LIKE 'nn\_%') n) d;
DROP TABLE nn, nn_probe;
