/*
 * series_state.c - a series detector's state as bytea, for stored series
 * models (anomaly_ts_train, in SQL, and by hand; anomaly_ts_update steps
 * the states in memory, src/series_update.c):
 *
 *   anomaly_ts_new(options jsonb) -> bytea: a fresh state;
 *   anomaly_ts_fit(value float8, options jsonb ORDER BY ts) -> bytea: the
 *       state after feeding a series in order (an ordered aggregate);
 *   anomaly_ts_step(state bytea, value float8, missing int DEFAULT 0) ->
 *       anomaly_ts_step: the next state and the point's expectation, band and
 *       score, after filling `missing` points of a gap before it.
 *
 * Every state read is checked (magic, format, length, CRC32C, every field)
 * by an_series_read before it is used.
 */
#include "series_glue.h"

#include "access/htup_details.h"
#include "funcapi.h"

#include <math.h>

PG_FUNCTION_INFO_V1(anomaly_ts_new);
PG_FUNCTION_INFO_V1(anomaly_ts_fit_accum);
PG_FUNCTION_INFO_V1(anomaly_ts_fit_final);
PG_FUNCTION_INFO_V1(anomaly_ts_step);

/* The aggregate's state: the detector, in the aggregate's memory. */
typedef struct series_fit
{
	an_ctx		ctx;
	an_series  *detector;
} series_fit;

/* The state's bytes as a bytea. */
static bytea *
state_bytea(const an_series *detector)
{
	an_ctx		ctx;
	unsigned char *bytes;
	size_t		len;
	bytea	   *out;

	an_glue_ctx(&ctx, CurrentMemoryContext);
	an_glue_check(&ctx, an_series_write(detector, &ctx, &bytes, &len));
	out = palloc(VARHDRSZ + len);
	SET_VARSIZE(out, VARHDRSZ + len);
	memcpy(VARDATA(out), bytes, len);
	return out;
}

/* anomaly_ts_new(options): a fresh state with the options. */
Datum
anomaly_ts_new(PG_FUNCTION_ARGS)
{
	an_series_options opt;
	an_series  *detector;
	an_ctx		ctx;

	an_series_options_parse(PG_ARGISNULL(0) ? NULL : PG_GETARG_JSONB_P(0), &opt);
	an_glue_ctx(&ctx, CurrentMemoryContext);
	an_glue_check(&ctx, an_series_create(&ctx, &opt, &detector));
	PG_RETURN_BYTEA_P(state_bytea(detector));
}

/* anomaly_ts_fit's transition: feed one value (NULL is skipped). */
Datum
anomaly_ts_fit_accum(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	series_fit *fit;
	an_series_point p;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		elog(ERROR, "anomaly_ts_fit_accum called in a non-aggregate context");
	fit = PG_ARGISNULL(0) ? NULL : (series_fit *) PG_GETARG_POINTER(0);
	if (fit == NULL)
	{
		an_series_options opt;

		an_series_options_parse(PG_ARGISNULL(2) ? NULL : PG_GETARG_JSONB_P(2), &opt);
		fit = MemoryContextAllocZero(aggcxt, sizeof(series_fit));
		an_glue_ctx(&fit->ctx, aggcxt);
		an_glue_check(&fit->ctx, an_series_create(&fit->ctx, &opt, &fit->detector));
	}
	if (!PG_ARGISNULL(1))
		an_series_update(fit->detector, PG_GETARG_FLOAT8(1), &p);
	PG_RETURN_POINTER(fit);
}

/* anomaly_ts_fit's final function: the state's bytes. */
Datum
anomaly_ts_fit_final(PG_FUNCTION_ARGS)
{
	series_fit *fit = PG_ARGISNULL(0) ? NULL : (series_fit *) PG_GETARG_POINTER(0);

	if (fit == NULL)
		PG_RETURN_NULL();
	PG_RETURN_BYTEA_P(state_bytea(fit->detector));
}

/* anomaly_ts_step(state, value, missing): the next state and the value's
 * point after filling missing points; a NULL, NaN or infinite value leaves
 * the state as the fill left it. */
Datum
anomaly_ts_step(PG_FUNCTION_ARGS)
{
	bytea	   *state;
	an_series  *detector;
	an_series_point p;
	an_ctx		ctx;
	TupleDesc	desc;
	Datum		values[AN_TS_POINT_COLUMNS + 1];
	bool		nulls[AN_TS_POINT_COLUMNS + 1];
	double		value = PG_ARGISNULL(1) ? NAN : PG_GETARG_FLOAT8(1);
	int32		missing = PG_NARGS() > 2 && !PG_ARGISNULL(2) ? PG_GETARG_INT32(2) : 0;

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "anomaly_ts_step must return a composite type");
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("series state must not be NULL")));
	if (missing < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("missing points must be 0 or more, not %d", missing)));
	state = PG_GETARG_BYTEA_PP(0);
	an_glue_ctx(&ctx, CurrentMemoryContext);
	an_glue_check(&ctx, an_series_read(&ctx, VARDATA_ANY(state), VARSIZE_ANY_EXHDR(state),
									   &detector));
	an_series_fill(detector, missing);
	an_series_update(detector, value, &p);
	values[0] = PointerGetDatum(state_bytea(detector));
	nulls[0] = false;
	an_series_point_columns(&p, detector, isfinite(value), values + 1, nulls + 1);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(desc, values, nulls)));
}
