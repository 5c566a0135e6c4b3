/*
 * importance.c - anomaly_importance and the report's feature sections:
 * over every row of a source, which features explain the flagged rows (or,
 * with a label, the labelled anomalies), how often each one leads, and how
 * their values differ from the other rows': means for numbers, dates and
 * times, the share of true for booleans, the most common category.  One
 * scan: each row's flag, its explanation (anomaly_explain) and its values.
 */
#include "glue.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/timestamp.h"

#include "readable.h"
#include "report.h"

PG_FUNCTION_INFO_V1(anomaly_importance);

#define FETCH_ROWS 1000			/* rows fetched from the cursor at a time */
#define HIST_BINS 20			/* bins of a number's distribution */
#define MAX_CATEGORIES 8		/* categories drawn; the rest are "other" */
#define SCATTER_OTHERS 2000		/* at most this many unflagged rows in the scatter */
#define EXPLAIN_OTHERS 2000		/* about this many unflagged rows explained */
#define VALUE_DIGITS 6

/* How a feature's column is read and its typical value told. */
typedef enum value_kind
{
	VALUE_NUMBER,				/* the mean */
	VALUE_BOOL,					/* the share of true */
	VALUE_DATE,					/* the mean, as a date */
	VALUE_TIMESTAMP,			/* the mean, as a timestamp of the column's type */
	VALUE_CATEGORY				/* the most common value and its share */
} value_kind;

/* One category's rows in each group. */
typedef struct category_count
{
	char	   *value;
	int64		flagged;
	int64		normal;
} category_count;

/* What is gathered of one feature over the scan. */
typedef struct feature_acc
{
	char	   *name;
	Oid			type;
	value_kind	kind;
	double		share_sum[2];	/* [0] other rows, [1] flagged rows */
	int64		leads;
	double		value_sum[2];	/* finite values only */
	int64		value_n[2];
	double	   *values;			/* numbers: every row's value, NaN when missing */
	uint8	   *flags;
	List	   *categories;		/* categorical: category_count, unsorted */
} feature_acc;

/* What the scan gathers. */
typedef struct importance_scan
{
	int			d;
	feature_acc *f;
	int64		rows;
	int64		group_rows;
	int64		capacity;
	int64		stride;			/* every stride-th row is explained, and every flagged one */
	int64		explained[2];	/* rows explained: [0] other, [1] flagged */
} importance_scan;

/* How a column of type typid is read. */
static value_kind
kind_of(Oid typid)
{
	an_kind		kind;

	an_conv_for_type(typid, &kind);
	if (kind == AN_KIND_CATEGORICAL)
		return VALUE_CATEGORY;
	if (typid == BOOLOID)
		return VALUE_BOOL;
	if (typid == DATEOID)
		return VALUE_DATE;
	if (typid == TIMESTAMPOID || typid == TIMESTAMPTZOID)
		return VALUE_TIMESTAMP;
	return VALUE_NUMBER;
}

/* The expression reading feature f of the row t.s: float8 seconds for times, text for categories. */
static char *
value_expression(const feature_acc *f)
{
	const char *col = quote_identifier(f->name);

	switch (f->kind)
	{
		case VALUE_BOOL:
			return psprintf("((t.s).%s)::pg_catalog.int4::pg_catalog.float8", col);
		case VALUE_DATE:
			return psprintf("pg_catalog.date_part('epoch', ((t.s).%s)::pg_catalog.timestamp)", col);
		case VALUE_TIMESTAMP:
			return psprintf("pg_catalog.date_part('epoch', (t.s).%s)", col);
		case VALUE_CATEGORY:
			return psprintf("((t.s).%s)::pg_catalog.text", col);
		default:
			return psprintf("((t.s).%s)::pg_catalog.float8", col);
	}
}

/*
 * The scan's query: per row its flag, its values, and for every flagged row
 * and every stride-th row its explanation's features and shares in order
 * (NULL for the others: the condition gates the call to anomaly_explain).
 */
