/*
 * segment_train.c - training a segmented model: one sub-model per distinct
 * combination of the segment columns with at least min_segment_rows rows,
 * plus the global model, packed into one container (src/core/segmented.c)
 * stored as one version.
 *
 * The segments come from one query: the source's rows, each with the row
 * count of its segment (a window over the segment columns' text), grouped
 * by those columns and fed to anomaly_fit.  PostgreSQL sorts by the segment
 * columns once; the sort spills to disk past work_mem, and the group
 * aggregate holds one bounded training state at a time, so the memory that
 * grows with the segment count is the finished models' bytes (fetched from
 * a cursor in batches and copied once into the container) and the index.
 * The global model is the ordinary anomaly_fit over every row (a second
 * scan of the source).
 */
#include "glue.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/typcache.h"

#include "bytes.h"
#include "segmented.h"

#define SEGMENT_FETCH 1000
#define DEFAULT_MIN_SEGMENT_ROWS 50

/*
 * Take min_segment_rows out of the options (the detectors do not know it);
 * returns its value, the default when absent, and sets *rest to the others.
 */
int
an_segment_min_rows(Jsonb *options, Jsonb **rest)
{
	JsonbValue	v;
	int			min_rows = DEFAULT_MIN_SEGMENT_ROWS;

	*rest = options;
	if (options == NULL ||
		getKeyJsonValueFromContainer(&options->root, "min_segment_rows", 16, &v) == NULL)
		return min_rows;
	if (v.type != jbvNumeric)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"min_segment_rows\" must be a number"),
				 errhint("Write it as a JSON number, e.g. '{\"min_segment_rows\": 50}'.")));
	{
		double		d = DatumGetFloat8(DirectFunctionCall1(numeric_float8,
														   NumericGetDatum(v.val.numeric)));

		if (!(d >= 2 && d <= 100000000) || d != floor(d))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("option \"min_segment_rows\" is %g, out of range", d),
					 errhint("min_segment_rows is a whole number of rows from 2 to 100000000.")));
		min_rows = (int) d;
	}
	*rest = DatumGetJsonbP(DirectFunctionCall2(jsonb_delete, JsonbPGetDatum(options),
											   CStringGetTextDatum("min_segment_rows")));
	return min_rows;
}

/*
 * Check segment_by against the source: non-empty, no NULL, no repeat, every
 * name a column of the source.  Returns the names; *n gets their count.
 */
char	  **
an_segment_columns(TupleDesc desc, ArrayType *segment_by, int *n)
{
	Datum	   *elems;
	bool	   *nulls;
	char	  **names;

	deconstruct_array(segment_by, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, n);
	if (*n == 0 || *n > AN_SEGMENT_MAX_COLUMNS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("segment_by names %d columns", *n),
				 errhint("Name 1 to %d segment columns, or pass NULL for one model.",
						 AN_SEGMENT_MAX_COLUMNS)));
	names = palloc(sizeof(char *) * *n);
	for (int i = 0; i < *n; i++)
	{
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("segment_by must not contain NULL")));
		names[i] = TextDatumGetCString(elems[i]);
		if (an_source_column(desc, names[i]) < 0)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("segment column \"%s\" is not in the source", names[i]),
					 errhint("The source has columns: %s.", an_source_columns(desc))));
		if (strlen(names[i]) >= AN_NAME_MAX)
			ereport(ERROR,
					(errcode(ERRCODE_NAME_TOO_LONG),
					 errmsg("segment column name \"%s\" is too long", names[i])));
		for (int o = 0; o < i; o++)
			if (strcmp(names[o], names[i]) == 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("segment column \"%s\" is named twice", names[i])));
	}
	return names;
}

/* Whether name is one of the n segment columns. */
bool
an_segment_is_column(char **names, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			return true;
	return false;
}

/* The key of one fetched row: its first n columns, the segments' text. */
static void
row_key(an_writer *w, HeapTuple tuple, TupleDesc desc, int n)
{
	w->len = 0;
	for (int c = 0; c < n; c++)
	{
		bool		isnull;
		Datum		d = SPI_getbinval(tuple, desc, c + 1, &isnull);
		text	   *t = isnull ? NULL : DatumGetTextPP(d);

		an_segment_key_append(w, isnull ? NULL : VARDATA_ANY(t),
							  isnull ? 0 : VARSIZE_ANY_EXHDR(t), isnull);
	}
}

/*
 * The segment columns of alias as a GROUP BY or PARTITION BY list: each
 * column's text (what a segment's key is), preceded by the column itself
 * when its type has an equality operator.  Grouped by both, the groups are
 * those of the text alone, and a distribution column of Citus stays in
 * sight, so Citus runs the whole segment query on its workers.
 */
static void
append_group_keys(StringInfo buf, const char *alias, TupleDesc desc, char **seg, int n_seg)
{
	for (int c = 0; c < n_seg; c++)
	{
		const char *col = quote_identifier(seg[c]);
		Oid			type = TupleDescAttr(desc, an_source_column(desc, seg[c]))->atttypid;

		if (OidIsValid(lookup_type_cache(type, TYPECACHE_EQ_OPR)->eq_opr))
			appendStringInfo(buf, "%s%s.%s, ", c ? ", " : "", alias, col);
		else if (c)
			appendStringInfoString(buf, ", ");
		appendStringInfo(buf, "(%s.%s)::pg_catalog.text", alias, col);
	}
}

