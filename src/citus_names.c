/*
 * citus_names.c - one version per statement on a Citus cluster.  The
 * shards' tasks of one statement run in separate transactions on the
 * workers (Citus has no distributed snapshot), so a model name looked up in
 * each task could find two versions when a deploy commits while the
 * statement runs.  On a coordinator with the library loaded (it is when
 * preloaded: shared_preload_libraries = 'citus,anomaly'), a planner hook
 * resolves every constant model name of the scoring functions
 * (anomaly_score, _flag, _severity, _explain, _reason) to the id of the
 * name's deployed version when the statement is planned, and calls the
 * function's id form instead: every task then scores with that one version.
 * The plan depends on anomaly_models and anomaly_deployments, so a deploy
 * (whose trigger invalidates them) replans a prepared statement.  Nothing
 * changes where Citus is not installed, nor inside a Citus task.
 */
#include "glue.h"

#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/planner.h"
#include "parser/parse_func.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

/* The scoring functions that take a model name or id first. */
static const char *const scoring_functions[] = {
	"anomaly_score", "anomaly_flag", "anomaly_severity", "anomaly_explain", "anomaly_reason"
};
#define N_SCORING lengthof(scoring_functions)

/* Their name and id forms, looked up once per backend (until pg_proc changes). */
static bool forms_known = false;
static Oid	by_name[N_SCORING];
static Oid	by_id[N_SCORING];
static Oid	models_relid;
static Oid	deployments_relid;
static bool callback_registered = false;
static planner_hook_type prev_planner = NULL;

/* What a statement's walk needs. */
typedef struct names_walk
{
	bool		changed;
} names_walk;

/* pg_proc changed (the extension dropped or updated, say): look the forms up again. */
static void
forms_changed(Datum arg, int cacheid, uint32 hashvalue)
{
	forms_known = false;
}

/* Look up the name and id forms in the extension's schema; false if absent. */
static bool
look_up_forms(void)
{
	Oid			schema;
	char	   *schema_name;

	if (forms_known)
		return OidIsValid(by_name[0]);
	if (!callback_registered)
	{
		CacheRegisterSyscacheCallback(PROCOID, forms_changed, (Datum) 0);
		callback_registered = true;
	}
	forms_known = true;
	by_name[0] = InvalidOid;
	schema = an_glue_schema_oid();
	if (!OidIsValid(schema))
		return false;
	schema_name = get_namespace_name(schema);
	for (int f = 0; f < (int) N_SCORING; f++)
	{
		List	   *fname = list_make2(makeString(schema_name), makeString((char *) scoring_functions[f]));
		Oid			name_args[2] = {TEXTOID, ANYELEMENTOID};
		Oid			id_args[2] = {INT8OID, ANYELEMENTOID};

		by_name[f] = LookupFuncName(fname, 2, name_args, true);
		by_id[f] = LookupFuncName(fname, 2, id_args, true);
		if (!OidIsValid(by_name[f]) || !OidIsValid(by_id[f]))
		{
			by_name[0] = InvalidOid;
			return false;
		}
	}
	models_relid = get_relname_relid("anomaly_models", schema);
	deployments_relid = get_relname_relid("anomaly_deployments", schema);
	return OidIsValid(deployments_relid);
}

/* The id of the deployed version of name as the current role sees it, or 0. */
static int64
deployed_id(const char *name)
{
	char	   *sql = psprintf("SELECT d.model_id FROM %s.anomaly_deployments d "
							   "WHERE d.name OPERATOR(pg_catalog.=) $1", an_glue_schema());
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1] = {CStringGetTextDatum(name)};
	int64		id = 0;
	bool		isnull;

	SPI_connect();
	if (SPI_execute_with_args(sql, 1, argtypes, args, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "reading anomaly_deployments failed");
	if (SPI_processed == 1)
	{
		Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);

		id = isnull ? 0 : DatumGetInt64(d);
	}
	SPI_finish();
	return id;
}

/* Turn a name form called with a constant name into the id form of the
 * name's deployed version (a name with none is left to fail as before). */
static void
resolve_call(FuncExpr *call, names_walk *w)
{
	Const	   *name;
	int64		id;

	for (int f = 0; f < (int) N_SCORING; f++)
	{
		if (call->funcid != by_name[f] || list_length(call->args) != 2 ||
			!IsA(linitial(call->args), Const))
			continue;
		name = (Const *) linitial(call->args);
		if (name->constisnull || name->consttype != TEXTOID)
			return;
		id = deployed_id(TextDatumGetCString(name->constvalue));
		if (id == 0)
			return;
		call->funcid = by_id[f];
		linitial(call->args) = makeConst(INT8OID, -1, InvalidOid, sizeof(int64),
										 Int64GetDatum(id), false, FLOAT8PASSBYVAL);
		w->changed = true;
		return;
	}
}

/* Walk a statement's expressions and subqueries, resolving as we go. */
static bool
resolve_walker(Node *node, names_walk *w)
{
	if (node == NULL)
		return false;
	if (IsA(node, FuncExpr))
		resolve_call((FuncExpr *) node, w);
	if (IsA(node, Query))
		return query_tree_walker((Query *) node, resolve_walker, w, 0);
	return expression_tree_walker(node, resolve_walker, w);
}

/* Whether this backend plans for a Citus coordinator with our functions. */
static bool
resolving_here(void)
{
	if (!an_citus_installed() || an_citus_task())
		return false;
	return look_up_forms();
}

/* The planner hook: resolve the names, then plan as before. */
static PlannedStmt *
resolve_names_planner(Query *parse, const char *query_string, int cursor_options,
					  ParamListInfo bound_params)
{
	names_walk	w = {false};
	PlannedStmt *plan;

	if (resolving_here())
		(void) query_tree_walker(parse, resolve_walker, &w, 0);
	if (prev_planner)
		plan = prev_planner(parse, query_string, cursor_options, bound_params);
	else
		plan = standard_planner(parse, query_string, cursor_options, bound_params);
	if (w.changed)
		plan->relationOids = lappend_oid(lappend_oid(plan->relationOids, models_relid),
										 deployments_relid);
	return plan;
}

/* Install the planner hook (at module load). */
void
an_citus_names_init(void)
{
	prev_planner = planner_hook;
	planner_hook = resolve_names_planner;
}
