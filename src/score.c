/*
 * score.c - anomaly_score, anomaly_flag and anomaly_severity.
 *
 * The model is a text name (its latest version), a bigint id or a bytea
 * model value; the row is a composite (columns matched by name, extra
 * columns ignored), a float8[] in the model's feature order, or a jsonb
 * object keyed by feature name.  Each call site keeps, in fn_extra, the
 * model reference and the map from the row's columns to the model's
 * features, so scoring a composite or float8[] row allocates nothing.  The
 * bytea form keeps every model the site has read with its own map (see
 * bytea_models.c), so rows joined to many models switch between them.
 */
#include "glue.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "executor/tuptable.h"
#include "lib/stringinfo.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/typcache.h"

#include <math.h>

#include "bytea_models.h"
#include "segmented.h"

PG_FUNCTION_INFO_V1(anomaly_score);
PG_FUNCTION_INFO_V1(anomaly_flag);
PG_FUNCTION_INFO_V1(anomaly_severity);

typedef enum row_form
{
	ROW_COMPOSITE,
	ROW_ARRAY,
	ROW_JSONB
} row_form;

/* What a call site keeps for one model: how rows are encoded for it. */
typedef struct model_rows
{
	MemoryContext cxt;			/* where the map is built */
	/* the row map, for composites */
	Oid			row_type;
	int32		row_typmod;
	TupleTableSlot *slot;		/* deforms the row up to the last attribute used */
	an_row_map	map;
	double	   *x;				/* per feature (of the global model when segmented) */
	/* a segmented model's routing */
	an_route   *route;
	double	   *sub_x;			/* the row encoded for its segment's model */
	int64		segment;		/* the last row's segment; -1: the global model */
} model_rows;

/* What one call site remembers between rows. */
typedef struct score_site
{
	Oid			model_type;		/* TEXTOID, INT8OID or BYTEAOID */
	row_form	form;
	/* the model of the current row, and its row map */
	an_model_ref *ref;
	model_rows *rows;
	/* the text and bigint forms: one model at a time, from the backend's cache */
	an_model_ref named_ref;
	model_rows	named_rows;
	char		name[NAMEDATALEN];	/* for the text form */
	/* the bytea form: the models this site has read */
	an_bytea_models *known;
} score_site;

/* The site of this call, created on first use. */
static score_site *
site_for(FunctionCallInfo fcinfo)
{
	score_site *site = fcinfo->flinfo->fn_extra;
	Oid			row_type;

	if (site)
		return site;
	site = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(score_site));
	site->model_type = get_fn_expr_argtype(fcinfo->flinfo, 0);
	row_type = get_fn_expr_argtype(fcinfo->flinfo, 1);
	if (row_type == FLOAT8ARRAYOID)
		site->form = ROW_ARRAY;
	else if (row_type == JSONBOID)
		site->form = ROW_JSONB;
	else if (OidIsValid(row_type) && type_is_rowtype(row_type))
		site->form = ROW_COMPOSITE;
	else
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("cannot score a row of type %s",
						OidIsValid(row_type) ? format_type_be(row_type) : "unknown"),
				 errhint("Pass a whole-row reference such as t, a float8[] in the model's feature order, or a jsonb object.")));
	site->ref = &site->named_ref;
	site->rows = &site->named_rows;
	site->named_rows.cxt = fcinfo->flinfo->fn_mcxt;
	site->named_rows.segment = -1;
	if (site->model_type == BYTEAOID)
		site->known = an_bytea_models_create(fcinfo->flinfo->fn_mcxt, sizeof(model_rows));
	fcinfo->flinfo->fn_extra = site;
	return site;
}

/* Forget the row map (the model changed). */
static void
reset_row_map(model_rows *rows)
{
	rows->row_type = InvalidOid;
	rows->x = NULL;
	rows->route = NULL;
	rows->segment = -1;
}