/*
 * Train the segments of the source (SPI connected; source describes it, names
 * its feature columns cols) and pack them with the global model's bytes
 * into a container, allocated in outer.  *trained gets the number of
 * segments with a model of their own, *small the number scored by the
 * global model.
 */
bytea *
an_segment_fit(const char *from, TupleDesc source, const char *cols, Datum names, char **seg,
			   int n_seg, int min_rows, const char *algorithm, const char *options,
			   bytea *global, MemoryContext outer, int64 *trained, int64 *small)
{
	MemoryContext work = AllocSetContextCreate(CurrentMemoryContext, "anomaly segments",
											   ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(work);
	StringInfoData sql,
				keys,
				groups,
				inner_groups;
	Oid			types[4] = {TEXTOID, TEXTOID, INT8OID, TEXTARRAYOID};
	Datum		args[4];
	SPIPlanPtr	plan;
	Portal		portal;
	an_segment_input *segs;
	int64		cap = 1024,
				n = 0;
	an_writer	key;
	an_ctx		ctx;
	unsigned char *bytes;
	size_t		len;
	bytea	   *result;

	initStringInfo(&sql);
	initStringInfo(&keys);
	initStringInfo(&groups);
	initStringInfo(&inner_groups);
	for (int c = 0; c < n_seg; c++)
		appendStringInfo(&keys, "%s(s0.%s)::pg_catalog.text", c ? ", " : "",
						 quote_identifier(seg[c]));
	append_group_keys(&groups, "s0", source, seg, n_seg);
	append_group_keys(&inner_groups, "s1", source, seg, n_seg);
	/* the named form of the aggregate, as anomaly_train's global fit: a row
	 * Citus sends to its workers keeps its features' names */
	appendStringInfo(&sql,
					 "SELECT %s, %s.anomaly_fit_segment(ROW(%s), $1, $2::pg_catalog.jsonb, $4) "
					 "FILTER (WHERE s0.\"anomaly segment rows\" OPERATOR(pg_catalog.>=) $3), "
					 "pg_catalog.count(*) "
					 "FROM (SELECT s1.*, pg_catalog.count(*) OVER (PARTITION BY %s) "
					 "AS \"anomaly segment rows\" FROM %s s1) s0 "
					 "GROUP BY %s",
					 keys.data, an_glue_schema(), cols, inner_groups.data, from, groups.data);
	args[0] = CStringGetTextDatum(algorithm);
	args[1] = CStringGetTextDatum(options);
	args[2] = Int64GetDatum(min_rows);
	args[3] = names;
	plan = SPI_prepare(sql.data, 4, types);
	if (plan == NULL)
		elog(ERROR, "preparing the segment query failed: %s", SPI_result_code_string(SPI_result));
	segs = palloc(sizeof(an_segment_input) * cap);
	an_glue_ctx(&ctx, work);
	an_writer_init(&key, &ctx, 256);
	*small = 0;
	portal = SPI_cursor_open(NULL, plan, args, NULL, true);
	for (;;)
	{
		SPI_cursor_fetch(portal, true, SEGMENT_FETCH);
		if (SPI_processed == 0)
			break;
		MemoryContextSwitchTo(work);
		for (uint64 i = 0; i < SPI_processed; i++)
		{
			HeapTuple	tuple = SPI_tuptable->vals[i];
			TupleDesc	desc = SPI_tuptable->tupdesc;
			bool		isnull;
			Datum		d = SPI_getbinval(tuple, desc, n_seg + 1, &isnull);
			bytea	   *m;

			if (isnull)
			{
				(*small)++;		/* below min_segment_rows, or untrainable */
				continue;
			}
			if (n == cap)
			{
				cap *= 2;
				segs = repalloc_huge(segs, sizeof(an_segment_input) * cap);
			}
			row_key(&key, tuple, desc, n_seg);
			m = DatumGetByteaPCopy(d);
			segs[n].key = memcpy(palloc(key.len), key.data, key.len);
			segs[n].key_len = (uint32) key.len;
			segs[n].model = (const unsigned char *) VARDATA_ANY(m);
			segs[n].model_len = VARSIZE_ANY_EXHDR(m);
			segs[n].rows = DatumGetInt64(SPI_getbinval(tuple, desc, n_seg + 2, &isnull));
			n++;
		}
		SPI_freetuptable(SPI_tuptable);
		CHECK_FOR_INTERRUPTS();
	}
	SPI_cursor_close(portal);
	MemoryContextSwitchTo(work);
	if (n > UINT32_MAX)
		ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
						errmsg("too many segments: %lld", (long long) n)));
	an_glue_check(&ctx, an_segmented_write(&ctx, (const char *const *) seg, (uint32) n_seg,
										   (uint32) min_rows,
										   (const unsigned char *) VARDATA_ANY(global),
										   VARSIZE_ANY_EXHDR(global), segs, (uint32) n,
										   &bytes, &len));
	if (len > MaxAllocSize - VARHDRSZ)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("segmented model of %zu bytes is larger than a bytea value can be", len),
				 errhint("Raise min_segment_rows, segment by fewer columns or use a smaller model (fewer trees, or hbos).")));
	MemoryContextSwitchTo(outer);
	result = palloc(VARHDRSZ + len);
	SET_VARSIZE(result, VARHDRSZ + len);
	memcpy(VARDATA(result), bytes, len);
	MemoryContextSwitchTo(old);
	MemoryContextDelete(work);
	*trained = n;
	return result;
}