static char *
scan_query(const importance_scan *scan, const char *from, const char *label)
{
	const char *schema = an_glue_schema();
	StringInfoData sql;

	initStringInfo(&sql);
	appendStringInfoString(&sql, "SELECT t.flagged, x.features, x.shares");
	for (int j = 0; j < scan->d; j++)
		appendStringInfo(&sql, ", %s", value_expression(&scan->f[j]));
	if (label)
		appendStringInfo(&sql, " FROM (SELECT s, COALESCE((s.%s)::pg_catalog.int4 OPERATOR(pg_catalog.=) 1, false) "
						 "AS flagged, pg_catalog.row_number() OVER () AS rn FROM %s s) t",
						 quote_identifier(label), from);
	else
		appendStringInfo(&sql, " FROM (SELECT s, %s.anomaly_flag($1, s) AS flagged, "
						 "pg_catalog.row_number() OVER () AS rn FROM %s s) t", schema, from);
	appendStringInfo(&sql, " LEFT JOIN LATERAL (SELECT pg_catalog.array_agg(e.feature ORDER BY e.ord) AS features, "
					 "pg_catalog.array_agg(e.share ORDER BY e.ord) AS shares "
					 "FROM %s.anomaly_explain($1, t.s) WITH ORDINALITY "
					 "e(feature, value, contribution, share, direction, lo, hi, oor, scored_by, ord) "
					 "WHERE t.flagged OR t.rn OPERATOR(pg_catalog.%%) " INT64_FORMAT " OPERATOR(pg_catalog.=) 0) x ON true",
					 schema, scan->stride);
	return sql.data;
}

/* Add one category value to a feature's counts. */
static void
count_category(feature_acc *f, const char *value, bool flagged)
{
	ListCell   *lc;
	category_count *c;

	foreach(lc, f->categories)
	{
		c = lfirst(lc);
		if (strcmp(c->value, value) == 0)
		{
			if (flagged)
				c->flagged++;
			else
				c->normal++;
			return;
		}
	}
	c = palloc0(sizeof(category_count));
	c->value = pstrdup(value);
	if (flagged)
		c->flagged = 1;
	else
		c->normal = 1;
	f->categories = lappend(f->categories, c);
}

/* The index of feature name, or -1. */
static int
feature_index(const importance_scan *scan, const char *name)
{
	for (int j = 0; j < scan->d; j++)
		if (strcmp(scan->f[j].name, name) == 0)
			return j;
	return -1;
}

/* Add one fetched row to the scan. */
static void
scan_row(importance_scan *scan, HeapTuple tuple, TupleDesc desc)
{
	bool		isnull;
	bool		flagged = DatumGetBool(SPI_getbinval(tuple, desc, 1, &isnull));
	Datum		features = SPI_getbinval(tuple, desc, 2, &isnull);
	Datum		shares_datum;
	Datum	   *names,
			   *shares;
	int			n_names,
				n_shares;

	if (scan->rows == scan->capacity)
	{
		scan->capacity *= 2;
		for (int j = 0; j < scan->d; j++)
			if (scan->f[j].values)
			{
				scan->f[j].values = repalloc_huge(scan->f[j].values, sizeof(double) * scan->capacity);
				scan->f[j].flags = repalloc_huge(scan->f[j].flags, scan->capacity);
			}
	}
	if (!isnull)
	{
		scan->explained[flagged]++;
		shares_datum = SPI_getbinval(tuple, desc, 3, &isnull);
		deconstruct_array(DatumGetArrayTypeP(features), TEXTOID, -1, false, TYPALIGN_INT,
						  &names, NULL, &n_names);
		deconstruct_array(DatumGetArrayTypeP(shares_datum), FLOAT8OID, 8, FLOAT8PASSBYVAL,
						  TYPALIGN_DOUBLE, &shares, NULL, &n_shares);
		for (int k = 0; k < n_names && k < n_shares; k++)
		{
			int			j = feature_index(scan, TextDatumGetCString(names[k]));
			double		share = DatumGetFloat8(shares[k]);

			if (j < 0 || !isfinite(share))
				continue;
			scan->f[j].share_sum[flagged] += share;
			if (k == 0 && flagged)
				scan->f[j].leads++;
		}
	}
	for (int j = 0; j < scan->d; j++)
	{
		feature_acc *f = &scan->f[j];
		Datum		v = SPI_getbinval(tuple, desc, 4 + j, &isnull);

		if (f->kind == VALUE_CATEGORY)
		{
			count_category(f, isnull ? "NULL" : TextDatumGetCString(v), flagged);
			continue;
		}
		f->values[scan->rows] = isnull ? NAN : DatumGetFloat8(v);
		f->flags[scan->rows] = flagged;
		if (!isnull && isfinite(DatumGetFloat8(v)))
		{
			f->value_sum[flagged] += DatumGetFloat8(v);
			f->value_n[flagged]++;
		}
	}
	scan->rows++;
	scan->group_rows += flagged;
}

