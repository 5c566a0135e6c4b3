/*
 * segment_route.c - scoring with a segmented model: which model scores a
 * row (its segment's, or the global one for an unseen or small segment),
 * and the row encoded for that model.
 *
 * A row's segment key is built from the text of its segment columns, the
 * same text as the (column)::text cast training grouped by: the cast's own
 * function when the type has one (bool, bpchar, inet), the bytes of a
 * text-like value, or the type's output function.  The call site keeps the
 * map from segment columns to the row's attributes and the last segment it
 * looked up, so rows of one segment in a row skip the index search.
 */
#include "glue.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "parser/parse_coerce.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "checksum.h"
#include "segmented.h"

typedef enum key_path
{
	KEY_BYTES,					/* a text-like value: its bytes */
	KEY_CAST,					/* a cast function to text */
	KEY_OUTPUT,					/* the type's output function */
	KEY_INT2,					/* integers: their output, without a call */
	KEY_INT4,
	KEY_INT8
} key_path;

struct an_route
{
	int			n_columns;
	int		   *attidx;
	key_path   *path;
	FmgrInfo   *fn;
	int			n_atts;			/* the last attribute used, plus one */
	an_ctx		ctx;			/* builds keys, in the call site's memory */
	an_writer	key;
	int64		last;			/* the segment of the last key, or -1 */
	unsigned char *last_key;
	size_t		last_len;
	size_t		last_cap;
	MemoryContext mcxt;
};

/* Read model bytes of either kind: a plain model, or a segmented one and its global model. */
void
an_route_read(an_ctx *ctx, const char *data, size_t len, an_model **model, an_segmented **seg)
{
	*seg = NULL;
	if (an_segmented_is(data, len))
	{
		an_glue_check(ctx, an_segmented_read(ctx, data, len, seg));
		*model = (*seg)->global;
	}
	else
		an_glue_check(ctx, an_model_read(ctx, data, len, model));
}

/* How values of type typid become the text of their ::text cast. */
static key_path
key_path_for(Oid typid, FmgrInfo *fn, MemoryContext mcxt)
{
	Oid			base = getBaseType(typid);
	Oid			funcid = InvalidOid;
	CoercionPathType path = find_coercion_pathway(TEXTOID, base, COERCION_EXPLICIT, &funcid);

	if (path == COERCION_PATH_RELABELTYPE)
		return KEY_BYTES;
	if (path == COERCION_PATH_COERCEVIAIO && base == INT2OID)
		return KEY_INT2;
	if (path == COERCION_PATH_COERCEVIAIO && base == INT4OID)
		return KEY_INT4;
	if (path == COERCION_PATH_COERCEVIAIO && base == INT8OID)
		return KEY_INT8;
	if (path == COERCION_PATH_FUNC && OidIsValid(funcid))
	{
		fmgr_info_cxt(funcid, fn, mcxt);
		return KEY_CAST;
	}
	{
		bool		varlena;
		Oid			out;

		getTypeOutputInfo(base, &out, &varlena);
		fmgr_info_cxt(out, fn, mcxt);
	}
	return KEY_OUTPUT;
}

/* Map the segment columns of s to the attributes of desc; ERROR when one is missing. */
an_route *
an_route_build(TupleDesc desc, const an_segmented *s, MemoryContext mcxt)
{
	an_route   *r = MemoryContextAllocZero(mcxt, sizeof(an_route));

	r->n_columns = (int) s->n_columns;
	r->attidx = MemoryContextAllocZero(mcxt, sizeof(int) * s->n_columns);
	r->path = MemoryContextAllocZero(mcxt, sizeof(key_path) * s->n_columns);
	r->fn = MemoryContextAllocZero(mcxt, sizeof(FmgrInfo) * s->n_columns);
	r->mcxt = mcxt;
	for (uint32 c = 0; c < s->n_columns; c++)
	{
		int			found = an_source_column(desc, s->columns[c]);

		if (found < 0)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("the row has no column \"%s\", a segment column of the model",
							s->columns[c]),
					 errhint("A segmented model routes each row by its segment columns; pass a row that has them.")));
		r->attidx[c] = found;
		r->path[c] = key_path_for(TupleDescAttr(desc, found)->atttypid, &r->fn[c], mcxt);
		r->n_atts = Max(r->n_atts, found + 1);
	}
	an_glue_ctx(&r->ctx, mcxt);
	an_writer_init(&r->key, &r->ctx, 64);
	r->last = -2;
	return r;
}

/* The attributes the route reads: deform the row up to this many. */
int
an_route_natts(const an_route *r)
{
	return r->n_atts;
}

