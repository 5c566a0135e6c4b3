/*
 * row_map.c - where a model's features are in a row type, and how one
 * deformed row of that type becomes the model's encoded vector.  Built once
 * per call site or trigger call, used for every row.
 */
#include "glue.h"

#include <math.h>

#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

/* The model's feature names, for hints. */
char *
an_feature_list(const an_model *m)
{
	StringInfoData buf;

	initStringInfo(&buf);
	for (uint32 j = 0; j < m->n_features; j++)
		appendStringInfo(&buf, "%s%s", j ? ", " : "", m->features[j].name);
	return buf.data;
}

/*
 * Map each of m's features to its column in desc (by name), in mcxt;
 * ERROR when a feature has no column or a column of the wrong kind.
 */
void
an_row_map_build(an_row_map *map, TupleDesc desc, const an_model *m, MemoryContext mcxt)
{
	int			last = 0;

	map->attidx = MemoryContextAllocZero(mcxt, sizeof(int) * m->n_features);
	map->atttype = MemoryContextAllocZero(mcxt, sizeof(Oid) * m->n_features);
	map->atttypmod = MemoryContextAllocZero(mcxt, sizeof(int32) * m->n_features);
	map->conv = MemoryContextAllocZero(mcxt, sizeof(an_conv) * m->n_features);
	for (uint32 j = 0; j < m->n_features; j++)
	{
		const an_feature *f = &m->features[j];
		int			found = -1;
		an_kind		kind;

		for (int i = 0; i < desc->natts && found < 0; i++)
			if (!TupleDescAttr(desc, i)->attisdropped &&
				strcmp(NameStr(TupleDescAttr(desc, i)->attname), f->name) == 0)
				found = i;
		if (found < 0)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("the row has no column \"%s\", a feature of the model", f->name),
					 errhint("The model needs columns: %s.", an_feature_list(m))));
		map->attidx[j] = found;
		map->atttype[j] = TupleDescAttr(desc, found)->atttypid;
		map->atttypmod[j] = TupleDescAttr(desc, found)->atttypmod;
		last = Max(last, found);
		map->conv[j] = an_conv_for_type(map->atttype[j], &kind);
		if (map->conv[j] == AN_CONV_UNSUPPORTED || kind != f->kind)
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("column \"%s\" is of type %s, but the model's feature is %s",
							f->name, format_type_be(map->atttype[j]),
							f->kind == AN_KIND_NUMERIC ? "numeric" : "categorical"),
					 errhint("Cast the column to %s in the query.",
							 f->kind == AN_KIND_NUMERIC ? "float8" : "text")));
	}
	map->n_atts = last + 1;
}

/* Encode the deformed row (values, nulls) into x; NaN for NULL. */
void
an_row_map_encode(const an_row_map *map, const an_model *m, const Datum *values,
				  const bool *nulls, double *x)
{
	for (uint32 j = 0; j < m->n_features; j++)
	{
		int			a = map->attidx[j];
		an_cell		cell;

		/* float8, the common case, without a call */
		if (map->conv[j] == AN_CONV_FLOAT8)
		{
			x[j] = nulls[a] ? NAN : DatumGetFloat8(values[a]);
			continue;
		}
		cell = an_cell_from_datum(values[a], nulls[a], map->conv[j]);
		x[j] = m->features[j].kind == AN_KIND_NUMERIC ? cell.num
			: cell.cat == 0 ? NAN : an_feature_encode_category(&m->features[j], cell.cat);
	}
}

/* Feature j's value in the deformed row as text (see an_value_text); NULL when missing. */
char *
an_row_map_value_text(const an_row_map *map, uint32 j, const Datum *values, const bool *nulls)
{
	int			a = map->attidx[j];

	if (nulls[a])
		return NULL;
	return an_value_text(values[a], map->atttype[j], map->atttypmod[j]);
}
