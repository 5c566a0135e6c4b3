-- anomaly 0.1.0 -> 0.2.0: models belong to their owner.
--
-- Row-level security on the catalog: a model is seen (so read, scored,
-- explained, reported on) by the members of its owner role and by the roles
-- it is granted to with anomaly_grant; it is dropped, granted and retrained
-- only by the members of its owner role.  Monitoring events and batches
-- follow their model's visibility.  The views run with the caller's rights,
-- and the SQL-language functions pin search_path.  Model bytes are not
-- touched: every 0.1.0 model scores the same after the update.
\echo Use "ALTER EXTENSION anomaly UPDATE TO '0.2.0'" to load this file. \quit

-- The roles a model is granted to, besides its owner's members ('public':
-- everyone).  Every version of a name carries the same list.
ALTER TABLE anomaly_models ADD COLUMN readers name[] NOT NULL DEFAULT '{}';
COMMENT ON COLUMN anomaly_models.readers IS 'Roles granted the model with anomaly_grant; public means every role';

ALTER TABLE anomaly_models ENABLE ROW LEVEL SECURITY;
CREATE POLICY anomaly_models_read ON anomaly_models FOR SELECT
    USING (pg_catalog.pg_has_role(pg_catalog.to_regrole(pg_catalog.quote_ident(owner))::pg_catalog.oid, 'MEMBER')
           OR 'public' OPERATOR(pg_catalog.=) ANY (readers)
           OR EXISTS (SELECT FROM pg_catalog.unnest(readers) r
                       WHERE pg_catalog.pg_has_role(pg_catalog.to_regrole(pg_catalog.quote_ident(r))::pg_catalog.oid,
                                                    'MEMBER')));
CREATE POLICY anomaly_models_train ON anomaly_models FOR INSERT
    WITH CHECK (pg_catalog.pg_has_role(pg_catalog.to_regrole(pg_catalog.quote_ident(owner))::pg_catalog.oid, 'MEMBER'));
CREATE POLICY anomaly_models_share ON anomaly_models FOR UPDATE
    USING (pg_catalog.pg_has_role(pg_catalog.to_regrole(pg_catalog.quote_ident(owner))::pg_catalog.oid, 'MEMBER'))
    WITH CHECK (pg_catalog.pg_has_role(pg_catalog.to_regrole(pg_catalog.quote_ident(owner))::pg_catalog.oid, 'MEMBER'));
CREATE POLICY anomaly_models_drop ON anomaly_models FOR DELETE
    USING (pg_catalog.pg_has_role(pg_catalog.to_regrole(pg_catalog.quote_ident(owner))::pg_catalog.oid, 'MEMBER'));
-- models are immutable: of their columns, only readers can change
GRANT INSERT, DELETE ON anomaly_models TO PUBLIC;
GRANT UPDATE (readers) ON anomaly_models TO PUBLIC;

-- The listing runs with the caller's rights, so it shows what they may see.
CREATE OR REPLACE VIEW anomaly_model_list WITH (security_invoker = true) AS
    SELECT id, name, version, algorithm,
           ARRAY(SELECT f->>'name' FROM jsonb_array_elements(features) f) AS features,
           params, contamination, threshold, source, train_rows, metrics, owner,
           created_at, octet_length(model) AS model_bytes, readers
    FROM anomaly_models;

-- anomaly_drop: drop one version of a model, or all of them (owners only).
CREATE OR REPLACE FUNCTION anomaly_drop(name text, version int DEFAULT NULL) RETURNS int
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    visible int;
    dropped int;
BEGIN
    SELECT count(*) INTO visible FROM @extschema@.anomaly_models m
     WHERE m.name = anomaly_drop.name
       AND (anomaly_drop.version IS NULL OR m.version = anomaly_drop.version);
    IF visible = 0 THEN
        RAISE EXCEPTION USING ERRCODE = 'undefined_object',
            MESSAGE = format('anomaly model "%s"%s does not exist', name,
                             CASE WHEN version IS NULL THEN '' ELSE ' version ' || version END),
            HINT = 'SELECT name, version FROM anomaly_model_list shows the models.';
    END IF;
    DELETE FROM @extschema@.anomaly_models m
     WHERE m.name = anomaly_drop.name
       AND (anomaly_drop.version IS NULL OR m.version = anomaly_drop.version);
    GET DIAGNOSTICS dropped = ROW_COUNT;
    IF dropped < visible THEN
        RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege',
            MESSAGE = format('permission denied to drop anomaly model "%s"', name),
            HINT = 'Only members of the role that owns a model can drop it.';
    END IF;
    RETURN dropped;
END
$$;