/* Run the scan over the source with the model id. */
static void
run_scan(importance_scan *scan, int64 id, const char *from, const char *label)
{
	Oid			types[1] = {INT8OID};
	Datum		args[1] = {Int64GetDatum(id)};
	SPIPlanPtr	plan;
	Portal		portal;
	bool		isnull;

	/* explaining is dear (a knn row costs d + 1 searches): the others are sampled evenly */
	if (SPI_execute(psprintf("SELECT pg_catalog.count(*) FROM %s s", from), true, 1) != SPI_OK_SELECT)
		elog(ERROR, "the source could not be counted");
	scan->stride = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull))
		/ EXPLAIN_OTHERS + 1;
	plan = SPI_prepare(scan_query(scan, from, label), 1, types);

	if (plan == NULL)
		elog(ERROR, "the importance query could not be planned: %s", SPI_result_code_string(SPI_result));
	portal = SPI_cursor_open(NULL, plan, args, NULL, true);
	for (;;)
	{
		SPI_cursor_fetch(portal, true, FETCH_ROWS);
		if (SPI_processed == 0)
			break;
		for (uint64 i = 0; i < SPI_processed; i++)
			scan_row(scan, SPI_tuptable->vals[i], SPI_tuptable->tupdesc);
		SPI_freetuptable(SPI_tuptable);
		CHECK_FOR_INTERRUPTS();
	}
	SPI_cursor_close(portal);
}

/* qsort comparator: categories with more rows first, then by value. */
static int
cmp_category(const void *a, const void *b)
{
	const category_count *x = *(category_count *const *) a;
	const category_count *y = *(category_count *const *) b;
	int64		nx = x->flagged + x->normal;
	int64		ny = y->flagged + y->normal;

	if (nx != ny)
		return nx > ny ? -1 : 1;
	return strcmp(x->value, y->value);
}

/* The most common category of a group with its share, e.g. "online (62%)". */
static char *
common_category(const feature_acc *f, bool flagged)
{
	ListCell   *lc;
	const category_count *best = NULL;
	int64		total = 0;

	foreach(lc, f->categories)
	{
		const category_count *c = lfirst(lc);
		int64		n = flagged ? c->flagged : c->normal;
		int64		best_n = best ? (flagged ? best->flagged : best->normal) : 0;

		total += n;
		if (n > best_n || (n == best_n && n > 0 && strcmp(c->value, best->value) < 0))
			best = c;
	}
	if (best == NULL)
		return NULL;
	return psprintf("%s (%.0f%%)", best->value,
					100.0 * (double) (flagged ? best->flagged : best->normal) / (double) total);
}

/* A group's typical value of a feature as text; NULL when the group has none. */
static char *
typical_value(const feature_acc *f, bool flagged)
{
	char		buf[AN_READABLE_MAX];
	double		mean;

	if (f->kind == VALUE_CATEGORY)
		return common_category(f, flagged);
	if (f->value_n[flagged] == 0)
		return NULL;
	mean = f->value_sum[flagged] / (double) f->value_n[flagged];
	switch (f->kind)
	{
		case VALUE_BOOL:
			return psprintf("%s%% true", an_readable_number(100.0 * mean, 3, buf, sizeof(buf)));
		case VALUE_DATE:
			return an_value_text(DateADTGetDatum((DateADT) floor(mean / SECS_PER_DAY) -
												 (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE)),
								 DATEOID, -1);
		case VALUE_TIMESTAMP:
			return an_value_text(TimestampGetDatum((Timestamp) (round(mean) -
																(double) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY) * USECS_PER_SEC),
								 f->type, -1);
		default:
			return pstrdup(an_readable_number(mean, VALUE_DIGITS, buf, sizeof(buf)));
	}
}

