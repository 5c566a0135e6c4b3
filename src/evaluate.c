/*
 * evaluate.c - how good a model is on a labelled source (anomaly_evaluate)
 * and how its scores are distributed (anomaly_histogram), both computed by
 * scoring the source in bulk with one pinned model version; a segmented
 * model's figures per segment (anomaly_evaluate_segments).
 */
#include "glue.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/tuplestore.h"

#include "metrics.h"

PG_FUNCTION_INFO_V1(anomaly_evaluate);
PG_FUNCTION_INFO_V1(anomaly_evaluate_segments);
PG_FUNCTION_INFO_V1(anomaly_histogram);

#define MAX_BINS 10000

/* A metric as JSON: a number, or null when undefined. */
static const char *
json_number(double v)
{
	return isnan(v) ? "null" : psprintf("%.6f", v);
}

/* The metrics as the JSON object stored in anomaly_models.metrics. */
char *
an_metrics_json(const an_metrics *mt)
{
	return psprintf("{\"rows\": %lld, \"anomalies\": %lld, \"roc_auc\": %s, "
					"\"average_precision\": %s, \"precision\": %.6f, \"recall\": %.6f, "
					"\"f1\": %.6f, \"precision_at_n\": %s, \"tp\": %lld, \"fp\": %lld, "
					"\"tn\": %lld, \"fn\": %lld}",
					(long long) mt->rows, (long long) mt->positives,
					json_number(mt->roc_auc), json_number(mt->average_precision),
					mt->precision, mt->recall, mt->f1, json_number(mt->precision_at_n),
					(long long) mt->tp, (long long) mt->fp, (long long) mt->tn,
					(long long) mt->fn);
}

/* Score source (argument 1) with the model of argument 0, pinned by id. */
static void
score_source_arg(FunctionCallInfo fcinfo, const char *label, const char *time_column,
				 an_scored_rows *rows, double *threshold)
{
	MemoryContext outer = CurrentMemoryContext;
	char	   *source = text_to_cstring(PG_GETARG_TEXT_PP(1));
	int64		id;
	Oid			relid;
	char	   *from;
	TupleDesc	desc;

	*threshold = an_cache_by_arg(fcinfo, 0, &id)->threshold;
	from = an_source_from(source, &relid);
	SPI_connect();
	desc = an_source_describe(from, source);
	an_source_score(from, desc, Int64GetDatum(id), INT8OID, label, time_column, outer, rows);
	SPI_finish();
}

/* The NULL-argument error of these functions. */
static void
check_not_null(FunctionCallInfo fcinfo, int nargs)
{
	for (int i = 0; i < nargs; i++)
		if (PG_ARGISNULL(i))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("model, source and label must not be NULL")));
}

/* The twelve metric columns of anomaly_evaluate, from values[0] on. */
static void
metrics_values(const an_metrics *mt, Datum *values, bool *nulls)
{
	values[0] = Int64GetDatum(mt->rows);
	values[1] = Int64GetDatum(mt->positives);
	values[2] = Float8GetDatum(mt->roc_auc);
	nulls[2] = isnan(mt->roc_auc);
	values[3] = Float8GetDatum(mt->average_precision);
	nulls[3] = isnan(mt->average_precision);
	values[4] = Float8GetDatum(mt->precision);
	values[5] = Float8GetDatum(mt->recall);
	values[6] = Float8GetDatum(mt->f1);
	values[7] = Float8GetDatum(mt->precision_at_n);
	nulls[7] = isnan(mt->precision_at_n);
	values[8] = Int64GetDatum(mt->tp);
	values[9] = Int64GetDatum(mt->fp);
	values[10] = Int64GetDatum(mt->tn);
	values[11] = Int64GetDatum(mt->fn);
}

/* ERROR: no row of the source has a label. */
static void
no_labelled_rows(const char *label)
{
	ereport(ERROR,
			(errcode(ERRCODE_NO_DATA_FOUND),
			 errmsg("the source has no row with a label"),
			 errhint("Evaluate on rows where \"%s\" is not NULL.", label)));
}

