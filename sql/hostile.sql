-- Hostile names and a hostile search_path: identifiers are quoted
-- everywhere, and the SQL the extension runs inside cannot be hijacked.
SET client_min_messages = warning;
\set VERBOSITY default
\set SHOW_CONTEXT never

-- a table, its schema, its columns and a model named to break naive SQL
CREATE SCHEMA "we.ird ""schema""";
CREATE TABLE y (i int);
INSERT INTO y VALUES (1);
CREATE TABLE "we.ird ""schema"""."x; DROP TABLE y" (
    "id; DROP TABLE y" int PRIMARY KEY,
    "a""b; --" float8,
    "<script>alert(1)</script>" float8,
    "select" text,
    "is; anomaly" bool,
    "at time" timestamptz,
    "s'core" float8,
    "fl""ag" bool);
INSERT INTO "we.ird ""schema"""."x; DROP TABLE y"
SELECT substr(transaction_id, 5)::int, amount, hour_of_day, payment_method, is_anomaly,
       timestamptz '2026-11-01 00:00+00' + substr(transaction_id, 5)::int * interval '1 hour'
  FROM tx;
SELECT anomaly_train('m''; DROP TABLE y; --"', '"we.ird ""schema"""."x; DROP TABLE y"',
                     algorithm => 'iforest', label => 'is; anomaly') IS NOT NULL AS trained;
SELECT name, features FROM anomaly_model_list WHERE name = 'm''; DROP TABLE y; --"';
-- every function that reads the source or the row
SELECT count(*) AS scored, count(*) FILTER (WHERE anomaly_flag('m''; DROP TABLE y; --"', t)) AS flagged
  FROM "we.ird ""schema"""."x; DROP TABLE y" t;
SELECT feature, direction FROM anomaly_explain('m''; DROP TABLE y; --"',
       (SELECT t FROM "we.ird ""schema"""."x; DROP TABLE y" t WHERE "id; DROP TABLE y" = 1)) ORDER BY feature;
SELECT anomaly_reason('m''; DROP TABLE y; --"', t) IS NOT NULL AS reason
  FROM "we.ird ""schema"""."x; DROP TABLE y" t WHERE "id; DROP TABLE y" = 1;
SELECT rows, anomalies FROM anomaly_evaluate('m''; DROP TABLE y; --"', '"we.ird ""schema"""."x; DROP TABLE y"', 'is; anomaly');
SELECT sum(rows) AS histogram_rows FROM anomaly_histogram('m''; DROP TABLE y; --"', '"we.ird ""schema"""."x; DROP TABLE y"');
SELECT count(*) AS drift_features FROM anomaly_drift('m''; DROP TABLE y; --"', '"we.ird ""schema"""."x; DROP TABLE y"');
-- the report escapes every name it prints
SELECT r LIKE '%&lt;script&gt;alert(1)&lt;/script&gt;%' AS escaped, r NOT LIKE '%<script>%' AS no_script
  FROM anomaly_report('m''; DROP TABLE y; --"', '"we.ird ""schema"""."x; DROP TABLE y"',
                      'is; anomaly', 'at time') r;
-- a monitor that writes into hostile columns
CREATE TRIGGER "tag; DROP TABLE y" BEFORE INSERT ON "we.ird ""schema"""."x; DROP TABLE y"
  FOR EACH ROW EXECUTE FUNCTION anomaly_monitor('m''; DROP TABLE y; --"', 'score_column=s''core', 'flag_column=fl"ag');
INSERT INTO "we.ird ""schema"""."x; DROP TABLE y" ("id; DROP TABLE y", "a""b; --", "<script>alert(1)</script>", "select")
VALUES (100001, 1e6, 3, 'crypto');
SELECT "s'core" IS NOT NULL AS scored, "fl""ag" AS flagged FROM "we.ird ""schema"""."x; DROP TABLE y"
 WHERE "id; DROP TABLE y" = 100001;
SELECT row_key FROM anomaly_events WHERE model_name = 'm''; DROP TABLE y; --"';
-- a query as the source
SELECT anomaly_train('m''; DROP TABLE y; --"',
                     'SELECT "a""b; --", "select" FROM "we.ird ""schema"""."x; DROP TABLE y"') IS NOT NULL AS from_query;
-- nothing was dropped
SELECT count(*) AS y_rows FROM y;