/* Append one column's value to the key being built. */
static void
append_value(an_route *r, int c, Datum value, bool isnull)
{
	text	   *t;
	char		digits[MAXINT8LEN + 1];

	if (isnull)
	{
		an_segment_key_append(&r->key, NULL, 0, 1);
		return;
	}
	if (r->path[c] == KEY_INT2 || r->path[c] == KEY_INT4 || r->path[c] == KEY_INT8)
	{
		/* the same digits as int2out, int4out and int8out */
		int			n = r->path[c] == KEY_INT8 ? pg_lltoa(DatumGetInt64(value), digits)
			: pg_ltoa(r->path[c] == KEY_INT2 ? (int32) DatumGetInt16(value)
					  : DatumGetInt32(value), digits);

		an_segment_key_append(&r->key, digits, (size_t) n, 0);
		return;
	}
	if (r->path[c] == KEY_OUTPUT)
	{
		char	   *s = OutputFunctionCall(&r->fn[c], value);

		an_segment_key_append(&r->key, s, strlen(s), 0);
		return;
	}
	t = r->path[c] == KEY_BYTES ? DatumGetTextPP(value)
		: DatumGetTextPP(FunctionCall1(&r->fn[c], value));
	an_segment_key_append(&r->key, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), 0);
}

/*
 * The segment of the deformed row (values, nulls), or -1 for the global
 * model; its sub-model is read into mcxt on first use.
 */
int64
an_route_segment(an_route *r, an_segmented *s, const Datum *values, const bool *nulls,
				 MemoryContext model_cxt)
{
	int64		at;

	r->key.len = 0;
	for (int c = 0; c < r->n_columns; c++)
		append_value(r, c, values[r->attidx[c]], nulls[r->attidx[c]]);
	if (r->last >= -1 && r->key.len == r->last_len &&
		memcmp(r->key.data, r->last_key, r->key.len) == 0)
		return r->last;
	at = an_segmented_find(s, an_hash_bytes(r->key.data, r->key.len), r->key.data,
						   (uint32) r->key.len);
	if (at >= 0 && s->segments[at].model == NULL)
	{
		an_ctx		ctx;
		const an_model *m;

		an_glue_ctx(&ctx, model_cxt);
		an_glue_check(&ctx, an_segmented_model(&ctx, s, (uint32) at, &m));
	}
	if (r->key.len > r->last_cap)
	{
		r->last_cap = Max(r->key.len, 2 * r->last_cap);
		r->last_key = MemoryContextAlloc(r->mcxt, r->last_cap);
	}
	memcpy(r->last_key, r->key.data, r->key.len);
	r->last_len = r->key.len;
	r->last = at;
	return at;
}

/*
 * Encode the deformed row for segment at's model from the global
 * encoding gx: numeric features are the same values, categorical ones are
 * encoded again with the sub-model's own category frequencies.
 */
void
an_route_encode(const an_segmented *s, int64 at, const an_row_map *map, const Datum *values,
				const bool *nulls, const double *gx, double *x)
{
	const an_segment *g = &s->segments[at];
	const an_model *m = g->model;

	for (uint32 j = 0; j < m->n_features; j++)
	{
		uint32		k = g->feature_of[j];
		int			a = map->attidx[k];
		an_cell		cell;

		if (m->features[j].kind == AN_KIND_NUMERIC)
		{
			x[j] = gx[k];
			continue;
		}
		cell = an_cell_from_datum(values[a], nulls[a], map->conv[k]);
		x[j] = cell.cat == 0 ? NAN : an_feature_encode_category(&m->features[j], cell.cat);
	}
}

/* Which model scored a row: "global" or "segment col=value, ...". */
char *
an_route_model_text(const an_segmented *s, int64 at)
{
	char		buf[512];

	if (s == NULL)
		return pstrdup("model");
	if (at < 0)
		return pstrdup("global");
	an_segment_key_text(s, (uint32) at, buf, sizeof(buf));
	return psprintf("segment %s", buf);
}

/* The key of the row an_route_segment saw last, and its length. */
const unsigned char *
an_route_key(const an_route *r, size_t *len)
{
	*len = r->key.len;
	return r->key.data;
}

/* The readable text (col=value, ...) of the segment of the row an_route_segment saw last. */
char *
an_route_key_text(const an_route *r, const an_segmented *s)
{
	char		buf[1024];

	an_segment_key_bytes_text(s, r->key.data, (uint32) r->key.len, buf, sizeof(buf));
	return pstrdup(buf);
}
