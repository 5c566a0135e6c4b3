-- numeric features are read without text (Clinger's exact fast path where it
-- applies, the text path elsewhere) and must give the bits the text path
-- (numeric -> text -> strtod) gives: a model's training range holds the
-- converted values exactly, so each pair of values fitted as one model is
-- compared bit for bit (float8send) with the float8 cast, a text round trip.
SET client_min_messages = warning;
SELECT setseed(0.17);
CREATE TABLE num_vals AS
  SELECT i / 2 AS g, CASE i % 6
      -- fast path: up to 15 digits, powers of ten within 10^+-22
      WHEN 0 THEN round(((random() - 0.5) * 10 ^ (floor(random() * 40) - 20))::numeric,
                        floor(random() * 26)::int)
      WHEN 1 THEN round((random() * 1e6)::numeric, 6)
      -- up to 45 digits: mostly the text path
      WHEN 2 THEN round(random()::numeric * 10::numeric ^ floor(random() * 30)::int
                        + random()::numeric, 30)
      -- integers with trailing zeros, up to 10^28
      WHEN 3 THEN trunc((random() * 1e16)::numeric) * 10::numeric ^ floor(random() * 12)::int
      -- huge and tiny: the text path
      WHEN 4 THEN round((random() - 0.5)::numeric * 10::numeric ^ (floor(random() * 600) - 300)::int,
                        320)
      -- mantissas around 2^53
      ELSE round((random() * 9007199254740993)::numeric
                 * 10::numeric ^ (floor(random() * 50) - 25)::int, 25) END AS x
    FROM generate_series(0, 19999) i;
-- edge values, each paired with 1
INSERT INTO num_vals
  SELECT 100000 + row_number() OVER (), v
    FROM unnest(ARRAY[0, 0.000, -0.000, 0.1, -0.1, 0.3, 2.5, 1e22, 1e23, -1e23, 1e-22, 1e-23,
                      9007199254740992, 9007199254740993, -9007199254740995, 900719925474099.3,
                      123456789012345678901234567890, 0.000000000000000000000000000001,
                      1e300, -1e300, 1e-300, 2.2250738585072014e-308, 4.9e-324,
                      1.7976931348623157e308, 0.30000000000000004, 99999999999999999999.99,
                      3.00000000000000000000001]::numeric[]) v
  UNION ALL SELECT 100000 + n, 1 FROM generate_series(1, 27) n;
-- (how many pairs differ in float8 varies with the major's numeric
-- arithmetic, so the count is only bounded)
SELECT count(*) >= 9000 AS many_pairs,
       count(*) FILTER (WHERE (float8send(f.train_low) = float8send(least(v.x1::float8, v.x2::float8))
                               AND float8send(f.train_high) = float8send(greatest(v.x1::float8, v.x2::float8)))
                              IS NOT TRUE)
         AS differing
  FROM (SELECT n.g, min(n.x) AS x1, max(n.x) AS x2, anomaly_fit(s, 'zscore') AS m
          FROM num_vals n, LATERAL (SELECT n.x) s
         WHERE n.g IN (SELECT g FROM num_vals GROUP BY g HAVING min(x)::float8 <> max(x)::float8)
         GROUP BY n.g) v,
       (SELECT 0::numeric AS x) z, anomaly_explain(v.m, z) f;

-- NaN, the infinities and a numeric past float8's range score as the float8
-- values the text path gives them (NaN is a missing value; 1e400 becomes
-- Infinity, as strtod's overflow does)
CREATE TABLE num_fit AS SELECT (i % 97)::numeric / 7 AS x FROM generate_series(1, 500) i;
CREATE TABLE num_model AS SELECT anomaly_fit(s, 'hbos') AS m FROM num_fit s;
SELECT label,
       anomaly_score(m, (SELECT s FROM (SELECT v AS x) s))
         IS NOT DISTINCT FROM anomaly_score(m, (SELECT s FROM (SELECT f AS x) s)) AS same_score
  FROM num_model,
       unnest(ARRAY['NaN', 'Infinity', '-Infinity', '1e400', '-1e400', '1e-400'],
              ARRAY['NaN', 'Infinity', '-Infinity', '1e400', '-1e400', '1e-400']::numeric[],
              ARRAY['NaN', 'Infinity', '-Infinity', 'Infinity', '-Infinity', '0']::float8[]) u(label, v, f);
DROP TABLE num_vals, num_fit, num_model;
