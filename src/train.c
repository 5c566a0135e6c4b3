/*
 * train.c - anomaly_train(): a training session over a table, view or
 * query that stores a new, immutable model version in anomaly_models.
 *
 * The training pass is the anomaly_fit aggregate run through SPI with the
 * caller's rights, so a large source gets parallel workers for free.  With
 * a label column, a second pass scores the source and stores precision,
 * recall, F1 and ROC AUC in the model's metrics; labels never reach fitting.
 * The new version is then deployed, or not, as deploy says (deploy.c).
 * Its phases and rows read are reported as it goes (progress.c).
 */
#include "glue.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "parser/parse_func.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/json.h"

#include "metrics.h"

PG_FUNCTION_INFO_V1(anomaly_train);

/*
 * Choose the feature columns: the given ones (checked), or every usable
 * column but the primary key, identifier-like ones and the label.  Returns
 * a quoted, comma-separated select list; *names gets the same names as text
 * datums.
 */
static char *
choose_columns(TupleDesc desc, ArrayType *columns, const char *label, Oid relid,
			   char **seg, int n_seg, List **names)
{
	StringInfoData list,
				used,
				left;

	initStringInfo(&list);
	initStringInfo(&used);
	initStringInfo(&left);
	if (columns != NULL)
	{
		Datum	   *elems;
		bool	   *nulls;
		int			n;

		deconstruct_array(columns, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
		if (n == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("columns is an empty array"),
					 errhint("Name at least one column, or pass NULL to use every usable column.")));
		for (int i = 0; i < n; i++)
		{
			char	   *name;
			int			pos;
			an_kind		kind;

			if (nulls[i])
				ereport(ERROR,
						(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						 errmsg("columns must not contain NULL")));
			name = TextDatumGetCString(elems[i]);
			pos = an_source_column(desc, name);
			if (pos < 0)
				ereport(ERROR,
						(errcode(ERRCODE_UNDEFINED_COLUMN),
						 errmsg("column \"%s\" is not in the source", name),
						 errhint("The source has columns: %s.", an_source_columns(desc))));
			if (label && strcmp(name, label) == 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("column \"%s\" is the label and cannot be a feature", name),
						 errhint("Labels are only used to evaluate the model.")));
			if (an_segment_is_column(seg, n_seg, name))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("column \"%s\" is a segment column and cannot be a feature", name),
						 errhint("Each segment gets a model of its own; leave \"%s\" out of columns.", name)));
			if (an_conv_for_type(TupleDescAttr(desc, pos)->atttypid, &kind) == AN_CONV_UNSUPPORTED)
				ereport(ERROR,
						(errcode(ERRCODE_DATATYPE_MISMATCH),
						 errmsg("column \"%s\" has unsupported type %s", name,
								format_type_be(TupleDescAttr(desc, pos)->atttypid)),
						 errhint("Use numeric, boolean, date, timestamp, text or enum columns, or cast it in a query.")));
			appendStringInfo(&list, "%s%s", list.len ? ", " : "", quote_identifier(name));
			*names = lappend(*names, DatumGetPointer(CStringGetTextDatum(name)));
		}
		return list.data;
	}
	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);
		const char *name = NameStr(att->attname);
		const char *why = NULL;
		an_kind		kind;

		if (att->attisdropped)
			continue;
		if (label && strcmp(name, label) == 0)
			why = "label";
		else if (an_segment_is_column(seg, n_seg, name))
			why = "segment";
		else if (an_source_in_primary_key(relid, name))
			why = "primary key";
		else if (an_source_identifier_like(name, att->atttypid))
			why = "identifier";
		else if (an_conv_for_type(att->atttypid, &kind) == AN_CONV_UNSUPPORTED)
			why = "unsupported type";
		if (why)
			appendStringInfo(&left, "%s%s (%s)", left.len ? ", " : "", name, why);
		else
		{
			appendStringInfo(&list, "%s%s", list.len ? ", " : "", quote_identifier(name));
			appendStringInfo(&used, "%s%s", used.len ? ", " : "", name);
			*names = lappend(*names, DatumGetPointer(CStringGetTextDatum(name)));
		}
	}
	if (list.len == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the source has no column to train on"),
				 errdetail("Left out: %s.", left.len ? left.data : "none"),
				 errhint("Name the columns with columns => ARRAY[...].")));
	ereport(NOTICE,
			(errmsg("anomaly_train uses features: %s", used.data),
			 left.len ? errdetail("Left out: %s.", left.data) : 0,
			 left.len ? errhint("Pass columns => ARRAY[...] to choose the features yourself.") : 0));
	return list.data;
}