/* A feature's bins: number ranges over its finite values, or its leading categories. */
static void
distribution(const importance_scan *scan, const feature_acc *f, an_report_feature *out)
{
	an_report_dist_bin *bins;
	double		lo = INFINITY,
				hi = -INFINITY;

	if (f->kind == VALUE_CATEGORY)
	{
		int			n = list_length(f->categories);
		category_count **sorted = palloc(sizeof(category_count *) * Max(n, 1));
		int			shown = Min(n, MAX_CATEGORIES);

		for (int i = 0; i < n; i++)
			sorted[i] = list_nth(f->categories, i);
		qsort(sorted, n, sizeof(category_count *), cmp_category);
		bins = palloc0(sizeof(an_report_dist_bin) * (shown + 1));
		for (int i = 0; i < n; i++)
		{
			an_report_dist_bin *b = &bins[Min(i, shown)];

			b->label = i < shown ? sorted[i]->value : "other";
			b->flagged += sorted[i]->flagged;
			b->normal += sorted[i]->normal;
		}
		out->dist = bins;
		out->n_dist = n > shown ? shown + 1 : shown;
		return;
	}
	for (int64 i = 0; i < scan->rows; i++)
		if (isfinite(f->values[i]))
		{
			lo = fmin(lo, f->values[i]);
			hi = fmax(hi, f->values[i]);
		}
	if (!(hi >= lo))
		return;
	bins = palloc0(sizeof(an_report_dist_bin) * HIST_BINS);
	for (int b = 0; b < HIST_BINS; b++)
	{
		bins[b].low = lo + (hi - lo) * b / HIST_BINS;
		bins[b].high = b == HIST_BINS - 1 ? hi : lo + (hi - lo) * (b + 1) / HIST_BINS;
	}
	for (int64 i = 0; i < scan->rows; i++)
	{
		int			b;

		if (!isfinite(f->values[i]))
			continue;
		b = hi > lo ? (int) floor((f->values[i] - lo) / (hi - lo) * HIST_BINS) : 0;
		b = Min(Max(b, 0), HIST_BINS - 1);
		if (f->flags[i])
			bins[b].flagged++;
		else
			bins[b].normal++;
	}
	out->dist = bins;
	out->n_dist = HIST_BINS;
	out->time_axis = f->kind == VALUE_DATE || f->kind == VALUE_TIMESTAMP;
}

/* qsort comparator: features by flagged share, then share over all rows, descending. */
static int
cmp_importance(const void *a, const void *b)
{
	const an_report_feature *x = a;
	const an_report_feature *y = b;
	double		fx = isnan(x->flagged_share) ? -1 : x->flagged_share;
	double		fy = isnan(y->flagged_share) ? -1 : y->flagged_share;

	if (fx != fy)
		return fx > fy ? -1 : 1;
	if (x->all_share != y->all_share)
		return x->all_share > y->all_share ? -1 : 1;
	return strcmp(x->feature, y->feature);
}

/* The two leading numeric features, every flagged row and an even sample of the others. */
static void
scatter(const importance_scan *scan, an_report *r)
{
	const feature_acc *fx = NULL,
			   *fy = NULL;
	an_report_scatter *s = &r->scatter;
	int64		others = scan->rows - scan->group_rows;
	int64		step = others / SCATTER_OTHERS + 1;
	double	   *x,
			   *y;
	uint8	   *flags;

	for (int i = 0; i < r->n_features && fy == NULL; i++)
	{
		const feature_acc *f = &scan->f[feature_index(scan, r->features[i].feature)];

		if (f->values == NULL)
			continue;
		if (fx == NULL)
			fx = f;
		else
			fy = f;
	}
	if (fy == NULL)
		return;
	x = palloc(sizeof(double) * Max(scan->group_rows + SCATTER_OTHERS + 1, 1));
	y = palloc(sizeof(double) * Max(scan->group_rows + SCATTER_OTHERS + 1, 1));
	flags = palloc(Max(scan->group_rows + SCATTER_OTHERS + 1, 1));
	for (int64 i = 0, seen = 0; i < scan->rows; i++)
	{
		if (!fx->flags[i] && seen++ % step != 0)
			continue;
		x[s->n] = fx->values[i];
		y[s->n] = fy->values[i];
		flags[s->n] = fx->flags[i];
		s->n++;
	}
	s->x_feature = fx->name;
	s->y_feature = fy->name;
	s->x = x;
	s->y = y;
	s->flagged = flags;
}