-- a hostile search_path: every operator, function and type the extension's
-- own SQL could resolve through it raises instead
CREATE SCHEMA evil;
CREATE FUNCTION evil.boom() RETURNS bool LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'hijacked by evil'; END $$;
CREATE FUNCTION evil.eq_text(text, text) RETURNS bool LANGUAGE sql AS 'SELECT evil.boom()';
CREATE FUNCTION evil.eq_int8(bigint, bigint) RETURNS bool LANGUAGE sql AS 'SELECT evil.boom()';
CREATE FUNCTION evil.eq_int4(int, int) RETURNS bool LANGUAGE sql AS 'SELECT evil.boom()';
CREATE FUNCTION evil.eq_name(name, name) RETURNS bool LANGUAGE sql AS 'SELECT evil.boom()';
CREATE FUNCTION evil.plus(int, int) RETURNS int LANGUAGE sql AS 'SELECT evil.boom()::int';
CREATE FUNCTION evil.div(float8, float8) RETURNS float8 LANGUAGE sql AS 'SELECT evil.boom()::int::float8';
CREATE FUNCTION evil.concat(text, anynonarray) RETURNS text LANGUAGE sql AS 'SELECT evil.boom()::text';
CREATE FUNCTION evil.arrow(jsonb, text) RETURNS text LANGUAGE sql AS 'SELECT evil.boom()::text';
CREATE OPERATOR evil.= (LEFTARG = text, RIGHTARG = text, FUNCTION = evil.eq_text);
CREATE OPERATOR evil.= (LEFTARG = bigint, RIGHTARG = bigint, FUNCTION = evil.eq_int8);
CREATE OPERATOR evil.= (LEFTARG = int, RIGHTARG = int, FUNCTION = evil.eq_int4);
CREATE OPERATOR evil.= (LEFTARG = name, RIGHTARG = name, FUNCTION = evil.eq_name);
CREATE OPERATOR evil.+ (LEFTARG = int, RIGHTARG = int, FUNCTION = evil.plus);
CREATE OPERATOR evil./ (LEFTARG = float8, RIGHTARG = float8, FUNCTION = evil.div);
CREATE OPERATOR evil.|| (LEFTARG = text, RIGHTARG = anynonarray, FUNCTION = evil.concat);
CREATE OPERATOR evil.->> (LEFTARG = jsonb, RIGHTARG = text, FUNCTION = evil.arrow);
CREATE FUNCTION evil.now() RETURNS timestamptz LANGUAGE sql AS 'SELECT evil.boom()::int::text::timestamptz';
CREATE FUNCTION evil.unnest(anyarray) RETURNS SETOF anyelement LANGUAGE plpgsql AS $$ BEGIN PERFORM evil.boom(); END $$;
CREATE FUNCTION evil.jsonb_array_elements(jsonb) RETURNS SETOF jsonb LANGUAGE plpgsql AS $$ BEGIN PERFORM evil.boom(); END $$;
CREATE FUNCTION evil.array_to_string(anyarray, text) RETURNS text LANGUAGE sql AS 'SELECT evil.boom()::text';
CREATE FUNCTION evil.date_part(text, timestamptz) RETURNS float8 LANGUAGE sql AS 'SELECT evil.boom()::int::float8';
CREATE FUNCTION evil.hashtext(text) RETURNS int LANGUAGE sql AS 'SELECT evil.boom()::int';
CREATE FUNCTION evil.pg_advisory_xact_lock(int, int) RETURNS void LANGUAGE sql AS 'SELECT evil.boom()';
CREATE FUNCTION evil.boom_state(bigint) RETURNS bigint LANGUAGE sql AS 'SELECT evil.boom()::int::bigint';
CREATE FUNCTION evil.boom_state_int(int, int) RETURNS int LANGUAGE sql AS 'SELECT evil.boom()::int';
CREATE AGGREGATE evil.count(*) (SFUNC = evil.boom_state, STYPE = bigint);
CREATE AGGREGATE evil.max(int) (SFUNC = evil.boom_state_int, STYPE = int);
CREATE DOMAIN evil.text AS pg_catalog.text CHECK (evil.boom());
CREATE DOMAIN evil.float8 AS pg_catalog.float8 CHECK (evil.boom());
CREATE DOMAIN evil.int4 AS pg_catalog.int4 CHECK (evil.boom());
CREATE DOMAIN evil.jsonb AS pg_catalog.jsonb CHECK (evil.boom());
-- the trap works
SET search_path = evil, public, pg_catalog;
SELECT 'a'::text = 'a'::text;
SELECT anomaly_train('hostile_path', 'tx', ARRAY['amount', 'hour_of_day', 'payment_method'], 'hbos',
                     label => 'is_anomaly') IS NOT NULL AS trained;
SELECT anomaly_train('hostile_path', 'tx', ARRAY['amount', 'hour_of_day', 'payment_method'], 'iforest') IS NOT NULL AS retrained;
SELECT anomaly_score('hostile_path', t) IS NOT NULL AS scored FROM tx t LIMIT 1;
SELECT anomaly_flag((SELECT id FROM anomaly_models WHERE name OPERATOR(pg_catalog.=) 'hostile_path' AND version OPERATOR(pg_catalog.=) 1), t) IS NOT NULL AS by_id
  FROM tx t LIMIT 1;
SELECT anomaly_reason('hostile_path', t) IS NOT NULL AS reason FROM tx t LIMIT 1;
SELECT rows FROM anomaly_evaluate('hostile_path', 'tx', 'is_anomaly');
SELECT bins FROM (SELECT pg_catalog.count(*) AS bins FROM anomaly_histogram('hostile_path', 'tx', 5)) h;
SELECT feature FROM anomaly_drift('hostile_path', 'tx') LIMIT 1;
SELECT pg_catalog.length(anomaly_report('hostile_path', 'tx', 'is_anomaly')) OPERATOR(pg_catalog.>) 1000 AS report;
CREATE TABLE public.hostile_watched (LIKE tx);
CREATE TRIGGER hostile_watch AFTER INSERT ON hostile_watched REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION anomaly_monitor('hostile_path', 'log=all');
INSERT INTO hostile_watched SELECT * FROM tx LIMIT 5;
SELECT anomaly_grant('hostile_path', 'public');
SELECT anomaly_revoke('hostile_path', 'public');
SELECT anomaly_prune_events(interval '1 day');
SELECT anomaly_drop('hostile_path', 1);
RESET search_path;
SELECT count(*) AS hostile_events FROM anomaly_events WHERE model_name = 'hostile_path';

DROP TABLE hostile_watched;
DROP SCHEMA evil CASCADE;
DROP SCHEMA "we.ird ""schema""" CASCADE;
DROP TABLE y;
SELECT anomaly_drop('hostile_path') + anomaly_drop('m''; DROP TABLE y; --"') AS dropped;
DELETE FROM anomaly_events WHERE model_name IN ('hostile_path', 'm''; DROP TABLE y; --"');
DELETE FROM anomaly_batches WHERE model_name IN ('hostile_path', 'm''; DROP TABLE y; --"');
