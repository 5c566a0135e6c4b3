/*
 * score.c - anomaly_score, anomaly_flag and anomaly_severity.
 *
 * The model is a text name (its latest version), a bigint id or a bytea
 * model value; the row is a composite (columns matched by name, extra
 * columns ignored), a float8[] in the model's feature order, or a jsonb
 * object keyed by feature name.  Each call site keeps, in fn_extra, the
 * model reference and the map from the row's columns to the model's
 * features, so scoring a composite or float8[] row allocates nothing.
 */
#include "glue.h"

#include "access/detoast.h"
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

#include "checksum.h"
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

/* What one call site remembers between rows. */
typedef struct score_site
{
	Oid			model_type;		/* TEXTOID, INT8OID or BYTEAOID */
	row_form	form;
	/* the model */
	an_model_ref ref;
	char		name[NAMEDATALEN];	/* for the text form */
	uint32		bytes_len;		/* for the bytea form: length and CRC */
	uint32		bytes_crc;
	struct varatt_external toast;	/* its TOAST pointer; va_valueid 0 if inline */
	MemoryContext inline_cxt;	/* holds an inline (bytea) model */
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
	fcinfo->flinfo->fn_extra = site;
	return site;
}

/* Forget the row map (the model changed). */
static void
reset_row_map(score_site *site)
{
	site->row_type = InvalidOid;
	site->x = NULL;
	site->route = NULL;
	site->segment = -1;
}

/*
 * Whether d is a value stored out of line whose TOAST pointer is *known: the
 * same stored value (TOAST values are never updated in place), recognised
 * without fetching or decompressing it.
 */
static bool
toast_pointer_is(Datum d, const struct varatt_external *known)
{
	struct varatt_external p;

	if (known->va_valueid == InvalidOid || !VARATT_IS_EXTERNAL_ONDISK(DatumGetPointer(d)))
		return false;
	VARATT_EXTERNAL_GET_POINTER(p, DatumGetPointer(d));
	return p.va_valueid == known->va_valueid && p.va_toastrelid == known->va_toastrelid &&
		p.va_rawsize == known->va_rawsize && p.va_extinfo == known->va_extinfo;
}

/* Remember d's TOAST pointer, or that it has none. */
static void
toast_pointer_remember(Datum d, struct varatt_external *known)
{
	if (VARATT_IS_EXTERNAL_ONDISK(DatumGetPointer(d)))
		VARATT_EXTERNAL_GET_POINTER(*known, DatumGetPointer(d));
	else
		memset(known, 0, sizeof(*known));
}

/* Point the site at the model named by argument 0, reusing it if unchanged. */
static const an_model *
resolve_model(FunctionCallInfo fcinfo, score_site *site)
{
	if (site->model_type == BYTEAOID)
	{
		bytea	   *b;
		const char *data;
		uint32		len;
		uint32		crc = 0;
		an_ctx		ctx;
		an_model   *model;

		/* a value stored out of line is known by its TOAST pointer, unread */
		if (site->ref.model && toast_pointer_is(PG_GETARG_DATUM(0), &site->toast))
			return site->ref.model;
		b = PG_GETARG_BYTEA_PP(0);
		data = VARDATA_ANY(b);
		len = VARSIZE_ANY_EXHDR(b);
		if (len >= AN_MODEL_HEADER)
			memcpy(&crc, data + 24, sizeof(crc));
		if (site->ref.model && len == site->bytes_len && crc == site->bytes_crc)
			return site->ref.model;
		if (site->inline_cxt)
			MemoryContextReset(site->inline_cxt);
		else
			site->inline_cxt = AllocSetContextCreate(fcinfo->flinfo->fn_mcxt,
													 "anomaly inline model",
													 ALLOCSET_SMALL_SIZES);
		site->ref.model = NULL;
		reset_row_map(site);
		an_glue_ctx(&ctx, site->inline_cxt);
		/* a segmented model's sub-models point into its bytes: keep them */
		if (an_segmented_is(data, len))
			data = memcpy(MemoryContextAllocHuge(site->inline_cxt, len), data, len);
		an_route_read(&ctx, data, len, &model, &site->ref.segmented);
		site->ref.model_cxt = site->inline_cxt;
		site->ref.model = model;
		site->bytes_len = len;
		site->bytes_crc = crc;
		toast_pointer_remember(PG_GETARG_DATUM(0), &site->toast);
		return model;
	}
	if (site->ref.model && site->ref.generation == an_cache_generation())
	{
		if (site->model_type == INT8OID && site->ref.id == PG_GETARG_INT64(0))
			return site->ref.model;
		if (site->model_type == TEXTOID)
		{
			text	   *t = PG_GETARG_TEXT_PP(0);

			if (VARSIZE_ANY_EXHDR(t) < NAMEDATALEN &&
				strncmp(VARDATA_ANY(t), site->name, VARSIZE_ANY_EXHDR(t)) == 0 &&
				site->name[VARSIZE_ANY_EXHDR(t)] == '\0')
				return site->ref.model;
		}
	}
	reset_row_map(site);
	if (site->model_type == INT8OID)
		an_cache_by_id(PG_GETARG_INT64(0), &site->ref);
	else
	{
		char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(0));

		an_cache_by_name(name, &site->ref);
		strlcpy(site->name, name, NAMEDATALEN);
	}
	return site->ref.model;
}