/*
 * Gather the global importance of model id's features over the source into
 * r (features, group, group_rows, scatter), most important first; inside SPI.
 */
void
an_importance_gather(int64 id, const an_model *m, const char *from, TupleDesc desc,
					 const char *label, an_report *r)
{
	importance_scan scan = {0};
	an_report_feature *features;

	if (label)
		an_source_check_label(desc, label);
	scan.d = m->n_features;
	scan.capacity = 1024;
	scan.f = palloc0(sizeof(feature_acc) * scan.d);
	for (int j = 0; j < scan.d; j++)
	{
		feature_acc *f = &scan.f[j];
		int			col = an_source_column(desc, m->features[j].name);

		f->name = pstrdup(m->features[j].name);
		if (col < 0)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("the source has no column \"%s\", a feature of the model", f->name),
					 errhint("The model needs columns: %s.", an_feature_list(m))));
		f->type = TupleDescAttr(desc, col)->atttypid;
		f->kind = kind_of(f->type);
		if (f->kind != VALUE_CATEGORY)
		{
			f->values = palloc(sizeof(double) * scan.capacity);
			f->flags = palloc(scan.capacity);
		}
	}
	run_scan(&scan, id, from, label);
	features = palloc0(sizeof(an_report_feature) * Max(scan.d, 1));
	for (int j = 0; j < scan.d; j++)
	{
		const feature_acc *f = &scan.f[j];
		an_report_feature *o = &features[j];

		o->feature = f->name;
		o->flagged_share = scan.explained[1] > 0 ? f->share_sum[1] / scan.explained[1] : NAN;
		/* each sampled other row stands for stride of them */
		o->all_share = scan.explained[0] + scan.explained[1] > 0
			? (f->share_sum[1] + scan.stride * f->share_sum[0]) /
			(scan.explained[1] + scan.stride * scan.explained[0]) : NAN;
		o->leads = f->leads;
		o->flagged_value = typical_value(f, true);
		o->normal_value = typical_value(f, false);
		distribution(&scan, f, o);
	}
	qsort(features, scan.d, sizeof(an_report_feature), cmp_importance);
	r->features = features;
	r->n_features = scan.d;
	r->group = label ? "labelled anomalies" : "flagged";
	r->group_rows = scan.group_rows;
	scatter(&scan, r);
}

/*
 * anomaly_importance(model, source, label): per feature, its mean share of
 * the flagged rows' explanations (or the labelled anomalies') and of all
 * rows', how many of those rows it leads, and their typical value against
 * the other rows'; the most important first.
 */
Datum
anomaly_importance(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *source,
			   *label,
			   *from;
	const an_model *m;
	an_report	r = {0};
	int64		id;
	Oid			relid;
	TupleDesc	desc;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("model and source must not be NULL")));
	source = text_to_cstring(PG_GETARG_TEXT_PP(1));
	label = PG_ARGISNULL(2) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(2));
	m = an_cache_by_arg(fcinfo, 0, &id);
	from = an_source_from(source, &relid);
	InitMaterializedSRF(fcinfo, 0);
	SPI_connect();
	desc = an_source_describe(from, source);
	an_importance_gather(id, m, from, desc, label, &r);
	for (int i = 0; i < r.n_features; i++)
	{
		const an_report_feature *f = &r.features[i];
		Datum		values[7];
		bool		nulls[7] = {false};

		values[0] = CStringGetTextDatum(f->feature);
		values[1] = Float8GetDatum(f->flagged_share);
		nulls[1] = isnan(f->flagged_share);
		values[2] = Float8GetDatum(f->all_share);
		nulls[2] = isnan(f->all_share);
		values[3] = Int64GetDatum(f->leads);
		values[4] = Float8GetDatum(r.group_rows > 0 ? (double) f->leads / r.group_rows : 0);
		nulls[4] = r.group_rows == 0;
		nulls[5] = f->flagged_value == NULL;
		values[5] = nulls[5] ? (Datum) 0 : CStringGetTextDatum(f->flagged_value);
		nulls[6] = f->normal_value == NULL;
		values[6] = nulls[6] ? (Datum) 0 : CStringGetTextDatum(f->normal_value);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	SPI_finish();
	return (Datum) 0;
}
