/*
 * fit.c - the anomaly_fit aggregate and its state type anomaly_fitstate.
 *
 * The state is a real, flat varlena type (not internal) so that a
 * distributed planner such as Citus can push the partial aggregate to its
 * workers and move states between nodes as text through the type's output
 * and input functions; the input function therefore validates everything.
 * The transition function updates the state in place in the aggregate
 * context; only when the reservoir grows does it return a new, bigger copy,
 * built in the per-row context and copied into place by the executor.
 */
#include "glue.h"

#include "access/htup_details.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/typcache.h"

#include <math.h>

/* The largest training state we build: a quarter of palloc's limit. */
#define AN_STATE_MAX_BYTES (MaxAllocSize / 4)

PG_FUNCTION_INFO_V1(anomaly_fitstate_in);
PG_FUNCTION_INFO_V1(anomaly_fitstate_out);
PG_FUNCTION_INFO_V1(anomaly_fit_accum);
PG_FUNCTION_INFO_V1(anomaly_fit_accum_named);
PG_FUNCTION_INFO_V1(anomaly_fit_combine);
PG_FUNCTION_INFO_V1(anomaly_fit_final);
PG_FUNCTION_INFO_V1(anomaly_fit_segment_final);

/* What one call site of the aggregate remembers about its row type. */
typedef struct fit_site
{
	Oid			row_type;		/* InvalidOid until the first row */
	int32		row_typmod;
	TupleDesc	tupdesc;
	int			n_cols;			/* columns used */
	int		   *attidx;			/* their 0-based attribute positions */
	an_conv    *conv;
	Datum	   *values;			/* natts, for heap_deform_tuple */
	bool	   *nulls;
	an_cell    *row;			/* n_cols */
	char	  **given_names;	/* the named form's feature names, or NULL */
	int			n_given;
	const char **att_names;		/* natts: the given name of each live column */
} fit_site;

/*
 * The call site's memory, made on the first call once the argument is a row.
 * A row declared record is one even when the caller (Citus's
 * worker_partial_agg) passes no argument types; anyelement needs the types.
 */
static fit_site *
fit_site_get(FunctionCallInfo fcinfo, bool row_declared)
{
	fit_site   *site = fcinfo->flinfo->fn_extra;
	Oid			argtype;

	if (site)
		return site;
	argtype = get_fn_expr_argtype(fcinfo->flinfo, 1);
	if (!row_declared && (!OidIsValid(argtype) || !type_is_rowtype(argtype)))
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("anomaly_fit needs a row, not %s",
						OidIsValid(argtype) ? format_type_be(argtype) : "an unknown type"),
				 errhint("Pass a whole-row reference, e.g. SELECT anomaly_fit(t) FROM (SELECT a, b FROM tab) t.")));
	site = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(fit_site));
	fcinfo->flinfo->fn_extra = site;
	return site;
}

/*
 * Keep the named form's feature names (argument 4, a text[] naming the row's
 * columns in order) in the site, so rows that lost their column names on the
 * way (Citus sends a whole-row reference to its workers as ROW(...)) train
 * features of the right names.  NULL keeps the row's own names.
 */
static void
fit_site_names(FunctionCallInfo fcinfo, fit_site *site)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n;

	if (site->given_names || PG_ARGISNULL(4))
		return;
	deconstruct_array(PG_GETARG_ARRAYTYPE_P(4), TEXTOID, -1, false, TYPALIGN_INT,
					  &elems, &nulls, &n);
	if (n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("anomaly_fit's feature names are an empty array"),
				 errhint("Name every column of the row, in order, or pass NULL to keep the row's names.")));
	site->given_names = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, sizeof(char *) * n);
	for (int i = 0; i < n; i++)
	{
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("anomaly_fit's feature names must not contain NULL")));
		site->given_names[i] = MemoryContextStrdup(fcinfo->flinfo->fn_mcxt,
												   TextDatumGetCString(elems[i]));
	}
	site->n_given = n;
}

/* The feature name of the row's attribute i: the given one, else its own. */
static const char *
fit_site_attname(const fit_site *site, int i)
{
	return site->given_names ? site->att_names[i]
		: NameStr(TupleDescAttr(site->tupdesc, i)->attname);
}