/* Build the map from a composite row type to the model's features. */
static void
build_row_map(FunctionCallInfo fcinfo, score_site *site, const an_model *m,
			  Oid type, int32 typmod)
{
	MemoryContext old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
	TupleDesc	desc = lookup_rowtype_tupdesc_copy(type, typmod);

	site->x = palloc0(sizeof(double) * m->n_features);
	site->slot = MakeSingleTupleTableSlot(desc, &TTSOpsHeapTuple);
	MemoryContextSwitchTo(old);
	an_row_map_build(&site->map, desc, m, fcinfo->flinfo->fn_mcxt);
	if (site->ref.segmented)
	{
		site->route = an_route_build(desc, site->ref.segmented, fcinfo->flinfo->fn_mcxt);
		site->sub_x = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt,
											 sizeof(double) * m->n_features);
		site->map.n_atts = Max(site->map.n_atts, an_route_natts(site->route));
	}
	site->row_type = type;
	site->row_typmod = typmod;
}

/*
 * Encode a composite row into site->x; for a segmented model, route it and
 * return its segment's model (with the row in site->sub_x) or the global one.
 */
static const an_model *
encode_composite(FunctionCallInfo fcinfo, score_site *site, const an_model *m)
{
	HeapTupleHeader rec = PG_GETARG_HEAPTUPLEHEADER(1);
	Oid			type = HeapTupleHeaderGetTypeId(rec);
	int32		typmod = HeapTupleHeaderGetTypMod(rec);
	HeapTupleData tuple;

	if (site->x == NULL || site->row_type != type || site->row_typmod != typmod)
		build_row_map(fcinfo, site, m, type, typmod);
	tuple.t_len = HeapTupleHeaderGetDatumLength(rec);
	ItemPointerSetInvalid(&tuple.t_self);
	tuple.t_tableOid = InvalidOid;
	tuple.t_data = rec;
	/* deform only the attributes up to the last one a feature uses */
	ExecStoreHeapTuple(&tuple, site->slot, false);
	slot_getsomeattrs(site->slot, site->map.n_atts);
	an_row_map_encode(&site->map, m, site->slot->tts_values, site->slot->tts_isnull, site->x);
	if (site->route == NULL)
		return m;
	site->segment = an_route_segment(site->route, site->ref.segmented, site->slot->tts_values,
									 site->slot->tts_isnull, site->ref.model_cxt);
	if (site->segment < 0)
		return m;
	an_route_encode(site->ref.segmented, site->segment, &site->map, site->slot->tts_values,
					site->slot->tts_isnull, site->x, site->sub_x);
	return site->ref.segmented->segments[site->segment].model;
}

/* Encode a float8[] row (the model's feature order) into site->x. */
static void
encode_array(FunctionCallInfo fcinfo, score_site *site, const an_model *m)
{
	ArrayType  *a = PG_GETARG_ARRAYTYPE_P(1);
	int			n = ArrayGetNItems(ARR_NDIM(a), ARR_DIMS(a));
	const double *v = (const double *) ARR_DATA_PTR(a);
	bits8	   *nullmap = ARR_NULLBITMAP(a);

	if (site->x == NULL)
	{
		for (uint32 j = 0; j < m->n_features; j++)
			if (m->features[j].kind != AN_KIND_NUMERIC)
				ereport(ERROR,
						(errcode(ERRCODE_DATATYPE_MISMATCH),
						 errmsg("feature \"%s\" is categorical and cannot come from a float8[]",
								m->features[j].name),
						 errhint("Score a composite row or a jsonb object instead.")));
		site->x = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(double) * m->n_features);
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
			site->x[j] = NAN;
		else
			site->x[j] = *v++;
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

/* Encode a jsonb object row into site->x; a missing key counts as NULL. */
static void
encode_jsonb(FunctionCallInfo fcinfo, score_site *site, const an_model *m)
{
	Jsonb	   *j = PG_GETARG_JSONB_P(1);

	if (!JB_ROOT_IS_OBJECT(j))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a jsonb row must be an object keyed by feature name"),
				 errhint("The model needs keys: %s.", an_feature_list(m))));
	if (site->x == NULL)
		site->x = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(double) * m->n_features);
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
		site->x[k] = x;
	}
}

/* Encode argument 1 for the model of argument 0; *x is the call site's vector. */
const an_model *
an_row_encode(FunctionCallInfo fcinfo, double **x)
{
	score_site *site = site_for(fcinfo);
	const an_model *m = resolve_model(fcinfo, site);
	const an_model *used;

	if (site->ref.segmented && site->form != ROW_COMPOSITE)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("a segmented model scores composite rows only"),
				 errhint("Pass a whole-row reference such as t, with the segment columns.")));
	switch (site->form)
	{
		case ROW_COMPOSITE:
			used = encode_composite(fcinfo, site, m);
			*x = used == m ? site->x : site->sub_x;
			return used;
		case ROW_ARRAY:
			encode_array(fcinfo, site, m);
			break;
		case ROW_JSONB:
			encode_jsonb(fcinfo, site, m);
			break;
	}
	*x = site->x;
	return m;
}

/* The text of feature j's value in the row an_row_encode saw; NULL if missing. */
char *
an_row_value_text(FunctionCallInfo fcinfo, const an_model *m, uint32 j)
{
	score_site *site = fcinfo->flinfo->fn_extra;
	const char *name = m->features[j].name;

	if (site->form == ROW_COMPOSITE && site->route && site->segment >= 0)
		j = site->ref.segmented->segments[site->segment].feature_of[j];
	if (site->form == ROW_COMPOSITE)
		return an_row_map_value_text(&site->map, j, site->slot->tts_values,
									 site->slot->tts_isnull);
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
	if (isnan(site->x[j]))
		return NULL;
	return an_value_text(Float8GetDatum(site->x[j]), FLOAT8OID, -1);
}

/* Which model scored the row an_row_encode saw: "model", "global" or "segment ...". */
char *
an_row_model_text(FunctionCallInfo fcinfo)
{
	score_site *site = fcinfo->flinfo->fn_extra;

	return an_route_model_text(site->ref.segmented, site->route ? site->segment : -1);
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
