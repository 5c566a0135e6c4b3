/*
 * series_clock.c - the timestamps of a series: intervals as microseconds,
 * and how many points a gap missed under the "fill" rule.  Shared by the
 * stored models (anomaly_ts_update, the series monitor) and the window
 * functions that take timestamps, so a backfill fills as a live feed does.
 */
#include "series_glue.h"

/* An interval in microseconds as extract(epoch ...) counts it (a month is
 * 30 days, a year 365.25). */
int64
an_ts_interval_us(const Interval *iv)
{
	return (int64) (iv->month / 12) * INT64CONST(31557600000000) +
		(int64) (iv->month % 12) * INT64CONST(2592000000000) +
		(int64) iv->day * USECS_PER_DAY + iv->time;
}

/*
 * Points the fill rule fills before a point dt microseconds after the last:
 * the steps of the series' interval the gap missed, round(dt / step) - 1,
 * at most AN_TS_FILL_MAX (rounding half away from zero, as round(numeric)
 * does).
 */
int
an_ts_missing_steps(int64 dt, int64 step_us)
{
	int64		steps = dt / step_us;
	int64		rest = dt % step_us;

	if (rest >= step_us - rest)
		steps++;
	steps -= 1;
	return (int) (steps < 0 ? 0 : (steps > AN_TS_FILL_MAX ? AN_TS_FILL_MAX : steps));
}

/* True if ts is late for the clock: at or before its last point's time. */
bool
an_ts_clock_late(const an_ts_clock *clock, TimestampTz ts)
{
	return clock->has_last && ts <= clock->last_ts;
}

/* Move the clock to ts (not late), first feeding detector the points the
 * gap since the last point missed when fill is on and the step known. */
void
an_ts_clock_advance(an_ts_clock *clock, TimestampTz ts, bool fill, an_series *detector)
{
	if (fill && clock->has_last && clock->step_us > 0)
		an_series_fill(detector, an_ts_missing_steps(ts - clock->last_ts, clock->step_us));
	clock->has_last = true;
	clock->last_ts = ts;
}
