/*
 * report.c - anomaly_report: gathers the figures of one model on one
 * source (its catalog row, the scores, the top anomalies with reasons,
 * out-of-range counts, a segmented model's per-segment table, the features'
 * global importance (importance.c), and with a label the confusion matrix
 * and ROC curve) and renders them as a self-contained HTML page.
 */
#include "glue.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"

#include "metrics.h"
#include "report.h"

PG_FUNCTION_INFO_V1(anomaly_report);

#define REPORT_BINS 30
#define REPORT_TOP 10
#define REPORT_TIMELINE_POINTS 4000
#define REPORT_ROC_POINTS 200
#define REPORT_SEGMENTS 50

/* A column of the current SPI result as text, or "n/a" when NULL. */
static char *
spi_text(int row, int col)
{
	char	   *v = SPI_getvalue(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, col);

	return v ? v : pstrdup("n/a");
}

/* The model's catalog facts as summary pairs; sets the title. */
static void
gather_summary(int64 id, an_report *r)
{
	static const char *const keys[] = {"model", "version", "algorithm", "features",
		"trained on", "training rows", "contamination", "threshold", "options",
		"training metrics", "owner", "created at"};
	char	   *sql = psprintf("SELECT name, version, algorithm, pg_catalog.array_to_string(features, ', '), "
							   "source, train_rows, COALESCE(contamination::pg_catalog.text, 'auto'), "
							   "threshold, params, metrics, owner, created_at::pg_catalog.timestamptz(0), "
							   "pg_catalog.now()::pg_catalog.timestamptz(0) "
							   "FROM %s.anomaly_model_list WHERE id OPERATOR(pg_catalog.=) $1",
							   an_glue_schema());
	Oid			types[1] = {INT8OID};
	Datum		args[1] = {Int64GetDatum(id)};
	an_report_pair *pairs;
	int			n = lengthof(keys);

	if (SPI_execute_with_args(sql, 1, types, args, NULL, true, 1) != SPI_OK_SELECT ||
		SPI_processed != 1)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("anomaly model with id %lld does not exist", (long long) id)));
	pairs = palloc(sizeof(an_report_pair) * n);
	for (int i = 0; i < n; i++)
	{
		pairs[i].key = keys[i];
		pairs[i].value = spi_text(0, i + 1);
	}
	/* the threshold as a person reads it, not to float8's last digit */
	pairs[7].value = an_value_text(Float8GetDatum(r->threshold), FLOAT8OID, -1);
	r->summary = pairs;
	r->n_summary = n;
	r->title = psprintf("%s v%s (%s)", pairs[0].value, pairs[1].value, pairs[2].value);
	r->generated_at = spi_text(0, n + 1);
}

/*
 * Equal-width bins over the score range, shifted so that the threshold
 * falls on a bin edge when it lies inside the range.
 */
static void
gather_histogram(const an_scored_rows *rows, const uint8 *flags, an_report *r)
{
	double		lo,
				hi,
				width;
	int			n_bins = REPORT_BINS;
	int64	   *count,
			   *flagged;
	an_report_bin *bins;

	if (!an_score_range(rows->scores, rows->n, &lo, &hi))
		return;
	width = (hi - lo) / REPORT_BINS;
	if (width > 0 && r->threshold > lo && r->threshold < hi)
	{
		lo = r->threshold - ceil((r->threshold - lo) / width) * width;
		n_bins = (int) ceil((hi - lo) / width);
		n_bins = Max(1, Min(n_bins, REPORT_BINS + 1));
		hi = lo + n_bins * width;
	}
	count = palloc0(sizeof(int64) * n_bins);
	flagged = palloc0(sizeof(int64) * n_bins);
	an_histogram_count(rows->scores, flags, rows->n, lo, hi, n_bins, r->threshold, count, flagged);
	bins = palloc(sizeof(an_report_bin) * n_bins);
	for (int b = 0; b < n_bins; b++)
	{
		bins[b].low = lo + b * (hi - lo) / n_bins;
		bins[b].high = b == n_bins - 1 ? hi : lo + (b + 1) * (hi - lo) / n_bins;
		bins[b].rows = count[b];
		bins[b].flagged = flagged[b];
	}
	r->bins = bins;
	r->n_bins = n_bins;
}

/* qsort comparator: points by time. */
static int
cmp_point_time(const void *a, const void *b)
{
	double		x = ((const an_report_point *) a)->t;
	double		y = ((const an_report_point *) b)->t;

	return (x > y) - (x < y);
}

/*
 * Score against time: every flagged row and an even sample of the others,
 * at most REPORT_TIMELINE_POINTS, sorted by time.
 */
