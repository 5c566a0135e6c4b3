/*
 * citus.c - what the extension knows of Citus: whether the backend runs a
 * task of a distributed query for a coordinator, where anomaly_models (a
 * table of the coordinator) has no rows, so a model lookup there is refused
 * with the way round it rather than "does not exist"; and whether Citus is
 * installed at all.
 */
#include "glue.h"

#include "commands/extension.h"
#include "utils/guc.h"

/* The application_name Citus gives its connections to the workers. */
#define CITUS_TASK_PREFIX "citus_internal gpid="

/* Whether this backend runs tasks for a Citus coordinator. */
static bool
citus_task(void)
{
	const char *app = GetConfigOption("application_name", true, false);

	return app != NULL && strncmp(app, CITUS_TASK_PREFIX, strlen(CITUS_TASK_PREFIX)) == 0;
}

/*
 * Refuse a model looked up by id (name NULL) or by name inside a Citus
 * task: the models live on the coordinator; their bytes can travel with
 * the query.  Returns when this is not a Citus task.
 */
void
an_citus_refuse_lookup(int64 id, const char *name)
{
	if (!citus_task())
		return;
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 name ? errmsg("anomaly model \"%s\" cannot be looked up on a Citus worker", name)
			 : errmsg("anomaly model with id %lld cannot be looked up on a Citus worker", (long long) id),
			 errdetail("anomaly_models is a table of the coordinator; scoring a distributed table runs on the workers."),
			 errhint("Pass the model's bytes, which travel with the query: WITH m AS MATERIALIZED (SELECT model FROM anomaly_models WHERE id = ...) SELECT anomaly_score(m.model, t) FROM tab t, m.")));
}

/* Whether Citus is installed in this database: a query's source may then be
 * a distributed table, whose tasks get every parameter inlined in their
 * text. */
bool
an_citus_installed(void)
{
	return OidIsValid(get_extension_oid("citus", true));
}
