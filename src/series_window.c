/*
 * series_window.c - the causal window functions over ordered rows:
 *
 *   anomaly_ts_score(value float8 [, options jsonb])
 *       OVER (PARTITION BY series ORDER BY ts)  -> float8 in [0, 1]
 *   anomaly_ts_detect(value float8 [, options jsonb]) OVER (...)
 *       -> anomaly_ts_point (expected, lower, upper, score, severity,
 *          is_anomaly, direction, learning, season)
 *
 * The detector lives in the partition's local memory and moves forward one
 * row at a time, so the result of a row uses only that row and the rows
 * before it in the partition, whatever the frame clause says.  The executor
 * calls a window function for each row in order; if a row is ever skipped
 * the rows in between are fed first, and a call for an earlier row than
 * the last one fed is an error rather than a silently different answer.
 * The options are read from the partition's first row.
 */
#include "series_glue.h"

#include "access/htup_details.h"
#include "funcapi.h"
#include "utils/memutils.h"
#include "windowapi.h"

#include <math.h>

PG_FUNCTION_INFO_V1(anomaly_ts_score);
PG_FUNCTION_INFO_V1(anomaly_ts_detect);

/* What a partition keeps between rows. */
typedef struct series_partition
{
	an_ctx		ctx;
	an_series  *detector;		/* NULL until the first row */
	int64		next_row;		/* position of the next row to feed */
} series_partition;

/* The value argument of the row at position pos: whether it is a number to
 * feed (not NULL); *value gets it. */
static bool
value_at(WindowObject win, int64 pos, double *value)
{
	bool		isnull,
				isout;
	Datum		d = WinGetFuncArgInPartition(win, 0, pos, WINDOW_SEEK_HEAD, false,
											 &isnull, &isout);

	if (isnull || isout)
		return false;
	*value = DatumGetFloat8(d);
	return true;
}

/*
 * Advance the partition's detector through the current row and describe the
 * row in *out; returns false when the row's value is NULL, NaN or infinite
 * (out then holds the expectation only).
 */
static bool
advance(FunctionCallInfo fcinfo, an_series_point *out)
{
	WindowObject win = PG_WINDOW_OBJECT();
	series_partition *part = WinGetPartitionLocalMemory(win, sizeof(series_partition));
	int64		pos = WinGetCurrentPosition(win);
	double		value = 0;
	bool		have;

	if (part->detector == NULL)
	{
		an_series_options opt;
		bool		isnull = true;
		Datum		options = PG_NARGS() > 1 ? WinGetFuncArgCurrent(win, 1, &isnull) : (Datum) 0;

		an_series_options_parse(isnull ? NULL : DatumGetJsonbP(options), &opt);
		/* the partition's memory lives as long as the partition */
		an_glue_ctx(&part->ctx, GetMemoryChunkContext(part));
		an_glue_check(&part->ctx, an_series_create(&part->ctx, &opt, &part->detector));
	}
	if (pos < part->next_row)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("anomaly_ts window function called for row %lld after row %lld",
						(long long) pos, (long long) part->next_row - 1),
				 errdetail("A series detector only moves forward through its partition.")));
	for (; part->next_row < pos; part->next_row++)
	{
		an_series_point skipped;

		if (value_at(win, part->next_row, &value))
			an_series_update(part->detector, value, &skipped);
	}
	have = value_at(win, pos, &value);
	an_series_update(part->detector, have ? value : NAN, out);
	part->next_row = pos + 1;
	WinSetMarkPosition(win, pos);
	return have && isfinite(value);
}

/* anomaly_ts_score(value [, options]) OVER (...): the score in [0, 1], NULL
 * for a NULL, NaN or infinite value. */
Datum
anomaly_ts_score(PG_FUNCTION_ARGS)
{
	an_series_point p;

	if (!advance(fcinfo, &p))
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(p.score);
}

/* anomaly_ts_detect(value [, options]) OVER (...): the row's expectation,
 * band, score, severity, flag and direction. */
Datum
anomaly_ts_detect(PG_FUNCTION_ARGS)
{
	WindowObject win = PG_WINDOW_OBJECT();
	series_partition *part;
	an_series_point p;
	TupleDesc	desc;
	Datum		values[AN_TS_POINT_COLUMNS];
	bool		nulls[AN_TS_POINT_COLUMNS];
	bool		scored;

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "anomaly_ts_detect must return a composite type");
	scored = advance(fcinfo, &p);
	part = WinGetPartitionLocalMemory(win, sizeof(series_partition));
	an_series_point_columns(&p, part->detector, scored, values, nulls);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(desc, values, nulls)));
}
