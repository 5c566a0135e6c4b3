/*
 * deploy.c - what anomaly_train does with the version it has trained:
 * deploy it always (the default), never, or only if it is at least as good
 * as the deployed version on the training source and its labels.
 *
 * A name's changes are serialized by one transaction-scoped advisory lock
 * per name, taken by training before it numbers a version and by
 * anomaly_deploy and anomaly_rollback (SQL, anomaly_deployment_lock) before
 * they move the pointer.  With 'if_better' the lock is taken before the
 * deployed version is read (with a snapshot taken after the lock), so the
 * comparison holds until the commit.
 * The pointer itself and its history are written by the SQL function
 * anomaly_deployment_set, with the caller's rights (row-level security).
 */
#include "glue.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/snapmgr.h"

#include "metrics.h"

/* The metrics 'if_better' may compare, and where each is in an_metrics. */
static const struct
{
	const char *name;
	size_t		offset;
} deploy_metrics[] = {
	{"roc_auc", offsetof(an_metrics, roc_auc)},
	{"average_precision", offsetof(an_metrics, average_precision)},
	{"precision_at_n", offsetof(an_metrics, precision_at_n)},
	{"f1", offsetof(an_metrics, f1)},
	{"precision", offsetof(an_metrics, precision)},
	{"recall", offsetof(an_metrics, recall)},
};

#define DEPLOY_HINT "deploy is 'always', 'never' or 'if_better' (ROC AUC), or 'if_better:metric' " \
	"with metric roc_auc, average_precision, precision_at_n, f1, precision or recall."

/*
 * Parse anomaly_train's deploy argument (NULL when the catalog predates
 * deployments: the name then means its latest version, as before 0.3.0).
 */
void
an_deploy_parse(const char *text, bool given, const char *label, an_deploy *d)
{
	const char *metric;

	memset(d, 0, sizeof(*d));
	if (!given)
	{
		d->mode = AN_DEPLOY_LATEST;
		return;
	}
	if (text == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("deploy must not be NULL"),
				 errhint(DEPLOY_HINT)));
	if (strcmp(text, "always") == 0)
	{
		d->mode = AN_DEPLOY_ALWAYS;
		return;
	}
	if (strcmp(text, "never") == 0)
	{
		d->mode = AN_DEPLOY_NEVER;
		return;
	}
	if (strcmp(text, "if_better") == 0)
		metric = "roc_auc";
	else if (strncmp(text, "if_better:", 10) == 0)
		metric = text + 10;
	else
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown deploy \"%s\"", text),
				 errhint(DEPLOY_HINT)));
	d->mode = AN_DEPLOY_IF_BETTER;
	for (size_t i = 0; i < lengthof(deploy_metrics); i++)
		if (strcmp(metric, deploy_metrics[i].name) == 0)
		{
			d->metric = deploy_metrics[i].name;
			d->offset = deploy_metrics[i].offset;
		}
	if (d->metric == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("deploy => '%s' names an unknown metric \"%s\"", text, metric),
				 errhint(DEPLOY_HINT)));
	if (label == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("deploy => '%s' needs a label", text),
				 errhint("Pass label => 'column' (a boolean or 0/1 column of the source) to compare the new version with the deployed one, or deploy => 'always'.")));
}