/* Map the row type of rec to the state's columns, unless already done. */
static void
fit_site_map(FunctionCallInfo fcinfo, fit_site *site, HeapTupleHeader rec)
{
	Oid			type = HeapTupleHeaderGetTypeId(rec);
	int32		typmod = HeapTupleHeaderGetTypMod(rec);
	MemoryContext old;
	StringInfoData skipped;

	if (site->row_type == type && site->row_typmod == typmod)
		return;
	old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
	site->n_cols = 0;
	site->tupdesc = lookup_rowtype_tupdesc_copy(type, typmod);
	site->attidx = palloc0(sizeof(int) * Max(site->tupdesc->natts, 1));
	site->conv = palloc0(sizeof(an_conv) * Max(site->tupdesc->natts, 1));
	site->values = palloc0(sizeof(Datum) * Max(site->tupdesc->natts, 1));
	site->nulls = palloc0(sizeof(bool) * Max(site->tupdesc->natts, 1));
	site->row = palloc0(sizeof(an_cell) * Max(site->tupdesc->natts, 1));
	if (site->given_names)
	{
		int			live = 0;

		site->att_names = palloc0(sizeof(char *) * Max(site->tupdesc->natts, 1));
		for (int i = 0; i < site->tupdesc->natts; i++)
		{
			if (TupleDescAttr(site->tupdesc, i)->attisdropped)
				continue;
			if (live < site->n_given)
				site->att_names[i] = site->given_names[live];
			live++;
		}
		if (live != site->n_given)
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("anomaly_fit got %d feature names for a row of %d columns",
							site->n_given, live),
					 errhint("Name every column of the row, in order.")));
	}
	initStringInfo(&skipped);
	for (int i = 0; i < site->tupdesc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(site->tupdesc, i);
		an_kind		kind;
		an_conv		conv;

		if (att->attisdropped)
			continue;
		conv = an_conv_for_type(att->atttypid, &kind);
		if (conv == AN_CONV_UNSUPPORTED)
		{
			appendStringInfo(&skipped, "%s%s (%s)", skipped.len ? ", " : "",
							 fit_site_attname(site, i), format_type_be(att->atttypid));
			continue;
		}
		site->attidx[site->n_cols] = i;
		site->conv[site->n_cols] = conv;
		site->n_cols++;
	}
	MemoryContextSwitchTo(old);
	if (skipped.len)
		ereport(NOTICE,
				(errmsg("anomaly_fit ignores columns of unsupported types: %s", skipped.data),
				 errhint("Cast them to a number or text in the query to use them.")));
	if (site->n_cols == 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("the row has no column anomaly_fit can use"),
				 errhint("Use numeric, boolean, date, timestamp, text or enum columns.")));
	site->row_type = type;
	site->row_typmod = typmod;
}

/* A new, empty state for the site's columns, in the aggregate context. */
static an_state *
new_state(FunctionCallInfo fcinfo, fit_site *site, MemoryContext aggcxt)
{
	const an_detector_ops *ops;
	an_params	params;
	const char **names = palloc(sizeof(char *) * site->n_cols);
	an_kind    *kinds = palloc(sizeof(an_kind) * site->n_cols);
	uint32		n_cat = 0;
	size_t		fixed;
	uint32		max_rows;
	uint32		capacity;
	an_state   *st;

	ops = an_options_algorithm(PG_NARGS() > 2 && !PG_ARGISNULL(2)
							   ? text_to_cstring(PG_GETARG_TEXT_PP(2)) : AN_DEFAULT_ALGORITHM);
	an_options_parse(ops, PG_NARGS() > 3 && !PG_ARGISNULL(3) ? PG_GETARG_JSONB_P(3) : NULL,
					 &params);
	for (int c = 0; c < site->n_cols; c++)
	{
		Form_pg_attribute att = TupleDescAttr(site->tupdesc, site->attidx[c]);

		names[c] = fit_site_attname(site, site->attidx[c]);
		(void) an_conv_for_type(att->atttypid, &kinds[c]);
		if (kinds[c] == AN_KIND_CATEGORICAL)
			n_cat++;
	}
	/* keep the state bounded whatever sample_rows asks for */
	fixed = an_state_size(site->n_cols, n_cat, 0);
	max_rows = (uint32) params.common[AN_P_SAMPLE_ROWS];
	if (an_state_size(site->n_cols, n_cat, max_rows) > AN_STATE_MAX_BYTES)
	{
		max_rows = (uint32) ((AN_STATE_MAX_BYTES - fixed) / (sizeof(an_cell) * site->n_cols));
		ereport(NOTICE,
				(errmsg("anomaly_fit keeps a sample of %u rows to bound its memory", max_rows),
				 errhint("Lower sample_rows or use fewer columns to silence this notice.")));
		params.common[AN_P_SAMPLE_ROWS] = max_rows;
	}
	capacity = Min(max_rows, AN_STATE_MIN_CAPACITY);
	st = MemoryContextAllocZero(aggcxt, an_state_size(site->n_cols, n_cat, capacity));
	an_state_init(st, (uint32) site->n_cols, names, kinds, &params, capacity);
	SET_VARSIZE(st, an_state_size(site->n_cols, n_cat, capacity));
	return st;
}

