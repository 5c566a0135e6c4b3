/*
 * source.c - a source named by the user (a table, view or query) turned
 * into a FROM clause, its columns looked up, and its rows scored in bulk
 * through SPI with the caller's rights.
 */
#include "glue.h"

#include <ctype.h>
#include <math.h>

#include "catalog/namespace.h"
#include "pg_compat.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/regproc.h"
#include "utils/varlena.h"

/* rows fetched from the scoring cursor at a time */
#define FETCH_ROWS 10000

/* Whether source is a query rather than a table or view name. */
static bool
looks_like_query(const char *s)
{
	static const char *const starts[] = {"select", "with", "values", "table"};

	while (isspace((unsigned char) *s))
		s++;
	if (*s == '(')
		return true;
	for (int i = 0; i < 4; i++)
	{
		size_t		n = strlen(starts[i]);

		if (pg_strncasecmp(s, starts[i], n) == 0 &&
			(isspace((unsigned char) s[n]) || s[n] == '(' || s[n] == '\0'))
			return true;
	}
	return false;
}

/* The FROM-clause text for source; sets *relid for a table or view. */
char *
an_source_from(const char *source, Oid *relid)
{
	*relid = InvalidOid;
	if (looks_like_query(source))
	{
		char	   *q = pstrdup(source);
		size_t		n = strlen(q);

		while (n > 0 && (isspace((unsigned char) q[n - 1]) || q[n - 1] == ';'))
			q[--n] = '\0';
		return psprintf("(%s)", q);
	}
	else
	{
		List	   *names = an_qualified_name_list(source);
		RangeVar   *rv = makeRangeVarFromNameList(names);

		*relid = RangeVarGetRelid(rv, NoLock, false);
		return quote_qualified_identifier(get_namespace_name(get_rel_namespace(*relid)),
										  get_rel_name(*relid));
	}
}

/* Position of column name in desc, or -1. */
int
an_source_column(TupleDesc desc, const char *name)
{
	for (int i = 0; i < desc->natts; i++)
		if (!TupleDescAttr(desc, i)->attisdropped &&
			strcmp(NameStr(TupleDescAttr(desc, i)->attname), name) == 0)
			return i;
	return -1;
}

/* The source's column names, for hints. */
char *
an_source_columns(TupleDesc desc)
{
	StringInfoData buf;

	initStringInfo(&buf);
	for (int i = 0; i < desc->natts; i++)
		if (!TupleDescAttr(desc, i)->attisdropped)
			appendStringInfo(&buf, "%s%s", buf.len ? ", " : "",
							 NameStr(TupleDescAttr(desc, i)->attname));
	return buf.data;
}


/* Whether a column name looks like an identifier: id, *_id, *uuid. */
bool
an_source_identifier_like(const char *name, Oid type)
{
	size_t		n = strlen(name);

	return type == UUIDOID || pg_strcasecmp(name, "id") == 0 ||
		(n > 3 && pg_strcasecmp(name + n - 3, "_id") == 0) ||
		(n >= 4 && pg_strcasecmp(name + n - 4, "uuid") == 0);
}

/* Whether column name is part of relid's primary key. */
bool
an_source_in_primary_key(Oid relid, const char *name)
{
	Datum		args[2] = {ObjectIdGetDatum(relid), CStringGetTextDatum(name)};
	Oid			types[2] = {OIDOID, TEXTOID};
	int			rc;

	if (!OidIsValid(relid))
		return false;
	rc = SPI_execute_with_args("SELECT 1 FROM pg_catalog.pg_index i JOIN pg_catalog.pg_attribute a "
							   "ON a.attrelid OPERATOR(pg_catalog.=) i.indrelid "
							   "AND a.attnum OPERATOR(pg_catalog.=) ANY (i.indkey) "
							   "WHERE i.indrelid OPERATOR(pg_catalog.=) $1 AND i.indisprimary "
							   "AND a.attname OPERATOR(pg_catalog.=) $2::pg_catalog.name",
							   2, types, args, NULL, true, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "primary key lookup failed");
	return SPI_processed > 0;
}

/* The source's row type, probed without reading a row (SPI connected). */
TupleDesc
an_source_describe(const char *from, const char *source)
{
	int			rc = SPI_execute(psprintf("SELECT * FROM %s s LIMIT 0", from), true, 0);

	if (rc != SPI_OK_SELECT)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("source \"%s\" is not a table, view or query", source)));
	return CreateTupleDescCopy(SPI_tuptable->tupdesc);
}

/* The type of the source's column (the role says which, for errors). */
static Oid
column_type(TupleDesc desc, const char *column, const char *role)
{
	int			pos = an_source_column(desc, column);

	if (pos < 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("%s column \"%s\" is not in the source", role, column),
				 errhint("The source has columns: %s.", an_source_columns(desc))));
	return TupleDescAttr(desc, pos)->atttypid;
}

/* The expression turning a time column into seconds since the epoch. */
static char *
time_expression(TupleDesc desc, const char *column)
{
	Oid			type = column_type(desc, column, "time");

	if (type == TIMESTAMPTZOID || type == TIMESTAMPOID || type == DATEOID)
		return psprintf("pg_catalog.date_part('epoch', s.%s)", quote_identifier(column));
	if (type == INT2OID || type == INT4OID || type == INT8OID || type == FLOAT4OID ||
		type == FLOAT8OID || type == NUMERICOID)
		return psprintf("(s.%s)::pg_catalog.float8", quote_identifier(column));
	ereport(ERROR,
			(errcode(ERRCODE_DATATYPE_MISMATCH),
			 errmsg("time column \"%s\" is of type %s", column, format_type_be(type)),
			 errhint("Use a timestamp, timestamptz, date or numeric column.")));
}

