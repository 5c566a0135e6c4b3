/*
 * series_window.c - the causal window functions over ordered rows:
 *
 *   anomaly_ts_score(value float8 [, options jsonb])
 *       OVER (PARTITION BY series ORDER BY ts)  -> float8 in [0, 1]
 *   anomaly_ts_detect(value float8 [, options jsonb]) OVER (...)
 *       -> anomaly_ts_point (expected, lower, upper, score, severity,
 *          is_anomaly, direction, learning, season)
 *   anomaly_ts_score(ts timestamptz, value float8 [, options jsonb]) and
 *   anomaly_ts_detect(ts, value [, options]): the same with timestamps,
 *       fed as anomaly_ts_update feeds a stored model's series: a row at or
 *       before the last one's time (or with a NULL time) is late, NULL and
 *       not fed, and the "fill" gap rule fills the steps a gap missed.
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
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "utils/memutils.h"
#include "windowapi.h"

#include <math.h>

PG_FUNCTION_INFO_V1(anomaly_ts_score);
PG_FUNCTION_INFO_V1(anomaly_ts_detect);

/* Intervals the fill rule learns its step from, at most. */
#define LEARN_INTERVALS 1024

/* What became of a row. */
typedef enum row_fate
{
	ROW_SCORED,					/* fed a finite value and scored */
	ROW_UNSCORED,				/* fed, but its value is NULL, NaN or infinite */
	ROW_LATE					/* not fed: its time is NULL or not after the last */
} row_fate;

/* What a partition keeps between rows. */
typedef struct series_partition
{
	an_ctx		ctx;
	an_series  *detector;		/* NULL until the first row */
	int64		next_row;		/* position of the next row to feed */
	bool		timed;			/* the first argument is the time */
	an_ts_gap_options gap;
	an_ts_clock clock;			/* the last row's time; the fill step, 0 until known */
	int			n_intervals;	/* intervals gathered to learn it */
	int			want_intervals;
	int64	   *intervals;
} series_partition;

/* The argument argno of the row at position pos: false if NULL. */
static bool
arg_at(WindowObject win, int argno, int64 pos, Datum *d)
{
	bool		isnull,
				isout;

	*d = WinGetFuncArgInPartition(win, argno, pos, WINDOW_SEEK_HEAD, false, &isnull, &isout);
	return !isnull && !isout;
}

/* The step of a learnt interval: the median of those gathered (the mean of
 * the middle two for an even count, as percentile_cont(0.5) takes it). */
static int64
median_interval(int64 *x, int n)
{
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && x[j - 1] > x[j]; j--)
		{
			int64		t = x[j];

			x[j] = x[j - 1];
			x[j - 1] = t;
		}
	return n % 2 ? x[n / 2] : x[n / 2 - 1] + (x[n / 2] - x[n / 2 - 1]) / 2;
}

/* Take the interval dt into the fill rule's step: learnt from the first
 * intervals of the learning period unless the options gave it. */
static void
learn_interval(series_partition *part, int64 dt)
{
	if (part->clock.step_us > 0 || part->want_intervals == 0)
		return;
	if (part->intervals == NULL)
		part->intervals = MemoryContextAlloc(GetMemoryChunkContext(part),
											 sizeof(int64) * part->want_intervals);
	part->intervals[part->n_intervals++] = dt;
	if (part->n_intervals == part->want_intervals)
		part->clock.step_us = median_interval(part->intervals, part->n_intervals);
}

/*
 * Feed the row at pos to the partition's detector and describe it in *out:
 * a value (the first argument, or the second after a time), with a time
 * first checked for lateness and a gap filled when the rule says so.
 */