/* A copy of st with room for capacity rows, in the current (per-row) context. */
static an_state *
grown_state(const an_state *st, uint32 capacity)
{
	size_t		size = an_state_size(st->n_cols, st->n_cat, capacity);
	an_state   *grown = palloc0(size);

	an_state_grow(grown, st, capacity);
	SET_VARSIZE(grown, size);
	return grown;
}

/*
 * Fold the row in argument 1 into the state in argument 0; named: the named
 * form, whose argument 4 gives the feature names.
 */
static Datum
accumulate(FunctionCallInfo fcinfo, bool named)
{
	MemoryContext aggcxt;
	an_state   *st = PG_ARGISNULL(0) ? NULL : (an_state *) PG_GETARG_POINTER(0);
	HeapTupleHeader rec;
	HeapTupleData tuple;
	fit_site   *site;
	uint32		want;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		elog(ERROR, "anomaly_fit_accum called in non-aggregate context");
	site = fit_site_get(fcinfo, named);
	if (named)
		fit_site_names(fcinfo, site);
	if (PG_ARGISNULL(1))
	{
		if (st == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(st);
	}
	rec = PG_GETARG_HEAPTUPLEHEADER(1);
	fit_site_map(fcinfo, site, rec);
	if (st == NULL)
		st = new_state(fcinfo, site, aggcxt);
	else if (st->n_cols != (uint32) site->n_cols)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("anomaly_fit got rows of different types in one group")));
	want = an_state_wants_capacity(st);
	if (want > 0)
		st = grown_state(st, want);

	tuple.t_len = HeapTupleHeaderGetDatumLength(rec);
	ItemPointerSetInvalid(&tuple.t_self);
	tuple.t_tableOid = InvalidOid;
	tuple.t_data = rec;
	heap_deform_tuple(&tuple, site->tupdesc, site->values, site->nulls);
	for (int c = 0; c < site->n_cols; c++)
	{
		int			a = site->attidx[c];

		/* float8, the common case, without a call */
		if (site->conv[c] == AN_CONV_FLOAT8)
			site->row[c].num = site->nulls[a] ? NAN : DatumGetFloat8(site->values[a]);
		else
			site->row[c] = an_cell_from_datum(site->values[a], site->nulls[a], site->conv[c]);
	}
	an_state_add_row(st, site->row);
	an_progress_row();
	PG_RETURN_POINTER(st);
}

/* Transition: fold one row into the state. */
Datum
anomaly_fit_accum(PG_FUNCTION_ARGS)
{
	return accumulate(fcinfo, false);
}

/*
 * Transition of the named form anomaly_fit(record, text, jsonb, text[]):
 * its argument is not polymorphic, so Citus can push it to the workers.
 */
Datum
anomaly_fit_accum_named(PG_FUNCTION_ARGS)
{
	return accumulate(fcinfo, true);
}

/* Combine: merge the second state into the first. */
Datum
anomaly_fit_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	an_state   *a = (an_state *) PG_GETARG_POINTER(0);
	an_state   *b = (an_state *) PG_GETARG_POINTER(1);
	uint32		need;
	an_ctx		ctx;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		elog(ERROR, "anomaly_fit_combine called in non-aggregate context");
	an_glue_ctx(&ctx, CurrentMemoryContext);
	an_glue_check(&ctx, an_state_compatible(&ctx, a, b));
	need = an_state_merge_capacity(a, b);
	if (need > a->capacity)
		a = grown_state(a, need);
	an_state_merge(a, b);
	PG_RETURN_POINTER(a);
}