/* Point the site at the model named by argument 0, reusing it if unchanged. */
static const an_model *
resolve_model(FunctionCallInfo fcinfo, score_site *site)
{
	an_model_ref *ref = &site->named_ref;

	if (site->model_type == BYTEAOID)
	{
		an_bytea_model *known = an_bytea_models_get(site->known, PG_GETARG_DATUM(0));

		site->ref = &known->ref;
		site->rows = known->state;
		if (site->rows->cxt == NULL)
		{
			site->rows->cxt = known->cxt;
			reset_row_map(site->rows);
		}
		return known->ref.model;
	}
	if (ref->model && ref->generation == an_cache_generation())
	{
		if (site->model_type == INT8OID && ref->id == PG_GETARG_INT64(0))
			return ref->model;
		if (site->model_type == TEXTOID)
		{
			text	   *t = PG_GETARG_TEXT_PP(0);

			if (VARSIZE_ANY_EXHDR(t) < NAMEDATALEN &&
				strncmp(VARDATA_ANY(t), site->name, VARSIZE_ANY_EXHDR(t)) == 0 &&
				site->name[VARSIZE_ANY_EXHDR(t)] == '\0')
				return ref->model;
		}
	}
	reset_row_map(&site->named_rows);
	if (site->model_type == INT8OID)
		an_cache_by_id(PG_GETARG_INT64(0), ref);
	else
	{
		char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(0));

		an_cache_by_name(name, ref);
		strlcpy(site->name, name, NAMEDATALEN);
	}
	return ref->model;
}

/* Build the map from a composite row type to the model's features. */
static void
build_row_map(FunctionCallInfo fcinfo, score_site *site, const an_model *m,
			  Oid type, int32 typmod)
{
	model_rows *rows = site->rows;
	MemoryContext old = MemoryContextSwitchTo(rows->cxt);
	TupleDesc	desc = lookup_rowtype_tupdesc_copy(type, typmod);

	rows->x = palloc0(sizeof(double) * m->n_features);
	rows->slot = MakeSingleTupleTableSlot(desc, &TTSOpsHeapTuple);
	MemoryContextSwitchTo(old);
	an_row_map_build(&rows->map, desc, m, rows->cxt);
	if (site->ref->segmented)
	{
		rows->route = an_route_build(desc, site->ref->segmented, rows->cxt);
		rows->sub_x = MemoryContextAllocZero(rows->cxt,
											 sizeof(double) * m->n_features);
		rows->map.n_atts = Max(rows->map.n_atts, an_route_natts(rows->route));
	}
	rows->row_type = type;
	rows->row_typmod = typmod;
}

/*
 * Encode a composite row into rows->x; for a segmented model, route it and
 * return its segment's model (with the row in rows->sub_x) or the global one.
 */
static const an_model *
encode_composite(FunctionCallInfo fcinfo, score_site *site, const an_model *m)
{
	model_rows *rows = site->rows;
	HeapTupleHeader rec = PG_GETARG_HEAPTUPLEHEADER(1);
	Oid			type = HeapTupleHeaderGetTypeId(rec);
	int32		typmod = HeapTupleHeaderGetTypMod(rec);
	HeapTupleData tuple;

	if (rows->x == NULL || rows->row_type != type || rows->row_typmod != typmod)
		build_row_map(fcinfo, site, m, type, typmod);
	tuple.t_len = HeapTupleHeaderGetDatumLength(rec);
	ItemPointerSetInvalid(&tuple.t_self);
	tuple.t_tableOid = InvalidOid;
	tuple.t_data = rec;
	/* deform only the attributes up to the last one a feature uses */
	ExecStoreHeapTuple(&tuple, rows->slot, false);
	slot_getsomeattrs(rows->slot, rows->map.n_atts);
	an_row_map_encode(&rows->map, m, rows->slot->tts_values, rows->slot->tts_isnull, rows->x);
	if (rows->route == NULL)
		return m;
	rows->segment = an_route_segment(rows->route, site->ref->segmented, rows->slot->tts_values,
									 rows->slot->tts_isnull, site->ref->model_cxt);
	if (rows->segment < 0)
		return m;
	an_route_encode(site->ref->segmented, rows->segment, &rows->map, rows->slot->tts_values,
					rows->slot->tts_isnull, rows->x, rows->sub_x);
	return site->ref->segmented->segments[rows->segment].model;
}