static row_fate
feed_row(WindowObject win, series_partition *part, int64 pos, an_series_point *out)
{
	Datum		d;
	double		value = NAN;

	if (part->timed)
	{
		TimestampTz ts;
		an_ts_clock before = part->clock;

		if (!arg_at(win, 0, pos, &d))
			return ROW_LATE;
		ts = DatumGetTimestampTz(d);
		if (an_ts_clock_late(&part->clock, ts))
			return ROW_LATE;
		an_ts_clock_advance(&part->clock, ts, part->gap.fill, part->detector);
		if (part->gap.fill && before.has_last)
			learn_interval(part, ts - before.last_ts);
	}
	if (arg_at(win, part->timed ? 1 : 0, pos, &d))
		value = DatumGetFloat8(d);
	an_series_update(part->detector, value, out);
	return isfinite(value) ? ROW_SCORED : ROW_UNSCORED;
}

/* Make the partition's detector from the options of its first row. */
static void
start_partition(FunctionCallInfo fcinfo, WindowObject win, series_partition *part)
{
	an_series_options opt;
	int			options_arg;
	bool		isnull = true;
	Datum		options = (Datum) 0;

	part->timed = get_fn_expr_argtype(fcinfo->flinfo, 0) == TIMESTAMPTZOID;
	options_arg = part->timed ? 2 : 1;
	if (PG_NARGS() > options_arg)
		options = WinGetFuncArgCurrent(win, options_arg, &isnull);
	if (part->timed)
		an_series_options_parse_timed(isnull ? NULL : DatumGetJsonbP(options), &opt, &part->gap);
	else
		an_series_options_parse(isnull ? NULL : DatumGetJsonbP(options), &opt);
	part->clock.step_us = part->gap.interval_us;
	part->want_intervals = Min(opt.learning, LEARN_INTERVALS);
	/* the partition's memory lives as long as the partition */
	an_glue_ctx(&part->ctx, GetMemoryChunkContext(part));
	an_glue_check(&part->ctx, an_series_create(&part->ctx, &opt, &part->detector));
}

/*
 * Advance the partition's detector through the current row (feeding first
 * any rows the executor skipped) and describe the row in *out.
 */
static row_fate
advance(FunctionCallInfo fcinfo, an_series_point *out)
{
	WindowObject win = PG_WINDOW_OBJECT();
	series_partition *part = WinGetPartitionLocalMemory(win, sizeof(series_partition));
	int64		pos = WinGetCurrentPosition(win);
	row_fate	fate;

	if (part->detector == NULL)
		start_partition(fcinfo, win, part);
	if (pos < part->next_row)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("anomaly_ts window function called for row %lld after row %lld",
						(long long) pos, (long long) part->next_row - 1),
				 errdetail("A series detector only moves forward through its partition.")));
	for (; part->next_row < pos; part->next_row++)
	{
		an_series_point skipped;

		(void) feed_row(win, part, part->next_row, &skipped);
	}
	fate = feed_row(win, part, pos, out);
	part->next_row = pos + 1;
	WinSetMarkPosition(win, pos);
	return fate;
}

/* anomaly_ts_score([ts,] value [, options]) OVER (...): the score in
 * [0, 1], NULL for a NULL, NaN or infinite value or a late row. */
Datum
anomaly_ts_score(PG_FUNCTION_ARGS)
{
	an_series_point p;

	if (advance(fcinfo, &p) != ROW_SCORED)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(p.score);
}

/* anomaly_ts_detect([ts,] value [, options]) OVER (...): the row's
 * expectation, band, score, severity, flag and direction; NULL for a late
 * row. */
Datum
anomaly_ts_detect(PG_FUNCTION_ARGS)
{
	WindowObject win = PG_WINDOW_OBJECT();
	series_partition *part;
	an_series_point p;
	TupleDesc	desc;
	Datum		values[AN_TS_POINT_COLUMNS];
	bool		nulls[AN_TS_POINT_COLUMNS];
	row_fate	fate;

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "anomaly_ts_detect must return a composite type");
	fate = advance(fcinfo, &p);
	if (fate == ROW_LATE)
		PG_RETURN_NULL();
	part = WinGetPartitionLocalMemory(win, sizeof(series_partition));
	an_series_point_columns(&p, part->detector, fate == ROW_SCORED, values, nulls);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(desc, values, nulls)));
}