/* A text[] of the names (text datums) in the list. */
static Datum
names_array(List *names)
{
	Datum	   *elems = palloc(sizeof(Datum) * list_length(names));
	int			n = 0;
	ListCell   *lc;

	foreach(lc, names)
		elems[n++] = PointerGetDatum(lfirst(lc));
	return PointerGetDatum(construct_array(elems, n, TEXTOID, -1, false, TYPALIGN_INT));
}

/* Whether the catalog has anomaly_fit's named form (0.3.0 on). */
static bool
has_named_fit(void)
{
	Oid			argtypes[4] = {RECORDOID, TEXTOID, JSONBOID, TEXTARRAYOID};
	char	   *schema = get_namespace_name(an_glue_schema_oid());

	return OidIsValid(LookupFuncName(list_make2(makeString(schema),
												makeString("anomaly_fit")),
									 4, argtypes, true));
}

/*
 * Run the anomaly_fit aggregate over the source; returns the model bytes.
 * Its named form keeps the feature names where the rows lose theirs (on
 * Citus workers), and is the form Citus pushes down to them; a catalog
 * older than 0.3.0 runs the three-argument form.
 */
static bytea *
fit_source(const char *schema, const char *from, const char *cols, List *names,
		   const char *algorithm, const char *options, MemoryContext outer)
{
	bool		named = has_named_fit();
	char	   *sql = psprintf("SELECT %s.anomaly_fit(s, $1, $2::pg_catalog.jsonb%s) "
							   "FROM (SELECT %s FROM %s s0) s", schema,
							   named ? ", $3" : "", cols, from);
	Oid			types[3] = {TEXTOID, TEXTOID, TEXTARRAYOID};
	Datum		args[3] = {CStringGetTextDatum(algorithm), CStringGetTextDatum(options),
	names_array(names)};
	bool		isnull;
	Datum		d;
	int			rc;

	rc = SPI_execute_with_args(sql, named ? 3 : 2, types, args, NULL, true, 0);
	if (rc != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "training query failed: %s", SPI_result_code_string(rc));
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	if (isnull)
		return NULL;
	{
		MemoryContext old = MemoryContextSwitchTo(outer);
		bytea	   *copy = DatumGetByteaPCopy(d);

		MemoryContextSwitchTo(old);
		return copy;
	}
}

/*
 * Train the segments and pack them with the global model (bytes); a NOTICE
 * says how many segments got a model of their own.
 */
static bytea *
train_segments(const char *from, TupleDesc desc, const char *cols, List *names, char **seg,
			   int n_seg, int min_rows, const char *algorithm, const char *options, bytea *global,
			   MemoryContext outer, int64 *trained_out)
{
	int64		trained,
				small;
	bytea	   *bytes = an_segment_fit(from, desc, cols, names_array(names), seg, n_seg, min_rows,
									   algorithm, options, global, outer, &trained, &small);

	if (trained == 0)
		ereport(NOTICE,
				(errmsg("no segment has a model of its own: every row is scored by the global model"),
				 errdetail("%lld segments, all below min_segment_rows (%d) or with only constant columns.",
						   (long long) small, min_rows),
				 errhint("Lower min_segment_rows in the options, or segment by fewer columns.")));
	else
		ereport(NOTICE,
				(errmsg("anomaly_train trained %lld segment models", (long long) trained),
				 errdetail("%lld segments have fewer than %d rows (or only constant columns) and are scored by the global model.",
						   (long long) small, min_rows)));
	*trained_out = trained;
	return bytes;
}

/* The options as JSON with the segment columns, min_segment_rows and count added. */
static char *
segment_options(const char *options, char **seg, int n_seg, int min_rows, int64 trained)
{
	StringInfoData buf;
	size_t		n = strlen(options);

	initStringInfo(&buf);
	/* options is a JSON object: reopen it before its closing brace */
	appendBinaryStringInfo(&buf, options, (int) n - 1);
	appendStringInfoString(&buf, n > 2 ? ", \"segment_by\": [" : "\"segment_by\": [");
	for (int i = 0; i < n_seg; i++)
	{
		if (i)
			appendStringInfoString(&buf, ", ");
		escape_json(&buf, seg[i]);
	}
	appendStringInfo(&buf, "], \"min_segment_rows\": %d, \"segments\": %lld}", min_rows,
					 (long long) trained);
	return buf.data;
}

