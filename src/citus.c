/*
 * citus.c - what the extension knows of Citus: whether the backend runs a
 * task of a distributed query for a coordinator, and where such a task
 * finds the coordinator's models.  anomaly_models is a local table of the
 * coordinator; anomaly_model_replicas, a reference table filled by triggers
 * on the coordinator (anomaly_citus_replicate() in the catalog script),
 * holds what a lookup needs on every node.  A task reads the replica's
 * shard on its node directly, a plain local table: through the shell table
 * Citus would plan a distributed query inside a task, which it refuses
 * unless citus.allow_nested_distributed_execution is set.  The shard
 * carries the replica's read policy, so row-level security holds on the
 * workers as on the coordinator.  And whether Citus is installed at all.
 */
#include "glue.h"

#include "catalog/pg_namespace.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"

/* The application_name Citus gives its connections to the workers. */
#define CITUS_TASK_PREFIX "citus_internal gpid="

/* Whether this backend runs tasks for a Citus coordinator. */
bool
an_citus_task(void)
{
	const char *app = GetConfigOption("application_name", true, false);

	return app != NULL && strncmp(app, CITUS_TASK_PREFIX, strlen(CITUS_TASK_PREFIX)) == 0;
}

/*
 * The qualified name of the shard of anomaly_model_replicas on this node,
 * valid until the caller (connected to SPI) finishes; NULL when the replica
 * is no Citus reference table here (anomaly_citus_replicate() was not run).
 */
char *
an_citus_replica_shard(void)
{
	char	   *sql;
	char	   *shard = NULL;
	bool		isnull;
	Datum		d;

	if (!an_citus_installed())
		return NULL;
	/* a reference table has a placement on every node, but check */
	sql = psprintf("SELECT shard FROM (SELECT pg_catalog.quote_ident(n.nspname) OPERATOR(pg_catalog.||) '.' "
				   "OPERATOR(pg_catalog.||) pg_catalog.quote_ident(c.relname OPERATOR(pg_catalog.||) '_' "
				   "OPERATOR(pg_catalog.||) s.shardid) "
				   "FROM pg_catalog.pg_dist_shard s JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) s.logicalrelid "
				   "JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace "
				   "WHERE s.logicalrelid OPERATOR(pg_catalog.=) pg_catalog.to_regclass('%s.anomaly_model_replicas')) q(shard) "
				   "WHERE pg_catalog.to_regclass(shard) IS NOT NULL",
				   an_glue_schema());
	if (SPI_execute(sql, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "reading pg_dist_shard failed");
	if (SPI_processed == 1)
	{
		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
		shard = isnull ? NULL : TextDatumGetCString(d);
	}
	return shard;
}

/*
 * Refuse a model looked up by id (name NULL) or by name inside a Citus
 * task on a node without the replica: the models live on the coordinator.
 */
void
an_citus_refuse_lookup(int64 id, const char *name)
{
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 name ? errmsg("anomaly model \"%s\" cannot be looked up on a Citus worker", name)
			 : errmsg("anomaly model with id %lld cannot be looked up on a Citus worker", (long long) id),
			 errdetail("anomaly_models is a table of the coordinator, and its replica anomaly_model_replicas is not a reference table."),
			 errhint("Run SELECT anomaly_citus_replicate() once on the coordinator, or pass the model's bytes, which travel with the query: "
					 "WITH m AS MATERIALIZED (SELECT model FROM anomaly_models WHERE id = ...) SELECT anomaly_score(m.model, t) FROM tab t, m.")));
}

/*
 * Refuse an anomaly_monitor trigger that fires inside a Citus task (on a
 * shard of a distributed table) and would write events or batch rows:
 * those tables are local to each node, and the coordinator would not see
 * them.  logs says whether it would write any.
 */
void
an_citus_check_monitor(const char *trigger, const char *relation, bool logs)
{
	if (!logs || !an_citus_task())
		return;
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("trigger \"%s\" on %s cannot log anomaly events on a Citus worker", trigger, relation),
			 errdetail("The trigger fires on a shard of a distributed table; anomaly_events and anomaly_batches are tables of the coordinator."),
			 errhint("On a distributed table use a BEFORE INSERT OR UPDATE ... FOR EACH ROW trigger with 'log=none' and 'reject' "
					 "or score_column/flag_column, and query the flagged rows from the coordinator.")));
}

/* Whether Citus is installed in this database (its metadata tables are
 * there; a syscache lookup, cheap enough for every statement planned). */
bool
an_citus_installed(void)
{
	return OidIsValid(get_relname_relid("pg_dist_partition", PG_CATALOG_NAMESPACE));
}