-- anomaly_grant / anomaly_revoke: let a role (or public) see a model.
CREATE FUNCTION anomaly_grant(model text, grantee name) RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    visible int;
    changed int;
BEGIN
    IF grantee IS NULL OR (grantee <> 'public' AND to_regrole(quote_ident(grantee)) IS NULL) THEN
        RAISE EXCEPTION USING ERRCODE = 'undefined_object',
            MESSAGE = format('role "%s" does not exist', grantee),
            HINT = 'Grant to an existing role, or to public.';
    END IF;
    SELECT count(*) INTO visible FROM @extschema@.anomaly_models m WHERE m.name = anomaly_grant.model;
    IF visible = 0 THEN
        RAISE EXCEPTION USING ERRCODE = 'undefined_object',
            MESSAGE = format('anomaly model "%s" does not exist', model),
            HINT = 'SELECT name, version FROM anomaly_model_list shows the models.';
    END IF;
    UPDATE @extschema@.anomaly_models m
       SET readers = CASE WHEN grantee = ANY (m.readers) THEN m.readers ELSE m.readers || grantee END
     WHERE m.name = anomaly_grant.model;
    GET DIAGNOSTICS changed = ROW_COUNT;
    IF changed < visible THEN
        RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege',
            MESSAGE = format('permission denied to grant anomaly model "%s"', model),
            HINT = 'Only members of the role that owns a model can grant it.';
    END IF;
END
$$;

CREATE FUNCTION anomaly_revoke(model text, grantee name) RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    visible int;
    changed int;
BEGIN
    SELECT count(*) INTO visible FROM @extschema@.anomaly_models m WHERE m.name = anomaly_revoke.model;
    IF visible = 0 THEN
        RAISE EXCEPTION USING ERRCODE = 'undefined_object',
            MESSAGE = format('anomaly model "%s" does not exist', model),
            HINT = 'SELECT name, version FROM anomaly_model_list shows the models.';
    END IF;
    UPDATE @extschema@.anomaly_models m SET readers = array_remove(m.readers, grantee)
     WHERE m.name = anomaly_revoke.model;
    GET DIAGNOSTICS changed = ROW_COUNT;
    IF changed < visible THEN
        RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege',
            MESSAGE = format('permission denied to revoke anomaly model "%s"', model),
            HINT = 'Only members of the role that owns a model can revoke it.';
    END IF;
END
$$;

-- Events and batches are seen by whoever sees their model, written by
-- whoever scores with it, and pruned by its owner's members.
ALTER TABLE anomaly_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE anomaly_batches ENABLE ROW LEVEL SECURITY;
CREATE POLICY anomaly_events_read ON anomaly_events FOR SELECT
    USING (EXISTS (SELECT FROM @extschema@.anomaly_models m WHERE m.id OPERATOR(pg_catalog.=) model_id));
CREATE POLICY anomaly_events_log ON anomaly_events FOR INSERT
    WITH CHECK (EXISTS (SELECT FROM @extschema@.anomaly_models m WHERE m.id OPERATOR(pg_catalog.=) model_id));
CREATE POLICY anomaly_events_prune ON anomaly_events FOR DELETE
    USING (EXISTS (SELECT FROM @extschema@.anomaly_models m
                    WHERE m.id OPERATOR(pg_catalog.=) model_id
                      AND pg_catalog.pg_has_role(pg_catalog.to_regrole(pg_catalog.quote_ident(m.owner))::pg_catalog.oid,
                                                 'MEMBER')));
CREATE POLICY anomaly_batches_read ON anomaly_batches FOR SELECT
    USING (EXISTS (SELECT FROM @extschema@.anomaly_models m WHERE m.id OPERATOR(pg_catalog.=) model_id));
CREATE POLICY anomaly_batches_log ON anomaly_batches FOR INSERT
    WITH CHECK (EXISTS (SELECT FROM @extschema@.anomaly_models m WHERE m.id OPERATOR(pg_catalog.=) model_id));
CREATE POLICY anomaly_batches_prune ON anomaly_batches FOR DELETE
    USING (EXISTS (SELECT FROM @extschema@.anomaly_models m
                    WHERE m.id OPERATOR(pg_catalog.=) model_id
                      AND pg_catalog.pg_has_role(pg_catalog.to_regrole(pg_catalog.quote_ident(m.owner))::pg_catalog.oid,
                                                 'MEMBER')));
GRANT DELETE ON anomaly_events, anomaly_batches TO PUBLIC;
ALTER VIEW anomaly_event_annotations SET (security_invoker = true);
ALTER VIEW anomaly_rate SET (security_invoker = true);

ALTER FUNCTION anomaly_prune_events(interval) SET search_path = pg_catalog, pg_temp;