/* Encode a float8[] row (the model's feature order) into rows->x. */
static void
encode_array(FunctionCallInfo fcinfo, score_site *site, const an_model *m)
{
	model_rows *rows = site->rows;
	ArrayType  *a = PG_GETARG_ARRAYTYPE_P(1);
	int			n = ArrayGetNItems(ARR_NDIM(a), ARR_DIMS(a));
	const double *v = (const double *) ARR_DATA_PTR(a);
	bits8	   *nullmap = ARR_NULLBITMAP(a);

	if (rows->x == NULL)
	{
		for (uint32 j = 0; j < m->n_features; j++)
			if (m->features[j].kind != AN_KIND_NUMERIC)
				ereport(ERROR,
						(errcode(ERRCODE_DATATYPE_MISMATCH),
						 errmsg("feature \"%s\" is categorical and cannot come from a float8[]",
								m->features[j].name),
						 errhint("Score a composite row or a jsonb object instead.")));
		rows->x = MemoryContextAllocZero(rows->cxt, sizeof(double) * m->n_features);
	}
	if (ARR_NDIM(a) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("the array has %d dimensions, a row is a one-dimensional float8[]",
						ARR_NDIM(a)),
				 errhint("Pass one value per feature, in this order: %s.", an_feature_list(m))));
	if (n != (int) m->n_features)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("the array has %d elements, the model has %u features", n, m->n_features),
				 errhint("Pass one value per feature, in this order: %s.", an_feature_list(m))));
	for (int j = 0; j < n; j++)
	{
		if (nullmap && !(nullmap[j / 8] & (1 << (j % 8))))
			rows->x[j] = NAN;
		else
			rows->x[j] = *v++;
	}
}

/*
 * The value of a JSON string that spells a float8 JSON has no number for:
 * "NaN", "Infinity" or "-Infinity", as to_jsonb writes such values.
 */
static bool
special_float_word(const char *s, int len, double *x)
{
	if (len == 3 && memcmp(s, "NaN", 3) == 0)
		*x = NAN;
	else if (len == 8 && memcmp(s, "Infinity", 8) == 0)
		*x = INFINITY;
	else if (len == 9 && memcmp(s, "-Infinity", 9) == 0)
		*x = -INFINITY;
	else
		return false;
	return true;
}

an_noreturn static void wrong_json_type(const an_feature *f);

/* ERROR: feature f's key holds a JSON value of the wrong type. */
static void
wrong_json_type(const an_feature *f)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATATYPE_MISMATCH),
			 errmsg("key \"%s\" has the wrong JSON type for a %s feature", f->name,
					f->kind == AN_KIND_NUMERIC ? "numeric" : "categorical"),
			 errhint("Give numeric features as numbers, booleans or \"NaN\", \"Infinity\", \"-Infinity\"; categorical ones as strings.")));
}

/* Encode a jsonb object row into rows->x; a missing key counts as NULL. */
static void
encode_jsonb(FunctionCallInfo fcinfo, score_site *site, const an_model *m)
{
	Jsonb	   *j = PG_GETARG_JSONB_P(1);
	model_rows *rows = site->rows;

	if (!JB_ROOT_IS_OBJECT(j))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a jsonb row must be an object keyed by feature name"),
				 errhint("The model needs keys: %s.", an_feature_list(m))));
	if (rows->x == NULL)
		rows->x = MemoryContextAllocZero(rows->cxt, sizeof(double) * m->n_features);
	for (uint32 k = 0; k < m->n_features; k++)
	{
		const an_feature *f = &m->features[k];
		JsonbValue	v;
		double		x = NAN;

		if (getKeyJsonValueFromContainer(&j->root, f->name, strlen(f->name), &v) != NULL)
		{
			if (v.type == jbvNumeric && f->kind == AN_KIND_NUMERIC)
				x = DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow,
													   NumericGetDatum(v.val.numeric)));
			else if (v.type == jbvBool && f->kind == AN_KIND_NUMERIC)
				x = v.val.boolean ? 1.0 : 0.0;
			else if (v.type == jbvString && f->kind == AN_KIND_NUMERIC)
			{
				if (!special_float_word(v.val.string.val, v.val.string.len, &x))
					wrong_json_type(f);
			}
			else if (v.type == jbvString && f->kind == AN_KIND_CATEGORICAL)
				x = an_feature_encode_category(f, an_hash_text(v.val.string.val, v.val.string.len));
			else if (v.type == jbvNumeric && f->kind == AN_KIND_CATEGORICAL)
			{
				char	   *s = DatumGetCString(DirectFunctionCall1(numeric_out,
																	NumericGetDatum(v.val.numeric)));

				x = an_feature_encode_category(f, an_hash_text(s, strlen(s)));
			}
			else if (v.type != jbvNull)
				wrong_json_type(f);
		}
		rows->x[k] = x;
	}
}