/* Final: fit the detector on the sample and return the model bytes. */
Datum
anomaly_fit_final(PG_FUNCTION_ARGS)
{
	an_state   *st = (an_state *) PG_GETARG_POINTER(0);
	MemoryContext work = AllocSetContextCreate(CurrentMemoryContext, "anomaly fit",
											   ALLOCSET_DEFAULT_SIZES);
	an_ctx		ctx;
	an_model   *model;
	unsigned char *bytes;
	size_t		len;
	char		dropped[1024];
	bytea	   *result;

	an_glue_ctx(&ctx, work);
	ctx.phase = an_progress_core_phase;
	an_glue_check(&ctx, an_model_train(&ctx, st, &model, dropped, sizeof(dropped)));
	if (dropped[0])
		ereport(NOTICE,
				(errmsg("columns left out because they are constant or all NULL: %s", dropped)));
	an_glue_check(&ctx, an_model_write(&ctx, model, &bytes, &len));
	result = palloc(VARHDRSZ + len);
	SET_VARSIZE(result, VARHDRSZ + len);
	memcpy(VARDATA(result), bytes, len);
	MemoryContextDelete(work);
	PG_RETURN_BYTEA_P(result);
}

/*
 * Final of the segment aggregate anomaly_train uses: the model bytes, or
 * NULL when the segment's rows cannot train one (every column constant),
 * so that segment is scored by the global model; without notices, which
 * would come once per segment.
 */
Datum
anomaly_fit_segment_final(PG_FUNCTION_ARGS)
{
	an_state   *st = (an_state *) PG_GETARG_POINTER(0);
	MemoryContext work = AllocSetContextCreate(CurrentMemoryContext, "anomaly fit",
											   ALLOCSET_DEFAULT_SIZES);
	an_ctx		ctx;
	an_model   *model;
	unsigned char *bytes;
	size_t		len;
	char		dropped[8];
	bytea	   *result;
	an_status	status;

	an_glue_ctx(&ctx, work);
	status = an_model_train(&ctx, st, &model, dropped, sizeof(dropped));
	if (status == AN_ERR_DATA)
	{
		MemoryContextDelete(work);
		PG_RETURN_NULL();
	}
	an_glue_check(&ctx, status);
	an_glue_check(&ctx, an_model_write(&ctx, model, &bytes, &len));
	result = palloc(VARHDRSZ + len);
	SET_VARSIZE(result, VARHDRSZ + len);
	memcpy(VARDATA(result), bytes, len);
	MemoryContextDelete(work);
	PG_RETURN_BYTEA_P(result);
}

/* Text input of a state: hex digits, fully validated (it is untrusted). */
Datum
anomaly_fitstate_in(PG_FUNCTION_ARGS)
{
	char	   *str = PG_GETARG_CSTRING(0);
	size_t		hexlen = strlen(str);
	size_t		len;
	char	   *buf;
	an_ctx		ctx;

	if (hexlen % 2 != 0 || hexlen / 2 > AN_STATE_MAX_BYTES)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type anomaly_fitstate")));
	len = hexlen / 2 + VARHDRSZ;
	buf = palloc0(len);
	if (hex_decode(str, hexlen, buf + VARHDRSZ) != (uint64) (hexlen / 2))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type anomaly_fitstate")));
	SET_VARSIZE(buf, len);
	an_glue_ctx(&ctx, CurrentMemoryContext);
	an_glue_check(&ctx, an_state_validate(&ctx, buf, len));
	PG_RETURN_POINTER(buf);
}

/* Text output of a state: its bytes after the length word, as hex. */
Datum
anomaly_fitstate_out(PG_FUNCTION_ARGS)
{
	struct varlena *st = PG_DETOAST_DATUM(PG_GETARG_DATUM(0));
	size_t		len = VARSIZE(st) - VARHDRSZ;
	char	   *out = palloc(len * 2 + 1);

	hex_encode(VARDATA(st), len, out);
	out[len * 2] = '\0';
	PG_RETURN_CSTRING(out);
}