/*
 * Evaluate the segmented model of argument 0 on the source of argument 1
 * with label; ERROR for a plain model when per_segment is asked for.
 */
static bool
evaluate_segmented(FunctionCallInfo fcinfo, const char *label, bool per_segment,
				   an_segment_evaluation *ev)
{
	char	   *source = text_to_cstring(PG_GETARG_TEXT_PP(1));
	MemoryContext outer = CurrentMemoryContext;
	MemoryContext old;
	an_model_ref ref;
	int64		id;
	Oid			relid;
	char	   *from;
	TupleDesc	desc;

	an_cache_by_arg(fcinfo, 0, &id);
	an_cache_by_id(id, &ref);
	if (ref.segmented == NULL)
	{
		if (per_segment)
			ereport(ERROR,
					(errcode(ERRCODE_WRONG_OBJECT_TYPE),
					 errmsg("anomaly model %s is not segmented",
							get_fn_expr_argtype(fcinfo->flinfo, 0) == INT8OID
							? psprintf("%lld", (long long) id)
							: psprintf("\"%s\"", text_to_cstring(PG_GETARG_TEXT_PP(0)))),
					 errhint("anomaly_evaluate_segments evaluates models trained with segment_by; use anomaly_evaluate.")));
		return false;
	}
	from = an_source_from(source, &relid);
	SPI_connect();
	desc = an_source_describe(from, source);
	/* look the model up again: the query above may have invalidated it */
	an_cache_by_id(id, &ref);
	/* the figures outlive SPI */
	old = MemoryContextSwitchTo(outer);
	an_segment_evaluate(from, desc, &ref, label, ev);
	MemoryContextSwitchTo(old);
	SPI_finish();
	if (label && ev->rows == 0)
		no_labelled_rows(label);
	return true;
}

/*
 * anomaly_evaluate(model, source, label): the model's metrics on a source
 * with a boolean or 0/1 label column; rows with a NULL label are skipped.
 * A segmented model's rows are flagged against the threshold of the model
 * that scores each, and ranked by severity (an_segment_evaluate).
 */
Datum
anomaly_evaluate(PG_FUNCTION_ARGS)
{
	char	   *label;
	an_scored_rows rows;
	an_segment_evaluation ev;
	an_metrics	mt;
	an_ctx		ctx;
	double		threshold;
	TupleDesc	desc;
	Datum		values[12];
	bool		nulls[12] = {false};

	check_not_null(fcinfo, 3);
	label = text_to_cstring(PG_GETARG_TEXT_PP(2));
	if (evaluate_segmented(fcinfo, label, false, &ev))
		mt = ev.overall;
	else
	{
		score_source_arg(fcinfo, label, NULL, &rows, &threshold);
		if (rows.n == 0)
			no_labelled_rows(label);
		an_glue_ctx(&ctx, CurrentMemoryContext);
		an_metrics_compute(&ctx, rows.scores, rows.labels, rows.n, threshold, &mt);
	}
	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "anomaly_evaluate must return a row");
	metrics_values(&mt, values, nulls);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(desc), values, nulls)));
}

/*
 * anomaly_evaluate_segments(model, source, label): a segmented model's
 * figures overall (segment NULL) and for each segment of the source: which
 * model scored it ('segment' or 'global'), its rows, labelled anomalies,
 * flagged rows, that model's threshold and the metrics of its scores.
 */