static void
gather_timeline(const an_scored_rows *rows, an_report *r)
{
	an_report_point *pts = palloc(sizeof(an_report_point) * REPORT_TIMELINE_POINTS);
	int64		flagged = 0;
	int64		step;
	int			n = 0;

	for (int64 i = 0; i < rows->n; i++)
		flagged += rows->scores[i] >= r->threshold;
	step = Max(1, (rows->n - flagged) / Max(1, REPORT_TIMELINE_POINTS - Min(flagged, REPORT_TIMELINE_POINTS / 2)) + 1);
	for (int64 i = 0, others = 0; i < rows->n && n < REPORT_TIMELINE_POINTS; i++)
	{
		bool		flag = rows->scores[i] >= r->threshold;

		if (isnan(rows->times[i]) || !isfinite(rows->scores[i]))
			continue;
		if (!flag && others++ % step != 0)
			continue;
		pts[n].t = rows->times[i];
		pts[n].score = rows->scores[i];
		n++;
	}
	qsort(pts, n, sizeof(an_report_point), cmp_point_time);
	r->timeline = pts;
	r->n_timeline = n;
}

/* The expression naming a row: its key column, or NULL for its rank. */
static char *
key_expression(TupleDesc desc, Oid relid)
{
	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (!att->attisdropped &&
			(an_source_in_primary_key(relid, NameStr(att->attname)) ||
			 an_source_identifier_like(NameStr(att->attname), att->atttypid)))
			return psprintf("((r).%s)::pg_catalog.text", quote_identifier(NameStr(att->attname)));
	}
	return NULL;
}

/* The highest-scoring rows with their severity and reason. */
static void
gather_top(Datum model_bytes, const char *from, TupleDesc desc, Oid relid, an_report *r)
{
	const char *schema = an_glue_schema();
	char	   *key = key_expression(desc, relid);
	char	   *sql = psprintf("SELECT %s, score, %s.anomaly_severity($1, r), %s.anomaly_reason($1, r) "
							   "FROM (SELECT s, %s.anomaly_score($1, s) AS score FROM %s s "
							   "ORDER BY 2 DESC NULLS LAST LIMIT %d) t(r, score) "
							   "ORDER BY score DESC NULLS LAST",
							   key ? key : "'#' OPERATOR(pg_catalog.||) pg_catalog.row_number() OVER ()",
							   schema, schema, schema, from, REPORT_TOP);
	Oid			types[1] = {BYTEAOID};
	Datum		args[1] = {model_bytes};
	an_report_anomaly *top;

	if (SPI_execute_with_args(sql, 1, types, args, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "the top anomalies query failed");
	top = palloc(sizeof(an_report_anomaly) * Max(SPI_processed, 1));
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		bool		isnull;

		top[i].key = spi_text(i, 1);
		top[i].score = DatumGetFloat8(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2, &isnull));
		top[i].severity = DatumGetFloat8(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 3, &isnull));
		top[i].reason = spi_text(i, 4);
	}
	r->top = top;
	r->n_top = SPI_processed;
}

/* Per feature, the rows whose value lies outside the training range. */
static void
gather_ranges(Datum model_bytes, int64 id, const char *from, an_report *r)
{
	char	   *sql = psprintf("SELECT f.e OPERATOR(pg_catalog.->>) 'name', COALESCE(c.n, 0) "
							   "FROM %s.anomaly_models m "
							   "CROSS JOIN pg_catalog.jsonb_array_elements(m.features) WITH ORDINALITY f(e, ord) "
							   "LEFT JOIN (SELECT o, pg_catalog.count(*) AS n FROM %s s, "
							   "pg_catalog.unnest(%s.anomaly_out_of_range($1, s)) o GROUP BY o) c "
							   "ON c.o OPERATOR(pg_catalog.=) (f.e OPERATOR(pg_catalog.->>) 'name') "
							   "WHERE m.id OPERATOR(pg_catalog.=) $2 ORDER BY f.ord",
							   an_glue_schema(), from, an_glue_schema());
	Oid			types[2] = {BYTEAOID, INT8OID};
	Datum		args[2] = {model_bytes, Int64GetDatum(id)};
	an_report_range *ranges;

	if (SPI_execute_with_args(sql, 2, types, args, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "the out-of-range query failed");
	ranges = palloc(sizeof(an_report_range) * Max(SPI_processed, 1));
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		bool		isnull;

		ranges[i].feature = spi_text(i, 1);
		ranges[i].out_of_range = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2, &isnull));
	}
	r->ranges = ranges;
	r->n_ranges = SPI_processed;
}

/* The confusion matrix, metrics and ROC curve against the labels. */
static void
gather_labels(const an_scored_rows *rows, an_report *r)
{
	an_ctx		ctx;
	double	   *fpr = NULL,
			   *tpr = NULL;

	an_glue_ctx(&ctx, CurrentMemoryContext);
	an_metrics_compute(&ctx, rows->scores, rows->labels, rows->n, r->threshold, &r->metrics);
	r->has_labels = 1;
	r->n_roc = an_roc_curve(&ctx, rows->scores, rows->labels, rows->n, REPORT_ROC_POINTS,
							&fpr, &tpr);
	r->roc_fpr = fpr;
	r->roc_tpr = tpr;
}

