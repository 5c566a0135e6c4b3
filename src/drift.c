/*
 * drift.c - anomaly_drift: how far a source's feature distributions have
 * moved from the training data, against the sketch the model stored at
 * training time (population stability index and Kolmogorov-Smirnov); for
 * a segmented model per segment too, against each segment model's sketch.
 */
#include "glue.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/tuplestore.h"

#include "drift.h"

PG_FUNCTION_INFO_V1(anomaly_drift);

/* rows fetched from the source at a time */
#define FETCH_ROWS 10000
/* the name of the row summing up every feature */
#define OVERALL "(overall)"

/* Feed every row of the source to the accumulator (SPI connected). */
static void
accumulate(const char *from, const an_model *m, an_drift *acc)
{
	SPIPlanPtr	plan = SPI_prepare(psprintf("SELECT * FROM %s s", from), 0, NULL);
	Portal		portal;
	an_row_map	map;
	bool		mapped = false;
	double	   *x = palloc(sizeof(double) * m->n_features);
	uint64	   *cat = palloc0(sizeof(uint64) * m->n_features);
	Datum	   *values = NULL;
	bool	   *nulls = NULL;

	if (plan == NULL)
		elog(ERROR, "preparing the drift query failed: %s", SPI_result_code_string(SPI_result));
	portal = SPI_cursor_open(NULL, plan, NULL, NULL, true);
	for (;;)
	{
		TupleDesc	desc;

		SPI_cursor_fetch(portal, true, FETCH_ROWS);
		if (SPI_processed == 0)
			break;
		desc = SPI_tuptable->tupdesc;
		if (!mapped)
		{
			an_row_map_build(&map, desc, m, CurrentMemoryContext);
			values = palloc(sizeof(Datum) * desc->natts);
			nulls = palloc(sizeof(bool) * desc->natts);
			mapped = true;
		}
		for (uint64 i = 0; i < SPI_processed; i++)
		{
			heap_deform_tuple(SPI_tuptable->vals[i], desc, values, nulls);
			an_row_map_encode(&map, m, values, nulls, x);
			for (uint32 j = 0; j < m->n_features; j++)
				if (m->features[j].kind == AN_KIND_CATEGORICAL)
					cat[j] = an_cell_from_datum(values[map.attidx[j]], nulls[map.attidx[j]],
												map.conv[j]).cat;
			an_drift_add(acc, x, cat);
		}
		SPI_freetuptable(SPI_tuptable);
		CHECK_FOR_INTERRUPTS();
	}
	SPI_cursor_close(portal);
}

/* A float8 datum, NULL when NaN. */
static Datum
float_or_null(double v, bool *isnull)
{
	*isnull = isnan(v);
	return Float8GetDatum(v);
}

/* Put the rows of one drift result: per feature of m, then overall. */
static void
put_result(ReturnSetInfo *rsinfo, const an_model *m, const an_drift_stat *res,
		   const char *segment, const char *scored_by)
{
	for (uint32 j = 0; j <= m->n_features; j++)
	{
		const an_drift_stat *r = &res[j];
		Datum		values[12];
		bool		nulls[12] = {false};

		values[0] = CStringGetTextDatum(j < m->n_features ? m->features[j].name : OVERALL);
		values[1] = float_or_null(r->psi, &nulls[1]);
		values[2] = float_or_null(r->ks, &nulls[2]);
		values[3] = float_or_null(r->train_mean, &nulls[3]);
		values[4] = float_or_null(r->current_mean, &nulls[4]);
		values[5] = BoolGetDatum(r->drifted != 0);
		values[6] = Int64GetDatum((int64) r->rows);
		values[7] = float_or_null(r->ks_critical, &nulls[7]);
		values[8] = float_or_null(r->train_null_share, &nulls[8]);
		values[9] = float_or_null(r->current_null_share, &nulls[9]);
		nulls[10] = segment == NULL;
		nulls[11] = scored_by == NULL;
		if (segment)
			values[10] = CStringGetTextDatum(segment);
		if (scored_by)
			values[11] = CStringGetTextDatum(scored_by);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
}

/* What the per-segment drift visitor keeps. */
typedef struct segment_drift
{
	ReturnSetInfo *rsinfo;
	an_drift   *overall;		/* every row against the global model */
	an_drift   *segment;		/* the current segment against its model */
	MemoryContext segment_cxt;	/* holds it; reset for every segment */
} segment_drift;

/* A new segment: an accumulator for the model that scores it. */
static void
drift_group_begin(void *arg, const an_segment_group *g)
{
	segment_drift *sd = arg;
	an_ctx		ctx;

	MemoryContextReset(sd->segment_cxt);
	an_glue_ctx(&ctx, sd->segment_cxt);
	an_glue_check(&ctx, an_drift_init(&ctx, g->model, &sd->segment));
}

/* One row, to its segment's accumulator and the overall one. */
static void
drift_row(void *arg, const an_segment_group *g, const an_segment_row *row)
{
	segment_drift *sd = arg;

	an_drift_add(sd->segment, row->x, row->cat);
	an_drift_add(sd->overall, row->gx, row->gcat);
}

/* The segment's rows, one per feature of its model and one overall. */
static void
drift_group_end(void *arg, const an_segment_group *g)
{
	segment_drift *sd = arg;
	an_drift_stat *res;

	an_ctx		ctx;

	an_glue_ctx(&ctx, sd->segment_cxt);
	an_drift_result(&ctx, sd->segment, &res);
	put_result(sd->rsinfo, g->model, res, g->segment, g->at >= 0 ? "segment" : "global");
}

/*
 * anomaly_drift(model, source): per feature and overall, the PSI and KS
 * distance of the source from the training sample, the training and current
 * means, whether it drifted, and the row and NULL counts behind it.  For a
 * segmented model the same per segment of the source, against the sketch
 * of the model that scores it (its own, or the global one), and the rows
 * with a NULL segment compare every row with the global model.
 */
Datum
anomaly_drift(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *source;
	char	   *from;
	an_model_ref ref;
	const an_model *m;
	an_drift   *acc;
	an_drift_stat *res;
	an_ctx		ctx;
	int64		id;
	Oid			relid;
	TupleDesc	desc;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("model and source must not be NULL")));
	source = text_to_cstring(PG_GETARG_TEXT_PP(1));
	from = an_source_from(source, &relid);
	an_cache_by_arg(fcinfo, 0, &id);
	InitMaterializedSRF(fcinfo, 0);
	SPI_connect();
	desc = an_source_describe(from, source);
	/* look the model up again: the queries above may have invalidated it */
	an_cache_by_id(id, &ref);
	m = ref.model;
	an_glue_ctx(&ctx, CurrentMemoryContext);
	an_glue_check(&ctx, an_drift_init(&ctx, m, &acc));
	if (ref.segmented)
	{
		segment_drift sd = {rsinfo, acc, NULL,
			AllocSetContextCreate(CurrentMemoryContext, "anomaly segment drift",
								  ALLOCSET_DEFAULT_SIZES)};
		an_segment_visitor v = {drift_group_begin, drift_row, drift_group_end, &sd, true};

		an_segment_scan(from, desc, &ref, NULL, &v);
	}
	else
		accumulate(from, m, acc);
	an_drift_result(&ctx, acc, &res);
	put_result(rsinfo, m, res, NULL, NULL);
	SPI_finish();
	return (Datum) 0;
}