/* Encode argument 1 for the model of argument 0; *x is the call site's vector. */
const an_model *
an_row_encode(FunctionCallInfo fcinfo, double **x)
{
	score_site *site = site_for(fcinfo);
	const an_model *m = resolve_model(fcinfo, site);
	const an_model *used;

	if (site->ref->segmented && site->form != ROW_COMPOSITE)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("a segmented model scores composite rows only"),
				 errhint("Pass a whole-row reference such as t, with the segment columns.")));
	switch (site->form)
	{
		case ROW_COMPOSITE:
			used = encode_composite(fcinfo, site, m);
			*x = used == m ? site->rows->x : site->rows->sub_x;
			return used;
		case ROW_ARRAY:
			encode_array(fcinfo, site, m);
			break;
		case ROW_JSONB:
			encode_jsonb(fcinfo, site, m);
			break;
	}
	*x = site->rows->x;
	return m;
}

/* The text of feature j's value in the row an_row_encode saw; NULL if missing. */
char *
an_row_value_text(FunctionCallInfo fcinfo, const an_model *m, uint32 j)
{
	score_site *site = fcinfo->flinfo->fn_extra;
	model_rows *rows = site->rows;
	const char *name = m->features[j].name;

	if (site->form == ROW_COMPOSITE && rows->route && rows->segment >= 0)
		j = site->ref->segmented->segments[rows->segment].feature_of[j];
	if (site->form == ROW_COMPOSITE)
		return an_row_map_value_text(&rows->map, j, rows->slot->tts_values,
									 rows->slot->tts_isnull);
	if (site->form == ROW_JSONB)
	{
		Jsonb	   *jb = PG_GETARG_JSONB_P(1);
		JsonbValue	v;

		if (getKeyJsonValueFromContainer(&jb->root, name, strlen(name), &v) == NULL ||
			v.type == jbvNull)
			return NULL;
		if (v.type == jbvString)
			return pnstrdup(v.val.string.val, v.val.string.len);
		if (v.type == jbvBool)
			return pstrdup(v.val.boolean ? "true" : "false");
		return an_value_text(NumericGetDatum(v.val.numeric), NUMERICOID, -1);
	}
	if (isnan(rows->x[j]))
		return NULL;
	return an_value_text(Float8GetDatum(rows->x[j]), FLOAT8OID, -1);
}

/* Which model scored the row an_row_encode saw: "model", "global" or "segment ...". */
char *
an_row_model_text(FunctionCallInfo fcinfo)
{
	score_site *site = fcinfo->flinfo->fn_extra;

	return an_route_model_text(site->ref->segmented,
							   site->rows->route ? site->rows->segment : -1);
}

/* Score argument 1 with the model of argument 0. */
static double
score_call(FunctionCallInfo fcinfo, const an_model **model_out)
{
	double	   *x;

	*model_out = an_row_encode(fcinfo, &x);
	return an_model_score(*model_out, x);
}

/* anomaly_score(model, row): higher is more anomalous. */
Datum
anomaly_score(PG_FUNCTION_ARGS)
{
	const an_model *m;

	PG_RETURN_FLOAT8(score_call(fcinfo, &m));
}

/* anomaly_flag(model, row): whether the score reaches the model's threshold. */
Datum
anomaly_flag(PG_FUNCTION_ARGS)
{
	const an_model *m;
	double		s = score_call(fcinfo, &m);

	PG_RETURN_BOOL(s >= m->threshold);
}

/* anomaly_severity(model, row): the score's percentile among training scores. */
Datum
anomaly_severity(PG_FUNCTION_ARGS)
{
	const an_model *m;
	double		s = score_call(fcinfo, &m);

	PG_RETURN_FLOAT8(an_model_severity(m, s));
}