Datum
anomaly_evaluate_segments(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	an_segment_evaluation ev;

	check_not_null(fcinfo, 3);
	evaluate_segmented(fcinfo, text_to_cstring(PG_GETARG_TEXT_PP(2)), true, &ev);
	InitMaterializedSRF(fcinfo, 0);
	for (int i = -1; i < ev.n_segments; i++)
	{
		const an_segment_metrics *sm = i >= 0 ? &ev.segments[i] : NULL;
		Datum		values[16];
		bool		nulls[16] = {false};

		nulls[0] = nulls[1] = nulls[3] = sm == NULL;
		if (sm)
		{
			values[0] = CStringGetTextDatum(sm->segment);
			values[1] = CStringGetTextDatum(sm->own_model ? "segment" : "global");
			values[3] = Float8GetDatum(sm->threshold);
		}
		values[2] = Int64GetDatum(sm ? sm->flagged : ev.flagged);
		metrics_values(sm ? &sm->metrics : &ev.overall, values + 4, nulls + 4);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/*
 * Count scores into n_bins equal-width bins over [lo, hi]: rows[b] and
 * flagged[b] (flags[i] when given, else scores at or above threshold).
 * Non-finite scores are left out.
 */
void
an_histogram_count(const double *scores, const uint8 *flags, int64 n, double lo, double hi,
				   int n_bins, double threshold, int64 *rows, int64 *flagged)
{
	double		width = (hi - lo) / n_bins;

	for (int64 i = 0; i < n; i++)
	{
		int			b;

		if (!isfinite(scores[i]))
			continue;
		b = width > 0 ? (int) floor((scores[i] - lo) / width) : 0;
		b = Max(0, Min(b, n_bins - 1));
		rows[b]++;
		if (flags ? flags[i] : scores[i] >= threshold)
			flagged[b]++;
	}
}

/* The range of the finite scores; false when there is none. */
bool
an_score_range(const double *scores, int64 n, double *lo, double *hi)
{
	bool		any = false;

	for (int64 i = 0; i < n; i++)
		if (isfinite(scores[i]))
		{
			*lo = any ? Min(*lo, scores[i]) : scores[i];
			*hi = any ? Max(*hi, scores[i]) : scores[i];
			any = true;
		}
	return any;
}

/*
 * anomaly_histogram(model, source, bins): the score distribution of the
 * source in equal-width bins over its score range: bounds, rows, flagged
 * rows, the model's threshold and whether the bin holds it.
 */
Datum
anomaly_histogram(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	an_scored_rows rows;
	double		threshold,
				lo,
				hi,
				width;
	int			n_bins;
	int64	   *count,
			   *flagged;
	an_segment_evaluation ev;
	uint8	   *flags = NULL;

	check_not_null(fcinfo, 3);
	n_bins = PG_GETARG_INT32(2);
	if (n_bins < 1 || n_bins > MAX_BINS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("bins must be between 1 and %d, not %d", MAX_BINS, n_bins),
				 errhint("20 bins suit most dashboards.")));
	/* a segmented model's rows are flagged against their own model's threshold */
	if (evaluate_segmented(fcinfo, NULL, false, &ev))
	{
		int64		id;

		threshold = an_cache_by_arg(fcinfo, 0, &id)->threshold;
		rows.scores = ev.scores;
		rows.n = ev.rows;
		flags = ev.flags;
	}
	else
		score_source_arg(fcinfo, NULL, NULL, &rows, &threshold);
	InitMaterializedSRF(fcinfo, 0);
	if (!an_score_range(rows.scores, rows.n, &lo, &hi))
		return (Datum) 0;
	count = palloc0(sizeof(int64) * n_bins);
	flagged = palloc0(sizeof(int64) * n_bins);
	an_histogram_count(rows.scores, flags, rows.n, lo, hi, n_bins, threshold, count, flagged);
	width = (hi - lo) / n_bins;
	for (int b = 0; b < n_bins; b++)
	{
		double		low = lo + b * width;
		double		high = b == n_bins - 1 ? hi : lo + (b + 1) * width;
		Datum		values[7];
		bool		nulls[7] = {false};

		values[0] = Int32GetDatum(b + 1);
		values[1] = Float8GetDatum(low);
		values[2] = Float8GetDatum(high);
		values[3] = Int64GetDatum(count[b]);
		values[4] = Int64GetDatum(flagged[b]);
		values[5] = Float8GetDatum(threshold);
		values[6] = BoolGetDatum(threshold >= low &&
								 (threshold < high || (b == n_bins - 1 && threshold <= high)));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