/* qsort comparator: segments by flagged rows, then rows, descending, then by text. */
static int
cmp_segment_flagged(const void *a, const void *b)
{
	const an_segment_metrics *x = a;
	const an_segment_metrics *y = b;

	if (x->flagged != y->flagged)
		return x->flagged < y->flagged ? 1 : -1;
	if (x->rows != y->rows)
		return x->rows < y->rows ? 1 : -1;
	return strcmp(x->segment, y->segment);
}

/*
 * A segmented model's figures: the segments with the most flagged rows,
 * the flags against each row's own model (for the tile and the histogram,
 * whose rows' scores replace those in *rows) and, with labels, the overall
 * metrics and the ROC curve of the severities (an_segment_evaluate).
 */
static void
gather_segments(const char *from, TupleDesc desc, int64 id, const char *label, an_report *r,
				an_scored_rows *rows, const uint8 **flags)
{
	an_model_ref ref;
	an_segment_evaluation ev;
	an_report_segment *segs;
	int			n;

	an_cache_by_id(id, &ref);
	if (ref.segmented == NULL)
		return;
	an_segment_evaluate(from, desc, &ref, label, &ev);
	qsort(ev.segments, ev.n_segments, sizeof(an_segment_metrics), cmp_segment_flagged);
	n = Min(ev.n_segments, REPORT_SEGMENTS);
	segs = palloc(sizeof(an_report_segment) * Max(n, 1));
	for (int i = 0; i < n; i++)
	{
		segs[i].segment = ev.segments[i].segment;
		segs[i].scored_by = ev.segments[i].own_model ? "segment" : "global";
		segs[i].rows = ev.segments[i].rows;
		segs[i].flagged = ev.segments[i].flagged;
		segs[i].threshold = ev.segments[i].threshold;
		segs[i].roc_auc = label ? ev.segments[i].metrics.roc_auc : NAN;
	}
	r->segments = segs;
	r->n_segments = n;
	r->n_all_segments = ev.n_segments;
	r->flagged = ev.flagged;
	/* the histogram: the same rows, scores and flags by segment */
	rows->scores = ev.scores;
	rows->n = ev.rows;
	*flags = ev.flags;
	if (label && ev.rows > 0)
	{
		an_ctx		ctx;
		double	   *fpr = NULL,
				   *tpr = NULL;

		an_glue_ctx(&ctx, CurrentMemoryContext);
		r->metrics = ev.overall;
		r->n_roc = an_roc_curve(&ctx, ev.severities, ev.labels, ev.rows, REPORT_ROC_POINTS,
								&fpr, &tpr);
		r->roc_fpr = fpr;
		r->roc_tpr = tpr;
	}
}

/*
 * anomaly_report(model, source, label, time_column): a self-contained HTML
 * page about the model on the source.
 */
Datum
anomaly_report(PG_FUNCTION_ARGS)
{
	char	   *source,
			   *label,
			   *time_column,
			   *from,
			   *html;
	text	   *result;
	an_report	r = {0};
	const an_model *m;
	an_scored_rows rows;
	const uint8 *flags = NULL;
	an_ctx		ctx;
	int64		id;
	Oid			relid;
	TupleDesc	desc;
	Datum		model_bytes;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("model and source must not be NULL")));
	source = text_to_cstring(PG_GETARG_TEXT_PP(1));
	label = PG_ARGISNULL(2) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(2));
	time_column = PG_ARGISNULL(3) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(3));
	m = an_cache_by_arg(fcinfo, 0, &id);
	r.threshold = m->threshold;
	r.time_column = time_column;
	from = an_source_from(source, &relid);
	SPI_connect();
	desc = an_source_describe(from, source);
	/* read once for every query below; the bytes reach Citus workers */
	model_bytes = an_model_bytes(id);
	an_source_score(from, desc, model_bytes, BYTEAOID, label, time_column,
				   CurrentMemoryContext, &rows);
	gather_summary(id, &r);
	r.rows = rows.n;
	for (int64 i = 0; i < rows.n; i++)
		r.flagged += rows.scores[i] >= r.threshold;
	if (time_column)
		gather_timeline(&rows, &r);
	if (label)
		gather_labels(&rows, &r);
	gather_segments(from, desc, id, label, &r, &rows, &flags);
	gather_histogram(&rows, flags, &r);
	gather_top(model_bytes, from, desc, relid, &r);
	gather_ranges(model_bytes, id, from, &r);
	an_importance_gather(id, m, from, desc, label, &r);
	an_glue_ctx(&ctx, CurrentMemoryContext);
	html = an_report_html(&ctx, &r);
	result = (text *) SPI_palloc(strlen(html) + VARHDRSZ);
	SET_VARSIZE(result, strlen(html) + VARHDRSZ);
	memcpy(VARDATA(result), html, strlen(html));
	SPI_finish();
	PG_RETURN_TEXT_P(result);
}