/* The model's features as a JSON array of {name, kind}. */
static char *
features_json(const an_model *m)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '[');
	for (uint32 j = 0; j < m->n_features; j++)
	{
		appendStringInfoString(&buf, j ? ", {\"name\": " : "{\"name\": ");
		escape_json(&buf, m->features[j].name);
		appendStringInfo(&buf, ", \"kind\": \"%s\"}",
						 m->features[j].kind == AN_KIND_NUMERIC ? "numeric" : "categorical");
	}
	appendStringInfoChar(&buf, ']');
	return buf.data;
}

/*
 * Insert the model as the next version of name, with the name's owner and
 * readers; returns its id and sets *version.
 */
static int64
store_model(const char *schema, const char *name, const an_model *m, const char *algorithm,
			const char *options, double contamination, const char *source,
			const char *metrics, bytea *bytes, int32 *version)
{
	an_name_holder holder;
	char	   *sql;
	Oid			types[13] = {TEXTOID, INT4OID, NAMEOID, TEXTOID, TEXTOID, TEXTOID, FLOAT8OID,
	FLOAT8OID, TEXTOID, INT8OID, TEXTOID, BYTEAOID, NAMEARRAYOID};
	Datum		args[13];
	char		nulls[13] = "            ";
	bool		isnull;
	int			rc;

	/* one trainer at a time per name, so versions are consecutive */
	an_deploy_lock_name(name);
	an_model_name_holder(name, &holder);
	args[0] = CStringGetTextDatum(name);
	*version = holder.latest_version + 1;
	args[1] = Int32GetDatum(*version);
	args[2] = NameGetDatum(&holder.owner);
	args[3] = CStringGetTextDatum(algorithm);
	args[4] = CStringGetTextDatum(features_json(m));
	args[5] = CStringGetTextDatum(options);
	args[6] = Float8GetDatum(contamination);
	nulls[6] = isnan(contamination) ? 'n' : ' ';
	args[7] = Float8GetDatum(m->threshold);
	args[8] = CStringGetTextDatum(source);
	args[9] = Int64GetDatum(m->train_rows);
	args[10] = metrics ? CStringGetTextDatum(metrics) : (Datum) 0;
	nulls[10] = metrics ? ' ' : 'n';
	args[11] = PointerGetDatum(bytes);
	args[12] = holder.readers;
	nulls[12] = holder.readers ? ' ' : 'n';
	/* before 0.2.0 the catalog has no readers, and $13 goes unused */
	sql = psprintf("INSERT INTO %s.anomaly_models (name, version, owner, algorithm, features, "
				   "params, contamination, threshold, source, train_rows, metrics, model%s) "
				   "VALUES ($1, $2, $3, $4, $5::pg_catalog.jsonb, $6::pg_catalog.jsonb, $7, $8, "
				   "$9, $10, $11::pg_catalog.jsonb, $12%s) RETURNING id",
				   schema, holder.has_readers ? ", readers" : "",
				   holder.has_readers ? ", COALESCE($13, '{}'::pg_catalog.name[])" : "");
	rc = SPI_execute_with_args(sql, 13, types, args, nulls, false, 0);
	if (rc != SPI_OK_INSERT_RETURNING || SPI_processed != 1)
		elog(ERROR, "storing the model failed: %s", SPI_result_code_string(rc));
	return DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
}

/*
 * anomaly_train(name, source, columns, algorithm, contamination, options,
 * label, segment_by, deploy).
 */