/* Take name's training lock for the rest of the transaction (SPI connected). */
void
an_deploy_lock_name(const char *name)
{
	Oid			types[1] = {TEXTOID};
	Datum		args[1] = {CStringGetTextDatum(name)};

	if (SPI_execute_with_args("SELECT pg_catalog.pg_advisory_xact_lock(1634627949, pg_catalog.hashtext($1))",
							  1, types, args, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not lock model name \"%s\"", name);
}

/* The deployed version of name: false if none (SPI connected). */
static bool
deployed_version(const char *name, int64 *id, int32 *version)
{
	Oid			types[1] = {TEXTOID};
	Datum		args[1] = {CStringGetTextDatum(name)};
	char	   *sql = psprintf("SELECT model_id, version FROM %s.anomaly_deployments "
							   "WHERE name OPERATOR(pg_catalog.=) $1", an_glue_schema());
	bool		isnull;

	if (SPI_execute_with_args(sql, 1, types, args, NULL, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "reading anomaly_deployments failed");
	if (SPI_processed == 0)
		return false;
	*id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	*version = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
	return true;
}

/* A figure as JSON and as text: a number, or null when undefined. */
static const char *
figure(double v)
{
	return isnan(v) ? "null" : psprintf("%.6f", v);
}

/*
 * For 'if_better': take name's lock, score the source with the deployed
 * version and compare the chosen metric with the new version's (mt); a
 * NOTICE gives the decision and both figures, and *metrics (a JSON object)
 * gains them under "deployment".  Returns whether to deploy.  Without a
 * deployed version the new one is deployed.  An undefined figure (one
 * class only in the labels) deploys nothing.
 */
bool
an_deploy_judge(const an_deploy *d, const char *name, const char *from, TupleDesc desc,
				const char *label, const an_metrics *mt, char **metrics)
{
	double		mine = *(const double *) ((const char *) mt + d->offset);
	double		theirs = NAN;
	int64		id;
	int32		version = 0;
	bool		deploy;
	StringInfoData buf;

	an_deploy_lock_name(name);
	/* what others committed before the lock is read, scored and compared */
	PushActiveSnapshot(GetTransactionSnapshot());
	if (!deployed_version(name, &id, &version))
	{
		deploy = true;
		ereport(NOTICE,
				(errmsg("anomaly_train deploys the new version of \"%s\": no version is deployed", name),
				 errdetail("Its %s is %s.", d->metric, figure(mine))));
	}
	else
	{
		an_model_ref ref;
		an_scored_rows rows;
		an_metrics	old;
		an_ctx		ctx;

		an_cache_by_id(id, &ref);
		an_glue_ctx(&ctx, CurrentMemoryContext);
		an_source_score(from, desc, Int64GetDatum(id), INT8OID, label, NULL,
						CurrentMemoryContext, &rows);
		an_metrics_compute(&ctx, rows.scores, rows.labels, rows.n, ref.model->threshold, &old);
		theirs = *(const double *) ((const char *) &old + d->offset);
		deploy = !isnan(mine) && !isnan(theirs) && mine >= theirs;
		ereport(NOTICE,
				(errmsg("anomaly_train %s the new version of \"%s\": %s %s against %s for deployed version %d",
						deploy ? "deploys" : "does not deploy", name, d->metric,
						figure(mine), figure(theirs), version),
				 errdetail("Both are measured on the training source with its label; the new version is deployed when its figure is at least the deployed one's."),
				 deploy ? 0 : errhint("anomaly_deploy('%s', version) deploys it anyway.", name)));
	}
	PopActiveSnapshot();
	initStringInfo(&buf);
	/* metrics is a JSON object: reopen it before its closing brace */
	appendBinaryStringInfo(&buf, *metrics, (int) strlen(*metrics) - 1);
	appendStringInfo(&buf, ", \"deployment\": {\"decision\": \"%s\", \"metric\": \"%s\", "
					 "\"new\": %s, \"deployed\": %s, \"deployed_version\": %s}}",
					 deploy ? "deployed" : "kept", d->metric, figure(mine), figure(theirs),
					 version ? psprintf("%d", version) : "null");
	*metrics = buf.data;
	return deploy;
}

/* Deploy model id as name's version, recording action (SPI connected). */
void
an_deploy_record(const char *name, int64 id, const char *action)
{
	Oid			types[3] = {TEXTOID, INT8OID, TEXTOID};
	Datum		args[3] = {CStringGetTextDatum(name), Int64GetDatum(id), CStringGetTextDatum(action)};
	char	   *sql = psprintf("SELECT %s.anomaly_deployment_set($1, $2, $3)", an_glue_schema());

	if (SPI_execute_with_args(sql, 3, types, args, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "deploying model %lld failed", (long long) id);
}

/* Say that version (trained with deploy => 'never') is stored, not deployed. */
void
an_deploy_notice_kept(const char *name, int32 version)
{
	int64		deployed_id;
	int32		deployed;

	if (deployed_version(name, &deployed_id, &deployed))
		ereport(NOTICE,
				(errmsg("anomaly_train stored version %d of \"%s\" without deploying it: the name scores with version %d",
						version, name, deployed),
				 errhint("anomaly_deploy('%s', %d) deploys it.", name, version)));
	else
		ereport(NOTICE,
				(errmsg("anomaly_train stored version %d of \"%s\" without deploying it: the name has no deployed version",
						version, name),
				 errhint("anomaly_deploy('%s', %d) deploys it; until then the name does not score, its id does.",
						 name, version)));
}