/* Check that the source has label column, boolean or an integer. */
void
an_source_check_label(TupleDesc desc, const char *label)
{
	Oid			type = column_type(desc, label, "label");

	if (type != BOOLOID && type != INT2OID && type != INT4OID && type != INT8OID)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("label column \"%s\" is of type %s", label, format_type_be(type)),
				 errhint("The label must be boolean or an integer 0/1.")));
}

/* A label's value (the column cast to int4) as 0/1; ERROR for any other. */
uint8
an_source_label_value(int32 value, const char *label)
{
	if (value != 0 && value != 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("label column \"%s\" has value %d", label, value),
				 errhint("The label must be boolean or an integer 0/1.")));
	return (uint8) value;
}

/* Append one fetched row to out, growing its arrays as needed. */
static void
append_scored(an_scored_rows *out, int64 *capacity, HeapTuple tuple, TupleDesc desc,
			  const char *label)
{
	bool		isnull;
	int			col = 2;

	if (out->n == *capacity)
	{
		*capacity *= 2;
		out->scores = repalloc_huge(out->scores, sizeof(double) * *capacity);
		if (out->labels)
			out->labels = repalloc_huge(out->labels, sizeof(uint8) * *capacity);
		if (out->times)
			out->times = repalloc_huge(out->times, sizeof(double) * *capacity);
	}
	out->scores[out->n] = DatumGetFloat8(SPI_getbinval(tuple, desc, 1, &isnull));
	if (out->labels)
	{
		out->labels[out->n] =
			an_source_label_value(DatumGetInt32(SPI_getbinval(tuple, desc, col++, &isnull)), label);
	}
	if (out->times)
	{
		Datum		t = SPI_getbinval(tuple, desc, col, &isnull);

		out->times[out->n] = isnull ? NAN : DatumGetFloat8(t);
	}
	out->n++;
}

/*
 * The bytes of model id, read with the caller's rights.  Scoring a source
 * with them rather than with the id keeps one version for the whole pass
 * and lets a distributed planner (Citus) score on its workers, which have
 * no anomaly_models rows: the bytes travel with the query as a parameter.
 */
Datum
an_model_bytes(int64 id)
{
	char	   *sql = psprintf("SELECT model FROM %s.anomaly_models WHERE id OPERATOR(pg_catalog.=) $1",
							   an_glue_schema());
	Oid			types[1] = {INT8OID};
	Datum		args[1] = {Int64GetDatum(id)};
	bool		isnull;
	Datum		d;

	if (SPI_execute_with_args(sql, 1, types, args, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "reading anomaly_models failed");
	if (SPI_processed != 1)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("anomaly model with id %lld does not exist", (long long) id),
				 errhint("SELECT * FROM anomaly_model_list shows the models.")));
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	return PointerGetDatum(DatumGetByteaPCopy(d));
}

/*
 * Score every row of the source with a model (an int8 id or bytea value),
 * with its 0/1 label (rows with a NULL label are skipped) and its time in
 * seconds when those columns are named.  SPI must be connected; the arrays
 * are allocated in mcxt.
 */
void
an_source_score(const char *from, TupleDesc desc, Datum model, Oid model_type,
				const char *label, const char *time_column, MemoryContext mcxt,
				an_scored_rows *out)
{
	StringInfoData sql;
	Oid			types[1] = {BYTEAOID};
	Datum		args[1] = {model_type == INT8OID ? an_model_bytes(DatumGetInt64(model)) : model};
	int64		capacity = 1024;
	MemoryContext old;
	SPIPlanPtr	plan;
	Portal		portal;

	initStringInfo(&sql);
	/* Citus writes a parameter into the text of each shard's task (a 45 MB
	 * model into 32 tasks: 2.9 GB of SQL); a materialized CTE of it is
	 * shipped once to each worker as an intermediate result instead */
	if (an_citus_installed())
		appendStringInfo(&sql, "WITH m AS MATERIALIZED (SELECT $1 AS model) "
						 "SELECT %s.anomaly_score((SELECT m.model FROM m), s)", an_glue_schema());
	else
		appendStringInfo(&sql, "SELECT %s.anomaly_score($1, s)", an_glue_schema());
	if (label)
	{
		an_source_check_label(desc, label);
		appendStringInfo(&sql, ", (s.%s)::pg_catalog.int4", quote_identifier(label));
	}
	if (time_column)
		appendStringInfo(&sql, ", %s", time_expression(desc, time_column));
	appendStringInfo(&sql, " FROM %s s", from);
	if (label)
		appendStringInfo(&sql, " WHERE s.%s IS NOT NULL", quote_identifier(label));
	old = MemoryContextSwitchTo(mcxt);
	memset(out, 0, sizeof(*out));
	out->scores = palloc(sizeof(double) * capacity);
	out->labels = label ? palloc(sizeof(uint8) * capacity) : NULL;
	out->times = time_column ? palloc(sizeof(double) * capacity) : NULL;
	MemoryContextSwitchTo(old);
	plan = SPI_prepare(sql.data, 1, types);
	if (plan == NULL)
		elog(ERROR, "preparing the scoring query failed: %s", SPI_result_code_string(SPI_result));
	portal = SPI_cursor_open(NULL, plan, args, NULL, true);
	for (;;)
	{
		SPI_cursor_fetch(portal, true, FETCH_ROWS);
		if (SPI_processed == 0)
			break;
		old = MemoryContextSwitchTo(mcxt);
		for (uint64 i = 0; i < SPI_processed; i++)
			append_scored(out, &capacity, SPI_tuptable->vals[i], SPI_tuptable->tupdesc, label);
		MemoryContextSwitchTo(old);
		SPI_freetuptable(SPI_tuptable);
	}
	SPI_cursor_close(portal);
}