Datum
anomaly_train(PG_FUNCTION_ARGS)
{
	MemoryContext outer = CurrentMemoryContext;
	char	   *name,
			   *source,
			   *label,
			   *from,
			   *cols,
			   *options,
			   *metrics = NULL;
	const char *schema;
	const an_detector_ops *ops;
	an_params	params;
	an_ctx		ctx;
	an_model   *model;
	bytea	   *bytes;
	Oid			relid;
	TupleDesc	desc;
	int64		id;
	an_name_holder holder;
	Jsonb	   *opts;
	bool		segmented;
	int			min_rows = 0;
	char	  **seg = NULL;
	int			n_seg = 0;
	an_deploy	deploy;
	bool		deploy_now;
	int32		version;
	List	   *names = NIL;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(3))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("name, source and algorithm must not be NULL")));
	name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	source = text_to_cstring(PG_GETARG_TEXT_PP(1));
	label = PG_ARGISNULL(6) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(6));
	segmented = PG_NARGS() > 7 && !PG_ARGISNULL(7);
	an_deploy_parse(PG_NARGS() > 8 && !PG_ARGISNULL(8) ? text_to_cstring(PG_GETARG_TEXT_PP(8)) : NULL,
					PG_NARGS() > 8, label, &deploy);
	if (name[0] == '\0' || strlen(name) >= NAMEDATALEN)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_NAME),
				 errmsg("invalid anomaly model name \"%s\"", name),
				 errhint("A model name has 1 to %d bytes.", NAMEDATALEN - 1)));
	ops = an_options_algorithm(text_to_cstring(PG_GETARG_TEXT_PP(3)));
	opts = PG_ARGISNULL(5) ? NULL : PG_GETARG_JSONB_P(5);
	if (segmented)
		min_rows = an_segment_min_rows(opts, &opts);
	an_options_parse(ops, opts, &params);
	if (!PG_ARGISNULL(4))
	{
		if (isnan(PG_GETARG_FLOAT8(4)))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("option \"contamination\" is NaN, out of range"),
					 errhint("contamination must be greater than 0 and at most 0.5, or null for the automatic threshold.")));
		an_glue_ctx(&ctx, CurrentMemoryContext);
		an_glue_check(&ctx, an_params_set(&ctx, &params, ops, "contamination",
										  PG_GETARG_FLOAT8(4)));
	}
	options = an_options_to_json(&params);
	schema = an_glue_schema();
	an_model_name_holder(name, &holder);	/* refuse a taken name before training */
	from = an_source_from(source, &relid);

	SPI_connect();
	desc = an_source_describe(from, source);
	if (label)
		an_source_check_label(desc, label);
	if (segmented)
		seg = an_segment_columns(desc, PG_GETARG_ARRAYTYPE_P(7), &n_seg);
	cols = choose_columns(desc, PG_ARGISNULL(2) ? NULL : PG_GETARG_ARRAYTYPE_P(2), label, relid,
						  seg, n_seg, &names);
	an_progress_begin(name, from);
	bytes = fit_source(schema, from, cols, names, ops->name, options, outer);
	if (bytes == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("source \"%s\" has no rows", source),
				 errhint("Train on a table, view or query that returns rows.")));
	an_glue_ctx(&ctx, CurrentMemoryContext);
	an_glue_check(&ctx, an_model_read(&ctx, VARDATA_ANY(bytes), VARSIZE_ANY_EXHDR(bytes), &model));
	an_progress_set_rows(model->train_rows);
	if (segmented)
	{
		int64		trained;

		an_progress_phase(AN_PROGRESS_SEGMENTS);

		bytes = train_segments(from, desc, cols, names, seg, n_seg, min_rows, ops->name, options,
							   bytes, outer, &trained);
		options = segment_options(options, seg, n_seg, min_rows, trained);
	}
	if (label)
	{
		an_scored_rows rows;
		an_metrics	mt;

		an_progress_phase(AN_PROGRESS_EVALUATING);
		an_source_score(from, desc, PointerGetDatum(bytes), BYTEAOID, label, NULL,
						CurrentMemoryContext, &rows);
		an_metrics_compute(&ctx, rows.scores, rows.labels, rows.n, model->threshold, &mt);
		metrics = an_metrics_json(&mt);
		deploy_now = deploy.mode != AN_DEPLOY_IF_BETTER ||
			an_deploy_judge(&deploy, name, from, desc, label, &mt, &metrics);
	}
	else
		deploy_now = true;
	an_progress_phase(AN_PROGRESS_WRITING);
	id = store_model(schema, name, model, ops->name, options,
					 params.common[AN_P_CONTAMINATION], source, metrics, bytes, &version);
	if (deploy.mode == AN_DEPLOY_NEVER)
		an_deploy_notice_kept(name, version);
	else if (deploy.mode != AN_DEPLOY_LATEST && deploy_now)
		an_deploy_record(name, id, "train");
	an_progress_end();
	SPI_finish();
	PG_RETURN_INT64(id);
}
